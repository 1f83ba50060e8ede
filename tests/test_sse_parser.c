/* Tests of the SSE parser: the shared WHATWG vectors fed whole and in small
 * chunks, random splits of large generated streams, limits, allocation
 * failures, zero-copy, stop/resume, reset and finish. */
#include <yajl/yajl_parse.h>

#include "check.h"
#include "fail_alloc.h"
#include "sse_record.h"
#include "ssekit/sse_parser.h"

/* ---- helpers ----------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static size_t rnd_below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

static ssekit_sse_parser *new_parser(sse_record *r, int raw)
{
    ssekit_sse_parser *p = ssekit_sse_parser_new(&rec_callbacks, r, NULL);
    REQUIRE(p);
    ssekit_sse_parser_set_raw(p, raw);
    return p;
}

static void finish_record(sse_record *r)
{
    rec_put(r, "", 0);
}

/* Runs the parser over `in` cut every `chunk` bytes (0 = one feed). */
static sse_record run_chunked(const char *in, size_t len, size_t chunk, int raw, int stop_every)
{
    sse_record r = {0};
    r.stop_every = stop_every;
    ssekit_sse_parser *p = new_parser(&r, raw);
    size_t ncuts = chunk ? len / chunk : 0;
    size_t *cuts = calloc(ncuts + 1, sizeof *cuts);
    REQUIRE(cuts);
    for (size_t i = 0; i < ncuts; i++)
        cuts[i] = (i + 1) * chunk;
    CHECK(rec_feed_cuts(p, in, len, cuts, ncuts) == 0);
    CHECK(ssekit_sse_finish(p) == SSEKIT_OK);
    ssekit_sse_parser_free(p);
    free(cuts);
    finish_record(&r);
    return r;
}

/* Runs the parser over `in` cut at random points (a few hundred cuts, with
 * runs of one-byte pieces). */
static sse_record run_random(const char *in, size_t len, int raw, int stop_every)
{
    sse_record r = {0};
    r.stop_every = stop_every;
    ssekit_sse_parser *p = new_parser(&r, raw);
    size_t ncuts = 1 + rnd_below(400);
    size_t *cuts = calloc(ncuts, sizeof *cuts);
    REQUIRE(cuts);
    size_t at = 0;
    for (size_t i = 0; i < ncuts; i++) {
        at += rnd_below(4) == 0 ? 1 : rnd_below(2 * len / ncuts + 2);
        cuts[i] = at < len ? at : len;
    }
    CHECK(rec_feed_cuts(p, in, len, cuts, ncuts) == 0);
    CHECK(ssekit_sse_finish(p) == SSEKIT_OK);
    ssekit_sse_parser_free(p);
    free(cuts);
    finish_record(&r);
    return r;
}

static int same(const sse_record *a, const sse_record *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* ---- the shared vectors (shared/vectors/sse.jsonl) ---------------------- */

/* One vector, read with yajl's event parser because its strings may hold
 * NUL bytes, which yajl_tree would cut. */
typedef struct vector {
    char name[256];
    char *input;
    size_t input_len;
    int hex;
    sse_record expect;
    int depth, in_expect;
    char key1[32], key2[32];
    /* the expect item being read */
    char *f[3];
    size_t flen[3];
    int kind; /* 'E', 'R', 'C' */
    unsigned long long retry;
} vector;

static char *dup_bytes(const unsigned char *s, size_t n)
{
    char *p = malloc(n + 1);
    REQUIRE(p);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static int v_string(void *ctx, const unsigned char *s, size_t n)
{
    vector *v = ctx;
    if (v->depth == 1) {
        if (!strcmp(v->key1, "name"))
            snprintf(v->name, sizeof v->name, "%.*s", (int)n, (const char *)s);
        else if (!strcmp(v->key1, "input") || !strcmp(v->key1, "input_hex")) {
            v->hex = v->key1[5] == '_';
            v->input = dup_bytes(s, n);
            v->input_len = n;
        }
    } else if (v->depth == 2 && v->in_expect) {
        int i = !strcmp(v->key2, "event")  ? 0
                : !strcmp(v->key2, "data") ? 1
                : !strcmp(v->key2, "id")   ? 2
                                           : -1;
        if (!strcmp(v->key2, "comment")) {
            v->kind = 'C';
            i = 1;
        } else if (i >= 0) {
            v->kind = 'E';
        }
        if (i >= 0) {
            free(v->f[i]);
            v->f[i] = dup_bytes(s, n);
            v->flen[i] = n;
        }
    }
    return 1;
}

static int v_number(void *ctx, const char *s, size_t n)
{
    vector *v = ctx;
    if (v->depth == 2 && !strcmp(v->key2, "retry")) {
        v->kind = 'R';
        char tmp[32];
        snprintf(tmp, sizeof tmp, "%.*s", (int)n, s);
        v->retry = strtoull(tmp, NULL, 10);
    }
    return 1;
}

static int v_map_key(void *ctx, const unsigned char *s, size_t n)
{
    vector *v = ctx;
    char *k = v->depth == 1 ? v->key1 : v->key2;
    snprintf(k, 32, "%.*s", (int)n, (const char *)s);
    if (v->depth == 1)
        v->in_expect = !strcmp(k, "expect");
    return 1;
}

static int v_start_map(void *ctx)
{
    vector *v = ctx;
    v->depth++;
    if (v->depth == 2) {
        v->kind = 0;
        for (int i = 0; i < 3; i++) {
            free(v->f[i]);
            v->f[i] = NULL;
            v->flen[i] = 0;
        }
    }
    return 1;
}

static int v_end_map(void *ctx)
{
    vector *v = ctx;
    if (v->depth == 2 && v->in_expect) {
        if (v->kind == 'E') {
            rec_event(&v->expect, &(ssekit_sse_event){v->f[0] ? v->f[0] : "", v->flen[0],
                                                      v->f[1] ? v->f[1] : "", v->flen[1],
                                                      v->f[2] ? v->f[2] : "", v->flen[2]});
        } else if (v->kind == 'R') {
            rec_retry(&v->expect, v->retry);
        } else if (v->kind == 'C') {
            rec_comment(&v->expect, v->f[1], v->flen[1]);
        }
    }
    v->depth--;
    return 1;
}

static const yajl_callbacks vector_callbacks = {
    NULL, NULL, NULL, NULL, v_number, v_string, v_start_map, v_map_key, v_end_map, NULL, NULL,
};

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

static int read_vector(const char *line, size_t len, vector *v)
{
    memset(v, 0, sizeof *v);
    yajl_handle h = yajl_alloc(&vector_callbacks, NULL, v);
    REQUIRE(h);
    int ok = yajl_parse(h, (const unsigned char *)line, len) == yajl_status_ok &&
             yajl_complete_parse(h) == yajl_status_ok;
    yajl_free(h);
    for (int i = 0; i < 3; i++)
        free(v->f[i]);
    if (ok && v->hex) {
        size_t n = v->input_len / 2;
        for (size_t i = 0; i < n; i++)
            v->input[i] = (char)(hexval(v->input[2 * i]) << 4 | hexval(v->input[2 * i + 1]));
        v->input_len = n;
    }
    finish_record(&v->expect);
    return ok && v->input ? 0 : -1;
}

static void test_vectors(void)
{
    size_t len;
    char *all = check_read_file(SSEKIT_VECTORS_DIR "/sse.jsonl", &len);
    static const size_t chunks[] = {0, 1, 2, 3, 7};
    int count = 0;
    for (char *line = all, *nl; line < all + len; line = nl + 1) {
        nl = memchr(line, '\n', (size_t)(all + len - line));
        if (!nl)
            nl = all + len;
        if (nl == line)
            continue;
        vector v;
        REQUIRE(read_vector(line, (size_t)(nl - line), &v) == 0);
        count++;
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            for (int stop = 0; stop < 2; stop++) {
                sse_record got = run_chunked(v.input, v.input_len, chunks[c], 0, stop);
                CHECKF(same(&got, &v.expect), "vector '%s' chunk %zu stop %d:\n got  %s\n want %s",
                       v.name, chunks[c], stop, got.p, v.expect.p);
                free(got.p);
            }
        }
        free(v.input);
        free(v.expect.p);
    }
    CHECKF(count >= 40, "read %d vectors", count);
    free(all);
}

/* ---- generated streams: any split gives the same callbacks -------------- */

/* Pieces of streams, chosen to hit every rule: line endings of each kind
 * (also split), fields and near-misses, BOMs, invalid and split UTF-8, NUL. */
#define P(s)                                                                                       \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
static const struct {
    const char *s;
    size_t n;
} pieces[] = {
    P("data: "),
    P("data:"),
    P("data"),
    P("event: "),
    P("event:"),
    P("id: "),
    P("id:"),
    P("retry: "),
    P("retry:"),
    P(": "),
    P(":"),
    P("\n"),
    P("\r\n"),
    P("\r"),
    P("\n\n"),
    P("\r\n\r\n"),
    P("\r\r"),
    P("hello"),
    P("{\"a\":"),
    P("[DONE]"),
    P("héllo"),
    P("中文"),
    P("😀"),
    P("\xEF\xBB\xBF"),
    P("\xff"),
    P("\xe4\xb8"),
    P("\xc3"),
    P("\x80"),
    P(" "),
    P("  "),
    P("x:y"),
    P("foo: bar"),
    P("1500"),
    P("12a"),
    P("\0"),
    P("\t"),
    P("event"),
    P("Data: "),
    P("data :"),
    P("id\0x"),
    P("\xed\xa0\x80"),
    P("\xf4\x90"),
};

static const char *const endings[] = {"\n", "\r\n", "\r"};
static const char *const names[] = {
    "data: ", "data:", "data", "event: ", "id: ", "retry: ", ": ", ":", "junk: ", "data "};

static size_t put(char *buf, size_t n, const char *s, size_t k)
{
    memcpy(buf + n, s, k);
    return n + k;
}

/* Mostly well-formed lines (a field name, a value made of pieces, an ending),
 * blank lines, and now and then any piece at all. */
static char *gen_stream(size_t target, size_t *len)
{
    char *buf = malloc(target + 4096);
    REQUIRE(buf);
    size_t n = 0;
    while (n < target) {
        size_t kind = rnd_below(10), i;
        if (kind == 0) {
            i = rnd_below(sizeof pieces / sizeof pieces[0]);
            n = put(buf, n, pieces[i].s, pieces[i].n);
            continue;
        }
        if (kind >= 3) {
            const char *name = names[rnd_below(sizeof names / sizeof names[0])];
            n = put(buf, n, name, strlen(name));
            for (size_t k = rnd_below(4); k > 0; k--) {
                i = rnd_below(sizeof pieces / sizeof pieces[0]);
                if (!memchr(pieces[i].s, '\n', pieces[i].n) &&
                    !memchr(pieces[i].s, '\r', pieces[i].n))
                    n = put(buf, n, pieces[i].s, pieces[i].n);
            }
            size_t run = rnd_below(8) == 0 ? rnd_below(600) : rnd_below(30);
            for (size_t k = 0; k < run; k++)
                buf[n++] = (char)('a' + rnd_below(26));
        }
        const char *e = endings[rnd_below(3)];
        n = put(buf, n, e, strlen(e));
    }
    *len = n;
    return buf;
}

static void test_random_splits(void)
{
    for (int round = 0; round < 60; round++) {
        size_t len;
        char *s = gen_stream(round < 50 ? 2000 + rnd_below(20000) : 400000, &len);
        for (int raw = 0; raw < 2; raw++) {
            sse_record whole = run_chunked(s, len, 0, raw, 0);
            for (int k = 0; k < 4; k++) {
                sse_record split = run_random(s, len, raw, k == 3);
                CHECKF(same(&whole, &split), "round %d raw %d split %d differs", round, raw, k);
                free(split.p);
            }
            sse_record ones = run_chunked(s, len, 1, raw, 0);
            CHECKF(same(&whole, &ones), "round %d raw %d byte-at-a-time differs", round, raw);
            free(ones.p);
            CHECKF(whole.events > 0, "%.300s", whole.p);
            free(whole.p);
        }
        free(s);
    }
}

/* The example streams in tests/data must give the same events in any split. */
static void test_example_streams(void)
{
    static const char *files[] = {SSEKIT_TEST_DATA_DIR "/openai_structured.sse",
                                  SSEKIT_VECTORS_DIR "/providers/anthropic_tool_use.sse",
                                  SSEKIT_VECTORS_DIR "/providers/responses_text.sse"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        size_t len;
        char *s = check_read_file(files[i], &len);
        sse_record whole = run_chunked(s, len, 0, 0, 0);
        CHECKF(whole.events > 3 && whole.errors == 0, "%s: %zu events", files[i], whole.events);
        for (size_t c = 1; c < 40; c += 3) {
            sse_record split = run_chunked(s, len, c, 0, 0);
            CHECKF(same(&whole, &split), "%s chunk %zu", files[i], c);
            free(split.p);
        }
        free(whole.p);
        free(s);
    }
}

/* ---- limits ------------------------------------------------------------ */

/* An allocator that remembers the largest amount of memory held at once. */
typedef struct peak_alloc {
    size_t now, peak;
} peak_alloc;

static void *peak_malloc(void *ctx, size_t n)
{
    peak_alloc *a = ctx;
    size_t *p = malloc(n + sizeof(size_t) * 2);
    if (!p)
        return NULL;
    p[0] = n;
    a->now += n;
    if (a->now > a->peak)
        a->peak = a->now;
    return p + 2;
}

static void peak_free(void *ctx, void *ptr)
{
    peak_alloc *a = ctx;
    if (!ptr)
        return;
    size_t *p = (size_t *)ptr - 2;
    a->now -= p[0];
    free(p);
}

static void *peak_realloc(void *ctx, void *ptr, size_t n)
{
    if (!ptr)
        return peak_malloc(ctx, n);
    size_t old = ((size_t *)ptr)[-2];
    void *q = peak_malloc(ctx, n);
    if (!q)
        return NULL;
    memcpy(q, ptr, old < n ? old : n);
    peak_free(ctx, ptr);
    return q;
}

static void test_line_limit(void)
{
    sse_record r = {0};
    peak_alloc pa = {0};
    ssekit_alloc_funcs af = {peak_malloc, peak_realloc, peak_free, &pa};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&rec_callbacks, &r, &af);
    REQUIRE(p);
    CHECK(ssekit_sse_parser_set_max_line(p, 0) == SSEKIT_E_INVALID);
    CHECK(ssekit_sse_parser_set_max_line(p, 1000) == SSEKIT_OK);
    CHECK(ssekit_sse_feed(p, "data: before\n\n", 14) == SSEKIT_OK);
    /* a 50 MB line, fed in 4 KiB pieces: reported once, never stored */
    char piece[4096];
    memset(piece, 'x', sizeof piece);
    CHECK(ssekit_sse_feed(p, "data: ", 6) == SSEKIT_OK);
    int first = SSEKIT_OK;
    for (int i = 0; i < 12800; i++) {
        int rc = ssekit_sse_feed(p, piece, sizeof piece);
        if (rc != SSEKIT_OK && first == SSEKIT_OK)
            first = rc;
    }
    CHECK(first == SSEKIT_E_LINE_TOO_LONG);
    CHECK(ssekit_sse_feed(p, "\ndata: lost\n\ndata: after\n\n", 26) == SSEKIT_OK);
    CHECKF(r.errors == 1 && r.events == 2, "errors %zu events %zu", r.errors, r.events);
    CHECKF(strstr(r.p, "X-4@14;") != NULL, "record %s", r.p);
    CHECK(strstr(r.p, "lost") == NULL && strstr(r.p, "after") != NULL);
    CHECKF(pa.peak < 16384, "peak memory %zu bytes", pa.peak);
    /* the same line in one feed gives the same report */
    ssekit_sse_parser_free(p);
    CHECK(pa.now == 0);
    free(r.p);
}

static void test_event_limit(void)
{
    sse_record r = {0};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&rec_callbacks, &r, NULL);
    REQUIRE(p);
    CHECK(ssekit_sse_parser_set_max_event(p, 0) == SSEKIT_E_INVALID);
    CHECK(ssekit_sse_parser_set_max_event(p, 10) == SSEKIT_OK);
    /* 5 + 1 + 4 = 10 bytes: fits exactly */
    const char *ok = "data: 12345\ndata: 6789\n\n";
    CHECK(ssekit_sse_feed(p, ok, strlen(ok)) == SSEKIT_OK);
    /* one more byte: dropped, id and retry of the dropped event still apply */
    const char *big = "data: 12345\nid: 9\ndata: 67890\nretry: 5\nevent: z\n\ndata: next\n\n";
    CHECK(ssekit_sse_feed(p, big, strlen(big)) == SSEKIT_E_EVENT_TOO_LARGE);
    /* a long event type counts too */
    const char *type = "event: 0123456789a\ndata: x\n\ndata: y\n\n";
    CHECK(ssekit_sse_feed(p, type, strlen(type)) == SSEKIT_E_EVENT_TOO_LARGE);
    CHECKF(r.events == 3 && r.errors == 2 && r.retries == 1, "%zu %zu %zu", r.events, r.errors,
           r.retries);
    CHECKF(strstr(r.p, "E7:message10:12345\n67890:") != NULL, "record %s", r.p);
    CHECKF(strstr(r.p, "E7:message4:next1:9") != NULL, "record %s", r.p);
    CHECKF(strstr(r.p, "E7:message1:y1:9") != NULL && !strstr(r.p, "1:x"), "record %s", r.p);
    ssekit_sse_parser_free(p);
    free(r.p);
}

/* Limits must not depend on how the input is split. */
static void test_limits_split_invariant(void)
{
    for (int round = 0; round < 40; round++) {
        size_t len;
        char *s = gen_stream(5000, &len);
        sse_record ref = {0};
        size_t max_line = 5 + rnd_below(60), max_event = 5 + rnd_below(120);
        for (int k = 0; k < 6; k++) {
            sse_record r = {0};
            ssekit_sse_parser *p = new_parser(&r, 0);
            ssekit_sse_parser_set_max_line(p, max_line);
            ssekit_sse_parser_set_max_event(p, max_event);
            size_t cuts[64], nc = k ? 64 : 0;
            for (size_t i = 0; i < nc; i++)
                cuts[i] = i ? cuts[i - 1] + rnd_below(2 * len / nc + 1) : rnd_below(50);
            CHECK(rec_feed_cuts(p, s, len, cuts, nc) == 0);
            ssekit_sse_finish(p);
            ssekit_sse_parser_free(p);
            finish_record(&r);
            if (!k) {
                ref = r;
                CHECK(r.errors > 0);
            } else {
                size_t d = 0;
                while (d < ref.len && d < r.len && ref.p[d] == r.p[d])
                    d++;
                CHECKF(same(&ref, &r), "round %d split %d lim %zu/%zu at %zu\n%.200s\n%.200s",
                       round, k, max_line, max_event, d, ref.p + (d > 60 ? d - 60 : 0),
                       r.p + (d > 60 ? d - 60 : 0));
                free(r.p);
            }
        }
        free(ref.p);
        free(s);
    }
}

/* ---- allocation failures ----------------------------------------------- */

static void test_alloc_failures(void)
{
    /* an input that needs every kind of owned buffer: split lines, a multi
     * line event, an id, a line needing UTF-8 repair */
    const char *in = "\xEF\xBB\xBFid: 42\ndata: a\xff\nevent: t\ndata: second line\n\n"
                     "data: tail\n\n";
    size_t len = strlen(in);
    sse_record ref = run_chunked(in, len, 3, 0, 0);
    CHECK(ref.events == 2);
    for (long n = 1; n < 60; n++) {
        for (int sticky = 0; sticky < 2; sticky++) {
            fail_alloc fa = {0};
            fa.fail_at = n;
            fa.sticky = sticky;
            ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
            sse_record r = {0};
            ssekit_sse_parser *p = ssekit_sse_parser_new(&rec_callbacks, &r, &af);
            if (!p) {
                CHECK(fa.failures == 1 && fa.live == 0);
                continue;
            }
            for (size_t i = 0; i < len; i += 3) {
                int rc = ssekit_sse_feed(p, in + i, len - i < 3 ? len - i : 3);
                CHECK(rc == SSEKIT_OK || rc == SSEKIT_E_NOMEM);
            }
            ssekit_sse_finish(p);
            ssekit_sse_parser_free(p);
            CHECKF(fa.live == 0, "leak after failing allocation %ld", n);
            /* every failure is reported; with a single failure, at most the
             * event in progress is lost */
            if (fa.failures) {
                CHECKF(r.errors > 0, "failure at %ld not reported", n);
                if (!sticky)
                    CHECK(r.events >= 1);
            } else {
                CHECK(r.len == ref.len - 1 || same(&r, &ref) || r.errors == 0);
            }
            free(r.p);
        }
    }
    free(ref.p);
}

/* ---- zero-copy, stop, reset, finish, re-entry -------------------------- */

static const char *zc_buf;
static size_t zc_len;
static int zc_inside, zc_outside;

static int zc_event(void *u, const ssekit_sse_event *ev)
{
    (void)u;
    if (ev->data >= zc_buf && ev->data < zc_buf + zc_len)
        zc_inside++;
    else
        zc_outside++;
    return 0;
}

static void test_zero_copy(void)
{
    ssekit_sse_callbacks cb = {.on_event = zc_event};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&cb, NULL, NULL);
    REQUIRE(p);
    static const char a[] = "data: one\n\ndata: tw";
    static const char b[] = "o\n\ndata: three\n\n";
    zc_buf = a, zc_len = sizeof a - 1;
    ssekit_sse_feed(p, a, sizeof a - 1);
    zc_buf = b, zc_len = sizeof b - 1;
    ssekit_sse_feed(p, b, sizeof b - 1);
    /* "one" and "three" came whole: pointers into the input; "two" was split */
    CHECK(zc_inside == 2 && zc_outside == 1);
    ssekit_sse_parser_free(p);
}

static ssekit_sse_parser *reentry_parser;
static int reentry_rc[3];

static int reentry_event(void *u, const ssekit_sse_event *ev)
{
    (void)u;
    (void)ev;
    reentry_rc[0] = ssekit_sse_feed(reentry_parser, "x", 1);
    reentry_rc[1] = ssekit_sse_finish(reentry_parser);
    reentry_rc[2] = ssekit_sse_parser_reset(reentry_parser);
    return 0;
}

static void test_lifecycle(void)
{
    sse_record r = {0};
    ssekit_sse_parser *p = new_parser(&r, 0);
    CHECK(ssekit_sse_feed(p, "id: 7\ndata: a\n\ndata: partial", 29) == SSEKIT_OK);
    size_t idlen;
    CHECK(!strcmp(ssekit_sse_parser_last_event_id(p, &idlen), "7") && idlen == 1);
    CHECK(ssekit_sse_parser_offset(p) == 29);
    CHECK(ssekit_sse_finish(p) == SSEKIT_OK);
    CHECK(ssekit_sse_feed(p, "\n\n", 2) == SSEKIT_E_STATE); /* finished */
    CHECK(ssekit_sse_finish(p) == SSEKIT_E_STATE);
    CHECK(ssekit_sse_parser_reset(p) == SSEKIT_OK);
    CHECK(ssekit_sse_parser_offset(p) == 0);
    /* after reset: partial event gone, id kept, a BOM is stripped again */
    CHECK(ssekit_sse_feed(p, "\xEF\xBB\xBF\n\ndata: b\n\n", 14) == SSEKIT_OK);
    finish_record(&r);
    CHECKF(!strcmp(r.p, "E7:message1:a1:7E7:message1:b1:7"), "record %s", r.p);
    CHECK(ssekit_sse_feed(NULL, "x", 1) == SSEKIT_E_INVALID);
    CHECK(ssekit_sse_feed(p, NULL, 1) == SSEKIT_E_INVALID);
    CHECK(ssekit_sse_feed(p, NULL, 0) == SSEKIT_OK);
    ssekit_sse_parser_free(p);
    free(r.p);

    ssekit_sse_callbacks cb = {.on_event = reentry_event};
    reentry_parser = ssekit_sse_parser_new(&cb, NULL, NULL);
    REQUIRE(reentry_parser);
    CHECK(ssekit_sse_feed(reentry_parser, "data: x\n\n", 9) == SSEKIT_OK);
    CHECK(reentry_rc[0] == SSEKIT_E_STATE && reentry_rc[1] == SSEKIT_E_STATE &&
          reentry_rc[2] == SSEKIT_E_STATE);
    ssekit_sse_parser_free(reentry_parser);
    ssekit_sse_parser_free(NULL);
}

/* The last event ID string moves at blank lines only (WHATWG), so a
 * reconnect never skips an event that was cut off. */
static void test_last_event_id(void)
{
    sse_record r = {0};
    ssekit_sse_parser *p = new_parser(&r, 0);
    size_t n;
    const char *a = "id: 1\ndata: a\n\nid: 2\ndata: cut";
    CHECK(ssekit_sse_feed(p, a, strlen(a)) == SSEKIT_OK);
    CHECK(!strcmp(ssekit_sse_parser_last_event_id(p, &n), "1") && n == 1);
    CHECK(ssekit_sse_finish(p) == SSEKIT_OK);
    CHECK(!strcmp(ssekit_sse_parser_last_event_id(p, NULL), "1"));
    /* a new connection: the cut-off event's id is gone from the buffer too */
    CHECK(ssekit_sse_parser_reset(p) == SSEKIT_OK);
    CHECK(ssekit_sse_feed(p, "data: b\n\nid: 7\n\n", 16) == SSEKIT_OK);
    CHECK(!strcmp(ssekit_sse_parser_last_event_id(p, NULL), "7")); /* id-only block */
    CHECK(ssekit_sse_feed(p, "id\n", 3) == SSEKIT_OK);
    CHECK(!strcmp(ssekit_sse_parser_last_event_id(p, NULL), "7"));
    CHECK(ssekit_sse_feed(p, "\n", 1) == SSEKIT_OK); /* bare id: reset to "" */
    CHECK(!strcmp(ssekit_sse_parser_last_event_id(p, &n), "") && n == 0);
    finish_record(&r);
    CHECKF(!strcmp(r.p, "E7:message1:a1:1E7:message1:b1:1"), "record %s", r.p);
    ssekit_sse_parser_free(p);
    free(r.p);
}

static void test_stop_consumed(void)
{
    sse_record r = {0};
    r.stop_every = 1;
    ssekit_sse_parser *p = new_parser(&r, 0);
    const char *in = "data: a\r\n\r\ndata: b\n\n";
    CHECK(ssekit_sse_feed(p, in, strlen(in)) == SSEKIT_E_STOPPED);
    /* stopped right after the blank line that dispatched "a" */
    CHECKF(ssekit_sse_parser_consumed(p) == 11, "consumed %zu", ssekit_sse_parser_consumed(p));
    CHECK(r.events == 1);
    CHECK(ssekit_sse_feed(p, in + 11, strlen(in) - 11) == SSEKIT_E_STOPPED);
    CHECK(r.events == 2 && ssekit_sse_parser_consumed(p) == strlen(in) - 11);
    ssekit_sse_parser_free(p);
    free(r.p);
}

static void test_raw_mode(void)
{
    const char in[] = "data: a\xff\xe4\xb8z\n\n";
    sse_record dec = run_chunked(in, sizeof in - 1, 0, 0, 0);
    sse_record raw = run_chunked(in, sizeof in - 1, 0, 1, 0);
    CHECKF(!strcmp(dec.p, "E7:message8:a\xEF\xBF\xBD\xEF\xBF\xBDz0:"), "%s", dec.p);
    CHECKF(!strcmp(raw.p, "E7:message5:a\xff\xe4\xb8z0:"), "%s", raw.p);
    free(dec.p);
    free(raw.p);
}

int main(void)
{
    test_vectors();
    test_random_splits();
    test_example_streams();
    test_line_limit();
    test_event_limit();
    test_limits_split_invariant();
    test_alloc_failures();
    test_zero_copy();
    test_lifecycle();
    test_stop_consumed();
    test_last_event_id();
    test_raw_mode();
    return check_done("test_sse_parser");
}
