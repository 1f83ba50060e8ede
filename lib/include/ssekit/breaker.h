/* ssekit — a circuit breaker per host (scheme + host + port).
 *
 * After `threshold` consecutive failures of requests to one host (transport
 * errors, timeouts, HTTP 5xx, 429) the host's circuit opens: requests to it
 * are refused at once until `cooldown_ms` has passed. Then it is half-open:
 * one request (the probe) may go; a success closes the circuit, a failure
 * opens it for another cool-down. Should the probe never report (its stream
 * was freed), another probe is allowed after one more cool-down.
 *
 * The decisions are pure: the caller passes the time (a monotonic clock in
 * ms), so the breaker can be tested with a fake clock.
 *
 *     ssekit_breaker *b = ssekit_breaker_new(5, 30000, NULL);
 *     char host[SSEKIT_BREAKER_KEY_MAX];
 *     ssekit_breaker_key(url, host, sizeof host);
 *     if (ssekit_breaker_allow(b, host, now_ms, NULL) == SSEKIT_OK) {
 *         int ok = do_request();
 *         ssekit_breaker_report(b, host, ok, now_ms);
 *     }
 *
 * On a client (ssekit_client_set_breaker()): every request of every stream
 * asks first; a refused stream ends with an ERROR event of category
 * TRANSPORT, status SSEKIT_E_IO, message "circuit open". A request counts as
 * a success when its response opens an event stream (the OPEN event), as a
 * failure when it ends with a transport error, a timeout, HTTP 5xx or 429;
 * other outcomes (4xx, schema errors, cancel) do not count either way.
 *
 * Memory is bounded: at most SSEKIT_BREAKER_MAX_HOSTS hosts are tracked; past
 * that a healthy (closed, no failures) host's entry is reused, else the
 * least recently used one.
 *
 * Threads: a breaker is not locked; use one from one thread at a time.
 */
#ifndef SSEKIT_BREAKER_H
#define SSEKIT_BREAKER_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SSEKIT_BREAKER_DEFAULT_THRESHOLD 5u
#define SSEKIT_BREAKER_DEFAULT_COOLDOWN_MS 30000u
#define SSEKIT_BREAKER_MAX_HOSTS 256u
/* Host keys are cut to this size, NUL included. */
#define SSEKIT_BREAKER_KEY_MAX 256u

typedef struct ssekit_breaker ssekit_breaker;

typedef enum ssekit_breaker_state {
    SSEKIT_BREAKER_CLOSED = 0, /* requests go */
    SSEKIT_BREAKER_OPEN,       /* requests are refused until the cool-down ends */
    SSEKIT_BREAKER_HALF_OPEN   /* one probe may go */
} ssekit_breaker_state;

/* Creates a breaker: open after `threshold` consecutive failures (0: the
 * default), for `cooldown_ms` (0: the default). `alloc` (NULL: libc's) is
 * copied. Returns NULL when memory runs out. Free with ssekit_breaker_free(). */
ssekit_breaker *ssekit_breaker_new(unsigned threshold, uint64_t cooldown_ms,
                                   const ssekit_alloc_funcs *alloc);

/* Frees the breaker. NULL is a no-op. */
void ssekit_breaker_free(ssekit_breaker *b);

/* Writes the breaker key of `url` ("scheme://host:port", lower case, the
 * default port filled in: 80 for http, 443 for https) into key[0..cap),
 * NUL-terminated and cut to fit. Returns SSEKIT_OK, or SSEKIT_E_INVALID
 * when url has no "scheme://" or cap is 0. */
int ssekit_breaker_key(const char *url, char *key, size_t cap);

/* May a request to `key` go at `now_ms`? Returns SSEKIT_OK (closed, or
 * half-open and this request is the probe; also an unknown host, which is
 * tracked from its first failure on), SSEKIT_E_CIRCUIT_OPEN (open, or
 * half-open with a probe already out; *wait_ms, when not NULL, gets the ms
 * until the next request may go) or SSEKIT_E_INVALID. Never allocates. */
int ssekit_breaker_allow(ssekit_breaker *b, const char *key, uint64_t now_ms, uint64_t *wait_ms);

/* Reports a request's outcome: `ok` non-zero for a success (closes the
 * circuit, clears the count), zero for a failure (counts; opens the circuit
 * at the threshold or when the probe failed). Unknown hosts are tracked from
 * their first failure on. Returns SSEKIT_OK, SSEKIT_E_INVALID or
 * SSEKIT_E_NOMEM. */
int ssekit_breaker_report(ssekit_breaker *b, const char *key, int ok, uint64_t now_ms);

/* The state of `key` at `now_ms` (an open circuit whose cool-down has passed
 * reads as half-open; unknown hosts read as closed). */
ssekit_breaker_state ssekit_breaker_get(const ssekit_breaker *b, const char *key, uint64_t now_ms);

/* With `enable` non-zero, gives the client a circuit breaker per host with
 * this threshold and cool-down (0: the defaults), replacing any earlier one
 * (its counts are lost); with `enable` 0, removes it. Off by default.
 * Returns SSEKIT_OK, SSEKIT_E_INVALID, SSEKIT_E_NOMEM or SSEKIT_E_STATE
 * (from a callback). */
int ssekit_client_set_breaker(ssekit_client *c, int enable, unsigned threshold,
                              uint64_t cooldown_ms);

/* The client's breaker (NULL when none), owned by the client: to read its
 * state with ssekit_breaker_get(). Valid until the next
 * ssekit_client_set_breaker() or ssekit_client_free(). */
const ssekit_breaker *ssekit_client_breaker(const ssekit_client *c);

#ifdef __cplusplus
}
#endif

#endif
