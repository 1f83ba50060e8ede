/* Order guarantees of the client against the replay server:
 * - admission under a concurrency cap is FIFO, also among streams admitted
 *   in the same turn of the loop: the requests go out (audit "request"
 *   records, written when a request is started) in the order the streams
 *   were opened;
 * - ssekit_client_next() returns the events of pulled streams only, every
 *   one once and in each stream's order, while callback streams on the same
 *   client get theirs through their callbacks, and ends (SSEKIT_E_STATE) when
 *   the pulled streams have ended even though callback streams remain;
 * - the status codes added for the client have their own names. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "replay.h"
#include "replay_fixture.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;

/* raw_deploy (docs/replay.md): 15 events, ids 1..15. */
#define DEPLOY_EVENTS 15

static void deploy_url(char *url, size_t n, const char *fault)
{
    snprintf(url, n, "%s/v1/raw/raw_deploy%s%s", ssekit_replay_url(srv), fault ? "?fault=" : "",
             fault ? fault : "");
}

/* The "stream" numbers of the audit's "request" records, in file order. */
static size_t request_order(FILE *f, int *out, size_t max)
{
    char line[8192];
    size_t n = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "\"type\": \"request\""))
            continue;
        const char *p = strstr(line, "\"stream\": ");
        if (p && n < max)
            out[n++] = atoi(p + 10);
    }
    return n;
}

static void test_fifo_admission(void)
{
    enum { N = 8, CAP = 3 };
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    FILE *audit = tmpfile();
    REQUIRE(audit);
    REQUIRE(ssekit_client_set_audit_file(c, audit, 0) == SSEKIT_OK);
    REQUIRE(ssekit_client_set_rate_limit(c, CAP, 0, 0) == SSEKIT_OK);
    char url[256];
    deploy_url(url, sizeof url, "delay-ms=5");
    ssekit_stream *s[N];
    for (int i = 0; i < N; i++) {
        ssekit_request rq = {.url = url, .filter = SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR};
        REQUIRE(ssekit_stream_open(c, &rq, &s[i]) == SSEKIT_OK);
    }
    /* All N are due in the first turn: CAP of them start in it. */
    size_t done = 0;
    const ssekit_event *ev;
    int rc;
    while ((rc = ssekit_client_next(c, &ev, 10000)) == 1) {
        CHECKF(ev->kind == SSEKIT_EVENT_DONE, "stream ends well: %s",
               ev->message ? ev->message : "");
        done++;
    }
    CHECK(rc == SSEKIT_E_STATE && done == N);
    fflush(audit);
    int order[2 * N];
    size_t k = request_order(audit, order, 2 * N);
    CHECKF(k == N, "one request per stream: %zu", k);
    for (size_t i = 0; i < k; i++)
        CHECKF(order[i] == (int)i + 1, "request %zu is stream %d's, want stream %zu", i, order[i],
               i + 1);
    for (int i = 0; i < N; i++)
        ssekit_stream_free(s[i]);
    ssekit_client_free(c);
    fclose(audit);
}

typedef struct cb_count {
    size_t sse, done;
    unsigned long last_id;
    int in_order;
} cb_count;

static int on_cb(void *user, const ssekit_event *ev)
{
    cb_count *k = user;
    if (ev->kind == SSEKIT_EVENT_SSE) {
        unsigned long id = ev->id ? strtoul(ev->id, NULL, 10) : 0;
        if (id != k->last_id + 1)
            k->in_order = 0;
        k->last_id = id;
        k->sse++;
    } else if (ev->kind == SSEKIT_EVENT_DONE) {
        k->done++;
    }
    return 0;
}

static void test_next_mixed(void)
{
    enum { PULLED = 3, CALLBACKS = 4 };
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    char fast[256], slow[256];
    deploy_url(fast, sizeof fast, "delay-ms=2");
    deploy_url(slow, sizeof slow, "delay-ms=150"); /* still running when the pulled end */
    cb_count counts[CALLBACKS];
    ssekit_stream *cbs[CALLBACKS], *pulled[PULLED];
    /* Callback streams first and last, pulled ones in between: next() must
     * neither return their events nor wait for them. */
    for (int i = 0; i < CALLBACKS; i++) {
        counts[i] = (cb_count){.in_order = 1};
        ssekit_request rq = {.url = i < 2 ? fast : slow,
                             .filter = SSEKIT_EVENT_SSE | SSEKIT_EVENT_DONE,
                             .callback = on_cb,
                             .user = &counts[i]};
        if (i == 2)
            for (int j = 0; j < PULLED; j++) {
                ssekit_request pr = {.url = fast, .filter = SSEKIT_EVENT_SSE | SSEKIT_EVENT_DONE};
                REQUIRE(ssekit_stream_open(c, &pr, &pulled[j]) == SSEKIT_OK);
            }
        REQUIRE(ssekit_stream_open(c, &rq, &cbs[i]) == SSEKIT_OK);
    }
    size_t sse[PULLED] = {0}, dones[PULLED] = {0}, foreign = 0, out_of_order = 0;
    unsigned long last[PULLED] = {0};
    const ssekit_event *ev;
    int rc;
    while ((rc = ssekit_client_next(c, &ev, 10000)) == 1) {
        int j = -1;
        for (int i = 0; i < PULLED; i++)
            if (ev->stream == pulled[i])
                j = i;
        if (j < 0) {
            foreign++;
            continue;
        }
        if (ev->kind == SSEKIT_EVENT_SSE) {
            unsigned long id = strtoul(ev->id, NULL, 10);
            out_of_order += id != last[j] + 1;
            last[j] = id;
            sse[j]++;
        } else if (ev->kind == SSEKIT_EVENT_DONE) {
            dones[j]++;
        }
    }
    CHECKF(rc == SSEKIT_E_STATE, "next() ends when the pulled streams have: %d", rc);
    CHECK(foreign == 0 && out_of_order == 0);
    for (int i = 0; i < PULLED; i++)
        CHECKF(sse[i] == DEPLOY_EVENTS && dones[i] == 1, "pulled %d: %zu events, %zu done", i,
               sse[i], dones[i]);
    CHECKF(ssekit_client_active(c) >= 2, "the slow callback streams still run: %zu",
           ssekit_client_active(c));
    /* The callback streams finish under run(), every event once, in order. */
    CHECK(ssekit_client_run(c, 15000) == SSEKIT_OK && ssekit_client_active(c) == 0);
    for (int i = 0; i < CALLBACKS; i++)
        CHECKF(counts[i].sse == DEPLOY_EVENTS && counts[i].done == 1 && counts[i].in_order,
               "callback %d: %zu events, %zu done", i, counts[i].sse, counts[i].done);
    for (int i = 0; i < CALLBACKS; i++)
        ssekit_stream_free(cbs[i]);
    for (int i = 0; i < PULLED; i++)
        ssekit_stream_free(pulled[i]);
    ssekit_client_free(c);
}

static void test_status_names(void)
{
    /* Appended: the existing codes keep their numbers. */
    CHECK(SSEKIT_E_IO == -13 && SSEKIT_E_CIRCUIT_OPEN == -14 && SSEKIT_E_NO_KEY == -15);
    CHECK(!strcmp(ssekit_status_name(SSEKIT_E_CIRCUIT_OPEN), "SSEKIT_E_CIRCUIT_OPEN"));
    CHECK(!strcmp(ssekit_status_name(SSEKIT_E_NO_KEY), "SSEKIT_E_NO_KEY"));
    CHECK(strstr(ssekit_strerror(SSEKIT_E_CIRCUIT_OPEN), "circuit") != NULL);
    CHECK(strstr(ssekit_strerror(SSEKIT_E_NO_KEY), "key") != NULL);
    CHECK(!strcmp(ssekit_status_name(-16), "SSEKIT_E_UNKNOWN"));
}

int main(void)
{
    (void)check_read_file;
    srv = replay_fixture_start();
    test_status_names();
    test_fifo_admission();
    test_next_mixed();
    ssekit_replay_stop(srv);
    curl_global_cleanup();
    return check_done("test_client_order");
}
