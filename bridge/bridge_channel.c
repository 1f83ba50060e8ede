/* Channels: sequence numbers, the history ring, and the state a snapshot
 * is made of (text so far, the compacted patch log, the last progress, usage,
 * done and error payloads). Service thread only. */
#include <stdio.h>
#include <string.h>

#include "bridge_internal.h"

const char *const br_type_names[BR_NTYPES] = {"delta", "patch", "progress",
                                              "usage", "done",  "error"};

int br_type_parse(const char *s, br_type *out)
{
    for (int i = 0; i < BR_NTYPES; i++) {
        if (s && strcmp(s, br_type_names[i]) == 0) {
            *out = (br_type)i;
            return 0;
        }
    }
    return -1;
}

int br_channel_name_ok(const char *s, size_t len)
{
    if (!s || len == 0 || len > BR_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

static const char *str_member(yajl_val obj, const char *key)
{
    for (size_t i = 0; i < obj->u.object.len; i++) {
        if (strcmp(obj->u.object.keys[i], key) == 0) {
            yajl_val v = obj->u.object.values[i];
            return YAJL_IS_STRING(v) ? v->u.string : NULL;
        }
    }
    return NULL;
}

static yajl_val member(yajl_val obj, const char *key)
{
    for (size_t i = 0; i < obj->u.object.len; i++) {
        if (strcmp(obj->u.object.keys[i], key) == 0)
            return obj->u.object.values[i];
    }
    return NULL;
}

int br_payload_check(br_type type, yajl_val payload)
{
    if (!YAJL_IS_OBJECT(payload))
        return SSEKIT_E_JSON;
    if (member(payload, "channel") || member(payload, "seq") || member(payload, "type"))
        return SSEKIT_E_INVALID;
    if (type == BR_DELTA && !str_member(payload, "text"))
        return SSEKIT_E_INVALID;
    if (type == BR_PATCH) {
        yajl_val ps = member(payload, "patches");
        if (!YAJL_IS_ARRAY(ps))
            return SSEKIT_E_INVALID;
        for (size_t i = 0; i < ps->u.array.len; i++) {
            yajl_val p = ps->u.array.values[i];
            if (!YAJL_IS_OBJECT(p))
                return SSEKIT_E_INVALID;
            const char *op = str_member(p, "op");
            if (!op || !str_member(p, "path"))
                return SSEKIT_E_INVALID;
            if (strcmp(op, "append") == 0 ? !str_member(p, "text")
                : strcmp(op, "add") == 0  ? !member(p, "value")
                                          : strcmp(op, "complete") != 0)
                return SSEKIT_E_INVALID;
        }
    }
    return SSEKIT_OK;
}

br_channel *br_channel_find(ssekit_bridge *b, const char *name, size_t len)
{
    for (br_channel *ch = b->channels; ch; ch = ch->next) {
        if (strlen(ch->name) == len && memcmp(ch->name, name, len) == 0)
            return ch;
    }
    return NULL;
}

br_channel *br_channel_get(ssekit_bridge *b, const char *name, size_t len)
{
    br_channel *ch = br_channel_find(b, name, len);
    if (ch)
        return ch;
    if (b->nchannels >= b->o.max_channels || !br_channel_name_ok(name, len))
        return NULL;
    ch = sk_malloc(&b->a, sizeof *ch);
    if (!ch)
        return NULL;
    memset(ch, 0, sizeof *ch);
    ch->ring = sk_malloc(&b->a, b->o.history_count * sizeof *ch->ring);
    if (!ch->ring) {
        sk_free(&b->a, ch);
        return NULL;
    }
    memcpy(ch->name, name, len);
    ch->ring_cap = b->o.history_count;
    ch->next = b->channels;
    b->channels = ch;
    b->nchannels++;
    return ch;
}

uint64_t br_channel_first(const br_channel *ch)
{
    return ch->ring_len ? ch->ring[ch->ring_start]->seq : ch->seq + 1;
}

br_msg *br_channel_msg(br_channel *ch, uint64_t seq)
{
    uint64_t first = br_channel_first(ch);
    if (seq < first || seq > ch->seq)
        return NULL;
    return ch->ring[(ch->ring_start + (size_t)(seq - first)) % ch->ring_cap];
}

static void ring_drop_oldest(ssekit_bridge *b, br_channel *ch)
{
    br_msg *m = ch->ring[ch->ring_start];
    ch->ring_bytes -= m->len;
    sk_free(&b->a, m);
    ch->ring_start = (ch->ring_start + 1) % ch->ring_cap;
    ch->ring_len--;
}

/* The pending append is kept apart so consecutive appends to one string
 * merge into one patch: the log then grows with the document, not with the
 * number of deltas. */
static int flush_pending(ssekit_bridge *b, br_channel *ch)
{
    if (!ch->pending)
        return 0;
    sk_buf *o = &ch->patches;
    if ((o->len && sk_buf_push(&b->a, o, ',')) ||
        sk_buf_append(&b->a, o, "{\"op\":\"append\",\"path\":", 22) ||
        br_json_escape(&b->a, o, ch->pend_path.p, ch->pend_path.len) ||
        sk_buf_append(&b->a, o, ",\"text\":", 8) ||
        br_json_escape(&b->a, o, ch->pend_text.p, ch->pend_text.len) || sk_buf_push(&b->a, o, '}'))
        return -1;
    ch->pending = 0;
    ch->pend_path.len = ch->pend_text.len = 0;
    return 0;
}

static size_t state_bytes(const br_channel *ch)
{
    return ch->text.len + ch->patches.len + ch->pend_text.len;
}

static int apply_patch(ssekit_bridge *b, br_channel *ch, yajl_val p)
{
    const char *op = str_member(p, "op"), *path = str_member(p, "path");
    if (strcmp(op, "append") == 0) {
        const char *text = str_member(p, "text");
        size_t pl = strlen(path), tl = strlen(text);
        if (ch->pending && (pl != ch->pend_path.len || memcmp(path, ch->pend_path.p, pl) != 0) &&
            flush_pending(b, ch))
            return -1;
        if (!ch->pending) {
            if (sk_buf_append(&b->a, &ch->pend_path, path, pl))
                return -1;
            ch->pending = 1;
        }
        return sk_buf_append(&b->a, &ch->pend_text, text, tl);
    }
    if (flush_pending(b, ch))
        return -1;
    if (ch->patches.len && sk_buf_push(&b->a, &ch->patches, ','))
        return -1;
    return br_json_render(&b->a, &ch->patches, p);
}

static int update_state(ssekit_bridge *b, br_channel *ch, br_type type, yajl_val payload,
                        size_t cost)
{
    if (type == BR_DELTA || type == BR_PATCH) {
        if (ch->truncated || state_bytes(ch) + cost > b->o.snapshot_bytes) {
            /* Past the limit the snapshot says so ("truncated") instead of
             * lying about the text. */
            ch->truncated = 1;
            return 0;
        }
        if (type == BR_DELTA) {
            const char *t = str_member(payload, "text");
            return sk_buf_append(&b->a, &ch->text, t, strlen(t));
        }
        yajl_val ps = member(payload, "patches");
        for (size_t i = 0; i < ps->u.array.len; i++) {
            if (apply_patch(b, ch, ps->u.array.values[i]))
                return -1;
        }
        return 0;
    }
    ch->part[type].len = 0;
    return br_json_render(&b->a, &ch->part[type], payload);
}

int br_channel_append(ssekit_bridge *b, br_channel *ch, br_type type, yajl_val payload)
{
    sk_buf f = {0};
    char head[BR_NAME_MAX + 96];
    int n = snprintf(head, sizeof head, "{\"channel\":\"%s\",\"seq\":%llu,\"type\":\"%s\"",
                     ch->name, (unsigned long long)(ch->seq + 1), br_type_names[type]);
    if (sk_buf_reserve(&b->a, &f, sizeof(br_msg) + LWS_PRE + 256))
        return SSEKIT_E_NOMEM;
    f.len = sizeof(br_msg) + LWS_PRE;
    if (sk_buf_append(&b->a, &f, head, (size_t)n))
        goto nomem;
    for (size_t i = 0; i < payload->u.object.len; i++) {
        const char *k = payload->u.object.keys[i];
        if (sk_buf_push(&b->a, &f, ',') || br_json_escape(&b->a, &f, k, strlen(k)) ||
            sk_buf_push(&b->a, &f, ':') || br_json_render(&b->a, &f, payload->u.object.values[i]))
            goto nomem;
    }
    if (sk_buf_push(&b->a, &f, '}'))
        goto nomem;
    f.p[f.len] = '\0';
    size_t len = f.len - sizeof(br_msg) - LWS_PRE;
    if (update_state(b, ch, type, payload, len))
        goto nomem;
    br_msg *m = (br_msg *)(void *)f.p;
    m->seq = ++ch->seq;
    m->len = len;
    ch->bytes += len;
    m->end = ch->bytes;
    while (ch->ring_len &&
           (ch->ring_len == ch->ring_cap || ch->ring_bytes + len > b->o.history_bytes))
        ring_drop_oldest(b, ch);
    ch->ring[(ch->ring_start + ch->ring_len) % ch->ring_cap] = m;
    ch->ring_len++;
    ch->ring_bytes += len;
    ch->snap_valid = 0;
    ch->dirty = 1;
    return SSEKIT_OK;
nomem:
    sk_buf_free(&b->a, &f);
    return SSEKIT_E_NOMEM;
}

static int put_part(ssekit_bridge *b, sk_buf *o, const char *key, const sk_buf *v)
{
    if (sk_buf_append(&b->a, o, key, strlen(key)))
        return -1;
    return v->len ? sk_buf_append(&b->a, o, v->p, v->len) : sk_buf_append(&b->a, o, "null", 4);
}

int br_channel_snapshot(ssekit_bridge *b, br_channel *ch, const char **json, size_t *len)
{
    if (!ch->snap_valid || ch->snap_seq != ch->seq) {
        sk_buf *o = &ch->snap;
        char head[BR_NAME_MAX + 96];
        int n =
            snprintf(head, sizeof head,
                     "{\"channel\":\"%s\",\"seq\":%llu,\"type\":\"snapshot\",\"text\":", ch->name,
                     (unsigned long long)ch->seq);
        o->len = 0;
        if (sk_buf_reserve(&b->a, o, LWS_PRE + (size_t)n + state_bytes(ch) + 64))
            return SSEKIT_E_NOMEM;
        o->len = LWS_PRE;
        if (sk_buf_append(&b->a, o, head, (size_t)n) ||
            br_json_escape(&b->a, o, ch->text.p, ch->text.len) ||
            sk_buf_append(&b->a, o, ",\"patches\":[", 12) ||
            sk_buf_append(&b->a, o, ch->patches.p, ch->patches.len))
            return SSEKIT_E_NOMEM;
        if (ch->pending) {
            /* render the pending append without flushing it */
            if ((ch->patches.len && sk_buf_push(&b->a, o, ',')) ||
                sk_buf_append(&b->a, o, "{\"op\":\"append\",\"path\":", 22) ||
                br_json_escape(&b->a, o, ch->pend_path.p, ch->pend_path.len) ||
                sk_buf_append(&b->a, o, ",\"text\":", 8) ||
                br_json_escape(&b->a, o, ch->pend_text.p, ch->pend_text.len) ||
                sk_buf_push(&b->a, o, '}'))
                return SSEKIT_E_NOMEM;
        }
        if (sk_buf_push(&b->a, o, ']') ||
            put_part(b, o, ",\"progress\":", &ch->part[BR_PROGRESS]) ||
            put_part(b, o, ",\"usage\":", &ch->part[BR_USAGE]) ||
            put_part(b, o, ",\"done\":", &ch->part[BR_DONE]) ||
            put_part(b, o, ",\"error\":", &ch->part[BR_ERROR]) ||
            sk_buf_append(&b->a, o,
                          ch->truncated ? ",\"truncated\":true}" : ",\"truncated\":false}",
                          ch->truncated ? 18 : 19))
            return SSEKIT_E_NOMEM;
        o->p[o->len] = '\0';
        ch->snap_seq = ch->seq;
        ch->snap_valid = 1;
    }
    *json = ch->snap.p + LWS_PRE;
    *len = ch->snap.len - LWS_PRE;
    return SSEKIT_OK;
}

void br_channel_free(ssekit_bridge *b, br_channel *ch)
{
    while (ch->ring_len)
        ring_drop_oldest(b, ch);
    sk_free(&b->a, ch->ring);
    sk_buf_free(&b->a, &ch->text);
    sk_buf_free(&b->a, &ch->patches);
    sk_buf_free(&b->a, &ch->pend_path);
    sk_buf_free(&b->a, &ch->pend_text);
    sk_buf_free(&b->a, &ch->snap);
    for (int i = 0; i < BR_NTYPES; i++)
        sk_buf_free(&b->a, &ch->part[i]);
    sk_free(&b->a, ch);
}
