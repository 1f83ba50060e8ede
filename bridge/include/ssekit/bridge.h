/* ssekit bridge — fan the events of ssekit streams out to browsers over
 * WebSocket (/v1/ws) and Server-Sent Events (GET /v1/streams/{id}/events).
 *
 * One channel per stream. Every message published on a channel gets the next
 * sequence number of that channel (1, 2, ...) and goes into the channel's
 * history ring; subscribers read the ring at their own pace, each with a
 * cursor. A subscriber that asks for messages that have left the ring, or that
 * falls too far behind, gets one coalesced "snapshot" message (text so far,
 * the partial value's patches, progress, usage, done, error) and continues
 * after it: never a silent gap. The wire protocol is in docs/bridge-protocol.md.
 *
 * Threads. libwebsockets 4.1 runs one service thread: the thread that calls
 * ssekit_bridge_run(). ssekit_bridge_publish() and ssekit_bridge_stop() may be
 * called from any thread (they copy into a mutex-protected inbox and wake the
 * service thread with lws_cancel_service()); every other function belongs to
 * the thread that created the bridge. Publishing never blocks on clients.
 * With the job API on (enable_jobs) the bridge has one more thread of its
 * own, the job worker: ssekit_bridge_new() starts it, ssekit_bridge_free()
 * stops and joins it.
 *
 * Memory. Bounded by the options: channels x (history bytes + snapshot bytes)
 * + inbox bytes + clients x (inbound message limit + one outbound write:
 * 16 KiB, or one larger message).
 * A client that does not read costs no more than one that does.
 */
#ifndef SSEKIT_BRIDGE_H
#define SSEKIT_BRIDGE_H

#include <stddef.h>

#include "ssekit/alloc.h"
#include "ssekit/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ssekit_bridge ssekit_bridge;

/* The largest history_count ssekit_bridge_new() accepts (16 Mi messages). */
#define SSEKIT_BRIDGE_MAX_HISTORY ((size_t)1 << 24)

/* Every field has a default (ssekit_bridge_options_init); a zero size field
 * given to ssekit_bridge_new() also means its default. */
typedef struct ssekit_bridge_options {
    const char *host;           /* interface to listen on; "127.0.0.1" */
    int port;                   /* 0 = an ephemeral port (see ssekit_bridge_port) */
    const char *token;          /* bearer token; NULL = no authentication */
    const char *const *origins; /* allowed Origin values (exact match) */
    size_t n_origins;           /* 0 = only same-host origins and none */
    size_t history_count;       /* messages kept per channel; 1024, at most
                                   SSEKIT_BRIDGE_MAX_HISTORY */
    size_t history_bytes;       /* bytes kept per channel; 1 MiB */
    size_t snapshot_bytes;      /* text + patches kept per channel; 4 MiB */
    size_t backlog_count;       /* messages a subscriber may lag; 256 */
    size_t backlog_bytes;       /* bytes a subscriber may lag; 256 KiB */
    unsigned max_snapshots;     /* lag snapshots in a row before close 4008; 3 */
    size_t max_clients;         /* WebSocket + SSE clients; 4096 */
    size_t max_per_address;     /* clients per peer address; 256 */
    size_t max_channels;        /* 1024 */
    size_t max_subscriptions;   /* per WebSocket; 64 */
    size_t max_message;         /* inbound WebSocket message / POST body; 64 KiB */
    size_t inbox_bytes;         /* published but not yet served; 8 MiB */
    unsigned idle_timeout_s;    /* WebSocket ping after half, close after; 60 */
    int publish_endpoint;       /* non-zero: enable POST /v1/publish/{channel} */
    unsigned sse_keepalive_s;   /* ": keepalive" on an SSE stream idle this long; 15 */
    /* The job API (POST /v1/streams ..., docs/bridge-protocol.md "Job API"):
     * a worker thread of the bridge runs each submitted job as an ssekit
     * stream (libcurl: the application must have called curl_global_init(),
     * see ssekit/client.h) and publishes it on the channel named by its id. */
    int enable_jobs;    /* non-zero: serve the job API (default off here; on in the daemon) */
    size_t max_jobs;    /* jobs kept, running or finished and not expired; 1024 */
    unsigned job_ttl_s; /* a finished job's status, result and channel live this long; 600 */
    /* TLS: give both or neither (PEM files, read by ssekit_bridge_new). With
     * them the port serves only https:// and wss://: a plain-HTTP client is
     * refused (its connection is closed during the TLS handshake). */
    const char *cert_path; /* certificate, or chain; NULL = plain HTTP */
    const char *key_path;  /* the certificate's private key */
} ssekit_bridge_options;

/* Fills `o` with the defaults. */
void ssekit_bridge_options_init(ssekit_bridge_options *o);

/* Creates a bridge and starts listening (the options are copied). `alloc`
 * may be NULL (libc); libwebsockets and yajl's tree parser allocate with libc.
 * On success stores the handle in *out (free with ssekit_bridge_free) and
 * returns SSEKIT_OK; SSEKIT_E_INVALID for a bad option (also: only one of cert_path
 * and key_path, or history_count above SSEKIT_BRIDGE_MAX_HISTORY), SSEKIT_E_NOMEM, SSEKIT_E_IO when
 * the socket cannot be bound or the certificate or key cannot be loaded. */
int ssekit_bridge_new(ssekit_bridge **out, const ssekit_bridge_options *o,
                      const ssekit_alloc_funcs *alloc);

/* The port the bridge listens on (the real one when the option was 0). */
int ssekit_bridge_port(const ssekit_bridge *b);

/* Publishes one message on `channel` (created on first use; names are 1..128
 * of [A-Za-z0-9._:-]). `type` is one of "delta", "patch", "progress",
 * "usage", "done", "error"; `json` (`len` bytes, no NUL needed) is a JSON
 * object whose members go into the message beside "channel", "seq" and
 * "type" (which it must not contain). "delta" needs {"text": string}; "patch"
 * needs {"patches": [patch objects as ssekit_json_patch_write renders them]}.
 * Thread-safe and never blocks on clients: the message is copied into the
 * inbox and served by the service thread. Returns SSEKIT_OK, SSEKIT_E_INVALID
 * (bad channel, type or member), SSEKIT_E_JSON (not a JSON object),
 * SSEKIT_E_TOO_DEEP (arrays and objects nested more than 256 deep),
 * SSEKIT_E_TOO_LARGE (the inbox is full: the service thread is not keeping
 * up), SSEKIT_E_NOMEM, SSEKIT_E_STATE (the bridge is stopping). */
int ssekit_bridge_publish(ssekit_bridge *b, const char *channel, const char *type, const char *json,
                          size_t len);

/* Runs the service loop in the calling thread until ssekit_bridge_stop().
 * Returns SSEKIT_OK, SSEKIT_E_INVALID (b is NULL), or SSEKIT_E_IO when
 * libwebsockets fails. */
int ssekit_bridge_run(ssekit_bridge *b);

/* Asks ssekit_bridge_run() to return. Thread-safe; only sets a flag and
 * writes to libwebsockets' wake-up pipe, so a signal handler may call it. */
void ssekit_bridge_stop(ssekit_bridge *b);

/* Closes every connection and frees the bridge. Call after
 * ssekit_bridge_run() returned (or if it never ran), from the thread that
 * created the bridge. NULL is ignored. */
void ssekit_bridge_free(ssekit_bridge *b);

#ifdef __cplusplus
}
#endif

#endif
