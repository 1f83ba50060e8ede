/* ssekit — retry policy: which failures are retried, and after how long.
 *
 * The client (client.h) asks these functions after every failed attempt; they
 * are pure (no clock, no globals: the caller passes the time and the random
 * state), so they can be tested and reused on their own.
 *
 *     ssekit_retry_policy p;
 *     ssekit_retry_policy_default(&p);
 *     uint64_t rng = 42, wait_ms;
 *     if (ssekit_retry_classify_status(503) != SSEKIT_RETRY_NEVER)
 *         wait_ms = ssekit_retry_delay(&p, 1, 0, &rng);   // first retry
 *
 * Backoff is exponential with "full jitter": retry number n (1-based) waits a
 * uniformly random time in [0, min(max_delay_ms, base_delay_ms * 2^(n-1))].
 * A server's Retry-After is a floor: the wait is never shorter than it.
 *
 * Threads: every function is reentrant; a random state must not be shared
 * between threads without a lock.
 */
#ifndef SSEKIT_RETRY_H
#define SSEKIT_RETRY_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SSEKIT_RETRY_DEFAULT_MAX_RETRIES 3u
#define SSEKIT_RETRY_DEFAULT_BASE_DELAY_MS 500u
#define SSEKIT_RETRY_DEFAULT_MAX_DELAY_MS 30000u
/* A Retry-After longer than this is not waited for: the request fails with
 * the rate-limited error (carrying the Retry-After) instead. */
#define SSEKIT_RETRY_DEFAULT_MAX_RETRY_AFTER_MS 120000u

typedef struct ssekit_retry_policy {
    unsigned max_retries;        /* retries after the first attempt (0: none) */
    uint64_t base_delay_ms;      /* cap of the first retry's jitter window */
    uint64_t max_delay_ms;       /* largest jitter window */
    uint64_t max_retry_after_ms; /* longest Retry-After honoured (see above) */
} ssekit_retry_policy;

/* Fills *p with the defaults above. */
void ssekit_retry_policy_default(ssekit_retry_policy *p);

/* How an HTTP status is treated. */
typedef enum ssekit_retry_class {
    SSEKIT_RETRY_NEVER = 0,       /* a final answer: 2xx, 3xx, 400, 401, 403, 404, 422, ... */
    SSEKIT_RETRY_SERVER = 1,      /* 500, 502, 503, 504, 529 (Anthropic "overloaded") */
    SSEKIT_RETRY_RATE_LIMITED = 2 /* 429 */
} ssekit_retry_class;

/* Classifies an HTTP status (see ssekit_retry_class). Only the listed codes
 * are retried; every other status, known or not, is SSEKIT_RETRY_NEVER. */
ssekit_retry_class ssekit_retry_classify_status(int http_status);

/* The jitter window of retry number `attempt` (1-based; 0 is treated as 1):
 * min(max_delay_ms, base_delay_ms * 2^(attempt-1)), without overflow. */
uint64_t ssekit_retry_backoff_cap(const ssekit_retry_policy *p, unsigned attempt);

/* The wait before retry number `attempt`: a uniformly random value in
 * [0, ssekit_retry_backoff_cap()] drawn from *rng, raised to
 * `retry_after_ms` when that is larger (pass 0 when the server gave none).
 * `rng` is the state of ssekit_retry_random(). */
uint64_t ssekit_retry_delay(const ssekit_retry_policy *p, unsigned attempt, uint64_t retry_after_ms,
                            uint64_t *rng);

/* A small, fast pseudo-random generator (xorshift64*): advances *state and
 * returns 64 random bits. A zero state is replaced by a fixed non-zero seed.
 * Not for cryptography. */
uint64_t ssekit_retry_random(uint64_t *state);

/* Parses a Retry-After header value (`len` bytes, surrounding blanks
 * ignored): either delay-seconds (ASCII digits) or an HTTP-date in any of the
 * three forms of RFC 9110 (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT",
 * RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT", asctime "Sun Nov  6 08:49:37
 * 1994"). `now_unix_s` is the current time in seconds since the Unix epoch,
 * used for dates; a date in the past gives 0. On success stores the delay in
 * milliseconds in *delay_ms (saturating) and returns SSEKIT_OK; returns
 * SSEKIT_E_INVALID for anything else (the caller then ignores the header). */
int ssekit_retry_after_parse(const char *value, size_t len, int64_t now_unix_s, uint64_t *delay_ms);

#ifdef __cplusplus
}
#endif

#endif
