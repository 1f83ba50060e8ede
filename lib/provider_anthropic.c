/* Anthropic Messages streaming events.
 *
 * A content_block_delta's fragment is emitted from the yajl string callback
 * (zero copy) when the event type and the block index are already known, as
 * they are in Anthropic's field order; otherwise it is kept and emitted once
 * the envelope has been read. Everything else (block starts, usage, stop
 * reason, errors) is reported after the envelope. Usage: message_start gives
 * input (and cache) tokens and a first output count; message_delta gives
 * cumulative counts, which replace the earlier ones field by field. */
#include "provider_internal.h"

#include <string.h>

enum {
    K_TYPE = SK_K_FIRST,
    K_INDEX,
    K_DELTA,
    K_TEXT,
    K_THINKING,
    K_PARTIAL_JSON,
    K_STOP_REASON,
    K_USAGE,
    K_INPUT_TOKENS,
    K_OUTPUT_TOKENS,
    K_CACHE_CREATION,
    K_CACHE_READ,
    K_MESSAGE,
    K_CONTENT_BLOCK,
    K_ID,
    K_NAME,
    K_ERROR
};

#define KEY(lit, id)                                                                               \
    if (memcmp(k, lit, sizeof lit - 1) == 0)                                                       \
    return id

static int an_key(const char *k, size_t n)
{
    switch (n) {
    case 2:
        KEY("id", K_ID);
        break;
    case 4:
        KEY("type", K_TYPE);
        KEY("text", K_TEXT);
        KEY("name", K_NAME);
        break;
    case 5:
        KEY("delta", K_DELTA);
        KEY("index", K_INDEX);
        KEY("usage", K_USAGE);
        KEY("error", K_ERROR);
        break;
    case 7:
        KEY("message", K_MESSAGE);
        break;
    case 8:
        KEY("thinking", K_THINKING);
        break;
    case 11:
        KEY("stop_reason", K_STOP_REASON);
        break;
    case 12:
        KEY("partial_json", K_PARTIAL_JSON);
        KEY("input_tokens", K_INPUT_TOKENS);
        break;
    case 13:
        KEY("output_tokens", K_OUTPUT_TOKENS);
        KEY("content_block", K_CONTENT_BLOCK);
        break;
    case 23:
        KEY("cache_read_input_tokens", K_CACHE_READ);
        break;
    case 27:
        KEY("cache_creation_input_tokens", K_CACHE_CREATION);
        break;
    }
    return SK_K_OTHER;
}

enum {
    ET_UNRESOLVED = 0,
    ET_OTHER,
    ET_MESSAGE_START,
    ET_BLOCK_START,
    ET_BLOCK_DELTA,
    ET_BLOCK_STOP,
    ET_MESSAGE_DELTA,
    ET_MESSAGE_STOP,
    ET_PING,
    ET_ERROR
};

static int an_etype(const char *s, size_t n)
{
    static const struct {
        const char *name;
        size_t len;
        int type;
    } types[] = {
        {"content_block_delta", sizeof "content_block_delta" - 1, ET_BLOCK_DELTA},
        {"content_block_start", sizeof "content_block_start" - 1, ET_BLOCK_START},
        {"content_block_stop", sizeof "content_block_stop" - 1, ET_BLOCK_STOP},
        {"message_start", sizeof "message_start" - 1, ET_MESSAGE_START},
        {"message_delta", sizeof "message_delta" - 1, ET_MESSAGE_DELTA},
        {"message_stop", sizeof "message_stop" - 1, ET_MESSAGE_STOP},
        {"ping", sizeof "ping" - 1, ET_PING},
        {"error", sizeof "error" - 1, ET_ERROR},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (n == types[i].len && memcmp(s, types[i].name, n) == 0)
            return types[i].type;
    return ET_OTHER;
}

typedef struct an_counts {
    int64_t input, output, cache_creation, cache_read;
} an_counts;

typedef struct an_state {
    an_counts total; /* the response so far */
    /* per event */
    int etype;
    uint32_t index;
    int has_index;
    int pend_kind; /* a fragment kept for after the envelope */
    sk_str pend;
    sk_str block_type, block_id, block_name, block_text, block_thinking;
    sk_str stop_reason;
    an_counts ev;
    int ev_usage;
    sk_str err_type, err_msg;
} an_state;

#define KIND_TOOL (-1) /* pend_kind of an input_json_delta */

static void counts_clear(an_counts *c)
{
    c->input = c->output = c->cache_creation = c->cache_read = -1;
}

static void an_begin(ssekit_decoder *d)
{
    an_state *s = d->state;
    an_counts total = s->total;
    memset(s, 0, sizeof *s);
    s->total = total;
    counts_clear(&s->ev);
    /* The SSE event name, when there is one, says what the event is. */
    if (d->etype_len && !sk_eq(d->etype, d->etype_len, "message"))
        s->etype = an_etype(d->etype, d->etype_len);
}

static int an_feed(ssekit_decoder *d)
{
    if (sk_data_is_done(d))
        return sk_emit_done(d);
    return sk_decode_json(d);
}

static int an_fragment(ssekit_decoder *d, int kind, const char *v, size_t n)
{
    an_state *s = d->state;
    if (kind == KIND_TOOL) {
        if (n == 0) /* the call was announced by its content_block_start */
            return 0;
        sk_str none = {NULL, 0};
        return sk_emit_tool(d, s->index, s->index, none, none, v, n);
    }
    return sk_emit_text(d, (ssekit_delta_kind)kind, s->index, v, n);
}

static int an_content(ssekit_decoder *d, int kind, sk_vtype t, const char *v, size_t n)
{
    an_state *s = d->state;
    if (t == SK_V_NULL)
        return 0;
    if (t != SK_V_STRING)
        return sk_shape(d, "a content_block_delta fragment is not a string");
    if (s->etype == ET_BLOCK_DELTA && s->has_index)
        return an_fragment(d, kind, v, n);
    if (s->etype != ET_UNRESOLVED && s->etype != ET_BLOCK_DELTA)
        return 0;
    if (s->pend.p)
        return 0;
    s->pend_kind = kind;
    return sk_keep(d, v, n, &s->pend);
}

static int an_str(ssekit_decoder *d, sk_vtype t, const char *v, size_t n, sk_str *out)
{
    if (t == SK_V_STRING)
        return sk_keep(d, v, n, out);
    return t == SK_V_NULL ? 0 : sk_shape(d, "a type, id, name or reason is not a string");
}

static int an_value(ssekit_decoder *d, uint64_t path, sk_vtype t, const char *v, size_t n)
{
    an_state *s = d->state;
    an_counts *c = &s->ev;
    switch (path) {
    case SK_P1(K_TYPE):
        if (t != SK_V_STRING)
            return sk_shape(d, "\"type\" is not a string");
        if (s->etype == ET_UNRESOLVED)
            s->etype = an_etype(v, n);
        return 0;
    case SK_P1(K_INDEX):
        s->has_index = 1;
        return sk_index(d, t, v, n, &s->index, "bad content block \"index\"");
    case SK_P2(K_DELTA, K_TEXT):
        return an_content(d, SSEKIT_DELTA_TEXT, t, v, n);
    case SK_P2(K_DELTA, K_THINKING):
        return an_content(d, SSEKIT_DELTA_THINKING, t, v, n);
    case SK_P2(K_DELTA, K_PARTIAL_JSON):
        return an_content(d, KIND_TOOL, t, v, n);
    case SK_P2(K_DELTA, K_STOP_REASON):
        return an_str(d, t, v, n, &s->stop_reason);
    case SK_P2(K_CONTENT_BLOCK, K_TYPE):
        return an_str(d, t, v, n, &s->block_type);
    case SK_P2(K_CONTENT_BLOCK, K_ID):
        return an_str(d, t, v, n, &s->block_id);
    case SK_P2(K_CONTENT_BLOCK, K_NAME):
        return an_str(d, t, v, n, &s->block_name);
    case SK_P2(K_CONTENT_BLOCK, K_TEXT):
        return an_str(d, t, v, n, &s->block_text);
    case SK_P2(K_CONTENT_BLOCK, K_THINKING):
        return an_str(d, t, v, n, &s->block_thinking);
    case SK_P2(K_ERROR, K_TYPE):
        return an_str(d, t, v, n, &s->err_type);
    case SK_P2(K_ERROR, K_MESSAGE):
        return an_str(d, t, v, n, &s->err_msg);
    /* message_start has them under "message", message_delta at the top. */
    case SK_P2(K_USAGE, K_INPUT_TOKENS):
    case SK_P3(K_MESSAGE, K_USAGE, K_INPUT_TOKENS):
        s->ev_usage = 1;
        return sk_count(d, t, v, n, &c->input);
    case SK_P2(K_USAGE, K_OUTPUT_TOKENS):
    case SK_P3(K_MESSAGE, K_USAGE, K_OUTPUT_TOKENS):
        s->ev_usage = 1;
        return sk_count(d, t, v, n, &c->output);
    case SK_P2(K_USAGE, K_CACHE_CREATION):
    case SK_P3(K_MESSAGE, K_USAGE, K_CACHE_CREATION):
        s->ev_usage = 1;
        return sk_count(d, t, v, n, &c->cache_creation);
    case SK_P2(K_USAGE, K_CACHE_READ):
    case SK_P3(K_MESSAGE, K_USAGE, K_CACHE_READ):
        s->ev_usage = 1;
        return sk_count(d, t, v, n, &c->cache_read);
    case SK_P1(K_DELTA):
    case SK_P1(K_USAGE):
    case SK_P1(K_MESSAGE):
    case SK_P1(K_CONTENT_BLOCK):
    case SK_P1(K_ERROR):
    case SK_P2(K_MESSAGE, K_USAGE):
        return t == SK_V_NULL ? 0 : sk_shape(d, "an object field holds a scalar");
    }
    return 0;
}

static int an_open(ssekit_decoder *d, uint64_t path, int is_map)
{
    switch (path) {
    case SK_P1(K_DELTA):
    case SK_P1(K_USAGE):
    case SK_P1(K_MESSAGE):
    case SK_P1(K_CONTENT_BLOCK):
    case SK_P1(K_ERROR):
    case SK_P2(K_MESSAGE, K_USAGE):
        return is_map ? 0 : sk_shape(d, "an object field holds an array");
    case SK_P1(K_TYPE):
    case SK_P1(K_INDEX):
    case SK_P2(K_DELTA, K_TEXT):
    case SK_P2(K_DELTA, K_THINKING):
    case SK_P2(K_DELTA, K_PARTIAL_JSON):
    case SK_P2(K_DELTA, K_STOP_REASON):
        return sk_shape(d, "a scalar field holds a container");
    }
    return 0;
}

static int an_usage(ssekit_decoder *d)
{
    an_state *s = d->state;
    an_counts *t = &s->total;
    if (s->ev.input >= 0)
        t->input = s->ev.input;
    if (s->ev.output >= 0)
        t->output = s->ev.output;
    if (s->ev.cache_creation >= 0)
        t->cache_creation = s->ev.cache_creation;
    if (s->ev.cache_read >= 0)
        t->cache_read = s->ev.cache_read;
    ssekit_usage u;
    sk_usage_init(&u);
    /* Anthropic's input_tokens leaves out cached tokens; the normalised
     * count has every prompt token, as OpenAI's prompt_tokens does. */
    if (t->input >= 0)
        u.input_tokens = t->input + (t->cache_creation > 0 ? t->cache_creation : 0) +
                         (t->cache_read > 0 ? t->cache_read : 0);
    u.output_tokens = t->output;
    u.cached_input_tokens = t->cache_read;
    return sk_emit_usage(d, &u);
}

static int is_tool_block(sk_str type)
{
    /* tool_use, server_tool_use, mcp_tool_use */
    return type.p && type.n >= 8 && memcmp(type.p + type.n - 8, "tool_use", 8) == 0;
}

static int an_end(ssekit_decoder *d)
{
    an_state *s = d->state;
    int rc = 0;
    switch (s->etype) {
    case ET_BLOCK_DELTA:
        if (!s->pend.p)
            return 0;
        if (!s->has_index)
            return sk_shape(d, "content_block_delta without an index");
        return an_fragment(d, s->pend_kind, s->pend.p, s->pend.n);
    case ET_BLOCK_START:
        if (!s->has_index)
            return sk_shape(d, "content_block_start without an index");
        if (is_tool_block(s->block_type))
            return sk_emit_tool(d, s->index, s->index, s->block_id, s->block_name, NULL, 0);
        if (sk_eq(s->block_type.p, s->block_type.n, "text") && s->block_text.p)
            return sk_emit_text(d, SSEKIT_DELTA_TEXT, s->index, s->block_text.p, s->block_text.n);
        if (sk_eq(s->block_type.p, s->block_type.n, "thinking") && s->block_thinking.p)
            return sk_emit_text(d, SSEKIT_DELTA_THINKING, s->index, s->block_thinking.p,
                                s->block_thinking.n);
        return 0;
    case ET_MESSAGE_START:
        return s->ev_usage ? an_usage(d) : 0;
    case ET_MESSAGE_DELTA:
        if (s->stop_reason.p && (rc = sk_emit_finish(d, 0, s->stop_reason)))
            return rc;
        return s->ev_usage ? an_usage(d) : 0;
    case ET_MESSAGE_STOP:
        return sk_emit_done(d);
    case ET_ERROR:
        return sk_emit_error(d, SSEKIT_E_PROVIDER, s->err_type, s->err_msg);
    }
    return 0;
}

static void an_reset(ssekit_decoder *d)
{
    an_state *s = d->state;
    memset(s, 0, sizeof *s);
    counts_clear(&s->total);
}

const sk_provider_ops sk_provider_anthropic = {
    .state_size = sizeof(an_state),
    .feed = an_feed,
    .key = an_key,
    .begin = an_begin,
    .value = an_value,
    .open = an_open,
    .end = an_end,
    .reset = an_reset,
};
