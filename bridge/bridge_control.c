/* The client -> bridge messages of the WebSocket protocol
 * (docs/bridge-protocol.md): {"op": "subscribe" | "unsubscribe" | "ping",
 * "channel", "since"}, parsed into a br_control. Pure: no libwebsockets, no
 * bridge state, so the fuzzer can drive it alone. */
#include <string.h>

#include "bridge_internal.h"

static int bad(br_control *out, const char *why)
{
    out->op = BR_OP_BAD;
    out->error = why;
    return SSEKIT_OK;
}

int br_control_parse(const char *msg, size_t len, br_control *out)
{
    memset(out, 0, sizeof *out);
    int rc;
    yajl_val v = br_json_parse(msg, len, &rc);
    if (!v && rc == SSEKIT_E_NOMEM)
        return rc;
    const char *op = NULL, *chname = NULL;
    yajl_val since = NULL;
    if (v && YAJL_IS_OBJECT(v)) {
        for (size_t i = 0; i < v->u.object.len; i++) {
            const char *k = v->u.object.keys[i];
            yajl_val x = v->u.object.values[i];
            if (strcmp(k, "op") == 0 && YAJL_IS_STRING(x))
                op = x->u.string;
            else if (strcmp(k, "channel") == 0 && YAJL_IS_STRING(x))
                chname = x->u.string;
            else if (strcmp(k, "since") == 0)
                since = x;
        }
    }
    if (!op) {
        bad(out, "expected a JSON object with \\\"op\\\"");
    } else if (strcmp(op, "ping") == 0) {
        out->op = BR_OP_PING;
    } else if (strcmp(op, "subscribe") == 0 || strcmp(op, "unsubscribe") == 0) {
        int sub = op[0] == 's';
        if (!chname || !br_channel_name_ok(chname, strlen(chname))) {
            bad(out, "bad channel name");
        } else if (sub && since && !(YAJL_IS_INTEGER(since) && YAJL_GET_INTEGER(since) >= 0)) {
            bad(out, "since must be a non-negative integer");
        } else {
            out->op = sub ? BR_OP_SUBSCRIBE : BR_OP_UNSUBSCRIBE;
            memcpy(out->channel, chname, strlen(chname) + 1);
            if (sub && since) {
                out->has_since = 1;
                out->since = (uint64_t)YAJL_GET_INTEGER(since);
            }
        }
    } else {
        bad(out, "unknown op");
    }
    yajl_tree_free(v);
    return SSEKIT_OK;
}
