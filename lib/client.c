/* The client: one libcurl multi handle, the streams on it, and the loop that
 * drives them (pull, callbacks, foreign loop). Per-stream logic is in
 * stream.c. */
#include <string.h>
#include <time.h>

#include "client_internal.h"

uint64_t sk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

ssekit_client *ssekit_client_new(const ssekit_alloc_funcs *alloc)
{
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, alloc);
    ssekit_client *c = sk_malloc(&a, sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->a = a;
    c->multi = curl_multi_init();
    if (!c->multi) {
        sk_free(&a, c);
        return NULL;
    }
    /* Jitter only has to differ between clients and runs, not be secret. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    c->rng = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)c;
    return c;
}

void ssekit_client_free(ssekit_client *c)
{
    if (!c)
        return;
    while (c->streams)
        sk_stream_destroy(c->streams, 1);
    curl_multi_cleanup(c->multi);
    sk_free(&c->a, c);
}

/* Fires every stream's due timers; returns the ms to the nearest timer left,
 * or -1 when there is none. */
static long fire_timers(ssekit_client *c)
{
    uint64_t now = sk_now_ms();
    long next = -1;
    for (ssekit_stream *s = c->streams; s; s = s->next) {
        long t = sk_stream_timers(s, now);
        if (t >= 0 && (next < 0 || t < next))
            next = t;
    }
    return next;
}

/* Hands the queued events of callback streams to their callbacks, oldest
 * first. New events queued meanwhile (a resumed transfer) are reached too. */
static void dispatch(ssekit_client *c)
{
    sk_qevent *q = c->o_head;
    while (c->cb_queued && q) {
        ssekit_stream *s = q->ev.stream;
        if (!s->callback || q != s->q_head) {
            q = q->c_next;
            continue;
        }
        sk_stream_pop(s);
        c->in_callback = 1;
        int stop = s->callback(s->user, &q->ev);
        c->in_callback = 0;
        sk_free(&c->a, q);
        if (stop)
            ssekit_stream_cancel(s);
        q = c->o_head; /* the list may have changed under the callback */
    }
}

static int read_done(ssekit_client *c)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        ssekit_stream *s = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
        CURLcode code = m->data.result;
        if (s && s->easy == m->easy_handle)
            sk_stream_transfer_done(s, code);
    }
    return 0;
}

static long min_wait(long a, long b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
}

int sk_client_step(ssekit_client *c, long wait_ms)
{
    int running;
    long timers = fire_timers(c);
    if (c->cb_queued)
        wait_ms = 0;
    if (wait_ms != 0) {
        long curl_ms = -1;
        curl_multi_timeout(c->multi, &curl_ms);
        long w = min_wait(min_wait(wait_ms, curl_ms), timers);
        /* Nothing to wake us and no limit: poll in slices so a stream added
         * by a callback in another step is not starved. */
        if (w < 0 || w > 1000)
            w = 1000;
        if (w > 0 && curl_multi_poll(c->multi, NULL, 0, (int)w, NULL) != CURLM_OK)
            return SSEKIT_E_IO;
    }
    if (curl_multi_perform(c->multi, &running) != CURLM_OK)
        return SSEKIT_E_IO;
    read_done(c);
    fire_timers(c);
    dispatch(c);
    return SSEKIT_OK;
}

/* 1 when a stream without a callback may still produce an event. */
static int pull_alive(const ssekit_client *c)
{
    for (const ssekit_stream *s = c->streams; s; s = s->next)
        if (!s->callback && s->state != SK_ENDED)
            return 1;
    return 0;
}

static sk_qevent *first_pull_event(const ssekit_client *c)
{
    for (sk_qevent *q = c->o_head; q; q = q->c_next)
        if (!q->ev.stream->callback)
            return q;
    return NULL;
}

int ssekit_client_next(ssekit_client *c, const ssekit_event **event, long timeout_ms)
{
    if (event)
        *event = NULL;
    if (!c || !event)
        return SSEKIT_E_INVALID;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : sk_now_ms() + (uint64_t)timeout_ms;
    for (int stepped = 0;; stepped = 1) {
        sk_qevent *q = first_pull_event(c);
        if (q) {
            ssekit_stream *s = q->ev.stream;
            sk_stream_pop(s); /* q is the head of its stream: order is shared */
            sk_free(&c->a, s->current);
            s->current = q;
            *event = &q->ev;
            return 1;
        }
        if (!pull_alive(c))
            return SSEKIT_E_STATE;
        uint64_t now = sk_now_ms();
        if (stepped && now >= deadline)
            return 0;
        long wait = deadline == UINT64_MAX ? -1 : now >= deadline ? 0 : (long)(deadline - now);
        int rc = sk_client_step(c, wait);
        if (rc < 0)
            return rc;
    }
}

int ssekit_client_run(ssekit_client *c, long timeout_ms)
{
    if (!c)
        return SSEKIT_E_INVALID;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    uint64_t deadline = timeout_ms < 0 ? UINT64_MAX : sk_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        uint64_t now = sk_now_ms();
        long wait = deadline == UINT64_MAX ? -1 : now >= deadline ? 0 : (long)(deadline - now);
        int rc = sk_client_step(c, wait);
        if (rc < 0)
            return rc;
        if (!c->active || sk_now_ms() >= deadline)
            return SSEKIT_OK;
    }
}

int ssekit_client_perform(ssekit_client *c, int *active)
{
    if (!c)
        return SSEKIT_E_INVALID;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    int rc = sk_client_step(c, 0);
    if (active)
        *active = (int)c->active;
    return rc;
}

int ssekit_client_fdset(ssekit_client *c, fd_set *read_fds, fd_set *write_fds, fd_set *exc_fds,
                        int *max_fd)
{
    if (!c || !read_fds || !write_fds || !exc_fds || !max_fd)
        return SSEKIT_E_INVALID;
    return curl_multi_fdset(c->multi, read_fds, write_fds, exc_fds, max_fd) == CURLM_OK
               ? SSEKIT_OK
               : SSEKIT_E_IO;
}

int ssekit_client_timeout(ssekit_client *c, long *timeout_ms)
{
    if (!c || !timeout_ms)
        return SSEKIT_E_INVALID;
    if (c->cb_queued) {
        *timeout_ms = 0;
        return SSEKIT_OK;
    }
    long curl_ms = -1;
    curl_multi_timeout(c->multi, &curl_ms);
    uint64_t now = sk_now_ms();
    long next = -1;
    for (ssekit_stream *s = c->streams; s; s = s->next) {
        if (s->state == SK_ENDED)
            continue;
        if (s->state == SK_WAITING) {
            long t = s->wake_ms > now ? (long)(s->wake_ms - now) : 0;
            next = min_wait(next, t);
        }
    }
    /* Deadlines of running streams are checked at least once a second. */
    if (c->active)
        next = min_wait(next, 1000);
    *timeout_ms = min_wait(curl_ms, next);
    return SSEKIT_OK;
}

int ssekit_client_cancel_all(ssekit_client *c)
{
    if (!c)
        return SSEKIT_E_INVALID;
    for (ssekit_stream *s = c->streams; s; s = s->next)
        ssekit_stream_cancel(s);
    return SSEKIT_OK;
}

size_t ssekit_client_active(const ssekit_client *c)
{
    return c ? c->active : 0;
}
