/* Private: the allocator hooks as the library uses them. */
#ifndef SSEKIT_ALLOC_INTERNAL_H
#define SSEKIT_ALLOC_INTERNAL_H

#include "ssekit/alloc.h"

/* Copies `src` into `dst`, or libc's functions when src is NULL or any of its
 * three function pointers is NULL. */
void sk_alloc_init(ssekit_alloc_funcs *dst, const ssekit_alloc_funcs *src);

static inline void *sk_malloc(const ssekit_alloc_funcs *a, size_t n)
{
    return a->malloc(a->ctx, n ? n : 1);
}

static inline void *sk_realloc(const ssekit_alloc_funcs *a, void *p, size_t n)
{
    return a->realloc(a->ctx, p, n ? n : 1);
}

static inline void sk_free(const ssekit_alloc_funcs *a, void *p)
{
    if (p)
        a->free(a->ctx, p);
}

#endif
