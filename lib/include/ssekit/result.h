/* ssekit — the structured result of one streamed response, built while it
 * arrives.
 *
 * A result ties the stages together: SSE events (or raw bytes) go in; the
 * provider decoder turns them into deltas; every text output and every tool
 * call's arguments feed their own partial JSON builder; usage, finish reason
 * and errors are collected; an optional schema checks the value as it grows.
 * Everything can be read at any moment between feeds.
 *
 *     ssekit_result *r = ssekit_result_new(SSEKIT_PROVIDER_OPENAI, NULL, NULL, NULL);
 *     while ((n = read(fd, buf, sizeof buf)) > 0) {
 *         ssekit_result_feed(r, buf, (size_t)n);
 *         const ssekit_json *v = ssekit_result_value(r);   // partial tree
 *         ...
 *     }
 *     ssekit_result_finish(r);
 *     ssekit_result_free(r);
 *
 * Outputs: each text output (OpenAI choice, Anthropic text block, Responses
 * output item) and each tool call is one ssekit_output, in order of first
 * appearance. The "main" output — what ssekit_result_value() returns — is
 * the first text output whose text starts (after blanks) with '{' or '[';
 * else the first tool call (Anthropic structured output is a forced tool
 * call, often after a sentence of commentary); else the first text output
 * with non-blank text (prose: its JSON status is SSEKIT_E_JSON). It can
 * change while the stream goes on, e.g. from prose to a tool call.
 *
 * Threads: one thread at a time per result; results are independent.
 */
#ifndef SSEKIT_RESULT_H
#define SSEKIT_RESULT_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "json_value.h"
#include "parse_limits.h"
#include "partial_json.h"
#include "provider.h"
#include "schema.h"
#include "sse_parser.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ssekit_result ssekit_result;
typedef struct ssekit_output ssekit_output;

typedef enum ssekit_output_kind {
    SSEKIT_OUTPUT_TEXT,     /* an output's text (parsed as JSON when it is JSON) */
    SSEKIT_OUTPUT_TOOL_CALL /* a tool call; its arguments are JSON */
} ssekit_output_kind;

/* Default limits. */
#define SSEKIT_RESULT_DEFAULT_MAX_OUTPUTS 1024
#define SSEKIT_RESULT_DEFAULT_MAX_TEXT ((size_t)64 << 20) /* per output */

/* Callbacks; any may be NULL. `user` is the pointer given to
 * ssekit_result_new(). Paths are JSON Pointers inside the output's value (not
 * NUL-terminated), valid during the call. A non-zero return stops the result:
 * the current feed returns SSEKIT_E_STOPPED and so does every later feed
 * (the result keeps what it built). Callbacks may read the result but not
 * feed, finish or free it. */
typedef struct ssekit_result_callbacks {
    /* Every delta the decoder produced, before it is applied. */
    int (*on_delta)(void *user, const ssekit_delta *delta);
    /* A value of an output's JSON started (see partial_json.h). */
    int (*on_value_start)(void *user, const ssekit_output *out, const char *path, size_t path_len,
                          ssekit_json_type type);
    /* A value of an output's JSON is complete (numbers, strings, objects...). */
    int (*on_value_complete)(void *user, const ssekit_output *out, const char *path,
                             size_t path_len, const ssekit_json *value);
    /* The builder's append-only patch stream, per output. */
    int (*on_patch)(void *user, const ssekit_output *out, const ssekit_json_patch *patch);
    /* A schema violation that is certain (see ssekit_result_set_schema); each
     * distinct (path, keyword) is reported once. */
    int (*on_violation)(void *user, const ssekit_output *out, const ssekit_schema_violation *v);
} ssekit_result_callbacks;

/* Creates a result for a stream of `provider`'s format. `cb` (may be NULL)
 * and `alloc` (NULL: libc) are copied. Returns NULL for an unknown provider
 * or when allocation fails. Free with ssekit_result_free(). */
ssekit_result *ssekit_result_new(ssekit_provider provider, const ssekit_result_callbacks *cb,
                                 void *user, const ssekit_alloc_funcs *alloc);

/* Frees the result, its outputs and trees. NULL is fine. Not from a callback. */
void ssekit_result_free(ssekit_result *r);

/* Checks the main output's value against `schema` while it grows and at the
 * end. Call it before the first feed. The schema is borrowed: it must
 * outlive the result (or a later call with NULL, which removes it). After
 * every delta of the main output its partial tree is checked in partial mode
 * with an incremental checker (ssekit_schema_checker: it visits only what
 * changed, so the total stays linear); a violation is reported through
 * on_violation as soon as it is certain. ssekit_result_finish() checks the
 * complete value. Returns SSEKIT_OK or SSEKIT_E_INVALID. */
int ssekit_result_set_schema(ssekit_result *r, const ssekit_schema *schema);

/* Limits: the number of outputs (more are dropped with an SSEKIT_E_TOO_LARGE
 * error), the text kept per output (longer text is cut, the output's JSON
 * status becomes SSEKIT_E_TOO_LARGE; it is also the document size limit of
 * the output's JSON builder, and bounds the joined thinking and refusal
 * texts). Return SSEKIT_E_INVALID for 0. */
int ssekit_result_set_max_outputs(ssekit_result *r, size_t n);
int ssekit_result_set_max_text(ssekit_result *r, size_t bytes);

/* Sets every limit of the result and of the stages it owns from `limits`
 * (parse_limits.h; copied; a zero field means that stage's default, so it also
 * undoes an earlier setting): its SSE parser's line and event limits (used by
 * ssekit_result_feed()), its decoder's envelope size and depth, each
 * output's JSON depth and string limits, the text per output
 * (json_max_bytes, as ssekit_result_set_max_text()) and the number of
 * outputs. Call it before the first feed: the JSON limits apply to outputs
 * created after the call. What a peer exceeds is reported as the stage
 * reports it: parser and decoder limits as errors
 * (ssekit_result_first_error(): SSEKIT_E_LINE_TOO_LONG,
 * SSEKIT_E_EVENT_TOO_LARGE, SSEKIT_E_TOO_LARGE, SSEKIT_E_TOO_DEEP), the JSON
 * limits as the output's JSON status (ssekit_output_json_status()). Returns
 * SSEKIT_OK; SSEKIT_E_INVALID (NULL r or limits, json_max_depth above
 * SSEKIT_PARTIAL_MAX_DEPTH_LIMIT); SSEKIT_E_STATE (from a callback). */
int ssekit_result_set_limits(ssekit_result *r, const ssekit_limits *limits);

/* Feeds raw stream bytes (split anywhere): an SSE parser owned by the result
 * frames them (its limits are the defaults of sse_parser.h unless
 * ssekit_result_set_limits() set others). Returns
 * SSEKIT_OK, SSEKIT_E_STOPPED, SSEKIT_E_NOMEM (the result could not keep
 * up: something was lost, see ssekit_result_first_error()), SSEKIT_E_STATE (after
 * finish, or from a callback) or SSEKIT_E_INVALID. Malformed envelopes and
 * SSE limit errors do not fail the feed: they are recorded as errors. */
int ssekit_result_feed(ssekit_result *r, const char *bytes, size_t len);

/* Feeds one SSE event that the caller framed itself (same returns). */
int ssekit_result_feed_event(ssekit_result *r, const ssekit_sse_event *event);

/* Ends the stream: completes every output's JSON (a document that is not
 * complete becomes SSEKIT_E_JSON), runs the final schema check. Returns
 * SSEKIT_OK when the main output's value is complete JSON, valid against the
 * schema if one is set, and the provider reported no error; otherwise the
 * first of SSEKIT_E_PROVIDER, SSEKIT_E_JSON (and the other builder errors),
 * SSEKIT_E_SCHEMA. The result stays readable. A second call returns the same. */
int ssekit_result_finish(ssekit_result *r);

/* ---- reading --------------------------------------------------------------
 * Pointers returned below are owned by the result; node and output pointers
 * stay valid until ssekit_result_free(); string bytes until the next feed. */

/* The number of outputs so far (0 for NULL). */
size_t ssekit_result_output_count(const ssekit_result *r);
/* Output i in order of first appearance, or NULL when out of range. The
 * pointer stays valid until ssekit_result_free(). */
const ssekit_output *ssekit_result_output(const ssekit_result *r, size_t i);
/* The main output (see above), or NULL when there is none yet. */
const ssekit_output *ssekit_result_main(const ssekit_result *r);
/* The main output's value tree, or NULL. */
const ssekit_json *ssekit_result_value(const ssekit_result *r);

/* Usage so far (all -1 when none was reported). */
ssekit_usage ssekit_result_usage(const ssekit_result *r);
/* The last finish reason, or NULL when none came. NUL-terminated. */
const char *ssekit_result_finish_reason(const ssekit_result *r);
/* 1 once the provider's end-of-response arrived ([DONE], message_stop, ...). */
int ssekit_result_is_done(const ssekit_result *r);
/* Text of all thinking / refusal deltas, joined ("" when none). */
const char *ssekit_result_thinking(const ssekit_result *r, size_t *len);
const char *ssekit_result_refusal(const ssekit_result *r, size_t *len);

/* The first error of the stream: a provider error payload, a malformed
 * envelope, an SSE limit. `status` is SSEKIT_OK when there was none. */
typedef struct ssekit_result_error {
    int status;          /* SSEKIT_E_PROVIDER, SSEKIT_E_ENVELOPE, SSEKIT_E_LINE_TOO_LONG, ... */
    const char *type;    /* the provider's error type ("" if none), NUL-terminated */
    const char *message; /* NUL-terminated */
    const char *raw;     /* the event data that carried it ("" if none) */
    size_t raw_len;
    size_t count; /* how many errors the stream had in all */
} ssekit_result_error;
/* The first error of the stream (see above); never NULL for a non-NULL r.
 * Owned by the result, valid until ssekit_result_free(). */
const ssekit_result_error *ssekit_result_first_error(const ssekit_result *r);

/* Schema violations found so far (certain ones during the stream, all of
 * them after finish); each has path, keyword and message. */
size_t ssekit_result_violation_count(const ssekit_result *r);
const ssekit_schema_message *ssekit_result_violation(const ssekit_result *r, size_t i);

/* Share of the schema's required leaves that are complete, 0..1 (see
 * ssekit_schema_progress); -1 without a schema or a value. Computed on call:
 * O(size of the tree). */
double ssekit_result_progress(const ssekit_result *r);

/* ---- one output -------------------------------------------------------- */

/* Whether the output is text or a tool call (TEXT for NULL). */
ssekit_output_kind ssekit_output_kind_of(const ssekit_output *o);
/* A stable label: "text" (output 0), "text/N", "tool_calls/T" (T = tool index). */
const char *ssekit_output_label(const ssekit_output *o);
/* The provider's output index and tool index (see ssekit_delta). */
uint32_t ssekit_output_index(const ssekit_output *o);
uint32_t ssekit_output_tool_index(const ssekit_output *o);
/* A tool call's id and function name ("" when unknown), NUL-terminated. */
const char *ssekit_output_tool_id(const ssekit_output *o);
const char *ssekit_output_tool_name(const ssekit_output *o);
/* The output's text (or a tool call's arguments text) so far. */
const char *ssekit_output_text(const ssekit_output *o, size_t *len);
/* Its JSON value tree so far, or NULL (no JSON value started, or not JSON). */
const ssekit_json *ssekit_output_value(const ssekit_output *o);
/* The state of its JSON: SSEKIT_OK (so far so good), SSEKIT_E_JSON,
 * SSEKIT_E_TOO_DEEP, SSEKIT_E_TOO_LARGE, SSEKIT_E_NOMEM. Details (offset,
 * message with context) in ssekit_output_json_error(). */
int ssekit_output_json_status(const ssekit_output *o);
const ssekit_partial_error *ssekit_output_json_error(const ssekit_output *o);
/* Writes the output's current tree as JSON (see ssekit_partial_snapshot). */
int ssekit_output_snapshot(const ssekit_output *o, ssekit_json_write_fn out, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
