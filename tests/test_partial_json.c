/* Tests of the partial JSON builder (partial_json.h) and the value accessors
 * (json_value.h).
 *
 * The reference for every final value is yajl parsing the whole document in
 * one call, serialised canonically by this file's own writer; the builder's
 * side is its snapshot writer. Split-invariance, prefix-consistency, the
 * patch stream and the events are checked on documents generated here (with
 * escapes, unicode, nesting and whitespace everywhere), on a real structured
 * answer from the provider vectors and on gen_stream.py's kind of answer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "check.h"
#include "fail_alloc.h"
#include "ssekit/partial_json.h"
#include "ssekit/status.h"

/* ---- small helpers ---------------------------------------------------------- */

typedef struct str {
    char *p;
    size_t len, cap;
} str;

static void str_add(str *s, const char *d, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->p = realloc(s->p, s->cap);
        REQUIRE(s->p);
    }
    if (n)
        memcpy(s->p + s->len, d, n);
    s->len += n;
    s->p[s->len] = 0;
}

static void str_cat(str *s, const char *z)
{
    str_add(s, z, strlen(z));
}

static void str_clear(str *s)
{
    s->len = 0;
    if (s->p)
        s->p[0] = 0;
}

static void str_free(str *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

static int str_out(void *ctx, const char *d, size_t n)
{
    str_add(ctx, d, n);
    return 0;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static size_t rnd_n(size_t n)
{
    return n ? rnd() % n : 0;
}

/* Strict RFC 3629 UTF-8, written independently of the builder. */
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;
        unsigned cp;
        if ((c & 0xE0) == 0xC0) {
            k = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            k = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            k = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + k > n)
            return 0;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k;
    }
    return 1;
}

/* ---- reference: yajl in one call, canonical output ------------------------- */

/* Canonical form: compact, members in order, strings escaping only '"',
 * '\\' and control characters (\b \f \n \r \t, else \u00xx), numbers as
 * written. */
static void canon_string(str *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    str_add(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[7];
        switch (c) {
        case '"':
            str_add(o, "\\\"", 2);
            break;
        case '\\':
            str_add(o, "\\\\", 2);
            break;
        case '\b':
            str_add(o, "\\b", 2);
            break;
        case '\f':
            str_add(o, "\\f", 2);
            break;
        case '\n':
            str_add(o, "\\n", 2);
            break;
        case '\r':
            str_add(o, "\\r", 2);
            break;
        case '\t':
            str_add(o, "\\t", 2);
            break;
        default:
            if (c < 0x20) {
                snprintf(e, sizeof e, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
                str_add(o, e, 6);
            } else {
                str_add(o, (const char *)&c, 1);
            }
        }
    }
    str_add(o, "\"", 1);
}

typedef struct ref {
    str out;
    unsigned char *comma; /* per depth: a value was written at this level */
    size_t depth, cap;
    int after_key;
} ref;

static void ref_value(ref *r)
{
    if (!r->after_key && r->comma[r->depth])
        str_add(&r->out, ",", 1);
    r->comma[r->depth] = 1;
    r->after_key = 0;
}

static void ref_push(ref *r)
{
    if (++r->depth >= r->cap) {
        r->cap *= 2;
        r->comma = realloc(r->comma, r->cap);
        REQUIRE(r->comma);
    }
    r->comma[r->depth] = 0;
}

static int r_null(void *c)
{
    ref_value(c);
    str_cat(&((ref *)c)->out, "null");
    return 1;
}
static int r_bool(void *c, int v)
{
    ref_value(c);
    str_cat(&((ref *)c)->out, v ? "true" : "false");
    return 1;
}
static int r_num(void *c, const char *s, size_t n)
{
    ref_value(c);
    str_add(&((ref *)c)->out, s, n);
    return 1;
}
static int r_str(void *c, const unsigned char *s, size_t n)
{
    ref_value(c);
    canon_string(&((ref *)c)->out, (const char *)s, n);
    return 1;
}
static int r_key(void *c, const unsigned char *s, size_t n)
{
    ref *r = c;
    if (r->comma[r->depth])
        str_add(&r->out, ",", 1);
    r->comma[r->depth] = 1;
    canon_string(&r->out, (const char *)s, n);
    str_add(&r->out, ":", 1);
    r->after_key = 1;
    return 1;
}
static int r_smap(void *c)
{
    ref_value(c);
    str_add(&((ref *)c)->out, "{", 1);
    ref_push(c);
    return 1;
}
static int r_emap(void *c)
{
    ((ref *)c)->depth--;
    str_add(&((ref *)c)->out, "}", 1);
    return 1;
}
static int r_sarr(void *c)
{
    ref_value(c);
    str_add(&((ref *)c)->out, "[", 1);
    ref_push(c);
    return 1;
}
static int r_earr(void *c)
{
    ((ref *)c)->depth--;
    str_add(&((ref *)c)->out, "]", 1);
    return 1;
}

static const yajl_callbacks ref_cb = {r_null, r_bool, NULL,   NULL,   r_num, r_str,
                                      r_smap, r_key,  r_emap, r_sarr, r_earr};

/* Canonical text of `doc` per yajl, or 0 when yajl rejects it. */
static int ref_parse(const char *doc, size_t n, str *out)
{
    ref r = {{0}, NULL, 0, 16, 0};
    r.comma = calloc(r.cap, 1);
    REQUIRE(r.comma);
    yajl_handle h = yajl_alloc(&ref_cb, NULL, &r);
    int ok = yajl_parse(h, (const unsigned char *)doc, n) == yajl_status_ok &&
             yajl_complete_parse(h) == yajl_status_ok;
    yajl_free(h);
    free(r.comma);
    str_clear(out);
    if (ok)
        str_add(out, r.out.p ? r.out.p : "", r.out.len);
    str_free(&r.out);
    return ok;
}

static void snapshot(const ssekit_partial *b, str *out)
{
    str_clear(out);
    REQUIRE(ssekit_partial_snapshot(b, str_out, out) == SSEKIT_OK);
}

/* ---- a document generator ---------------------------------------------------- */

static void gen_ws(str *o)
{
    static const char *ws[] = {"", "", "", " ", "\n", "\t", "\r\n  "};
    str_cat(o, ws[rnd_n(7)]);
}

static void gen_string(str *o, int allow_nul)
{
    static const char *parts[] = {"a",
                                  "word ",
                                  "\\n",
                                  "\\\"",
                                  "\\\\",
                                  "\\/",
                                  "\\t",
                                  "\\b\\f\\r",
                                  "\\u00e9",
                                  "\\u4E2D",
                                  "\\ud83d\\ude00",
                                  "\xc3\xa9",
                                  "\xe4\xb8\xad",
                                  "\xf0\x9f\x98\x80",
                                  "\\u0001",
                                  "~/",
                                  "{[,:]}",
                                  "true 1.5",
                                  "\\uD834\\uDD1E"};
    size_t np = sizeof parts / sizeof *parts;
    str_add(o, "\"", 1);
    size_t k = rnd_n(8);
    for (size_t i = 0; i < k; i++)
        str_cat(o, parts[rnd_n(np)]);
    if (allow_nul && rnd_n(10) == 0)
        str_cat(o, "\\u0000");
    str_add(o, "\"", 1);
}

static void gen_number(str *o)
{
    static const char *nums[] = {
        "0",      "-0",   "7",    "-12",      "3.25",
        "1e3",    "2E-7", "-0.5", "6.02e+23", "123456789012345678901234567890",
        "1.5E10", "42"};
    str_cat(o, nums[rnd_n(sizeof nums / sizeof *nums)]);
}

static void gen_value(str *o, int depth, int allow_nul)
{
    unsigned k = (unsigned)rnd_n(depth > 5 ? 5 : 8);
    switch (k) {
    case 0:
        gen_string(o, allow_nul);
        break;
    case 1:
        gen_number(o);
        break;
    case 2:
        str_cat(o, rnd_n(2) ? "true" : "false");
        break;
    case 3:
        str_cat(o, "null");
        break;
    case 4:
        gen_string(o, allow_nul);
        break;
    case 5:
    case 6: {
        size_t n = rnd_n(5);
        str_add(o, "[", 1);
        for (size_t i = 0; i < n; i++) {
            if (i)
                str_add(o, ",", 1);
            gen_ws(o);
            gen_value(o, depth + 1, allow_nul);
            gen_ws(o);
        }
        str_add(o, "]", 1);
        break;
    }
    default: {
        size_t n = rnd_n(5);
        str_add(o, "{", 1);
        for (size_t i = 0; i < n; i++) {
            if (i)
                str_add(o, ",", 1);
            gen_ws(o);
            /* unique keys: the patch applier (like JSON.parse) keeps the last */
            char key[48];
            static const char *stems[] = {"k", "name", "a/b", "t~x", "\\u00e9t\\u00e9", "", "x y"};
            snprintf(key, sizeof key, "\"%s%zu\"", stems[rnd_n(7)], i);
            str_cat(o, key);
            gen_ws(o);
            str_add(o, ":", 1);
            gen_ws(o);
            gen_value(o, depth + 1, allow_nul);
            gen_ws(o);
        }
        str_add(o, "}", 1);
        break;
    }
    }
}

/* A document shaped like gen_stream.py's answers. */
static void gen_answer(str *o, size_t entities)
{
    static const char *words[] = {"clinic", "doctor",  "waiting", "kind",     "time", "minutes",
                                  "great",  "service", "staff",   "friendly", "room", "quick"};
    static const char *types[] = {"person", "place", "org", "time"};
    str_cat(o, "{\"summary\": \"");
    for (int i = 0; i < 40; i++) {
        if (i)
            str_cat(o, " ");
        str_cat(o, words[rnd_n(12)]);
    }
    str_cat(o, "\", \"sentiment\": \"positive\", \"tags\": [");
    for (int i = 0; i < 5; i++) {
        char t[32];
        snprintf(t, sizeof t, "%s\"%s\"", i ? ", " : "", words[rnd_n(12)]);
        str_cat(o, t);
    }
    str_cat(o, "], \"entities\": [");
    for (size_t i = 0; i < entities; i++) {
        char t[256];
        snprintf(
            t, sizeof t,
            "%s{\"type\": \"%s\", \"value\": \"%s %s %s \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\","
            " \"confidence\": 0.%03u}",
            i ? ", " : "", types[rnd_n(4)], words[rnd_n(12)], words[rnd_n(12)], words[rnd_n(12)],
            (unsigned)rnd_n(1000));
        str_cat(o, t);
    }
    str_cat(o, "]}");
}

/* ---- recording callbacks ------------------------------------------------------- */

typedef struct rec {
    str events;   /* start/complete/element/document, in order */
    str appended; /* text appended to the open string */
    str patches;  /* rendered patches, one a line */
    int open_string;
    size_t starts, completes;
    const ssekit_json **done; /* nodes reported complete */
    size_t ndone, capdone;
    int append_mismatch;
    int stop_after; /* stop at the Nth event (0 = never) */
    size_t nevents;
    ssekit_partial *feed_back; /* feed this builder from a callback */
    int feed_back_rc;
} rec;

static int rec_tick(rec *r)
{
    r->nevents++;
    if (r->feed_back)
        r->feed_back_rc = ssekit_partial_feed(r->feed_back, "1", 1);
    return r->stop_after && (int)r->nevents >= r->stop_after;
}

static void rec_path(str *s, const char *tag, const char *p, size_t n)
{
    str_cat(s, tag);
    str_add(s, " ", 1);
    str_add(s, p, n);
}

static int c_start(void *u, const char *p, size_t n, ssekit_json_type t, const ssekit_json *node)
{
    rec *r = u;
    char tb[8];
    snprintf(tb, sizeof tb, " %d\n", (int)t);
    rec_path(&r->events, "S", p, n);
    str_cat(&r->events, tb);
    r->starts++;
    if (ssekit_json_type_of(node) != t)
        r->append_mismatch++;
    if (t == SSEKIT_JSON_STRING) {
        r->open_string = 1;
        str_clear(&r->appended);
    }
    return rec_tick(r);
}

static int c_append(void *u, const char *p, size_t n, const char *t, size_t tn)
{
    rec *r = u;
    (void)p;
    (void)n;
    if (!r->open_string || tn == 0 || !utf8_valid((const unsigned char *)t, tn))
        r->append_mismatch++;
    str_add(&r->appended, t, tn);
    return rec_tick(r);
}

static int c_complete(void *u, const char *p, size_t n, const ssekit_json *v)
{
    rec *r = u;
    rec_path(&r->events, "C", p, n);
    str_add(&r->events, "\n", 1);
    r->completes++;
    if (!ssekit_json_is_complete(v))
        r->append_mismatch++;
    if (ssekit_json_type_of(v) == SSEKIT_JSON_STRING) {
        size_t len;
        const char *s = ssekit_json_string(v, &len);
        if (len != r->appended.len || (len && memcmp(s, r->appended.p, len)))
            r->append_mismatch++;
        r->open_string = 0;
    }
    if (r->ndone == r->capdone) {
        r->capdone = r->capdone ? r->capdone * 2 : 64;
        r->done = realloc(r->done, r->capdone * sizeof *r->done);
        REQUIRE(r->done);
    }
    r->done[r->ndone++] = v;
    return rec_tick(r);
}

static int c_element(void *u, const char *p, size_t n, size_t idx)
{
    rec *r = u;
    char tb[32];
    snprintf(tb, sizeof tb, " %zu\n", idx);
    rec_path(&r->events, "E", p, n);
    str_cat(&r->events, tb);
    return rec_tick(r);
}

static int c_document(void *u, const ssekit_json *root)
{
    rec *r = u;
    str_cat(&r->events, root ? "D\n" : "D?\n");
    return rec_tick(r);
}

static int c_patch(void *u, const ssekit_json_patch *pt)
{
    rec *r = u;
    if (ssekit_json_patch_write(pt, str_out, &r->patches) != SSEKIT_OK)
        r->append_mismatch++;
    str_add(&r->patches, "\n", 1);
    return rec_tick(r);
}

static const ssekit_partial_callbacks all_cb = {c_start,   c_append,   c_complete,
                                                c_element, c_document, c_patch};

static void rec_free(rec *r)
{
    str_free(&r->events);
    str_free(&r->appended);
    str_free(&r->patches);
    free(r->done);
    memset(r, 0, sizeof *r);
}

/* ---- a patch applier (what the browser does) ----------------------------------- */

typedef struct dnode {
    int type; /* ssekit_json_type */
    str text; /* string text, number literal, "true"/"false" */
    struct dnode **kids;
    char **keys;
    size_t *klens;
    size_t n;
} dnode;

static dnode *dnode_from(yajl_val v)
{
    dnode *d = calloc(1, sizeof *d);
    REQUIRE(d);
    if (YAJL_IS_STRING(v)) {
        d->type = SSEKIT_JSON_STRING;
        str_add(&d->text, "", 0);
        str_cat(&d->text, YAJL_GET_STRING(v));
    } else if (YAJL_IS_NUMBER(v)) {
        d->type = SSEKIT_JSON_NUMBER;
        str_cat(&d->text, YAJL_GET_NUMBER(v));
    } else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
        d->type = SSEKIT_JSON_BOOL;
        str_cat(&d->text, YAJL_IS_TRUE(v) ? "true" : "false");
    } else if (YAJL_IS_OBJECT(v)) {
        d->type = SSEKIT_JSON_OBJECT;
        REQUIRE(YAJL_GET_OBJECT(v)->len == 0);
    } else if (YAJL_IS_ARRAY(v)) {
        d->type = SSEKIT_JSON_ARRAY;
        REQUIRE(YAJL_GET_ARRAY(v)->len == 0);
    } else {
        d->type = SSEKIT_JSON_NULL;
    }
    return d;
}

static void dnode_free(dnode *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        dnode_free(d->kids[i]);
        if (d->keys)
            free(d->keys[i]);
    }
    free(d->kids);
    free(d->keys);
    free(d->klens);
    str_free(&d->text);
    free(d);
}

static void dnode_write(const dnode *d, str *o)
{
    switch (d->type) {
    case SSEKIT_JSON_NULL:
        str_cat(o, "null");
        break;
    case SSEKIT_JSON_STRING:
        canon_string(o, d->text.p, d->text.len);
        break;
    case SSEKIT_JSON_ARRAY:
    case SSEKIT_JSON_OBJECT:
        str_cat(o, d->type == SSEKIT_JSON_ARRAY ? "[" : "{");
        for (size_t i = 0; i < d->n; i++) {
            if (i)
                str_cat(o, ",");
            if (d->type == SSEKIT_JSON_OBJECT) {
                canon_string(o, d->keys[i], d->klens[i]);
                str_cat(o, ":");
            }
            dnode_write(d->kids[i], o);
        }
        str_cat(o, d->type == SSEKIT_JSON_ARRAY ? "]" : "}");
        break;
    default:
        str_add(o, d->text.p, d->text.len);
    }
}

/* Splits a JSON Pointer into unescaped tokens (at most 64). */
static size_t split_pointer(const char *p, char toks[][64], size_t *lens)
{
    size_t n = 0;
    while (*p) {
        REQUIRE(*p == '/' && n < 64);
        p++;
        size_t k = 0;
        while (*p && *p != '/') {
            char c = *p++;
            if (c == '~') {
                c = *p++ == '0' ? '~' : '/';
            }
            REQUIRE(k < 63);
            toks[n][k++] = c;
        }
        toks[n][k] = 0;
        lens[n++] = k;
    }
    return n;
}

static dnode *dnode_child(dnode *d, const char *tok, size_t len)
{
    if (d->type == SSEKIT_JSON_ARRAY) {
        size_t i = (size_t)strtoul(tok, NULL, 10);
        return i < d->n ? d->kids[i] : NULL;
    }
    if (d->type == SSEKIT_JSON_OBJECT)
        for (size_t i = d->n; i-- > 0;)
            if (d->klens[i] == len && !memcmp(d->keys[i], tok, len))
                return d->kids[i];
    return NULL;
}

/* Applies one rendered patch; returns 0 when it does not apply. */
static int apply_patch(dnode **root, const char *line)
{
    char err[128];
    yajl_val v = yajl_tree_parse(line, err, sizeof err);
    if (!v)
        return 0;
    const char *op_path[] = {"op", NULL}, *path_path[] = {"path", NULL};
    const char *value_path[] = {"value", NULL}, *text_path[] = {"text", NULL};
    const char *op = YAJL_GET_STRING(yajl_tree_get(v, op_path, yajl_t_string));
    const char *path = YAJL_GET_STRING(yajl_tree_get(v, path_path, yajl_t_string));
    int ok = 0;
    if (!op || !path)
        goto out;
    static char toks[64][64];
    size_t lens[64];
    size_t nt = split_pointer(path, toks, lens);
    dnode *parent = *root;
    for (size_t i = 0; nt && i + 1 < nt && parent; i++)
        parent = dnode_child(parent, toks[i], lens[i]);
    if (!strcmp(op, "add")) {
        yajl_val val = yajl_tree_get(v, value_path, yajl_t_any);
        if (!val)
            goto out;
        dnode *d = dnode_from(val);
        if (nt == 0) {
            dnode_free(*root);
            *root = d;
            ok = 1;
        } else if (parent && parent->type == SSEKIT_JSON_ARRAY) {
            if ((size_t)strtoul(toks[nt - 1], NULL, 10) != parent->n) {
                dnode_free(d);
                goto out;
            }
            parent->kids = realloc(parent->kids, (parent->n + 1) * sizeof *parent->kids);
            parent->kids[parent->n++] = d;
            ok = 1;
        } else if (parent && parent->type == SSEKIT_JSON_OBJECT) {
            parent->kids = realloc(parent->kids, (parent->n + 1) * sizeof *parent->kids);
            parent->keys = realloc(parent->keys, (parent->n + 1) * sizeof *parent->keys);
            parent->klens = realloc(parent->klens, (parent->n + 1) * sizeof *parent->klens);
            parent->keys[parent->n] = malloc(lens[nt - 1] + 1);
            memcpy(parent->keys[parent->n], toks[nt - 1], lens[nt - 1] + 1);
            parent->klens[parent->n] = lens[nt - 1];
            parent->kids[parent->n++] = d;
            ok = 1;
        } else {
            dnode_free(d);
        }
    } else {
        dnode *t = nt ? (parent ? dnode_child(parent, toks[nt - 1], lens[nt - 1]) : NULL) : *root;
        if (!t)
            goto out;
        if (!strcmp(op, "append")) {
            const char *text = YAJL_GET_STRING(yajl_tree_get(v, text_path, yajl_t_string));
            if (t->type != SSEKIT_JSON_STRING || !text)
                goto out;
            str_cat(&t->text, text);
            ok = 1;
        } else if (!strcmp(op, "complete")) {
            ok = t->type == SSEKIT_JSON_STRING || t->type == SSEKIT_JSON_ARRAY ||
                 t->type == SSEKIT_JSON_OBJECT;
        }
    }
out:
    yajl_tree_free(v);
    return ok;
}

/* Replays a patch log; the canonical text of the rebuilt document. */
static int replay_patches(const str *log, str *out)
{
    dnode *root = NULL;
    int ok = 1;
    str line = {0};
    const char *p = log->p ? log->p : "", *e;
    while (*p && (e = strchr(p, '\n'))) {
        str_clear(&line);
        str_add(&line, p, (size_t)(e - p));
        if (!apply_patch(&root, line.p)) {
            fprintf(stderr, "patch does not apply: %s\n", line.p);
            ok = 0;
            break;
        }
        p = e + 1;
    }
    str_clear(out);
    if (root)
        dnode_write(root, out);
    else
        str_cat(out, "null");
    dnode_free(root);
    str_free(&line);
    return ok;
}

/* ---- prefix-consistency ---------------------------------------------------------- */

/* 1 when every value visible in `a` is still in `b`: same types, strings
 * only grown, containers only gained members (same keys, in order), other
 * scalars unchanged. */
static int grows(yajl_val a, yajl_val b)
{
    if (!a || !b)
        return a == b;
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case yajl_t_string: {
        size_t la = strlen(a->u.string);
        return strncmp(a->u.string, b->u.string, la) == 0;
    }
    case yajl_t_number:
        return strcmp(a->u.number.r, b->u.number.r) == 0;
    case yajl_t_object:
        if (a->u.object.len > b->u.object.len)
            return 0;
        for (size_t i = 0; i < a->u.object.len; i++)
            if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) ||
                !grows(a->u.object.values[i], b->u.object.values[i]))
                return 0;
        return 1;
    case yajl_t_array:
        if (a->u.array.len > b->u.array.len)
            return 0;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!grows(a->u.array.values[i], b->u.array.values[i]))
                return 0;
        return 1;
    default:
        return 1;
    }
}

static size_t count_nodes(const ssekit_json *v)
{
    size_t n = 1;
    ssekit_json_type t = ssekit_json_type_of(v);
    if (t == SSEKIT_JSON_ARRAY || t == SSEKIT_JSON_OBJECT)
        for (size_t i = 0; i < ssekit_json_count(v); i++)
            n += count_nodes(t == SSEKIT_JSON_ARRAY ? ssekit_json_index(v, i)
                                                    : ssekit_json_member_value(v, i));
    return n;
}

/* ---- the property test ------------------------------------------------------------ */

typedef struct run_result {
    int rc;
    str snap, events, replay;
    int patches_ok, consistent, mismatch;
} run_result;

/* Feeds `doc` in the pieces given by `cuts` (ncuts piece lengths; 0 = one
 * piece), checking every intermediate snapshot against the previous one and
 * against the final reference value `final`. */
static void run_split(const char *doc, size_t n, const size_t *cuts, size_t ncuts, yajl_val final,
                      int check_each, run_result *res)
{
    rec r = {0};
    ssekit_partial *b = ssekit_partial_new(&all_cb, &r, NULL);
    REQUIRE(b);
    memset(res, 0, sizeof *res);
    res->consistent = 1;
    yajl_val prev = NULL;
    str snap = {0};
    size_t off = 0, ci = 0;
    int rc = 0;
    while (off < n && !rc) {
        size_t k = ncuts ? cuts[ci++ % ncuts] : n;
        if (k > n - off)
            k = n - off;
        rc = ssekit_partial_feed(b, doc + off, k);
        off += k;
        if (check_each && !rc && ssekit_partial_root(b)) {
            snapshot(b, &snap);
            char err[128];
            yajl_val cur = yajl_tree_parse(snap.p, err, sizeof err);
            if (!cur || !utf8_valid((const unsigned char *)snap.p, snap.len) ||
                (prev && !grows(prev, cur)) || (final && !grows(cur, final))) {
                if (res->consistent)
                    fprintf(stderr, "inconsistent snapshot after %zu bytes: %s\n", off, snap.p);
                res->consistent = 0;
            }
            yajl_tree_free(prev);
            prev = cur;
        }
    }
    if (!rc)
        rc = ssekit_partial_finish(b);
    res->rc = rc;
    snapshot(b, &res->snap);
    str_add(&res->events, r.events.p ? r.events.p : "", r.events.len);
    res->patches_ok = replay_patches(&r.patches, &res->replay);
    res->mismatch = r.append_mismatch;
    /* every node started and completed exactly once, and stays complete */
    if (!rc) {
        size_t nodes = ssekit_partial_root(b) ? count_nodes(ssekit_partial_root(b)) : 0;
        if (r.starts != nodes || r.completes != nodes)
            res->mismatch++;
        for (size_t i = 0; i < r.ndone; i++)
            if (!ssekit_json_is_complete(r.done[i]))
                res->mismatch++;
    }
    yajl_tree_free(prev);
    str_free(&snap);
    rec_free(&r);
    ssekit_partial_free(b);
}

static void run_result_free(run_result *r)
{
    str_free(&r->snap);
    str_free(&r->events);
    str_free(&r->replay);
}

static void property_doc(const char *name, const char *doc, size_t n, int splits, int each)
{
    str expect = {0};
    int ok = ref_parse(doc, n, &expect);
    CHECKF(ok, "%s: the reference rejects the document", name);
    char err[256];
    yajl_val final = yajl_tree_parse(expect.p, err, sizeof err);
    REQUIRE(final);

    run_result one;
    run_split(doc, n, NULL, 0, final, 0, &one);
    CHECKF(one.rc == SSEKIT_OK, "%s: one feed: %d", name, one.rc);
    CHECKF(one.snap.len == expect.len && !memcmp(one.snap.p, expect.p, expect.len),
           "%s: one feed\n got %s\nwant %s", name, one.snap.p, expect.p);
    CHECKF(one.patches_ok && !strcmp(one.replay.p, expect.p), "%s: patches one feed\n got %s", name,
           one.replay.p);
    CHECKF(one.mismatch == 0, "%s: event mismatches %d", name, one.mismatch);

    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    REQUIRE(cuts);
    for (int s = 0; s < splits; s++) {
        size_t nc = 0;
        if (s == 0) {
            cuts[nc++] = 1; /* a byte at a time */
        } else if (s == 1) {
            for (size_t i = 0; i < n; i++)
                cuts[nc++] = 1 + i % 6; /* 1-6, as LLM deltas */
        } else {
            for (size_t i = 0; i < n; i++)
                cuts[nc++] = 1 + rnd_n(s % 3 == 0 ? 3 : 40);
        }
        run_result r;
        run_split(doc, n, cuts, nc, final, each && (n < 6000 || s == 1), &r);
        CHECKF(r.rc == SSEKIT_OK, "%s split %d: rc %d", name, s, r.rc);
        CHECKF(!strcmp(r.snap.p, one.snap.p), "%s split %d: final value differs", name, s);
        CHECKF(!strcmp(r.events.p, one.events.p), "%s split %d: events differ\n%s\n----\n%s", name,
               s, r.events.p, one.events.p);
        CHECKF(r.patches_ok && !strcmp(r.replay.p, expect.p), "%s split %d: patches rebuild %s",
               name, s, r.replay.p);
        CHECKF(r.consistent, "%s split %d: a snapshot was not prefix-consistent", name, s);
        CHECKF(r.mismatch == 0, "%s split %d: event mismatches %d", name, s, r.mismatch);
        run_result_free(&r);
    }
    free(cuts);
    run_result_free(&one);
    yajl_tree_free(final);
    str_free(&expect);
}

static void test_property(void)
{
    for (int d = 0; d < 40; d++) {
        str doc = {0};
        gen_ws(&doc);
        gen_value(&doc, d < 20 ? 0 : 2, 0);
        gen_ws(&doc);
        char name[32];
        snprintf(name, sizeof name, "generated %d", d);
        property_doc(name, doc.p, doc.len, 5, 1);
        str_free(&doc);
    }
    /* a larger document: nesting and many strings */
    str big = {0};
    str_cat(&big, "[");
    for (int i = 0; i < 30; i++) {
        if (i)
            str_cat(&big, ",");
        gen_value(&big, 0, 0);
    }
    str_cat(&big, "]");
    property_doc("generated big", big.p, big.len, 4, 1);
    str_free(&big);

    str ans = {0};
    gen_answer(&ans, 50);
    property_doc("answer 50", ans.p, ans.len, 4, 1);
    str_free(&ans);

    /* the real structured answer of the OpenAI vector */
    size_t vn;
    char *vec =
        check_read_file(SSEKIT_VECTORS_DIR "/providers/openai_chat_structured.expect.json", &vn);
    char err[128];
    yajl_val v = yajl_tree_parse(vec, err, sizeof err);
    REQUIRE(v);
    const char *text_path[] = {"text", NULL};
    const char *text = YAJL_GET_STRING(yajl_tree_get(v, text_path, yajl_t_string));
    REQUIRE(text);
    property_doc("openai structured", text, strlen(text), 8, 1);
    yajl_tree_free(v);
    free(vec);
}

/* ---- focused tests ------------------------------------------------------------------ */

static int str_is(const ssekit_json *v, const char *want, size_t wl)
{
    size_t len;
    const char *s = ssekit_json_string(v, &len);
    return s && len == wl && !memcmp(s, want, wl) && s[len] == 0;
}

static void test_split_escapes(void)
{
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    CHECK(ssekit_partial_root(b) == NULL);
    CHECK(ssekit_partial_feed(b, "{\"a\":\"x\\", 8) == SSEKIT_OK);
    const ssekit_json *a = ssekit_json_get(ssekit_partial_root(b), "/a");
    CHECK(str_is(a, "x", 1) && !ssekit_json_is_complete(a));
    CHECK(ssekit_partial_feed(b, "n", 1) == SSEKIT_OK);
    CHECK(str_is(a, "x\n", 2));
    CHECK(ssekit_partial_feed(b, "\\u00", 4) == SSEKIT_OK);
    CHECK(str_is(a, "x\n", 2));
    CHECK(ssekit_partial_feed(b, "e", 1) == SSEKIT_OK);
    CHECK(str_is(a, "x\n", 2));
    CHECK(ssekit_partial_feed(b, "9", 1) == SSEKIT_OK);
    CHECK(str_is(a, "x\n\xc3\xa9", 4));
    CHECK(ssekit_partial_feed(b, "\\", 1) == SSEKIT_OK);
    CHECK(ssekit_partial_feed(b, "\"", 1) == SSEKIT_OK);
    CHECK(str_is(a, "x\n\xc3\xa9\"", 5) && !ssekit_json_is_complete(a));
    CHECK(ssekit_partial_feed(b, "\"", 1) == SSEKIT_OK);
    CHECK(ssekit_json_is_complete(a) && !ssekit_json_is_complete(ssekit_partial_root(b)));
    CHECK(ssekit_partial_feed(b, "}", 1) == SSEKIT_OK);
    CHECK(ssekit_partial_is_complete(b) && ssekit_partial_finish(b) == SSEKIT_OK);
    ssekit_partial_free(b);

    /* every escape, and \u0000 inside a string */
    static const char doc[] = "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u0000z\"]";
    static const char want[] = "\"\\/\b\f\n\r\tA\0z";
    for (size_t cut = 1; cut < sizeof doc - 1; cut++) {
        b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        CHECK(ssekit_partial_feed(b, doc, cut) == SSEKIT_OK);
        const ssekit_json *s = ssekit_json_index(ssekit_partial_root(b), 0);
        size_t len = 0;
        const char *t = s ? ssekit_json_string(s, &len) : "";
        CHECKF(len <= sizeof want - 1 && !memcmp(t, want, len), "cut %zu", cut);
        CHECK(ssekit_partial_feed(b, doc + cut, sizeof doc - 1 - cut) == SSEKIT_OK);
        CHECK(ssekit_partial_finish(b) == SSEKIT_OK);
        s = ssekit_json_index(ssekit_partial_root(b), 0);
        CHECKF(str_is(s, want, sizeof want - 1), "cut %zu", cut);
        ssekit_partial_free(b);
    }
}

static void test_surrogates(void)
{
    /* a pair split at every byte: nothing shows until the low half is read */
    static const char doc[] = "\"a\\ud83d\\ude00b\"";
    for (size_t cut = 1; cut < sizeof doc - 1; cut++) {
        ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        CHECK(ssekit_partial_feed(b, doc, cut) == SSEKIT_OK);
        size_t len = 0;
        const char *s = ssekit_json_string(ssekit_partial_root(b), &len);
        if (cut < 14)
            CHECKF(s && len == (cut >= 2) && (!len || s[0] == 'a'), "cut %zu len %zu", cut, len);
        else
            CHECKF(len >= 5 && !memcmp(s, "a\xf0\x9f\x98\x80", 5), "cut %zu", cut);
        CHECK(ssekit_partial_feed(b, doc + cut, sizeof doc - 1 - cut) == SSEKIT_OK);
        CHECK(ssekit_partial_finish(b) == SSEKIT_OK);
        CHECK(str_is(ssekit_partial_root(b),
                     "a\xf0\x9f\x98\x80"
                     "b",
                     6));
        ssekit_partial_free(b);
    }
    /* unpaired halves become U+FFFD */
    static const struct {
        const char *doc, *want;
    } lone[] = {
        {"\"\\ud800x\"", "\xef\xbf\xbdx"},
        {"\"\\udc00\"", "\xef\xbf\xbd"},
        {"\"\\ud800\"", "\xef\xbf\xbd"},
        {"\"\\ud800\\u0041\"", "\xef\xbf\xbd"
                               "A"},
        {"\"\\ud800\\n\"", "\xef\xbf\xbd\n"},
        {"\"\\ud800\\ud800\\udc00\"", "\xef\xbf\xbd\xf0\x90\x80\x80"},
        {"\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf"},
    };
    for (size_t i = 0; i < sizeof lone / sizeof *lone; i++) {
        ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        for (const char *p = lone[i].doc; *p; p++)
            CHECK(ssekit_partial_feed(b, p, 1) == SSEKIT_OK);
        CHECKF(ssekit_partial_finish(b) == SSEKIT_OK &&
                   str_is(ssekit_partial_root(b), lone[i].want, strlen(lone[i].want)),
               "%s", lone[i].doc);
        ssekit_partial_free(b);
    }
}

static void test_split_utf8(void)
{
    static const char doc[] = "{\"k\xc3\xa9\":\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80 "
                              "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf\"}";
    str fin = {0};
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    size_t prev_len = 0;
    for (size_t i = 0; i < sizeof doc - 1; i++) {
        CHECK(ssekit_partial_feed(b, doc + i, 1) == SSEKIT_OK);
        const ssekit_json *v = ssekit_json_member_value(ssekit_partial_root(b), 0);
        size_t len = 0;
        const char *s = v ? ssekit_json_string(v, &len) : "";
        CHECKF(utf8_valid((const unsigned char *)s, len), "after byte %zu", i);
        CHECKF(len >= prev_len, "after byte %zu the string shrank", i);
        prev_len = len;
    }
    CHECK(ssekit_partial_finish(b) == SSEKIT_OK);
    size_t kl;
    const char *k = ssekit_json_member_key(ssekit_partial_root(b), 0, &kl);
    CHECK(k && kl == 3 && !memcmp(k, "k\xc3\xa9", 3));
    CHECK(ssekit_json_find(ssekit_partial_root(b), "k\xc3\xa9", 3) ==
          ssekit_json_member_value(ssekit_partial_root(b), 0));
    snapshot(b, &fin);
    str want = {0};
    CHECK(ref_parse(doc, sizeof doc - 1, &want) && !strcmp(fin.p, want.p));
    ssekit_partial_free(b);
    str_free(&fin);
    str_free(&want);
}

typedef struct bad_case {
    const char *doc;
    size_t len; /* 0 = strlen */
    int status;
    size_t offset;
} bad_case;

/* Invalid documents: the error, its offset, the same for every split, and
 * the text before the offset accepted as a valid beginning. */
static const bad_case bad[] = {
    {"[1,]", 0, SSEKIT_E_JSON, 3},
    {"{\"a\" 1}", 0, SSEKIT_E_JSON, 5},
    {"{\"a\":1 \"b\"}", 0, SSEKIT_E_JSON, 7},
    {"{\"a\":1 2}", 0, SSEKIT_E_JSON, 7},
    {"{\"a\":1 true}", 0, SSEKIT_E_JSON, 7},
    {"{\"a\":1 [}", 0, SSEKIT_E_JSON, 7},
    {"{\"a\":\"x\" ]", 0, SSEKIT_E_JSON, 9},
    {"[1 2]", 0, SSEKIT_E_JSON, 3},
    {"[\"a\" \"b\"]", 0, SSEKIT_E_JSON, 5},
    {"[1 true]", 0, SSEKIT_E_JSON, 3},
    {"[1true]", 0, SSEKIT_E_JSON, 2},
    {"{} x", 0, SSEKIT_E_JSON, 3},
    {"{}{}", 0, SSEKIT_E_JSON, 2},
    {"{} tx", 0, SSEKIT_E_JSON, 3},
    {"1 2", 0, SSEKIT_E_JSON, 2},
    {"\"a\" \"b\"", 0, SSEKIT_E_JSON, 4},
    {"{} ]", 0, SSEKIT_E_JSON, 3},
    {"[tx]", 0, SSEKIT_E_JSON, 2},
    {"[nul]", 0, SSEKIT_E_JSON, 4},
    {"{\"a\":01}", 0, SSEKIT_E_JSON, 6},
    {"[-]", 0, SSEKIT_E_JSON, 2},
    {"[1.]", 0, SSEKIT_E_JSON, 3},
    {"[1.e5]", 0, SSEKIT_E_JSON, 3},
    {"[1e]", 0, SSEKIT_E_JSON, 3},
    {"[1e+]", 0, SSEKIT_E_JSON, 4},
    {"[.5]", 0, SSEKIT_E_JSON, 1},
    {"[+1]", 0, SSEKIT_E_JSON, 1},
    {"[1 -]", 0, SSEKIT_E_JSON, 3},
    {"/", 0, SSEKIT_E_JSON, 0},
    {"{\"a\":\"\\x\"}", 0, SSEKIT_E_JSON, 7},
    {"[\"\\u12G4\"]", 0, SSEKIT_E_JSON, 6},
    {"[\"a\nb\"]", 0, SSEKIT_E_JSON, 3},
    {"[\"a\x01\"]", 0, SSEKIT_E_JSON, 3},
    {"[\"\xc0\x80\"]", 0, SSEKIT_E_JSON, 2},
    {"[\"\xc3\x28\"]", 0, SSEKIT_E_JSON, 3},
    {"[\"\xed\xa0\x80\"]", 0, SSEKIT_E_JSON, 3},
    {"[\"\xe0\x80\x80\"]", 0, SSEKIT_E_JSON, 3},
    {"[\"\xf0\x8f\xbf\xbf\"]", 0, SSEKIT_E_JSON, 3},
    {"[\"\xf4\x90\x80\x80\"]", 0, SSEKIT_E_JSON, 3},
    {"[\"\xf5\x80\x80\x80\"]", 0, SSEKIT_E_JSON, 2},
    {"[\"\x80\"]", 0, SSEKIT_E_JSON, 2},
    {"[\"\xe4\xb8\"]", 0, SSEKIT_E_JSON, 4},
    {"[\xc3\xa9]", 0, SSEKIT_E_JSON, 1},
    {"[1,\v2]", 0, SSEKIT_E_JSON, 3},
    {"[1\f]", 0, SSEKIT_E_JSON, 2},
    {"{1:2}", 0, SSEKIT_E_JSON, 1},
    {"{\"a\":}", 0, SSEKIT_E_JSON, 5},
    {"[1:2]", 0, SSEKIT_E_JSON, 2},
    {"]", 0, SSEKIT_E_JSON, 0},
    {"[\0]", 3, SSEKIT_E_JSON, 1},
    /* found by the fuzzer */
    {"-12-J", 0, SSEKIT_E_JSON, 3},
    {"12\"", 0, SSEKIT_E_JSON, 2},
    {"{\"k\":\"\xc3\xa9\xf0\x9f\x98-\"}", 0, SSEKIT_E_JSON, 11},
    /* incomplete at the end of the text */
    {"", 0, SSEKIT_E_JSON, 0},
    {"  \n", 0, SSEKIT_E_JSON, 3},
    {"[1,2", 0, SSEKIT_E_JSON, 4},
    {"{\"a\":\"b", 0, SSEKIT_E_JSON, 7},
    {"\"abc", 0, SSEKIT_E_JSON, 4},
    {"tru", 0, SSEKIT_E_JSON, 3},
    {"-", 0, SSEKIT_E_JSON, 1},
    {"[1e", 0, SSEKIT_E_JSON, 3},
    {"{\"a\"", 0, SSEKIT_E_JSON, 4},
    {"{\"a\":", 0, SSEKIT_E_JSON, 5},
    {"\"\\ud83d", 0, SSEKIT_E_JSON, 7},
    {"\"\xf0\x9f", 0, SSEKIT_E_JSON, 3},
};

static int feed_split(ssekit_partial *b, const char *d, size_t n, size_t step, int finish)
{
    int rc = 0;
    for (size_t o = 0; o < n && !rc; o += step)
        rc = ssekit_partial_feed(b, d + o, step < n - o ? step : n - o);
    if (!rc && finish)
        rc = ssekit_partial_finish(b);
    return rc;
}

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const bad_case *c = &bad[i];
        size_t n = c->len ? c->len : strlen(c->doc);
        for (size_t step = 1; step <= n + 1; step++) {
            ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
            REQUIRE(b);
            int rc = feed_split(b, c->doc, n, step, 1);
            const ssekit_partial_error *e = ssekit_partial_last_error(b);
            CHECKF(rc == c->status && e->status == c->status && e->offset == c->offset,
                   "case %zu (step %zu): rc %d offset %zu (want %d at %zu): %s", i, step, rc,
                   e->offset, c->status, c->offset, e->message);
            if (step == n + 1) {
                CHECKF(e->message[0] && strstr(e->context, "(right here) ------^"), "case %zu", i);
                /* sticky */
                CHECK(ssekit_partial_feed(b, "1", 1) == c->status);
                CHECK(ssekit_partial_finish(b) == c->status);
                /* the raw text is kept */
                size_t tl;
                const char *t = ssekit_partial_text(b, &tl);
                CHECK(tl == n && !memcmp(t, c->doc, n));
            }
            ssekit_partial_free(b);
        }
        /* the text before the offset is a valid beginning */
        ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        CHECKF(feed_split(b, c->doc, c->offset, 1, 0) == SSEKIT_OK, "case %zu prefix", i);
        ssekit_partial_free(b);
        /* and ending the text right after the offending byte reports it */
        if (c->offset < n) {
            b = ssekit_partial_new(NULL, NULL, NULL);
            REQUIRE(b);
            CHECKF(feed_split(b, c->doc, c->offset + 1, 1, 1) == c->status &&
                       ssekit_partial_last_error(b)->offset == c->offset,
                   "case %zu: prefix + 1", i);
            ssekit_partial_free(b);
        }
        /* and yajl agrees that the document is invalid (except where ssekit
         * is stricter, and for an unterminated string after the value, which
         * yajl 2.1 lets through) */
        str dummy = {0};
        CHECKF(!ref_parse(c->doc, n, &dummy) || strchr(c->doc, '\v') || strchr(c->doc, '\f') ||
                   strstr(c->doc, "\xc0\x80") || strstr(c->doc, "\xed\xa0") ||
                   strstr(c->doc, "\xe0\x80") || strstr(c->doc, "\xf0\x8f") ||
                   strstr(c->doc, "\xf4\x90") || strstr(c->doc, "\xf5") || !strcmp(c->doc, "12\""),
               "case %zu: yajl accepts it", i);
        str_free(&dummy);
    }
    /* after an error the tree holds everything before it, whatever the split */
    for (size_t step = 1; step < 14; step++) {
        static const char doc[] = "{\"k\":\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98-\"}";
        ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        CHECK(feed_split(b, doc, sizeof doc - 1, step, 1) == SSEKIT_E_JSON);
        str snap = {0};
        snapshot(b, &snap);
        CHECKF(!strcmp(snap.p, "{\"k\":\"\xc3\xa9\xe4\xb8\xad\"}"), "step %zu: %s", step, snap.p);
        str_free(&snap);
        ssekit_partial_free(b);
    }
    /* the message for a yajl-found error */
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    CHECK(ssekit_partial_feed(b, "[1 2]", 5) == SSEKIT_E_JSON);
    CHECK(!strcmp(ssekit_partial_last_error(b)->message,
                  "parse error: after array element, I expect ',' or ']'"));
    ssekit_partial_reset(b);
    CHECK(ssekit_partial_last_error(b)->status == SSEKIT_OK);
    CHECK(ssekit_partial_feed(b, "[1,2]", 5) == SSEKIT_OK && ssekit_partial_finish(b) == 0);
    CHECK(ssekit_json_count(ssekit_partial_root(b)) == 2);
    CHECK(ssekit_partial_feed(b, " ", 1) == SSEKIT_E_STATE);
    ssekit_partial_free(b);
}

static void test_numbers(void)
{
    static const char *const pieces[] = {"[12", "3.4", "5e", "+6", ",-0", ",0", "]", NULL};
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    const ssekit_json *root = NULL;
    size_t counts[] = {0, 0, 0, 0, 1, 2, 3};
    for (int i = 0; pieces[i]; i++) {
        CHECK(ssekit_partial_feed(b, pieces[i], strlen(pieces[i])) == SSEKIT_OK);
        root = ssekit_partial_root(b);
        CHECKF(ssekit_json_count(root) == counts[i], "after piece %d: %zu", i,
               ssekit_json_count(root));
        if (ssekit_json_count(root))
            CHECK(!strcmp(ssekit_json_number_text(ssekit_json_index(root, 0), NULL), "123.45e+6"));
    }
    CHECK(ssekit_json_number(ssekit_json_index(root, 0)) == 123.45e+6);
    int64_t iv = 1;
    CHECK(!ssekit_json_integer(ssekit_json_index(root, 0), &iv));
    CHECK(ssekit_json_integer(ssekit_json_index(root, 1), &iv) && iv == 0);
    ssekit_partial_free(b);

    /* a top-level number appears at the end of the text, or at a space */
    b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    CHECK(ssekit_partial_feed(b, "-4", 2) == SSEKIT_OK && ssekit_partial_root(b) == NULL);
    CHECK(ssekit_partial_feed(b, "2", 1) == SSEKIT_OK && ssekit_partial_root(b) == NULL);
    CHECK(ssekit_partial_finish(b) == SSEKIT_OK);
    CHECK(ssekit_json_integer(ssekit_partial_root(b), &iv) && iv == -42);
    ssekit_partial_reset(b);
    CHECK(ssekit_partial_feed(b, "7 ", 2) == SSEKIT_OK && ssekit_partial_is_complete(b));
    CHECK(ssekit_json_type_of(ssekit_partial_root(b)) == SSEKIT_JSON_NUMBER);
    ssekit_partial_free(b);

    /* integers: range and overflow */
    static const struct {
        const char *lit;
        int ok;
        int64_t v;
    } ints[] = {{"9223372036854775807", 1, INT64_MAX},
                {"-9223372036854775808", 1, INT64_MIN},
                {"9223372036854775808", 0, 0},
                {"-9223372036854775809", 0, 0},
                {"1e2", 0, 0},
                {"-17", 1, -17}};
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        CHECK(ssekit_partial_feed(b, ints[i].lit, strlen(ints[i].lit)) == 0);
        CHECK(ssekit_partial_finish(b) == 0);
        int64_t x = 0;
        int ok = ssekit_json_integer(ssekit_partial_root(b), &x);
        CHECKF(ok == ints[i].ok && (!ok || x == ints[i].v), "%s", ints[i].lit);
        CHECK(!strcmp(ssekit_json_number_text(ssekit_partial_root(b), NULL), ints[i].lit));
        ssekit_partial_free(b);
    }
}

static void test_empty_and_accessors(void)
{
    static const char *docs[] = {"\"\"",   "{}",   "[]",   "{\"\":\"\"}", "[[],{},\"\",[[]]]",
                                 " null ", "true", "false"};
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        str want = {0}, got = {0};
        REQUIRE(ref_parse(docs[i], strlen(docs[i]), &want));
        ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        CHECK(feed_split(b, docs[i], strlen(docs[i]), 1, 1) == SSEKIT_OK);
        snapshot(b, &got);
        CHECKF(!strcmp(got.p, want.p), "%s -> %s", docs[i], got.p);
        CHECK(ssekit_json_is_complete(ssekit_partial_root(b)));
        ssekit_partial_free(b);
        str_free(&want);
        str_free(&got);
    }
    /* an empty string is visible, incomplete, as soon as its quote is read */
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    CHECK(ssekit_partial_feed(b, "{\"s\":\"", 6) == SSEKIT_OK);
    const ssekit_json *s = ssekit_json_find(ssekit_partial_root(b), "s", 1);
    CHECK(str_is(s, "", 0) && !ssekit_json_is_complete(s));
    CHECK(ssekit_partial_feed(b, "\"", 1) == SSEKIT_OK);
    CHECK(str_is(s, "", 0) && ssekit_json_is_complete(s));
    ssekit_partial_free(b);

    /* accessors on a tree with every type, duplicate keys, pointer escapes */
    static const char doc[] =
        "{\"a/b\":{\"m~n\":[10,\"x\",true,null,false]},\"dup\":1,\"dup\":2,\"\":{\"\":3}}";
    b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    CHECK(ssekit_partial_feed(b, doc, sizeof doc - 1) == 0 && ssekit_partial_finish(b) == 0);
    const ssekit_json *r = ssekit_partial_root(b);
    CHECK(ssekit_json_type_of(r) == SSEKIT_JSON_OBJECT && ssekit_json_count(r) == 4);
    const ssekit_json *arr = ssekit_json_get(r, "/a~1b/m~0n");
    CHECK(ssekit_json_type_of(arr) == SSEKIT_JSON_ARRAY && ssekit_json_count(arr) == 5);
    CHECK(ssekit_json_get(r, "/a~1b/m~0n/0") == ssekit_json_index(arr, 0));
    CHECK(str_is(ssekit_json_get(r, "/a~1b/m~0n/1"), "x", 1));
    CHECK(ssekit_json_bool(ssekit_json_get(r, "/a~1b/m~0n/2")) == 1);
    CHECK(ssekit_json_type_of(ssekit_json_get(r, "/a~1b/m~0n/3")) == SSEKIT_JSON_NULL &&
          ssekit_json_get(r, "/a~1b/m~0n/3") != NULL);
    CHECK(ssekit_json_type_of(ssekit_json_get(r, "/a~1b/m~0n/4")) == SSEKIT_JSON_BOOL &&
          ssekit_json_bool(ssekit_json_get(r, "/a~1b/m~0n/4")) == 0);
    CHECK(ssekit_json_get(r, "/a~1b/m~0n/5") == NULL);
    CHECK(ssekit_json_get(r, "/a~1b/m~0n/01") == NULL);
    CHECK(ssekit_json_get(r, "/a~1b/m~0n/-") == NULL);
    CHECK(ssekit_json_get(r, "/a~1b/m~0n/0/x") == NULL);
    CHECK(ssekit_json_get(r, "/a~2b") == NULL);
    CHECK(ssekit_json_get(r, "a") == NULL);
    CHECK(ssekit_json_get(r, "") == r);
    CHECK(ssekit_json_get(NULL, "") == NULL && ssekit_json_get(r, NULL) == NULL);
    int64_t x = 0;
    CHECK(ssekit_json_integer(ssekit_json_get(r, "/dup"), &x) && x == 2);
    CHECK(ssekit_json_find(r, "dup", 3) == ssekit_json_member_value(r, 2));
    CHECK(ssekit_json_integer(ssekit_json_get(r, "//"), &x) && x == 3);
    CHECK(ssekit_json_find(r, "nope", 4) == NULL && ssekit_json_find(arr, "a", 1) == NULL);
    CHECK(ssekit_json_member_key(r, 4, NULL) == NULL && ssekit_json_member_value(arr, 0) == NULL);
    CHECK(ssekit_json_index(r, 0) == NULL && ssekit_json_count(ssekit_json_index(arr, 0)) == 0);
    CHECK(ssekit_json_string(ssekit_json_index(arr, 0), NULL) == NULL);
    CHECK(ssekit_json_number_text(ssekit_json_index(arr, 1), NULL) == NULL);
    CHECK(ssekit_json_number(ssekit_json_index(arr, 0)) == 10.0);
    CHECK(ssekit_json_type_of(NULL) == SSEKIT_JSON_NULL && !ssekit_json_is_complete(NULL));
    /* a subtree snapshot */
    str sub = {0};
    CHECK(ssekit_json_write(arr, str_out, &sub) == SSEKIT_OK);
    CHECK(!strcmp(sub.p, "[10,\"x\",true,null,false]"));
    CHECK(ssekit_json_write(arr, NULL, NULL) == SSEKIT_E_INVALID);
    str_free(&sub);
    ssekit_partial_free(b);
}

static int stop_writer(void *ctx, const char *d, size_t n)
{
    (void)d;
    (void)n;
    return ++*(int *)ctx >= 2;
}

static void test_snapshots(void)
{
    /* open containers closed, open strings as far as they go, pending
     * numbers and keys left out */
    static const struct {
        const char *text, *snap;
    } cases[] = {
        {"", "null"},
        {"{\"a\":[1,{\"b\":\"xy", "{\"a\":[1,{\"b\":\"xy\"}]}"},
        {"{\"a\":12", "{}"},
        {"{\"a", "{}"},
        {"{\"a\":", "{}"},
        {"{\"a\":tr", "{}"},
        {"[\"\\u00", "[\"\"]"},
        {"[\"q\\\"", "[\"q\\\"\"]"},
        {"{\"a\":\"\\\"\",\"b\":[", "{\"a\":\"\\\"\",\"b\":[]}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
        REQUIRE(b);
        CHECK(ssekit_partial_feed(b, cases[i].text, strlen(cases[i].text)) == SSEKIT_OK);
        str s = {0};
        snapshot(b, &s);
        CHECKF(!strcmp(s.p, cases[i].snap), "%s -> %s", cases[i].text, s.p);
        str_free(&s);
        ssekit_partial_free(b);
    }
    /* a writer that stops */
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    str big = {0};
    str_cat(&big, "[");
    for (int i = 0; i < 300; i++)
        str_cat(&big, i ? ",\"abcdefgh\"" : "\"abcdefgh\"");
    str_cat(&big, "]");
    CHECK(ssekit_partial_feed(b, big.p, big.len) == 0);
    int calls = 0;
    CHECK(ssekit_partial_snapshot(b, stop_writer, &calls) == SSEKIT_E_STOPPED && calls == 2);
    CHECK(ssekit_partial_snapshot(b, NULL, NULL) == SSEKIT_E_INVALID);
    str_free(&big);
    ssekit_partial_free(b);
}

static void test_patch_format(void)
{
    rec r = {0};
    ssekit_partial_callbacks cb = {0};
    cb.on_patch = c_patch;
    ssekit_partial *b = ssekit_partial_new(&cb, &r, NULL);
    REQUIRE(b);
    static const char doc[] = "{\"a\":[\"x\\n\",1.5e3,{}],\"t/~\":true,\"n\":null}";
    CHECK(feed_split(b, doc, sizeof doc - 1, 1, 1) == SSEKIT_OK);
    static const char want[] = "{\"op\":\"add\",\"path\":\"\",\"value\":{}}\n"
                               "{\"op\":\"add\",\"path\":\"/a\",\"value\":[]}\n"
                               "{\"op\":\"add\",\"path\":\"/a/0\",\"value\":\"\"}\n"
                               "{\"op\":\"append\",\"path\":\"/a/0\",\"text\":\"x\"}\n"
                               "{\"op\":\"append\",\"path\":\"/a/0\",\"text\":\"\\n\"}\n"
                               "{\"op\":\"complete\",\"path\":\"/a/0\"}\n"
                               "{\"op\":\"add\",\"path\":\"/a/1\",\"value\":1.5e3}\n"
                               "{\"op\":\"add\",\"path\":\"/a/2\",\"value\":{}}\n"
                               "{\"op\":\"complete\",\"path\":\"/a/2\"}\n"
                               "{\"op\":\"complete\",\"path\":\"/a\"}\n"
                               "{\"op\":\"add\",\"path\":\"/t~1~0\",\"value\":true}\n"
                               "{\"op\":\"add\",\"path\":\"/n\",\"value\":null}\n"
                               "{\"op\":\"complete\",\"path\":\"\"}\n";
    CHECKF(!strcmp(r.patches.p, want), "%s", r.patches.p);
    ssekit_json_patch pt = {SSEKIT_PATCH_APPEND, "/q", 2, NULL, "\"\x01", 2};
    str o = {0};
    CHECK(ssekit_json_patch_write(&pt, str_out, &o) == 0);
    CHECK(!strcmp(o.p, "{\"op\":\"append\",\"path\":\"/q\",\"text\":\"\\\"\\u0001\"}"));
    CHECK(ssekit_json_patch_write(NULL, str_out, &o) == SSEKIT_E_INVALID);
    str_free(&o);
    rec_free(&r);
    ssekit_partial_free(b);
}

static void test_events(void)
{
    rec r = {0};
    ssekit_partial *b = ssekit_partial_new(&all_cb, &r, NULL);
    REQUIRE(b);
    static const char doc[] = "{\"e\":[{\"v\":\"ab\"},2],\"s\":\"z\"}";
    CHECK(feed_split(b, doc, sizeof doc - 1, 3, 1) == SSEKIT_OK);
    static const char want[] = "S  5\nS /e 4\nS /e/0 5\nS /e/0/v 3\nC /e/0/v\nC /e/0\nE /e 0\n"
                               "S /e/1 2\nC /e/1\nE /e 1\nC /e\nS /s 3\nC /s\nC \nD\n";
    CHECKF(!strcmp(r.events.p, want), "%s", r.events.p);
    CHECK(r.append_mismatch == 0);
    rec_free(&r);
    ssekit_partial_free(b);

    /* a callback that stops: sticky SSEKIT_E_STOPPED */
    for (int at = 1; at <= 12; at++) {
        rec s = {0};
        s.stop_after = at;
        b = ssekit_partial_new(&all_cb, &s, NULL);
        REQUIRE(b);
        int rc = feed_split(b, doc, sizeof doc - 1, 2, 1);
        CHECKF(rc == SSEKIT_E_STOPPED && s.nevents == (size_t)at, "stop at %d: rc %d", at, rc);
        CHECK(ssekit_partial_feed(b, " ", 1) == SSEKIT_E_STOPPED);
        ssekit_partial_reset(b);
        s.stop_after = 0;
        CHECK(feed_split(b, doc, sizeof doc - 1, 2, 1) == SSEKIT_OK);
        rec_free(&s);
        ssekit_partial_free(b);
    }

    /* feeding from a callback is refused */
    rec f = {0};
    b = ssekit_partial_new(&all_cb, &f, NULL);
    REQUIRE(b);
    f.feed_back = b;
    CHECK(ssekit_partial_feed(b, "[1]", 3) == SSEKIT_OK);
    CHECK(f.feed_back_rc == SSEKIT_E_STATE);
    rec_free(&f);
    ssekit_partial_free(b);
}

static void test_limits(void)
{
    /* depth: the limit is accepted, one more level is not */
    for (size_t limit = 1; limit <= 140; limit += limit < 8 ? 1 : 33) {
        for (int extra = 0; extra <= 1; extra++) {
            ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
            REQUIRE(b);
            if (limit != SSEKIT_PARTIAL_DEFAULT_MAX_DEPTH)
                REQUIRE(ssekit_partial_set_max_depth(b, limit) == 0);
            str d = {0};
            size_t depth = limit + (size_t)extra;
            for (size_t i = 0; i < depth; i++)
                str_cat(&d, i % 2 ? "{\"k\":" : "[");
            if (depth % 2 == 0)
                str_cat(&d, "1"); /* the innermost object needs a value */
            for (size_t i = depth; i-- > 0;)
                str_cat(&d, i % 2 ? "}" : "]");
            int rc = feed_split(b, d.p, d.len, 1 + limit % 5, 1);
            if (!extra) {
                CHECKF(rc == SSEKIT_OK, "depth %zu: %d", limit, rc);
            } else {
                size_t want_off = 0;
                for (size_t i = 0; i < limit; i++)
                    want_off += i % 2 ? 5 : 1;
                CHECKF(rc == SSEKIT_E_TOO_DEEP && ssekit_partial_last_error(b)->offset == want_off,
                       "depth %zu+1: rc %d at %zu", limit, rc,
                       ssekit_partial_last_error(b)->offset);
            }
            str_free(&d);
            ssekit_partial_free(b);
        }
    }
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    CHECK(ssekit_partial_set_max_depth(b, 0) == SSEKIT_E_INVALID);
    CHECK(ssekit_partial_set_max_depth(b, SSEKIT_PARTIAL_MAX_DEPTH_LIMIT + 1) == SSEKIT_E_INVALID);
    CHECK(ssekit_partial_set_max_size(b, 0) == SSEKIT_E_INVALID);
    CHECK(ssekit_partial_set_max_string(b, 0) == SSEKIT_E_INVALID);
    CHECK(ssekit_partial_set_max_depth(b, SSEKIT_PARTIAL_MAX_DEPTH_LIMIT) == SSEKIT_OK);
    /* the deepest allowed document */
    {
        str d = {0};
        for (int i = 0; i < SSEKIT_PARTIAL_MAX_DEPTH_LIMIT; i++)
            str_cat(&d, "[");
        for (int i = 0; i < SSEKIT_PARTIAL_MAX_DEPTH_LIMIT; i++)
            str_cat(&d, "]");
        CHECK(feed_split(b, d.p, d.len, 7, 1) == SSEKIT_OK);
        str_free(&d);
    }
    ssekit_partial_free(b);

    /* total size: the bytes up to the limit are processed, then TOO_LARGE */
    b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    CHECK(ssekit_partial_set_max_size(b, 10) == 0);
    CHECK(ssekit_partial_feed(b, "[\"abcdef", 8) == 0);
    CHECK(ssekit_partial_feed(b, "ghij\"]", 6) == SSEKIT_E_TOO_LARGE);
    CHECK(ssekit_partial_last_error(b)->offset == 10);
    CHECK(str_is(ssekit_json_index(ssekit_partial_root(b), 0), "abcdefgh", 8));
    size_t tl;
    ssekit_partial_text(b, &tl);
    CHECK(tl == 10);
    CHECK(ssekit_partial_feed(b, "x", 1) == SSEKIT_E_TOO_LARGE);
    ssekit_partial_reset(b);
    CHECK(ssekit_partial_feed(b, "[1234567]", 9) == 0 && ssekit_partial_finish(b) == 0);
    ssekit_partial_free(b);

    /* string length: exactly at the limit is fine (decoded bytes count) */
    static const struct {
        const char *doc;
        int rc;
        size_t off;
    } sl[] = {{"[\"abcd\"]", 0, 0},
              {"[\"abcde\"]", SSEKIT_E_TOO_LARGE, 6},
              {"[\"ab\\u00e9\"]", 0, 0},
              {"[\"abc\\u00e9\"]", SSEKIT_E_TOO_LARGE, 5},
              {"[\"abc\xc3\xa9\"]", SSEKIT_E_TOO_LARGE, 5},
              {"{\"abcde\":1}", SSEKIT_E_TOO_LARGE, 6},
              {"[12345]", SSEKIT_E_TOO_LARGE, 1},
              {"[\"\\ud83d\\ude00\"]", 0, 0},
              {"[\"a\\ud83d\\ude00\"]", SSEKIT_E_TOO_LARGE, 3},
              /* a syntax error before the limit wins (fuzzer) */
              {" , 26666", SSEKIT_E_JSON, 1}};
    for (size_t i = 0; i < sizeof sl / sizeof *sl; i++) {
        for (size_t step = 1; step < 4; step++) {
            b = ssekit_partial_new(NULL, NULL, NULL);
            REQUIRE(b);
            CHECK(ssekit_partial_set_max_string(b, 4) == 0);
            int rc = feed_split(b, sl[i].doc, strlen(sl[i].doc), step, 1);
            CHECKF(rc == sl[i].rc && (!rc || ssekit_partial_last_error(b)->offset == sl[i].off),
                   "%s step %zu: rc %d at %zu", sl[i].doc, step, rc,
                   ssekit_partial_last_error(b)->offset);
            ssekit_partial_free(b);
        }
    }
}

static void test_reset_reuse(void)
{
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
    REQUIRE(b);
    for (int i = 0; i < 50; i++) {
        str d = {0}, want = {0}, got = {0};
        gen_value(&d, 0, 1);
        REQUIRE(ref_parse(d.p, d.len, &want));
        int rc = feed_split(b, d.p, d.len, 1 + (size_t)i % 4, 1);
        snapshot(b, &got);
        CHECKF(rc == 0 && !strcmp(got.p, want.p), "doc %d: %s", i, d.p);
        /* reset in every state: complete, mid-document, after an error */
        ssekit_partial_reset(b);
        if (i % 3 == 1)
            ssekit_partial_feed(b, "{\"a\":[\"x", 8);
        if (i % 3 == 2)
            ssekit_partial_feed(b, "]", 1);
        ssekit_partial_reset(b);
        CHECK(ssekit_partial_root(b) == NULL && ssekit_partial_last_error(b)->status == 0);
        str_free(&d);
        str_free(&want);
        str_free(&got);
    }
    ssekit_partial_free(b);
    ssekit_partial_free(NULL);
    CHECK(ssekit_partial_feed(NULL, "x", 1) == SSEKIT_E_INVALID);
    CHECK(ssekit_partial_finish(NULL) == SSEKIT_E_INVALID);
}

/* Every allocation failing in turn: SSEKIT_E_NOMEM (or a NULL builder),
 * never a crash or a leak; a later reset recovers. */
static void alloc_failures(const char *name, const str *docp, size_t max_depth)
{
    str doc = {0};
    str_add(&doc, docp->p, docp->len);
    str want = {0};
    REQUIRE(ref_parse(doc.p, doc.len, &want));
    int completed = 0;
    long at_max = 0;
    for (long at = 1; at < 2000 && !completed; at++) {
        at_max = at;
        for (int sticky = 0; sticky <= 1; sticky++) {
            fail_alloc fa = {0};
            fa.fail_at = at;
            fa.sticky = sticky;
            ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
            rec r = {0};
            ssekit_partial *b = ssekit_partial_new(&all_cb, &r, &af);
            if (!b) {
                CHECKF(fa.live == 0, "new failed at %ld and leaked %ld", at, fa.live);
                rec_free(&r);
                continue;
            }
            int drc = ssekit_partial_set_max_depth(b, max_depth);
            if (drc) { /* growing the parser's reserve failed: no change */
                CHECK(drc == SSEKIT_E_NOMEM && fa.failures);
                ssekit_partial_free(b);
                CHECKF(fa.live == 0, "set_max_depth failed at %ld and leaked", at);
                rec_free(&r);
                continue;
            }
            int rc = feed_split(b, doc.p, doc.len, 3, 1);
            CHECKF(rc == SSEKIT_OK || rc == SSEKIT_E_NOMEM, "fail at %ld: rc %d", at, rc);
            if (rc == SSEKIT_E_NOMEM) {
                CHECK(ssekit_partial_feed(b, " ", 1) == SSEKIT_E_NOMEM);
                if (!sticky) {
                    /* the allocator works again: a reset recovers */
                    ssekit_partial_reset(b);
                    str_clear(&r.patches);
                    str_clear(&r.events);
                    r.ndone = r.starts = r.completes = 0;
                    r.open_string = 0;
                    r.append_mismatch = 0;
                    rc = feed_split(b, doc.p, doc.len, 5, 1);
                    CHECKF(rc == SSEKIT_OK, "recover after failure at %ld: %d", at, rc);
                }
            } else if (fa.failures == 0) {
                completed = 1;
            }
            if (rc == SSEKIT_OK) {
                str got = {0};
                snapshot(b, &got);
                CHECKF(!strcmp(got.p, want.p), "fail at %ld: wrong value", at);
                str_free(&got);
                CHECK(r.append_mismatch == 0);
            }
            ssekit_partial_free(b);
            CHECKF(fa.live == 0, "fail at %ld sticky %d: %ld blocks leaked", at, sticky, fa.live);
            rec_free(&r);
        }
    }
    CHECK(completed);
    printf("allocation failures (%s): %ld points, document of %zu bytes\n", name, at_max, doc.len);
    str_free(&doc);
    str_free(&want);
}

static void test_alloc_failures(void)
{
    str doc = {0};
    gen_answer(&doc, 40);
    str_cat(&doc, " ");
    alloc_failures("answer", &doc, 300);
    /* deep: yajl's state stack grows while parsing */
    str_clear(&doc);
    for (int i = 0; i < 700; i++)
        str_cat(&doc, i % 3 ? "[" : "{\"k\":");
    str_cat(&doc, "\"leaf\"");
    for (int i = 700; i-- > 0;)
        str_cat(&doc, i % 3 ? "]" : "}");
    alloc_failures("deep", &doc, 1000);
    str_free(&doc);
}

int main(void)
{
    test_split_escapes();
    test_surrogates();
    test_split_utf8();
    test_numbers();
    test_empty_and_accessors();
    test_snapshots();
    test_patch_format();
    test_events();
    test_errors();
    test_limits();
    test_reset_reuse();
    test_alloc_failures();
    test_property();
    return check_done("test_partial_json");
}
