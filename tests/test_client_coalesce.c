/* The client's read-coalescing window (ssekit_client_set_read_coalesce)
 * against the in-process replay server: every event still arrives, in
 * order and intact; the sockets are serviced far less often (the client's
 * internal `serviced` counter, from client_internal.h); idle deadlines do
 * not fire because of the window but still fire on a real stall; a foreign
 * select() loop does not spin on a parked socket; switching the window off
 * mid-stream re-arms the parked socket. The adaptive window (the default):
 * a single stream never gets one; a high read rate over many sockets opens
 * one without flapping and it closes when the rate falls, without tripping
 * an idle deadline shorter than the window; 0 forces it off. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "check.h"
#include "clock_ms.h"
#include "replay_fixture.h"
#include "client_internal.h"
#include "replay.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;
static char base[128];

/* The data of every event of a transcript, in order, NUL-separated in one
 * buffer: what the raw endpoint must deliver. */
typedef struct datas {
    char *buf;
    size_t len, n;
} datas;

static void datas_add(datas *d, const char *p, size_t n)
{
    d->buf = realloc(d->buf, d->len + n + 1);
    REQUIRE(d->buf);
    if (n)
        memcpy(d->buf + d->len, p, n);
    d->len += n;
    d->buf[d->len++] = 0;
    d->n++;
}

static int ref_on_event(void *user, const ssekit_sse_event *ev)
{
    datas_add(user, ev->data, ev->data_len);
    return 0;
}

static void reference(const char *name, datas *out)
{
    replay_fixture_parse(name, ref_on_event, out);
}

typedef struct run {
    ssekit_client *c;
    datas got;
    unsigned long last_id; /* the raw endpoint numbers events 1, 2, ... */
    int ids_in_order;
    int done, errors, timeouts;
    size_t switch_off_at; /* > 0: set the window to 0 at this SSE event */
    /* the window in effect at each SSE event: largest, last, times it was
     * seen opening, and the number of events seen under a window */
    long w_max, w_last;
    unsigned w_opens;
    size_t w_events;
} run;

static int cb(void *user, const ssekit_event *ev)
{
    run *r = user;
    if (ev->kind == SSEKIT_EVENT_SSE) {
        datas_add(&r->got, ev->data, ev->data_len);
        char id[32] = "";
        if (ev->id && ev->id_len < sizeof id)
            memcpy(id, ev->id, ev->id_len);
        unsigned long v = strtoul(id, NULL, 10);
        if (v != r->last_id + 1)
            r->ids_in_order = 0;
        r->last_id = v;
        long w = ssekit_client_read_coalesce(r->c);
        r->w_opens += w > 0 && r->w_last == 0;
        r->w_max = w > r->w_max ? w : r->w_max;
        r->w_last = w;
        r->w_events += w > 0;
        if (r->switch_off_at && r->got.n == r->switch_off_at)
            CHECK(ssekit_client_set_read_coalesce(r->c, 0) == SSEKIT_OK);
    } else if (ev->kind == SSEKIT_EVENT_DONE) {
        r->done++;
    } else if (ev->kind == SSEKIT_EVENT_ERROR) {
        r->errors++;
        r->timeouts += ev->category == SSEKIT_ERROR_TIMEOUT;
    }
    return 0;
}

/* Resets `r` and opens transcript NAME raw, `delay` ms between events (0:
 * the server's pace), with `nh` headers `h` and idle deadline `idle`, on a
 * new client r->c with window `ms` (SSEKIT_CLIENT_READ_COALESCE_AUTO: the
 * client as it comes, not set). */
static void run_start(run *r, const char *name, unsigned delay, const char *const *h, size_t nh,
                      long ms, long idle)
{
    char url[256];
    if (delay)
        snprintf(url, sizeof url, "%s/v1/raw/%s?fault=delay-ms%%3D%u", base, name, delay);
    else
        snprintf(url, sizeof url, "%s/v1/raw/%s", base, name);
    memset(r, 0, sizeof *r);
    r->ids_in_order = 1;
    r->c = ssekit_client_new(NULL);
    REQUIRE(r->c);
    if (ms != SSEKIT_CLIENT_READ_COALESCE_AUTO)
        REQUIRE(ssekit_client_set_read_coalesce(r->c, ms) == SSEKIT_OK);
    ssekit_request rq = {.url = url,
                         .headers = h,
                         .header_count = nh,
                         .callback = cb,
                         .user = r,
                         .idle_timeout_ms = idle};
    ssekit_stream *s;
    REQUIRE(ssekit_stream_open(r->c, &rq, &s) == SSEKIT_OK);
}

/* Plays transcript NAME with `delay` ms between events through a client
 * with window `ms`; returns the sockets serviced and the elapsed ms. */
static void play(const char *name, unsigned delay, long ms, long idle, run *r, uint64_t *serviced,
                 uint64_t *elapsed)
{
    run_start(r, name, delay, NULL, 0, ms, idle);
    uint64_t t0 = now_ms();
    CHECK(ssekit_client_run(r->c, 20000) == SSEKIT_OK);
    *elapsed = now_ms() - t0;
    *serviced = r->c->serviced;
    ssekit_client_free(r->c);
    r->c = NULL;
}

static void same_events(const run *r, const datas *ref, const char *what)
{
    CHECKF(r->done == 1 && r->errors == 0, "%s: done %d, errors %d", what, r->done, r->errors);
    CHECKF(r->got.n == ref->n, "%s: %zu events, expected %zu", what, r->got.n, ref->n);
    CHECKF(r->got.len == ref->len && !memcmp(r->got.buf, ref->buf, ref->len),
           "%s: event data differ from the transcript", what);
    CHECKF(r->ids_in_order && r->last_id == ref->n, "%s: IDs out of order (last %lu)", what,
           r->last_id);
}

static void test_args(void)
{
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    CHECK(ssekit_client_set_read_coalesce(NULL, 10) == SSEKIT_E_INVALID);
    CHECK(ssekit_client_read_coalesce(NULL) == 0);
    CHECK(ssekit_client_set_read_coalesce(c, -2) == SSEKIT_E_INVALID);
    /* the default is adaptive, closed until there is load */
    CHECK(c->coalesce_mode == SSEKIT_CLIENT_READ_COALESCE_AUTO);
    CHECK(ssekit_client_read_coalesce(c) == 0);
    CHECK(ssekit_client_set_read_coalesce(c, 30) == SSEKIT_OK);
    CHECK(ssekit_client_read_coalesce(c) == 30);
    CHECK(ssekit_client_set_read_coalesce(c, SSEKIT_CLIENT_READ_COALESCE_AUTO) == SSEKIT_OK);
    CHECK(ssekit_client_read_coalesce(c) == 0);
    CHECK(ssekit_client_set_read_coalesce(c, SSEKIT_CLIENT_MAX_READ_COALESCE_MS + 1) ==
          SSEKIT_E_INVALID);
    CHECK(ssekit_client_set_read_coalesce(c, SSEKIT_CLIENT_MAX_READ_COALESCE_MS) == SSEKIT_OK);
    CHECK(ssekit_client_set_read_coalesce(c, 0) == SSEKIT_OK);
    ssekit_client_free(c);
}

/* 201 events 5 ms apart: without a window about one service per event, with
 * 50 ms one per window (reads on a socket are at least 50 ms apart, plus the
 * connect, the request and the close). */
static void test_in_order_and_fewer_reads(void)
{
    datas ref = {0};
    reference("responses_structured", &ref);
    REQUIRE(ref.n > 100);
    run r0, r1;
    uint64_t sv0, sv1, el0, el1;
    play("responses_structured", 5, 0, 0, &r0, &sv0, &el0);
    play("responses_structured", 5, 50, 0, &r1, &sv1, &el1);
    same_events(&r0, &ref, "window 0");
    same_events(&r1, &ref, "window 50");
    fprintf(stderr, "window 0: %llu services in %llu ms; window 50: %llu in %llu ms\n",
            (unsigned long long)sv0, (unsigned long long)el0, (unsigned long long)sv1,
            (unsigned long long)el1);
    CHECKF(sv1 <= el1 / 50 + 6, "%llu services in %llu ms with a 50 ms window",
           (unsigned long long)sv1, (unsigned long long)el1);
    CHECKF(sv1 * 3 <= ref.n, "%llu services for %zu events", (unsigned long long)sv1, ref.n);
    free(r0.got.buf);
    free(r1.got.buf);
    free(ref.buf);
}

/* An idle deadline shorter than the window: the window must not make it
 * fire while events keep coming, and a real stall must still end the
 * stream. */
static void test_idle_deadline(void)
{
    datas ref = {0};
    reference("raw_deploy", &ref);
    run r;
    uint64_t sv, el;
    play("raw_deploy", 20, 80, 60, &r, &sv, &el);
    same_events(&r, &ref, "idle 60, window 80");
    free(r.got.buf);

    const char *h[] = {"X-Replay-Fault: stall-after=2;stall=5"};
    run_start(&r, "raw_deploy", 0, h, 1, 80, 60);
    uint64_t t0 = now_ms();
    CHECK(ssekit_client_run(r.c, 4000) == SSEKIT_OK);
    uint64_t t = now_ms() - t0;
    CHECKF(r.timeouts == 1 && r.got.n == 2, "%d timeouts after %zu events", r.timeouts, r.got.n);
    CHECKF(t < 3000, "the stall was noticed after %llu ms", (unsigned long long)t);
    ssekit_client_free(r.c);
    free(r.got.buf);
    free(ref.buf);
}

/* A foreign loop sleeps through the window instead of spinning on a socket
 * that select() finds readable but perform() will not read yet. */
static void test_foreign_loop(void)
{
    datas ref = {0};
    reference("raw_deploy", &ref);
    run r;
    run_start(&r, "raw_deploy", 10, NULL, 0, 50, 0);
    int active = 1;
    unsigned rounds = 0;
    uint64_t end = now_ms() + 10000;
    while (active && now_ms() < end) {
        fd_set rd, wr, ex;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        int maxfd = -1;
        long t = -1;
        CHECK(ssekit_client_fdset(r.c, &rd, &wr, &ex, &maxfd) == SSEKIT_OK);
        CHECK(ssekit_client_timeout(r.c, &t) == SSEKIT_OK);
        struct timeval tv = {0, (t < 0 || t > 100 ? 100 : t) * 1000};
        select(maxfd + 1, &rd, &wr, &ex, &tv);
        CHECK(ssekit_client_perform(r.c, &active) == SSEKIT_OK);
        rounds++;
    }
    same_events(&r, &ref, "foreign loop, window 50");
    /* ~150 ms of events: a few rounds per window, not thousands. */
    CHECKF(rounds < 300, "%u rounds", rounds);
    ssekit_client_free(r.c);
    free(r.got.buf);
    free(ref.buf);
}

/* The window is switched off from a callback while the socket is parked:
 * it is armed again at once and the rest of the stream arrives. */
static void test_switch_off(void)
{
    datas ref = {0};
    reference("responses_structured", &ref);
    run r;
    run_start(&r, "responses_structured", 2, NULL, 0, 200, 0);
    r.switch_off_at = 20; /* before any event: the client runs below */
    CHECK(ssekit_client_run(r.c, 20000) == SSEKIT_OK);
    same_events(&r, &ref, "switched off");
    CHECKF(r.c->parked == 0 && r.c->coalesce_ms == 0, "%zu parked", r.c->parked);
    ssekit_client_free(r.c);
    free(r.got.buf);
    free(ref.buf);
}

/* The default (adaptive) client and one stream of 201 events 5 ms apart
 * (about 200 reads/s): no window ever opens, and every event is its own
 * read, as with the window forced off. */
static void test_auto_single_stream(void)
{
    datas ref = {0};
    reference("responses_structured", &ref);
    run r;
    run_start(&r, "responses_structured", 5, NULL, 0, SSEKIT_CLIENT_READ_COALESCE_AUTO, 0);
    CHECK(ssekit_client_run(r.c, 20000) == SSEKIT_OK);
    same_events(&r, &ref, "auto, one stream");
    CHECKF(r.w_max == 0 && r.c->au.changes == 0, "window %ld, %u changes", r.w_max,
           r.c->au.changes);
    /* a window of even 20 ms would take 4 events per read */
    CHECKF(r.c->serviced * 3 >= ref.n * 2, "%llu services for %zu events",
           (unsigned long long)r.c->serviced, ref.n);
    ssekit_client_free(r.c);
    free(r.got.buf);
    free(ref.buf);
}

enum { LOAD = 8 };

/* Thresholds scaled down so that LOAD streams at 200 events/s (about 1600
 * reads/s) are "a high read rate": open at 400 reads/s, close below 200,
 * the widest window (max_ms) from 600/s. */
static void low_thresholds(ssekit_client *c, long max_ms)
{
    c->au.open_rate = 400;
    c->au.close_rate = 200;
    c->au.full_rate = 600;
    c->au.min_ms = 20;
    c->au.max_ms = max_ms;
    c->au.min_sockets = 4;
}

/* LOAD streams of 201 events 5 ms apart, and with `watch` one more stream
 * of 201 events `watch` ms apart with a 60 ms idle deadline that outlives
 * them; `ms`: the setting (auto or 0). */
static void play_load(long ms, long max_ms, unsigned watch, run *load, run *w, uint64_t *serviced)
{
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    REQUIRE(ssekit_client_set_read_coalesce(c, ms) == SSEKIT_OK);
    low_thresholds(c, max_ms);
    char url[256], wurl[256];
    snprintf(url, sizeof url, "%s/v1/raw/responses_structured?fault=delay-ms%%3D5", base);
    snprintf(wurl, sizeof wurl, "%s/v1/raw/responses_structured?fault=delay-ms%%3D%u", base, watch);
    ssekit_stream *s;
    memset(w, 0, sizeof *w);
    w->ids_in_order = 1;
    w->c = c;
    if (watch) {
        ssekit_request rq = {.url = wurl, .callback = cb, .user = w, .idle_timeout_ms = 60};
        REQUIRE(ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    }
    for (int i = 0; i < LOAD; i++) {
        memset(&load[i], 0, sizeof load[i]);
        load[i].ids_in_order = 1;
        load[i].c = c;
        ssekit_request rq = {.url = url, .callback = cb, .user = &load[i]};
        REQUIRE(ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    }
    CHECK(ssekit_client_run(c, 30000) == SSEKIT_OK);
    *serviced = c->serviced;
    if (ms < 0) {
        /* nothing is read any more: the window closes after a period */
        uint64_t end = now_ms() + 2000;
        while (ssekit_client_read_coalesce(c) && now_ms() < end) {
            int active;
            CHECK(ssekit_client_perform(c, &active) == SSEKIT_OK);
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
        }
        CHECKF(ssekit_client_read_coalesce(c) == 0, "still %ld ms without reads",
               ssekit_client_read_coalesce(c));
    }
    fprintf(stderr, "load, setting %ld: %llu services, window changes %u, last rate %llu/s\n", ms,
            (unsigned long long)*serviced, c->au.changes, (unsigned long long)c->au.rate);
    ssekit_client_free(c);
}

/* A high read rate opens the adaptive window: every event still arrives in
 * order; the window opened once, early, and stayed open while the load
 * lasted (no flapping: the rate is estimated as it would be without a
 * window); fewer reads than events. The same load with the window forced
 * to 0 never opens one. */
static void test_auto_load(void)
{
    datas ref = {0};
    reference("responses_structured", &ref);
    run load[LOAD], w;
    uint64_t sv_auto, sv_off;
    play_load(SSEKIT_CLIENT_READ_COALESCE_AUTO, 50, 0, load, &w, &sv_auto);
    size_t events = 0, under = 0;
    unsigned opens = 0;
    long wmax = 0;
    for (int i = 0; i < LOAD; i++) {
        same_events(&load[i], &ref, "auto, load");
        events += load[i].got.n;
        under += load[i].w_events;
        opens = load[i].w_opens > opens ? load[i].w_opens : opens;
        wmax = load[i].w_max > wmax ? load[i].w_max : wmax;
        free(load[i].got.buf);
    }
    /* about 1 s of events; the window opens after the first 250 ms period */
    CHECKF(opens == 1 && under * 2 >= events, "opened %u times, %zu of %zu events under it", opens,
           under, events);
    CHECKF(wmax >= 20 && wmax <= 50, "window %ld ms", wmax);
    CHECKF(sv_auto * 3 <= events * 2, "%llu services for %zu events", (unsigned long long)sv_auto,
           events);

    play_load(0, 50, 0, load, &w, &sv_off);
    events = under = 0;
    wmax = 0;
    for (int i = 0; i < LOAD; i++) {
        same_events(&load[i], &ref, "forced 0, load");
        events += load[i].got.n;
        under += load[i].w_events;
        wmax = load[i].w_max > wmax ? load[i].w_max : wmax;
        free(load[i].got.buf);
    }
    /* How many reads the events take without a window depends on how fast
     * this machine drains them (a slow, sanitized build finds several per
     * read by itself), so only the window is checked here. */
    CHECKF(under == 0 && wmax == 0, "%zu of %zu events under a window forced off (max %ld ms)",
           under, events, wmax);
    free(ref.buf);
}

/* An idle deadline (60 ms) shorter than the adaptive window (80 ms): a
 * stream paced at 10 ms (2 s) outlives the load that opened the window, so the
 * window opens and closes in the middle of it; the deadline must fire
 * neither while the window is open nor when it narrows or closes. */
static void test_auto_deadlines(void)
{
    datas ref = {0};
    reference("responses_structured", &ref);
    run load[LOAD], w;
    uint64_t sv;
    play_load(SSEKIT_CLIENT_READ_COALESCE_AUTO, 80, 10, load, &w, &sv);
    for (int i = 0; i < LOAD; i++)
        free(load[i].got.buf);
    same_events(&w, &ref, "auto, watched stream");
    CHECKF(w.timeouts == 0, "%d timeouts", w.timeouts);
    CHECKF(w.w_max == 80 && w.w_last == 0 && w.w_events > 0,
           "window up to %ld ms, %ld at the end, %zu events under it", w.w_max, w.w_last,
           w.w_events);
    free(w.got.buf);
    free(ref.buf);
}

int main(void)
{
    srv = replay_fixture_start();
    snprintf(base, sizeof base, "%s", ssekit_replay_url(srv));

    test_args();
    test_in_order_and_fewer_reads();
    test_idle_deadline();
    test_foreign_loop();
    test_switch_off();
    test_auto_single_stream();
    test_auto_load();
    test_auto_deadlines();

    ssekit_replay_stop(srv);
    curl_global_cleanup();
    return check_done("test_client_coalesce");
}
