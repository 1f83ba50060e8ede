/* The client: one libcurl multi handle, the streams on it, and the loop that
 * drives them (pull, callbacks, foreign loop). Per-stream logic is in
 * stream.c. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"

#if defined(__linux__)
#include <sys/epoll.h>
#define SK_EPOLL 1
#endif

uint64_t sk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#ifdef SK_EPOLL
/* curl tells which sockets to watch for what; the epoll set mirrors it. */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *user, void *sockp)
{
    ssekit_client *c = user;
    (void)e;
    (void)sockp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(c->epfd, EPOLL_CTL_DEL, fd, NULL); /* EBADF when already closed */
        return 0;
    }
    struct epoll_event ev = {0};
    ev.data.fd = fd;
    ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ev) && errno == ENOENT &&
        epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev))
        return -1;
    return 0;
}

static int on_curl_timer(CURLM *m, long ms, void *user)
{
    ssekit_client *c = user;
    (void)m;
    c->curl_due = ms < 0 ? UINT64_MAX : sk_now_ms() + (uint64_t)ms;
    return 0;
}

static int sk_loop_init(ssekit_client *c)
{
    c->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (c->epfd < 0)
        return -1;
    int rc = (int)curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    rc |= (int)curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    rc |= (int)curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    rc |= (int)curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    if (rc) {
        close(c->epfd);
        c->epfd = -1;
        return -1;
    }
    return 0;
}
#endif

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
    c->epfd = -1;
    c->curl_due = c->timers_due = UINT64_MAX;
#ifdef SK_EPOLL
    if (sk_loop_init(c)) {
        curl_multi_cleanup(c->multi);
        sk_free(&a, c);
        return NULL;
    }
#endif
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
    sk_policy_free(c);
    curl_multi_cleanup(c->multi);
    if (c->epfd >= 0)
        close(c->epfd);
    sk_free(&c->a, c);
}

void sk_client_timers_changed(ssekit_client *c)
{
    c->timers_dirty = 1;
}

static long ms_until(uint64_t due, uint64_t now)
{
    if (due == UINT64_MAX)
        return -1;
    return due <= now ? 0 : due - now > 1000000000u ? 1000000000L : (long)(due - now);
}

/* Fires every stream's due timers; returns the ms to the nearest timer left,
 * or -1 when there is none. A deadline only moves earlier through
 * sk_client_timers_changed(), so until the earliest one is due nothing needs
 * looking at: with a thousand streams, walking them at every network read
 * would cost more than the reads. */
static long fire_timers(ssekit_client *c)
{
    uint64_t now = sk_now_ms();
    if (!c->timers_dirty && now < c->timers_due)
        return ms_until(c->timers_due, now);
    c->timers_dirty = 0; /* set again by what the walk itself changes */
    long next = -1;
    for (ssekit_stream *s = c->streams; s; s = s->next) {
        long t = sk_stream_timers(s, now);
        if (t >= 0 && (next < 0 || t < next))
            next = t;
    }
    c->timers_due = next < 0 ? UINT64_MAX : now + (uint64_t)next;
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
        c->timers_dirty = 1; /* a retry, a reconnect or an ended stream */
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
    sk_qevent *tail = c->o_tail;
    long timers = fire_timers(c);
    /* A timer that produced an event (e.g. a stream failed fast before its
     * request) must not be followed by a wait: the event is due now. */
    if (c->cb_queued || c->o_tail != tail)
        wait_ms = 0;
#ifdef SK_EPOLL
    if (c->epfd >= 0) {
        long w = 0;
        if (wait_ms != 0) {
            w = min_wait(min_wait(wait_ms, ms_until(c->curl_due, sk_now_ms())), timers);
            if (w < 0 || w > 1000) /* as below */
                w = 1000;
        }
        struct epoll_event evs[256];
        int n = epoll_wait(c->epfd, evs, 256, (int)w);
        if (n < 0 && errno != EINTR)
            return SSEKIT_E_IO;
        for (int i = 0; i < n; i++) {
            uint32_t e = evs[i].events;
            int mask = (e & (EPOLLIN | EPOLLHUP) ? CURL_CSELECT_IN : 0) |
                       (e & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                       (e & EPOLLERR ? CURL_CSELECT_ERR : 0);
            if (curl_multi_socket_action(c->multi, evs[i].data.fd, mask, &running) != CURLM_OK)
                return SSEKIT_E_IO;
        }
        if (c->curl_due <= sk_now_ms()) {
            c->curl_due = UINT64_MAX; /* curl sets the next one in the call */
            if (curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running) != CURLM_OK)
                return SSEKIT_E_IO;
        }
        read_done(c);
        fire_timers(c);
        dispatch(c);
        return SSEKIT_OK;
    }
#endif
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
    /* A deadline may have moved since the last walk: let perform() walk. */
    if (c->timers_dirty) {
        *timeout_ms = 0;
        return SSEKIT_OK;
    }
    uint64_t now = sk_now_ms();
    long curl_ms = -1;
    if (c->epfd >= 0)
        curl_ms = ms_until(c->curl_due, now);
    else
        curl_multi_timeout(c->multi, &curl_ms);
    *timeout_ms = min_wait(curl_ms, ms_until(c->timers_due, now));
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
