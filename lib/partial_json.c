/* The partial JSON builder (partial_json.h).
 *
 * How the work is split, and why:
 *
 * yajl's lexer, when a token is cut by the end of a chunk, keeps the start of
 * the token and re-reads it from the beginning with every later chunk: a long
 * string fed a few bytes at a time would cost O(n^2). And yajl reports a
 * string only when it closes, while we must show it growing. So the builder
 * lexes every byte once itself and hands yajl a "skeleton" of the text in
 * which no token is ever cut:
 *
 *   - structural characters { } [ ] , : are copied;
 *   - a string becomes `""`. A value string goes to yajl as soon as its
 *     opening quote is read: yajl checks that it may stand there and its
 *     callback creates the node, which the builder then fills as the
 *     content arrives (decoding escapes and checking UTF-8 itself). A key
 *     shows nothing, so it waits in the skeleton like "," and ":";
 *   - a number becomes `0`, given once the builder has read the whole
 *     literal (numbers only appear complete); the literal is queued for
 *     yajl's number callback;
 *   - true/false/null are given once complete;
 *   - whitespace is dropped; every token is followed by one space, so yajl
 *     never has to look past a chunk and never buffers anything.
 *
 * yajl thus validates the structure and drives the tree through its
 * callbacks, the builder validates strings (escapes, strict UTF-8) and
 * numbers, and yajl_parse() runs at most once per feed plus once per value
 * string opened, and not at all for a feed that changes nothing but the
 * text of an open string (most LLM deltas).
 *
 * Error offsets: every skeleton byte remembers the document offset of the
 * token it stands for, so a yajl parse error maps back to the first byte of
 * the offending token. Lexical errors are found by the builder at the byte
 * itself, after the tokens before it (and a stand-in for the current one)
 * went through yajl, so the reported offset is always the first byte that
 * cannot belong to a valid document.
 */
#include "ssekit/partial_json.h"

#include <stdint.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "alloc_internal.h"
#include "buffer.h"
#include "json_tree.h"
#include "ssekit/status.h"

/* ---- arenas ----------------------------------------------------------------
 * Two bump arenas: `mem` for nodes and child arrays, `txt` for text. Text
 * has its own arena because the one growing string must stay at the end of
 * its block while nodes are created (a number's node appears while the next
 * literal is being read). */

typedef struct sk_block {
    struct sk_block *prev;
    size_t cap;
    size_t used;
    size_t pad_; /* keeps data 16-byte aligned */
} sk_block;

#define BLOCK_DATA(bl) ((char *)((bl) + 1))
#define MEM_BLOCK_MIN 2048
#define TXT_BLOCK_MIN 1024
#define BLOCK_MAX_STEP ((size_t)256 << 10)

typedef struct sk_arena {
    sk_block *cur;
} sk_arena;

static sk_block *arena_add(const ssekit_alloc_funcs *a, sk_arena *ar, size_t need, size_t min)
{
    size_t cap = ar->cur ? ar->cur->cap * 2 : min;
    if (cap > BLOCK_MAX_STEP)
        cap = BLOCK_MAX_STEP;
    if (cap < need)
        cap = need;
    if (cap > SIZE_MAX - sizeof(sk_block))
        return NULL;
    sk_block *bl = sk_malloc(a, sizeof(sk_block) + cap);
    if (!bl)
        return NULL;
    bl->prev = ar->cur;
    bl->cap = cap;
    bl->used = 0;
    ar->cur = bl;
    return bl;
}

/* Keeps the newest block for the next document. */
static void arena_reset(const ssekit_alloc_funcs *a, sk_arena *ar)
{
    if (!ar->cur)
        return;
    sk_block *bl = ar->cur->prev;
    while (bl) {
        sk_block *p = bl->prev;
        sk_free(a, bl);
        bl = p;
    }
    ar->cur->prev = NULL;
    ar->cur->used = 0;
}

static void arena_free(const ssekit_alloc_funcs *a, sk_arena *ar)
{
    arena_reset(a, ar);
    sk_free(a, ar->cur);
    ar->cur = NULL;
}

static void *mem_alloc(const ssekit_alloc_funcs *a, sk_arena *ar, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    sk_block *bl = ar->cur;
    if (!bl || bl->cap - bl->used < n) {
        bl = arena_add(a, ar, n, MEM_BLOCK_MIN);
        if (!bl)
            return NULL;
    }
    void *p = BLOCK_DATA(bl) + bl->used;
    bl->used += n;
    return p;
}

/* ---- yajl's memory ---------------------------------------------------------
 * yajl 2.1 uses what its allocator returns without checking for NULL, so a
 * failing hook would crash it. Its requests go to the user's hooks; when one
 * fails, it is served from a reserve allocated up front and the builder
 * reports SSEKIT_E_NOMEM as soon as yajl returns. The reserve covers yajl's
 * setup (handle, lexer, its 2 KB buffer) and the growth of its state stack
 * within one parse call. */

typedef struct yj_mem {
    const ssekit_alloc_funcs *a;
    char *res;
    size_t res_cap;
    size_t res_used;
    int failed;
} yj_mem;

#define YJ_HDR 16 /* size header, keeps 16-byte alignment */

static size_t yj_reserve_size(size_t max_depth)
{
    return 3072 + 2 * (max_depth + 2 + 256) + 8 * YJ_HDR;
}

static void *yj_take(yj_mem *m, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (!m->res || m->res_cap - m->res_used < n)
        return NULL;
    void *p = m->res + m->res_used;
    m->res_used += n;
    return p;
}

static int yj_in_reserve(const yj_mem *m, const void *p)
{
    return m->res && (const char *)p >= m->res && (const char *)p < m->res + m->res_cap;
}

static void *yj_malloc(void *ctx, size_t n)
{
    yj_mem *m = ctx;
    if (n > SIZE_MAX - 2 * YJ_HDR)
        return NULL;
    char *h = sk_malloc(m->a, n + YJ_HDR);
    if (!h) {
        m->failed = 1;
        h = yj_take(m, n + YJ_HDR);
        if (!h)
            return NULL;
    }
    memcpy(h, &n, sizeof n);
    return h + YJ_HDR;
}

static void *yj_realloc(void *ctx, void *ptr, size_t n)
{
    yj_mem *m = ctx;
    if (!ptr)
        return yj_malloc(ctx, n);
    char *h = (char *)ptr - YJ_HDR;
    size_t old;
    memcpy(&old, h, sizeof old);
    if (yj_in_reserve(m, h) || n > SIZE_MAX - 2 * YJ_HDR) {
        char *q = yj_malloc(ctx, n);
        if (q)
            memcpy(q, ptr, old < n ? old : n);
        return q;
    }
    char *nh = sk_realloc(m->a, h, n + YJ_HDR);
    if (!nh) {
        m->failed = 1;
        nh = yj_take(m, n + YJ_HDR);
        if (!nh)
            return NULL;
        memcpy(nh + YJ_HDR, ptr, old < n ? old : n);
        sk_free(m->a, h);
    }
    memcpy(nh, &n, sizeof n);
    return nh + YJ_HDR;
}

static void yj_free(void *ctx, void *ptr)
{
    yj_mem *m = ctx;
    if (!ptr)
        return;
    char *h = (char *)ptr - YJ_HDR;
    if (!yj_in_reserve(m, h))
        sk_free(m->a, h);
}

/* ---- the builder ------------------------------------------------------------ */

#define SKEL_CAP 256

enum { LX_VALUE, LX_STRING, LX_NUMBER, LX_LITERAL };
enum { ST_NORMAL, ST_ESC, ST_U, ST_UTF8 };
enum { N_MINUS, N_ZERO, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP, N_END, N_BAD };

typedef struct frame {
    ssekit_json *node;
    size_t path_len; /* length of this container's own path */
} frame;

typedef struct pending_text {
    const char *p;
    size_t len;
} pending_text;

struct ssekit_partial {
    ssekit_alloc_funcs a;
    ssekit_partial_callbacks cb;
    void *user;
    int want_path;

    size_t max_depth, max_size, max_string;

    yajl_handle yh;
    yj_mem yj;
    yajl_alloc_funcs yaf;

    /* skeleton not yet given to yajl, and the document offset of the token
     * each byte stands for */
    unsigned char skel[SKEL_CAP];
    size_t skel_raw[SKEL_CAP];
    size_t skel_len;
    size_t probe_end; /* != 0: the token ending here only checks its position */
    /* the skeleton holds a token that changes the tree ({ } [ ] a value);
     * "," ":" and keys can wait for the next flush */
    int skel_visible;
    int want_string; /* flushing a string's opening: yajl must call y_string */
    pending_text numq[SKEL_CAP / 2];
    size_t numq_len, numq_head;

    /* lexer */
    int lx;
    const unsigned char *feed; /* the current feed, for offsets */
    size_t base;               /* document offset of feed[0] */
    size_t tok_start;          /* document offset of the current token */
    int s_state, s_hex;
    unsigned s_cp, s_high;
    size_t s_esc_off, s_high_off;
    unsigned char s_u8[4];
    int s_u8n, s_u8need;
    unsigned char s_u8lo, s_u8hi;
    int n_state;
    const char *l_word;
    size_t l_idx;
    /* The lexer's own view of the nesting, only to tell a key from a value
     * at an opening quote (exact for every valid beginning of a document;
     * yajl reports anything else before it matters). A key need not go to
     * yajl at once: it shows nothing. */
    unsigned char lx_prev; /* last of { [ , : or 'v' after a value */
    size_t lx_depth;
    uint64_t lx_kinds[SSEKIT_PARTIAL_MAX_DEPTH_LIMIT / 64 + 2]; /* 1 bit per level: object */

    /* text */
    sk_arena txt;
    char *open; /* the text being read (string, key, number), at the end of txt.cur */
    size_t open_len;

    /* tree */
    sk_arena mem;
    ssekit_json *root;
    frame *frames;
    size_t depth, frames_cap;
    ssekit_json *str_node; /* the open value string; NULL while a key is read */
    size_t str_notified;   /* bytes of it already reported */
    /* Keys in the order they closed. yajl reports a key (y_map_key) when
     * the skeleton is flushed, which may be before or after it closed; the
     * k-th key yajl reports is the k-th key read. At most the keys of one
     * skeleton wait here. */
    pending_text keyring[128];
    size_t keys_closed, keys_mapped;
    int doc_complete, finished, busy;
    sk_buf path;
    sk_buf raw;

    ssekit_partial_error err;
    char err_msg[128];
    char err_ctx[160];
};

#define OFF(b, p) ((b)->base + (size_t)((p) - (b)->feed))

static const char M_PREMATURE[] = "parse error: premature EOF";
static const char M_TRAILING[] = "parse error: trailing garbage";

/* ---- errors ------------------------------------------------------------- */

static void render_context(ssekit_partial *b, size_t off)
{
    const char *t = b->raw.p ? b->raw.p : "";
    size_t len = b->raw.len;
    if (off > len)
        off = len;
    size_t start = off >= 30 ? off - 30 : 0, end = off + 30 > len ? len : off + 30;
    size_t spaces = off < 30 ? 40 - off : 10, i = 0;
    char *o = b->err_ctx;
    for (; i < spaces; i++)
        o[i] = ' ';
    for (size_t k = start; k < end; k++)
        o[i++] = (unsigned char)t[k] < 0x20 ? ' ' : t[k];
    static const char arrow[] = "\n                     (right here) ------^";
    memcpy(o + i, arrow, sizeof arrow);
}

static int set_error(ssekit_partial *b, int status, size_t off, const char *msg)
{
    if (b->err.status)
        return b->err.status;
    b->err.status = status;
    b->err.offset = off;
    size_t n = strlen(msg);
    if (n >= sizeof b->err_msg)
        n = sizeof b->err_msg - 1;
    memcpy(b->err_msg, msg, n);
    b->err_msg[n] = 0;
    render_context(b, off);
    return status;
}

static int nomem(ssekit_partial *b)
{
    return set_error(b, SSEKIT_E_NOMEM, b->raw.len, "out of memory");
}

static int stopped(ssekit_partial *b)
{
    return set_error(b, SSEKIT_E_STOPPED, b->raw.len, "stopped by a callback");
}

/* ---- text ------------------------------------------------------------------ */

static int text_open(ssekit_partial *b)
{
    sk_block *bl = b->txt.cur;
    if (!bl || bl->cap - bl->used < 1) {
        bl = arena_add(&b->a, &b->txt, 1, TXT_BLOCK_MIN);
        if (!bl)
            return nomem(b);
    }
    b->open = BLOCK_DATA(bl) + bl->used;
    b->open_len = 0;
    b->open[0] = 0;
    return 0;
}

/* Appends to the open text; `err_off` is where a limit error is reported. */
static int flush(ssekit_partial *b);

/* A limit hit inside a token; an error in the tokens before it comes first. */
static int too_long(ssekit_partial *b, size_t off)
{
    int rc = flush(b);
    return rc ? rc : set_error(b, SSEKIT_E_TOO_LARGE, off, "string longer than the string limit");
}

/* Deltas are a few bytes: fixed-size copies beat a call to memcpy. */
static inline void copy_bytes(char *d, const void *src, size_t n)
{
    const char *s = src;
    if (n >= 8 && n <= 16) {
        memcpy(d, s, 8);
        memcpy(d + n - 8, s + n - 8, 8);
    } else if (n >= 4 && n < 8) {
        memcpy(d, s, 4);
        memcpy(d + n - 4, s + n - 4, 4);
    } else if (n >= 2 && n < 4) {
        memcpy(d, s, 2);
        memcpy(d + n - 2, s + n - 2, 2);
    } else if (n == 1) {
        *d = *s;
    } else if (n) {
        memcpy(d, s, n);
    }
}

static int text_add(ssekit_partial *b, const void *s, size_t n, size_t err_off)
{
    if (n > b->max_string - b->open_len)
        return too_long(b, err_off);
    sk_block *bl = b->txt.cur;
    size_t need = b->open_len + n + 1;
    if (bl->cap - bl->used < need) {
        /* Move the open text to a block twice its size: amortised O(1). */
        sk_block *nb = arena_add(&b->a, &b->txt, need * 2, TXT_BLOCK_MIN);
        if (!nb)
            return nomem(b);
        memcpy(BLOCK_DATA(nb), b->open, b->open_len);
        b->open = BLOCK_DATA(nb);
    }
    copy_bytes(b->open + b->open_len, s, n);
    b->open_len += n;
    b->open[b->open_len] = 0;
    return 0;
}

static pending_text text_close(ssekit_partial *b)
{
    pending_text t = {b->open, b->open_len};
    b->txt.cur->used = (size_t)(b->open - BLOCK_DATA(b->txt.cur)) + b->open_len + 1;
    b->open = NULL;
    b->open_len = 0;
    return t;
}

/* ---- paths and events ---------------------------------------------------- */

static const char *path_p(const ssekit_partial *b)
{
    return b->path.p ? b->path.p : "";
}

static int path_key(ssekit_partial *b, const char *k, size_t n)
{
    if (sk_buf_reserve(&b->a, &b->path, 1 + 2 * n))
        return nomem(b);
    char *o = b->path.p + b->path.len;
    *o++ = '/';
    for (size_t i = 0; i < n; i++) {
        if (k[i] == '~') {
            *o++ = '~';
            *o++ = '0';
        } else if (k[i] == '/') {
            *o++ = '~';
            *o++ = '1';
        } else {
            *o++ = k[i];
        }
    }
    b->path.len = (size_t)(o - b->path.p);
    return 0;
}

static int path_index(ssekit_partial *b, size_t idx)
{
    char tmp[24];
    size_t n = sizeof tmp;
    do {
        tmp[--n] = (char)('0' + idx % 10);
        idx /= 10;
    } while (idx);
    tmp[--n] = '/';
    if (sk_buf_append(&b->a, &b->path, tmp + n, sizeof tmp - n))
        return nomem(b);
    return 0;
}

static int emit_patch(ssekit_partial *b, ssekit_json_patch_op op, const ssekit_json *v,
                      const char *text, size_t text_len, size_t path_len)
{
    ssekit_json_patch pt = {op, path_p(b), path_len, v, text, text_len};
    return b->cb.on_patch(b->user, &pt) ? stopped(b) : 0;
}

static int ev_start(ssekit_partial *b, ssekit_json *n)
{
    if (b->cb.on_value_start &&
        b->cb.on_value_start(b->user, path_p(b), b->path.len, (ssekit_json_type)n->type, n))
        return stopped(b);
    if (b->cb.on_patch)
        return emit_patch(b, SSEKIT_PATCH_ADD, n, NULL, 0, b->path.len);
    return 0;
}

/* The path buffer holds n's path; n is complete. */
static int ev_complete(ssekit_partial *b, ssekit_json *n)
{
    if (b->cb.on_value_complete && b->cb.on_value_complete(b->user, path_p(b), b->path.len, n))
        return stopped(b);
    if (b->cb.on_patch && n->type >= SSEKIT_JSON_STRING) {
        int rc = emit_patch(b, SSEKIT_PATCH_COMPLETE, n, NULL, 0, b->path.len);
        if (rc)
            return rc;
    }
    if (b->depth) {
        const frame *f = &b->frames[b->depth - 1];
        if (f->node->type == SSEKIT_JSON_ARRAY && b->cb.on_element_complete &&
            b->cb.on_element_complete(b->user, path_p(b), f->path_len, f->node->u.kids.count - 1))
            return stopped(b);
    } else {
        b->doc_complete = 1;
        if (b->cb.on_document_complete && b->cb.on_document_complete(b->user, b->root))
            return stopped(b);
    }
    return 0;
}

/* Reports the text added to the open string since the last report. */
static int string_sync(ssekit_partial *b)
{
    ssekit_json *n = b->str_node;
    if (!b->open) /* the open text could not be allocated (NOMEM) */
        return 0;
    n->u.text.p = b->open;
    n->u.text.len = b->open_len;
    if (b->open_len == b->str_notified)
        return 0;
    const char *t = b->open + b->str_notified;
    size_t tn = b->open_len - b->str_notified;
    b->str_notified = b->open_len;
    if (b->cb.on_string_append && b->cb.on_string_append(b->user, path_p(b), b->path.len, t, tn))
        return stopped(b);
    if (b->cb.on_patch)
        return emit_patch(b, SSEKIT_PATCH_APPEND, n, t, tn, b->path.len);
    return 0;
}

/* ---- tree (driven by yajl's callbacks) ------------------------------------ */

/* Document offset of the token yajl is reporting: the callback comes right
 * after yajl consumed the token's last skeleton byte. */
static size_t cur_raw(ssekit_partial *b)
{
    size_t k = yajl_get_bytes_consumed(b->yh);
    return b->skel_raw[k ? k - 1 : 0];
}

static int is_probe(ssekit_partial *b)
{
    return b->probe_end && yajl_get_bytes_consumed(b->yh) == b->probe_end;
}

static int kids_push(ssekit_partial *b, ssekit_json *parent, ssekit_json *child)
{
    size_t n = parent->u.kids.count, cap = parent->u.kids.cap;
    if (n == cap) {
        size_t ncap = cap ? cap * 2 : 4;
        ssekit_json **items = parent->u.kids.items;
        sk_block *bl = b->mem.cur;
        size_t extra = (ncap - cap) * sizeof *items;
        if (items && (char *)(items + cap) == BLOCK_DATA(bl) + bl->used &&
            bl->cap - bl->used >= extra) {
            bl->used += extra; /* the array is the arena's last allocation: grow in place */
        } else {
            if (ncap > SIZE_MAX / sizeof *items)
                return nomem(b);
            ssekit_json **ni = mem_alloc(&b->a, &b->mem, ncap * sizeof *items);
            if (!ni)
                return nomem(b);
            if (n)
                memcpy(ni, items, n * sizeof *items);
            parent->u.kids.items = ni;
        }
        parent->u.kids.cap = ncap;
    }
    parent->u.kids.items[n] = child;
    parent->u.kids.count = n + 1;
    return 0;
}

/* Creates a node for the value at hand and links it into the tree; the path
 * buffer then holds its path. */
static int attach(ssekit_partial *b, ssekit_json_type type, size_t raw, ssekit_json **out)
{
    if (!b->depth && b->root)
        return set_error(b, SSEKIT_E_JSON, raw, M_TRAILING);
    ssekit_json *n = mem_alloc(&b->a, &b->mem, sizeof *n);
    if (!n)
        return nomem(b);
    memset(n, 0, sizeof *n);
    n->type = (unsigned char)type;
    if (type == SSEKIT_JSON_STRING) {
        n->u.text.p = "";
    } else if (type == SSEKIT_JSON_NUMBER) {
        n->u.text.p = b->numq[b->numq_head].p;
        n->u.text.len = b->numq[b->numq_head].len;
    }
    if (!b->depth) {
        b->root = n;
        b->path.len = 0;
    } else {
        frame *f = &b->frames[b->depth - 1];
        ssekit_json *parent = f->node;
        if (parent->type == SSEKIT_JSON_OBJECT) {
            pending_text k = b->keyring[(b->keys_mapped - 1) & 127];
            n->key = k.p;
            n->key_len = k.len;
        }
        /* The path first: a node becomes visible only when nothing can fail
         * any more, so an allocation failure never leaves a half-made node
         * (a string without text, a number without its literal) in the tree. */
        int rc = 0;
        if (b->want_path) {
            b->path.len = f->path_len;
            rc = parent->type == SSEKIT_JSON_OBJECT ? path_key(b, n->key, n->key_len)
                                                    : path_index(b, parent->u.kids.count);
            if (rc)
                return rc;
        }
        rc = kids_push(b, parent, n);
        if (rc)
            return rc;
    }
    *out = n;
    return 0;
}

static int add_scalar(ssekit_partial *b, ssekit_json_type type, int boolean)
{
    size_t raw = cur_raw(b);
    if (is_probe(b)) /* only checking that a value may stand here */
        return (!b->depth && b->root) ? (set_error(b, SSEKIT_E_JSON, raw, M_TRAILING), 0) : 1;
    ssekit_json *n;
    if (attach(b, type, raw, &n))
        return 0;
    n->complete = 1;
    if (type == SSEKIT_JSON_NUMBER) {
        pending_text t = b->numq[b->numq_head++];
        n->u.text.p = t.p;
        n->u.text.len = t.len;
    } else {
        n->u.boolean = boolean;
    }
    return !ev_start(b, n) && !ev_complete(b, n);
}

static int y_null(void *ctx)
{
    return add_scalar(ctx, SSEKIT_JSON_NULL, 0);
}

static int y_boolean(void *ctx, int v)
{
    return add_scalar(ctx, SSEKIT_JSON_BOOL, v);
}

static int y_number(void *ctx, const char *s, size_t len)
{
    (void)s;
    (void)len;
    return add_scalar(ctx, SSEKIT_JSON_NUMBER, 0);
}

static int y_string(void *ctx, const unsigned char *s, size_t len)
{
    ssekit_partial *b = ctx;
    (void)s;
    (void)len;
    if (!b->want_string) /* cannot happen: see lx_prev */
        return set_error(b, SSEKIT_E_JSON, cur_raw(b), "parse error: internal key/value mismatch"),
               0;
    ssekit_json *n;
    if (attach(b, SSEKIT_JSON_STRING, cur_raw(b), &n))
        return 0;
    n->u.text.p = "";
    b->str_node = n;
    b->str_notified = 0;
    return !ev_start(b, n);
}

static int y_map_key(void *ctx, const unsigned char *s, size_t len)
{
    ssekit_partial *b = ctx;
    (void)s;
    (void)len;
    b->keys_mapped++;
    b->str_node = NULL;
    return 1;
}

static int start_container(ssekit_partial *b, ssekit_json_type type)
{
    size_t raw = cur_raw(b);
    if (b->depth >= b->max_depth) {
        set_error(b, SSEKIT_E_TOO_DEEP, raw, "nesting deeper than the depth limit");
        return 0;
    }
    if (b->depth == b->frames_cap) {
        size_t ncap = b->frames_cap ? b->frames_cap * 2 : 16;
        frame *f = sk_realloc(&b->a, b->frames, ncap * sizeof *f);
        if (!f)
            return nomem(b), 0;
        b->frames = f;
        b->frames_cap = ncap;
    }
    ssekit_json *n;
    if (attach(b, type, raw, &n))
        return 0;
    b->frames[b->depth].node = n;
    b->frames[b->depth].path_len = b->path.len;
    b->depth++;
    return !ev_start(b, n);
}

static int end_container(ssekit_partial *b)
{
    frame *f = &b->frames[--b->depth];
    f->node->complete = 1;
    b->path.len = b->want_path ? f->path_len : 0;
    return !ev_complete(b, f->node);
}

static int y_start_map(void *ctx)
{
    return start_container(ctx, SSEKIT_JSON_OBJECT);
}

static int y_start_array(void *ctx)
{
    return start_container(ctx, SSEKIT_JSON_ARRAY);
}

static int y_end(void *ctx)
{
    return end_container(ctx);
}

static const yajl_callbacks y_callbacks = {y_null,   y_boolean,     NULL,        NULL,
                                           y_number, y_string,      y_start_map, y_map_key,
                                           y_end,    y_start_array, y_end};

/* ---- skeleton ------------------------------------------------------------ */

static int flush(ssekit_partial *b)
{
    size_t n = b->skel_len;
    if (!n)
        return 0;
    yajl_status st = yajl_parse(b->yh, b->skel, n);
    b->numq_len = b->numq_head = 0;
    b->probe_end = 0;
    b->skel_len = 0;
    b->skel_visible = 0;
    if (st == yajl_status_ok)
        return b->yj.failed ? nomem(b) : 0;
    if (st == yajl_status_client_canceled || b->err.status)
        return b->err.status ? b->err.status : nomem(b);
    /* A parse error (the skeleton is always lexically valid). yajl stops
     * right after the offending token, or, for "after key and value" errors,
     * steps back to its start -- which is then preceded by the separator
     * space of the token before. */
    size_t k = yajl_get_bytes_consumed(b->yh);
    size_t pos = (k > 0 && b->skel[k - 1] != ' ') ? k - 1 : k;
    if (pos >= n)
        pos = n - 1;
    size_t raw = b->skel_raw[pos];
    const char *msg = M_TRAILING;
    unsigned char *ytext = NULL;
    if (!(b->doc_complete && !b->depth)) {
        ytext = yajl_get_error(b->yh, 0, b->skel, n);
        msg = ytext ? (const char *)ytext : "parse error";
    }
    char tmp[128];
    size_t ml = strlen(msg);
    if (ml >= sizeof tmp)
        ml = sizeof tmp - 1;
    memcpy(tmp, msg, ml);
    while (ml && (tmp[ml - 1] == '\n' || tmp[ml - 1] == ' '))
        ml--;
    tmp[ml] = 0;
    if (ytext)
        yajl_free_error(b->yh, ytext);
    return set_error(b, SSEKIT_E_JSON, raw, tmp);
}

/* Appends one token (and its separator space) standing for text that
 * starts at document offset `raw`. */
static int emit(ssekit_partial *b, const char *tok, size_t n, size_t raw, int visible)
{
    if (b->skel_len + n + 1 > SKEL_CAP) {
        int rc = flush(b);
        if (rc)
            return rc;
    }
    unsigned char *o = b->skel + b->skel_len;
    size_t *r = b->skel_raw + b->skel_len;
    for (size_t i = 0; i < n; i++) {
        o[i] = (unsigned char)tok[i];
        r[i] = raw;
    }
    o[n] = ' ';
    r[n] = raw;
    b->skel_len += n + 1;
    b->skel_visible |= visible;
    return 0;
}

/* Gives yajl a stand-in for the token being read, to learn whether a value
 * may start there, before reporting a lexical error inside that token. */
static int emit_probe(ssekit_partial *b, const char *tok, size_t n)
{
    int rc = emit(b, tok, n, b->tok_start, 1);
    if (!rc)
        b->probe_end = b->skel_len - 1;
    return rc;
}

/* A lexical error at document offset `off`, unless the tokens before it
 * already hold an earlier one. */
static int lex_error(ssekit_partial *b, size_t off, const char *msg)
{
    int rc = flush(b);
    if (rc)
        return rc;
    if (b->doc_complete && !b->depth && b->lx == LX_VALUE)
        msg = M_TRAILING;
    return set_error(b, SSEKIT_E_JSON, off, msg);
}

/* ---- strings --------------------------------------------------------------- */

/* 0: plain byte; 1: '"', '\\' or a control character; 2: non-ASCII. */
static const unsigned char str_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};

static const char M_UTF8[] = "lexical error: invalid bytes in UTF8 string.";
static const unsigned char FFFD[3] = {0xEF, 0xBF, 0xBD};

/* RFC 3629 UTF-8 at p (p[0] >= 0x80): the length of a complete valid
 * sequence; 0 when valid so far but cut by `end`; -(i+1) when p[i] is the
 * first byte that makes it invalid. Sets the allowed range of the second
 * byte in *lo and *hi, and the length in *need. */
static int utf8_check(const unsigned char *p, const unsigned char *end, int *need,
                      unsigned char *lo, unsigned char *hi)
{
    unsigned char c = p[0];
    *lo = 0x80;
    *hi = 0xBF;
    if (c < 0xC2)
        return -1;
    if (c < 0xE0) {
        *need = 2;
    } else if (c < 0xF0) {
        *need = 3;
        if (c == 0xE0)
            *lo = 0xA0;
        else if (c == 0xED)
            *hi = 0x9F;
    } else if (c < 0xF5) {
        *need = 4;
        if (c == 0xF0)
            *lo = 0x90;
        else if (c == 0xF4)
            *hi = 0x8F;
    } else {
        return -1;
    }
    for (int i = 1; i < *need; i++) {
        if (p + i >= end)
            return 0;
        unsigned char x = p[i];
        if (i == 1 ? (x < *lo || x > *hi) : (x < 0x80 || x > 0xBF))
            return -(i + 1);
    }
    return *need;
}

/* Appends a run copied verbatim; a limit error names the first byte of the
 * character that does not fit. */
static int add_run(ssekit_partial *b, const unsigned char *run, size_t n)
{
    if (n > b->max_string - b->open_len) {
        size_t k = b->max_string - b->open_len;
        while (k > 0 && (run[k] & 0xC0) == 0x80)
            k--;
        /* keep what fits, so the tree at the error does not depend on how
         * the text was split */
        if (k && text_add(b, run, k, 0))
            return b->err.status;
        return too_long(b, OFF(b, run + k));
    }
    return text_add(b, run, n, 0);
}

static int add_cp(ssekit_partial *b, unsigned cp, size_t off)
{
    unsigned char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | cp >> 6);
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | cp >> 12);
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | cp >> 18);
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return text_add(b, u, n, off);
}

/* An unpaired surrogate half becomes U+FFFD. */
static int drop_high(ssekit_partial *b)
{
    b->s_high = 0;
    return text_add(b, FFFD, 3, b->s_high_off);
}

static int got_codepoint(ssekit_partial *b)
{
    unsigned cp = b->s_cp;
    int rc;
    if (b->s_high) {
        if (cp >= 0xDC00 && cp <= 0xDFFF) {
            unsigned full = 0x10000 + ((b->s_high - 0xD800) << 10) + (cp - 0xDC00);
            b->s_high = 0;
            return add_cp(b, full, b->s_high_off);
        }
        if ((rc = drop_high(b)))
            return rc;
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        b->s_high = cp; /* wait for its low half; show nothing yet */
        b->s_high_off = b->s_esc_off;
        return 0;
    }
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return text_add(b, FFFD, 3, b->s_esc_off);
    return add_cp(b, cp, b->s_esc_off);
}

static int string_close(ssekit_partial *b)
{
    int rc;
    b->lx = LX_VALUE;
    b->lx_prev = 'v';
    if (b->str_node) {
        ssekit_json *n = b->str_node;
        if ((rc = string_sync(b)))
            return rc;
        text_close(b);
        n->complete = 1;
        b->str_node = NULL;
        return ev_complete(b, n);
    }
    b->keyring[b->keys_closed++ & 127] = text_close(b);
    return 0;
}

/* One byte in the states that need care: after '\', inside \uXXXX, inside
 * a UTF-8 sequence cut by a feed, or after a high surrogate escape. May
 * leave the byte unconsumed for the fast path. */
static int string_slow(ssekit_partial *b, const unsigned char **pp)
{
    const unsigned char *p = *pp;
    unsigned char c = *p;
    int rc = 0;
    switch (b->s_state) {
    case ST_NORMAL: /* a high surrogate is pending */
        if (c == '\\') {
            b->s_state = ST_ESC;
            b->s_esc_off = OFF(b, p);
            *pp = p + 1;
            return 0;
        }
        return drop_high(b);
    case ST_ESC: {
        if (c == 'u') {
            b->s_state = ST_U;
            b->s_hex = 0;
            b->s_cp = 0;
            *pp = p + 1;
            return 0;
        }
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *e = c ? strchr(from, c) : NULL;
        if (!e)
            return lex_error(
                b, OFF(b, p),
                "lexical error: inside a string, '\\' occurs before a character which it may not.");
        if (b->s_high && (rc = drop_high(b)))
            return rc;
        b->s_state = ST_NORMAL;
        *pp = p + 1;
        return text_add(b, &to[e - from], 1, b->s_esc_off);
    }
    case ST_U: {
        unsigned h = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (h == 16)
            return lex_error(
                b, OFF(b, p),
                "lexical error: invalid (non-hex) character occurs after '\\u' inside string.");
        b->s_cp = b->s_cp << 4 | h;
        *pp = p + 1;
        if (++b->s_hex < 4)
            return 0;
        b->s_state = ST_NORMAL;
        return got_codepoint(b);
    }
    default: { /* ST_UTF8 */
        int i = b->s_u8n;
        if (i == 1 ? (c < b->s_u8lo || c > b->s_u8hi) : (c < 0x80 || c > 0xBF))
            return lex_error(b, OFF(b, p), M_UTF8);
        b->s_u8[b->s_u8n++] = c;
        *pp = p + 1;
        if (b->s_u8n < b->s_u8need)
            return 0;
        b->s_state = ST_NORMAL;
        return text_add(b, b->s_u8, (size_t)b->s_u8need, b->s_esc_off);
    }
    }
}

static int lex_string(ssekit_partial *b, const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    int rc;
    while (p < end) {
        if (b->s_state != ST_NORMAL || b->s_high) {
            rc = string_slow(b, &p);
            if (rc)
                return rc;
            continue;
        }
        const unsigned char *run = p;
        int need = 0, u8 = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        while (p < end) {
            unsigned char cls = str_class[*p];
            if (!cls) {
                p++;
            } else if (cls == 2 && (u8 = utf8_check(p, end, &need, &lo, &hi)) > 0) {
                p += u8;
            } else {
                break;
            }
        }
        if (p > run && (rc = add_run(b, run, (size_t)(p - run))))
            return rc;
        if (p == end)
            break;
        unsigned char c = *p;
        if (c == '"') {
            *pp = p + 1;
            return string_close(b);
        }
        if (c == '\\') {
            b->s_state = ST_ESC;
            b->s_esc_off = OFF(b, p);
            p++;
            continue;
        }
        if (c < 0x20)
            return lex_error(b, OFF(b, p), "lexical error: invalid character inside string.");
        if (u8 < 0)
            return lex_error(b, OFF(b, p) + (size_t)(-u8 - 1), M_UTF8);
        /* A valid sequence cut by the end of the feed: hold it back. */
        b->s_state = ST_UTF8;
        b->s_esc_off = OFF(b, p);
        b->s_u8need = need;
        b->s_u8lo = lo;
        b->s_u8hi = hi;
        b->s_u8n = (int)(end - p);
        memcpy(b->s_u8, p, (size_t)(end - p));
        p = end;
    }
    *pp = p;
    return 0;
}

/* ---- numbers and literals ------------------------------------------------ */

static int num_next(int st, unsigned char c)
{
    int d = c >= '0' && c <= '9', e = c == 'e' || c == 'E';
    switch (st) {
    case N_MINUS:
        return c == '0' ? N_ZERO : d ? N_INT : N_BAD;
    case N_ZERO:
        return c == '.' ? N_DOT : e ? N_E : N_END;
    case N_INT:
        return d ? N_INT : c == '.' ? N_DOT : e ? N_E : N_END;
    case N_DOT:
        return d ? N_FRAC : N_BAD;
    case N_FRAC:
        return d ? N_FRAC : e ? N_E : N_END;
    case N_E:
        return (c == '+' || c == '-') ? N_ESIGN : d ? N_EXP : N_BAD;
    case N_ESIGN:
        return d ? N_EXP : N_BAD;
    default:
        return d ? N_EXP : N_END;
    }
}

static const char *num_message(int st)
{
    switch (st) {
    case N_MINUS:
        return "lexical error: malformed number, a digit is required after the minus sign.";
    case N_DOT:
        return "lexical error: malformed number, a digit is required after the decimal point.";
    default:
        return "lexical error: malformed number, a digit is required after the exponent.";
    }
}

static int num_complete(int st)
{
    return st == N_ZERO || st == N_INT || st == N_FRAC || st == N_EXP;
}

/* The literal is complete: queue it for yajl's number callback. */
static int num_finish(ssekit_partial *b)
{
    pending_text t = text_close(b);
    int rc = emit(b, "0", 1, b->tok_start, 1);
    if (rc)
        return rc;
    b->numq[b->numq_len++] = t;
    b->lx = LX_VALUE;
    b->lx_prev = 'v';
    return 0;
}

static int lex_number(ssekit_partial *b, const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp, *run = p;
    int st = b->n_state, rc;
    for (; p < end; p++) {
        int nx = num_next(st, *p);
        if (nx == N_END || nx == N_BAD)
            break;
        st = nx;
    }
    b->n_state = st;
    if (p > run && (rc = text_add(b, run, (size_t)(p - run), b->tok_start)))
        return rc;
    *pp = p;
    if (p == end)
        return 0;
    if (num_complete(st) && num_next(st, *p) == N_END)
        return num_finish(b);
    if ((rc = emit_probe(b, "0", 1)))
        return rc;
    return lex_error(b, OFF(b, p), num_message(st));
}

static int lex_literal(ssekit_partial *b, const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    int rc;
    for (; p < end; p++) {
        if (*p != (unsigned char)b->l_word[b->l_idx]) {
            *pp = p;
            if ((rc = emit_probe(b, b->l_word, strlen(b->l_word))))
                return rc;
            return lex_error(b, OFF(b, p), "lexical error: invalid string in json text.");
        }
        if (!b->l_word[++b->l_idx]) {
            *pp = p + 1;
            b->lx = LX_VALUE;
            b->lx_prev = 'v';
            return emit(b, b->l_word, b->l_idx, b->tok_start, 1);
        }
    }
    *pp = p;
    return 0;
}

/* ---- between tokens --------------------------------------------------------- */

static int lex_value(ssekit_partial *b, const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    int rc;
    for (; p < end; p++) {
        unsigned char c = *p;
        switch (c) {
        case ' ':
        case '\t':
        case '\n':
        case '\r':
            continue;
        case '{':
        case '[':
            if (b->lx_depth < sizeof b->lx_kinds * 8) {
                uint64_t bit = (uint64_t)1 << (b->lx_depth % 64);
                if (c == '{')
                    b->lx_kinds[b->lx_depth / 64] |= bit;
                else
                    b->lx_kinds[b->lx_depth / 64] &= ~bit;
            }
            b->lx_depth++;
            b->lx_prev = c;
            if ((rc = emit(b, (const char *)p, 1, OFF(b, p), 1)))
                return rc;
            continue;
        case '}':
        case ']':
            b->lx_depth -= b->lx_depth > 0;
            b->lx_prev = 'v';
            if ((rc = emit(b, (const char *)p, 1, OFF(b, p), 1)))
                return rc;
            continue;
        case ',':
        case ':':
            b->lx_prev = c;
            if ((rc = emit(b, (const char *)p, 1, OFF(b, p), 0)))
                return rc;
            continue;
        case '"': {
            size_t d = b->lx_depth - 1;
            int key = b->lx_prev == '{' ||
                      (b->lx_prev == ',' && b->lx_depth && d < sizeof b->lx_kinds * 8 &&
                       (b->lx_kinds[d / 64] >> (d % 64) & 1));
            if ((rc = emit(b, "\"\"", 2, OFF(b, p), !key)))
                return rc;
            if (key) {
                b->str_node = NULL;
            } else {
                /* yajl must see a value string now: its node has to exist
                 * before the first character. */
                b->want_string = 1;
                rc = flush(b);
                b->want_string = 0;
                if (rc)
                    return rc;
            }
            if ((rc = text_open(b)))
                return rc;
            if (b->str_node)
                b->str_node->u.text.p = b->open;
            b->lx = LX_STRING;
            b->s_state = ST_NORMAL;
            b->s_high = 0;
            *pp = p + 1;
            return 0;
        }
        case 't':
        case 'f':
        case 'n':
            b->l_word = c == 't' ? "true" : c == 'f' ? "false" : "null";
            b->l_idx = 1;
            b->tok_start = OFF(b, p);
            b->lx = LX_LITERAL;
            *pp = p + 1;
            return 0;
        default:
            if (c == '-' || (c >= '0' && c <= '9')) {
                b->tok_start = OFF(b, p);
                b->n_state = c == '-' ? N_MINUS : c == '0' ? N_ZERO : N_INT;
                if ((rc = text_open(b)) || (rc = text_add(b, p, 1, b->tok_start)))
                    return rc;
                b->lx = LX_NUMBER;
                *pp = p + 1;
                return 0;
            }
            *pp = p;
            return lex_error(b, OFF(b, p),
                             c == '/' ? "lexical error: probable comment found in input text, "
                                        "comments are not enabled."
                                      : "lexical error: invalid char in json text.");
        }
    }
    *pp = p;
    return 0;
}

static int lex(ssekit_partial *b, const unsigned char *p, const unsigned char *end)
{
    int rc = 0;
    while (p < end && !rc) {
        switch (b->lx) {
        case LX_STRING:
            rc = lex_string(b, &p, end);
            break;
        case LX_NUMBER:
            rc = lex_number(b, &p, end);
            break;
        case LX_LITERAL:
            rc = lex_literal(b, &p, end);
            break;
        default:
            rc = lex_value(b, &p, end);
            break;
        }
    }
    return rc;
}

/* ---- public API -------------------------------------------------------------- */

static int make_yajl(ssekit_partial *b)
{
    b->yj.res_used = 0;
    b->yj.failed = 0;
    b->yh = yajl_alloc(&y_callbacks, &b->yaf, b);
    if (b->yh) {
        /* Another value after the root is reported by the builder itself, at
         * its first byte, rather than by yajl after it. */
        yajl_config(b->yh, yajl_allow_multiple_values, 1);
        /* Let yajl allocate its lexer now, where a failure can be reported. */
        yajl_parse(b->yh, (const unsigned char *)"", 0);
    }
    if (!b->yh || b->yj.failed) {
        if (b->yh)
            yajl_free(b->yh);
        b->yh = NULL;
        b->yj.res_used = 0;
        return SSEKIT_E_NOMEM;
    }
    return 0;
}

static int reserve_fit(ssekit_partial *b, size_t max_depth)
{
    size_t need = yj_reserve_size(max_depth);
    if (b->yj.res_cap >= need)
        return 0;
    if (b->yj.res_used)
        return SSEKIT_E_STATE; /* yajl still holds reserve memory; see reset */
    char *r = b->yj.res ? sk_realloc(&b->a, b->yj.res, need) : sk_malloc(&b->a, need);
    if (!r)
        return SSEKIT_E_NOMEM;
    b->yj.res = r;
    b->yj.res_cap = need;
    return 0;
}

static void clear_document(ssekit_partial *b)
{
    arena_reset(&b->a, &b->mem);
    arena_reset(&b->a, &b->txt);
    b->open = NULL;
    b->open_len = 0;
    b->root = NULL;
    b->depth = 0;
    b->str_node = NULL;
    b->str_notified = 0;
    b->keys_closed = b->keys_mapped = 0;
    b->doc_complete = b->finished = 0;
    b->lx = LX_VALUE;
    b->skel_len = b->numq_len = b->numq_head = b->probe_end = 0;
    b->skel_visible = b->want_string = 0;
    b->lx_prev = 0;
    b->lx_depth = 0;
    b->s_state = ST_NORMAL;
    b->s_high = 0;
    b->path.len = 0;
    b->raw.len = 0;
    b->err.status = SSEKIT_OK;
    b->err.offset = 0;
    b->err_msg[0] = 0;
    b->err_ctx[0] = 0;
}

ssekit_partial *ssekit_partial_new(const ssekit_partial_callbacks *cb, void *user,
                                   const ssekit_alloc_funcs *alloc)
{
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, alloc);
    ssekit_partial *b = sk_malloc(&a, sizeof *b);
    if (!b)
        return NULL;
    memset(b, 0, sizeof *b);
    b->a = a;
    if (cb)
        b->cb = *cb;
    b->user = user;
    b->want_path = b->cb.on_value_start || b->cb.on_string_append || b->cb.on_value_complete ||
                   b->cb.on_element_complete || b->cb.on_patch;
    b->max_depth = SSEKIT_PARTIAL_DEFAULT_MAX_DEPTH;
    b->max_size = SSEKIT_PARTIAL_DEFAULT_MAX_SIZE;
    b->max_string = SSEKIT_PARTIAL_DEFAULT_MAX_STRING;
    b->err.message = b->err_msg;
    b->err.context = b->err_ctx;
    b->yj.a = &b->a;
    b->yaf.malloc = yj_malloc;
    b->yaf.realloc = yj_realloc;
    b->yaf.free = yj_free;
    b->yaf.ctx = &b->yj;
    if (reserve_fit(b, b->max_depth) || make_yajl(b)) {
        ssekit_partial_free(b);
        return NULL;
    }
    return b;
}

void ssekit_partial_free(ssekit_partial *b)
{
    if (!b)
        return;
    if (b->yh)
        yajl_free(b->yh);
    sk_free(&b->a, b->yj.res);
    arena_free(&b->a, &b->mem);
    arena_free(&b->a, &b->txt);
    sk_free(&b->a, b->frames);
    sk_buf_free(&b->a, &b->path);
    sk_buf_free(&b->a, &b->raw);
    ssekit_alloc_funcs a = b->a;
    sk_free(&a, b);
}

void ssekit_partial_reset(ssekit_partial *b)
{
    if (!b || b->busy)
        return;
    /* yajl has no reset; it can be kept only when it stands between two
     * values (the last document was complete and nothing failed). */
    int keep = b->yh && b->doc_complete && !b->depth && !b->err.status && !b->skel_len &&
               b->lx == LX_VALUE;
    clear_document(b);
    if (keep)
        return;
    if (b->yh)
        yajl_free(b->yh);
    b->yh = NULL;
    b->yj.res_used = 0;
    if (reserve_fit(b, b->max_depth) || make_yajl(b))
        set_error(b, SSEKIT_E_NOMEM, 0, "out of memory");
}

/* After an error the open string shows all the text before the error
 * (without events), whatever the split. */
static void keep_open_string(ssekit_partial *b)
{
    if (b->lx == LX_STRING && b->str_node && b->open) {
        b->str_node->u.text.p = b->open;
        b->str_node->u.text.len = b->open_len;
    }
}

int ssekit_partial_feed(ssekit_partial *b, const char *text, size_t len)
{
    if (!b || (!text && len))
        return SSEKIT_E_INVALID;
    if (b->busy)
        return SSEKIT_E_STATE;
    if (b->err.status)
        return b->err.status;
    if (b->finished)
        return SSEKIT_E_STATE;
    if (!len)
        return 0;
    size_t room = b->raw.len < b->max_size ? b->max_size - b->raw.len : 0;
    size_t n = len < room ? len : room;
    if (b->raw.cap - b->raw.len <= n && sk_buf_grow(&b->a, &b->raw, n))
        return nomem(b);
    copy_bytes(b->raw.p + b->raw.len, text, n);
    b->raw.len += n;
    b->busy = 1;
    b->feed = (const unsigned char *)text;
    b->base = b->raw.len - n;
    int rc = lex(b, b->feed, b->feed + n);
    if (!rc && b->skel_visible)
        rc = flush(b);
    if (!rc && b->lx == LX_STRING && b->str_node)
        rc = string_sync(b);
    if (!rc && n < len)
        rc = set_error(b, SSEKIT_E_TOO_LARGE, b->max_size, "document larger than the size limit");
    if (rc)
        keep_open_string(b);
    b->busy = 0;
    return rc;
}

int ssekit_partial_finish(ssekit_partial *b)
{
    if (!b)
        return SSEKIT_E_INVALID;
    if (b->busy)
        return SSEKIT_E_STATE;
    if (b->err.status)
        return b->err.status;
    if (b->finished)
        return 0;
    b->busy = 1;
    size_t end = b->raw.len;
    int rc = 0;
    if (b->lx == LX_NUMBER) {
        if (num_complete(b->n_state))
            rc = num_finish(b);
        else if (!(rc = emit_probe(b, "0", 1)))
            rc = lex_error(b, end, num_message(b->n_state));
    } else if (b->lx == LX_LITERAL) {
        if (!(rc = emit_probe(b, b->l_word, strlen(b->l_word))))
            rc = lex_error(b, end, M_PREMATURE);
    } else if (b->lx == LX_STRING) {
        rc = lex_error(b, end, M_PREMATURE);
    }
    if (!rc)
        rc = flush(b);
    if (!rc && !b->doc_complete)
        rc = set_error(b, SSEKIT_E_JSON, end, M_PREMATURE);
    if (!rc)
        b->finished = 1;
    else
        keep_open_string(b);
    b->busy = 0;
    return rc;
}

const ssekit_json *ssekit_partial_root(const ssekit_partial *b)
{
    return b ? b->root : NULL;
}

int ssekit_partial_is_complete(const ssekit_partial *b)
{
    return b ? b->doc_complete : 0;
}

int ssekit_partial_set_max_depth(ssekit_partial *b, size_t depth)
{
    if (!b || depth < 1 || depth > SSEKIT_PARTIAL_MAX_DEPTH_LIMIT)
        return SSEKIT_E_INVALID;
    int rc = reserve_fit(b, depth);
    if (rc)
        return rc;
    b->max_depth = depth;
    return 0;
}

int ssekit_partial_set_max_size(ssekit_partial *b, size_t bytes)
{
    if (!b || bytes < 1)
        return SSEKIT_E_INVALID;
    b->max_size = bytes;
    return 0;
}

int ssekit_partial_set_max_string(ssekit_partial *b, size_t bytes)
{
    if (!b || bytes < 1)
        return SSEKIT_E_INVALID;
    b->max_string = bytes;
    return 0;
}

const ssekit_partial_error *ssekit_partial_last_error(const ssekit_partial *b)
{
    return b ? &b->err : NULL;
}

const char *ssekit_partial_text(const ssekit_partial *b, size_t *len)
{
    if (len)
        *len = b ? b->raw.len : 0;
    return b && b->raw.p ? b->raw.p : "";
}

int ssekit_partial_snapshot(const ssekit_partial *b, ssekit_json_write_fn out, void *ctx)
{
    if (!b || !out)
        return SSEKIT_E_INVALID;
    return ssekit_json_write(b->root, out, ctx);
}

int ssekit_json_patch_write(const ssekit_json_patch *pt, ssekit_json_write_fn out, void *ctx)
{
    if (!pt || !out)
        return SSEKIT_E_INVALID;
    sk_jw w;
    sk_jw_init(&w, out, ctx);
    static const char *const ops[] = {"{\"op\":\"add\",\"path\":", "{\"op\":\"append\",\"path\":",
                                      "{\"op\":\"complete\",\"path\":"};
    if ((unsigned)pt->op > SSEKIT_PATCH_COMPLETE)
        return SSEKIT_E_INVALID;
    sk_jw_raw(&w, ops[pt->op], strlen(ops[pt->op]));
    sk_jw_string(&w, pt->path ? pt->path : "", pt->path ? pt->path_len : 0);
    if (pt->op == SSEKIT_PATCH_ADD) {
        sk_jw_raw(&w, ",\"value\":", 9);
        switch (ssekit_json_type_of(pt->value)) {
        case SSEKIT_JSON_STRING:
            sk_jw_raw(&w, "\"\"", 2);
            break;
        case SSEKIT_JSON_ARRAY:
            sk_jw_raw(&w, "[]", 2);
            break;
        case SSEKIT_JSON_OBJECT:
            sk_jw_raw(&w, "{}", 2);
            break;
        default:
            sk_jw_value(&w, pt->value);
            break;
        }
    } else if (pt->op == SSEKIT_PATCH_APPEND) {
        sk_jw_raw(&w, ",\"text\":", 8);
        sk_jw_string(&w, pt->text ? pt->text : "", pt->text ? pt->text_len : 0);
    }
    sk_jw_raw(&w, "}", 1);
    return sk_jw_finish(&w);
}
