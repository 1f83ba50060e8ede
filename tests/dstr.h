/* A growable string for the tests; a failed allocation ends the test program
 * (REQUIRE). Header-only and static inline, so each test uses what it needs
 * without unused-function warnings. */
#ifndef SSEKIT_TEST_DSTR_H
#define SSEKIT_TEST_DSTR_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

typedef struct dstr {
    char *p;
    size_t len, cap;
} dstr;

static inline void ds_put(dstr *s, const char *p, size_t n)
{
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 64;
        while (cap < s->len + n + 1)
            cap *= 2;
        s->p = realloc(s->p, cap);
        REQUIRE(s->p);
        s->cap = cap;
    }
    if (n)
        memcpy(s->p + s->len, p, n);
    s->len += n;
    s->p[s->len] = 0;
}

static inline void ds_puts(dstr *s, const char *p)
{
    ds_put(s, p, strlen(p));
}

static inline void ds_printf(dstr *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    REQUIRE(n >= 0 && (size_t)n < sizeof tmp);
    ds_put(s, tmp, (size_t)n);
}

static inline void ds_clear(dstr *s)
{
    s->len = 0;
    if (s->p)
        s->p[0] = 0;
}

static inline void ds_free(dstr *s)
{
    free(s->p);
    memset(s, 0, sizeof *s);
}

static inline const char *ds_str(const dstr *s)
{
    return s->p ? s->p : "";
}

static inline int ds_eq(const dstr *a, const dstr *b)
{
    return a->len == b->len && (a->len == 0 || !memcmp(a->p, b->p, a->len));
}

static inline int ds_writer(void *ctx, const char *data, size_t len)
{
    ds_put(ctx, data, len);
    return 0;
}

/* A malloc'd, NUL-terminated copy of the `n` bytes at `s`; NULL when `s` is. */
static inline char *dupn(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = malloc(n + 1);
    REQUIRE(d);
    if (n)
        memcpy(d, s, n);
    d[n] = 0;
    return d;
}

#endif
