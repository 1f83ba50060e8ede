/* The structured result of one streamed response: decoder deltas routed to a
 * partial JSON builder per output, plus usage, finish reason, errors and the
 * schema check. */
#include "ssekit/result.h"

#include <stdio.h>
#include <string.h>

#include "alloc_internal.h"
#include "buffer.h"
#include "result_internal.h"

#define MAX_VIOLATIONS 64

struct ssekit_output {
    ssekit_result *owner;
    ssekit_output_kind kind;
    uint32_t index, tool_index;
    char label[40];
    sk_buf id, name, text;
    ssekit_partial *builder;
    int json_status;
    size_t blank; /* leading whitespace bytes (a text output may be prose) */
};

struct ssekit_result {
    ssekit_alloc_funcs af;
    ssekit_result_callbacks cb;
    void *user;
    ssekit_decoder *dec;
    ssekit_sse_parser *sse;
    ssekit_output **out;
    size_t n_out, cap_out, max_outputs, max_text;
    ssekit_limits limits; /* the builders', decoder's and parser's (0: default) */
    int limit_status;     /* the first limit a peer exceeded */
    char limit_msg[128];
    sk_buf thinking, refusal, finish_reason;
    ssekit_usage usage;
    int done, finished, finish_status, stopped, busy, nomem;
    int provider_error; /* any provider error, not only the first error */
    /* first error */
    ssekit_result_error err;
    sk_buf err_type, err_message, err_raw;
    /* schema */
    const ssekit_schema *schema;
    ssekit_schema_checker *checker;
    const ssekit_output *checked; /* the output the checker follows */
    ssekit_schema_message viol[MAX_VIOLATIONS];
    size_t n_viol;
    int final_pass; /* finish's check: viol[0..n_final) are in final order */
    size_t n_final;
};

/* ---- outputs ------------------------------------------------------------ */

static int out_value_start(void *u, const char *path, size_t len, ssekit_json_type t,
                           const ssekit_json *node)
{
    ssekit_output *o = u;
    (void)node;
    return o->owner->cb.on_value_start(o->owner->user, o, path, len, t);
}

static int out_value_complete(void *u, const char *path, size_t len, const ssekit_json *v)
{
    ssekit_output *o = u;
    return o->owner->cb.on_value_complete(o->owner->user, o, path, len, v);
}

static int out_patch(void *u, const ssekit_json_patch *p)
{
    ssekit_output *o = u;
    return o->owner->cb.on_patch(o->owner->user, o, p);
}

static ssekit_output *output_find(ssekit_result *r, ssekit_output_kind kind, uint32_t index,
                                  uint32_t tool_index)
{
    for (size_t i = 0; i < r->n_out; i++) {
        ssekit_output *o = r->out[i];
        if (o->kind == kind && o->index == index && o->tool_index == tool_index)
            return o;
    }
    return NULL;
}

static void record_error(ssekit_result *r, int status, const char *type, size_t type_len,
                         const char *msg, size_t msg_len, const char *raw, size_t raw_len);

/* Remembers the first limit that the stream exceeded (see result_internal.h). */
static void note_limit(ssekit_result *r, int status, const char *what, size_t limit)
{
    if (r->limit_status)
        return;
    r->limit_status = status;
    snprintf(r->limit_msg, sizeof r->limit_msg, "%s (limit %zu, %s)", what, limit,
             ssekit_status_name(status));
}

/* The output for a delta, created on first sight. NULL with *rc
 * SSEKIT_E_NOMEM when it cannot be allocated, or with *rc SSEKIT_OK when the
 * output limit drops it (an error is recorded; the feed itself is fine). */
static ssekit_output *output_get(ssekit_result *r, ssekit_output_kind kind, uint32_t index,
                                 uint32_t tool_index, int *rc)
{
    ssekit_output *o = output_find(r, kind, index, tool_index);
    *rc = SSEKIT_OK;
    if (o)
        return o;
    if (r->n_out >= r->max_outputs) {
        static const char m[] = "too many outputs; the rest is dropped";
        record_error(r, SSEKIT_E_TOO_LARGE, "", 0, m, sizeof m - 1, "", 0);
        note_limit(r, SSEKIT_E_TOO_LARGE, "more outputs than the limit", r->max_outputs);
        return NULL;
    }
    *rc = SSEKIT_E_NOMEM;
    if (r->n_out == r->cap_out) {
        size_t cap = r->cap_out ? r->cap_out * 2 : 4;
        ssekit_output **p = sk_realloc(&r->af, r->out, cap * sizeof *p);
        if (!p)
            return NULL;
        r->out = p;
        r->cap_out = cap;
    }
    o = sk_malloc(&r->af, sizeof *o);
    if (!o)
        return NULL;
    memset(o, 0, sizeof *o);
    o->owner = r;
    o->kind = kind;
    o->index = index;
    o->tool_index = tool_index;
    if (kind == SSEKIT_OUTPUT_TOOL_CALL)
        snprintf(o->label, sizeof o->label, "tool_calls/%u", (unsigned)tool_index);
    else if (index)
        snprintf(o->label, sizeof o->label, "text/%u", (unsigned)index);
    else
        snprintf(o->label, sizeof o->label, "text");
    ssekit_partial_callbacks pcb = {0};
    if (r->cb.on_value_start)
        pcb.on_value_start = out_value_start;
    if (r->cb.on_value_complete)
        pcb.on_value_complete = out_value_complete;
    if (r->cb.on_patch)
        pcb.on_patch = out_patch;
    o->builder = ssekit_partial_new(&pcb, o, &r->af);
    if (!o->builder || ssekit_partial_set_max_size(o->builder, r->max_text) ||
        (r->limits.json_max_depth &&
         ssekit_partial_set_max_depth(o->builder, r->limits.json_max_depth)) ||
        (r->limits.json_max_string &&
         ssekit_partial_set_max_string(o->builder, r->limits.json_max_string))) {
        ssekit_partial_free(o->builder);
        sk_free(&r->af, o);
        return NULL;
    }
    r->out[r->n_out++] = o;
    *rc = SSEKIT_OK;
    return o;
}

static void output_free(ssekit_result *r, ssekit_output *o)
{
    ssekit_partial_free(o->builder);
    sk_buf_free(&r->af, &o->id);
    sk_buf_free(&r->af, &o->name);
    sk_buf_free(&r->af, &o->text);
    sk_free(&r->af, o);
}

static int set_string(ssekit_result *r, sk_buf *b, const char *s, size_t n)
{
    b->len = 0;
    if (sk_buf_append(&r->af, b, s, n))
        return -1;
    b->p[b->len] = 0;
    return 0;
}

static int append_string(ssekit_result *r, sk_buf *b, const char *s, size_t n)
{
    if (sk_buf_append(&r->af, b, s, n))
        return -1;
    b->p[b->len] = 0;
    return 0;
}

/* Appends to the thinking or refusal text, at most max_text bytes in all. */
static int append_capped(ssekit_result *r, sk_buf *b, const char *s, size_t n)
{
    if (n > r->max_text - b->len) {
        n = r->max_text - b->len;
        note_limit(r, SSEKIT_E_TOO_LARGE, "the thinking or refusal text is longer than the limit",
                   r->max_text);
    }
    return n && append_string(r, b, s, n) ? SSEKIT_E_NOMEM : 0;
}

/* Appends a fragment to an output's text and feeds its builder. Prose (a
 * text output that does not start with '{' or '[') is kept as text only. */
static int output_append(ssekit_result *r, ssekit_output *o, const char *s, size_t n)
{
    if (!n)
        return 0;
    if (n > r->max_text - o->text.len) {
        if (o->json_status == SSEKIT_OK)
            o->json_status = SSEKIT_E_TOO_LARGE;
        n = r->max_text - o->text.len;
        note_limit(r, SSEKIT_E_TOO_LARGE, "an output's text is longer than the limit", r->max_text);
    }
    size_t before = o->text.len;
    if (append_string(r, &o->text, s, n))
        return SSEKIT_E_NOMEM;
    if (o->json_status != SSEKIT_OK)
        return 0;
    if (o->blank == before) {
        while (o->blank < o->text.len && strchr(" \t\r\n", o->text.p[o->blank]))
            o->blank++;
        if (o->blank < o->text.len && o->kind == SSEKIT_OUTPUT_TEXT && o->text.p[o->blank] != '{' &&
            o->text.p[o->blank] != '[') {
            /* prose: let the builder say precisely why it is not JSON (the
             * blank text before this fragment was fed to it already) */
            int rc = ssekit_partial_feed(o->builder, s, n);
            o->json_status = ssekit_partial_last_error(o->builder)->status;
            if (o->json_status == SSEKIT_OK || o->json_status == SSEKIT_E_STOPPED)
                o->json_status = SSEKIT_E_JSON;
            return rc == SSEKIT_E_STOPPED ? rc : 0;
        }
    }
    int rc = ssekit_partial_feed(o->builder, s, n);
    if (rc == SSEKIT_E_STOPPED)
        return rc;
    if (rc != SSEKIT_OK)
        o->json_status = rc;
    if (rc == SSEKIT_E_TOO_DEEP)
        note_limit(r, rc, "an output's JSON is nested deeper than the limit",
                   r->limits.json_max_depth ? r->limits.json_max_depth
                                            : SSEKIT_PARTIAL_DEFAULT_MAX_DEPTH);
    else if (rc == SSEKIT_E_TOO_LARGE)
        note_limit(r, rc, "a string of an output's JSON is longer than the limit",
                   r->limits.json_max_string ? r->limits.json_max_string
                                             : SSEKIT_PARTIAL_DEFAULT_MAX_STRING);
    return rc == SSEKIT_E_NOMEM ? rc : 0;
}

/* ---- errors and schema -------------------------------------------------- */

static void record_error(ssekit_result *r, int status, const char *type, size_t type_len,
                         const char *msg, size_t msg_len, const char *raw, size_t raw_len)
{
    r->err.count++;
    if (r->err.status != SSEKIT_OK)
        return;
    if (set_string(r, &r->err_type, type ? type : "", type ? type_len : 0) ||
        set_string(r, &r->err_message, msg ? msg : "", msg ? msg_len : 0) ||
        set_string(r, &r->err_raw, raw ? raw : "", raw ? raw_len : 0)) {
        r->nomem = 1;
        return;
    }
    r->err.status = status;
    r->err.type = r->err_type.p;
    r->err.message = r->err_message.p;
    r->err.raw = r->err_raw.p;
    r->err.raw_len = r->err_raw.len;
}

/* Whether `kept` (a field of ssekit_schema_message, `cap` bytes) holds `s`
 * as it would be kept: a long path is stored truncated. */
static int kept_equal(const char *kept, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n > cap - 1)
        n = cap - 1;
    return strlen(kept) == n && !memcmp(kept, s, n);
}

static int same_violation(const ssekit_schema_message *m, const ssekit_schema_violation *v)
{
    return kept_equal(m->path, sizeof m->path, v->path) &&
           kept_equal(m->keyword, sizeof m->keyword, v->keyword);
}

/* The checker repeats a violation on every later call, and finish checks
 * again: keep each (path, keyword) once and report it to the user once.
 * During finish's check viol[0..n_final) are placed in the final order; a
 * violation the stream already reported moves into place silently. */
static int on_violation(void *user, const ssekit_schema_violation *v)
{
    ssekit_result *r = user;
    size_t placed = r->final_pass ? r->n_final : r->n_viol;
    for (size_t i = 0; i < placed; i++)
        if (same_violation(&r->viol[i], v))
            return 0;
    if (r->final_pass) {
        for (size_t i = placed; i < r->n_viol; i++) {
            if (same_violation(&r->viol[i], v)) {
                ssekit_schema_message t = r->viol[i];
                r->viol[i] = r->viol[placed];
                r->viol[placed] = t;
                r->n_final++;
                return 0;
            }
        }
        if (placed == MAX_VIOLATIONS)
            return 0;
        /* room at `placed`: an unplaced one moves to the end (or is
         * dropped when the list is full) */
        if (placed < r->n_viol)
            r->viol[r->n_viol < MAX_VIOLATIONS ? r->n_viol : MAX_VIOLATIONS - 1] = r->viol[placed];
        if (r->n_viol < MAX_VIOLATIONS)
            r->n_viol++;
        r->n_final++;
    } else {
        if (r->n_viol == MAX_VIOLATIONS)
            return 0;
        r->n_viol++;
    }
    ssekit_schema_message *m = &r->viol[placed];
    snprintf(m->path, sizeof m->path, "%s", v->path);
    snprintf(m->keyword, sizeof m->keyword, "%s", v->keyword);
    snprintf(m->message, sizeof m->message, "%s", v->message);
    if (r->cb.on_violation && r->cb.on_violation(r->user, ssekit_result_main(r), v))
        r->stopped = 1;
    return 0;
}

/* The checker only visits what changed since its last call, so checking
 * after every delta stays linear over the stream. */
static int check_schema(ssekit_result *r, unsigned flags)
{
    const ssekit_output *o = ssekit_result_main(r);
    if (!r->schema || !o)
        return SSEKIT_OK;
    if (!flags) {
        int rc = ssekit_schema_validate(r->schema, ssekit_output_value(o), 0, on_violation, r);
        return rc < 0 ? rc : SSEKIT_OK;
    }
    if (!r->checker && !(r->checker = ssekit_schema_checker_new(r->schema, &r->af))) {
        r->nomem = 1;
        return SSEKIT_E_NOMEM;
    }
    if (r->checked != o) {
        ssekit_schema_checker_reset(r->checker);
        r->checked = o;
    }
    if (ssekit_schema_checker_validate(r->checker, ssekit_output_value(o), flags, on_violation,
                                       r) == SSEKIT_E_NOMEM)
        r->nomem = 1;
    return SSEKIT_OK;
}

/* ---- deltas ------------------------------------------------------------- */

static int on_delta(void *user, const ssekit_delta *d)
{
    ssekit_result *r = user;
    ssekit_output *o = NULL;
    int rc = 0;
    if (r->cb.on_delta && r->cb.on_delta(r->user, d))
        r->stopped = 1;
    switch (d->kind) {
    case SSEKIT_DELTA_TEXT:
        o = output_get(r, SSEKIT_OUTPUT_TEXT, d->index, 0, &rc);
        if (o)
            rc = output_append(r, o, d->text, d->text_len);
        break;
    case SSEKIT_DELTA_TOOL_CALL:
        o = output_get(r, SSEKIT_OUTPUT_TOOL_CALL, d->index, d->tool_index, &rc);
        if (!o)
            break;
        if (d->id_len && !o->id.len && set_string(r, &o->id, d->id, d->id_len))
            rc = SSEKIT_E_NOMEM;
        if (d->name_len && !o->name.len && set_string(r, &o->name, d->name, d->name_len))
            rc = SSEKIT_E_NOMEM;
        if (!rc)
            rc = output_append(r, o, d->text, d->text_len);
        break;
    case SSEKIT_DELTA_THINKING:
        rc = append_capped(r, &r->thinking, d->text, d->text_len);
        break;
    case SSEKIT_DELTA_REFUSAL:
        rc = append_capped(r, &r->refusal, d->text, d->text_len);
        break;
    case SSEKIT_DELTA_USAGE:
        r->usage = d->usage;
        break;
    case SSEKIT_DELTA_FINISH:
        rc = set_string(r, &r->finish_reason, d->text, d->text_len) ? SSEKIT_E_NOMEM : 0;
        break;
    case SSEKIT_DELTA_ERROR:
        if (d->code == SSEKIT_E_PROVIDER)
            r->provider_error = 1;
        record_error(r, d->code, d->type, d->type_len, d->text, d->text_len, d->raw, d->raw_len);
        break;
    case SSEKIT_DELTA_DONE:
        r->done = 1;
        break;
    }
    if (rc == SSEKIT_E_STOPPED)
        r->stopped = 1;
    else if (rc == SSEKIT_E_NOMEM)
        r->nomem = 1;
    if (r->schema && o && o == ssekit_result_main(r))
        check_schema(r, SSEKIT_SCHEMA_PARTIAL);
    return r->stopped;
}

/* ---- feeding ------------------------------------------------------------ */

static int begin(ssekit_result *r)
{
    if (!r)
        return SSEKIT_E_INVALID;
    if (r->busy || r->finished)
        return SSEKIT_E_STATE;
    if (r->stopped)
        return SSEKIT_E_STOPPED;
    r->nomem = 0;
    return SSEKIT_OK;
}

static int end(ssekit_result *r)
{
    r->busy = 0;
    if (r->stopped)
        return SSEKIT_E_STOPPED;
    return r->nomem ? SSEKIT_E_NOMEM : SSEKIT_OK;
}

int ssekit_result_feed_event(ssekit_result *r, const ssekit_sse_event *event)
{
    int rc = begin(r);
    if (rc)
        return rc;
    if (!event)
        return SSEKIT_E_INVALID;
    r->busy = 1;
    rc = ssekit_decoder_feed(r->dec, event);
    if (rc == SSEKIT_E_NOMEM)
        r->nomem = 1;
    return end(r);
}

static int sse_event(void *user, const ssekit_sse_event *ev)
{
    ssekit_result *r = user;
    if (ssekit_decoder_feed(r->dec, ev) == SSEKIT_E_NOMEM)
        r->nomem = 1;
    return r->stopped;
}

static int sse_error(void *user, const ssekit_sse_error *e)
{
    ssekit_result *r = user;
    const char *m = ssekit_strerror(e->code);
    record_error(r, e->code, "", 0, m, strlen(m), "", 0);
    return 0;
}

int ssekit_result_feed(ssekit_result *r, const char *bytes, size_t len)
{
    int rc = begin(r);
    if (rc)
        return rc;
    if (!r->sse) {
        ssekit_sse_callbacks cb = {.on_event = sse_event, .on_error = sse_error};
        r->sse = ssekit_sse_parser_new(&cb, r, &r->af);
        if (!r->sse)
            return SSEKIT_E_NOMEM;
        if (r->limits.sse_max_line)
            ssekit_sse_parser_set_max_line(r->sse, r->limits.sse_max_line);
        if (r->limits.sse_max_event)
            ssekit_sse_parser_set_max_event(r->sse, r->limits.sse_max_event);
    }
    r->busy = 1;
    rc = ssekit_sse_feed(r->sse, bytes, len);
    if (rc == SSEKIT_E_INVALID) {
        r->busy = 0;
        return rc;
    }
    if (rc == SSEKIT_E_NOMEM)
        r->nomem = 1;
    return end(r);
}

int ssekit_result_finish(ssekit_result *r)
{
    if (!r)
        return SSEKIT_E_INVALID;
    if (r->busy)
        return SSEKIT_E_STATE;
    if (r->finished)
        return r->finish_status;
    r->busy = 1;
    if (r->sse)
        ssekit_sse_finish(r->sse);
    ssekit_decoder_finish(r->dec);
    for (size_t i = 0; i < r->n_out; i++) {
        ssekit_output *o = r->out[i];
        if (o->json_status == SSEKIT_OK && o->text.len > o->blank)
            o->json_status = ssekit_partial_finish(o->builder);
    }
    r->busy = 0;
    r->finished = 1;
    const ssekit_output *m = ssekit_result_main(r);
    int rc = SSEKIT_OK;
    if (r->provider_error)
        rc = SSEKIT_E_PROVIDER;
    else if (!m || m->text.len == m->blank)
        rc = r->err.status ? r->err.status : SSEKIT_E_JSON;
    else if (m->json_status != SSEKIT_OK)
        rc = m->json_status;
    if (rc == SSEKIT_OK && r->schema) {
        r->final_pass = 1; /* the final check lists everything, in order */
        r->n_final = 0;
        /* a check that could not run (no memory, over its work limit) must
         * not pass for a valid value */
        int vrc = check_schema(r, 0);
        r->final_pass = 0;
        r->n_viol = r->n_final;
        if (vrc != SSEKIT_OK)
            rc = vrc;
        else if (r->n_viol)
            rc = SSEKIT_E_SCHEMA;
    }
    return r->finish_status = rc;
}

/* ---- lifecycle ---------------------------------------------------------- */

ssekit_result *ssekit_result_new(ssekit_provider provider, const ssekit_result_callbacks *cb,
                                 void *user, const ssekit_alloc_funcs *alloc)
{
    ssekit_alloc_funcs af;
    sk_alloc_init(&af, alloc);
    ssekit_result *r = sk_malloc(&af, sizeof *r);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->af = af;
    if (cb)
        r->cb = *cb;
    r->user = user;
    r->max_outputs = SSEKIT_RESULT_DEFAULT_MAX_OUTPUTS;
    r->max_text = SSEKIT_RESULT_DEFAULT_MAX_TEXT;
    r->usage = (ssekit_usage){-1, -1, -1, -1, -1};
    r->err.type = r->err.message = r->err.raw = "";
    ssekit_decoder_callbacks dcb = {.on_delta = on_delta};
    r->dec = ssekit_decoder_new(provider, &dcb, r, &r->af);
    if (!r->dec) {
        sk_free(&af, r);
        return NULL;
    }
    return r;
}

void ssekit_result_free(ssekit_result *r)
{
    if (!r || r->busy)
        return;
    for (size_t i = 0; i < r->n_out; i++)
        output_free(r, r->out[i]);
    sk_free(&r->af, r->out);
    ssekit_decoder_free(r->dec);
    ssekit_sse_parser_free(r->sse);
    ssekit_schema_checker_free(r->checker);
    sk_buf *bufs[] = {&r->thinking, &r->refusal,     &r->finish_reason,
                      &r->err_type, &r->err_message, &r->err_raw};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        sk_buf_free(&r->af, bufs[i]);
    ssekit_alloc_funcs af = r->af;
    sk_free(&af, r);
}

int ssekit_result_set_schema(ssekit_result *r, const ssekit_schema *schema)
{
    if (!r || r->busy)
        return SSEKIT_E_INVALID;
    ssekit_schema_checker_free(r->checker);
    r->checker = NULL;
    r->checked = NULL;
    r->schema = schema;
    return SSEKIT_OK;
}

int ssekit_result_set_max_outputs(ssekit_result *r, size_t n)
{
    if (!r || !n)
        return SSEKIT_E_INVALID;
    r->max_outputs = n;
    return SSEKIT_OK;
}

int ssekit_result_set_max_text(ssekit_result *r, size_t bytes)
{
    if (!r || !bytes)
        return SSEKIT_E_INVALID;
    r->max_text = bytes;
    return SSEKIT_OK;
}

int ssekit_result_set_limits(ssekit_result *r, const ssekit_limits *limits)
{
    if (!r || !limits || limits->json_max_depth > SSEKIT_PARTIAL_MAX_DEPTH_LIMIT)
        return SSEKIT_E_INVALID;
    if (r->busy)
        return SSEKIT_E_STATE;
    const ssekit_limits *l = limits;
    r->limits = *l;
    r->max_outputs = l->max_outputs ? l->max_outputs : SSEKIT_RESULT_DEFAULT_MAX_OUTPUTS;
    r->max_text = l->json_max_bytes ? l->json_max_bytes : SSEKIT_RESULT_DEFAULT_MAX_TEXT;
    ssekit_decoder_set_max_envelope(
        r->dec, l->envelope_max_size ? l->envelope_max_size : SSEKIT_DECODER_DEFAULT_MAX_ENVELOPE);
    ssekit_decoder_set_max_depth(r->dec, l->envelope_max_depth ? l->envelope_max_depth
                                                               : SSEKIT_DECODER_DEFAULT_MAX_DEPTH);
    if (r->sse) {
        ssekit_sse_parser_set_max_line(r->sse, l->sse_max_line ? l->sse_max_line
                                                               : SSEKIT_SSE_DEFAULT_MAX_LINE);
        ssekit_sse_parser_set_max_event(r->sse, l->sse_max_event ? l->sse_max_event
                                                                 : SSEKIT_SSE_DEFAULT_MAX_EVENT);
    }
    return SSEKIT_OK;
}

int sk_result_limit(const ssekit_result *r, const char **message)
{
    if (message)
        *message = r && r->limit_status ? r->limit_msg : "";
    return r ? r->limit_status : SSEKIT_OK;
}

/* ---- reading ------------------------------------------------------------ */

size_t ssekit_result_output_count(const ssekit_result *r)
{
    return r ? r->n_out : 0;
}

const ssekit_output *ssekit_result_output(const ssekit_result *r, size_t i)
{
    return r && i < r->n_out ? r->out[i] : NULL;
}

const ssekit_output *ssekit_result_main(const ssekit_result *r)
{
    if (!r)
        return NULL;
    const ssekit_output *tool = NULL, *prose = NULL;
    for (size_t i = 0; i < r->n_out; i++) {
        const ssekit_output *o = r->out[i];
        if (o->kind == SSEKIT_OUTPUT_TOOL_CALL) {
            if (!tool)
                tool = o;
        } else if (o->text.len > o->blank) {
            char c = o->text.p[o->blank];
            if (c == '{' || c == '[')
                return o; /* a JSON answer */
            if (!prose)
                prose = o;
        }
    }
    /* "Let me record that." before a forced tool call is commentary: the
     * tool call is the structured answer. */
    return tool ? tool : prose;
}

const ssekit_json *ssekit_result_value(const ssekit_result *r)
{
    return ssekit_output_value(ssekit_result_main(r));
}

ssekit_usage ssekit_result_usage(const ssekit_result *r)
{
    ssekit_usage none = {-1, -1, -1, -1, -1};
    return r ? r->usage : none;
}

const char *ssekit_result_finish_reason(const ssekit_result *r)
{
    return r && r->finish_reason.len ? r->finish_reason.p : NULL;
}

int ssekit_result_is_done(const ssekit_result *r)
{
    return r ? r->done : 0;
}

static const char *buf_text(const sk_buf *b, size_t *len)
{
    if (len)
        *len = b->len;
    return b->len ? b->p : "";
}

const char *ssekit_result_thinking(const ssekit_result *r, size_t *len)
{
    static const sk_buf empty;
    return buf_text(r ? &r->thinking : &empty, len);
}

const char *ssekit_result_refusal(const ssekit_result *r, size_t *len)
{
    static const sk_buf empty;
    return buf_text(r ? &r->refusal : &empty, len);
}

const ssekit_result_error *ssekit_result_first_error(const ssekit_result *r)
{
    return r ? &r->err : NULL;
}

size_t ssekit_result_violation_count(const ssekit_result *r)
{
    return r ? r->n_viol : 0;
}

const ssekit_schema_message *ssekit_result_violation(const ssekit_result *r, size_t i)
{
    return r && i < r->n_viol ? &r->viol[i] : NULL;
}

double ssekit_result_progress(const ssekit_result *r)
{
    double p;
    const ssekit_json *v = ssekit_result_value(r);
    if (!r || !r->schema || !v || ssekit_schema_progress(r->schema, v, &p) != SSEKIT_OK)
        return -1;
    return p;
}

ssekit_output_kind ssekit_output_kind_of(const ssekit_output *o)
{
    return o ? o->kind : SSEKIT_OUTPUT_TEXT;
}

const char *ssekit_output_label(const ssekit_output *o)
{
    return o ? o->label : "";
}

uint32_t ssekit_output_index(const ssekit_output *o)
{
    return o ? o->index : 0;
}

uint32_t ssekit_output_tool_index(const ssekit_output *o)
{
    return o ? o->tool_index : 0;
}

const char *ssekit_output_tool_id(const ssekit_output *o)
{
    return o ? buf_text(&o->id, NULL) : "";
}

const char *ssekit_output_tool_name(const ssekit_output *o)
{
    return o ? buf_text(&o->name, NULL) : "";
}

const char *ssekit_output_text(const ssekit_output *o, size_t *len)
{
    static const sk_buf empty;
    return buf_text(o ? &o->text : &empty, len);
}

const ssekit_json *ssekit_output_value(const ssekit_output *o)
{
    return o ? ssekit_partial_root(o->builder) : NULL;
}

int ssekit_output_json_status(const ssekit_output *o)
{
    return o ? o->json_status : SSEKIT_E_INVALID;
}

const ssekit_partial_error *ssekit_output_json_error(const ssekit_output *o)
{
    return o ? ssekit_partial_last_error(o->builder) : NULL;
}

int ssekit_output_snapshot(const ssekit_output *o, ssekit_json_write_fn out, void *ctx)
{
    if (!o)
        return SSEKIT_E_INVALID;
    return ssekit_partial_snapshot(o->builder, out, ctx);
}
