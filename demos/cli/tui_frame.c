#include "tui_frame.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "tui_term.h"

void tui_frame_begin(struct tui_frame *f, int cols, int rows, int plain)
{
    tui_buf_clear(&f->out);
    f->cols = cols > 0 ? cols : 1;
    f->rows = rows > 0 ? rows : 1;
    f->row = 0;
    f->plain = plain;
}

int tui_frame_left(const struct tui_frame *f)
{
    return f->rows - f->row;
}

/* Length of the escape sequence at s (ESC [ params final, or ESC + one byte). */
static size_t escape_len(const char *s, size_t n)
{
    if (n < 2)
        return n;
    if (s[1] != '[')
        return 2;
    size_t i = 2;
    while (i < n && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7e))
        i++;
    return i < n ? i + 1 : n;
}

/* The usual terminal widths (a compact wcwidth: no locale needed). */
static int char_cols(uint32_t c)
{
    if ((c >= 0x300 && c <= 0x36f) || (c >= 0x200b && c <= 0x200f) ||
        (c >= 0xfe00 && c <= 0xfe0f) || c == 0x20e3)
        return 0;
    if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
        (c >= 0x3041 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
        (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) ||
        (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) ||
        (c >= 0x1f300 && c <= 0x1f64f) || (c >= 0x1f900 && c <= 0x1f9ff) ||
        (c >= 0x20000 && c <= 0x3fffd))
        return 2;
    return 1;
}

size_t tui_frame_char(const char *s, size_t n, int *cols)
{
    unsigned char c = (unsigned char)s[0];
    size_t len = c < 0x80             ? 1
                 : (c & 0xe0) == 0xc0 ? 2
                 : (c & 0xf0) == 0xe0 ? 3
                 : (c & 0xf8) == 0xf0 ? 4
                                      : 0;
    *cols = 1;
    if (len == 0 || len > n)
        return 1;
    uint32_t cp = len == 1 ? c : (uint32_t)(c & (0x7f >> len));
    for (size_t i = 1; i < len; i++) {
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            return 1;
        cp = cp << 6 | ((unsigned char)s[i] & 0x3f);
    }
    *cols = char_cols(cp);
    return len;
}

size_t tui_frame_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == 0x1b) {
            i += escape_len(s + i, n - i);
            continue;
        }
        int cols;
        i += tui_frame_char(s + i, n - i, &cols);
        w += (size_t)cols;
    }
    return w;
}

void tui_frame_line(struct tui_frame *f, const char *s, size_t n)
{
    if (f->row >= f->rows)
        return;
    f->row++;
    if (!f->plain)
        tui_buf_addf(&f->out, "\x1b[%d;1H", f->row);
    size_t cols = 0;
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c == 0x1b) {
            size_t e = escape_len(s + i, n - i);
            if (!f->plain)
                tui_buf_add(&f->out, s + i, e);
            i += e;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            if (cols == (size_t)f->cols)
                break;
            tui_buf_add(&f->out, " ", 1);
            cols++;
            i++;
            continue;
        }
        int w;
        size_t len = tui_frame_char(s + i, n - i, &w);
        if (cols + (size_t)w > (size_t)f->cols)
            break;
        if (len == 1 && c >= 0x80)
            tui_buf_add(&f->out, "?", 1); /* not UTF-8: keep the terminal sane */
        else
            tui_buf_add(&f->out, s + i, len);
        cols += (size_t)w;
        i += len;
    }
    if (f->plain) {
        tui_buf_add(&f->out, "\n", 1);
        return;
    }
    /* A full-width line leaves the cursor on its last cell with a wrap
     * pending; clearing to the end there would erase that cell. */
    tui_buf_adds(&f->out, "\x1b[0m");
    if (cols < (size_t)f->cols)
        tui_buf_adds(&f->out, "\x1b[K");
}

void tui_frame_linef(struct tui_frame *f, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    tui_frame_line(f, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

int tui_frame_flush(struct tui_frame *f, int fd)
{
    if (!f->plain && f->row < f->rows)
        tui_buf_addf(&f->out, "\x1b[%d;1H\x1b[J", f->row + 1);
    if (f->out.oom)
        return -1;
    return tui_term_write(fd, f->out.data, f->out.len);
}

void tui_frame_free(struct tui_frame *f)
{
    tui_buf_free(&f->out);
}
