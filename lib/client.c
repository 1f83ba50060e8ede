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
#include <sys/eventfd.h>
#define SK_EPOLL 1
#endif

uint64_t sk_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A descriptor curl watches while read coalescing is on. */
struct sk_fdslot {
    uint32_t want;  /* EPOLLIN | EPOLLOUT as curl asked, 0: not watched */
    int armed;      /* in the epoll set, waiting for its one shot */
    uint64_t until; /* parked: left out of the set until then; 0: not */
    uint32_t epoch; /* the adaptive period in which it was last read */
};

/* The adaptive window's defaults (docs/benchmarks.md has the measurements
 * behind them: about 8.5 us of client CPU per read, so 10,000 reads/s cost
 * about 8% of a core and 1000 streams at 50 events/s, 50,000 reads/s without
 * a window, 0.43 of a core; 50 ms brings them to 0.15). */
static const sk_coalesce_auto sk_auto_defaults = {
    .period_ms = 250,
    .open_rate = 10000,
    .close_rate = 5000,
    .full_rate = 25000,
    .min_ms = 20,
    .max_ms = SSEKIT_CLIENT_AUTO_READ_COALESCE_MAX_MS,
    .min_sockets = 16,
    .bulk_bytes = 8192,
};

#ifdef SK_EPOLL
static int epoll_set(ssekit_client *c, curl_socket_t fd, uint32_t events)
{
    struct epoll_event ev = {0};
    ev.data.fd = fd;
    ev.events = events;
    if (epoll_ctl(c->epfd, EPOLL_CTL_MOD, fd, &ev) && errno == ENOENT &&
        epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev))
        return -1;
    return 0;
}

static struct sk_fdslot *fd_slot(ssekit_client *c, curl_socket_t fd)
{
    if (fd < 0)
        return NULL;
    if ((size_t)fd >= c->fds_cap) {
        size_t cap = c->fds_cap ? c->fds_cap : 64;
        while (cap <= (size_t)fd)
            cap *= 2;
        struct sk_fdslot *p = sk_realloc(&c->a, c->fds, cap * sizeof *p);
        if (!p)
            return NULL;
        memset(p + c->fds_cap, 0, (cap - c->fds_cap) * sizeof *p);
        c->fds = p;
        c->fds_cap = cap;
    }
    return &c->fds[fd];
}

static void unpark(ssekit_client *c, struct sk_fdslot *sl)
{
    if (sl->until) {
        sl->until = 0;
        c->parked--;
    }
}

/* curl tells which sockets to watch for what; the epoll set mirrors it. With
 * coalescing, every descriptor is one-shot: after it fired it is parked (see
 * park()) or armed again. */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *user, void *sockp)
{
    ssekit_client *c = user;
    (void)e;
    (void)sockp;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(c->epfd, EPOLL_CTL_DEL, fd, NULL); /* EBADF when already closed */
        if (fd >= 0 && (size_t)fd < c->fds_cap) {
            unpark(c, &c->fds[fd]);
            c->fds[fd].want = 0;
            c->fds[fd].armed = 0;
        }
        return 0;
    }
    uint32_t want = (what & CURL_POLL_IN ? EPOLLIN : 0u) | (what & CURL_POLL_OUT ? EPOLLOUT : 0u);
    /* Adaptive: tracked while the window is 0 too, so it can open on them */
    struct sk_fdslot *sl = c->coalesce_mode != 0 ? fd_slot(c, fd) : NULL;
    if (!sl) /* off, or out of memory: watched without coalescing */
        return epoll_set(c, fd, want);
    int same = sl->want == want;
    sl->want = want;
    if (c->coalesce_ms <= 0) { /* adaptive, closed: level-triggered */
        unpark(c, sl);
        sl->armed = 0;
        return epoll_set(c, fd, want);
    }
    if (sl->until && same)
        return 0; /* parked: rearm_due() puts it back */
    unpark(c, sl);
    sl->armed = 1;
    return epoll_set(c, fd, want | EPOLLONESHOT);
}

/* fd has fired and been serviced: with only reading left to do it stays out
 * of the epoll set until the window has passed, otherwise it is armed again
 * at once. `hup`: the peer closed or the socket failed, so curl must see it
 * without delay. */
static void park(ssekit_client *c, curl_socket_t fd, int hup, uint64_t now)
{
    if (fd < 0 || (size_t)fd >= c->fds_cap)
        return;
    struct sk_fdslot *sl = &c->fds[fd];
    if (!sl->want || sl->armed || sl->until)
        return; /* removed, or already armed again by on_socket() */
    if (sl->want != EPOLLIN || hup) {
        sl->armed = 1;
        epoll_set(c, fd, sl->want | EPOLLONESHOT);
        return;
    }
    /* Rounded up to a quarter of the window: sockets are re-armed in
     * batches, so the loop wakes once per quarter, not once per socket. */
    uint64_t q = c->coalesce_ms >= 4 ? (uint64_t)c->coalesce_ms / 4 : 1;
    sl->until = (now + (uint64_t)c->coalesce_ms + q - 1) / q * q;
    c->parked++;
    if (sl->until < c->parked_due)
        c->parked_due = sl->until;
}

/* Arms the parked descriptors whose window has passed. */
static void rearm_due(ssekit_client *c, uint64_t now)
{
    if (!c->parked || now < c->parked_due)
        return;
    uint64_t next = UINT64_MAX;
    for (size_t fd = 0; fd < c->fds_cap && c->parked; fd++) {
        struct sk_fdslot *sl = &c->fds[fd];
        if (!sl->until)
            continue;
        if (sl->until <= now) {
            unpark(c, sl);
            sl->armed = 1;
            epoll_set(c, (curl_socket_t)fd, sl->want | EPOLLONESHOT);
        } else if (sl->until < next) {
            next = sl->until;
        }
    }
    c->parked_due = next;
}

/* Every descriptor curl watches is put back into the epoll set at once, as
 * one-shot (a window) or level-triggered (none); `track`: keep following
 * curl's sockets (not when off). */
static void rewatch(ssekit_client *c, int oneshot, int track)
{
    for (size_t fd = 0; fd < c->fds_cap; fd++) {
        struct sk_fdslot *sl = &c->fds[fd];
        if (!sl->want)
            continue;
        sl->until = 0;
        sl->armed = oneshot;
        epoll_set(c, (curl_socket_t)fd, sl->want | (oneshot ? EPOLLONESHOT : 0u));
        if (!track)
            sl->want = 0;
    }
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
    /* ssekit_client_wakeup() writes to this eventfd; curl never sees it. */
    c->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {0};
    ev.data.fd = c->wakefd;
    ev.events = EPOLLIN;
    if (c->wakefd < 0 || epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->wakefd, &ev)) {
        if (c->wakefd >= 0)
            close(c->wakefd);
        close(c->epfd);
        c->epfd = c->wakefd = -1;
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
    c->epfd = c->wakefd = -1;
    c->curl_due = c->timers_due = c->parked_due = UINT64_MAX;
    c->coalesce_mode = SSEKIT_CLIENT_READ_COALESCE_AUTO;
    c->au = sk_auto_defaults;
    c->au.t0 = sk_now_ms();
    c->au.epoch = 1;
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
    if (c->wakefd >= 0)
        close(c->wakefd);
    sk_free(&c->a, c->fds);
    sk_free(&c->a, c);
}

/* Puts window `ms` in effect. The deadlines' slack follows a wider window at
 * once; after a narrower one it stays for twice the old window, until the
 * sockets parked under it have been read. `all`: re-arm every socket now
 * (the application changed the setting); else only on opening or closing. */
static void set_window(ssekit_client *c, long ms, int all, uint64_t now)
{
    long old = c->coalesce_ms;
    c->coalesce_ms = ms;
    if (ms >= c->coalesce_slack_ms) {
        c->coalesce_slack_ms = ms;
        c->slack_until = 0;
    } else {
        c->slack_until = now + 2 * (uint64_t)c->coalesce_slack_ms;
    }
    sk_client_timers_changed(c);
    if (!all && (old > 0) == (ms > 0))
        return; /* parked sockets keep their time, at most 1.25 * old */
#ifdef SK_EPOLL
    rewatch(c, ms > 0, c->coalesce_mode != 0);
#endif
    c->parked = 0;
    c->parked_due = UINT64_MAX;
}

/* Starts a new adaptive period at `now`. */
static void auto_period(ssekit_client *c, uint64_t now)
{
    c->au.t0 = now;
    c->au.serviced0 = c->serviced;
    c->au.bytes0 = c->pol.metrics.bytes;
    c->au.events0 = c->pol.metrics.events;
    c->au.epoch++;
    c->au.sockets = 0;
}

/* The window for `rate` reads/s: linear up to max_ms at full_rate, in steps
 * of 10 ms, at least min_ms. */
static long auto_window(const sk_coalesce_auto *au, uint64_t rate)
{
    uint64_t ms = au->full_rate ? (uint64_t)au->max_ms * rate / au->full_rate : 0;
    if (au->max_ms >= 10)
        ms = ms / 10 * 10;
    if (ms > (uint64_t)au->max_ms)
        ms = (uint64_t)au->max_ms;
    return (long)ms < au->min_ms ? au->min_ms : (long)ms;
}

/* End of an adaptive period: estimate the reads per second without a
 * window and choose the window. With a window open the reads fall (that is
 * its point), so the rate is estimated from the SSE events instead, at the
 * events per read last seen without one (at least 1: a token stream's
 * server writes each event on its own): otherwise a window that works
 * would close itself and open again (flapping). Not from the bytes: the
 * first events of a response are often much larger than the rest. */
static void auto_update(ssekit_client *c, uint64_t now)
{
    sk_coalesce_auto *au = &c->au;
    uint64_t dt = now > au->t0 ? now - au->t0 : 1;
    uint64_t reads = c->serviced - au->serviced0;
    uint64_t bytes = c->pol.metrics.bytes - au->bytes0;
    uint64_t events = c->pol.metrics.events - au->events0;
    uint64_t per_read = reads ? bytes / reads : 0;
    uint64_t rate = reads * 1000 / dt;
    long cur = c->coalesce_ms;
    if (!cur && reads >= 64) { /* events per read, in 1/16, at least 1 */
        au->base_epr16 = events * 16 / reads;
        if (au->base_epr16 < 16)
            au->base_epr16 = 16;
    }
    if (cur) {
        uint64_t est = events * 1000 * 16 / dt / (au->base_epr16 ? au->base_epr16 : 16);
        rate = est > rate ? est : rate;
    }
    au->rate = rate;
    long w = 0;
    if (au->sockets >= au->min_sockets && per_read < au->bulk_bytes &&
        rate >= (cur ? au->close_rate : au->open_rate)) {
        /* wider at once; narrower only when 25% less would do too */
        long up = auto_window(au, rate), down = auto_window(au, rate + rate / 4);
        w = up > cur ? up : down < cur ? down : cur;
    }
    if (w != cur) {
        au->changes++;
        set_window(c, w, 0, now);
    }
    auto_period(c, now);
}

int ssekit_client_set_read_coalesce(ssekit_client *c, long ms)
{
    if (!c || ms < SSEKIT_CLIENT_READ_COALESCE_AUTO || ms > SSEKIT_CLIENT_MAX_READ_COALESCE_MS)
        return SSEKIT_E_INVALID;
    uint64_t now = sk_now_ms();
    c->coalesce_mode = ms;
    auto_period(c, now);
    set_window(c, ms > 0 ? ms : 0, 1, now);
    return SSEKIT_OK;
}

long ssekit_client_read_coalesce(const ssekit_client *c)
{
    return c ? c->coalesce_ms : 0;
}

void sk_client_timers_changed(ssekit_client *c)
{
    c->timers_dirty = 1;
}

static long min_wait(long a, long b)
{
    if (a < 0)
        return b;
    if (b < 0)
        return a;
    return a < b ? a : b;
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
    if (c->slack_until && now >= c->slack_until) { /* the narrowed window's */
        c->coalesce_slack_ms = c->coalesce_ms;
        c->slack_until = 0;
        c->timers_dirty = 1;
    }
    if (!c->timers_dirty && now < c->timers_due)
        return ms_until(c->timers_due, now);
    c->timers_dirty = 0; /* set again by what the walk itself changes */
    long next = -1;
    for (ssekit_stream *s = c->streams; s; s = s->next) {
        long t = sk_stream_timers(s, now);
        if (t >= 0 && (next < 0 || t < next))
            next = t;
    }
    if (c->slack_until) /* deadlines move earlier then */
        next = min_wait(next, ms_until(c->slack_until, now));
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

int sk_client_step(ssekit_client *c, long wait_ms)
{
    int running;
    sk_qevent *tail = c->o_tail, *ptail = c->p_tail;
    long timers = fire_timers(c);
    /* A timer that produced an event (e.g. a stream failed fast before its
     * request) must not be followed by a wait: the event is due now. */
    if (c->cb_queued || c->o_tail != tail || c->p_tail != ptail || atomic_load(&c->woken))
        wait_ms = 0;
#ifdef SK_EPOLL
    if (c->epfd >= 0) {
        uint64_t now = sk_now_ms();
        if (c->coalesce_mode < 0 && now - c->au.t0 >= c->au.period_ms)
            auto_update(c, now);
        rearm_due(c, now);
        long w = 0;
        if (wait_ms != 0) {
            w = min_wait(min_wait(wait_ms, ms_until(c->curl_due, now)), timers);
            w = min_wait(w, ms_until(c->parked_due, now));
            if (w < 0 || w > 1000) /* as below */
                w = 1000;
        }
        struct epoll_event evs[256];
        int n = epoll_wait(c->epfd, evs, 256, (int)w);
        if (n < 0 && errno != EINTR)
            return SSEKIT_E_IO;
        for (int i = 0; i < n; i++) {
            uint32_t e = evs[i].events;
            curl_socket_t fd = evs[i].data.fd;
            if (fd == c->wakefd) {
                uint64_t drain;
                if (read(c->wakefd, &drain, sizeof drain) < 0 && errno != EAGAIN)
                    return SSEKIT_E_IO;
                continue;
            }
            int mask = (e & (EPOLLIN | EPOLLHUP) ? CURL_CSELECT_IN : 0) |
                       (e & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
                       (e & EPOLLERR ? CURL_CSELECT_ERR : 0);
            c->serviced++;
            if (fd >= 0 && (size_t)fd < c->fds_cap) {
                struct sk_fdslot *sl = &c->fds[fd];
                sl->armed = 0;                  /* its one shot is spent */
                if (sl->epoch != c->au.epoch) { /* the adaptive window's count */
                    sl->epoch = c->au.epoch;
                    c->au.sockets++;
                }
            }
            if (curl_multi_socket_action(c->multi, fd, mask, &running) != CURLM_OK)
                return SSEKIT_E_IO;
            if (c->coalesce_ms > 0)
                park(c, fd, (e & (EPOLLHUP | EPOLLERR)) != 0, sk_now_ms());
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
        sk_qevent *q = c->p_head; /* O(1): pulled streams have their own list */
        if (q) {
            ssekit_stream *s = q->ev.stream;
            sk_stream_pop(s); /* q is the head of its stream: order is shared */
            sk_free(&c->a, s->current);
            s->current = q;
            *event = &q->ev;
            return 1;
        }
        if (!c->pull_active) /* no stream without a callback may produce more */
            return SSEKIT_E_STATE;
        uint64_t now = sk_now_ms();
        if (stepped && (now >= deadline || atomic_exchange(&c->woken, 0)))
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
        if (!c->active || sk_now_ms() >= deadline || atomic_exchange(&c->woken, 0))
            return SSEKIT_OK;
    }
}

int ssekit_client_wakeup(ssekit_client *c)
{
    if (!c)
        return SSEKIT_E_INVALID;
    atomic_store(&c->woken, 1);
    if (c->wakefd >= 0) {
        uint64_t one = 1;
        /* EAGAIN: the counter is saturated, so a wake-up is pending anyway */
        if (write(c->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
            return SSEKIT_E_IO;
        return SSEKIT_OK;
    }
    return curl_multi_wakeup(c->multi) == CURLM_OK ? SSEKIT_OK : SSEKIT_E_IO;
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
    if (curl_multi_fdset(c->multi, read_fds, write_fds, exc_fds, max_fd) != CURLM_OK)
        return SSEKIT_E_IO;
    /* Parked descriptors are not read before their window has passed:
     * reporting them would make the loop spin. */
    for (size_t fd = 0; c->parked && fd < c->fds_cap && fd < FD_SETSIZE; fd++)
        if (c->fds[fd].until)
            FD_CLR((int)fd, read_fds);
    return SSEKIT_OK;
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
    *timeout_ms =
        min_wait(min_wait(curl_ms, ms_until(c->timers_due, now)), ms_until(c->parked_due, now));
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
