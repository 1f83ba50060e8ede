/* Provider presets (request.h): the bodies parsed back with yajl_tree and
 * compared with the documented shape, URL and key resolution from the
 * environment, the loopback rule, key redaction (errors, events, the replay
 * server's request log), allocation failures; and PROGRESS events (stream.h)
 * on streams built from presets against the in-process replay server. */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_tree.h>

#include "check.h"
#include "clock_ms.h"
#include "fail_alloc.h"
#include "replay.h"
#include "replay_fixture.h"
#include "ssekit/ssekit.h"

#define KEY "sk-test-VERY-SECRET-4242"

static ssekit_replay *srv;
static char base[128];
static char *schema_text;

/* --- JSON helpers ----------------------------------------------------------------- */

static yajl_val parse_body(const ssekit_request *rq)
{
    char eb[128];
    REQUIRE(rq->body && strlen(rq->body) == rq->body_len);
    yajl_val v = yajl_tree_parse(rq->body, eb, sizeof eb);
    CHECKF(v != NULL, "body is not JSON: %s", eb);
    REQUIRE(v);
    return v;
}

static yajl_val get(yajl_val v, const char *k1, const char *k2, const char *k3)
{
    const char *path[4] = {k1, k2, k3, NULL};
    return yajl_tree_get(v, path, yajl_t_any);
}

static int str_is(yajl_val v, const char *s)
{
    return v && YAJL_IS_STRING(v) && !strcmp(v->u.string, s);
}

/* Structural equality; numbers by their text. */
static int json_eq(yajl_val a, yajl_val b)
{
    if (!a || !b || a->type != b->type)
        return 0;
    switch (a->type) {
    case yajl_t_string:
        return !strcmp(a->u.string, b->u.string);
    case yajl_t_number:
        return !strcmp(a->u.number.r, b->u.number.r);
    case yajl_t_object:
        if (a->u.object.len != b->u.object.len)
            return 0;
        for (size_t i = 0; i < a->u.object.len; i++)
            if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) ||
                !json_eq(a->u.object.values[i], b->u.object.values[i]))
                return 0;
        return 1;
    case yajl_t_array:
        if (a->u.array.len != b->u.array.len)
            return 0;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!json_eq(a->u.array.values[i], b->u.array.values[i]))
                return 0;
        return 1;
    default:
        return 1;
    }
}

/* The object's keys, comma-joined, in order: the documented key lists. */
static const char *keys_of(yajl_val v)
{
    static char buf[512];
    buf[0] = 0;
    if (!v || !YAJL_IS_OBJECT(v))
        return "(not an object)";
    for (size_t i = 0; i < v->u.object.len; i++) {
        if (i)
            strcat(buf, ",");
        strcat(buf, v->u.object.keys[i]);
    }
    return buf;
}

static int has_header(const ssekit_request *rq, const char *line)
{
    for (size_t i = 0; i < rq->header_count; i++)
        if (!strcmp(rq->headers[i], line))
            return 1;
    return 0;
}

static int any_header_has(const ssekit_request *rq, const char *needle)
{
    for (size_t i = 0; i < rq->header_count; i++)
        if (strstr(rq->headers[i], needle))
            return 1;
    return 0;
}

/* --- bodies ------------------------------------------------------------------------ */

static void test_openai_chat_body(void)
{
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_OPENAI,
                       .no_env = 1,
                       .api_key = KEY,
                       .model = "gpt-4o-mini",
                       .system = "You triage reviews.",
                       .prompt = "Triage: \"ça marche\" \xf0\x9f\x98\x80",
                       .schema = schema_text,
                       .schema_name = "review",
                       .temperature = 0.2,
                       .has_temperature = 1,
                       .max_tokens = 300};
    const char *extra[] = {"X-Replay-Fault: drop-after=3"};
    p.headers = extra;
    p.header_count = 1;
    ssekit_request rq;
    char err[256];
    REQUIRE(ssekit_request_build(&p, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    CHECK(!strcmp(rq.url, "https://api.openai.com/v1/chat/completions"));
    CHECK(rq.decode == 1 && rq.provider == SSEKIT_PROVIDER_OPENAI && rq.schema);
    CHECK(rq.method == NULL && rq.progress_max_tokens == 300);
    CHECK(rq.header_count == 3);
    CHECK(has_header(&rq, "Content-Type: application/json"));
    CHECK(has_header(&rq, "Authorization: Bearer " KEY));
    CHECK(has_header(&rq, "X-Replay-Fault: drop-after=3"));

    yajl_val v = parse_body(&rq), sch = yajl_tree_parse(schema_text, NULL, 0);
    REQUIRE(sch);
    CHECKF(!strcmp(keys_of(v),
                   "model,messages,stream,stream_options,temperature,max_tokens,response_format"),
           "%s", keys_of(v));
    CHECK(str_is(get(v, "model", 0, 0), "gpt-4o-mini"));
    yajl_val m = get(v, "messages", 0, 0);
    REQUIRE(m && YAJL_IS_ARRAY(m) && m->u.array.len == 2);
    CHECK(!strcmp(keys_of(m->u.array.values[0]), "role,content"));
    CHECK(str_is(get(m->u.array.values[0], "role", 0, 0), "system"));
    CHECK(str_is(get(m->u.array.values[0], "content", 0, 0), "You triage reviews."));
    CHECK(str_is(get(m->u.array.values[1], "role", 0, 0), "user"));
    CHECK(str_is(get(m->u.array.values[1], "content", 0, 0), p.prompt));
    CHECK(YAJL_IS_TRUE(get(v, "stream", 0, 0)));
    CHECK(YAJL_IS_TRUE(get(v, "stream_options", "include_usage", 0)));
    CHECK(!strcmp(keys_of(get(v, "stream_options", 0, 0)), "include_usage"));
    yajl_val t = get(v, "temperature", 0, 0);
    CHECK(t && YAJL_IS_NUMBER(t) && !strcmp(t->u.number.r, "0.2"));
    yajl_val mt = get(v, "max_tokens", 0, 0);
    CHECK(mt && YAJL_IS_INTEGER(mt) && YAJL_GET_INTEGER(mt) == 300);
    CHECK(!strcmp(keys_of(get(v, "response_format", 0, 0)), "type,json_schema"));
    CHECK(str_is(get(v, "response_format", "type", 0), "json_schema"));
    CHECK(!strcmp(keys_of(get(v, "response_format", "json_schema", 0)), "name,strict,schema"));
    CHECK(str_is(get(v, "response_format", "json_schema", "name"), "review"));
    CHECK(YAJL_IS_TRUE(get(v, "response_format", "json_schema", "strict")));
    CHECK(json_eq(get(v, "response_format", "json_schema", "schema"), sch));
    CHECK(!strstr(rq.body, KEY));
    yajl_tree_free(v);

    /* messages instead of a prompt; no schema, no temperature, no max */
    ssekit_message msgs[] = {{"user", "hi"}, {"assistant", "hello"}, {"user", "bye"}};
    ssekit_preset q = {.provider = SSEKIT_PROVIDER_OPENAI,
                       .no_env = 1,
                       .api_key = KEY,
                       .model = "m",
                       .messages = msgs,
                       .message_count = 3};
    ssekit_request rq2;
    REQUIRE(ssekit_request_build(&q, NULL, &rq2, err, sizeof err) == SSEKIT_OK);
    v = parse_body(&rq2);
    CHECKF(!strcmp(keys_of(v), "model,messages,stream,stream_options"), "%s", keys_of(v));
    m = get(v, "messages", 0, 0);
    REQUIRE(m && m->u.array.len == 3);
    CHECK(str_is(get(m->u.array.values[1], "role", 0, 0), "assistant"));
    CHECK(str_is(get(m->u.array.values[2], "content", 0, 0), "bye"));
    CHECK(rq2.schema == NULL);
    yajl_tree_free(v);
    yajl_tree_free(sch);
    ssekit_request_clear(&rq, NULL);
    ssekit_request_clear(&rq2, NULL);
    CHECK(rq.url == NULL && rq.body == NULL && rq.header_count == 0);
}

static void test_anthropic_body(void)
{
    ssekit_message msgs[] = {{"system", "Be terse."}, {"user", "Triage this."}};
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_ANTHROPIC,
                       .no_env = 1,
                       .api_key = KEY,
                       .model = "claude-3-5-haiku-latest",
                       .system = "You triage reviews.",
                       .messages = msgs,
                       .message_count = 2,
                       .schema = schema_text,
                       .temperature = 0,
                       .has_temperature = 1};
    ssekit_request rq;
    char err[256];
    REQUIRE(ssekit_request_build(&p, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    CHECK(!strcmp(rq.url, "https://api.anthropic.com/v1/messages"));
    CHECK(rq.provider == SSEKIT_PROVIDER_ANTHROPIC && rq.decode && rq.schema);
    CHECK(has_header(&rq, "x-api-key: " KEY));
    CHECK(has_header(&rq, "anthropic-version: " SSEKIT_ANTHROPIC_VERSION));
    CHECK(has_header(&rq, "Content-Type: application/json"));
    CHECK(!any_header_has(&rq, "Authorization"));
    yajl_val v = parse_body(&rq), sch = yajl_tree_parse(schema_text, NULL, 0);
    CHECKF(!strcmp(keys_of(v),
                   "model,max_tokens,system,messages,stream,temperature,tools,tool_choice"),
           "%s", keys_of(v));
    yajl_val mt = get(v, "max_tokens", 0, 0);
    CHECK(mt && YAJL_GET_INTEGER(mt) == SSEKIT_PRESET_DEFAULT_ANTHROPIC_MAX_TOKENS);
    CHECK(str_is(get(v, "system", 0, 0), "You triage reviews.\n\nBe terse."));
    yajl_val m = get(v, "messages", 0, 0);
    REQUIRE(m && m->u.array.len == 1); /* the system message moved out */
    CHECK(str_is(get(m->u.array.values[0], "role", 0, 0), "user"));
    CHECK(YAJL_IS_TRUE(get(v, "stream", 0, 0)));
    yajl_val t = get(v, "temperature", 0, 0);
    CHECK(t && !strcmp(t->u.number.r, "0"));
    yajl_val tools = get(v, "tools", 0, 0);
    REQUIRE(tools && YAJL_IS_ARRAY(tools) && tools->u.array.len == 1);
    yajl_val tool = tools->u.array.values[0];
    CHECK(!strcmp(keys_of(tool), "name,description,input_schema"));
    CHECK(str_is(get(tool, "name", 0, 0), "output"));
    CHECK(json_eq(get(tool, "input_schema", 0, 0), sch));
    CHECK(!strcmp(keys_of(get(v, "tool_choice", 0, 0)), "type,name"));
    CHECK(str_is(get(v, "tool_choice", "type", 0), "tool"));
    CHECK(str_is(get(v, "tool_choice", "name", 0), "output"));
    yajl_tree_free(v);
    ssekit_request_clear(&rq, NULL);

    /* explicit max_tokens, no schema: no tools */
    ssekit_preset q = {.provider = SSEKIT_PROVIDER_ANTHROPIC,
                       .no_env = 1,
                       .api_key = KEY,
                       .model = "c",
                       .prompt = "hi",
                       .max_tokens = 77};
    REQUIRE(ssekit_request_build(&q, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    v = parse_body(&rq);
    CHECKF(!strcmp(keys_of(v), "model,max_tokens,messages,stream"), "%s", keys_of(v));
    CHECK(YAJL_GET_INTEGER(get(v, "max_tokens", 0, 0)) == 77);
    yajl_tree_free(v);
    yajl_tree_free(sch);
    ssekit_request_clear(&rq, NULL);
}

static void test_responses_body(void)
{
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_RESPONSES,
                       .no_env = 1,
                       .api_key = KEY,
                       .model = "gpt-4.1-mini",
                       .system = "You triage reviews.",
                       .prompt = "Triage this.",
                       .schema = schema_text,
                       .schema_name = "review",
                       .max_tokens = 500};
    ssekit_request rq;
    char err[256];
    REQUIRE(ssekit_request_build(&p, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    CHECK(!strcmp(rq.url, "https://api.openai.com/v1/responses"));
    CHECK(has_header(&rq, "Authorization: Bearer " KEY));
    yajl_val v = parse_body(&rq), sch = yajl_tree_parse(schema_text, NULL, 0);
    CHECKF(!strcmp(keys_of(v), "model,instructions,input,stream,max_output_tokens,text"), "%s",
           keys_of(v));
    CHECK(str_is(get(v, "instructions", 0, 0), "You triage reviews."));
    yajl_val in = get(v, "input", 0, 0);
    REQUIRE(in && in->u.array.len == 1);
    CHECK(str_is(get(in->u.array.values[0], "content", 0, 0), "Triage this."));
    CHECK(YAJL_GET_INTEGER(get(v, "max_output_tokens", 0, 0)) == 500);
    yajl_val f = get(v, "text", "format", 0);
    CHECK(!strcmp(keys_of(get(v, "text", 0, 0)), "format"));
    CHECK(!strcmp(keys_of(f), "type,name,strict,schema"));
    CHECK(str_is(get(f, "type", 0, 0), "json_schema"));
    CHECK(str_is(get(f, "name", 0, 0), "review"));
    CHECK(YAJL_IS_TRUE(get(f, "strict", 0, 0)));
    CHECK(json_eq(get(f, "schema", 0, 0), sch));
    yajl_tree_free(v);
    yajl_tree_free(sch);
    ssekit_request_clear(&rq, NULL);
}

/* --- URLs, keys, errors ------------------------------------------------------------ */

static void test_env_and_urls(void)
{
    char err[256];
    ssekit_request rq;
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_OPENAI, .model = "m", .prompt = "hi"};

    setenv("OPENAI_API_KEY", KEY, 1);
    setenv("OPENAI_BASE_URL", "http://example.test:9000/v1/", 1);
    setenv("ANTHROPIC_API_KEY", KEY "-anthropic", 1);
    setenv("ANTHROPIC_BASE_URL", "https://proxy.example.test/anthropic", 1);
    REQUIRE(ssekit_request_build(&p, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    CHECKF(!strcmp(rq.url, "http://example.test:9000/v1/chat/completions"), "%s", rq.url);
    CHECK(has_header(&rq, "Authorization: Bearer " KEY));
    ssekit_request_clear(&rq, NULL);

    p.provider = SSEKIT_PROVIDER_ANTHROPIC;
    REQUIRE(ssekit_request_build(&p, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    CHECK(!strcmp(rq.url, "https://proxy.example.test/anthropic/v1/messages"));
    CHECK(has_header(&rq, "x-api-key: " KEY "-anthropic"));
    ssekit_request_clear(&rq, NULL);

    /* explicit fields win over the environment */
    p.provider = SSEKIT_PROVIDER_RESPONSES;
    p.base_url = "http://10.1.2.3:8000/v1";
    p.api_key = "other-key";
    REQUIRE(ssekit_request_build(&p, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    CHECK(!strcmp(rq.url, "http://10.1.2.3:8000/v1/responses"));
    CHECK(has_header(&rq, "Authorization: Bearer other-key"));
    CHECK(!any_header_has(&rq, KEY));
    ssekit_request_clear(&rq, NULL);
    p.url = "http://10.1.2.3:8000/custom/path?x=1";
    REQUIRE(ssekit_request_build(&p, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    CHECK(!strcmp(rq.url, "http://10.1.2.3:8000/custom/path?x=1"));
    ssekit_request_clear(&rq, NULL);

    const char *b;
    int hk;
    ssekit_preset r = {.provider = SSEKIT_PROVIDER_OPENAI};
    CHECK(ssekit_preset_resolve(&r, &b, &hk) == SSEKIT_OK && hk &&
          !strcmp(b, "http://example.test:9000/v1/"));
    r.no_env = 1;
    CHECK(ssekit_preset_resolve(&r, &b, &hk) == SSEKIT_OK && !hk &&
          !strcmp(b, "https://api.openai.com/v1"));
    r.provider = SSEKIT_PROVIDER_RAW;
    CHECK(ssekit_preset_resolve(&r, &b, &hk) == SSEKIT_E_INVALID);

    /* missing key: a clear error naming the variable */
    unsetenv("OPENAI_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    ssekit_preset q = {.provider = SSEKIT_PROVIDER_OPENAI, .model = "m", .prompt = "hi"};
    CHECK(ssekit_request_build(&q, NULL, &rq, err, sizeof err) == SSEKIT_E_NO_KEY);
    CHECKF(strstr(err, "OPENAI_API_KEY") != NULL, "%s", err);
    CHECK(rq.url == NULL && rq.body == NULL && rq.headers == NULL);
    /* ... except on loopback, where no key header is sent */
    const char *loop[] = {"http://127.0.0.1:8080/v1", "http://localhost:11434/v1",
                          "http://[::1]:8000/v1", "http://user@127.0.0.9/v1"};
    for (size_t i = 0; i < 4; i++) {
        q.base_url = loop[i];
        CHECKF(ssekit_request_build(&q, NULL, &rq, err, sizeof err) == SSEKIT_OK, "%s", loop[i]);
        CHECK(!any_header_has(&rq, "Authorization"));
        ssekit_request_clear(&rq, NULL);
    }
    q.base_url = "http://127.0.0.1.evil.test/v1";
    CHECK(ssekit_request_build(&q, NULL, &rq, err, sizeof err) == SSEKIT_E_NO_KEY);
    CHECK(ssekit_url_is_loopback("http://localhost/") == 1);
    CHECK(ssekit_url_is_loopback("http://localhost.evil.test/") == 0);
    CHECK(ssekit_url_is_loopback("https://api.openai.com/v1") == 0);
    CHECK(ssekit_url_is_loopback("http://[::2]/") == 0);
    CHECK(ssekit_url_is_loopback("http://127.0.0.1@evil.test/") == 0);
    CHECK(ssekit_url_is_loopback("127.0.0.1") == 0);
    CHECK(ssekit_url_is_loopback(NULL) == 0);
    unsetenv("ANTHROPIC_API_KEY");
    unsetenv("ANTHROPIC_BASE_URL");
}

static void test_errors_never_show_the_key(void)
{
    char err[256];
    ssekit_request rq;
    struct {
        ssekit_preset p;
        int want;
    } cases[] = {
        {{.provider = SSEKIT_PROVIDER_RAW, .api_key = KEY, .model = "m", .prompt = "x"},
         SSEKIT_E_INVALID},
        {{.provider = SSEKIT_PROVIDER_OPENAI, .api_key = KEY, .prompt = "x"}, SSEKIT_E_INVALID},
        {{.provider = SSEKIT_PROVIDER_OPENAI, .api_key = KEY, .model = "m"}, SSEKIT_E_INVALID},
        {{.provider = SSEKIT_PROVIDER_OPENAI,
          .api_key = KEY "\r\nX-Evil: 1",
          .model = "m",
          .prompt = "x"},
         SSEKIT_E_INVALID},
        {{.provider = SSEKIT_PROVIDER_OPENAI,
          .api_key = KEY,
          .model = "m",
          .prompt = "x",
          .schema = "{\"type\": "},
         SSEKIT_E_SCHEMA},
        {{.provider = SSEKIT_PROVIDER_OPENAI,
          .api_key = KEY,
          .model = "m",
          .prompt = "x",
          .schema = "{\"type\": \"no-such-type\"}"},
         SSEKIT_E_SCHEMA},
        {{.provider = SSEKIT_PROVIDER_OPENAI,
          .api_key = KEY,
          .model = "m",
          .prompt = "x",
          .schema = "[1]"},
         SSEKIT_E_SCHEMA},
        {{.provider = SSEKIT_PROVIDER_OPENAI,
          .api_key = KEY,
          .model = "m",
          .prompt = "x",
          .has_temperature = 1,
          .temperature = -1},
         SSEKIT_E_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cases[i].p.no_env = 1;
        int rc = ssekit_request_build(&cases[i].p, NULL, &rq, err, sizeof err);
        CHECKF(rc == cases[i].want, "case %zu: %d", i, rc);
        CHECKF(*err && !strstr(err, "VERY-SECRET"), "case %zu: %s", i, err);
    }
    const char *bad[] = {"X-No-Colon"};
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_OPENAI,
                       .api_key = KEY,
                       .no_env = 1,
                       .model = "m",
                       .prompt = "x",
                       .headers = bad,
                       .header_count = 1};
    CHECK(ssekit_request_build(&p, NULL, &rq, err, sizeof err) == SSEKIT_E_INVALID);
    CHECK(ssekit_request_build(NULL, NULL, &rq, err, sizeof err) == SSEKIT_E_INVALID);
    CHECK(ssekit_request_build(&p, NULL, NULL, NULL, 0) == SSEKIT_E_INVALID);
    ssekit_request_clear(NULL, NULL);
}

static void test_alloc_failures(void)
{
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_ANTHROPIC,
                       .no_env = 1,
                       .api_key = KEY,
                       .model = "m",
                       .prompt = "x",
                       .system = "s",
                       .schema = schema_text};
    int ok = 0;
    for (long n = 1; n < 5000 && !ok; n++) {
        fail_alloc fa = {.fail_at = n};
        ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
        ssekit_request rq;
        char err[128];
        int rc = ssekit_request_build(&p, &af, &rq, err, sizeof err);
        if (rc == SSEKIT_OK) {
            ok = 1;
            CHECK(fa.failures == 0);
            ssekit_request_clear(&rq, &af);
        } else {
            CHECKF(rc == SSEKIT_E_NOMEM, "fail at %ld: %d (%s)", n, rc, err);
        }
        CHECKF(fa.live == 0, "fail at %ld: %ld blocks leaked", n, fa.live);
    }
    CHECK(ok);
}

/* --- against the replay server: the key stays secret, progress ----------------------- */

typedef struct run {
    unsigned pct[4096];
    size_t npct;
    int progress_before_complete_end; /* a PROGRESS right after each COMPLETE? */
    size_t completes;
    ssekit_event_kind last_kind, kinds_before_done;
    unsigned pct_before_done;
    int done, error;
    char message[512];
    char data[4096];
    uint64_t ms;
} run;

static void stream_preset(const ssekit_preset *p, unsigned per_sec, run *r)
{
    memset(r, 0, sizeof *r);
    ssekit_request rq;
    char err[256];
    REQUIRE(ssekit_request_build(p, NULL, &rq, err, sizeof err) == SSEKIT_OK);
    rq.progress_per_sec = per_sec;
    rq.retry.max_retries = 0;
    rq.retry.base_delay_ms = 1;
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_stream *s;
    REQUIRE(c && ssekit_stream_open(c, &rq, &s) == SSEKIT_OK);
    const ssekit_event *ev;
    uint64_t t0 = now_ms();
    ssekit_event_kind prev = 0;
    while (ssekit_stream_next(s, &ev, 10000) == 1) {
        if (ev->kind == SSEKIT_EVENT_PROGRESS && r->npct < 4096)
            r->pct[r->npct++] = ev->percent;
        if (ev->kind == SSEKIT_EVENT_COMPLETE)
            r->completes++;
        if (ev->kind == SSEKIT_EVENT_DONE) {
            r->done = 1;
            r->kinds_before_done = prev;
            r->pct_before_done = r->npct ? r->pct[r->npct - 1] : 0;
        }
        if (ev->kind == SSEKIT_EVENT_ERROR) {
            r->error = 1;
            snprintf(r->message, sizeof r->message, "%s", ev->message ? ev->message : "");
            snprintf(r->data, sizeof r->data, "%.*s", (int)ev->data_len, ev->data ? ev->data : "");
        }
        r->last_kind = ev->kind;
        prev = ev->kind;
    }
    r->ms = now_ms() - t0;
    ssekit_client_free(c);
    ssekit_request_clear(&rq, NULL);
}

static int monotonic(const run *r)
{
    for (size_t i = 1; i < r->npct; i++)
        if (r->pct[i] <= r->pct[i - 1] || r->pct[i] > 100)
            return 0;
    return 1;
}

static void test_progress_with_schema(void)
{
    char url[160];
    snprintf(url, sizeof url, "%s/v1", base);
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_OPENAI,
                       .no_env = 1,
                       .base_url = url,
                       .model = "m",
                       .prompt = "x",
                       .schema = schema_text};
    run r;
    stream_preset(&p, 1000, &r);
    CHECK(r.done && !r.error);
    CHECK(r.npct >= 5);
    CHECK(monotonic(&r));
    CHECK(r.pct_before_done == 100 && r.kinds_before_done == SSEKIT_EVENT_PROGRESS);
    for (size_t i = 0; i + 1 < r.npct; i++)
        CHECKF(r.pct[i] < 100, "only the last may be 100 (%zu: %u)", i, r.pct[i]);
    CHECK(r.completes > 10);

    /* rate limit: a text answer (no COMPLETE events, whose progress is not
     * rate-limited), paced at 5 ms per event (43 events: about 0.2 s) */
    const char *pace[] = {"X-Replay-Fault: delay-ms=5"};
    ssekit_preset q = {.provider = SSEKIT_PROVIDER_ANTHROPIC,
                       .no_env = 1,
                       .base_url = base,
                       .model = "m",
                       .prompt = "x",
                       .max_tokens = 1000,
                       .headers = pace,
                       .header_count = 1};
    stream_preset(&q, 1, &r);
    CHECK(r.done && monotonic(&r));
    CHECKF(r.npct >= 2 && r.npct <= 2 + r.ms / 1000, "%zu progress events in %llu ms", r.npct,
           (unsigned long long)r.ms);
    CHECK(r.pct[r.npct - 1] == 100);
    stream_preset(&q, 1000, &r);
    CHECK(r.done && monotonic(&r) && r.pct_before_done == 100);
    CHECKF(r.npct > 5, "%zu", r.npct);
}

static void test_progress_estimate_without_schema(void)
{
    /* anthropic_text: a text answer; max_tokens far above its size, so the
     * estimate stays low until the final 100 */
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_ANTHROPIC,
                       .no_env = 1,
                       .base_url = base,
                       .model = "m",
                       .prompt = "x",
                       .max_tokens = 100000};
    run r;
    stream_preset(&p, 1000, &r);
    CHECK(r.done && monotonic(&r));
    REQUIRE(r.npct >= 2);
    CHECKF(r.pct[r.npct - 2] < 10, "%u", r.pct[r.npct - 2]);
    CHECK(r.pct[r.npct - 1] == 100);
    /* no max_tokens, no schema: only the final 100 */
    p.max_tokens = 0;
    stream_preset(&p, 1000, &r);
    CHECK(r.done && r.npct == 1 && r.pct[0] == 100);
    /* a stream that fails gets no 100 */
    const char *fault[] = {"X-Replay-Fault: status=400"};
    p.headers = fault;
    p.header_count = 1;
    p.max_tokens = 10;
    stream_preset(&p, 1000, &r);
    CHECK(r.error && !r.done);
    for (size_t i = 0; i < r.npct; i++)
        CHECK(r.pct[i] < 100);
}

static int contains(const char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(hay + i, needle, k))
            return 1;
    return 0;
}

static void test_key_not_logged(void)
{
    /* a server that wants another key: 401; the error must not echo ours */
    char err[256] = "";
    ssekit_replay_options o = {.api_key = "the-right-key", .error = err, .error_len = sizeof err};
    ssekit_replay *s2 = ssekit_replay_start(&o);
    REQUIRE(s2);
    char url[160];
    snprintf(url, sizeof url, "%s/v1", ssekit_replay_url(s2));
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_OPENAI,
                       .no_env = 1,
                       .base_url = url,
                       .api_key = KEY,
                       .model = "m",
                       .prompt = "x",
                       .schema = schema_text};
    run r;
    stream_preset(&p, 0, &r);
    CHECK(r.error);
    CHECKF(strstr(r.message, "401") != NULL, "%s", r.message);
    CHECK(!strstr(r.message, "VERY-SECRET") && !strstr(r.data, "VERY-SECRET"));
    /* and the right key works: anthropic through x-api-key */
    p.api_key = "the-right-key";
    stream_preset(&p, 0, &r);
    CHECK(r.done);
    ssekit_preset a = {.provider = SSEKIT_PROVIDER_ANTHROPIC,
                       .no_env = 1,
                       .base_url = ssekit_replay_url(s2),
                       .api_key = KEY,
                       .model = "m",
                       .prompt = "x",
                       .schema = schema_text};
    stream_preset(&a, 0, &r);
    CHECK(r.error && !strstr(r.message, "VERY-SECRET") && !strstr(r.data, "VERY-SECRET"));

    char *log = ssekit_replay_requests_json(s2);
    REQUIRE(log);
    CHECK(strstr(log, "[redacted]") != NULL);
    CHECK(!strstr(log, "VERY-SECRET"));
    CHECK(!strstr(log, "the-right-key"));
    free(log);
    size_t n;
    ssekit_replay_request *rl = ssekit_replay_requests(s2, &n);
    CHECK(n == 3);
    for (size_t i = 0; i < n; i++) {
        CHECK(!contains(rl[i].body, rl[i].body_len, "VERY-SECRET"));
        for (size_t h = 0; h < rl[i].header_count; h++)
            CHECK(!strstr(rl[i].headers[h].value, "VERY-SECRET"));
    }
    ssekit_replay_requests_free(rl);
    ssekit_replay_stop(s2);
}

int main(void)
{
    size_t slen;
    schema_text = check_read_file(SSEKIT_SOURCE_DIR "/demos/transcripts/review.schema.json", &slen);
    REQUIRE(schema_text);
    srv = replay_fixture_start();
    snprintf(base, sizeof base, "%s", ssekit_replay_url(srv));

    test_openai_chat_body();
    test_anthropic_body();
    test_responses_body();
    test_env_and_urls();
    test_errors_never_show_the_key();
    test_alloc_failures();
    test_progress_with_schema();
    test_progress_estimate_without_schema();
    test_key_not_logged();

    ssekit_replay_stop(srv);
    free(schema_text);
    curl_global_cleanup();
    return check_done("test_request");
}
