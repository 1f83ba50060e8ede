/* libFuzzer target: the partial JSON builder against yajl parsing the whole
 * input in one call.
 *
 * Input: two bytes that seed the split points, then the document.
 * Checks:
 *   - accept/reject as yajl, except where ssekit is stricter by design
 *     (RFC 3629 UTF-8 only, no \v or \f as whitespace): there it must reject;
 *   - the same final value as yajl (canonical serialisations), except for
 *     unpaired \uD800-\uDFFF escapes, which yajl decodes to "?" or CESU-8
 *     and ssekit to U+FFFD;
 *   - the snapshot writer's output is canonical JSON (yajl reads it back to
 *     the same text) and valid UTF-8;
 *   - random splits give the same status, error offset, value and events as
 *     one feed (also with a small string limit, chosen by the first byte);
 *   - the error offset is the first invalid byte: the text before it is
 *     accepted as a beginning, and the text up to and including it, ended
 *     there, is rejected at that offset. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "ssekit/partial_json.h"
#include "ssekit/status.h"

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static void add(buf *b, const char *d, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
    b->p[b->len] = 0;
}

static int out(void *ctx, const char *d, size_t n)
{
    add(ctx, d, n);
    return 0;
}

/* ---- reference: yajl, canonical output -------------------------------------- */

static void canon_string(buf *o, const unsigned char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    add(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        switch (c) {
        case '"':
            add(o, "\\\"", 2);
            break;
        case '\\':
            add(o, "\\\\", 2);
            break;
        case '\b':
            add(o, "\\b", 2);
            break;
        case '\f':
            add(o, "\\f", 2);
            break;
        case '\n':
            add(o, "\\n", 2);
            break;
        case '\r':
            add(o, "\\r", 2);
            break;
        case '\t':
            add(o, "\\t", 2);
            break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                add(o, e, 6);
            } else {
                add(o, (const char *)&c, 1);
            }
        }
    }
    add(o, "\"", 1);
}

typedef struct ref {
    buf o;
    unsigned char *comma;
    size_t depth, cap;
    int after_key;
    yajl_handle h;
    size_t root_end; /* where the first complete value ends */
    int finishing;   /* inside yajl_complete_parse */
    size_t n;
} ref;

static void root_done(ref *r)
{
    if (!r->depth && !r->root_end)
        r->root_end = r->finishing ? r->n : yajl_get_bytes_consumed(r->h);
}

static void val(ref *r)
{
    if (!r->after_key && r->comma[r->depth])
        add(&r->o, ",", 1);
    r->comma[r->depth] = 1;
    r->after_key = 0;
}

static void push(ref *r)
{
    if (++r->depth >= r->cap) {
        r->cap *= 2;
        r->comma = realloc(r->comma, r->cap);
        if (!r->comma)
            abort();
    }
    r->comma[r->depth] = 0;
}

static int r_null(void *c)
{
    val(c);
    add(&((ref *)c)->o, "null", 4);
    root_done(c);
    return 1;
}
static int r_bool(void *c, int v)
{
    val(c);
    add(&((ref *)c)->o, v ? "true" : "false", v ? 4 : 5);
    root_done(c);
    return 1;
}
static int r_num(void *c, const char *s, size_t n)
{
    val(c);
    add(&((ref *)c)->o, s, n);
    root_done(c);
    return 1;
}
static int r_str(void *c, const unsigned char *s, size_t n)
{
    val(c);
    canon_string(&((ref *)c)->o, s, n);
    root_done(c);
    return 1;
}
static int r_key(void *c, const unsigned char *s, size_t n)
{
    ref *r = c;
    if (r->comma[r->depth])
        add(&r->o, ",", 1);
    r->comma[r->depth] = 1;
    canon_string(&r->o, s, n);
    add(&r->o, ":", 1);
    r->after_key = 1;
    return 1;
}
static int r_smap(void *c)
{
    val(c);
    add(&((ref *)c)->o, "{", 1);
    push(c);
    return 1;
}
static int r_emap(void *c)
{
    ((ref *)c)->depth--;
    add(&((ref *)c)->o, "}", 1);
    root_done(c);
    return 1;
}
static int r_sarr(void *c)
{
    val(c);
    add(&((ref *)c)->o, "[", 1);
    push(c);
    return 1;
}
static int r_earr(void *c)
{
    ((ref *)c)->depth--;
    add(&((ref *)c)->o, "]", 1);
    root_done(c);
    return 1;
}

static const yajl_callbacks ref_cb = {r_null, r_bool, NULL,   NULL,   r_num, r_str,
                                      r_smap, r_key,  r_emap, r_sarr, r_earr};

/* yajl 2.1 accepts an unterminated string after the value ("1 \"x"):
 * its trailing-garbage check sees only an unfinished token. The reference
 * therefore also requires that only whitespace follows the value. */
static int ref_parse(const unsigned char *d, size_t n, buf *o)
{
    ref r = {{0}, NULL, 0, 16, 0, NULL, 0, 0, n};
    r.comma = calloc(r.cap, 1);
    if (!r.comma)
        abort();
    yajl_handle h = yajl_alloc(&ref_cb, NULL, &r);
    r.h = h;
    int ok = yajl_parse(h, d, n) == yajl_status_ok;
    r.finishing = 1;
    ok = ok && yajl_complete_parse(h) == yajl_status_ok;
    for (size_t i = r.root_end; ok && i < n; i++)
        if (!strchr(" \t\n\r\v\f", d[i]) || !d[i])
            ok = 0;
    yajl_free(h);
    free(r.comma);
    o->len = 0;
    add(o, r.o.p ? r.o.p : "", r.o.len);
    free(r.o.p);
    return ok;
}

/* ---- where ssekit differs from yajl on purpose -------------------------------- */

static int utf8_strict(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k = c >= 0xC2 && c <= 0xDF   ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (!k || i + k > n)
            return 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        else if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t j = 2; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
        i += k;
    }
    return 1;
}

static int hexv(unsigned char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static long esc_u(const unsigned char *d, size_t n, size_t i)
{
    if (i + 6 > n || d[i] != '\\' || d[i + 1] != 'u')
        return -1;
    long v = 0;
    for (int k = 2; k < 6; k++) {
        int h = hexv(d[i + k]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* For a document yajl accepted: *vf = \v or \f between tokens, *lone = an
 * unpaired surrogate escape. */
static void scan(const unsigned char *d, size_t n, int *vf, int *lone)
{
    int in = 0;
    *vf = *lone = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = d[i];
        if (!in) {
            if (c == '"')
                in = 1;
            else if (c == '\v' || c == '\f')
                *vf = 1;
            continue;
        }
        if (c == '"') {
            in = 0;
        } else if (c == '\\') {
            long cp = esc_u(d, n, i);
            if (cp < 0) {
                i++;
                continue;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = esc_u(d, n, i + 6);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    i += 11;
                    continue;
                }
                *lone = 1;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                *lone = 1;
            }
            i += 5;
        }
    }
}

/* ---- the builder ----------------------------------------------------------------- */

typedef struct events {
    buf log;
} events;

static void ev(events *e, char tag, const char *p, size_t n, long x)
{
    char t[32];
    add(&e->log, &tag, 1);
    add(&e->log, p, n);
    snprintf(t, sizeof t, " %ld\n", x);
    add(&e->log, t, strlen(t));
}
static int e_start(void *u, const char *p, size_t n, ssekit_json_type t, const ssekit_json *v)
{
    (void)v;
    ev(u, 'S', p, n, (long)t);
    return 0;
}
static int e_complete(void *u, const char *p, size_t n, const ssekit_json *v)
{
    ev(u, 'C', p, n, (long)ssekit_json_type_of(v));
    return 0;
}
static int e_element(void *u, const char *p, size_t n, size_t i)
{
    ev(u, 'E', p, n, (long)i);
    return 0;
}
static int e_doc(void *u, const ssekit_json *r)
{
    (void)r;
    ev(u, 'D', "", 0, 0);
    return 0;
}
static int e_patch(void *u, const ssekit_json_patch *pt)
{
    (void)u;
    buf tmp = {0};
    if (ssekit_json_patch_write(pt, out, &tmp) != SSEKIT_OK)
        abort();
    free(tmp.p);
    return 0;
}

static const ssekit_partial_callbacks cbs = {e_start, NULL, e_complete, e_element, e_doc, e_patch};

typedef struct result {
    int rc;
    size_t offset;
    buf snap;
    events ev;
} result;

static uint32_t rng;
static size_t max_string; /* 0: the default */

static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 16;
}

/* Feeds d in pieces (step 0: random 1..17 bytes; else that many). */
static void run(const unsigned char *d, size_t n, size_t step, int finish, result *r)
{
    memset(r, 0, sizeof *r);
    ssekit_partial *b = ssekit_partial_new(&cbs, &r->ev, NULL);
    if (!b || ssekit_partial_set_max_depth(b, 4000) ||
        (max_string && ssekit_partial_set_max_string(b, max_string)))
        abort();
    int rc = 0;
    for (size_t o = 0; o < n && !rc;) {
        size_t k = step ? step : 1 + rnd() % 17;
        if (k > n - o)
            k = n - o;
        rc = ssekit_partial_feed(b, (const char *)d + o, k);
        o += k;
    }
    if (!rc && finish)
        rc = ssekit_partial_finish(b);
    r->rc = rc;
    r->offset = ssekit_partial_last_error(b)->offset;
    if (ssekit_partial_snapshot(b, out, &r->snap))
        abort();
    ssekit_partial_free(b);
}

static void result_free(result *r)
{
    free(r->snap.p);
    free(r->ev.log.p);
}

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > 4096)
        return 0;
    rng = (uint32_t)data[0] << 8 | data[1];
    /* sometimes a small string limit, to check its offsets across splits */
    max_string = (data[0] & 7) == 7 ? 1 + data[1] % 16 : 0;
    const unsigned char *d = data + 2;
    size_t n = size - 2;

    result one, split;
    run(d, n, n ? n : 1, 1, &one);
    run(d, n, 0, 1, &split);
    if (one.rc != split.rc || one.offset != split.offset)
        FAIL("split changes the result: %d@%zu vs %d@%zu", one.rc, one.offset, split.rc,
             split.offset);
    if (strcmp(one.snap.p, split.snap.p))
        FAIL("split changes the value: %s vs %s", one.snap.p, split.snap.p);
    if ((one.ev.log.p || split.ev.log.p) &&
        (!one.ev.log.p || !split.ev.log.p || strcmp(one.ev.log.p, split.ev.log.p)))
        FAIL("split changes the events");
    if (!utf8_strict((const unsigned char *)one.snap.p, one.snap.len))
        FAIL("snapshot is not valid UTF-8");

    buf want = {0};
    int yajl_ok = ref_parse(d, n, &want);
    int vf = 0, lone = 0;
    if (yajl_ok)
        scan(d, n, &vf, &lone);
    int expect_ok = yajl_ok && !vf && utf8_strict(d, n);
    if (one.rc != SSEKIT_E_TOO_DEEP && !max_string) {
        if ((one.rc == SSEKIT_OK) != expect_ok)
            FAIL("accept/reject differs: ssekit %d, yajl %d", one.rc, yajl_ok);
        if (one.rc == SSEKIT_OK && !lone && strcmp(one.snap.p, want.p))
            FAIL("value differs:\nssekit %s\nyajl   %s", one.snap.p, want.p);
    }
    /* the snapshot is canonical */
    buf again = {0};
    if (!ref_parse((const unsigned char *)one.snap.p, one.snap.len, &again) ||
        strcmp(again.p, one.snap.p))
        FAIL("snapshot is not canonical JSON: %s", one.snap.p);
    free(again.p);

    /* the offset is the first invalid byte */
    if (one.rc == SSEKIT_E_JSON) {
        result pre;
        run(d, one.offset, 0, 0, &pre);
        if (pre.rc != SSEKIT_OK)
            FAIL("the text before the error offset %zu is rejected (%d)", one.offset, pre.rc);
        result_free(&pre);
        if (one.offset < n) {
            run(d, one.offset + 1, 0, 1, &pre);
            if (pre.rc != SSEKIT_E_JSON || pre.offset != one.offset)
                FAIL("one byte past the offset: %d@%zu, want error at %zu", pre.rc, pre.offset,
                     one.offset);
            result_free(&pre);
        } else if (one.offset != n) {
            FAIL("offset %zu beyond the text", one.offset);
        }
    }
    free(want.p);
    result_free(&one);
    result_free(&split);
    return 0;
}
