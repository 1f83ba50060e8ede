/* Metrics: histograms and quantiles; the Prometheus text checked line by line
 * with strict regular expressions; the client's counters against what the
 * replay server and the events say happened; the audit file (JSON lines,
 * never a key). */
#include <curl/curl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "check.h"
#include "replay_fixture.h"
#include "replay.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;

static void test_histogram(void)
{
    ssekit_histogram h = {0};
    CHECK(ssekit_histogram_quantile(&h, 0.5) == 0);
    for (uint64_t ms = 1; ms <= 100; ms++)
        ssekit_histogram_observe(&h, ms);
    CHECK(h.count == 100 && h.sum_ms == 5050 && h.max_ms == 100);
    CHECK(h.bucket[0] == 5 && h.bucket[1] == 5 && h.bucket[2] == 15 && h.bucket[4] == 50);
    uint64_t p50 = ssekit_histogram_quantile(&h, 0.5), p99 = ssekit_histogram_quantile(&h, 0.99);
    CHECKF(p50 >= 45 && p50 <= 55, "p50 %llu", (unsigned long long)p50);
    CHECKF(p99 >= 95 && p99 <= 100, "p99 %llu", (unsigned long long)p99);
    ssekit_histogram_observe(&h, 1000000); /* +Inf bucket */
    CHECK(h.bucket[SSEKIT_METRICS_BUCKETS] == 1);
    CHECK(ssekit_histogram_quantile(&h, 1.0) == 1000000);
}

/* Every line must be a HELP, a TYPE or a sample of the metric the last TYPE
 * named; histogram buckets cumulative, ending in +Inf == _count. */
static void check_prometheus(const char *text)
{
    regex_t help, type, sample;
    REQUIRE(!regcomp(&help, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+$", REG_EXTENDED));
    REQUIRE(!regcomp(
        &type, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$",
        REG_EXTENDED));
    REQUIRE(!regcomp(&sample,
                     "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\n]*\")"
                     "(,[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\\\n]*\")*\\})? "
                     "(-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?|\\+Inf|-Inf|NaN)$",
                     REG_EXTENDED));
    char name[128] = "", kind[16] = "";
    double last_bucket = -1;
    size_t lines = 0, samples = 0, types = 0;
    const char *p = text;
    CHECK(text[strlen(text) - 1] == '\n');
    while (*p) {
        const char *e = strchr(p, '\n');
        REQUIRE(e);
        char line[512];
        size_t n = (size_t)(e - p);
        REQUIRE(n < sizeof line);
        memcpy(line, p, n);
        line[n] = 0;
        p = e + 1;
        lines++;
        regmatch_t m[8];
        if (!regexec(&help, line, 8, m, 0))
            continue;
        if (!regexec(&type, line, 8, m, 0)) {
            snprintf(name, sizeof name, "%.*s", (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
            snprintf(kind, sizeof kind, "%.*s", (int)(m[2].rm_eo - m[2].rm_so), line + m[2].rm_so);
            last_bucket = -1;
            types++;
            continue;
        }
        CHECKF(!regexec(&sample, line, 8, m, 0), "not a sample line: '%s'", line);
        samples++;
        size_t nl = strlen(name);
        CHECKF(!strncmp(line, name, nl), "'%s' under TYPE %s", line, name);
        const char *rest = line + nl;
        if (!strcmp(kind, "counter"))
            CHECKF(*rest == ' ' || *rest == '{', "counter sample '%s'", line);
        if (!strcmp(kind, "histogram")) {
            double v = strtod(strrchr(line, ' ') + 1, NULL);
            if (!strncmp(rest, "_bucket{le=\"", 12)) {
                CHECKF(v >= last_bucket, "cumulative buckets: %s", line);
                last_bucket = v;
            } else if (!strncmp(rest, "_count ", 7)) {
                CHECKF(v == last_bucket, "+Inf bucket == count: %s", line);
            } else {
                CHECKF(!strncmp(rest, "_sum ", 5), "histogram sample '%s'", line);
            }
        }
    }
    CHECK(types == 11 && samples > 40 && lines > 60);
    regfree(&help);
    regfree(&type);
    regfree(&sample);
}

typedef struct tally {
    unsigned sse, done, errors, retries;
    int64_t tokens;
} tally;

static int on_ev(void *user, const ssekit_event *ev)
{
    tally *t = user;
    t->sse += ev->kind == SSEKIT_EVENT_SSE;
    t->done += ev->kind == SSEKIT_EVENT_DONE;
    t->errors += ev->kind == SSEKIT_EVENT_ERROR;
    t->retries += ev->kind == SSEKIT_EVENT_RETRY;
    if (ev->kind == SSEKIT_EVENT_DONE)
        t->tokens += ev->usage.total_tokens;
    return 0;
}

static const char chat_body[] =
    "{\"model\": \"gpt-4o\", \"stream\": true, \"messages\": [{\"role\": \"user\", "
    "\"content\": \"review\"}]}";

static void test_client_metrics_and_audit(void)
{
    char path[] = "/tmp/ssekit_audit_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    close(fd);
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    REQUIRE(ssekit_client_set_audit(c, path, SSEKIT_AUDIT_EVENTS) == SSEKIT_OK);
    char chat[256], raw[256];
    snprintf(chat, sizeof chat, "%s/v1/chat/completions", ssekit_replay_url(srv));
    snprintf(raw, sizeof raw, "%s/v1/raw/raw_deploy?api_key=SECRET-Q", ssekit_replay_url(srv));
    const char *h_ok[] = {"Authorization: Bearer sk-SECRET-1", "X-Replay-Key: m0"};
    const char *h_503[] = {"x-api-key: SECRET-2", "X-Replay-Key: m1",
                           "X-Replay-Fault: status=503;times=1"};
    const char *h_400[] = {"X-Replay-Key: m2", "X-Replay-Fault: status=400"};
    struct {
        const char *url;
        const char *const *h;
        size_t nh;
        int decode;
    } spec[] = {{chat, h_ok, 2, 1}, {chat, h_503, 3, 1}, {chat, h_400, 2, 1}, {raw, NULL, 0, 0}};
    tally t = {0};
    for (size_t i = 0; i < 4; i++) {
        ssekit_request rq = {0};
        rq.url = spec[i].url;
        rq.headers = spec[i].h;
        rq.header_count = spec[i].nh;
        if (spec[i].decode) {
            rq.body = chat_body;
            rq.body_len = sizeof chat_body - 1;
            rq.decode = 1;
            rq.provider = SSEKIT_PROVIDER_OPENAI;
        }
        rq.retry.max_retries = 2;
        rq.retry.base_delay_ms = 10;
        rq.callback = on_ev;
        rq.user = &t;
        ssekit_stream *s;
        REQUIRE(ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    }
    CHECK(ssekit_client_run(c, 10000) == SSEKIT_OK);
    ssekit_metrics m;
    CHECK(ssekit_client_metrics(c, &m) == SSEKIT_OK);
    CHECK(t.done == 3 && t.errors == 1 && t.retries == 1);
    CHECK(m.streams == 4 && m.done == 3 && m.failed == 1);
    CHECK(m.errors[SSEKIT_ERROR_HTTP] == 1 && m.errors[SSEKIT_ERROR_TRANSPORT] == 0);
    CHECK(m.retries == 1);
    CHECKF(m.events == t.sse, "events %llu vs %u", (unsigned long long)m.events, t.sse);
    CHECK(m.total_tokens == (uint64_t)t.tokens && t.tokens > 0);
    CHECK(m.ttft.count == 3 && m.total.count == 4);
    /* Requests and bytes as the server saw them. */
    size_t n;
    ssekit_replay_request *log = ssekit_replay_requests(srv, &n);
    CHECK(m.requests == n && n == 5); /* m1 twice */
    ssekit_replay_requests_free(log);
    CHECK(m.bytes > 2 * 3000);
    char *text = NULL;
    size_t len = 0;
    CHECK(ssekit_metrics_prometheus(&m, NULL, &text, &len, NULL) == SSEKIT_OK);
    REQUIRE(text && strlen(text) == len);
    check_prometheus(text);
    CHECK(strstr(text, "ssekit_requests_total 5\n"));
    CHECK(strstr(text, "ssekit_errors_total{category=\"http\"} 1\n"));
    CHECK(strstr(text, "ssekit_duration_seconds_count 4\n"));
    free(text);
    CHECK(ssekit_metrics_prometheus(&m, "9bad", &text, &len, NULL) == SSEKIT_E_INVALID);
    CHECK(ssekit_metrics_prometheus(&m, "app:llm", &text, &len, NULL) == SSEKIT_OK);
    check_prometheus(text);
    free(text);
    ssekit_client_free(c); /* closes the audit file */

    /* The audit file: JSON lines, no secret. */
    size_t alen;
    char *audit = check_read_file(path, &alen);
    REQUIRE(audit);
    CHECK(!strstr(audit, "SECRET"));
    CHECK(strstr(audit, "Authorization: [redacted]") && strstr(audit, "x-api-key: [redacted]"));
    CHECK(strstr(audit, "api_key=[redacted]"));
    unsigned req = 0, evs = 0, ok = 0, bad = 0;
    for (char *line = strtok(audit, "\n"); line; line = strtok(NULL, "\n")) {
        char eb[128];
        yajl_val v = yajl_tree_parse(line, eb, sizeof eb);
        CHECKF(v && YAJL_IS_OBJECT(v), "audit line is JSON: %s", eb);
        if (!v)
            continue;
        const char *tp[] = {"type", NULL}, *okp[] = {"ok", NULL};
        const char *type = YAJL_GET_STRING(yajl_tree_get(v, tp, yajl_t_string));
        req += type && !strcmp(type, "request");
        evs += type && !strcmp(type, "event");
        if (type && !strcmp(type, "result")) {
            yajl_val o = yajl_tree_get(v, okp, yajl_t_any);
            ok += YAJL_IS_TRUE(o);
            bad += YAJL_IS_FALSE(o);
        }
        yajl_tree_free(v);
    }
    CHECK(req == 5 && evs == t.sse && ok == 3 && bad == 1);
    free(audit);
    remove(path);
}

int main(void)
{
    test_histogram();
    srv = replay_fixture_start();
    test_client_metrics_and_audit();
    ssekit_replay_stop(srv);
    curl_global_cleanup();
    return check_done("test_metrics");
}
