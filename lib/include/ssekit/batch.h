/* ssekit — a batch: N requests on one client at bounded concurrency, with a
 * result or an error per request in input order and a summary.
 *
 *     ssekit_batch_item items[3];
 *     ssekit_batch_summary sum;
 *     ssekit_batch_run(client, requests, 3, 2, 60000, items, &sum);
 *     for (size_t i = 0; i < 3; i++)
 *         if (items[i].ok) use(items[i].value);
 *         else report(items[i].category, items[i].message);
 *     ssekit_batch_items_free(client, items, 3);
 *
 * One failure never aborts the batch: every item ends with its own result
 * or error. The requests are opened in input order, at most `concurrency`
 * at once (the client's own rate limit and concurrency cap, breaker,
 * metrics and audit apply on top). Each stream gets the batch's callback:
 * the requests' `callback`, `user` and `filter` are ignored.
 *
 * The batch deadline bounds the whole batch: a stream opened at time t gets
 * a total deadline of at most (batch deadline - t), and a request not yet
 * opened when the deadline passes fails with category TIMEOUT and the
 * message "batch deadline reached" without being sent.
 *
 * Threads: runs in the caller's thread, driving the whole client (other
 * streams with callbacks progress too; events of pull streams stay queued).
 */
#ifndef SSEKIT_BATCH_H
#define SSEKIT_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The outcome of one request. Strings are NUL-terminated and owned by the
 * item (allocated with the client's allocator); free them with
 * ssekit_batch_items_free(). */
typedef struct ssekit_batch_item {
    int ok;                         /* 1: DONE; 0: ERROR */
    int status;                     /* SSEKIT_OK, or the ERROR's status */
    ssekit_error_category category; /* SSEKIT_ERROR_NONE when ok */
    int http_status;                /* the last response's status, 0: none */
    uint64_t retry_after_ms;        /* the ERROR's Retry-After, 0: none */
    char *message;                  /* the ERROR's message; NULL when ok */
    /* ok: the DONE's data (decode streams: compact JSON when value_type is
     * "json", the text when "text"; raw streams: NULL). Error: the raw
     * output (error body or text that failed validation), or NULL. */
    char *value;
    size_t value_len;
    const char *value_type; /* "json", "text" or NULL (static storage) */
    char *finish_reason;    /* the provider's finish reason, or NULL */
    ssekit_usage usage;     /* the DONE's usage */
    unsigned requests;      /* HTTP requests sent (0: never sent) */
    unsigned retries;       /* RETRY events */
    unsigned reconnects;    /* RECONNECT events */
    uint64_t events;        /* SSE events delivered */
    uint64_t latency_ms;    /* open to DONE / ERROR */
    uint64_t ttft_ms;       /* open to the first token (has_ttft) */
    int has_ttft;
} ssekit_batch_item;

/* Figures over a batch. Quantiles are nearest-rank over the items that were
 * opened (latency) or produced a token (ttft); 0 when there are none. */
typedef struct ssekit_batch_summary {
    size_t items, ok, failed;
    double error_rate; /* failed / items */
    uint64_t requests, retries;
    double retry_rate; /* retries / requests: the share of requests that were retries */
    uint64_t latency_p50_ms, latency_p95_ms, latency_p99_ms, latency_max_ms;
    uint64_t ttft_p50_ms, ttft_p95_ms, ttft_p99_ms;
    int64_t input_tokens, output_tokens, total_tokens;
    uint64_t wall_ms; /* ssekit_batch_run() only: the batch's duration */
} ssekit_batch_summary;

/* Runs requests[0..n) on `client`, at most `concurrency` streams at once (0:
 * all at once), within `deadline_ms` (<= 0: none), and stores each outcome in
 * results[i] (the array is overwritten, n items). When `summary` is not NULL
 * it receives ssekit_batch_summarize() of the results plus wall_ms. Returns
 * SSEKIT_OK once every item has its outcome, whatever the outcomes;
 * SSEKIT_E_INVALID (NULL client, or NULL requests/results with n > 0);
 * SSEKIT_E_STATE (from a callback); SSEKIT_E_NOMEM (nothing was run, or,
 * after every item has its outcome, the summary could not be made);
 * SSEKIT_E_IO when the client's multi handle fails (the items not finished
 * then fail with that status). In every case but E_INVALID and E_STATE the
 * results must be freed with ssekit_batch_items_free(). */
int ssekit_batch_run(ssekit_client *client, const ssekit_request *requests, size_t n,
                     unsigned concurrency, long deadline_ms, ssekit_batch_item *results,
                     ssekit_batch_summary *summary);

/* Computes the summary of results[0..n) (wall_ms = 0). Needs scratch memory
 * from `alloc` (NULL: libc's). Returns SSEKIT_OK, SSEKIT_E_INVALID or
 * SSEKIT_E_NOMEM. */
int ssekit_batch_summarize(const ssekit_batch_item *results, size_t n, ssekit_batch_summary *out,
                           const ssekit_alloc_funcs *alloc);

/* Frees the strings of results[0..n) (allocated by `client`'s allocator)
 * and zeroes the items. */
void ssekit_batch_items_free(ssekit_client *client, ssekit_batch_item *results, size_t n);

#ifdef __cplusplus
}
#endif

#endif
