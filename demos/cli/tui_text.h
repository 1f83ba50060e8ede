/* The growing token text of `ssekit watch`: wrapped to the width, and only
 * its tail, since the newest tokens are what a viewer wants to see. */
#ifndef SSEKIT_CLI_TUI_TEXT_H
#define SSEKIT_CLI_TUI_TEXT_H

#include <stddef.h>

#define TUI_TEXT_MAX_ROWS 512

typedef void (*tui_text_line_fn)(void *ctx, const char *s, size_t n);

/* Wraps s[0..n) at '\n' and at `cols` columns (widths as tui_frame_char
 * says) and calls `line` for the last `rows` rows (at most TUI_TEXT_MAX_ROWS),
 * oldest first. Only the end of the text is looked at (a few screenfuls), so
 * the cost does not grow with the text. Returns the number of rows emitted. */
int tui_text_tail(const char *s, size_t n, int cols, int rows, tui_text_line_fn line, void *ctx);

#endif
