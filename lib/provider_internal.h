/* Private: what the provider decoders share — the decoder handle, the JSON
 * envelope walker that drives them, and the helpers that emit deltas.
 *
 * Each envelope is parsed once with yajl's streaming callbacks. The walker
 * keeps the path of the value being reported as a packed "path signature":
 * one byte per nesting level (up to SK_PATH_LEVELS), holding the provider's
 * id for the current member's key, SK_K_ARR for an array level, SK_K_OTHER
 * for a key the provider does not know. A provider recognises a field by
 * comparing the signature with a constant such as
 * SK_P4(K_CHOICES, SK_K_ARR, K_DELTA, K_CONTENT) — one integer compare, no
 * strings, no tree. Bytes beyond the current depth are always zero, so a
 * signature also encodes its depth. */
#ifndef SSEKIT_PROVIDER_INTERNAL_H
#define SSEKIT_PROVIDER_INTERNAL_H

#include <stdint.h>

#include <yajl/yajl_parse.h>

#include "alloc_internal.h"
#include "buffer.h"
#include "ssekit/provider.h"

#define SK_PATH_LEVELS 8

enum { SK_K_NONE = 0, SK_K_OTHER = 1, SK_K_FIRST = 2, SK_K_ARR = 0xff };

#define SK_P1(a) ((uint64_t)(a))
#define SK_P2(a, b) (SK_P1(a) | (uint64_t)(b) << 8)
#define SK_P3(a, b, c) (SK_P2(a, b) | (uint64_t)(c) << 16)
#define SK_P4(a, b, c, d) (SK_P3(a, b, c) | (uint64_t)(d) << 24)
#define SK_P5(a, b, c, d, e) (SK_P4(a, b, c, d) | (uint64_t)(e) << 32)
#define SK_P6(a, b, c, d, e, f) (SK_P5(a, b, c, d, e) | (uint64_t)(f) << 40)
#define SK_P7(a, b, c, d, e, f, g) (SK_P6(a, b, c, d, e, f) | (uint64_t)(g) << 48)

/* JSON scalar types as the walker reports them. Numbers come as their
 * literal text (yajl's number callback), strings decoded. */
typedef enum sk_vtype { SK_V_NULL, SK_V_BOOL, SK_V_NUMBER, SK_V_STRING } sk_vtype;

/* A string kept past its yajl callback: p == NULL means absent. */
typedef struct sk_str {
    const char *p;
    size_t n;
} sk_str;

/* What the decoder remembers of one tool call: its id and name arrive with
 * the first fragment only, later fragments are matched by (output, index). */
typedef struct sk_tool {
    uint32_t output;
    uint32_t index;
    char *id;
    size_t id_len;
    char *name;
    size_t name_len;
} sk_tool;

/* A tool call's remembered id and name longer than this is not remembered
 * (the delta that carries it still shows it); the table holds at most
 * SK_MAX_TOOLS calls. Both keep a hostile stream from growing memory. */
#define SK_MAX_TOOL_STR 1024
#define SK_MAX_TOOLS 1024

typedef struct ssekit_decoder ssekit_decoder;

/* A provider. Callbacks return 0 to go on or a negative ssekit_status that
 * stops the event (SSEKIT_E_STOPPED from an emit helper, SSEKIT_E_NOMEM,
 * SSEKIT_E_ENVELOPE from sk_shape()). NULL callbacks are skipped. */
typedef struct sk_provider_ops {
    size_t state_size; /* bytes of provider state at dec->state, zeroed */
    /* Handles one event; JSON providers call sk_decode_json(). */
    int (*feed)(ssekit_decoder *d);
    /* Maps a member key to an id >= SK_K_FIRST and < SK_K_ARR, or
     * SK_K_OTHER. */
    int (*key)(const char *k, size_t n);
    /* Per event, before parsing: reset the per-event state. */
    void (*begin)(ssekit_decoder *d);
    /* A scalar at `path`. */
    int (*value)(ssekit_decoder *d, uint64_t path, sk_vtype t, const char *s, size_t n);
    /* A container opens / closes at `path` (the path it is the value of). */
    int (*open)(ssekit_decoder *d, uint64_t path, int is_map);
    int (*close)(ssekit_decoder *d, uint64_t path, int is_map);
    /* After the whole envelope parsed as one JSON object. */
    int (*end)(ssekit_decoder *d);
    /* At ssekit_decoder_finish(). */
    int (*finish)(ssekit_decoder *d);
    /* At ssekit_decoder_reset(): forget the response. */
    void (*reset)(ssekit_decoder *d);
} sk_provider_ops;

extern const sk_provider_ops sk_provider_openai;
extern const sk_provider_ops sk_provider_anthropic;
extern const sk_provider_ops sk_provider_responses;
extern const sk_provider_ops sk_provider_raw;

struct ssekit_decoder {
    const sk_provider_ops *ops;
    ssekit_provider kind;
    ssekit_decoder_callbacks cb;
    void *user;
    ssekit_alloc_funcs alloc;
    size_t max_envelope;
    unsigned max_depth;
    int busy;     /* inside feed/finish: callbacks may not re-enter */
    int finished; /* finish called, no reset yet */
    int done;     /* a DONE delta was delivered */
    int64_t sequence;

    yajl_handle yh; /* reused across events; recreated after an error */
    int yajl_oom;   /* the user allocator refused yajl memory */

    /* The event being decoded. */
    const char *data;
    size_t data_len;
    const char *etype;
    size_t etype_len;

    /* The walker. */
    unsigned depth;  /* containers open */
    unsigned skip;   /* depth where an ignored container opened, or 0 */
    unsigned values; /* top-level values completed */
    uint64_t path;
    uint32_t pos[SK_PATH_LEVELS + 1]; /* element position per array level */
    int abort;                        /* status that stopped the parse */
    const char *why;                  /* message of a shape error */

    /* Copies of escaped strings kept past their callback; reserved at the
     * event's data length on first use so pointers into it never move (a
     * decoded JSON string is never longer than its source text). */
    sk_buf scratch;
    int scratch_ready;

    sk_tool *tools;
    size_t ntools;
    size_t cap_tools;

    void *state; /* the provider's, state_size bytes */
};

/* Parses dec->data as one JSON object through the provider's callbacks and
 * calls its end(). Reports a malformed envelope as an ERROR delta. Returns
 * SSEKIT_OK or the event's status (see ssekit_decoder_feed()). */
int sk_decode_json(ssekit_decoder *d);

/* 1 when the event's data is `[DONE]` (surrounding whitespace allowed). */
int sk_data_is_done(const ssekit_decoder *d);

/* Records a wrong-shape envelope: stores the message, returns
 * SSEKIT_E_ENVELOPE for the callback to pass up. `why` must be static. */
int sk_shape(ssekit_decoder *d, const char *why);

/* Keeps string `s` (from a yajl callback) until the end of the event: points
 * into the event data when the string was not escaped, else copies. Returns
 * 0 or SSEKIT_E_NOMEM. */
int sk_keep(ssekit_decoder *d, const char *s, size_t n, sk_str *out);

/* Parses a JSON number literal that is a non-negative integer. Returns 0 and
 * sets *v, or -1 (fraction, exponent, sign, overflow). */
int sk_parse_uint(const char *s, size_t n, uint64_t *v);

/* Same, for an index that must fit uint32_t; a wrong type or value gives the
 * shape error for `what`. */
int sk_index(ssekit_decoder *d, sk_vtype t, const char *s, size_t n, uint32_t *out,
             const char *why);

/* A token count: stores the value of a non-negative integer, leaves *out
 * alone for null; anything else is a shape error. */
int sk_count(ssekit_decoder *d, sk_vtype t, const char *s, size_t n, int64_t *out);

/* Compares the string with a NUL-terminated literal. */
int sk_eq(const char *s, size_t n, const char *lit);

/* Emit helpers: each fills a delta and calls on_delta. Return 0 or
 * SSEKIT_E_STOPPED. */
int sk_emit(ssekit_decoder *d, ssekit_delta *x);
int sk_emit_text(ssekit_decoder *d, ssekit_delta_kind kind, uint32_t index, const char *s,
                 size_t n);
int sk_emit_finish(ssekit_decoder *d, uint32_t index, sk_str reason);
int sk_emit_usage(ssekit_decoder *d, const ssekit_usage *u);
int sk_emit_done(ssekit_decoder *d);
int sk_emit_error(ssekit_decoder *d, int code, sk_str type, sk_str message);

/* Reports a fragment of tool call (output, index): remembers `id` and `name`
 * when given (non-empty), then emits a TOOL_CALL delta with the id and name
 * known so far. Returns 0, SSEKIT_E_STOPPED or SSEKIT_E_NOMEM. */
int sk_emit_tool(ssekit_decoder *d, uint32_t output, uint32_t index, sk_str id, sk_str name,
                 const char *args, size_t args_len);

void sk_usage_init(ssekit_usage *u);

#endif
