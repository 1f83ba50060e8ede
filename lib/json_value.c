/* Read-only access to value trees and their serialisation (json_value.h). */
#include "ssekit/json_value.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "json_tree.h"
#include "ssekit/status.h"

ssekit_json_type ssekit_json_type_of(const ssekit_json *v)
{
    return v ? (ssekit_json_type)v->type : SSEKIT_JSON_NULL;
}

int ssekit_json_is_complete(const ssekit_json *v)
{
    return v ? v->complete : 0;
}

const char *ssekit_json_string(const ssekit_json *v, size_t *len)
{
    if (!v || v->type != SSEKIT_JSON_STRING)
        return NULL;
    if (len)
        *len = v->u.text.len;
    return v->u.text.p;
}

const char *ssekit_json_number_text(const ssekit_json *v, size_t *len)
{
    if (!v || v->type != SSEKIT_JSON_NUMBER)
        return NULL;
    if (len)
        *len = v->u.text.len;
    return v->u.text.p;
}

double ssekit_json_number(const ssekit_json *v)
{
    if (!v || v->type != SSEKIT_JSON_NUMBER)
        return 0;
    const char *s = v->u.text.p;
    /* strtod reads the locale's decimal point; JSON always uses '.'. */
    const char *dp = localeconv()->decimal_point;
    if (!dp || (dp[0] == '.' && dp[1] == 0) || !memchr(s, '.', v->u.text.len))
        return strtod(s, NULL);
    char tmp[400];
    size_t dl = strlen(dp), o = 0;
    for (size_t i = 0; i < v->u.text.len && o + dl + 1 < sizeof tmp; i++) {
        if (s[i] == '.') {
            memcpy(tmp + o, dp, dl);
            o += dl;
        } else {
            tmp[o++] = s[i];
        }
    }
    tmp[o] = 0;
    return strtod(tmp, NULL);
}

int ssekit_json_integer(const ssekit_json *v, int64_t *out)
{
    if (!v || v->type != SSEKIT_JSON_NUMBER)
        return 0;
    const char *s = v->u.text.p, *e = s + v->u.text.len;
    int neg = 0;
    if (s < e && *s == '-') {
        neg = 1;
        s++;
    }
    if (s == e)
        return 0;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9')
            return 0; /* fraction or exponent */
        unsigned d = (unsigned)(*s - '0');
        if (acc > (limit - d) / 10)
            return 0;
        acc = acc * 10 + d;
    }
    if (out)
        *out = neg ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
    return 1;
}

int ssekit_json_bool(const ssekit_json *v)
{
    return v && v->type == SSEKIT_JSON_BOOL ? v->u.boolean : 0;
}

size_t ssekit_json_count(const ssekit_json *v)
{
    if (!v || (v->type != SSEKIT_JSON_ARRAY && v->type != SSEKIT_JSON_OBJECT))
        return 0;
    return v->u.kids.count;
}

const ssekit_json *ssekit_json_index(const ssekit_json *v, size_t i)
{
    if (!v || v->type != SSEKIT_JSON_ARRAY || i >= v->u.kids.count)
        return NULL;
    return v->u.kids.items[i];
}

const char *ssekit_json_member_key(const ssekit_json *v, size_t i, size_t *len)
{
    if (!v || v->type != SSEKIT_JSON_OBJECT || i >= v->u.kids.count)
        return NULL;
    const ssekit_json *m = v->u.kids.items[i];
    if (len)
        *len = m->key_len;
    return m->key;
}

const ssekit_json *ssekit_json_member_value(const ssekit_json *v, size_t i)
{
    if (!v || v->type != SSEKIT_JSON_OBJECT || i >= v->u.kids.count)
        return NULL;
    return v->u.kids.items[i];
}

const ssekit_json *ssekit_json_find(const ssekit_json *obj, const char *key, size_t len)
{
    if (!obj || obj->type != SSEKIT_JSON_OBJECT || (!key && len))
        return NULL;
    for (size_t i = obj->u.kids.count; i-- > 0;) {
        const ssekit_json *m = obj->u.kids.items[i];
        if (m->key_len == len && (len == 0 || memcmp(m->key, key, len) == 0))
            return m;
    }
    return NULL;
}

/* Compares an RFC 6901 reference token (still escaped) with a key. */
static int token_equals(const char *t, size_t tn, const char *key, size_t kn)
{
    size_t j = 0;
    for (size_t i = 0; i < tn; i++, j++) {
        char c = t[i];
        if (c == '~') {
            if (i + 1 >= tn || (t[i + 1] != '0' && t[i + 1] != '1'))
                return 0;
            c = t[++i] == '0' ? '~' : '/';
        }
        if (j >= kn || key[j] != c)
            return 0;
    }
    return j == kn;
}

/* An array index token: "0" or [1-9][0-9]*, fitting size_t. */
static int token_index(const char *t, size_t tn, size_t *out)
{
    if (tn == 0 || (tn > 1 && t[0] == '0'))
        return 0;
    size_t acc = 0;
    for (size_t i = 0; i < tn; i++) {
        if (t[i] < '0' || t[i] > '9')
            return 0;
        size_t d = (size_t)(t[i] - '0');
        if (acc > ((size_t)-1 - d) / 10)
            return 0;
        acc = acc * 10 + d;
    }
    *out = acc;
    return 1;
}

const ssekit_json *ssekit_json_get(const ssekit_json *root, const char *pointer)
{
    if (!pointer)
        return NULL;
    const ssekit_json *v = root;
    const char *p = pointer;
    while (*p) {
        if (!v || *p != '/')
            return NULL;
        const char *t = ++p;
        while (*p && *p != '/')
            p++;
        size_t tn = (size_t)(p - t);
        if (v->type == SSEKIT_JSON_OBJECT) {
            const ssekit_json *hit = NULL;
            for (size_t i = v->u.kids.count; i-- > 0;) {
                const ssekit_json *m = v->u.kids.items[i];
                if (token_equals(t, tn, m->key, m->key_len)) {
                    hit = m;
                    break;
                }
            }
            v = hit;
        } else if (v->type == SSEKIT_JSON_ARRAY) {
            size_t i;
            v = token_index(t, tn, &i) ? ssekit_json_index(v, i) : NULL;
        } else {
            return NULL;
        }
    }
    return v;
}

/* ---- writer ------------------------------------------------------------- */

static void jw_flush(sk_jw *w)
{
    if (w->n && !w->stopped && w->out(w->ctx, w->buf, w->n))
        w->stopped = 1;
    w->n = 0;
}

void sk_jw_init(sk_jw *w, ssekit_json_write_fn out, void *ctx)
{
    w->out = out;
    w->ctx = ctx;
    w->n = 0;
    w->stopped = 0;
}

void sk_jw_raw(sk_jw *w, const char *s, size_t n)
{
    if (w->stopped)
        return;
    if (n > sizeof w->buf - w->n) {
        jw_flush(w);
        if (n >= sizeof w->buf) {
            if (!w->stopped && w->out(w->ctx, s, n))
                w->stopped = 1;
            return;
        }
    }
    memcpy(w->buf + w->n, s, n);
    w->n += n;
}

static void jw_char(sk_jw *w, char c)
{
    if (w->n == sizeof w->buf)
        jw_flush(w);
    w->buf[w->n++] = c;
}

/* 1 for the bytes a JSON string must escape. */
static const unsigned char esc_class[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};

void sk_jw_string(sk_jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    jw_char(w, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!esc_class[c])
            continue;
        sk_jw_raw(w, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t en = 2;
        switch (c) {
        case '"':
            e[1] = '"';
            break;
        case '\\':
            e[1] = '\\';
            break;
        case '\b':
            e[1] = 'b';
            break;
        case '\f':
            e[1] = 'f';
            break;
        case '\n':
            e[1] = 'n';
            break;
        case '\r':
            e[1] = 'r';
            break;
        case '\t':
            e[1] = 't';
            break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            en = 6;
        }
        sk_jw_raw(w, e, en);
    }
    sk_jw_raw(w, s + run, n - run);
    jw_char(w, '"');
}

void sk_jw_value(sk_jw *w, const ssekit_json *v)
{
    if (w->stopped)
        return;
    switch (ssekit_json_type_of(v)) {
    case SSEKIT_JSON_NULL:
        sk_jw_raw(w, "null", 4);
        break;
    case SSEKIT_JSON_BOOL:
        if (v->u.boolean)
            sk_jw_raw(w, "true", 4);
        else
            sk_jw_raw(w, "false", 5);
        break;
    case SSEKIT_JSON_NUMBER:
        sk_jw_raw(w, v->u.text.p, v->u.text.len);
        break;
    case SSEKIT_JSON_STRING:
        sk_jw_string(w, v->u.text.p, v->u.text.len);
        break;
    case SSEKIT_JSON_ARRAY:
    case SSEKIT_JSON_OBJECT: {
        int obj = v->type == SSEKIT_JSON_OBJECT;
        jw_char(w, obj ? '{' : '[');
        for (size_t i = 0; i < v->u.kids.count && !w->stopped; i++) {
            const ssekit_json *k = v->u.kids.items[i];
            if (i)
                jw_char(w, ',');
            if (obj) {
                sk_jw_string(w, k->key, k->key_len);
                jw_char(w, ':');
            }
            sk_jw_value(w, k);
        }
        jw_char(w, obj ? '}' : ']');
        break;
    }
    }
}

int sk_jw_finish(sk_jw *w)
{
    jw_flush(w);
    return w->stopped ? SSEKIT_E_STOPPED : SSEKIT_OK;
}

int ssekit_json_write(const ssekit_json *v, ssekit_json_write_fn out, void *ctx)
{
    if (!out)
        return SSEKIT_E_INVALID;
    sk_jw w;
    sk_jw_init(&w, out, ctx);
    sk_jw_value(&w, v);
    return sk_jw_finish(&w);
}
