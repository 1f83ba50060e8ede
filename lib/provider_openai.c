/* OpenAI chat completions: `chat.completion.chunk` envelopes.
 *
 * Text, refusal and reasoning fragments are emitted from the yajl string
 * callback itself (zero copy). A tool_calls[] element is emitted as soon as
 * its arguments arrive when its `index` came first (OpenAI's order), else when
 * the element closes; id and name arrive on a call's first fragment only and
 * are remembered by (choice, index). finish_reason is reported when its
 * choice closes, after that choice's content. */
#include "provider_internal.h"

#include <string.h>

enum {
    K_CHOICES = SK_K_FIRST,
    K_INDEX,
    K_DELTA,
    K_CONTENT,
    K_REFUSAL,
    K_REASONING_CONTENT,
    K_REASONING,
    K_TOOL_CALLS,
    K_ID,
    K_FUNCTION,
    K_NAME,
    K_ARGUMENTS,
    K_FINISH_REASON,
    K_USAGE,
    K_PROMPT_TOKENS,
    K_COMPLETION_TOKENS,
    K_TOTAL_TOKENS,
    K_PROMPT_DETAILS,
    K_COMPLETION_DETAILS,
    K_CACHED_TOKENS,
    K_REASONING_TOKENS,
    K_ERROR,
    K_MESSAGE,
    K_TYPE,
    K_CODE
};

#define KEY(lit, id)                                                                               \
    if (memcmp(k, lit, sizeof lit - 1) == 0)                                                       \
    return id

static int oa_key(const char *k, size_t n)
{
    switch (n) {
    case 2:
        KEY("id", K_ID);
        break;
    case 4:
        KEY("name", K_NAME);
        KEY("type", K_TYPE);
        KEY("code", K_CODE);
        break;
    case 5:
        KEY("delta", K_DELTA);
        KEY("index", K_INDEX);
        KEY("usage", K_USAGE);
        KEY("error", K_ERROR);
        break;
    case 7:
        KEY("content", K_CONTENT);
        KEY("choices", K_CHOICES);
        KEY("refusal", K_REFUSAL);
        KEY("message", K_MESSAGE);
        break;
    case 8:
        KEY("function", K_FUNCTION);
        break;
    case 9:
        KEY("arguments", K_ARGUMENTS);
        KEY("reasoning", K_REASONING);
        break;
    case 10:
        KEY("tool_calls", K_TOOL_CALLS);
        break;
    case 12:
        KEY("total_tokens", K_TOTAL_TOKENS);
        break;
    case 13:
        KEY("finish_reason", K_FINISH_REASON);
        KEY("prompt_tokens", K_PROMPT_TOKENS);
        KEY("cached_tokens", K_CACHED_TOKENS);
        break;
    case 16:
        KEY("reasoning_tokens", K_REASONING_TOKENS);
        break;
    case 17:
        KEY("reasoning_content", K_REASONING_CONTENT);
        KEY("completion_tokens", K_COMPLETION_TOKENS);
        break;
    case 21:
        KEY("prompt_tokens_details", K_PROMPT_DETAILS);
        break;
    case 25:
        KEY("completion_tokens_details", K_COMPLETION_DETAILS);
        break;
    }
    return SK_K_OTHER;
}

#define P_CHOICES SK_P1(K_CHOICES)
#define P_CHOICE SK_P2(K_CHOICES, SK_K_ARR)
#define P_CHOICE_(k) SK_P3(K_CHOICES, SK_K_ARR, k)
#define P_DELTA_(k) SK_P4(K_CHOICES, SK_K_ARR, K_DELTA, k)
#define P_TOOLS P_DELTA_(K_TOOL_CALLS)
#define P_TOOL SK_P5(K_CHOICES, SK_K_ARR, K_DELTA, K_TOOL_CALLS, SK_K_ARR)
#define P_TOOL_(k) SK_P6(K_CHOICES, SK_K_ARR, K_DELTA, K_TOOL_CALLS, SK_K_ARR, k)
#define P_FN_(k) SK_P7(K_CHOICES, SK_K_ARR, K_DELTA, K_TOOL_CALLS, SK_K_ARR, K_FUNCTION, k)
#define P_USAGE SK_P1(K_USAGE)
#define P_USAGE_(k) SK_P2(K_USAGE, k)
#define P_USAGE2_(k, l) SK_P3(K_USAGE, k, l)
#define P_ERROR SK_P1(K_ERROR)
#define P_ERROR_(k) SK_P2(K_ERROR, k)

typedef struct oa_state {
    /* the choice being read */
    uint32_t choice;
    sk_str finish;
    /* the tool_calls[] element being read */
    uint32_t tool;
    int tool_has_index;
    int tool_emitted; /* a delta went out for this element */
    int tool_late;    /* id or name arrived after that delta */
    sk_str tool_id, tool_name, tool_args;
    /* usage and error objects */
    ssekit_usage usage;
    int usage_any;
    sk_str err_type, err_code, err_msg;
} oa_state;

static void oa_begin(ssekit_decoder *d)
{
    /* Nothing read from one envelope may leak into the next. */
    memset(d->state, 0, sizeof(oa_state));
}

static int oa_feed(ssekit_decoder *d)
{
    if (sk_data_is_done(d))
        return sk_emit_done(d);
    return sk_decode_json(d);
}

static int oa_open(ssekit_decoder *d, uint64_t path, int is_map)
{
    oa_state *s = d->state;
    switch (path) {
    case P_CHOICES:
    case P_TOOLS:
        return is_map ? sk_shape(d, "\"choices\" and \"tool_calls\" must be arrays") : 0;
    case P_CHOICE:
        if (!is_map)
            return sk_shape(d, "a choice must be an object");
        s->choice = d->pos[2];
        s->finish = (sk_str){NULL, 0};
        return 0;
    case P_TOOL:
        if (!is_map)
            return sk_shape(d, "a tool call must be an object");
        s->tool = d->pos[5];
        s->tool_has_index = s->tool_emitted = s->tool_late = 0;
        s->tool_id = s->tool_name = s->tool_args = (sk_str){NULL, 0};
        return 0;
    case P_USAGE:
        if (!is_map)
            return sk_shape(d, "\"usage\" must be an object");
        sk_usage_init(&s->usage);
        s->usage_any = 0;
        return 0;
    case P_ERROR:
        if (!is_map)
            return sk_shape(d, "\"error\" must be an object or a string");
        s->err_type = s->err_code = s->err_msg = (sk_str){NULL, 0};
        return 0;
    case P_CHOICE_(K_DELTA):
    case P_TOOL_(K_FUNCTION):
    case P_USAGE_(K_PROMPT_DETAILS):
    case P_USAGE_(K_COMPLETION_DETAILS):
        return is_map ? 0 : sk_shape(d, "a delta, function or details field must be an object");
    case P_CHOICE_(K_INDEX):
    case P_CHOICE_(K_FINISH_REASON):
    case P_DELTA_(K_CONTENT):
    case P_DELTA_(K_REFUSAL):
    case P_DELTA_(K_REASONING_CONTENT):
    case P_DELTA_(K_REASONING):
    case P_TOOL_(K_INDEX):
    case P_TOOL_(K_ID):
    case P_FN_(K_NAME):
    case P_FN_(K_ARGUMENTS):
        return sk_shape(d, "a text, index or name field holds a container");
    }
    return 0;
}

/* Emits the current tool_calls[] element's fragment. */
static int oa_tool(ssekit_decoder *d, const char *args, size_t len)
{
    oa_state *s = d->state;
    s->tool_emitted = 1;
    s->tool_late = 0;
    return sk_emit_tool(d, s->choice, s->tool, s->tool_id, s->tool_name, args, len);
}

static int oa_string(ssekit_decoder *d, sk_vtype t, const char *what)
{
    if (t == SK_V_STRING || t == SK_V_NULL)
        return 0;
    return sk_shape(d, what);
}

static int oa_value(ssekit_decoder *d, uint64_t path, sk_vtype t, const char *v, size_t n)
{
    oa_state *s = d->state;
    int rc;
    switch (path) {
    case P_CHOICES:
    case P_CHOICE:
    case P_CHOICE_(K_DELTA):
    case P_TOOLS:
    case P_TOOL:
    case P_TOOL_(K_FUNCTION):
    case P_USAGE:
        return t == SK_V_NULL ? 0 : sk_shape(d, "a container field holds a scalar");
    case P_CHOICE_(K_INDEX):
        return t == SK_V_NULL ? 0 : sk_index(d, t, v, n, &s->choice, "bad choice \"index\"");
    case P_DELTA_(K_CONTENT):
        if ((rc = oa_string(d, t, "\"content\" is not a string")) || t == SK_V_NULL)
            return rc;
        return sk_emit_text(d, SSEKIT_DELTA_TEXT, s->choice, v, n);
    case P_DELTA_(K_REFUSAL):
        if ((rc = oa_string(d, t, "\"refusal\" is not a string")) || t == SK_V_NULL)
            return rc;
        return sk_emit_text(d, SSEKIT_DELTA_REFUSAL, s->choice, v, n);
    case P_DELTA_(K_REASONING_CONTENT):
    case P_DELTA_(K_REASONING):
        if ((rc = oa_string(d, t, "\"reasoning\" is not a string")) || t == SK_V_NULL)
            return rc;
        return sk_emit_text(d, SSEKIT_DELTA_THINKING, s->choice, v, n);
    case P_CHOICE_(K_FINISH_REASON):
        if ((rc = oa_string(d, t, "\"finish_reason\" is not a string")) || t == SK_V_NULL)
            return rc;
        return sk_keep(d, v, n, &s->finish);
    case P_TOOL_(K_INDEX):
        if (t == SK_V_NULL)
            return 0;
        s->tool_has_index = 1;
        return sk_index(d, t, v, n, &s->tool, "bad tool call \"index\"");
    case P_TOOL_(K_ID):
    case P_FN_(K_NAME):
        if ((rc = oa_string(d, t, "a tool call's id or name is not a string")) || t == SK_V_NULL)
            return rc;
        s->tool_late |= s->tool_emitted;
        return sk_keep(d, v, n, path == P_TOOL_(K_ID) ? &s->tool_id : &s->tool_name);
    case P_FN_(K_ARGUMENTS):
        if ((rc = oa_string(d, t, "\"arguments\" is not a string")) || t == SK_V_NULL)
            return rc;
        if (s->tool_has_index || s->tool_emitted)
            return oa_tool(d, v, n);
        return s->tool_args.p ? 0 : sk_keep(d, v, n, &s->tool_args);
    case P_USAGE_(K_PROMPT_TOKENS):
        s->usage_any = 1;
        return sk_count(d, t, v, n, &s->usage.input_tokens);
    case P_USAGE_(K_COMPLETION_TOKENS):
        s->usage_any = 1;
        return sk_count(d, t, v, n, &s->usage.output_tokens);
    case P_USAGE_(K_TOTAL_TOKENS):
        s->usage_any = 1;
        return sk_count(d, t, v, n, &s->usage.total_tokens);
    case P_USAGE2_(K_PROMPT_DETAILS, K_CACHED_TOKENS):
        return sk_count(d, t, v, n, &s->usage.cached_input_tokens);
    case P_USAGE2_(K_COMPLETION_DETAILS, K_REASONING_TOKENS):
        return sk_count(d, t, v, n, &s->usage.reasoning_tokens);
    case P_ERROR:
        /* Some servers send `"error": "text"`; `"error": null` is no error. */
        if (t == SK_V_NULL)
            return 0;
        return sk_emit_error(d, SSEKIT_E_PROVIDER, (sk_str){NULL, 0}, (sk_str){v, n});
    case P_ERROR_(K_MESSAGE):
        return t == SK_V_STRING ? sk_keep(d, v, n, &s->err_msg) : 0;
    case P_ERROR_(K_TYPE):
        return t == SK_V_STRING ? sk_keep(d, v, n, &s->err_type) : 0;
    case P_ERROR_(K_CODE):
        return t == SK_V_STRING || t == SK_V_NUMBER ? sk_keep(d, v, n, &s->err_code) : 0;
    }
    return 0;
}

static int oa_close(ssekit_decoder *d, uint64_t path, int is_map)
{
    oa_state *s = d->state;
    (void)is_map;
    switch (path) {
    case P_TOOL:
        if (!s->tool_emitted) {
            if (s->tool_args.p || s->tool_id.p || s->tool_name.p)
                return oa_tool(d, s->tool_args.p, s->tool_args.n);
        } else if (s->tool_late) {
            return oa_tool(d, NULL, 0);
        }
        return 0;
    case P_CHOICE:
        return s->finish.p ? sk_emit_finish(d, s->choice, s->finish) : 0;
    case P_USAGE:
        return s->usage_any ? sk_emit_usage(d, &s->usage) : 0;
    case P_ERROR:
        return sk_emit_error(d, SSEKIT_E_PROVIDER, s->err_type.p ? s->err_type : s->err_code,
                             s->err_msg);
    }
    return 0;
}

static void oa_reset(ssekit_decoder *d)
{
    memset(d->state, 0, sizeof(oa_state));
}

const sk_provider_ops sk_provider_openai = {
    .state_size = sizeof(oa_state),
    .feed = oa_feed,
    .key = oa_key,
    .begin = oa_begin,
    .value = oa_value,
    .open = oa_open,
    .close = oa_close,
    .reset = oa_reset,
};
