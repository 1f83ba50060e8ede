/* libFuzzer target for what the replay server (demos/replay) reads from a
 * client: the request head, the fault list, the query and the JSON body.
 * Nothing may crash, leak or read out of bounds, and:
 * - finding the end of the head in two pieces gives the same as in one;
 * - a head that parses has a token method, a path starting with '/', and at
 *   most the allowed number of headers;
 * - a parsed fault list is consistent (drop-partial only with drop-after,
 *   status 0 or 200..599);
 * - the body inspector accepts exactly what yajl's tree parser accepts as a
 *   JSON object (within the depth limit);
 * - rp_json_str() of valid UTF-8 is a JSON string yajl reads back unchanged.
 *
 * Input layout: byte 0 = where to split the head scan, the rest = a request
 * (head, then body). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "alloc_internal.h"
#include "replay_fault.h"
#include "replay_http.h"
#include "replay_json.h"
#include "utf8.h"

static void check_head(const char *in, size_t len, unsigned split, const ssekit_alloc_funcs *a)
{
    size_t scan = 0, cut = len ? split % (len + 1) : 0;
    size_t whole_scan = 0, whole = rp_http_head_end(in, len, &whole_scan);
    size_t part = cut ? rp_http_head_end(in, cut, &scan) : 0;
    if (!part)
        part = rp_http_head_end(in, len, &scan);
    if (part != whole)
        abort();
    if (!whole)
        return;
    rp_request req;
    memset(&req, 0, sizeof req);
    int rc = rp_http_parse(&req, a, in, whole, 20);
    if (rc == 0) {
        if (!req.method || !*req.method || !req.path || req.path[0] != '/' || !req.query ||
            req.n_headers > 20)
            abort();
        for (size_t i = 0; i < req.n_headers; i++)
            if (!*req.headers[i].name)
                abort();
        sk_buf tmp = {0};
        if (rp_query_param(req.query, "fault", &tmp, a) == 1) {
            rp_fault f;
            char err[200];
            rp_fault_init(&f);
            if (!rp_fault_parse(&f, tmp.p, tmp.len, err, sizeof err))
                rp_fault_finish(&f, err, sizeof err);
        }
        sk_buf_free(a, &tmp);
    } else if (rc != 400 && rc != 411 && rc != 431 && rc != 505 && rc != -1) {
        abort();
    }
    rp_request_free(&req, a);
}

static void check_faults(const char *in, size_t len)
{
    rp_fault f;
    char err[200];
    rp_fault_init(&f);
    if (rp_fault_parse(&f, in, len, err, sizeof err) || rp_fault_finish(&f, err, sizeof err))
        return;
    if (f.drop_partial && f.drop_after == RP_FAULT_NONE)
        abort();
    if (f.status && (f.status < 200 || f.status > 599))
        abort();
    if (f.stall_after != RP_FAULT_NONE && f.stall_ms == RP_FAULT_NONE)
        abort();
}

static void check_body(const char *in, size_t len)
{
    rp_body_info bi;
    int ours = rp_body_inspect(in, len, &bi);
    if (memchr(in, 0, len) || strstr(bi.error, "deeper"))
        return; /* yajl_tree stops at NUL, and recurses: compare only the rest */
    char *copy = malloc(len + 1);
    if (!copy)
        return;
    memcpy(copy, in, len);
    copy[len] = 0;
    char err[64];
    yajl_val v = yajl_tree_parse(copy, err, sizeof err);
    int theirs = v && YAJL_IS_OBJECT(v) ? 0 : -1;
    if (ours != theirs)
        abort();
    if (!ours) {
        const char *path[] = {"stream", NULL};
        yajl_val s = yajl_tree_get(v, path, yajl_t_any);
        if (bi.stream != (s && YAJL_IS_TRUE(s)))
            abort();
    }
    yajl_tree_free(v);
    free(copy);
}

static void check_json_str(const char *in, size_t len, const ssekit_alloc_funcs *a)
{
    if (memchr(in, 0, len) || sk_utf8_valid_prefix(in, len) != len)
        return;
    sk_buf b = {0};
    if (rp_json_str(&b, a, in, len) || sk_buf_push(a, &b, 0))
        abort();
    char err[64];
    yajl_val v = yajl_tree_parse(b.p, err, sizeof err);
    if (!v || !YAJL_IS_STRING(v) || strlen(v->u.string) != len || memcmp(v->u.string, in, len))
        abort();
    yajl_tree_free(v);
    sk_buf_free(a, &b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, NULL);
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    check_head(in, len, data[0], &a);
    check_faults(in, len);
    size_t scan = 0, head = rp_http_head_end(in, len, &scan);
    check_body(in + head, len - head);
    check_json_str(in, len, &a);
    return 0;
}
