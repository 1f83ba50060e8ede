/* ssekit — the partial JSON builder: JSON text in arbitrary pieces, a value
 * tree readable after every piece.
 *
 * An LLM writes a JSON answer a few characters at a time. The builder takes
 * those pieces as they come (split anywhere: inside a key, an escape, a
 * surrogate pair, a UTF-8 sequence, a number) and keeps a value tree
 * (json_value.h) that is valid to read at any moment:
 *
 *   - strings are visible while they grow, and never show a half escape, a
 *     lone surrogate half or a partial UTF-8 sequence;
 *   - numbers, true, false and null appear only once complete (never a stale
 *     prefix such as 1 before 1.5);
 *   - nothing that was visible disappears: members and elements are only
 *     added, strings only grow, nodes only go from incomplete to complete.
 *
 * Total work is linear in the input: no byte is scanned twice, appending to
 * a string is amortised O(1), and a feed that adds a few characters to a
 * string costs a few tens of nanoseconds (no allocation, no path building
 * unless a callback asks for paths). Structure is validated by yajl's
 * streaming parser; the builder lexes strings and numbers itself so that the
 * growing string is visible and no token is ever re-read.
 *
 *     ssekit_partial *b = ssekit_partial_new(NULL, NULL, NULL);
 *     ssekit_partial_feed(b, "{\"summary\":\"The cli", 19);
 *     ssekit_json_string(ssekit_json_get(ssekit_partial_root(b), "/summary"), NULL);
 *         // -> "The cli", incomplete
 *     ssekit_partial_feed(b, "nic\"}", 5);
 *     ssekit_partial_finish(b);   // SSEKIT_OK: the document is complete
 *     ssekit_partial_free(b);
 *
 * The accepted language is RFC 8259 JSON, one value per document (any value
 * at the top level), whitespace being space, tab, CR and LF only. Strings
 * must be valid UTF-8 (RFC 3629: no overlong forms, no encoded surrogates);
 * an unpaired \uD800-\uDFFF escape is decoded as U+FFFD so the tree is
 * always valid UTF-8. Duplicate keys are kept in document order.
 *
 * Thread-safety: a builder is used by one thread at a time; different
 * builders are independent.
 */
#ifndef SSEKIT_PARTIAL_JSON_H
#define SSEKIT_PARTIAL_JSON_H

#include <stddef.h>

#include "alloc.h"
#include "json_value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ssekit_partial ssekit_partial;

/* ---- patches ---------------------------------------------------------------
 *
 * An append-only patch stream that, applied in order to an empty document,
 * rebuilds the builder's tree; it is what a browser receives instead of whole
 * snapshots. Each patch renders (ssekit_json_patch_write) as one compact JSON
 * object:
 *
 *   {"op":"add","path":"/entities/2","value":{}}
 *       The value at `path` starts. The parent (the path minus its last
 *       segment) exists: for an object parent, set the member whose key is
 *       the last segment (unescaped: "~1" -> "/", "~0" -> "~"); for an array
 *       parent, the last segment is the index, always equal to the array's
 *       current length (a push). Path "" sets the root. The value is the
 *       initial state: {} or [] for a container, "" for a string (its text
 *       follows in "append" patches), the final value for a number, true,
 *       false or null (those appear only when complete).
 *   {"op":"append","path":"/summary","text":"ab"}
 *       Append `text` to the string at `path`.
 *   {"op":"complete","path":"/summary"}
 *       The string, object or array at `path` is final (its closing quote or
 *       bracket was read). Scalars other than strings are final when added.
 *       An applier that does not track completeness may ignore this op.
 *
 * Paths are JSON Pointers (RFC 6901). Array indexes are explicit, so an
 * "add" is also a valid RFC 6902 add operation. When an object repeats a key
 * the later "add" replaces the earlier member (what JSON.parse does), while
 * the builder's own tree keeps both members.
 *
 * A JavaScript applier, complete:
 *
 *   function apply(doc, p) {            // doc = {root: undefined}
 *     const seg = p.path.split("/").slice(1)
 *                  .map(s => s.replace(/~1/g, "/").replace(/~0/g, "~"));
 *     if (p.op === "complete") return;
 *     if (seg.length === 0) {           // the root itself
 *       if (p.op === "add") doc.root = p.value; else doc.root += p.text;
 *       return;
 *     }
 *     let parent = doc.root;
 *     for (const s of seg.slice(0, -1)) parent = parent[s];
 *     const last = seg[seg.length - 1];
 *     if (p.op === "add") parent[last] = p.value;   // arrays: last === length
 *     else parent[last] += p.text;                  // "append"
 *   }
 */
typedef enum ssekit_json_patch_op {
    SSEKIT_PATCH_ADD,     /* a value starts at path (initial value in .value) */
    SSEKIT_PATCH_APPEND,  /* text appended to the string at path (.text) */
    SSEKIT_PATCH_COMPLETE /* the string/object/array at path is complete */
} ssekit_json_patch_op;

typedef struct ssekit_json_patch {
    ssekit_json_patch_op op;
    const char *path; /* JSON Pointer, not NUL-terminated; "" = root */
    size_t path_len;
    /* ADD: the new node. Its initial state is what the patch means ("" for a
     * string, {} / [] for a container) even if the node has grown since. */
    const ssekit_json *value;
    const char *text; /* APPEND: the new text (valid UTF-8), else NULL */
    size_t text_len;
} ssekit_json_patch;

/* Renders `patch` as one compact JSON object (the format above, no newline)
 * through `out`, which may be called several times. Returns SSEKIT_OK,
 * SSEKIT_E_STOPPED when `out` returned non-zero, SSEKIT_E_INVALID for a NULL
 * argument. The patch's pointers must still be valid (i.e. call it from the
 * on_patch callback, or copy the fields). */
int ssekit_json_patch_write(const ssekit_json_patch *patch, ssekit_json_write_fn out, void *ctx);

/* ---- callbacks ----------------------------------------------------------------
 *
 * Every callback may be NULL. `user` is the pointer given to
 * ssekit_partial_new(). A non-zero return stops the feed: the call that was
 * running returns SSEKIT_E_STOPPED, and so does every later call until
 * ssekit_partial_reset().
 *
 * Paths are JSON Pointers (RFC 6901, "~0"/"~1" escaped), as (pointer, length),
 * not NUL-terminated, valid only during the callback. Nodes stay valid until
 * the builder is reset or freed. Callbacks may read the tree (root, nodes,
 * snapshot) but must not feed, finish, reset or free the builder (feeding
 * returns SSEKIT_E_STATE). Paths are only built when at least one callback
 * that receives a path is set.
 *
 * Order: events fire in document order. For a string: value_start, then
 * string_append for its text (at most once per feed, and once more when it
 * closes), then value_complete. For a number/true/false/null: value_start
 * and value_complete together. For a container: value_start, its children,
 * value_complete. After any value inside an array completes: element_complete
 * with the array's path and the index. After the root completes:
 * document_complete. Each event is followed by its patch (on_patch), if any.
 * For a given document the sequence of start/complete events does not depend
 * on how the text was split; only the batching of string_append does.
 */
typedef struct ssekit_partial_callbacks {
    int (*on_value_start)(void *user, const char *path, size_t path_len, ssekit_json_type type,
                          const ssekit_json *node);
    int (*on_string_append)(void *user, const char *path, size_t path_len, const char *text,
                            size_t len);
    int (*on_value_complete)(void *user, const char *path, size_t path_len,
                             const ssekit_json *value);
    int (*on_element_complete)(void *user, const char *array_path, size_t path_len, size_t index);
    int (*on_document_complete)(void *user, const ssekit_json *root);
    int (*on_patch)(void *user, const ssekit_json_patch *patch);
} ssekit_partial_callbacks;

/* ---- lifecycle ------------------------------------------------------------ */

/* Creates a builder. `cb` may be NULL (no events) and is copied; `user` is
 * passed to every callback; `alloc` may be NULL (libc). All memory, yajl's
 * included, goes through the allocator hooks. Returns NULL when an
 * allocation fails. Free with ssekit_partial_free(). */
ssekit_partial *ssekit_partial_new(const ssekit_partial_callbacks *cb, void *user,
                                   const ssekit_alloc_funcs *alloc);

/* Feeds the next `len` bytes of JSON text (any split is fine). Events fire
 * before it returns; the tree reflects every byte fed. Returns SSEKIT_OK, or:
 *   SSEKIT_E_JSON      malformed JSON (details: ssekit_partial_last_error());
 *   SSEKIT_E_TOO_DEEP  nesting deeper than the depth limit;
 *   SSEKIT_E_TOO_LARGE the text exceeds the size limit (the bytes up to the
 *                      limit are processed first), or a string, key or
 *                      number exceeds the string limit;
 *   SSEKIT_E_NOMEM     an allocation failed;
 *   SSEKIT_E_STOPPED   a callback returned non-zero;
 *   SSEKIT_E_STATE     called from a callback, or after ssekit_partial_finish();
 *   SSEKIT_E_INVALID   b is NULL, or text is NULL with len > 0.
 * After any error other than STATE/INVALID, every feed and finish returns the
 * same error until ssekit_partial_reset(); the tree keeps what was built
 * before the error. */
int ssekit_partial_feed(ssekit_partial *b, const char *text, size_t len);

/* Declares the end of the text. Completes a top-level number (which only
 * ends at end of text) and checks that the document is complete. Returns
 * SSEKIT_OK, or SSEKIT_E_JSON ("premature EOF", at the offset of the end of
 * the text) for an incomplete or empty document, or the sticky error of an
 * earlier call. A second call returns the same result. */
int ssekit_partial_finish(ssekit_partial *b);

/* The root of the tree, or NULL before a value has started (a top-level
 * number appears only at finish). Owned by the builder, valid until reset or
 * free. */
const ssekit_json *ssekit_partial_root(const ssekit_partial *b);

/* 1 once the root value is complete (its last byte was read), else 0. Text
 * after it may still turn out to be trailing garbage. */
int ssekit_partial_is_complete(const ssekit_partial *b);

/* Forgets the document, the error and the text, keeping the callbacks, the
 * limits and (for speed) the memory already allocated, so the builder can
 * take a new document. Every node of the old tree dies. Not from a callback.
 * If re-arming the internal parser cannot allocate, the next feed returns
 * SSEKIT_E_NOMEM (and a later reset tries again). */
void ssekit_partial_reset(ssekit_partial *b);

/* Frees the builder and its tree. NULL is fine. Not from a callback. */
void ssekit_partial_free(ssekit_partial *b);

/* ---- limits --------------------------------------------------------------- */

#define SSEKIT_PARTIAL_DEFAULT_MAX_DEPTH 128
#define SSEKIT_PARTIAL_MAX_DEPTH_LIMIT 10000
#define SSEKIT_PARTIAL_DEFAULT_MAX_SIZE ((size_t)64 << 20)   /* 64 MiB of text */
#define SSEKIT_PARTIAL_DEFAULT_MAX_STRING ((size_t)16 << 20) /* 16 MiB decoded */

/* Maximum nesting of arrays/objects (the root container is depth 1; a
 * document of depth == limit is accepted, one more level gives
 * SSEKIT_E_TOO_DEEP). 1..SSEKIT_PARTIAL_MAX_DEPTH_LIMIT, else
 * SSEKIT_E_INVALID. Takes effect for containers opened after the call;
 * SSEKIT_E_NOMEM if the parser's reserve cannot grow. */
int ssekit_partial_set_max_depth(ssekit_partial *b, size_t depth);

/* Maximum number of bytes of text per document (>= 1, else
 * SSEKIT_E_INVALID). The builder keeps the text it was fed, so this also
 * bounds its memory (roughly 3-4x this for text, strings and nodes). */
int ssekit_partial_set_max_size(ssekit_partial *b, size_t bytes);

/* Maximum decoded length in bytes of one string, key or number literal
 * (>= 1, else SSEKIT_E_INVALID). */
int ssekit_partial_set_max_string(ssekit_partial *b, size_t bytes);

/* ---- errors and text ------------------------------------------------------ */

typedef struct ssekit_partial_error {
    int status; /* SSEKIT_OK when there is no error */
    /* Byte offset in the document of the first byte that cannot belong to
     * valid JSON: text[0..offset) is a valid beginning of a JSON document and
     * text[0..offset] is not. For an incomplete document at finish it is the
     * length of the text; for a limit, the byte that exceeded it. It does not
     * depend on how the text was split. The error may be noticed a little
     * later than that byte -- when the number or true/false/null that starts
     * there ends, or at finish -- but the offset still names that byte. */
    size_t offset;
    /* yajl-style message, e.g. "parse error: after array element, I expect
     * ',' or ']'" or "lexical error: invalid char in json text." (no
     * newline); "" when status is SSEKIT_OK. */
    const char *message;
    /* Two lines that show the text around offset with a caret under the
     * offending byte, in yajl_get_error()'s verbose layout; "" when there is
     * no error. */
    const char *context;
} ssekit_partial_error;

/* The current error (status SSEKIT_OK if none). Owned by the builder, valid
 * until the next feed, finish, reset or free. Never NULL for a non-NULL b. */
const ssekit_partial_error *ssekit_partial_last_error(const ssekit_partial *b);

/* The raw text fed since the last reset (at most the size limit), e.g. to
 * keep the model's output when it turned out malformed. Not NUL-terminated;
 * *len is set. Valid until the next feed, reset or free. */
const char *ssekit_partial_text(const ssekit_partial *b, size_t *len);

/* ---- snapshots ------------------------------------------------------------ */

/* Writes the current tree as compact, valid JSON through `out` (see
 * ssekit_json_write): open strings as far as they go, open containers
 * closed, pending numbers left out (the member or element appears once the
 * number is complete). Writes `null` when no value has started. Returns
 * SSEKIT_OK, SSEKIT_E_STOPPED if `out` returned non-zero, SSEKIT_E_INVALID
 * for NULL arguments. */
int ssekit_partial_snapshot(const ssekit_partial *b, ssekit_json_write_fn out, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
