/* JSON helpers of the bridge: parse a payload, render a tree compactly (so a
 * frame never holds a newline and fits one SSE data line), escape strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_internal.h"

int br_json_escape(const ssekit_alloc_funcs *a, sk_buf *out, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (n == 0) /* s may be NULL (an empty sk_buf) */
        return sk_buf_append(a, out, "\"\"", 2);
    if (sk_buf_push(a, out, '"'))
        return -1;
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (sk_buf_append(a, out, s + run, i - run))
            return -1;
        char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        if (c == '"' || c == '\\') {
            esc[1] = (char)c;
            if (sk_buf_append(a, out, esc, 2))
                return -1;
        } else if (c == '\n') {
            if (sk_buf_append(a, out, "\\n", 2))
                return -1;
        } else if (sk_buf_append(a, out, esc, 6)) {
            return -1;
        }
        run = i + 1;
    }
    if (sk_buf_append(a, out, s + run, n - run))
        return -1;
    return sk_buf_push(a, out, '"');
}

int br_json_render(const ssekit_alloc_funcs *a, sk_buf *out, yajl_val v)
{
    if (!v)
        return sk_buf_append(a, out, "null", 4);
    switch (v->type) {
    case yajl_t_string:
        return br_json_escape(a, out, v->u.string, strlen(v->u.string));
    case yajl_t_number:
        return sk_buf_append(a, out, v->u.number.r, strlen(v->u.number.r));
    case yajl_t_true:
        return sk_buf_append(a, out, "true", 4);
    case yajl_t_false:
        return sk_buf_append(a, out, "false", 5);
    case yajl_t_null:
        return sk_buf_append(a, out, "null", 4);
    case yajl_t_array:
        if (sk_buf_push(a, out, '['))
            return -1;
        for (size_t i = 0; i < v->u.array.len; i++) {
            if ((i && sk_buf_push(a, out, ',')) || br_json_render(a, out, v->u.array.values[i]))
                return -1;
        }
        return sk_buf_push(a, out, ']');
    case yajl_t_object:
        if (sk_buf_push(a, out, '{'))
            return -1;
        for (size_t i = 0; i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            if ((i && sk_buf_push(a, out, ',')) || br_json_escape(a, out, k, strlen(k)) ||
                sk_buf_push(a, out, ':') || br_json_render(a, out, v->u.object.values[i]))
                return -1;
        }
        return sk_buf_push(a, out, '}');
    default:
        return -1;
    }
}

/* The deepest nesting of arrays and objects in `json`, counted without
 * parsing (strings skipped), stopping once past `limit`: yajl's tree and the
 * functions that walk it (yajl_tree_free, br_json_render) recurse once per
 * level, so a hostile "[[[[..." of a few MiB would overflow the stack. */
static size_t json_depth(const char *json, size_t len, size_t limit)
{
    size_t depth = 0, max = 0;
    int in_str = 0;
    for (size_t i = 0; i < len && max <= limit; i++) {
        char c = json[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max)
                max = depth;
        } else if ((c == ']' || c == '}') && depth) {
            depth--;
        }
    }
    return max;
}

yajl_val br_json_parse(const char *json, size_t len, int *status)
{
    if (!json || !len) { /* an empty WebSocket message or POST body */
        *status = SSEKIT_E_JSON;
        return NULL;
    }
    if (memchr(json, '\0', len)) {
        *status = SSEKIT_E_JSON;
        return NULL;
    }
    if (json_depth(json, len, BR_JSON_MAX_DEPTH) > BR_JSON_MAX_DEPTH) {
        *status = SSEKIT_E_TOO_DEEP;
        return NULL;
    }
    /* yajl_tree_parse wants a NUL-terminated string. */
    char *copy = malloc(len + 1);
    if (!copy) {
        *status = SSEKIT_E_NOMEM;
        return NULL;
    }
    memcpy(copy, json, len);
    copy[len] = '\0';
    yajl_val v = yajl_tree_parse(copy, NULL, 0);
    free(copy);
    *status = v ? SSEKIT_OK : SSEKIT_E_JSON;
    return v;
}
