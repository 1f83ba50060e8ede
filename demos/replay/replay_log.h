/* Private to the replay server: the request log (a ring of the last N
 * requests, readable from any thread) and the per-key request counts behind
 * `attempt` and `times=K`. */
#ifndef SSEKIT_REPLAY_LOG_H
#define SSEKIT_REPLAY_LOG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "replay.h"
#include "replay_http.h"

/* Distinct keys remembered; past it the oldest key is forgotten. */
#define RP_LOG_MAX_KEYS 4096u

typedef struct rp_key {
    char *key;
    uint64_t count;
} rp_key;

typedef struct rp_log {
    pthread_mutex_t mu;
    const ssekit_alloc_funcs *a;
    ssekit_replay_request **ring; /* slot (seq - 1) % cap */
    unsigned cap;
    uint64_t next_seq;  /* the seq of the next entry */
    uint64_t first_seq; /* the oldest seq that may still be in the ring */
    rp_key *keys;
    size_t n_keys;
} rp_log;

/* What one log entry is made of; copied (headers redacted, body capped). */
typedef struct rp_log_input {
    const char *method, *path, *query;
    const rp_header *headers;
    size_t n_headers;
    const char *last_event_id, *key, *transcript, *fault;
    const char *body;
    size_t body_len;
    uint64_t t_ms, attempt;
    int fault_applied, status;
} rp_log_input;

int rp_log_init(rp_log *log, const ssekit_alloc_funcs *a, unsigned cap);
void rp_log_free(rp_log *log);

/* Counts one more request for `key` and returns the count (1 for the first).
 * Returns 0 when memory runs out. */
uint64_t rp_log_count_key(rp_log *log, const char *key);

/* Appends an entry (end "open" when the status is 200 and a stream follows,
 * else "complete") and returns its seq, or 0 when memory runs out. */
uint64_t rp_log_add(rp_log *log, const rp_log_input *in, int streaming);

/* Updates the entry `seq` if it is still in the ring. `end` is a static
 * string or NULL to leave it. */
void rp_log_update(rp_log *log, uint64_t seq, uint64_t events, const char *end);

ssekit_replay_request *rp_log_snapshot(rp_log *log, size_t *count);

/* The log as JSON (docs/replay.md), only the entries with key `key` when it
 * is not NULL. A NUL-terminated string from the log's allocator, or NULL. */
char *rp_log_json(rp_log *log, const char *key);

void rp_log_clear(rp_log *log);

#endif
