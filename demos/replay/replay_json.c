/* JSON in and out for the replay server. */
#include "replay_json.h"

#include <stdio.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "utf8.h"

int rp_json_raw(sk_buf *b, const ssekit_alloc_funcs *a, const char *s)
{
    return sk_buf_append(a, b, s, strlen(s));
}

int rp_json_str(sk_buf *b, const ssekit_alloc_funcs *a, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (sk_buf_push(a, b, '"'))
        return -1;
    while (n) {
        size_t ok = sk_utf8_valid_prefix(s, n);
        for (size_t i = 0; i < ok; i++) {
            unsigned char c = (unsigned char)s[i];
            char esc[7] = {'\\', 0};
            size_t el = 2;
            if (c == '"' || c == '\\')
                esc[1] = (char)c;
            else if (c == '\n')
                esc[1] = 'n';
            else if (c == '\r')
                esc[1] = 'r';
            else if (c == '\t')
                esc[1] = 't';
            else if (c < 0x20 || c == 0x7f) {
                memcpy(esc + 1, "u00", 3);
                esc[4] = hex[c >> 4];
                esc[5] = hex[c & 15];
                el = 6;
            } else {
                if (sk_buf_push(a, b, (char)c))
                    return -1;
                continue;
            }
            if (sk_buf_append(a, b, esc, el))
                return -1;
        }
        s += ok;
        n -= ok;
        if (n) {
            if (rp_json_raw(b, a, "\\ufffd"))
                return -1;
            s++;
            n--;
        }
    }
    return sk_buf_push(a, b, '"');
}

int rp_json_str_or_null(sk_buf *b, const ssekit_alloc_funcs *a, const char *s)
{
    return s ? rp_json_str(b, a, s, strlen(s)) : rp_json_raw(b, a, "null");
}

/* --- request body inspection ------------------------------------------- */

#define KEY_MAX 24

struct inspect {
    rp_body_info *info;
    int depth; /* open containers */
    char is_map[RP_BODY_MAX_DEPTH + 1];
    char key[4][KEY_MAX]; /* current key of the maps at depth 1..3 */
    int too_deep, not_object;
};

static int key_is(const struct inspect *x, int d, const char *k)
{
    return d <= x->depth && d < 4 && x->is_map[d] && !strcmp(x->key[d], k);
}

/* A value (scalar or the start of a container) at the current depth. */
static int on_value(struct inspect *x, int is_null)
{
    if (x->depth == 0) { /* a scalar as the whole body */
        x->not_object = 1;
        return 0;
    }
    if (x->depth == 1 && key_is(x, 1, "response_format") && !is_null)
        x->info->response_format = 1;
    if (x->depth == 2 && key_is(x, 1, "tools") && !x->is_map[2])
        x->info->tools = 1;
    return 1;
}

static int cb_null(void *ctx)
{
    return on_value(ctx, 1);
}

static int cb_bool(void *ctx, int v)
{
    struct inspect *x = ctx;
    if (x->depth == 1 && key_is(x, 1, "stream"))
        x->info->stream = v;
    return on_value(x, 0);
}

static int cb_number(void *ctx, const char *s, size_t n)
{
    (void)s, (void)n;
    return on_value(ctx, 0);
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
    struct inspect *x = ctx;
    if (x->depth == 3 && key_is(x, 1, "text") && key_is(x, 2, "format") && key_is(x, 3, "type") &&
        n == 11 && !memcmp(s, "json_schema", 11))
        x->info->text_json_schema = 1;
    return on_value(x, 0);
}

static int open_container(struct inspect *x, int map)
{
    if (x->depth == 0 && !map) {
        x->not_object = 1;
        return 0;
    }
    if (x->depth)
        on_value(x, 0);
    if (x->depth == RP_BODY_MAX_DEPTH) {
        x->too_deep = 1;
        return 0;
    }
    x->depth++;
    x->is_map[x->depth] = (char)map;
    if (x->depth < 4)
        x->key[x->depth][0] = 0;
    return 1;
}

static int cb_start_map(void *ctx)
{
    return open_container(ctx, 1);
}

static int cb_start_array(void *ctx)
{
    return open_container(ctx, 0);
}

static int cb_end(void *ctx)
{
    struct inspect *x = ctx;
    x->depth--;
    return 1;
}

static int cb_key(void *ctx, const unsigned char *s, size_t n)
{
    struct inspect *x = ctx;
    if (x->depth < 4) {
        if (n >= KEY_MAX)
            n = 0, s = (const unsigned char *)""; /* too long to be one we look for */
        memcpy(x->key[x->depth], s, n);
        x->key[x->depth][n] = 0;
    }
    return 1;
}

int rp_body_inspect(const char *body, size_t len, rp_body_info *info)
{
    static const yajl_callbacks cb = {cb_null,   cb_bool,        NULL,         NULL,
                                      cb_number, cb_string,      cb_start_map, cb_key,
                                      cb_end,    cb_start_array, cb_end};
    struct inspect x;
    memset(info, 0, sizeof *info);
    memset(&x, 0, sizeof x);
    x.info = info;
    yajl_handle h = yajl_alloc(&cb, NULL, &x);
    if (!h) {
        snprintf(info->error, sizeof info->error, "out of memory");
        return -1;
    }
    yajl_status st = yajl_parse(h, (const unsigned char *)body, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    int rc = 0;
    if (x.not_object || (st == yajl_status_ok && !len)) {
        snprintf(info->error, sizeof info->error, "the request body must be a JSON object");
        rc = -1;
    } else if (x.too_deep) {
        snprintf(info->error, sizeof info->error, "the request body nests deeper than %d levels",
                 RP_BODY_MAX_DEPTH);
        rc = -1;
    } else if (st != yajl_status_ok) {
        unsigned char *e = yajl_get_error(h, 0, NULL, 0);
        snprintf(info->error, sizeof info->error,
                 "we could not parse the JSON body of your request (%s)",
                 e ? (const char *)e : "invalid JSON");
        if (e)
            yajl_free_error(h, e);
        rc = -1;
    }
    yajl_free(h);
    if (rc)
        info->stream = info->tools = info->response_format = info->text_json_schema = 0;
    return rc;
}
