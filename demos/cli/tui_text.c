#include "tui_text.h"

#include "tui_frame.h"

struct span {
    size_t off, len;
};

int tui_text_tail(const char *s, size_t n, int cols, int rows, tui_text_line_fn line, void *ctx)
{
    struct span ring[TUI_TEXT_MAX_ROWS];
    if (cols < 1 || rows < 1)
        return 0;
    if (rows > TUI_TEXT_MAX_ROWS)
        rows = TUI_TEXT_MAX_ROWS;
    /* Enough bytes for `rows` full rows of 4-byte characters; the first row
     * of this window may be cut, but it scrolls off before it shows. */
    size_t window = (size_t)cols * (size_t)(rows + 1) * 4;
    size_t start = n > window ? n - window : 0;
    while (start < n && ((unsigned char)s[start] & 0xc0) == 0x80)
        start++;
    size_t count = 0; /* rows produced; the ring keeps the last `rows` */
    size_t row_start = start;
    int col = 0;
    for (size_t i = start; i < n;) {
        if (s[i] == '\n') {
            ring[count++ % (size_t)rows] = (struct span){row_start, i - row_start};
            row_start = ++i;
            col = 0;
            continue;
        }
        int w;
        size_t len = tui_frame_char(s + i, n - i, &w);
        if (col + w > cols && col > 0) {
            ring[count++ % (size_t)rows] = (struct span){row_start, i - row_start};
            row_start = i;
            col = 0;
        }
        col += w;
        i += len;
    }
    if (row_start < n || count == 0)
        ring[count++ % (size_t)rows] = (struct span){row_start, n - row_start};
    size_t first = count > (size_t)rows ? count - (size_t)rows : 0;
    for (size_t k = first; k < count; k++) {
        struct span sp = ring[k % (size_t)rows];
        line(ctx, s + sp.off, sp.len);
    }
    return (int)(count - first);
}
