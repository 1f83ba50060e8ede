/* Per-client counters and latency histograms, fed by the stream's events, and
 * their Prometheus text export. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client_internal.h"

const uint64_t ssekit_metrics_bucket_ms[SSEKIT_METRICS_BUCKETS] = {
    5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000};

void ssekit_histogram_observe(ssekit_histogram *h, uint64_t ms)
{
    unsigned i = 0;
    while (i < SSEKIT_METRICS_BUCKETS && ms > ssekit_metrics_bucket_ms[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum_ms += ms;
    if (ms > h->max_ms)
        h->max_ms = ms;
}

uint64_t ssekit_histogram_quantile(const ssekit_histogram *h, double q)
{
    if (!h || !h->count)
        return 0;
    if (q > 1)
        q = 1;
    double rank = q * (double)h->count, seen = 0;
    for (unsigned i = 0; i <= SSEKIT_METRICS_BUCKETS; i++) {
        if (!h->bucket[i] || seen + (double)h->bucket[i] < rank) {
            seen += (double)h->bucket[i];
            continue;
        }
        double lo = i ? (double)ssekit_metrics_bucket_ms[i - 1] : 0;
        double hi =
            i < SSEKIT_METRICS_BUCKETS ? (double)ssekit_metrics_bucket_ms[i] : (double)h->max_ms;
        if (hi > (double)h->max_ms)
            hi = (double)h->max_ms;
        if (hi < lo)
            return (uint64_t)hi;
        double v = lo + (hi - lo) * (rank - seen) / (double)h->bucket[i];
        return (uint64_t)(v + 0.5);
    }
    return h->max_ms;
}

/* --- the client's accounting ---------------------------------------------------- */

void sk_policy_request(ssekit_stream *s)
{
    s->client->pol.metrics.requests++;
    sk_audit_request(s);
}

void sk_policy_bytes(ssekit_stream *s, size_t n)
{
    s->client->pol.metrics.bytes += n;
}

static void first_token(ssekit_stream *s, sk_policy *p)
{
    if (s->got_token)
        return;
    s->got_token = 1;
    uint64_t now = sk_now_ms();
    ssekit_histogram_observe(&p->metrics.ttft, now > s->t_open ? now - s->t_open : 0);
}

void sk_policy_event(ssekit_stream *s, const ssekit_event *ev)
{
    sk_policy *p = &s->client->pol;
    ssekit_metrics *m = &p->metrics;
    switch (ev->kind) {
    case SSEKIT_EVENT_START:
        s->seq = ++p->seq;
        m->streams++;
        break;
    case SSEKIT_EVENT_OPEN:
        sk_policy_outcome(s, SSEKIT_ERROR_NONE, 1);
        break;
    case SSEKIT_EVENT_SSE:
        m->events++;
        if (!s->decode)
            first_token(s, p);
        break;
    case SSEKIT_EVENT_DELTA:
        if (ev->delta_kind == SSEKIT_DELTA_TEXT || ev->delta_kind == SSEKIT_DELTA_TOOL_CALL ||
            ev->delta_kind == SSEKIT_DELTA_REFUSAL || ev->delta_kind == SSEKIT_DELTA_THINKING)
            first_token(s, p);
        break;
    case SSEKIT_EVENT_RETRY:
        m->retries++;
        break;
    case SSEKIT_EVENT_RECONNECT:
        m->reconnects++;
        break;
    case SSEKIT_EVENT_DONE:
    case SSEKIT_EVENT_ERROR: {
        uint64_t now = sk_now_ms();
        ssekit_histogram_observe(&m->total, now > s->t_open ? now - s->t_open : 0);
        if (ev->kind == SSEKIT_EVENT_DONE) {
            m->done++;
            m->input_tokens += ev->usage.input_tokens > 0 ? (uint64_t)ev->usage.input_tokens : 0;
            m->output_tokens += ev->usage.output_tokens > 0 ? (uint64_t)ev->usage.output_tokens : 0;
            m->total_tokens += ev->usage.total_tokens > 0 ? (uint64_t)ev->usage.total_tokens : 0;
        } else {
            m->failed++;
            if ((unsigned)ev->category < SSEKIT_METRICS_CATEGORIES)
                m->errors[ev->category]++;
        }
        break;
    }
    default:
        break;
    }
    sk_audit_event(s, ev);
}

void sk_policy_free(ssekit_client *c)
{
    ssekit_breaker_free(c->pol.breaker);
    c->pol.breaker = NULL;
    sk_audit_close(c);
}

int ssekit_client_metrics(const ssekit_client *c, ssekit_metrics *out)
{
    if (!c || !out)
        return SSEKIT_E_INVALID;
    *out = c->pol.metrics;
    return SSEKIT_OK;
}

/* --- Prometheus text ----------------------------------------------------------- */

typedef struct pbuf {
    const ssekit_alloc_funcs *a;
    sk_buf b;
    int err;
} pbuf;

static void pf(pbuf *o, const char *fmt, ...)
{
    if (o->err)
        return;
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp || sk_buf_append(o->a, &o->b, tmp, (size_t)n))
        o->err = 1;
}

static void counter(pbuf *o, const char *px, const char *name, const char *help, uint64_t v)
{
    pf(o, "# HELP %s_%s_total %s\n# TYPE %s_%s_total counter\n%s_%s_total %" PRIu64 "\n", px, name,
       help, px, name, px, name, v);
}

static void histogram(pbuf *o, const char *px, const char *name, const char *help,
                      const ssekit_histogram *h)
{
    pf(o, "# HELP %s_%s_seconds %s\n# TYPE %s_%s_seconds histogram\n", px, name, help, px, name);
    uint64_t cum = 0;
    for (unsigned i = 0; i < SSEKIT_METRICS_BUCKETS; i++) {
        cum += h->bucket[i];
        uint64_t ms = ssekit_metrics_bucket_ms[i];
        pf(o, "%s_%s_seconds_bucket{le=\"%" PRIu64 ".%03u\"} %" PRIu64 "\n", px, name, ms / 1000,
           (unsigned)(ms % 1000), cum);
    }
    pf(o, "%s_%s_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", px, name, h->count);
    pf(o, "%s_%s_seconds_sum %" PRIu64 ".%03u\n", px, name, h->sum_ms / 1000,
       (unsigned)(h->sum_ms % 1000));
    pf(o, "%s_%s_seconds_count %" PRIu64 "\n", px, name, h->count);
}

static int valid_prefix(const char *p)
{
    if (!*p || strlen(p) > 64)
        return 0;
    for (const char *c = p; *c; c++) {
        int alpha = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || *c == '_' || *c == ':';
        if (!alpha && (c == p || *c < '0' || *c > '9'))
            return 0;
    }
    return 1;
}

int ssekit_metrics_prometheus(const ssekit_metrics *m, const char *prefix, char **out, size_t *len,
                              const ssekit_alloc_funcs *alloc)
{
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    const char *px = prefix ? prefix : "ssekit";
    if (!m || !out || !valid_prefix(px))
        return SSEKIT_E_INVALID;
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, alloc);
    pbuf o = {.a = &a};
    counter(&o, px, "streams", "Streams opened.", m->streams);
    counter(&o, px, "requests", "HTTP requests sent, retries and reconnects included.",
            m->requests);
    counter(&o, px, "retries", "Requests retried after a failure.", m->retries);
    counter(&o, px, "reconnects", "SSE reconnects.", m->reconnects);
    counter(&o, px, "events", "SSE events delivered.", m->events);
    counter(&o, px, "bytes", "Response body bytes received.", m->bytes);
    counter(&o, px, "streams_done", "Streams that ended well.", m->done);
    pf(&o,
       "# HELP %s_errors_total Streams that failed, by error category.\n"
       "# TYPE %s_errors_total counter\n",
       px, px);
    for (unsigned i = 1; i < SSEKIT_METRICS_CATEGORIES; i++)
        pf(&o, "%s_errors_total{category=\"%s\"} %" PRIu64 "\n", px,
           ssekit_error_category_name((ssekit_error_category)i), m->errors[i]);
    pf(&o,
       "# HELP %s_tokens_total Tokens reported in the usage of finished streams.\n"
       "# TYPE %s_tokens_total counter\n",
       px, px);
    pf(&o, "%s_tokens_total{kind=\"input\"} %" PRIu64 "\n", px, m->input_tokens);
    pf(&o, "%s_tokens_total{kind=\"output\"} %" PRIu64 "\n", px, m->output_tokens);
    pf(&o, "%s_tokens_total{kind=\"total\"} %" PRIu64 "\n", px, m->total_tokens);
    histogram(&o, px, "time_to_first_token", "From stream open to the first token.", &m->ttft);
    histogram(&o, px, "duration", "From stream open to its end.", &m->total);
    if (o.err || !o.b.p) {
        sk_buf_free(&a, &o.b);
        return SSEKIT_E_NOMEM;
    }
    o.b.p[o.b.len] = 0;
    *out = o.b.p;
    if (len)
        *len = o.b.len;
    return SSEKIT_OK;
}
