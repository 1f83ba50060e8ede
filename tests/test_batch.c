/* Batches against the replay server: mixed successes and faults (503 with
 * times=K, 400, a dropped stream, raw SSE) at concurrency 2, results in input
 * order, one failure never aborting the rest, the summary, and the batch
 * deadline. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "replay_fixture.h"
#include "replay.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;
static char chat_url[256], raw_url[256];

static const char chat_body[] =
    "{\"model\": \"gpt-4o\", \"stream\": true, \"messages\": [{\"role\": \"user\", "
    "\"content\": \"review\"}], \"response_format\": {\"type\": \"json_schema\", "
    "\"json_schema\": {\"name\": \"review\", \"schema\": {\"type\": \"object\"}}}}";

typedef struct item_spec {
    const char *hdr[2];
    int raw;
} item_spec;

static void make(ssekit_request *rq, item_spec *sp)
{
    memset(rq, 0, sizeof *rq);
    rq->url = sp->raw ? raw_url : chat_url;
    rq->headers = sp->hdr;
    rq->header_count = sp->hdr[1] ? 2 : 1;
    if (!sp->raw) {
        rq->body = chat_body;
        rq->body_len = sizeof chat_body - 1;
        rq->decode = 1;
        rq->provider = SSEKIT_PROVIDER_OPENAI;
    }
    rq->retry.max_retries = 3;
    rq->retry.base_delay_ms = 10;
    rq->retry.max_delay_ms = 40;
}

static void test_mixed(void)
{
    enum { N = 7 };
    item_spec sp[N] = {
        {{"X-Replay-Key: b0", NULL}, 0},
        {{"X-Replay-Key: b1", "X-Replay-Fault: status=503;times=2"}, 0},
        {{"X-Replay-Key: b2", "X-Replay-Fault: status=400"}, 0},
        {{"X-Replay-Key: b3", "X-Replay-Fault: drop-after=3"}, 0},
        {{"X-Replay-Key: b4", NULL}, 1},
        {{"X-Replay-Key: b5", "X-Replay-Fault: status=503;times=9"}, 0},
        {{"X-Replay-Key: b6", NULL}, 0},
    };
    ssekit_request rq[N];
    for (int i = 0; i < N; i++)
        make(&rq[i], &sp[i]);
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    ssekit_batch_item it[N];
    ssekit_batch_summary sum;
    CHECK(ssekit_batch_run(c, rq, N, 2, 20000, it, &sum) == SSEKIT_OK);
    /* The reference value: the same request alone. */
    CHECK(it[0].ok && it[0].value_type && !strcmp(it[0].value_type, "json"));
    CHECK(it[0].value && it[0].value[0] == '{');
    CHECK(it[6].ok && it[6].value && !strcmp(it[6].value, it[0].value));
    CHECK(it[0].has_ttft && it[0].ttft_ms <= it[0].latency_ms);
    CHECK(it[0].usage.total_tokens > 0 && it[0].finish_reason);
    CHECK(it[0].requests == 1 && it[0].retries == 0);
    CHECK(it[1].ok && it[1].retries == 2 && it[1].requests == 3);
    CHECK(it[1].value && !strcmp(it[1].value, it[0].value));
    CHECK(!it[2].ok && it[2].category == SSEKIT_ERROR_HTTP && it[2].http_status == 400);
    CHECK(it[2].retries == 0 && it[2].requests == 1 && it[2].message);
    CHECK(it[2].value && strstr(it[2].value, "error")); /* the error body */
    CHECKF(!it[3].ok && it[3].category == SSEKIT_ERROR_TRANSPORT, "drop: %s", it[3].message);
    CHECK(it[3].events == 3);
    CHECK(it[4].ok && it[4].events == 15 && !it[4].value);
    CHECK(!it[5].ok && it[5].category == SSEKIT_ERROR_HTTP && it[5].http_status == 503);
    CHECK(it[5].retries == 3 && it[5].requests == 4);
    CHECK(sum.items == N && sum.ok == 4 && sum.failed == 3);
    CHECK(sum.retries == 5 && sum.requests == 1 + 3 + 1 + 1 + 1 + 4 + 1);
    CHECK(sum.error_rate > 0.42 && sum.error_rate < 0.43);
    CHECK(sum.retry_rate > 0.41 && sum.retry_rate < 0.42); /* 5 / 12 */
    CHECK(sum.latency_p50_ms <= sum.latency_p95_ms && sum.latency_p95_ms <= sum.latency_p99_ms);
    CHECK(sum.latency_p99_ms == sum.latency_max_ms); /* 7 items: rank 7 */
    CHECK(sum.total_tokens == it[0].usage.total_tokens * 3);
    CHECK(sum.wall_ms >= sum.latency_max_ms);
    /* Every request the items count reached the server. */
    size_t n;
    ssekit_replay_request *log = ssekit_replay_requests(srv, &n);
    size_t keyed = 0;
    for (size_t i = 0; i < n; i++)
        keyed += log[i].key && log[i].key[0] == 'b';
    CHECK(keyed == sum.requests);
    ssekit_replay_requests_free(log);
    ssekit_batch_items_free(c, it, N);
    CHECK(it[0].value == NULL);
    CHECK(ssekit_client_active(c) == 0);
    ssekit_client_free(c);
}

static void test_deadline(void)
{
    enum { N = 3 };
    item_spec sp[N] = {
        {{"X-Replay-Key: d0", "X-Replay-Fault: stall=5"}, 1},
        {{"X-Replay-Key: d1", NULL}, 1},
        {{"X-Replay-Key: d2", NULL}, 1},
    };
    ssekit_request rq[N];
    for (int i = 0; i < N; i++)
        make(&rq[i], &sp[i]);
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    ssekit_batch_item it[N];
    ssekit_batch_summary sum;
    CHECK(ssekit_batch_run(c, rq, N, 1, 300, it, &sum) == SSEKIT_OK);
    CHECKF(!it[0].ok && it[0].category == SSEKIT_ERROR_TIMEOUT, "%s", it[0].message);
    CHECK(it[0].latency_ms >= 250 && it[0].latency_ms < 2000);
    for (int i = 1; i < N; i++) {
        CHECK(!it[i].ok && it[i].category == SSEKIT_ERROR_TIMEOUT && it[i].requests == 0);
        CHECK(it[i].message && !strcmp(it[i].message, "batch deadline reached"));
    }
    CHECK(sum.wall_ms < 2000);
    CHECK(sum.failed == N);
    ssekit_batch_items_free(c, it, N);
    /* Empty and invalid batches. */
    CHECK(ssekit_batch_run(c, NULL, 0, 2, 0, NULL, &sum) == SSEKIT_OK && sum.items == 0);
    CHECK(ssekit_batch_run(NULL, rq, 1, 1, 0, it, NULL) == SSEKIT_E_INVALID);
    CHECK(ssekit_batch_run(c, NULL, 1, 1, 0, it, NULL) == SSEKIT_E_INVALID);
    ssekit_client_free(c);
}

static void test_summarize(void)
{
    ssekit_batch_item v[100];
    memset(v, 0, sizeof v);
    for (int i = 0; i < 100; i++) {
        v[i].ok = i % 10 != 0;
        v[i].requests = 1;
        v[i].latency_ms = (uint64_t)(100 - i); /* 1..100 in reverse */
    }
    ssekit_batch_summary s;
    CHECK(ssekit_batch_summarize(v, 100, &s, NULL) == SSEKIT_OK);
    CHECK(s.latency_p50_ms == 50 && s.latency_p95_ms == 95 && s.latency_p99_ms == 99);
    CHECK(s.failed == 10 && s.error_rate == 0.1 && s.retry_rate == 0);
}

int main(void)
{
    (void)check_read_file;
    test_summarize();
    srv = replay_fixture_start();
    snprintf(chat_url, sizeof chat_url, "%s/v1/chat/completions", ssekit_replay_url(srv));
    snprintf(raw_url, sizeof raw_url, "%s/v1/raw/raw_deploy", ssekit_replay_url(srv));
    test_mixed();
    test_deadline();
    ssekit_replay_stop(srv);
    curl_global_cleanup();
    return check_done("test_batch");
}
