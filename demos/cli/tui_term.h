/* The terminal for `ssekit watch`: the alternate screen with a hidden cursor
 * and no echo while the UI runs, restored on every way out; the window size;
 * SIGINT, SIGTERM and SIGWINCH turned into flags that the event loop polls
 * (the handlers only set a flag, so the loop's poll/sleep returns EINTR and
 * the loop notices at once). */
#ifndef SSEKIT_CLI_TUI_TERM_H
#define SSEKIT_CLI_TUI_TERM_H

#include <stddef.h>

/* Installs the SIGINT, SIGTERM and SIGWINCH handlers (without SA_RESTART).
 * Used in plain mode too, so that Ctrl-C ends with exit code 130 after the
 * output is flushed. */
void tui_term_signals(void);

/* The signal that asked us to stop (SIGINT or SIGTERM), or 0. */
int tui_term_stop_signal(void);

/* 1 once after each SIGWINCH (the flag is cleared by the call). */
int tui_term_resized(void);

/* Enters the UI on file descriptor `fd` (a terminal): alternate screen,
 * cursor hidden, input echo off (signals stay on, so Ctrl-C still sends
 * SIGINT). Returns 0, or -1 when fd is not a terminal. */
int tui_term_enter(int fd);

/* Restores what tui_term_enter changed: shows the cursor, leaves the
 * alternate screen, puts the terminal modes back. Safe to call twice. */
void tui_term_leave(void);

/* The window size of `fd`: columns and rows (80x24 when unknown). */
void tui_term_size(int fd, int *cols, int *rows);

/* Writes all of buf to fd (retrying short writes and EINTR). Returns 0 or -1. */
int tui_term_write(int fd, const char *buf, size_t len);

#endif
