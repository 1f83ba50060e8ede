#include "tui_tree.h"

#include <string.h>

/* A string preview longer than this is cut: the frame is never wider. */
#define PREVIEW_BYTES 400

struct tree_run {
    struct tui_buf *out;
    struct tui_tree_info *info;
    int color;
};

static const char *const mark_names[TUI_MARKS] = {"done", "streaming", "pending", "missing"};
static const char *const mark_colors[TUI_MARKS] = {"\x1b[32m", "\x1b[33m", "\x1b[2m", "\x1b[31m"};

const char *tui_tree_mark_name(enum tui_mark m)
{
    return (unsigned)m < TUI_MARKS ? mark_names[m] : "?";
}

static yajl_val member(yajl_val obj, const char *key, size_t len)
{
    if (!YAJL_IS_OBJECT(obj))
        return NULL;
    for (size_t i = 0; i < obj->u.object.len; i++)
        if (strlen(obj->u.object.keys[i]) == len && !memcmp(obj->u.object.keys[i], key, len))
            return obj->u.object.values[i];
    return NULL;
}

static int is_required(yajl_val schema, const char *key)
{
    yajl_val req = member(schema, "required", 8);
    if (!YAJL_IS_ARRAY(req))
        return 0;
    for (size_t i = 0; i < req->u.array.len; i++) {
        const char *name = YAJL_GET_STRING(req->u.array.values[i]);
        if (name && !strcmp(name, key))
            return 1;
    }
    return 0;
}

static void line_start(struct tree_run *t, enum tui_mark m, int depth)
{
    struct tui_tree_info *info = t->info;
    if (m == TUI_DONE || m == TUI_STREAMING)
        info->active = info->lines;
    info->count[m]++;
    info->lines++;
    if (t->color)
        tui_buf_addf(t->out, "%s%-10s\x1b[0m", mark_colors[m], mark_names[m]);
    else
        tui_buf_addf(t->out, "%-10s", mark_names[m]);
    for (int i = 0; i < depth; i++)
        tui_buf_add(t->out, "  ", 2);
}

/* The label: a member's key or an element's index. */
static void label(struct tree_run *t, const char *key, size_t key_len, long index)
{
    if (key) {
        tui_buf_add(t->out, key, key_len);
        tui_buf_add(t->out, ": ", 2);
    } else if (index >= 0) {
        tui_buf_addf(t->out, "[%ld] ", index);
    }
}

static void preview_string(struct tui_buf *out, const ssekit_json *v)
{
    size_t n;
    const char *s = ssekit_json_string(v, &n);
    size_t shown = n > PREVIEW_BYTES ? PREVIEW_BYTES : n;
    while (shown < n && ((unsigned char)s[shown] & 0xc0) == 0x80)
        shown++;
    tui_buf_add(out, "\"", 1);
    for (size_t i = 0; i < shown; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            tui_buf_add(out, "\\n", 2);
        else if (c < 0x20 || c == 0x7f)
            tui_buf_add(out, " ", 1);
        else
            tui_buf_add(out, s + i, 1);
    }
    if (ssekit_json_is_complete(v) && shown == n)
        tui_buf_add(out, "\"", 1);
    else
        tui_buf_adds(out, "\xe2\x80\xa6"); /* … */
}

static void node(struct tree_run *t, const ssekit_json *v, yajl_val schema, const char *key,
                 size_t key_len, long index, int depth);

static void children(struct tree_run *t, const ssekit_json *v, yajl_val schema, int depth)
{
    if (ssekit_json_type_of(v) == SSEKIT_JSON_ARRAY) {
        yajl_val items = member(schema, "items", 5);
        for (size_t i = 0; i < ssekit_json_count(v); i++)
            node(t, ssekit_json_index(v, i), items, NULL, 0, (long)i, depth);
        return;
    }
    yajl_val props = member(schema, "properties", 10);
    for (size_t i = 0; i < ssekit_json_count(v); i++) {
        size_t kn;
        const char *k = ssekit_json_member_key(v, i, &kn);
        node(t, ssekit_json_member_value(v, i), member(props, k, kn), k, kn, -1, depth);
    }
    if (!YAJL_IS_OBJECT(props))
        return;
    int open = !ssekit_json_is_complete(v);
    for (size_t i = 0; i < props->u.object.len; i++) {
        const char *k = props->u.object.keys[i];
        if (ssekit_json_find(v, k, strlen(k)))
            continue;
        if (!open && !is_required(schema, k))
            continue;
        line_start(t, open ? TUI_PENDING : TUI_MISSING, depth);
        tui_buf_adds(t->out, k);
        tui_buf_add(t->out, "\n", 1);
    }
}

static void node(struct tree_run *t, const ssekit_json *v, yajl_val schema, const char *key,
                 size_t key_len, long index, int depth)
{
    enum tui_mark m = ssekit_json_is_complete(v) ? TUI_DONE : TUI_STREAMING;
    line_start(t, m, depth);
    label(t, key, key_len, index);
    switch (ssekit_json_type_of(v)) {
    case SSEKIT_JSON_NULL:
        tui_buf_adds(t->out, "null");
        break;
    case SSEKIT_JSON_BOOL:
        tui_buf_adds(t->out, ssekit_json_bool(v) ? "true" : "false");
        break;
    case SSEKIT_JSON_NUMBER:
        tui_buf_adds(t->out, ssekit_json_number_text(v, NULL));
        break;
    case SSEKIT_JSON_STRING:
        preview_string(t->out, v);
        break;
    case SSEKIT_JSON_ARRAY:
        tui_buf_addf(t->out, "[%zu item%s]", ssekit_json_count(v),
                     ssekit_json_count(v) == 1 ? "" : "s");
        break;
    case SSEKIT_JSON_OBJECT:
        tui_buf_addf(t->out, "{%zu field%s}", ssekit_json_count(v),
                     ssekit_json_count(v) == 1 ? "" : "s");
        break;
    }
    tui_buf_add(t->out, "\n", 1);
    ssekit_json_type type = ssekit_json_type_of(v);
    if (type == SSEKIT_JSON_ARRAY || type == SSEKIT_JSON_OBJECT)
        children(t, v, schema, depth + 1);
}

void tui_tree_render(struct tui_buf *out, const ssekit_json *root, yajl_val schema, int color,
                     struct tui_tree_info *info)
{
    struct tree_run t = {out, info, color};
    memset(info, 0, sizeof *info);
    if (root && ssekit_json_type_of(root) == SSEKIT_JSON_OBJECT) {
        /* the root object's members are the fields: no line for the root itself */
        children(&t, root, schema, 0);
        return;
    }
    if (root) {
        node(&t, root, schema, "value", 5, -1, 0);
        return;
    }
    yajl_val props = member(schema, "properties", 10);
    if (!YAJL_IS_OBJECT(props))
        return;
    for (size_t i = 0; i < props->u.object.len; i++) {
        line_start(&t, TUI_PENDING, 0);
        tui_buf_adds(out, props->u.object.keys[i]);
        tui_buf_add(out, "\n", 1);
    }
}
