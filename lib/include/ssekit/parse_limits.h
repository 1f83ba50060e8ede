/* ssekit — the parsing limits of one stream or result, in one struct.
 *
 * Every stage that takes bytes from a peer bounds what it keeps: the SSE
 * parser (sse_parser.h), the provider decoder (provider.h), the partial JSON
 * builder of each output and the result around them (partial_json.h,
 * result.h). Each has its own setters; an ssekit_limits sets them all at
 * once where the stage is created for you: a stream opened on a client
 * (ssekit_request.limits, also on every retry and reconnect), a preset
 * (ssekit_preset.limits), a result (ssekit_result_set_limits()).
 *
 *     ssekit_request rq = {.url = url, .decode = 1,
 *                          .limits = {.sse_max_event = 1 << 20, .json_max_depth = 32}};
 *
 * Zero-initialise it: a zero field means that stage's default (the macro
 * named below). The error named for each field is what a stage reports when
 * a peer exceeds it; a stream then ends at once with an ERROR event of
 * category SSEKIT_ERROR_PARSE whose status is that error (the events before
 * it are delivered intact; it is not retried). The queue limits of a stream
 * (max_queue, max_queue_bytes) are fields of ssekit_request itself.
 *
 * Fields are only ever appended, so a program built against an older header
 * keeps zeros (defaults) for the new ones.
 */
#ifndef SSEKIT_PARSE_LIMITS_H
#define SSEKIT_PARSE_LIMITS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ssekit_limits {
    /* SSE parser: the longest line, in bytes without its line ending.
     * Default SSEKIT_SSE_DEFAULT_MAX_LINE (16 MiB); past it
     * SSEKIT_E_LINE_TOO_LONG. */
    size_t sse_max_line;
    /* SSE parser: the largest event, data (with the LFs joining its lines)
     * plus event type. Default SSEKIT_SSE_DEFAULT_MAX_EVENT (32 MiB); past it
     * SSEKIT_E_EVENT_TOO_LARGE. */
    size_t sse_max_event;
    /* Provider decoder (decode streams): the largest envelope (an event's
     * data) decoded. Default SSEKIT_DECODER_DEFAULT_MAX_ENVELOPE (32 MiB);
     * past it SSEKIT_E_TOO_LARGE. */
    size_t envelope_max_size;
    /* Provider decoder: the deepest JSON nesting of an envelope (the
     * top-level object is depth 1). Default SSEKIT_DECODER_DEFAULT_MAX_DEPTH
     * (1024); past it SSEKIT_E_TOO_DEEP. */
    unsigned envelope_max_depth;
    /* Partial JSON builder of each output: the deepest nesting of the
     * output's JSON (the root container is depth 1), at most
     * SSEKIT_PARTIAL_MAX_DEPTH_LIMIT. Default SSEKIT_PARTIAL_DEFAULT_MAX_DEPTH
     * (128); past it SSEKIT_E_TOO_DEEP. */
    size_t json_max_depth;
    /* Result: the bytes of text kept per output (a text output's text, a tool
     * call's arguments, the joined thinking and refusal text), which is also
     * the size of the JSON document its builder takes. Default
     * SSEKIT_RESULT_DEFAULT_MAX_TEXT (64 MiB); past it SSEKIT_E_TOO_LARGE. */
    size_t json_max_bytes;
    /* Partial JSON builder: the longest string, key or number literal,
     * decoded. Default SSEKIT_PARTIAL_DEFAULT_MAX_STRING (16 MiB); past it
     * SSEKIT_E_TOO_LARGE. */
    size_t json_max_string;
    /* Result: the number of outputs (text outputs and tool calls). Default
     * SSEKIT_RESULT_DEFAULT_MAX_OUTPUTS (1024); past it SSEKIT_E_TOO_LARGE. */
    size_t max_outputs;
} ssekit_limits;

#ifdef __cplusplus
}
#endif

#endif
