/* JSON Schema validation of value trees, complete or still growing.
 *
 * Compiling parses the schema text once with yajl into a small private
 * document (kept for enum/const values and $ref targets), then turns every
 * schema object into a compiled node with its keywords decoded, $refs linked,
 * patterns compiled, and the facts the validator and the progress estimate
 * need precomputed (the types a node can accept, its required properties
 * gathered through allOf/$ref, its weight in leaves).
 *
 * Validation answers three-way for every (schema, value) pair: VALID for
 * every continuation of the text, INVALID for every continuation, or UNKNOWN
 * (the text still to come decides). Violations are reported only with
 * INVALID, which is what makes partial validation never cry wolf and never
 * take back what it said. anyOf/oneOf/not evaluate their alternatives
 * without reporting ("probe" mode) and report afterwards.
 */
#include "ssekit/schema.h"
#include "ascii.h"

#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "alloc_internal.h"
#include "buffer.h"
#include "schema_regex.h"
#include "ssekit/status.h"

/* ---- arena: everything a compiled schema owns, freed at once ------------ */

typedef struct arena_blk {
    struct arena_blk *next;
    size_t used, cap;
} arena_blk;

#define ARENA_HDR ((sizeof(arena_blk) + 15) & ~(size_t)15)
#define ARENA_CHUNK 8192

typedef struct arena {
    arena_blk *head;
} arena;

static void *arena_alloc(const ssekit_alloc_funcs *a, arena *ar, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0 || n > SIZE_MAX / 2)
        return NULL;
    arena_blk *b = ar->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;
        arena_blk *nb = sk_malloc(a, ARENA_HDR + cap);
        if (!nb)
            return NULL;
        nb->used = 0;
        nb->cap = cap;
        if (b && n > ARENA_CHUNK / 2) {
            /* A big block goes behind the current one, which keeps its room. */
            nb->next = b->next;
            b->next = nb;
        } else {
            nb->next = b;
            ar->head = nb;
        }
        b = nb;
    }
    void *p = (char *)b + ARENA_HDR + b->used;
    b->used += n;
    return p;
}

static void arena_free(const ssekit_alloc_funcs *a, arena *ar)
{
    arena_blk *b = ar->head;
    while (b) {
        arena_blk *n = b->next;
        sk_free(a, b);
        b = n;
    }
    ar->head = NULL;
}

static char *arena_strdup(const ssekit_alloc_funcs *a, arena *ar, const char *s, size_t n)
{
    char *p = arena_alloc(a, ar, n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

/* ---- compiled form ------------------------------------------------------ */

/* Type bits. Numbers are split by value: an integral number (1, 1.0, 1e2)
 * has T_INT, any other T_NUM; "number" admits both. */
enum {
    T_NULL = 1,
    T_BOOL = 2,
    T_INT = 4,
    T_NUM = 8,
    T_STR = 16,
    T_ARR = 32,
    T_OBJ = 64,
    T_ALL = 127
};

/* Results, ordered so that combining several is taking the maximum. */
enum { R_VALID = 0, R_UNKNOWN = 1, R_INVALID = 2 };

enum {
    SN_FALSE = 1 << 0,
    SN_TYPE = 1 << 1,
    SN_MIN = 1 << 2,
    SN_MAX = 1 << 3,
    SN_XMIN = 1 << 4,
    SN_XMAX = 1 << 5,
    SN_MULT = 1 << 6,
    SN_CONST = 1 << 7,
    SN_ENUM = 1 << 8,
    SN_UNIQUE = 1 << 9,
    SN_XMIN_BOOL = 1 << 10, /* draft 4: exclusiveMinimum: true */
    SN_XMAX_BOOL = 1 << 11,
    SN_STRING_KW = 1 << 12, /* has minLength/maxLength/pattern */
    SN_ARRAY_KW = 1 << 13,  /* has items/prefixItems/minItems/maxItems/uniqueItems */
    SN_OBJECT_KW = 1 << 14, /* has properties/required/additionalProperties/min/maxProperties */
    SN_NUMBER_KW = 1 << 15
};

typedef struct sdom sdom;
typedef struct snode snode;

/* A parsed value of the schema document. */
struct sdom {
    int type; /* ssekit_json_type */
    int b;
    size_t n;          /* string/number bytes, or container members */
    const char *s;     /* string or number text, NUL-terminated */
    sdom **kids;       /* container members */
    const char **keys; /* object keys, NUL-terminated */
    size_t *klens;     /* object key lengths */
    snode *compiled;   /* set once compiled as a schema */
};

typedef struct sprop {
    const char *name;
    size_t len;
    snode *schema; /* NULL: no schema (a required name without properties) */
} sprop;

struct snode {
    const char *where; /* JSON Pointer of this schema in the document */
    unsigned flags;
    unsigned types;  /* with SN_TYPE */
    unsigned admits; /* types some value may have and pass (an upper bound) */
    double minimum, maximum, xmin, xmax, multiple_of;
    size_t min_len, max_len, min_items, max_items, min_props, max_props;
    sk_regex *pattern;
    sprop *props; /* sorted by name */
    size_t nprops;
    sprop *req;
    size_t nreq;
    snode *addl; /* additionalProperties; NULL = anything */
    snode *items;
    snode **prefix;
    size_t nprefix;
    sdom **enums;
    size_t nenum;
    const sdom *cval;
    snode **all_of, **any_of, **one_of;
    size_t nall, nany, none;
    snode *not_;
    snode *ref;
    /* Progress: required properties gathered through allOf/$ref, the first
     * anyOf/oneOf node reached in place, the weight in leaves. */
    sprop *flat;
    size_t nflat;
    const snode *unio;
    double weight;
    int wstate; /* 0 not computed, 1 computing, 2 done */
    int visit;  /* cycle check: 0 new, 1 on the path, 2 done */
};

struct ssekit_schema {
    ssekit_alloc_funcs af;
    arena ar;
    snode *root;
    ssekit_schema_limits lim;
    sk_buf regexes; /* sk_regex * */
    size_t scratch; /* largest regex scratch */
};

/* ---- yajl without crashes on allocation failure ------------------------- */

/* yajl 2.1 does not check every allocation it makes (its lexer and buffers
 * write through the result), so handing it a NULL would crash. Blocks are
 * requested from the caller's hooks; once one is refused, yajl gets libc
 * memory instead so that it can unwind, and the parse is abandoned with
 * SSEKIT_E_NOMEM as soon as control returns to us. */
typedef struct yguard {
    const ssekit_alloc_funcs *af;
    int failed;
} yguard;

typedef struct yhdr {
    size_t size;
    size_t from_libc;
} yhdr;

static void *yg_malloc(void *ctx, size_t n)
{
    yguard *g = ctx;
    yhdr *h = NULL;
    if (n > SIZE_MAX - sizeof *h)
        return NULL;
    if (!g->failed)
        h = sk_malloc(g->af, sizeof *h + n);
    if (h) {
        h->from_libc = 0;
    } else {
        g->failed = 1;
        h = malloc(sizeof *h + n);
        if (!h)
            return NULL;
        h->from_libc = 1;
    }
    h->size = n;
    return h + 1;
}

static void yg_free(void *ctx, void *p)
{
    yguard *g = ctx;
    if (!p)
        return;
    yhdr *h = (yhdr *)p - 1;
    if (h->from_libc)
        free(h);
    else
        sk_free(g->af, h);
}

static void *yg_realloc(void *ctx, void *p, size_t n)
{
    yguard *g = ctx;
    if (!p)
        return yg_malloc(ctx, n);
    if (n > SIZE_MAX - sizeof(yhdr))
        return NULL;
    yhdr *h = (yhdr *)p - 1, *nh = NULL;
    if (h->from_libc) {
        nh = realloc(h, sizeof *nh + n);
        if (!nh)
            return NULL;
    } else {
        if (!g->failed)
            nh = sk_realloc(g->af, h, sizeof *nh + n);
        if (!nh) {
            g->failed = 1;
            nh = malloc(sizeof *nh + n);
            if (!nh)
                return NULL;
            memcpy(nh + 1, h + 1, h->size < n ? h->size : n);
            sk_free(g->af, h);
            nh->from_libc = 1;
        }
    }
    nh->size = n;
    return nh + 1;
}

/* ---- parsing the schema document ---------------------------------------- */

typedef struct dentry {
    const char *key;
    size_t klen;
    sdom *val;
} dentry;

typedef struct dparse {
    ssekit_schema *s;
    yguard g;
    sk_buf entries; /* dentry: members of the open containers, in order */
    sk_buf frames;  /* size_t: index of each open container's first entry */
    const char *key;
    size_t klen;
    unsigned max_depth;
    int status;
} dparse;

static int dp_nomem(dparse *p)
{
    p->status = SSEKIT_E_NOMEM;
    return 0;
}

static int dp_add(dparse *p, sdom *d)
{
    if (p->g.failed)
        return dp_nomem(p);
    dentry e = {p->key, p->klen, d};
    p->key = NULL;
    p->klen = 0;
    if (sk_buf_append(&p->s->af, &p->entries, &e, sizeof e))
        return dp_nomem(p);
    return 1;
}

static sdom *dp_node(dparse *p, int type)
{
    sdom *d = arena_alloc(&p->s->af, &p->s->ar, sizeof *d);
    if (d) {
        memset(d, 0, sizeof *d);
        d->type = type;
    }
    return d;
}

static int dp_scalar(dparse *p, int type, int b, const char *s, size_t n)
{
    sdom *d = dp_node(p, type);
    if (!d)
        return dp_nomem(p);
    d->b = b;
    if (s) {
        d->s = arena_strdup(&p->s->af, &p->s->ar, s, n);
        if (!d->s)
            return dp_nomem(p);
        d->n = n;
    }
    return dp_add(p, d);
}

static int dp_null(void *ctx)
{
    return dp_scalar(ctx, SSEKIT_JSON_NULL, 0, NULL, 0);
}

static int dp_bool(void *ctx, int b)
{
    return dp_scalar(ctx, SSEKIT_JSON_BOOL, b != 0, NULL, 0);
}

static int dp_number(void *ctx, const char *s, size_t n)
{
    return dp_scalar(ctx, SSEKIT_JSON_NUMBER, 0, s, n);
}

static int dp_string(void *ctx, const unsigned char *s, size_t n)
{
    return dp_scalar(ctx, SSEKIT_JSON_STRING, 0, (const char *)s, n);
}

static int dp_key(void *ctx, const unsigned char *s, size_t n)
{
    dparse *p = ctx;
    p->key = arena_strdup(&p->s->af, &p->s->ar, (const char *)s, n);
    p->klen = n;
    return p->key ? 1 : dp_nomem(p);
}

static int dp_open(dparse *p, int type)
{
    if (p->frames.len / sizeof(size_t) >= p->max_depth) {
        p->status = SSEKIT_E_TOO_DEEP;
        return 0;
    }
    sdom *d = dp_node(p, type);
    if (!d || !dp_add(p, d))
        return dp_nomem(p);
    size_t first = p->entries.len / sizeof(dentry);
    if (sk_buf_append(&p->s->af, &p->frames, &first, sizeof first))
        return dp_nomem(p);
    return 1;
}

static int dp_close(dparse *p)
{
    if (p->g.failed)
        return dp_nomem(p);
    p->frames.len -= sizeof(size_t);
    size_t first;
    memcpy(&first, p->frames.p + p->frames.len, sizeof first);
    dentry *e = (dentry *)p->entries.p;
    size_t n = p->entries.len / sizeof(dentry) - first;
    sdom *d = e[first - 1].val;
    d->n = n;
    if (n) {
        d->kids = arena_alloc(&p->s->af, &p->s->ar, n * sizeof *d->kids);
        if (!d->kids)
            return dp_nomem(p);
        if (d->type == SSEKIT_JSON_OBJECT) {
            d->keys = arena_alloc(&p->s->af, &p->s->ar, n * sizeof *d->keys);
            d->klens = arena_alloc(&p->s->af, &p->s->ar, n * sizeof *d->klens);
            if (!d->keys || !d->klens)
                return dp_nomem(p);
        }
        for (size_t i = 0; i < n; i++) {
            d->kids[i] = e[first + i].val;
            if (d->keys) {
                d->keys[i] = e[first + i].key;
                d->klens[i] = e[first + i].klen;
            }
        }
    }
    p->entries.len = first * sizeof(dentry);
    return 1;
}

static int dp_start_map(void *ctx)
{
    return dp_open(ctx, SSEKIT_JSON_OBJECT);
}

static int dp_start_array(void *ctx)
{
    return dp_open(ctx, SSEKIT_JSON_ARRAY);
}

static int dp_end(void *ctx)
{
    return dp_close(ctx);
}

static const yajl_callbacks dp_callbacks = {dp_null,   dp_bool,        NULL,         NULL,
                                            dp_number, dp_string,      dp_start_map, dp_key,
                                            dp_end,    dp_start_array, dp_end};

/* ---- errors ------------------------------------------------------------- */

/* Copies src into dst (size cap), ending a truncated copy with "..." on a
 * UTF-8 boundary. */
static void copy_trunc(char *dst, size_t cap, const char *src, size_t n)
{
    if (n < cap) {
        memcpy(dst, src, n);
        dst[n] = 0;
        return;
    }
    size_t keep = cap - 4;
    while (keep > 0 && ((unsigned char)src[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(dst, src, keep);
    memcpy(dst + keep, "...", 4);
}

static void set_error(ssekit_schema_error *err, int status, ssekit_schema_error_code code,
                      const char *pointer, size_t plen, const char *fmt, ...)
{
    if (err->status)
        return;
    err->status = status;
    err->code = code;
    copy_trunc(err->pointer, sizeof err->pointer, pointer ? pointer : "", pointer ? plen : 0);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

static sdom *parse_document(ssekit_schema *s, const char *json, size_t len, unsigned max_depth,
                            ssekit_schema_error *err)
{
    dparse p;
    memset(&p, 0, sizeof p);
    p.s = s;
    p.g.af = &s->af;
    p.max_depth = max_depth;
    yajl_alloc_funcs yaf = {yg_malloc, yg_realloc, yg_free, &p.g};
    sdom *root = NULL;
    yajl_handle h = yajl_alloc(&dp_callbacks, &yaf, &p);
    if (!h || p.g.failed) {
        p.status = SSEKIT_E_NOMEM;
    } else {
        yajl_status st = yajl_parse(h, (const unsigned char *)json, len);
        if (st == yajl_status_ok && !p.g.failed)
            st = yajl_complete_parse(h);
        if (p.g.failed || p.status == SSEKIT_E_NOMEM) {
            p.status = SSEKIT_E_NOMEM;
        } else if (p.status == SSEKIT_E_TOO_DEEP) {
            set_error(err, SSEKIT_E_TOO_DEEP, SSEKIT_SCHEMA_TOO_DEEP, "", 0,
                      "schema nested deeper than %u levels", max_depth);
        } else if (st != yajl_status_ok) {
            unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)json, len);
            err->offset = yajl_get_bytes_consumed(h);
            set_error(err, SSEKIT_E_JSON, SSEKIT_SCHEMA_MALFORMED, "", 0,
                      "malformed JSON at byte %zu: %s", err->offset,
                      msg ? (const char *)msg : "parse error");
            if (msg)
                yajl_free_error(h, msg);
            if (p.g.failed)
                p.status = SSEKIT_E_NOMEM;
        } else if (p.entries.len == sizeof(dentry)) {
            root = ((dentry *)p.entries.p)[0].val;
        } else {
            set_error(err, SSEKIT_E_JSON, SSEKIT_SCHEMA_MALFORMED, "", 0, "empty document");
        }
    }
    if (h)
        yajl_free(h);
    if (p.status == SSEKIT_E_NOMEM || p.g.failed) {
        set_error(err, SSEKIT_E_NOMEM, SSEKIT_SCHEMA_NOMEM, "", 0, "out of memory");
        root = NULL;
    }
    sk_buf_free(&s->af, &p.entries);
    sk_buf_free(&s->af, &p.frames);
    return root;
}

/* ---- number literals ---------------------------------------------------- */

/* Is the JSON number literal an integer (zero fractional part, exactly, as
 * written: 1.0, 1e2 and 12.5e1 are; 1.5 and 1e-1 are not)? */
static int literal_is_integral(const char *s, size_t n)
{
    const char *end = s + n;
    long long exp = 0, frac = 0, trailing = 0;
    int nonzero = 0;
    if (s < end && *s == '-')
        s++;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (*s != '0') {
            nonzero = 1;
            trailing = 0;
        } else {
            trailing++;
        }
    }
    if (s < end && *s == '.') {
        for (s++; s < end && *s >= '0' && *s <= '9'; s++) {
            frac++;
            if (*s != '0') {
                nonzero = 1;
                trailing = 0;
            } else {
                trailing++;
            }
        }
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        int neg = 0;
        s++;
        if (s < end && (*s == '+' || *s == '-'))
            neg = *s++ == '-';
        for (; s < end && *s >= '0' && *s <= '9'; s++)
            if (exp < 1000000000)
                exp = exp * 10 + (*s - '0');
        if (neg)
            exp = -exp;
    }
    if (!nonzero)
        return 1;
    /* digits D = D' * 10^trailing; value = D' * 10^(exp - frac + trailing) */
    return exp - frac + trailing >= 0;
}

/* An integer literal without fraction or exponent that fits int64_t. */
static int literal_int64(const char *s, size_t n, int64_t *out)
{
    const char *end = s + n;
    int neg = 0;
    uint64_t v = 0;
    if (s < end && *s == '-') {
        neg = 1;
        s++;
    }
    if (s == end)
        return 0;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return 0;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return 0;
        *out = (int64_t)v;
    }
    return 1;
}

static unsigned dom_type_bits(const sdom *d)
{
    switch (d->type) {
    case SSEKIT_JSON_NULL:
        return T_NULL;
    case SSEKIT_JSON_BOOL:
        return T_BOOL;
    case SSEKIT_JSON_NUMBER:
        return literal_is_integral(d->s, d->n) ? T_INT : T_NUM;
    case SSEKIT_JSON_STRING:
        return T_STR;
    case SSEKIT_JSON_ARRAY:
        return T_ARR;
    default:
        return T_OBJ;
    }
}

static unsigned json_type_bits(const ssekit_json *v)
{
    switch (ssekit_json_type_of(v)) {
    case SSEKIT_JSON_NULL:
        return T_NULL;
    case SSEKIT_JSON_BOOL:
        return T_BOOL;
    case SSEKIT_JSON_NUMBER: {
        size_t n = 0;
        const char *s = ssekit_json_number_text(v, &n);
        return s && literal_is_integral(s, n) ? T_INT : T_NUM;
    }
    case SSEKIT_JSON_STRING:
        return T_STR;
    case SSEKIT_JSON_ARRAY:
        return T_ARR;
    default:
        return T_OBJ;
    }
}

/* "string or null", into buf. */
static void type_names(unsigned bits, char *buf, size_t cap)
{
    static const struct {
        unsigned bits;
        const char *name;
    } names[] = {{T_OBJ, "object"},         {T_ARR, "array"},   {T_STR, "string"},
                 {T_INT | T_NUM, "number"}, {T_INT, "integer"}, {T_BOOL, "boolean"},
                 {T_NULL, "null"}};
    size_t len = 0;
    int k = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if ((bits & names[i].bits) != names[i].bits)
            continue;
        bits &= ~names[i].bits;
        int w = snprintf(buf + len, cap - len, "%s%s", k++ ? " or " : "", names[i].name);
        if (w < 0 || (size_t)w >= cap - len)
            return;
        len += (size_t)w;
    }
    if (!k)
        snprintf(buf, cap, "nothing");
}

/* ---- compiling ---------------------------------------------------------- */

typedef struct pending_ref {
    snode *node;
    const sdom *ref; /* the $ref string */
    const char *where;
} pending_ref;

typedef struct cctx {
    ssekit_schema *s;
    sdom *doc;
    sk_buf path;  /* JSON Pointer of the value being compiled */
    sk_buf refs;  /* pending_ref */
    sk_buf nodes; /* snode *, every node compiled */
    ssekit_schema_error *err;
} cctx;

#define CC_AF(cc) (&(cc)->s->af)

static int cc_nomem(cctx *cc)
{
    set_error(cc->err, SSEKIT_E_NOMEM, SSEKIT_SCHEMA_NOMEM, cc->path.p, cc->path.len,
              "out of memory");
    return -1;
}

static int cc_fail(cctx *cc, ssekit_schema_error_code code, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    set_error(cc->err, SSEKIT_E_SCHEMA, code, cc->path.p, cc->path.len, "%s", msg);
    return -1;
}

/* Appends "/token" (RFC 6901 escaped) to the path; returns the old length. */
static size_t path_push(cctx *cc, const char *tok, size_t n)
{
    size_t old = cc->path.len;
    int bad = sk_buf_push(CC_AF(cc), &cc->path, '/');
    for (size_t i = 0; i < n && !bad; i++) {
        if (tok[i] == '~')
            bad = sk_buf_append(CC_AF(cc), &cc->path, "~0", 2);
        else if (tok[i] == '/')
            bad = sk_buf_append(CC_AF(cc), &cc->path, "~1", 2);
        else
            bad = sk_buf_push(CC_AF(cc), &cc->path, tok[i]);
    }
    if (bad)
        cc_nomem(cc);
    return old;
}

static size_t path_push_index(cctx *cc, size_t i)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%zu", i);
    return path_push(cc, num, (size_t)n);
}

static void path_pop(cctx *cc, size_t old)
{
    cc->path.len = old;
}

static snode *compile_schema(cctx *cc, sdom *d);

/* Compiles the schema at member/element `tok` of the current path. */
static snode *compile_at(cctx *cc, sdom *d, const char *tok, size_t n)
{
    size_t old = path_push(cc, tok, n);
    snode *r = cc->err->status ? NULL : compile_schema(cc, d);
    path_pop(cc, old);
    return r;
}

static snode *compile_index(cctx *cc, sdom *d, size_t i)
{
    size_t old = path_push_index(cc, i);
    snode *r = cc->err->status ? NULL : compile_schema(cc, d);
    path_pop(cc, old);
    return r;
}

/* A list of schemas (allOf, anyOf, oneOf, prefixItems, draft-4 items). */
static int compile_list(cctx *cc, sdom *d, const char *kw, int nonempty, snode ***out, size_t *n)
{
    if (d->type != SSEKIT_JSON_ARRAY || (nonempty && d->n == 0))
        return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "%s must be a%s array of schemas", kw,
                       nonempty ? " non-empty" : "n");
    *out = d->n ? arena_alloc(CC_AF(cc), &cc->s->ar, d->n * sizeof **out) : NULL;
    if (d->n && !*out)
        return cc_nomem(cc);
    for (size_t i = 0; i < d->n; i++) {
        (*out)[i] = compile_index(cc, d->kids[i], i);
        if (!(*out)[i])
            return -1;
    }
    *n = d->n;
    return 0;
}

/* A non-negative integer keyword (minLength ...), saturated to SIZE_MAX. */
static int get_count(cctx *cc, const sdom *d, const char *kw, size_t *out)
{
    double v = d->type == SSEKIT_JSON_NUMBER ? strtod(d->s, NULL) : -1;
    if (v < 0 || !literal_is_integral(d->s, d->n))
        return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "%s must be a non-negative integer", kw);
    *out = v >= (double)SIZE_MAX ? SIZE_MAX : (size_t)v;
    return 0;
}

static int get_number(cctx *cc, const sdom *d, const char *kw, double *out)
{
    if (d->type != SSEKIT_JSON_NUMBER)
        return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "%s must be a number", kw);
    *out = strtod(d->s, NULL);
    return 0;
}

static int compile_type(cctx *cc, snode *n, const sdom *d)
{
    static const struct {
        const char *name;
        unsigned bits;
    } names[] = {{"null", T_NULL},          {"boolean", T_BOOL}, {"integer", T_INT},
                 {"number", T_INT | T_NUM}, {"string", T_STR},   {"array", T_ARR},
                 {"object", T_OBJ}};
    size_t count = d->type == SSEKIT_JSON_ARRAY ? d->n : 1;
    if (d->type != SSEKIT_JSON_ARRAY && d->type != SSEKIT_JSON_STRING)
        return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD,
                       "type must be a string or an array of strings");
    n->flags |= SN_TYPE;
    n->types = 0;
    for (size_t i = 0; i < count; i++) {
        const sdom *t = d->type == SSEKIT_JSON_ARRAY ? d->kids[i] : d;
        size_t k = 0;
        if (t->type == SSEKIT_JSON_STRING)
            for (; k < sizeof names / sizeof names[0]; k++)
                if (strlen(names[k].name) == t->n && !memcmp(names[k].name, t->s, t->n))
                    break;
        if (t->type != SSEKIT_JSON_STRING || k == sizeof names / sizeof names[0])
            return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD,
                           "type: unknown type name (expected null, boolean, integer, number, "
                           "string, array or object)");
        n->types |= names[k].bits;
    }
    return 0;
}

static int prop_cmp(const void *a, const void *b)
{
    const sprop *x = a, *y = b;
    size_t m = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, m);
    if (c)
        return c;
    return x->len < y->len ? -1 : (x->len > y->len);
}

static int compile_properties(cctx *cc, snode *n, sdom *d)
{
    if (d->type != SSEKIT_JSON_OBJECT)
        return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "properties must be an object of schemas");
    if (!d->n)
        return 0;
    sprop *p = arena_alloc(CC_AF(cc), &cc->s->ar, d->n * sizeof *p);
    if (!p)
        return cc_nomem(cc);
    for (size_t i = 0; i < d->n; i++) {
        p[i].name = d->keys[i];
        p[i].len = d->klens[i];
        p[i].schema = compile_at(cc, d->kids[i], d->keys[i], d->klens[i]);
        if (!p[i].schema)
            return -1;
    }
    /* Sorted by name for binary search. Of repeated names the last in the
     * document wins, as ssekit_json_find does for instances. */
    qsort(p, d->n, sizeof *p, prop_cmp);
    size_t k = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (k && p[k - 1].len == p[i].len && !memcmp(p[k - 1].name, p[i].name, p[i].len)) {
            for (size_t j = d->n; j-- > 0;)
                if (d->klens[j] == p[i].len && !memcmp(d->keys[j], p[i].name, p[i].len)) {
                    p[k - 1].schema = d->kids[j]->compiled;
                    break;
                }
            continue;
        }
        p[k++] = p[i];
    }
    n->props = p;
    n->nprops = k;
    return 0;
}

static int compile_required(cctx *cc, snode *n, const sdom *d)
{
    if (d->type != SSEKIT_JSON_ARRAY)
        return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "required must be an array of strings");
    if (!d->n)
        return 0;
    n->req = arena_alloc(CC_AF(cc), &cc->s->ar, d->n * sizeof *n->req);
    if (!n->req)
        return cc_nomem(cc);
    for (size_t i = 0; i < d->n; i++) {
        if (d->kids[i]->type != SSEKIT_JSON_STRING)
            return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "required must be an array of strings");
        n->req[i].name = d->kids[i]->s;
        n->req[i].len = d->kids[i]->n;
        n->req[i].schema = NULL;
    }
    n->nreq = d->n;
    return 0;
}

static int compile_pattern(cctx *cc, snode *n, const sdom *d)
{
    char why[160];
    if (d->type != SSEKIT_JSON_STRING)
        return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "pattern must be a string");
    sk_regex *re = NULL;
    int rc = sk_regex_compile(CC_AF(cc), d->s, d->n, &re, why, sizeof why);
    if (rc == SSEKIT_E_NOMEM)
        return cc_nomem(cc);
    if (rc)
        return cc_fail(cc, SSEKIT_SCHEMA_BAD_PATTERN, "pattern does not compile: %s", why);
    if (sk_buf_append(CC_AF(cc), &cc->s->regexes, &re, sizeof re)) {
        sk_regex_free(CC_AF(cc), re);
        return cc_nomem(cc);
    }
    n->pattern = re;
    size_t need = sk_regex_scratch_size(re);
    if (need > cc->s->scratch)
        cc->s->scratch = need;
    return 0;
}

/* $defs / definitions: every member is a schema, compiled now so that an
 * error in an unused definition is still reported. */
static int compile_defs(cctx *cc, sdom *d, const char *kw)
{
    if (d->type != SSEKIT_JSON_OBJECT)
        return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "%s must be an object of schemas", kw);
    for (size_t i = 0; i < d->n; i++)
        if (!compile_at(cc, d->kids[i], d->keys[i], d->klens[i]))
            return -1;
    return 0;
}

static const char *const unsupported_keywords[] = {"patternProperties",
                                                   "propertyNames",
                                                   "dependentRequired",
                                                   "dependentSchemas",
                                                   "dependencies",
                                                   "if",
                                                   "then",
                                                   "else",
                                                   "contains",
                                                   "minContains",
                                                   "maxContains",
                                                   "unevaluatedProperties",
                                                   "unevaluatedItems",
                                                   "additionalItems",
                                                   "$dynamicRef",
                                                   "$recursiveRef"};

static int is_kw(const char *key, size_t klen, const char *kw)
{
    return strlen(kw) == klen && !memcmp(key, kw, klen);
}

/* Keywords whose value is a count, each stored in a size_t of the node. */
static const struct count_kw {
    const char *name;
    unsigned flag;
    size_t offset;
} count_keywords[] = {
    {"minLength", SN_STRING_KW, offsetof(snode, min_len)},
    {"maxLength", SN_STRING_KW, offsetof(snode, max_len)},
    {"minItems", SN_ARRAY_KW, offsetof(snode, min_items)},
    {"maxItems", SN_ARRAY_KW, offsetof(snode, max_items)},
    {"minProperties", SN_OBJECT_KW, offsetof(snode, min_props)},
    {"maxProperties", SN_OBJECT_KW, offsetof(snode, max_props)},
};

/* Keywords that bound a number, each stored in a double of the node. */
static const struct number_kw {
    const char *name;
    unsigned flag;
    unsigned bool_flag; /* draft 4: exclusiveMinimum/Maximum as a boolean */
    size_t offset;
} number_keywords[] = {
    {"minimum", SN_MIN, 0, offsetof(snode, minimum)},
    {"maximum", SN_MAX, 0, offsetof(snode, maximum)},
    {"exclusiveMinimum", SN_XMIN, SN_XMIN_BOOL, offsetof(snode, xmin)},
    {"exclusiveMaximum", SN_XMAX, SN_XMAX_BOOL, offsetof(snode, xmax)},
    {"multipleOf", SN_MULT, 0, offsetof(snode, multiple_of)},
};

/* The keywords that constrain one kind of value: counts, numbers, pattern,
 * uniqueItems. Returns 1 when `k` is not one of them. */
static int compile_value_keyword(cctx *cc, snode *n, const char *k, size_t kl, sdom *v)
{
    for (size_t i = 0; i < sizeof count_keywords / sizeof count_keywords[0]; i++) {
        const struct count_kw *ck = &count_keywords[i];
        if (is_kw(k, kl, ck->name)) {
            n->flags |= ck->flag;
            return get_count(cc, v, ck->name, (size_t *)(void *)((char *)n + ck->offset));
        }
    }
    for (size_t i = 0; i < sizeof number_keywords / sizeof number_keywords[0]; i++) {
        const struct number_kw *nk = &number_keywords[i];
        if (!is_kw(k, kl, nk->name))
            continue;
        if (nk->bool_flag && v->type == SSEKIT_JSON_BOOL) {
            if (v->b)
                n->flags |= nk->bool_flag;
            return 0;
        }
        double *out = (double *)(void *)((char *)n + nk->offset);
        n->flags |= SN_NUMBER_KW | nk->flag;
        if (get_number(cc, v, nk->name, out))
            return -1;
        if (nk->flag == SN_MULT && !(*out > 0))
            return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "multipleOf must be greater than 0");
        return 0;
    }
    if (is_kw(k, kl, "pattern")) {
        n->flags |= SN_STRING_KW;
        return compile_pattern(cc, n, v);
    }
    if (is_kw(k, kl, "uniqueItems")) {
        if (v->type != SSEKIT_JSON_BOOL)
            return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "uniqueItems must be a boolean");
        if (v->b)
            n->flags |= SN_UNIQUE | SN_ARRAY_KW;
        return 0;
    }
    return 1;
}

/* One keyword of schema node n; the path already ends with the keyword. */
static int compile_keyword(cctx *cc, snode *n, const char *k, size_t kl, sdom *v)
{
#define KW(name) is_kw(k, kl, name)
    int rc = compile_value_keyword(cc, n, k, kl, v);
    if (rc <= 0)
        return rc;
    if (KW("type"))
        return compile_type(cc, n, v);
    if (KW("enum")) {
        if (v->type != SSEKIT_JSON_ARRAY)
            return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "enum must be an array");
        n->flags |= SN_ENUM;
        n->enums = v->kids;
        n->nenum = v->n;
        return 0;
    }
    if (KW("const")) {
        n->flags |= SN_CONST;
        n->cval = v;
        return 0;
    }
    if (KW("properties") || KW("required") || KW("additionalProperties")) {
        n->flags |= SN_OBJECT_KW;
        if (KW("properties"))
            return compile_properties(cc, n, v);
        if (KW("required"))
            return compile_required(cc, n, v);
        return (n->addl = compile_schema(cc, v)) ? 0 : -1;
    }
    if (KW("items") || KW("prefixItems")) {
        n->flags |= SN_ARRAY_KW;
        if (KW("items") && v->type != SSEKIT_JSON_ARRAY)
            return (n->items = compile_schema(cc, v)) ? 0 : -1;
        /* prefixItems, or the draft 4..7 tuple form of items */
        return compile_list(cc, v, KW("items") ? "items" : "prefixItems", KW("prefixItems"),
                            &n->prefix, &n->nprefix);
    }
    if (KW("allOf"))
        return compile_list(cc, v, "allOf", 1, &n->all_of, &n->nall);
    if (KW("anyOf"))
        return compile_list(cc, v, "anyOf", 1, &n->any_of, &n->nany);
    if (KW("oneOf"))
        return compile_list(cc, v, "oneOf", 1, &n->one_of, &n->none);
    if (KW("not"))
        return (n->not_ = compile_schema(cc, v)) ? 0 : -1;
    if (KW("$ref")) {
        if (v->type != SSEKIT_JSON_STRING)
            return cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "$ref must be a string");
        pending_ref pr = {n, v, arena_strdup(CC_AF(cc), &cc->s->ar, cc->path.p, cc->path.len)};
        if (!pr.where || sk_buf_append(CC_AF(cc), &cc->refs, &pr, sizeof pr))
            return cc_nomem(cc);
        return 0;
    }
    if (KW("$defs") || KW("definitions"))
        return compile_defs(cc, v, KW("$defs") ? "$defs" : "definitions");
    for (size_t i = 0; i < sizeof unsupported_keywords / sizeof unsupported_keywords[0]; i++)
        if (KW(unsupported_keywords[i]))
            return cc_fail(cc, SSEKIT_SCHEMA_UNSUPPORTED, "keyword %s is not supported",
                           unsupported_keywords[i]);
    return 0; /* an annotation or an unknown keyword */
#undef KW
}

static snode *compile_schema(cctx *cc, sdom *d)
{
    if (d->compiled)
        return d->compiled;
    if (d->type != SSEKIT_JSON_OBJECT && d->type != SSEKIT_JSON_BOOL) {
        cc_fail(cc, SSEKIT_SCHEMA_BAD_KEYWORD, "a schema must be an object or a boolean");
        return NULL;
    }
    snode *n = arena_alloc(CC_AF(cc), &cc->s->ar, sizeof *n);
    if (!n) {
        cc_nomem(cc);
        return NULL;
    }
    memset(n, 0, sizeof *n);
    n->max_len = n->max_items = n->max_props = SIZE_MAX;
    n->where = arena_strdup(CC_AF(cc), &cc->s->ar, cc->path.p ? cc->path.p : "", cc->path.len);
    if (!n->where || sk_buf_append(CC_AF(cc), &cc->nodes, &n, sizeof n)) {
        cc_nomem(cc);
        return NULL;
    }
    d->compiled = n;
    if (d->type == SSEKIT_JSON_BOOL) {
        if (!d->b)
            n->flags |= SN_FALSE;
        return n;
    }
    for (size_t i = 0; i < d->n; i++) {
        size_t old = path_push(cc, d->keys[i], d->klens[i]);
        int rc = cc->err->status ? -1 : compile_keyword(cc, n, d->keys[i], d->klens[i], d->kids[i]);
        path_pop(cc, old);
        if (rc)
            return NULL;
    }
    if ((n->flags & SN_XMIN_BOOL) && (n->flags & SN_MIN)) {
        n->flags = (n->flags & ~(unsigned)SN_MIN) | SN_XMIN;
        n->xmin = n->minimum;
    }
    if ((n->flags & SN_XMAX_BOOL) && (n->flags & SN_MAX)) {
        n->flags = (n->flags & ~(unsigned)SN_MAX) | SN_XMAX;
        n->xmax = n->maximum;
    }
    return n;
}

/* ---- $ref --------------------------------------------------------------- */

/* Resolves one pending $ref: the fragment is percent-decoded into a JSON
 * Pointer, walked through the document, and its target compiled (once). */
static int resolve_ref(cctx *cc, const pending_ref *pr)
{
    const char *r = pr->ref->s;
    size_t rn = pr->ref->n;
    cc->path.len = 0;
    if (sk_buf_append(CC_AF(cc), &cc->path, pr->where, strlen(pr->where)))
        return cc_nomem(cc);
    if (rn == 0 || r[0] != '#')
        return cc_fail(cc, SSEKIT_SCHEMA_UNSUPPORTED,
                       "$ref to another document is not supported (only \"#...\" fragments)");
    sk_buf ptr = {0};
    for (size_t i = 1; i < rn; i++) {
        int c = (unsigned char)r[i];
        if (c == '%') {
            int h = i + 2 < rn ? sk_hexval(r[i + 1]) : -1,
                l = i + 2 < rn ? sk_hexval(r[i + 2]) : -1;
            if (h < 0 || l < 0) {
                sk_buf_free(CC_AF(cc), &ptr);
                return cc_fail(cc, SSEKIT_SCHEMA_BAD_REF, "$ref: malformed percent-encoding");
            }
            c = h * 16 + l;
            i += 2;
        }
        if (sk_buf_push(CC_AF(cc), &ptr, (char)c)) {
            sk_buf_free(CC_AF(cc), &ptr);
            return cc_nomem(cc);
        }
    }
    if (ptr.len && ptr.p[0] != '/') {
        sk_buf_free(CC_AF(cc), &ptr);
        return cc_fail(cc, SSEKIT_SCHEMA_UNSUPPORTED, "$ref to an anchor is not supported");
    }
    sdom *t = cc->doc;
    size_t i = 0;
    int rc = 0;
    sk_buf tok = {0};
    while (i < ptr.len && t && !rc) {
        tok.len = 0;
        for (i++; i < ptr.len && ptr.p[i] != '/' && !rc; i++) {
            char c = ptr.p[i];
            if (c == '~') {
                char e = i + 1 < ptr.len ? ptr.p[++i] : 0;
                if (e != '0' && e != '1') {
                    rc = cc_fail(cc, SSEKIT_SCHEMA_BAD_REF, "$ref: bad ~ escape in the pointer");
                    break;
                }
                c = e == '0' ? '~' : '/';
            }
            if (sk_buf_push(CC_AF(cc), &tok, c))
                rc = cc_nomem(cc);
        }
        if (rc)
            break;
        sdom *next = NULL;
        if (t->type == SSEKIT_JSON_OBJECT) {
            for (size_t k = 0; k < t->n; k++)
                if (t->klens[k] == tok.len && (!tok.len || !memcmp(t->keys[k], tok.p, tok.len)))
                    next = t->kids[k];
        } else if (t->type == SSEKIT_JSON_ARRAY && tok.len && tok.len < 20 &&
                   (tok.len == 1 || tok.p[0] != '0')) {
            size_t idx = 0, k = 0;
            for (; k < tok.len && tok.p[k] >= '0' && tok.p[k] <= '9'; k++)
                idx = idx * 10 + (size_t)(tok.p[k] - '0');
            if (k == tok.len && idx < t->n)
                next = t->kids[idx];
        }
        t = next;
    }
    sk_buf_free(CC_AF(cc), &tok);
    if (!rc && !t)
        rc = cc_fail(cc, SSEKIT_SCHEMA_BAD_REF, "$ref target not found");
    if (!rc && t->type != SSEKIT_JSON_OBJECT && t->type != SSEKIT_JSON_BOOL)
        rc = cc_fail(cc, SSEKIT_SCHEMA_BAD_REF, "$ref target is not a schema");
    if (!rc) {
        /* The target is compiled with its own location as its path. */
        cc->path.len = 0;
        if (ptr.len && sk_buf_append(CC_AF(cc), &cc->path, ptr.p, ptr.len))
            rc = cc_nomem(cc);
        else if (!(pr->node->ref = compile_schema(cc, t)))
            rc = -1;
    }
    sk_buf_free(CC_AF(cc), &ptr);
    return rc;
}

/* ---- after compiling: cycles, admitted types, required leaves ----------- */

/* The schemas a node applies to the same value ("in place"). */
static size_t inplace_count(const snode *n)
{
    return (n->ref != NULL) + n->nall + n->nany + n->none + (n->not_ != NULL);
}

static snode *inplace_at(const snode *n, size_t i)
{
    if (n->ref) {
        if (i == 0)
            return n->ref;
        i--;
    }
    if (i < n->nall)
        return n->all_of[i];
    i -= n->nall;
    if (i < n->nany)
        return n->any_of[i];
    i -= n->nany;
    if (i < n->none)
        return n->one_of[i];
    return n->not_;
}

static const sprop *find_prop(const sprop *p, size_t n, const char *name, size_t len)
{
    size_t lo = 0, hi = n;
    sprop key = {name, len, NULL};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = prop_cmp(&key, &p[mid]);
        if (!c)
            return &p[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

#define FLAT_MAX 128

static int flat_add(cctx *cc, sk_buf *b, const sprop *e)
{
    sprop *have = (sprop *)b->p;
    size_t n = b->len / sizeof *have;
    for (size_t i = 0; i < n; i++) {
        if (have[i].len == e->len && !memcmp(have[i].name, e->name, e->len)) {
            if (!have[i].schema)
                have[i].schema = e->schema;
            return 0;
        }
    }
    if (n >= FLAT_MAX)
        return 0;
    return sk_buf_append(CC_AF(cc), b, e, sizeof *e) ? cc_nomem(cc) : 0;
}

/* Runs once per node, after every node it applies in place. */
static int finish_node(cctx *cc, snode *n, sk_buf *tmp)
{
    unsigned m = (n->flags & SN_FALSE) ? 0 : (n->flags & SN_TYPE) ? n->types : T_ALL;
    if (n->flags & SN_ENUM) {
        unsigned em = 0;
        for (size_t i = 0; i < n->nenum; i++)
            em |= dom_type_bits(n->enums[i]);
        m &= em;
    }
    if (n->flags & SN_CONST)
        m &= dom_type_bits(n->cval);
    if (n->ref)
        m &= n->ref->admits;
    for (size_t i = 0; i < n->nall; i++)
        m &= n->all_of[i]->admits;
    if (n->nany) {
        unsigned u = 0;
        for (size_t i = 0; i < n->nany; i++)
            u |= n->any_of[i]->admits;
        m &= u;
    }
    if (n->none) {
        unsigned u = 0;
        for (size_t i = 0; i < n->none; i++)
            u |= n->one_of[i]->admits;
        m &= u;
    }
    n->admits = m;

    n->unio = (n->nany || n->none) ? n : NULL;
    for (size_t i = 0; !n->unio && i < n->nall + (n->ref != NULL); i++)
        n->unio = inplace_at(n, i)->unio;

    tmp->len = 0;
    for (size_t i = 0; i < n->nreq; i++) {
        sprop e = n->req[i];
        const sprop *p = find_prop(n->props, n->nprops, e.name, e.len);
        e.schema = p ? p->schema : NULL;
        if (flat_add(cc, tmp, &e))
            return -1;
    }
    for (size_t i = 0; i < n->nall + (n->ref != NULL); i++) {
        const snode *c = inplace_at(n, i);
        for (size_t k = 0; k < c->nflat; k++)
            if (flat_add(cc, tmp, &c->flat[k]))
                return -1;
    }
    n->nflat = tmp->len / sizeof(sprop);
    if (!n->nflat)
        return 0;
    n->flat = arena_alloc(CC_AF(cc), &cc->s->ar, tmp->len);
    if (!n->flat)
        return cc_nomem(cc);
    memcpy(n->flat, tmp->p, tmp->len);
    for (size_t i = 0; i < n->nflat; i++) {
        if (!n->flat[i].schema) {
            const sprop *p = find_prop(n->props, n->nprops, n->flat[i].name, n->flat[i].len);
            n->flat[i].schema = p ? p->schema : NULL;
        }
    }
    return 0;
}

typedef struct dfs_frame {
    snode *n;
    size_t next;
} dfs_frame;

/* Depth-first over in-place edges, without recursion (a chain of $refs may
 * be as long as the document). A node met again while on the path is a loop
 * that would never reach into the value. */
static int check_cycles(cctx *cc)
{
    sk_buf stack = {0}, tmp = {0};
    snode **all = (snode **)cc->nodes.p;
    size_t count = cc->nodes.len / sizeof *all;
    int rc = 0;
    for (size_t r = 0; r < count && !rc; r++) {
        if (all[r]->visit)
            continue;
        dfs_frame f = {all[r], 0};
        all[r]->visit = 1;
        if (sk_buf_append(CC_AF(cc), &stack, &f, sizeof f)) {
            rc = cc_nomem(cc);
            break;
        }
        while (stack.len && !rc) {
            dfs_frame *top = (dfs_frame *)(stack.p + stack.len - sizeof f);
            if (top->next < inplace_count(top->n)) {
                snode *c = inplace_at(top->n, top->next++);
                if (c->visit == 1) {
                    cc->path.len = 0;
                    if (sk_buf_append(CC_AF(cc), &cc->path, top->n->where, strlen(top->n->where)))
                        rc = cc_nomem(cc);
                    else
                        rc = cc_fail(cc, SSEKIT_SCHEMA_REF_CYCLE,
                                     "$ref cycle: this schema applies itself to the same value "
                                     "without end");
                } else if (!c->visit) {
                    dfs_frame nf = {c, 0};
                    c->visit = 1;
                    if (sk_buf_append(CC_AF(cc), &stack, &nf, sizeof nf))
                        rc = cc_nomem(cc);
                }
            } else {
                top->n->visit = 2;
                rc = finish_node(cc, top->n, &tmp);
                stack.len -= sizeof f;
            }
        }
    }
    sk_buf_free(CC_AF(cc), &stack);
    sk_buf_free(CC_AF(cc), &tmp);
    return rc;
}

#define WEIGHT_MAX 1e6

/* A node's weight in required leaves (see ssekit_schema_progress). Fixed
 * once computed; a recursive schema counts its recursion as one leaf. */
static double node_weight(snode *n, int depth)
{
    if (n->wstate == 2)
        return n->weight;
    if (n->wstate == 1 || depth > SSEKIT_SCHEMA_DEFAULT_MAX_DEPTH)
        return 1;
    n->wstate = 1;
    double w = 1;
    if (n->nflat) {
        w = 0;
        for (size_t i = 0; i < n->nflat; i++)
            w += n->flat[i].schema ? node_weight(n->flat[i].schema, depth + 1) : 1;
    } else if (n->unio) {
        const snode *u = n->unio;
        snode *const *b = u->nany ? u->any_of : u->one_of;
        size_t nb = u->nany ? u->nany : u->none;
        for (size_t i = 0; i < nb; i++) {
            double bw = node_weight(b[i], depth + 1);
            if (bw > w)
                w = bw;
        }
    }
    n->weight = w > WEIGHT_MAX ? WEIGHT_MAX : w;
    n->wstate = 2;
    return n->weight;
}

/* ---- public: compile / free ---------------------------------------------- */

void ssekit_schema_limits_default(ssekit_schema_limits *lim)
{
    lim->max_depth = SSEKIT_SCHEMA_DEFAULT_MAX_DEPTH;
    lim->max_ref_depth = SSEKIT_SCHEMA_DEFAULT_MAX_REF_DEPTH;
    lim->max_steps = SSEKIT_SCHEMA_DEFAULT_MAX_STEPS;
}

static int compile_document(ssekit_schema *s, sdom *doc, ssekit_schema_error *err)
{
    cctx cc;
    memset(&cc, 0, sizeof cc);
    cc.s = s;
    cc.doc = doc;
    cc.err = err;
    s->root = compile_schema(&cc, doc);
    for (size_t i = 0; s->root && !err->status && i < cc.refs.len / sizeof(pending_ref); i++) {
        pending_ref pr = ((pending_ref *)cc.refs.p)[i];
        if (resolve_ref(&cc, &pr))
            break;
    }
    if (!err->status)
        check_cycles(&cc);
    if (!err->status) {
        snode **all = (snode **)cc.nodes.p;
        for (size_t i = 0; i < cc.nodes.len / sizeof *all; i++)
            node_weight(all[i], 0);
    }
    sk_buf_free(&s->af, &cc.path);
    sk_buf_free(&s->af, &cc.refs);
    sk_buf_free(&s->af, &cc.nodes);
    return err->status;
}

ssekit_schema *ssekit_schema_compile_with_limits(const char *json, size_t len,
                                                 const ssekit_schema_limits *lim,
                                                 const ssekit_alloc_funcs *alloc,
                                                 ssekit_schema_error *err_out)
{
    ssekit_schema_error err;
    memset(&err, 0, sizeof err);
    ssekit_schema *s = NULL;
    if (!json) {
        set_error(&err, SSEKIT_E_INVALID, SSEKIT_SCHEMA_MALFORMED, "", 0, "no schema text");
    } else {
        ssekit_alloc_funcs af;
        sk_alloc_init(&af, alloc);
        s = sk_malloc(&af, sizeof *s);
        if (!s) {
            set_error(&err, SSEKIT_E_NOMEM, SSEKIT_SCHEMA_NOMEM, "", 0, "out of memory");
        } else {
            memset(s, 0, sizeof *s);
            s->af = af;
            ssekit_schema_limits_default(&s->lim);
            if (lim) {
                if (lim->max_depth)
                    s->lim.max_depth = lim->max_depth;
                ssekit_schema_set_limits(s, lim);
            }
            sdom *doc = parse_document(s, json, len, s->lim.max_depth, &err);
            if (doc)
                compile_document(s, doc, &err);
            if (err.status) {
                ssekit_schema_free(s);
                s = NULL;
            }
        }
    }
    if (err_out)
        *err_out = err;
    return s;
}

ssekit_schema *ssekit_schema_compile(const char *json, size_t len, const ssekit_alloc_funcs *alloc,
                                     ssekit_schema_error *err)
{
    return ssekit_schema_compile_with_limits(json, len, NULL, alloc, err);
}

int ssekit_schema_set_limits(ssekit_schema *s, const ssekit_schema_limits *lim)
{
    if (!s || !lim)
        return SSEKIT_E_INVALID;
    if (lim->max_ref_depth)
        s->lim.max_ref_depth = lim->max_ref_depth;
    if (lim->max_steps)
        s->lim.max_steps = lim->max_steps;
    return SSEKIT_OK;
}

void ssekit_schema_free(ssekit_schema *s)
{
    if (!s)
        return;
    ssekit_alloc_funcs af = s->af;
    sk_regex **re = (sk_regex **)s->regexes.p;
    for (size_t i = 0; i < s->regexes.len / sizeof *re; i++)
        sk_regex_free(&af, re[i]);
    sk_buf_free(&af, &s->regexes);
    arena_free(&af, &s->ar);
    sk_free(&af, s);
}

/* ---- validating ----------------------------------------------------------- */

/* The instance path as a chain of stack frames; turned into a JSON Pointer
 * only when a violation is reported. */
typedef struct pseg {
    const struct pseg *up;
    const char *key; /* NULL: an array index */
    size_t klen;
    size_t index;
} pseg;

typedef struct vctx {
    const ssekit_schema *s;
    int partial;
    ssekit_schema_violation_cb cb;
    void *user;
    int probe; /* > 0: evaluating an alternative, nothing is reported */
    unsigned ref_depth;
    size_t depth, max_depth;
    size_t steps;
    int status; /* first hard error; everything unwinds once set */
    size_t count;
    void *scratch; /* regex scratch, allocated on first use */
    sk_buf path, spath;
    ssekit_schema_checker *ck; /* NULL: nothing remembered between calls */
    char msg[512];
} vctx;

/* ---- the checker's memory ------------------------------------------------ */

/* For a (schema node, container) pair: how many leading elements/members
 * are complete and valid against their schemas. Complete nodes never change,
 * so those are never visited again; only the open end of the tree is. */
typedef struct memo_slot {
    const snode *n; /* NULL: empty slot */
    const ssekit_json *v;
    size_t done;
} memo_slot;

struct ssekit_schema_checker {
    ssekit_alloc_funcs af;
    const ssekit_schema *s;
    memo_slot *slots;
    size_t cap, used; /* cap is 0 or a power of two */
};

static size_t memo_hash(const snode *n, const ssekit_json *v)
{
    uint64_t h = (uint64_t)(uintptr_t)n * 0x9E3779B97F4A7C15u;
    h ^= (uint64_t)(uintptr_t)v + 0x7F4A7C159E3779B9u + (h << 6) + (h >> 2);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9u;
    return (size_t)(h ^ (h >> 32));
}

static memo_slot *memo_find(const ssekit_schema_checker *ck, const snode *n, const ssekit_json *v)
{
    if (!ck->cap)
        return NULL;
    size_t i = memo_hash(n, v) & (ck->cap - 1);
    while (ck->slots[i].n) {
        if (ck->slots[i].n == n && ck->slots[i].v == v)
            return &ck->slots[i];
        i = (i + 1) & (ck->cap - 1);
    }
    return &ck->slots[i];
}

static int memo_grow(ssekit_schema_checker *ck)
{
    size_t cap = ck->cap ? ck->cap * 2 : 64;
    if (cap > SIZE_MAX / sizeof(memo_slot))
        return -1;
    memo_slot *old = ck->slots, *ns = sk_malloc(&ck->af, cap * sizeof *ns);
    if (!ns)
        return -1;
    memset(ns, 0, cap * sizeof *ns);
    size_t oldcap = ck->cap;
    ck->slots = ns;
    ck->cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].n)
            *memo_find(ck, old[i].n, old[i].v) = old[i];
    sk_free(&ck->af, old);
    return 0;
}

/* Where to resume checking the children of container v against n. */
static size_t memo_start(const vctx *c, const snode *n, const ssekit_json *v)
{
    if (!c->ck)
        return 0;
    const memo_slot *m = memo_find(c->ck, n, v);
    return m && m->n ? m->done : 0;
}

static void memo_store(vctx *c, const snode *n, const ssekit_json *v, size_t done)
{
    ssekit_schema_checker *ck = c->ck;
    if (!ck || c->status)
        return;
    memo_slot *m = memo_find(ck, n, v);
    if (!m || (!m->n && (ck->used + 1) * 2 > ck->cap)) {
        if (memo_grow(ck)) {
            c->status = SSEKIT_E_NOMEM;
            return;
        }
        m = memo_find(ck, n, v);
    }
    if (!m->n) {
        m->n = n;
        m->v = v;
        ck->used++;
    }
    m->done = done;
}

static int v_fin(const vctx *c, const ssekit_json *v)
{
    return !c->partial || ssekit_json_is_complete(v);
}

static int v_step(vctx *c)
{
    if (c->status)
        return -1;
    if (++c->steps > c->s->lim.max_steps) {
        c->status = SSEKIT_E_TOO_LARGE;
        return -1;
    }
    return 0;
}

static int v_enter(vctx *c)
{
    if (v_step(c))
        return -1;
    if (++c->depth > c->max_depth) {
        c->depth--;
        c->status = SSEKIT_E_TOO_DEEP;
        return -1;
    }
    return 0;
}

static size_t seg_len(const pseg *g)
{
    char num[24];
    if (!g->key)
        return 1 + (size_t)snprintf(num, sizeof num, "%zu", g->index);
    size_t n = 1;
    for (size_t i = 0; i < g->klen; i++)
        n += (g->key[i] == '~' || g->key[i] == '/') ? 2 : 1;
    return n;
}

/* Writes the JSON Pointer of `g` into c->path (NUL-terminated). */
static int build_path(vctx *c, const pseg *g)
{
    size_t total = 0;
    for (const pseg *p = g; p; p = p->up)
        total += seg_len(p);
    c->path.len = 0;
    if (sk_buf_reserve(&c->s->af, &c->path, total + 1))
        return -1;
    size_t end = total;
    for (const pseg *p = g; p; p = p->up) {
        size_t n = seg_len(p), at = end - n;
        char *o = c->path.p + at;
        *o++ = '/';
        if (!p->key) {
            char num[24];
            snprintf(num, sizeof num, "%zu", p->index);
            memcpy(o, num, n - 1);
        } else {
            for (size_t i = 0; i < p->klen; i++) {
                if (p->key[i] == '~' || p->key[i] == '/') {
                    *o++ = '~';
                    *o++ = p->key[i] == '~' ? '0' : '1';
                } else {
                    *o++ = p->key[i];
                }
            }
        }
        end = at;
    }
    c->path.len = total;
    c->path.p[total] = 0;
    return 0;
}

/* Reports a violation of keyword `kw` of schema node n at instance path g. */
static void report(vctx *c, const snode *n, const pseg *g, const char *kw, const char *fmt, ...)
{
    if (c->probe || c->status)
        return;
    c->count++;
    if (!c->cb)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->msg, sizeof c->msg, fmt, ap);
    va_end(ap);
    size_t wl = strlen(n->where), kl = strlen(kw);
    c->spath.len = 0;
    if (build_path(c, g) || sk_buf_reserve(&c->s->af, &c->spath, wl + kl + 2)) {
        c->status = SSEKIT_E_NOMEM;
        return;
    }
    memcpy(c->spath.p, n->where, wl);
    c->spath.len = wl;
    if (kl) {
        c->spath.p[c->spath.len++] = '/';
        memcpy(c->spath.p + c->spath.len, kw, kl);
        c->spath.len += kl;
    }
    c->spath.p[c->spath.len] = 0;
    ssekit_schema_violation v = {c->path.p, kl ? kw : "false", c->msg, c->spath.p};
    if (c->cb(c->user, &v))
        c->status = SSEKIT_E_STOPPED;
}

/* A short rendering of a value for messages: strings quoted and cut at 40
 * bytes (on a UTF-8 boundary), numbers as written. */
static const char *preview(const ssekit_json *v, char *buf, size_t cap)
{
    size_t n = 0;
    const char *s;
    switch (ssekit_json_type_of(v)) {
    case SSEKIT_JSON_STRING: {
        s = ssekit_json_string(v, &n);
        size_t keep = n > 40 ? 40 : n;
        while (keep < n && keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80)
            keep--;
        for (size_t i = 0; i < keep; i++)
            if ((unsigned char)s[i] < 0x20 || s[i] == '"' || s[i] == '\\')
                keep = i; /* stop at anything that would need escaping */
        snprintf(buf, cap, "\"%.*s%s\"", (int)keep, s ? s : "", keep < n ? "..." : "");
        return buf;
    }
    case SSEKIT_JSON_NUMBER:
        s = ssekit_json_number_text(v, &n);
        snprintf(buf, cap, "%.*s", n > 40 ? 40 : (int)n, s ? s : "");
        return buf;
    case SSEKIT_JSON_BOOL:
        return ssekit_json_bool(v) ? "true" : "false";
    case SSEKIT_JSON_NULL:
        return "null";
    case SSEKIT_JSON_ARRAY:
        return "an array";
    default:
        return "an object";
    }
}

static size_t utf8_count(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

static int num_text_eq(const char *a, size_t an, const char *b, size_t bn)
{
    int64_t x, y;
    if (literal_int64(a, an, &x) && literal_int64(b, bn, &y))
        return x == y;
    return strtod(a, NULL) == strtod(b, NULL);
}

static int max3(int a, int b)
{
    return a > b ? a : b;
}

/* Can instance v (growing, in partial mode) still equal the schema value d? */
static int eq_dom(vctx *c, const ssekit_json *v, const sdom *d)
{
    if (v_enter(c))
        return R_UNKNOWN;
    int r = R_INVALID, fin = v_fin(c, v);
    size_t n = 0;
    ssekit_json_type t = ssekit_json_type_of(v);
    if ((int)t != d->type)
        goto out;
    switch (t) {
    case SSEKIT_JSON_NULL:
        r = R_VALID;
        break;
    case SSEKIT_JSON_BOOL:
        r = (ssekit_json_bool(v) != 0) == (d->b != 0) ? R_VALID : R_INVALID;
        break;
    case SSEKIT_JSON_NUMBER: {
        const char *s = ssekit_json_number_text(v, &n);
        r = s && num_text_eq(s, n, d->s, d->n) ? R_VALID : R_INVALID;
        break;
    }
    case SSEKIT_JSON_STRING: {
        const char *s = ssekit_json_string(v, &n);
        if (fin)
            r = n == d->n && (!n || !memcmp(s, d->s, n)) ? R_VALID : R_INVALID;
        else
            r = n <= d->n && (!n || !memcmp(s, d->s, n)) ? R_UNKNOWN : R_INVALID;
        break;
    }
    case SSEKIT_JSON_ARRAY:
        n = ssekit_json_count(v);
        if (n > d->n || (fin && n != d->n))
            break;
        r = fin ? R_VALID : R_UNKNOWN;
        for (size_t i = 0; i < n && r != R_INVALID; i++) {
            const ssekit_json *e = ssekit_json_index(v, i);
            r = max3(r, e ? eq_dom(c, e, d->kids[i]) : (fin ? R_INVALID : R_UNKNOWN));
        }
        break;
    default:
        n = ssekit_json_count(v);
        r = fin ? R_VALID : R_UNKNOWN;
        for (size_t i = 0; i < n && r != R_INVALID; i++) {
            size_t kl;
            const char *k = ssekit_json_member_key(v, i, &kl);
            const ssekit_json *mv = ssekit_json_member_value(v, i);
            const sdom *dm = NULL;
            for (size_t j = 0; k && j < d->n; j++)
                if (d->klens[j] == kl && (!kl || !memcmp(d->keys[j], k, kl)))
                    dm = d->kids[j];
            if (!dm)
                r = R_INVALID;
            else
                r = max3(r, mv ? eq_dom(c, mv, dm) : (fin ? R_INVALID : R_UNKNOWN));
        }
        for (size_t j = 0; fin && j < d->n && r != R_INVALID; j++)
            if (!ssekit_json_find(v, d->keys[j], d->klens[j]))
                r = R_INVALID;
        break;
    }
out:
    c->depth--;
    return c->status ? R_UNKNOWN : r;
}

/* Are two complete instance values equal (uniqueItems)? */
static int eq_inst(vctx *c, const ssekit_json *a, const ssekit_json *b)
{
    if (v_enter(c))
        return 0;
    int eq = 0;
    size_t an = 0, bn = 0;
    ssekit_json_type t = ssekit_json_type_of(a);
    if (t != ssekit_json_type_of(b))
        goto out;
    switch (t) {
    case SSEKIT_JSON_NULL:
        eq = 1;
        break;
    case SSEKIT_JSON_BOOL:
        eq = ssekit_json_bool(a) == ssekit_json_bool(b);
        break;
    case SSEKIT_JSON_NUMBER: {
        const char *x = ssekit_json_number_text(a, &an), *y = ssekit_json_number_text(b, &bn);
        eq = x && y && num_text_eq(x, an, y, bn);
        break;
    }
    case SSEKIT_JSON_STRING: {
        const char *x = ssekit_json_string(a, &an), *y = ssekit_json_string(b, &bn);
        eq = an == bn && (!an || !memcmp(x, y, an));
        break;
    }
    case SSEKIT_JSON_ARRAY:
        an = ssekit_json_count(a);
        eq = an == ssekit_json_count(b);
        for (size_t i = 0; eq && i < an; i++)
            eq = eq_inst(c, ssekit_json_index(a, i), ssekit_json_index(b, i));
        break;
    default:
        an = ssekit_json_count(a);
        eq = an == ssekit_json_count(b);
        for (size_t i = 0; eq && i < an; i++) {
            size_t kl;
            const char *k = ssekit_json_member_key(a, i, &kl);
            const ssekit_json *bv = k ? ssekit_json_find(b, k, kl) : NULL;
            eq = bv && eq_inst(c, ssekit_json_find(a, k, kl), bv);
        }
        break;
    }
out:
    c->depth--;
    return c->status ? 0 : eq;
}

static int check(vctx *c, const snode *n, const ssekit_json *v, const pseg *g);

/* Accumulates result x into r; in probe mode the first INVALID settles it. */
#define ACC(x)                                                                                     \
    do {                                                                                           \
        int acc_ = (x);                                                                            \
        if (acc_ > r)                                                                              \
            r = acc_;                                                                              \
        if (c->status)                                                                             \
            return R_UNKNOWN;                                                                      \
        if (r == R_INVALID && c->probe)                                                            \
            return R_INVALID;                                                                      \
    } while (0)

static int check_enum(vctx *c, const snode *n, const ssekit_json *v, const pseg *g, int is_const)
{
    char pv[64];
    int r = R_INVALID;
    if (is_const)
        r = eq_dom(c, v, n->cval);
    for (size_t i = 0; !is_const && i < n->nenum && r != R_VALID && !c->status; i++) {
        int e = eq_dom(c, v, n->enums[i]);
        if (e < r)
            r = e;
    }
    if (c->status)
        return R_UNKNOWN;
    if (r == R_INVALID) {
        const char *kw = is_const ? "const" : "enum";
        if (!v_fin(c, v))
            report(c, n, g, kw, "%s (still being written) can no longer become %s",
                   preview(v, pv, sizeof pv),
                   is_const ? "the required constant" : "one of the allowed values");
        else
            report(c, n, g, kw, "%s is not %s", preview(v, pv, sizeof pv),
                   is_const ? "equal to the required constant" : "one of the allowed values");
    }
    return r;
}

static int check_number(vctx *c, const snode *n, const ssekit_json *v, const pseg *g)
{
    char pv[64];
    double d = ssekit_json_number(v);
    int r = R_VALID;
    if ((n->flags & SN_MIN) && d < n->minimum) {
        report(c, n, g, "minimum", "%s is less than the minimum %.17g", preview(v, pv, sizeof pv),
               n->minimum);
        ACC(R_INVALID);
    }
    if ((n->flags & SN_XMIN) && d <= n->xmin) {
        report(c, n, g, "exclusiveMinimum", "%s is not greater than %.17g",
               preview(v, pv, sizeof pv), n->xmin);
        ACC(R_INVALID);
    }
    if ((n->flags & SN_MAX) && d > n->maximum) {
        report(c, n, g, "maximum", "%s is greater than the maximum %.17g",
               preview(v, pv, sizeof pv), n->maximum);
        ACC(R_INVALID);
    }
    if ((n->flags & SN_XMAX) && d >= n->xmax) {
        report(c, n, g, "exclusiveMaximum", "%s is not less than %.17g", preview(v, pv, sizeof pv),
               n->xmax);
        ACC(R_INVALID);
    }
    if (n->flags & SN_MULT) {
        /* Quotients beyond 2^53 cannot be judged in doubles: accepted. */
        double q = d / n->multiple_of;
        if (q > -9007199254740992.0 && q < 9007199254740992.0) {
            double near = (double)(int64_t)(q < 0 ? q - 0.5 : q + 0.5);
            double diff = q - near, tol = 1e-9 * (q < 0 ? -q : q > 1 ? q : 1);
            if (diff < -tol || diff > tol) {
                report(c, n, g, "multipleOf", "%s is not a multiple of %.17g",
                       preview(v, pv, sizeof pv), n->multiple_of);
                ACC(R_INVALID);
            }
        }
    }
    return r;
}

static int check_string(vctx *c, const snode *n, const ssekit_json *v, const pseg *g, int fin)
{
    size_t len = 0;
    const char *s = ssekit_json_string(v, &len);
    size_t cps = utf8_count(s, len);
    int r = R_VALID;
    if (cps < n->min_len) {
        if (fin) {
            report(c, n, g, "minLength", "string has %zu characters, fewer than minLength %zu", cps,
                   n->min_len);
            ACC(R_INVALID);
        } else {
            ACC(R_UNKNOWN);
        }
    }
    if (cps > n->max_len) {
        report(c, n, g, "maxLength", "string has %zu characters, more than maxLength %zu", cps,
               n->max_len);
        ACC(R_INVALID);
    } else if (!fin && n->max_len != SIZE_MAX) {
        ACC(R_UNKNOWN);
    }
    if (n->pattern) {
        if (!c->scratch) {
            c->scratch = sk_malloc(&c->s->af, c->s->scratch);
            if (!c->scratch) {
                c->status = SSEKIT_E_NOMEM;
                return R_UNKNOWN;
            }
        }
        int m = sk_regex_match(n->pattern, s ? s : "", len, !fin, c->scratch);
        if (m == SK_RE_NOMATCH) {
            char pv[64];
            report(c, n, g, "pattern",
                   fin ? "%s does not match the pattern"
                       : "%s (still being written) can no longer match the pattern",
                   preview(v, pv, sizeof pv));
            ACC(R_INVALID);
        } else if (m == SK_RE_MAYBE) {
            ACC(R_UNKNOWN);
        }
    }
    return r;
}

/* The schema for array element i; NULL when anything goes. */
static const snode *item_schema(const snode *n, size_t i, const char **kw)
{
    *kw = i < n->nprefix ? "prefixItems" : "items";
    return i < n->nprefix ? n->prefix[i] : n->items;
}

static int check_array(vctx *c, const snode *n, const ssekit_json *v, const pseg *g, int fin)
{
    size_t count = ssekit_json_count(v);
    int r = R_VALID;
    if (count > n->max_items) {
        report(c, n, g, "maxItems", "array has %zu items, more than maxItems %zu", count,
               n->max_items);
        ACC(R_INVALID);
    }
    if (count < n->min_items) {
        if (fin) {
            report(c, n, g, "minItems", "array has %zu items, fewer than minItems %zu", count,
                   n->min_items);
            ACC(R_INVALID);
        } else {
            ACC(R_UNKNOWN);
        }
    }
    size_t start = memo_start(c, n, v), done = start;
    for (size_t i = start; i < count; i++) {
        const char *kw;
        const snode *is = item_schema(n, i, &kw);
        const ssekit_json *e = ssekit_json_index(v, i);
        if (!e)
            continue;
        pseg sg = {g, NULL, 0, i};
        int t = R_VALID;
        if (is && (is->flags & SN_FALSE)) {
            report(c, n, &sg, kw, "no item is allowed at index %zu", i);
            t = R_INVALID;
        } else if (is) {
            t = check(c, is, e, &sg);
        }
        if (done == i && t == R_VALID && ssekit_json_is_complete(e))
            memo_store(c, n, v, done = i + 1);
        ACC(t);
    }
    if ((n->flags & SN_UNIQUE) && count > 1) {
        for (size_t i = 0; i < count; i++) {
            const ssekit_json *a = ssekit_json_index(v, i);
            if (!a || !v_fin(c, a))
                continue;
            for (size_t j = i + 1; j < count; j++) {
                const ssekit_json *b = ssekit_json_index(v, j);
                if (b && v_fin(c, b) && eq_inst(c, a, b)) {
                    report(c, n, g, "uniqueItems", "items %zu and %zu are equal", i, j);
                    ACC(R_INVALID);
                    i = j = count; /* one report per array */
                }
                if (c->status)
                    return R_UNKNOWN;
            }
        }
    }
    if (!fin)
        ACC(R_UNKNOWN); /* more items may come */
    return r;
}

static int check_object(vctx *c, const snode *n, const ssekit_json *v, const pseg *g, int fin)
{
    size_t count = ssekit_json_count(v);
    int r = R_VALID;
    for (size_t i = 0; i < n->nreq; i++) {
        if (ssekit_json_find(v, n->req[i].name, n->req[i].len))
            continue;
        if (fin) {
            report(c, n, g, "required", "missing required property \"%.*s\"",
                   n->req[i].len > 100 ? 100 : (int)n->req[i].len, n->req[i].name);
            ACC(R_INVALID);
        } else {
            ACC(R_UNKNOWN);
        }
    }
    if (count > n->max_props) {
        report(c, n, g, "maxProperties", "object has %zu properties, more than maxProperties %zu",
               count, n->max_props);
        ACC(R_INVALID);
    }
    if (count < n->min_props) {
        if (fin) {
            report(c, n, g, "minProperties",
                   "object has %zu properties, fewer than minProperties %zu", count, n->min_props);
            ACC(R_INVALID);
        } else {
            ACC(R_UNKNOWN);
        }
    }
    size_t start = memo_start(c, n, v), done = start;
    for (size_t i = start; i < count; i++) {
        size_t kl = 0;
        const char *k = ssekit_json_member_key(v, i, &kl);
        const ssekit_json *mv = ssekit_json_member_value(v, i);
        if (!k)
            continue;
        const sprop *p = find_prop(n->props, n->nprops, k, kl);
        const snode *ps = p ? p->schema : n->addl;
        pseg sg = {g, k, kl, 0};
        int t = mv ? R_VALID : R_UNKNOWN;
        if (ps && (ps->flags & SN_FALSE)) {
            report(c, n, &sg, p ? "properties" : "additionalProperties",
                   "property \"%.*s\" is not allowed", kl > 100 ? 100 : (int)kl, k);
            t = R_INVALID;
        } else if (ps && mv) {
            t = check(c, ps, mv, &sg);
        }
        if (done == i && t == R_VALID && ssekit_json_is_complete(mv))
            memo_store(c, n, v, done = i + 1);
        ACC(t);
    }
    if (!fin)
        ACC(R_UNKNOWN); /* more members may come */
    return r;
}

/* After every alternative failed: report the only one that accepts the
 * value's type in detail, else one violation for the keyword. */
static void report_alternatives(vctx *c, const snode *n, snode *const *alt, size_t k,
                                const ssekit_json *v, const pseg *g, const char *kw)
{
    unsigned tb = json_type_bits(v);
    const snode *only = NULL;
    size_t fits = 0;
    if (c->probe)
        return;
    for (size_t i = 0; i < k; i++)
        if (alt[i]->admits & tb) {
            fits++;
            only = alt[i];
        }
    if (fits == 1) {
        size_t before = c->count;
        check(c, only, v, g);
        if (c->count > before || c->status)
            return;
    }
    report(c, n, g, kw, "value matches none of the %zu alternatives", k);
}

static int check_anyof(vctx *c, const snode *n, const ssekit_json *v, const pseg *g)
{
    int unknown = 0;
    c->probe++;
    for (size_t i = 0; i < n->nany; i++) {
        int t = check(c, n->any_of[i], v, g);
        if (c->status || t == R_VALID) {
            c->probe--;
            return c->status ? R_UNKNOWN : R_VALID;
        }
        unknown |= t == R_UNKNOWN;
    }
    c->probe--;
    if (unknown)
        return R_UNKNOWN;
    report_alternatives(c, n, n->any_of, n->nany, v, g, "anyOf");
    return R_INVALID;
}

static int check_oneof(vctx *c, const snode *n, const ssekit_json *v, const pseg *g)
{
    size_t valid = 0, unknown = 0;
    c->probe++;
    for (size_t i = 0; i < n->none && valid < 2 && !c->status; i++) {
        int t = check(c, n->one_of[i], v, g);
        valid += t == R_VALID;
        unknown += t == R_UNKNOWN;
    }
    c->probe--;
    if (c->status)
        return R_UNKNOWN;
    if (valid >= 2) {
        report(c, n, g, "oneOf", "value matches more than one of the %zu alternatives", n->none);
        return R_INVALID;
    }
    if (valid + unknown == 0) {
        report_alternatives(c, n, n->one_of, n->none, v, g, "oneOf");
        return R_INVALID;
    }
    return valid == 1 && unknown == 0 ? R_VALID : R_UNKNOWN;
}

static int check_not(vctx *c, const snode *n, const ssekit_json *v, const pseg *g)
{
    c->probe++;
    int t = check(c, n->not_, v, g);
    c->probe--;
    if (c->status)
        return R_UNKNOWN;
    if (t == R_VALID) {
        report(c, n, g, "not", "value matches a schema it must not match");
        return R_INVALID;
    }
    return t == R_INVALID ? R_VALID : R_UNKNOWN;
}

static int check_ref(vctx *c, const snode *n, const ssekit_json *v, const pseg *g)
{
    if (++c->ref_depth > c->s->lim.max_ref_depth) {
        c->ref_depth--;
        c->status = SSEKIT_E_TOO_DEEP;
        return R_UNKNOWN;
    }
    int r = check(c, n->ref, v, g);
    c->ref_depth--;
    return r;
}

static int check_body(vctx *c, const snode *n, const ssekit_json *v, const pseg *g)
{
    int r = R_VALID;
    if (n->flags & SN_FALSE) {
        report(c, n, g, "", "no value is allowed here");
        return R_INVALID;
    }
    int fin = v_fin(c, v);
    unsigned tb = json_type_bits(v);
    if (n->ref)
        ACC(check_ref(c, n, v, g));
    if ((n->flags & SN_TYPE) && !(n->types & tb)) {
        char want[80], got[16];
        type_names(n->types, want, sizeof want);
        type_names((tb & (T_INT | T_NUM)) ? T_INT | T_NUM : tb, got, sizeof got);
        report(c, n, g, "type", "expected %s, got %s", want, got);
        ACC(R_INVALID);
    }
    if (n->flags & SN_ENUM)
        ACC(check_enum(c, n, v, g, 0));
    if (n->flags & SN_CONST)
        ACC(check_enum(c, n, v, g, 1));
    if ((tb & (T_INT | T_NUM)) && (n->flags & SN_NUMBER_KW))
        ACC(check_number(c, n, v, g));
    if (tb == T_STR && (n->flags & SN_STRING_KW))
        ACC(check_string(c, n, v, g, fin));
    if (tb == T_ARR && (n->flags & SN_ARRAY_KW))
        ACC(check_array(c, n, v, g, fin));
    if (tb == T_OBJ && (n->flags & SN_OBJECT_KW))
        ACC(check_object(c, n, v, g, fin));
    for (size_t i = 0; i < n->nall; i++)
        ACC(check(c, n->all_of[i], v, g));
    if (n->nany)
        ACC(check_anyof(c, n, v, g));
    if (n->none)
        ACC(check_oneof(c, n, v, g));
    if (n->not_)
        ACC(check_not(c, n, v, g));
    return r;
}

static int check(vctx *c, const snode *n, const ssekit_json *v, const pseg *g)
{
    if (v_enter(c))
        return R_UNKNOWN;
    int r = check_body(c, n, v, g);
    c->depth--;
    return c->status ? R_UNKNOWN : r;
}

static void vctx_init(vctx *c, const ssekit_schema *s, unsigned flags)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->partial = (flags & SSEKIT_SCHEMA_PARTIAL) != 0;
    /* Without $ref every nested call goes one level deeper into the schema
     * document, so this bound is only reached through runaway recursion. */
    c->max_depth = ((size_t)s->lim.max_ref_depth + 1) * ((size_t)s->lim.max_depth + 2);
}

static void vctx_free(vctx *c)
{
    sk_free(&c->s->af, c->scratch);
    sk_buf_free(&c->s->af, &c->path);
    sk_buf_free(&c->s->af, &c->spath);
}

static int run_validation(vctx *cp, const ssekit_json *root, ssekit_schema_violation_cb cb,
                          void *user)
{
    vctx c = *cp;
    c.cb = cb;
    c.user = user;
    if (root) {
        check(&c, c.s->root, root, NULL);
    } else if (!c.partial) {
        snode nothing;
        memset(&nothing, 0, sizeof nothing);
        nothing.where = "";
        report(&c, &nothing, NULL, "type", "no JSON value");
    }
    vctx_free(&c);
    if (c.status)
        return c.status;
    return c.count > INT_MAX ? INT_MAX : (int)c.count;
}

int ssekit_schema_validate(const ssekit_schema *s, const ssekit_json *root, unsigned flags,
                           ssekit_schema_violation_cb cb, void *user)
{
    vctx c;
    if (!s)
        return SSEKIT_E_INVALID;
    vctx_init(&c, s, flags);
    return run_validation(&c, root, cb, user);
}

typedef struct collect {
    ssekit_schema_message *out;
    size_t max, n;
} collect;

static int collect_one(void *user, const ssekit_schema_violation *v)
{
    collect *k = user;
    if (k->n < k->max) {
        ssekit_schema_message *m = &k->out[k->n];
        copy_trunc(m->path, sizeof m->path, v->path, strlen(v->path));
        copy_trunc(m->keyword, sizeof m->keyword, v->keyword, strlen(v->keyword));
        copy_trunc(m->message, sizeof m->message, v->message, strlen(v->message));
    }
    k->n++;
    return 0;
}

int ssekit_schema_validate_collect(const ssekit_schema *s, const ssekit_json *root, unsigned flags,
                                   ssekit_schema_message *out, size_t max)
{
    collect k = {out, out ? max : 0, 0};
    return ssekit_schema_validate(s, root, flags, collect_one, &k);
}

/* ---- public: checker ------------------------------------------------------ */

ssekit_schema_checker *ssekit_schema_checker_new(const ssekit_schema *s,
                                                 const ssekit_alloc_funcs *alloc)
{
    ssekit_alloc_funcs af;
    if (!s)
        return NULL;
    sk_alloc_init(&af, alloc);
    ssekit_schema_checker *ck = sk_malloc(&af, sizeof *ck);
    if (ck) {
        memset(ck, 0, sizeof *ck);
        ck->af = af;
        ck->s = s;
    }
    return ck;
}

int ssekit_schema_checker_validate(ssekit_schema_checker *ck, const ssekit_json *root,
                                   unsigned flags, ssekit_schema_violation_cb cb, void *user)
{
    vctx c;
    if (!ck)
        return SSEKIT_E_INVALID;
    vctx_init(&c, ck->s, flags);
    c.ck = ck;
    return run_validation(&c, root, cb, user);
}

void ssekit_schema_checker_reset(ssekit_schema_checker *ck)
{
    if (!ck)
        return;
    if (ck->slots)
        memset(ck->slots, 0, ck->cap * sizeof *ck->slots);
    ck->used = 0;
}

void ssekit_schema_checker_free(ssekit_schema_checker *ck)
{
    if (!ck)
        return;
    sk_free(&ck->af, ck->slots);
    sk_free(&ck->af, ck);
}

/* ---- progress ------------------------------------------------------------- */

/* The first member named `name`: unlike ssekit_json_find (the last), it
 * never changes once there, which keeps progress monotonic even when a key
 * repeats. */
static const ssekit_json *first_member(const ssekit_json *obj, const char *name, size_t len)
{
    size_t n = ssekit_json_count(obj);
    for (size_t i = 0; i < n; i++) {
        size_t kl;
        const char *k = ssekit_json_member_key(obj, i, &kl);
        if (k && kl == len && (!len || !memcmp(k, name, len)))
            return ssekit_json_member_value(obj, i);
    }
    return NULL;
}

/* Share of n's required leaves in v that are complete (see the header).
 * Only incomplete values are descended, and in a tree that grows at its end
 * they form a single path, so this is cheap. */
static double progress(vctx *c, const snode *n, const ssekit_json *v)
{
    if (!v)
        return 0;
    if (ssekit_json_is_complete(v))
        return 1;
    if (!n || v_enter(c))
        return 0;
    double p = 0;
    if (n->nflat && ssekit_json_type_of(v) == SSEKIT_JSON_OBJECT) {
        double sum = 0, wsum = 0;
        for (size_t i = 0; i < n->nflat && !c->status; i++) {
            const sprop *e = &n->flat[i];
            double w = e->schema ? e->schema->weight : 1;
            wsum += w;
            sum += w * progress(c, e->schema, first_member(v, e->name, e->len));
        }
        p = wsum > 0 ? sum / wsum : 0;
    } else if (n->unio) {
        const snode *u = n->unio;
        snode *const *b = u->nany ? u->any_of : u->one_of;
        size_t nb = u->nany ? u->nany : u->none;
        unsigned tb = json_type_bits(v);
        int any = 0;
        for (size_t i = 0; i < nb && !c->status; i++) {
            if (!(b[i]->admits & tb))
                continue;
            double q = progress(c, b[i], v);
            if (!any || q < p)
                p = q;
            any = 1;
        }
    }
    c->depth--;
    return c->status ? 0 : p;
}

int ssekit_schema_progress(const ssekit_schema *s, const ssekit_json *root, double *out)
{
    vctx c;
    if (out)
        *out = 0;
    if (!s || !out)
        return SSEKIT_E_INVALID;
    vctx_init(&c, s, SSEKIT_SCHEMA_PARTIAL);
    double p = progress(&c, s->root, root);
    vctx_free(&c);
    if (c.status)
        return c.status;
    *out = p < 0 ? 0 : p > 1 ? 1 : p;
    return SSEKIT_OK;
}
