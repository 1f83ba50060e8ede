/* The bridge's libwebsockets side: HTTP routes, SSE and WebSocket clients,
 * the inbox that other threads publish into, and the write scheduling
 * (cursors into the channel history; every writeable callback sends what is
 * pending, up to BR_BATCH_BYTES, in one write). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bridge_internal.h"
#include "bridge_jobs.h"

#define BR_CTL_MAX (64 * 1024)
/* What one write may carry: several messages, or one larger message alone. */
#define BR_BATCH_BYTES (16 * 1024)

/* ---- small helpers -------------------------------------------------------- */

static char *dupstr(const ssekit_alloc_funcs *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sk_malloc(a, n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

/* Constant time in the length of the secret: the position of the first
 * difference does not show. */
static int secret_eq(const char *given, size_t glen, const char *secret)
{
    size_t slen = strlen(secret);
    unsigned char d = (unsigned char)(glen != slen);
    for (size_t i = 0; i < slen; i++)
        d |= (unsigned char)(secret[i] ^ (i < glen ? given[i] : 0));
    return d == 0;
}

static int hdr(struct lws *wsi, enum lws_token_indexes t, char *buf, int len)
{
    int n = lws_hdr_total_length(wsi, t);
    if (n <= 0)
        return 0;
    if (n >= len)
        return -1;
    return lws_hdr_copy(wsi, buf, len, t);
}

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return -1;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

static int origin_ok(ssekit_bridge *b, struct lws *wsi)
{
    char o[256], h[256];
    int n = hdr(wsi, WSI_TOKEN_ORIGIN, o, sizeof o);
    if (n == 0)
        return 1; /* not a browser, or a same-origin GET */
    if (n < 0)
        return 0;
    if (b->o.n_origins) {
        for (size_t i = 0; i < b->o.n_origins; i++) {
            if (strcmp(o, b->origins[i]) == 0)
                return 1;
        }
        return 0;
    }
    const char *rest = strncmp(o, "http://", 7) == 0    ? o + 7
                       : strncmp(o, "https://", 8) == 0 ? o + 8
                                                        : NULL;
    return rest && hdr(wsi, WSI_TOKEN_HOST, h, sizeof h) > 0 && strcasecmp(rest, h) == 0;
}

static int token_ok(ssekit_bridge *b, struct lws *wsi, int ws)
{
    if (!b->token)
        return 1;
    char v[512];
    if (hdr(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, v, sizeof v) > 7 &&
        strncasecmp(v, "Bearer ", 7) == 0)
        return secret_eq(v + 7, strlen(v + 7), b->token);
    const char *q = lws_get_urlarg_by_name(wsi, "token=", v, sizeof v);
    if (q)
        return secret_eq(q, strlen(q), b->token);
    if (ws && hdr(wsi, WSI_TOKEN_PROTOCOL, v, sizeof v) > 0) {
        /* Browsers cannot set headers on a WebSocket: the token may come as
         * a subprotocol "bearer.TOKEN" offered beside "ssekit.v1". */
        for (char *save = NULL, *t = strtok_r(v, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
            if (strncmp(t, "bearer.", 7) == 0)
                return secret_eq(t + 7, strlen(t + 7), b->token);
        }
    }
    return 0;
}

static br_addr *addr_find(ssekit_bridge *b, const char *addr)
{
    for (br_addr *x = b->addrs; x; x = x->next) {
        if (strcmp(x->addr, addr) == 0)
            return x;
    }
    return NULL;
}

/* 0 when a new client from wsi's address fits the limits, else the HTTP
 * status to refuse it with. */
static unsigned client_limit(ssekit_bridge *b, struct lws *wsi)
{
    char addr[64];
    lws_get_peer_simple(wsi, addr, sizeof addr);
    if (b->nclients >= b->o.max_clients)
        return 503;
    br_addr *x = addr_find(b, addr);
    return x && x->count >= b->o.max_per_address ? 429 : 0;
}

static int client_count(ssekit_bridge *b, br_conn *c)
{
    br_addr *x = addr_find(b, c->addr);
    if (!x) {
        x = sk_malloc(&b->a, sizeof *x);
        if (!x)
            return -1;
        memset(x, 0, sizeof *x);
        memcpy(x->addr, c->addr, sizeof x->addr);
        x->next = b->addrs;
        b->addrs = x;
    }
    x->count++;
    b->nclients++;
    c->counted = 1;
    return 0;
}

static void client_uncount(ssekit_bridge *b, br_conn *c)
{
    if (!c->counted)
        return;
    c->counted = 0;
    b->nclients--;
    for (br_addr **pp = &b->addrs; *pp; pp = &(*pp)->next) {
        br_addr *x = *pp;
        if (strcmp(x->addr, c->addr) == 0) {
            if (--x->count == 0) {
                *pp = x->next;
                sk_free(&b->a, x);
            }
            return;
        }
    }
}

static int http_reply(struct lws *wsi, unsigned code, const char *body, const char *xname,
                      const char *xval)
{
    unsigned char hb[LWS_PRE + 1024], *start = hb + LWS_PRE, *p = start, *end = hb + sizeof hb - 1;
    unsigned char bb[LWS_PRE + 512];
    size_t n = strlen(body);
    if (n > sizeof bb - LWS_PRE)
        n = sizeof bb - LWS_PRE;
    if (lws_add_http_common_headers(wsi, code, "application/json", n, &p, end) ||
        (xname &&
         lws_add_http_header_by_name(wsi, (const unsigned char *)xname, (const unsigned char *)xval,
                                     (int)strlen(xval), &p, end)) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    memcpy(bb + LWS_PRE, body, n);
    if (br_http_method(wsi) != BR_HEAD &&
        lws_write(wsi, bb + LWS_PRE, n, LWS_WRITE_HTTP_FINAL) != (int)n)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* ---- connections and subscriptions ---------------------------------------- */

static br_conn *conn_new(ssekit_bridge *b, struct lws *wsi, int kind)
{
    br_conn *c = sk_malloc(&b->a, sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->b = b;
    c->wsi = wsi;
    c->kind = kind;
    lws_get_peer_simple(wsi, c->addr, sizeof c->addr);
    return c;
}

static void sub_free(ssekit_bridge *b, br_sub *s)
{
    br_channel *ch = s->ch;
    if (s->ch_prev)
        s->ch_prev->ch_next = s->ch_next;
    else
        ch->subs = s->ch_next;
    if (s->ch_next)
        s->ch_next->ch_prev = s->ch_prev;
    sk_free(&b->a, s);
}

/* A channel that never had a message and has no subscriber left is
 * forgotten: subscribing to names nobody publishes on must not fill the
 * channel table (max_channels) for good, which would starve the publishers
 * and the job API. */
static void channel_reap(ssekit_bridge *b, br_channel *ch)
{
    if (ch->seq || ch->subs)
        return;
    for (br_channel **pp = &b->channels; *pp; pp = &(*pp)->next) {
        if (*pp == ch) {
            *pp = ch->next;
            b->nchannels--;
            br_channel_free(b, ch);
            return;
        }
    }
}

static void conn_free(ssekit_bridge *b, br_conn *c)
{
    while (c->subs) {
        br_sub *s = c->subs;
        br_channel *ch = s->ch;
        c->subs = s->conn_next;
        sub_free(b, s);
        channel_reap(b, ch);
    }
    client_uncount(b, c);
    sk_buf_free(&b->a, &c->ctl);
    sk_buf_free(&b->a, &c->rx);
    sk_free(&b->a, c);
}

static int sub_pending(const br_sub *s)
{
    return s->want_snapshot || s->next_seq <= s->ch->seq;
}

static void conn_wake(br_conn *c)
{
    if (!c->want_write) {
        c->want_write = 1;
        lws_callback_on_writable(c->wsi);
    }
}

/* since = the last sequence number the client has (0 = none). */
static br_sub *sub_add(ssekit_bridge *b, br_conn *c, br_channel *ch, uint64_t since)
{
    br_sub *s = NULL;
    for (br_sub *x = c->subs; x; x = x->conn_next) {
        if (x->ch == ch)
            s = x;
    }
    if (!s) {
        s = sk_malloc(&b->a, sizeof *s);
        if (!s)
            return NULL;
        memset(s, 0, sizeof *s);
        s->conn = c;
        s->ch = ch;
        s->ch_next = ch->subs;
        if (ch->subs)
            ch->subs->ch_prev = s;
        ch->subs = s;
        s->conn_next = c->subs;
        c->subs = s;
        c->nsubs++;
    }
    s->next_seq = since + 1;
    s->join_seq = ch->seq;
    s->join_bytes = ch->bytes;
    s->strikes = 0;
    s->sent_any = 0;
    /* A cursor ahead of the channel means the client saw another life of
     * it (the bridge restarted): a snapshot resets the client. */
    s->want_snapshot = since > ch->seq;
    if (sub_pending(s))
        conn_wake(c);
    return s;
}

static void sub_remove(ssekit_bridge *b, br_conn *c, br_channel *ch)
{
    for (br_sub **pp = &c->subs; *pp; pp = &(*pp)->conn_next) {
        br_sub *s = *pp;
        if (s->ch == ch) {
            *pp = s->conn_next;
            if (c->rr == s)
                c->rr = NULL;
            c->nsubs--;
            sub_free(b, s);
            return;
        }
    }
}

static void channel_wake(br_channel *ch)
{
    ch->dirty = 0;
    for (br_sub *s = ch->subs; s; s = s->ch_next)
        conn_wake(s->conn);
}

/* Queues a control reply on a WebSocket (never blocks; a client that lets
 * 64 KiB of replies pile up is closed). */
static void ctl_push(ssekit_bridge *b, br_conn *c, const char *msg, size_t n)
{
    uint32_t len = (uint32_t)n;
    if (c->ctl.len - c->ctl_off + n + 4 > BR_CTL_MAX || sk_buf_append(&b->a, &c->ctl, &len, 4) ||
        sk_buf_append(&b->a, &c->ctl, msg, n)) {
        c->close_code = 4008;
        snprintf(c->close_reason, sizeof c->close_reason, "control backlog full");
    }
    conn_wake(c);
}

static void ctl_printf(ssekit_bridge *b, br_conn *c, const char *fmt, const char *a1,
                       unsigned long long a2)
{
    char m[BR_NAME_MAX + 160];
    int n = snprintf(m, sizeof m, fmt, a1, a2);
    ctl_push(b, c, m, (size_t)n);
}

/* The job API drops the channel of an expired job (bridge_jobs.c). */
void br_channel_drop(ssekit_bridge *b, const char *name)
{
    br_channel **pp = &b->channels;
    while (*pp && strcmp((*pp)->name, name) != 0)
        pp = &(*pp)->next;
    br_channel *ch = *pp;
    if (!ch)
        return;
    while (ch->subs) {
        br_conn *c = ch->subs->conn;
        sub_remove(b, c, ch);
        if (c->kind == BR_CONN_WS) {
            char m[BR_NAME_MAX + 80];
            int n = snprintf(
                m, sizeof m,
                "{\"type\":\"unsubscribed\",\"channel\":\"%s\",\"reason\":\"expired\"}", name);
            ctl_push(b, c, m, (size_t)n);
        } else { /* an SSE stream of nothing: end it */
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        }
    }
    b->gone_msgs += ch->seq;
    b->gone_bytes += ch->bytes;
    *pp = ch->next;
    b->nchannels--;
    br_channel_free(b, ch);
}

/* ---- publishing ------------------------------------------------------------ */

static void inbox_free_items(br_inbox_item *it)
{
    while (it) {
        br_inbox_item *next = it->next;
        yajl_tree_free(it->tree);
        free(it);
        it = next;
    }
}

/* Values in a tree (at most BR_JSON_MAX_DEPTH deep: the recursion is
 * bounded). */
static size_t tree_nodes(yajl_val v)
{
    size_t n = 1;
    if (YAJL_IS_OBJECT(v)) {
        for (size_t i = 0; i < v->u.object.len; i++)
            n += 1 + tree_nodes(v->u.object.values[i]);
    } else if (YAJL_IS_ARRAY(v)) {
        for (size_t i = 0; i < v->u.array.len; i++)
            n += tree_nodes(v->u.array.values[i]);
    }
    return n;
}

int ssekit_bridge_publish(ssekit_bridge *b, const char *channel, const char *type, const char *json,
                          size_t len)
{
    br_type t;
    if (!b || !json || !channel || !br_channel_name_ok(channel, strlen(channel)) ||
        br_type_parse(type, &t))
        return SSEKIT_E_INVALID;
    if (b->stopping)
        return SSEKIT_E_STATE;
    int rc;
    yajl_val v = br_json_parse(json, len, &rc);
    if (!v)
        return rc;
    if ((rc = br_payload_check(t, v)) != SSEKIT_OK) {
        yajl_tree_free(v);
        return rc;
    }
    br_inbox_item *it = malloc(sizeof *it);
    if (!it) {
        yajl_tree_free(v);
        return SSEKIT_E_NOMEM;
    }
    memset(it, 0, sizeof *it);
    it->type = t;
    it->tree = v;
    /* What the inbox holds is yajl's tree: a node (and its malloc'd key or
     * number text) per value, up to 40 times the text for "[1,1,1,...". */
    it->cost = sizeof *it + 2 * len + 64 * tree_nodes(v);
    memcpy(it->channel, channel, strlen(channel));
    pthread_mutex_lock(&b->inbox_lock);
    if (b->inbox_bytes + it->cost > b->o.inbox_bytes) {
        pthread_mutex_unlock(&b->inbox_lock);
        inbox_free_items(it);
        return SSEKIT_E_TOO_LARGE;
    }
    b->inbox_bytes += it->cost;
    if (b->inbox_tail)
        b->inbox_tail->next = it;
    else
        b->inbox_head = it;
    b->inbox_tail = it;
    pthread_mutex_unlock(&b->inbox_lock);
    lws_cancel_service(b->ctx);
    return SSEKIT_OK;
}

static void inbox_drain(ssekit_bridge *b)
{
    pthread_mutex_lock(&b->inbox_lock);
    br_inbox_item *list = b->inbox_head;
    b->inbox_head = b->inbox_tail = NULL;
    b->inbox_bytes = 0;
    pthread_mutex_unlock(&b->inbox_lock);
    for (br_inbox_item *it = list; it; it = it->next) {
        br_channel *ch = br_channel_get(b, it->channel, strlen(it->channel));
        /* Out of channels or memory: the message is lost for everyone, so
         * no subscriber has a gap in what it was promised. */
        if (ch && br_channel_append(b, ch, it->type, it->tree) != SSEKIT_OK)
            channel_reap(b, ch);
    }
    inbox_free_items(list);
    for (br_channel *ch = b->channels; ch; ch = ch->next) {
        if (ch->dirty)
            channel_wake(ch);
    }
}

/* ---- writing ---------------------------------------------------------------- */

static br_sub *next_pending(br_conn *c)
{
    br_sub *start = c->rr && c->rr->conn_next ? c->rr->conn_next : c->subs;
    br_sub *s = start;
    do {
        if (!s)
            s = c->subs;
        if (!s)
            return NULL;
        if (sub_pending(s))
            return s;
        s = s->conn_next ? s->conn_next : c->subs;
    } while (s != start);
    return NULL;
}

static int conn_pending(br_conn *c)
{
    if (c->close_code || c->ctl_off < c->ctl.len)
        return 1;
    for (br_sub *s = c->subs; s; s = s->conn_next) {
        if (sub_pending(s))
            return 1;
    }
    return 0;
}

/* A server WebSocket frame header (FIN, text, unmasked) for a payload of n
 * bytes (RFC 6455 5.2); returns its length: 2, 4 or 10. */
static size_t ws_header(unsigned char *h, size_t n)
{
    h[0] = 0x81;
    if (n < 126) {
        h[1] = (unsigned char)n;
        return 2;
    }
    if (n < 65536) {
        h[1] = 126;
        h[2] = (unsigned char)(n >> 8);
        h[3] = (unsigned char)n;
        return 4;
    }
    h[1] = 127;
    for (int i = 0; i < 8; i++)
        h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
    return 10;
}

/* Appends one message to the batch in b->scratch (after its LWS_PRE bytes),
 * framed for c's transport: a whole WebSocket text frame, or an SSE event. */
static int batch_add(ssekit_bridge *b, br_conn *c, const char *json, size_t len, uint64_t seq)
{
    sk_buf *s = &b->scratch;
    char head[48];
    size_t n;
    if (c->kind == BR_CONN_WS)
        n = ws_header((unsigned char *)head, len);
    else
        n = (size_t)snprintf(head, sizeof head, "id: %llu\ndata: ", (unsigned long long)seq);
    if (sk_buf_reserve(&b->a, s, n + len + 2))
        return -1;
    sk_buf_append(&b->a, s, head, n);
    sk_buf_append(&b->a, s, json, len);
    if (c->kind != BR_CONN_WS)
        sk_buf_append(&b->a, s, "\n\n", 2);
    return 0;
}

/* The bytes one batch adds for a message of len bytes. */
static size_t batch_cost(const br_conn *c, size_t len)
{
    return len + (c->kind == BR_CONN_WS ? 10 : 48);
}

/* Writes the batch in one lws_write: the frames are complete, so a
 * WebSocket takes them as raw bytes (LWS_WRITE_RAW) like an SSE stream.
 * libwebsockets keeps what the socket does not take and sends it before the
 * next writeable callback. */
static int batch_write(ssekit_bridge *b, br_conn *c)
{
    sk_buf *s = &b->scratch;
    size_t out = s->len - LWS_PRE;
    if (c->kind == BR_CONN_SSE) {
        c->wrote = 1;
        c->keepalive_due = 0;
    }
    int rc = lws_write(c->wsi, (unsigned char *)s->p + LWS_PRE, out, LWS_WRITE_RAW) < (int)out;
    if (s->cap > 4 * BR_BATCH_BYTES) /* a big snapshot went out: do not keep its buffer */
        sk_buf_free(&b->a, s);
    return rc ? -1 : 0;
}

/* An SSE comment, so that proxies and browsers do not drop a stream that is
 * quiet between messages (EventSource ignores it). */
static int write_keepalive(br_conn *c)
{
    static const char ka[] = ": keepalive\n\n";
    unsigned char buf[LWS_PRE + sizeof ka];
    memcpy(buf + LWS_PRE, ka, sizeof ka - 1);
    c->keepalive_due = 0;
    return lws_write(c->wsi, buf + LWS_PRE, sizeof ka - 1, LWS_WRITE_HTTP) < (int)(sizeof ka - 1)
               ? -1
               : 0;
}

/* The next channel message for c: its JSON, length and seq, or 0 when
 * nothing is pending (or c must be closed: c->close_code). Does not advance
 * the cursor: conn_writable does, once the message fits in the batch. */
static int next_message(ssekit_bridge *b, br_conn *c, br_sub **ps, const char **json, size_t *len,
                        uint64_t *seq)
{
    br_sub *s = next_pending(c);
    if (!s)
        return 0;
    br_channel *ch = s->ch;
    if (!s->want_snapshot) {
        br_msg *m = br_channel_msg(ch, s->next_seq);
        /* Behind by what was published after its cursor or after it
         * subscribed, whichever is later: the history it asked for is
         * replayed whole while it is still in the ring. */
        uint64_t from = s->next_seq - 1 > s->join_seq ? s->next_seq - 1 : s->join_seq;
        uint64_t from_bytes =
            m && m->end - m->len > s->join_bytes ? m->end - m->len : s->join_bytes;
        int lag = !m || ch->seq - from > b->o.backlog_count ||
                  ch->bytes - from_bytes > b->o.backlog_bytes;
        if (lag) {
            if (s->sent_any && ++s->strikes > b->o.max_snapshots) {
                c->close_code = 4008;
                snprintf(c->close_reason, sizeof c->close_reason, "too slow: %s", ch->name);
                return 0;
            }
            s->want_snapshot = 1;
        }
    }
    if (s->want_snapshot) {
        if (br_channel_snapshot(b, ch, json, len))
            return -1;
        *seq = ch->seq;
    } else {
        br_msg *m = br_channel_msg(ch, s->next_seq);
        *json = BR_MSG_JSON(m);
        *len = m->len;
        *seq = m->seq;
    }
    *ps = s;
    return 1;
}

/* A subscriber that reached the head has caught up on its own only if the
 * socket took the whole write and has room for more: a client that reads a
 * trickle reaches the head right after each snapshot, but not that. */
static void caught_up(br_conn *c)
{
    int choked = -1;
    for (br_sub *s = c->subs; s; s = s->conn_next) {
        if (!s->at_head)
            continue;
        s->at_head = 0;
        if (choked < 0)
            choked = lws_send_pipe_choked(c->wsi);
        if (!choked)
            s->strikes = 0;
    }
}

/* One writeable callback: the queued replies, then channel messages (round
 * robin over the subscriptions), as many as fit in BR_BATCH_BYTES (a larger
 * message goes alone), in one write. */
static int conn_writable(ssekit_bridge *b, br_conn *c)
{
    c->want_write = 0;
    if (c->close_code) {
        if (c->kind == BR_CONN_WS)
            lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
                             (unsigned char *)c->close_reason, strlen(c->close_reason));
        return -1;
    }
    sk_buf *out = &b->scratch;
    out->len = 0;
    if (sk_buf_reserve(&b->a, out, LWS_PRE + BR_BATCH_BYTES))
        return -1;
    out->len = LWS_PRE;
    for (;;) {
        size_t used = out->len - LWS_PRE;
        if (c->ctl_off < c->ctl.len) {
            uint32_t n;
            memcpy(&n, c->ctl.p + c->ctl_off, 4);
            if (used && used + batch_cost(c, n) > BR_BATCH_BYTES)
                break;
            if (batch_add(b, c, c->ctl.p + c->ctl_off + 4, n, 0))
                return -1;
            c->ctl_off += 4 + n;
            if (c->ctl_off == c->ctl.len)
                c->ctl.len = c->ctl_off = 0;
            continue;
        }
        br_sub *s;
        const char *json;
        size_t len;
        uint64_t seq;
        int r = next_message(b, c, &s, &json, &len, &seq);
        if (r < 0)
            return -1;
        if (r == 0 || (used && used + batch_cost(c, len) > BR_BATCH_BYTES))
            break;
        c->rr = s;
        if (s->want_snapshot)
            s->want_snapshot = 0;
        else if (seq == s->ch->seq)
            s->at_head = 1;
        s->next_seq = seq + 1;
        s->sent_any = 1;
        if (batch_add(b, c, json, len, seq))
            return -1;
    }
    if (out->len > LWS_PRE) {
        if (batch_write(b, c))
            return -1;
        caught_up(c);
    } else if (c->keepalive_due && !c->close_code) {
        if (write_keepalive(c))
            return -1;
    }
    if (conn_pending(c))
        conn_wake(c);
    return 0;
}

/* ---- WebSocket protocol ------------------------------------------------------ */

static void ws_message(ssekit_bridge *b, br_conn *c)
{
    static const char err[] = "{\"type\":\"protocol_error\",\"message\":\"%s\",\"x\":%llu}";
    br_control m;
    if (br_control_parse(c->rx.p, c->rx.len, &m) != SSEKIT_OK) {
        ctl_printf(b, c, err, "out of memory", 0);
        return;
    }
    size_t nlen = strlen(m.channel);
    br_channel *ch = m.op == BR_OP_SUBSCRIBE || m.op == BR_OP_UNSUBSCRIBE
                         ? br_channel_find(b, m.channel, nlen)
                         : NULL;
    switch (m.op) {
    case BR_OP_BAD:
        ctl_printf(b, c, err, m.error, 0);
        break;
    case BR_OP_PING:
        ctl_push(b, c, "{\"type\":\"pong\"}", 15);
        break;
    case BR_OP_UNSUBSCRIBE:
        if (ch) {
            sub_remove(b, c, ch);
            channel_reap(b, ch);
        }
        ctl_printf(b, c, "{\"type\":\"unsubscribed\",\"channel\":\"%s\"}", m.channel, 0);
        break;
    case BR_OP_SUBSCRIBE: {
        if (!ch && c->nsubs < b->o.max_subscriptions)
            ch = br_channel_get(b, m.channel, nlen);
        int have = 0;
        for (br_sub *x = c->subs; x; x = x->conn_next)
            have |= x->ch == ch;
        if (!ch || (!have && c->nsubs >= b->o.max_subscriptions)) {
            ctl_printf(b, c, err, "too many channels or subscriptions", 0);
        } else {
            /* the ack goes out before any message of the channel */
            ctl_printf(b, c, "{\"type\":\"subscribed\",\"channel\":\"%s\",\"head\":%llu}",
                       m.channel, ch->seq);
            if (!sub_add(b, c, ch, m.since)) {
                ctl_printf(b, c, err, "out of memory", 0);
                channel_reap(b, ch);
            }
        }
        break;
    }
    }
}

/* ---- HTTP routes --------------------------------------------------------------- */

/* The SSE response's headers (a HEAD request gets them alone). */
static int sse_headers(struct lws *wsi)
{
    unsigned char hb[LWS_PRE + 512], *start = hb + LWS_PRE, *p = start, *end = hb + sizeof hb - 1;
    if (lws_add_http_common_headers(wsi, 200, "text/event-stream", LWS_ILLEGAL_HTTP_CONTENT_LEN, &p,
                                    end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-cache", 8, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    return 0;
}

static int sse_start(ssekit_bridge *b, struct lws *wsi, br_conn **pc, const char *name, size_t nlen)
{
    char v[64];
    uint64_t since = 0;
    /* too long to be a seq: refused, not taken for "no Last-Event-ID" (which
     * would replay the whole history) */
    int n = lws_hdr_custom_length(wsi, "last-event-id:", 14);
    if (n >= (int)sizeof v ||
        (n > 0 && lws_hdr_custom_copy(wsi, v, sizeof v, "last-event-id:", 14) != n))
        return http_reply(wsi, 400, "{\"error\":\"bad since or Last-Event-ID\"}", NULL, NULL);
    const char *q = n > 0 ? v : lws_get_urlarg_by_name(wsi, "since=", v, sizeof v);
    if (q && parse_u64(q, &since))
        return http_reply(wsi, 400, "{\"error\":\"bad since or Last-Event-ID\"}", NULL, NULL);
    if (br_http_method(wsi) == BR_HEAD)
        return sse_headers(wsi) || lws_http_transaction_completed(wsi) ? -1 : 0;
    unsigned lim = client_limit(b, wsi);
    if (lim)
        return http_reply(wsi, lim, "{\"error\":\"too many clients\"}", NULL, NULL);
    br_channel *ch = br_channel_get(b, name, nlen);
    if (!ch)
        return http_reply(wsi, 503, "{\"error\":\"too many channels\"}", NULL, NULL);
    br_conn *c = conn_new(b, wsi, BR_CONN_SSE);
    if (!c || client_count(b, c)) {
        if (c)
            conn_free(b, c);
        channel_reap(b, ch);
        return http_reply(wsi, 503, "{\"error\":\"out of memory\"}", NULL, NULL);
    }
    *pc = c;
    if (!sub_add(b, c, ch, since)) {
        channel_reap(b, ch);
        return -1;
    }
    if (sse_headers(wsi))
        return -1;
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    lws_set_timer_usecs(wsi, (lws_usec_t)b->o.sse_keepalive_s * LWS_US_PER_SEC);
    return 0;
}

static int on_http(ssekit_bridge *b, struct lws *wsi, br_conn **pc, const char *uri)
{
    unsigned method = br_http_method(wsi);
    int mine = br_http_public(b, wsi, uri); /* /healthz, the dashboard */
    if (mine != BR_HTTP_NOT_MINE)
        return mine;
    if (!origin_ok(b, wsi))
        return http_reply(wsi, 403, "{\"error\":\"origin not allowed\"}", NULL, NULL);
    if (!token_ok(b, wsi, 0))
        return http_reply(wsi, 401, "{\"error\":\"missing or wrong token\"}",
                          "www-authenticate:", "Bearer");
    static const char streams[] = "/v1/streams/", events[] = "/events";
    size_t ul = strlen(uri);
    if (ul > sizeof streams - 1 + sizeof events - 1 &&
        strncmp(uri, streams, sizeof streams - 1) == 0 &&
        strcmp(uri + ul - (sizeof events - 1), events) == 0) {
        const char *name = uri + sizeof streams - 1;
        size_t nlen = ul - (sizeof streams - 1) - (sizeof events - 1);
        if (!br_channel_name_ok(name, nlen))
            return http_reply(wsi, 404, "{\"error\":\"bad stream id\"}", NULL, NULL);
        if (!(method & (BR_GET | BR_HEAD)))
            return http_reply(wsi, 405, "{\"error\":\"method not allowed\"}",
                              "allow:", br_http_allow(BR_GET | BR_HEAD));
        return sse_start(b, wsi, pc, name, nlen);
    }
    if ((mine = br_http_route(b, wsi, pc, uri)) != BR_HTTP_NOT_MINE)
        return mine;                /* the job API, /metrics */
    if (strcmp(uri, "/v1/ws") == 0) /* a plain request, not an upgrade */
        return method == BR_GET ? http_reply(wsi, 426, "{\"error\":\"WebSocket upgrade required\"}",
                                             "upgrade:", "websocket")
                                : http_reply(wsi, 405, "{\"error\":\"method not allowed\"}",
                                             "allow:", br_http_allow(BR_GET));
    static const char pub[] = "/v1/publish/";
    if (b->o.publish_endpoint && strncmp(uri, pub, sizeof pub - 1) == 0 &&
        br_channel_name_ok(uri + sizeof pub - 1, strlen(uri + sizeof pub - 1))) {
        if (method != BR_POST)
            return http_reply(wsi, 405, "{\"error\":\"method not allowed\"}",
                              "allow:", br_http_allow(BR_POST));
        br_conn *c = conn_new(b, wsi, BR_CONN_PUBLISH);
        if (!c)
            return -1;
        snprintf(c->target, sizeof c->target, "%s", uri + sizeof pub - 1);
        *pc = c;
        return 0; /* the body follows */
    }
    return http_reply(wsi, 404, "{\"error\":\"not found\"}", NULL, NULL);
}

/* POST /v1/publish/{channel}: one message object {"type": T, ...payload} or
 * an array of them, applied in order. */
static int publish_body(ssekit_bridge *b, struct lws *wsi, br_conn *c)
{
    if (c->rx_too_big)
        return http_reply(wsi, 413, "{\"error\":\"body too large\"}", NULL, NULL);
    int rc;
    yajl_val v = br_json_parse(c->rx.p ? c->rx.p : "", c->rx.len, &rc);
    if (!v)
        return http_reply(wsi, 400, "{\"error\":\"bad JSON\"}", NULL, NULL);
    size_t n = YAJL_IS_ARRAY(v) ? v->u.array.len : 1;
    yajl_val *items = YAJL_IS_ARRAY(v) ? v->u.array.values : &v;
    /* check everything first: a batch is applied whole or not at all */
    for (size_t i = 0; i < n; i++) {
        yajl_val it = items[i];
        br_type t;
        yajl_val ty = YAJL_IS_OBJECT(it)
                          ? yajl_tree_get(it, (const char *[]){"type", NULL}, yajl_t_string)
                          : NULL;
        if (!ty || br_type_parse(ty->u.string, &t)) {
            yajl_tree_free(v);
            return http_reply(wsi, 400, "{\"error\":\"each message needs a known type\"}", NULL,
                              NULL);
        }
    }
    br_channel *ch = br_channel_get(b, c->target, strlen(c->target));
    if (!ch) {
        yajl_tree_free(v);
        return http_reply(wsi, 503, "{\"error\":\"too many channels\"}", NULL, NULL);
    }
    for (size_t i = 0; i < n && rc == SSEKIT_OK; i++) {
        yajl_val it = items[i];
        br_type t;
        size_t k;
        for (k = 0; strcmp(it->u.object.keys[k], "type") != 0; k++)
            ;
        br_type_parse(it->u.object.values[k]->u.string, &t);
        /* the payload is the object without its "type" member */
        const char *key = it->u.object.keys[k];
        yajl_val val = it->u.object.values[k];
        memmove(it->u.object.keys + k, it->u.object.keys + k + 1,
                (it->u.object.len - k - 1) * sizeof *it->u.object.keys);
        memmove(it->u.object.values + k, it->u.object.values + k + 1,
                (it->u.object.len - k - 1) * sizeof *it->u.object.values);
        it->u.object.len--;
        rc = br_payload_check(t, it);
        if (rc == SSEKIT_OK)
            rc = br_channel_append(b, ch, t, it);
        it->u.object.keys[it->u.object.len] = key;
        it->u.object.values[it->u.object.len] = val;
        it->u.object.len++;
    }
    yajl_tree_free(v);
    if (ch->dirty)
        channel_wake(ch);
    char body[96];
    if (rc != SSEKIT_OK) {
        snprintf(body, sizeof body, "{\"error\":\"%s\"}", ssekit_status_name(rc));
        return http_reply(wsi, 400, body, NULL, NULL);
    }
    snprintf(body, sizeof body, "{\"seq\":%llu}", (unsigned long long)ch->seq);
    return http_reply(wsi, 200, body, NULL, NULL);
}

static int confirm_upgrade(ssekit_bridge *b, struct lws *wsi, const char *uri)
{
    char path[64];
    if (hdr(wsi, WSI_TOKEN_GET_URI, path, sizeof path) <= 0 || strcmp(path, "/v1/ws") != 0)
        return http_reply(wsi, 404, "{\"error\":\"not found\"}", NULL, NULL) ? -1 : 1;
    (void)uri;
    if (!origin_ok(b, wsi))
        return http_reply(wsi, 403, "{\"error\":\"origin not allowed\"}", NULL, NULL) ? -1 : 1;
    if (!token_ok(b, wsi, 1))
        return http_reply(wsi, 401, "{\"error\":\"missing or wrong token\"}", NULL, NULL) ? -1 : 1;
    unsigned lim = client_limit(b, wsi);
    if (lim)
        return http_reply(wsi, lim, "{\"error\":\"too many clients\"}", NULL, NULL) ? -1 : 1;
    return 0;
}

/* ---- the callback -------------------------------------------------------------- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    ssekit_bridge *b = lws_context_user(lws_get_context(wsi));
    br_conn **pc = user;
    br_conn *c = pc ? *pc : NULL;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        inbox_drain(b);
        br_jobs_service(b);
        return 0;
    case LWS_CALLBACK_HTTP:
        return on_http(b, wsi, pc, in);
    case LWS_CALLBACK_HTTP_BODY:
        if (c && (c->kind == BR_CONN_PUBLISH || c->kind == BR_CONN_JOB) && !c->rx_too_big) {
            if (c->rx.len + len > b->o.max_message || sk_buf_append(&b->a, &c->rx, in, len))
                c->rx_too_big = 1;
        }
        return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (c && c->kind == BR_CONN_JOB)
            return br_http_body(b, wsi, c);
        return c && c->kind == BR_CONN_PUBLISH ? publish_body(b, wsi, c) : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return c && c->kind == BR_CONN_SSE ? conn_writable(b, c) : 0;
    case LWS_CALLBACK_TIMER:
        if (c && c->kind == BR_CONN_SSE) {
            if (!c->wrote) {
                c->keepalive_due = 1;
                conn_wake(c);
            }
            c->wrote = 0;
            lws_set_timer_usecs(wsi, (lws_usec_t)b->o.sse_keepalive_s * LWS_US_PER_SEC);
        }
        return 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED:
        if (c) {
            conn_free(b, c);
            *pc = NULL;
        }
        return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(b, wsi, in);
    case LWS_CALLBACK_ESTABLISHED:
        c = conn_new(b, wsi, BR_CONN_WS);
        if (!c)
            return -1;
        *pc = c;
        return client_count(b, c) ? -1 : 0;
    case LWS_CALLBACK_RECEIVE:
        if (!c)
            return -1;
        if (c->rx.len + len > b->o.max_message) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             (unsigned char *)"message too large", 17);
            return -1;
        }
        if (sk_buf_append(&b->a, &c->rx, in, len))
            return -1;
        if (lws_is_final_fragment(wsi)) {
            ws_message(b, c);
            c->rx.len = 0;
        }
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return c ? conn_writable(b, c) : 0;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- lifecycle ----------------------------------------------------------------- */

void ssekit_bridge_options_init(ssekit_bridge_options *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->history_count = 1024;
    o->history_bytes = 1u << 20;
    o->snapshot_bytes = 4u << 20;
    o->backlog_count = 256;
    o->backlog_bytes = 256u << 10;
    o->max_snapshots = 3;
    o->max_clients = 4096;
    o->max_per_address = 256;
    o->max_channels = 1024;
    o->max_subscriptions = 64;
    o->max_message = 64u << 10;
    o->inbox_bytes = 8u << 20;
    o->idle_timeout_s = 60;
    o->sse_keepalive_s = 15;
    o->max_jobs = 1024;
    o->job_ttl_s = 600;
}

static void fill_defaults(ssekit_bridge_options *o)
{
    ssekit_bridge_options d;
    ssekit_bridge_options_init(&d);
#define DEF(f)                                                                                     \
    if (!o->f)                                                                                     \
    o->f = d.f
    DEF(host);
    DEF(history_count);
    DEF(history_bytes);
    DEF(snapshot_bytes);
    DEF(backlog_count);
    DEF(backlog_bytes);
    DEF(max_snapshots);
    DEF(max_clients);
    DEF(max_per_address);
    DEF(max_channels);
    DEF(max_subscriptions);
    DEF(max_message);
    DEF(inbox_bytes);
    DEF(idle_timeout_s);
    DEF(sse_keepalive_s);
    DEF(max_jobs);
    DEF(job_ttl_s);
#undef DEF
}

int ssekit_bridge_new(ssekit_bridge **out, const ssekit_bridge_options *opt,
                      const ssekit_alloc_funcs *alloc)
{
    if (!out)
        return SSEKIT_E_INVALID;
    *out = NULL;
    ssekit_bridge_options o;
    if (opt)
        o = *opt;
    else
        ssekit_bridge_options_init(&o);
    fill_defaults(&o);
    /* a ring of history_count pointers per channel: the size must not wrap */
    if (o.port < 0 || o.port > 65535 || (o.n_origins && !o.origins) || o.idle_timeout_s > 65535 ||
        o.history_count > SSEKIT_BRIDGE_MAX_HISTORY || o.sse_keepalive_s > 86400 ||
        (o.cert_path && *o.cert_path) != (o.key_path && *o.key_path))
        return SSEKIT_E_INVALID;
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, alloc);
    ssekit_bridge *b = sk_malloc(&a, sizeof *b);
    if (!b)
        return SSEKIT_E_NOMEM;
    memset(b, 0, sizeof *b);
    b->a = a;
    b->o = o;
    pthread_mutex_init(&b->inbox_lock, NULL);
    int rc = SSEKIT_E_NOMEM;
    b->host = dupstr(&a, o.host);
    b->token = o.token && *o.token ? dupstr(&a, o.token) : NULL;
    b->origins = o.n_origins ? sk_malloc(&a, o.n_origins * sizeof *b->origins) : NULL;
    if (!b->host || (o.token && *o.token && !b->token) || (o.n_origins && !b->origins))
        goto fail;
    if (o.cert_path && *o.cert_path &&
        (!(b->cert = dupstr(&a, o.cert_path)) || !(b->key = dupstr(&a, o.key_path))))
        goto fail;
    b->o.cert_path = b->cert;
    b->o.key_path = b->key;
    /* libwebsockets 4.1 leaks when it cannot open them: look first */
    rc = SSEKIT_E_IO;
    if (b->cert && (!readable(b->cert) || !readable(b->key)))
        goto fail;
    rc = SSEKIT_E_NOMEM;
    for (size_t i = 0; i < o.n_origins; i++) {
        b->origins[i] = NULL;
    }
    for (size_t i = 0; i < o.n_origins; i++) {
        if (!(b->origins[i] = dupstr(&a, o.origins[i])))
            goto fail;
    }
    b->o.origins = NULL;
    b->o.host = b->host;
    b->o.token = b->token;
    b->protocols[0] = (struct lws_protocols){
        .name = "ssekit.v1",
        .callback = callback,
        .per_session_data_size = sizeof(br_conn *),
        .rx_buffer_size = 4096,
    };
    b->retry.secs_since_valid_ping = (uint16_t)(o.idle_timeout_s / 2 ? o.idle_timeout_s / 2 : 1);
    b->retry.secs_since_valid_hangup = (uint16_t)o.idle_timeout_s;

    /* libwebsockets logs to stderr by default; a library must not print. */
    lws_set_log_level(0, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = o.port;
    info.iface = b->host;
    info.protocols = b->protocols;
    info.user = b;
    info.vhost_name = "ssekit";
    info.retry_and_idle_policy = &b->retry;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (b->cert) {
        /* only TLS on this port: a plain-HTTP client fails the handshake */
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = b->cert;
        info.ssl_private_key_filepath = b->key;
    }
    b->ctx = lws_create_context(&info);
    rc = SSEKIT_E_IO;
    if (!b->ctx)
        goto fail;
    b->vh = lws_get_vhost_by_name(b->ctx, "ssekit");
    b->port = b->vh ? lws_get_vhost_listen_port(b->vh) : -1;
    if (b->port <= 0)
        goto fail;
    if (o.enable_jobs && (rc = br_jobs_new(b)) != SSEKIT_OK)
        goto fail;
    *out = b;
    return SSEKIT_OK;
fail:
    ssekit_bridge_free(b);
    return rc;
}

int ssekit_bridge_port(const ssekit_bridge *b)
{
    return b ? b->port : -1;
}

int ssekit_bridge_run(ssekit_bridge *b)
{
    if (!b)
        return SSEKIT_E_INVALID;
    while (!b->stopping) {
        if (lws_service(b->ctx, 0) < 0)
            return SSEKIT_E_IO;
    }
    return SSEKIT_OK;
}

void ssekit_bridge_stop(ssekit_bridge *b)
{
    if (!b)
        return;
    b->stopping = 1;
    if (b->ctx)
        lws_cancel_service(b->ctx);
}

void ssekit_bridge_free(ssekit_bridge *b)
{
    if (!b)
        return;
    b->stopping = 1;
    br_jobs_free(b); /* joins the worker: nothing publishes any more */
    if (b->ctx)
        lws_context_destroy(b->ctx); /* closes every connection: conn_free */
    while (b->channels) {
        br_channel *ch = b->channels;
        b->channels = ch->next;
        br_channel_free(b, ch);
    }
    inbox_free_items(b->inbox_head);
    while (b->addrs) {
        br_addr *x = b->addrs;
        b->addrs = x->next;
        sk_free(&b->a, x);
    }
    if (b->origins) {
        for (size_t i = 0; i < b->o.n_origins; i++)
            sk_free(&b->a, b->origins[i]);
        sk_free(&b->a, b->origins);
    }
    sk_free(&b->a, b->host);
    sk_free(&b->a, b->token);
    sk_free(&b->a, b->cert);
    sk_free(&b->a, b->key);
    sk_buf_free(&b->a, &b->scratch);
    pthread_mutex_destroy(&b->inbox_lock);
    ssekit_alloc_funcs a = b->a;
    sk_free(&a, b);
}
