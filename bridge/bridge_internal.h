/* Private: the bridge's structures, shared by bridge.c (libwebsockets side),
 * bridge_channel.c (history, snapshot) and bridge_json.c (JSON helpers).
 * Everything here is touched by the service thread only, except the inbox
 * (under inbox_lock). */
#ifndef SSEKIT_BRIDGE_INTERNAL_H
#define SSEKIT_BRIDGE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

#include <libwebsockets.h>
/* OpenSSL (through libwebsockets) names a macro sk_free; ours is the
 * allocator hook of lib/alloc_internal.h. */
#undef sk_free

#include "ssekit/bridge.h"
#include "buffer.h"

#define BR_NAME_MAX 128
/* Nesting of arrays and objects accepted in any JSON the bridge parses
 * (published payloads, WebSocket messages, POST bodies): deeper is
 * SSEKIT_E_TOO_DEEP. Above the partial builder's default (128) plus the few
 * levels of a patch message. */
#define BR_JSON_MAX_DEPTH 256

typedef enum br_type {
    BR_DELTA,
    BR_PATCH,
    BR_PROGRESS,
    BR_USAGE,
    BR_DONE,
    BR_ERROR,
    BR_NTYPES
} br_type;

extern const char *const br_type_names[BR_NTYPES];

/* One message of a channel's history, rendered once. data has LWS_PRE bytes
 * of headroom so a WebSocket write needs no copy. */
typedef struct br_msg {
    uint64_t seq;
    uint64_t end; /* channel bytes published up to and including this one */
    size_t len;
    unsigned char data[]; /* LWS_PRE + json + NUL */
} br_msg;

#define BR_MSG_JSON(m) ((char *)(m) + sizeof(br_msg) + LWS_PRE)

typedef struct br_sub br_sub;
typedef struct br_conn br_conn;

typedef struct br_channel {
    struct br_channel *next;
    char name[BR_NAME_MAX + 1];
    uint64_t seq;   /* last assigned; 0 = nothing yet */
    uint64_t bytes; /* total JSON bytes published */
    br_msg **ring;
    size_t ring_cap, ring_start, ring_len, ring_bytes;
    /* snapshot state */
    sk_buf text;
    sk_buf patches; /* compact patch objects joined by ',' */
    sk_buf pend_path, pend_text;
    int pending;            /* an "append" patch being merged */
    sk_buf part[BR_NTYPES]; /* last progress/usage/done/error payload */
    int truncated;
    sk_buf snap; /* LWS_PRE + rendered snapshot for snap_seq */
    uint64_t snap_seq;
    int snap_valid;
    int dirty; /* new messages since the subscribers were woken */
    br_sub *subs;
} br_channel;

struct br_sub {
    br_conn *conn;
    br_channel *ch;
    br_sub *ch_prev, *ch_next; /* in ch->subs */
    br_sub *conn_next;         /* in conn->subs */
    uint64_t next_seq;         /* next message to send */
    /* The head (seq, bytes) when it subscribed: the history it asked for up
     * to there does not count against its backlog, only what came after. */
    uint64_t join_seq, join_bytes;
    int want_snapshot;
    unsigned strikes; /* lag snapshots since it last caught up */
    int at_head;      /* its last write reached the head; if the socket took it
                         all, the subscriber has caught up (strikes = 0) */
    int sent_any;
};

enum { BR_CONN_HTTP, BR_CONN_SSE, BR_CONN_WS, BR_CONN_PUBLISH, BR_CONN_JOB };

struct br_conn {
    ssekit_bridge *b;
    struct lws *wsi;
    int kind;
    int counted; /* holds a client slot (and an address slot) */
    char addr[64];
    br_sub *subs;
    size_t nsubs;
    br_sub *rr; /* where the round robin resumes */
    sk_buf ctl; /* queued control frames: [u32 len][bytes]... */
    size_t ctl_off;
    sk_buf rx; /* inbound WebSocket message or POST body */
    int rx_too_big;
    int sse_headers_sent;
    int want_write;
    int wrote;         /* SSE: bytes written since the last keepalive tick */
    int keepalive_due; /* SSE: idle for a whole tick; send a comment */
    int close_code;
    char close_reason[BR_NAME_MAX + 32];
    char target[BR_NAME_MAX + 1]; /* POST /v1/publish/{channel} */
};

typedef struct br_inbox_item {
    struct br_inbox_item *next;
    br_type type;
    yajl_val tree;
    size_t cost;
    char channel[BR_NAME_MAX + 1];
} br_inbox_item;

typedef struct br_addr {
    struct br_addr *next;
    size_t count;
    char addr[64];
} br_addr;

typedef struct br_jobs br_jobs;

struct ssekit_bridge {
    br_jobs *jobs;                  /* the job API (bridge_jobs.c); NULL when off */
    uint64_t gone_msgs, gone_bytes; /* of channels dropped (br_channel_drop) */
    ssekit_alloc_funcs a;
    ssekit_bridge_options o;
    char *host, *token;
    char *cert, *key; /* TLS files (copies); NULL = plain HTTP */
    char **origins;
    struct lws_context *ctx;
    struct lws_vhost *vh;
    lws_retry_bo_t retry;
    struct lws_protocols protocols[2];
    int port;
    atomic_int stopping;
    pthread_mutex_t inbox_lock;
    br_inbox_item *inbox_head, *inbox_tail;
    size_t inbox_bytes;
    br_channel *channels;
    size_t nchannels;
    size_t nclients;
    br_addr *addrs;
    sk_buf scratch; /* LWS_PRE + one outbound frame */
};

/* bridge_channel.c */
int br_type_parse(const char *s, br_type *out);
int br_channel_name_ok(const char *s, size_t len);
br_channel *br_channel_find(ssekit_bridge *b, const char *name, size_t len);
/* Finds or creates; NULL when out of memory or over max_channels. */
br_channel *br_channel_get(ssekit_bridge *b, const char *name, size_t len);
/* Appends a message (payload: a JSON object, already validated). */
int br_channel_append(ssekit_bridge *b, br_channel *ch, br_type type, yajl_val payload);
br_msg *br_channel_msg(br_channel *ch, uint64_t seq);
uint64_t br_channel_first(const br_channel *ch); /* oldest seq in history */
/* The snapshot frame for ch->seq (cached); data at ch->snap.p + LWS_PRE. */
int br_channel_snapshot(ssekit_bridge *b, br_channel *ch, const char **json, size_t *len);
void br_channel_free(ssekit_bridge *b, br_channel *ch);
/* Checks a payload of `type`: 0 or a status. */
int br_payload_check(br_type type, yajl_val payload);

/* bridge.c: removes a channel and its subscriptions (WebSocket subscribers
 * get "unsubscribed", SSE subscribers are closed). */
void br_channel_drop(ssekit_bridge *b, const char *name);

/* bridge_http.c: the routes beside the streams (job API, /metrics, /healthz,
 * the dashboard). br_http_public() serves what needs no token;
 * br_http_route() the rest, after the origin and token checks. Both return
 * BR_HTTP_NOT_MINE for a URI they do not serve, else what the HTTP callback
 * returns. br_http_body(): a POST body of a BR_CONN_JOB is complete. */
#define BR_HTTP_NOT_MINE 1
int br_http_public(ssekit_bridge *b, struct lws *wsi, const char *uri);
int br_http_route(ssekit_bridge *b, struct lws *wsi, br_conn **pc, const char *uri);
int br_http_body(ssekit_bridge *b, struct lws *wsi, br_conn *c);

/* bridge_json.c */
int br_json_escape(const ssekit_alloc_funcs *a, sk_buf *out, const char *s, size_t n);
int br_json_render(const ssekit_alloc_funcs *a, sk_buf *out, yajl_val v);
/* A tree (free with yajl_tree_free), or NULL with *status SSEKIT_E_JSON (not
 * JSON, empty, or holding a NUL byte), SSEKIT_E_TOO_DEEP (nested deeper than
 * BR_JSON_MAX_DEPTH) or SSEKIT_E_NOMEM. */
yajl_val br_json_parse(const char *json, size_t len, int *status);

/* bridge_control.c: one client -> bridge WebSocket message, parsed (no
 * libwebsockets needed: tests/fuzz/fuzz_bridge_control.c). */
typedef enum br_op { BR_OP_BAD, BR_OP_PING, BR_OP_SUBSCRIBE, BR_OP_UNSUBSCRIBE } br_op;
typedef struct br_control {
    br_op op;
    char channel[BR_NAME_MAX + 1]; /* a valid channel name (subscribe, unsubscribe) */
    int has_since;
    uint64_t since;    /* subscribe: the last seq the client has */
    const char *error; /* BR_OP_BAD: why, a static text that needs no JSON escaping */
} br_control;
/* Fills *out from `len` bytes of `msg`. Returns SSEKIT_OK (out->op says
 * what; BR_OP_BAD with out->error for a message the protocol refuses) or
 * SSEKIT_E_NOMEM. */
int br_control_parse(const char *msg, size_t len, br_control *out);

/* bridge_http.c: the request's method, one of these bits. */
enum { BR_GET = 1, BR_HEAD = 2, BR_POST = 4, BR_DELETE = 8, BR_OTHER_METHOD = 16 };
unsigned br_http_method(struct lws *wsi);
/* The "Allow" header's value for a set of those bits ("GET, HEAD"). */
const char *br_http_allow(unsigned methods);

#endif
