/* A growable byte buffer for the terminal UI: frames and tree lines are built
 * in one and written out at once. An allocation failure is sticky (`oom`):
 * the buffer keeps what it had and later appends do nothing, so a caller
 * checks once at the end instead of after every append. */
#ifndef SSEKIT_CLI_TUI_BUF_H
#define SSEKIT_CLI_TUI_BUF_H

#include <stddef.h>

struct tui_buf {
    char *data;
    size_t len, cap;
    int oom;
};

/* Appends n bytes. */
void tui_buf_add(struct tui_buf *b, const char *s, size_t n);
/* Appends a NUL-terminated string. */
void tui_buf_adds(struct tui_buf *b, const char *s);
/* Appends printf-formatted text. */
void tui_buf_addf(struct tui_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Empties the buffer, keeping its memory (and clearing `oom`). */
void tui_buf_clear(struct tui_buf *b);
/* Frees the memory; the buffer is empty and usable again. */
void tui_buf_free(struct tui_buf *b);

#endif
