/* A batch of requests at bounded concurrency on one client, with results in
 * input order and a summary. */
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "ssekit/batch.h"

/* A stream of the batch that has not been reaped yet. */
typedef struct slot {
    ssekit_stream *s;
    ssekit_batch_item *item;
    const ssekit_alloc_funcs *a;
    uint64_t t0;
    int ended;
} slot;

static char *dup_n(const ssekit_alloc_funcs *a, const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = sk_malloc(a, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

static void set_error(ssekit_batch_item *it, const ssekit_alloc_funcs *a, int status,
                      ssekit_error_category cat, const char *msg)
{
    it->ok = 0;
    it->status = status;
    it->category = cat;
    it->message = dup_n(a, msg, strlen(msg));
}

static int on_event(void *user, const ssekit_event *ev)
{
    slot *sl = user;
    ssekit_batch_item *it = sl->item;
    uint64_t now = sk_now_ms();
    switch (ev->kind) {
    case SSEKIT_EVENT_SSE:
        it->events++;
        if (!ev->stream->decode && !it->has_ttft)
            it->has_ttft = 1, it->ttft_ms = now - sl->t0;
        break;
    case SSEKIT_EVENT_DELTA:
        if (!it->has_ttft &&
            (ev->delta_kind == SSEKIT_DELTA_TEXT || ev->delta_kind == SSEKIT_DELTA_TOOL_CALL ||
             ev->delta_kind == SSEKIT_DELTA_REFUSAL || ev->delta_kind == SSEKIT_DELTA_THINKING))
            it->has_ttft = 1, it->ttft_ms = now - sl->t0;
        break;
    case SSEKIT_EVENT_OPEN:
        it->http_status = ev->http_status;
        break;
    case SSEKIT_EVENT_RETRY:
        it->retries++;
        break;
    case SSEKIT_EVENT_RECONNECT:
        it->reconnects++;
        break;
    case SSEKIT_EVENT_DONE:
        it->ok = 1;
        it->status = SSEKIT_OK;
        it->requests = ev->stream->requests;
        it->usage = ev->usage;
        if (ev->data) {
            it->value = dup_n(sl->a, ev->data, ev->data_len);
            it->value_len = it->value ? ev->data_len : 0;
            it->value_type = ev->type && !strcmp(ev->type, "json") ? "json" : "text";
        }
        if (ev->finish_reason)
            it->finish_reason = dup_n(sl->a, ev->finish_reason, strlen(ev->finish_reason));
        it->latency_ms = now - sl->t0;
        sl->ended = 1;
        break;
    case SSEKIT_EVENT_ERROR:
        set_error(it, sl->a, ev->status, ev->category, ev->message ? ev->message : "error");
        it->http_status = ev->http_status;
        it->retry_after_ms = ev->retry_after_ms;
        it->requests = ev->stream->requests;
        if (ev->data) {
            it->value = dup_n(sl->a, ev->data, ev->data_len);
            it->value_len = it->value ? ev->data_len : 0;
        }
        it->latency_ms = now - sl->t0;
        sl->ended = 1;
        break;
    default:
        break;
    }
    return 0;
}

static int open_item(ssekit_client *c, const ssekit_request *req, slot *sl, uint64_t deadline)
{
    ssekit_request rq = *req;
    rq.callback = on_event;
    rq.user = sl;
    rq.filter = SSEKIT_EVENT_SSE | SSEKIT_EVENT_DELTA | SSEKIT_EVENT_OPEN | SSEKIT_EVENT_RETRY |
                SSEKIT_EVENT_RECONNECT | SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR;
    uint64_t now = sk_now_ms();
    if (deadline != UINT64_MAX) {
        long left = (long)(deadline - now);
        if (rq.total_timeout_ms <= 0 || rq.total_timeout_ms > left)
            rq.total_timeout_ms = left;
    }
    sl->t0 = now;
    sl->ended = 0;
    return ssekit_stream_open(c, &rq, &sl->s);
}

int ssekit_batch_run(ssekit_client *c, const ssekit_request *requests, size_t n,
                     unsigned concurrency, long deadline_ms, ssekit_batch_item *results,
                     ssekit_batch_summary *summary)
{
    if (!c || (n && (!requests || !results)))
        return SSEKIT_E_INVALID;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    if (n)
        memset(results, 0, n * sizeof *results);
    size_t width = concurrency && concurrency < n ? concurrency : n;
    slot *slots = width ? sk_malloc(&c->a, width * sizeof *slots) : NULL;
    if (width && !slots)
        return SSEKIT_E_NOMEM;
    if (width)
        memset(slots, 0, width * sizeof *slots);
    uint64_t t_start = sk_now_ms();
    uint64_t deadline = deadline_ms > 0 ? t_start + (uint64_t)deadline_ms : UINT64_MAX;
    size_t next = 0, running = 0;
    int rc = SSEKIT_OK;
    while (next < n || running) {
        while (running < width && next < n) {
            slot *sl = slots;
            while (sl->s) /* a free slot exists: running < width */
                sl++;
            ssekit_batch_item *it = &results[next];
            sl->item = it;
            sl->a = &c->a;
            if (sk_now_ms() >= deadline) {
                set_error(it, &c->a, SSEKIT_E_IO, SSEKIT_ERROR_TIMEOUT, "batch deadline reached");
            } else {
                int orc = open_item(c, &requests[next], sl, deadline);
                if (orc != SSEKIT_OK)
                    set_error(it, &c->a, orc, SSEKIT_ERROR_TRANSPORT, ssekit_strerror(orc));
                else
                    running++;
            }
            next++;
        }
        if (!running)
            continue;
        uint64_t now = sk_now_ms();
        if (now > deadline && now - deadline > 1000) {
            /* The streams' own total deadlines should have ended them by now;
             * make sure the batch ends anyway. */
            for (size_t k = 0; k < width; k++)
                if (slots[k].s && !slots[k].ended)
                    ssekit_stream_cancel(slots[k].s);
        }
        long wait = deadline == UINT64_MAX ? 100 : now >= deadline ? 10 : (long)(deadline - now);
        rc = sk_client_step(c, wait > 100 ? 100 : wait);
        if (rc < 0) {
            for (size_t k = 0; k < width; k++)
                if (slots[k].s && !slots[k].ended)
                    set_error(slots[k].item, &c->a, rc, SSEKIT_ERROR_TRANSPORT,
                              "the client's multi handle failed");
            for (; next < n; next++)
                set_error(&results[next], &c->a, rc, SSEKIT_ERROR_TRANSPORT,
                          "the client's multi handle failed");
            for (size_t k = 0; k < width; k++)
                slots[k].ended = slots[k].s != NULL;
        }
        for (size_t k = 0; k < width; k++) {
            if (slots[k].s && slots[k].ended) {
                ssekit_stream_free(slots[k].s);
                slots[k].s = NULL;
                running--;
            }
        }
        if (rc < 0)
            break;
    }
    sk_free(&c->a, slots);
    if (summary) {
        int src = ssekit_batch_summarize(results, n, summary, &c->a);
        if (src < 0 && rc == SSEKIT_OK)
            rc = src;
        summary->wall_ms = sk_now_ms() - t_start;
    }
    return rc;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q of the values <= it. */
static uint64_t rank(const uint64_t *v, size_t n, double q)
{
    if (!n)
        return 0;
    size_t r = (size_t)(q * (double)n + 0.999999);
    if (r < 1)
        r = 1;
    if (r > n)
        r = n;
    return v[r - 1];
}

int ssekit_batch_summarize(const ssekit_batch_item *results, size_t n, ssekit_batch_summary *out,
                           const ssekit_alloc_funcs *alloc)
{
    if (!out || (n && !results))
        return SSEKIT_E_INVALID;
    memset(out, 0, sizeof *out);
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, alloc);
    uint64_t *lat = n ? sk_malloc(&a, 2 * n * sizeof *lat) : NULL;
    if (n && !lat)
        return SSEKIT_E_NOMEM;
    uint64_t *ttft = n ? lat + n : NULL;
    size_t nl = 0, nt = 0;
    out->items = n;
    for (size_t i = 0; i < n; i++) {
        const ssekit_batch_item *it = &results[i];
        if (it->ok)
            out->ok++;
        else
            out->failed++;
        out->requests += it->requests;
        out->retries += it->retries;
        out->input_tokens += it->usage.input_tokens;
        out->output_tokens += it->usage.output_tokens;
        out->total_tokens += it->usage.total_tokens;
        if (it->ok || it->requests)
            lat[nl++] = it->latency_ms;
        if (it->has_ttft)
            ttft[nt++] = it->ttft_ms;
    }
    if (n) {
        qsort(lat, nl, sizeof *lat, cmp_u64);
        qsort(ttft, nt, sizeof *ttft, cmp_u64);
    }
    out->error_rate = n ? (double)out->failed / (double)n : 0;
    out->retry_rate = out->requests ? (double)out->retries / (double)out->requests : 0;
    out->latency_p50_ms = rank(lat, nl, 0.50);
    out->latency_p95_ms = rank(lat, nl, 0.95);
    out->latency_p99_ms = rank(lat, nl, 0.99);
    out->latency_max_ms = nl ? lat[nl - 1] : 0;
    out->ttft_p50_ms = rank(ttft, nt, 0.50);
    out->ttft_p95_ms = rank(ttft, nt, 0.95);
    out->ttft_p99_ms = rank(ttft, nt, 0.99);
    sk_free(&a, lat);
    return SSEKIT_OK;
}

void ssekit_batch_items_free(ssekit_client *c, ssekit_batch_item *results, size_t n)
{
    if (!c || !results)
        return;
    for (size_t i = 0; i < n; i++) {
        sk_free(&c->a, results[i].message);
        sk_free(&c->a, results[i].value);
        sk_free(&c->a, results[i].finish_reason);
        memset(&results[i], 0, sizeof results[i]);
    }
}
