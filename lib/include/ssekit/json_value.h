/* ssekit — read-only access to a JSON value tree.
 *
 * The partial JSON builder (partial_json.h) builds these trees while the text
 * arrives; the schema validator (schema.h) reads them. A tree may be partial:
 * every node carries a complete/incomplete mark, strings grow, arrays and
 * objects gain elements. Once a node is visible it stays visible and its
 * content only grows (no flicker).
 *
 * Ownership: nodes belong to the builder that made them. A node pointer stays
 * valid until that builder is reset or freed; the *bytes* of a string that is
 * still growing may move when more text is fed, so re-read them after each
 * feed instead of keeping the char pointer.
 *
 * Thread-safety: reading is safe only while no other thread feeds the builder.
 */
#ifndef SSEKIT_JSON_VALUE_H
#define SSEKIT_JSON_VALUE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ssekit_json_type {
    SSEKIT_JSON_NULL,
    SSEKIT_JSON_BOOL,
    SSEKIT_JSON_NUMBER,
    SSEKIT_JSON_STRING,
    SSEKIT_JSON_ARRAY,
    SSEKIT_JSON_OBJECT
} ssekit_json_type;

typedef struct ssekit_json ssekit_json;

/* The node's type. A NULL node gives SSEKIT_JSON_NULL. */
ssekit_json_type ssekit_json_type_of(const ssekit_json *v);

/* 1 when the node and everything inside it are complete (a string whose
 * closing quote was seen, a container whose closing bracket was seen), else 0.
 * Numbers, booleans and null are created complete: they never appear before
 * their last character has been read. NULL gives 0. */
int ssekit_json_is_complete(const ssekit_json *v);

/* A string node's text so far: valid UTF-8 with escapes decoded, never a
 * partial UTF-8 sequence or a half escape; NUL-terminated (the text itself may
 * contain NUL from \u0000, hence *len). NULL for a non-string. Valid until the
 * next feed of the builder. `len` may be NULL. */
const char *ssekit_json_string(const ssekit_json *v, size_t *len);

/* A number node's literal exactly as written in the JSON text (NUL-terminated,
 * owned by the tree), or NULL for a non-number. `len` may be NULL. */
const char *ssekit_json_number_text(const ssekit_json *v, size_t *len);

/* A number node as a double (strtod of the literal; 0 for a non-number). */
double ssekit_json_number(const ssekit_json *v);

/* 1 and *out set when the node is a number literal without fraction or
 * exponent that fits in int64_t; else 0. */
int ssekit_json_integer(const ssekit_json *v, int64_t *out);

/* A boolean node's value (0 or 1); 0 for anything else. */
int ssekit_json_bool(const ssekit_json *v);

/* The number of elements of an array or members of an object seen so far;
 * 0 for scalars and NULL. */
size_t ssekit_json_count(const ssekit_json *v);

/* The i-th element of an array, or NULL when out of range / not an array. */
const ssekit_json *ssekit_json_index(const ssekit_json *v, size_t i);

/* The i-th member of an object in document order: its key (decoded,
 * NUL-terminated, *len set; len may be NULL) and its value. NULL when out of
 * range or not an object. */
const char *ssekit_json_member_key(const ssekit_json *v, size_t i, size_t *len);
const ssekit_json *ssekit_json_member_value(const ssekit_json *v, size_t i);

/* The value of the member named `key` (`len` bytes), or NULL. When a key
 * repeats, the last member with that key wins. */
const ssekit_json *ssekit_json_find(const ssekit_json *obj, const char *key, size_t len);

/* The node at JSON Pointer `pointer` (RFC 6901, NUL-terminated, "" = root,
 * "~0" and "~1" unescaped), or NULL when it does not exist (yet). */
const ssekit_json *ssekit_json_get(const ssekit_json *root, const char *pointer);

/* ---- serialising ---------------------------------------------------------- */

/* A sink for serialised JSON: receives `len` bytes (not NUL-terminated, valid
 * only during the call). Return 0 to continue, non-zero to stop. */
typedef int (*ssekit_json_write_fn)(void *ctx, const char *data, size_t len);

/* Writes `v` (any node, e.g. a subtree) as compact JSON through `out`:
 * members in document order (repeated keys repeated), strings escaped (only
 * '"', '\\' and control characters; UTF-8 written as is), numbers exactly as
 * written. A partial node is written as it is now: an open string with the
 * text so far, open containers closed. A NULL node writes `null`. `out` may
 * be called many times (output is buffered in chunks of a few hundred bytes).
 * Returns 0 (SSEKIT_OK), or SSEKIT_E_STOPPED (-1) when `out` returned
 * non-zero, or SSEKIT_E_INVALID (-3) when `out` is NULL. Recursion depth is
 * the tree's depth (bounded by the builder's depth limit). */
int ssekit_json_write(const ssekit_json *v, ssekit_json_write_fn out, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
