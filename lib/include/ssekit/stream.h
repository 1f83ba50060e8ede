/* ssekit — one streamed HTTP request (an `ssekit_stream`) and the events it
 * reports.
 *
 * A stream is created on a client (client.h) from an ssekit_request: method,
 * URL, headers, body, limits, deadlines and the retry policy. It then runs in
 * the client's thread; the bytes libcurl receives go through the stream's SSE
 * parser and, when `decode` is set, through a provider decoder and the
 * partial-JSON result (result.h). Everything that happens becomes an
 * ssekit_event, in this order for a successful stream:
 *
 *     START, [RETRY ...], OPEN, (SSE | DELTA | COMPLETE | USAGE | PROGRESS)*,
 *     [PROGRESS 100], DONE
 *
 * and a stream ends with exactly one DONE or ERROR. A raw SSE stream with
 * `reconnect` set adds RECONNECT events (WHATWG: the server's `retry` time,
 * Last-Event-ID) and ends with DONE when the server answers 204.
 *
 *     ssekit_request rq = {.url = "http://127.0.0.1:8080/v1/raw/deploy",
 *                          .reconnect = 1};
 *     ssekit_stream *s;
 *     if (ssekit_stream_open(client, &rq, &s) == SSEKIT_OK) {
 *         const ssekit_event *ev;
 *         while (ssekit_stream_next(s, &ev, 1000) >= 0)
 *             if (ev) printf("%s\n", ssekit_event_kind_name(ev->kind));
 *         ssekit_stream_free(s);
 *     }
 *
 * Threads: a stream belongs to its client and to the client's thread.
 */
#ifndef SSEKIT_STREAM_H
#define SSEKIT_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "parse_limits.h"
#include "provider.h"
#include "retry.h"
#include "schema.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ssekit_client ssekit_client;
typedef struct ssekit_stream ssekit_stream;

/* Event kinds; each is one bit so that a set of kinds is a mask. */
typedef enum ssekit_event_kind {
    SSEKIT_EVENT_START = 1 << 0,     /* the stream was opened (once) */
    SSEKIT_EVENT_OPEN = 1 << 1,      /* a response began: http_status */
    SSEKIT_EVENT_SSE = 1 << 2,       /* a raw SSE event: type, data, id */
    SSEKIT_EVENT_DELTA = 1 << 3,     /* a decoded delta (decode streams) */
    SSEKIT_EVENT_COMPLETE = 1 << 4,  /* a JSON value is complete: path, data */
    SSEKIT_EVENT_USAGE = 1 << 5,     /* token usage so far: usage */
    SSEKIT_EVENT_RETRY = 1 << 6,     /* a retry is scheduled */
    SSEKIT_EVENT_RECONNECT = 1 << 7, /* an SSE reconnect is scheduled */
    SSEKIT_EVENT_DONE = 1 << 8,      /* the stream ended well (terminal) */
    SSEKIT_EVENT_ERROR = 1 << 9,     /* the stream failed (terminal) */
    SSEKIT_EVENT_PROGRESS = 1 << 10  /* estimated completion: percent */
} ssekit_event_kind;

#define SSEKIT_EVENT_ALL 0x7ffu

/* Why a stream failed (ERROR events). */
typedef enum ssekit_error_category {
    SSEKIT_ERROR_NONE = 0,
    SSEKIT_ERROR_TRANSPORT,    /* connect failure, reset, stream cut short */
    SSEKIT_ERROR_TIMEOUT,      /* connect, first byte, idle or total deadline */
    SSEKIT_ERROR_HTTP,         /* a final non-2xx status, a 2xx that is not an
                                  event stream, or the provider's error event */
    SSEKIT_ERROR_RATE_LIMITED, /* 429 after the last retry */
    SSEKIT_ERROR_SCHEMA,       /* the final value does not satisfy the schema */
    SSEKIT_ERROR_PARSE,        /* the output is not (complete) JSON */
    SSEKIT_ERROR_CANCELED      /* ssekit_stream_cancel(), or a callback said stop */
} ssekit_error_category;

/* One event. Which fields are set depends on the kind; the others are 0 /
 * NULL. Every string is ptr + length, also NUL-terminated (data may contain
 * NUL bytes, hence the lengths).
 *
 *   START      attempt = 1.
 *   OPEN       http_status; attempt (1-based count of requests made).
 *   SSE        type (event type, "message" by default), data, id (the last
 *              event ID, "" when none).
 *   DELTA      delta_kind, index, tool_index, data (the fragment: text,
 *              arguments, finish reason or error message), id and name (tool
 *              call id and function name), type (provider error type).
 *   COMPLETE   path (JSON Pointer inside the output), data (the value as
 *              compact JSON), output (the output's label: "text",
 *              "tool_calls/0", ...).
 *   USAGE      usage (running totals for the response).
 *   RETRY      attempt (the retry's number, 1 = first retry), delay_ms,
 *              message (the reason, e.g. "HTTP 503"), http_status and
 *              retry_after_ms when a response caused it.
 *   RECONNECT  attempt (reconnect number), delay_ms, id (the Last-Event-ID
 *              that will be sent, "" when none), message (the reason).
 *   DONE       finish_reason (decode streams: the provider's last finish
 *              reason; NULL when none), usage, and for decode streams type
 *              "json" with data = the main output's final value as compact
 *              JSON, or type "text" with data = its text when that is not
 *              complete JSON (allowed only without a schema); raw streams:
 *              no data.
 *   PROGRESS   percent (0..100, never decreasing within a stream). See
 *              "Progress" below.
 *   ERROR      category, status (an ssekit_status: SSEKIT_E_IO for transport,
 *              timeout, http and rate-limited, SSEKIT_E_SCHEMA, SSEKIT_E_JSON, SSEKIT_E_PROVIDER,
 *              SSEKIT_E_STOPPED for canceled, SSEKIT_E_CIRCUIT_OPEN when the
 *              host's circuit breaker refused the request unsent, the
 *              exceeded limit's error with category parse (see
 *              ssekit_request.limits), ...),
 *              http_status (0 when no
 *              response), retry_after_ms (0 when none), message (never
 *              contains an API key), data (the raw output: the error
 *              response's body, or the text that failed validation; capped
 *              at SSEKIT_STREAM_MAX_ERROR_BODY bytes for bodies). */
typedef struct ssekit_event {
    ssekit_event_kind kind;
    ssekit_stream *stream;
    void *user; /* the stream's user pointer (ssekit_request.user) */
    int http_status;
    unsigned attempt;
    uint64_t delay_ms;
    uint64_t retry_after_ms;
    ssekit_error_category category;
    int status;
    ssekit_delta_kind delta_kind;
    uint32_t index;
    uint32_t tool_index;
    ssekit_usage usage;
    const char *type;
    size_t type_len;
    const char *data;
    size_t data_len;
    const char *id;
    size_t id_len;
    const char *name;
    size_t name_len;
    const char *path;
    size_t path_len;
    const char *output;
    const char *message;
    const char *finish_reason;
    unsigned percent; /* PROGRESS */
} ssekit_event;

/* Progress. A PROGRESS event carries an estimate of how much of the answer
 * has arrived, 0..100:
 *   - decode stream with a schema: the share of the schema's required
 *     leaves that are complete (ssekit_result_progress);
 *   - decode stream without a schema, with progress_max_tokens set: the
 *     output tokens so far against it, tokens estimated as the bytes of text
 *     and tool-argument deltas / SSEKIT_STREAM_BYTES_PER_TOKEN (about right
 *     for English text with the GPT and Claude tokenizers), or the
 *     provider's reported output tokens when larger;
 *   - otherwise (raw streams, no max): no estimate, only the final 100.
 * Before the end the estimate is capped at 99; 100 comes right before DONE
 * (never before an ERROR). The percent never goes down, even when the
 * estimate does (a retry starts a new answer, a schema leaf is revisited):
 * the event repeats the highest value so far. Events are rate-limited to
 * progress_per_sec per second (checked at every delta), plus one after every
 * COMPLETE event (a schema'd stream computes its share then: O(size of the
 * value) each time), plus the 100. A PROGRESS is emitted only when the
 * percent changed since the last one. Leave PROGRESS out of the filter to
 * spare the estimate. */
#define SSEKIT_STREAM_BYTES_PER_TOKEN 4u
#define SSEKIT_STREAM_DEFAULT_PROGRESS_PER_SEC 10u

/* A callback receives the events of its stream whose kind is in the
 * request's `filter`. The event and its strings are valid only during the
 * call (copy with ssekit_event_copy() to keep one). A non-zero return cancels
 * the stream (an ERROR with category CANCELED follows). A callback may call
 * ssekit_stream_cancel() and the read-only functions; it must not free a
 * stream or drive the client (those return SSEKIT_E_STATE). */
typedef int (*ssekit_event_cb)(void *user, const ssekit_event *event);

/* Defaults of the request's limits and deadlines. */
#define SSEKIT_STREAM_DEFAULT_MAX_QUEUE 256u                    /* events */
#define SSEKIT_STREAM_DEFAULT_MAX_QUEUE_BYTES ((size_t)1 << 20) /* 1 MiB */
#define SSEKIT_STREAM_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define SSEKIT_STREAM_DEFAULT_FIRST_BYTE_TIMEOUT_MS 60000
#define SSEKIT_STREAM_DEFAULT_IDLE_TIMEOUT_MS 60000
#define SSEKIT_STREAM_DEFAULT_RECONNECT_MS 3000u /* WHATWG's usual default */
#define SSEKIT_STREAM_DEFAULT_MAX_RECONNECTS 10u /* in a row without an event */
/* An error response's body is kept up to this size (the rest is dropped). */
#define SSEKIT_STREAM_MAX_ERROR_BODY ((size_t)8 << 10)
/* Event IDs remembered to suppress duplicates after a reconnect (streams
 * with `reconnect` only: 8 bytes each, allocated with the stream; events of
 * a resumed connection are checked against them). */
#define SSEKIT_STREAM_SEEN_IDS 1024u

/* What to request and how. Zero-initialise it: every zero field means its
 * default. The struct and every string and array it points to are copied by
 * ssekit_stream_open(), except `schema` and `alloc`'s context, which are
 * borrowed and must outlive the stream. Deadlines are in milliseconds: 0
 * means the default, a negative value means none. */
typedef struct ssekit_request {
    const char *method;         /* NULL: "POST" when there is a body, else "GET" */
    const char *url;            /* required */
    const char *const *headers; /* "Name: value" lines */
    size_t header_count;
    const char *body; /* may be NULL */
    size_t body_len;

    int decode; /* non-zero: decode events as `provider` */
    ssekit_provider provider;
    const ssekit_schema *schema; /* decode streams: check the main output */

    int reconnect;             /* raw SSE: reconnect per WHATWG */
    const char *last_event_id; /* sent as Last-Event-ID on the first request */
    uint64_t reconnect_ms;     /* until the server sends `retry`; 0: default */
    unsigned max_reconnects;   /* in a row without an event; 0: default */

    ssekit_retry_policy retry; /* all zero: ssekit_retry_policy_default();
                                  set max_retries = 0 with base_delay_ms != 0
                                  to disable retries */

    long connect_timeout_ms;    /* TCP + TLS connect */
    long first_byte_timeout_ms; /* from each request to the first body byte */
    long idle_timeout_ms;       /* longest gap between body bytes (comments count) */
    long total_timeout_ms;      /* the whole stream, retries included; default none */

    unsigned max_queue;     /* queued events before the transfer is paused */
    size_t max_queue_bytes; /* queued bytes before the transfer is paused */

    unsigned filter;          /* kinds queued or given to `callback`; 0: all */
    ssekit_event_cb callback; /* NULL: events wait for ssekit_stream_next() */
    void *user;               /* handed to `callback`, and in every event */

    unsigned progress_per_sec;    /* PROGRESS events per second; 0: default */
    unsigned progress_max_tokens; /* the estimate's denominator without a
                                     schema (the request's max_tokens); 0: none */

    /* The parsing limits (parse_limits.h: every field, its default and its error;
     * all zero: every default). Applied to the stream's SSE parser (every
     * stream) and, for decode streams, to the decoder, the JSON builders and
     * the result, for every request the stream makes (retries and reconnects
     * too). A peer that exceeds one ends the stream at once with an ERROR of
     * category SSEKIT_ERROR_PARSE whose status names the limit:
     *   sse_max_line        SSEKIT_E_LINE_TOO_LONG
     *   sse_max_event       SSEKIT_E_EVENT_TOO_LARGE
     *   envelope_max_size   SSEKIT_E_TOO_LARGE
     *   envelope_max_depth  SSEKIT_E_TOO_DEEP
     *   json_max_depth      SSEKIT_E_TOO_DEEP
     *   json_max_bytes      SSEKIT_E_TOO_LARGE
     *   json_max_string     SSEKIT_E_TOO_LARGE
     *   max_outputs         SSEKIT_E_TOO_LARGE
     * The events before it are delivered as they are; the message names the
     * limit and its value; such an error is not retried. */
    ssekit_limits limits;
} ssekit_request;

/* Creates a stream on `client` from `req` and starts it (its START event is
 * queued and its first request goes out when the client is next driven).
 * Stores the stream in *out. The stream is owned by the client: free it with
 * ssekit_stream_free() (or ssekit_client_free() frees it). Returns
 * SSEKIT_OK; SSEKIT_E_INVALID (NULL client/req/out, no URL, a header without
 * ':' or with CR/LF, limits.json_max_depth above
 * SSEKIT_PARTIAL_MAX_DEPTH_LIMIT); SSEKIT_E_NOMEM; SSEKIT_E_STATE (called
 * from a callback). */
int ssekit_stream_open(ssekit_client *client, const ssekit_request *req, ssekit_stream **out);

/* Returns the next event of `s` in *event, driving the client (every stream
 * on it progresses) for at most `timeout_ms` (0: do not wait; negative:
 * wait without limit). Returns:
 *   1                an event: *event points to it, owned by the stream and
 *                    valid until the next ssekit_stream_next() on `s`, the
 *                    next ssekit_client_next() that returns an event of `s`,
 *                    or ssekit_stream_free(s);
 *   0                no event within the timeout, or ssekit_client_wakeup()
 *                    was called (*event = NULL);
 *   SSEKIT_E_STATE   the stream has ended and its last event was returned,
 *                    or it has a callback (*event = NULL);
 *   SSEKIT_E_INVALID NULL argument; SSEKIT_E_IO when libcurl's multi handle
 *                    fails (the client is unusable). */
int ssekit_stream_next(ssekit_stream *s, const ssekit_event **event, long timeout_ms);

/* Cancels the stream: its transfer is aborted at once and an ERROR event with
 * category CANCELED (status SSEKIT_E_STOPPED) ends it. Events already queued
 * stay readable. A stream that has already ended is left as it is. Returns
 * SSEKIT_OK or SSEKIT_E_INVALID. Allowed from a callback. */
int ssekit_stream_cancel(ssekit_stream *s);

/* Removes the stream from its client and frees it, aborting its transfer.
 * Its events die (including one returned by next()). NULL is a no-op.
 * Returns SSEKIT_OK, or SSEKIT_E_STATE from a callback (nothing is freed). */
int ssekit_stream_free(ssekit_stream *s);

/* 1 once the stream has ended (its DONE or ERROR was produced), else 0. */
int ssekit_stream_is_done(const ssekit_stream *s);

/* The number of events queued, waiting for next(). */
size_t ssekit_stream_queued(const ssekit_stream *s);

/* 1 while the transfer is paused because the queue is full, else 0. */
int ssekit_stream_is_paused(const ssekit_stream *s);

/* The ID of the last SSE event dispatched (what a reconnect sends as
 * Last-Event-ID; the request's last_event_id until an event arrives),
 * NUL-terminated, owned by the stream and valid until the stream is driven
 * again; "" when none. An `id` line of an event cut off by a dropped
 * connection does not count, so that event is asked for again. */
const char *ssekit_stream_last_event_id(const ssekit_stream *s);

/* The stream's user pointer (ssekit_request.user). */
void *ssekit_stream_user(const ssekit_stream *s);

/* The name of an event kind ("start", "open", "sse", "delta", "complete",
 * "usage", "retry", "reconnect", "done", "error", "progress"), or NULL.
 * Static storage. */
const char *ssekit_event_kind_name(ssekit_event_kind kind);

/* The name of an error category ("transport", "timeout", "http",
 * "rate-limited", "schema", "parse", "canceled"; "none"), or NULL. */
const char *ssekit_error_category_name(ssekit_error_category category);

/* Copies an event into one allocation (NULL alloc: libc's) that owns its
 * strings; `stream` and `user` are copied as they are. Returns NULL when
 * the allocation fails. Free with ssekit_event_free() and the same alloc. */
ssekit_event *ssekit_event_copy(const ssekit_event *event, const ssekit_alloc_funcs *alloc);

/* Frees a copy made by ssekit_event_copy(). NULL is a no-op. */
void ssekit_event_free(ssekit_event *event, const ssekit_alloc_funcs *alloc);

#ifdef __cplusplus
}
#endif

#endif
