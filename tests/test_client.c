/* Integration tests of the streaming client against the in-process replay
 * server on an ephemeral loopback port: pull iterator, callbacks, foreign
 * loop, retries (503, 429 + Retry-After, 400), SSE reconnect with
 * Last-Event-ID, deadlines, cancel, backpressure, two streams at once.
 *
 * curl_global_init() is called once in main() and curl_global_cleanup() at
 * the end, as client.h asks of applications. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "check.h"
#include "event_record.h"
#include "replay_fixture.h"
#include "replay.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;
static char base[128];

/* Pulls every event of s (with a generous overall limit). */
static void pull_all(ssekit_stream *s, recs *out, long limit_ms)
{
    uint64_t end = now_ms() + (uint64_t)limit_ms;
    const ssekit_event *ev;
    int rc;
    while ((rc = ssekit_stream_next(s, &ev, 200)) >= 0 && now_ms() < end)
        if (rc == 1)
            record(out, ev);
    CHECKF(rc == SSEKIT_E_STATE, "next ended with %d", rc);
}

/* --- reference: the transcript parsed without the client ------------------------ */

typedef struct ref_events {
    recs r;
} ref_events;

static int ref_on_event(void *user, const ssekit_sse_event *e)
{
    ssekit_event ev = {0};
    ev.kind = SSEKIT_EVENT_SSE;
    ev.type = e->type, ev.type_len = e->type_len;
    ev.data = e->data, ev.data_len = e->data_len;
    ev.id = e->id, ev.id_len = e->id_len;
    record(user, &ev);
    return 0;
}

static void reference_events(const char *name, recs *out)
{
    replay_fixture_parse(name, ref_on_event, out);
}

static int sink(void *ctx, const char *d, size_t n)
{
    recs *r = ctx; /* reuse: append to a single growing string in r->v[0] */
    rec *x = &r->v[0];
    x->data = realloc(x->data, x->len + n + 1);
    REQUIRE(x->data);
    memcpy(x->data + x->len, d, n);
    x->len += n;
    x->data[x->len] = 0;
    return 0;
}

/* The final value `ssekit partial` computes: the whole transcript through
 * ssekit_result, serialised compactly. Caller frees. */
static char *reference_value(const char *name, ssekit_provider p)
{
    size_t len;
    char *text = replay_fixture_transcript(name, &len);
    ssekit_result *r = ssekit_result_new(p, NULL, NULL, NULL);
    REQUIRE(r);
    ssekit_result_feed(r, text, len);
    ssekit_result_finish(r);
    recs out = {0};
    rec one = {0};
    out.v = &one;
    out.n = out.cap = 1;
    ssekit_json_write(ssekit_result_value(r), sink, &out);
    ssekit_result_free(r);
    free(text);
    return one.data;
}

/* --- requests -------------------------------------------------------------------- */

static const char chat_body[] =
    "{\"model\": \"gpt-4o\", \"stream\": true, \"messages\": [{\"role\": \"user\", "
    "\"content\": \"review\"}], \"response_format\": {\"type\": \"json_schema\", "
    "\"json_schema\": {\"name\": \"review\", \"schema\": {\"type\": \"object\"}}}}";

static ssekit_request chat_request(const char *url, const char *const *headers, size_t n)
{
    ssekit_request rq = {0};
    rq.url = url;
    rq.headers = headers;
    rq.header_count = n;
    rq.body = chat_body;
    rq.body_len = sizeof chat_body - 1;
    rq.decode = 1;
    rq.provider = SSEKIT_PROVIDER_OPENAI;
    rq.retry.max_retries = 3;
    rq.retry.base_delay_ms = 20;
    rq.retry.max_delay_ms = 100;
    return rq;
}

/* Requests in the replay log with X-Replay-Key `key`, in order (caller frees
 * with ssekit_replay_requests_free(all)). */
static size_t log_for(const char *key, const ssekit_replay_request **v, size_t max,
                      ssekit_replay_request **all)
{
    size_t n, k = 0;
    *all = ssekit_replay_requests(srv, &n);
    for (size_t i = 0; i < n && k < max; i++)
        if ((*all)[i].key && !strcmp((*all)[i].key, key))
            v[k++] = &(*all)[i];
    return k;
}

/* --- tests ----------------------------------------------------------------------- */

static int cb_record(void *user, const ssekit_event *ev)
{
    record(user, ev);
    return 0;
}

static void test_structured_pull_and_callbacks(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", base);
    char *expect = reference_value("openai_chat_structured", SSEKIT_PROVIDER_OPENAI);
    REQUIRE(expect);

    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    ssekit_request rq = chat_request(url, NULL, 0);
    ssekit_stream *s;
    REQUIRE(ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    recs pull = {0};
    pull_all(s, &pull, 10000);
    REQUIRE(pull.n > 3);
    CHECK(pull.v[0].kind == SSEKIT_EVENT_START);
    CHECK(pull.v[1].kind == SSEKIT_EVENT_OPEN && pull.v[1].http_status == 200);
    const rec *done = last(&pull);
    CHECK(done->kind == SSEKIT_EVENT_DONE);
    CHECKF(done->data && !strcmp(done->data, expect), "got %s", done->data ? done->data : "NULL");
    CHECK(done->type && !strcmp(done->type, "json"));
    CHECK(count_kind(&pull, SSEKIT_EVENT_SSE) > 50);
    CHECK(count_kind(&pull, SSEKIT_EVENT_DELTA) > 50);
    CHECK(count_kind(&pull, SSEKIT_EVENT_USAGE) >= 1);
    /* The root's COMPLETE event carries the same final value. */
    int root_complete = 0;
    for (size_t i = 0; i < pull.n; i++)
        if (pull.v[i].kind == SSEKIT_EVENT_COMPLETE && pull.v[i].path && !*pull.v[i].path)
            root_complete += !strcmp(pull.v[i].data, expect);
    CHECK(root_complete == 1);
    CHECK(ssekit_stream_is_done(s));
    CHECK(ssekit_stream_free(s) == SSEKIT_OK);

    /* Callbacks mode: the same events, in the same order. */
    recs cbr = {0};
    rq.callback = cb_record;
    rq.user = &cbr;
    REQUIRE(ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    const ssekit_event *ev;
    CHECK(ssekit_stream_next(s, &ev, 0) == SSEKIT_E_STATE); /* callbacks own it */
    CHECK(ssekit_client_run(c, 10000) == SSEKIT_OK);
    CHECK(ssekit_client_active(c) == 0);
    CHECKF(cbr.n == pull.n, "%zu vs %zu", cbr.n, pull.n);
    size_t same = 0;
    for (size_t i = 0; i < cbr.n && i < pull.n; i++)
        same += cbr.v[i].kind == pull.v[i].kind && cbr.v[i].len == pull.v[i].len &&
                (!cbr.v[i].data || !memcmp(cbr.v[i].data, pull.v[i].data, cbr.v[i].len));
    CHECK(same == pull.n);

    /* Filter: only DONE. */
    recs only = {0};
    rq.user = &only;
    rq.filter = SSEKIT_EVENT_DONE;
    ssekit_stream *s2;
    REQUIRE(ssekit_stream_open(c, &rq, &s2) == SSEKIT_OK);
    CHECK(ssekit_client_run(c, 10000) == SSEKIT_OK);
    CHECK(only.n == 1 && only.v[0].kind == SSEKIT_EVENT_DONE && !strcmp(only.v[0].data, expect));
    ssekit_client_free(c); /* frees s and s2 */
    recs_free(&pull);
    recs_free(&cbr);
    recs_free(&only);
    free(expect);
}

static void test_retry_503(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", base);
    const char *h[] = {"X-Replay-Fault: status=503;times=2", "X-Replay-Key: t503"};
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = chat_request(url, h, 2);
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    recs r = {0};
    pull_all(s, &r, 10000);
    CHECK(count_kind(&r, SSEKIT_EVENT_RETRY) == 2);
    unsigned k = 0;
    for (size_t i = 0; i < r.n; i++)
        if (r.v[i].kind == SSEKIT_EVENT_RETRY) {
            k++;
            CHECK(r.v[i].attempt == k && r.v[i].http_status == 503);
            CHECK(r.v[i].delay_ms <= 100);
        }
    CHECK(last(&r)->kind == SSEKIT_EVENT_DONE);
    ssekit_replay_request *all;
    const ssekit_replay_request *v[8];
    size_t n = log_for("t503", v, 8, &all);
    CHECKF(n == 3, "%zu requests", n);
    if (n == 3)
        CHECK(v[0]->status == 503 && v[1]->status == 503 && v[2]->status == 200);
    ssekit_replay_requests_free(all);
    ssekit_client_free(c);
    recs_free(&r);
}

static void test_retry_after_429(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", base);
    const char *h[] = {"X-Replay-Fault: status=429;retry-after=1;times=1", "X-Replay-Key: t429"};
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = chat_request(url, h, 2);
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    recs r = {0};
    pull_all(s, &r, 10000);
    CHECK(count_kind(&r, SSEKIT_EVENT_RETRY) == 1);
    for (size_t i = 0; i < r.n; i++)
        if (r.v[i].kind == SSEKIT_EVENT_RETRY)
            CHECK(r.v[i].http_status == 429 && r.v[i].retry_after_ms == 1000 &&
                  r.v[i].delay_ms >= 1000);
    CHECK(last(&r)->kind == SSEKIT_EVENT_DONE);
    ssekit_replay_request *all;
    const ssekit_replay_request *v[4];
    size_t n = log_for("t429", v, 4, &all);
    CHECKF(n == 2, "%zu", n);
    if (n == 2)
        CHECKF(v[1]->t_ms - v[0]->t_ms >= 1000, "waited %llu ms",
               (unsigned long long)(v[1]->t_ms - v[0]->t_ms));
    ssekit_replay_requests_free(all);

    /* 429 on every attempt: a rate-limited error after the last retry. */
    const char *h2[] = {"X-Replay-Fault: status=429", "X-Replay-Key: t429b"};
    rq = chat_request(url, h2, 2);
    rq.retry.max_retries = 1;
    recs r2 = {0};
    REQUIRE(ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    pull_all(s, &r2, 10000);
    CHECK(count_kind(&r2, SSEKIT_EVENT_RETRY) == 1);
    CHECK(last(&r2)->kind == SSEKIT_EVENT_ERROR &&
          last(&r2)->category == SSEKIT_ERROR_RATE_LIMITED && last(&r2)->http_status == 429);
    ssekit_client_free(c);
    recs_free(&r);
    recs_free(&r2);
}

static void test_no_retry_400(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", base);
    const char *h[] = {"X-Replay-Fault: status=400", "X-Replay-Key: t400"};
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = chat_request(url, h, 2);
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    recs r = {0};
    pull_all(s, &r, 10000);
    CHECK(count_kind(&r, SSEKIT_EVENT_RETRY) == 0);
    CHECK(count_kind(&r, SSEKIT_EVENT_OPEN) == 0);
    const rec *e = last(&r);
    CHECK(e->kind == SSEKIT_EVENT_ERROR && e->category == SSEKIT_ERROR_HTTP &&
          e->http_status == 400);
    CHECK(e->data && strstr(e->data, "\"error\"")); /* the raw body is kept */
    ssekit_replay_request *all;
    const ssekit_replay_request *v[4];
    CHECK(log_for("t400", v, 4, &all) == 1);
    ssekit_replay_requests_free(all);
    /* A 404 (unknown transcript) is not retried either. */
    char url2[256];
    snprintf(url2, sizeof url2, "%s/v1/raw/no_such_transcript", base);
    ssekit_request rq2 = {.url = url2, .retry = {.max_retries = 3, .base_delay_ms = 10}};
    recs r2 = {0};
    REQUIRE(ssekit_stream_open(c, &rq2, &s) == SSEKIT_OK);
    pull_all(s, &r2, 5000);
    CHECK(count_kind(&r2, SSEKIT_EVENT_RETRY) == 0 && last(&r2)->http_status == 404);
    ssekit_client_free(c);
    recs_free(&r);
    recs_free(&r2);
}

/* Connection refused is a transport error, retried, then reported. */
static void test_connect_error(void)
{
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = {.url = "http://127.0.0.1:1/x",
                         .retry = {.max_retries = 2, .base_delay_ms = 5, .max_delay_ms = 10}};
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    recs r = {0};
    pull_all(s, &r, 5000);
    CHECK(count_kind(&r, SSEKIT_EVENT_RETRY) == 2);
    CHECK(last(&r)->kind == SSEKIT_EVENT_ERROR && last(&r)->category == SSEKIT_ERROR_TRANSPORT &&
          last(&r)->http_status == 0);
    ssekit_client_free(c);
    recs_free(&r);
}

static void test_reconnect(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy", base);
    const char *h[] = {"X-Replay-Fault: drop-after=3;drop-partial;sse-retry=50;times=2",
                       "X-Replay-Key: tdrop"};
    recs ref = {0};
    reference_events("raw_deploy", &ref);
    REQUIRE(ref.n > 6);
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = {.url = url, .headers = h, .header_count = 2, .reconnect = 1};
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    recs r = {0};
    pull_all(s, &r, 10000);
    /* Every event exactly once, in order. */
    recs sse = {0};
    for (size_t i = 0; i < r.n; i++)
        if (r.v[i].kind == SSEKIT_EVENT_SSE) {
            ssekit_event ev = {.kind = SSEKIT_EVENT_SSE,
                               .data = r.v[i].data,
                               .data_len = r.v[i].len,
                               .id = r.v[i].id,
                               .id_len = strlen(r.v[i].id)};
            record(&sse, &ev);
        }
    CHECKF(sse.n == ref.n, "%zu events, expected %zu", sse.n, ref.n);
    if (getenv("SSEKIT_TEST_DEBUG"))
        for (size_t i = 0; i < r.n; i++)
            fprintf(stderr, "%s id=%s %s\n", ssekit_event_kind_name(r.v[i].kind),
                    r.v[i].id ? r.v[i].id : "-", r.v[i].data ? r.v[i].data : "");
    size_t same = 0;
    for (size_t i = 0; i < sse.n && i < ref.n; i++)
        same += !strcmp(sse.v[i].data, ref.v[i].data) && !strcmp(sse.v[i].id, ref.v[i].id);
    CHECK(same == ref.n);
    /* Two drops and the clean end: three reconnects, the last answered 204. */
    CHECK(count_kind(&r, SSEKIT_EVENT_RECONNECT) == 3);
    CHECK(last(&r)->kind == SSEKIT_EVENT_DONE);
    for (size_t i = 0; i < r.n; i++)
        if (r.v[i].kind == SSEKIT_EVENT_RECONNECT)
            CHECK(r.v[i].delay_ms >= 50 && r.v[i].delay_ms < 1000);
    ssekit_replay_request *all;
    const ssekit_replay_request *v[8];
    size_t n = log_for("tdrop", v, 8, &all);
    CHECKF(n == 4, "%zu requests", n);
    if (n == 4) {
        CHECK(v[0]->last_event_id == NULL);
        CHECK(v[1]->last_event_id && !strcmp(v[1]->last_event_id, ref.v[2].id));
        CHECK(v[2]->last_event_id && !strcmp(v[2]->last_event_id, ref.v[5].id));
        CHECK(v[3]->last_event_id && !strcmp(v[3]->last_event_id, ref.v[ref.n - 1].id));
        CHECK(v[3]->status == 204);
    }
    ssekit_replay_requests_free(all);
    ssekit_client_free(c);
    recs_free(&r);
    recs_free(&sse);
    recs_free(&ref);
}

static void test_idle_deadline(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy", base);
    const char *h[] = {"X-Replay-Fault: stall-after=2;stall=5"};
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = {.url = url, .headers = h, .header_count = 1, .idle_timeout_ms = 300};
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    uint64_t t0 = now_ms();
    recs r = {0};
    pull_all(s, &r, 10000);
    uint64_t took = now_ms() - t0;
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 2);
    CHECK(last(&r)->kind == SSEKIT_EVENT_ERROR && last(&r)->category == SSEKIT_ERROR_TIMEOUT);
    CHECKF(took >= 300 && took < 2500, "%llu ms", (unsigned long long)took);

    /* A stall before the first byte: the first-byte deadline, retried once. */
    const char *h2[] = {"X-Replay-Fault: stall=5"};
    ssekit_request rq2 = {.url = url,
                          .headers = h2,
                          .header_count = 1,
                          .first_byte_timeout_ms = 200,
                          .retry = {.max_retries = 1, .base_delay_ms = 10}};
    recs r2 = {0};
    REQUIRE(ssekit_stream_open(c, &rq2, &s) == SSEKIT_OK);
    pull_all(s, &r2, 10000);
    CHECK(count_kind(&r2, SSEKIT_EVENT_RETRY) == 1);
    CHECK(last(&r2)->kind == SSEKIT_EVENT_ERROR && last(&r2)->category == SSEKIT_ERROR_TIMEOUT);

    /* The total deadline ends a stream however lively it is. */
    const char *h3[] = {"X-Replay-Fault: delay-ms=100"};
    ssekit_request rq3 = {.url = url, .headers = h3, .header_count = 1, .total_timeout_ms = 350};
    recs r3 = {0};
    REQUIRE(ssekit_stream_open(c, &rq3, &s) == SSEKIT_OK);
    pull_all(s, &r3, 10000);
    CHECK(count_kind(&r3, SSEKIT_EVENT_SSE) >= 1 && count_kind(&r3, SSEKIT_EVENT_SSE) < 8);
    CHECK(last(&r3)->kind == SSEKIT_EVENT_ERROR && last(&r3)->category == SSEKIT_ERROR_TIMEOUT);
    ssekit_client_free(c);
    recs_free(&r);
    recs_free(&r2);
    recs_free(&r3);
}

static void test_cancel(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy", base);
    const char *h[] = {"X-Replay-Fault: delay-ms=50"};
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = {.url = url, .headers = h, .header_count = 1};
    ssekit_stream *a, *b;
    REQUIRE(c && ssekit_stream_open(c, &rq, &a) == SSEKIT_OK);
    REQUIRE(ssekit_stream_open(c, &rq, &b) == SSEKIT_OK);
    const ssekit_event *ev;
    int sse = 0;
    while (sse < 2 && ssekit_stream_next(a, &ev, 2000) == 1)
        sse += ev->kind == SSEKIT_EVENT_SSE;
    CHECK(sse == 2);
    CHECK(ssekit_stream_cancel(a) == SSEKIT_OK);
    CHECK(ssekit_stream_is_done(a));
    recs r = {0};
    pull_all(a, &r, 2000);
    CHECK(r.n >= 1 && last(&r)->kind == SSEKIT_EVENT_ERROR &&
          last(&r)->category == SSEKIT_ERROR_CANCELED);
    CHECK(count_kind(&r, SSEKIT_EVENT_ERROR) == 1);
    /* cancel all: b ends too, and the client has nothing running. */
    CHECK(ssekit_client_cancel_all(c) == SSEKIT_OK);
    CHECK(ssekit_client_active(c) == 0);
    recs rb = {0};
    pull_all(b, &rb, 2000);
    CHECK(last(&rb)->category == SSEKIT_ERROR_CANCELED);
    CHECK(ssekit_stream_cancel(b) == SSEKIT_OK); /* already ended: no second error */
    CHECK(ssekit_stream_next(b, &ev, 0) == SSEKIT_E_STATE);
    ssekit_client_free(c);
    recs_free(&r);
    recs_free(&rb);
}

/* Slow consumer: the queue stays within max_queue plus what one network read
 * (16 KiB) can hold, the transfer pauses, and nothing is lost. */
static void test_backpressure(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/openai_chat_structured", base);
    recs ref = {0};
    reference_events("openai_chat_structured", &ref);
    /* The most events any 16 KiB of the transcript can hold ("data: " and
     * the blank line are 8 bytes per event at least). */
    size_t window = 0;
    for (size_t i = 0; i < ref.n; i++) {
        size_t bytes = 0, k = i;
        while (k < ref.n && bytes + ref.v[k].len + 8 <= 16384)
            bytes += ref.v[k++].len + 8;
        window = k - i > window ? k - i : window;
    }
    const unsigned maxq = 8;
    size_t bound = maxq + window + 1;
    REQUIRE(ref.n > 2 * bound);

    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = {.url = url, .max_queue = maxq, .filter = SSEKIT_EVENT_SSE};
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    CHECK(ssekit_client_run(c, 400) == SSEKIT_OK); /* nobody consumes */
    CHECK(ssekit_stream_is_paused(s));
    CHECK(!ssekit_stream_is_done(s));
    size_t peak = ssekit_stream_queued(s);
    CHECKF(peak >= maxq && peak <= bound, "queued %zu, bound %zu", peak, bound);
    const ssekit_event *ev;
    size_t got = 0, in_order = 0;
    int rc;
    while ((rc = ssekit_stream_next(s, &ev, 2000)) == 1) {
        if (got < ref.n)
            in_order +=
                ev->data_len == ref.v[got].len && !memcmp(ev->data, ref.v[got].data, ev->data_len);
        got++;
        size_t q = ssekit_stream_queued(s);
        peak = q > peak ? q : peak;
    }
    CHECK(rc == SSEKIT_E_STATE);
    CHECKF(got == ref.n && in_order == ref.n, "%zu/%zu events, %zu in order", got, ref.n, in_order);
    CHECKF(peak <= bound, "peak %zu > %zu", peak, bound);
    ssekit_client_free(c);
    recs_free(&ref);
}

static void test_two_streams_client_next(void)
{
    char u1[256], u2[256];
    snprintf(u1, sizeof u1, "%s/v1/raw/raw_deploy?fault=delay-ms%%3D5", base);
    snprintf(u2, sizeof u2, "%s/v1/chat/completions", base);
    recs ref = {0};
    reference_events("raw_deploy", &ref);
    char *expect = reference_value("openai_chat_structured", SSEKIT_PROVIDER_OPENAI);
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request r1 = {.url = u1, .user = (void *)"raw"};
    ssekit_request r2 = chat_request(u2, NULL, 0);
    r2.user = (void *)"chat";
    ssekit_stream *a, *b;
    REQUIRE(c && ssekit_stream_open(c, &r1, &a) == SSEKIT_OK);
    REQUIRE(ssekit_stream_open(c, &r2, &b) == SSEKIT_OK);
    recs ra = {0}, rb = {0};
    const ssekit_event *ev;
    int rc;
    size_t switches = 0;
    ssekit_stream *prev = NULL;
    while ((rc = ssekit_client_next(c, &ev, 5000)) == 1) {
        CHECK(ev->stream == a || ev->stream == b);
        CHECK(ev->user == ssekit_stream_user(ev->stream));
        record(ev->stream == a ? &ra : &rb, ev);
        switches += prev && prev != ev->stream;
        prev = ev->stream;
    }
    CHECK(rc == SSEKIT_E_STATE);
    CHECK(count_kind(&ra, SSEKIT_EVENT_SSE) == ref.n && last(&ra)->kind == SSEKIT_EVENT_DONE);
    CHECK(last(&rb)->kind == SSEKIT_EVENT_DONE && !strcmp(last(&rb)->data, expect));
    CHECKF(switches >= 2, "%zu switches: the streams did not interleave", switches);
    ssekit_client_free(c);
    recs_free(&ra);
    recs_free(&rb);
    recs_free(&ref);
    free(expect);
}

/* A foreign loop: select() on the client's descriptors, then perform(). */
static void test_foreign_loop(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy", base);
    recs r = {0};
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = {.url = url, .callback = cb_record, .user = &r};
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    int active = 1, rounds = 0;
    uint64_t end = now_ms() + 5000;
    while (active && now_ms() < end) {
        fd_set rd, wr, ex;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        int maxfd = -1;
        long t = -1;
        CHECK(ssekit_client_fdset(c, &rd, &wr, &ex, &maxfd) == SSEKIT_OK);
        CHECK(ssekit_client_timeout(c, &t) == SSEKIT_OK);
        struct timeval tv = {0, (t < 0 || t > 100 ? 100 : t) * 1000};
        select(maxfd + 1, &rd, &wr, &ex, &tv);
        CHECK(ssekit_client_perform(c, &active) == SSEKIT_OK);
        rounds++;
    }
    CHECK(active == 0);
    CHECK(r.n >= 3 && r.v[0].kind == SSEKIT_EVENT_START && last(&r)->kind == SSEKIT_EVENT_DONE);
    recs ref = {0};
    reference_events("raw_deploy", &ref);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == ref.n);
    recs_free(&ref);
    ssekit_client_free(c);
    recs_free(&r);
}

static int cb_stop_after_open(void *user, const ssekit_event *ev)
{
    record(user, ev);
    return ev->kind == SSEKIT_EVENT_OPEN;
}

static void test_callback_stop_and_misuse(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy?fault=delay-ms%%3D20", base);
    recs r = {0};
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = {.url = url, .callback = cb_stop_after_open, .user = &r};
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    CHECK(ssekit_client_run(c, 5000) == SSEKIT_OK);
    CHECK(last(&r) && last(&r)->kind == SSEKIT_EVENT_ERROR &&
          last(&r)->category == SSEKIT_ERROR_CANCELED);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 0);
    const char *bad[] = {"No colon here"};
    ssekit_request rb = {.url = url, .headers = bad, .header_count = 1};
    CHECK(ssekit_stream_open(c, &rb, &s) == SSEKIT_E_INVALID);
    const char *crlf[] = {"X-A: b\r\nX-Evil: 1"};
    rb.headers = crlf;
    CHECK(ssekit_stream_open(c, &rb, &s) == SSEKIT_E_INVALID);
    ssekit_request nourl = {0};
    CHECK(ssekit_stream_open(c, &nourl, &s) == SSEKIT_E_INVALID);
    const ssekit_event *ev;
    CHECK(ssekit_client_next(c, &ev, 0) == SSEKIT_E_STATE); /* nothing to pull */
    CHECK(ssekit_stream_next(NULL, &ev, 0) == SSEKIT_E_INVALID);
    ssekit_client_free(c);
    recs_free(&r);
}

int main(void)
{
    srv = replay_fixture_start();
    snprintf(base, sizeof base, "%s", ssekit_replay_url(srv));

    test_structured_pull_and_callbacks();
    test_retry_503();
    test_retry_after_429();
    test_no_retry_400();
    test_connect_error();
    test_reconnect();
    test_idle_deadline();
    test_cancel();
    test_backpressure();
    test_two_streams_client_next();
    test_foreign_loop();
    test_callback_stop_and_misuse();

    ssekit_replay_stop(srv);
    curl_global_cleanup();
    return check_done("test_client");
}
