/* Private: a growable byte buffer allocated through the allocator hooks. */
#ifndef SSEKIT_BUFFER_H
#define SSEKIT_BUFFER_H

#include <stddef.h>
#include <string.h>

#include "alloc_internal.h"

typedef struct sk_buf {
    char *p;
    size_t len;
    size_t cap;
} sk_buf;

/* Makes room for `extra` more bytes after len (plus one spare byte so callers
 * may NUL-terminate). Grows geometrically. Returns 0, or -1 when the
 * allocation fails or the size would overflow (the buffer is then unchanged). */
int sk_buf_grow(const ssekit_alloc_funcs *a, sk_buf *b, size_t extra);

static inline int sk_buf_reserve(const ssekit_alloc_funcs *a, sk_buf *b, size_t extra)
{
    if (b->cap - b->len > extra)
        return 0;
    return sk_buf_grow(a, b, extra);
}

static inline int sk_buf_append(const ssekit_alloc_funcs *a, sk_buf *b, const void *s, size_t n)
{
    if (sk_buf_reserve(a, b, n))
        return -1;
    if (n)
        memcpy(b->p + b->len, s, n);
    b->len += n;
    return 0;
}

static inline int sk_buf_push(const ssekit_alloc_funcs *a, sk_buf *b, char c)
{
    if (sk_buf_reserve(a, b, 1))
        return -1;
    b->p[b->len++] = c;
    return 0;
}

/* Frees the storage and zeroes the buffer. */
void sk_buf_free(const ssekit_alloc_funcs *a, sk_buf *b);

#endif
