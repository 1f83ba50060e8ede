/* Private to the replay server: the server and connection structs shared by
 * replay.c (lifecycle, poll loop), replay_conn.c (one connection's I/O and
 * HTTP framing), replay_route.c (the endpoints) and replay_stream.c (playing a
 * transcript with its faults). */
#ifndef SSEKIT_REPLAY_INTERNAL_H
#define SSEKIT_REPLAY_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "alloc_internal.h"
#include "buffer.h"
#include "replay.h"
#include "replay_fault.h"
#include "replay_http.h"
#include "replay_log.h"
#include "replay_transcript.h"

/* An unpaced stream is produced only while fewer bytes than this wait for
 * the socket, so a client that reads slowly slows the stream down. */
#define RP_WATERMARK ((size_t)16 << 10)
/* After an error response the connection is closed gracefully: our side is
 * shut down and what the client still sends is read and dropped for at most
 * this long (so the client sees the answer, not a reset). */
#define RP_LINGER_MS 1000u
#define RP_LINGER_BYTES ((size_t)1 << 20)
#define RP_NEVER UINT64_MAX

typedef enum rp_state {
    RP_READ,   /* reading a request (head, then body) */
    RP_FIXED,  /* sending a complete response (error, health, log) */
    RP_STREAM, /* playing a transcript */
    RP_LINGER  /* our side shut down; draining the client's bytes */
} rp_state;

/* The state of one transcript being played (replay_stream.c). */
typedef struct rp_stream {
    const rp_transcript *t;
    rp_fault f;
    rp_resume resume;
    size_t block;    /* next block to consider */
    uint64_t events; /* data blocks sent */
    uint64_t steps;  /* blocks appended (the pacing clock counts these) */
    uint64_t delay_ms;
    uint64_t sched0;                   /* when step 0 was due; moved by stalls */
    uint64_t stall_start, stall_until; /* stall in progress (until = RP_NEVER: forever) */
    uint64_t next_heartbeat;
    uint64_t next_byte; /* bytewise: when the next byte may go */
    int assign_ids;     /* raw endpoint, transcript without IDs: `id: N` */
    int stalled, garbage_done, retry_sent, finished;
    int end_logged; /* the log already says how it ends */
} rp_stream;

typedef struct rp_conn {
    int fd;
    rp_state state;
    sk_buf in; /* received, not yet consumed: in.p[in_off..in.len) */
    size_t in_off, head_scan;
    sk_buf out; /* wire bytes to send: out.p[out_off..out.len) */
    size_t out_off;
    sk_buf body; /* stream body bytes not yet framed (bytewise) */
    size_t body_off;
    uint64_t deadline; /* request or linger deadline; RP_NEVER when none */
    size_t lingered;   /* bytes dropped while lingering */
    rp_request req;
    int have_head;     /* req holds a parsed head; waiting for its body */
    int continue_sent; /* 100 Continue was sent */
    /* the response */
    int status;
    int chunked;    /* Transfer-Encoding: chunked (else Connection: close) */
    int keep_alive; /* read another request after this response */
    int abrupt;     /* drop: close without the final chunk */
    int terminated; /* the final chunk was queued */
    uint64_t seq;   /* log entry of the request being answered (0: none) */
    rp_stream st;
    uint64_t wake; /* next timer of this connection; RP_NEVER when none */
    int closed;    /* to be removed by the loop */
} rp_conn;

struct ssekit_replay {
    ssekit_alloc_funcs a;
    /* settings */
    unsigned delay_ms;
    char *api_key;
    unsigned max_conns, max_headers, max_log, request_timeout_ms;
    size_t max_header, max_body, max_backlog;
    /* state */
    rp_transcripts ts;
    rp_log log;
    int lfd;
    int wake[2];
    pthread_t thread;
    unsigned port;
    char url[96];
    uint64_t t0;
    rp_conn **conns;
    size_t n_conns;
    uint64_t accept_paused_until;
};

/* Milliseconds of the monotonic clock. */
uint64_t rp_now_ms(void);

/* --- replay_conn.c ------------------------------------------------------- */

rp_conn *rp_conn_new(ssekit_replay *srv, int fd, uint64_t now);
void rp_conn_free(ssekit_replay *srv, rp_conn *c);
/* Reads what the socket has (POLLIN). */
void rp_conn_read(ssekit_replay *srv, rp_conn *c);
/* Moves the connection as far as it can go now: parses requests, produces
 * stream bytes, writes, ends responses; sets c->wake and c->closed. */
void rp_conn_step(ssekit_replay *srv, rp_conn *c, uint64_t now);
/* The poll(2) events the connection waits for. */
short rp_conn_events(const ssekit_replay *srv, const rp_conn *c);
/* Ends a response early: logs `end`, closes the socket. */
void rp_conn_abort(ssekit_replay *srv, rp_conn *c, const char *end);

/* Queues a complete response (Content-Length framing). `extra` holds more
 * header lines, each ending in CRLF, or is NULL. */
int rp_conn_respond(ssekit_replay *srv, rp_conn *c, int status, const char *content_type,
                    const char *extra, const char *body, size_t len);
/* Queues the head of a stream response and enters RP_STREAM. */
int rp_conn_stream_head(ssekit_replay *srv, rp_conn *c, const char *content_type);
/* Appends bytes to the response body (framed later). */
int rp_conn_body(ssekit_replay *srv, rp_conn *c, const char *p, size_t n);

/* --- replay_route.c ------------------------------------------------------ */

/* Answers the complete request in c->req (logs it, queues the response). */
void rp_route(ssekit_replay *srv, rp_conn *c, uint64_t now);
/* Queues an error response for a request that could not be parsed (400,
 * 411, 413, 431, 505) and closes after it. */
void rp_route_bad_request(ssekit_replay *srv, rp_conn *c, int status, uint64_t now);

/* --- replay_stream.c ----------------------------------------------------- */

/* Starts playing t on c (the head is queued by the caller). `raw`: the raw
 * endpoint (IDs assigned to a transcript without any, resume after
 * last_event_id). */
void rp_stream_start(ssekit_replay *srv, rp_conn *c, const rp_transcript *t, const rp_fault *f,
                     int raw, const char *last_event_id, uint64_t now);
/* Appends what is due by `now` to the body; sets st.finished at the end of
 * the transcript (or at a drop), lowers c->wake to its next timer, or
 * disconnects a client whose backlog passed the limit. Returns 1 when it
 * stopped only because RP_WATERMARK bytes wait for the socket. */
int rp_stream_advance(ssekit_replay *srv, rp_conn *c, uint64_t now);

#endif
