#include "buffer.h"

#include <stdint.h>

int sk_buf_grow(const ssekit_alloc_funcs *a, sk_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - 1 - b->len)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = b->p ? sk_realloc(a, b->p, cap) : sk_malloc(a, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

void sk_buf_free(const ssekit_alloc_funcs *a, sk_buf *b)
{
    sk_free(a, b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
