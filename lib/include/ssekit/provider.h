/* ssekit — provider decoders: one SSE event in, unified deltas out.
 *
 * An LLM API streams its answer as SSE events whose data is a JSON envelope
 * in the provider's own format. A decoder reads those envelopes and reports
 * what they mean as a sequence of provider-neutral deltas: a piece of text, a
 * piece of a tool call's arguments, token usage, the finish reason, an error,
 * the end of the response.
 *
 *     static int on_delta(void *user, const ssekit_delta *d) {
 *         if (d->kind == SSEKIT_DELTA_TEXT)
 *             fwrite(d->text, 1, d->text_len, stdout);
 *         return 0;                     // non-zero would stop the decoder
 *     }
 *     ssekit_decoder_callbacks cb = {.on_delta = on_delta};
 *     ssekit_decoder *dec = ssekit_decoder_new(SSEKIT_PROVIDER_OPENAI, &cb, NULL, NULL);
 *     ... for every event the SSE parser dispatches:
 *         ssekit_decoder_feed(dec, event);
 *     ssekit_decoder_finish(dec);
 *     ssekit_decoder_free(dec);
 *
 * Formats understood:
 * - SSEKIT_PROVIDER_OPENAI, chat completions (`chat.completion.chunk`):
 *   choices[].delta.content / .refusal / .reasoning_content / .reasoning,
 *   choices[].delta.tool_calls[] merged by `index`, choices[].finish_reason,
 *   the usage chunk (`choices: []`), `data: [DONE]`, `{"error": ...}`.
 *   A choice's `index` is read where OpenAI puts it, before its delta; a chunk
 *   with the index after the content is decoded by the choice's position.
 * - SSEKIT_PROVIDER_ANTHROPIC, Messages: message_start (usage),
 *   content_block_start (text, thinking, tool_use), content_block_delta
 *   (text_delta, thinking_delta, input_json_delta), message_delta (stop reason,
 *   cumulative usage), message_stop, ping, error. The event type is taken from
 *   the SSE `event` field and, when that is absent, from the JSON "type".
 * - SSEKIT_PROVIDER_RESPONSES, OpenAI Responses: response.output_text.delta,
 *   response.refusal.delta, response.reasoning_summary_text.delta and
 *   response.reasoning_text.delta, response.output_item.added (function calls),
 *   response.function_call_arguments.delta, response.completed / .incomplete /
 *   .failed, error; sequence_number (see ssekit_decoder_sequence()). The
 *   `.done` events repeat text already delivered and are ignored.
 * - SSEKIT_PROVIDER_RAW: the event data is the content, one TEXT delta per
 *   event; ssekit_decoder_finish() reports DONE.
 * Unknown event types and unknown fields are ignored.
 *
 * Errors inside the stream are deltas, and decoding goes on with the next
 * event: a provider's error payload is an ERROR delta with code
 * SSEKIT_E_PROVIDER; an envelope that is not one JSON object or has a known
 * field of the wrong JSON type (an "index" that is a string, "choices" that is
 * not an array) is an ERROR delta with code SSEKIT_E_ENVELOPE carrying the raw
 * data. Deltas an event produced before its fault was found stand.
 *
 * Threads: a decoder is a plain value with no globals; use one from one thread
 * at a time. Different decoders are independent.
 */
#ifndef SSEKIT_PROVIDER_H
#define SSEKIT_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "sse_parser.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest envelope (event data) decoded by default; larger ones become an
 * ERROR delta with code SSEKIT_E_TOO_LARGE. Same as the SSE parser's event
 * limit, so by default only a parser configured larger can hit it. */
#define SSEKIT_DECODER_DEFAULT_MAX_ENVELOPE ((size_t)32 << 20) /* 32 MiB */
/* The deepest JSON nesting accepted in an envelope by default (real envelopes
 * nest under 10 levels; a Responses `response.completed` may embed a user's
 * JSON Schema, hence the headroom). */
#define SSEKIT_DECODER_DEFAULT_MAX_DEPTH 1024u

typedef enum ssekit_provider {
    SSEKIT_PROVIDER_OPENAI = 0, /* chat completions */
    SSEKIT_PROVIDER_ANTHROPIC = 1,
    SSEKIT_PROVIDER_RESPONSES = 2, /* OpenAI Responses API */
    SSEKIT_PROVIDER_RAW = 3
} ssekit_provider;

/* Looks a provider up by name: "openai", "anthropic", "responses" or "raw"
 * (exact, lower case; NUL-terminated). Returns the ssekit_provider value
 * (>= 0), or SSEKIT_E_INVALID for NULL or an unknown name. */
int ssekit_provider_from_name(const char *name);

/* The name of `kind` as ssekit_provider_from_name() accepts it (static
 * storage), or NULL for a value that is not a provider. */
const char *ssekit_provider_name(ssekit_provider kind);

typedef enum ssekit_delta_kind {
    SSEKIT_DELTA_TEXT,      /* a fragment of an output's text */
    SSEKIT_DELTA_REFUSAL,   /* a fragment of a refusal message */
    SSEKIT_DELTA_THINKING,  /* a fragment of reasoning / thinking text */
    SSEKIT_DELTA_TOOL_CALL, /* a fragment of a tool call's arguments */
    SSEKIT_DELTA_USAGE,     /* token counts so far for the whole response */
    SSEKIT_DELTA_FINISH,    /* why an output stopped */
    SSEKIT_DELTA_ERROR,     /* an error: the provider's or a bad envelope */
    SSEKIT_DELTA_DONE       /* the response is complete */
} ssekit_delta_kind;

/* Token counts normalised across providers; -1 where the provider did not
 * say. `input_tokens` counts every prompt token, cached or not (Anthropic's
 * input_tokens + cache_creation_input_tokens + cache_read_input_tokens);
 * `cached_input_tokens` is the part read from a prompt cache (OpenAI
 * cached_tokens, Anthropic cache_read_input_tokens); `reasoning_tokens` is the
 * part of output_tokens spent on reasoning. `total_tokens` is only what the
 * provider reported (Anthropic reports none). */
typedef struct ssekit_usage {
    int64_t input_tokens;
    int64_t output_tokens;
    int64_t total_tokens;
    int64_t cached_input_tokens;
    int64_t reasoning_tokens;
} ssekit_usage;

/* One delta. Strings are ptr + length, not NUL-terminated, and may contain
 * NUL; they point into the event's data or into the decoder and are valid only
 * until the callback returns: copy what you keep. Unused strings are NULL
 * with length 0. Fields by kind:
 *
 *   TEXT, REFUSAL, THINKING  index: the output (OpenAI choice index,
 *                            Anthropic content block index, Responses
 *                            output_index); text: the fragment (never empty).
 *   TOOL_CALL   index: the output as above; tool_index: the tool call (OpenAI
 *               tool_calls[].index, else the same as index); id and name: the
 *               call's id and function name as known so far (they arrive with
 *               the first fragment; later fragments repeat them from the
 *               decoder's memory); text: the arguments fragment (may be empty:
 *               the first delta of a call often only announces id and name).
 *               Joining the fragments of one (index, tool_index) in order
 *               gives the arguments JSON text.
 *   USAGE       usage: the counts for the whole response so far (running
 *               totals, not increments: the last USAGE delta is the answer).
 *   FINISH      index: the output; text: the provider's reason as sent
 *               ("stop", "length", "tool_calls", "end_turn", "tool_use",
 *               "completed", "max_output_tokens", ...).
 *   ERROR       code: SSEKIT_E_PROVIDER (the provider's error payload),
 *               SSEKIT_E_ENVELOPE (malformed envelope), SSEKIT_E_TOO_LARGE
 *               (envelope over the size limit), SSEKIT_E_TOO_DEEP (over the
 *               depth limit) or SSEKIT_E_NOMEM (the event could not be fully
 *               decoded for lack of memory); type: the provider's error type
 *               (e.g. "server_error", "overloaded_error"), empty for the
 *               others; text: a message; raw: the whole event data.
 *   DONE        nothing else.
 */
typedef struct ssekit_delta {
    ssekit_delta_kind kind;
    int code;
    uint32_t index;
    uint32_t tool_index;
    const char *text;
    size_t text_len;
    const char *id;
    size_t id_len;
    const char *name;
    size_t name_len;
    const char *type;
    size_t type_len;
    const char *raw;
    size_t raw_len;
    ssekit_usage usage;
} ssekit_delta;

/* Callbacks; any may be NULL. `user` is the pointer given to
 * ssekit_decoder_new(). Returning non-zero stops the decoder: the feed
 * returns SSEKIT_E_STOPPED and the rest of that event is dropped (the next
 * feed starts with the next event). A callback must not call feed, finish,
 * reset or free on its own decoder (they return SSEKIT_E_STATE). */
typedef struct ssekit_decoder_callbacks {
    int (*on_delta)(void *user, const ssekit_delta *delta);
} ssekit_decoder_callbacks;

typedef struct ssekit_decoder ssekit_decoder;

/* Creates a decoder for `kind`. `callbacks` is copied (NULL: none); `user`
 * is handed to every callback; `alloc` selects the allocator (NULL: libc's)
 * and is copied; yajl's own buffers use it too (yajl 2.1 cannot survive a
 * failed allocation, so a block the allocator refuses yajl is taken from libc
 * instead, the event is abandoned with SSEKIT_E_NOMEM and the yajl handle with
 * all such blocks is freed at once). Limits start at the defaults.
 * Returns NULL for an unknown kind or when allocating the handle fails. Free
 * with ssekit_decoder_free(). */
ssekit_decoder *ssekit_decoder_new(ssekit_provider kind, const ssekit_decoder_callbacks *callbacks,
                                   void *user, const ssekit_alloc_funcs *alloc);

/* Frees the decoder and everything it owns. NULL is a no-op. Must not be
 * called from inside one of its callbacks. */
void ssekit_decoder_free(ssekit_decoder *dec);

/* Sets the largest event data decoded, in bytes; a larger event becomes an
 * ERROR delta (SSEKIT_E_TOO_LARGE, with the raw data) and is otherwise
 * skipped. Returns SSEKIT_E_INVALID for 0 or a NULL decoder. */
int ssekit_decoder_set_max_envelope(ssekit_decoder *dec, size_t bytes);

/* Sets the deepest JSON nesting accepted in an envelope (the top-level object
 * is depth 1); a deeper envelope becomes an ERROR delta (SSEKIT_E_TOO_DEEP).
 * Returns SSEKIT_E_INVALID for 0 or a NULL decoder. */
int ssekit_decoder_set_max_depth(ssekit_decoder *dec, unsigned depth);

/* Decodes one event (as the SSE parser dispatches it; its strings need only
 * live for the call). Deltas are delivered before it returns. Returns:
 *   SSEKIT_OK          the event was decoded (a provider error payload is a
 *                      successful decode: it arrives as an ERROR delta);
 *   SSEKIT_E_ENVELOPE, SSEKIT_E_TOO_LARGE, SSEKIT_E_TOO_DEEP
 *                      the event was malformed; it was reported as an ERROR
 *                      delta and skipped, and the decoder is ready for the
 *                      next event;
 *   SSEKIT_E_NOMEM     an allocation failed; reported as an ERROR delta too,
 *                      the rest of the event is lost, the decoder goes on;
 *   SSEKIT_E_STOPPED   a callback returned non-zero (rest of event dropped);
 *   SSEKIT_E_INVALID   NULL decoder or event, or NULL data with length > 0;
 *   SSEKIT_E_STATE     called from a callback, or after finish without reset. */
int ssekit_decoder_feed(ssekit_decoder *dec, const ssekit_sse_event *event);

/* Ends the stream. The raw decoder reports DONE; the others report nothing
 * (a stream that ended without its terminal event shows as
 * ssekit_decoder_is_done() == 0). Further feeds return SSEKIT_E_STATE until
 * ssekit_decoder_reset(). Returns SSEKIT_OK, SSEKIT_E_STOPPED,
 * SSEKIT_E_INVALID or SSEKIT_E_STATE. */
int ssekit_decoder_finish(ssekit_decoder *dec);

/* Forgets the response decoded so far (tool calls, usage, done flag,
 * sequence number) so the decoder can take a new response; keeps the
 * callbacks, limits and buffers. Returns SSEKIT_OK, SSEKIT_E_INVALID or
 * SSEKIT_E_STATE (from inside a callback). */
int ssekit_decoder_reset(ssekit_decoder *dec);

/* 1 once a DONE delta was delivered (OpenAI `[DONE]`, Anthropic message_stop,
 * Responses completed/incomplete/failed, raw finish), else 0 (also for NULL). */
int ssekit_decoder_is_done(const ssekit_decoder *dec);

/* The last Responses `sequence_number` seen (what a resumed stream passes as
 * `starting_after`), or -1 when none was seen / for other providers. */
int64_t ssekit_decoder_sequence(const ssekit_decoder *dec);

#ifdef __cplusplus
}
#endif

#endif
