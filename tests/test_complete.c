/* One-call structured completion (complete.h) against the in-process replay
 * server: a valid value from each provider; a schema the bundled answer
 * violates (the repair re-ask and its body in the request log); retries then
 * the fallback model (models read back from the logged bodies); no retry on
 * 400; a dropped stream; a missing key; a caller-given client shared with
 * another stream. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "check.h"
#include "fail_alloc.h"
#include "replay.h"
#include "replay_fixture.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;
static char base[128], base_v1[160];
static char *schema_text; /* the review schema the bundled answers satisfy */
static char *bad_schema;  /* the same with two enums that exclude the answer */

static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    REQUIRE(p);
    size_t n = strlen(s) - strlen(from) + strlen(to);
    char *d = malloc(n + 1);
    REQUIRE(d);
    memcpy(d, s, (size_t)(p - s));
    strcpy(d + (p - s), to);
    strcat(d, p + strlen(from));
    return d;
}

/* The logged request bodies, parsed; the caller frees with logs_free. */
typedef struct logs {
    ssekit_replay_request *rl;
    size_t n;
    yajl_val body[16];
} logs;

static void logs_get(logs *l)
{
    memset(l, 0, sizeof *l);
    l->rl = ssekit_replay_requests(srv, &l->n);
    for (size_t i = 0; i < l->n && i < 16; i++) {
        if (!strcmp(l->rl[i].method, "GET"))
            continue; /* a raw stream */
        l->body[i] = yajl_tree_parse(l->rl[i].body, NULL, 0);
        CHECK(l->body[i] != NULL);
    }
}

static void logs_free(logs *l)
{
    for (size_t i = 0; i < l->n && i < 16; i++)
        yajl_tree_free(l->body[i]);
    ssekit_replay_requests_free(l->rl);
    ssekit_replay_requests_clear(srv);
}

static const char *model_of(const logs *l, size_t i)
{
    const char *path[] = {"model", NULL};
    yajl_val v = i < l->n ? yajl_tree_get(l->body[i], path, yajl_t_string) : NULL;
    return v ? v->u.string : "(none)";
}

/* v[key] as a string, "" when absent */
static const char *sget(yajl_val v, const char *key)
{
    const char *path[] = {key, NULL};
    yajl_val s = v ? yajl_tree_get(v, path, yajl_t_string) : NULL;
    return s ? s->u.string : "";
}

static ssekit_completion_options opts(ssekit_provider pr, const char *schema)
{
    ssekit_completion_options o = {0};
    o.preset.provider = pr;
    o.preset.no_env = 1;
    o.preset.base_url = pr == SSEKIT_PROVIDER_ANTHROPIC ? base : base_v1;
    o.preset.model = "primary-model";
    o.preset.prompt = "Triage this review.";
    o.preset.schema = schema;
    o.retry_delay_ms = 10;
    o.total_timeout_ms = 15000;
    return o;
}

static void test_valid(void)
{
    ssekit_provider prs[] = {SSEKIT_PROVIDER_OPENAI, SSEKIT_PROVIDER_ANTHROPIC,
                             SSEKIT_PROVIDER_RESPONSES};
    char first[4096] = "";
    for (size_t i = 0; i < 3; i++) {
        ssekit_completion_options o = opts(prs[i], schema_text);
        ssekit_completion *c;
        int rc = ssekit_complete(&o, &c);
        CHECKF(rc == SSEKIT_OK, "provider %zu: %d %s", i, rc, c && c->message ? c->message : "");
        REQUIRE(c);
        CHECK(c->status == SSEKIT_OK && c->category == SSEKIT_ERROR_NONE);
        CHECK(c->json && strlen(c->json) == c->json_len && !c->message && !c->raw);
        CHECK(c->requests == 1 && !c->repaired && !c->used_fallback);
        CHECK(!strcmp(c->model, "primary-model"));
        CHECK(c->usage.output_tokens > 0);
        /* the value is the same answer whatever the provider's envelope */
        if (i == 0)
            snprintf(first, sizeof first, "%s", c->json);
        else
            CHECKF(!strcmp(first, c->json), "provider %zu differs", i);
        const ssekit_json *v = ssekit_completion_value(c);
        size_t n;
        const char *s = ssekit_json_string(ssekit_json_get(v, "/sentiment"), &n);
        CHECK(s && n == 5 && !memcmp(s, "mixed", 5));
        s = ssekit_json_string(ssekit_json_get(v, "/customer/tier"), &n);
        CHECK(s && n == 4 && !memcmp(s, "gold", 4));
        ssekit_completion_free(c);
    }
    logs l;
    logs_get(&l);
    CHECK(l.n == 3);
    logs_free(&l);
}

static void test_schema_failure_and_repair(void)
{
    /* without repair: one request, the raw output and every violation kept */
    ssekit_completion_options o = opts(SSEKIT_PROVIDER_OPENAI, bad_schema);
    ssekit_completion *c;
    int rc = ssekit_complete(&o, &c);
    CHECK(rc == SSEKIT_E_SCHEMA);
    REQUIRE(c);
    CHECK(c->status == SSEKIT_E_SCHEMA && c->category == SSEKIT_ERROR_SCHEMA);
    CHECK(c->json == NULL && ssekit_completion_value(c) == NULL);
    CHECK(c->raw && strstr(c->raw, "\"mixed\"") && strstr(c->raw, "\"gold\""));
    CHECKF(c->violation_count == 2 && c->violation_total == 2, "%zu", c->violation_count);
    int saw_sent = 0, saw_tier = 0;
    for (size_t i = 0; i < c->violation_count; i++) {
        CHECK(!strcmp(c->violations[i].keyword, "enum"));
        saw_sent |= !strcmp(c->violations[i].path, "/sentiment");
        saw_tier |= !strcmp(c->violations[i].path, "/customer/tier");
    }
    CHECK(saw_sent && saw_tier);
    CHECK(c->requests == 1 && !c->repaired);
    char raw[4096];
    snprintf(raw, sizeof raw, "%s", c->raw);
    ssekit_completion_free(c);
    logs l;
    logs_get(&l);
    CHECK(l.n == 1);
    logs_free(&l);

    /* with repair: one re-ask with the conversation, the raw answer and the
     * errors; the same transcript fails again, so the outcome is the error */
    o.allow_repair = 1;
    rc = ssekit_complete(&o, &c);
    CHECK(rc == SSEKIT_E_SCHEMA);
    REQUIRE(c);
    CHECK(c->repaired && !c->used_fallback && c->requests == 2);
    CHECK(c->violation_count == 2);
    ssekit_completion_free(c);
    logs_get(&l);
    REQUIRE(l.n == 2);
    const char *mp[] = {"messages", NULL};
    yajl_val m0 = yajl_tree_get(l.body[0], mp, yajl_t_array);
    yajl_val m1 = yajl_tree_get(l.body[1], mp, yajl_t_array);
    REQUIRE(m0 && m1);
    CHECK(m0->u.array.len == 1 && m1->u.array.len == 3);
    if (m1->u.array.len == 3) {
        yajl_val a = m1->u.array.values[1], u = m1->u.array.values[2];
        CHECK(!strcmp(sget(m1->u.array.values[0], "content"), "Triage this review."));
        CHECK(!strcmp(sget(a, "role"), "assistant"));
        CHECK(!strcmp(sget(a, "content"), raw));
        CHECK(!strcmp(sget(u, "role"), "user"));
        const char *note = sget(u, "content");
        CHECK(!strncmp(note, SSEKIT_COMPLETE_REPAIR_PROMPT, strlen(SSEKIT_COMPLETE_REPAIR_PROMPT)));
        CHECKF(strstr(note, "\n- /sentiment: ") && strstr(note, "\n- /customer/tier: "), "%s",
               note);
        CHECK(strstr(note, SSEKIT_COMPLETE_REPAIR_CLOSING) != NULL);
    }
    CHECK(!strcmp(model_of(&l, 0), "primary-model") && !strcmp(model_of(&l, 1), "primary-model"));
    /* the re-ask keeps the structured-output request */
    const char *rf[] = {"response_format", "type", NULL};
    CHECK(yajl_tree_get(l.body[1], rf, yajl_t_string) != NULL);
    logs_free(&l);

    /* repair, then the fallback: primary, re-ask, fallback (Anthropic: the
     * system-free messages and the forced tool carry over) */
    o = opts(SSEKIT_PROVIDER_ANTHROPIC, bad_schema);
    o.allow_repair = 1;
    o.fallback_model = "fallback-model";
    rc = ssekit_complete(&o, &c);
    CHECK(rc == SSEKIT_E_SCHEMA);
    REQUIRE(c);
    CHECK(c->repaired && c->used_fallback && c->requests == 3);
    CHECK(!strcmp(c->model, "fallback-model"));
    ssekit_completion_free(c);
    logs_get(&l);
    REQUIRE(l.n == 3);
    CHECK(!strcmp(model_of(&l, 0), "primary-model") && !strcmp(model_of(&l, 1), "primary-model") &&
          !strcmp(model_of(&l, 2), "fallback-model"));
    m1 = yajl_tree_get(l.body[1], mp, yajl_t_array);
    yajl_val m2 = yajl_tree_get(l.body[2], mp, yajl_t_array);
    CHECK(m1 && m1->u.array.len == 3 && m2 && m2->u.array.len == 1);
    logs_free(&l);
}

static void test_retries_then_fallback(void)
{
    /* 503 for the first three requests with this key: the primary model's
     * first try and two retries; the fallback gets the stream */
    const char *h[] = {"X-Replay-Key: fb-1", "X-Replay-Fault: status=503;times=3"};
    ssekit_completion_options o = opts(SSEKIT_PROVIDER_OPENAI, schema_text);
    o.preset.headers = h;
    o.preset.header_count = 2;
    o.max_retries = 2;
    o.fallback_model = "fallback-model";
    ssekit_completion *c;
    int rc = ssekit_complete(&o, &c);
    CHECKF(rc == SSEKIT_OK, "%d", rc);
    REQUIRE(c);
    CHECK(c->used_fallback && !c->repaired && c->requests == 4);
    CHECK(!strcmp(c->model, "fallback-model") && c->json);
    ssekit_completion_free(c);
    logs l;
    logs_get(&l);
    REQUIRE(l.n == 4);
    for (size_t i = 0; i < 3; i++) {
        CHECK(l.rl[i].status == 503);
        CHECKF(!strcmp(model_of(&l, i), "primary-model"), "%zu: %s", i, model_of(&l, i));
    }
    CHECK(l.rl[3].status == 200 && !strcmp(model_of(&l, 3), "fallback-model"));
    logs_free(&l);

    /* without a fallback the last error is the outcome, with its body */
    const char *h2[] = {"X-Replay-Key: fb-2", "X-Replay-Fault: status=503;times=3"};
    o.preset.headers = h2;
    o.fallback_model = NULL;
    rc = ssekit_complete(&o, &c);
    CHECK(rc == SSEKIT_E_IO);
    REQUIRE(c);
    CHECK(c->category == SSEKIT_ERROR_HTTP && c->http_status == 503 && c->requests == 3);
    CHECK(c->raw && strstr(c->raw, "error") != NULL);
    CHECK(c->message && strstr(c->message, "503") != NULL);
    ssekit_completion_free(c);
    logs_get(&l);
    CHECK(l.n == 3);
    logs_free(&l);

    /* 400 is never retried: straight to the fallback */
    const char *h3[] = {"X-Replay-Key: fb-3", "X-Replay-Fault: status=400;times=1"};
    o.preset.headers = h3;
    o.fallback_model = "fallback-model";
    rc = ssekit_complete(&o, &c);
    CHECK(rc == SSEKIT_OK);
    REQUIRE(c);
    CHECK(c->requests == 2 && c->used_fallback);
    ssekit_completion_free(c);
    logs_get(&l);
    CHECK(l.n == 2 && l.rl[0].status == 400);
    logs_free(&l);

    /* a stream cut after events is not retried by the stream (events were
     * delivered) and not repaired (not a schema failure): fallback */
    const char *h4[] = {"X-Replay-Key: fb-4", "X-Replay-Fault: drop-after=40;times=1"};
    o.preset.headers = h4;
    o.allow_repair = 1;
    rc = ssekit_complete(&o, &c);
    CHECK(rc == SSEKIT_OK);
    REQUIRE(c);
    CHECK(c->requests == 2 && c->used_fallback && !c->repaired);
    ssekit_completion_free(c);
    logs_get(&l);
    CHECK(l.n == 2 && !strcmp(l.rl[0].end, "dropped"));
    CHECK(!strcmp(model_of(&l, 1), "fallback-model"));
    logs_free(&l);
}

static void test_setup_errors(void)
{
    ssekit_completion_options o = opts(SSEKIT_PROVIDER_OPENAI, schema_text);
    o.preset.base_url = "https://api.example.test/v1"; /* not loopback: a key is needed */
    o.fallback_model = "fallback-model";
    ssekit_completion *c;
    int rc = ssekit_complete(&o, &c);
    CHECK(rc == SSEKIT_E_NO_KEY && c && c->status == SSEKIT_E_NO_KEY);
    REQUIRE(c);
    CHECK(c->requests == 0 && !c->used_fallback && c->category == SSEKIT_ERROR_NONE);
    CHECKF(c->message && strstr(c->message, "OPENAI_API_KEY"), "%s", c->message);
    ssekit_completion_free(c);

    o.preset.schema = NULL;
    CHECK(ssekit_complete(&o, &c) == SSEKIT_E_INVALID && c == NULL);
    CHECK(ssekit_complete(NULL, &c) == SSEKIT_E_INVALID);
    ssekit_completion_free(NULL);
}

typedef struct side {
    int events, done;
} side;

static int side_cb(void *user, const ssekit_event *ev)
{
    side *s = user;
    s->events++;
    s->done |= ev->kind == SSEKIT_EVENT_DONE;
    return 0;
}

static void test_callers_client(void)
{
    ssekit_client *cl = ssekit_client_new(NULL);
    REQUIRE(cl);
    char url[200];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy", base);
    side sd = {0};
    ssekit_request raw = {.url = url, .callback = side_cb, .user = &sd};
    ssekit_stream *rs;
    REQUIRE(ssekit_stream_open(cl, &raw, &rs) == SSEKIT_OK);

    /* the completion is paced so that the raw stream ends while it runs */
    const char *h[] = {"X-Replay-Fault: delay-ms=2"};
    ssekit_completion_options o = opts(SSEKIT_PROVIDER_RESPONSES, schema_text);
    o.preset.headers = h;
    o.preset.header_count = 1;
    o.client = cl;
    ssekit_completion *c;
    CHECK(ssekit_complete(&o, &c) == SSEKIT_OK);
    CHECK(sd.done && sd.events > 15);
    CHECK(ssekit_client_active(cl) == 0);
    ssekit_completion_free(c);
    ssekit_client_free(cl);
    logs l;
    logs_get(&l);
    CHECKF(l.n == 2, "%zu", l.n); /* the raw GET and the completion, in either order */
    CHECK(!strcmp(model_of(&l, 0), "primary-model") || !strcmp(model_of(&l, 1), "primary-model"));
    logs_free(&l);
}

/* Every allocation of a repair run (the own client, streams, results, the
 * completion) failing in turn: a clean NOMEM or a correct outcome, never a
 * leak. Allocation N of the run is failed for N = 1, 1+step, ... */
static void test_alloc_failures(void)
{
    fail_alloc probe = {0};
    ssekit_alloc_funcs pf = fail_alloc_funcs(&probe);
    ssekit_completion_options o = opts(SSEKIT_PROVIDER_OPENAI, bad_schema);
    o.allow_repair = 1;
    o.alloc = &pf;
    ssekit_completion *c;
    CHECK(ssekit_complete(&o, &c) == SSEKIT_E_SCHEMA);
    ssekit_completion_free(c);
    CHECK(probe.live == 0);
    long total = probe.calls, step = total / 150 + 1, nomem = 0;
    if (getenv("SSEKIT_FULL_SWEEP"))
        step = 1;
    for (long n = 1; n <= total; n += step) {
        fail_alloc fa = {.fail_at = n};
        ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
        o.alloc = &af;
        int rc = ssekit_complete(&o, &c);
        CHECKF(rc == SSEKIT_E_SCHEMA || rc == SSEKIT_E_NOMEM || rc == SSEKIT_E_IO ||
                   rc == SSEKIT_E_JSON,
               "fail at %ld: %d", n, rc);
        if (rc == SSEKIT_E_NOMEM)
            nomem++;
        CHECKF(!c || c->status == rc, "fail at %ld", n);
        ssekit_completion_free(c);
        CHECKF(fa.live == 0, "fail at %ld: %ld blocks leaked", n, fa.live);
    }
    CHECK(nomem > 0);
    ssekit_replay_requests_clear(srv);
}

int main(void)
{
    size_t n;
    schema_text = check_read_file(SSEKIT_SOURCE_DIR "/demos/transcripts/review.schema.json", &n);
    /* the answer is "mixed" and "gold": enums without them */
    char *t = replace(schema_text, "\"enum\": [\"positive\", \"negative\", \"neutral\", \"mixed\"]",
                      "\"enum\": [\"positive\", \"negative\", \"neutral\"]");
    bad_schema = replace(t, "[\"standard\", \"silver\", \"gold\"]", "[\"standard\", \"silver\"]");
    free(t);
    srv = replay_fixture_start();
    snprintf(base, sizeof base, "%s", ssekit_replay_url(srv));
    snprintf(base_v1, sizeof base_v1, "%s/v1", base);

    test_valid();
    test_schema_failure_and_repair();
    test_retries_then_fallback();
    test_setup_errors();
    test_callers_client();
    test_alloc_failures();

    ssekit_replay_stop(srv);
    free(schema_text);
    free(bad_schema);
    curl_global_cleanup();
    return check_done("test_complete");
}
