/* Private to the replay server: the JSON it reads (request bodies, inspected
 * without building a tree) and writes (escaped strings). */
#ifndef SSEKIT_REPLAY_JSON_H
#define SSEKIT_REPLAY_JSON_H

#include <stddef.h>

#include "buffer.h"

/* Appends s[0..n) as a JSON string literal (with quotes): '"', '\\' and
 * control characters escaped, valid UTF-8 copied, each byte that is not part
 * of valid UTF-8 written as \ufffd. Returns 0 or -1 when memory runs out. */
int rp_json_str(sk_buf *b, const ssekit_alloc_funcs *a, const char *s, size_t n);

/* Appends the NUL-terminated s as is. Returns 0 or -1. */
int rp_json_raw(sk_buf *b, const ssekit_alloc_funcs *a, const char *s);

/* The JSON string literal of s, or null when s is NULL. Returns 0 or -1. */
int rp_json_str_or_null(sk_buf *b, const ssekit_alloc_funcs *a, const char *s);

/* What the routes need to know about a request body. */
typedef struct rp_body_info {
    int stream;           /* top-level "stream": true */
    int tools;            /* top-level "tools": a non-empty array */
    int response_format;  /* top-level "response_format" present and not null */
    int text_json_schema; /* "text": {"format": {"type": "json_schema"}} (Responses) */
    char error[160];      /* why the body was rejected */
} rp_body_info;

/* The deepest nesting a request body may have. */
#define RP_BODY_MAX_DEPTH 64

/* Inspects body[0..len) with yajl's streaming parser (no tree, bounded
 * depth). Returns 0 when it is one JSON object, else -1 with info->error set. */
int rp_body_inspect(const char *body, size_t len, rp_body_info *info);

#endif
