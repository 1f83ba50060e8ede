/* The job table and its worker: POST /v1/streams makes a job, a worker
 * thread runs it as an ssekit stream (lib/client.h) and publishes what
 * happens on the job's channel (its id); status and result stay in the table
 * until job_ttl after the job finished.
 *
 * Threads. The table is shared by the service thread (HTTP handlers, the
 * expiry sweep) and the worker (the only thread that drives the client), under
 * `lock`. A job's request, stream and partial builder belong to the worker
 * from the moment it takes the job (`taken`) until it releases it
 * (`released`); a released job belongs to the table alone and is freed by the
 * sweep once it has expired. Work reaches the worker through the table, a
 * condition variable (when it is idle) and ssekit_client_wakeup() (when it is
 * driving the client). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bridge_jobs.h"
#include "ssekit/client.h"
#include "ssekit/partial_json.h"
#include "ssekit/request.h"

typedef enum br_stage {
    ST_QUEUED,
    ST_CONNECTING,
    ST_STREAMING,
    ST_VALIDATING,
    ST_DONE,
    ST_FAILED,
    ST_CANCELED,
    ST_N
} br_stage;

static const char *const stage_names[ST_N] = {"queued", "connecting", "streaming", "validating",
                                              "done",   "failed",     "canceled"};

#define BJ_ID_MAX 32
#define BJ_MAX_VIOLATIONS 16

typedef struct br_job {
    struct br_jobs *J;
    struct br_job *next;  /* the table, newest first */
    struct br_job *wnext; /* the worker's running jobs */
    char id[BJ_ID_MAX];
    char *idem; /* Idempotency-Key, or NULL */
    ssekit_provider provider;
    char *model; /* NULL for raw */

    /* status: under the lock */
    br_stage stage;
    unsigned progress, retries;
    int has_usage;
    int64_t in_tokens, out_tokens;
    ssekit_error_category err_cat;
    int err_http;
    char *err_msg;
    char *value;                     /* done: the value as compact JSON */
    char *raw;                       /* schema / parse failure: the raw output */
    char *viol;                      /* schema failure: the violations as a JSON array */
    uint64_t created_ms, updated_ms; /* wall clock */
    uint64_t finished;               /* monotonic ms; 0: running */
    int taken, released, cancel_req;

    /* the worker's, between taken and released */
    ssekit_request rq;
    char *raw_url;             /* raw streams: rq.url */
    ssekit_schema *raw_schema; /* raw streams: rq.schema */
    ssekit_stream *s;
    ssekit_partial *partial;
    int partial_dead;
    int feed_tool;    /* the main output is a tool call (Anthropic + schema) */
    long main_index;  /* the text output fed to the builder; -1: not yet */
    int cancel_sent;  /* ssekit_stream_cancel() was called */
    int ended;        /* DONE or ERROR seen */
    unsigned last_pr; /* progress last published */
    sk_buf patches, msg;
    sk_buf text; /* raw streams: the text so far */
} br_job;

struct br_jobs {
    ssekit_bridge *b;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    br_job *head;
    size_t count;
    size_t max_jobs;
    unsigned ttl_s;
    int stop;
    int started;
    pthread_t thread;
    ssekit_client *client;
    br_job *running;  /* worker only */
    atomic_int sweep; /* a finished job may have expired */
    /* counters (under the lock) */
    uint64_t submitted, rejected, retries_total, expired, publish_errors;
    uint64_t finished_by[ST_N];
};

/* ---- small helpers ---------------------------------------------------------- */

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static char *dupmem(const ssekit_alloc_funcs *a, const char *s, size_t n)
{
    char *d = sk_malloc(a, n + 1);
    if (d) {
        if (n)
            memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int bprintf(const ssekit_alloc_funcs *a, sk_buf *o, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    return sk_buf_append(a, o, tmp, (size_t)n);
}

static int bstr(const ssekit_alloc_funcs *a, sk_buf *o, const char *s)
{
    return s ? br_json_escape(a, o, s, strlen(s)) : sk_buf_append(a, o, "null", 4);
}

static int terminal(br_stage s)
{
    return s >= ST_DONE;
}

static int expired(const br_jobs *J, const br_job *j, uint64_t now)
{
    return j->finished && j->released && now - j->finished >= (uint64_t)J->ttl_s * 1000u;
}

/* Under the lock. Expired jobs are gone for the API before the sweep frees
 * them. */
static br_job *find(br_jobs *J, const char *id, size_t n)
{
    uint64_t now = mono_ms();
    for (br_job *j = J->head; j; j = j->next) {
        if (strlen(j->id) == n && memcmp(j->id, id, n) == 0)
            return expired(J, j, now) ? NULL : j;
    }
    return NULL;
}

/* A raw job's request points at raw_url and raw_schema (freed on their
 * own); the others' was made by ssekit_request_build(). */
static void clear_request(const ssekit_alloc_funcs *a, br_job *j)
{
    if (j->provider == SSEKIT_PROVIDER_RAW)
        memset(&j->rq, 0, sizeof j->rq);
    else
        ssekit_request_clear(&j->rq, a);
}

static void job_free(const ssekit_alloc_funcs *a, br_job *j)
{
    clear_request(a, j);
    ssekit_schema_free(j->raw_schema);
    ssekit_partial_free(j->partial);
    sk_free(a, j->raw_url);
    sk_free(a, j->idem);
    sk_free(a, j->model);
    sk_free(a, j->err_msg);
    sk_free(a, j->value);
    sk_free(a, j->raw);
    sk_free(a, j->viol);
    sk_buf_free(a, &j->patches);
    sk_buf_free(a, &j->msg);
    sk_buf_free(a, &j->text);
    sk_free(a, j);
}

/* ---- rendering (under the lock) ------------------------------------------------ */

static int render_error(const ssekit_alloc_funcs *a, sk_buf *o, const br_job *j)
{
    if (bprintf(a, o,
                "{\"category\":\"%s\",\"message\":", ssekit_error_category_name(j->err_cat)) ||
        bstr(a, o, j->err_msg ? j->err_msg : ""))
        return -1;
    if (j->err_http > 0 && bprintf(a, o, ",\"status\":%d", j->err_http))
        return -1;
    return sk_buf_push(a, o, '}');
}

static int render_status(const ssekit_alloc_funcs *a, sk_buf *o, const br_job *j)
{
    if (bprintf(a, o, "{\"id\":\"%s\",\"provider\":\"%s\",\"model\":", j->id,
                ssekit_provider_name(j->provider)) ||
        bstr(a, o, j->model) ||
        bprintf(a, o, ",\"stage\":\"%s\",\"progress\":%u,\"usage\":", stage_names[j->stage],
                j->progress))
        return -1;
    if (j->has_usage) {
        if (sk_buf_append(a, o, "{\"input_tokens\":", 16) ||
            (j->in_tokens >= 0 ? bprintf(a, o, "%lld", (long long)j->in_tokens)
                               : sk_buf_append(a, o, "null", 4)) ||
            sk_buf_append(a, o, ",\"output_tokens\":", 17) ||
            (j->out_tokens >= 0 ? bprintf(a, o, "%lld", (long long)j->out_tokens)
                                : sk_buf_append(a, o, "null", 4)) ||
            sk_buf_push(a, o, '}'))
            return -1;
    } else if (sk_buf_append(a, o, "null", 4)) {
        return -1;
    }
    if (bprintf(a, o, ",\"retries\":%u,\"error\":", j->retries))
        return -1;
    if (j->err_cat != SSEKIT_ERROR_NONE ? render_error(a, o, j) : sk_buf_append(a, o, "null", 4))
        return -1;
    return bprintf(a, o, ",\"created_ms\":%llu,\"updated_ms\":%llu}",
                   (unsigned long long)j->created_ms, (unsigned long long)j->updated_ms);
}

/* ---- publishing (any thread, not under the lock) -------------------------------- */

static void publish(br_jobs *J, br_job *j, const char *type, const sk_buf *m)
{
    if (ssekit_bridge_publish(J->b, j->id, type, m->p, m->len) != SSEKIT_OK) {
        pthread_mutex_lock(&J->lock);
        J->publish_errors++;
        pthread_mutex_unlock(&J->lock);
    }
}

/* {"stage","progress","retries"[,"note"]} from the table's state. */
static void publish_progress(br_jobs *J, br_job *j, sk_buf *m, const char *note)
{
    const ssekit_alloc_funcs *a = &J->b->a;
    pthread_mutex_lock(&J->lock);
    br_stage st = j->stage;
    unsigned pr = j->progress, re = j->retries;
    pthread_mutex_unlock(&J->lock);
    m->len = 0;
    if (bprintf(a, m, "{\"stage\":\"%s\",\"progress\":%u,\"retries\":%u", stage_names[st], pr,
                re) ||
        (note && (sk_buf_append(a, m, ",\"note\":", 8) || bstr(a, m, note))) ||
        sk_buf_push(a, m, '}'))
        return;
    j->last_pr = pr;
    publish(J, j, "progress", m);
}

/* Moves j forward to `st` (stages never go back; a terminal one is final).
 * Returns 1 when the stage changed. */
static int advance(br_jobs *J, br_job *j, br_stage st)
{
    int changed = 0;
    pthread_mutex_lock(&J->lock);
    if (!terminal(j->stage) && st > j->stage) {
        j->stage = st;
        j->updated_ms = wall_ms();
        changed = 1;
    }
    pthread_mutex_unlock(&J->lock);
    return changed;
}

/* ---- the worker: events of a job's stream ----------------------------------------- */

static int patch_out(void *ctx, const char *data, size_t len)
{
    br_job *j = ctx;
    return sk_buf_append(&j->J->b->a, &j->patches, data, len);
}

static int on_patch(void *user, const ssekit_json_patch *p)
{
    br_job *j = user;
    if (j->patches.len && sk_buf_push(&j->J->b->a, &j->patches, ','))
        return 1;
    return ssekit_json_patch_write(p, patch_out, j) != SSEKIT_OK;
}

/* A piece of the main output: a delta message, and the builder's patches. */
static void main_delta(br_jobs *J, br_job *j, const char *text, size_t len)
{
    const ssekit_alloc_funcs *a = &J->b->a;
    if (!len)
        return;
    if (advance(J, j, ST_STREAMING))
        publish_progress(J, j, &j->msg, NULL);
    j->msg.len = 0;
    if (sk_buf_append(a, &j->msg, "{\"text\":", 8) || br_json_escape(a, &j->msg, text, len) ||
        sk_buf_push(a, &j->msg, '}'))
        return;
    publish(J, j, "delta", &j->msg);
    if (j->partial_dead || !j->partial)
        return;
    j->patches.len = 0;
    if (ssekit_partial_feed(j->partial, text, len) != SSEKIT_OK)
        j->partial_dead = 1; /* prose, or broken JSON: the text still flows */
    if (!j->patches.len)
        return;
    j->msg.len = 0;
    if (sk_buf_append(a, &j->msg, "{\"patches\":[", 12) ||
        sk_buf_append(a, &j->msg, j->patches.p, j->patches.len) ||
        sk_buf_append(a, &j->msg, "]}", 2))
        return;
    publish(J, j, "patch", &j->msg);
}

/* The violations of a schema failure, found again on the raw output (the
 * stream's event carries only the first). */
static char *violations_json(br_jobs *J, br_job *j, const char *raw, size_t len)
{
    const ssekit_alloc_funcs *a = &J->b->a;
    const ssekit_schema *schema = j->rq.schema ? j->rq.schema : j->raw_schema;
    ssekit_schema_message msgs[BJ_MAX_VIOLATIONS];
    int n = 0;
    ssekit_partial *p = schema ? ssekit_partial_new(NULL, NULL, a) : NULL;
    if (p && ssekit_partial_feed(p, raw, len) == SSEKIT_OK && ssekit_partial_finish(p) == SSEKIT_OK)
        n = ssekit_schema_validate_collect(schema, ssekit_partial_root(p), 0, msgs,
                                           BJ_MAX_VIOLATIONS);
    ssekit_partial_free(p);
    sk_buf o = {0};
    int bad = sk_buf_push(a, &o, '[');
    for (int i = 0; i < n && i < BJ_MAX_VIOLATIONS && !bad; i++) {
        bad = (i && sk_buf_push(a, &o, ',')) || sk_buf_append(a, &o, "{\"path\":", 8) ||
              bstr(a, &o, msgs[i].path) || sk_buf_append(a, &o, ",\"keyword\":", 11) ||
              bstr(a, &o, msgs[i].keyword) || sk_buf_append(a, &o, ",\"message\":", 11) ||
              bstr(a, &o, msgs[i].message) || sk_buf_push(a, &o, '}');
    }
    if (bad || sk_buf_push(a, &o, ']') || sk_buf_push(a, &o, '\0')) {
        sk_buf_free(a, &o);
        return NULL;
    }
    return o.p;
}

static void on_done(br_jobs *J, br_job *j, const ssekit_event *ev)
{
    const ssekit_alloc_funcs *a = &J->b->a;
    if (advance(J, j, ST_VALIDATING))
        publish_progress(J, j, &j->msg, NULL);
    int json = ev->type && strcmp(ev->type, "json") == 0;
    sk_buf v = {0};
    int bad = 0;
    if (json)
        bad = sk_buf_append(a, &v, ev->data, ev->data_len);
    else /* prose: the result is the text, as a JSON string */
        bad = br_json_escape(a, &v, ev->data ? ev->data : "", ev->data ? ev->data_len : 0);
    bad = bad || sk_buf_push(a, &v, '\0');
    pthread_mutex_lock(&J->lock);
    if (!terminal(j->stage)) {
        if (bad) {
            j->stage = ST_FAILED;
            j->err_cat = SSEKIT_ERROR_TRANSPORT;
            j->err_msg = dupmem(a, "out of memory", 13);
        } else {
            j->stage = ST_DONE;
            j->value = v.p;
            v.p = NULL;
            j->progress = 100;
        }
        j->finished = mono_ms();
        j->updated_ms = wall_ms();
        J->finished_by[j->stage]++;
    }
    br_stage st = j->stage;
    pthread_mutex_unlock(&J->lock);
    sk_buf_free(a, &v);
    publish_progress(J, j, &j->msg, NULL);
    if (st == ST_CANCELED) { /* canceled as it ended: no value */
        static const char er[] = "{\"category\":\"canceled\",\"message\":\"canceled by DELETE\"}";
        ssekit_bridge_publish(J->b, j->id, "error", er, sizeof er - 1);
    }
    if (st != ST_DONE)
        return;
    sk_buf *m = &j->msg;
    m->len = 0;
    if (sk_buf_append(a, m, "{\"value\":", 9) ||
        (json ? sk_buf_append(a, m, ev->data, ev->data_len) : sk_buf_append(a, m, "null", 4)) ||
        (!json && (sk_buf_append(a, m, ",\"text\":", 8) ||
                   br_json_escape(a, m, ev->data ? ev->data : "", ev->data ? ev->data_len : 0))) ||
        sk_buf_append(a, m, ",\"finish_reason\":", 17) || bstr(a, m, ev->finish_reason) ||
        sk_buf_push(a, m, '}'))
        return;
    publish(J, j, "done", m);
}

static void on_error(br_jobs *J, br_job *j, const ssekit_event *ev)
{
    const ssekit_alloc_funcs *a = &J->b->a;
    ssekit_error_category cat = ev->category;
    char *viol = NULL, *raw = NULL;
    if (cat == SSEKIT_ERROR_SCHEMA || cat == SSEKIT_ERROR_PARSE) {
        raw = dupmem(a, ev->data ? ev->data : "", ev->data ? ev->data_len : 0);
        if (cat == SSEKIT_ERROR_SCHEMA)
            viol = violations_json(J, j, ev->data ? ev->data : "", ev->data ? ev->data_len : 0);
    }
    pthread_mutex_lock(&J->lock);
    if (j->cancel_req)
        cat = SSEKIT_ERROR_CANCELED;
    if (!terminal(j->stage) || j->stage == ST_CANCELED) {
        if (!terminal(j->stage)) {
            j->stage = cat == SSEKIT_ERROR_CANCELED ? ST_CANCELED : ST_FAILED;
            J->finished_by[j->stage]++;
            j->finished = mono_ms();
        }
        j->err_cat = cat;
        j->err_http = ev->http_status;
        sk_free(a, j->err_msg);
        j->err_msg =
            dupmem(a, ev->message ? ev->message : "", ev->message ? strlen(ev->message) : 0);
        j->raw = raw;
        j->viol = viol;
        raw = viol = NULL;
        j->updated_ms = wall_ms();
    }
    pthread_mutex_unlock(&J->lock);
    sk_free(a, raw);
    sk_free(a, viol);
    publish_progress(J, j, &j->msg, NULL);
    sk_buf *m = &j->msg;
    m->len = 0;
    pthread_mutex_lock(&J->lock);
    int bad = bprintf(a, m, "{\"category\":\"%s\",\"message\":", ssekit_error_category_name(cat)) ||
              bstr(a, m, j->err_msg ? j->err_msg : "") ||
              (ev->http_status > 0 && bprintf(a, m, ",\"status\":%d", ev->http_status)) ||
              (j->viol && (sk_buf_append(a, m, ",\"violations\":", 14) ||
                           sk_buf_append(a, m, j->viol, strlen(j->viol)))) ||
              sk_buf_push(a, m, '}');
    pthread_mutex_unlock(&J->lock);
    if (!bad)
        publish(J, j, "error", m);
}

static void set_usage(br_jobs *J, br_job *j, const ssekit_usage *u)
{
    const ssekit_alloc_funcs *a = &J->b->a;
    pthread_mutex_lock(&J->lock);
    j->has_usage = 1;
    j->in_tokens = u->input_tokens;
    j->out_tokens = u->output_tokens;
    j->updated_ms = wall_ms();
    pthread_mutex_unlock(&J->lock);
    sk_buf *m = &j->msg;
    m->len = 0;
    if (sk_buf_append(a, m, "{\"input_tokens\":", 16) ||
        (u->input_tokens >= 0 ? bprintf(a, m, "%lld", (long long)u->input_tokens)
                              : sk_buf_append(a, m, "null", 4)) ||
        sk_buf_append(a, m, ",\"output_tokens\":", 17) ||
        (u->output_tokens >= 0 ? bprintf(a, m, "%lld", (long long)u->output_tokens)
                               : sk_buf_append(a, m, "null", 4)) ||
        sk_buf_push(a, m, '}'))
        return;
    publish(J, j, "usage", m);
}

static void set_progress(br_jobs *J, br_job *j, unsigned percent)
{
    pthread_mutex_lock(&J->lock);
    if (!terminal(j->stage) && percent > j->progress) {
        j->progress = percent > 99 ? 99 : percent; /* 100 is the done */
        j->updated_ms = wall_ms();
    }
    unsigned now = j->progress;
    pthread_mutex_unlock(&J->lock);
    if (now != j->last_pr)
        publish_progress(J, j, &j->msg, NULL);
}

/* A retry or a reconnect: a new answer starts, the builder too. */
static void restart(br_jobs *J, br_job *j, const ssekit_event *ev, int retry)
{
    char note[320];
    pthread_mutex_lock(&J->lock);
    if (retry) {
        j->retries++;
        J->retries_total++;
    }
    j->updated_ms = wall_ms();
    pthread_mutex_unlock(&J->lock);
    if (retry && j->partial) {
        ssekit_partial_reset(j->partial);
        j->partial_dead = 0;
        j->main_index = -1;
    }
    /* at most 200 bytes of the reason, cut before a UTF-8 continuation byte:
     * half a character would make the whole message invalid JSON text */
    const char *why = ev->message ? ev->message : "";
    size_t wn = strlen(why);
    if (wn > 200) {
        wn = 200;
        while (wn > 0 && ((unsigned char)why[wn] & 0xC0) == 0x80)
            wn--;
    }
    snprintf(note, sizeof note, "%s %u in %llu ms: %.*s", retry ? "retry" : "reconnect",
             ev->attempt, (unsigned long long)ev->delay_ms, (int)wn, why);
    publish_progress(J, j, &j->msg, note);
}

static int json_out(void *ctx, const char *data, size_t len)
{
    br_job *j = ctx;
    return sk_buf_append(&j->J->b->a, &j->patches, data, len);
}

/* A raw stream ended (the server said 204): its text is the output. With a
 * schema it must be JSON that satisfies it, as a decode stream's would. */
static void raw_done(br_jobs *J, br_job *j, const ssekit_event *end)
{
    ssekit_event ev = *end;
    const char *text = j->text.p ? j->text.p : "";
    ev.data = text;
    ev.data_len = j->text.len;
    ev.type = "text";
    ev.type_len = 4;
    if (!j->raw_schema) {
        on_done(J, j, &ev);
        return;
    }
    ssekit_partial *p = ssekit_partial_new(NULL, NULL, &J->b->a);
    int ok = p && ssekit_partial_feed(p, text, j->text.len) == SSEKIT_OK &&
             ssekit_partial_finish(p) == SSEKIT_OK;
    ssekit_schema_message v;
    int nv =
        ok ? ssekit_schema_validate_collect(j->raw_schema, ssekit_partial_root(p), 0, &v, 1) : 0;
    j->patches.len = 0;
    if (ok && nv == 0 && ssekit_json_write(ssekit_partial_root(p), json_out, j) == SSEKIT_OK &&
        !sk_buf_push(&J->b->a, &j->patches, '\0')) {
        ev.type = "json";
        ev.data = j->patches.p;
        ev.data_len = j->patches.len - 1;
        on_done(J, j, &ev);
    } else {
        ev.kind = SSEKIT_EVENT_ERROR;
        ev.category = !ok ? SSEKIT_ERROR_PARSE : SSEKIT_ERROR_SCHEMA;
        ev.message = !ok      ? "the output is not complete JSON"
                     : nv > 0 ? v.message
                              : "schema check failed";
        on_error(J, j, &ev);
    }
    ssekit_partial_free(p);
}

static int on_event(void *user, const ssekit_event *ev)
{
    br_job *j = user;
    br_jobs *J = j->J;
    switch (ev->kind) {
    case SSEKIT_EVENT_START:
        if (advance(J, j, ST_CONNECTING))
            publish_progress(J, j, &j->msg, NULL);
        break;
    case SSEKIT_EVENT_OPEN:
        if (ev->http_status >= 200 && ev->http_status < 300 && advance(J, j, ST_STREAMING))
            publish_progress(J, j, &j->msg, NULL);
        break;
    case SSEKIT_EVENT_DELTA:
        if (ev->delta_kind == SSEKIT_DELTA_FINISH) {
            if (advance(J, j, ST_VALIDATING))
                publish_progress(J, j, &j->msg, NULL);
        } else if (ev->delta_kind == SSEKIT_DELTA_TEXT && !j->feed_tool) {
            if (j->main_index < 0 && ev->data_len)
                j->main_index = (long)ev->index;
            if ((long)ev->index == j->main_index)
                main_delta(J, j, ev->data, ev->data_len);
        } else if (ev->delta_kind == SSEKIT_DELTA_TOOL_CALL && j->feed_tool &&
                   ev->tool_index == 0) {
            main_delta(J, j, ev->data, ev->data_len);
        }
        break;
    case SSEKIT_EVENT_SSE: /* raw streams only */
        if (sk_buf_append(&J->b->a, &j->text, ev->data, ev->data_len))
            j->partial_dead = 1;
        main_delta(J, j, ev->data, ev->data_len);
        break;
    case SSEKIT_EVENT_USAGE:
        set_usage(J, j, &ev->usage);
        break;
    case SSEKIT_EVENT_PROGRESS:
        set_progress(J, j, ev->percent);
        break;
    case SSEKIT_EVENT_RETRY:
    case SSEKIT_EVENT_RECONNECT:
        restart(J, j, ev, ev->kind == SSEKIT_EVENT_RETRY);
        break;
    case SSEKIT_EVENT_DONE:
        if (j->provider == SSEKIT_PROVIDER_RAW)
            raw_done(J, j, ev);
        else
            on_done(J, j, ev);
        j->ended = 1;
        break;
    case SSEKIT_EVENT_ERROR:
        on_error(J, j, ev);
        j->ended = 1;
        break;
    default:
        break;
    }
    return 0;
}

/* ---- the worker thread ------------------------------------------------------------- */

static void job_start(br_jobs *J, br_job *j)
{
    ssekit_partial_callbacks cb = {.on_patch = on_patch};
    j->partial = ssekit_partial_new(&cb, j, &J->b->a);
    j->main_index = -1;
    j->rq.callback = on_event;
    j->rq.user = j;
    j->rq.filter = SSEKIT_EVENT_START | SSEKIT_EVENT_OPEN | SSEKIT_EVENT_DELTA |
                   SSEKIT_EVENT_USAGE | SSEKIT_EVENT_RETRY | SSEKIT_EVENT_RECONNECT |
                   SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR | SSEKIT_EVENT_PROGRESS |
                   (j->provider == SSEKIT_PROVIDER_RAW ? SSEKIT_EVENT_SSE : 0u);
    int rc = ssekit_stream_open(J->client, &j->rq, &j->s);
    if (rc != SSEKIT_OK) {
        ssekit_event ev = {0};
        ev.kind = SSEKIT_EVENT_ERROR;
        ev.category = SSEKIT_ERROR_TRANSPORT;
        ev.status = rc;
        ev.message = ssekit_strerror(rc);
        j->s = NULL;
        on_error(J, j, &ev);
        j->ended = 1;
    }
}

/* The worker is done with j: what only it used goes, the rest stays for the
 * table until the job expires. */
static void job_release(br_jobs *J, br_job *j)
{
    ssekit_stream_free(j->s);
    j->s = NULL;
    clear_request(&J->b->a, j);
    ssekit_schema_free(j->raw_schema);
    j->raw_schema = NULL;
    ssekit_partial_free(j->partial);
    j->partial = NULL;
    sk_buf_free(&J->b->a, &j->patches);
    sk_buf_free(&J->b->a, &j->msg);
    sk_buf_free(&J->b->a, &j->text);
    pthread_mutex_lock(&J->lock);
    j->released = 1;
    pthread_mutex_unlock(&J->lock);
}

static void *worker(void *arg)
{
    br_jobs *J = arg;
    pthread_mutex_lock(&J->lock);
    while (!J->stop) {
        int work = 0;
        for (br_job *j = J->head; j; j = j->next) {
            if (!j->taken && j->stage == ST_QUEUED) {
                j->taken = 1;
                j->wnext = J->running;
                J->running = j;
                work = 1;
            }
        }
        for (br_job *j = J->running; j; j = j->wnext)
            work |= j->cancel_req && !j->cancel_sent;
        uint64_t now = mono_ms();
        int sweep = 0;
        for (br_job *j = J->head; j && !sweep; j = j->next)
            sweep = expired(J, j, now);
        if (sweep && !atomic_exchange(&J->sweep, 1)) {
            pthread_mutex_unlock(&J->lock);
            lws_cancel_service(J->b->ctx); /* the service thread sweeps */
            pthread_mutex_lock(&J->lock);
            continue;
        }
        if (!work && !J->running) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1; /* expiry is checked at least every second */
            pthread_cond_timedwait(&J->cond, &J->lock, &ts);
            continue;
        }
        /* what to cancel, decided under the lock */
        for (br_job *j = J->running; j; j = j->wnext) {
            if (j->cancel_req && !j->cancel_sent)
                j->cancel_sent = 2;
        }
        pthread_mutex_unlock(&J->lock);
        for (br_job *j = J->running; j; j = j->wnext) {
            if (!j->s && !j->ended)
                job_start(J, j);
            if (j->cancel_sent == 2) {
                j->cancel_sent = 1;
                if (j->s)
                    ssekit_stream_cancel(j->s);
            }
        }
        /* also when no stream is active: a cancel's ERROR waits for the
         * dispatch of the next step */
        int pending = 0;
        for (br_job *j = J->running; j; j = j->wnext)
            pending |= !j->ended;
        if (pending)
            ssekit_client_run(J->client, 1000);
        for (br_job **pp = &J->running; *pp;) {
            br_job *j = *pp;
            if (j->ended) {
                *pp = j->wnext;
                job_release(J, j);
            } else {
                pp = &j->wnext;
            }
        }
        pthread_mutex_lock(&J->lock);
    }
    pthread_mutex_unlock(&J->lock);
    while (J->running) {
        br_job *j = J->running;
        J->running = j->wnext;
        job_release(J, j);
    }
    return NULL;
}

/* ---- submission (service thread) ------------------------------------------------- */

static yajl_val member(yajl_val o, const char *k)
{
    for (size_t i = 0; i < o->u.object.len; i++) {
        if (strcmp(o->u.object.keys[i], k) == 0)
            return o->u.object.values[i];
    }
    return NULL;
}

/* A string member: NULL when absent or null; *bad when of another type. */
static const char *str_member(yajl_val o, const char *k, const char **bad)
{
    yajl_val v = member(o, k);
    if (!v || YAJL_IS_NULL(v))
        return NULL;
    if (!YAJL_IS_STRING(v)) {
        *bad = k;
        return NULL;
    }
    return v->u.string;
}

static void new_id(char *id)
{
    unsigned char r[8];
    static atomic_uint counter;
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        /* no entropy source: unique, if guessable */
        uint64_t x = wall_ms() ^ ((uint64_t)atomic_fetch_add(&counter, 1) << 40);
        memcpy(r, &x, sizeof r);
    }
    static const char hex[] = "0123456789abcdef";
    memcpy(id, "job-", 4);
    for (size_t i = 0; i < sizeof r; i++) {
        id[4 + 2 * i] = hex[r[i] >> 4];
        id[5 + 2 * i] = hex[r[i] & 15];
    }
    id[4 + 2 * sizeof r] = '\0';
}

/* Builds j's request from the body. Returns 0, or -1 with a message in err. */
static int job_build(const ssekit_alloc_funcs *a, br_job *j, yajl_val v, char *err, size_t errlen)
{
    const char *bad = NULL;
    if (!YAJL_IS_OBJECT(v)) {
        snprintf(err, errlen, "the body must be a JSON object");
        return -1;
    }
    const char *prov = str_member(v, "provider", &bad);
    const char *model = str_member(v, "model", &bad);
    const char *prompt = str_member(v, "prompt", &bad);
    const char *system = str_member(v, "system", &bad);
    const char *base = str_member(v, "base_url", &bad);
    const char *url = str_member(v, "url", &bad);
    yajl_val schema = member(v, "schema"), msgs = member(v, "messages");
    yajl_val maxt = member(v, "max_tokens"), temp = member(v, "temperature");
    if (bad) {
        snprintf(err, errlen, "\"%s\" must be a string", bad);
        return -1;
    }
    int p = prov ? ssekit_provider_from_name(prov) : SSEKIT_E_INVALID;
    if (p < 0) {
        snprintf(err, errlen,
                 "\"provider\" must be \"openai\", \"anthropic\", \"responses\" or \"raw\"");
        return -1;
    }
    if (schema && YAJL_IS_NULL(schema))
        schema = NULL;
    if (schema && !YAJL_IS_OBJECT(schema)) {
        snprintf(err, errlen, "\"schema\" must be a JSON Schema object");
        return -1;
    }
    if (maxt && !YAJL_IS_NULL(maxt) &&
        !(YAJL_IS_INTEGER(maxt) && YAJL_GET_INTEGER(maxt) > 0 &&
          YAJL_GET_INTEGER(maxt) <= 10000000)) {
        snprintf(err, errlen, "\"max_tokens\" must be an integer from 1 to 10000000");
        return -1;
    }
    if (temp && !YAJL_IS_NULL(temp) && !YAJL_IS_NUMBER(temp)) {
        snprintf(err, errlen, "\"temperature\" must be a number");
        return -1;
    }
    j->provider = (ssekit_provider)p;
    sk_buf st = {0};
    if (schema && (br_json_render(a, &st, schema) || sk_buf_push(a, &st, '\0'))) {
        sk_buf_free(a, &st);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    if (p == SSEKIT_PROVIDER_RAW) {
        ssekit_schema_error se;
        if (!url || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
            snprintf(err, errlen, "a raw stream needs \"url\" (http or https)");
            rc = -1;
        } else if (!(j->raw_url = dupmem(a, url, strlen(url)))) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (schema && !(j->raw_schema = ssekit_schema_compile(st.p, st.len - 1, a, &se))) {
            snprintf(err, errlen, "the schema does not compile");
            rc = -1;
        } else {
            memset(&j->rq, 0, sizeof j->rq);
            j->rq.url = j->raw_url;
            /* plain SSE: the worker joins the events' data and judges the
             * text itself (raw_done) */
            j->rq.reconnect = 1;
        }
        sk_buf_free(a, &st);
        if (!rc && model && !(j->model = dupmem(a, model, strlen(model))))
            rc = -1;
        return rc;
    }
    size_t nm = msgs && YAJL_IS_ARRAY(msgs) ? msgs->u.array.len : 0;
    ssekit_message *mv = nm ? sk_malloc(a, nm * sizeof *mv) : NULL;
    if (msgs && !YAJL_IS_NULL(msgs) && !YAJL_IS_ARRAY(msgs)) {
        snprintf(err, errlen, "\"messages\" must be an array");
        rc = -1;
    } else if (nm && !mv) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    for (size_t i = 0; i < nm && !rc; i++) {
        yajl_val m = msgs->u.array.values[i];
        const char *mbad = NULL;
        mv[i].role = YAJL_IS_OBJECT(m) ? str_member(m, "role", &mbad) : NULL;
        mv[i].content = YAJL_IS_OBJECT(m) ? str_member(m, "content", &mbad) : NULL;
        if (!mv[i].role || !mv[i].content) {
            snprintf(err, errlen, "each message needs string \"role\" and \"content\"");
            rc = -1;
        }
    }
    if (!rc) {
        ssekit_preset ps = {0};
        ps.provider = j->provider;
        ps.model = model;
        ps.prompt = prompt;
        ps.messages = mv;
        ps.message_count = nm;
        ps.system = system;
        ps.schema = schema ? st.p : NULL;
        ps.schema_len = schema ? st.len - 1 : 0;
        ps.base_url = base;
        ps.url = url;
        /* The bridge's API key goes only where its own environment points:
         * a submitter who names the endpoint gets no key from it. */
        ps.no_env = base || url;
        ps.max_tokens = maxt && YAJL_IS_INTEGER(maxt) ? (unsigned)YAJL_GET_INTEGER(maxt) : 0;
        if (temp && YAJL_IS_NUMBER(temp)) {
            ps.temperature = YAJL_GET_DOUBLE(temp);
            ps.has_temperature = 1;
        }
        char e[200] = "";
        if (ssekit_request_build(&ps, a, &j->rq, e, sizeof e) != SSEKIT_OK) {
            snprintf(err, errlen, "%s", e[0] ? e : "bad request");
            rc = -1;
        } else if (model && !(j->model = dupmem(a, model, strlen(model)))) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
        j->feed_tool = schema && j->provider == SSEKIT_PROVIDER_ANTHROPIC;
    }
    sk_free(a, mv);
    sk_buf_free(a, &st);
    return rc;
}

/* The job a POST /v1/streams body describes, in *out (free with job_free):
 * SSEKIT_OK, SSEKIT_E_NOMEM, or SSEKIT_E_INVALID with a message in err. */
static int job_parse(const ssekit_alloc_funcs *a, const char *body, size_t len, br_job **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    int rc;
    yajl_val v = br_json_parse(body, len, &rc);
    if (!v) {
        snprintf(err, errlen, "%s",
                 rc == SSEKIT_E_NOMEM      ? "out of memory"
                 : rc == SSEKIT_E_TOO_DEEP ? "the body is nested too deep"
                                           : "the body is not JSON");
        return rc == SSEKIT_E_NOMEM ? rc : SSEKIT_E_INVALID;
    }
    br_job *j = sk_malloc(a, sizeof *j);
    if (!j) {
        yajl_tree_free(v);
        snprintf(err, errlen, "out of memory");
        return SSEKIT_E_NOMEM;
    }
    memset(j, 0, sizeof *j);
    rc = job_build(a, j, v, err, errlen) ? SSEKIT_E_INVALID : SSEKIT_OK;
    yajl_tree_free(v);
    if (rc != SSEKIT_OK && strcmp(err, "out of memory") == 0)
        rc = SSEKIT_E_NOMEM;
    *out = j;
    return rc;
}

int br_jobs_check_body(const ssekit_alloc_funcs *a, const char *body, size_t len, char *err,
                       size_t errlen)
{
    br_job *j = NULL;
    int rc = job_parse(a, body, len, &j, err, errlen);
    if (j)
        job_free(a, j);
    return rc;
}

static int render_created(const ssekit_alloc_funcs *a, sk_buf *out, const br_job *j)
{
    return bprintf(a, out, "{\"id\":\"%s\",\"channel\":\"%s\",\"stage\":\"%s\"}", j->id, j->id,
                   stage_names[j->stage]);
}

static unsigned reply_error(const ssekit_alloc_funcs *a, sk_buf *out, unsigned code,
                            const char *msg)
{
    out->len = 0;
    if (sk_buf_append(a, out, "{\"error\":", 9) || bstr(a, out, msg) || sk_buf_push(a, out, '}'))
        return 0;
    return code;
}

unsigned br_jobs_submit(ssekit_bridge *b, const char *body, size_t len, const char *idem,
                        sk_buf *out)
{
    br_jobs *J = b->jobs;
    const ssekit_alloc_funcs *a = &b->a;
    br_jobs_service(b); /* expired jobs make room */
    if (idem) {
        pthread_mutex_lock(&J->lock);
        uint64_t now = mono_ms();
        for (br_job *j = J->head; j; j = j->next) {
            if (j->idem && strcmp(j->idem, idem) == 0 && !expired(J, j, now)) {
                int bad = render_created(a, out, j);
                pthread_mutex_unlock(&J->lock);
                return bad ? 0 : 200;
            }
        }
        pthread_mutex_unlock(&J->lock);
    }
    char err[256];
    br_job *j = NULL;
    int rc = job_parse(a, body, len, &j, err, sizeof err);
    if (rc == SSEKIT_OK && idem && !(j->idem = dupmem(a, idem, strlen(idem))))
        rc = SSEKIT_E_NOMEM;
    if (rc != SSEKIT_OK) {
        if (j)
            job_free(a, j);
        return rc == SSEKIT_E_NOMEM ? 0 : reply_error(a, out, 400, err);
    }
    j->J = J;
    new_id(j->id);
    j->stage = ST_QUEUED;
    j->created_ms = j->updated_ms = wall_ms();
    pthread_mutex_lock(&J->lock);
    if (J->count >= J->max_jobs) {
        J->rejected++;
        pthread_mutex_unlock(&J->lock);
        job_free(&b->a, j);
        return reply_error(a, out, 429, "too many jobs");
    }
    /* The channel starts with the job's first state, before the worker can
     * publish anything (the inbox keeps the order). */
    static const char queued[] = "{\"stage\":\"queued\",\"progress\":0,\"retries\":0}";
    if (ssekit_bridge_publish(b, j->id, "progress", queued, sizeof queued - 1) != SSEKIT_OK)
        J->publish_errors++;
    j->next = J->head;
    J->head = j;
    J->count++;
    J->submitted++;
    int bad = render_created(a, out, j);
    pthread_cond_signal(&J->cond);
    pthread_mutex_unlock(&J->lock);
    ssekit_client_wakeup(J->client);
    return bad ? 0 : 201;
}

/* ---- the other routes (service thread) ------------------------------------------- */

unsigned br_jobs_list(ssekit_bridge *b, sk_buf *out)
{
    br_jobs *J = b->jobs;
    const ssekit_alloc_funcs *a = &b->a;
    int bad = sk_buf_append(a, out, "{\"streams\":[", 12);
    pthread_mutex_lock(&J->lock);
    uint64_t now = mono_ms();
    int first = 1;
    for (br_job *j = J->head; j && !bad; j = j->next) {
        if (expired(J, j, now))
            continue;
        bad = (!first && sk_buf_push(a, out, ',')) || render_status(a, out, j);
        first = 0;
    }
    pthread_mutex_unlock(&J->lock);
    return bad || sk_buf_append(a, out, "]}", 2) ? 0 : 200;
}

unsigned br_jobs_status(ssekit_bridge *b, const char *id, size_t n, sk_buf *out)
{
    br_jobs *J = b->jobs;
    pthread_mutex_lock(&J->lock);
    br_job *j = find(J, id, n);
    unsigned code = j ? (render_status(&b->a, out, j) ? 0 : 200) : 404;
    pthread_mutex_unlock(&J->lock);
    return code == 404 ? reply_error(&b->a, out, 404, "unknown or expired stream") : code;
}

unsigned br_jobs_result(ssekit_bridge *b, const char *id, size_t n, sk_buf *out)
{
    br_jobs *J = b->jobs;
    const ssekit_alloc_funcs *a = &b->a;
    pthread_mutex_lock(&J->lock);
    br_job *j = find(J, id, n);
    unsigned code;
    int bad = 0;
    if (!j) {
        code = 404;
        bad = reply_error(a, out, 404, "unknown or expired stream") == 0;
    } else if (j->stage == ST_DONE) {
        code = 200;
        bad = sk_buf_append(a, out, j->value, strlen(j->value));
    } else if (j->stage == ST_CANCELED) {
        code = 409;
        bad = reply_error(a, out, 409, "canceled") == 0;
    } else if (j->stage == ST_FAILED &&
               (j->err_cat == SSEKIT_ERROR_SCHEMA || j->err_cat == SSEKIT_ERROR_PARSE)) {
        code = 422;
        bad = bprintf(a, out, "{\"error\":\"%s\",\"message\":",
                      j->err_cat == SSEKIT_ERROR_SCHEMA ? "schema" : "parse") ||
              bstr(a, out, j->err_msg ? j->err_msg : "") ||
              sk_buf_append(a, out, ",\"violations\":", 14) ||
              sk_buf_append(a, out, j->viol ? j->viol : "[]", j->viol ? strlen(j->viol) : 2) ||
              sk_buf_append(a, out, ",\"raw\":", 7) || bstr(a, out, j->raw ? j->raw : "") ||
              sk_buf_push(a, out, '}');
    } else if (j->stage == ST_FAILED) {
        code = 502;
        bad = sk_buf_append(a, out, "{\"error\":", 9) || render_error(a, out, j) ||
              sk_buf_push(a, out, '}');
    } else {
        code = 404;
        bad = bprintf(a, out, "{\"error\":\"not done\",\"stage\":\"%s\"}", stage_names[j->stage]);
    }
    pthread_mutex_unlock(&J->lock);
    return bad ? 0 : code;
}

unsigned br_jobs_cancel(ssekit_bridge *b, const char *id, size_t n, sk_buf *out)
{
    br_jobs *J = b->jobs;
    const ssekit_alloc_funcs *a = &b->a;
    pthread_mutex_lock(&J->lock);
    br_job *j = find(J, id, n);
    if (!j) {
        pthread_mutex_unlock(&J->lock);
        return reply_error(a, out, 404, "unknown or expired stream");
    }
    int now_canceled = !terminal(j->stage), untaken = !j->taken;
    if (now_canceled) {
        /* The stage is final at once; the worker stops the transfer. */
        j->stage = ST_CANCELED;
        j->cancel_req = 1;
        j->err_cat = SSEKIT_ERROR_CANCELED;
        sk_free(a, j->err_msg);
        j->err_msg = dupmem(a, "canceled by DELETE", 18);
        j->updated_ms = wall_ms();
        j->finished = mono_ms();
        J->finished_by[ST_CANCELED]++;
        if (!j->taken) /* the worker never saw it */
            j->taken = j->released = 1;
    }
    int bad = render_status(a, out, j);
    pthread_cond_signal(&J->cond);
    pthread_mutex_unlock(&J->lock);
    if (now_canceled && untaken) {
        /* the worker will never publish for it */
        static const char pr[] = "{\"stage\":\"canceled\",\"progress\":0,\"retries\":0}";
        static const char er[] = "{\"category\":\"canceled\",\"message\":\"canceled by DELETE\"}";
        ssekit_bridge_publish(b, j->id, "progress", pr, sizeof pr - 1);
        ssekit_bridge_publish(b, j->id, "error", er, sizeof er - 1);
    } else if (now_canceled) {
        ssekit_client_wakeup(J->client); /* it stops the transfer and publishes */
    }
    return bad ? 0 : 200;
}

/* ---- lifecycle, expiry, metrics ------------------------------------------------- */

int br_jobs_new(ssekit_bridge *b)
{
    br_jobs *J = sk_malloc(&b->a, sizeof *J);
    if (!J)
        return SSEKIT_E_NOMEM;
    memset(J, 0, sizeof *J);
    J->b = b;
    J->max_jobs = b->o.max_jobs;
    J->ttl_s = b->o.job_ttl_s;
    pthread_mutex_init(&J->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_cond_init(&J->cond, &ca);
    pthread_condattr_destroy(&ca);
    b->jobs = J;
    J->client = ssekit_client_new(&b->a);
    if (!J->client)
        return SSEKIT_E_NOMEM;
    if (pthread_create(&J->thread, NULL, worker, J))
        return SSEKIT_E_NOMEM;
    J->started = 1;
    return SSEKIT_OK;
}

void br_jobs_free(ssekit_bridge *b)
{
    br_jobs *J = b->jobs;
    if (!J)
        return;
    if (J->started) {
        pthread_mutex_lock(&J->lock);
        J->stop = 1;
        pthread_cond_signal(&J->cond);
        pthread_mutex_unlock(&J->lock);
        ssekit_client_wakeup(J->client);
        pthread_join(J->thread, NULL);
    }
    ssekit_client_free(J->client);
    while (J->head) {
        br_job *j = J->head;
        J->head = j->next;
        job_free(&b->a, j);
    }
    pthread_cond_destroy(&J->cond);
    pthread_mutex_destroy(&J->lock);
    sk_free(&b->a, J);
    b->jobs = NULL;
}

void br_jobs_service(ssekit_bridge *b)
{
    br_jobs *J = b->jobs;
    if (!J)
        return;
    atomic_store(&J->sweep, 0);
    br_job *gone = NULL;
    pthread_mutex_lock(&J->lock);
    uint64_t now = mono_ms();
    for (br_job **pp = &J->head; *pp;) {
        br_job *j = *pp;
        if (expired(J, j, now)) {
            *pp = j->next;
            j->next = gone;
            gone = j;
            J->count--;
            J->expired++;
        } else {
            pp = &j->next;
        }
    }
    pthread_mutex_unlock(&J->lock);
    while (gone) {
        br_job *j = gone;
        gone = j->next;
        br_channel_drop(b, j->id);
        job_free(&b->a, j);
    }
}

int br_jobs_metrics(ssekit_bridge *b, sk_buf *out)
{
    br_jobs *J = b->jobs;
    const ssekit_alloc_funcs *a = &b->a;
    if (!J)
        return 0;
    size_t by[ST_N] = {0};
    pthread_mutex_lock(&J->lock);
    uint64_t now = mono_ms();
    for (br_job *j = J->head; j; j = j->next) {
        if (!expired(J, j, now))
            by[j->stage]++;
    }
    uint64_t sub = J->submitted, rej = J->rejected, ret = J->retries_total, exp = J->expired,
             perr = J->publish_errors, fin[ST_N];
    memcpy(fin, J->finished_by, sizeof fin);
    pthread_mutex_unlock(&J->lock);
    int bad = bprintf(a, out,
                      "# HELP ssekit_bridge_jobs Jobs in the table by stage.\n"
                      "# TYPE ssekit_bridge_jobs gauge\n");
    for (int s = 0; s < ST_N && !bad; s++)
        bad = bprintf(a, out, "ssekit_bridge_jobs{stage=\"%s\"} %zu\n", stage_names[s], by[s]);
    bad = bad || bprintf(a, out,
                         "# HELP ssekit_bridge_jobs_max The job table's size limit.\n"
                         "# TYPE ssekit_bridge_jobs_max gauge\nssekit_bridge_jobs_max %zu\n",
                         J->max_jobs);
    bad = bad ||
          bprintf(a, out,
                  "# HELP ssekit_bridge_jobs_submitted_total Jobs accepted by POST /v1/streams.\n"
                  "# TYPE ssekit_bridge_jobs_submitted_total counter\n"
                  "ssekit_bridge_jobs_submitted_total %llu\n",
                  (unsigned long long)sub);
    bad = bad || bprintf(a, out,
                         "# HELP ssekit_bridge_jobs_rejected_total Jobs refused: table full.\n"
                         "# TYPE ssekit_bridge_jobs_rejected_total counter\n"
                         "ssekit_bridge_jobs_rejected_total %llu\n",
                         (unsigned long long)rej);
    bad = bad || bprintf(a, out,
                         "# HELP ssekit_bridge_jobs_finished_total Jobs finished, by stage.\n"
                         "# TYPE ssekit_bridge_jobs_finished_total counter\n");
    for (int s = ST_DONE; s < ST_N && !bad; s++)
        bad = bprintf(a, out, "ssekit_bridge_jobs_finished_total{stage=\"%s\"} %llu\n",
                      stage_names[s], (unsigned long long)fin[s]);
    bad = bad || bprintf(a, out,
                         "# HELP ssekit_bridge_job_retries_total Upstream retries of jobs.\n"
                         "# TYPE ssekit_bridge_job_retries_total counter\n"
                         "ssekit_bridge_job_retries_total %llu\n",
                         (unsigned long long)ret);
    bad = bad || bprintf(a, out,
                         "# HELP ssekit_bridge_jobs_expired_total Jobs removed after job_ttl.\n"
                         "# TYPE ssekit_bridge_jobs_expired_total counter\n"
                         "ssekit_bridge_jobs_expired_total %llu\n",
                         (unsigned long long)exp);
    bad =
        bad || bprintf(a, out,
                       "# HELP ssekit_bridge_job_publish_errors_total Job messages not published.\n"
                       "# TYPE ssekit_bridge_job_publish_errors_total counter\n"
                       "ssekit_bridge_job_publish_errors_total %llu\n",
                       (unsigned long long)perr);
    return bad ? -1 : 0;
}
