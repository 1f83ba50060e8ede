#include "alloc_internal.h"

#include <stdlib.h>

static void *libc_malloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}

static void *libc_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    return realloc(p, n);
}

static void libc_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

void sk_alloc_init(ssekit_alloc_funcs *dst, const ssekit_alloc_funcs *src)
{
    if (src && src->malloc && src->realloc && src->free) {
        *dst = *src;
        return;
    }
    dst->malloc = libc_malloc;
    dst->realloc = libc_realloc;
    dst->free = libc_free;
    dst->ctx = NULL;
}
