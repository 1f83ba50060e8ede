/* The circuit breaker with a fake clock, and on a client against the replay
 * server: 503s open it, the next stream fails fast with "circuit open"
 * without reaching the server, and after the (short, injected) cool-down one
 * probe goes and its success closes the circuit. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "clock_ms.h"
#include "replay_fixture.h"
#include "replay.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;

static void test_keys(void)
{
    char k[SSEKIT_BREAKER_KEY_MAX];
    CHECK(ssekit_breaker_key("http://Example.COM/v1/x?y=1", k, sizeof k) == SSEKIT_OK);
    CHECK(!strcmp(k, "http://example.com:80"));
    CHECK(ssekit_breaker_key("https://u:p@api.x.io/v1", k, sizeof k) == SSEKIT_OK);
    CHECK(!strcmp(k, "https://api.x.io:443"));
    CHECK(ssekit_breaker_key("http://127.0.0.1:8080", k, sizeof k) == SSEKIT_OK);
    CHECK(!strcmp(k, "http://127.0.0.1:8080"));
    CHECK(ssekit_breaker_key("http://[::1]:9/p", k, sizeof k) == SSEKIT_OK);
    CHECK(!strcmp(k, "http://[::1]:9"));
    CHECK(ssekit_breaker_key("http://[::1]/p", k, sizeof k) == SSEKIT_OK);
    CHECK(!strcmp(k, "http://[::1]:80"));
    CHECK(ssekit_breaker_key("no-scheme", k, sizeof k) == SSEKIT_E_INVALID);
    CHECK(ssekit_breaker_key("http://x", k, 4) == SSEKIT_OK && strlen(k) == 3);
}

static void test_pure(void)
{
    ssekit_breaker *b = ssekit_breaker_new(3, 1000, NULL);
    REQUIRE(b);
    const char *h = "http://a:80", *o = "http://b:80";
    uint64_t w;
    CHECK(ssekit_breaker_allow(b, h, 0, &w) == SSEKIT_OK);
    ssekit_breaker_report(b, h, 0, 10);
    ssekit_breaker_report(b, h, 0, 20);
    ssekit_breaker_report(b, h, 1, 30); /* a success clears the count */
    ssekit_breaker_report(b, h, 0, 40);
    ssekit_breaker_report(b, h, 0, 50);
    CHECK(ssekit_breaker_get(b, h, 50) == SSEKIT_BREAKER_CLOSED);
    ssekit_breaker_report(b, h, 0, 60); /* 3 in a row */
    CHECK(ssekit_breaker_get(b, h, 60) == SSEKIT_BREAKER_OPEN);
    CHECK(ssekit_breaker_allow(b, h, 500, &w) == SSEKIT_E_CIRCUIT_OPEN && w == 560);
    CHECK(ssekit_breaker_allow(b, o, 500, &w) == SSEKIT_OK); /* other hosts go */
    CHECK(ssekit_breaker_get(b, h, 1060) == SSEKIT_BREAKER_HALF_OPEN);
    CHECK(ssekit_breaker_allow(b, h, 1060, &w) == SSEKIT_OK);             /* the probe */
    CHECK(ssekit_breaker_allow(b, h, 1070, &w) == SSEKIT_E_CIRCUIT_OPEN); /* one probe */
    ssekit_breaker_report(b, h, 0, 1100);                                 /* it failed */
    CHECK(ssekit_breaker_get(b, h, 1100) == SSEKIT_BREAKER_OPEN);
    CHECK(ssekit_breaker_allow(b, h, 2000, &w) == SSEKIT_E_CIRCUIT_OPEN && w == 100);
    CHECK(ssekit_breaker_allow(b, h, 2100, &w) == SSEKIT_OK); /* next probe */
    /* A probe that never reports: another after one more cool-down. */
    CHECK(ssekit_breaker_allow(b, h, 2500, &w) == SSEKIT_E_CIRCUIT_OPEN);
    CHECK(ssekit_breaker_allow(b, h, 3100, &w) == SSEKIT_OK);
    ssekit_breaker_report(b, h, 1, 3200);
    CHECK(ssekit_breaker_get(b, h, 3200) == SSEKIT_BREAKER_CLOSED);
    CHECK(ssekit_breaker_allow(b, h, 3200, &w) == SSEKIT_OK);
    CHECK(ssekit_breaker_allow(b, h, 3201, &w) == SSEKIT_OK);
    /* Bounded: many failing hosts never grow past the limit, and the newest
     * failing host is tracked. */
    char key[64];
    for (unsigned i = 0; i < SSEKIT_BREAKER_MAX_HOSTS * 3; i++) {
        snprintf(key, sizeof key, "http://h%u:80", i);
        for (int j = 0; j < 3; j++)
            CHECK(ssekit_breaker_report(b, key, 0, 5000 + i) == SSEKIT_OK);
    }
    CHECK(ssekit_breaker_get(b, key, 5000) == SSEKIT_BREAKER_OPEN);
    ssekit_breaker_free(b);
}

/* Runs one raw stream to its end; returns its terminal event's kind and
 * copies the message. */
static int last_status; /* the status of run_one()'s last ERROR */

static ssekit_event_kind run_one(ssekit_client *c, const char *fault, const char *key, char *msg,
                                 size_t msg_len, ssekit_error_category *cat)
{
    char url[256], kh[64];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy", ssekit_replay_url(srv));
    snprintf(kh, sizeof kh, "X-Replay-Key: %s", key);
    const char *hdr[2] = {kh, fault};
    ssekit_request rq = {0};
    rq.url = url;
    rq.headers = hdr;
    rq.header_count = fault ? 2 : 1;
    rq.retry.max_retries = 0; /* each stream is one request */
    rq.retry.base_delay_ms = 1;
    ssekit_stream *s;
    REQUIRE(ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    const ssekit_event *ev;
    ssekit_event_kind k = 0;
    while (ssekit_stream_next(s, &ev, 5000) == 1)
        if (ev->kind == SSEKIT_EVENT_DONE || ev->kind == SSEKIT_EVENT_ERROR) {
            k = ev->kind;
            *cat = ev->category;
            last_status = ev->status;
            snprintf(msg, msg_len, "%s", ev->message ? ev->message : "");
        }
    ssekit_stream_free(s);
    return k;
}

static size_t count_key(const char *prefix)
{
    size_t n, k = 0;
    ssekit_replay_request *log = ssekit_replay_requests(srv, &n);
    for (size_t i = 0; i < n; i++)
        k += log[i].key && !strncmp(log[i].key, prefix, strlen(prefix));
    ssekit_replay_requests_free(log);
    return k;
}

static void test_client(void)
{
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    CHECK(ssekit_client_breaker(c) == NULL);
    REQUIRE(ssekit_client_set_breaker(c, 1, 2, 300) == SSEKIT_OK);
    char host[SSEKIT_BREAKER_KEY_MAX], msg[256];
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy", ssekit_replay_url(srv));
    REQUIRE(ssekit_breaker_key(url, host, sizeof host) == SSEKIT_OK);
    ssekit_error_category cat;
    const char *f503 = "X-Replay-Fault: status=503";
    /* A 400 does not count. */
    CHECK(run_one(c, "X-Replay-Fault: status=400", "brk-0", msg, sizeof msg, &cat) ==
          SSEKIT_EVENT_ERROR);
    CHECK(run_one(c, f503, "brk-1", msg, sizeof msg, &cat) == SSEKIT_EVENT_ERROR);
    CHECK(cat == SSEKIT_ERROR_HTTP);
    CHECK(ssekit_breaker_get(ssekit_client_breaker(c), host, now_ms()) == SSEKIT_BREAKER_CLOSED);
    CHECK(run_one(c, f503, "brk-2", msg, sizeof msg, &cat) == SSEKIT_EVENT_ERROR);
    CHECK(ssekit_breaker_get(ssekit_client_breaker(c), host, now_ms()) == SSEKIT_BREAKER_OPEN);
    /* Open: fail fast, without a request. */
    uint64_t t0 = now_ms();
    CHECK(run_one(c, NULL, "brk-3", msg, sizeof msg, &cat) == SSEKIT_EVENT_ERROR);
    CHECK(cat == SSEKIT_ERROR_TRANSPORT);
    CHECKF(!strcmp(msg, "circuit open"), "message: %s", msg);
    CHECKF(last_status == SSEKIT_E_CIRCUIT_OPEN, "its own status: %s",
           ssekit_status_name(last_status));
    CHECK(now_ms() - t0 < 250);
    CHECK(count_key("brk-3") == 0);
    CHECK(count_key("brk-") == 3);
    /* After the cool-down: one probe; its success closes the circuit. */
    struct timespec ts = {0, 350 * 1000000L};
    nanosleep(&ts, NULL);
    CHECK(ssekit_breaker_get(ssekit_client_breaker(c), host, now_ms()) == SSEKIT_BREAKER_HALF_OPEN);
    CHECK(run_one(c, NULL, "brk-4", msg, sizeof msg, &cat) == SSEKIT_EVENT_DONE);
    CHECK(ssekit_breaker_get(ssekit_client_breaker(c), host, now_ms()) == SSEKIT_BREAKER_CLOSED);
    CHECK(run_one(c, NULL, "brk-5", msg, sizeof msg, &cat) == SSEKIT_EVENT_DONE);
    CHECK(count_key("brk-4") == 1 && count_key("brk-5") == 1);
    /* A failed probe opens it again at once. */
    CHECK(run_one(c, f503, "brk-6", msg, sizeof msg, &cat) == SSEKIT_EVENT_ERROR);
    CHECK(run_one(c, f503, "brk-7", msg, sizeof msg, &cat) == SSEKIT_EVENT_ERROR);
    nanosleep(&ts, NULL);
    CHECK(run_one(c, f503, "brk-8", msg, sizeof msg, &cat) == SSEKIT_EVENT_ERROR);
    CHECK(!strcmp(msg, "HTTP 503"));
    CHECK(last_status == SSEKIT_E_IO); /* a request that was sent and failed */
    CHECK(run_one(c, NULL, "brk-9", msg, sizeof msg, &cat) == SSEKIT_EVENT_ERROR);
    CHECK(!strcmp(msg, "circuit open"));
    CHECK(count_key("brk-9") == 0);
    /* Removing the breaker lets everything go. */
    CHECK(ssekit_client_set_breaker(c, 0, 0, 0) == SSEKIT_OK);
    CHECK(ssekit_client_breaker(c) == NULL);
    CHECK(run_one(c, NULL, "brk-10", msg, sizeof msg, &cat) == SSEKIT_EVENT_DONE);
    ssekit_client_free(c);
}

int main(void)
{
    (void)check_read_file;
    test_keys();
    test_pure();
    srv = replay_fixture_start();
    test_client();
    ssekit_replay_stop(srv);
    curl_global_cleanup();
    return check_done("test_breaker");
}
