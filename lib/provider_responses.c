/* OpenAI Responses API streaming events (`response.*`).
 *
 * A `delta` fragment is emitted from the yajl string callback (zero copy)
 * when the event type and output_index are already known, as they are in
 * OpenAI's field order; otherwise it is kept and emitted after the envelope.
 * A function call is announced by response.output_item.added (its call_id
 * and name are remembered by output_index); its arguments follow in
 * response.function_call_arguments.delta. The terminal events report usage,
 * the finish reason and DONE; response.failed and `error` report an ERROR. */
#include "provider_internal.h"

#include <string.h>

enum {
    K_TYPE = SK_K_FIRST,
    K_OUTPUT_INDEX,
    K_DELTA,
    K_SEQUENCE_NUMBER,
    K_ITEM,
    K_CALL_ID,
    K_ID,
    K_NAME,
    K_ARGUMENTS,
    K_INPUT,
    K_RESPONSE,
    K_USAGE,
    K_INPUT_TOKENS,
    K_OUTPUT_TOKENS,
    K_TOTAL_TOKENS,
    K_INPUT_DETAILS,
    K_OUTPUT_DETAILS,
    K_CACHED_TOKENS,
    K_REASONING_TOKENS,
    K_INCOMPLETE_DETAILS,
    K_REASON,
    K_ERROR,
    K_CODE,
    K_MESSAGE
};

#define KEY(lit, id)                                                                               \
    if (memcmp(k, lit, sizeof lit - 1) == 0)                                                       \
    return id

static int rs_key(const char *k, size_t n)
{
    switch (n) {
    case 2:
        KEY("id", K_ID);
        break;
    case 4:
        KEY("type", K_TYPE);
        KEY("item", K_ITEM);
        KEY("name", K_NAME);
        KEY("code", K_CODE);
        break;
    case 5:
        KEY("delta", K_DELTA);
        KEY("usage", K_USAGE);
        KEY("input", K_INPUT);
        KEY("error", K_ERROR);
        break;
    case 6:
        KEY("reason", K_REASON);
        break;
    case 7:
        KEY("call_id", K_CALL_ID);
        KEY("message", K_MESSAGE);
        break;
    case 8:
        KEY("response", K_RESPONSE);
        break;
    case 9:
        KEY("arguments", K_ARGUMENTS);
        break;
    case 12:
        KEY("output_index", K_OUTPUT_INDEX);
        KEY("input_tokens", K_INPUT_TOKENS);
        KEY("total_tokens", K_TOTAL_TOKENS);
        break;
    case 13:
        KEY("output_tokens", K_OUTPUT_TOKENS);
        KEY("cached_tokens", K_CACHED_TOKENS);
        break;
    case 15:
        KEY("sequence_number", K_SEQUENCE_NUMBER);
        break;
    case 16:
        KEY("reasoning_tokens", K_REASONING_TOKENS);
        break;
    case 18:
        KEY("incomplete_details", K_INCOMPLETE_DETAILS);
        break;
    case 20:
        KEY("input_tokens_details", K_INPUT_DETAILS);
        break;
    case 21:
        KEY("output_tokens_details", K_OUTPUT_DETAILS);
        break;
    }
    return SK_K_OTHER;
}

enum {
    ET_UNRESOLVED = 0,
    ET_OTHER,
    ET_TEXT,     /* response.output_text.delta */
    ET_REFUSAL,  /* response.refusal.delta */
    ET_THINKING, /* response.reasoning_summary_text.delta, .reasoning_text.delta */
    ET_ARGS,     /* response.function_call_arguments.delta, custom_tool_call_input */
    ET_ITEM_ADDED,
    ET_COMPLETED,
    ET_INCOMPLETE,
    ET_FAILED,
    ET_ERROR
};

static int rs_etype(const char *s, size_t n)
{
    static const struct {
        const char *name;
        size_t len;
        int type;
    } types[] = {
        {"response.output_text.delta", sizeof "response.output_text.delta" - 1, ET_TEXT},
        {"response.function_call_arguments.delta",
         sizeof "response.function_call_arguments.delta" - 1, ET_ARGS},
        {"response.refusal.delta", sizeof "response.refusal.delta" - 1, ET_REFUSAL},
        {"response.reasoning_summary_text.delta",
         sizeof "response.reasoning_summary_text.delta" - 1, ET_THINKING},
        {"response.reasoning_text.delta", sizeof "response.reasoning_text.delta" - 1, ET_THINKING},
        {"response.custom_tool_call_input.delta",
         sizeof "response.custom_tool_call_input.delta" - 1, ET_ARGS},
        {"response.output_item.added", sizeof "response.output_item.added" - 1, ET_ITEM_ADDED},
        {"response.completed", sizeof "response.completed" - 1, ET_COMPLETED},
        {"response.incomplete", sizeof "response.incomplete" - 1, ET_INCOMPLETE},
        {"response.failed", sizeof "response.failed" - 1, ET_FAILED},
        {"error", sizeof "error" - 1, ET_ERROR},
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (n == types[i].len && memcmp(s, types[i].name, n) == 0)
            return types[i].type;
    return ET_OTHER;
}

typedef struct rs_state {
    int etype;
    uint32_t index;
    int has_index;
    int64_t seq;
    sk_str pend; /* a delta kept for after the envelope */
    sk_str item_type, item_call_id, item_id, item_name, item_args;
    sk_str reason, err_type, err_code, err_msg;
    ssekit_usage usage;
    int usage_any;
} rs_state;

static void rs_begin(ssekit_decoder *d)
{
    rs_state *s = d->state;
    memset(s, 0, sizeof *s);
    s->seq = -1;
    sk_usage_init(&s->usage);
    if (d->etype_len && !sk_eq(d->etype, d->etype_len, "message"))
        s->etype = rs_etype(d->etype, d->etype_len);
}

static int rs_feed(ssekit_decoder *d)
{
    if (sk_data_is_done(d))
        return sk_emit_done(d);
    return sk_decode_json(d);
}

static int is_fragment(int etype)
{
    return etype == ET_TEXT || etype == ET_REFUSAL || etype == ET_THINKING || etype == ET_ARGS;
}

static int rs_fragment(ssekit_decoder *d, const char *v, size_t n)
{
    rs_state *s = d->state;
    sk_str none = {NULL, 0};
    switch (s->etype) {
    case ET_TEXT:
        return sk_emit_text(d, SSEKIT_DELTA_TEXT, s->index, v, n);
    case ET_REFUSAL:
        return sk_emit_text(d, SSEKIT_DELTA_REFUSAL, s->index, v, n);
    case ET_THINKING:
        return sk_emit_text(d, SSEKIT_DELTA_THINKING, s->index, v, n);
    case ET_ARGS:
        return n ? sk_emit_tool(d, s->index, s->index, none, none, v, n) : 0;
    }
    return 0;
}

static int rs_str(ssekit_decoder *d, sk_vtype t, const char *v, size_t n, sk_str *out)
{
    if (t == SK_V_STRING || t == SK_V_NUMBER) /* error codes may be numbers */
        return sk_keep(d, v, n, out);
    return t == SK_V_NULL ? 0 : sk_shape(d, "a type, id, name or message is not a string");
}

static int rs_value(ssekit_decoder *d, uint64_t path, sk_vtype t, const char *v, size_t n)
{
    rs_state *s = d->state;
    uint64_t u;
    switch (path) {
    case SK_P1(K_TYPE):
        if (t != SK_V_STRING)
            return sk_shape(d, "\"type\" is not a string");
        if (s->etype == ET_UNRESOLVED)
            s->etype = rs_etype(v, n);
        return 0;
    case SK_P1(K_OUTPUT_INDEX):
        s->has_index = 1;
        return sk_index(d, t, v, n, &s->index, "bad \"output_index\"");
    case SK_P1(K_SEQUENCE_NUMBER):
        if (t != SK_V_NUMBER || sk_parse_uint(v, n, &u) || u > INT64_MAX)
            return sk_shape(d, "bad \"sequence_number\"");
        s->seq = (int64_t)u;
        return 0;
    case SK_P1(K_DELTA):
        if (s->etype != ET_UNRESOLVED && !is_fragment(s->etype))
            return 0;
        if (t != SK_V_STRING)
            return sk_shape(d, "\"delta\" is not a string");
        if (s->etype != ET_UNRESOLVED && s->has_index)
            return rs_fragment(d, v, n);
        return s->pend.p ? 0 : sk_keep(d, v, n, &s->pend);
    case SK_P2(K_ITEM, K_TYPE):
        return rs_str(d, t, v, n, &s->item_type);
    case SK_P2(K_ITEM, K_CALL_ID):
        return rs_str(d, t, v, n, &s->item_call_id);
    case SK_P2(K_ITEM, K_ID):
        return rs_str(d, t, v, n, &s->item_id);
    case SK_P2(K_ITEM, K_NAME):
        return rs_str(d, t, v, n, &s->item_name);
    case SK_P2(K_ITEM, K_ARGUMENTS):
    case SK_P2(K_ITEM, K_INPUT):
        return rs_str(d, t, v, n, &s->item_args);
    case SK_P3(K_RESPONSE, K_USAGE, K_INPUT_TOKENS):
        s->usage_any = 1;
        return sk_count(d, t, v, n, &s->usage.input_tokens);
    case SK_P3(K_RESPONSE, K_USAGE, K_OUTPUT_TOKENS):
        s->usage_any = 1;
        return sk_count(d, t, v, n, &s->usage.output_tokens);
    case SK_P3(K_RESPONSE, K_USAGE, K_TOTAL_TOKENS):
        s->usage_any = 1;
        return sk_count(d, t, v, n, &s->usage.total_tokens);
    case SK_P4(K_RESPONSE, K_USAGE, K_INPUT_DETAILS, K_CACHED_TOKENS):
        return sk_count(d, t, v, n, &s->usage.cached_input_tokens);
    case SK_P4(K_RESPONSE, K_USAGE, K_OUTPUT_DETAILS, K_REASONING_TOKENS):
        return sk_count(d, t, v, n, &s->usage.reasoning_tokens);
    case SK_P3(K_RESPONSE, K_INCOMPLETE_DETAILS, K_REASON):
        return rs_str(d, t, v, n, &s->reason);
    case SK_P3(K_RESPONSE, K_ERROR, K_CODE):
    case SK_P1(K_CODE):
    case SK_P2(K_ERROR, K_CODE):
        return rs_str(d, t, v, n, &s->err_code);
    case SK_P3(K_RESPONSE, K_ERROR, K_TYPE):
    case SK_P2(K_ERROR, K_TYPE):
        return rs_str(d, t, v, n, &s->err_type);
    case SK_P3(K_RESPONSE, K_ERROR, K_MESSAGE):
    case SK_P1(K_MESSAGE):
    case SK_P2(K_ERROR, K_MESSAGE):
        return rs_str(d, t, v, n, &s->err_msg);
    case SK_P1(K_ITEM):
    case SK_P1(K_RESPONSE):
    case SK_P2(K_RESPONSE, K_USAGE):
        return t == SK_V_NULL ? 0 : sk_shape(d, "an object field holds a scalar");
    }
    return 0;
}

static int rs_open(ssekit_decoder *d, uint64_t path, int is_map)
{
    switch (path) {
    case SK_P1(K_ITEM):
    case SK_P1(K_RESPONSE):
    case SK_P2(K_RESPONSE, K_USAGE):
        return is_map ? 0 : sk_shape(d, "an object field holds an array");
    case SK_P1(K_TYPE):
    case SK_P1(K_OUTPUT_INDEX):
    case SK_P1(K_SEQUENCE_NUMBER):
        return sk_shape(d, "a scalar field holds a container");
    }
    return 0;
}

static int rs_terminal(ssekit_decoder *d, const char *reason)
{
    rs_state *s = d->state;
    int rc;
    if (s->etype == ET_FAILED && (s->err_msg.p || s->err_code.p || s->err_type.p) &&
        (rc = sk_emit_error(d, SSEKIT_E_PROVIDER, s->err_code.p ? s->err_code : s->err_type,
                            s->err_msg)))
        return rc;
    if (s->usage_any && (rc = sk_emit_usage(d, &s->usage)))
        return rc;
    sk_str r = {reason, strlen(reason)};
    if (s->etype == ET_INCOMPLETE && s->reason.p)
        r = s->reason;
    if ((rc = sk_emit_finish(d, 0, r)))
        return rc;
    return sk_emit_done(d);
}

static int rs_end(ssekit_decoder *d)
{
    rs_state *s = d->state;
    if (s->seq >= 0)
        d->sequence = s->seq;
    switch (s->etype) {
    case ET_TEXT:
    case ET_REFUSAL:
    case ET_THINKING:
    case ET_ARGS:
        if (!s->pend.p)
            return 0;
        if (!s->has_index)
            return sk_shape(d, "a delta event without \"output_index\"");
        return rs_fragment(d, s->pend.p, s->pend.n);
    case ET_ITEM_ADDED:
        if (!sk_eq(s->item_type.p, s->item_type.n, "function_call") &&
            !sk_eq(s->item_type.p, s->item_type.n, "custom_tool_call"))
            return 0;
        if (!s->has_index)
            return sk_shape(d, "response.output_item.added without \"output_index\"");
        return sk_emit_tool(d, s->index, s->index, s->item_call_id.p ? s->item_call_id : s->item_id,
                            s->item_name, s->item_args.p, s->item_args.n);
    case ET_COMPLETED:
        return rs_terminal(d, "completed");
    case ET_INCOMPLETE:
        return rs_terminal(d, "incomplete");
    case ET_FAILED:
        return rs_terminal(d, "failed");
    case ET_ERROR:
        return sk_emit_error(d, SSEKIT_E_PROVIDER, s->err_code.p ? s->err_code : s->err_type,
                             s->err_msg);
    }
    return 0;
}

const sk_provider_ops sk_provider_responses = {
    .state_size = sizeof(rs_state),
    .feed = rs_feed,
    .key = rs_key,
    .begin = rs_begin,
    .value = rs_value,
    .open = rs_open,
    .end = rs_end,
};
