/* The endpoints of the replay server: which transcript a request gets, the
 * checks before it (auth, body, fault list), the provider-shaped errors, the
 * health and log endpoints. docs/replay.md is the contract. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "replay_internal.h"
#include "replay_json.h"

typedef enum provider { P_GENERIC, P_OPENAI, P_ANTHROPIC, P_RESPONSES } provider;

static const char JSON_TYPE[] = "application/json";
static const char SSE_PROVIDER_TYPE[] = "text/event-stream; charset=utf-8";
static const char SSE_RAW_TYPE[] = "text/event-stream";

static provider provider_of(const char *path)
{
    if (!path)
        return P_GENERIC;
    if (!strcmp(path, "/v1/chat/completions"))
        return P_OPENAI;
    if (!strcmp(path, "/v1/messages"))
        return P_ANTHROPIC;
    if (!strcmp(path, "/v1/responses"))
        return P_RESPONSES;
    return P_GENERIC;
}

static const char *openai_type(int status)
{
    if (status == 429)
        return "requests";
    if (status >= 500)
        return "server_error";
    return "invalid_request_error";
}

static const char *anthropic_type(int status)
{
    switch (status) {
    case 401:
        return "authentication_error";
    case 403:
        return "permission_error";
    case 404:
        return "not_found_error";
    case 413:
        return "request_too_large";
    case 429:
        return "rate_limit_error";
    case 529:
        return "overloaded_error";
    default:
        return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

/* The error body in the shape the provider of `path` uses. */
static int error_body(sk_buf *b, const ssekit_alloc_funcs *a, provider p, int status,
                      const char *msg, uint64_t seq)
{
    int rc = 0;
    if (p == P_ANTHROPIC) {
        char tail[64];
        rc |= rp_json_raw(b, a, "{\"type\": \"error\", \"error\": {\"type\": \"");
        rc |= rp_json_raw(b, a, anthropic_type(status));
        rc |= rp_json_raw(b, a, "\", \"message\": ");
        rc |= rp_json_str(b, a, msg, strlen(msg));
        snprintf(tail, sizeof tail, "}, \"request_id\": \"req_replay_%" PRIu64 "\"}", seq);
        rc |= rp_json_raw(b, a, tail);
    } else {
        rc |= rp_json_raw(b, a, "{\"error\": {\"message\": ");
        rc |= rp_json_str(b, a, msg, strlen(msg));
        rc |= rp_json_raw(b, a, ", \"type\": \"");
        rc |=
            rp_json_raw(b, a, p == P_GENERIC && status == 404 ? "not_found" : openai_type(status));
        rc |= rp_json_raw(b, a, "\"");
        if (p != P_GENERIC) {
            const char *code = status == 429   ? "\"rate_limit_exceeded\""
                               : status == 401 ? "\"invalid_api_key\""
                                               : "null";
            rc |= rp_json_raw(b, a, ", \"param\": null, \"code\": ");
            rc |= rp_json_raw(b, a, code);
        }
        rc |= rp_json_raw(b, a, "}}");
    }
    return rc;
}

/* What one request became, gathered for the log. */
struct outcome {
    const char *key;
    uint64_t attempt;
    const char *transcript;
    const char *fault_text;
    int fault_applied;
};

/* The request's key (X-Replay-Key, else key= in the query; kept in *buf)
 * and its attempt number. */
static void read_key(ssekit_replay *srv, const rp_request *r, struct outcome *o, sk_buf *buf)
{
    const char *h = r->method ? rp_http_header(r, "X-Replay-Key") : NULL;
    int q = h || !r->query ? 0 : rp_query_param(r->query, "key", buf, &srv->a);
    o->key = h ? h : q == 1 ? buf->p : NULL;
    if (o->key)
        o->attempt = rp_log_count_key(&srv->log, o->key);
}

static uint64_t log_request(ssekit_replay *srv, rp_conn *c, const struct outcome *o, int status,
                            int streaming, uint64_t now)
{
    const rp_request *r = &c->req;
    rp_log_input in = {0};
    in.method = r->method;
    in.path = r->path;
    in.query = r->query;
    in.headers = r->headers;
    in.n_headers = r->n_headers;
    in.last_event_id = r->method ? rp_http_header(r, "Last-Event-ID") : NULL;
    in.key = o->key;
    in.attempt = o->attempt;
    in.body = r->body.p;
    in.body_len = r->body.len;
    in.transcript = o->transcript;
    in.fault = o->fault_text;
    in.fault_applied = o->fault_applied;
    in.status = status;
    in.t_ms = now - srv->t0;
    return rp_log_add(&srv->log, &in, streaming);
}

/* Logs and queues an error response in the provider's shape. */
static void fail(ssekit_replay *srv, rp_conn *c, const struct outcome *o, int status,
                 const char *msg, const char *extra, uint64_t now)
{
    sk_buf b = {0};
    c->seq = log_request(srv, c, o, status, 0, now);
    if (error_body(&b, &srv->a, provider_of(c->req.path), status, msg, c->seq) ||
        rp_conn_respond(srv, c, status, JSON_TYPE, extra, b.p, b.len))
        rp_conn_abort(srv, c, "client-gone");
    sk_buf_free(&srv->a, &b);
}

void rp_route_bad_request(ssekit_replay *srv, rp_conn *c, int status, uint64_t now)
{
    struct outcome o = {0};
    char msg[160];
    if (status == 413)
        snprintf(msg, sizeof msg, "request body larger than the server's limit of %zu bytes",
                 srv->max_body);
    else if (status == 431)
        snprintf(msg, sizeof msg,
                 "request head larger than %zu bytes or with more than %u header lines",
                 srv->max_header, srv->max_headers);
    else if (status == 411)
        snprintf(msg, sizeof msg, "only Content-Length request bodies are supported");
    else if (status == 505)
        snprintf(msg, sizeof msg, "only HTTP/1.0 and HTTP/1.1 are supported");
    else
        snprintf(msg, sizeof msg, "malformed HTTP request");
    if (!c->req.method) /* the head did not parse: log nothing of it */
        c->req.n_headers = 0, c->req.path = c->req.query = NULL;
    c->keep_alive = 0;
    sk_buf key = {0};
    read_key(srv, &c->req, &o, &key);
    fail(srv, c, &o, status, msg, NULL, now);
    sk_buf_free(&srv->a, &key);
}

/* --- the endpoints that are not logged ------------------------------------ */

static void respond_json(ssekit_replay *srv, rp_conn *c, int status, char *json)
{
    if (!json || rp_conn_respond(srv, c, status, JSON_TYPE, NULL, json, strlen(json)))
        rp_conn_abort(srv, c, "client-gone");
}

static char *transcripts_json(ssekit_replay *srv)
{
    sk_buf b = {0};
    int rc = rp_json_raw(&b, &srv->a, "[");
    for (size_t i = 0; i < srv->ts.n; i++) {
        const rp_transcript *t = &srv->ts.v[i];
        char tail[120];
        rc |= rp_json_raw(&b, &srv->a, i ? ",\n {\"name\": " : "{\"name\": ");
        rc |= rp_json_str(&b, &srv->a, t->name, strlen(t->name));
        snprintf(tail, sizeof tail, ", \"events\": %" PRIu64 ", \"bytes\": %zu, \"ids\": %s}",
                 t->n_events, t->len, t->has_ids ? "true" : "false");
        rc |= rp_json_raw(&b, &srv->a, tail);
    }
    rc |= rp_json_raw(&b, &srv->a, "]\n");
    if (rc) {
        sk_buf_free(&srv->a, &b);
        return NULL;
    }
    b.p[b.len] = 0;
    return b.p;
}

/* /v1/replay/...: the log and the transcript list. Returns 1 when handled. */
static int route_admin(ssekit_replay *srv, rp_conn *c)
{
    const rp_request *r = &c->req;
    if (!strcmp(r->path, "/v1/replay/requests")) {
        if (!strcmp(r->method, "GET")) {
            sk_buf key = {0};
            int has = rp_query_param(r->query, "key", &key, &srv->a);
            char *json = has >= 0 ? rp_log_json(&srv->log, has == 1 ? key.p : NULL) : NULL;
            respond_json(srv, c, 200, json);
            sk_free(&srv->a, json);
            sk_buf_free(&srv->a, &key);
        } else if (!strcmp(r->method, "DELETE")) {
            rp_log_clear(&srv->log);
            if (rp_conn_respond(srv, c, 204, NULL, NULL, NULL, 0))
                rp_conn_abort(srv, c, "client-gone");
        } else {
            static char msg[] = "{\"error\": {\"message\": \"use GET or DELETE\", "
                                "\"type\": \"method_not_allowed\"}}";
            if (rp_conn_respond(srv, c, 405, JSON_TYPE, "Allow: GET, DELETE\r\n", msg,
                                sizeof msg - 1))
                rp_conn_abort(srv, c, "client-gone");
        }
        return 1;
    }
    if (!strcmp(r->path, "/v1/replay/transcripts") && !strcmp(r->method, "GET")) {
        char *json = transcripts_json(srv);
        respond_json(srv, c, 200, json);
        sk_free(&srv->a, json);
        return 1;
    }
    return 0;
}

/* --- stream endpoints -------------------------------------------------------- */

static int authorized(const ssekit_replay *srv, const rp_request *r)
{
    if (!srv->api_key)
        return 1;
    const char *auth = rp_http_header(r, "Authorization");
    const char *xkey = rp_http_header(r, "x-api-key");
    if (auth && !strncmp(auth, "Bearer ", 7) && !strcmp(auth + 7, srv->api_key))
        return 1;
    return xkey && !strcmp(xkey, srv->api_key);
}

/* The transcript a provider endpoint serves by default for this body. */
static const char *default_transcript(provider p, const rp_body_info *bi)
{
    switch (p) {
    case P_OPENAI:
        return bi->tools && !bi->response_format ? "openai_chat_tool_calls"
                                                 : "openai_chat_structured";
    case P_ANTHROPIC:
        return bi->tools ? "anthropic_tool_use" : "anthropic_text";
    case P_RESPONSES:
        return bi->text_json_schema ? "responses_structured" : "responses_text";
    default:
        return NULL;
    }
}

/* Parses the fault list of the request (header, then query) into *f and its
 * text into *text. Returns 0, or -1 with a message in err. */
static int read_faults(ssekit_replay *srv, const rp_request *r, rp_fault *f, sk_buf *text,
                       sk_buf *tmp, char *err, size_t errlen)
{
    const char *hdr = rp_http_header(r, "X-Replay-Fault");
    rp_fault_init(f);
    text->len = 0;
    int q = rp_query_param(r->query, "fault", tmp, &srv->a);
    if (q < 0 || (hdr && sk_buf_append(&srv->a, text, hdr, strlen(hdr))) ||
        (hdr && q && sk_buf_push(&srv->a, text, ';')) ||
        (q && sk_buf_append(&srv->a, text, tmp->p, tmp->len)) || sk_buf_reserve(&srv->a, text, 1)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    text->p[text->len] = 0;
    if (hdr && rp_fault_parse(f, hdr, strlen(hdr), err, errlen))
        return -1;
    if (q && rp_fault_parse(f, tmp->p, tmp->len, err, errlen))
        return -1;
    return rp_fault_finish(f, err, errlen);
}

/* A status fault: the error (or empty) response instead of the stream. */
static void fault_status(ssekit_replay *srv, rp_conn *c, const struct outcome *o, const rp_fault *f,
                         uint64_t now)
{
    char extra[96] = "";
    if (f->retry_after_date_s != RP_FAULT_NONE) {
        /* HTTP dates have whole seconds: round up so the client waits at
         * least retry_after_date_s seconds. */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        char date[32];
        rp_http_date(date, ts.tv_sec + (ts.tv_nsec > 0) + (time_t)f->retry_after_date_s);
        snprintf(extra, sizeof extra, "Retry-After: %s\r\n", date);
    } else if (f->retry_after_s != RP_FAULT_NONE) {
        snprintf(extra, sizeof extra, "Retry-After: %ld\r\n", f->retry_after_s);
    }
    if (f->status < 400) {
        c->seq = log_request(srv, c, o, f->status, 0, now);
        if (rp_conn_respond(srv, c, f->status, JSON_TYPE, extra, NULL, 0))
            rp_conn_abort(srv, c, "client-gone");
        return;
    }
    char msg[128];
    if (f->status == 429)
        snprintf(msg, sizeof msg, "Rate limit reached for requests (injected by ssekit replay)");
    else if (f->status == 529)
        snprintf(msg, sizeof msg, "Overloaded");
    else
        snprintf(msg, sizeof msg, "%s (injected by ssekit replay)", rp_http_reason(f->status));
    fail(srv, c, o, f->status, msg, extra, now);
}

/* Checks 1-3 of a stream request (key, body, transcript; docs/replay.md).
 * Returns the transcript, or NULL after queuing the error answer. */
static const rp_transcript *pick_transcript(ssekit_replay *srv, rp_conn *c, const struct outcome *o,
                                            provider p, const char *raw_name, uint64_t now)
{
    const rp_request *r = &c->req;
    rp_body_info bi = {0};
    const char *name = raw_name;
    sk_buf q = {0};
    if (p != P_GENERIC) {
        if (!authorized(srv, r)) {
            fail(srv, c, o, 401,
                 p == P_ANTHROPIC ? "invalid x-api-key" : "Incorrect API key provided.", NULL, now);
            return NULL;
        }
        if (rp_body_inspect(r->body.p, r->body.len, &bi)) {
            fail(srv, c, o, 400, bi.error, NULL, now);
            return NULL;
        }
        if (!bi.stream) {
            fail(srv, c, o, 400,
                 "\"stream\": true is required: the replay server only answers with streams", NULL,
                 now);
            return NULL;
        }
        const char *h = rp_http_header(r, "X-Replay-Transcript");
        int qt = h ? 0 : rp_query_param(r->query, "transcript", &q, &srv->a);
        name = h ? h : qt == 1 ? q.p : default_transcript(p, &bi);
    }
    const rp_transcript *t = name ? rp_transcripts_find(&srv->ts, name) : NULL;
    if (!t) {
        char err[120];
        snprintf(err, sizeof err, "no transcript named '%.64s'", name ? name : "");
        fail(srv, c, o, 404, err, NULL, now);
    }
    sk_buf_free(&srv->a, &q);
    return t;
}

/* times=K: whether this request is among the first K of its key (or, without
 * a key, of its fault list). */
static int within_times(ssekit_replay *srv, const struct outcome *o, const rp_fault *f,
                        const sk_buf *text)
{
    if (f->times == RP_FAULT_NONE)
        return 1;
    uint64_t n = o->attempt;
    if (!o->key) {
        sk_buf k = {0};
        if (!sk_buf_push(&srv->a, &k, '\x01') &&
            !sk_buf_append(&srv->a, &k, text->p, text->len + 1))
            n = rp_log_count_key(&srv->log, k.p);
        sk_buf_free(&srv->a, &k);
    }
    return n >= 1 && n <= (uint64_t)f->times;
}

static void route_stream(ssekit_replay *srv, rp_conn *c, struct outcome o, provider p,
                         const char *raw_name, uint64_t now)
{
    const rp_request *r = &c->req;
    sk_buf text = {0}, tmp = {0};
    rp_fault f;
    char err[200];
    const rp_transcript *t = pick_transcript(srv, c, &o, p, raw_name, now);
    if (!t)
        goto out;
    o.transcript = t->name;
    int bad = read_faults(srv, r, &f, &text, &tmp, err, sizeof err);
    o.fault_text = text.len ? text.p : NULL;
    if (bad) {
        fail(srv, c, &o, 400, err, NULL, now);
        goto out;
    }
    o.fault_applied = f.any && within_times(srv, &o, &f, &text);
    if (!o.fault_applied)
        rp_fault_init(&f);
    if (f.status && f.status != 200) {
        fault_status(srv, c, &o, &f, now);
        goto out;
    }
    const char *lei = p == P_GENERIC ? rp_http_header(r, "Last-Event-ID") : NULL;
    rp_stream_start(srv, c, t, &f, p == P_GENERIC, lei, now);
    if (lei && !rp_resume_remaining(&c->st.resume, t)) {
        /* Nothing after that ID: 204 tells an EventSource to stop. */
        memset(&c->st, 0, sizeof c->st);
        c->seq = log_request(srv, c, &o, 204, 0, now);
        if (rp_conn_respond(srv, c, 204, NULL, NULL, NULL, 0))
            rp_conn_abort(srv, c, "client-gone");
        goto out;
    }
    c->chunked = !r->http10 && !f.framing_close;
    if (!c->chunked)
        c->keep_alive = 0;
    c->seq = log_request(srv, c, &o, 200, 1, now);
    const char *ct = f.content_type[0] ? f.content_type
                     : p == P_GENERIC  ? SSE_RAW_TYPE
                                       : SSE_PROVIDER_TYPE;
    if (rp_conn_stream_head(srv, c, ct))
        rp_conn_abort(srv, c, "client-gone");
out:
    sk_buf_free(&srv->a, &text);
    sk_buf_free(&srv->a, &tmp);
}

static void not_allowed(ssekit_replay *srv, rp_conn *c, const struct outcome *o, const char *allow,
                        uint64_t now)
{
    char extra[40], msg[120];
    snprintf(extra, sizeof extra, "Allow: %s\r\n", allow);
    snprintf(msg, sizeof msg, "use %s for %.80s", allow, c->req.path);
    fail(srv, c, o, 405, msg, extra, now);
}

/* Everything but /v1/replay/...; every request here is logged. */
static void route_logged(ssekit_replay *srv, rp_conn *c, const struct outcome *o, uint64_t now)
{
    const char *m = c->req.method, *path = c->req.path;
    provider p = provider_of(path);
    if (p != P_GENERIC) {
        if (strcmp(m, "POST"))
            not_allowed(srv, c, o, "POST", now);
        else
            route_stream(srv, c, *o, p, NULL, now);
        return;
    }
    if (!strncmp(path, "/v1/raw/", 8) && rp_transcript_name_ok(path + 8, strlen(path + 8))) {
        if (strcmp(m, "GET"))
            not_allowed(srv, c, o, "GET", now);
        else
            route_stream(srv, c, *o, P_GENERIC, path + 8, now);
        return;
    }
    if (!strcmp(path, "/healthz")) {
        if (strcmp(m, "GET")) {
            not_allowed(srv, c, o, "GET", now);
            return;
        }
        static const char ok[] = "{\"status\": \"ok\"}\n";
        c->seq = log_request(srv, c, o, 200, 0, now);
        if (rp_conn_respond(srv, c, 200, JSON_TYPE, NULL, ok, sizeof ok - 1))
            rp_conn_abort(srv, c, "client-gone");
        return;
    }
    char msg[120];
    snprintf(msg, sizeof msg, "no endpoint %.80s", path);
    fail(srv, c, o, 404, msg, NULL, now);
}

void rp_route(ssekit_replay *srv, rp_conn *c, uint64_t now)
{
    if (!strncmp(c->req.path, "/v1/replay/", 11) && route_admin(srv, c))
        return;
    struct outcome o = {0};
    sk_buf key = {0};
    read_key(srv, &c->req, &o, &key);
    route_logged(srv, c, &o, now);
    sk_buf_free(&srv->a, &key);
}
