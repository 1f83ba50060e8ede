/* The result layer (result.h): SSE bytes -> provider decoder -> one partial
 * JSON builder per output -> schema check, read back through ssekit_result.
 *
 * Data: the recorded streams of shared/vectors/providers (compared with their
 * .expect.json), and OpenAI chat.completion.chunk streams generated here whose
 * content deltas spell a structured answer 1-6 characters at a time, as real
 * models do (like shared/bench/gen_stream.py), with unicode and escapes split
 * across deltas. The truth for a generated stream is a one-shot yajl_tree
 * parse of the answer text, never the library's own output. */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "check.h"
#include "dstr.h"
#include "fail_alloc.h"
#include "ssekit/result.h"

/* ---- a deterministic random source ---------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *g)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 2685821657736338717ull;
}

/* Uniform in [lo, hi]. */
static size_t rng_range(rng *g, size_t lo, size_t hi)
{
    return lo + (size_t)(rng_next(g) % (uint64_t)(hi - lo + 1));
}

static rng rng_seed(uint64_t seed)
{
    rng g = {seed * 0x9E3779B97F4A7C15ull + 1};
    rng_next(&g);
    return g;
}

/* ---- JSON on the test's side: yajl_tree ------------------------------------ */

static yajl_val parse_json(const char *text, size_t len)
{
    char *z = malloc(len + 1);
    REQUIRE(z);
    memcpy(z, text, len);
    z[len] = 0;
    char err[256];
    yajl_val v = yajl_tree_parse(z, err, sizeof err);
    free(z);
    return v;
}

static yajl_val member(yajl_val obj, const char *key)
{
    if (!YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = obj->u.object.len; i-- > 0;)
        if (!strcmp(obj->u.object.keys[i], key))
            return obj->u.object.values[i];
    return NULL;
}

static const char *jstr(yajl_val v)
{
    return YAJL_IS_STRING(v) ? v->u.string : "\x01(not a string)";
}

/* Structural equality: object members in any order, numbers by value. */
static int json_equal(yajl_val a, yajl_val b)
{
    if (!a || !b)
        return a == b;
    if (YAJL_IS_NUMBER(a) && YAJL_IS_NUMBER(b))
        return strtod(a->u.number.r, NULL) == strtod(b->u.number.r, NULL);
    if (a->type != b->type)
        return 0;
    switch (a->type) {
    case yajl_t_string:
        return !strcmp(a->u.string, b->u.string);
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
        for (size_t i = 0; i < a->u.object.len; i++)
            if (!json_equal(a->u.object.values[i], member(b, a->u.object.keys[i])))
                return 0;
        return 1;
    default:
        return 0;
    }
}

/* `prev` is an earlier view of the document `next` is a later view of:
 * nothing disappears, members keep their place, strings only grow, scalars
 * never change. A NULL prev (nothing started) is a prefix of anything. */
static int json_prefix(yajl_val prev, yajl_val next)
{
    if (!prev)
        return 1;
    if (!next || prev->type != next->type)
        return 0;
    switch (prev->type) {
    case yajl_t_string:
        return !strncmp(prev->u.string, next->u.string, strlen(prev->u.string));
    case yajl_t_number:
        return !strcmp(prev->u.number.r, next->u.number.r);
    case yajl_t_array:
        if (prev->u.array.len > next->u.array.len)
            return 0;
        for (size_t i = 0; i < prev->u.array.len; i++)
            if (!json_prefix(prev->u.array.values[i], next->u.array.values[i]))
                return 0;
        return 1;
    case yajl_t_object:
        if (prev->u.object.len > next->u.object.len)
            return 0;
        for (size_t i = 0; i < prev->u.object.len; i++)
            if (strcmp(prev->u.object.keys[i], next->u.object.keys[i]) ||
                !json_prefix(prev->u.object.values[i], next->u.object.values[i]))
                return 0;
        return 1;
    default:
        return 1;
    }
}

static size_t json_count_nodes(yajl_val v)
{
    size_t n = 1;
    if (YAJL_IS_ARRAY(v))
        for (size_t i = 0; i < v->u.array.len; i++)
            n += json_count_nodes(v->u.array.values[i]);
    if (YAJL_IS_OBJECT(v))
        for (size_t i = 0; i < v->u.object.len; i++)
            n += json_count_nodes(v->u.object.values[i]);
    return n;
}

/* Splits a JSON Pointer into unescaped segments (at most `max`). */
static size_t pointer_split(const char *p, size_t n, dstr *seg, size_t max)
{
    size_t k = 0, i = 0;
    while (i < n) {
        REQUIRE(p[i] == '/' && k < max);
        i++;
        ds_clear(&seg[k]);
        ds_put(&seg[k], "", 0);
        while (i < n && p[i] != '/') {
            char c = p[i++];
            if (c == '~') {
                REQUIRE(i < n && (p[i] == '0' || p[i] == '1'));
                c = p[i++] == '1' ? '/' : '~';
            }
            ds_put(&seg[k], &c, 1);
        }
        k++;
    }
    return k;
}

#define MAX_SEGS 64

/* The node at JSON Pointer (p, n) of a yajl tree, or NULL. */
static yajl_val json_at(yajl_val v, const char *p, size_t n)
{
    dstr seg[MAX_SEGS] = {{0}};
    size_t k = pointer_split(p, n, seg, MAX_SEGS);
    for (size_t i = 0; i < k && v; i++) {
        if (YAJL_IS_OBJECT(v)) {
            v = member(v, ds_str(&seg[i]));
        } else if (YAJL_IS_ARRAY(v)) {
            size_t idx = strtoul(ds_str(&seg[i]), NULL, 10);
            v = idx < v->u.array.len ? v->u.array.values[idx] : NULL;
        } else {
            v = NULL;
        }
    }
    for (size_t i = 0; i < MAX_SEGS; i++)
        ds_free(&seg[i]);
    return v;
}

/* A library tree as JSON text, and parsed on the test's side. */
static void write_json(const ssekit_json *v, dstr *out)
{
    ds_clear(out);
    CHECK(ssekit_json_write(v, ds_writer, out) == SSEKIT_OK);
}

static yajl_val tree_of(const ssekit_json *v)
{
    dstr s = {0};
    write_json(v, &s);
    yajl_val j = parse_json(ds_str(&s), s.len);
    CHECKF(j != NULL, "written tree is not JSON: %s", ds_str(&s));
    ds_free(&s);
    return j;
}

/* ---- a patch applier over a small mutable tree ----------------------------- */

typedef struct mnode {
    ssekit_json_type type;
    dstr s; /* a string's text or a number's literal */
    int b, complete;
    size_t n;
    char **keys;
    struct mnode **kids;
} mnode;

static void mnode_free(mnode *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        if (m->keys)
            free(m->keys[i]);
        mnode_free(m->kids[i]);
    }
    free(m->keys);
    free(m->kids);
    ds_free(&m->s);
    free(m);
}

/* The initial state an "add" patch carries: {} [] "" or a final scalar. */
static mnode *mnode_from_add(yajl_val v)
{
    mnode *m = calloc(1, sizeof *m);
    REQUIRE(m);
    m->complete = 1;
    switch (v ? v->type : yajl_t_null) {
    case yajl_t_string:
        m->type = SSEKIT_JSON_STRING;
        CHECKF(!*v->u.string, "an added string starts empty, not %s", v->u.string);
        ds_put(&m->s, "", 0);
        m->complete = 0;
        break;
    case yajl_t_number:
        m->type = SSEKIT_JSON_NUMBER;
        ds_puts(&m->s, v->u.number.r);
        break;
    case yajl_t_true:
    case yajl_t_false:
        m->type = SSEKIT_JSON_BOOL;
        m->b = v->type == yajl_t_true;
        break;
    case yajl_t_object:
        m->type = SSEKIT_JSON_OBJECT;
        CHECK(v->u.object.len == 0);
        m->complete = 0;
        break;
    case yajl_t_array:
        m->type = SSEKIT_JSON_ARRAY;
        CHECK(v->u.array.len == 0);
        m->complete = 0;
        break;
    default:
        m->type = SSEKIT_JSON_NULL;
        break;
    }
    return m;
}

static mnode *mnode_child(mnode *m, const char *seg)
{
    if (m->type == SSEKIT_JSON_OBJECT) {
        for (size_t i = m->n; i-- > 0;)
            if (!strcmp(m->keys[i], seg))
                return m->kids[i];
    } else if (m->type == SSEKIT_JSON_ARRAY) {
        size_t i = strtoul(seg, NULL, 10);
        return i < m->n ? m->kids[i] : NULL;
    }
    return NULL;
}

/* Applies one rendered patch (ssekit_json_patch_write's JSON) to *root.
 * Returns 0, or -1 when the patch does not fit the tree. */
static int mnode_apply(mnode **root, const char *json, size_t len)
{
    yajl_val p = parse_json(json, len);
    CHECKF(p != NULL, "patch is not JSON: %.*s", (int)len, json);
    if (!p)
        return -1;
    const char *op = jstr(member(p, "op")), *path = jstr(member(p, "path"));
    dstr seg[MAX_SEGS] = {{0}};
    size_t k = pointer_split(path, strlen(path), seg, MAX_SEGS);
    int rc = 0;
    /* parent: the node at the path minus its last segment (NULL when that
     * does not exist); node: the node at the path */
    mnode *parent = NULL, *node = *root;
    for (size_t i = 0; i < k && node; i++) {
        parent = i == k - 1 ? node : NULL;
        node = mnode_child(node, ds_str(&seg[i]));
    }
    if (!strcmp(op, "add")) {
        mnode *m = mnode_from_add(member(p, "value"));
        if (k == 0) {
            rc = *root ? -1 : 0;
            if (!rc)
                *root = m;
        } else if (!parent ||
                   (parent->type != SSEKIT_JSON_OBJECT && parent->type != SSEKIT_JSON_ARRAY)) {
            rc = -1;
        } else if (parent->type == SSEKIT_JSON_ARRAY &&
                   strtoul(ds_str(&seg[k - 1]), NULL, 10) != parent->n) {
            rc = -1; /* an element is always a push */
        } else {
            parent->kids = realloc(parent->kids, (parent->n + 1) * sizeof *parent->kids);
            REQUIRE(parent->kids);
            if (parent->type == SSEKIT_JSON_OBJECT) {
                parent->keys = realloc(parent->keys, (parent->n + 1) * sizeof *parent->keys);
                REQUIRE(parent->keys);
                parent->keys[parent->n] = strdup(ds_str(&seg[k - 1]));
            }
            parent->kids[parent->n++] = m;
        }
        if (rc)
            mnode_free(m);
    } else if (!strcmp(op, "append")) {
        if (!node || node->type != SSEKIT_JSON_STRING || node->complete)
            rc = -1;
        else
            ds_puts(&node->s, jstr(member(p, "text")));
    } else if (!strcmp(op, "complete")) {
        if (!node || node->complete)
            rc = -1;
        else
            node->complete = 1;
    } else {
        rc = -1;
    }
    CHECKF(rc == 0, "patch does not apply: %.*s", (int)len, json);
    for (size_t i = 0; i < MAX_SEGS; i++)
        ds_free(&seg[i]);
    yajl_tree_free(p);
    return rc;
}

/* The applied tree equals the yajl tree; `complete` asks that every node of
 * it was marked complete by a patch. */
static int mnode_equal(const mnode *m, yajl_val v, int complete)
{
    if (!m || !v)
        return !m && !v;
    if (complete && !m->complete)
        return 0;
    switch (m->type) {
    case SSEKIT_JSON_STRING:
        return YAJL_IS_STRING(v) && !strcmp(ds_str(&m->s), v->u.string);
    case SSEKIT_JSON_NUMBER:
        return YAJL_IS_NUMBER(v) && !strcmp(ds_str(&m->s), v->u.number.r);
    case SSEKIT_JSON_BOOL:
        return m->b ? YAJL_IS_TRUE(v) : YAJL_IS_FALSE(v);
    case SSEKIT_JSON_NULL:
        return YAJL_IS_NULL(v);
    case SSEKIT_JSON_ARRAY:
        if (!YAJL_IS_ARRAY(v) || v->u.array.len != m->n)
            return 0;
        for (size_t i = 0; i < m->n; i++)
            if (!mnode_equal(m->kids[i], v->u.array.values[i], complete))
                return 0;
        return 1;
    case SSEKIT_JSON_OBJECT:
        if (!YAJL_IS_OBJECT(v) || v->u.object.len != m->n)
            return 0;
        for (size_t i = 0; i < m->n; i++)
            if (strcmp(m->keys[i], v->u.object.keys[i]) ||
                !mnode_equal(m->kids[i], v->u.object.values[i], complete))
                return 0;
        return 1;
    }
    return 0;
}

/* ---- recording what a result reports --------------------------------------- */

#define MAX_OUT 16

enum stop_where { STOP_NONE, STOP_DELTA, STOP_START, STOP_COMPLETE, STOP_PATCH, STOP_VIOLATION };

typedef struct rec {
    ssekit_result *r;
    dstr completes;  /* "label path json\n" per on_value_complete */
    dstr starts;     /* "label path type\n" per on_value_start */
    dstr violations; /* "path keyword\n" per on_violation */
    size_t n_delta, n_start, n_complete, n_patch, n_viol;
    size_t feed_no;         /* feeds done so far (set by the driver) */
    size_t first_viol_feed; /* feed during which the first violation came; SIZE_MAX none */
    int finishing;          /* set while ssekit_result_finish runs */
    size_t viol_in_finish;
    /* patches applied per output */
    const ssekit_output *outs[MAX_OUT];
    mnode *roots[MAX_OUT];
    size_t n_outs;
    int bad_patch;
    /* stopping and re-entry */
    enum stop_where stop_where;
    size_t stop_at; /* 1-based count of that callback */
    size_t stop_calls;
    int reenter, reenter_feed_rc, reenter_finish_rc, reenter_event_rc;
    dstr scratch;
} rec;

static void rec_init(rec *c)
{
    memset(c, 0, sizeof *c);
    c->first_viol_feed = SIZE_MAX;
}

static void rec_free(rec *c)
{
    ds_free(&c->completes);
    ds_free(&c->starts);
    ds_free(&c->violations);
    ds_free(&c->scratch);
    for (size_t i = 0; i < c->n_outs; i++)
        mnode_free(c->roots[i]);
    memset(c, 0, sizeof *c);
}

static mnode **rec_root(rec *c, const ssekit_output *o)
{
    for (size_t i = 0; i < c->n_outs; i++)
        if (c->outs[i] == o)
            return &c->roots[i];
    REQUIRE(c->n_outs < MAX_OUT);
    c->outs[c->n_outs] = o;
    c->roots[c->n_outs] = NULL;
    return &c->roots[c->n_outs++];
}

static int rec_stop(rec *c, enum stop_where w)
{
    if (c->stop_where != w)
        return 0;
    return ++c->stop_calls == c->stop_at;
}

static void rec_reenter(rec *c)
{
    if (!c->reenter)
        return;
    c->reenter_feed_rc = ssekit_result_feed(c->r, "data: x\n\n", 9);
    ssekit_sse_event ev = {"message", 7, "{}", 2, "", 0};
    c->reenter_event_rc = ssekit_result_feed_event(c->r, &ev);
    c->reenter_finish_rc = ssekit_result_finish(c->r);
    ssekit_result_free(c->r); /* must be refused, not free the result */
}

static int cb_delta(void *user, const ssekit_delta *d)
{
    rec *c = user;
    c->n_delta++;
    CHECK(d != NULL);
    return rec_stop(c, STOP_DELTA);
}

static int cb_start(void *user, const ssekit_output *o, const char *path, size_t len,
                    ssekit_json_type t)
{
    rec *c = user;
    c->n_start++;
    ds_printf(&c->starts, "%s ", ssekit_output_label(o));
    ds_put(&c->starts, path, len);
    ds_printf(&c->starts, " %d\n", (int)t);
    return rec_stop(c, STOP_START);
}

static int cb_complete(void *user, const ssekit_output *o, const char *path, size_t len,
                       const ssekit_json *v)
{
    rec *c = user;
    c->n_complete++;
    CHECK(ssekit_json_is_complete(v));
    ds_printf(&c->completes, "%s ", ssekit_output_label(o));
    ds_put(&c->completes, path, len);
    ds_puts(&c->completes, " ");
    CHECK(ssekit_json_write(v, ds_writer, &c->completes) == SSEKIT_OK);
    ds_puts(&c->completes, "\n");
    rec_reenter(c);
    return rec_stop(c, STOP_COMPLETE);
}

static int cb_patch(void *user, const ssekit_output *o, const ssekit_json_patch *p)
{
    rec *c = user;
    c->n_patch++;
    ds_clear(&c->scratch);
    CHECK(ssekit_json_patch_write(p, ds_writer, &c->scratch) == SSEKIT_OK);
    if (mnode_apply(rec_root(c, o), c->scratch.p, c->scratch.len))
        c->bad_patch++;
    return rec_stop(c, STOP_PATCH);
}

static int cb_violation(void *user, const ssekit_output *o, const ssekit_schema_violation *v)
{
    rec *c = user;
    CHECK(o != NULL && o == ssekit_result_main(c->r));
    c->n_viol++;
    if (c->first_viol_feed == SIZE_MAX)
        c->first_viol_feed = c->feed_no;
    if (c->finishing)
        c->viol_in_finish++;
    ds_printf(&c->violations, "%s %s\n", v->keyword, v->path);
    return rec_stop(c, STOP_VIOLATION);
}

static const ssekit_result_callbacks all_callbacks = {cb_delta, cb_start, cb_complete, cb_patch,
                                                      cb_violation};

static ssekit_result *rec_result(rec *c, ssekit_provider p, const ssekit_alloc_funcs *af)
{
    rec_init(c);
    c->r = ssekit_result_new(p, &all_callbacks, c, af);
    return c->r;
}

static int rec_finish(rec *c)
{
    c->finishing = 1;
    int rc = ssekit_result_finish(c->r);
    c->finishing = 0;
    return rc;
}

/* The patches of every output rebuilt exactly that output's tree. */
static void check_patches(rec *c, const char *what)
{
    CHECKF(c->bad_patch == 0, "%s: %d patches did not apply", what, c->bad_patch);
    for (size_t i = 0; i < ssekit_result_output_count(c->r); i++) {
        const ssekit_output *o = ssekit_result_output(c->r, i);
        const ssekit_json *v = ssekit_output_value(o);
        mnode *m = *rec_root(c, o);
        if (!v) {
            CHECKF(m == NULL, "%s: patches built a value for %s", what, ssekit_output_label(o));
            continue;
        }
        yajl_val j = tree_of(v);
        CHECKF(mnode_equal(m, j, ssekit_json_is_complete(v)), "%s: patches of %s", what,
               ssekit_output_label(o));
        yajl_tree_free(j);
    }
}

/* ---- feeding ------------------------------------------------------------------ */

enum split { SPLIT_WHOLE, SPLIT_BYTES, SPLIT_SMALL, SPLIT_MIXED };

static size_t split_len(rng *g, enum split how, size_t left)
{
    size_t n;
    switch (how) {
    case SPLIT_WHOLE:
        n = left;
        break;
    case SPLIT_BYTES:
        n = 1;
        break;
    case SPLIT_SMALL:
        n = rng_range(g, 1, 9);
        break;
    default:
        switch (rng_range(g, 0, 3)) {
        case 0:
            n = rng_range(g, 1, 4);
            break;
        case 1:
            n = rng_range(g, 1, 64);
            break;
        case 2:
            n = rng_range(g, 1, 700);
            break;
        default:
            n = rng_range(g, 1, 5000);
            break;
        }
    }
    return n < left ? n : left;
}

/* Called after every feed of a driven run. */
typedef void (*after_feed_fn)(rec *c, void *ctx);

/* Feeds `len` bytes split as `how` says; every feed must return `want`.
 * Returns the number of feeds. */
static size_t feed_all(rec *c, const char *buf, size_t len, enum split how, rng *g, int want,
                       after_feed_fn after, void *ctx)
{
    size_t off = 0, feeds = 0;
    int bad = 0;
    do {
        size_t n = split_len(g, how, len - off);
        c->feed_no = ++feeds;
        int rc = ssekit_result_feed(c->r, buf + off, n);
        if (rc != want && !bad++)
            CHECKF(0, "feed at %zu returned %s", off, ssekit_status_name(rc));
        off += n;
        if (after)
            after(c, ctx);
    } while (off < len);
    return feeds;
}

/* ---- the recorded fixtures ---------------------------------------------------- */

static const ssekit_output *find_output(const ssekit_result *r, ssekit_output_kind kind,
                                        uint32_t tool_index)
{
    for (size_t i = 0; i < ssekit_result_output_count(r); i++) {
        const ssekit_output *o = ssekit_result_output(r, i);
        if (ssekit_output_kind_of(o) == kind &&
            (kind == SSEKIT_OUTPUT_TEXT || ssekit_output_tool_index(o) == tool_index))
            return o;
    }
    return NULL;
}

static int value_equals(const ssekit_json *v, yajl_val want)
{
    yajl_val got = tree_of(v);
    int eq = json_equal(got, want);
    yajl_tree_free(got);
    return eq;
}

/* Everything a fixture's expectation says, read back from the result. */
static void check_fixture(const char *name, rec *c, int fin, yajl_val exp)
{
    ssekit_result *r = c->r;
    yajl_val v, tools = member(exp, "tool_calls"), err = member(exp, "error");
    size_t n_tools = YAJL_IS_ARRAY(tools) ? tools->u.array.len : 0;

    /* text: all text outputs, in order */
    dstr text = {0};
    size_t n_text = 0;
    for (size_t i = 0; i < ssekit_result_output_count(r); i++) {
        const ssekit_output *o = ssekit_result_output(r, i);
        if (ssekit_output_kind_of(o) != SSEKIT_OUTPUT_TEXT)
            continue;
        size_t n;
        const char *t = ssekit_output_text(o, &n);
        ds_put(&text, t, n);
        n_text++;
    }
    if ((v = member(exp, "text")))
        CHECKF(!strcmp(ds_str(&text), jstr(v)), "%s: text %s", name, ds_str(&text));
    CHECKF(ssekit_result_output_count(r) == n_text + n_tools, "%s: %zu outputs", name,
           ssekit_result_output_count(r));
    ds_free(&text);

    /* value and main output */
    const ssekit_output *m = ssekit_result_main(r);
    if ((v = member(exp, "value"))) {
        CHECKF(m && ssekit_output_kind_of(m) == SSEKIT_OUTPUT_TEXT, "%s: main", name);
        CHECKF(ssekit_output_json_status(m) == SSEKIT_OK, "%s: json status", name);
        CHECKF(value_equals(ssekit_result_value(r), v), "%s: value", name);
        CHECK(ssekit_json_is_complete(ssekit_result_value(r)));
    } else if (n_tools && n_text == 0) {
        CHECKF(m && m == find_output(
                             r, SSEKIT_OUTPUT_TOOL_CALL,
                             (uint32_t)YAJL_GET_INTEGER(member(tools->u.array.values[0], "index"))),
               "%s: main is the first tool call", name);
    }

    /* tool calls */
    for (size_t i = 0; i < n_tools; i++) {
        yajl_val e = tools->u.array.values[i];
        uint32_t idx = (uint32_t)YAJL_GET_INTEGER(member(e, "index"));
        const ssekit_output *o = find_output(r, SSEKIT_OUTPUT_TOOL_CALL, idx);
        CHECKF(o != NULL, "%s: tool call %u", name, idx);
        if (!o)
            continue;
        char label[40];
        snprintf(label, sizeof label, "tool_calls/%u", idx);
        CHECKF(!strcmp(ssekit_output_label(o), label), "%s: label %s", name,
               ssekit_output_label(o));
        CHECKF(!strcmp(ssekit_output_tool_id(o), jstr(member(e, "id"))), "%s: id %s", name,
               ssekit_output_tool_id(o));
        CHECKF(!strcmp(ssekit_output_tool_name(o), jstr(member(e, "name"))), "%s: name", name);
        CHECKF(ssekit_output_json_status(o) == SSEKIT_OK, "%s: tool json status %s", name,
               ssekit_status_name(ssekit_output_json_status(o)));
        CHECKF(value_equals(ssekit_output_value(o), member(e, "arguments")), "%s: arguments", name);
        size_t n;
        const char *t = ssekit_output_text(o, &n);
        yajl_val args = parse_json(t, n);
        CHECKF(json_equal(args, member(e, "arguments")), "%s: arguments text", name);
        yajl_tree_free(args);
    }

    size_t n;
    const char *th = ssekit_result_thinking(r, &n);
    v = member(exp, "thinking");
    CHECKF(n == strlen(th) && !strcmp(th, v ? jstr(v) : ""), "%s: thinking %s", name, th);
    CHECK(ssekit_result_refusal(r, &n) && n == 0);

    const char *fr = ssekit_result_finish_reason(r);
    if ((v = member(exp, "finish_reason")))
        CHECKF(fr && !strcmp(fr, jstr(v)), "%s: finish reason %s", name, fr ? fr : "(none)");
    else
        CHECKF(fr == NULL, "%s: finish reason %s", name, fr);

    if ((v = member(exp, "usage"))) {
        ssekit_usage u = ssekit_result_usage(r);
        const char *keys[] = {"input_tokens", "output_tokens", "total_tokens"};
        const int64_t got[] = {u.input_tokens, u.output_tokens, u.total_tokens};
        for (int i = 0; i < 3; i++) {
            yajl_val k = member(v, keys[i]);
            CHECKF(got[i] == (k ? YAJL_GET_INTEGER(k) : -1), "%s: %s %lld", name, keys[i],
                   (long long)got[i]);
        }
    }

    const ssekit_result_error *e = ssekit_result_first_error(r);
    if (err) {
        CHECKF(e->status == SSEKIT_E_PROVIDER && e->count == 1, "%s: error %s x%zu", name,
               ssekit_status_name(e->status), e->count);
        CHECKF(!strcmp(e->type, jstr(member(err, "type"))), "%s: error type %s", name, e->type);
        CHECKF(!strcmp(e->message, jstr(member(err, "message"))), "%s: error message", name);
        /* raw is the event data that carried the error: JSON with the message */
        yajl_val raw = parse_json(e->raw, e->raw_len);
        CHECKF(raw && e->raw_len == strlen(e->raw) && strstr(e->raw, e->message), "%s: raw %s",
               name, e->raw);
        yajl_tree_free(raw);
        CHECKF(!ssekit_result_is_done(r), "%s: an error stream is not done", name);
    } else {
        CHECKF(e->status == SSEKIT_OK && e->count == 0 && !*e->type && !*e->message &&
                   e->raw_len == 0,
               "%s: error %s", name, ssekit_status_name(e->status));
        CHECKF(ssekit_result_is_done(r), "%s: not done", name);
    }

    /* finish: a provider error first; then JSON that is not complete (prose,
     * or nothing at all); structured answers and tool calls are OK */
    int want = err                               ? SSEKIT_E_PROVIDER
               : member(exp, "value") || n_tools ? SSEKIT_OK
                                                 : SSEKIT_E_JSON;
    CHECKF(fin == want, "%s: finish %s, want %s", name, ssekit_status_name(fin),
           ssekit_status_name(want));
    CHECK(ssekit_result_finish(r) == fin); /* a second call says the same */
    CHECK(ssekit_result_feed(r, "\n", 1) == SSEKIT_E_STATE);
    if (want == SSEKIT_E_JSON && m) {
        CHECKF(ssekit_output_json_status(m) == SSEKIT_E_JSON, "%s: prose json status", name);
        CHECK(*ssekit_output_json_error(m)->message);
    }
    check_patches(c, name);
}

static void test_fixture(const char *name, ssekit_provider prov)
{
    char path[512];
    size_t len, elen;
    snprintf(path, sizeof path, "%s/providers/%s.sse", SSEKIT_VECTORS_DIR, name);
    char *sse = check_read_file(path, &len);
    snprintf(path, sizeof path, "%s/providers/%s.expect.json", SSEKIT_VECTORS_DIR, name);
    char *ejs = check_read_file(path, &elen);
    yajl_val exp = parse_json(ejs, elen);
    REQUIRE(exp);

    dstr ref_complete = {0}, ref_start = {0}, ref_value = {0}, val = {0};
    rng g = rng_seed(len);
    for (int run = 0; run < 8; run++) {
        enum split how = run == 0   ? SPLIT_WHOLE
                         : run == 1 ? SPLIT_BYTES
                         : run < 4  ? SPLIT_SMALL
                                    : SPLIT_MIXED;
        rec c;
        REQUIRE(rec_result(&c, prov, NULL));
        feed_all(&c, sse, len, how, &g, SSEKIT_OK, NULL, NULL);
        int fin = rec_finish(&c);
        char what[160];
        snprintf(what, sizeof what, "%s (split %d, run %d)", name, (int)how, run);
        check_fixture(what, &c, fin, exp);
        write_json(ssekit_result_value(c.r), &val);
        if (run == 0) {
            ds_put(&ref_complete, ds_str(&c.completes), c.completes.len);
            ds_put(&ref_start, ds_str(&c.starts), c.starts.len);
            ds_put(&ref_value, ds_str(&val), val.len);
        } else {
            CHECKF(ds_eq(&ref_complete, &c.completes), "%s: completion events differ", what);
            CHECKF(ds_eq(&ref_start, &c.starts), "%s: start events differ", what);
            CHECKF(ds_eq(&ref_value, &val), "%s: value %s", what, ds_str(&val));
        }
        ssekit_result_free(c.r);
        rec_free(&c);
    }
    ds_free(&ref_complete);
    ds_free(&ref_start);
    ds_free(&ref_value);
    ds_free(&val);
    yajl_tree_free(exp);
    free(sse);
    free(ejs);
}

static void test_fixtures(void)
{
    static const struct {
        const char *name;
        ssekit_provider prov;
    } fx[] = {
        {"openai_chat_structured", SSEKIT_PROVIDER_OPENAI},
        {"openai_chat_tool_calls", SSEKIT_PROVIDER_OPENAI},
        {"openai_chat_error", SSEKIT_PROVIDER_OPENAI},
        {"anthropic_text", SSEKIT_PROVIDER_ANTHROPIC},
        {"anthropic_tool_use", SSEKIT_PROVIDER_ANTHROPIC},
        {"anthropic_error", SSEKIT_PROVIDER_ANTHROPIC},
        {"responses_text", SSEKIT_PROVIDER_RESPONSES},
    };
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++)
        test_fixture(fx[i].name, fx[i].prov);
}

/* ---- generated OpenAI streams --------------------------------------------------- */

static const char *const words[] = {"clinic", "doctor",  "waiting", "kind",    "time", "minutes",
                                    "great",  "service", "staff",   "quick",   "pain", "relief",
                                    "visit",  "nurse",   "room",    "friendly"};
#define N_WORDS (sizeof words / sizeof words[0])

/* Strings that exercise the builder: raw UTF-8 of 2, 3 and 4 bytes, escapes of
 * every kind (split anywhere by the deltas), a surrogate pair as escapes. */
static const char *const spice[] = {" \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80",
                                    " tab\\tnl\\n",
                                    " \\\"quoted\\\"",
                                    " back\\\\slash",
                                    " \\u00e9\\u4E2D",
                                    " \\ud83d\\ude00!",
                                    " sl\\/ash",
                                    " \\b\\f\\r"};
#define N_SPICE (sizeof spice / sizeof spice[0])

enum plant { PLANT_NONE, PLANT_ENUM, PLANT_EXTRA, PLANT_TYPE, PLANT_RANGE, PLANT_LONG_KEY };

typedef struct answer {
    dstr text;
    /* The byte of the text whose arrival makes the planted violation
     * certain, its path and keyword. */
    size_t viol_off;
    char viol_path[400];
    const char *viol_keyword;
} answer;

static void put_words(dstr *t, rng *g, int n, int spicy)
{
    for (int i = 0; i < n; i++) {
        if (i)
            ds_puts(t, " ");
        ds_puts(t, words[rng_range(g, 0, N_WORDS - 1)]);
        if (spicy && rng_range(g, 0, 3) == 0)
            ds_puts(t, spice[rng_range(g, 0, N_SPICE - 1)]);
    }
}

/* The answer: summary, sentiment, tags, entities, meta; the shape of
 * gen_stream.py with escapes, a key that needs pointer escaping and empty
 * containers added. */
static void gen_answer(answer *a, int n_entities, uint64_t seed, enum plant plant)
{
    rng g = rng_seed(seed);
    dstr *t = &a->text;
    memset(a, 0, sizeof *a);
    a->viol_off = SIZE_MAX;
    int bad_entity = n_entities / 2;
    ds_puts(t, "{\"summary\": \"");
    put_words(t, &g, 40, 1);
    ds_puts(t, "\", \"sentiment\": \"");
    if (plant == PLANT_ENUM) {
        /* a prefix of "positive" until the 'l' */
        ds_puts(t, "positive");
        a->viol_off = t->len;
        ds_puts(t, "ly");
        strcpy(a->viol_path, "/sentiment");
        a->viol_keyword = "enum";
    } else {
        ds_puts(t, "positive");
    }
    ds_puts(t, "\", \"tags\": [");
    for (int i = 0; i < 5; i++) {
        ds_puts(t, i ? ", \"" : "\"");
        put_words(t, &g, 1, 0);
        ds_puts(t, "\"");
    }
    ds_puts(t, "], \"entities\": [");
    static const char *const types[] = {"person", "place", "org", "time"};
    for (int i = 0; i < n_entities; i++) {
        ds_printf(t, "%s{\"type\": \"%s\", \"value\": \"", i ? ", " : "",
                  types[rng_range(&g, 0, 3)]);
        put_words(t, &g, 3, 1);
        ds_puts(t, "\", \"confidence\": ");
        if (i == bad_entity && plant == PLANT_TYPE) {
            a->viol_off = t->len;
            ds_puts(t, "\"high\"");
            snprintf(a->viol_path, sizeof a->viol_path, "/entities/%d/confidence", i);
            a->viol_keyword = "type";
        } else if (i == bad_entity && plant == PLANT_RANGE) {
            ds_puts(t, "12.5");
            a->viol_off = t->len; /* a number is known once it ends */
            snprintf(a->viol_path, sizeof a->viol_path, "/entities/%d/confidence", i);
            a->viol_keyword = "maximum";
        } else {
            ds_printf(t, "%d.%03d", (int)rng_range(&g, 0, 0), (int)rng_range(&g, 0, 999));
        }
        if (i == bad_entity && plant == PLANT_EXTRA) {
            ds_puts(t, ", \"extra\": ");
            a->viol_off = t->len; /* the member shows once its value starts */
            ds_puts(t, "\"x\"");
            snprintf(a->viol_path, sizeof a->viol_path, "/entities/%d/extra", i);
            a->viol_keyword = "additionalProperties";
        }
        ds_puts(t, "}");
    }
    ds_puts(t, "], \"meta\": {\"a/b~c\": true, \"n\": null, \"k\": -12.5e3, \"e\": \"\", "
               "\"ea\": [], \"eo\": {}}");
    if (plant == PLANT_LONG_KEY) {
        ds_puts(t, ", \"");
        strcpy(a->viol_path, "/");
        for (int i = 0; i < 300; i++) {
            ds_put(t, "k", 1);
            strcat(a->viol_path, "k");
        }
        ds_puts(t, "\": ");
        a->viol_off = t->len;
        ds_puts(t, "\"v\"");
        a->viol_keyword = "additionalProperties";
    }
    ds_puts(t, "}");
}

/* The schema a strict-mode client would send for that answer. */
static const char strict_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"summary\",\"sentiment\",\"tags\",\"entities\",\"meta\"],"
    "\"properties\":{"
    "\"summary\":{\"type\":\"string\"},"
    "\"sentiment\":{\"type\":\"string\",\"enum\":[\"positive\",\"negative\",\"neutral\"]},"
    "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},"
    "\"entities\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/entity\"}},"
    "\"meta\":{\"$ref\":\"#/$defs/meta\"}},"
    "\"$defs\":{"
    "\"entity\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"type\",\"value\",\"confidence\"],"
    "\"properties\":{\"type\":{\"type\":\"string\",\"enum\":[\"person\",\"place\",\"org\","
    "\"time\"]},\"value\":{\"type\":\"string\"},"
    "\"confidence\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1}}},"
    "\"meta\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"a/b~c\",\"n\",\"k\",\"e\",\"ea\",\"eo\"],"
    "\"properties\":{\"a/b~c\":{\"type\":\"boolean\"},\"n\":{\"type\":[\"string\",\"null\"]},"
    "\"k\":{\"type\":\"number\"},\"e\":{\"type\":\"string\"},"
    "\"ea\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}},"
    "\"eo\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{},"
    "\"required\":[]}}}}}";

/* Length of the UTF-8 sequence that starts with byte c. */
static size_t utf8_len(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static uint32_t utf8_decode(const unsigned char *s, size_t n)
{
    if (n == 1)
        return s[0];
    uint32_t cp = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (s[i] & 0x3F);
    return cp;
}

/* Appends `s` as the body of a JSON string, as an envelope carries it;
 * `ascii` writes everything beyond ASCII as \u escapes (surrogate pairs
 * beyond the BMP), as Python's json.dumps does by default. */
static void put_jstring(dstr *o, const char *s, size_t n, int ascii)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t k = utf8_len(c);
        if (c == '"' || c == '\\') {
            ds_put(o, "\\", 1);
            ds_put(o, s + i, 1);
        } else if (c < 0x20) {
            ds_printf(o, "\\u%04x", c);
        } else if (k > 1 && ascii) {
            uint32_t cp = utf8_decode((const unsigned char *)s + i, k);
            if (cp >= 0x10000)
                ds_printf(o, "\\u%04x\\u%04x", 0xD800 + ((cp - 0x10000) >> 10),
                          0xDC00 + ((cp - 0x10000) & 0x3FF));
            else
                ds_printf(o, "\\u%04x", cp);
        } else {
            ds_put(o, s + i, k);
        }
        i += k;
    }
}

static const char chunk_head[] = "{\"id\":\"chatcmpl-9x\",\"object\":\"chat.completion.chunk\","
                                 "\"created\":1732000000,\"model\":\"gpt-4o-mini\","
                                 "\"system_fingerprint\":\"fp_1\",\"choices\":[";

/* A stream and where each of its events ends. */
typedef struct stream {
    dstr sse;
    size_t ev_end[40000];
    size_t n_ev;
} stream;

static void ev_end(stream *s)
{
    ds_puts(&s->sse, "\n\n");
    REQUIRE(s->n_ev < sizeof s->ev_end / sizeof s->ev_end[0]);
    s->ev_end[s->n_ev++] = s->sse.len;
}

static void chunk_text(stream *s, uint32_t choice, const char *t, size_t n, int ascii)
{
    ds_printf(&s->sse, "data: %s{\"index\":%u,\"delta\":{\"content\":\"", chunk_head, choice);
    put_jstring(&s->sse, t, n, ascii);
    ds_puts(&s->sse, "\"},\"logprobs\":null,\"finish_reason\":null}]}");
    ev_end(s);
}

static void chunk_role(stream *s, uint32_t choice)
{
    ds_printf(&s->sse,
              "data: %s{\"index\":%u,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
              "\"logprobs\":null,\"finish_reason\":null}]}",
              chunk_head, choice);
    ev_end(s);
}

static void chunk_tool(stream *s, uint32_t tool, const char *id, const char *name, const char *t,
                       size_t n)
{
    ds_printf(&s->sse, "data: %s{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":%u", chunk_head,
              tool);
    if (id)
        ds_printf(&s->sse, ",\"id\":\"%s\",\"type\":\"function\"", id);
    ds_puts(&s->sse, ",\"function\":{");
    if (name)
        ds_printf(&s->sse, "\"name\":\"%s\",", name);
    ds_puts(&s->sse, "\"arguments\":\"");
    put_jstring(&s->sse, t, n, 0);
    ds_puts(&s->sse, "\"}}]},\"logprobs\":null,\"finish_reason\":null}]}");
    ev_end(s);
}

static void chunk_finish(stream *s, uint32_t choice, const char *reason)
{
    ds_printf(&s->sse,
              "data: %s{\"index\":%u,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"%s\"}]}",
              chunk_head, choice, reason);
    ev_end(s);
}

static void chunk_usage(stream *s, int in, int out)
{
    ds_printf(&s->sse,
              "data: %s],\"usage\":{\"prompt_tokens\":%d,\"completion_tokens\":%d,"
              "\"total_tokens\":%d}}",
              chunk_head, in, out, in + out);
    ev_end(s);
}

static void chunk_done(stream *s)
{
    ds_puts(&s->sse, "data: [DONE]");
    ev_end(s);
}

/* The next delta of `t` from `*off`: 1-6 characters (code points). */
static size_t next_delta(const dstr *t, size_t off, rng *g)
{
    size_t k = rng_range(g, 1, 6), end = off;
    while (k-- && end < t->len)
        end += utf8_len((unsigned char)t->p[end]);
    return end - off;
}

/* How many delta boundaries of generated streams fell inside a JSON escape
 * of the answer (between '\\' and the end of "\\n" or "\\u00e9"): the
 * property tests must really split escapes. */
static size_t escape_splits;

/* 1 when offset `off` of JSON text `t` is inside an escape sequence. */
static int inside_escape(const dstr *t, size_t off)
{
    for (size_t k = 1; k <= 5 && k <= off; k++) {
        size_t at = off - k, bs = 0;
        while (at - bs > 0 && t->p[at - bs - 1] == '\\')
            bs++;
        if (t->p[at] != '\\' || bs % 2)
            continue; /* not an escaping backslash */
        return k == 1 || (t->p[at + 1] == 'u' && k <= 5);
    }
    return 0;
}

/* A whole single-choice stream spelling `a`; ans_end[i] is how much of the
 * answer events 0..i carried. */
static void gen_stream(stream *s, const dstr *answer, uint64_t seed, int ascii, size_t *ans_end)
{
    rng g = rng_seed(seed ^ 0x5eed);
    memset(s, 0, sizeof *s);
    chunk_role(s, 0);
    if (ans_end)
        ans_end[0] = 0;
    for (size_t off = 0; off < answer->len;) {
        size_t n = next_delta(answer, off, &g);
        chunk_text(s, 0, answer->p + off, n, ascii);
        off += n;
        escape_splits += off < answer->len && inside_escape(answer, off);
        if (ans_end)
            ans_end[s->n_ev - 1] = off;
    }
    chunk_finish(s, 0, "stop");
    chunk_usage(s, 40, (int)s->n_ev);
    chunk_done(s);
    if (ans_end)
        for (size_t i = s->n_ev - 3; i < s->n_ev; i++)
            ans_end[i] = answer->len;
}

/* ---- property: any split, the same result, views that only grow ------------------ */

typedef struct snapctx {
    yajl_val prev;
    size_t snapshots, bad_json, not_prefix, progress_down;
    double progress;
    int with_progress;
} snapctx;

static void after_feed_snapshot(rec *c, void *ctx)
{
    snapctx *sc = ctx;
    const ssekit_output *m = ssekit_result_main(c->r);
    if (sc->with_progress) {
        double p = ssekit_result_progress(c->r);
        if (p < sc->progress)
            sc->progress_down++;
        sc->progress = p;
    }
    if (!m)
        return;
    dstr s = {0};
    CHECK(ssekit_output_snapshot(m, ds_writer, &s) == SSEKIT_OK);
    yajl_val v = parse_json(ds_str(&s), s.len);
    sc->snapshots++;
    if (!v) {
        if (!sc->bad_json++)
            CHECKF(0, "snapshot %zu is not JSON: %s", sc->snapshots, ds_str(&s));
    } else {
        /* the root "null" of a document not started is a prefix of anything */
        yajl_val prev = sc->prev && YAJL_IS_NULL(sc->prev) ? NULL : sc->prev;
        if (!json_prefix(prev, v) && !sc->not_prefix++)
            CHECKF(0, "snapshot %zu is not a continuation: %s", sc->snapshots, ds_str(&s));
        yajl_tree_free(sc->prev);
        sc->prev = v;
    }
    ds_free(&s);
}

/* Every completion event names a node of the true document, with its value. */
static void check_completions(const char *what, const dstr *log, const char *label, yajl_val truth)
{
    size_t n = 0, bad = 0;
    for (const char *p = ds_str(log); *p;) {
        const char *nl = strchr(p, '\n');
        REQUIRE(nl);
        const char *sp1 = strchr(p, ' ');
        const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(nl - sp1 - 1)) : NULL;
        REQUIRE(sp1 && sp2);
        if ((size_t)(sp1 - p) != strlen(label) || memcmp(p, label, strlen(label))) {
            p = nl + 1;
            continue;
        }
        yajl_val want = json_at(truth, sp1 + 1, (size_t)(sp2 - sp1 - 1));
        yajl_val got = parse_json(sp2 + 1, (size_t)(nl - sp2 - 1));
        if (!want || !json_equal(want, got)) {
            if (!bad++)
                CHECKF(0, "%s: completion %.*s", what, (int)(nl - p), p);
        }
        yajl_tree_free(got);
        n++;
        p = nl + 1;
    }
    CHECKF(n == json_count_nodes(truth), "%s: %zu completions for %zu nodes", what, n,
           json_count_nodes(truth));
}

static void test_property(int n_entities, uint64_t seed, int ascii, int runs, int snapshots)
{
    answer a;
    gen_answer(&a, n_entities, seed, PLANT_NONE);
    yajl_val truth = parse_json(a.text.p, a.text.len);
    REQUIRE(truth);
    stream *s = malloc(sizeof *s);
    REQUIRE(s);
    gen_stream(s, &a.text, seed, ascii, NULL);
    char what[96];

    dstr ref_complete = {0}, ref_value = {0}, val = {0};
    rng g = rng_seed(seed * 31 + (uint64_t)n_entities);
    for (int run = 0; run < runs; run++) {
        enum split how = run == 0 ? SPLIT_WHOLE : run == 1 && snapshots ? SPLIT_SMALL : SPLIT_MIXED;
        snprintf(what, sizeof what, "property n=%d seed=%llu run %d", n_entities,
                 (unsigned long long)seed, run);
        rec c;
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        snapctx sc = {0};
        feed_all(&c, s->sse.p, s->sse.len, how, &g, SSEKIT_OK,
                 snapshots ? after_feed_snapshot : NULL, &sc);
        /* complete before finish: the last delta closed the document */
        CHECKF(ssekit_json_is_complete(ssekit_result_value(c.r)), "%s: incomplete", what);
        CHECKF(rec_finish(&c) == SSEKIT_OK, "%s: finish", what);
        CHECK(ssekit_result_is_done(c.r));
        CHECK(ssekit_result_output_count(c.r) == 1);
        const ssekit_output *m = ssekit_result_main(c.r);
        CHECK(m == ssekit_result_output(c.r, 0) && !strcmp(ssekit_output_label(m), "text"));
        size_t tl;
        const char *tt = ssekit_output_text(m, &tl);
        CHECKF(tl == a.text.len && !memcmp(tt, a.text.p, tl), "%s: text", what);
        CHECKF(value_equals(ssekit_result_value(c.r), truth), "%s: value", what);
        write_json(ssekit_result_value(c.r), &val);
        if (snapshots) {
            CHECKF(sc.snapshots > 0 && sc.bad_json == 0 && sc.not_prefix == 0,
                   "%s: %zu snapshots, %zu bad, %zu not prefix", what, sc.snapshots, sc.bad_json,
                   sc.not_prefix);
            CHECKF(sc.prev && json_equal(sc.prev, truth), "%s: last snapshot", what);
            yajl_tree_free(sc.prev);
        }
        check_patches(&c, what);
        if (run == 0) {
            check_completions(what, &c.completes, "text", truth);
            ds_put(&ref_complete, ds_str(&c.completes), c.completes.len);
            ds_put(&ref_value, ds_str(&val), val.len);
        } else {
            CHECKF(ds_eq(&ref_complete, &c.completes), "%s: completion events differ", what);
            CHECKF(ds_eq(&ref_value, &val), "%s: final value differs", what);
        }
        ssekit_result_free(c.r);
        rec_free(&c);
    }
    ds_free(&ref_complete);
    ds_free(&ref_value);
    ds_free(&val);
    ds_free(&s->sse);
    free(s);
    ds_free(&a.text);
    yajl_tree_free(truth);
}

static void test_properties(void)
{
    static const int sizes[] = {0, 1, 3, 12, 40};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        for (uint64_t seed = 1; seed <= 2; seed++)
            test_property(sizes[i], seed + 10 * i, (int)(seed & 1), 4, 1);
    /* byte by byte with snapshots */
    {
        answer a;
        gen_answer(&a, 6, 99, PLANT_NONE);
        yajl_val truth = parse_json(a.text.p, a.text.len);
        stream *s = malloc(sizeof *s);
        REQUIRE(s && truth);
        gen_stream(s, &a.text, 99, 1, NULL);
        rec c;
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        snapctx sc = {0};
        rng g = rng_seed(5);
        feed_all(&c, s->sse.p, s->sse.len, SPLIT_BYTES, &g, SSEKIT_OK, after_feed_snapshot, &sc);
        CHECK(rec_finish(&c) == SSEKIT_OK);
        CHECK(sc.bad_json == 0 && sc.not_prefix == 0 && sc.snapshots > 1000);
        CHECK(sc.prev && json_equal(sc.prev, truth));
        CHECK(value_equals(ssekit_result_value(c.r), truth));
        check_completions("bytewise", &c.completes, "text", truth);
        check_patches(&c, "bytewise");
        yajl_tree_free(sc.prev);
        ssekit_result_free(c.r);
        rec_free(&c);
        yajl_tree_free(truth);
        ds_free(&s->sse);
        free(s);
        ds_free(&a.text);
    }
    CHECKF(escape_splits > 20, "only %zu deltas split an escape", escape_splits);
    /* larger documents: value and events only */
    test_property(200, 77, 0, 3, 0);
    test_property(400, 78, 1, 2, 0);
}

/* ---- feed_event: the caller frames the events ------------------------------------ */

static void test_feed_event(void)
{
    answer a;
    gen_answer(&a, 5, 3, PLANT_NONE);
    stream *s = malloc(sizeof *s);
    REQUIRE(s);
    gen_stream(s, &a.text, 3, 0, NULL);
    rec one, two;
    REQUIRE(rec_result(&one, SSEKIT_PROVIDER_OPENAI, NULL));
    REQUIRE(rec_result(&two, SSEKIT_PROVIDER_OPENAI, NULL));
    rng g = rng_seed(1);
    feed_all(&one, s->sse.p, s->sse.len, SPLIT_WHOLE, &g, SSEKIT_OK, NULL, NULL);
    size_t start = 0;
    for (size_t i = 0; i < s->n_ev; i++) {
        /* "data: " ... "\n\n" */
        ssekit_sse_event ev = {"message", 7, s->sse.p + start + 6, s->ev_end[i] - start - 8, "", 0};
        CHECK(ssekit_result_feed_event(two.r, &ev) == SSEKIT_OK);
        start = s->ev_end[i];
    }
    CHECK(ssekit_result_feed_event(two.r, NULL) == SSEKIT_E_INVALID);
    CHECK(rec_finish(&one) == SSEKIT_OK && rec_finish(&two) == SSEKIT_OK);
    CHECK(ds_eq(&one.completes, &two.completes) && one.n_complete > 0);
    CHECK(ds_eq(&one.starts, &two.starts));
    dstr v1 = {0}, v2 = {0};
    write_json(ssekit_result_value(one.r), &v1);
    write_json(ssekit_result_value(two.r), &v2);
    CHECK(ds_eq(&v1, &v2));
    ssekit_sse_event ev = {"message", 7, "{}", 2, "", 0};
    CHECK(ssekit_result_feed_event(two.r, &ev) == SSEKIT_E_STATE);
    ds_free(&v1);
    ds_free(&v2);
    ssekit_result_free(one.r);
    ssekit_result_free(two.r);
    rec_free(&one);
    rec_free(&two);
    ds_free(&s->sse);
    free(s);
    ds_free(&a.text);
}

/* ---- schema --------------------------------------------------------------------- */

typedef struct progctx {
    double last;
    size_t down;
    int saw_value, no_schema;
} progctx;

static void after_feed_progress(rec *c, void *ctx)
{
    progctx *pc = ctx;
    double p = ssekit_result_progress(c->r);
    if (ssekit_result_value(c->r))
        pc->saw_value = 1;
    if (pc->no_schema)
        CHECK(p == -1);
    else
        CHECK(p == -1 ? !ssekit_result_value(c->r) : p >= 0 && p <= 1);
    if (p < pc->last)
        pc->down++;
    pc->last = p;
}

/* Feeds a stream event by event (so the feed number is the event number) or
 * in random pieces, with the schema set. */
static void schema_run(const ssekit_schema *schema, const answer *a, uint64_t seed, int by_event,
                       rec *c, progctx *pc, int *fin)
{
    stream *s = malloc(sizeof *s);
    REQUIRE(s);
    gen_stream(s, &a->text, seed, (int)(seed & 1), NULL);
    REQUIRE(rec_result(c, SSEKIT_PROVIDER_OPENAI, NULL));
    CHECK(ssekit_result_progress(c->r) == -1); /* no schema, no value */
    CHECK(ssekit_result_set_schema(c->r, schema) == SSEKIT_OK);
    pc->last = -1;
    if (by_event) {
        size_t start = 0;
        for (size_t i = 0; i < s->n_ev; i++) {
            c->feed_no = i;
            CHECK(ssekit_result_feed(c->r, s->sse.p + start, s->ev_end[i] - start) == SSEKIT_OK);
            after_feed_progress(c, pc);
            start = s->ev_end[i];
        }
    } else {
        rng g = rng_seed(seed + 1000);
        feed_all(c, s->sse.p, s->sse.len, SPLIT_MIXED, &g, SSEKIT_OK, after_feed_progress, pc);
    }
    c->feed_no = SIZE_MAX - 1; /* finish */
    *fin = rec_finish(c);
    ds_free(&s->sse);
    free(s);
}

static size_t count_lines(const dstr *log, const char *line)
{
    size_t n = 0, l = strlen(line);
    for (const char *p = ds_str(log); (p = strstr(p, line)); p += l)
        if ((p == log->p || p[-1] == '\n') && p[l] == '\n')
            n++;
    return n;
}

static void test_schema(void)
{
    ssekit_schema_error err;
    ssekit_schema *schema = ssekit_schema_compile(strict_schema, strlen(strict_schema), NULL, &err);
    CHECKF(schema != NULL, "schema: %s at %s", err.message, err.pointer);
    if (!schema)
        return;

    /* valid answers: nothing reported at any point, progress grows to 1 */
    for (int n = 0; n <= 16; n += 4) {
        for (int by_event = 0; by_event < 2; by_event++) {
            answer a;
            gen_answer(&a, n, 200 + (uint64_t)n, PLANT_NONE);
            yajl_val truth = parse_json(a.text.p, a.text.len);
            REQUIRE(truth);
            rec c;
            progctx pc = {0};
            int fin;
            schema_run(schema, &a, 300 + (uint64_t)n, by_event, &c, &pc, &fin);
            CHECKF(fin == SSEKIT_OK, "valid n=%d: finish %s", n, ssekit_status_name(fin));
            CHECKF(c.n_viol == 0, "valid n=%d: %s", n, ds_str(&c.violations));
            CHECK(ssekit_result_violation_count(c.r) == 0);
            CHECK(ssekit_result_violation(c.r, 0) == NULL);
            CHECKF(pc.down == 0 && pc.saw_value, "valid n=%d: progress fell %zu times", n, pc.down);
            CHECKF(pc.last == 1.0, "valid n=%d: progress %g at the end", n, pc.last);
            CHECK(ssekit_result_progress(c.r) == 1.0);
            CHECK(value_equals(ssekit_result_value(c.r), truth));
            ssekit_result_free(c.r);
            rec_free(&c);
            yajl_tree_free(truth);
            ds_free(&a.text);
        }
    }

    /* planted violations: reported once, at the delta that makes them
     * certain, readable after finish, finish says SSEKIT_E_SCHEMA */
    static const enum plant plants[] = {PLANT_ENUM, PLANT_EXTRA, PLANT_TYPE, PLANT_RANGE,
                                        PLANT_LONG_KEY};
    for (size_t i = 0; i < sizeof plants / sizeof plants[0]; i++) {
        for (int by_event = 1; by_event >= 0; by_event--) {
            uint64_t seed = 400 + i;
            answer a;
            gen_answer(&a, 7, seed, plants[i]);
            REQUIRE(a.viol_off < a.text.len && a.viol_keyword);
            char what[640];
            snprintf(what, sizeof what, "plant %d (%s %s, %s)", (int)plants[i], a.viol_keyword,
                     a.viol_path, by_event ? "by event" : "random split");
            /* the event that carries the violation's byte */
            stream *s = malloc(sizeof *s);
            size_t *ans_end = calloc(40000, sizeof *ans_end);
            REQUIRE(s && ans_end);
            gen_stream(s, &a.text, seed, (int)(seed & 1), ans_end);
            size_t want_ev = 0;
            while (ans_end[want_ev] <= a.viol_off)
                want_ev++;
            ds_free(&s->sse);
            free(s);
            free(ans_end);

            rec c;
            progctx pc = {0};
            int fin;
            schema_run(schema, &a, seed, by_event, &c, &pc, &fin);
            char line[512];
            snprintf(line, sizeof line, "%s %s", a.viol_keyword, a.viol_path);
            CHECKF(c.first_viol_feed != SIZE_MAX && c.first_viol_feed < SIZE_MAX - 1,
                   "%s: no violation before finish (%s)", what, ds_str(&c.violations));
            if (by_event)
                CHECKF(c.first_viol_feed == want_ev, "%s: reported at event %zu, certain at %zu",
                       what, c.first_viol_feed, want_ev);
            CHECKF(count_lines(&c.violations, line) == 1, "%s: reported %zu times: %s", what,
                   count_lines(&c.violations, line), ds_str(&c.violations));
            CHECKF(c.n_viol == 1, "%s: %zu violations: %s", what, c.n_viol, ds_str(&c.violations));
            CHECKF(fin == SSEKIT_E_SCHEMA, "%s: finish %s", what, ssekit_status_name(fin));
            CHECK(ssekit_result_finish(c.r) == SSEKIT_E_SCHEMA);
            size_t nv = ssekit_result_violation_count(c.r);
            int found = 0;
            for (size_t k = 0; k < nv; k++) {
                const ssekit_schema_message *m = ssekit_result_violation(c.r, k);
                CHECK(m && *m->message);
                /* a long path is kept truncated: compare the start */
                if (!strcmp(m->keyword, a.viol_keyword) &&
                    !strncmp(m->path, a.viol_path, sizeof m->path - 4))
                    found++;
            }
            CHECKF(nv == 1 && found == 1, "%s: %zu violations kept, %d match", what, nv, found);
            CHECKF(pc.down == 0, "%s: progress fell", what);
            /* the value is still there, complete */
            CHECK(ssekit_json_is_complete(ssekit_result_value(c.r)));
            ssekit_result_free(c.r);
            rec_free(&c);
            ds_free(&a.text);
        }
    }

    /* a required member missing: certain once the object closes, i.e.
     * still during the stream; each violation reported once, both kept */
    {
        answer a;
        memset(&a, 0, sizeof a);
        ds_puts(&a.text, "{\"summary\": \"s\", \"sentiment\": \"positively\", "
                         "\"tags\": [], \"entities\": []}");
        rec c;
        progctx pc = {0};
        int fin;
        schema_run(schema, &a, 5, 1, &c, &pc, &fin);
        CHECK(fin == SSEKIT_E_SCHEMA);
        CHECKF(c.n_viol == 2 && c.viol_in_finish == 0, "%zu violations, %zu at finish: %s",
               c.n_viol, c.viol_in_finish, ds_str(&c.violations));
        CHECK(count_lines(&c.violations, "enum /sentiment") == 1);
        CHECK(count_lines(&c.violations, "required ") == 1);
        CHECK(ssekit_result_violation_count(c.r) == 2);
        int seen = 0;
        for (size_t k = 0; k < 2; k++) {
            const ssekit_schema_message *m = ssekit_result_violation(c.r, k);
            seen |= !strcmp(m->keyword, "enum") && !strcmp(m->path, "/sentiment") ? 1 : 0;
            seen |= !strcmp(m->keyword, "required") && !strcmp(m->path, "") ? 2 : 0;
        }
        CHECK(seen == 3);
        ssekit_result_free(c.r);
        rec_free(&c);
        ds_free(&a.text);
    }

    /* more violations than the result keeps: none reported twice */
    {
        answer a;
        memset(&a, 0, sizeof a);
        ds_puts(&a.text, "{\"summary\": \"s\", \"sentiment\": \"neutral\", \"tags\": [], "
                         "\"entities\": [");
        for (int i = 0; i < 90; i++)
            ds_printf(&a.text, "%s{\"type\": \"robot\", \"value\": \"v\", \"confidence\": 0.5}",
                      i ? ", " : "");
        ds_puts(&a.text, "], \"meta\": {\"a/b~c\": false, \"n\": \"x\", \"k\": 1, \"e\": \"\", "
                         "\"ea\": [1], \"eo\": {}}}");
        rec c;
        progctx pc = {0};
        int fin;
        schema_run(schema, &a, 6, 0, &c, &pc, &fin);
        CHECK(fin == SSEKIT_E_SCHEMA);
        size_t nv = ssekit_result_violation_count(c.r);
        CHECKF(nv >= 1 && nv <= 90 && c.n_viol == nv, "%zu kept, %zu reported", nv, c.n_viol);
        size_t dup = 0;
        for (size_t i = 0; i < nv; i++)
            for (size_t j = i + 1; j < nv; j++)
                if (!strcmp(ssekit_result_violation(c.r, i)->path,
                            ssekit_result_violation(c.r, j)->path))
                    dup++;
        CHECK(dup == 0);
        for (int i = 0; i < 90; i++) {
            char line[64];
            snprintf(line, sizeof line, "enum /entities/%d/type", i);
            CHECKF(count_lines(&c.violations, line) <= 1, "%s reported twice", line);
        }
        ssekit_result_free(c.r);
        rec_free(&c);
        ds_free(&a.text);
    }

    /* a schema set after the last delta: everything is found by finish's
     * check, reported there once */
    {
        answer a;
        gen_answer(&a, 5, 61, PLANT_TYPE);
        stream *s = malloc(sizeof *s);
        REQUIRE(s);
        gen_stream(s, &a.text, 61, 0, NULL);
        rec c;
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        CHECK(ssekit_result_feed(c.r, s->sse.p, s->sse.len) == SSEKIT_OK);
        CHECK(ssekit_result_set_schema(c.r, schema) == SSEKIT_OK);
        CHECK(rec_finish(&c) == SSEKIT_E_SCHEMA);
        CHECKF(c.n_viol == 1 && c.viol_in_finish == 1, "late schema: %s", ds_str(&c.violations));
        CHECK(ssekit_result_violation_count(c.r) == 1 &&
              !strcmp(ssekit_result_violation(c.r, 0)->path, a.viol_path));
        ssekit_result_free(c.r);
        rec_free(&c);
        ds_free(&s->sse);
        free(s);
        ds_free(&a.text);
    }

    /* the main output changes (a tool call, then a text output): the
     * violations of the first stay reported, finish keeps those of the
     * final main value */
    {
        answer bad_tool, bad_text;
        gen_answer(&bad_tool, 2, 71, PLANT_ENUM);
        gen_answer(&bad_text, 2, 72, PLANT_TYPE);
        stream *s = malloc(sizeof *s);
        REQUIRE(s);
        memset(s, 0, sizeof *s);
        rng g = rng_seed(7);
        chunk_tool(s, 0, "call_1", "f", "", 0);
        for (size_t off = 0; off < bad_tool.text.len;) {
            size_t n = next_delta(&bad_tool.text, off, &g);
            chunk_tool(s, 0, NULL, NULL, bad_tool.text.p + off, n);
            off += n;
        }
        for (size_t off = 0; off < bad_text.text.len;) {
            size_t n = next_delta(&bad_text.text, off, &g);
            chunk_text(s, 0, bad_text.text.p + off, n, 0);
            off += n;
        }
        chunk_done(s);
        rec c;
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        CHECK(ssekit_result_set_schema(c.r, schema) == SSEKIT_OK);
        feed_all(&c, s->sse.p, s->sse.len, SPLIT_MIXED, &g, SSEKIT_OK, NULL, NULL);
        CHECK(ssekit_output_kind_of(ssekit_result_main(c.r)) == SSEKIT_OUTPUT_TEXT);
        CHECK(rec_finish(&c) == SSEKIT_E_SCHEMA);
        char l1[512], l2[512];
        snprintf(l1, sizeof l1, "%s %s", bad_tool.viol_keyword, bad_tool.viol_path);
        snprintf(l2, sizeof l2, "%s %s", bad_text.viol_keyword, bad_text.viol_path);
        CHECKF(c.n_viol == 2 && count_lines(&c.violations, l1) == 1 &&
                   count_lines(&c.violations, l2) == 1 && c.viol_in_finish == 0,
               "main switch: %s", ds_str(&c.violations));
        CHECK(ssekit_result_violation_count(c.r) == 1 &&
              !strcmp(ssekit_result_violation(c.r, 0)->path, bad_text.viol_path));
        ssekit_result_free(c.r);
        rec_free(&c);
        ds_free(&s->sse);
        free(s);
        ds_free(&bad_tool.text);
        ds_free(&bad_text.text);
    }

    /* set_schema(NULL) removes it; a schema only checks the main output */
    {
        answer a;
        gen_answer(&a, 2, 9, PLANT_ENUM);
        rec c;
        progctx pc = {.no_schema = 1};
        int fin;
        schema_run(NULL, &a, 9, 0, &c, &pc, &fin);
        CHECK(fin == SSEKIT_OK && c.n_viol == 0 && ssekit_result_progress(c.r) == -1);
        ssekit_result_free(c.r);
        rec_free(&c);
        ds_free(&a.text);
    }
    CHECK(ssekit_result_set_schema(NULL, schema) == SSEKIT_E_INVALID);
    ssekit_schema_free(schema);
}

/* ---- several outputs ---------------------------------------------------------- */

/* Two choices (n=2) interleaved at random, sometimes in one chunk. */
static void test_two_choices(uint64_t seed, int choice1_first)
{
    answer a0, a1;
    gen_answer(&a0, 3, seed, PLANT_NONE);
    gen_answer(&a1, 4, seed + 1, PLANT_NONE);
    yajl_val t0 = parse_json(a0.text.p, a0.text.len), t1 = parse_json(a1.text.p, a1.text.len);
    REQUIRE(t0 && t1);
    stream *s = malloc(sizeof *s);
    REQUIRE(s);
    memset(s, 0, sizeof *s);
    rng g = rng_seed(seed);
    size_t off[2] = {0, 0};
    const dstr *txt[2] = {&a0.text, &a1.text};
    chunk_role(s, 0);
    chunk_role(s, 1);
    if (choice1_first) {
        size_t n = next_delta(txt[1], 0, &g);
        chunk_text(s, 1, txt[1]->p, n, 0);
        off[1] = n;
    }
    while (off[0] < txt[0]->len || off[1] < txt[1]->len) {
        int both = off[0] < txt[0]->len && off[1] < txt[1]->len && rng_range(&g, 0, 4) == 0;
        if (both) {
            size_t n0 = next_delta(txt[0], off[0], &g), n1 = next_delta(txt[1], off[1], &g);
            ds_printf(&s->sse, "data: %s{\"index\":0,\"delta\":{\"content\":\"", chunk_head);
            put_jstring(&s->sse, txt[0]->p + off[0], n0, 0);
            ds_puts(&s->sse, "\"},\"finish_reason\":null},{\"index\":1,\"delta\":{\"content\":\"");
            put_jstring(&s->sse, txt[1]->p + off[1], n1, 1);
            ds_puts(&s->sse, "\"},\"finish_reason\":null}]}");
            ev_end(s);
            off[0] += n0;
            off[1] += n1;
            continue;
        }
        int k = off[0] >= txt[0]->len ? 1 : off[1] >= txt[1]->len ? 0 : (int)rng_range(&g, 0, 1);
        size_t n = next_delta(txt[k], off[k], &g);
        chunk_text(s, (uint32_t)k, txt[k]->p + off[k], n, k);
        off[k] += n;
    }
    chunk_finish(s, 1, "length");
    chunk_finish(s, 0, "stop");
    chunk_usage(s, 10, 20);
    chunk_done(s);

    for (int run = 0; run < 3; run++) {
        rec c;
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        feed_all(&c, s->sse.p, s->sse.len, run ? SPLIT_MIXED : SPLIT_WHOLE, &g, SSEKIT_OK, NULL,
                 NULL);
        CHECK(rec_finish(&c) == SSEKIT_OK);
        CHECK(ssekit_result_output_count(c.r) == 2);
        const ssekit_output *o0 = NULL, *o1 = NULL;
        for (size_t i = 0; i < ssekit_result_output_count(c.r); i++) {
            const ssekit_output *o = ssekit_result_output(c.r, i);
            if (ssekit_output_index(o) == 0)
                o0 = o;
            else
                o1 = o;
        }
        REQUIRE(o0 && o1);
        /* outputs in order of first appearance; main is the first */
        CHECK(ssekit_result_output(c.r, 0) == (choice1_first ? o1 : o0));
        CHECK(ssekit_result_main(c.r) == (choice1_first ? o1 : o0));
        CHECK(!strcmp(ssekit_output_label(o0), "text") &&
              !strcmp(ssekit_output_label(o1), "text/1"));
        CHECK(ssekit_output_kind_of(o1) == SSEKIT_OUTPUT_TEXT && ssekit_output_index(o1) == 1);
        CHECK(value_equals(ssekit_output_value(o0), t0));
        CHECK(value_equals(ssekit_output_value(o1), t1));
        size_t n;
        const char *t = ssekit_output_text(o1, &n);
        CHECK(n == a1.text.len && !memcmp(t, a1.text.p, n));
        CHECK(!strcmp(ssekit_result_finish_reason(c.r), "stop")); /* the last one */
        ssekit_usage u = ssekit_result_usage(c.r);
        CHECK(u.input_tokens == 10 && u.output_tokens == 20 && u.total_tokens == 30);
        /* events of each output carry its label, paths inside its value */
        check_completions("choice 0", &c.completes, "text", t0);
        check_completions("choice 1", &c.completes, "text/1", t1);
        check_patches(&c, "two choices");
        ssekit_result_free(c.r);
        rec_free(&c);
    }
    ds_free(&s->sse);
    free(s);
    ds_free(&a0.text);
    ds_free(&a1.text);
    yajl_tree_free(t0);
    yajl_tree_free(t1);
}

/* Tool calls 0..2 of one choice, their argument fragments interleaved, two
 * calls sometimes in one chunk, ids and names only on the first fragment. */
static void test_tool_calls(uint64_t seed)
{
    answer args[3];
    yajl_val truth[3];
    for (int i = 0; i < 3; i++) {
        gen_answer(&args[i], i, seed + (uint64_t)i, PLANT_NONE);
        truth[i] = parse_json(args[i].text.p, args[i].text.len);
        REQUIRE(truth[i]);
    }
    static const char *const ids[] = {"call_a0", "call_b1", "call_c2"};
    static const char *const names[] = {"get_weather", "get_time", "lookup"};
    stream *s = malloc(sizeof *s);
    REQUIRE(s);
    memset(s, 0, sizeof *s);
    rng g = rng_seed(seed);
    size_t off[3] = {0, 0, 0};
    int announced[3] = {0, 0, 0};
    /* call 1 announced first: outputs follow first appearance */
    chunk_tool(s, 1, ids[1], names[1], "", 0);
    announced[1] = 1;
    for (;;) {
        int open[3], n_open = 0;
        for (int i = 0; i < 3; i++)
            if (off[i] < args[i].text.len)
                open[n_open++] = i;
        if (!n_open)
            break;
        int k = open[rng_range(&g, 0, (size_t)n_open - 1)];
        size_t n = next_delta(&args[k].text, off[k], &g);
        if (n_open > 1 && rng_range(&g, 0, 5) == 0) {
            /* two calls in one chunk */
            int k2 = open[0] == k ? open[1] : open[0];
            size_t n2 = next_delta(&args[k2].text, off[k2], &g);
            ds_printf(&s->sse, "data: %s{\"index\":0,\"delta\":{\"tool_calls\":[", chunk_head);
            int kk[2] = {k, k2};
            size_t nn[2] = {n, n2};
            for (int j = 0; j < 2; j++) {
                ds_printf(&s->sse, "%s{\"index\":%d", j ? "," : "", kk[j]);
                if (!announced[kk[j]])
                    ds_printf(&s->sse, ",\"id\":\"%s\",\"type\":\"function\"", ids[kk[j]]);
                ds_puts(&s->sse, ",\"function\":{");
                if (!announced[kk[j]])
                    ds_printf(&s->sse, "\"name\":\"%s\",", names[kk[j]]);
                ds_puts(&s->sse, "\"arguments\":\"");
                put_jstring(&s->sse, args[kk[j]].text.p + off[kk[j]], nn[j], 0);
                ds_puts(&s->sse, "\"}}");
                announced[kk[j]] = 1;
                off[kk[j]] += nn[j];
            }
            ds_puts(&s->sse, "]},\"finish_reason\":null}]}");
            ev_end(s);
            continue;
        }
        chunk_tool(s, (uint32_t)k, announced[k] ? NULL : ids[k], announced[k] ? NULL : names[k],
                   args[k].text.p + off[k], n);
        announced[k] = 1;
        off[k] += n;
    }
    chunk_finish(s, 0, "tool_calls");
    chunk_usage(s, 82, 31);
    chunk_done(s);

    for (int run = 0; run < 3; run++) {
        rec c;
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        feed_all(&c, s->sse.p, s->sse.len,
                 run == 0   ? SPLIT_WHOLE
                 : run == 1 ? SPLIT_SMALL
                            : SPLIT_MIXED,
                 &g, SSEKIT_OK, NULL, NULL);
        CHECK(rec_finish(&c) == SSEKIT_OK);
        CHECK(ssekit_result_output_count(c.r) == 3);
        const ssekit_output *first = ssekit_result_output(c.r, 0);
        CHECK(ssekit_output_tool_index(first) == 1 && ssekit_result_main(c.r) == first);
        for (uint32_t i = 0; i < 3; i++) {
            const ssekit_output *o = find_output(c.r, SSEKIT_OUTPUT_TOOL_CALL, i);
            REQUIRE(o);
            char label[32];
            snprintf(label, sizeof label, "tool_calls/%u", i);
            CHECK(ssekit_output_kind_of(o) == SSEKIT_OUTPUT_TOOL_CALL);
            CHECK(!strcmp(ssekit_output_label(o), label) && ssekit_output_index(o) == 0);
            CHECK(!strcmp(ssekit_output_tool_id(o), ids[i]));
            CHECK(!strcmp(ssekit_output_tool_name(o), names[i]));
            CHECK(ssekit_output_json_status(o) == SSEKIT_OK);
            CHECKF(value_equals(ssekit_output_value(o), truth[i]), "tool %u arguments", i);
            size_t n;
            const char *t = ssekit_output_text(o, &n);
            CHECK(n == args[i].text.len && !memcmp(t, args[i].text.p, n));
            check_completions("tool call", &c.completes, label, truth[i]);
        }
        CHECK(value_equals(ssekit_result_value(c.r), truth[1]));
        CHECK(!strcmp(ssekit_result_finish_reason(c.r), "tool_calls"));
        check_patches(&c, "tool calls");
        ssekit_result_free(c.r);
        rec_free(&c);
    }
    for (int i = 0; i < 3; i++) {
        ds_free(&args[i].text);
        yajl_tree_free(truth[i]);
    }
    ds_free(&s->sse);
    free(s);
}

/* Runs a stream given as a list of events (NULL-terminated) whole. */
static void run_events(rec *c, const char *const *events)
{
    dstr sse = {0};
    for (size_t i = 0; events[i]; i++) {
        ds_puts(&sse, events[i]);
        ds_puts(&sse, "\n\n");
    }
    REQUIRE(rec_result(c, SSEKIT_PROVIDER_OPENAI, NULL));
    rng g = rng_seed(sse.len);
    feed_all(c, sse.p, sse.len, SPLIT_SMALL, &g, SSEKIT_OK, NULL, NULL);
    ds_free(&sse);
}

#define CH "data: {\"object\":\"chat.completion.chunk\",\"choices\":["
#define TXT(i, t) CH "{\"index\":" #i ",\"delta\":{\"content\":\"" t "\"}}]}"
#define TOOL(t, id, name, a)                                                                       \
    CH "{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":" #t ",\"id\":\"" id                    \
       "\",\"function\":{\"name\":\"" name "\",\"arguments\":\"" a "\"}}]}}]}"
#define TOOLARG(t, a)                                                                              \
    CH "{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":" #t                                    \
       ",\"function\":{\"arguments\":\"" a "\"}}]}}]}"
#define DONE "data: [DONE]"

static void test_main_selection(void)
{
    rec c;
    size_t n;

    /* a text output that is only whitespace does not hide the tool call */
    {
        static const char *const ev[] = {TXT(0, "\\n  "),
                                         TOOL(0, "call_1", "f", "{\\\"a\\\":"),
                                         TXT(0, "\\t"),
                                         TOOLARG(0, " [1, 2]}"),
                                         DONE,
                                         NULL};
        run_events(&c, ev);
        CHECK(ssekit_result_output_count(c.r) == 2);
        const ssekit_output *t = ssekit_result_output(c.r, 0), *m = ssekit_result_main(c.r);
        CHECK(ssekit_output_kind_of(t) == SSEKIT_OUTPUT_TEXT);
        CHECK(m && ssekit_output_kind_of(m) == SSEKIT_OUTPUT_TOOL_CALL);
        CHECK(!strcmp(ssekit_output_text(t, &n), "\n  \t") && n == 4);
        CHECK(ssekit_output_value(t) == NULL);
        CHECK(rec_finish(&c) == SSEKIT_OK);
        CHECK(ssekit_output_json_status(t) == SSEKIT_OK); /* nothing to judge */
        yajl_val want = parse_json("{\"a\":[1,2]}", 11);
        CHECK(value_equals(ssekit_result_value(c.r), want));
        yajl_tree_free(want);
        ssekit_result_free(c.r);
        rec_free(&c);
    }

    /* a JSON text output starting with whitespace; it becomes main once it
     * has non-blank text, even after a tool call appeared */
    {
        static const char *const ev[] = {TOOL(0, "call_1", "f", "{}"),
                                         TXT(0, " "),
                                         TXT(0, "\\r\\n"),
                                         TXT(0, "\\t{\\\"k"),
                                         TXT(0, "\\\": [tr"),
                                         TXT(0, "ue]}"),
                                         TXT(0, "\\n"),
                                         DONE,
                                         NULL};
        dstr sse = {0};
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        for (size_t i = 0; ev[i]; i++) {
            ds_clear(&sse);
            ds_puts(&sse, ev[i]);
            ds_puts(&sse, "\n\n");
            CHECK(ssekit_result_feed(c.r, sse.p, sse.len) == SSEKIT_OK);
            const ssekit_output *m = ssekit_result_main(c.r);
            if (i < 3)
                CHECKF(m && ssekit_output_kind_of(m) == SSEKIT_OUTPUT_TOOL_CALL, "event %zu", i);
            else if (ev[i + 1]) {
                CHECKF(m && ssekit_output_kind_of(m) == SSEKIT_OUTPUT_TEXT, "event %zu", i);
            }
        }
        ds_free(&sse);
        CHECK(rec_finish(&c) == SSEKIT_OK);
        const ssekit_output *m = ssekit_result_main(c.r);
        CHECK(m && ssekit_output_kind_of(m) == SSEKIT_OUTPUT_TEXT);
        CHECK(ssekit_output_json_status(m) == SSEKIT_OK);
        CHECK(!strcmp(ssekit_output_text(m, &n), " \r\n\t{\"k\": [true]}\n"));
        yajl_val want = parse_json("{\"k\":[true]}", 12);
        CHECK(value_equals(ssekit_result_value(c.r), want));
        yajl_tree_free(want);
        ssekit_result_free(c.r);
        rec_free(&c);
    }

    /* prose: kept as text, JSON status says why at once, finish says JSON */
    {
        static const char *const ev[] = {TXT(0, "  "), TXT(0, "Sure"), TXT(0, "! {\\\"a\\\": 1}"),
                                         DONE, NULL};
        run_events(&c, ev);
        const ssekit_output *m = ssekit_result_main(c.r);
        CHECK(m && ssekit_output_json_status(m) == SSEKIT_E_JSON);
        const ssekit_partial_error *pe = ssekit_output_json_error(m);
        CHECKF(pe && pe->status == SSEKIT_E_JSON && pe->offset == 2 && *pe->message,
               "prose error at %zu", pe ? pe->offset : 0);
        CHECK(!strcmp(ssekit_output_text(m, &n), "  Sure! {\"a\": 1}"));
        CHECK(ssekit_result_value(c.r) == NULL);
        CHECK(c.n_start == 0 && c.n_patch == 0);
        CHECK(rec_finish(&c) == SSEKIT_E_JSON);
        ssekit_result_free(c.r);
        rec_free(&c);
    }

    /* a text output that is a JSON string is prose too; a callback's stop
     * while the builder looks at it still stops the result */
    {
        static const char *const ev[] = {TXT(0, " \\\"hel"), TXT(0, "lo\\\""), DONE, NULL};
        dstr sse = {0};
        for (size_t i = 0; ev[i]; i++) {
            ds_puts(&sse, ev[i]);
            ds_puts(&sse, "\n\n");
        }
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        c.stop_where = STOP_START;
        c.stop_at = 1;
        CHECK(ssekit_result_feed(c.r, sse.p, sse.len) == SSEKIT_E_STOPPED);
        CHECK(c.n_start == 1);
        const ssekit_output *m = ssekit_result_main(c.r);
        CHECK(m && ssekit_output_json_status(m) == SSEKIT_E_JSON);
        CHECK(!strcmp(ssekit_output_text(m, &n), " \"hel"));
        CHECK(rec_finish(&c) == SSEKIT_E_JSON);
        ssekit_result_free(c.r);
        rec_free(&c);
        ds_free(&sse);
    }

    /* prose before a tool call: the tool call is the answer, the prose is
     * commentary (result.h) */
    {
        static const char *const ev[] = {TXT(0, "Let me look."), TOOL(0, "c", "f", "{\\\"q\\\":1}"),
                                         DONE, NULL};
        run_events(&c, ev);
        const ssekit_output *m = ssekit_result_main(c.r);
        const ssekit_output *t = find_output(c.r, SSEKIT_OUTPUT_TOOL_CALL, 0);
        CHECK(m && m == t && ssekit_output_kind_of(m) == SSEKIT_OUTPUT_TOOL_CALL);
        CHECK(rec_finish(&c) == SSEKIT_OK);
        CHECK(t && ssekit_output_json_status(t) == SSEKIT_OK && ssekit_output_value(t));
        ssekit_result_free(c.r);
        rec_free(&c);
    }

    /* text output 1 is main when output 0 is blank */
    {
        static const char *const ev[] = {TXT(0, " "), TXT(1, "[1"), TXT(0, "\\n"),
                                         TXT(1, "]"), DONE,         NULL};
        run_events(&c, ev);
        const ssekit_output *m = ssekit_result_main(c.r);
        CHECK(m && ssekit_output_index(m) == 1 && !strcmp(ssekit_output_label(m), "text/1"));
        CHECK(rec_finish(&c) == SSEKIT_OK);
        ssekit_result_free(c.r);
        rec_free(&c);
    }

    /* nothing at all, and a blank answer */
    {
        static const char *const ev0[] = {DONE, NULL}, *const ev1[] = {TXT(0, " \\n "), DONE, NULL};
        run_events(&c, ev0);
        CHECK(ssekit_result_main(c.r) == NULL && ssekit_result_value(c.r) == NULL);
        CHECK(ssekit_result_is_done(c.r));
        CHECK(rec_finish(&c) == SSEKIT_E_JSON);
        ssekit_result_free(c.r);
        rec_free(&c);
        run_events(&c, ev1);
        CHECK(ssekit_result_output_count(c.r) == 1 && ssekit_result_main(c.r) == NULL);
        CHECK(rec_finish(&c) == SSEKIT_E_JSON);
        ssekit_result_free(c.r);
        rec_free(&c);
    }

    /* refusal and reasoning are collected apart from the outputs */
    {
        static const char *const ev[] = {
            CH "{\"index\":0,\"delta\":{\"reasoning_content\":\"Think\"}}]}",
            CH "{\"index\":0,\"delta\":{\"refusal\":\"I can\\u2019t\"}}]}",
            CH "{\"index\":0,\"delta\":{\"reasoning_content\":\"ing.\"}}]}",
            CH "{\"index\":0,\"delta\":{\"refusal\":\" help.\"}}]}",
            DONE,
            NULL};
        run_events(&c, ev);
        CHECK(!strcmp(ssekit_result_thinking(c.r, &n), "Thinking.") && n == 9);
        CHECK(!strcmp(ssekit_result_refusal(c.r, &n), "I can\xe2\x80\x99t help.") && n == 15);
        CHECK(ssekit_result_output_count(c.r) == 0);
        CHECK(rec_finish(&c) == SSEKIT_E_JSON);
        ssekit_result_free(c.r);
        rec_free(&c);
    }
}

/* ---- limits -------------------------------------------------------------------- */

static void test_limits(void)
{
    rec c;
    REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
    CHECK(ssekit_result_set_max_outputs(c.r, 0) == SSEKIT_E_INVALID);
    CHECK(ssekit_result_set_max_text(c.r, 0) == SSEKIT_E_INVALID);
    CHECK(ssekit_result_set_max_outputs(NULL, 1) == SSEKIT_E_INVALID);
    CHECK(ssekit_result_set_max_text(NULL, 1) == SSEKIT_E_INVALID);

    /* one output kept of two: the second is dropped with an error, the feed
     * goes on (nothing the caller did failed) */
    static const char *const two[] = {TXT(0, "{\\\"a\\\":"), TXT(1, "[1,"), TXT(0, " 1}"),
                                      TXT(1, " 2]"),         DONE,          NULL};
    dstr sse = {0};
    for (size_t i = 0; two[i]; i++) {
        ds_puts(&sse, two[i]);
        ds_puts(&sse, "\n\n");
    }
    CHECK(ssekit_result_set_max_outputs(c.r, 1) == SSEKIT_OK);
    int rc = ssekit_result_feed(c.r, sse.p, sse.len);
    CHECKF(rc == SSEKIT_OK, "feed with a dropped output: %s", ssekit_status_name(rc));
    CHECK(ssekit_result_output_count(c.r) == 1);
    const ssekit_result_error *e = ssekit_result_first_error(c.r);
    CHECK(e->status == SSEKIT_E_TOO_LARGE && *e->message && e->count >= 1);
    CHECK(rec_finish(&c) == SSEKIT_OK); /* the main output is complete */
    yajl_val want = parse_json("{\"a\":1}", 7);
    CHECK(value_equals(ssekit_result_value(c.r), want));
    yajl_tree_free(want);
    ssekit_result_free(c.r);
    rec_free(&c);
    ds_free(&sse);

    /* text kept per output: cut exactly at the limit, the tree keeps what
     * fitted (a consistent prefix of the answer), status TOO_LARGE */
    answer a;
    gen_answer(&a, 4, 17, PLANT_NONE);
    yajl_val truth = parse_json(a.text.p, a.text.len);
    stream *s = malloc(sizeof *s);
    REQUIRE(s && truth);
    gen_stream(s, &a.text, 17, 0, NULL);
    static const size_t limits[] = {1, 57, 300, 0 /* = the answer's length */};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        size_t lim = limits[i] ? limits[i] : a.text.len;
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        CHECK(ssekit_result_set_max_text(c.r, lim) == SSEKIT_OK);
        rng g = rng_seed(lim);
        feed_all(&c, s->sse.p, s->sse.len, SPLIT_MIXED, &g, SSEKIT_OK, NULL, NULL);
        const ssekit_output *m = ssekit_result_main(c.r);
        size_t n;
        const char *t = ssekit_output_text(m, &n);
        CHECKF(n == lim && !memcmp(t, a.text.p, n), "max_text %zu: kept %zu", lim, n);
        int fin = rec_finish(&c);
        if (lim < a.text.len) {
            CHECK(ssekit_output_json_status(m) == SSEKIT_E_TOO_LARGE);
            CHECKF(fin == SSEKIT_E_TOO_LARGE, "max_text %zu: finish %s", lim,
                   ssekit_status_name(fin));
            yajl_val part = tree_of(ssekit_result_value(c.r));
            CHECK(json_prefix(YAJL_IS_NULL(part) ? NULL : part, truth));
            yajl_tree_free(part);
        } else {
            CHECK(fin == SSEKIT_OK && value_equals(ssekit_result_value(c.r), truth));
        }
        ssekit_result_free(c.r);
        rec_free(&c);
    }
    ds_free(&s->sse);
    free(s);
    ds_free(&a.text);
    yajl_tree_free(truth);
}

/* ---- malformed envelopes and provider errors mid-stream ------------------------ */

/* The generated stream with `extra` events inserted before event `at`. */
static void stream_with(const stream *s, size_t at, const char *const *extra, dstr *out)
{
    size_t start = at ? s->ev_end[at - 1] : 0;
    ds_clear(out);
    ds_put(out, s->sse.p, start);
    for (size_t i = 0; extra[i]; i++) {
        ds_puts(out, extra[i]);
        ds_puts(out, "\n\n");
    }
    ds_put(out, s->sse.p + start, s->sse.len - start);
}

static void test_envelopes(void)
{
    answer a;
    gen_answer(&a, 3, 23, PLANT_NONE);
    yajl_val truth = parse_json(a.text.p, a.text.len);
    stream *s = malloc(sizeof *s);
    REQUIRE(s && truth);
    gen_stream(s, &a.text, 23, 1, NULL);
    dstr sse = {0};
    rec c;

    /* two malformed envelopes in the middle: the first is kept, both
     * counted, the answer is built all the same */
    static const char *const bad[] = {"data: not json", "data: {\"choices\":5}", NULL};
    for (int run = 0; run < 3; run++) {
        stream_with(s, s->n_ev / 2, bad, &sse);
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        rng g = rng_seed((uint64_t)run);
        feed_all(&c, sse.p, sse.len, run ? SPLIT_MIXED : SPLIT_WHOLE, &g, SSEKIT_OK, NULL, NULL);
        const ssekit_result_error *e = ssekit_result_first_error(c.r);
        CHECKF(e->status == SSEKIT_E_ENVELOPE && e->count == 2, "envelope: %s x%zu",
               ssekit_status_name(e->status), e->count);
        CHECK(e->raw_len == 8 && !strcmp(e->raw, "not json") && *e->message && !*e->type);
        CHECK(ssekit_result_is_done(c.r));
        CHECK(rec_finish(&c) == SSEKIT_OK);
        CHECK(value_equals(ssekit_result_value(c.r), truth));
        ssekit_result_free(c.r);
        rec_free(&c);
    }

    /* a provider error after a complete answer: finish reports it, also when
     * a malformed envelope came first */
    static const char *const perr[] = {
        "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}", NULL};
    static const char *const both[] = {
        "data: {\"choices\":\"x\"}",
        "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}", NULL};
    for (int k = 0; k < 2; k++) {
        stream_with(s, s->n_ev - 3, k ? both : perr, &sse);
        REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
        CHECK(ssekit_result_feed(c.r, sse.p, sse.len) == SSEKIT_OK);
        const ssekit_result_error *e = ssekit_result_first_error(c.r);
        CHECK(e->status == (k ? SSEKIT_E_ENVELOPE : SSEKIT_E_PROVIDER) &&
              e->count == (size_t)k + 1);
        CHECK(value_equals(ssekit_result_value(c.r), truth));
        int fin = rec_finish(&c);
        CHECKF(fin == SSEKIT_E_PROVIDER, "provider error after %s: finish %s",
               k ? "an envelope error" : "the answer", ssekit_status_name(fin));
        ssekit_result_free(c.r);
        rec_free(&c);
    }
    ds_free(&sse);
    ds_free(&s->sse);
    free(s);
    ds_free(&a.text);
    yajl_tree_free(truth);
}

/* ---- stopping and re-entry -------------------------------------------------------- */

static void test_stop(void)
{
    answer a;
    gen_answer(&a, 3, 31, PLANT_ENUM);
    yajl_val truth = parse_json(a.text.p, a.text.len);
    stream *s = malloc(sizeof *s);
    REQUIRE(s && truth);
    gen_stream(s, &a.text, 31, 0, NULL);
    ssekit_schema *schema = ssekit_schema_compile(strict_schema, strlen(strict_schema), NULL, NULL);
    REQUIRE(schema);

    static const enum stop_where wh[] = {STOP_DELTA, STOP_START, STOP_COMPLETE, STOP_PATCH,
                                         STOP_VIOLATION};
    for (size_t i = 0; i < sizeof wh / sizeof wh[0]; i++) {
        for (int whole = 0; whole < 2; whole++) {
            rec c;
            REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
            CHECK(ssekit_result_set_schema(c.r, schema) == SSEKIT_OK);
            c.stop_where = wh[i];
            c.stop_at = wh[i] == STOP_VIOLATION ? 1 : 7;
            int rc = SSEKIT_OK;
            size_t off = 0;
            rng g = rng_seed(i);
            while (off < s->sse.len && rc == SSEKIT_OK) {
                size_t n = whole ? s->sse.len : split_len(&g, SPLIT_MIXED, s->sse.len - off);
                rc = ssekit_result_feed(c.r, s->sse.p + off, n);
                off += n;
            }
            CHECKF(rc == SSEKIT_E_STOPPED, "stop %d: %s", (int)wh[i], ssekit_status_name(rc));
            CHECK(c.stop_calls == c.stop_at);
            size_t calls = c.n_delta + c.n_start + c.n_complete + c.n_patch + c.n_viol;
            /* sticky: nothing more is taken, no callback runs */
            CHECK(ssekit_result_feed(c.r, s->sse.p, s->sse.len) == SSEKIT_E_STOPPED);
            ssekit_sse_event ev = {"message", 7, "{}", 2, "", 0};
            CHECK(ssekit_result_feed_event(c.r, &ev) == SSEKIT_E_STOPPED);
            CHECK(calls == c.n_delta + c.n_start + c.n_complete + c.n_patch + c.n_viol);
            /* what was built stays readable and consistent */
            yajl_val part = tree_of(ssekit_result_value(c.r));
            CHECK(part && json_prefix(YAJL_IS_NULL(part) ? NULL : part, truth));
            yajl_tree_free(part);
            int fin = rec_finish(&c);
            CHECKF(fin != SSEKIT_OK, "stop %d: finish %s", (int)wh[i], ssekit_status_name(fin));
            ssekit_result_free(c.r);
            rec_free(&c);
        }
    }

    /* a callback may not feed, finish or free its result */
    rec c;
    REQUIRE(rec_result(&c, SSEKIT_PROVIDER_OPENAI, NULL));
    c.reenter = 1;
    CHECK(ssekit_result_feed(c.r, s->sse.p, s->sse.len) == SSEKIT_OK);
    CHECK(c.reenter_feed_rc == SSEKIT_E_STATE && c.reenter_event_rc == SSEKIT_E_STATE &&
          c.reenter_finish_rc == SSEKIT_E_STATE);
    c.reenter = 0;
    CHECK(rec_finish(&c) == SSEKIT_OK); /* no schema: the enum is not checked */
    CHECK(value_equals(ssekit_result_value(c.r), truth));
    ssekit_result_free(c.r);
    rec_free(&c);

    ssekit_schema_free(schema);
    ds_free(&s->sse);
    free(s);
    ds_free(&a.text);
    yajl_tree_free(truth);
}

/* ---- the API at its edges ------------------------------------------------------- */

static void test_edges(void)
{
    CHECK(ssekit_result_new((ssekit_provider)99, NULL, NULL, NULL) == NULL);
    CHECK(ssekit_result_feed(NULL, "x", 1) == SSEKIT_E_INVALID);
    CHECK(ssekit_result_feed_event(NULL, NULL) == SSEKIT_E_INVALID);
    CHECK(ssekit_result_finish(NULL) == SSEKIT_E_INVALID);
    ssekit_result_free(NULL);
    size_t n = 7;
    CHECK(ssekit_result_output_count(NULL) == 0 && ssekit_result_output(NULL, 0) == NULL);
    CHECK(ssekit_result_main(NULL) == NULL && ssekit_result_value(NULL) == NULL);
    CHECK(ssekit_result_usage(NULL).input_tokens == -1);
    CHECK(ssekit_result_finish_reason(NULL) == NULL && ssekit_result_is_done(NULL) == 0);
    CHECK(!strcmp(ssekit_result_thinking(NULL, &n), "") && n == 0);
    CHECK(ssekit_result_first_error(NULL) == NULL && ssekit_result_violation_count(NULL) == 0);
    CHECK(ssekit_result_progress(NULL) == -1);
    CHECK(!strcmp(ssekit_output_label(NULL), "") && ssekit_output_value(NULL) == NULL);
    CHECK(!strcmp(ssekit_output_text(NULL, &n), "") && n == 0);
    CHECK(!strcmp(ssekit_output_tool_id(NULL), "") && !strcmp(ssekit_output_tool_name(NULL), ""));
    CHECK(ssekit_output_json_status(NULL) == SSEKIT_E_INVALID);
    CHECK(ssekit_output_snapshot(NULL, ds_writer, NULL) == SSEKIT_E_INVALID);

    /* a new result, before anything came */
    ssekit_result *r = ssekit_result_new(SSEKIT_PROVIDER_RAW, NULL, NULL, NULL);
    REQUIRE(r);
    ssekit_usage u = ssekit_result_usage(r);
    CHECK(u.input_tokens == -1 && u.output_tokens == -1 && u.total_tokens == -1 &&
          u.cached_input_tokens == -1 && u.reasoning_tokens == -1);
    const ssekit_result_error *e = ssekit_result_first_error(r);
    CHECK(e && e->status == SSEKIT_OK && e->count == 0 && !*e->type && !*e->message && !*e->raw);
    CHECK(ssekit_result_finish_reason(r) == NULL && !ssekit_result_is_done(r));
    CHECK(ssekit_result_feed(r, NULL, 3) == SSEKIT_E_INVALID);
    /* raw provider: each event's data is content; finish reports DONE */
    static const char raw[] = "data: [1, \n\ndata: {\"x\": \"y\"}]\n\n";
    CHECK(ssekit_result_feed(r, raw, sizeof raw - 1) == SSEKIT_OK);
    CHECK(!ssekit_result_is_done(r));
    CHECK(ssekit_result_finish(r) == SSEKIT_OK);
    CHECK(ssekit_result_is_done(r));
    yajl_val want = parse_json("[1, {\"x\": \"y\"}]", 16);
    CHECK(value_equals(ssekit_result_value(r), want));
    yajl_tree_free(want);
    ssekit_result_free(r);
}

/* ---- allocation failures ---------------------------------------------------------- */

static const char structured_schema[] =
    "{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"city\",\"temp_c\",\"conditions\",\"note\"],"
    "\"properties\":{\"city\":{\"type\":\"string\"},\"temp_c\":{\"type\":\"number\"},"
    "\"conditions\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/c\"}},"
    "\"note\":{\"type\":\"string\"}},"
    "\"$defs\":{\"c\":{\"type\":\"string\",\"enum\":[\"cloudy\",\"light rain\",\"sunny\"]}}}";

/* Every string and number node of the tree has its text (json_value.h:
 * NUL-terminated text, NULL only for another type), also after an
 * allocation failure. */
static int strings_readable(const ssekit_json *v)
{
    switch (ssekit_json_type_of(v)) {
    case SSEKIT_JSON_STRING:
        return ssekit_json_string(v, NULL) != NULL;
    case SSEKIT_JSON_NUMBER:
        return ssekit_json_number_text(v, NULL) != NULL;
    case SSEKIT_JSON_ARRAY:
        for (size_t i = 0; i < ssekit_json_count(v); i++)
            if (!strings_readable(ssekit_json_index(v, i)))
                return 0;
        return 1;
    case SSEKIT_JSON_OBJECT:
        for (size_t i = 0; i < ssekit_json_count(v); i++)
            if (!ssekit_json_member_key(v, i, NULL) ||
                !strings_readable(ssekit_json_member_value(v, i)))
                return 0;
        return 1;
    default:
        return 1;
    }
}

typedef struct outcome {
    int fin, nomem_feeds, other_feeds, unreadable;
    dstr value; /* every output's snapshot, then the error and violations */
} outcome;

static void alloc_run(const char *sse, size_t len, ssekit_provider prov,
                      const ssekit_schema *schema, fail_alloc *fa, outcome *out)
{
    ssekit_alloc_funcs af = fail_alloc_funcs(fa);
    rec c;
    ds_clear(&out->value);
    out->nomem_feeds = out->other_feeds = out->unreadable = 0;
    out->fin = SSEKIT_E_NOMEM;
    if (!rec_result(&c, prov, &af)) {
        rec_free(&c);
        return;
    }
    CHECK(ssekit_result_set_schema(c.r, schema) == SSEKIT_OK);
    for (size_t off = 0; off < len; off += 7) {
        size_t n = len - off < 7 ? len - off : 7;
        int rc = ssekit_result_feed(c.r, sse + off, n);
        if (rc == SSEKIT_E_NOMEM)
            out->nomem_feeds++;
        else if (rc != SSEKIT_OK)
            out->other_feeds++;
        /* reading between feeds is always allowed */
        ds_clear(&c.scratch);
        if (strings_readable(ssekit_result_value(c.r)))
            ssekit_output_snapshot(ssekit_result_main(c.r), ds_writer, &c.scratch);
        else
            out->unreadable++;
        (void)ssekit_result_progress(c.r);
    }
    out->fin = rec_finish(&c);
    for (size_t i = 0; i < ssekit_result_output_count(c.r); i++) {
        const ssekit_output *o = ssekit_result_output(c.r, i);
        size_t tl;
        const char *t = ssekit_output_text(o, &tl);
        ds_printf(&out->value, "%s %s %s %d ", ssekit_output_label(o), ssekit_output_tool_id(o),
                  ssekit_output_tool_name(o), ssekit_output_json_status(o));
        ds_put(&out->value, t, tl);
        ds_puts(&out->value, " ");
        if (strings_readable(ssekit_output_value(o)))
            CHECK(ssekit_output_snapshot(o, ds_writer, &out->value) == SSEKIT_OK);
        else
            out->unreadable++;
        ds_puts(&out->value, "\n");
    }
    const ssekit_result_error *e = ssekit_result_first_error(c.r);
    ds_printf(&out->value, "error %d %s %s\n", e->status, e->type, e->message);
    for (size_t i = 0; i < ssekit_result_violation_count(c.r); i++)
        ds_printf(&out->value, "violation %s %s\n", ssekit_result_violation(c.r, i)->keyword,
                  ssekit_result_violation(c.r, i)->path);
    size_t tn;
    const char *th = ssekit_result_thinking(c.r, &tn);
    ds_put(&out->value, th, tn);
    const char *fr = ssekit_result_finish_reason(c.r);
    ds_printf(&out->value, " %s %d\n", fr ? fr : "-", ssekit_result_is_done(c.r));
    ssekit_result_free(c.r);
    rec_free(&c);
}

static void test_alloc_stream(const char *what, const char *sse, size_t len, ssekit_provider prov,
                              const ssekit_schema *schema)
{
    fail_alloc fa = {0};
    outcome ref = {0}, got = {0};
    alloc_run(sse, len, prov, schema, &fa, &ref);
    CHECK(fa.live == 0 && ref.nomem_feeds == 0 && ref.other_feeds == 0);
    long total = fa.calls;
    CHECKF(total > 10, "%s: %ld allocations", what, total);
    size_t silent = 0;
    for (int sticky = 0; sticky < 2; sticky++) {
        for (long k = 1; k <= total + 1; k++) {
            memset(&fa, 0, sizeof fa);
            fa.fail_at = k;
            fa.sticky = sticky;
            alloc_run(sse, len, prov, schema, &fa, &got);
            CHECKF(fa.live == 0, "%s: fail %ld%s: %ld blocks leaked", what, k,
                   sticky ? " sticky" : "", fa.live);
            CHECKF(got.other_feeds == 0, "%s: fail %ld: feed error", what, k);
            CHECKF(got.unreadable == 0, "%s: fail %ld%s: a string or number node without text",
                   what, k, sticky ? " sticky" : "");
            if (!fa.failures) {
                CHECKF(got.fin == ref.fin && ds_eq(&got.value, &ref.value),
                       "%s: no failure, other result", what);
            } else if (got.fin == SSEKIT_OK && got.nomem_feeds == 0 &&
                       !ds_eq(&got.value, &ref.value)) {
                /* an allocation failed, nobody said so, and the result
                 * differs: something was lost silently */
                if (!silent++)
                    CHECKF(0, "%s: fail %ld%s lost data silently:\n%s---\n%s", what, k,
                           sticky ? " sticky" : "", ds_str(&got.value), ds_str(&ref.value));
            }
        }
    }
    CHECKF(silent == 0, "%s: %zu silent losses", what, silent);
    ds_free(&ref.value);
    ds_free(&got.value);
}

static void test_alloc(void)
{
    char path[512];
    size_t len;
    ssekit_schema *schema =
        ssekit_schema_compile(structured_schema, strlen(structured_schema), NULL, NULL);
    REQUIRE(schema);
    static const struct {
        const char *name;
        ssekit_provider prov;
        int with_schema;
    } fx[] = {{"openai_chat_structured", SSEKIT_PROVIDER_OPENAI, 1},
              {"openai_chat_tool_calls", SSEKIT_PROVIDER_OPENAI, 0},
              {"openai_chat_error", SSEKIT_PROVIDER_OPENAI, 0},
              {"anthropic_tool_use", SSEKIT_PROVIDER_ANTHROPIC, 0},
              {"responses_text", SSEKIT_PROVIDER_RESPONSES, 0}};
    for (size_t i = 0; i < sizeof fx / sizeof fx[0]; i++) {
        snprintf(path, sizeof path, "%s/providers/%s.sse", SSEKIT_VECTORS_DIR, fx[i].name);
        char *sse = check_read_file(path, &len);
        test_alloc_stream(fx[i].name, sse, len, fx[i].prov, fx[i].with_schema ? schema : NULL);
        free(sse);
    }
    ssekit_schema_free(schema);
}

int main(void)
{
    test_edges();
    test_fixtures();
    test_properties();
    test_feed_event();
    test_schema();
    test_two_choices(41, 0);
    test_two_choices(42, 1);
    test_tool_calls(51);
    test_tool_calls(52);
    test_main_selection();
    test_limits();
    test_envelopes();
    test_stop();
    test_alloc();
    return check_done("test_result");
}
