/* One streamed request: its curl easy handle, SSE parser, optional decoder
 * and result, its event queue, and the retry / reconnect decisions made
 * when a request ends. The loop that drives it lives in client.c. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client_internal.h"
#include "result_internal.h"

/* --- events ------------------------------------------------------------------ */

static const char *const kind_names[] = {"start", "open",      "sse",  "delta", "complete", "usage",
                                         "retry", "reconnect", "done", "error", "progress"};

const char *ssekit_event_kind_name(ssekit_event_kind kind)
{
    for (unsigned i = 0; i < sizeof kind_names / sizeof *kind_names; i++)
        if ((unsigned)kind == 1u << i)
            return kind_names[i];
    return NULL;
}

const char *ssekit_error_category_name(ssekit_error_category category)
{
    static const char *const names[] = {"none",         "transport", "timeout", "http",
                                        "rate-limited", "schema",    "parse",   "canceled"};
    return (unsigned)category < sizeof names / sizeof *names ? names[category] : NULL;
}

static size_t zlen(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *put(char **w, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = *w;
    if (n)
        memcpy(d, s, n);
    d[n] = 0;
    *w += n + 1;
    return d;
}

/* Copies src into a block of `head` bytes followed by the event and its
 * strings; *size receives the block's size. */
static void *copy_event(const ssekit_event *src, size_t head, const ssekit_alloc_funcs *a,
                        size_t *size)
{
    size_t n = head + sizeof(ssekit_event);
    n += (src->type ? src->type_len + 1 : 0) + (src->data ? src->data_len + 1 : 0) +
         (src->id ? src->id_len + 1 : 0) + (src->name ? src->name_len + 1 : 0) +
         (src->path ? src->path_len + 1 : 0) + zlen(src->output) + zlen(src->message) +
         zlen(src->finish_reason);
    char *blk = sk_malloc(a, n);
    if (!blk)
        return NULL;
    ssekit_event *ev = (ssekit_event *)(blk + head);
    char *w = (char *)(ev + 1);
    *ev = *src;
    ev->type = put(&w, src->type, src->type_len);
    ev->data = put(&w, src->data, src->data_len);
    ev->id = put(&w, src->id, src->id_len);
    ev->name = put(&w, src->name, src->name_len);
    ev->path = put(&w, src->path, src->path_len);
    ev->output = put(&w, src->output, src->output ? strlen(src->output) : 0);
    ev->message = put(&w, src->message, src->message ? strlen(src->message) : 0);
    ev->finish_reason =
        put(&w, src->finish_reason, zlen(src->finish_reason) - !!src->finish_reason);
    *size = n;
    return blk;
}

ssekit_event *ssekit_event_copy(const ssekit_event *event, const ssekit_alloc_funcs *alloc)
{
    ssekit_alloc_funcs a;
    size_t n;
    if (!event)
        return NULL;
    sk_alloc_init(&a, alloc);
    return copy_event(event, 0, &a, &n);
}

void ssekit_event_free(ssekit_event *event, const ssekit_alloc_funcs *alloc)
{
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, alloc);
    sk_free(&a, event);
}

static void enqueue(ssekit_stream *s, sk_qevent *q)
{
    ssekit_client *c = s->client;
    q->s_next = NULL;
    if (s->q_tail)
        s->q_tail->s_next = q;
    else
        s->q_head = q;
    s->q_tail = q;
    s->q_len++;
    s->q_bytes += q->size;
    sk_qevent **head = s->callback ? &c->o_head : &c->p_head;
    sk_qevent **tail = s->callback ? &c->o_tail : &c->p_tail;
    q->c_next = NULL;
    q->c_prev = *tail;
    if (*tail)
        (*tail)->c_next = q;
    else
        *head = q;
    *tail = q;
    if (s->callback)
        c->cb_queued++;
}

static const char oom_message[] = "out of memory";

/* The reserve block: an sk_qevent and room for oom_message. */
static sk_qevent *reserve_new(const ssekit_alloc_funcs *a)
{
    size_t size = sizeof(sk_qevent) + sizeof oom_message;
    sk_qevent *q = sk_malloc(a, size);
    if (q)
        q->size = size;
    return q;
}

/* Queues a copy of *ev unless the filter drops its kind. A copy that fails
 * makes the stream fatal (it ends with SSEKIT_E_NOMEM); when the event was
 * the stream's last, the reserve reports that end. */
static void emit(ssekit_stream *s, ssekit_event *ev)
{
    ssekit_client *c = s->client;
    sk_policy_event(s, ev); /* metrics, audit, breaker: every kind */
    if (!(s->filter & (unsigned)ev->kind))
        return;
    ev->stream = s;
    ev->user = s->user;
    size_t size;
    sk_qevent *q = copy_event(ev, offsetof(sk_qevent, ev), &c->a, &size);
    if (q) {
        q->size = size;
        enqueue(s, q);
        return;
    }
    s->fatal = SSEKIT_E_NOMEM;
    if (!(ev->kind & (SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR)) || !s->reserve)
        return;
    q = s->reserve;
    s->reserve = NULL;
    char *msg = (char *)(q + 1);
    memcpy(msg, oom_message, sizeof oom_message);
    memset(&q->ev, 0, sizeof q->ev);
    q->ev.kind = SSEKIT_EVENT_ERROR;
    q->ev.category = SSEKIT_ERROR_TRANSPORT;
    q->ev.status = SSEKIT_E_NOMEM;
    q->ev.attempt = s->requests;
    q->ev.message = msg;
    q->ev.stream = s;
    q->ev.user = s->user;
    enqueue(s, q);
}

static int queue_full(const ssekit_stream *s)
{
    return s->q_len >= s->max_queue || s->q_bytes >= s->max_queue_bytes;
}

sk_qevent *sk_stream_pop(ssekit_stream *s)
{
    ssekit_client *c = s->client;
    sk_qevent *q = s->q_head;
    if (!q)
        return NULL;
    s->q_head = q->s_next;
    if (!s->q_head)
        s->q_tail = NULL;
    s->q_len--;
    s->q_bytes -= q->size;
    if (q->c_prev)
        q->c_prev->c_next = q->c_next;
    else if (s->callback)
        c->o_head = q->c_next;
    else
        c->p_head = q->c_next;
    if (q->c_next)
        q->c_next->c_prev = q->c_prev;
    else if (s->callback)
        c->o_tail = q->c_prev;
    else
        c->p_tail = q->c_prev;
    if (s->callback)
        c->cb_queued--;
    if (s->paused && s->easy && s->q_len <= s->max_queue / 2 &&
        s->q_bytes <= s->max_queue_bytes / 2) {
        /* The idle clock restarts: the peer was not idle, we were. curl may
         * deliver the held bytes right inside curl_easy_pause(). */
        s->paused = 0;
        s->t_last_byte = sk_now_ms();
        sk_client_timers_changed(c); /* its deadlines run again */
        /* When the held bytes cannot be taken (out of memory, or a
         * callback stopped), curl leaves the transfer on the multi handle,
         * never to end: the timer walk ends it. */
        CURLcode rc = curl_easy_pause(s->easy, CURLPAUSE_CONT);
        if (rc != CURLE_OK)
            s->resume_failed = (int)rc;
    }
    return q;
}

/* --- progress ------------------------------------------------------------------ */

/* The current estimate in percent, or -1 when there is none. */
static int progress_estimate(const ssekit_stream *s)
{
    if (s->decode && s->schema && s->result) {
        double p = ssekit_result_progress(s->result);
        return p < 0 ? -1 : (int)(p * 100.0);
    }
    if (s->decode && s->progress_max_tokens) {
        uint64_t t = s->progress_bytes / SSEKIT_STREAM_BYTES_PER_TOKEN;
        if (s->progress_tokens > 0 && (uint64_t)s->progress_tokens > t)
            t = (uint64_t)s->progress_tokens;
        return t >= s->progress_max_tokens ? 100 : (int)(t * 100 / s->progress_max_tokens);
    }
    return -1;
}

static void progress_emit(ssekit_stream *s, unsigned pct, uint64_t now)
{
    if (s->progress_sent && pct <= s->progress_last)
        return; /* monotonic, and no repeats */
    s->progress_last = pct;
    s->progress_sent = 1;
    s->progress_t = now;
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_PROGRESS;
    ev.percent = pct;
    emit(s, &ev);
}

/* `forced`: a value just completed, so the rate limit does not apply. */
static void progress_tick(ssekit_stream *s, int forced)
{
    if (!(s->filter & SSEKIT_EVENT_PROGRESS))
        return;
    uint64_t now = sk_now_ms();
    if (!forced && s->progress_sent && now - s->progress_t < 1000u / s->progress_per_sec)
        return;
    int p = progress_estimate(s);
    if (p < 0)
        return;
    progress_emit(s, p > 99 ? 99 : (unsigned)p, now);
}

static void progress_done(ssekit_stream *s)
{
    if (s->filter & SSEKIT_EVENT_PROGRESS)
        progress_emit(s, 100, sk_now_ms());
}

/* --- ending a request ---------------------------------------------------------- */

static void drop_transfer(ssekit_stream *s)
{
    if (s->easy) {
        curl_multi_remove_handle(s->client->multi, s->easy);
        curl_easy_cleanup(s->easy);
        s->easy = NULL;
    }
    curl_slist_free_all(s->slist);
    s->slist = NULL;
    s->paused = 0;
    s->resume_failed = 0;
}

static void end_stream(ssekit_stream *s)
{
    drop_transfer(s);
    sk_policy_release(s);
    sk_client_timers_changed(s->client); /* a freed slot may start a queued stream */
    if (s->state != SK_ENDED) {
        s->state = SK_ENDED;
        s->client->active--;
        if (!s->callback)
            s->client->pull_active--;
    }
}

static void fail(ssekit_stream *s, ssekit_error_category cat, int status, const char *msg,
                 const char *raw, size_t raw_len)
{
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_ERROR;
    ev.category = cat;
    ev.status = status;
    ev.http_status = s->got_headers ? s->http_status : 0;
    ev.retry_after_ms = s->has_retry_after ? s->retry_after_ms : 0;
    ev.attempt = s->requests;
    ev.message = msg;
    ev.data = raw;
    ev.data_len = raw_len;
    end_stream(s);
    emit(s, &ev);
}

static uint64_t total_deadline(const ssekit_stream *s)
{
    return s->total_timeout_ms > 0 ? s->t_open + (uint64_t)s->total_timeout_ms : UINT64_MAX;
}

/* A request failed with a failure that the retry table may retry. */
static void failed_request(ssekit_stream *s, ssekit_error_category cat, int retryable,
                           const char *msg)
{
    uint64_t now = sk_now_ms();
    uint64_t ra = s->has_retry_after ? s->retry_after_ms : 0;
    const char *body = s->errbody.len ? s->errbody.p : NULL;
    if (body)
        s->errbody.p[s->errbody.len] = 0;
    sk_policy_outcome(s, cat, 0);
    if (!retryable || s->attempt_events || s->retries >= s->retry.max_retries ||
        ra > s->retry.max_retry_after_ms) {
        fail(s, cat, SSEKIT_E_IO, msg, body, s->errbody.len);
        return;
    }
    uint64_t delay = ssekit_retry_delay(&s->retry, s->retries + 1, ra, &s->client->rng);
    if (now + delay >= total_deadline(s)) {
        fail(s, cat, SSEKIT_E_IO, msg, body, s->errbody.len);
        return;
    }
    drop_transfer(s);
    s->retries++;
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_RETRY;
    ev.attempt = s->retries;
    ev.delay_ms = delay;
    ev.message = msg;
    ev.http_status = s->got_headers ? s->http_status : 0;
    ev.retry_after_ms = ra;
    s->state = SK_WAITING;
    s->wake_ms = now + delay;
    emit(s, &ev);
}

/* The ID of the last *dispatched* event: the parser's own last ID also
 * counts an `id` line of an event that was cut off by a dropped connection,
 * and resuming after that ID would lose the event. */
static const char *last_id(const ssekit_stream *s)
{
    if (s->has_last_id)
        return s->last_id.p ? s->last_id.p : "";
    return s->initial_id ? s->initial_id : "";
}

/* WHATWG reconnect: wait the server's `retry` time (the floor), grown by
 * backoff while reconnects fail in a row, plus up to 25% jitter. */
static void reconnect(ssekit_stream *s, const char *why)
{
    if (++s->reconnects_in_row > s->max_reconnects) {
        fail(s, SSEKIT_ERROR_TRANSPORT, SSEKIT_E_IO, "too many reconnects without an event", NULL,
             0);
        return;
    }
    uint64_t base = s->server_retry_ms ? s->server_retry_ms : s->reconnect_ms;
    uint64_t win = base;
    for (unsigned i = 1; i < s->reconnects_in_row && win < s->retry.max_delay_ms; i++)
        win *= 2;
    if (win < base)
        win = base;
    uint64_t delay = win + ssekit_retry_random(&s->client->rng) % (win / 4 + 1);
    uint64_t now = sk_now_ms();
    if (now + delay >= total_deadline(s)) {
        fail(s, SSEKIT_ERROR_TIMEOUT, SSEKIT_E_IO, "total deadline reached", NULL, 0);
        return;
    }
    drop_transfer(s);
    s->reconnects++;
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_RECONNECT;
    ev.attempt = s->reconnects;
    ev.delay_ms = delay;
    ev.message = why;
    const char *id = last_id(s);
    ev.id = id;
    ev.id_len = strlen(id);
    s->state = SK_WAITING;
    s->wake_ms = now + delay;
    emit(s, &ev);
}

static int write_json(void *ctx, const char *data, size_t len)
{
    ssekit_stream *s = ctx;
    return sk_buf_append(&s->client->a, &s->scratch, data, len);
}

/* The decode stream's response ended cleanly: judge the result. */
static void finish_decoded(ssekit_stream *s)
{
    ssekit_result *r = s->result;
    if (!ssekit_result_is_done(r)) {
        failed_request(s, SSEKIT_ERROR_TRANSPORT, 1,
                       "the stream ended before the provider's end event");
        return;
    }
    int rc = ssekit_result_finish(r);
    const ssekit_output *m = ssekit_result_main(r);
    size_t tlen = 0;
    const char *text = m ? ssekit_output_text(m, &tlen) : NULL;
    if (rc == SSEKIT_E_PROVIDER) {
        const ssekit_result_error *e = ssekit_result_first_error(r);
        fail(s, SSEKIT_ERROR_HTTP, rc, e->message, e->raw, e->raw_len);
        return;
    }
    if (s->schema && rc == SSEKIT_E_SCHEMA) {
        const ssekit_schema_message *v = ssekit_result_violation(r, 0);
        fail(s, SSEKIT_ERROR_SCHEMA, rc, v ? v->message : "schema violation", text, tlen);
        return;
    }
    if (s->schema && rc != SSEKIT_OK) {
        fail(s, SSEKIT_ERROR_PARSE, rc, "the output is not complete JSON", text, tlen);
        return;
    }
    progress_done(s);
    if (s->fatal) { /* the last PROGRESS was lost: no DONE after a gap */
        fail(s, SSEKIT_ERROR_TRANSPORT, s->fatal, oom_message, NULL, 0);
        return;
    }
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_DONE;
    ev.finish_reason = ssekit_result_finish_reason(r);
    ev.usage = ssekit_result_usage(r);
    s->scratch.len = 0;
    int json = m && ssekit_output_json_status(m) == SSEKIT_OK && ssekit_output_value(m) &&
               ssekit_json_is_complete(ssekit_output_value(m));
    if (json && ssekit_json_write(ssekit_output_value(m), write_json, s) != SSEKIT_OK) {
        fail(s, SSEKIT_ERROR_TRANSPORT, SSEKIT_E_NOMEM, oom_message, NULL, 0);
        return;
    }
    if (json) {
        ev.type = "json";
        ev.type_len = 4;
        ev.data = s->scratch.p ? s->scratch.p : "";
        ev.data_len = s->scratch.len;
    } else if (text) {
        ev.type = "text";
        ev.type_len = 4;
        ev.data = text;
        ev.data_len = tlen;
    }
    end_stream(s);
    emit(s, &ev);
}

static void finish_raw(ssekit_stream *s)
{
    progress_done(s);
    if (s->fatal) {
        fail(s, SSEKIT_ERROR_TRANSPORT, s->fatal, oom_message, NULL, 0);
        return;
    }
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_DONE;
    end_stream(s);
    emit(s, &ev);
}

void sk_stream_transfer_done(ssekit_stream *s, CURLcode code)
{
    char msg[CURL_ERROR_SIZE + 64];
    if (s->fatal) { /* an event or part of the answer was lost */
        fail(s, SSEKIT_ERROR_TRANSPORT, s->fatal, oom_message, NULL, 0);
        return;
    }
    if (s->limit_status) { /* a peer past a limit: not retried, it would be again */
        fail(s, SSEKIT_ERROR_PARSE, s->limit_status, s->limit_msg, NULL, 0);
        return;
    }
    if (code != CURLE_OK) {
        snprintf(msg, sizeof msg, "%s", curl_easy_strerror(code));
        ssekit_error_category cat =
            code == CURLE_OPERATION_TIMEDOUT ? SSEKIT_ERROR_TIMEOUT : SSEKIT_ERROR_TRANSPORT;
        if (s->reconnect && s->streaming)
            reconnect(s, msg);
        else
            failed_request(s, cat, 1, msg);
        return;
    }
    if (s->streaming) {
        ssekit_sse_finish(s->parser);
        if (s->decode)
            finish_decoded(s);
        else if (s->reconnect)
            reconnect(s, "the stream ended");
        else
            finish_raw(s);
        return;
    }
    int st = s->http_status;
    if (st == 204 && s->reconnect) { /* WHATWG: 204 means "stop reconnecting" */
        finish_raw(s);
        return;
    }
    ssekit_retry_class rc = ssekit_retry_classify_status(st);
    if (st >= 200 && st < 300)
        snprintf(msg, sizeof msg, "HTTP %d: the response is not an event stream", st);
    else
        snprintf(msg, sizeof msg, "HTTP %d", st);
    failed_request(s,
                   rc == SSEKIT_RETRY_RATE_LIMITED ? SSEKIT_ERROR_RATE_LIMITED : SSEKIT_ERROR_HTTP,
                   rc != SSEKIT_RETRY_NEVER, msg);
}

/* --- curl callbacks ------------------------------------------------------------ */

static int is_event_stream(const sk_buf *ct)
{
    static const char t[] = "text/event-stream";
    if (ct->len < sizeof t - 1 || strncasecmp(ct->p, t, sizeof t - 1))
        return 0;
    char c = ct->len == sizeof t - 1 ? 0 : ct->p[sizeof t - 1];
    return c == 0 || c == ';' || c == ' ' || c == '\t';
}

static void headers_done(ssekit_stream *s)
{
    long code = 0;
    if (s->got_headers) /* trailers after a chunked body */
        return;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200) /* 100 Continue and friends: the real head follows */
        return;
    s->got_headers = 1;
    s->http_status = (int)code;
    s->streaming = code >= 200 && code < 300 && code != 204 && is_event_stream(&s->ctype);
    if (s->streaming) {
        ssekit_event ev = {0};
        ev.kind = SSEKIT_EVENT_OPEN;
        ev.http_status = (int)code;
        ev.attempt = s->requests;
        emit(s, &ev);
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *user)
{
    ssekit_stream *s = user;
    size_t len = size * n, l = len;
    while (l && (p[l - 1] == '\n' || p[l - 1] == '\r'))
        l--;
    if (l == 0) {
        headers_done(s);
        return len;
    }
    if (l >= 5 && !strncmp(p, "HTTP/", 5)) { /* a new response head */
        s->has_retry_after = 0;
        s->ctype.len = 0;
        return len;
    }
    const char *colon = memchr(p, ':', l);
    if (!colon)
        return len;
    size_t nl = (size_t)(colon - p);
    const char *v = colon + 1, *end = p + l;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    if (nl == 11 && !strncasecmp(p, "Retry-After", 11)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s->has_retry_after = ssekit_retry_after_parse(v, (size_t)(end - v), (int64_t)ts.tv_sec,
                                                      &s->retry_after_ms) == SSEKIT_OK;
    } else if (nl == 12 && !strncasecmp(p, "Content-Type", 12)) {
        s->ctype.len = 0;
        if (sk_buf_append(&s->client->a, &s->ctype, v, (size_t)(end - v))) {
            s->fatal = SSEKIT_E_NOMEM;
            return 0;
        }
        s->ctype.p[s->ctype.len] = 0;
    }
    return len;
}

static size_t on_write(char *p, size_t size, size_t n, void *user)
{
    ssekit_stream *s = user;
    size_t len = size * n;
    sk_policy_bytes(s, len);
    if (!s->got_headers)
        headers_done(s);
    if (!s->streaming) { /* an error body: keep its start for the error event */
        size_t room = SSEKIT_STREAM_MAX_ERROR_BODY - s->errbody.len;
        if (room && sk_buf_append(&s->client->a, &s->errbody, p, len < room ? len : room)) {
            s->fatal = SSEKIT_E_NOMEM;
            return 0;
        }
        return len;
    }
    if (queue_full(s)) {
        s->paused = 1;
        return CURL_WRITEFUNC_PAUSE;
    }
    if (!s->got_byte) /* the idle deadline may come before the first-byte one */
        sk_client_timers_changed(s->client);
    s->got_byte = 1;
    s->t_last_byte = sk_now_ms();
    int rc = ssekit_sse_feed(s->parser, p, len);
    if (rc == SSEKIT_E_NOMEM) /* the parser lost an event */
        s->fatal = SSEKIT_E_NOMEM;
    if (rc == SSEKIT_E_STOPPED || s->fatal)
        return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
    return len;
}

/* --- parser and result callbacks ------------------------------------------------ */

/* A peer exceeded one of the request's limits: remember the first, so that
 * the transfer, stopped by the caller's non-zero return, ends the stream
 * with it (sk_stream_transfer_done). */
static void limit_hit(ssekit_stream *s, int status, const char *what, size_t limit)
{
    if (s->limit_status)
        return;
    s->limit_status = status;
    snprintf(s->limit_msg, sizeof s->limit_msg, "%s (limit %zu, %s)", what, limit,
             ssekit_status_name(status));
}

static int on_sse_error(void *user, const ssekit_sse_error *e)
{
    ssekit_stream *s = user;
    if (e->code == SSEKIT_E_LINE_TOO_LONG)
        limit_hit(s, e->code, "an SSE line is longer than the limit", e->limit);
    else if (e->code == SSEKIT_E_EVENT_TOO_LARGE)
        limit_hit(s, e->code, "an SSE event is larger than the limit", e->limit);
    else
        return 0; /* SSEKIT_E_NOMEM: the feed's return reports it */
    return 1;
}

static uint64_t hash_id(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211u;
    return h;
}

/* 1 when the event's ID was already delivered: only an event whose ID differs
 * from the previous event's (i.e. one that set a new ID) is looked at. Only a
 * stream that reconnects keeps the IDs, and only a resumed connection is
 * checked against them: before the first reconnect nothing can be a repeat,
 * and scanning the ring at every event would cost more than the event. */
static int seen_before(ssekit_stream *s, const char *id, size_t n)
{
    if (!n || !s->seen)
        return 0;
    uint64_t h = hash_id(id, n);
    if (s->prev_id_set && h == s->prev_id)
        return 0;
    s->prev_id = h;
    s->prev_id_set = 1;
    for (size_t i = 0; s->reconnects && i < s->seen_n; i++)
        if (s->seen[i] == h)
            return 1;
    s->seen[s->seen_pos] = h;
    s->seen_pos = (s->seen_pos + 1) % SSEKIT_STREAM_SEEN_IDS;
    if (s->seen_n < SSEKIT_STREAM_SEEN_IDS)
        s->seen_n++;
    return 0;
}

static int on_sse_event(void *user, const ssekit_sse_event *e)
{
    ssekit_stream *s = user;
    s->last_id.len = 0;
    if (sk_buf_append(&s->client->a, &s->last_id, e->id, e->id_len)) {
        s->fatal = SSEKIT_E_NOMEM;
        return 1;
    }
    s->last_id.p[s->last_id.len] = 0;
    s->has_last_id = 1;
    if (seen_before(s, e->id, e->id_len))
        return 0;
    s->attempt_events++;
    s->reconnects_in_row = 0;
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_SSE;
    ev.type = e->type;
    ev.type_len = e->type_len;
    ev.data = e->data;
    ev.data_len = e->data_len;
    ev.id = e->id;
    ev.id_len = e->id_len;
    emit(s, &ev);
    if (s->decode && s->result && ssekit_result_feed_event(s->result, e) == SSEKIT_E_NOMEM)
        s->fatal = SSEKIT_E_NOMEM; /* the answer lost a piece */
    const char *msg;
    int lim = s->decode && s->result ? sk_result_limit(s->result, &msg) : SSEKIT_OK;
    if (lim && !s->limit_status) {
        s->limit_status = lim;
        snprintf(s->limit_msg, sizeof s->limit_msg, "%s", msg);
    }
    return s->fatal != 0 || s->limit_status != 0;
}

static int on_sse_retry(void *user, uint64_t ms)
{
    ((ssekit_stream *)user)->server_retry_ms = ms;
    return 0;
}

static int on_delta(void *user, const ssekit_delta *d)
{
    ssekit_stream *s = user;
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_DELTA;
    ev.delta_kind = d->kind;
    ev.status = d->code;
    ev.index = d->index;
    ev.tool_index = d->tool_index;
    ev.data = d->text;
    ev.data_len = d->text_len;
    ev.id = d->id;
    ev.id_len = d->id_len;
    ev.name = d->name;
    ev.name_len = d->name_len;
    ev.type = d->type;
    ev.type_len = d->type_len;
    ev.usage = d->usage;
    emit(s, &ev);
    if (d->kind == SSEKIT_DELTA_USAGE) {
        ssekit_event u = {0};
        u.kind = SSEKIT_EVENT_USAGE;
        u.usage = d->usage;
        emit(s, &u);
        s->progress_tokens = d->usage.output_tokens;
    } else if (d->kind == SSEKIT_DELTA_TEXT || d->kind == SSEKIT_DELTA_TOOL_CALL) {
        s->progress_bytes += d->text_len;
    } else if (d->kind == SSEKIT_DELTA_ERROR && d->code == SSEKIT_E_TOO_LARGE) {
        limit_hit(s, d->code, "a provider envelope is larger than the limit",
                  s->limits.envelope_max_size ? s->limits.envelope_max_size
                                              : SSEKIT_DECODER_DEFAULT_MAX_ENVELOPE);
        return 1;
    } else if (d->kind == SSEKIT_DELTA_ERROR && d->code == SSEKIT_E_TOO_DEEP) {
        limit_hit(s, d->code, "a provider envelope is nested deeper than the limit",
                  s->limits.envelope_max_depth ? s->limits.envelope_max_depth
                                               : SSEKIT_DECODER_DEFAULT_MAX_DEPTH);
        return 1;
    }
    progress_tick(s, 0);
    return 0;
}

static int on_complete(void *user, const ssekit_output *out, const char *path, size_t path_len,
                       const ssekit_json *value)
{
    ssekit_stream *s = user;
    if (!(s->filter & SSEKIT_EVENT_COMPLETE)) {
        progress_tick(s, 1);
        return 0; /* spare the serialisation */
    }
    s->scratch.len = 0;
    if (ssekit_json_write(value, write_json, s) != SSEKIT_OK) {
        s->fatal = SSEKIT_E_NOMEM;
        return 0;
    }
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_COMPLETE;
    ev.path = path;
    ev.path_len = path_len;
    ev.data = s->scratch.p ? s->scratch.p : "";
    ev.data_len = s->scratch.len;
    ev.output = ssekit_output_label(out);
    emit(s, &ev);
    progress_tick(s, 1);
    return 0;
}

/* --- starting a request ------------------------------------------------------- */

static int add_header(ssekit_stream *s, const char *line)
{
    struct curl_slist *l = curl_slist_append(s->slist, line);
    if (!l)
        return -1;
    s->slist = l;
    return 0;
}

static int has_header(const ssekit_stream *s, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < s->header_count; i++)
        if (!strncasecmp(s->headers[i], name, n) && s->headers[i][n] == ':')
            return 1;
    return 0;
}

static int setup_easy(ssekit_stream *s)
{
    CURL *e = s->easy;
    int rc = 0;
    for (size_t i = 0; i < s->header_count; i++)
        rc |= add_header(s, s->headers[i]);
    if (!has_header(s, "Accept"))
        rc |= add_header(s, "Accept: text/event-stream");
    rc |= add_header(s, "Expect:"); /* no 100-continue round trip */
    const char *id = last_id(s);
    if (s->reconnect && *id) {
        size_t n = strlen(id) + 16;
        char *h = sk_malloc(&s->client->a, n);
        if (!h)
            return -1;
        snprintf(h, n, "Last-Event-ID: %s", id);
        rc |= add_header(s, h);
        sk_free(&s->client->a, h);
    }
    if (rc)
        return -1;
    rc |= (int)curl_easy_setopt(e, CURLOPT_URL, s->url);
    rc |= (int)curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->slist);
    rc |= (int)curl_easy_setopt(e, CURLOPT_PRIVATE, s);
    rc |= (int)curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= (int)curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    rc |= (int)curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
    rc |= (int)curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    rc |= (int)curl_easy_setopt(e, CURLOPT_HEADERDATA, s);
    rc |= (int)curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    if (s->connect_timeout_ms > 0)
        rc |= (int)curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
    if (s->body) {
        rc |= (int)curl_easy_setopt(e, CURLOPT_POSTFIELDS, s->body);
        rc |= (int)curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)s->body_len);
    }
    if (s->method)
        rc |= (int)curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, s->method);
    return rc ? -1 : 0;
}

void sk_stream_start(ssekit_stream *s, uint64_t now)
{
    ssekit_client *c = s->client;
    s->requests++;
    s->got_headers = s->streaming = s->got_byte = s->paused = 0;
    s->http_status = 0;
    s->has_retry_after = 0;
    s->retry_after_ms = 0;
    s->ctype.len = s->errbody.len = 0;
    s->attempt_events = 0;
    s->prev_id_set = 0;
    s->t_attempt = s->t_last_byte = now;
    ssekit_sse_parser_reset(s->parser);
    if (s->decode) {
        /* A retry asks again from scratch: the new answer gets a new result. */
        ssekit_result_free(s->result);
        ssekit_result_callbacks rcb = {.on_delta = on_delta, .on_value_complete = on_complete};
        s->result = ssekit_result_new(s->provider, &rcb, s, &c->a);
        if (!s->result || ssekit_result_set_limits(s->result, &s->limits) ||
            (s->schema && ssekit_result_set_schema(s->result, s->schema))) {
            fail(s, SSEKIT_ERROR_TRANSPORT, SSEKIT_E_NOMEM, "out of memory", NULL, 0);
            return;
        }
    }
    s->easy = curl_easy_init();
    if (!s->easy || setup_easy(s) || curl_multi_add_handle(c->multi, s->easy) != CURLM_OK) {
        fail(s, SSEKIT_ERROR_TRANSPORT, SSEKIT_E_NOMEM, "cannot set up the transfer", NULL, 0);
        return;
    }
    s->state = SK_ACTIVE;
    sk_policy_request(s);
}

long sk_stream_timers(ssekit_stream *s, uint64_t now)
{
    if (s->state == SK_ENDED)
        return -1;
    if (s->state == SK_ACTIVE && s->resume_failed) {
        CURLcode code = (CURLcode)s->resume_failed;
        s->resume_failed = 0;
        sk_stream_transfer_done(s, code);
        return s->state == SK_ENDED ? -1 : 0;
    }
    uint64_t next = total_deadline(s);
    if (now >= next) {
        fail(s, SSEKIT_ERROR_TIMEOUT, SSEKIT_E_IO, "total deadline reached", NULL, 0);
        return -1;
    }
    if (s->state == SK_WAITING) {
        int gate = now >= s->wake_ms ? sk_policy_gate(s, now) : 1;
        if (gate < 0) {
            fail(s, SSEKIT_ERROR_TRANSPORT, SSEKIT_E_CIRCUIT_OPEN, "circuit open", NULL, 0);
            return -1;
        }
        if (gate == 0) {
            sk_stream_start(s, now);
            return s->state == SK_ENDED ? -1 : 0;
        }
        next = s->wake_ms < next ? s->wake_ms : next;
    } else if (!s->paused) {
        const char *why = NULL;
        /* A byte may wait in the kernel for the read-coalescing window (at
         * most 1.25 times it; the slack outlives a window that narrowed). */
        uint64_t slack = 2 * (uint64_t)s->client->coalesce_slack_ms;
        if (!s->got_byte && s->first_byte_timeout_ms > 0) {
            uint64_t d = s->t_attempt + (uint64_t)s->first_byte_timeout_ms + slack;
            if (now >= d)
                why = "no response byte before the first-byte deadline";
            next = d < next ? d : next;
        }
        if (s->got_byte && s->idle_timeout_ms > 0) {
            uint64_t d = s->t_last_byte + (uint64_t)s->idle_timeout_ms + slack;
            if (now >= d)
                why = "no byte within the idle deadline";
            next = d < next ? d : next;
        }
        if (why) {
            if (s->reconnect && s->streaming)
                reconnect(s, why);
            else
                failed_request(s, SSEKIT_ERROR_TIMEOUT, 1, why);
            return 0;
        }
    }
    if (next == UINT64_MAX)
        return -1;
    return next - now > (uint64_t)LONG_MAX ? LONG_MAX : (long)(next - now);
}

/* --- the public stream API ------------------------------------------------------ */

static char *dup_str(const ssekit_alloc_funcs *a, const char *s, size_t n)
{
    char *d = sk_malloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static int valid_header(const char *h)
{
    return h && strchr(h, ':') && h[0] != ':' && !strpbrk(h, "\r\n");
}

static int copy_request(ssekit_stream *s, const ssekit_request *r)
{
    const ssekit_alloc_funcs *a = &s->client->a;
    if (!(s->url = dup_str(a, r->url, strlen(r->url))))
        return SSEKIT_E_NOMEM;
    if (r->method && !(s->method = dup_str(a, r->method, strlen(r->method))))
        return SSEKIT_E_NOMEM;
    if (r->body && !(s->body = dup_str(a, r->body, r->body_len)))
        return SSEKIT_E_NOMEM;
    s->body_len = r->body_len;
    if (r->last_event_id &&
        !(s->initial_id = dup_str(a, r->last_event_id, strlen(r->last_event_id))))
        return SSEKIT_E_NOMEM;
    if (r->header_count) {
        s->headers = sk_malloc(a, r->header_count * sizeof *s->headers);
        if (!s->headers)
            return SSEKIT_E_NOMEM;
        for (size_t i = 0; i < r->header_count; i++) {
            if (!(s->headers[i] = dup_str(a, r->headers[i], strlen(r->headers[i]))))
                return SSEKIT_E_NOMEM;
            s->header_count++;
        }
    }
    s->decode = r->decode;
    s->provider = r->provider;
    s->schema = r->schema;
    s->reconnect = r->reconnect;
    s->reconnect_ms = r->reconnect_ms ? r->reconnect_ms : SSEKIT_STREAM_DEFAULT_RECONNECT_MS;
    s->max_reconnects =
        r->max_reconnects ? r->max_reconnects : SSEKIT_STREAM_DEFAULT_MAX_RECONNECTS;
    s->retry = r->retry;
    if (!s->retry.max_retries && !s->retry.base_delay_ms)
        ssekit_retry_policy_default(&s->retry);
    if (!s->retry.max_delay_ms)
        s->retry.max_delay_ms = SSEKIT_RETRY_DEFAULT_MAX_DELAY_MS;
    if (!s->retry.max_retry_after_ms)
        s->retry.max_retry_after_ms = SSEKIT_RETRY_DEFAULT_MAX_RETRY_AFTER_MS;
#define DEADLINE(v, d) ((v) == 0 ? (d) : (v) < 0 ? -1 : (v))
    s->connect_timeout_ms =
        DEADLINE(r->connect_timeout_ms, SSEKIT_STREAM_DEFAULT_CONNECT_TIMEOUT_MS);
    s->first_byte_timeout_ms =
        DEADLINE(r->first_byte_timeout_ms, SSEKIT_STREAM_DEFAULT_FIRST_BYTE_TIMEOUT_MS);
    s->idle_timeout_ms = DEADLINE(r->idle_timeout_ms, SSEKIT_STREAM_DEFAULT_IDLE_TIMEOUT_MS);
    s->total_timeout_ms = r->total_timeout_ms > 0 ? r->total_timeout_ms : -1;
#undef DEADLINE
    s->max_queue = r->max_queue ? r->max_queue : SSEKIT_STREAM_DEFAULT_MAX_QUEUE;
    s->max_queue_bytes =
        r->max_queue_bytes ? r->max_queue_bytes : SSEKIT_STREAM_DEFAULT_MAX_QUEUE_BYTES;
    s->filter = r->filter ? r->filter & SSEKIT_EVENT_ALL : SSEKIT_EVENT_ALL;
    s->callback = r->callback;
    s->user = r->user;
    s->progress_per_sec =
        r->progress_per_sec ? r->progress_per_sec : SSEKIT_STREAM_DEFAULT_PROGRESS_PER_SEC;
    if (s->progress_per_sec > 1000)
        s->progress_per_sec = 1000;
    s->progress_max_tokens = r->progress_max_tokens;
    s->limits = r->limits;
    return SSEKIT_OK;
}

int ssekit_stream_open(ssekit_client *c, const ssekit_request *req, ssekit_stream **out)
{
    if (out)
        *out = NULL;
    if (!c || !req || !out || !req->url || (req->header_count && !req->headers) ||
        (req->body_len && !req->body) ||
        req->limits.json_max_depth > SSEKIT_PARTIAL_MAX_DEPTH_LIMIT)
        return SSEKIT_E_INVALID;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    for (size_t i = 0; i < req->header_count; i++)
        if (!valid_header(req->headers[i]))
            return SSEKIT_E_INVALID;
    ssekit_stream *s = sk_malloc(&c->a, sizeof *s);
    if (!s)
        return SSEKIT_E_NOMEM;
    memset(s, 0, sizeof *s);
    s->client = c;
    s->state = SK_ENDED; /* not counted as active until fully made */
    int rc = copy_request(s, req);
    if (rc == SSEKIT_OK && !(s->reserve = reserve_new(&c->a)))
        rc = SSEKIT_E_NOMEM;
    if (rc == SSEKIT_OK && s->reconnect) {
        s->seen = sk_malloc(&c->a, SSEKIT_STREAM_SEEN_IDS * sizeof *s->seen);
        if (!s->seen)
            rc = SSEKIT_E_NOMEM;
    }
    if (rc == SSEKIT_OK) {
        ssekit_sse_callbacks cb = {
            .on_event = on_sse_event, .on_retry = on_sse_retry, .on_error = on_sse_error};
        /* the limits survive every reset: retries and reconnects keep them */
        s->parser = ssekit_sse_parser_new(&cb, s, &c->a);
        if (!s->parser)
            rc = SSEKIT_E_NOMEM;
        else if (s->limits.sse_max_line)
            ssekit_sse_parser_set_max_line(s->parser, s->limits.sse_max_line);
        if (s->parser && s->limits.sse_max_event)
            ssekit_sse_parser_set_max_event(s->parser, s->limits.sse_max_event);
    }
    if (rc != SSEKIT_OK) {
        sk_stream_destroy(s, 0);
        return rc;
    }
    /* Appended: the client walks its streams oldest first, so streams due
     * in the same turn start in the order they were opened. */
    s->prev = c->streams_tail;
    if (c->streams_tail)
        c->streams_tail->next = s;
    else
        c->streams = s;
    c->streams_tail = s;
    c->active++;
    if (!s->callback)
        c->pull_active++;
    s->state = SK_WAITING;
    s->t_open = s->wake_ms = sk_now_ms();
    sk_client_timers_changed(c);
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_START;
    ev.attempt = 1;
    emit(s, &ev);
    if (s->fatal) { /* its START could not be queued */
        sk_stream_destroy(s, 1);
        sk_client_timers_changed(c);
        return SSEKIT_E_NOMEM;
    }
    *out = s;
    return SSEKIT_OK;
}

void sk_stream_destroy(ssekit_stream *s, int unlink)
{
    ssekit_client *c = s->client;
    const ssekit_alloc_funcs *a = &c->a;
    if (unlink) {
        if (s->prev)
            s->prev->next = s->next;
        else
            c->streams = s->next;
        if (s->next)
            s->next->prev = s->prev;
        else
            c->streams_tail = s->prev;
        if (s->state != SK_ENDED) {
            c->active--;
            if (!s->callback)
                c->pull_active--;
        }
    }
    s->paused = 0; /* no resume while draining */
    drop_transfer(s);
    sk_policy_release(s);
    sk_qevent *q;
    while ((q = sk_stream_pop(s)))
        sk_free(a, q);
    sk_free(a, s->current);
    ssekit_sse_parser_free(s->parser);
    ssekit_result_free(s->result);
    for (size_t i = 0; i < s->header_count; i++)
        sk_free(a, s->headers[i]);
    sk_free(a, s->headers);
    sk_free(a, s->url);
    sk_free(a, s->method);
    sk_free(a, s->body);
    sk_free(a, s->initial_id);
    sk_buf_free(a, &s->ctype);
    sk_buf_free(a, &s->errbody);
    sk_buf_free(a, &s->scratch);
    sk_buf_free(a, &s->last_id);
    sk_free(a, s->seen);
    sk_free(a, s->reserve);
    sk_free(a, s);
}

int ssekit_stream_free(ssekit_stream *s)
{
    if (!s)
        return SSEKIT_OK;
    if (s->client->in_callback)
        return SSEKIT_E_STATE;
    sk_stream_destroy(s, 1);
    return SSEKIT_OK;
}

int ssekit_stream_cancel(ssekit_stream *s)
{
    if (!s)
        return SSEKIT_E_INVALID;
    if (s->state == SK_ENDED)
        return SSEKIT_OK;
    if (s->callback) { /* a callback that said stop hears nothing more but the end */
        sk_qevent *q;
        s->paused = 0;
        while ((q = sk_stream_pop(s)))
            sk_free(&s->client->a, q);
    }
    fail(s, SSEKIT_ERROR_CANCELED, SSEKIT_E_STOPPED, "canceled", NULL, 0);
    return SSEKIT_OK;
}

int ssekit_stream_next(ssekit_stream *s, const ssekit_event **event, long timeout_ms)
{
    if (event)
        *event = NULL;
    if (!s || !event)
        return SSEKIT_E_INVALID;
    ssekit_client *c = s->client;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    if (s->callback)
        return SSEKIT_E_STATE;
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : sk_now_ms() + (uint64_t)timeout_ms;
    for (int stepped = 0;; stepped = 1) {
        sk_qevent *q = sk_stream_pop(s);
        if (q) {
            sk_free(&c->a, s->current);
            s->current = q;
            *event = &q->ev;
            return 1;
        }
        if (s->state == SK_ENDED)
            return SSEKIT_E_STATE;
        uint64_t now = sk_now_ms();
        /* a wake-up ends this wait as it ends the client's: consuming it here
         * also keeps the step below from skipping its wait for ever */
        if (stepped && (now >= deadline || atomic_exchange(&c->woken, 0)))
            return 0;
        long wait = deadline == UINT64_MAX ? -1 : now >= deadline ? 0 : (long)(deadline - now);
        int rc = sk_client_step(c, wait);
        if (rc < 0)
            return rc;
    }
}

int ssekit_stream_is_done(const ssekit_stream *s)
{
    return s && s->state == SK_ENDED;
}

size_t ssekit_stream_queued(const ssekit_stream *s)
{
    return s ? s->q_len : 0;
}

int ssekit_stream_is_paused(const ssekit_stream *s)
{
    return s && s->paused;
}

const char *ssekit_stream_last_event_id(const ssekit_stream *s)
{
    return s ? last_id(s) : "";
}

void *ssekit_stream_user(const ssekit_stream *s)
{
    return s ? s->user : NULL;
}
