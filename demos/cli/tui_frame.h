/* One screenful of the terminal UI, built line by line into one buffer and
 * written with a single write(2), so the terminal never shows half a frame.
 *
 * Each line is fitted to the width: cut at `cols` columns (see
 * tui_frame_char; control characters become spaces; ANSI escape sequences
 * take no room), placed with an absolute cursor move and followed by
 * clear-to-end-of-line. Lines past the height are dropped. Rows below the
 * last line are cleared at the end. In plain mode (for text printed after the
 * UI has gone) escape sequences are dropped and lines end with '\n'. */
#ifndef SSEKIT_CLI_TUI_FRAME_H
#define SSEKIT_CLI_TUI_FRAME_H

#include <stddef.h>

#include "tui_buf.h"

struct tui_frame {
    struct tui_buf out;
    int cols, rows; /* the screen */
    int row;        /* lines placed so far */
    int plain;
};

/* Starts a frame of cols x rows (both at least 1). */
void tui_frame_begin(struct tui_frame *f, int cols, int rows, int plain);

/* Adds one line (s[0..n), without a newline). */
void tui_frame_line(struct tui_frame *f, const char *s, size_t n);
void tui_frame_linef(struct tui_frame *f, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Rows still free. */
int tui_frame_left(const struct tui_frame *f);

/* Finishes the frame and writes it to fd in one write. Returns 0, or -1 on
 * a write error or when the frame could not be allocated. */
int tui_frame_flush(struct tui_frame *f, int fd);

/* The UTF-8 sequence at s[0..n) (n >= 1): returns its length in bytes and
 * sets *cols to the columns it takes: 2 for East Asian wide characters and
 * emoji, 0 for combining marks and zero-width characters, else 1. A byte that
 * does not start a valid sequence is one byte of one column. */
size_t tui_frame_char(const char *s, size_t n, int *cols);

/* The number of columns s[0..n) takes on screen, by the rules above. */
size_t tui_frame_width(const char *s, size_t n);

void tui_frame_free(struct tui_frame *f);

#endif
