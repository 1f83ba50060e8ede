#include "utf8.h"

#include <stdint.h>
#include <string.h>

/* Length of the well-formed sequence starting at s (1..4), or 0 when the bytes
 * there are ill-formed; *bad is then the length of the maximal subpart to
 * replace (at least 1). Ranges are Unicode's Table 3-7. */
static size_t sequence(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned c = s[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t i = 1; i <= need; i++) {
        if (i >= n) {
            *bad = i;
            return 0;
        }
        unsigned b = s[i];
        if (b < lo || b > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need + 1;
}

size_t sk_utf8_valid_prefix(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* ASCII runs dominate LLM envelopes: skip them a word at a time. */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        while (i < n && s[i] < 0x80)
            i++;
        if (i == n)
            break;
        size_t bad, len = sequence(s + i, n - i, &bad);
        if (!len)
            return i;
        i += len;
    }
    return n;
}

size_t sk_utf8_repair(const char *str, size_t n, char *out)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0;
    while (i < n) {
        size_t bad, len = sequence(s + i, n - i, &bad);
        if (len) {
            memcpy(out + o, s + i, len);
            o += len;
            i += len;
        } else {
            out[o++] = (char)0xEF;
            out[o++] = (char)0xBF;
            out[o++] = (char)0xBD;
            i += bad;
        }
    }
    return o;
}
