/* Provider decoders: the handle, dispatch by provider, the yajl envelope
 * walker and the delta helpers the providers share. */
#include "provider_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

/* ---- names ------------------------------------------------------------ */

static const char *const provider_names[] = {"openai", "anthropic", "responses", "raw"};

static const sk_provider_ops *provider_ops(ssekit_provider kind)
{
    switch (kind) {
    case SSEKIT_PROVIDER_OPENAI:
        return &sk_provider_openai;
    case SSEKIT_PROVIDER_ANTHROPIC:
        return &sk_provider_anthropic;
    case SSEKIT_PROVIDER_RESPONSES:
        return &sk_provider_responses;
    case SSEKIT_PROVIDER_RAW:
        return &sk_provider_raw;
    }
    return NULL;
}

int ssekit_provider_from_name(const char *name)
{
    if (!name)
        return SSEKIT_E_INVALID;
    for (size_t i = 0; i < sizeof provider_names / sizeof provider_names[0]; i++)
        if (strcmp(name, provider_names[i]) == 0)
            return (int)i;
    return SSEKIT_E_INVALID;
}

const char *ssekit_provider_name(ssekit_provider kind)
{
    if ((unsigned)kind >= sizeof provider_names / sizeof provider_names[0])
        return NULL;
    return provider_names[kind];
}

/* ---- yajl's memory ---------------------------------------------------------
 *
 * yajl 2.1 dereferences whatever its allocator returns, so handing it the
 * user's allocator as is would turn an allocation failure into a crash. Each
 * block yajl asks for goes to the user's allocator with a small header; when
 * that refuses, the block comes from libc instead, tagged so it is given back
 * to libc, and the decoder is told (yajl_oom): it abandons the event with
 * SSEKIT_E_NOMEM and throws the handle away, which returns every such block.
 * yajl keeps running on memory that exists, and the user still sees the
 * failure. */

typedef union yhdr {
    struct {
        size_t size;
        int from_libc;
    } h;
    max_align_t align;
} yhdr;

static void *y_malloc(void *ctx, size_t n)
{
    ssekit_decoder *d = ctx;
    if (n > SIZE_MAX - sizeof(yhdr))
        return NULL;
    yhdr *b = d->alloc.malloc(d->alloc.ctx, n + sizeof(yhdr));
    int from_libc = 0;
    if (!b) {
        d->yajl_oom = 1;
        b = malloc(n + sizeof(yhdr));
        if (!b)
            return NULL;
        from_libc = 1;
    }
    b->h.size = n;
    b->h.from_libc = from_libc;
    return b + 1;
}

static void y_free(void *ctx, void *p)
{
    ssekit_decoder *d = ctx;
    if (!p)
        return;
    yhdr *b = (yhdr *)p - 1;
    if (b->h.from_libc)
        free(b);
    else
        d->alloc.free(d->alloc.ctx, b);
}

static void *y_realloc(void *ctx, void *p, size_t n)
{
    ssekit_decoder *d = ctx;
    if (!p)
        return y_malloc(ctx, n);
    if (n > SIZE_MAX - sizeof(yhdr))
        return NULL;
    yhdr *b = (yhdr *)p - 1;
    yhdr *nb;
    if (b->h.from_libc) {
        nb = realloc(b, n + sizeof(yhdr));
        if (!nb)
            return NULL;
    } else {
        nb = d->alloc.realloc(d->alloc.ctx, b, n + sizeof(yhdr));
        if (!nb) {
            d->yajl_oom = 1;
            nb = malloc(n + sizeof(yhdr));
            if (!nb)
                return NULL;
            memcpy(nb + 1, b + 1, b->h.size < n ? b->h.size : n);
            d->alloc.free(d->alloc.ctx, b);
            nb->h.from_libc = 1;
        }
    }
    nb->h.size = n;
    return nb + 1;
}

/* ---- the walker ----------------------------------------------------------- */

#define LEVEL_SHIFT(level) (8u * ((unsigned)(level)-1u))

/* Most of an envelope is of no interest (ids, model names, logprobs, a
 * response.completed's copy of the whole output). A container under a key the
 * provider does not know, or deeper than the tracked levels, is skipped as a
 * whole: d->skip holds the depth it opened at, and until it closes every
 * callback only counts depth. */

static int w_stop(ssekit_decoder *d, int rc)
{
    d->abort = rc;
    return 0;
}

static unsigned w_slot(const ssekit_decoder *d)
{
    return (unsigned)(d->path >> LEVEL_SHIFT(d->depth)) & 0xff;
}

static int w_value(ssekit_decoder *d, sk_vtype t, const char *s, size_t n)
{
    if (d->skip)
        return 1;
    if (d->yajl_oom)
        return w_stop(d, SSEKIT_E_NOMEM);
    if (d->depth == 0)
        return w_stop(d, sk_shape(d, "the envelope is not a JSON object"));
    unsigned slot = w_slot(d);
    if (slot != SK_K_OTHER && d->ops->value) {
        int rc = d->ops->value(d, d->path, t, s, n);
        if (rc)
            return w_stop(d, rc);
    }
    if (slot == SK_K_ARR)
        d->pos[d->depth]++;
    return 1;
}

static int w_null(void *ctx)
{
    return w_value(ctx, SK_V_NULL, NULL, 0);
}

static int w_bool(void *ctx, int b)
{
    return w_value(ctx, SK_V_BOOL, b ? "true" : "false", b ? 4 : 5);
}

static int w_number(void *ctx, const char *s, size_t n)
{
    return w_value(ctx, SK_V_NUMBER, s, n);
}

static int w_string(void *ctx, const unsigned char *s, size_t n)
{
    return w_value(ctx, SK_V_STRING, (const char *)s, n);
}

static int w_open(ssekit_decoder *d, int is_map)
{
    if (d->yajl_oom)
        return w_stop(d, SSEKIT_E_NOMEM);
    if (d->depth == 0) {
        if (d->values)
            return w_stop(d, sk_shape(d, "more than one JSON value in the event"));
        if (!is_map)
            return w_stop(d, sk_shape(d, "the envelope is not a JSON object"));
    } else if (!d->skip) {
        unsigned slot = w_slot(d);
        if (slot != SK_K_OTHER && d->ops->open) {
            int rc = d->ops->open(d, d->path, is_map);
            if (rc)
                return w_stop(d, rc);
        }
        if (slot == SK_K_OTHER || d->depth == SK_PATH_LEVELS)
            d->skip = d->depth;
    }
    if (d->depth >= d->max_depth)
        return w_stop(d, SSEKIT_E_TOO_DEEP);
    d->depth++;
    if (!d->skip) {
        if (!is_map)
            d->path |= (uint64_t)SK_K_ARR << LEVEL_SHIFT(d->depth);
        d->pos[d->depth] = 0;
    }
    return 1;
}

static int w_close(ssekit_decoder *d, int is_map)
{
    if (d->yajl_oom)
        return w_stop(d, SSEKIT_E_NOMEM);
    if (!d->skip)
        d->path &= ~((uint64_t)0xff << LEVEL_SHIFT(d->depth));
    d->depth--;
    if (d->depth == 0) {
        d->values++;
        return 1;
    }
    if (d->skip) {
        if (d->depth != d->skip)
            return 1;
        d->skip = 0; /* the skipped container itself closed */
    }
    unsigned slot = w_slot(d);
    if (slot != SK_K_OTHER && d->ops->close) {
        int rc = d->ops->close(d, d->path, is_map);
        if (rc)
            return w_stop(d, rc);
    }
    if (slot == SK_K_ARR)
        d->pos[d->depth]++;
    return 1;
}

static int w_start_map(void *ctx)
{
    return w_open(ctx, 1);
}

static int w_end_map(void *ctx)
{
    return w_close(ctx, 1);
}

static int w_start_array(void *ctx)
{
    return w_open(ctx, 0);
}

static int w_end_array(void *ctx)
{
    return w_close(ctx, 0);
}

static int w_map_key(void *ctx, const unsigned char *k, size_t n)
{
    ssekit_decoder *d = ctx;
    if (d->skip)
        return 1;
    unsigned sh = LEVEL_SHIFT(d->depth);
    uint64_t id = (uint64_t)d->ops->key((const char *)k, n);
    d->path = (d->path & ~((uint64_t)0xff << sh)) | id << sh;
    return 1;
}

static const yajl_callbacks walker_callbacks = {w_null,    w_bool,        NULL,        NULL,
                                                w_number,  w_string,      w_start_map, w_map_key,
                                                w_end_map, w_start_array, w_end_array};

static void yajl_drop(ssekit_decoder *d)
{
    if (d->yh)
        yajl_free(d->yh);
    d->yh = NULL;
    d->yajl_oom = 0;
}

static int yajl_open(ssekit_decoder *d)
{
    yajl_alloc_funcs af = {y_malloc, y_realloc, y_free, d};
    d->yajl_oom = 0;
    d->yh = yajl_alloc(&walker_callbacks, &af, d);
    if (!d->yh)
        return SSEKIT_E_NOMEM;
    /* Several values on one handle: each event's object is one value, so the
     * handle (and its buffers) lives across events. */
    yajl_config(d->yh, yajl_allow_multiple_values, 1);
    if (d->yajl_oom) {
        yajl_drop(d);
        return SSEKIT_E_NOMEM;
    }
    return SSEKIT_OK;
}

/* The message of a malformed-JSON error, with the byte offset. */
static void yajl_message(ssekit_decoder *d, char *buf, size_t cap, size_t base)
{
    unsigned char *e = yajl_get_error(d->yh, 0, NULL, 0);
    const char *msg = e ? (const char *)e : "malformed JSON";
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    snprintf(buf, cap, "%.*s at byte %zu", (int)len, msg,
             base + (size_t)yajl_get_bytes_consumed(d->yh));
    if (e)
        yajl_free_error(d->yh, e);
}

static int event_error(ssekit_decoder *d, int code, const char *msg)
{
    sk_str type = {NULL, 0}, m = {msg, strlen(msg)};
    int rc = sk_emit_error(d, code, type, m);
    return rc ? rc : code;
}

int sk_decode_json(ssekit_decoder *d)
{
    char msg[256];
    if (!d->yh && yajl_open(d))
        return event_error(d, SSEKIT_E_NOMEM, "out of memory");
    d->depth = 0;
    d->skip = 0;
    d->values = 0;
    d->path = 0;
    d->abort = 0;
    d->why = NULL;
    d->scratch.len = 0;
    d->scratch_ready = 0;
    if (d->ops->begin)
        d->ops->begin(d);

    size_t base = 0, end = d->data_len;
    yajl_status st = yajl_parse(d->yh, (const unsigned char *)d->data, d->data_len);
    while (end && (d->data[end - 1] == ' ' || d->data[end - 1] == '\n' ||
                   d->data[end - 1] == '\r' || d->data[end - 1] == '\t'))
        end--;
    if (st == yajl_status_ok && (end == 0 || d->data[end - 1] != '}')) {
        /* Ends a top-level number, which yajl would otherwise hold. After a
         * closing brace no token can be pending: one call saved per event. */
        base = d->data_len;
        st = yajl_parse(d->yh, (const unsigned char *)"\n", 1);
    }
    if (st == yajl_status_ok && d->yajl_oom)
        st = yajl_status_client_canceled, d->abort = SSEKIT_E_NOMEM;

    int rc = SSEKIT_OK;
    if (st == yajl_status_error) {
        yajl_message(d, msg, sizeof msg, base);
        yajl_drop(d);
        rc = event_error(d, SSEKIT_E_ENVELOPE, msg);
    } else if (st != yajl_status_ok) {
        yajl_drop(d);
        switch (d->abort) {
        case SSEKIT_E_STOPPED:
            rc = SSEKIT_E_STOPPED;
            break;
        case SSEKIT_E_NOMEM:
            rc = event_error(d, SSEKIT_E_NOMEM, "out of memory");
            break;
        case SSEKIT_E_TOO_DEEP:
            snprintf(msg, sizeof msg, "JSON nested deeper than %u levels", d->max_depth);
            rc = event_error(d, SSEKIT_E_TOO_DEEP, msg);
            break;
        default:
            rc = event_error(d, SSEKIT_E_ENVELOPE, d->why ? d->why : "malformed envelope");
            break;
        }
    } else if (d->depth != 0) {
        yajl_drop(d);
        rc = event_error(d, SSEKIT_E_ENVELOPE, "incomplete JSON");
    } else if (d->values && d->ops->end) {
        /* values == 0: only whitespace, as in an empty keep-alive; ignored. */
        rc = d->ops->end(d);
        if (rc == SSEKIT_E_NOMEM)
            rc = event_error(d, SSEKIT_E_NOMEM, "out of memory");
        else if (rc == SSEKIT_E_ENVELOPE)
            rc = event_error(d, SSEKIT_E_ENVELOPE, d->why ? d->why : "malformed envelope");
    }
    /* Do not let one huge event pin its copy buffer for the stream's life. */
    if (d->scratch.cap > ((size_t)1 << 20))
        sk_buf_free(&d->alloc, &d->scratch);
    return rc;
}

/* ---- helpers for the providers -------------------------------------------- */

int sk_data_is_done(const ssekit_decoder *d)
{
    const char *s = d->data, *e = d->data + d->data_len;
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
        s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        e--;
    return e - s == 6 && memcmp(s, "[DONE]", 6) == 0;
}

int sk_shape(ssekit_decoder *d, const char *why)
{
    d->why = why;
    return SSEKIT_E_ENVELOPE;
}

int sk_keep(ssekit_decoder *d, const char *s, size_t n, sk_str *out)
{
    uintptr_t a = (uintptr_t)s, lo = (uintptr_t)d->data;
    if (a >= lo && a - lo <= d->data_len && n <= d->data_len - (a - lo)) {
        out->p = s;
        out->n = n;
        return 0;
    }
    if (!d->scratch_ready) {
        d->scratch.len = 0;
        if (sk_buf_reserve(&d->alloc, &d->scratch, d->data_len))
            return SSEKIT_E_NOMEM;
        d->scratch_ready = 1;
    }
    /* Cannot happen (decoded strings are shorter than the data holding
     * them); checked so a surprise is an error, not an overflow. */
    if (n > d->scratch.cap - 1 - d->scratch.len)
        return sk_shape(d, "string longer than its envelope");
    char *p = d->scratch.p + d->scratch.len;
    if (n)
        memcpy(p, s, n);
    d->scratch.len += n;
    out->p = p;
    out->n = n;
    return 0;
}

int sk_parse_uint(const char *s, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)s[i] - '0';
        if (c > 9 || x > (UINT64_MAX - c) / 10)
            return -1;
        x = x * 10 + c;
    }
    *v = x;
    return 0;
}

int sk_index(ssekit_decoder *d, sk_vtype t, const char *s, size_t n, uint32_t *out, const char *why)
{
    uint64_t v;
    if (t != SK_V_NUMBER || sk_parse_uint(s, n, &v) || v > UINT32_MAX)
        return sk_shape(d, why);
    *out = (uint32_t)v;
    return 0;
}

int sk_count(ssekit_decoder *d, sk_vtype t, const char *s, size_t n, int64_t *out)
{
    uint64_t v;
    if (t == SK_V_NULL)
        return 0;
    if (t != SK_V_NUMBER || sk_parse_uint(s, n, &v) || v > INT64_MAX)
        return sk_shape(d, "a token count is not a non-negative integer");
    *out = (int64_t)v;
    return 0;
}

int sk_eq(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

void sk_usage_init(ssekit_usage *u)
{
    u->input_tokens = u->output_tokens = u->total_tokens = -1;
    u->cached_input_tokens = u->reasoning_tokens = -1;
}

static void delta_init(ssekit_delta *x, ssekit_delta_kind kind)
{
    memset(x, 0, sizeof *x);
    x->kind = kind;
    sk_usage_init(&x->usage);
}

int sk_emit(ssekit_decoder *d, ssekit_delta *x)
{
    if (x->kind == SSEKIT_DELTA_DONE)
        d->done = 1;
    if (d->cb.on_delta && d->cb.on_delta(d->user, x))
        return SSEKIT_E_STOPPED;
    return 0;
}

int sk_emit_text(ssekit_decoder *d, ssekit_delta_kind kind, uint32_t index, const char *s, size_t n)
{
    ssekit_delta x;
    if (!s || n == 0)
        return 0;
    delta_init(&x, kind);
    x.index = index;
    x.text = s;
    x.text_len = n;
    return sk_emit(d, &x);
}

int sk_emit_finish(ssekit_decoder *d, uint32_t index, sk_str reason)
{
    ssekit_delta x;
    delta_init(&x, SSEKIT_DELTA_FINISH);
    x.index = index;
    x.text = reason.p;
    x.text_len = reason.n;
    return sk_emit(d, &x);
}

int sk_emit_usage(ssekit_decoder *d, const ssekit_usage *u)
{
    ssekit_delta x;
    delta_init(&x, SSEKIT_DELTA_USAGE);
    x.usage = *u;
    return sk_emit(d, &x);
}

int sk_emit_done(ssekit_decoder *d)
{
    ssekit_delta x;
    delta_init(&x, SSEKIT_DELTA_DONE);
    return sk_emit(d, &x);
}

int sk_emit_error(ssekit_decoder *d, int code, sk_str type, sk_str message)
{
    ssekit_delta x;
    delta_init(&x, SSEKIT_DELTA_ERROR);
    x.code = code;
    x.type = type.p;
    x.type_len = type.p ? type.n : 0;
    x.text = message.p;
    x.text_len = message.p ? message.n : 0;
    x.raw = d->data;
    x.raw_len = d->data_len;
    return sk_emit(d, &x);
}

/* ---- the tool-call table -------------------------------------------------- */

static sk_tool *tool_find(ssekit_decoder *d, uint32_t output, uint32_t index)
{
    /* Calls are few and the latest is the likeliest: search backwards. */
    for (size_t i = d->ntools; i-- > 0;)
        if (d->tools[i].index == index && d->tools[i].output == output)
            return &d->tools[i];
    return NULL;
}

static int tool_set(ssekit_decoder *d, char **dst, size_t *dst_len, sk_str s)
{
    if (!s.p || s.n == 0 || s.n > SK_MAX_TOOL_STR)
        return 0;
    char *p = *dst ? sk_realloc(&d->alloc, *dst, s.n) : sk_malloc(&d->alloc, s.n);
    if (!p)
        return SSEKIT_E_NOMEM;
    memcpy(p, s.p, s.n);
    *dst = p;
    *dst_len = s.n;
    return 0;
}

static sk_tool *tool_add(ssekit_decoder *d, uint32_t output, uint32_t index, int *rc)
{
    *rc = 0;
    if (d->ntools >= SK_MAX_TOOLS)
        return NULL;
    if (d->ntools == d->cap_tools) {
        size_t cap = d->cap_tools ? d->cap_tools * 2 : 4;
        sk_tool *t = d->tools ? sk_realloc(&d->alloc, d->tools, cap * sizeof *t)
                              : sk_malloc(&d->alloc, cap * sizeof *t);
        if (!t) {
            *rc = SSEKIT_E_NOMEM;
            return NULL;
        }
        d->tools = t;
        d->cap_tools = cap;
    }
    sk_tool *t = &d->tools[d->ntools++];
    memset(t, 0, sizeof *t);
    t->output = output;
    t->index = index;
    return t;
}

int sk_emit_tool(ssekit_decoder *d, uint32_t output, uint32_t index, sk_str id, sk_str name,
                 const char *args, size_t args_len)
{
    int rc = 0;
    sk_tool *t = tool_find(d, output, index);
    int fresh = (id.p && id.n) || (name.p && name.n);
    if (!t && fresh)
        t = tool_add(d, output, index, &rc);
    if (rc)
        return rc;
    if (t && fresh) {
        if ((rc = tool_set(d, &t->id, &t->id_len, id)) ||
            (rc = tool_set(d, &t->name, &t->name_len, name)))
            return rc;
    }
    ssekit_delta x;
    delta_init(&x, SSEKIT_DELTA_TOOL_CALL);
    x.index = output;
    x.tool_index = index;
    if (args && args_len) {
        x.text = args;
        x.text_len = args_len;
    }
    if (id.p && id.n) {
        x.id = id.p;
        x.id_len = id.n;
    } else if (t && t->id) {
        x.id = t->id;
        x.id_len = t->id_len;
    }
    if (name.p && name.n) {
        x.name = name.p;
        x.name_len = name.n;
    } else if (t && t->name) {
        x.name = t->name;
        x.name_len = t->name_len;
    }
    return sk_emit(d, &x);
}

static void tools_clear(ssekit_decoder *d)
{
    for (size_t i = 0; i < d->ntools; i++) {
        sk_free(&d->alloc, d->tools[i].id);
        sk_free(&d->alloc, d->tools[i].name);
    }
    d->ntools = 0;
}

/* ---- the handle ----------------------------------------------------------- */

ssekit_decoder *ssekit_decoder_new(ssekit_provider kind, const ssekit_decoder_callbacks *callbacks,
                                   void *user, const ssekit_alloc_funcs *alloc)
{
    const sk_provider_ops *ops = provider_ops(kind);
    if (!ops)
        return NULL;
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, alloc);
    /* The provider's state lives right after the handle: one allocation. */
    size_t head = (sizeof(ssekit_decoder) + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
                  sizeof(max_align_t);
    ssekit_decoder *d = sk_malloc(&a, head + ops->state_size);
    if (!d)
        return NULL;
    memset(d, 0, head + ops->state_size);
    d->ops = ops;
    d->kind = kind;
    if (callbacks)
        d->cb = *callbacks;
    d->user = user;
    d->alloc = a;
    d->max_envelope = SSEKIT_DECODER_DEFAULT_MAX_ENVELOPE;
    d->max_depth = SSEKIT_DECODER_DEFAULT_MAX_DEPTH;
    d->sequence = -1;
    d->state = (char *)d + head;
    if (ops->reset)
        ops->reset(d);
    return d;
}

void ssekit_decoder_free(ssekit_decoder *dec)
{
    if (!dec)
        return;
    yajl_drop(dec);
    tools_clear(dec);
    sk_free(&dec->alloc, dec->tools);
    sk_buf_free(&dec->alloc, &dec->scratch);
    sk_free(&dec->alloc, dec);
}

int ssekit_decoder_set_max_envelope(ssekit_decoder *dec, size_t bytes)
{
    if (!dec || bytes == 0)
        return SSEKIT_E_INVALID;
    dec->max_envelope = bytes;
    return SSEKIT_OK;
}

int ssekit_decoder_set_max_depth(ssekit_decoder *dec, unsigned depth)
{
    if (!dec || depth == 0)
        return SSEKIT_E_INVALID;
    dec->max_depth = depth;
    return SSEKIT_OK;
}

int ssekit_decoder_feed(ssekit_decoder *dec, const ssekit_sse_event *event)
{
    if (!dec || !event || (!event->data && event->data_len))
        return SSEKIT_E_INVALID;
    if (dec->busy || dec->finished)
        return SSEKIT_E_STATE;
    dec->busy = 1;
    dec->data = event->data ? event->data : "";
    dec->data_len = event->data_len;
    dec->etype = event->type ? event->type : "";
    dec->etype_len = event->type ? event->type_len : 0;
    int rc;
    if (dec->data_len > dec->max_envelope) {
        char msg[96];
        snprintf(msg, sizeof msg, "envelope of %zu bytes is over the limit of %zu", dec->data_len,
                 dec->max_envelope);
        rc = event_error(dec, SSEKIT_E_TOO_LARGE, msg);
    } else {
        rc = dec->ops->feed(dec);
    }
    dec->busy = 0;
    return rc;
}

int ssekit_decoder_finish(ssekit_decoder *dec)
{
    if (!dec)
        return SSEKIT_E_INVALID;
    if (dec->busy || dec->finished)
        return SSEKIT_E_STATE;
    dec->busy = 1;
    dec->finished = 1;
    dec->data = "";
    dec->data_len = 0;
    int rc = dec->ops->finish ? dec->ops->finish(dec) : SSEKIT_OK;
    dec->busy = 0;
    return rc;
}

int ssekit_decoder_reset(ssekit_decoder *dec)
{
    if (!dec)
        return SSEKIT_E_INVALID;
    if (dec->busy)
        return SSEKIT_E_STATE;
    dec->finished = 0;
    dec->done = 0;
    dec->sequence = -1;
    tools_clear(dec);
    if (dec->ops->reset)
        dec->ops->reset(dec);
    return SSEKIT_OK;
}

int ssekit_decoder_is_done(const ssekit_decoder *dec)
{
    return dec ? dec->done : 0;
}

int64_t ssekit_decoder_sequence(const ssekit_decoder *dec)
{
    return dec ? dec->sequence : -1;
}
