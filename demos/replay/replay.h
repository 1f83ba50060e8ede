/* ssekit replay — an embeddable HTTP/1.1 server that replays recorded SSE
 * transcripts as the OpenAI chat, Anthropic Messages and OpenAI Responses
 * streaming endpoints, plus raw SSE with event IDs, with fault injection
 * chosen per request. It is the upstream of the tests, the demos and the
 * bridge's browser tests; docs/replay.md describes the endpoints, the fault
 * list and the request log exactly.
 *
 *     ssekit_replay_options o = {0};            // every zero field = default
 *     ssekit_replay *srv = ssekit_replay_start(&o);
 *     ... talk to ssekit_replay_url(srv) ...
 *     size_t n;
 *     ssekit_replay_request *log = ssekit_replay_requests(srv, &n);
 *     ... assert on log[0..n) ...
 *     ssekit_replay_requests_free(log);
 *     ssekit_replay_stop(srv);
 *
 * The server runs on its own thread (one poll(2) loop, non-blocking sockets)
 * from ssekit_replay_start() to ssekit_replay_stop(). Threads: every function
 * here may be called from any thread, but ssekit_replay_stop() must be the
 * last call on a server and must not race with other calls on it.
 */
#ifndef SSEKIT_REPLAY_H
#define SSEKIT_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults of the limits (each has a field in ssekit_replay_options). */
#define SSEKIT_REPLAY_DEFAULT_MAX_CONNS 4096u               /* open connections; more get 503 */
#define SSEKIT_REPLAY_DEFAULT_MAX_HEADER ((size_t)16 << 10) /* request head bytes; 431 */
#define SSEKIT_REPLAY_DEFAULT_MAX_HEADERS 100u              /* header lines; 431 */
#define SSEKIT_REPLAY_DEFAULT_MAX_BODY ((size_t)1 << 20)    /* request body bytes; 413 */
/* Response bytes queued for one client that does not read (paced streams only:
 * an unpaced stream is produced only as fast as the socket takes it). A client
 * past it is disconnected; its log entry ends as "backlog". */
#define SSEKIT_REPLAY_DEFAULT_MAX_BACKLOG ((size_t)256 << 10)
#define SSEKIT_REPLAY_DEFAULT_MAX_LOG 512u /* request log entries kept (a ring) */
/* A request must arrive whole within this time of its first byte (or of the
 * end of the previous response on a kept-alive connection); else the
 * connection is closed. */
#define SSEKIT_REPLAY_DEFAULT_REQUEST_TIMEOUT_MS 30000u
/* Bytes of a request body kept in its log entry (the rest is cut and
 * body_truncated set), so the log stays bounded: MAX_LOG x this. */
#define SSEKIT_REPLAY_LOG_BODY_MAX ((size_t)64 << 10)

typedef struct ssekit_replay ssekit_replay;

/* Options for ssekit_replay_start(). Zero-initialise it: every zero field
 * means its default. The struct and its strings are only read during the
 * call. */
typedef struct ssekit_replay_options {
    const char *host;            /* address to listen on; NULL: "127.0.0.1" */
    unsigned port;               /* 0: an ephemeral port (see ssekit_replay_port) */
    const char *transcripts_dir; /* NULL: the transcripts bundled into the binary;
                                    else every DIR/NAME.sse, read once at start */
    unsigned delay_ms;           /* pacing: delay between the blocks of a stream
                                    (0: as fast as the client reads) */
    const char *api_key;         /* non-NULL: requests to the provider endpoints
                                    must carry it (`Authorization: Bearer KEY` or
                                    `x-api-key: KEY`), else 401 */
    unsigned max_conns;          /* limits; 0: the defaults above */
    size_t max_header;
    unsigned max_headers;
    size_t max_body;
    size_t max_backlog;
    unsigned max_log;
    unsigned request_timeout_ms;
    char *error;      /* when non-NULL and start fails: receives a one-line */
    size_t error_len; /* message (NUL-terminated, truncated to error_len) */
} ssekit_replay_options;

/* Binds, loads the transcripts and starts the server thread; returns once the
 * server accepts connections. Returns NULL (and a message in opts->error) when
 * the address cannot be bound, the transcripts directory cannot be read or
 * holds no valid transcript, a thread cannot be started or memory runs out.
 * `opts` may be NULL (all defaults). Stop and free with ssekit_replay_stop(). */
ssekit_replay *ssekit_replay_start(const ssekit_replay_options *opts);

/* Stops the server: closes every connection (streams in progress are cut and
 * logged as "stopped"), joins the thread and frees everything, including the
 * log. NULL is a no-op. Pointers obtained from ssekit_replay_url() die here. */
void ssekit_replay_stop(ssekit_replay *srv);

/* The port the server listens on (the one chosen when port 0 was asked). */
unsigned ssekit_replay_port(const ssekit_replay *srv);

/* The base URL, e.g. "http://127.0.0.1:40123" (no trailing slash; an IPv6
 * address in brackets). Owned by the server, valid until ssekit_replay_stop(). */
const char *ssekit_replay_url(const ssekit_replay *srv);

/* One header of a logged request, in the order received. */
typedef struct ssekit_replay_header {
    const char *name;  /* as sent */
    const char *value; /* "[redacted]" for Authorization and x-api-key */
} ssekit_replay_header;

/* One entry of the request log. Strings are NUL-terminated. */
typedef struct ssekit_replay_request {
    uint64_t seq;  /* 1, 2, ... in arrival order since start (never reused) */
    uint64_t t_ms; /* when the request was complete, in ms since start
                      (monotonic clock) */
    const char *method;
    const char *path;  /* without the query */
    const char *query; /* the raw query without '?', "" when none */
    const ssekit_replay_header *headers;
    size_t header_count;
    const char *last_event_id; /* the Last-Event-ID header, NULL when absent */
    const char *key;           /* X-Replay-Key header or key= query, NULL when absent */
    uint64_t attempt;          /* 1-based ordinal of this request among those with
                                  the same key since start or the last clear;
                                  0 without a key */
    const char *body;          /* the body (at most SSEKIT_REPLAY_LOG_BODY_MAX bytes,
                                  may contain NUL bytes), "" when none */
    size_t body_len;
    int body_truncated;
    const char *transcript; /* the transcript served, NULL when none */
    const char *fault;      /* the fault list as received (the header's, then the
                               query's, joined by ';'), NULL when none */
    int fault_applied;      /* 0 when `times=K` had run out (or no fault) */
    int status;             /* the response status */
    uint64_t events;        /* SSE events (blocks with data) sent so far */
    /* How the response ended: "open" (still going), "complete", "dropped"
     * (drop-after fault), "client-gone" (the client closed first or a write
     * failed), "backlog" (slow reader disconnected), "stopped" (server
     * stopped). A static string. */
    const char *end;
} ssekit_replay_request;

/* A snapshot of the request log, oldest first (at most max_log entries: older
 * ones were dropped). Requests to /v1/replay/... are not logged. Stores the
 * count in *count. The result is one allocation holding all strings; free it
 * with ssekit_replay_requests_free(). Returns NULL with *count = 0 when the
 * log is empty or memory runs out. */
ssekit_replay_request *ssekit_replay_requests(ssekit_replay *srv, size_t *count);

/* Frees a snapshot from ssekit_replay_requests(). NULL is a no-op. */
void ssekit_replay_requests_free(ssekit_replay_request *requests);

/* The log as the JSON array that `GET /v1/replay/requests` returns
 * (docs/replay.md). Returns a NUL-terminated string to free with free(), or
 * NULL when memory runs out. */
char *ssekit_replay_requests_json(ssekit_replay *srv);

/* Empties the log and forgets the per-key request counts (what `times=K`
 * counts), as `DELETE /v1/replay/requests` does. Sequence numbers go on. */
void ssekit_replay_requests_clear(ssekit_replay *srv);

#ifdef __cplusplus
}
#endif

#endif
