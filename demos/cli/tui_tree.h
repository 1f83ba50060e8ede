/* The partial structured result as a tree, one line per field, each marked
 *   done       the value is complete
 *   streaming  the value is still arriving (an open string, object, array)
 *   pending    a schema property not seen yet while its object is still open
 *   missing    a required schema property absent from a closed object
 * Pending and missing need the schema (its "properties", "items" and
 * "required"; $ref is not followed). */
#ifndef SSEKIT_CLI_TUI_TREE_H
#define SSEKIT_CLI_TUI_TREE_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#include "ssekit/json_value.h"
#include "tui_buf.h"

enum tui_mark { TUI_DONE, TUI_STREAMING, TUI_PENDING, TUI_MISSING, TUI_MARKS };

struct tui_tree_info {
    size_t lines;
    size_t count[TUI_MARKS]; /* lines per mark */
    size_t active;           /* the last line that is not pending or missing:
                                where the stream is now */
};

/* Appends the tree of `root` (may be NULL: nothing arrived yet) to `out` as
 * lines ending in '\n', with ANSI colours on the marks when `color`. `schema`
 * (may be NULL) is the schema document parsed by yajl_tree. Fills *info. */
void tui_tree_render(struct tui_buf *out, const ssekit_json *root, yajl_val schema, int color,
                     struct tui_tree_info *info);

/* The mark's word ("done", "streaming", ...). */
const char *tui_tree_mark_name(enum tui_mark m);

#endif
