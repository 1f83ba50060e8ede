/* libFuzzer target for the schema validator.
 *
 * Input: SCHEMA \0 INSTANCE (without a NUL, the first half is the schema and
 * the second the instance). The schema is compiled; the instance is fed to
 * the partial builder in small pieces, validating in partial mode and
 * estimating progress after each piece, then validated complete in full
 * mode. Besides crashes, leaks and runaway recursion, it checks the
 * contracts of partial validation:
 *   - a violation, once reported on a prefix, is reported on every longer
 *     prefix (partial mode never takes back what it said);
 *   - on the finished tree, partial mode and full mode agree;
 *   - progress stays in [0, 1] and never decreases, and is 1 at the end;
 *   - a checker (which skips what it saw complete and valid) reports as many
 *     violations as a fresh validation, on every prefix.
 * Some inputs also run with an allocator that fails one allocation. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../fail_alloc.h"
#include "ssekit/partial_json.h"
#include "ssekit/schema.h"
#include "ssekit/status.h"

#define CONTRACT(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static int hard_error(int rc)
{
    return rc == SSEKIT_E_TOO_DEEP || rc == SSEKIT_E_TOO_LARGE || rc == SSEKIT_E_NOMEM;
}

static void run(const char *schema, size_t slen, const char *inst, size_t ilen, size_t chunk,
                const ssekit_alloc_funcs *af, int strict)
{
    ssekit_schema_limits lim;
    ssekit_schema_limits_default(&lim);
    lim.max_steps = 20000; /* keep each run fast; exhaustion is a normal outcome */
    lim.max_ref_depth = 32;
    ssekit_schema_error err;
    ssekit_schema *s = ssekit_schema_compile_with_limits(schema, slen, &lim, af, &err);
    if (!s) {
        CONTRACT(err.status < 0 && err.message[0]);
        return;
    }
    ssekit_partial *b = ssekit_partial_new(NULL, NULL, af);
    ssekit_schema_checker *ck = ssekit_schema_checker_new(s, af);
    if (!b || !ck) {
        ssekit_partial_free(b);
        ssekit_schema_checker_free(ck);
        ssekit_schema_free(s);
        return;
    }
    int seen = 0, broken = 0;
    double last = 0;
    for (size_t i = 0; i < ilen && !broken; i += chunk) {
        size_t n = ilen - i < chunk ? ilen - i : chunk;
        if (ssekit_partial_feed(b, inst + i, n) != SSEKIT_OK)
            broken = 1; /* the tree keeps what was built: validate it anyway */
        const ssekit_json *root = ssekit_partial_root(b);
        int rc = ssekit_schema_validate(s, root, SSEKIT_SCHEMA_PARTIAL, NULL, NULL);
        if (hard_error(rc)) {
            strict = 0;
        } else {
            CONTRACT(rc >= 0);
            if (strict && seen)
                CONTRACT(rc > 0);
            seen |= rc > 0;
        }
        int crc = ssekit_schema_checker_validate(ck, root, SSEKIT_SCHEMA_PARTIAL, NULL, NULL);
        if (hard_error(crc) || hard_error(rc))
            strict = 0;
        else if (strict)
            CONTRACT(crc == rc);
        double p = -1;
        rc = ssekit_schema_progress(s, root, &p);
        if (hard_error(rc)) {
            strict = 0;
        } else {
            CONTRACT(rc == SSEKIT_OK && p >= 0 && p <= 1);
            if (strict)
                CONTRACT(p >= last);
            last = p;
        }
        ssekit_schema_message m[2];
        rc = ssekit_schema_validate_collect(s, root, 0, m, 2);
        CONTRACT(rc >= 0 || hard_error(rc));
    }
    if (!broken && ssekit_partial_finish(b) == SSEKIT_OK) {
        const ssekit_json *root = ssekit_partial_root(b);
        int full = ssekit_schema_validate(s, root, 0, NULL, NULL);
        int part = ssekit_schema_validate(s, root, SSEKIT_SCHEMA_PARTIAL, NULL, NULL);
        double p = -1;
        int prc = ssekit_schema_progress(s, root, &p);
        if (strict && !hard_error(full) && !hard_error(part)) {
            CONTRACT(full == part);
            if (seen)
                CONTRACT(full > 0);
        }
        if (!hard_error(prc))
            CONTRACT(prc == SSEKIT_OK && p == 1);
    }
    ssekit_schema_checker_free(ck);
    ssekit_partial_free(b);
    ssekit_schema_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nul = memchr(text, 0, size);
    size_t slen = nul ? (size_t)(nul - text) : size / 2;
    const char *inst = nul ? nul + 1 : text + slen;
    size_t ilen = size - (size_t)(inst - text);
    size_t chunk = 1 + size % 4;

    run(text, slen, inst, ilen, chunk, NULL, 1);

    if (size % 3 == 0) {
        /* One allocation fails (yajl's included): no crash, no leak. */
        fail_alloc fa = {0};
        fa.fail_at = 1 + (long)(size / 3 % 97);
        ssekit_alloc_funcs af = fail_alloc_funcs(&fa);
        run(text, slen, inst, ilen, chunk, &af, 0);
        CONTRACT(fa.live == 0);
    }
    return 0;
}
