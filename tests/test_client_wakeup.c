/* ssekit_client_wakeup(): another thread makes a waiting run() / next()
 * return at once, with a stream that sends nothing (the replay server's
 * stall fault) so that only the wake-up can end the wait early. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "clock_ms.h"
#include "replay_fixture.h"
#include "ssekit/client.h"

typedef struct waker {
    ssekit_client *c;
    unsigned delay_ms;
    int rc;
} waker;

static void *wake_later(void *arg)
{
    waker *w = arg;
    struct timespec d = {0, (long)w->delay_ms * 1000000L};
    nanosleep(&d, NULL);
    w->rc = ssekit_client_wakeup(w->c);
    return NULL;
}

/* Runs `what` (0: run, 1: next) for up to 5 s while another thread wakes the
 * client after 200 ms; returns how long the call took. */
static uint64_t woken_after(ssekit_client *c, int what, int *rc)
{
    waker w = {c, 200, -100};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, wake_later, &w) == 0);
    uint64_t t0 = now_ms();
    const ssekit_event *ev = NULL;
    if (what == 0) {
        *rc = ssekit_client_run(c, 5000);
    } else {
        /* skip what is queued (START, OPEN): the wait is for the next one */
        while ((*rc = ssekit_client_next(c, &ev, 5000)) == 1)
            ;
    }
    uint64_t took = now_ms() - t0;
    pthread_join(t, NULL);
    CHECK(w.rc == SSEKIT_OK);
    return took;
}

int main(void)
{
    ssekit_replay *srv = replay_fixture_start();
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy?fault=stall-after%%3D1",
             ssekit_replay_url(srv));

    CHECK(ssekit_client_wakeup(NULL) == SSEKIT_E_INVALID);
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    ssekit_request rq;
    memset(&rq, 0, sizeof rq);
    rq.url = url;
    rq.idle_timeout_ms = -1;
    ssekit_stream *s;
    REQUIRE(ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);

    int rc;
    uint64_t took = woken_after(c, 1, &rc);
    CHECKF(rc == 0, "next() woken returns 0 like a timeout (got %d)", rc);
    CHECKF(took >= 150 && took < 2000, "next() returned when woken: %llu ms",
           (unsigned long long)took);
    CHECK(!ssekit_stream_is_done(s));

    took = woken_after(c, 0, &rc);
    CHECKF(rc == SSEKIT_OK, "run() woken returns SSEKIT_OK (got %d)", rc);
    CHECKF(took >= 150 && took < 2000, "run() returned when woken: %llu ms",
           (unsigned long long)took);

    /* A wake-up with nobody waiting is kept for the next wait: it returns
     * after one step; the one after that waits its whole timeout again. */
    CHECK(ssekit_client_wakeup(c) == SSEKIT_OK);
    CHECK(ssekit_client_wakeup(c) == SSEKIT_OK);
    uint64_t t0 = now_ms();
    CHECK(ssekit_client_run(c, 3000) == SSEKIT_OK);
    took = now_ms() - t0;
    CHECKF(took < 500, "a pending wake-up ends the next run() at once: %llu ms",
           (unsigned long long)took);
    t0 = now_ms();
    CHECK(ssekit_client_run(c, 300) == SSEKIT_OK);
    took = now_ms() - t0;
    CHECKF(took >= 250, "wake-ups are not counted: the following run() waits (%llu ms)",
           (unsigned long long)took);

    /* ssekit_stream_next() consumes a wake-up too; after it, a wait is a
     * real wait again (it used to spin until run() or client_next()). */
    const ssekit_event *ev = NULL;
    CHECK(ssekit_client_wakeup(c) == SSEKIT_OK);
    t0 = now_ms();
    rc = ssekit_stream_next(s, &ev, 3000);
    took = now_ms() - t0;
    CHECKF(rc == 0 && !ev, "stream_next() woken returns 0 (got %d)", rc);
    CHECKF(took < 500, "a pending wake-up ends stream_next() at once: %llu ms",
           (unsigned long long)took);
    clock_t cpu0 = clock();
    t0 = now_ms();
    rc = ssekit_stream_next(s, &ev, 400);
    took = now_ms() - t0;
    double cpu_ms = (double)(clock() - cpu0) * 1000.0 / CLOCKS_PER_SEC;
    CHECKF(rc == 0 && took >= 350, "the next stream_next() waits its timeout (%llu ms)",
           (unsigned long long)took);
    CHECKF(cpu_ms < 100, "and sleeps while it waits: %.1f ms of CPU in %llu ms", cpu_ms,
           (unsigned long long)took);

    ssekit_client_free(c);
    ssekit_replay_stop(srv);
    curl_global_cleanup();
    (void)check_read_file;
    return check_done("test_client_wakeup");
}
