/* Private: the node behind ssekit_json (json_value.h) and the JSON writer the
 * snapshot and patch serialisers share. Only the builder (partial_json.c) and
 * the accessors (json_value.c) see this; everything else reads trees through
 * json_value.h. */
#ifndef SSEKIT_JSON_TREE_H
#define SSEKIT_JSON_TREE_H

#include <stddef.h>

#include "ssekit/json_value.h"

/* Nodes, their child arrays and their text live in the builder's arenas and
 * die together at reset/free, so a node never frees anything itself. */
struct ssekit_json {
    unsigned char type;     /* ssekit_json_type */
    unsigned char complete; /* closing quote/bracket seen; scalars are born complete */
    const char *key;        /* member of an object: its key (NUL-terminated), else NULL */
    size_t key_len;
    union {
        struct {
            const char *p; /* NUL-terminated; STRING: decoded text, NUMBER: literal */
            size_t len;
        } text;
        struct {
            ssekit_json **items; /* members (with .key) or elements, in order */
            size_t count;
            size_t cap;
        } kids;
        int boolean;
    } u;
};

/* A buffered writer over an ssekit_json_write_fn: output is gathered in
 * `buf` and handed to `out` in chunks; after `out` returns non-zero every
 * further write is dropped and sk_jw_finish() reports SSEKIT_E_STOPPED. */
typedef struct sk_jw {
    ssekit_json_write_fn out;
    void *ctx;
    size_t n;
    int stopped;
    char buf[512];
} sk_jw;

void sk_jw_init(sk_jw *w, ssekit_json_write_fn out, void *ctx);
void sk_jw_raw(sk_jw *w, const char *s, size_t n);
/* `s` quoted, with '"', '\\' and control characters escaped. */
void sk_jw_string(sk_jw *w, const char *s, size_t n);
void sk_jw_value(sk_jw *w, const ssekit_json *v);
/* Hands the rest to `out`; SSEKIT_OK or SSEKIT_E_STOPPED. */
int sk_jw_finish(sk_jw *w);

#endif
