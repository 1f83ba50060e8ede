/* libFuzzer target for what a WebSocket client sends the bridge: the control
 * messages ({"op": "subscribe", "channel", "since"}, bridge/bridge_control.c)
 * and the JSON helpers of bridge/bridge_json.c they go through. Nothing may
 * crash, leak or overflow the stack (deep nesting is refused before yajl
 * builds a tree), and:
 * - subscribe / unsubscribe name a valid channel, and the replies the bridge
 *   renders with it are JSON that yajl reads back with that channel;
 * - only subscribe carries a since;
 * - a refused message comes with an error text that needs no JSON escaping;
 * - a tree br_json_parse returns renders (br_json_render) to JSON that
 *   parses back and renders to the same bytes;
 * - br_json_escape of valid UTF-8 is a JSON string yajl reads back unchanged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "bridge_internal.h"
#include "utf8.h"

static void check_reply(const char *fmt, const char *channel)
{
    char m[BR_NAME_MAX + 160];
    snprintf(m, sizeof m, fmt, channel, 7ull);
    yajl_val v = yajl_tree_parse(m, NULL, 0);
    yajl_val ch = v ? yajl_tree_get(v, (const char *[]){"channel", NULL}, yajl_t_string) : NULL;
    if (!ch || strcmp(ch->u.string, channel) != 0)
        abort();
    yajl_tree_free(v);
}

static void check_render(const ssekit_alloc_funcs *a, const char *in, size_t len)
{
    int rc;
    yajl_val v = br_json_parse(in, len, &rc);
    if (!v)
        return;
    sk_buf one = {0}, two = {0};
    if (br_json_render(a, &one, v) == 0) {
        yajl_val w = br_json_parse(one.p, one.len, &rc);
        if (!w || memchr(one.p, '\n', one.len)) /* compact: one SSE data line */
            abort();
        if (br_json_render(a, &two, w) == 0 &&
            (two.len != one.len || memcmp(one.p, two.p, one.len) != 0))
            abort();
        yajl_tree_free(w);
    }
    sk_buf_free(a, &one);
    sk_buf_free(a, &two);
    yajl_tree_free(v);
}

static void check_escape(const ssekit_alloc_funcs *a, const char *in, size_t len)
{
    if (sk_utf8_valid_prefix(in, len) != len || memchr(in, '\0', len))
        return;
    sk_buf e = {0};
    if (br_json_escape(a, &e, in, len) || sk_buf_push(a, &e, '\0'))
        abort();
    yajl_val v = yajl_tree_parse(e.p, NULL, 0);
    if (!v || !YAJL_IS_STRING(v) || strlen(v->u.string) != len || memcmp(v->u.string, in, len))
        abort();
    yajl_tree_free(v);
    sk_buf_free(a, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, NULL);
    br_control m;
    if (br_control_parse(in, size, &m) != SSEKIT_OK)
        return 0;
    switch (m.op) {
    case BR_OP_SUBSCRIBE:
    case BR_OP_UNSUBSCRIBE:
        if (!br_channel_name_ok(m.channel, strlen(m.channel)) || m.error ||
            (m.has_since && m.op != BR_OP_SUBSCRIBE))
            abort();
        check_reply("{\"type\":\"subscribed\",\"channel\":\"%s\",\"head\":%llu}", m.channel);
        check_reply("{\"type\":\"unsubscribed\",\"channel\":\"%s\",\"reason\":\"expired\"}",
                    m.channel);
        break;
    case BR_OP_PING:
        if (m.has_since || m.channel[0])
            abort();
        break;
    case BR_OP_BAD:
        if (!m.error || strpbrk(m.error, "\n\r\t") || m.channel[0])
            abort();
        break;
    }
    check_render(&a, in, size);
    check_escape(&a, in, size);
    return 0;
}
