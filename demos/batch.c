/* batch.c — many structured requests at bounded concurrency, a result or an
 * error per item, latency percentiles.
 *
 * ssekit_batch_run() opens at most CONCURRENCY streams at once on one client
 * and returns when every item has its outcome: one failure never stops the
 * batch. Each answer is read back as a JSON tree (ssekit_partial) to pick
 * the fields we print.
 *
 *   cc batch.c $(pkg-config --cflags --libs ssekit) -o batch
 *   ./batch [BASE_URL [N [CONCURRENCY]]]      # default 6 items, 3 at once
 *
 * Environment as in callback.c (SSEKIT_PROVIDER, SSEKIT_MODEL, SSEKIT_HEADER,
 * the providers' base URL and key variables).
 *
 * Output: one line per item, in input order,
 *   "#I ok LATENCY ms sentiment=S confidence=C retries=R" or
 *   "#I failed CATEGORY http=STATUS: MESSAGE",
 * then "ok K/N failed F retries R", "latency p50 A p95 B p99 C max D ms",
 * "tokens in I out O". Exit 0 when every item succeeded, else 1. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ssekit/ssekit.h>

#include "example_request.h"

#define MAX_ITEMS 64

/* Prints "key=value" for a top-level scalar of a compact JSON answer. */
static void print_field(const ssekit_json *root, const char *key)
{
    char pointer[64];
    snprintf(pointer, sizeof pointer, "/%s", key);
    const ssekit_json *v = ssekit_json_get(root, pointer);
    size_t n = 0;
    const char *s = ssekit_json_string(v, &n); /* NULL unless a string */
    if (!s)
        s = ssekit_json_number_text(v, &n); /* the number as it was written */
    printf(" %s=%.*s", key, s ? (int)n : 1, s ? s : "?");
}

int main(int argc, char **argv)
{
    size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 6;
    unsigned concurrency = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 3;
    if (n < 1 || n > MAX_ITEMS) {
        fprintf(stderr, "batch: N must be 1..%d\n", MAX_ITEMS);
        return 2;
    }
    static ssekit_request requests[MAX_ITEMS];
    static char prompts[MAX_ITEMS][512];
    for (size_t i = 0; i < n; i++) {
        snprintf(prompts[i], sizeof prompts[i], "%s (ticket %zu)", REVIEW_TEXT, i + 1);
        ssekit_preset p = {
            .provider = SSEKIT_PROVIDER_OPENAI,
            .base_url = argc > 1 ? argv[1] : NULL,
            .prompt = prompts[i],
            .schema = REVIEW_SCHEMA,
            .schema_name = "review",
        };
        example_preset_from_env(&p); /* SSEKIT_PROVIDER, SSEKIT_MODEL, SSEKIT_HEADER */
        char err[256];
        if (ssekit_request_build(&p, NULL, &requests[i], err, sizeof err) != SSEKIT_OK) {
            fprintf(stderr, "batch: %s\n", err);
            return 2;
        }
        /* 429, 5xx and network errors: up to 3 retries, backoff from 200 ms */
        ssekit_retry_policy_default(&requests[i].retry);
        requests[i].retry.max_retries = 3;
        requests[i].retry.base_delay_ms = 200;
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    ssekit_client *client = ssekit_client_new(NULL);
    static ssekit_batch_item items[MAX_ITEMS];
    ssekit_batch_summary sum;
    int rc = client ? ssekit_batch_run(client, requests, n, concurrency, 120000, items, &sum)
                    : SSEKIT_E_NOMEM;
    if (rc != SSEKIT_OK && rc != SSEKIT_E_IO) {
        fprintf(stderr, "batch: %s\n", ssekit_strerror(rc));
    } else {
        for (size_t i = 0; i < n; i++) {
            const ssekit_batch_item *it = &items[i];
            if (!it->ok) {
                printf("#%zu failed %s http=%d: %s\n", i, ssekit_error_category_name(it->category),
                       it->http_status, it->message ? it->message : "");
                continue;
            }
            printf("#%zu ok %" PRIu64 " ms", i, it->latency_ms);
            /* the value is compact JSON text: parse it into a tree to read fields */
            ssekit_partial *tree = ssekit_partial_new(NULL, NULL, NULL);
            if (tree && ssekit_partial_feed(tree, it->value, it->value_len) == SSEKIT_OK &&
                ssekit_partial_finish(tree) == SSEKIT_OK) {
                print_field(ssekit_partial_root(tree), "sentiment");
                print_field(ssekit_partial_root(tree), "confidence");
            }
            ssekit_partial_free(tree);
            printf(" retries=%u\n", it->retries);
        }
        printf("ok %zu/%zu failed %zu retries %" PRIu64 "\n", sum.ok, sum.items, sum.failed,
               sum.retries);
        printf("latency p50 %" PRIu64 " p95 %" PRIu64 " p99 %" PRIu64 " max %" PRIu64 " ms\n",
               sum.latency_p50_ms, sum.latency_p95_ms, sum.latency_p99_ms, sum.latency_max_ms);
        printf("tokens in %" PRId64 " out %" PRId64 "\n", sum.input_tokens, sum.output_tokens);
        ssekit_batch_items_free(client, items, n);
    }
    ssekit_client_free(client);
    for (size_t i = 0; i < n; i++)
        ssekit_request_clear(&requests[i], NULL);
    curl_global_cleanup();
    return rc == SSEKIT_OK && sum.failed == 0 ? 0 : 1;
}
