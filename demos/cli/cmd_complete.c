/* ssekit complete — one structured completion (complete.h): print the
 * validated JSON value on standard output and exit 0, or print the error as
 * one JSON object on standard error and exit 1:
 *   {"error": {"category": C, "status": S, "http_status": N, "message": M,
 *    "violations": [{"path", "keyword", "message"}...], "raw": R,
 *    "model": MODEL, "requests": N, "repaired": B, "fallback": B}}
 * Exit 2: a usage or setup error (no schema, no key, ...). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_opts.h"
#include "commands.h"
#include "json_out.h"
#include "ssekit/ssekit.h"

static void usage(FILE *f)
{
    fputs("usage: ssekit complete --schema FILE --prompt TEXT [OPTIONS]\n"
          "Asks for JSON that satisfies the schema and prints the validated value\n"
          "(exit 0), or the error as a JSON object on standard error (exit 1).\n"
          "Exit 2 on a usage error.\n\n",
          f);
    client_opts_usage(f);
    fputs("  --max-retries N    retries per model of a failed request (429, 5xx, network);\n"
          "                     default 2; 0: none\n"
          "  --retry-delay-ms N first backoff window (default 1000; full jitter)\n"
          "  --repair           when the answer fails the schema, ask once more with the\n"
          "                     validation errors\n"
          "  --fallback-model M one last attempt with this model when the first fails\n"
          "  --verbose          also print {\"model\", \"requests\", \"repaired\", \"fallback\"}\n"
          "                     on standard error after a success\n",
          f);
}

static void print_error(const ssekit_completion *c)
{
    fputs("{\"error\": {\"category\": ", stderr);
    const char *cat =
        c->category == SSEKIT_ERROR_NONE ? "request" : ssekit_error_category_name(c->category);
    json_out_string(stderr, cat, strlen(cat));
    const char *st = ssekit_status_name(c->status);
    fputs(", \"status\": ", stderr);
    json_out_string(stderr, st, strlen(st));
    fprintf(stderr, ", \"http_status\": %d, \"message\": ", c->http_status);
    const char *m = c->message ? c->message : "";
    json_out_string(stderr, m, strlen(m));
    fputs(", \"violations\": [", stderr);
    for (size_t i = 0; i < c->violation_count; i++) {
        const ssekit_schema_message *v = &c->violations[i];
        fputs(i ? ", {\"path\": " : "{\"path\": ", stderr);
        json_out_string(stderr, v->path, strlen(v->path));
        fputs(", \"keyword\": ", stderr);
        json_out_string(stderr, v->keyword, strlen(v->keyword));
        fputs(", \"message\": ", stderr);
        json_out_string(stderr, v->message, strlen(v->message));
        fputs("}", stderr);
    }
    fputs("], \"raw\": ", stderr);
    if (c->raw)
        json_out_string(stderr, c->raw, c->raw_len);
    else
        fputs("null", stderr);
    fputs(", \"model\": ", stderr);
    json_out_string(stderr, c->model ? c->model : "", c->model ? strlen(c->model) : 0);
    fprintf(stderr, ", \"requests\": %u, \"repaired\": %s, \"fallback\": %s}}\n", c->requests,
            c->repaired ? "true" : "false", c->used_fallback ? "true" : "false");
}

int cmd_complete(int argc, char **argv)
{
    client_opts o;
    client_opts_init(&o);
    ssekit_completion_options co = {0};
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        int r = client_opts_parse(&o, "complete", argc, argv, &i);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        const char *a = argv[i];
        char *end;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--repair")) {
            co.allow_repair = 1;
        } else if (!strcmp(a, "--verbose")) {
            verbose = 1;
        } else if (i + 1 < argc && !strcmp(a, "--fallback-model")) {
            co.fallback_model = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--max-retries")) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 0 || v > 100) {
                fprintf(stderr, "ssekit complete: bad --max-retries '%s'\n", argv[i]);
                return 2;
            }
            co.max_retries = (unsigned)v;
            co.no_retries = v == 0;
        } else if (i + 1 < argc && !strcmp(a, "--retry-delay-ms")) {
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 600000) {
                fprintf(stderr, "ssekit complete: bad --retry-delay-ms '%s'\n", argv[i]);
                return 2;
            }
            co.retry_delay_ms = (uint64_t)v;
        } else {
            fprintf(stderr, "ssekit complete: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (o.provider == SSEKIT_PROVIDER_RAW) {
        fprintf(stderr, "ssekit complete: needs a provider (openai, anthropic, responses)\n");
        return 2;
    }
    if (client_opts_finish(&o, "complete", 1)) {
        client_opts_free(&o);
        return 2;
    }
    if (o.provider == SSEKIT_PROVIDER_RAW) { /* only --url given: not a provider */
        fprintf(stderr, "ssekit complete: --url needs --provider (openai, anthropic, "
                        "responses)\n");
        client_opts_free(&o);
        return 2;
    }
    if (!o.schema_text) {
        fprintf(stderr, "ssekit complete: no --schema FILE given\n");
        client_opts_free(&o);
        return 2;
    }
    /* preset errors (no key, bad schema) are usage errors: check them first */
    ssekit_request probe;
    if (client_opts_build(&o, "complete", &probe)) {
        client_opts_free(&o);
        return 2;
    }
    ssekit_request_clear(&probe, NULL);
    client_opts_preset(&o, &co.preset);
    co.total_timeout_ms = o.timeout_ms;

    int rc = 2;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "ssekit complete: cannot initialise libcurl\n");
    } else {
        ssekit_completion *c = NULL;
        int st = ssekit_complete(&co, &c);
        if (!c) {
            fprintf(stderr, "ssekit complete: %s\n", ssekit_strerror(st));
        } else if (st == SSEKIT_OK) {
            fwrite(c->json, 1, c->json_len, stdout);
            fputc('\n', stdout);
            if (verbose) {
                fputs("{\"model\": ", stderr);
                json_out_string(stderr, c->model, strlen(c->model));
                fprintf(stderr, ", \"requests\": %u, \"repaired\": %s, \"fallback\": %s}\n",
                        c->requests, c->repaired ? "true" : "false",
                        c->used_fallback ? "true" : "false");
            }
            rc = 0;
        } else {
            print_error(c);
            rc = 1;
        }
        ssekit_completion_free(c);
        curl_global_cleanup();
    }
    client_opts_free(&o);
    return rc;
}
