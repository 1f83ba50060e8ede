/* An allocator for allocation-failure tests: it counts allocations and fails
 * the Nth one (and, when `sticky`, every one after it). */
#ifndef SSEKIT_TEST_FAIL_ALLOC_H
#define SSEKIT_TEST_FAIL_ALLOC_H

#include <stdlib.h>

#include "ssekit/alloc.h"

typedef struct fail_alloc {
    long calls;   /* allocations attempted so far */
    long fail_at; /* 1-based index of the first allocation to fail; 0 = never */
    int sticky;   /* keep failing after the first failure */
    long failures;
    long live; /* blocks currently allocated */
} fail_alloc;

static int fail_alloc_should_fail(fail_alloc *fa)
{
    fa->calls++;
    if (fa->fail_at && (fa->calls == fa->fail_at || (fa->sticky && fa->calls > fa->fail_at))) {
        fa->failures++;
        return 1;
    }
    return 0;
}

static void *fail_alloc_malloc(void *ctx, size_t n)
{
    fail_alloc *fa = ctx;
    if (fail_alloc_should_fail(fa))
        return NULL;
    void *p = malloc(n);
    if (p)
        fa->live++;
    return p;
}

static void *fail_alloc_realloc(void *ctx, void *ptr, size_t n)
{
    fail_alloc *fa = ctx;
    if (fail_alloc_should_fail(fa))
        return NULL;
    void *p = realloc(ptr, n);
    if (p && !ptr)
        fa->live++;
    return p;
}

static void fail_alloc_free(void *ctx, void *ptr)
{
    fail_alloc *fa = ctx;
    if (ptr)
        fa->live--;
    free(ptr);
}

static ssekit_alloc_funcs fail_alloc_funcs(fail_alloc *fa)
{
    ssekit_alloc_funcs f = {fail_alloc_malloc, fail_alloc_realloc, fail_alloc_free, fa};
    return f;
}

#endif
