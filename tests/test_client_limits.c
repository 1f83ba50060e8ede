/* Per-request parsing limits (ssekit_request.limits, parse_limits.h) against the
 * replay server: each limit, exceeded by the peer, ends the stream with an
 * ERROR of category parse whose status names it, after the events before it
 * intact; a zero limit is the default; retries and reconnects keep the
 * limits; presets carry them; a bare result takes them too.
 *
 * Two servers: the bundled transcripts (real provider streams), and one
 * serving transcripts this test writes into a temporary directory, so that
 * the size of every line, event and envelope is known here. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "event_record.h"
#include "replay.h"
#include "replay_fixture.h"
#include "ssekit/ssekit.h"

static ssekit_replay *bundled, *custom;
static char bundled_url[128], custom_url[128];

/* Opens `rq` on a new client and records every event until the stream ends
 * (30 s at most). Returns ssekit_stream_open()'s status. */
static int run(const ssekit_request *rq, recs *out)
{
    ssekit_client *c = ssekit_client_new(NULL);
    REQUIRE(c);
    ssekit_stream *s;
    int rc = ssekit_stream_open(c, rq, &s);
    if (rc == SSEKIT_OK) {
        const ssekit_event *ev;
        time_t end = time(NULL) + 30;
        int r;
        while ((r = ssekit_stream_next(s, &ev, 200)) >= 0 && time(NULL) < end)
            if (r == 1)
                record(out, ev);
    }
    ssekit_client_free(c);
    return rc;
}

/* The stream ended with an ERROR of category parse and status `status`
 * whose message contains `what` and the limit's value. */
static void check_limit_error(const recs *r, int status, const char *what, size_t limit,
                              const char *label)
{
    const rec *e = last(r);
    char lim[32];
    snprintf(lim, sizeof lim, "%zu", limit);
    CHECKF(e && e->kind == SSEKIT_EVENT_ERROR, "%s: last event %d", label, e ? (int)e->kind : -1);
    if (!e || e->kind != SSEKIT_EVENT_ERROR)
        return;
    CHECKF(e->category == SSEKIT_ERROR_PARSE, "%s: category %s", label,
           ssekit_error_category_name(e->category));
    CHECKF(e->status == status, "%s: status %s, want %s", label, ssekit_status_name(e->status),
           ssekit_status_name(status));
    CHECKF(e->http_status == 200, "%s: http %d", label, e->http_status);
    CHECKF(e->message && strstr(e->message, what) && strstr(e->message, lim),
           "%s: message '%s' (want '%s', %s)", label, e->message ? e->message : "(null)", what,
           lim);
    CHECKF(count_kind(r, SSEKIT_EVENT_DONE) == 0, "%s: a DONE too", label);
    CHECKF(count_kind(r, SSEKIT_EVENT_ERROR) == 1, "%s: errors", label);
}

/* Runs `rq`: the stream must end with DONE. */
static void check_done_run(const ssekit_request *rq, const char *label)
{
    recs r = {0};
    CHECKF(run(rq, &r) == SSEKIT_OK, "%s: open", label);
    const rec *e = last(&r);
    CHECKF(e && e->kind == SSEKIT_EVENT_DONE, "%s: last event %d", label, e ? (int)e->kind : -1);
    recs_free(&r);
}

/* Runs `rq`: the stream must end with the limit's error (check_limit_error). */
static void check_limit_run(const ssekit_request *rq, int status, const char *what, size_t limit,
                            const char *label)
{
    recs r = {0};
    CHECKF(run(rq, &r) == SSEKIT_OK, "%s: open", label);
    check_limit_error(&r, status, what, limit, label);
    recs_free(&r);
}

/* The text of every TEXT delta of output 0, joined. */
static char *delta_text(const recs *r, size_t *len)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].kind == SSEKIT_EVENT_DELTA && r->v[i].delta_kind == SSEKIT_DELTA_TEXT &&
            r->v[i].index == 0)
            n += r->v[i].len;
    char *t = malloc(n + 1);
    REQUIRE(t);
    n = 0;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].kind == SSEKIT_EVENT_DELTA && r->v[i].delta_kind == SSEKIT_DELTA_TEXT &&
            r->v[i].index == 0) {
            memcpy(t + n, r->v[i].data, r->v[i].len);
            n += r->v[i].len;
        }
    t[n] = 0;
    *len = n;
    return t;
}

/* Deepest nesting of arrays and objects in JSON text (strings skipped). */
static size_t json_depth(const char *s, size_t n)
{
    size_t d = 0, max = 0;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (in_str) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_str = 0;
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '{' || ch == '[') {
            if (++d > max)
                max = d;
        } else if (ch == '}' || ch == ']') {
            d--;
        }
    }
    return max;
}

/* --- the transcripts written here ---------------------------------------------- */

static char dir[64];

static void write_file(const char *name, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    REQUIRE(fputs(text, f) >= 0);
    REQUIRE(fclose(f) == 0);
}

static char *repeat(char ch, size_t n)
{
    char *p = malloc(n + 1);
    REQUIRE(p);
    memset(p, ch, n);
    p[n] = 0;
    return p;
}

/* An OpenAI chat chunk carrying `content` (already JSON-escaped), with an
 * optional extra member. */
static void chunk(char *out, size_t cap, const char *content, const char *extra)
{
    snprintf(out, cap,
             "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",%s\"choices\":"
             "[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}\n\n",
             extra ? extra : "", content);
}

static const char finish_chunk[] =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":"
    "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";

static char *big_event; /* data of raw event 3: 200 'c' */

static void write_transcripts(void)
{
    strcpy(dir, "/tmp/ssekit_limits_XXXXXX");
    REQUIRE(mkdtemp(dir));
    static char text[8192];

    /* raw: 10-, 20-, 200- and 1-byte events */
    big_event = repeat('c', 200);
    snprintf(text, sizeof text,
             "id: 1\ndata: aaaaaaaaaa\n\nid: 2\ndata: bbbbbbbbbbbbbbbbbbbb\n\n"
             "id: 3\ndata: %s\n\nid: 4\ndata: d\n\n",
             big_event);
    write_file("lim_raw.sse", text);

    /* raw: an event of five 50-byte lines (250 bytes), then one 300-byte line */
    char *l50 = repeat('e', 50), *l300 = repeat('f', 300);
    snprintf(text, sizeof text,
             "id: 1\ndata: short\n\nid: 2\ndata: %s\ndata: %s\ndata: %s\ndata: %s\ndata: %s\n\n"
             "id: 3\ndata: %s\n\n",
             l50, l50, l50, l50, l50, l300);
    write_file("lim_line.sse", text);
    free(l50);
    free(l300);

    /* OpenAI: {"a": "x" * 1500}; one envelope of about 1.6 KB */
    char c1[512], c2[2048], c3[512];
    char *x = repeat('x', 1500);
    chunk(c1, sizeof c1, "{\\\"a\\\":", NULL);
    char big[1600];
    snprintf(big, sizeof big, "\\\"%s\\\"", x);
    chunk(c2, sizeof c2, big, NULL);
    chunk(c3, sizeof c3, "}", NULL);
    snprintf(text, sizeof text, "%s%s%s%s", c1, c2, c3, finish_chunk);
    write_file("lim_env.sse", text);
    free(x);

    /* OpenAI: the second envelope carries a member nested 30 deep */
    char deep[128] = "\"x\":", *w = deep + strlen(deep);
    for (int i = 0; i < 30; i++)
        *w++ = '[';
    for (int i = 0; i < 30; i++)
        *w++ = ']';
    strcpy(w, ",");
    chunk(c1, sizeof c1, "{\\\"ok\\\":", NULL);
    chunk(c2, sizeof c2, "true", deep);
    chunk(c3, sizeof c3, "}", NULL);
    snprintf(text, sizeof text, "%s%s%s%s", c1, c2, c3, finish_chunk);
    write_file("lim_deep.sse", text);
}

static void remove_transcripts(void)
{
    const char *names[] = {"lim_raw.sse", "lim_line.sse", "lim_env.sse", "lim_deep.sse"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* --- requests ------------------------------------------------------------------ */

static char url_buf[4][256];
static const char *hdr_buf[4][4];

/* A raw GET of transcript `name` on the custom server. */
static ssekit_request raw_request(int slot, const char *name)
{
    ssekit_request rq = {0};
    snprintf(url_buf[slot], sizeof url_buf[slot], "%s/v1/raw/%s", custom_url, name);
    rq.url = url_buf[slot];
    rq.retry.max_retries = 0;
    rq.retry.base_delay_ms = 1; /* no retries unless a test asks */
    return rq;
}

/* A decode (OpenAI) request; `transcript` NULL: the bundled structured one. */
static ssekit_request chat_request(int slot, const char *server, const char *transcript)
{
    ssekit_request rq = {0};
    snprintf(url_buf[slot], sizeof url_buf[slot], "%s/v1/chat/completions%s%s", server,
             transcript ? "?transcript=" : "", transcript ? transcript : "");
    rq.url = url_buf[slot];
    hdr_buf[slot][0] = "Content-Type: application/json";
    rq.headers = hdr_buf[slot];
    rq.header_count = 1;
    rq.body = "{\"model\":\"m\",\"stream\":true,\"messages\":[]}";
    rq.body_len = strlen(rq.body);
    rq.decode = 1;
    rq.provider = SSEKIT_PROVIDER_OPENAI;
    rq.retry.max_retries = 0;
    rq.retry.base_delay_ms = 1;
    return rq;
}

/* --- the tests ------------------------------------------------------------------- */

static void test_max_event(void)
{
    recs r = {0};
    ssekit_request rq = raw_request(0, "lim_raw");
    rq.limits.sse_max_event = 100;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 2);
    int k = 0;
    for (size_t i = 0; i < r.n; i++) {
        if (r.v[i].kind != SSEKIT_EVENT_SSE)
            continue;
        const char *want = k == 0 ? "aaaaaaaaaa" : "bbbbbbbbbbbbbbbbbbbb";
        CHECKF(!strcmp(r.v[i].data, want), "event %d: '%s'", k, r.v[i].data);
        CHECK(!strcmp(r.v[i].id, k == 0 ? "1" : "2"));
        k++;
    }
    check_limit_error(&r, SSEKIT_E_EVENT_TOO_LARGE, "SSE event", 100, "max_event");
    recs_free(&r);

    /* a limit above the event: the whole stream */
    rq.limits.sse_max_event = 300;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 4);
    const rec *third = NULL;
    for (size_t i = 0, k = 0; i < r.n; i++)
        if (r.v[i].kind == SSEKIT_EVENT_SSE && ++k == 3)
            third = &r.v[i];
    CHECK(third && !strcmp(third->data, big_event));
    CHECK(last(&r) && last(&r)->kind == SSEKIT_EVENT_DONE);
    recs_free(&r);
}

static void test_max_line(void)
{
    recs r = {0};
    ssekit_request rq = raw_request(0, "lim_line");
    rq.limits.sse_max_line = 100; /* event 2 has 250 bytes in 50-byte lines: fine */
    CHECK(run(&rq, &r) == SSEKIT_OK);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 2);
    const rec *e2 = NULL;
    for (size_t i = 0; i < r.n; i++)
        if (r.v[i].kind == SSEKIT_EVENT_SSE)
            e2 = &r.v[i];
    CHECK(e2 && e2->len == 5 * 50 + 4 && e2->data[50] == '\n' && e2->data[0] == 'e' &&
          e2->data[e2->len - 1] == 'e');
    check_limit_error(&r, SSEKIT_E_LINE_TOO_LONG, "SSE line", 100, "max_line");
    recs_free(&r);

    /* the event limit alone catches event 2 (250 bytes) instead */
    rq.limits.sse_max_line = 0;
    rq.limits.sse_max_event = 200;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 1);
    check_limit_error(&r, SSEKIT_E_EVENT_TOO_LARGE, "SSE event", 200, "max_event line");
    recs_free(&r);
}

static void test_envelope(void)
{
    recs r = {0};
    ssekit_request rq = chat_request(0, custom_url, "lim_env");
    CHECK(run(&rq, &r) == SSEKIT_OK); /* defaults: the answer */
    const rec *d = last(&r);
    char *x = repeat('x', 1500);
    char want[1600];
    snprintf(want, sizeof want, "{\"a\":\"%s\"}", x);
    CHECKF(d && d->kind == SSEKIT_EVENT_DONE && d->data && !strcmp(d->data, want), "%s",
           d && d->message ? d->message : "");
    recs_free(&r);

    rq.limits.envelope_max_size = 1000;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    size_t n;
    char *t = delta_text(&r, &n);
    CHECKF(!strcmp(t, "{\"a\":"), "text before: '%s'", t); /* the first chunk's delta */
    free(t);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 2); /* the big one was framed, not decoded */
    check_limit_error(&r, SSEKIT_E_TOO_LARGE, "envelope", 1000, "envelope size");
    recs_free(&r);

    /* the same bytes against the output's string and text limits */
    rq.limits.envelope_max_size = 0;
    rq.limits.json_max_string = 1000;
    check_limit_run(&rq, SSEKIT_E_TOO_LARGE, "string", 1000, "json string");
    rq.limits.json_max_string = 1500; /* exactly the string: accepted */
    check_done_run(&rq, "json string = the string");

    rq.limits.json_max_string = 0;
    rq.limits.json_max_bytes = 1000;
    check_limit_run(&rq, SSEKIT_E_TOO_LARGE, "text", 1000, "json bytes");
    free(x);

    /* depth of an envelope */
    rq = chat_request(0, custom_url, "lim_deep");
    CHECK(run(&rq, &r) == SSEKIT_OK);
    CHECK(last(&r) && last(&r)->kind == SSEKIT_EVENT_DONE &&
          !strcmp(last(&r)->data, "{\"ok\":true}"));
    recs_free(&r);
    rq.limits.envelope_max_depth = 10;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    t = delta_text(&r, &n);
    CHECKF(!strcmp(t, "{\"ok\":"), "text before: '%s'", t);
    free(t);
    check_limit_error(&r, SSEKIT_E_TOO_DEEP, "envelope", 10, "envelope depth");
    recs_free(&r);
    rq.limits.envelope_max_depth = 40; /* the envelope is 30 + 4 deep */
    check_done_run(&rq, "envelope depth 40");
}

/* The bundled structured answer: its depth and size, measured on a run with
 * the default limits, bound the limits that pass and those that do not. */
static void test_json_limits(void)
{
    recs r = {0};
    ssekit_request rq = chat_request(0, bundled_url, NULL);
    CHECK(run(&rq, &r) == SSEKIT_OK);
    const rec *d = last(&r);
    REQUIRE(d && d->kind == SSEKIT_EVENT_DONE && d->data);
    size_t full_len;
    char *full = delta_text(&r, &full_len);
    size_t depth = json_depth(full, full_len);
    CHECKF(depth >= 2, "depth %zu", depth);
    recs_free(&r);

    /* zero limits are the defaults; explicit defaults give the same */
    ssekit_limits defaults = {
        SSEKIT_SSE_DEFAULT_MAX_LINE,         SSEKIT_SSE_DEFAULT_MAX_EVENT,
        SSEKIT_DECODER_DEFAULT_MAX_ENVELOPE, SSEKIT_DECODER_DEFAULT_MAX_DEPTH,
        SSEKIT_PARTIAL_DEFAULT_MAX_DEPTH,    SSEKIT_RESULT_DEFAULT_MAX_TEXT,
        SSEKIT_PARTIAL_DEFAULT_MAX_STRING,   SSEKIT_RESULT_DEFAULT_MAX_OUTPUTS};
    rq.limits = defaults;
    check_done_run(&rq, "explicit defaults");

    /* depth: exactly the answer's passes, one less fails */
    memset(&rq.limits, 0, sizeof rq.limits);
    rq.limits.json_max_depth = depth;
    check_done_run(&rq, "json depth = the answer's");
    rq.limits.json_max_depth = depth - 1;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    size_t n;
    char *t = delta_text(&r, &n);
    CHECK(n < full_len && !memcmp(t, full, n)); /* the deltas before are intact */
    free(t);
    check_limit_error(&r, SSEKIT_E_TOO_DEEP, "nested deeper", depth - 1, "json depth");
    recs_free(&r);

    /* bytes: exactly the answer's text passes, one byte less fails */
    rq.limits.json_max_depth = 0;
    rq.limits.json_max_bytes = full_len;
    check_done_run(&rq, "json bytes = the answer's");
    rq.limits.json_max_bytes = full_len - 1;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    t = delta_text(&r, &n);
    CHECK(n <= full_len && !memcmp(t, full, n));
    free(t);
    check_limit_error(&r, SSEKIT_E_TOO_LARGE, "text", full_len - 1, "json bytes");
    recs_free(&r);

    /* strings: one byte is too short for any */
    rq.limits.json_max_bytes = 0;
    rq.limits.json_max_string = 1;
    check_limit_run(&rq, SSEKIT_E_TOO_LARGE, "string", 1, "json string");
    free(full);

    /* outputs: the tool-call transcript has two */
    rq = chat_request(0, bundled_url, "openai_chat_tool_calls");
    rq.limits.max_outputs = 2;
    check_done_run(&rq, "max outputs 2");
    rq.limits.max_outputs = 1;
    check_limit_run(&rq, SSEKIT_E_TOO_LARGE, "outputs", 1, "max outputs");

    /* out of range */
    rq.limits.max_outputs = 0;
    rq.limits.json_max_depth = SSEKIT_PARTIAL_MAX_DEPTH_LIMIT + 1;
    CHECK(run(&rq, &r) == SSEKIT_E_INVALID);
    recs_free(&r);
}

static const ssekit_replay_request *find_key(const ssekit_replay_request *log, size_t n,
                                             const char *key, size_t *count)
{
    const ssekit_replay_request *first = NULL;
    *count = 0;
    for (size_t i = 0; i < n; i++)
        if (log[i].key && !strcmp(log[i].key, key)) {
            if (!first)
                first = &log[i];
            ++*count;
        }
    return first;
}

static void test_retry_and_reconnect(void)
{
    recs r = {0};
    size_t n, count;

    /* a 503, a retry, then the oversized event: the retry kept the limit */
    ssekit_request rq = raw_request(0, "lim_raw");
    const char *h1[] = {"X-Replay-Fault: status=503;times=1", "X-Replay-Key: lim-retry"};
    rq.headers = h1;
    rq.header_count = 2;
    rq.retry.max_retries = 2;
    rq.retry.base_delay_ms = 20;
    rq.limits.sse_max_event = 100;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    CHECK(count_kind(&r, SSEKIT_EVENT_RETRY) == 1);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 2);
    check_limit_error(&r, SSEKIT_E_EVENT_TOO_LARGE, "SSE event", 100, "retry max_event");
    recs_free(&r);
    ssekit_replay_request *log = ssekit_replay_requests(custom, &n);
    find_key(log, n, "lim-retry", &count);
    CHECKF(count == 2, "requests %zu", count); /* not retried after the limit */
    ssekit_replay_requests_free(log);

    /* decode: the result made for the retry has the limits too */
    rq = chat_request(1, custom_url, "lim_env");
    const char *h2[] = {"Content-Type: application/json", "X-Replay-Fault: status=503;times=1",
                        "X-Replay-Key: lim-retry-decode"};
    rq.headers = h2;
    rq.header_count = 3;
    rq.retry.max_retries = 2;
    rq.retry.base_delay_ms = 20;
    rq.limits.envelope_max_size = 1000;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    CHECK(count_kind(&r, SSEKIT_EVENT_RETRY) == 1);
    check_limit_error(&r, SSEKIT_E_TOO_LARGE, "envelope", 1000, "retry envelope");
    recs_free(&r);

    /* a cut after event 1, a reconnect with Last-Event-ID 1, event 2, then
     * the oversized event 3 on the new connection */
    rq = raw_request(2, "lim_raw");
    const char *h3[] = {"X-Replay-Fault: drop-after=1;times=1", "X-Replay-Key: lim-reconnect"};
    rq.headers = h3;
    rq.header_count = 2;
    rq.reconnect = 1;
    rq.reconnect_ms = 20;
    rq.limits.sse_max_event = 100;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    CHECK(count_kind(&r, SSEKIT_EVENT_RECONNECT) == 1);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 2);
    check_limit_error(&r, SSEKIT_E_EVENT_TOO_LARGE, "SSE event", 100, "reconnect max_event");
    recs_free(&r);
    log = ssekit_replay_requests(custom, &n);
    const ssekit_replay_request *first = find_key(log, n, "lim-reconnect", &count);
    CHECKF(count == 2, "requests %zu", count);
    if (first && count == 2) {
        const ssekit_replay_request *second = NULL;
        for (size_t i = 0; i < n; i++)
            if (log[i].key && !strcmp(log[i].key, "lim-reconnect") && &log[i] != first)
                second = &log[i];
        CHECK(second && second->last_event_id && !strcmp(second->last_event_id, "1"));
    }
    ssekit_replay_requests_free(log);
}

static void test_preset(void)
{
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", bundled_url);
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_OPENAI,
                       .url = url,
                       .no_env = 1,
                       .model = "m",
                       .prompt = "hi",
                       .limits = {.sse_max_event = 64, .json_max_depth = 7}};
    ssekit_request rq;
    char err[256];
    REQUIRE(ssekit_request_build(&p, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    CHECK(rq.limits.sse_max_event == 64 && rq.limits.json_max_depth == 7 &&
          rq.limits.sse_max_line == 0);
    recs r = {0};
    rq.retry.base_delay_ms = 1;
    CHECK(run(&rq, &r) == SSEKIT_OK);
    CHECK(count_kind(&r, SSEKIT_EVENT_SSE) == 0); /* every chunk is over 64 bytes */
    check_limit_error(&r, SSEKIT_E_EVENT_TOO_LARGE, "SSE event", 64, "preset");
    recs_free(&r);
    ssekit_request_clear(&rq, NULL);
}

/* A result fed bytes directly takes the same struct. */
static void test_result(void)
{
    static const char bytes[] = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                                "\"[[[1]]]\"}}]}\n\ndata: [DONE]\n\n";
    ssekit_limits l = {0};
    ssekit_result *r = ssekit_result_new(SSEKIT_PROVIDER_OPENAI, NULL, NULL, NULL);
    REQUIRE(r);
    CHECK(ssekit_result_set_limits(NULL, &l) == SSEKIT_E_INVALID);
    CHECK(ssekit_result_set_limits(r, NULL) == SSEKIT_E_INVALID);
    l.json_max_depth = SSEKIT_PARTIAL_MAX_DEPTH_LIMIT + 1;
    CHECK(ssekit_result_set_limits(r, &l) == SSEKIT_E_INVALID);
    l.json_max_depth = 2;
    CHECK(ssekit_result_set_limits(r, &l) == SSEKIT_OK);
    CHECK(ssekit_result_feed(r, bytes, sizeof bytes - 1) == SSEKIT_OK);
    CHECK(ssekit_result_finish(r) == SSEKIT_E_TOO_DEEP);
    CHECK(ssekit_output_json_status(ssekit_result_output(r, 0)) == SSEKIT_E_TOO_DEEP);
    ssekit_result_free(r);

    /* depth 3 passes; the SSE event limit of the result's own parser */
    r = ssekit_result_new(SSEKIT_PROVIDER_OPENAI, NULL, NULL, NULL);
    REQUIRE(r);
    l.json_max_depth = 3;
    CHECK(ssekit_result_set_limits(r, &l) == SSEKIT_OK);
    CHECK(ssekit_result_feed(r, bytes, sizeof bytes - 1) == SSEKIT_OK);
    CHECK(ssekit_result_finish(r) == SSEKIT_OK);
    ssekit_result_free(r);

    r = ssekit_result_new(SSEKIT_PROVIDER_OPENAI, NULL, NULL, NULL);
    REQUIRE(r);
    l.json_max_depth = 0;
    l.sse_max_event = 20;
    CHECK(ssekit_result_set_limits(r, &l) == SSEKIT_OK);
    CHECK(ssekit_result_feed(r, bytes, sizeof bytes - 1) == SSEKIT_OK);
    CHECK(ssekit_result_first_error(r)->status == SSEKIT_E_EVENT_TOO_LARGE);
    CHECK(ssekit_result_finish(r) != SSEKIT_OK);
    ssekit_result_free(r);
}

int main(void)
{
    (void)check_read_file;
    write_transcripts();
    bundled = replay_fixture_start();
    snprintf(bundled_url, sizeof bundled_url, "%s", ssekit_replay_url(bundled));
    ssekit_replay_options o = {.transcripts_dir = dir};
    custom = replay_fixture_start_with(&o);
    snprintf(custom_url, sizeof custom_url, "%s", ssekit_replay_url(custom));

    test_max_event();
    test_max_line();
    test_envelope();
    test_json_limits();
    test_retry_and_reconnect();
    test_preset();
    test_result();

    ssekit_replay_stop(custom);
    ssekit_replay_stop(bundled);
    curl_global_cleanup();
    remove_transcripts();
    free(big_event);
    return check_done("test_client_limits");
}
