/* Provider decoders: the recorded streams of shared/vectors/providers run
 * through the real SSE parser and each decoder, whole and in small pieces,
 * compared field by field with their .expect.json; then hand-written cases for
 * what the recordings do not show (malformed envelopes, field order, limits,
 * stop/re-entry, allocation failures). */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "check.h"
#include "dstr.h"
#include "fail_alloc.h"
#include "ssekit/provider.h"
#include "ssekit/sse_parser.h"

/* ---- what the deltas add up to -------------------------------------------- */

#define MAX_CALLS 16

typedef struct tcall {
    uint32_t output, index;
    dstr id, name, args;
} tcall;

typedef struct acc {
    dstr text, thinking, refusal, finish;
    dstr log; /* every delta, serialised: to compare two runs exactly */
    tcall calls[MAX_CALLS];
    size_t ncalls;
    ssekit_usage usage;
    int usages, finishes, dones, deltas;
    int provider_errors, other_errors, last_code;
    dstr err_type, err_msg, err_raw;
    uint32_t text_index; /* index of the last TEXT delta */
    int stop_at;         /* return non-zero from the stop_at-th delta (1-based) */
    ssekit_decoder *dec; /* for the re-entry test */
    int reenter_rc;
} acc;

static void acc_free(acc *a)
{
    ds_free(&a->text);
    ds_free(&a->thinking);
    ds_free(&a->refusal);
    ds_free(&a->finish);
    ds_free(&a->log);
    ds_free(&a->err_type);
    ds_free(&a->err_msg);
    ds_free(&a->err_raw);
    for (size_t i = 0; i < a->ncalls; i++) {
        ds_free(&a->calls[i].id);
        ds_free(&a->calls[i].name);
        ds_free(&a->calls[i].args);
    }
    memset(a, 0, sizeof *a);
}

static void log_field(dstr *log, const char *s, size_t n)
{
    char num[32];
    snprintf(num, sizeof num, "%zu:", n);
    ds_puts(log, num);
    if (s)
        ds_put(log, s, n);
    ds_puts(log, "|");
}

static tcall *acc_call(acc *a, uint32_t output, uint32_t index)
{
    for (size_t i = 0; i < a->ncalls; i++)
        if (a->calls[i].output == output && a->calls[i].index == index)
            return &a->calls[i];
    REQUIRE(a->ncalls < MAX_CALLS);
    tcall *c = &a->calls[a->ncalls++];
    memset(c, 0, sizeof *c);
    c->output = output;
    c->index = index;
    return c;
}

static int on_delta(void *user, const ssekit_delta *d)
{
    acc *a = user;
    char num[160];
    a->deltas++;
    snprintf(num, sizeof num, "k%d i%u t%u c%d u%lld,%lld,%lld,%lld,%lld ", (int)d->kind, d->index,
             d->tool_index, d->code, (long long)d->usage.input_tokens,
             (long long)d->usage.output_tokens, (long long)d->usage.total_tokens,
             (long long)d->usage.cached_input_tokens, (long long)d->usage.reasoning_tokens);
    ds_puts(&a->log, num);
    log_field(&a->log, d->text, d->text_len);
    log_field(&a->log, d->id, d->id_len);
    log_field(&a->log, d->name, d->name_len);
    log_field(&a->log, d->type, d->type_len);
    ds_puts(&a->log, "\n");
    /* Pointers must be NULL exactly when their length says "absent" is ok;
     * never a NULL with a length. */
    CHECK(d->text || d->text_len == 0);
    CHECK(d->id || d->id_len == 0);
    CHECK(d->name || d->name_len == 0);

    switch (d->kind) {
    case SSEKIT_DELTA_TEXT:
        CHECK(d->text_len > 0);
        ds_put(&a->text, d->text, d->text_len);
        a->text_index = d->index;
        break;
    case SSEKIT_DELTA_THINKING:
        ds_put(&a->thinking, d->text, d->text_len);
        break;
    case SSEKIT_DELTA_REFUSAL:
        ds_put(&a->refusal, d->text, d->text_len);
        break;
    case SSEKIT_DELTA_TOOL_CALL: {
        tcall *c = acc_call(a, d->index, d->tool_index);
        /* Once known, id and name stay the same on every later fragment. */
        if (d->id_len) {
            CHECK(c->id.len == 0 || (c->id.len == d->id_len && !memcmp(c->id.p, d->id, d->id_len)));
            ds_clear(&c->id);
            ds_put(&c->id, d->id, d->id_len);
        } else {
            CHECK(c->id.len == 0);
        }
        if (d->name_len) {
            ds_clear(&c->name);
            ds_put(&c->name, d->name, d->name_len);
        }
        ds_put(&c->args, d->text, d->text_len);
        break;
    }
    case SSEKIT_DELTA_USAGE:
        a->usage = d->usage;
        a->usages++;
        break;
    case SSEKIT_DELTA_FINISH:
        ds_clear(&a->finish);
        ds_put(&a->finish, d->text, d->text_len);
        a->finishes++;
        break;
    case SSEKIT_DELTA_ERROR:
        CHECK(d->raw != NULL);
        a->last_code = d->code;
        if (d->code == SSEKIT_E_PROVIDER) {
            a->provider_errors++;
            ds_clear(&a->err_type);
            ds_put(&a->err_type, d->type, d->type_len);
            ds_clear(&a->err_msg);
            ds_put(&a->err_msg, d->text, d->text_len);
        } else {
            a->other_errors++;
            CHECK(d->text_len > 0); /* a message says what went wrong */
        }
        ds_clear(&a->err_raw);
        ds_put(&a->err_raw, d->raw, d->raw_len);
        break;
    case SSEKIT_DELTA_DONE:
        a->dones++;
        break;
    }
    if (a->dec) {
        ssekit_sse_event ev = {"message", 7, "{}", 2, "", 0};
        a->reenter_rc = ssekit_decoder_feed(a->dec, &ev);
    }
    return a->stop_at && a->deltas == a->stop_at;
}

static const ssekit_decoder_callbacks callbacks = {on_delta};

/* ---- running a stream: SSE parser -> decoder ------------------------------ */

typedef struct run {
    ssekit_decoder *dec;
    int ok, envelope, nomem, other; /* feed results */
} run;

static int on_event(void *user, const ssekit_sse_event *ev)
{
    run *r = user;
    int rc = ssekit_decoder_feed(r->dec, ev);
    if (rc == SSEKIT_OK)
        r->ok++;
    else if (rc == SSEKIT_E_ENVELOPE)
        r->envelope++;
    else if (rc == SSEKIT_E_NOMEM)
        r->nomem++;
    else
        r->other++;
    return 0;
}

/* Feeds `buf` to a fresh parser + decoder in pieces of `chunk` bytes (0: all
 * at once). Returns the decoder's is_done(). */
static int run_stream(ssekit_provider kind, const char *buf, size_t len, size_t chunk, acc *a,
                      const ssekit_alloc_funcs *alloc, run *r)
{
    run local;
    if (!r)
        r = &local;
    memset(r, 0, sizeof *r);
    ssekit_sse_callbacks pcb = {.on_event = on_event};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&pcb, r, NULL);
    REQUIRE(p);
    r->dec = ssekit_decoder_new(kind, &callbacks, a, alloc);
    if (!r->dec) {
        ssekit_sse_parser_free(p);
        return -1;
    }
    if (chunk == 0)
        chunk = len ? len : 1;
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        CHECK(ssekit_sse_feed(p, buf + off, n) == SSEKIT_OK);
    }
    CHECK(ssekit_sse_finish(p) == SSEKIT_OK);
    int fin = ssekit_decoder_finish(r->dec);
    CHECK(fin == SSEKIT_OK);
    int done = ssekit_decoder_is_done(r->dec);
    ssekit_decoder_free(r->dec);
    ssekit_sse_parser_free(p);
    return done;
}

/* ---- structural JSON comparison ------------------------------------------ */

static int json_equal(yajl_val a, yajl_val b)
{
    if (!a || !b)
        return a == b;
    if (YAJL_IS_NUMBER(a) && YAJL_IS_NUMBER(b))
        return YAJL_GET_DOUBLE(a) == YAJL_GET_DOUBLE(b);
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case yajl_t_string:
        return strcmp(a->u.string, b->u.string) == 0;
    case yajl_t_true:
    case yajl_t_false:
    case yajl_t_null:
        return 1;
    case yajl_t_array:
        if (a->u.array.len != b->u.array.len)
            return 0;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!json_equal(a->u.array.values[i], b->u.array.values[i]))
                return 0;
        return 1;
    case yajl_t_object:
        if (a->u.object.len != b->u.object.len)
            return 0;
        for (size_t i = 0; i < a->u.object.len; i++) {
            size_t j;
            for (j = 0; j < b->u.object.len; j++)
                if (strcmp(a->u.object.keys[i], b->u.object.keys[j]) == 0)
                    break;
            if (j == b->u.object.len || !json_equal(a->u.object.values[i], b->u.object.values[j]))
                return 0;
        }
        return 1;
    default:
        return 0;
    }
}

static yajl_val parse_json(const char *text)
{
    char err[256];
    return yajl_tree_parse(text, err, sizeof err);
}

static yajl_val member(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    return yajl_tree_get(obj, path, yajl_t_any);
}

/* A string value, or a marker no decoder output equals. */
static const char *jstr(yajl_val v)
{
    return YAJL_IS_STRING(v) ? v->u.string : "\x01(not a string)";
}

/* Compares what the deltas of a fixture added up to with its expectation. */
static void check_expect(const char *name, const acc *a, int done, yajl_val exp)
{
    yajl_val v;
    if ((v = member(exp, "text")))
        CHECKF(strcmp(ds_str(&a->text), jstr(v)) == 0, "%s: text %s", name, ds_str(&a->text));
    if ((v = member(exp, "thinking")))
        CHECKF(strcmp(ds_str(&a->thinking), jstr(v)) == 0, "%s: thinking", name);
    else
        CHECKF(a->thinking.len == 0, "%s: unexpected thinking", name);
    if ((v = member(exp, "value"))) {
        yajl_val got = parse_json(ds_str(&a->text));
        CHECKF(got && json_equal(got, v), "%s: value", name);
        yajl_tree_free(got);
    }
    if ((v = member(exp, "tool_calls"))) {
        REQUIRE(YAJL_IS_ARRAY(v));
        CHECKF(a->ncalls == v->u.array.len, "%s: %zu tool calls", name, a->ncalls);
        for (size_t i = 0; i < v->u.array.len; i++) {
            yajl_val e = v->u.array.values[i];
            uint32_t idx = (uint32_t)YAJL_GET_INTEGER(member(e, "index"));
            const tcall *c = NULL;
            for (size_t j = 0; j < a->ncalls; j++)
                if (a->calls[j].index == idx)
                    c = &a->calls[j];
            CHECKF(c != NULL, "%s: tool call %u missing", name, idx);
            if (!c)
                continue;
            CHECKF(strcmp(ds_str(&c->id), jstr(member(e, "id"))) == 0, "%s: id", name);
            CHECKF(strcmp(ds_str(&c->name), jstr(member(e, "name"))) == 0, "%s: name", name);
            yajl_val args = parse_json(ds_str(&c->args));
            CHECKF(args && json_equal(args, member(e, "arguments")), "%s: arguments %s", name,
                   ds_str(&c->args));
            yajl_tree_free(args);
        }
    }
    if ((v = member(exp, "finish_reason")))
        CHECKF(strcmp(ds_str(&a->finish), jstr(v)) == 0, "%s: finish %s", name, ds_str(&a->finish));
    if ((v = member(exp, "usage"))) {
        /* The same keys, the same numbers: no total where the provider gave
         * none. */
        const char *keys[] = {"input_tokens", "output_tokens", "total_tokens"};
        const int64_t got[] = {a->usage.input_tokens, a->usage.output_tokens,
                               a->usage.total_tokens};
        CHECKF(a->usages > 0, "%s: no usage", name);
        for (int i = 0; i < 3; i++) {
            yajl_val n = member(v, keys[i]);
            if (n)
                CHECKF(got[i] == YAJL_GET_INTEGER(n), "%s: %s %lld", name, keys[i],
                       (long long)got[i]);
            else
                CHECKF(got[i] == -1, "%s: %s given as %lld", name, keys[i], (long long)got[i]);
        }
    }
    CHECKF(a->other_errors == 0, "%s: %d envelope errors", name, a->other_errors);
    if ((v = member(exp, "error"))) {
        CHECKF(a->provider_errors == 1, "%s: %d provider errors", name, a->provider_errors);
        CHECKF(strcmp(ds_str(&a->err_type), jstr(member(v, "type"))) == 0, "%s: error type %s",
               name, ds_str(&a->err_type));
        CHECKF(strcmp(ds_str(&a->err_msg), jstr(member(v, "message"))) == 0, "%s: error message",
               name);
        CHECKF(!done, "%s: an error stream is not done", name);
    } else {
        CHECKF(a->provider_errors == 0, "%s: provider error", name);
        CHECKF(done && a->dones == 1, "%s: done %d, %d DONE deltas", name, done, a->dones);
    }
}

static ssekit_provider provider_of(const char *file)
{
    if (strncmp(file, "openai_chat", 11) == 0)
        return SSEKIT_PROVIDER_OPENAI;
    if (strncmp(file, "anthropic", 9) == 0)
        return SSEKIT_PROVIDER_ANTHROPIC;
    if (strncmp(file, "responses", 9) == 0)
        return SSEKIT_PROVIDER_RESPONSES;
    fprintf(stderr, "no provider for %s\n", file);
    exit(2);
}

static void test_fixture(const char *dir, const char *file)
{
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *sse = check_read_file(path, &len);
    snprintf(path, sizeof path, "%s/%.*s.expect.json", dir, (int)(strlen(file) - 4), file);
    char *exp_text = check_read_file(path, NULL);
    yajl_val exp = parse_json(exp_text);
    REQUIRE(exp);
    ssekit_provider kind = provider_of(file);

    acc whole = {0};
    int done = run_stream(kind, sse, len, 0, &whole, NULL, NULL);
    check_expect(file, &whole, done, exp);

    const size_t chunks[] = {1, 2, 3, 7, 64};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        acc part = {0};
        int d2 = run_stream(kind, sse, len, chunks[i], &part, NULL, NULL);
        check_expect(file, &part, d2, exp);
        CHECKF(part.log.len == whole.log.len &&
                   !memcmp(ds_str(&part.log), ds_str(&whole.log), whole.log.len),
               "%s: chunk %zu gives other deltas", file, chunks[i]);
        acc_free(&part);
    }
    acc_free(&whole);
    yajl_tree_free(exp);
    free(exp_text);
    free(sse);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_fixtures(void)
{
    const char *dir = SSEKIT_VECTORS_DIR "/providers";
    DIR *dp = opendir(dir);
    REQUIRE(dp);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".sse") == 0) {
            REQUIRE(n < 256);
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(dp);
    qsort(names, n, sizeof names[0], cmp_names);
    CHECKF(n >= 7, "only %zu fixtures", n);
    for (size_t i = 0; i < n; i++) {
        test_fixture(dir, names[i]);
        free(names[i]);
    }
}

/* ---- hand-written cases: events fed directly ------------------------------ */

static int feed(ssekit_decoder *dec, const char *type, const char *data)
{
    ssekit_sse_event ev = {
        type ? type : "message", type ? strlen(type) : 7, data, strlen(data), "", 0};
    return ssekit_decoder_feed(dec, &ev);
}

static ssekit_decoder *dec_new(ssekit_provider kind, acc *a)
{
    memset(a, 0, sizeof *a);
    ssekit_decoder *dec = ssekit_decoder_new(kind, &callbacks, a, NULL);
    REQUIRE(dec);
    return dec;
}

#define CHUNK(content)                                                                             \
    "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{"     \
    "\"content\":" content "},\"finish_reason\":null}]}"

static void test_malformed_then_good(void)
{
    /* Each bad envelope, and the fragment it delivers before its fault is
     * found (a fragment read before the fault stands). */
    static const struct {
        const char *data, *before;
    } bad[] = {
        {"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"", "a"},    /* cut short */
        {"{\"choices\": [}", ""},                                            /* invalid */
        {"{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]", "x"}, /* no } */
        {"[1, 2]", ""},                                                      /* not an object */
        {"42", ""},
        {"\"text\"", ""},
        {"nul", ""},
        {"{} {}", ""},                                              /* two values */
        {"{} 5", ""},                                               /* a value after the object */
        {"{\"choices\":[{\"delta\":{}} ", ""},                      /* ends in } but is cut short */
        {"{\"a\":1}x", ""},                                         /* trailing garbage */
        {"{\"choices\":{}}", ""},                                   /* choices not an array */
        {"{\"choices\":[{\"index\":\"0\"}]}", ""},                  /* index not a number */
        {"{\"choices\":[{\"index\":-1}]}", ""},                     /* negative index */
        {"{\"choices\":[{\"index\":0.5}]}", ""},                    /* fractional index */
        {"{\"choices\":[{\"delta\":{\"content\":5}}]}", ""},        /* content not a string */
        {"{\"choices\":[{\"delta\":[]}]}", ""},                     /* delta not an object */
        {"{\"usage\":{\"prompt_tokens\":\"7\"}}", ""},              /* count not a number */
        {"{\"choices\":[\"x\"]}", ""},                              /* choice not an object */
        {"\xff{}", ""},                                             /* not JSON */
        {"{\"choices\":[{\"delta\":{\"content\":\"\xc3\"}}]}", ""}, /* bad UTF-8 */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        acc a;
        ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
        CHECK(feed(dec, NULL, CHUNK("\"<\"")) == SSEKIT_OK);
        int rc = feed(dec, NULL, bad[i].data);
        CHECKF(rc == SSEKIT_E_ENVELOPE, "case %zu: rc %d", i, rc);
        CHECKF(a.other_errors == 1 && a.last_code == SSEKIT_E_ENVELOPE, "case %zu", i);
        CHECKF(strcmp(ds_str(&a.err_raw), bad[i].data) == 0, "case %zu: raw data kept", i);
        /* Decoding goes on with the next event, on a healthy handle. */
        CHECK(feed(dec, NULL, CHUNK("\"b\\n\"")) == SSEKIT_OK);
        CHECK(feed(dec, NULL, CHUNK("\">\"")) == SSEKIT_OK);
        char want[64];
        snprintf(want, sizeof want, "<%sb\n>", bad[i].before);
        CHECKF(strcmp(ds_str(&a.text), want) == 0, "case %zu: text %s", i, ds_str(&a.text));
        CHECK(a.other_errors == 1);
        ssekit_decoder_free(dec);
        acc_free(&a);
    }
}

static void test_envelope_keeps_good_part(void)
{
    /* A fragment read before the fault stands; the error follows it. */
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    CHECK(feed(dec, NULL,
               "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}],\"usage\":7}") ==
          SSEKIT_E_ENVELOPE);
    CHECK(strcmp(ds_str(&a.text), "x") == 0);
    CHECK(a.other_errors == 1);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_whitespace_and_done(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    CHECK(feed(dec, NULL, "") == SSEKIT_OK);
    CHECK(feed(dec, NULL, "  \n ") == SSEKIT_OK);
    CHECK(a.deltas == 0);
    CHECK(!ssekit_decoder_is_done(dec));
    CHECK(feed(dec, NULL, " [DONE]\n") == SSEKIT_OK);
    CHECK(a.dones == 1 && ssekit_decoder_is_done(dec));
    CHECK(feed(dec, NULL, "[DONE]x") == SSEKIT_E_ENVELOPE);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_escapes(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    CHECK(feed(dec, NULL, CHUNK("\"l1\\nl2\\t\\\"q\\\" \\u00e9 \\ud83d\\ude00 \\\\ \\/\"")) ==
          SSEKIT_OK);
    CHECK(feed(dec, NULL, CHUNK("\"\\u0000end\"")) == SSEKIT_OK);
    const char want[] = "l1\nl2\t\"q\" \xc3\xa9 \xf0\x9f\x98\x80 \\ /\0end";
    CHECKF(a.text.len == sizeof want - 1 && !memcmp(a.text.p, want, sizeof want - 1), "text %s",
           ds_str(&a.text));
    /* An unpaired surrogate or invalid escape is malformed JSON for yajl. */
    CHECK(feed(dec, NULL, CHUNK("\"\\x41\"")) == SSEKIT_E_ENVELOPE);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_openai_usage_refusal_reasoning(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    CHECK(feed(dec, NULL,
               "{\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"hmm\"}}]}") ==
          SSEKIT_OK);
    CHECK(
        feed(
            dec, NULL,
            "{\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\"I can't\",\"content\":null}}]}") ==
        SSEKIT_OK);
    CHECK(feed(dec, NULL,
               "{\"choices\":[{\"index\":0,\"delta\":{\"refusal\":\" help.\"},"
               "\"finish_reason\":\"stop\"}]}") == SSEKIT_OK);
    CHECK(a.usages == 0);
    /* The usage chunk: empty choices, usage with details. */
    CHECK(feed(dec, NULL,
               "{\"id\":\"x\",\"choices\":[],\"usage\":{\"prompt_tokens\":50,"
               "\"completion_tokens\":20,\"total_tokens\":70,\"prompt_tokens_details\":"
               "{\"cached_tokens\":32,\"audio_tokens\":0},\"completion_tokens_details\":"
               "{\"reasoning_tokens\":12}}}") == SSEKIT_OK);
    CHECK(strcmp(ds_str(&a.thinking), "hmm") == 0);
    CHECK(strcmp(ds_str(&a.refusal), "I can't help.") == 0);
    CHECK(a.text.len == 0);
    CHECK(strcmp(ds_str(&a.finish), "stop") == 0);
    CHECK(a.usages == 1);
    CHECK(a.usage.input_tokens == 50 && a.usage.output_tokens == 20 && a.usage.total_tokens == 70 &&
          a.usage.cached_input_tokens == 32 && a.usage.reasoning_tokens == 12);
    /* "usage": null on every other chunk reports nothing. */
    CHECK(feed(dec, NULL, "{\"choices\":[],\"usage\":null}") == SSEKIT_OK);
    CHECK(a.usages == 1);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_openai_tool_calls(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    /* Two choices; tool calls interleaved by index in choice 1; in one
     * fragment the arguments come before the index, in another the id and
     * name after the arguments. */
    const char *ev[] = {
        "{\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\","
        "\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"\"}}]}}]}",
        "{\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":"
        "\"{\\\"x\\\"\"},\"index\":0}]}}]}",
        "{\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":"
        "{\"arguments\":\"[1\",\"name\":\"g\"},\"id\":\"call_b\"}]}}]}",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}},{\"index\":1,\"delta\":"
        "{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\": 1}\"}},"
        "{\"index\":1,\"function\":{\"arguments\":\",2]\"}}]}}]}",
        "{\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
    };
    for (size_t i = 0; i < sizeof ev / sizeof ev[0]; i++)
        CHECKF(feed(dec, NULL, ev[i]) == SSEKIT_OK, "event %zu", i);
    CHECK(a.ncalls == 2);
    CHECK(strcmp(ds_str(&a.text), "hi") == 0 && a.text_index == 0);
    for (size_t i = 0; i < a.ncalls; i++) {
        const tcall *c = &a.calls[i];
        CHECK(c->output == 1);
        if (c->index == 0) {
            CHECK(strcmp(ds_str(&c->id), "call_a") == 0 && strcmp(ds_str(&c->name), "f") == 0);
            CHECK(strcmp(ds_str(&c->args), "{\"x\": 1}") == 0);
        } else {
            CHECK(c->index == 1);
            CHECK(strcmp(ds_str(&c->id), "call_b") == 0 && strcmp(ds_str(&c->name), "g") == 0);
            CHECK(strcmp(ds_str(&c->args), "[1,2]") == 0);
        }
    }
    CHECK(strcmp(ds_str(&a.finish), "tool_calls") == 0);
    /* After reset the calls are forgotten: a fragment has no id/name. */
    CHECK(ssekit_decoder_reset(dec) == SSEKIT_OK);
    acc_free(&a);
    CHECK(feed(dec, NULL,
               "{\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
               "{\"arguments\":\"{}\"}}]}}]}") == SSEKIT_OK);
    CHECK(a.ncalls == 1 && a.calls[0].id.len == 0 && a.calls[0].name.len == 0);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_openai_tool_announce(void)
{
    /* An element with only an id (found by the fuzzer: after an element whose
     * arguments were kept, the next one's empty arguments came out as a NULL
     * with a length). */
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    CHECK(feed(dec, NULL,
               "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":"
               "\"{\\\"k\\\":2}\"},\"index\":0},{\"index\":1,\"id\":\"call_z\"}]}}]}") ==
          SSEKIT_OK);
    CHECK(a.ncalls == 2 && a.deltas == 2);
    CHECK(strcmp(ds_str(&a.calls[0].args), "{\"k\":2}") == 0 && a.calls[0].id.len == 0);
    CHECK(a.calls[1].index == 1 && strcmp(ds_str(&a.calls[1].id), "call_z") == 0 &&
          a.calls[1].args.len == 0);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_openai_errors(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    CHECK(feed(dec, NULL, "{\"error\":\"rate limited\"}") == SSEKIT_OK);
    CHECK(a.provider_errors == 1 && strcmp(ds_str(&a.err_msg), "rate limited") == 0 &&
          a.err_type.len == 0);
    CHECK(
        feed(
            dec, NULL,
            "{\"error\":{\"message\":\"m\",\"type\":null,\"code\":\"context_length_exceeded\"}}") ==
        SSEKIT_OK);
    CHECK(a.provider_errors == 2 && strcmp(ds_str(&a.err_type), "context_length_exceeded") == 0);
    /* The string form after an object form: no type from the earlier event. */
    CHECK(feed(dec, NULL, "{\"error\":\"again\"}") == SSEKIT_OK);
    CHECK(a.provider_errors == 3 && a.err_type.len == 0 &&
          strcmp(ds_str(&a.err_msg), "again") == 0);
    CHECK(feed(dec, NULL, "{\"error\":null,\"choices\":[]}") == SSEKIT_OK);
    CHECK(a.provider_errors == 3);
    CHECK(a.other_errors == 0);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_unknown_ignored(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_ANTHROPIC, &a);
    /* Unknown event types, even with familiar-looking fields. */
    CHECK(feed(dec, "content_block_future",
               "{\"type\":\"content_block_future\",\"index\":0,\"delta\":{\"text\":\"no\"}}") ==
          SSEKIT_OK);
    CHECK(feed(dec, NULL,
               "{\"type\":\"content_block_future\",\"index\":0,\"delta\":{\"text\":\"no\"}}") ==
          SSEKIT_OK);
    CHECK(feed(dec, "ping", "{\"type\":\"ping\"}") == SSEKIT_OK);
    /* Unknown fields, nested deeper than the walker tracks paths. */
    CHECK(feed(dec, "content_block_delta",
               "{\"type\":\"content_block_delta\",\"extra\":{\"a\":[[[[[[[[[[{\"text\":\"no\"}]]]]]"
               "]]]]]},\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"yes\","
               "\"more\":{\"text\":\"no\"}}}") == SSEKIT_OK);
    CHECK(a.deltas == 1 && strcmp(ds_str(&a.text), "yes") == 0);
    ssekit_decoder_free(dec);
    acc_free(&a);

    dec = dec_new(SSEKIT_PROVIDER_RESPONSES, &a);
    CHECK(feed(dec, "response.output_text.annotation.added",
               "{\"type\":\"response.output_text.annotation.added\",\"output_index\":0,"
               "\"delta\":\"no\",\"sequence_number\":3}") == SSEKIT_OK);
    CHECK(feed(dec, "response.audio.delta",
               "{\"type\":\"response.audio.delta\",\"delta\":{\"odd\":true}}") == SSEKIT_OK);
    CHECK(a.deltas == 0);
    CHECK(ssekit_decoder_sequence(dec) == 3);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_anthropic_order_and_usage(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_ANTHROPIC, &a);
    /* No SSE event names (a proxy dropped them): the JSON type decides. */
    CHECK(
        feed(dec, NULL,
             "{\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"usage\":{\"input_tokens\":10,"
             "\"cache_creation_input_tokens\":5,\"cache_read_input_tokens\":100,"
             "\"output_tokens\":1}}}") == SSEKIT_OK);
    CHECK(a.usages == 1 && a.usage.input_tokens == 115 && a.usage.output_tokens == 1 &&
          a.usage.cached_input_tokens == 100 && a.usage.total_tokens == -1);
    /* Type and index after the fragment: kept and emitted after the
     * envelope. The fragment has escapes, so it is a copy. */
    CHECK(feed(dec, NULL,
               "{\"delta\":{\"text\":\"caf\\u00e9 \\\"x\\\"\",\"type\":\"text_delta\"},\"index\":2,"
               "\"type\":\"content_block_delta\"}") == SSEKIT_OK);
    CHECK(strcmp(ds_str(&a.text), "caf\xc3\xa9 \"x\"") == 0 && a.text_index == 2);
    /* A tool_use block with the fields in another order. */
    CHECK(feed(dec, NULL,
               "{\"content_block\":{\"input\":{},\"name\":\"t\",\"id\":\"tu_1\",\"type\":"
               "\"tool_use\"},\"index\":3,\"type\":\"content_block_start\"}") == SSEKIT_OK);
    CHECK(feed(dec, NULL,
               "{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":"
               "\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}") == SSEKIT_OK);
    CHECK(feed(dec, NULL,
               "{\"type\":\"content_block_delta\",\"index\":3,\"delta\":{\"type\":"
               "\"input_json_delta\",\"partial_json\":\"1}\"}}") == SSEKIT_OK);
    CHECK(a.ncalls == 1 && a.calls[0].index == 3 && strcmp(ds_str(&a.calls[0].id), "tu_1") == 0 &&
          strcmp(ds_str(&a.calls[0].name), "t") == 0 &&
          strcmp(ds_str(&a.calls[0].args), "{\"a\":1}") == 0);
    /* message_delta: cumulative counts replace, not add. */
    CHECK(feed(dec, "message_delta",
               "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\"},\"usage\":"
               "{\"output_tokens\":40}}") == SSEKIT_OK);
    CHECK(a.usage.input_tokens == 115 && a.usage.output_tokens == 40);
    CHECK(feed(dec, "message_delta",
               "{\"type\":\"message_delta\",\"delta\":{},\"usage\":{\"output_tokens\":50,"
               "\"input_tokens\":12}}") == SSEKIT_OK);
    CHECK(a.usage.input_tokens == 117 && a.usage.output_tokens == 50);
    CHECK(strcmp(ds_str(&a.finish), "max_tokens") == 0 && a.finishes == 1);
    CHECK(!ssekit_decoder_is_done(dec));
    CHECK(feed(dec, "message_stop", "{\"type\":\"message_stop\"}") == SSEKIT_OK);
    CHECK(ssekit_decoder_is_done(dec));
    /* A delta without an index is malformed. */
    CHECK(feed(dec, NULL, "{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"?\"}}") ==
          SSEKIT_E_ENVELOPE);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_responses(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_RESPONSES, &a);
    CHECK(ssekit_decoder_sequence(dec) == -1);
    CHECK(feed(dec, "response.output_item.added",
               "{\"type\":\"response.output_item.added\",\"output_index\":1,\"item\":{\"id\":"
               "\"fc_1\",\"type\":\"function_call\",\"status\":\"in_progress\",\"arguments\":\"\","
               "\"call_id\":\"call_1\",\"name\":\"lookup\"},\"sequence_number\":5}") == SSEKIT_OK);
    CHECK(ssekit_decoder_sequence(dec) == 5);
    CHECK(feed(dec, "response.function_call_arguments.delta",
               "{\"type\":\"response.function_call_arguments.delta\",\"item_id\":\"fc_1\","
               "\"output_index\":1,\"delta\":\"{\\\"q\\\":\",\"sequence_number\":6}") == SSEKIT_OK);
    /* output_index after the delta, no SSE event name. */
    CHECK(feed(dec, NULL,
               "{\"delta\":\"\\\"x\\\"}\",\"type\":\"response.function_call_arguments.delta\","
               "\"output_index\":1,\"sequence_number\":7}") == SSEKIT_OK);
    CHECK(feed(dec, "response.function_call_arguments.done",
               "{\"type\":\"response.function_call_arguments.done\",\"output_index\":1,"
               "\"arguments\":\"{\\\"q\\\":\\\"x\\\"}\",\"sequence_number\":8}") == SSEKIT_OK);
    CHECK(a.ncalls == 1 && a.calls[0].index == 1 && strcmp(ds_str(&a.calls[0].id), "call_1") == 0 &&
          strcmp(ds_str(&a.calls[0].name), "lookup") == 0 &&
          strcmp(ds_str(&a.calls[0].args), "{\"q\":\"x\"}") == 0);
    CHECK(feed(dec, "response.refusal.delta",
               "{\"type\":\"response.refusal.delta\",\"output_index\":0,\"delta\":\"no\"}") ==
          SSEKIT_OK);
    CHECK(feed(dec, "response.reasoning_summary_text.delta",
               "{\"type\":\"response.reasoning_summary_text.delta\",\"output_index\":0,"
               "\"delta\":\"think\"}") == SSEKIT_OK);
    CHECK(strcmp(ds_str(&a.refusal), "no") == 0 && strcmp(ds_str(&a.thinking), "think") == 0);
    CHECK(feed(dec, "response.incomplete",
               "{\"type\":\"response.incomplete\",\"response\":{\"status\":\"incomplete\","
               "\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"output\":[{\"type\":"
               "\"message\",\"content\":[{\"type\":\"output_text\",\"text\":\"zz\"}]}],\"usage\":"
               "{\"input_tokens\":3,\"input_tokens_details\":{\"cached_tokens\":1},"
               "\"output_tokens\":9,\"output_tokens_details\":{\"reasoning_tokens\":4},"
               "\"total_tokens\":12}},\"sequence_number\":20}") == SSEKIT_OK);
    CHECK(strcmp(ds_str(&a.finish), "max_output_tokens") == 0);
    CHECK(a.usage.input_tokens == 3 && a.usage.output_tokens == 9 && a.usage.total_tokens == 12 &&
          a.usage.cached_input_tokens == 1 && a.usage.reasoning_tokens == 4);
    CHECK(a.dones == 1 && ssekit_decoder_is_done(dec) && ssekit_decoder_sequence(dec) == 20);
    CHECK(a.text.len == 0);
    ssekit_decoder_free(dec);
    acc_free(&a);

    dec = dec_new(SSEKIT_PROVIDER_RESPONSES, &a);
    CHECK(feed(dec, "response.failed",
               "{\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":"
               "{\"code\":\"server_error\",\"message\":\"boom\"}}}") == SSEKIT_OK);
    CHECK(a.provider_errors == 1 && strcmp(ds_str(&a.err_type), "server_error") == 0 &&
          strcmp(ds_str(&a.err_msg), "boom") == 0);
    CHECK(strcmp(ds_str(&a.finish), "failed") == 0 && a.dones == 1);
    CHECK(feed(dec, "error",
               "{\"type\":\"error\",\"code\":\"ERR_X\",\"message\":\"bad\",\"param\":null,"
               "\"sequence_number\":2}") == SSEKIT_OK);
    CHECK(a.provider_errors == 2 && strcmp(ds_str(&a.err_type), "ERR_X") == 0 &&
          strcmp(ds_str(&a.err_msg), "bad") == 0);
    CHECK(feed(dec, NULL, "{\"type\":\"response.output_text.delta\",\"delta\":\"x\"}") ==
          SSEKIT_E_ENVELOPE); /* no output_index */
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_raw(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_RAW, &a);
    CHECK(feed(dec, NULL, "{\"a\": ") == SSEKIT_OK);
    CHECK(feed(dec, "whatever", "[DONE]") == SSEKIT_OK);
    CHECK(feed(dec, NULL, "") == SSEKIT_OK);
    CHECK(strcmp(ds_str(&a.text), "{\"a\": [DONE]") == 0 && a.dones == 0);
    CHECK(ssekit_decoder_finish(dec) == SSEKIT_OK);
    CHECK(a.dones == 1 && ssekit_decoder_is_done(dec));
    CHECK(feed(dec, NULL, "x") == SSEKIT_E_STATE);
    CHECK(ssekit_decoder_finish(dec) == SSEKIT_E_STATE);
    CHECK(ssekit_decoder_reset(dec) == SSEKIT_OK);
    CHECK(!ssekit_decoder_is_done(dec));
    CHECK(feed(dec, NULL, "x") == SSEKIT_OK);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_limits(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    CHECK(ssekit_decoder_set_max_envelope(dec, 0) == SSEKIT_E_INVALID);
    CHECK(ssekit_decoder_set_max_depth(dec, 0) == SSEKIT_E_INVALID);
    CHECK(ssekit_decoder_set_max_envelope(NULL, 5) == SSEKIT_E_INVALID);
    CHECK(ssekit_decoder_set_max_envelope(dec, 60) == SSEKIT_OK);
    const char *big = CHUNK("\"a long enough fragment to pass sixty bytes\"");
    CHECK(feed(dec, NULL, big) == SSEKIT_E_TOO_LARGE);
    CHECK(a.other_errors == 1 && a.last_code == SSEKIT_E_TOO_LARGE &&
          strcmp(ds_str(&a.err_raw), big) == 0 && a.text.len == 0);
    CHECK(feed(dec, NULL, "{\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}") == SSEKIT_OK);
    CHECK(strcmp(ds_str(&a.text), "ok") == 0);

    CHECK(ssekit_decoder_set_max_depth(dec, 3) == SSEKIT_OK);
    CHECK(feed(dec, NULL, "{\"choices\":[{\"delta\":{}}]}") == SSEKIT_E_TOO_DEEP);
    CHECK(a.last_code == SSEKIT_E_TOO_DEEP);
    CHECK(feed(dec, NULL, "{\"x\":[{}],\"choices\":[]}") == SSEKIT_OK);
    ssekit_decoder_free(dec);
    acc_free(&a);

    /* Deep nesting at the default limit passes, one more level fails. */
    dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    size_t depth = SSEKIT_DECODER_DEFAULT_MAX_DEPTH;
    char *deep = malloc(2 * depth + 16);
    REQUIRE(deep);
    for (int extra = 0; extra < 2; extra++) {
        size_t levels = depth + (size_t)extra, n = 0;
        deep[n++] = '{';
        memcpy(deep + n, "\"x\":", 4), n += 4;
        for (size_t i = 1; i < levels; i++)
            deep[n++] = '[';
        for (size_t i = 1; i < levels; i++)
            deep[n++] = ']';
        deep[n++] = '}';
        deep[n] = 0;
        CHECKF(feed(dec, NULL, deep) == (extra ? SSEKIT_E_TOO_DEEP : SSEKIT_OK), "extra %d", extra);
    }
    free(deep);
    ssekit_decoder_free(dec);
    acc_free(&a);
}

static void test_stop_and_reentry(void)
{
    acc a;
    ssekit_decoder *dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    a.stop_at = 1;
    const char *two = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}},{\"index\":1,"
                      "\"delta\":{\"content\":\"b\"}}]}";
    CHECK(feed(dec, NULL, two) == SSEKIT_E_STOPPED);
    CHECK(strcmp(ds_str(&a.text), "a") == 0); /* the rest of that event is dropped */
    CHECK(feed(dec, NULL, two) == SSEKIT_OK);
    CHECK(strcmp(ds_str(&a.text), "aab") == 0);
    a.dec = dec;
    CHECK(feed(dec, NULL, CHUNK("\"c\"")) == SSEKIT_OK);
    CHECK(a.reenter_rc == SSEKIT_E_STATE);
    a.dec = NULL;
    CHECK(feed(dec, NULL, "[DONE]") == SSEKIT_OK);
    CHECK(strcmp(ds_str(&a.text), "aabc") == 0);
    ssekit_decoder_free(dec);
    acc_free(&a);

    ssekit_sse_event ev = {"message", 7, NULL, 3, "", 0};
    dec = dec_new(SSEKIT_PROVIDER_OPENAI, &a);
    CHECK(ssekit_decoder_feed(dec, &ev) == SSEKIT_E_INVALID);
    CHECK(ssekit_decoder_feed(dec, NULL) == SSEKIT_E_INVALID);
    CHECK(ssekit_decoder_feed(NULL, &ev) == SSEKIT_E_INVALID);
    CHECK(ssekit_decoder_finish(NULL) == SSEKIT_E_INVALID);
    CHECK(ssekit_decoder_reset(NULL) == SSEKIT_E_INVALID);
    CHECK(ssekit_decoder_is_done(NULL) == 0);
    ev.data = NULL;
    ev.data_len = 0;
    CHECK(ssekit_decoder_feed(dec, &ev) == SSEKIT_OK);
    ssekit_decoder_free(dec);
    ssekit_decoder_free(NULL);
    acc_free(&a);
}

static void test_names(void)
{
    CHECK(ssekit_provider_from_name("openai") == SSEKIT_PROVIDER_OPENAI);
    CHECK(ssekit_provider_from_name("anthropic") == SSEKIT_PROVIDER_ANTHROPIC);
    CHECK(ssekit_provider_from_name("responses") == SSEKIT_PROVIDER_RESPONSES);
    CHECK(ssekit_provider_from_name("raw") == SSEKIT_PROVIDER_RAW);
    CHECK(ssekit_provider_from_name("OpenAI") == SSEKIT_E_INVALID);
    CHECK(ssekit_provider_from_name("") == SSEKIT_E_INVALID);
    CHECK(ssekit_provider_from_name(NULL) == SSEKIT_E_INVALID);
    for (int k = 0; k < 4; k++)
        CHECK(ssekit_provider_from_name(ssekit_provider_name((ssekit_provider)k)) == k);
    CHECK(ssekit_provider_name((ssekit_provider)4) == NULL);
    CHECK(ssekit_decoder_new((ssekit_provider)9, &callbacks, NULL, NULL) == NULL);
}

/* ---- allocation failures -------------------------------------------------- */

/* Every allocation of the decoder (and of yajl, through it) fails in turn,
 * once and then for good: each run ends without a crash or a leak, every
 * failure is reported as SSEKIT_E_NOMEM (and as an ERROR delta), and the runs
 * where nothing failed give exactly the deltas of a normal run. */
static void test_alloc_failures(const char *file, ssekit_provider kind)
{
    char path[1024];
    size_t len;
    snprintf(path, sizeof path, "%s/providers/%s", SSEKIT_VECTORS_DIR, file);
    char *sse = check_read_file(path, &len);
    acc ref = {0};
    run rr;
    run_stream(kind, sse, len, 0, &ref, NULL, &rr);
    /* Count the allocations of a normal run. */
    fail_alloc fa = {0};
    ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
    acc a = {0};
    run_stream(kind, sse, len, 0, &a, &af, NULL);
    long total = fa.calls;
    CHECKF(total > 0 && fa.live == 0, "%s: %ld allocations, %ld live", file, total, fa.live);
    CHECK(a.log.len == ref.log.len && !memcmp(ds_str(&a.log), ds_str(&ref.log), ref.log.len));
    acc_free(&a);
    for (int sticky = 0; sticky < 2; sticky++) {
        for (long at = 1; at <= total + 1; at++) {
            memset(&fa, 0, sizeof fa);
            fa.fail_at = at;
            fa.sticky = sticky;
            run r;
            int done = run_stream(kind, sse, len, 0, &a, &af, &r);
            CHECKF(fa.live == 0, "%s: fail at %ld: %ld blocks leaked", file, at, fa.live);
            if (done >= 0) {
                CHECKF(r.other == 0 && r.envelope == rr.envelope, "%s: at %ld: results", file, at);
                if (fa.failures == 0)
                    CHECKF(a.log.len == ref.log.len &&
                               !memcmp(ds_str(&a.log), ds_str(&ref.log), ref.log.len),
                           "%s: at %ld: no failure, other deltas", file, at);
                else
                    CHECKF(r.nomem > 0 && a.other_errors == r.nomem,
                           "%s: at %ld: %ld failures, %d NOMEM results, %d error deltas", file, at,
                           fa.failures, r.nomem, a.other_errors);
            } else {
                CHECK(at == 1); /* only the handle itself can fail creation */
            }
            acc_free(&a);
        }
    }
    acc_free(&ref);
    free(sse);
}

int main(void)
{
    test_names();
    test_fixtures();
    test_malformed_then_good();
    test_envelope_keeps_good_part();
    test_whitespace_and_done();
    test_escapes();
    test_openai_usage_refusal_reasoning();
    test_openai_tool_calls();
    test_openai_tool_announce();
    test_openai_errors();
    test_unknown_ignored();
    test_anthropic_order_and_usage();
    test_responses();
    test_raw();
    test_limits();
    test_stop_and_reentry();
    test_alloc_failures("openai_chat_tool_calls.sse", SSEKIT_PROVIDER_OPENAI);
    test_alloc_failures("openai_chat_structured.sse", SSEKIT_PROVIDER_OPENAI);
    test_alloc_failures("anthropic_tool_use.sse", SSEKIT_PROVIDER_ANTHROPIC);
    test_alloc_failures("responses_text.sse", SSEKIT_PROVIDER_RESPONSES);
    return check_done("test_provider");
}
