/* One client connection: reading requests (with their limits), framing and
 * writing responses without ever blocking, keep-alive, and the graceful or
 * abrupt close. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "replay_internal.h"

#define READ_CHUNK ((size_t)16 << 10)

rp_conn *rp_conn_new(ssekit_replay *srv, int fd, uint64_t now)
{
    rp_conn *c = sk_malloc(&srv->a, sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->state = RP_READ;
    c->deadline = now + srv->request_timeout_ms;
    c->wake = c->deadline;
    /* Events must leave as written (bytewise relies on it). */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c;
}

void rp_conn_free(ssekit_replay *srv, rp_conn *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    sk_buf_free(&srv->a, &c->in);
    sk_buf_free(&srv->a, &c->out);
    sk_buf_free(&srv->a, &c->body);
    rp_request_free(&c->req, &srv->a);
    sk_free(&srv->a, c);
}

static void hard_close(rp_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->closed = 1;
}

void rp_conn_abort(ssekit_replay *srv, rp_conn *c, const char *end)
{
    if (c->seq)
        rp_log_update(&srv->log, c->seq, c->st.events, end);
    c->seq = 0;
    hard_close(c);
}

/* The most unconsumed input we accept to hold in each state. */
static size_t in_cap(const ssekit_replay *srv, const rp_conn *c)
{
    if (c->state == RP_READ)
        return srv->max_header + (c->have_head ? c->req.content_length : 0);
    return srv->max_header; /* a pipelined request waiting its turn */
}

short rp_conn_events(const ssekit_replay *srv, const rp_conn *c)
{
    short ev = 0;
    if (c->state == RP_LINGER || c->in.len - c->in_off < in_cap(srv, c))
        ev |= POLLIN;
    if (c->out.len > c->out_off)
        ev |= POLLOUT;
    return ev;
}

void rp_conn_read(ssekit_replay *srv, rp_conn *c)
{
    for (;;) {
        if (c->state != RP_LINGER && c->in.len - c->in_off >= in_cap(srv, c))
            return;
        if (c->in_off) { /* keep unread bytes at the front: the buffer stays bounded */
            memmove(c->in.p, c->in.p + c->in_off, c->in.len - c->in_off);
            c->in.len -= c->in_off;
            c->in_off = 0;
        }
        if (sk_buf_reserve(&srv->a, &c->in, READ_CHUNK)) {
            rp_conn_abort(srv, c, "client-gone");
            return;
        }
        ssize_t n = recv(c->fd, c->in.p + c->in.len, READ_CHUNK, 0);
        if (n > 0) {
            if (c->state == RP_LINGER) {
                c->lingered += (size_t)n;
                if (c->lingered > RP_LINGER_BYTES)
                    hard_close(c);
                if (c->closed)
                    return;
                continue; /* dropped */
            }
            c->in.len += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        /* EOF or error: the client is gone (a client that half-closes
         * while we answer is treated the same: it cannot be told apart
         * from one that went away). */
        rp_conn_abort(srv, c, "client-gone");
        return;
    }
}

/* Drops the consumed front of a buffer once it is at least half of it, so a
 * peer that always lags a little does not make the buffer grow. */
static void compact(sk_buf *b, size_t *off)
{
    if (*off == b->len) {
        b->len = *off = 0;
    } else if (*off && *off >= b->len / 2) {
        memmove(b->p, b->p + *off, b->len - *off);
        b->len -= *off;
        *off = 0;
    }
}

/* Sends what is queued. Returns 0, or -1 when the client is gone. */
static int flush(ssekit_replay *srv, rp_conn *c)
{
    while (c->out.len > c->out_off) {
        ssize_t n = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        rp_conn_abort(srv, c, "client-gone");
        return -1;
    }
    compact(&c->out, &c->out_off);
    return 0;
}

static int out_printf(ssekit_replay *srv, rp_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int out_printf(ssekit_replay *srv, rp_conn *c, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    return sk_buf_append(&srv->a, &c->out, tmp, (size_t)n);
}

/* Status line and the headers every response has. */
static int head_common(ssekit_replay *srv, rp_conn *c, int status, const char *content_type)
{
    char date[32];
    rp_http_date(date, time(NULL));
    int rc = out_printf(srv, c, "HTTP/1.1 %d %s\r\nServer: ssekit-replay\r\nDate: %s\r\n", status,
                        rp_http_reason(status), date);
    if (content_type)
        rc |= out_printf(srv, c, "Content-Type: %s\r\n", content_type);
    if (!c->keep_alive)
        rc |= out_printf(srv, c, "Connection: close\r\n");
    if (c->seq)
        rc |= out_printf(srv, c, "X-Replay-Seq: %" PRIu64 "\r\n", c->seq);
    return rc;
}

int rp_conn_respond(ssekit_replay *srv, rp_conn *c, int status, const char *content_type,
                    const char *extra, const char *body, size_t len)
{
    int no_body = status == 204 || status == 304;
    c->status = status;
    int rc = head_common(srv, c, status, no_body ? NULL : content_type);
    if (!no_body)
        rc |= out_printf(srv, c, "Content-Length: %zu\r\n", len);
    if (extra)
        rc |= sk_buf_append(&srv->a, &c->out, extra, strlen(extra));
    rc |= sk_buf_append(&srv->a, &c->out, "\r\n", 2);
    if (!no_body && len)
        rc |= sk_buf_append(&srv->a, &c->out, body, len);
    c->state = RP_FIXED;
    return rc ? -1 : 0;
}

int rp_conn_stream_head(ssekit_replay *srv, rp_conn *c, const char *content_type)
{
    c->status = 200;
    int rc = head_common(srv, c, 200, content_type);
    rc |= out_printf(srv, c, "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n");
    if (c->st.t)
        rc |= out_printf(srv, c, "X-Replay-Transcript: %s\r\n", c->st.t->name);
    if (c->chunked)
        rc |= out_printf(srv, c, "Transfer-Encoding: chunked\r\n");
    rc |= sk_buf_append(&srv->a, &c->out, "\r\n", 2);
    c->state = RP_STREAM;
    return rc ? -1 : 0;
}

int rp_conn_body(ssekit_replay *srv, rp_conn *c, const char *p, size_t n)
{
    compact(&c->body, &c->body_off);
    return sk_buf_append(&srv->a, &c->body, p, n);
}

/* Moves body bytes to the wire: all at once as one chunk, or (bytewise) one
 * byte per write once the previous byte has left. Then the final chunk. */
static int frame(ssekit_replay *srv, rp_conn *c, uint64_t now)
{
    size_t pending = c->body.len - c->body_off;
    if (pending && c->st.f.bytewise_ms != RP_FAULT_NONE) {
        if (c->out.len > c->out_off)
            return 0; /* the previous byte is still queued */
        if (now < c->st.next_byte) {
            if (c->st.next_byte < c->wake)
                c->wake = c->st.next_byte;
            return 0;
        }
        pending = 1;
        c->st.next_byte = now + (uint64_t)c->st.f.bytewise_ms;
    }
    if (pending) {
        int rc = 0;
        if (c->chunked)
            rc |= out_printf(srv, c, "%zx\r\n", pending);
        rc |= sk_buf_append(&srv->a, &c->out, c->body.p + c->body_off, pending);
        if (c->chunked)
            rc |= sk_buf_append(&srv->a, &c->out, "\r\n", 2);
        if (rc)
            return -1;
        c->body_off += pending;
        compact(&c->body, &c->body_off);
    }
    if (c->st.finished && !c->abrupt && c->chunked && !c->terminated &&
        c->body.len == c->body_off) {
        c->terminated = 1;
        return sk_buf_append(&srv->a, &c->out, "0\r\n\r\n", 5);
    }
    return 0;
}

static void reset_response(ssekit_replay *srv, rp_conn *c)
{
    rp_request_free(&c->req, &srv->a);
    c->have_head = c->continue_sent = 0;
    c->status = c->chunked = c->abrupt = c->terminated = 0;
    c->seq = 0;
    memset(&c->st, 0, sizeof c->st);
    c->body.len = c->body_off = 0;
}

/* The response is out: read the next request or close gracefully. */
static void response_done(ssekit_replay *srv, rp_conn *c, uint64_t now)
{
    if (c->seq && c->state == RP_STREAM)
        rp_log_update(&srv->log, c->seq, c->st.events, "complete");
    int keep = c->keep_alive;
    reset_response(srv, c);
    if (keep) {
        c->state = RP_READ;
        c->deadline = now + srv->request_timeout_ms;
        return;
    }
    shutdown(c->fd, SHUT_WR);
    c->state = RP_LINGER;
    c->deadline = now + RP_LINGER_MS;
    c->in.len = c->in_off = 0;
}

/* Reads a request out of c->in; routes it when complete. Returns 1 when it
 * made progress. */
static int step_read(ssekit_replay *srv, rp_conn *c, uint64_t now)
{
    if (!c->have_head) {
        size_t pend = c->in.len - c->in_off;
        size_t hl = pend ? rp_http_head_end(c->in.p + c->in_off, pend, &c->head_scan) : 0;
        if (!hl || hl > srv->max_header) {
            if (hl || pend > srv->max_header) {
                rp_route_bad_request(srv, c, 431, now);
                return 1;
            }
            if (now >= c->deadline) {
                hard_close(c); /* request timeout (or keep-alive idle) */
                return 0;
            }
            if (c->deadline < c->wake)
                c->wake = c->deadline;
            return 0;
        }
        int rc = rp_http_parse(&c->req, &srv->a, c->in.p + c->in_off, hl, srv->max_headers);
        c->in_off += hl;
        c->head_scan = 0;
        if (rc < 0) {
            hard_close(c);
            return 0;
        }
        if (!rc && c->req.content_length > srv->max_body)
            rc = 413;
        if (rc) {
            rp_route_bad_request(srv, c, rc, now);
            return 1;
        }
        c->have_head = 1;
    }
    size_t cl = c->req.content_length;
    if (c->in.len - c->in_off < cl) {
        if (c->req.expect_continue && !c->continue_sent) {
            c->continue_sent = 1;
            if (out_printf(srv, c, "HTTP/1.1 100 Continue\r\n\r\n") || flush(srv, c))
                return 0;
        }
        if (now >= c->deadline) {
            hard_close(c);
            return 0;
        }
        if (c->deadline < c->wake)
            c->wake = c->deadline;
        return 0;
    }
    if (sk_buf_reserve(&srv->a, &c->req.body, cl)) {
        hard_close(c);
        return 0;
    }
    memcpy(c->req.body.p, c->in.p + c->in_off, cl);
    c->req.body.len = cl;
    c->req.body.p[cl] = 0;
    c->in_off += cl;
    c->have_head = 0;
    c->keep_alive = c->req.keep_alive && !c->req.http10;
    rp_route(srv, c, now);
    return 1;
}

void rp_conn_step(ssekit_replay *srv, rp_conn *c, uint64_t now)
{
    c->wake = RP_NEVER;
    int progress = 1;
    while (progress && !c->closed) {
        progress = 0;
        switch (c->state) {
        case RP_READ:
            progress = step_read(srv, c, now);
            break;
        case RP_FIXED:
            if (flush(srv, c))
                return;
            if (c->out.len == 0) {
                response_done(srv, c, now);
                progress = 1;
            }
            break;
        case RP_STREAM: {
            int blocked = rp_stream_advance(srv, c, now);
            if (c->closed)
                return;
            if (frame(srv, c, now)) {
                rp_conn_abort(srv, c, "client-gone");
                return;
            }
            if (c->st.finished && !c->st.end_logged && c->body.len == c->body_off &&
                (c->abrupt || c->terminated || !c->chunked)) {
                /* Before the last bytes leave, so a client that has read
                 * them finds the log up to date. */
                c->st.end_logged = 1;
                rp_log_update(&srv->log, c->seq, c->st.events, c->abrupt ? "dropped" : "complete");
            }
            if (flush(srv, c)) {
                if (!c->closed)
                    rp_conn_abort(srv, c, "client-gone");
                return;
            }
            if (c->st.finished && c->out.len == 0 && c->body.len == c->body_off &&
                (c->terminated || !c->chunked || c->abrupt)) {
                if (c->abrupt) {
                    rp_conn_abort(srv, c, "dropped");
                    return;
                }
                response_done(srv, c, now);
                progress = 1;
            } else if (c->out.len == 0 && c->body.len > c->body_off) {
                /* bytewise: the socket took the last byte; the next is due */
                if (c->st.next_byte <= now)
                    progress = 1;
                else if (c->st.next_byte < c->wake)
                    c->wake = c->st.next_byte;
            } else if (blocked && c->out.len == 0 && c->body.len == c->body_off) {
                progress = 1; /* the socket took it all: produce more */
            }
            break;
        }
        case RP_LINGER:
            if (now >= c->deadline) {
                hard_close(c);
                return;
            }
            c->wake = c->deadline;
            break;
        }
    }
}
