/* libFuzzer target for the body of POST /v1/streams (bridge/bridge_jobs.c):
 * JSON -> a job's request (provider, model, prompt or messages, schema,
 * base_url / url, max_tokens, temperature), built and freed as a submission
 * would, without a bridge or a thread. Nothing may crash, leak or overflow
 * the stack, also when an allocation fails (byte 0 picks which one), and:
 * - a refusal has a message (the 400's), NUL-terminated, that JSON-escapes;
 * - a body with no object in it is always refused;
 * - every allocation is freed (the allocator counts).
 * Input layout: byte 0 = the allocation to fail (0 = none), the rest = the
 * body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge_jobs.h"
#include "fail_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    fail_alloc fa = {0};
    fa.fail_at = data[0];
    ssekit_alloc_funcs a = fail_alloc_funcs(&fa);
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    char err[256];
    memset(err, 'x', sizeof err);
    int rc = br_jobs_check_body(&a, body, len, err, sizeof err);
    if (rc != SSEKIT_OK && rc != SSEKIT_E_INVALID && rc != SSEKIT_E_NOMEM)
        abort();
    if (rc != SSEKIT_OK && (!memchr(err, '\0', sizeof err) || !err[0]))
        abort();
    if (rc == SSEKIT_OK && !memchr(body, '{', len))
        abort();
    if (fa.live != 0)
        abort();
    return 0;
}
