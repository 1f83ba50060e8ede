/* The client's audit trail: JSON lines for requests (secrets redacted), SSE
 * events and results. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "client_internal.h"

#define REDACTED "[redacted]"

typedef struct abuf {
    const ssekit_alloc_funcs *a;
    sk_buf b;
    int err;
} abuf;

static void raw(abuf *o, const char *s, size_t n)
{
    if (!o->err && sk_buf_append(o->a, &o->b, s, n))
        o->err = 1;
}

static void lit(abuf *o, const char *s)
{
    raw(o, s, strlen(s));
}

/* A JSON string. Bytes >= 0x80 are copied as they are except where they do
 * not form valid UTF-8: those become \u00XX so every line stays JSON. */
static void str(abuf *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    raw(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            raw(o, e, 2);
        } else if (c == '\n') {
            raw(o, "\\n", 2);
        } else if (c == '\r') {
            raw(o, "\\r", 2);
        } else if (c == '\t') {
            raw(o, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            raw(o, e, 6);
        } else if (c < 0x80) {
            raw(o, (const char *)&c, 1);
        } else {
            size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            int ok = len && i + len <= n;
            for (size_t k = 1; ok && k < len; k++)
                ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
            if (ok && len == 3 && c == 0xe0)
                ok = (unsigned char)s[i + 1] >= 0xa0;
            if (ok && len == 3 && c == 0xed)
                ok = (unsigned char)s[i + 1] < 0xa0;
            if (ok && len == 4 && c == 0xf0)
                ok = (unsigned char)s[i + 1] >= 0x90;
            if (ok && len == 4 && c == 0xf4)
                ok = (unsigned char)s[i + 1] < 0x90;
            if (ok) {
                raw(o, s + i, len);
                i += len - 1;
            } else {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                raw(o, e, 6);
            }
        }
    }
    raw(o, "\"", 1);
}

static void zstr(abuf *o, const char *s)
{
    if (s)
        str(o, s, strlen(s));
    else
        lit(o, "null");
}

static void num(abuf *o, int64_t v)
{
    char t[32];
    snprintf(t, sizeof t, "%" PRId64, v);
    lit(o, t);
}

static void head(abuf *o, const ssekit_stream *s, const char *type)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lit(o, "{\"ts\": ");
    num(o, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    lit(o, ", \"type\": \"");
    lit(o, type);
    lit(o, "\", \"stream\": ");
    num(o, (int64_t)s->seq);
}

static void flush(ssekit_stream *s, abuf *o)
{
    sk_policy *p = &s->client->pol;
    lit(o, "}\n");
    if (o->err || fwrite(o->b.p, 1, o->b.len, p->audit) != o->b.len || fflush(p->audit))
        p->audit_errors++;
    sk_buf_free(o->a, &o->b);
}

static int secret_header(const char *h, size_t n)
{
    static const char *const names[] = {"authorization", "proxy-authorization", "x-api-key",
                                        "api-key",       "x-goog-api-key",      "cookie"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == n && !strncasecmp(h, names[i], n))
            return 1;
    return 0;
}

static int secret_param(const char *p, size_t n)
{
    static const char *const names[] = {"key", "api_key", "apikey", "access_token", "token"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == n && !strncasecmp(p, names[i], n))
            return 1;
    return 0;
}

/* The URL as a JSON string, with user:password@ and secret query values
 * replaced. */
static void url(abuf *o, const char *u)
{
    sk_buf tmp = {0};
    abuf t = {.a = o->a};
    const char *auth = strstr(u, "://");
    const char *p = u;
    if (auth) {
        auth += 3;
        size_t alen = strcspn(auth, "/?#");
        const char *at = NULL;
        for (size_t i = 0; i < alen; i++)
            if (auth[i] == '@')
                at = auth + i;
        raw(&t, u, (size_t)(auth - u));
        if (at)
            lit(&t, REDACTED "@");
        p = at ? at + 1 : auth;
    }
    const char *q = strchr(p, '?');
    if (!q) {
        lit(&t, p);
    } else {
        raw(&t, p, (size_t)(q + 1 - p));
        const char *end = q + 1 + strcspn(q + 1, "#");
        for (const char *i = q + 1; i < end;) {
            size_t plen = (size_t)(strcspn(i, "&#"));
            if (i + plen > end)
                plen = (size_t)(end - i);
            const char *eq = memchr(i, '=', plen);
            if (eq && secret_param(i, (size_t)(eq - i))) {
                raw(&t, i, (size_t)(eq + 1 - i));
                lit(&t, REDACTED);
            } else {
                raw(&t, i, plen);
            }
            i += plen;
            if (i < end && *i == '&')
                raw(&t, i++, 1);
        }
        lit(&t, end);
    }
    tmp = t.b;
    if (t.err)
        o->err = 1;
    else
        str(o, tmp.p ? tmp.p : "", tmp.len);
    sk_buf_free(o->a, &tmp);
}

void sk_audit_request(ssekit_stream *s)
{
    if (!s->client->pol.audit)
        return;
    abuf o = {.a = &s->client->a};
    head(&o, s, "request");
    lit(&o, ", \"attempt\": ");
    num(&o, s->requests);
    lit(&o, ", \"method\": ");
    zstr(&o, s->method ? s->method : s->body ? "POST" : "GET");
    lit(&o, ", \"url\": ");
    url(&o, s->url);
    lit(&o, ", \"headers\": [");
    for (size_t i = 0; i < s->header_count; i++) {
        const char *h = s->headers[i];
        size_t n = strcspn(h, ":");
        if (i)
            lit(&o, ", ");
        if (secret_header(h, n)) {
            abuf t = {.a = o.a};
            raw(&t, h, n);
            lit(&t, ": " REDACTED);
            if (t.err)
                o.err = 1;
            else
                str(&o, t.b.p, t.b.len);
            sk_buf_free(t.a, &t.b);
        } else {
            str(&o, h, strlen(h));
        }
    }
    lit(&o, "], \"body\": ");
    if (s->body)
        str(&o, s->body, s->body_len);
    else
        lit(&o, "null");
    flush(s, &o);
}

static void usage(abuf *o, const ssekit_usage *u)
{
    lit(o, "{\"input_tokens\": ");
    num(o, u->input_tokens);
    lit(o, ", \"output_tokens\": ");
    num(o, u->output_tokens);
    lit(o, ", \"total_tokens\": ");
    num(o, u->total_tokens);
    lit(o, "}");
}

void sk_audit_event(ssekit_stream *s, const ssekit_event *ev)
{
    sk_policy *p = &s->client->pol;
    if (!p->audit)
        return;
    abuf o = {.a = &s->client->a};
    if (ev->kind == SSEKIT_EVENT_SSE && (p->audit_flags & SSEKIT_AUDIT_EVENTS)) {
        head(&o, s, "event");
        lit(&o, ", \"event\": ");
        str(&o, ev->type ? ev->type : "message", ev->type ? ev->type_len : 7);
        lit(&o, ", \"id\": ");
        str(&o, ev->id ? ev->id : "", ev->id ? ev->id_len : 0);
        lit(&o, ", \"data\": ");
        str(&o, ev->data ? ev->data : "", ev->data ? ev->data_len : 0);
    } else if (ev->kind == SSEKIT_EVENT_DONE) {
        head(&o, s, "result");
        lit(&o, ", \"ok\": true");
        if (ev->type && !strcmp(ev->type, "json") && ev->data) {
            lit(&o, ", \"value\": ");
            raw(&o, ev->data, ev->data_len); /* compact JSON from the builder */
        } else if (ev->data) {
            lit(&o, ", \"text\": ");
            str(&o, ev->data, ev->data_len);
        }
        lit(&o, ", \"finish_reason\": ");
        zstr(&o, ev->finish_reason);
        lit(&o, ", \"usage\": ");
        usage(&o, &ev->usage);
    } else if (ev->kind == SSEKIT_EVENT_ERROR) {
        head(&o, s, "result");
        lit(&o, ", \"ok\": false, \"error\": {\"category\": ");
        zstr(&o, ssekit_error_category_name(ev->category));
        lit(&o, ", \"status\": ");
        zstr(&o, ssekit_status_name(ev->status));
        lit(&o, ", \"http_status\": ");
        num(&o, ev->http_status);
        lit(&o, ", \"message\": ");
        zstr(&o, ev->message);
        lit(&o, ", \"raw\": ");
        if (ev->data)
            str(&o, ev->data, ev->data_len);
        else
            lit(&o, "null");
        lit(&o, "}");
    } else {
        return;
    }
    flush(s, &o);
}

void sk_audit_close(ssekit_client *c)
{
    if (c->pol.audit && c->pol.audit_own)
        fclose(c->pol.audit);
    c->pol.audit = NULL;
    c->pol.audit_own = 0;
}

int ssekit_client_set_audit_file(ssekit_client *c, FILE *f, unsigned flags)
{
    if (!c)
        return SSEKIT_E_INVALID;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    sk_audit_close(c);
    c->pol.audit = f;
    c->pol.audit_flags = flags;
    return SSEKIT_OK;
}

int ssekit_client_set_audit(ssekit_client *c, const char *path, unsigned flags)
{
    if (!c)
        return SSEKIT_E_INVALID;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    if (!path)
        return ssekit_client_set_audit_file(c, NULL, flags);
    FILE *f = fopen(path, "a");
    if (!f)
        return SSEKIT_E_IO;
    sk_audit_close(c);
    c->pol.audit = f;
    c->pol.audit_own = 1;
    c->pol.audit_flags = flags;
    return SSEKIT_OK;
}

uint64_t ssekit_client_audit_errors(const ssekit_client *c)
{
    return c ? c->pol.audit_errors : 0;
}
