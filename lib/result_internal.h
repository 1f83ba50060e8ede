/* Private: what the stream (stream.c) asks a result beyond the public API. */
#ifndef SSEKIT_RESULT_INTERNAL_H
#define SSEKIT_RESULT_INTERNAL_H

#include "ssekit/result.h"

/* The first limit of the result's own (text per output, outputs, each
 * output's JSON depth and string size) that the stream exceeded: its status
 * (SSEKIT_E_TOO_LARGE or SSEKIT_E_TOO_DEEP), with a message naming the limit
 * in *message (owned by the result); SSEKIT_OK and "" when none was. The
 * decoder's and the SSE parser's limits are reported as errors instead
 * (ssekit_result_first_error()). */
int sk_result_limit(const ssekit_result *r, const char **message);

#endif
