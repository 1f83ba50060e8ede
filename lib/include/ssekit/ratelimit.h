/* ssekit — admission control: a concurrency cap (the seeds' semaphore) and a
 * token-bucket rate limit, per client.
 *
 * The decisions are pure: the caller passes the time (any monotonic clock in
 * milliseconds), so the limiter can be tested and reused on its own.
 *
 *     ssekit_ratelimit rl;
 *     ssekit_ratelimit_init(&rl, 2, 5.0, 10, now_ms); // 2 at once, 5/s, burst 10
 *     long wait = ssekit_ratelimit_admit(&rl, now_ms);
 *     if (wait == 0) { start(); ... ; ssekit_ratelimit_release(&rl); }
 *     else if (wait > 0) retry_in(wait);   // no token yet
 *     else wait_for_a_release();           // the cap is reached
 *
 * On a client (ssekit_client_set_rate_limit()): a stream holds one slot of
 * the cap from its admission until it ends (its retries and reconnects keep
 * the slot: like `async with semaphore:` around the whole call with its
 * retries); its first request takes one token, and so does each retry and
 * reconnect (a request that finds no token waits for one). Streams not yet
 * admitted wait in FIFO order of ssekit_stream_open(): their START event
 * comes at once, their total deadline runs while they wait (a stream that
 * reaches it while waiting ends with a TIMEOUT error and never sends a
 * request), and a later stream is never admitted before an earlier one.
 *
 * Threads: a limiter is not locked; a client's limiter is used from the
 * client's thread.
 */
#ifndef SSEKIT_RATELIMIT_H
#define SSEKIT_RATELIMIT_H

#include <stdint.h>

#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A limiter. The fields are the limiter's state: read them, do not write
 * them (use the functions). */
typedef struct ssekit_ratelimit {
    unsigned max_concurrent; /* slots; 0: no cap */
    unsigned in_flight;      /* slots taken */
    double rate;             /* tokens added per second; <= 0: no rate limit */
    double burst;            /* the bucket's size (at least 1 when rate > 0) */
    double tokens;           /* tokens in the bucket now */
    uint64_t last_ms;        /* when `tokens` was last brought up to date */
} ssekit_ratelimit;

/* Sets up *rl: at most `max_concurrent` admitted at once (0: no cap), and on
 * average `rate_per_s` admissions per second (<= 0: no rate limit) with bursts
 * of up to `burst` (0: 1). The bucket starts full and no slot is taken; *rl
 * needs no initialisation before (every field is set). */
void ssekit_ratelimit_init(ssekit_ratelimit *rl, unsigned max_concurrent, double rate_per_s,
                           unsigned burst, uint64_t now_ms);

/* Asks to admit one request at `now_ms` (which must not go backwards).
 * Returns 0 when admitted (a slot and a token were taken), a positive number
 * of ms until a token will be there (nothing taken), or -1 when every slot is
 * taken (nothing taken; try again after a release). */
long ssekit_ratelimit_admit(ssekit_ratelimit *rl, uint64_t now_ms);

/* Takes one token for a request that already holds its slot (a retry or a
 * reconnect). Returns 0 when taken, or the ms until a token will be there
 * (nothing taken). */
long ssekit_ratelimit_take(ssekit_ratelimit *rl, uint64_t now_ms);

/* Gives back the slot taken by ssekit_ratelimit_admit(). Extra releases are
 * ignored. */
void ssekit_ratelimit_release(ssekit_ratelimit *rl);

/* Limits the client's streams (see the top of this file): at most
 * `max_concurrent` streams admitted at once (0: no cap) and `rate_per_s`
 * requests per second with bursts of `burst` (rate <= 0: no rate limit).
 * Applies to streams not yet admitted; streams already running keep their
 * slots. Returns SSEKIT_OK, SSEKIT_E_INVALID (NULL client) or SSEKIT_E_STATE
 * (from a callback). */
int ssekit_client_set_rate_limit(ssekit_client *c, unsigned max_concurrent, double rate_per_s,
                                 unsigned burst);

/* The number of the client's streams waiting for admission. */
size_t ssekit_client_waiting(const ssekit_client *c);

#ifdef __cplusplus
}
#endif

#endif
