/* ssekit — JSON Schema validation of value trees, complete or still growing.
 *
 * A schema is compiled once (ssekit_schema_compile) and can then validate any
 * number of trees (json_value.h), typically the tree of a partial JSON builder
 * after every delta. With SSEKIT_SCHEMA_PARTIAL the tree may be incomplete:
 * a value is never reported only because it is unfinished (a required
 * property not yet written, a string or array still shorter than its minimum,
 * an open string that is still a prefix of an enum value), but a violation is
 * reported as soon as no continuation of the text can repair it (a value of
 * the wrong type, a closed string outside the enum, an open string that is no
 * longer a prefix of any allowed value, a forbidden property as soon as its
 * key appears, maxLength or maxItems exceeded, a number out of range, a
 * pattern that cannot match any more). Once reported, a violation stays
 * reported for every longer prefix of the same document. "As soon as" is as
 * soon as the tree shows it: the builder shows a member once its value
 * starts, and a number only once it is complete.
 *
 * Validating a stream after every delta: ssekit_schema_validate walks the
 * whole tree each time (quadratic over a long answer); a checker
 * (ssekit_schema_checker_validate) gives the same answers while visiting only
 * what changed since its last call.
 *
 *     ssekit_schema_error err;
 *     ssekit_schema *s = ssekit_schema_compile(text, len, NULL, &err);
 *     if (!s) { fprintf(stderr, "schema %s: %s\n", err.pointer, err.message); ... }
 *     ssekit_schema_message m[4];
 *     int n = ssekit_schema_validate_collect(s, root, SSEKIT_SCHEMA_PARTIAL, m, 4);
 *     if (n > 0) fprintf(stderr, "%s: %s\n", m[0].path, m[0].message);
 *     ssekit_schema_free(s);
 *
 * Supported keywords (draft 2020-12 spelling, the draft-4..7 forms noted):
 *   type (a name or an array of names; "integer" accepts any number with a
 *        zero fractional part, such as 1.0 or 1e2), enum, const,
 *   properties, required, additionalProperties (a boolean or a schema),
 *   minProperties, maxProperties,
 *   items (a schema; the draft-4..7 array form means prefixItems),
 *   prefixItems, minItems, maxItems, uniqueItems,
 *   minLength, maxLength (counted in Unicode code points),
 *   pattern (see below),
 *   minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers; the draft-4
 *        boolean form is honoured), multipleOf,
 *   allOf, anyOf, oneOf, not,
 *   $ref to a JSON Pointer fragment of the same document ("#", "#/$defs/x",
 *        "#/definitions/x", any "#/..."), with its siblings applied as well
 *        (2019-09 and later); recursive schemas work, $ref cycles that never
 *        reach into the instance (e.g. {"$ref": "#"}) are a compile error,
 *   $defs, definitions (containers; their schemas are compiled and checked
 *        even when unused), true and false as schemas.
 * Annotations and unknown keywords are ignored (title, description, default,
 * examples, format, $schema, $id, $comment, deprecated, readOnly, ...).
 * Keywords that would change the result but are not implemented are a
 * compile error (SSEKIT_SCHEMA_UNSUPPORTED) rather than silently ignored:
 * patternProperties, propertyNames, dependentRequired, dependentSchemas,
 * dependencies, if/then/else, contains, minContains, maxContains,
 * unevaluatedProperties, unevaluatedItems, additionalItems, $dynamicRef,
 * $recursiveRef, and $ref to another document or an $anchor.
 *
 * `pattern` is an ECMA-262 regular expression searched anywhere in the string
 * (not anchored) over Unicode code points, by a linear-time engine:
 * literals, `.`, classes `[...]`/`[^...]`, `\d \D \w \W \s \S \b \B`, `^ $`,
 * groups `(...)`, `(?:...)`, `(?<name>...)`, `|`, `* + ? {n} {n,} {n,m}`
 * (lazy forms too), escapes `\t \n \v \f \r \0 \cX \xHH \uHHHH \u{H...}`.
 * Not supported, and a compile error: backreferences, lookahead/lookbehind,
 * `\p{...}`. On an open string a pattern fails as soon as no continuation can
 * match (e.g. "^[a-z]+$" against an open "ab1").
 *
 * Numbers are compared as doubles (integer literals beyond 2^53 may compare
 * equal to their neighbours). When an object repeats a key, every occurrence
 * is checked (so a violation never disappears when a later duplicate comes);
 * minProperties/maxProperties count members, repeated keys included.
 *
 * Thread-safety: a compiled schema is immutable; any number of threads may
 * validate with it at once, each on its own tree.
 */
#ifndef SSEKIT_SCHEMA_H
#define SSEKIT_SCHEMA_H

#include <stddef.h>

#include "alloc.h"
#include "json_value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ssekit_schema ssekit_schema;

/* ---- compiling ---------------------------------------------------------- */

/* Default limits (see ssekit_schema_limits). */
#define SSEKIT_SCHEMA_DEFAULT_MAX_DEPTH 64
#define SSEKIT_SCHEMA_DEFAULT_MAX_REF_DEPTH 64
#define SSEKIT_SCHEMA_DEFAULT_MAX_STEPS 10000000

typedef struct ssekit_schema_limits {
    /* Nesting depth of the schema document's JSON (objects and arrays).
     * Deeper: compile fails with SSEKIT_SCHEMA_TOO_DEEP / SSEKIT_E_TOO_DEEP. */
    unsigned max_depth;
    /* $ref expansions nested inside each other during one validation (a
     * recursive schema uses one per level of the instance it descends).
     * Deeper: validation returns SSEKIT_E_TOO_DEEP. Validation recurses;
     * its nesting is bounded by (max_ref_depth + 1) x (max_depth + 2) calls
     * of a few hundred bytes of stack each (about 1 MB at the defaults, for
     * a hostile schema; ordinary ones use a small fraction): lower these
     * limits on threads with small stacks. */
    unsigned max_ref_depth;
    /* Work of one validation or progress call, counted in (schema, value)
     * visits and value comparisons. A hostile schema can make the work grow
     * exponentially (anyOf of $refs of anyOf...); beyond this the call
     * returns SSEKIT_E_TOO_LARGE. */
    size_t max_steps;
} ssekit_schema_limits;

/* Why a compile failed (ssekit_schema_error.code). */
typedef enum ssekit_schema_error_code {
    SSEKIT_SCHEMA_OK = 0,
    SSEKIT_SCHEMA_MALFORMED,   /* not JSON (status SSEKIT_E_JSON) */
    SSEKIT_SCHEMA_TOO_DEEP,    /* nested deeper than max_depth (SSEKIT_E_TOO_DEEP) */
    SSEKIT_SCHEMA_BAD_KEYWORD, /* a keyword's value has the wrong form */
    SSEKIT_SCHEMA_UNSUPPORTED, /* a keyword or $ref form this library does not implement */
    SSEKIT_SCHEMA_BAD_REF,     /* $ref to nothing, or to something that is not a schema */
    SSEKIT_SCHEMA_REF_CYCLE,   /* $ref/allOf/anyOf/oneOf/not loop without reaching into the value */
    SSEKIT_SCHEMA_BAD_PATTERN, /* `pattern` does not compile */
    SSEKIT_SCHEMA_NOMEM        /* allocation failed (SSEKIT_E_NOMEM) */
} ssekit_schema_error_code;

typedef struct ssekit_schema_error {
    int status;                    /* the ssekit_status of the failure */
    ssekit_schema_error_code code; /* which kind of failure */
    /* JSON Pointer (RFC 6901) of the offending keyword in the schema, e.g.
     * "/properties/age/minimum"; "" for the root or a malformed document.
     * Truncated to fit (a truncated pointer ends with "..."). */
    char pointer[256];
    /* English explanation; for malformed JSON yajl's message. */
    char message[256];
    /* For SSEKIT_SCHEMA_MALFORMED: the byte offset where parsing stopped. */
    size_t offset;
} ssekit_schema_error;

/* Fills `lim` with the defaults above. */
void ssekit_schema_limits_default(ssekit_schema_limits *lim);

/* Parses and compiles the schema `json` (`len` bytes, need not be
 * NUL-terminated) with the default limits. `alloc` may be NULL (libc); it is
 * copied. Returns the compiled schema, owned by the caller (free it with
 * ssekit_schema_free), or NULL with `*err` filled when `err` is not NULL:
 * SSEKIT_E_JSON (malformed), SSEKIT_E_TOO_DEEP (max_depth), SSEKIT_E_SCHEMA
 * (bad or unsupported keyword, bad $ref, $ref cycle, bad pattern),
 * SSEKIT_E_NOMEM, SSEKIT_E_INVALID (json NULL). Nothing of `json` is kept. */
ssekit_schema *ssekit_schema_compile(const char *json, size_t len, const ssekit_alloc_funcs *alloc,
                                     ssekit_schema_error *err);

/* The same with explicit limits; `lim` NULL or a field 0 means the default. */
ssekit_schema *ssekit_schema_compile_with_limits(const char *json, size_t len,
                                                 const ssekit_schema_limits *lim,
                                                 const ssekit_alloc_funcs *alloc,
                                                 ssekit_schema_error *err);

/* Changes the validation-time limits (max_ref_depth, max_steps; a field 0
 * keeps the current value; max_depth only matters when compiling and is
 * ignored). Not to be called while another thread validates with `s`.
 * Returns SSEKIT_OK or SSEKIT_E_INVALID (s or lim NULL). */
int ssekit_schema_set_limits(ssekit_schema *s, const ssekit_schema_limits *lim);

/* Frees a compiled schema and everything it owns. NULL is harmless. */
void ssekit_schema_free(ssekit_schema *s);

/* ---- validating --------------------------------------------------------- */

/* Flag: the tree may be incomplete; report only violations that are certain
 * whatever text comes next. Without it every node is judged as it stands, as
 * the final value (an unfinished string is checked as if it were closed). */
#define SSEKIT_SCHEMA_PARTIAL 0x1u

typedef struct ssekit_schema_violation {
    /* JSON Pointer of the offending value in the instance ("" = the root).
     * For additionalProperties it is the forbidden member; for required, the
     * object that lacks the property. */
    const char *path;
    /* The schema keyword that failed: "type", "required", "enum", ... */
    const char *keyword;
    /* English explanation, e.g. "expected string or null, got number". */
    const char *message;
    /* JSON Pointer of the failing keyword in the schema, e.g.
     * "/$defs/item/properties/qty/minimum". */
    const char *schema_path;
} ssekit_schema_violation;

/* Called once per violation, in a deterministic order (roughly depth first
 * in document order; a value's keywords in a fixed order). A `false` schema
 * reports the keyword that led to it ("properties", "items", ...) or
 * "false". The strings live until the callback returns. Return 0 to go on,
 * non-zero to stop (validation then returns SSEKIT_E_STOPPED). */
typedef int (*ssekit_schema_violation_cb)(void *user, const ssekit_schema_violation *v);

/* Validates `root` against `s`. `flags`: 0 or SSEKIT_SCHEMA_PARTIAL. `cb` may
 * be NULL to only count. Returns the number of violations (0 = valid, or in
 * partial mode "nothing certainly wrong yet") or a negative status:
 * SSEKIT_E_INVALID (s NULL), SSEKIT_E_STOPPED (the callback asked),
 * SSEKIT_E_TOO_DEEP (max_ref_depth), SSEKIT_E_TOO_LARGE (max_steps),
 * SSEKIT_E_NOMEM. A NULL root is a document not started yet: no violation in
 * partial mode, one ("no value") otherwise. Inside anyOf/oneOf, when every
 * alternative fails, one violation names the keyword, unless a single
 * alternative accepts the value's type: then that alternative's own
 * violations are reported (more useful for nullable objects). */
int ssekit_schema_validate(const ssekit_schema *s, const ssekit_json *root, unsigned flags,
                           ssekit_schema_violation_cb cb, void *user);

/* One violation copied out by ssekit_schema_validate_collect. Strings are
 * NUL-terminated and truncated to fit (a truncated one ends with "..."). */
typedef struct ssekit_schema_message {
    char path[256];
    char keyword[32];
    char message[256];
} ssekit_schema_message;

/* Validates like ssekit_schema_validate and copies the first `max` violations
 * into `out` (which may be NULL when max is 0). Returns the total number of
 * violations (possibly more than max) or a negative status as above. */
int ssekit_schema_validate_collect(const ssekit_schema *s, const ssekit_json *root, unsigned flags,
                                   ssekit_schema_message *out, size_t max);

/* ---- validating a growing tree after every feed ------------------------ */

/* A checker remembers, between calls, which parts of one growing tree are
 * already known complete and valid, and does not visit them again: after
 * every feed of a builder, validating its tree costs time in proportion to
 * what changed, not to the whole tree (for a valid document; the values
 * around a violation are re-checked each time, and `uniqueItems` and
 * `enum`/`const` on containers always compare whole values). Each call
 * reports the same violations as ssekit_schema_validate would for the same
 * tree (unless a limit is hit: the checker does less work).
 *
 * The tree must only grow between calls (as a partial builder's does) and
 * its nodes must stay alive: call ssekit_schema_checker_reset whenever it is
 * replaced (builder reset or a new builder), since a new node may reuse the
 * address of an old one. The schema must outlive the checker. A checker is
 * used by one thread at a time; its memory grows with the number of objects
 * and arrays of the tree (a few dozen bytes each). */
typedef struct ssekit_schema_checker ssekit_schema_checker;

/* Creates a checker for `s` (not NULL). `alloc` may be NULL (libc). Returns
 * NULL when an allocation fails. Free with ssekit_schema_checker_free. */
ssekit_schema_checker *ssekit_schema_checker_new(const ssekit_schema *s,
                                                 const ssekit_alloc_funcs *alloc);

/* ssekit_schema_validate with the checker's memory: same arguments (the
 * schema is the checker's), same results and errors. On SSEKIT_E_NOMEM the
 * checker stays usable. */
int ssekit_schema_checker_validate(ssekit_schema_checker *ck, const ssekit_json *root,
                                   unsigned flags, ssekit_schema_violation_cb cb, void *user);

/* Forgets everything remembered (keeps the memory for reuse). */
void ssekit_schema_checker_reset(ssekit_schema_checker *ck);

/* Frees the checker. NULL is harmless. */
void ssekit_schema_checker_free(ssekit_schema_checker *ck);

/* ---- progress ----------------------------------------------------------- */

/* Estimates how much of the required content of `root` is written: the
 * weighted share of required leaves that are complete, in [0, 1].
 *
 * Required leaves: start at the root. A value whose schema lists `required`
 * properties (directly or through allOf/$ref) and which is (or will be) an
 * object stands for the leaves of those required properties' schemas, found
 * the same way; every other value is one leaf: a string, number, boolean,
 * null, an array (arrays are one leaf each: their length is unknown until
 * they close, and counting items would let the share fall when an item
 * appears), an object whose schema requires nothing. A leaf is complete when
 * its value is complete (closed). Optional properties do not count. When the
 * schema of a value is an anyOf/oneOf, the value counts with its best-known
 * alternative: before the value starts, the largest alternative's number of
 * leaves; once started, the least advanced of the alternatives that accept its
 * type (an alternative's weight in the total stays fixed).
 *
 * Properties: 0 for a NULL root; never decreases while the same document
 * grows (a repeated key counts with its first occurrence); 1 once the root
 * is complete, and often before
 * (when only optional content remains). Writes the share to *out and returns
 * SSEKIT_OK, or a negative status (SSEKIT_E_INVALID for NULL s/out,
 * SSEKIT_E_TOO_DEEP, SSEKIT_E_TOO_LARGE) with *out set to 0. */
int ssekit_schema_progress(const ssekit_schema *s, const ssekit_json *root, double *out);

#ifdef __cplusplus
}
#endif

#endif
