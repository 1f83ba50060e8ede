/* One-call structured completion: primary request, one repair re-ask,
 * fallback model (complete.h). */
#include <stdio.h>
#include <string.h>

#include "alloc_internal.h"
#include "buffer.h"
#include "ssekit/complete.h"
#include "ssekit/partial_json.h"

/* The public struct first, so that a completion pointer is also ours. */
typedef struct sk_completion {
    ssekit_completion c;
    ssekit_alloc_funcs a;
    ssekit_partial *tree;
    char *finish_reason;
} sk_completion;

typedef struct run_ctx {
    const ssekit_completion_options *o;
    ssekit_client *client;
    sk_completion *k;
} run_ctx;

static char *dupz(const ssekit_alloc_funcs *a, const char *s, size_t n)
{
    char *d = sk_malloc(a, n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Forgets the outcome of the previous request. */
static void reset_outcome(sk_completion *k)
{
    ssekit_completion *c = &k->c;
    sk_free(&k->a, c->json);
    sk_free(&k->a, c->raw);
    sk_free(&k->a, c->message);
    sk_free(&k->a, c->violations);
    sk_free(&k->a, k->finish_reason);
    ssekit_partial_free(k->tree);
    k->tree = NULL;
    k->finish_reason = NULL;
    c->json = c->raw = c->message = NULL;
    c->violations = NULL;
    c->json_len = c->raw_len = c->violation_count = c->violation_total = 0;
    c->finish_reason = NULL;
    c->status = SSEKIT_OK;
    c->category = SSEKIT_ERROR_NONE;
    c->http_status = 0;
}

/* Parses `text` as one complete JSON document into a builder; NULL when it
 * is not one (or memory ran out: *rc tells). */
static ssekit_partial *parse(const ssekit_alloc_funcs *a, const char *text, size_t len, int *rc)
{
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, a);
    if (!b) {
        *rc = SSEKIT_E_NOMEM;
        return NULL;
    }
    *rc = ssekit_partial_feed(b, text, len);
    if (*rc == SSEKIT_OK)
        *rc = ssekit_partial_finish(b);
    if (*rc != SSEKIT_OK) {
        ssekit_partial_free(b);
        return NULL;
    }
    return b;
}

/* A schema failure: every violation of the raw output, not only the first
 * one the stream reported. */
static int collect_violations(sk_completion *k, const ssekit_schema *schema)
{
    ssekit_completion *c = &k->c;
    int rc;
    ssekit_partial *b = parse(&k->a, c->raw ? c->raw : "", c->raw_len, &rc);
    if (!b)
        return rc == SSEKIT_E_NOMEM ? rc : SSEKIT_OK;
    c->violations = sk_malloc(&k->a, SSEKIT_COMPLETE_MAX_VIOLATIONS * sizeof *c->violations);
    if (!c->violations) {
        ssekit_partial_free(b);
        return SSEKIT_E_NOMEM;
    }
    int n = ssekit_schema_validate_collect(schema, ssekit_partial_root(b), 0, c->violations,
                                           SSEKIT_COMPLETE_MAX_VIOLATIONS);
    ssekit_partial_free(b);
    if (n < 0)
        return n == SSEKIT_E_NOMEM ? n : SSEKIT_OK;
    c->violation_total = (size_t)n;
    c->violation_count =
        n < (int)SSEKIT_COMPLETE_MAX_VIOLATIONS ? (size_t)n : SSEKIT_COMPLETE_MAX_VIOLATIONS;
    return SSEKIT_OK;
}

static int record_error(sk_completion *k, const ssekit_event *ev, const ssekit_schema *schema);

static int record_done(sk_completion *k, const ssekit_event *ev, const ssekit_schema *schema)
{
    ssekit_completion *c = &k->c;
    int rc;
    if (!ev->type || strcmp(ev->type, "json")) { /* cannot happen with a schema */
        c->status = SSEKIT_E_JSON;
        c->category = SSEKIT_ERROR_PARSE;
        c->message = dupz(&k->a, "the output is not JSON", 22);
        return c->message ? SSEKIT_OK : SSEKIT_E_NOMEM;
    }
    c->json = dupz(&k->a, ev->data, ev->data_len);
    if (!c->json)
        return SSEKIT_E_NOMEM;
    c->json_len = ev->data_len;
    k->tree = parse(&k->a, c->json, c->json_len, &rc);
    if (!k->tree)
        return rc == SSEKIT_E_NOMEM ? rc : SSEKIT_E_JSON;
    /* Checked again here: the promise of this API is a value that satisfies
     * the schema, and the stream's check may have been cut short (e.g. by a
     * failed allocation inside the validator). */
    int n = ssekit_schema_validate(schema, ssekit_partial_root(k->tree), 0, NULL, NULL);
    if (n < 0)
        return n == SSEKIT_E_NOMEM ? n : SSEKIT_E_SCHEMA;
    if (n > 0) {
        ssekit_event e = *ev;
        e.kind = SSEKIT_EVENT_ERROR;
        e.category = SSEKIT_ERROR_SCHEMA;
        e.status = SSEKIT_E_SCHEMA;
        e.message = "the value does not satisfy the schema";
        reset_outcome(k);
        return record_error(k, &e, schema);
    }
    if (ev->finish_reason &&
        !(k->finish_reason = dupz(&k->a, ev->finish_reason, strlen(ev->finish_reason))))
        return SSEKIT_E_NOMEM;
    c->finish_reason = k->finish_reason;
    c->usage = ev->usage;
    return SSEKIT_OK;
}

static int record_error(sk_completion *k, const ssekit_event *ev, const ssekit_schema *schema)
{
    ssekit_completion *c = &k->c;
    c->status = ev->status ? ev->status : SSEKIT_E_IO;
    c->category = ev->category;
    c->http_status = ev->http_status;
    const char *m = ev->message ? ev->message : "failed";
    if (!(c->message = dupz(&k->a, m, strlen(m))))
        return SSEKIT_E_NOMEM;
    if (ev->data) {
        if (!(c->raw = dupz(&k->a, ev->data, ev->data_len)))
            return SSEKIT_E_NOMEM;
        c->raw_len = ev->data_len;
    }
    if (ev->category == SSEKIT_ERROR_SCHEMA)
        return collect_violations(k, schema);
    return SSEKIT_OK;
}

/* Makes one request (with the stream's own retries) from preset `p` and
 * records its outcome in r->k. Returns SSEKIT_OK when the outcome was
 * recorded (success or failure: see k->c.status), else an error of ours
 * (SSEKIT_E_NOMEM, SSEKIT_E_STATE, SSEKIT_E_IO from the client). */
static int run_one(run_ctx *r, const ssekit_preset *p)
{
    const ssekit_completion_options *o = r->o;
    sk_completion *k = r->k;
    ssekit_completion *c = &k->c;
    reset_outcome(k);
    sk_free(&k->a, c->model);
    if (!(c->model = dupz(&k->a, p->model ? p->model : "", p->model ? strlen(p->model) : 0)))
        return SSEKIT_E_NOMEM;

    char err[256];
    ssekit_request rq;
    int rc = ssekit_request_build(p, o->alloc, &rq, err, sizeof err);
    if (rc != SSEKIT_OK) {
        c->status = rc;
        c->message = dupz(&k->a, err, strlen(err));
        return rc == SSEKIT_E_NOMEM || !c->message ? SSEKIT_E_NOMEM : SSEKIT_OK;
    }
    if (o->no_retries) {
        rq.retry.max_retries = 0;
        rq.retry.base_delay_ms = 1;
    } else {
        rq.retry.max_retries =
            o->max_retries ? o->max_retries : SSEKIT_COMPLETE_DEFAULT_MAX_RETRIES;
        rq.retry.base_delay_ms =
            o->retry_delay_ms ? o->retry_delay_ms : SSEKIT_COMPLETE_DEFAULT_RETRY_DELAY_MS;
    }
    rq.total_timeout_ms = o->total_timeout_ms;
    rq.idle_timeout_ms = o->idle_timeout_ms;
    rq.filter = SSEKIT_EVENT_START | SSEKIT_EVENT_RETRY | SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR;

    ssekit_stream *s;
    rc = ssekit_stream_open(r->client, &rq, &s);
    if (rc != SSEKIT_OK) {
        ssekit_request_clear(&rq, o->alloc);
        return rc;
    }
    const ssekit_event *ev;
    int done = 0;
    while (!done && (rc = ssekit_stream_next(s, &ev, -1)) == 1) {
        if (ev->kind == SSEKIT_EVENT_START || ev->kind == SSEKIT_EVENT_RETRY)
            c->requests++;
        else if (ev->kind == SSEKIT_EVENT_DONE)
            rc = record_done(k, ev, rq.schema), done = 1;
        else if (ev->kind == SSEKIT_EVENT_ERROR)
            rc = record_error(k, ev, rq.schema), done = 1;
    }
    if (!done && rc == SSEKIT_E_STATE) /* ended without a terminal event: impossible */
        rc = SSEKIT_E_IO;
    ssekit_stream_free(s);
    ssekit_request_clear(&rq, o->alloc);
    if (rc == SSEKIT_E_JSON) { /* the stream's DONE value did not parse back */
        c->status = rc;
        c->category = SSEKIT_ERROR_PARSE;
        rc = SSEKIT_OK;
    }
    return rc;
}

/* The messages of a repair: the conversation, the raw answer, the errors.
 * *msgs, *note and *answer are the caller's to free: they must outlive the
 * outcome they were made from, which the next request forgets. */
static int repair_preset(sk_completion *k, const ssekit_preset *p, ssekit_preset *out,
                         ssekit_message **msgs, char **note, char **answer)
{
    const ssekit_alloc_funcs *a = &k->a;
    const ssekit_completion *c = &k->c;
    sk_buf b = {0};
    int rc = sk_buf_append(a, &b, SSEKIT_COMPLETE_REPAIR_PROMPT "\n",
                           sizeof SSEKIT_COMPLETE_REPAIR_PROMPT);
    char line[600];
    for (size_t i = 0; !rc && i < c->violation_count; i++) {
        const ssekit_schema_message *v = &c->violations[i];
        int n =
            snprintf(line, sizeof line, "- %s: %s\n", *v->path ? v->path : "(root)", v->message);
        rc = sk_buf_append(a, &b, line, n > 0 && (size_t)n < sizeof line ? (size_t)n : 0);
    }
    if (!rc && !c->violation_count) {
        int n = snprintf(line, sizeof line, "- (root): %s\n", c->message ? c->message : "invalid");
        rc = sk_buf_append(a, &b, line, n > 0 && (size_t)n < sizeof line ? (size_t)n : 0);
    }
    if (!rc)
        rc = sk_buf_append(a, &b, SSEKIT_COMPLETE_REPAIR_CLOSING,
                           sizeof SSEKIT_COMPLETE_REPAIR_CLOSING);
    size_t base = p->message_count ? p->message_count : 1;
    *msgs = rc ? NULL : sk_malloc(a, (base + 2) * sizeof **msgs);
    *answer = *msgs ? dupz(a, c->raw, c->raw_len) : NULL;
    if (!*answer) {
        sk_free(a, *msgs);
        sk_buf_free(a, &b);
        return SSEKIT_E_NOMEM;
    }
    *note = b.p; /* NUL-terminated: the closing's sizeof counted it */
    if (p->message_count)
        memcpy(*msgs, p->messages, base * sizeof **msgs);
    else
        (*msgs)[0] = (ssekit_message){"user", p->prompt};
    (*msgs)[base] = (ssekit_message){"assistant", *answer};
    (*msgs)[base + 1] = (ssekit_message){"user", *note};
    *out = *p;
    out->messages = *msgs;
    out->message_count = base + 2;
    return SSEKIT_OK;
}

static int run_all(run_ctx *r)
{
    const ssekit_completion_options *o = r->o;
    sk_completion *k = r->k;
    int rc = run_one(r, &o->preset);
    if (rc != SSEKIT_OK || k->c.status == SSEKIT_OK || k->c.category == SSEKIT_ERROR_NONE ||
        k->c.category == SSEKIT_ERROR_CANCELED)
        return rc; /* done, or a preset error that no retry can mend */
    if (o->allow_repair &&
        (k->c.category == SSEKIT_ERROR_SCHEMA || k->c.category == SSEKIT_ERROR_PARSE) && k->c.raw) {
        ssekit_preset rp;
        ssekit_message *msgs;
        char *note, *answer;
        if ((rc = repair_preset(k, &o->preset, &rp, &msgs, &note, &answer)) != SSEKIT_OK)
            return rc;
        k->c.repaired = 1;
        rc = run_one(r, &rp);
        sk_free(&k->a, msgs);
        sk_free(&k->a, note);
        sk_free(&k->a, answer);
        if (rc != SSEKIT_OK || k->c.status == SSEKIT_OK || k->c.category == SSEKIT_ERROR_CANCELED)
            return rc;
    }
    if (o->fallback_model && *o->fallback_model) {
        ssekit_preset fp = o->preset;
        fp.model = o->fallback_model;
        k->c.used_fallback = 1;
        rc = run_one(r, &fp);
    }
    return rc;
}

int ssekit_complete(const ssekit_completion_options *o, ssekit_completion **out)
{
    ssekit_alloc_funcs a;
    if (out)
        *out = NULL;
    if (!o || !out || !o->preset.schema)
        return SSEKIT_E_INVALID;
    sk_alloc_init(&a, o->alloc);
    sk_completion *k = sk_malloc(&a, sizeof *k);
    if (!k)
        return SSEKIT_E_NOMEM;
    memset(k, 0, sizeof *k);
    k->a = a;
    run_ctx r = {o, o->client, k};
    if (!r.client && !(r.client = ssekit_client_new(o->alloc))) {
        sk_free(&a, k);
        return SSEKIT_E_NOMEM;
    }
    int rc = run_all(&r);
    if (!o->client)
        ssekit_client_free(r.client);
    if (rc != SSEKIT_OK) { /* our own failure, not the completion's */
        reset_outcome(k);
        k->c.status = rc;
        const char *m = ssekit_strerror(rc);
        k->c.message = dupz(&k->a, m, strlen(m));
    }
    *out = &k->c;
    return k->c.status;
}

const ssekit_json *ssekit_completion_value(const ssekit_completion *c)
{
    const sk_completion *k = (const sk_completion *)c;
    return k && k->tree ? ssekit_partial_root(k->tree) : NULL;
}

void ssekit_completion_free(ssekit_completion *c)
{
    if (!c)
        return;
    sk_completion *k = (sk_completion *)c;
    ssekit_alloc_funcs a = k->a;
    reset_outcome(k);
    sk_free(&a, c->model);
    sk_free(&a, k);
}
