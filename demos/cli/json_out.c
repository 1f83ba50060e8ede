#include "json_out.h"

#include <string.h>

/* Length of a valid UTF-8 sequence at s (2..4), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    if (c >= 0xC2 && c <= 0xDF)
        need = 1;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (n <= need)
        return 0;
    for (size_t i = 1; i <= need; i++) {
        if (s[i] < lo || s[i] > hi)
            return 0;
        lo = 0x80, hi = 0xBF;
    }
    return need + 1;
}

void json_out_string(FILE *out, const char *s, size_t n)
{
    putc('"', out);
    json_out_chars(out, s, n);
    putc('"', out);
}

void json_out_chars(FILE *out, const char *str, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    size_t run = 0; /* bytes ready to be written verbatim */
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = 1;
        const char *esc = NULL;
        char u[7];
        if (c >= 0x80) {
            len = utf8_seq(s + i, n - i);
            if (len) {
                i += len;
                run += len;
                continue;
            }
            len = 1;
        } else if (c >= 0x20 && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        case '\b':
            esc = "\\b";
            break;
        case '\f':
            esc = "\\f";
            break;
        default:
            memcpy(u, "\\u00", 4);
            u[4] = hex[c >> 4];
            u[5] = hex[c & 15];
            u[6] = 0;
            esc = u;
        }
        fwrite(s + i - run, 1, run, out);
        run = 0;
        fputs(esc, out);
        i += len;
    }
    fwrite(s + n - run, 1, run, out);
}
