/* Admission control: the token bucket and the concurrency cap (pure), and
 * the client's admission FIFO built on them. */
#include <math.h>
#include <string.h>

#include "client_internal.h"

void ssekit_ratelimit_init(ssekit_ratelimit *rl, unsigned max_concurrent, double rate_per_s,
                           unsigned burst, uint64_t now_ms)
{
    memset(rl, 0, sizeof *rl);
    rl->max_concurrent = max_concurrent;
    rl->rate = rate_per_s > 0 && isfinite(rate_per_s) ? rate_per_s : 0;
    rl->burst = burst ? (double)burst : 1.0;
    rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

static void refill(ssekit_ratelimit *rl, uint64_t now_ms)
{
    if (now_ms <= rl->last_ms)
        return;
    rl->tokens += (double)(now_ms - rl->last_ms) * rl->rate / 1000.0;
    if (rl->tokens > rl->burst)
        rl->tokens = rl->burst;
    rl->last_ms = now_ms;
}

long ssekit_ratelimit_take(ssekit_ratelimit *rl, uint64_t now_ms)
{
    if (rl->rate <= 0)
        return 0;
    refill(rl, now_ms);
    if (rl->tokens >= 1.0) {
        rl->tokens -= 1.0;
        return 0;
    }
    /* Round up, and never 0: a 0 would mean "admitted". */
    double ms = ceil((1.0 - rl->tokens) * 1000.0 / rl->rate);
    return ms < 1 ? 1 : ms > 86400000.0 ? 86400000L : (long)ms;
}

long ssekit_ratelimit_admit(ssekit_ratelimit *rl, uint64_t now_ms)
{
    if (rl->max_concurrent && rl->in_flight >= rl->max_concurrent)
        return -1;
    long wait = ssekit_ratelimit_take(rl, now_ms);
    if (wait == 0)
        rl->in_flight++;
    return wait;
}

void ssekit_ratelimit_release(ssekit_ratelimit *rl)
{
    if (rl->in_flight)
        rl->in_flight--;
}

/* --- the client's admission FIFO ------------------------------------------------ */

/* A stream that waits for a slot is looked at again this often anyway, so
 * that a lowered cap or a lost wake-up can never strand it. */
#define SK_ADM_RECHECK_MS 1000u

/* Admits streams from the head of the FIFO while the limiter lets them go.
 * An admitted stream is only marked due (wake_ms = now): its own timer sends
 * the request, so this may run from anywhere, even inside a curl callback. */
static void pump(ssekit_client *c, uint64_t now)
{
    sk_policy *p = &c->pol;
    while (p->adm_head) {
        ssekit_stream *s = p->adm_head;
        long wait = p->limited ? ssekit_ratelimit_admit(&p->limit, now) : 0;
        if (wait != 0) {
            s->wake_ms = now + (wait > 0 ? (uint64_t)wait : SK_ADM_RECHECK_MS);
            return;
        }
        p->adm_head = s->adm_next;
        if (!p->adm_head)
            p->adm_tail = NULL;
        p->adm_len--;
        s->adm_next = NULL;
        s->adm_state = p->limited ? SK_ADM_ADMITTED : SK_ADM_NONE;
        s->wake_ms = now;
        s->got_token = 0;
    }
}

/* Queues every stream due for its first request, oldest first (the client
 * keeps its streams in the order they were opened): queueing only the one
 * being visited would let a stream visited earlier in the same walk, or in
 * a walk that stopped, overtake an older one. */
static void enqueue_due(ssekit_client *c, uint64_t now)
{
    sk_policy *p = &c->pol;
    for (ssekit_stream *s = c->streams; s; s = s->next) {
        if (s->state != SK_WAITING || s->adm_state != SK_ADM_NONE || s->requests ||
            s->wake_ms > now)
            continue;
        s->adm_state = SK_ADM_QUEUED;
        s->adm_next = NULL;
        if (p->adm_tail)
            p->adm_tail->adm_next = s;
        else
            p->adm_head = s;
        p->adm_tail = s;
        p->adm_len++;
    }
}

static int breaker_gate(ssekit_stream *s, uint64_t now)
{
    ssekit_breaker *b = s->client->pol.breaker;
    if (!b)
        return 0;
    char key[SSEKIT_BREAKER_KEY_MAX];
    if (ssekit_breaker_key(s->url, key, sizeof key) != SSEKIT_OK)
        return 0;
    return ssekit_breaker_allow(b, key, now, NULL) == SSEKIT_E_CIRCUIT_OPEN ? -1 : 0;
}

int sk_policy_gate(ssekit_stream *s, uint64_t now)
{
    ssekit_client *c = s->client;
    sk_policy *p = &c->pol;
    if (s->adm_state == SK_ADM_NONE && p->limited && !s->requests) {
        enqueue_due(c, now);
        pump(c, now);
        if (s->adm_state == SK_ADM_QUEUED)
            return 1;
        /* admitted just now: the token is taken */
    } else if (s->adm_state == SK_ADM_QUEUED) {
        pump(c, now);
        if (s->adm_state == SK_ADM_QUEUED) {
            if (s->wake_ms <= now) /* not the head: wait for a release */
                s->wake_ms = now + SK_ADM_RECHECK_MS;
            return 1;
        }
    } else if (p->limited && s->requests) {
        /* A retry or reconnect keeps its slot but needs a token. */
        long wait = ssekit_ratelimit_take(&p->limit, now);
        if (wait > 0) {
            s->wake_ms = now + (uint64_t)wait;
            return 1;
        }
    }
    return breaker_gate(s, now);
}

void sk_policy_release(ssekit_stream *s)
{
    ssekit_client *c = s->client;
    sk_policy *p = &c->pol;
    if (s->adm_state == SK_ADM_ADMITTED) {
        ssekit_ratelimit_release(&p->limit);
    } else if (s->adm_state == SK_ADM_QUEUED) {
        ssekit_stream **pp = &p->adm_head, *prev = NULL;
        while (*pp && *pp != s) {
            prev = *pp;
            pp = &(*pp)->adm_next;
        }
        if (*pp) {
            *pp = s->adm_next;
            if (p->adm_tail == s)
                p->adm_tail = prev;
            p->adm_len--;
        }
        s->adm_next = NULL;
    } else {
        return;
    }
    s->adm_state = SK_ADM_NONE;
    pump(c, sk_now_ms());
}

int ssekit_client_set_rate_limit(ssekit_client *c, unsigned max_concurrent, double rate_per_s,
                                 unsigned burst)
{
    if (!c)
        return SSEKIT_E_INVALID;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    sk_policy *p = &c->pol;
    uint64_t now = sk_now_ms();
    unsigned in_flight = p->limit.in_flight; /* slots already out stay out */
    ssekit_ratelimit_init(&p->limit, max_concurrent, rate_per_s, burst, now);
    p->limit.in_flight = in_flight;
    p->limited = max_concurrent > 0 || p->limit.rate > 0;
    /* Lifting every limit lets the waiting streams go; `limited` is off, so
     * pump() admits them without taking slots. */
    pump(c, now);
    return SSEKIT_OK;
}

size_t ssekit_client_waiting(const ssekit_client *c)
{
    return c ? c->pol.adm_len : 0;
}
