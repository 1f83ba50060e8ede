/* Provider presets: the URL, headers and JSON body of a streaming request to
 * OpenAI chat, Anthropic Messages or OpenAI Responses (request.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "alloc_internal.h"
#include "buffer.h"
#include "ssekit/request.h"
#include "ssekit/schema.h"

#define MAX_HEADERS_OWN 4 /* Content-Type, key, anthropic-version */

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
    if (!err || !err_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

int ssekit_url_is_loopback(const char *url)
{
    if (!url)
        return 0;
    const char *h = strstr(url, "://");
    if (!h)
        return 0;
    h += 3;
    const char *at = h, *end = h + strcspn(h, "/?#");
    for (const char *p = h; p < end; p++) /* userinfo@host */
        if (*p == '@')
            at = p + 1;
    h = at;
    size_t n;
    if (*h == '[') {
        n = strcspn(h, "]");
        return n == 4 && !strncmp(h, "[::1", 4);
    }
    n = strcspn(h, ":/?#");
    if (n == 9 && !strncasecmp(h, "localhost", 9))
        return 1;
    if (n < 7 || strncmp(h, "127.", 4))
        return 0;
    for (size_t i = 4; i < n; i++)
        if (!(h[i] == '.' || (h[i] >= '0' && h[i] <= '9')))
            return 0;
    return 1;
}

static const char *env(const ssekit_preset *p, const char *name)
{
    if (p->no_env)
        return NULL;
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int is_openai_like(ssekit_provider pr)
{
    return pr == SSEKIT_PROVIDER_OPENAI || pr == SSEKIT_PROVIDER_RESPONSES;
}

static const char *resolve_key(const ssekit_preset *p)
{
    if (p->api_key)
        return p->api_key;
    return env(p, is_openai_like(p->provider) ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY");
}

int ssekit_preset_resolve(const ssekit_preset *p, const char **base, int *has_key)
{
    if (!p || !base || !has_key ||
        (!is_openai_like(p->provider) && p->provider != SSEKIT_PROVIDER_ANTHROPIC))
        return SSEKIT_E_INVALID;
    int oa = is_openai_like(p->provider);
    const char *b = p->base_url;
    if (!b)
        b = env(p, oa ? "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL");
    if (!b)
        b = oa ? "https://api.openai.com/v1" : "https://api.anthropic.com";
    *base = b;
    *has_key = resolve_key(p) != NULL;
    return SSEKIT_OK;
}

/* --- the body ------------------------------------------------------------------ */

static int gs(yajl_gen g, const char *s)
{
    return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) != yajl_gen_status_ok;
}

/* Re-emits a parsed JSON value (the schema) into g. */
static int gen_tree(yajl_gen g, yajl_val v, int depth)
{
    if (depth > 64)
        return 1;
    int rc = 0;
    switch (v->type) {
    case yajl_t_string:
        return gs(g, v->u.string);
    case yajl_t_number:
        return yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r)) != yajl_gen_status_ok;
    case yajl_t_true:
    case yajl_t_false:
        return yajl_gen_bool(g, v->type == yajl_t_true) != yajl_gen_status_ok;
    case yajl_t_null:
        return yajl_gen_null(g) != yajl_gen_status_ok;
    case yajl_t_object:
        rc |= yajl_gen_map_open(g) != yajl_gen_status_ok;
        for (size_t i = 0; !rc && i < v->u.object.len; i++) {
            rc |= gs(g, v->u.object.keys[i]);
            rc |= gen_tree(g, v->u.object.values[i], depth + 1);
        }
        return rc | (yajl_gen_map_close(g) != yajl_gen_status_ok);
    case yajl_t_array:
        rc |= yajl_gen_array_open(g) != yajl_gen_status_ok;
        for (size_t i = 0; !rc && i < v->u.array.len; i++)
            rc |= gen_tree(g, v->u.array.values[i], depth + 1);
        return rc | (yajl_gen_array_close(g) != yajl_gen_status_ok);
    default:
        return 1;
    }
}

/* The messages as [{"role", "content"}...]; `skip_system` leaves out the
 * system ones (Anthropic). */
static int gen_messages(yajl_gen g, const ssekit_preset *p, int skip_system)
{
    int rc = yajl_gen_array_open(g) != yajl_gen_status_ok;
    if (!skip_system && p->system && p->provider == SSEKIT_PROVIDER_OPENAI) {
        rc |= yajl_gen_map_open(g) != yajl_gen_status_ok;
        rc |= gs(g, "role") | gs(g, "system") | gs(g, "content") | gs(g, p->system);
        rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
    }
    if (!p->message_count) {
        rc |= yajl_gen_map_open(g) != yajl_gen_status_ok;
        rc |= gs(g, "role") | gs(g, "user") | gs(g, "content") | gs(g, p->prompt);
        rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
    }
    for (size_t i = 0; i < p->message_count; i++) {
        const ssekit_message *m = &p->messages[i];
        if (skip_system && !strcmp(m->role, "system"))
            continue;
        rc |= yajl_gen_map_open(g) != yajl_gen_status_ok;
        rc |= gs(g, "role") | gs(g, m->role) | gs(g, "content") | gs(g, m->content);
        rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
    }
    return rc | (yajl_gen_array_close(g) != yajl_gen_status_ok);
}

/* Anthropic's top-level system text: p->system and the system messages,
 * joined by blank lines, written as one string. */
static int gen_anthropic_system(yajl_gen g, const ssekit_preset *p, const ssekit_alloc_funcs *a)
{
    size_t n = p->system ? strlen(p->system) : 0, parts = p->system ? 1 : 0;
    for (size_t i = 0; i < p->message_count; i++)
        if (!strcmp(p->messages[i].role, "system"))
            n += strlen(p->messages[i].content) + 2, parts++;
    if (!parts)
        return 0;
    char *t = sk_malloc(a, n + 1), *w = t;
    if (!t)
        return 1;
    if (p->system)
        w += sprintf(w, "%s", p->system);
    for (size_t i = 0; i < p->message_count; i++)
        if (!strcmp(p->messages[i].role, "system"))
            w += sprintf(w, "%s%s", w == t ? "" : "\n\n", p->messages[i].content);
    int rc = gs(g, "system") |
             (yajl_gen_string(g, (const unsigned char *)t, (size_t)(w - t)) != yajl_gen_status_ok);
    sk_free(a, t);
    return rc;
}

static int gen_common_tail(yajl_gen g, const ssekit_preset *p)
{
    int rc = 0;
    if (p->has_temperature) {
        /* the shortest text that reads back as the same double (yajl's own
         * %.20g would send 0.2 as 0.20000000000000001110) */
        char num[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(num, sizeof num, "%.*g", prec, p->temperature);
            if (strtod(num, NULL) == p->temperature)
                break;
        }
        rc |= gs(g, "temperature") | (yajl_gen_number(g, num, strlen(num)) != yajl_gen_status_ok);
    }
    return rc;
}

static int gen_body(yajl_gen g, const ssekit_preset *p, yajl_val schema, const char *name,
                    const ssekit_alloc_funcs *a)
{
    int rc = yajl_gen_map_open(g) != yajl_gen_status_ok;
    rc |= gs(g, "model") | gs(g, p->model);
    switch (p->provider) {
    case SSEKIT_PROVIDER_OPENAI:
        rc |= gs(g, "messages") | gen_messages(g, p, 0);
        rc |= gs(g, "stream") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
        rc |= gs(g, "stream_options") | (yajl_gen_map_open(g) != yajl_gen_status_ok);
        rc |= gs(g, "include_usage") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
        rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
        rc |= gen_common_tail(g, p);
        if (p->max_tokens)
            rc |= gs(g, "max_tokens") |
                  (yajl_gen_integer(g, (long long)p->max_tokens) != yajl_gen_status_ok);
        if (schema) {
            rc |= gs(g, "response_format") | (yajl_gen_map_open(g) != yajl_gen_status_ok);
            rc |= gs(g, "type") | gs(g, "json_schema");
            rc |= gs(g, "json_schema") | (yajl_gen_map_open(g) != yajl_gen_status_ok);
            rc |= gs(g, "name") | gs(g, name);
            rc |= gs(g, "strict") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
            rc |= gs(g, "schema") | gen_tree(g, schema, 0);
            rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
            rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
        }
        break;
    case SSEKIT_PROVIDER_ANTHROPIC:
        rc |= gs(g, "max_tokens") |
              (yajl_gen_integer(g, (long long)(p->max_tokens
                                                   ? p->max_tokens
                                                   : SSEKIT_PRESET_DEFAULT_ANTHROPIC_MAX_TOKENS)) !=
               yajl_gen_status_ok);
        rc |= gen_anthropic_system(g, p, a);
        rc |= gs(g, "messages") | gen_messages(g, p, 1);
        rc |= gs(g, "stream") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
        rc |= gen_common_tail(g, p);
        if (schema) {
            rc |= gs(g, "tools") | (yajl_gen_array_open(g) != yajl_gen_status_ok);
            rc |= yajl_gen_map_open(g) != yajl_gen_status_ok;
            rc |= gs(g, "name") | gs(g, name);
            rc |= gs(g, "description") |
                  gs(g, "Return the answer as this tool's input, following its schema.");
            rc |= gs(g, "input_schema") | gen_tree(g, schema, 0);
            rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
            rc |= yajl_gen_array_close(g) != yajl_gen_status_ok;
            rc |= gs(g, "tool_choice") | (yajl_gen_map_open(g) != yajl_gen_status_ok);
            rc |= gs(g, "type") | gs(g, "tool") | gs(g, "name") | gs(g, name);
            rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
        }
        break;
    default: /* Responses */
        if (p->system)
            rc |= gs(g, "instructions") | gs(g, p->system);
        rc |= gs(g, "input") | gen_messages(g, p, 0);
        rc |= gs(g, "stream") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
        rc |= gen_common_tail(g, p);
        if (p->max_tokens)
            rc |= gs(g, "max_output_tokens") |
                  (yajl_gen_integer(g, (long long)p->max_tokens) != yajl_gen_status_ok);
        if (schema) {
            rc |= gs(g, "text") | (yajl_gen_map_open(g) != yajl_gen_status_ok);
            rc |= gs(g, "format") | (yajl_gen_map_open(g) != yajl_gen_status_ok);
            rc |= gs(g, "type") | gs(g, "json_schema") | gs(g, "name") | gs(g, name);
            rc |= gs(g, "strict") | (yajl_gen_bool(g, 1) != yajl_gen_status_ok);
            rc |= gs(g, "schema") | gen_tree(g, schema, 0);
            rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
            rc |= yajl_gen_map_close(g) != yajl_gen_status_ok;
        }
        break;
    }
    return rc | (yajl_gen_map_close(g) != yajl_gen_status_ok);
}

/* --- yajl_gen without its allocation failures ------------------------------------ */

/* yajl_gen crashes when an allocation fails (it does not check), so it never
 * sees the caller's allocator: its two small blocks (the generator and an
 * unused buffer) come from a reserve allocated through the hooks up front,
 * and the text goes through a print callback into an sk_buf that reports
 * failure. With a print callback yajl_gen never reallocates. */
#define GEN_RESERVE 4096u

typedef struct gen_out {
    unsigned char *res;
    size_t used;
    const ssekit_alloc_funcs *a;
    sk_buf text;
    int failed;
} gen_out;

static void *gm_malloc(void *ctx, size_t n)
{
    gen_out *m = ctx;
    n = (n + 15u) & ~(size_t)15u;
    if (n > GEN_RESERVE - m->used)
        return NULL;
    void *r = m->res + m->used;
    m->used += n;
    return r;
}

static void *gm_realloc(void *ctx, void *ptr, size_t n)
{
    (void)ctx, (void)ptr, (void)n;
    return NULL; /* not reached with a print callback */
}

static void gm_free(void *ctx, void *ptr)
{
    (void)ctx, (void)ptr; /* the reserve goes at once */
}

static void gen_print(void *ctx, const char *s, size_t n)
{
    gen_out *m = ctx;
    if (!m->failed && sk_buf_append(m->a, &m->text, s, n))
        m->failed = 1;
}

/* --- building the request -------------------------------------------------------- */

static char *dup_join(const ssekit_alloc_funcs *a, const char *x, const char *y, size_t ylen)
{
    size_t xl = strlen(x);
    char *d = sk_malloc(a, xl + ylen + 1);
    if (d) {
        memcpy(d, x, xl);
        memcpy(d + xl, y, ylen);
        d[xl + ylen] = 0;
    }
    return d;
}

static int add_hdr(const ssekit_alloc_funcs *a, char **hdrs, size_t *n, const char *name,
                   const char *value)
{
    if (!(hdrs[*n] = dup_join(a, name, value, strlen(value))))
        return SSEKIT_E_NOMEM;
    (*n)++;
    return SSEKIT_OK;
}

static int check_preset(const ssekit_preset *p, char *err, size_t err_len)
{
    if (!is_openai_like(p->provider) && p->provider != SSEKIT_PROVIDER_ANTHROPIC) {
        set_err(err, err_len, "the provider must be openai, anthropic or responses");
        return SSEKIT_E_INVALID;
    }
    if (!p->model || !*p->model) {
        set_err(err, err_len, "no model given");
        return SSEKIT_E_INVALID;
    }
    if (!p->message_count && !p->prompt) {
        set_err(err, err_len, "no prompt or messages given");
        return SSEKIT_E_INVALID;
    }
    if (p->message_count && !p->messages) {
        set_err(err, err_len, "message_count without messages");
        return SSEKIT_E_INVALID;
    }
    for (size_t i = 0; i < p->message_count; i++)
        if (!p->messages[i].role || !p->messages[i].content) {
            set_err(err, err_len, "message %zu has no role or no content", i);
            return SSEKIT_E_INVALID;
        }
    if (p->has_temperature && !(p->temperature >= 0 && p->temperature <= 1e6)) {
        set_err(err, err_len, "the temperature must be a number >= 0");
        return SSEKIT_E_INVALID;
    }
    if (p->header_count && !p->headers) {
        set_err(err, err_len, "header_count without headers");
        return SSEKIT_E_INVALID;
    }
    for (size_t i = 0; i < p->header_count; i++) {
        const char *h = p->headers[i];
        if (!h || !strchr(h, ':') || h[0] == ':' || strpbrk(h, "\r\n")) {
            set_err(err, err_len, "extra header %zu is not a 'Name: value' line", i);
            return SSEKIT_E_INVALID;
        }
    }
    return SSEKIT_OK;
}

static int build(const ssekit_preset *p, const ssekit_alloc_funcs *a, ssekit_request *rq, char *err,
                 size_t err_len)
{
    int rc = check_preset(p, err, err_len);
    if (rc)
        return rc;
    int oa = is_openai_like(p->provider);
    const char *base;
    int has_key;
    ssekit_preset_resolve(p, &base, &has_key);
    const char *key = resolve_key(p);
    const char *path = p->provider == SSEKIT_PROVIDER_OPENAI      ? "/chat/completions"
                       : p->provider == SSEKIT_PROVIDER_RESPONSES ? "/responses"
                                                                  : "/v1/messages";
    char *url;
    if (p->url) {
        url = dup_join(a, p->url, "", 0);
    } else {
        size_t bl = strlen(base);
        while (bl && base[bl - 1] == '/')
            bl--;
        url = sk_malloc(a, bl + strlen(path) + 1);
        if (url) {
            memcpy(url, base, bl);
            strcpy(url + bl, path);
        }
    }
    if (!url)
        return SSEKIT_E_NOMEM;
    rq->url = url;
    if (!key && !ssekit_url_is_loopback(url)) {
        set_err(err, err_len,
                "no API key: set %s (a key is optional only for a loopback URL such as "
                "http://127.0.0.1:8080)",
                oa ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY");
        return SSEKIT_E_NO_KEY;
    }
    if (key && (!*key || strpbrk(key, "\r\n"))) {
        set_err(err, err_len, "the API key is empty or contains a line break");
        return SSEKIT_E_INVALID;
    }

    /* the schema: compiled for the stream's checker, parsed to embed it */
    yajl_val tree = NULL;
    if (p->schema) {
        size_t sl = p->schema_len ? p->schema_len : strlen(p->schema);
        char *z = dup_join(a, "", p->schema, sl), ebuf[160];
        if (!z)
            return SSEKIT_E_NOMEM;
        tree = yajl_tree_parse(z, ebuf, sizeof ebuf);
        sk_free(a, z);
        if (!tree) {
            set_err(err, err_len, "the schema is not JSON: %s", ebuf);
            return SSEKIT_E_SCHEMA;
        }
        if (!YAJL_IS_OBJECT(tree)) {
            yajl_tree_free(tree);
            set_err(err, err_len, "the schema is not a JSON object");
            return SSEKIT_E_SCHEMA;
        }
        ssekit_schema_error se;
        rq->schema = ssekit_schema_compile(p->schema, sl, a, &se);
        if (!rq->schema) {
            yajl_tree_free(tree);
            set_err(err, err_len, "the schema does not compile: %s", se.message);
            return se.status == SSEKIT_E_NOMEM ? SSEKIT_E_NOMEM : SSEKIT_E_SCHEMA;
        }
    }

    char **hdrs = sk_malloc(a, (MAX_HEADERS_OWN + p->header_count) * sizeof *hdrs);
    size_t nh = 0;
    rc = hdrs ? SSEKIT_OK : SSEKIT_E_NOMEM;
    rq->headers = (const char *const *)hdrs;
    if (!rc)
        rc = add_hdr(a, hdrs, &nh, "Content-Type: ", "application/json");
    if (!rc && key)
        rc = add_hdr(a, hdrs, &nh, oa ? "Authorization: Bearer " : "x-api-key: ", key);
    if (!rc && !oa)
        rc = add_hdr(a, hdrs, &nh, "anthropic-version: ", SSEKIT_ANTHROPIC_VERSION);
    for (size_t i = 0; !rc && i < p->header_count; i++)
        rc = add_hdr(a, hdrs, &nh, "", p->headers[i]);
    rq->header_count = nh;

    if (!rc) {
        gen_out m = {.res = sk_malloc(a, GEN_RESERVE), .a = a};
        yajl_alloc_funcs ya = {gm_malloc, gm_realloc, gm_free, &m};
        yajl_gen g = m.res ? yajl_gen_alloc(&ya) : NULL;
        if (!g || !yajl_gen_config(g, yajl_gen_print_callback, gen_print, &m)) {
            rc = SSEKIT_E_NOMEM;
        } else {
            int bad = gen_body(g, p, tree, p->schema_name ? p->schema_name : "output", a);
            if (m.failed || bad || sk_buf_push(a, &m.text, 0)) {
                rc = SSEKIT_E_NOMEM; /* yajl_gen fails only for memory or a bug */
            } else {
                rq->body = m.text.p;
                rq->body_len = m.text.len - 1;
                m.text.p = NULL;
            }
        }
        if (g)
            yajl_gen_free(g);
        sk_buf_free(a, &m.text);
        sk_free(a, m.res);
    }
    yajl_tree_free(tree);
    if (rc == SSEKIT_E_NOMEM && err && err_len && !*err)
        set_err(err, err_len, "out of memory");
    return rc;
}

int ssekit_request_build(const ssekit_preset *p, const ssekit_alloc_funcs *alloc,
                         ssekit_request *out, char *err, size_t err_len)
{
    ssekit_alloc_funcs a;
    if (err && err_len)
        *err = 0;
    if (!out) {
        set_err(err, err_len, "no request to fill");
        return SSEKIT_E_INVALID;
    }
    memset(out, 0, sizeof *out);
    if (!p) {
        set_err(err, err_len, "no preset");
        return SSEKIT_E_INVALID;
    }
    sk_alloc_init(&a, alloc);
    int rc = build(p, &a, out, err, err_len);
    if (rc != SSEKIT_OK) {
        ssekit_request_clear(out, alloc);
        return rc;
    }
    out->decode = 1;
    out->provider = p->provider;
    out->progress_max_tokens = p->max_tokens;
    out->limits = p->limits;
    return SSEKIT_OK;
}

void ssekit_request_clear(ssekit_request *rq, const ssekit_alloc_funcs *alloc)
{
    ssekit_alloc_funcs a;
    if (!rq)
        return;
    sk_alloc_init(&a, alloc);
    /* The preset allocated these; the request's fields are const only for
     * the callers who fill it by hand. */
    for (size_t i = 0; rq->headers && i < rq->header_count; i++)
        sk_free(&a, (void *)(uintptr_t)rq->headers[i]);
    sk_free(&a, (void *)(uintptr_t)rq->headers);
    sk_free(&a, (void *)(uintptr_t)rq->url);
    sk_free(&a, (void *)(uintptr_t)rq->body);
    ssekit_schema_free((ssekit_schema *)(uintptr_t)rq->schema);
    memset(rq, 0, sizeof *rq);
}
