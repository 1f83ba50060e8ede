/* Private: the regular expressions of JSON Schema's `pattern` keyword.
 *
 * An ECMA-262 subset, matched on Unicode code points by a Thompson NFA
 * simulation (no backtracking: time is O(text x program), whatever the
 * pattern). Besides the usual "does it match", it answers the question the
 * partial validator needs: can a string that is still growing match at all,
 * whatever text comes next?
 *
 * Supported: literals (any code point), `.`, `[...]` and `[^...]` with ranges,
 * `\d \D \w \W \s \S` (also inside classes), `\b \B`, `^ $` (no multiline),
 * groups `(...)`, `(?:...)`, `(?<name>...)` (nothing is captured), `|`,
 * quantifiers `* + ? {n} {n,} {n,m}` and their lazy forms (same answer),
 * escapes `\t \n \v \f \r \0 \cX \xHH \uHHHH \u{H...}` (surrogate pairs are
 * joined) and identity escapes of punctuation. A `{` that does not start a
 * quantifier is a literal, as in ECMA-262 Annex B.
 *
 * Not supported (a compile error, never a silent mismatch): backreferences
 * (`\1`, `\k<name>`), lookahead and lookbehind, Unicode property escapes
 * (`\p{...}`), flags. Case-insensitive matching does not exist in `pattern`.
 */
#ifndef SSEKIT_SCHEMA_REGEX_H
#define SSEKIT_SCHEMA_REGEX_H

#include <stddef.h>

#include "alloc_internal.h"

typedef struct sk_regex sk_regex;

/* Limits that keep a hostile pattern small: instructions of the compiled
 * program, a repetition count, group nesting. */
#define SK_REGEX_MAX_INSTS 10000
#define SK_REGEX_MAX_REPEAT 1000
#define SK_REGEX_MAX_NESTING 64

enum {
    SK_RE_NOMATCH = 0, /* no match, and (for an open string) none is possible */
    SK_RE_MATCH = 1,   /* a match (for an open string: whatever follows) */
    SK_RE_MAYBE = 2    /* open string: text still to come decides */
};

/* Compiles `pat` (`len` bytes of UTF-8). Returns 0 and sets *out (free it with
 * sk_regex_free), SSEKIT_E_NOMEM, or SSEKIT_E_SCHEMA with an English reason in
 * `err` (NUL-terminated, truncated to errlen). */
int sk_regex_compile(const ssekit_alloc_funcs *a, const char *pat, size_t len, sk_regex **out,
                     char *err, size_t errlen);

void sk_regex_free(const ssekit_alloc_funcs *a, sk_regex *re);

/* Bytes of scratch memory sk_regex_match needs for this regex. */
size_t sk_regex_scratch_size(const sk_regex *re);

/* Searches `s` (`n` bytes of UTF-8; an invalid byte counts as U+FFFD) for a
 * match anywhere, as ECMA-262's RegExp.prototype.test does. With `open`, `s`
 * is the prefix of a string still growing: SK_RE_MATCH means a match already
 * lies inside it, SK_RE_NOMATCH that no continuation can produce one, and
 * SK_RE_MAYBE anything else. `scratch` holds sk_regex_scratch_size() bytes
 * (aligned like malloc's) and is not shared between concurrent calls. */
int sk_regex_match(const sk_regex *re, const char *s, size_t n, int open, void *scratch);

#endif
