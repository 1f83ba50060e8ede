/* Reading a stream for the ssekit command: a file or standard input, handed
 * on in pieces as they arrive (so a live pipe is processed live). */
#ifndef SSEKIT_CLI_INPUT_H
#define SSEKIT_CLI_INPUT_H

#include <stddef.h>

/* Called with each piece; return non-zero to stop reading. */
typedef int (*input_fn)(void *ctx, const char *buf, size_t len);

/* Reads `path` ("-" or NULL: standard input) to its end and calls fn with
 * pieces of at most `chunk` bytes (0: whatever each read returns, up to
 * 64 KiB). Returns 0 at end of input, 1 when fn stopped, -1 on an I/O error
 * (a message is on stderr). */
int input_each(const char *path, size_t chunk, input_fn fn, void *ctx);

#endif
