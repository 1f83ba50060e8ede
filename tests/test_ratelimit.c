/* The token bucket and concurrency cap with a fake clock, and the client's
 * admission against the in-process replay server: a cap of 2 never has more
 * than 2 requests open at the server, streams are admitted in FIFO order,
 * the rate limit spaces requests out, and a total deadline runs while a
 * stream waits for admission. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock_ms.h"
#include "replay_fixture.h"
#include "replay.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;

/* --- pure ------------------------------------------------------------------------ */

static void test_bucket(void)
{
    ssekit_ratelimit rl = {0};
    ssekit_ratelimit_init(&rl, 0, 10.0, 3, 1000); /* 10/s, burst 3, no cap */
    for (int i = 0; i < 3; i++)
        CHECKF(ssekit_ratelimit_admit(&rl, 1000) == 0, "burst token %d", i);
    long w = ssekit_ratelimit_admit(&rl, 1000);
    CHECKF(w == 100, "the 4th waits one token time: %ld", w);
    CHECK(ssekit_ratelimit_admit(&rl, 1050) == 50);
    CHECK(ssekit_ratelimit_admit(&rl, 1100) == 0);
    /* The bucket does not grow past its burst while idle. */
    for (int i = 0; i < 3; i++)
        CHECK(ssekit_ratelimit_admit(&rl, 60000) == 0);
    CHECK(ssekit_ratelimit_admit(&rl, 60000) > 0);
    /* Over 10 s at most burst + rate * 10 admissions. */
    ssekit_ratelimit_init(&rl, 0, 10.0, 3, 0);
    unsigned n = 0;
    for (uint64_t t = 0; t <= 10000; t += 7)
        while (ssekit_ratelimit_admit(&rl, t) == 0)
            n++;
    CHECKF(n >= 100 && n <= 103, "admitted %u in 10 s", n);
    CHECK(ssekit_ratelimit_take(&rl, 9996) > 0); /* the last step took every token */
}

static void test_cap(void)
{
    ssekit_ratelimit rl = {0};
    ssekit_ratelimit_init(&rl, 2, 0, 0, 0); /* cap 2, no rate */
    CHECK(ssekit_ratelimit_admit(&rl, 0) == 0);
    CHECK(ssekit_ratelimit_admit(&rl, 0) == 0);
    CHECK(ssekit_ratelimit_admit(&rl, 0) == -1);
    CHECK(rl.in_flight == 2);
    ssekit_ratelimit_release(&rl);
    CHECK(ssekit_ratelimit_admit(&rl, 5) == 0);
    CHECK(ssekit_ratelimit_admit(&rl, 5) == -1);
    ssekit_ratelimit_release(&rl);
    ssekit_ratelimit_release(&rl);
    ssekit_ratelimit_release(&rl); /* extra: ignored */
    CHECK(rl.in_flight == 0);
    /* A full cap takes no token. */
    ssekit_ratelimit_init(&rl, 1, 1.0, 1, 0);
    CHECK(ssekit_ratelimit_admit(&rl, 0) == 0);
    CHECK(ssekit_ratelimit_admit(&rl, 5000) == -1);
    ssekit_ratelimit_release(&rl);
    CHECK(ssekit_ratelimit_admit(&rl, 5000) == 0);
}

/* --- against the replay server ----------------------------------------------------- */

/* Requests of the log whose key starts with prefix, in arrival order. */
static size_t keyed(ssekit_replay_request *log, size_t n, const char *prefix,
                    const ssekit_replay_request **out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++)
        if (log[i].key && !strncmp(log[i].key, prefix, strlen(prefix)))
            out[k++] = &log[i];
    return k;
}

typedef struct raw_req {
    char url[256];
    char key[64];
    const char *hdr[2];
    ssekit_request rq;
} raw_req;

static void raw_request(raw_req *r, const char *name, const char *key, const char *fault)
{
    snprintf(r->url, sizeof r->url, "%s/v1/raw/%s", ssekit_replay_url(srv), name);
    snprintf(r->key, sizeof r->key, "X-Replay-Key: %s", key);
    r->hdr[0] = r->key;
    r->hdr[1] = fault;
    memset(&r->rq, 0, sizeof r->rq);
    r->rq.url = r->url;
    r->rq.headers = r->hdr;
    r->rq.header_count = fault ? 2 : 1;
}

static void test_client_cap(void)
{
    enum { N = 6 };
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    CHECK(ssekit_client_set_rate_limit(c, 2, 0, 0) == SSEKIT_OK);
    raw_req r[N];
    ssekit_stream *s[N];
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "cap-%d", i);
        raw_request(&r[i], "raw_deploy", key, "X-Replay-Fault: delay-ms=15");
        REQUIRE(ssekit_stream_open(c, &r[i].rq, &s[i]) == SSEKIT_OK);
    }
    /* Every START comes at once, before any request is admitted. */
    unsigned starts = 0;
    const ssekit_event *ev;
    while (ssekit_client_next(c, &ev, 0) == 1)
        starts += ev->kind == SSEKIT_EVENT_START;
    CHECKF(starts == N, "START of every stream: %u", starts);
    size_t max_open = 0, max_waiting = 0, done = 0;
    uint64_t t_end = now_ms() + 15000;
    while (done < N && now_ms() < t_end) {
        int rc = ssekit_client_next(c, &ev, 20);
        if (rc == 1 && (ev->kind == SSEKIT_EVENT_DONE || ev->kind == SSEKIT_EVENT_ERROR)) {
            CHECKF(ev->kind == SSEKIT_EVENT_DONE, "stream ends well: %s", ev->message);
            done++;
        }
        if (ssekit_client_waiting(c) > max_waiting)
            max_waiting = ssekit_client_waiting(c);
        size_t n;
        ssekit_replay_request *log = ssekit_replay_requests(srv, &n);
        const ssekit_replay_request *v[64];
        size_t k = keyed(log, n, "cap-", v, 64), open = 0;
        for (size_t i = 0; i < k; i++)
            open += !strcmp(v[i]->end, "open");
        if (open > max_open)
            max_open = open;
        ssekit_replay_requests_free(log);
    }
    CHECK(done == N);
    CHECKF(max_open == 2, "at most 2 open at the server, and the cap was used: %zu", max_open);
    CHECKF(max_waiting >= 3, "streams waited for admission: %zu", max_waiting);
    /* FIFO: streams are admitted in the order they were opened. Two admitted
     * in the same turn of the loop may reach the server in either order, but
     * with a cap of 2 stream j is admitted only after stream j-2 was. */
    size_t n;
    ssekit_replay_request *log = ssekit_replay_requests(srv, &n);
    const ssekit_replay_request *v[64];
    size_t k = keyed(log, n, "cap-", v, 64);
    CHECK(k == N);
    size_t pos[N] = {0};
    for (size_t i = 0; i < k; i++) {
        int idx = -1;
        sscanf(v[i]->key, "cap-%d", &idx);
        REQUIRE(idx >= 0 && idx < N);
        pos[idx] = i;
    }
    for (size_t j = 2; j < N; j++)
        for (size_t i = 0; i + 2 <= j; i++)
            CHECKF(pos[i] < pos[j], "stream %zu arrived before stream %zu", i, j);
    ssekit_replay_requests_free(log);
    ssekit_client_free(c);
}

static void test_client_rate(void)
{
    enum { N = 5 };
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    CHECK(ssekit_client_set_rate_limit(c, 0, 10.0, 2) == SSEKIT_OK); /* 10/s, burst 2 */
    raw_req r[N];
    ssekit_stream *s[N];
    for (int i = 0; i < N; i++) {
        char key[32];
        snprintf(key, sizeof key, "rate-%d", i);
        raw_request(&r[i], "raw_deploy", key, NULL);
        REQUIRE(ssekit_stream_open(c, &r[i].rq, &s[i]) == SSEKIT_OK);
    }
    CHECK(ssekit_client_run(c, 10000) == SSEKIT_OK);
    CHECK(ssekit_client_active(c) == 0);
    size_t n;
    ssekit_replay_request *log = ssekit_replay_requests(srv, &n);
    const ssekit_replay_request *v[64];
    size_t k = keyed(log, n, "rate-", v, 64);
    REQUIRE(k == N);
    /* Two at once (the burst), then one per 100 ms: the 5th >= 300 ms after
     * the first (a little slack for the millisecond clocks). */
    uint64_t span = v[N - 1]->t_ms - v[0]->t_ms;
    CHECKF(span >= 280 && span < 3000, "5 requests at 10/s burst 2 span %llu ms",
           (unsigned long long)span);
    CHECKF(v[1]->t_ms - v[0]->t_ms < 80, "the burst goes at once: %llu ms",
           (unsigned long long)(v[1]->t_ms - v[0]->t_ms));
    ssekit_replay_requests_free(log);
    ssekit_client_free(c);
}

static void test_deadline_while_waiting(void)
{
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    CHECK(ssekit_client_set_rate_limit(c, 1, 0, 0) == SSEKIT_OK);
    raw_req a, b;
    raw_request(&a, "raw_deploy", "wait-a", "X-Replay-Fault: stall=1");
    raw_request(&b, "raw_deploy", "wait-b", NULL);
    b.rq.total_timeout_ms = 200;
    ssekit_stream *sa, *sb;
    REQUIRE(ssekit_stream_open(c, &a.rq, &sa) == SSEKIT_OK);
    REQUIRE(ssekit_stream_open(c, &b.rq, &sb) == SSEKIT_OK);
    const ssekit_event *ev;
    uint64_t t0 = now_ms();
    int got = 0;
    while (ssekit_stream_next(sb, &ev, 5000) == 1) {
        if (ev->kind == SSEKIT_EVENT_ERROR) {
            got = 1;
            CHECK(ev->category == SSEKIT_ERROR_TIMEOUT);
            CHECKF(now_ms() - t0 < 900, "the deadline ran while waiting: %llu ms",
                   (unsigned long long)(now_ms() - t0));
        }
        CHECK(ev->kind != SSEKIT_EVENT_OPEN);
    }
    CHECK(got);
    CHECK(ssekit_client_waiting(c) == 0);
    /* Canceling a waiting stream frees its place too. */
    raw_request(&b, "raw_deploy", "wait-c", NULL);
    REQUIRE(ssekit_stream_open(c, &b.rq, &sb) == SSEKIT_OK);
    ssekit_client_perform(c, NULL);
    CHECK(ssekit_client_waiting(c) == 1);
    CHECK(ssekit_stream_cancel(sb) == SSEKIT_OK);
    CHECK(ssekit_client_waiting(c) == 0);
    while (ssekit_stream_next(sa, &ev, 5000) == 1)
        if (ev->kind == SSEKIT_EVENT_DONE || ev->kind == SSEKIT_EVENT_ERROR)
            CHECK(ev->kind == SSEKIT_EVENT_DONE);
    size_t n;
    ssekit_replay_request *log = ssekit_replay_requests(srv, &n);
    const ssekit_replay_request *v[8];
    CHECK(keyed(log, n, "wait-b", v, 8) == 0); /* never sent */
    CHECK(keyed(log, n, "wait-c", v, 8) == 0);
    ssekit_replay_requests_free(log);
    /* Lifting the limit lets waiting streams go at once. */
    CHECK(ssekit_client_set_rate_limit(c, 1, 0, 0) == SSEKIT_OK);
    raw_request(&a, "raw_deploy", "lift-a", "X-Replay-Fault: stall=1");
    raw_request(&b, "raw_deploy", "lift-b", NULL);
    REQUIRE(ssekit_stream_open(c, &a.rq, &sa) == SSEKIT_OK);
    REQUIRE(ssekit_stream_open(c, &b.rq, &sb) == SSEKIT_OK);
    ssekit_client_perform(c, NULL);
    CHECK(ssekit_client_waiting(c) == 1);
    CHECK(ssekit_client_set_rate_limit(c, 0, 0, 0) == SSEKIT_OK);
    CHECK(ssekit_client_waiting(c) == 0);
    CHECK(ssekit_client_run(c, 10000) == SSEKIT_OK);
    CHECK(ssekit_client_active(c) == 0);
    ssekit_client_free(c);
}

int main(void)
{
    (void)check_read_file;
    test_bucket();
    test_cap();
    srv = replay_fixture_start();
    test_client_cap();
    test_client_rate();
    test_deadline_while_waiting();
    ssekit_replay_stop(srv);
    curl_global_cleanup();
    return check_done("test_ratelimit");
}
