/* ssekit — one-call structured completion: ask a model for JSON that
 * satisfies a schema, stream the answer, validate it, and repair or fall
 * back when it does not come out right.
 *
 *     ssekit_completion_options o = {0};
 *     o.preset = (ssekit_preset){.provider = SSEKIT_PROVIDER_OPENAI,
 *                                .model = "gpt-4o-mini", .prompt = "...",
 *                                .schema = schema_text};
 *     o.allow_repair = 1;
 *     o.fallback_model = "gpt-4o";
 *     ssekit_completion *c;
 *     int rc = ssekit_complete(&o, &c);
 *     if (rc == SSEKIT_OK) puts(c->json);
 *     else if (c) fprintf(stderr, "%s: %s\n", ssekit_error_category_name(c->category), c->message);
 *     ssekit_completion_free(c);
 *
 * What happens, in order:
 *   1. The primary request (o.preset, built with ssekit_request_build()).
 *      Transport failures, timeouts, 429 and 5xx are retried inside the
 *      stream by the retry table (retry.h) with max_retries retries and
 *      retry_delay_ms as the first backoff window (full jitter; Retry-After
 *      honoured); 400/401/403/404/422 are not retried.
 *   2. Repair (allow_repair): when the answer arrived but is not JSON or
 *      does not satisfy the schema, ONE re-ask with the primary model: the
 *      conversation plus an assistant message holding the raw output and a
 *      user message listing the validation errors (see
 *      SSEKIT_COMPLETE_REPAIR_PROMPT).
 *   3. Fallback (fallback_model): when the primary model still failed (for
 *      any reason except cancellation, after its retries and the repair),
 *      one more request, with the same retries, with the original
 *      conversation and the fallback model.
 * The result of the last request made is the outcome.
 *
 * Blocking: ssekit_complete() returns when the outcome is known. With
 * o.client NULL it makes its own client (the application must have called
 * curl_global_init(), see client.h). With a caller's client it opens its
 * streams there and drives that client with ssekit_stream_next(): the
 * client's other streams progress meanwhile (their callbacks run from inside
 * this call; their queued events stay queued). It must not be called from a
 * callback of that client, nor concurrently on the same client.
 */
#ifndef SSEKIT_COMPLETE_H
#define SSEKIT_COMPLETE_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "client.h"
#include "json_value.h"
#include "request.h"
#include "schema.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults. */
#define SSEKIT_COMPLETE_DEFAULT_MAX_RETRIES 2u
#define SSEKIT_COMPLETE_DEFAULT_RETRY_DELAY_MS 1000u
#define SSEKIT_COMPLETE_MAX_VIOLATIONS 16u /* kept in the result and the re-ask */

/* The first line of the repair message; the violations follow, one per line
 * as "- PATH: MESSAGE" (PATH a JSON Pointer, "(root)" for ""), then the
 * closing line below. */
#define SSEKIT_COMPLETE_REPAIR_PROMPT                                                              \
    "Your previous answer does not satisfy the required JSON schema. Errors:"
#define SSEKIT_COMPLETE_REPAIR_CLOSING                                                             \
    "Answer again with only the corrected JSON value, satisfying the schema."

typedef struct ssekit_completion_options {
    /* provider, URL / base URL, key, model, messages or prompt, system,
     * schema (required), temperature, max_tokens, extra headers */
    ssekit_preset preset;
    unsigned max_retries;            /* per model; 0: default (set no_retries for none) */
    int no_retries;                  /* non-zero: no retries at all */
    uint64_t retry_delay_ms;         /* first backoff window; 0: default */
    int allow_repair;                /* one re-ask with the validation errors */
    const char *fallback_model;      /* NULL: none */
    long total_timeout_ms;           /* per request (retries included); 0: none */
    long idle_timeout_ms;            /* 0: the stream's default, < 0: none */
    ssekit_client *client;           /* NULL: a client of its own */
    const ssekit_alloc_funcs *alloc; /* NULL: libc's; also the own client's */
} ssekit_completion_options;

/* The outcome. Every string is NUL-terminated and owned by the completion.
 * On success: status SSEKIT_OK, category NONE, json = the validated value as
 * compact JSON. On failure: status (the ssekit_status of the failure: SSEKIT_E_IO for transport,
 * timeout, http and rate-limited, SSEKIT_E_SCHEMA, SSEKIT_E_JSON, SSEKIT_E_PROVIDER,
 * SSEKIT_E_CIRCUIT_OPEN when the host's circuit breaker refused the request,
 * SSEKIT_E_NO_KEY for a missing API key, SSEKIT_E_INVALID for another preset
 * error), category, http_status, message, raw
 * (the output that failed validation, or the error response's body, or
 * NULL) and the violations (schema failures). */
typedef struct ssekit_completion {
    int status;
    ssekit_error_category category;
    int http_status;
    char *json; /* success: the value; NULL on failure */
    size_t json_len;
    char *raw; /* failure: the raw output or error body; NULL when none */
    size_t raw_len;
    char *message;                     /* failure: one line (never an API key); NULL on success */
    ssekit_schema_message *violations; /* at most SSEKIT_COMPLETE_MAX_VIOLATIONS */
    size_t violation_count;            /* kept in `violations` */
    size_t violation_total;            /* found (may be more) */
    char *model;                       /* the model of the last request */
    const char *finish_reason;         /* success: the provider's, may be NULL */
    ssekit_usage usage;                /* of the last request */
    unsigned requests;                 /* HTTP requests made in all (retries too) */
    int repaired;                      /* a repair re-ask was made */
    int used_fallback;                 /* a fallback request was made */
} ssekit_completion;

/* Runs the completion described by `o` (see above) and stores the outcome in
 * *out, to free with ssekit_completion_free(). Returns SSEKIT_OK when *out
 * holds a value that satisfies the schema, else the failure's status (also
 * in (*out)->status, with the details there). *out is NULL only when the
 * return is SSEKIT_E_INVALID for NULL arguments or no schema, or
 * SSEKIT_E_NOMEM before anything could be recorded. SSEKIT_E_STATE when
 * called from a callback of o->client. */
int ssekit_complete(const ssekit_completion_options *o, ssekit_completion **out);

/* The value as a tree (json_value.h), owned by the completion; NULL on
 * failure. Valid until ssekit_completion_free(). */
const ssekit_json *ssekit_completion_value(const ssekit_completion *c);

/* Frees a completion and everything in it. NULL is a no-op. */
void ssekit_completion_free(ssekit_completion *c);

#ifdef __cplusplus
}
#endif

#endif
