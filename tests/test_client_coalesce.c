/* The client's read-coalescing window (ssekit_client_set_read_coalesce)
 * against the in-process replay server: every event still arrives, in
 * order and intact; the sockets are serviced far less often (the client's
 * internal `serviced` counter, from client_internal.h); idle deadlines do
 * not fire because of the window but still fire on a real stall; a foreign
 * select() loop does not spin on a parked socket; switching the window off
 * mid-stream re-arms the parked socket. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "check.h"
#include "replay_fixture.h"
#include "client_internal.h"
#include "replay.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;
static char base[128];

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

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
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/demos/transcripts/%s.sse", SSEKIT_SOURCE_DIR, name);
    char *text = check_read_file(path, &len);
    ssekit_sse_callbacks cb = {.on_event = ref_on_event};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&cb, out, NULL);
    REQUIRE(p);
    ssekit_sse_feed(p, text, len);
    ssekit_sse_finish(p);
    ssekit_sse_parser_free(p);
    free(text);
}

typedef struct run {
    ssekit_client *c;
    datas got;
    unsigned long last_id; /* the raw endpoint numbers events 1, 2, ... */
    int ids_in_order;
    int done, errors, timeouts;
    size_t switch_off_at; /* > 0: set the window to 0 at this SSE event */
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

/* Plays transcript NAME with `delay` ms between events through a client
 * with window `ms`; returns the sockets serviced and the elapsed ms. */
static void play(const char *name, unsigned delay, long ms, long idle, run *r, uint64_t *serviced,
                 uint64_t *elapsed)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/%s?fault=delay-ms%%3D%u", base, name, delay);
    memset(r, 0, sizeof *r);
    r->ids_in_order = 1;
    r->c = ssekit_client_new(NULL);
    REQUIRE(r->c);
    REQUIRE(ssekit_client_set_read_coalesce(r->c, ms) == SSEKIT_OK);
    ssekit_request rq = {.url = url, .callback = cb, .user = r, .idle_timeout_ms = idle};
    ssekit_stream *s;
    REQUIRE(ssekit_stream_open(r->c, &rq, &s) == SSEKIT_OK);
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
    CHECK(ssekit_client_set_read_coalesce(c, -1) == SSEKIT_E_INVALID);
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

    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy", base);
    const char *h[] = {"X-Replay-Fault: stall-after=2;stall=5"};
    memset(&r, 0, sizeof r);
    r.ids_in_order = 1;
    r.c = ssekit_client_new(NULL);
    REQUIRE(r.c && ssekit_client_set_read_coalesce(r.c, 80) == SSEKIT_OK);
    ssekit_request rq = {.url = url,
                         .headers = h,
                         .header_count = 1,
                         .callback = cb,
                         .user = &r,
                         .idle_timeout_ms = 60};
    ssekit_stream *s;
    REQUIRE(ssekit_stream_open(r.c, &rq, &s) == SSEKIT_OK);
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
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy?fault=delay-ms%%3D10", base);
    run r;
    memset(&r, 0, sizeof r);
    r.ids_in_order = 1;
    r.c = ssekit_client_new(NULL);
    REQUIRE(r.c && ssekit_client_set_read_coalesce(r.c, 50) == SSEKIT_OK);
    ssekit_request rq = {.url = url, .callback = cb, .user = &r};
    ssekit_stream *s;
    REQUIRE(ssekit_stream_open(r.c, &rq, &s) == SSEKIT_OK);
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
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/responses_structured?fault=delay-ms%%3D2", base);
    run r;
    memset(&r, 0, sizeof r);
    r.ids_in_order = 1;
    r.switch_off_at = 20;
    r.c = ssekit_client_new(NULL);
    REQUIRE(r.c && ssekit_client_set_read_coalesce(r.c, 200) == SSEKIT_OK);
    ssekit_request rq = {.url = url, .callback = cb, .user = &r};
    ssekit_stream *s;
    REQUIRE(ssekit_stream_open(r.c, &rq, &s) == SSEKIT_OK);
    CHECK(ssekit_client_run(r.c, 20000) == SSEKIT_OK);
    same_events(&r, &ref, "switched off");
    CHECKF(r.c->parked == 0 && r.c->coalesce_ms == 0, "%zu parked", r.c->parked);
    ssekit_client_free(r.c);
    free(r.got.buf);
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

    ssekit_replay_stop(srv);
    curl_global_cleanup();
    return check_done("test_client_coalesce");
}
