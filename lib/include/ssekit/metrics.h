/* ssekit — per-client counters and latency histograms, and their export in
 * the Prometheus text format (version 0.0.4).
 *
 *     ssekit_metrics m;
 *     ssekit_client_metrics(client, &m);
 *     printf("p95 total: %llu ms\n",
 *            (unsigned long long)ssekit_histogram_quantile(&m.total, 0.95));
 *     char *text; size_t len;
 *     if (ssekit_metrics_prometheus(&m, "ssekit", &text, &len, NULL) == SSEKIT_OK) {
 *         fwrite(text, 1, len, out);
 *         free(text);                      // the allocator's free
 *     }
 *
 * What is counted, from the moment the client was created: streams opened,
 * HTTP requests sent (first requests, retries and reconnects), retries,
 * reconnects, SSE events delivered, response body bytes received, streams
 * ended well and failed (by error category), tokens (the usage of each
 * stream's DONE event), and two latency histograms per stream, both measured
 * from ssekit_stream_open() (so they include waiting for admission and
 * retries): time to first token (the first DELTA of a decode stream, the
 * first SSE event of a raw one) and total (to the DONE or ERROR event).
 *
 * Threads: a snapshot is a plain struct, owned by the caller.
 */
#ifndef SSEKIT_METRICS_H
#define SSEKIT_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "alloc.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The upper bounds of the histogram buckets, in ms (a last bucket, +Inf,
 * follows): 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
 * 60000, 120000, 300000. */
#define SSEKIT_METRICS_BUCKETS 15u
extern const uint64_t ssekit_metrics_bucket_ms[SSEKIT_METRICS_BUCKETS];

/* A latency histogram in ms. bucket[i] counts the observations <= bound i
 * and > bound i-1 (not cumulative); bucket[SSEKIT_METRICS_BUCKETS] counts
 * those above the last bound. */
typedef struct ssekit_histogram {
    uint64_t count;
    uint64_t sum_ms;
    uint64_t max_ms;
    uint64_t bucket[SSEKIT_METRICS_BUCKETS + 1];
} ssekit_histogram;

/* Error categories are indexed by ssekit_error_category (0 unused). */
#define SSEKIT_METRICS_CATEGORIES 8u

typedef struct ssekit_metrics {
    uint64_t streams;    /* streams opened */
    uint64_t requests;   /* HTTP requests sent */
    uint64_t retries;    /* RETRY events */
    uint64_t reconnects; /* RECONNECT events */
    uint64_t events;     /* SSE events delivered (after duplicate suppression) */
    uint64_t bytes;      /* response body bytes received (error bodies too) */
    uint64_t done;       /* streams that ended with DONE */
    uint64_t failed;     /* streams that ended with ERROR */
    uint64_t errors[SSEKIT_METRICS_CATEGORIES]; /* ERROR events by category */
    uint64_t input_tokens, output_tokens, total_tokens;
    ssekit_histogram ttft;  /* open to first token */
    ssekit_histogram total; /* open to DONE / ERROR */
} ssekit_metrics;

/* Adds one observation of `ms` to *h. */
void ssekit_histogram_observe(ssekit_histogram *h, uint64_t ms);

/* Estimates the q-quantile (0 < q <= 1, e.g. 0.95) of *h in ms, by linear
 * interpolation inside the bucket that holds it (the +Inf bucket reads as
 * max_ms); never more than max_ms. Returns 0 for an empty histogram. */
uint64_t ssekit_histogram_quantile(const ssekit_histogram *h, double q);

/* Copies the client's counters into *out (a snapshot). Returns SSEKIT_OK or
 * SSEKIT_E_INVALID. */
int ssekit_client_metrics(const ssekit_client *c, ssekit_metrics *out);

/* Writes *m in the Prometheus text format: for each metric a `# HELP` and a
 * `# TYPE` line, then its samples; counters end in `_total`, histograms have
 * `_bucket{le="..."}` (cumulative, in seconds, ending with le="+Inf"),
 * `_sum` (seconds) and `_count`. Metric names start with `prefix` and '_'
 * (NULL: "ssekit"; it must match [a-zA-Z_:][a-zA-Z0-9_:]*). Stores a
 * NUL-terminated string allocated with `alloc` (NULL: libc's) in *out and
 * its length in *len (may be NULL); free it with that allocator. Returns
 * SSEKIT_OK, SSEKIT_E_INVALID (NULL argument, bad prefix) or SSEKIT_E_NOMEM. */
int ssekit_metrics_prometheus(const ssekit_metrics *m, const char *prefix, char **out, size_t *len,
                              const ssekit_alloc_funcs *alloc);

/* --- audit ------------------------------------------------------------------
 *
 * An optional audit trail per client: JSON lines, one object per line, each
 * with "ts" (Unix time in ms), "type" and "stream" (1, 2, ... in the order
 * the client's streams were opened):
 *
 *   {"type": "request", "attempt": N, "method", "url", "headers": ["Name:
 *    value", ...], "body": "..."}            every HTTP request sent
 *   {"type": "event", "event", "id", "data"} every SSE event delivered (only
 *                                            with SSEKIT_AUDIT_EVENTS)
 *   {"type": "result", "ok": true, "value": JSON | "text": "...",
 *    "finish_reason", "usage": {...}}        a stream's DONE
 *   {"type": "result", "ok": false, "error": {"category", "status",
 *    "http_status", "message", "raw"}}        a stream's ERROR
 *
 * Secrets never reach the file: the values of the headers Authorization,
 * Proxy-Authorization, x-api-key, api-key, x-goog-api-key and Cookie are
 * written as "[redacted]", and so are a URL's user:password and the values
 * of its query parameters key, api_key, apikey, access_token and token.
 * Each record is written with one fwrite() and flushed, so a crash loses at
 * most the record being written. Write errors are counted, not reported. */

#define SSEKIT_AUDIT_EVENTS 1u /* flag: also one record per SSE event */

/* Appends the client's audit records to the file at `path` (created when
 * missing, opened in append mode and closed by the client), replacing any
 * earlier audit target; NULL path: no audit. `flags`: SSEKIT_AUDIT_EVENTS
 * or 0. Returns SSEKIT_OK, SSEKIT_E_INVALID, SSEKIT_E_IO (cannot open) or
 * SSEKIT_E_STATE (from a callback). */
int ssekit_client_set_audit(ssekit_client *c, const char *path, unsigned flags);

/* The same with a stream the caller opened and keeps owning (it must stay
 * open until the audit is replaced or the client freed); NULL: no audit. */
int ssekit_client_set_audit_file(ssekit_client *c, FILE *f, unsigned flags);

/* The number of audit records that could not be written (I/O error or no
 * memory). */
uint64_t ssekit_client_audit_errors(const ssekit_client *c);

#ifdef __cplusplus
}
#endif

#endif
