/* Private: UTF-8 validation and WHATWG-style repair (U+FFFD for each maximal
 * subpart of an ill-formed sequence, as the Encoding Standard's decoder does). */
#ifndef SSEKIT_UTF8_H
#define SSEKIT_UTF8_H

#include <stddef.h>

/* Length of the longest prefix of s[0..n) that is well-formed UTF-8 (n when
 * the whole is valid). A sequence truncated by the end of the input counts as
 * ill-formed: callers pass whole lines. */
size_t sk_utf8_valid_prefix(const char *s, size_t n);

/* Upper bound of the bytes sk_utf8_repair() writes for n input bytes. */
#define SK_UTF8_REPAIR_MAX(n) ((n)*3)

/* Writes s[0..n) to out with every maximal ill-formed subpart replaced by
 * U+FFFD (EF BF BD); returns the bytes written (at most SK_UTF8_REPAIR_MAX(n)). */
size_t sk_utf8_repair(const char *s, size_t n, char *out);

#endif
