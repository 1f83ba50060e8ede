/* Private: the structs behind ssekit_client and ssekit_stream, shared by
 * client.c (the multi handle and the loop) and stream.c (one transfer, its
 * parser, its event queue and its retry decisions). */
#ifndef SSEKIT_CLIENT_INTERNAL_H
#define SSEKIT_CLIENT_INTERNAL_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include "buffer.h"
#include "ssekit/breaker.h"
#include "ssekit/client.h"
#include "ssekit/metrics.h"
#include "ssekit/ratelimit.h"
#include "ssekit/result.h"
#include "ssekit/sse_parser.h"

/* A queued event: one allocation holding the links, the event and its
 * strings (right after the struct). */
typedef struct sk_qevent {
    struct sk_qevent *s_next;          /* the stream's queue */
    struct sk_qevent *c_prev, *c_next; /* the client's production order */
    size_t size;
    ssekit_event ev;
} sk_qevent;

typedef enum sk_state {
    SK_WAITING, /* a request is due at wake_ms (first, retry, reconnect) */
    SK_ACTIVE,  /* a transfer is on the multi handle */
    SK_ENDED    /* DONE or ERROR was produced */
} sk_state;

struct ssekit_stream {
    ssekit_client *client;
    struct ssekit_stream *prev, *next; /* the client's streams */

    /* the request, copied */
    char *method, *url, *body, *initial_id;
    size_t body_len;
    char **headers;
    size_t header_count;
    int decode;
    ssekit_provider provider;
    const ssekit_schema *schema;
    int reconnect;
    uint64_t reconnect_ms;
    unsigned max_reconnects;
    ssekit_retry_policy retry;
    long connect_timeout_ms, first_byte_timeout_ms, idle_timeout_ms, total_timeout_ms;
    unsigned max_queue;
    size_t max_queue_bytes;
    unsigned filter;
    ssekit_event_cb callback;
    void *user;
    unsigned progress_per_sec, progress_max_tokens;
    ssekit_limits limits; /* as given (0: default); applied per request */

    /* progress (stream.c): the highest percent sent, when, and the bytes of
     * text seen (for the estimate without a schema) */
    unsigned progress_last;
    int progress_sent;
    uint64_t progress_t, progress_bytes;
    int64_t progress_tokens;

    /* the transfer */
    sk_state state;
    CURL *easy;
    struct curl_slist *slist;
    ssekit_sse_parser *parser;
    ssekit_result *result;
    uint64_t t_open, t_attempt, t_last_byte, wake_ms;
    int got_headers, streaming, got_byte, paused;
    /* curl_easy_pause(CONT) failed (the held bytes could not be taken): the
     * next timer walk ends the transfer with this code; 0: none */
    int resume_failed;
    int http_status;
    int has_retry_after;
    uint64_t retry_after_ms;
    sk_buf ctype, errbody, scratch;
    unsigned requests, retries, reconnects, reconnects_in_row;
    uint64_t attempt_events;  /* SSE events delivered by this request */
    uint64_t server_retry_ms; /* the stream's `retry` field, 0: none */
    sk_buf last_id;           /* ID of the last dispatched event */
    int has_last_id;
    int fatal; /* an allocation failed while feeding */
    /* a peer exceeded one of `limits`: its error, and the message naming
     * it; the transfer is stopped and the stream fails (stream.c) */
    int limit_status;
    char limit_msg[160];
    /* Kept for the stream's last event: when the DONE or ERROR that ends
     * the stream cannot be copied, this block carries an ERROR with status
     * SSEKIT_E_NOMEM instead, so the end is never lost (stream.c). */
    struct sk_qevent *reserve;

    /* duplicate suppression after a reconnect: a ring of ID hashes, only
     * for streams that reconnect (allocated with the stream) */
    uint64_t *seen;
    size_t seen_n, seen_pos;
    uint64_t prev_id;
    int prev_id_set;

    /* the event queue */
    sk_qevent *q_head, *q_tail, *current;
    size_t q_len, q_bytes;

    /* policy and accounting (ratelimit.c, breaker.c, metrics.c, audit.c) */
    struct ssekit_stream *adm_next; /* the client's admission FIFO */
    int adm_state;                  /* SK_ADM_* */
    uint64_t seq;                   /* 1, 2, ... per client (audit records) */
    int got_token;                  /* the first token was timed */
};

enum { SK_ADM_NONE, SK_ADM_QUEUED, SK_ADM_ADMITTED };

/* Admission, breaker, metrics and audit state of a client. */
typedef struct sk_policy {
    ssekit_ratelimit limit;
    int limited;
    ssekit_stream *adm_head, *adm_tail;
    size_t adm_len;
    ssekit_breaker *breaker;
    ssekit_metrics metrics;
    FILE *audit;
    int audit_own;
    unsigned audit_flags;
    uint64_t audit_errors;
    uint64_t seq;
} sk_policy;

/* The adaptive read-coalescing window (client.c): every period_ms the
 * client estimates the reads per second it would service without a window
 * and opens, widens, narrows or closes the window. The thresholds are
 * fields so that tests can lower them. */
typedef struct sk_coalesce_auto {
    uint64_t period_ms;
    uint64_t open_rate;  /* reads/s that open a window (from 0) */
    uint64_t close_rate; /* below this an open window closes */
    uint64_t full_rate;  /* reads/s that give max_ms; linear below */
    long min_ms, max_ms; /* an open window's bounds */
    size_t min_sockets;  /* fewer sockets read in a period: no window */
    uint64_t bulk_bytes; /* reads averaging this many bytes: no window */
    /* the period being measured */
    uint64_t t0, serviced0, bytes0, events0;
    uint32_t epoch; /* a socket read this period has it in its slot */
    size_t sockets; /* distinct sockets read this period */
    /* SSE events per read in 1/16, at least 16, last measured without a
     * window (0: not yet): while one is open the rate without it is
     * estimated from the events */
    uint64_t base_epr16;
    uint64_t rate;    /* the last estimate, reads/s without a window */
    unsigned changes; /* how often the window changed (tests) */
} sk_coalesce_auto;

struct ssekit_client {
    ssekit_alloc_funcs a;
    CURLM *multi;
    ssekit_stream *streams, *streams_tail; /* oldest first */
    /* Queued events in production order: of callback streams (o_), which
     * dispatch() hands out, and of pulled streams (p_), whose head is what
     * ssekit_client_next() returns. A stream's events are in one list only. */
    sk_qevent *o_head, *o_tail;
    sk_qevent *p_head, *p_tail;
    size_t active;      /* streams not ended */
    size_t pull_active; /* of which without a callback (pulled) */
    size_t cb_queued;   /* queued events of callback streams */
    int in_callback;
    uint64_t rng;
    sk_policy pol;

    /* the loop (client.c): curl's multi-socket API over an epoll set, so a
     * step costs what is ready, not what is open */
    int epfd;          /* -1: no epoll here, curl_multi_poll() instead */
    uint64_t curl_due; /* curl's timer, UINT64_MAX: none */
    /* The streams' timers are walked only when the earliest deadline found
     * by the last walk is due, or when something may have moved a deadline
     * earlier (sk_client_timers_changed). */
    uint64_t timers_due; /* UINT64_MAX: none */
    int timers_dirty;

    /* Read coalescing (client.c, epoll only): a socket that was read stays
     * out of the epoll set (EPOLLONESHOT) for coalesce_ms, so that the next
     * read takes everything that arrived meanwhile in one go. */
    long coalesce_mode; /* the setting: > 0 fixed, 0 off, < 0 adaptive */
    long coalesce_ms;   /* the window in effect, 0: none */
    /* First-byte and idle deadlines are extended by 2 * coalesce_slack_ms
     * (stream.c): the window in effect, or after it narrowed the old one
     * until slack_until (when every socket parked under it has been armed
     * again and read); 0: no narrowing pending. */
    long coalesce_slack_ms;
    uint64_t slack_until;
    sk_coalesce_auto au;
    struct sk_fdslot *fds; /* by descriptor, fds_cap of them */
    size_t fds_cap;
    size_t parked;       /* descriptors waiting to be re-armed */
    uint64_t parked_due; /* the earliest re-arm time, UINT64_MAX: none */
    uint64_t serviced;   /* sockets epoll found ready (tests, benchmarks) */

    /* ssekit_client_wakeup(), from any thread: `woken` makes a blocking
     * run()/next() return; `wakefd` (an eventfd in the epoll set, -1 when
     * none) interrupts the wait, curl_multi_wakeup() does it without epoll. */
    int wakefd;
    atomic_int woken;
};

/* Monotonic milliseconds. */
uint64_t sk_now_ms(void);

/* stream.c */
void sk_stream_start(ssekit_stream *s, uint64_t now);
void sk_stream_transfer_done(ssekit_stream *s, CURLcode code);
/* Fires s's due timers; returns the ms until its next timer, or -1. */
long sk_stream_timers(ssekit_stream *s, uint64_t now);
/* Unlinks the head of s's queue (the caller owns it) and resumes a paused
 * transfer once the queue has drained to half. */
sk_qevent *sk_stream_pop(ssekit_stream *s);
void sk_stream_destroy(ssekit_stream *s, int unlink);

/* Policy hooks, called by stream.c and client.c. ratelimit.c: */
/* A request of s is due at `now`: 0 = send it, 1 = not yet (s->wake_ms was
 * moved), -1 = refused by the circuit breaker (the caller fails s). */
int sk_policy_gate(ssekit_stream *s, uint64_t now);
/* s ends or is freed: its slot or FIFO place is given back. */
void sk_policy_release(ssekit_stream *s);
/* breaker.c: a request of s failed (category cat) or opened a stream. */
void sk_policy_outcome(ssekit_stream *s, ssekit_error_category cat, int ok);
/* metrics.c: a request goes out; an event is produced; body bytes arrived;
 * the client is freed. */
void sk_policy_request(ssekit_stream *s);
void sk_policy_event(ssekit_stream *s, const ssekit_event *ev);
void sk_policy_bytes(ssekit_stream *s, size_t n);
void sk_policy_free(ssekit_client *c);
/* audit.c */
void sk_audit_request(ssekit_stream *s);
void sk_audit_event(ssekit_stream *s, const ssekit_event *ev);
void sk_audit_close(ssekit_client *c);

/* client.c: a stream's deadline may now be earlier than the client last
 * computed (a new request, a first byte, a stream ended or scheduled a
 * retry): the next step walks every stream's timers again. Anything that
 * moves a stream's wake_ms or deadline earlier outside sk_stream_timers()
 * and the transfer callbacks must call it. */
void sk_client_timers_changed(ssekit_client *c);

/* client.c: one turn of the loop, waiting at most wait_ms (<0: no limit). */
int sk_client_step(ssekit_client *c, long wait_ms);

#endif
