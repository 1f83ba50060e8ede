/* The bridge's HTTP routes beside the streams themselves: the job API
 * (POST/GET /v1/streams, GET/DELETE /v1/streams/{id}, GET
 * /v1/streams/{id}/result), GET /metrics, GET /healthz and the dashboard's
 * embedded files. Service thread only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_jobs.h"

/* The dashboard runs under this policy: no inline script or style. */
#define BR_CSP                                                                                     \
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; "    \
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

#define BR_IDEM_MAX 128

unsigned br_http_method(struct lws *wsi)
{
    static const struct {
        enum lws_token_indexes t;
        unsigned m;
    } methods[] = {{WSI_TOKEN_GET_URI, BR_GET},
                   {WSI_TOKEN_HEAD_URI, BR_HEAD},
                   {WSI_TOKEN_POST_URI, BR_POST},
                   {WSI_TOKEN_DELETE_URI, BR_DELETE}};
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        if (lws_hdr_total_length(wsi, methods[i].t) > 0)
            return methods[i].m;
    }
    return BR_OTHER_METHOD;
}

const char *br_http_allow(unsigned m)
{
    static const char *const allow[16] = {"",
                                          "GET",
                                          "HEAD",
                                          "GET, HEAD",
                                          "POST",
                                          "GET, POST",
                                          "HEAD, POST",
                                          "GET, HEAD, POST",
                                          "DELETE",
                                          "GET, DELETE",
                                          "HEAD, DELETE",
                                          "GET, HEAD, DELETE",
                                          "POST, DELETE",
                                          "GET, POST, DELETE",
                                          "HEAD, POST, DELETE",
                                          "GET, HEAD, POST, DELETE"};
    return allow[m & 15];
}

/* One whole response of any size: headers (name/value pairs, NULL-ended),
 * then the body. What the socket does not take at once, libwebsockets keeps
 * and sends before it completes the transaction. A HEAD request gets the
 * same headers (Content-Length included) and no body. */
static int send_reply(struct lws *wsi, unsigned code, const char *type, const char *body,
                      size_t len, const char *const *hdrs)
{
    unsigned char hb[LWS_PRE + 2048], *start = hb + LWS_PRE, *p = start, *end = hb + sizeof hb - 1;
    if (lws_add_http_common_headers(wsi, code, type, len, &p, end))
        return -1;
    for (; hdrs && hdrs[0]; hdrs += 2) {
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)hdrs[0],
                                        (const unsigned char *)hdrs[1], (int)strlen(hdrs[1]), &p,
                                        end))
            return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    if (len && br_http_method(wsi) != BR_HEAD) {
        unsigned char *buf = malloc(LWS_PRE + len);
        if (!buf)
            return -1;
        memcpy(buf + LWS_PRE, body, len);
        int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_HTTP_FINAL);
        free(buf);
        if (n < 0)
            return -1;
    }
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static const char *const json_hdrs[] = {"cache-control:", "no-store", NULL};

static int send_json(struct lws *wsi, unsigned code, sk_buf *body)
{
    if (code == 0) /* out of memory while rendering */
        return send_reply(wsi, 500, "application/json", "{\"error\":\"out of memory\"}", 25,
                          json_hdrs);
    return send_reply(wsi, code, "application/json", body->p ? body->p : "", body->len, json_hdrs);
}

static int send_static(struct lws *wsi, unsigned code, const char *msg)
{
    return send_reply(wsi, code, "application/json", msg, strlen(msg), json_hdrs);
}

/* 405 with the Allow header the method needs (RFC 9110 15.5.6). */
static int not_allowed(struct lws *wsi, unsigned allowed)
{
    static const char msg[] = "{\"error\":\"method not allowed\"}";
    const char *const h[] = {"allow:", br_http_allow(allowed), "cache-control:", "no-store", NULL};
    return send_reply(wsi, 405, "application/json", msg, sizeof msg - 1, h);
}

int br_http_public(ssekit_bridge *b, struct lws *wsi, const char *uri)
{
    (void)b;
    unsigned m = br_http_method(wsi);
    const br_web_file *f = strcmp(uri, "/healthz") == 0 ? NULL : br_web_find(uri);
    if (!f && strcmp(uri, "/healthz") != 0)
        return BR_HTTP_NOT_MINE;
    if (!(m & (BR_GET | BR_HEAD)))
        return not_allowed(wsi, BR_GET | BR_HEAD);
    if (!f) {
        static const char *const h[] = {"cache-control:", "no-store", NULL};
        return send_reply(wsi, 200, "text/plain; charset=utf-8", "ok", 2, h);
    }
    static const char *const h[] = {"content-security-policy:",
                                    BR_CSP,
                                    "x-content-type-options:",
                                    "nosniff",
                                    "referrer-policy:",
                                    "no-referrer",
                                    "cache-control:",
                                    "no-cache",
                                    NULL};
    return send_reply(wsi, 200, br_web_type(f->path), (const char *)f->data, f->len, h);
}

static int do_metrics(ssekit_bridge *b, struct lws *wsi)
{
    sk_buf out = {0};
    int rc = br_metrics_render(b, &out)
                 ? send_static(wsi, 500, "{\"error\":\"out of memory\"}")
                 : send_reply(wsi, 200, "text/plain; version=0.0.4; charset=utf-8",
                              out.p ? out.p : "", out.len, json_hdrs);
    sk_buf_free(&b->a, &out);
    return rc;
}

/* POST /v1/streams: the body follows (br_http_body); the Idempotency-Key is
 * kept now, while the headers are at hand. */
static int job_post(ssekit_bridge *b, struct lws *wsi, br_conn **pc)
{
    char key[BR_IDEM_MAX + 2];
    int kl = lws_hdr_custom_length(wsi, "idempotency-key:", 16);
    if (kl > BR_IDEM_MAX)
        return send_static(wsi, 400, "{\"error\":\"Idempotency-Key longer than 128 bytes\"}");
    if (kl > 0 && lws_hdr_custom_copy(wsi, key, sizeof key, "idempotency-key:", 16) <= 0)
        return send_static(wsi, 400, "{\"error\":\"bad Idempotency-Key\"}");
    br_conn *c = sk_malloc(&b->a, sizeof *c);
    if (!c)
        return -1;
    memset(c, 0, sizeof *c);
    c->b = b;
    c->wsi = wsi;
    c->kind = BR_CONN_JOB;
    if (kl > 0) { /* c->target: the key, "" for none */
        key[kl] = '\0';
        memcpy(c->target, key, (size_t)kl + 1);
    }
    *pc = c;
    return 0;
}

int br_http_body(ssekit_bridge *b, struct lws *wsi, br_conn *c)
{
    if (c->rx_too_big)
        return send_static(wsi, 413, "{\"error\":\"body too large\"}");
    sk_buf out = {0};
    unsigned code =
        br_jobs_submit(b, c->rx.p ? c->rx.p : "", c->rx.len, c->target[0] ? c->target : NULL, &out);
    int rc = send_json(wsi, code, &out);
    sk_buf_free(&b->a, &out);
    return rc;
}

int br_http_route(ssekit_bridge *b, struct lws *wsi, br_conn **pc, const char *uri)
{
    unsigned m = br_http_method(wsi);
    int get = (m & (BR_GET | BR_HEAD)) != 0; /* HEAD: the same, without the body */
    int post = m == BR_POST, del = m == BR_DELETE;
    if (strcmp(uri, "/metrics") == 0)
        return get ? do_metrics(b, wsi) : not_allowed(wsi, BR_GET | BR_HEAD);
    static const char streams[] = "/v1/streams", result[] = "/result";
    if (!b->jobs || strncmp(uri, streams, sizeof streams - 1) != 0)
        return BR_HTTP_NOT_MINE;
    const char *rest = uri + sizeof streams - 1;
    sk_buf out = {0};
    unsigned code;
    if (*rest == '\0') {
        if (post)
            return job_post(b, wsi, pc);
        if (!get)
            return not_allowed(wsi, BR_GET | BR_HEAD | BR_POST);
        code = br_jobs_list(b, &out);
    } else if (*rest == '/' && rest[1]) {
        const char *id = rest + 1;
        size_t n = strlen(id), rl = sizeof result - 1;
        int is_result = n > rl && strcmp(id + n - rl, result) == 0;
        if (is_result)
            n -= rl;
        if (memchr(id, '/', n) || !br_channel_name_ok(id, n))
            return BR_HTTP_NOT_MINE;
        if (is_result && get)
            code = br_jobs_result(b, id, n, &out);
        else if (!is_result && get)
            code = br_jobs_status(b, id, n, &out);
        else if (!is_result && del)
            code = br_jobs_cancel(b, id, n, &out);
        else
            return not_allowed(wsi, is_result ? BR_GET | BR_HEAD : BR_GET | BR_HEAD | BR_DELETE);
    } else {
        return BR_HTTP_NOT_MINE;
    }
    int rc = send_json(wsi, code, &out);
    sk_buf_free(&b->a, &out);
    return rc;
}
