/* ssekit — allocator hooks.
 *
 * Every handle constructor takes an optional `const ssekit_alloc_funcs *`.
 * NULL means the C library's malloc/realloc/free. The functions are copied
 * into the handle, so the struct itself may be a temporary; `ctx` must stay
 * valid for as long as any handle created with it lives.
 *
 * Contract for the hooks (the same as yajl's): `malloc` and `realloc` return
 * NULL on failure and leave the old block untouched; `free(ctx, NULL)` must be
 * harmless. ssekit turns every NULL into SSEKIT_E_NOMEM and never crashes on
 * it, which is what the allocation-failure tests check.
 */
#ifndef SSEKIT_ALLOC_H
#define SSEKIT_ALLOC_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ssekit_alloc_funcs {
    void *(*malloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *ptr, size_t size);
    void (*free)(void *ctx, void *ptr);
    void *ctx;
} ssekit_alloc_funcs;

#ifdef __cplusplus
}
#endif

#endif
