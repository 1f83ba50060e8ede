/* ssekit partial — decode a provider stream and print its structured result
 * while it grows, as JSON lines:
 *   {"complete": PATH, "value": V}            per completed value ("output"
 *                                            names a non-main output)
 *   {"snapshot": V}                           after each content delta (--snapshots)
 *   {"patch": P}                              per builder patch (--patches)
 *   {"violation": {"path","keyword","message"}} per certain schema violation
 *   {"done": true, "value": V, "valid": B, "errors": [...], "text": T,
 *    "tool_calls": [...], "finish_reason": R, "usage": {...}, ...}   last */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "input.h"
#include "json_out.h"
#include "ssekit/ssekit.h"

struct partial_run {
    ssekit_result *result;
    ssekit_sse_parser *sse;
    int snapshots, patches;
    int content; /* the current event carried text or tool-call arguments */
};

static int write_file(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : 1;
}

static void put_output(const ssekit_output *o, const ssekit_result *r)
{
    if (o != ssekit_result_main(r)) {
        fputs(", \"output\": ", stdout);
        const char *l = ssekit_output_label(o);
        json_out_string(stdout, l, strlen(l));
    }
}

static int on_complete(void *user, const ssekit_output *o, const char *path, size_t len,
                       const ssekit_json *v)
{
    struct partial_run *run = user;
    fputs("{\"complete\": ", stdout);
    json_out_string(stdout, path, len);
    fputs(", \"value\": ", stdout);
    ssekit_json_write(v, write_file, stdout);
    put_output(o, run->result);
    fputs("}\n", stdout);
    return 0;
}

static int on_patch(void *user, const ssekit_output *o, const ssekit_json_patch *p)
{
    struct partial_run *run = user;
    fputs("{\"patch\": ", stdout);
    ssekit_json_patch_write(p, write_file, stdout);
    put_output(o, run->result);
    fputs("}\n", stdout);
    return 0;
}

static int on_violation(void *user, const ssekit_output *o, const ssekit_schema_violation *v)
{
    (void)user;
    (void)o;
    fputs("{\"violation\": {\"path\": ", stdout);
    json_out_string(stdout, v->path, strlen(v->path));
    fputs(", \"keyword\": ", stdout);
    json_out_string(stdout, v->keyword, strlen(v->keyword));
    fputs(", \"message\": ", stdout);
    json_out_string(stdout, v->message, strlen(v->message));
    fputs("}}\n", stdout);
    return 0;
}

static int on_delta(void *user, const ssekit_delta *d)
{
    struct partial_run *run = user;
    if (d->kind == SSEKIT_DELTA_TEXT || d->kind == SSEKIT_DELTA_TOOL_CALL)
        run->content = 1;
    return 0;
}

static int on_event(void *user, const ssekit_sse_event *ev)
{
    struct partial_run *run = user;
    run->content = 0;
    ssekit_result_feed_event(run->result, ev);
    if (run->snapshots && run->content) {
        const ssekit_output *m = ssekit_result_main(run->result);
        fputs("{\"snapshot\": ", stdout);
        if (m)
            ssekit_output_snapshot(m, write_file, stdout);
        else
            fputs("null", stdout);
        fputs("}\n", stdout);
    }
    return 0;
}

static int feed(void *ctx, const char *buf, size_t len)
{
    struct partial_run *run = ctx;
    ssekit_sse_feed(run->sse, buf, len);
    fflush(stdout);
    return 0;
}

static void put_key_string(const char *key, const char *s, size_t n)
{
    printf(", \"%s\": ", key);
    json_out_string(stdout, s, n);
}

static void put_usage(ssekit_usage u)
{
    if (u.input_tokens < 0 && u.output_tokens < 0 && u.total_tokens < 0)
        return;
    const char *sep = "";
    fputs(", \"usage\": {", stdout);
    if (u.input_tokens >= 0)
        printf("%s\"input_tokens\": %" PRId64, sep, u.input_tokens), sep = ", ";
    if (u.output_tokens >= 0)
        printf("%s\"output_tokens\": %" PRId64, sep, u.output_tokens), sep = ", ";
    if (u.total_tokens >= 0)
        printf("%s\"total_tokens\": %" PRId64, sep, u.total_tokens);
    fputs("}", stdout);
}

static void put_errors(const ssekit_result *r, int status)
{
    const char *sep = "";
    fputs(", \"errors\": [", stdout);
    const ssekit_output *m = ssekit_result_main(r);
    const ssekit_result_error *e = ssekit_result_first_error(r);
    if (e->status != SSEKIT_OK) {
        printf("{\"code\": \"%s\"", ssekit_status_name(e->status));
        put_key_string("message", e->message, strlen(e->message));
        fputs("}", stdout);
        sep = ", ";
    }
    if (m && ssekit_output_json_status(m) != SSEKIT_OK) {
        const ssekit_partial_error *je = ssekit_output_json_error(m);
        printf("%s{\"code\": \"%s\", \"offset\": %zu", sep,
               ssekit_status_name(ssekit_output_json_status(m)), je->offset);
        put_key_string("message", je->message, strlen(je->message));
        fputs("}", stdout);
        sep = ", ";
    } else if (!m && status != SSEKIT_OK && e->status == SSEKIT_OK) {
        printf("%s{\"code\": \"SSEKIT_E_JSON\", \"message\": \"the stream had no output\"}", sep);
        sep = ", ";
    }
    for (size_t i = 0; i < ssekit_result_violation_count(r); i++) {
        const ssekit_schema_message *v = ssekit_result_violation(r, i);
        printf("%s{\"code\": \"SSEKIT_E_SCHEMA\"", sep);
        put_key_string("path", v->path, strlen(v->path));
        put_key_string("keyword", v->keyword, strlen(v->keyword));
        put_key_string("message", v->message, strlen(v->message));
        fputs("}", stdout);
        sep = ", ";
    }
    fputs("]", stdout);
}

static void put_tool_calls(const ssekit_result *r)
{
    const char *sep = "";
    fputs(", \"tool_calls\": [", stdout);
    for (size_t i = 0; i < ssekit_result_output_count(r); i++) {
        const ssekit_output *o = ssekit_result_output(r, i);
        if (ssekit_output_kind_of(o) != SSEKIT_OUTPUT_TOOL_CALL)
            continue;
        printf("%s{\"index\": %u", sep, (unsigned)ssekit_output_tool_index(o));
        put_key_string("id", ssekit_output_tool_id(o), strlen(ssekit_output_tool_id(o)));
        put_key_string("name", ssekit_output_tool_name(o), strlen(ssekit_output_tool_name(o)));
        fputs(", \"arguments\": ", stdout);
        if (ssekit_output_json_status(o) == SSEKIT_OK) {
            ssekit_json_write(ssekit_output_value(o), write_file, stdout);
        } else {
            size_t n;
            const char *t = ssekit_output_text(o, &n);
            json_out_string(stdout, t, n);
        }
        fputs("}", stdout);
        sep = ", ";
    }
    fputs("]", stdout);
}

static void put_done(const ssekit_result *r, int status)
{
    size_t n;
    const char *t;
    fputs("{\"done\": true, \"value\": ", stdout);
    const ssekit_output *m = ssekit_result_main(r);
    if (m && ssekit_output_json_status(m) == SSEKIT_OK)
        ssekit_json_write(ssekit_output_value(m), write_file, stdout);
    else
        fputs("null", stdout);
    printf(", \"valid\": %s", status == SSEKIT_OK ? "true" : "false");
    put_errors(r, status);
    /* all text outputs joined, as the provider fixtures describe "text" */
    fputs(", \"text\": \"", stdout);
    for (size_t i = 0; i < ssekit_result_output_count(r); i++) {
        const ssekit_output *o = ssekit_result_output(r, i);
        if (ssekit_output_kind_of(o) != SSEKIT_OUTPUT_TEXT)
            continue;
        t = ssekit_output_text(o, &n);
        json_out_chars(stdout, t, n);
    }
    fputs("\"", stdout);
    put_tool_calls(r);
    t = ssekit_result_thinking(r, &n);
    if (n)
        put_key_string("thinking", t, n);
    t = ssekit_result_refusal(r, &n);
    if (n)
        put_key_string("refusal", t, n);
    const char *fr = ssekit_result_finish_reason(r);
    if (fr)
        put_key_string("finish_reason", fr, strlen(fr));
    else
        fputs(", \"finish_reason\": null", stdout);
    put_usage(ssekit_result_usage(r));
    const ssekit_result_error *e = ssekit_result_first_error(r);
    if (e->status == SSEKIT_E_PROVIDER) {
        fputs(", \"error\": {\"type\": ", stdout);
        json_out_string(stdout, e->type, strlen(e->type));
        put_key_string("message", e->message, strlen(e->message));
        fputs("}", stdout);
    }
    double p = ssekit_result_progress(r);
    if (p >= 0)
        printf(", \"progress\": %.3f", p);
    fputs("}\n", stdout);
}

static void help(FILE *f)
{
    fputs(
        "usage: ssekit partial [--provider openai|anthropic|responses|raw] [--schema FILE]\n"
        "                      [--snapshots] [--patches] [--chunk N] [FILE|-]\n"
        "Decodes a provider's SSE stream and prints the structured result while it grows:\n"
        "{\"complete\": PATH, \"value\": V} per completed value, {\"snapshot\": V} after each\n"
        "delta (--snapshots), {\"patch\": P} per patch (--patches), {\"violation\": ...} per\n"
        "certain schema violation, and a final {\"done\": true, \"value\", \"valid\", \"errors\",\n"
        "\"text\", \"tool_calls\", \"finish_reason\", \"usage\", ...}.\n"
        "Exit status: 0 valid, 1 malformed JSON / schema failure / provider error, 2 usage.\n",
        f);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap) {
            char *p = realloc(buf, cap = cap ? cap * 2 : 4096);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        r = fread(buf + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    *len = n;
    return buf;
}

int cmd_partial(int argc, char **argv)
{
    struct partial_run run = {0};
    const char *path = NULL, *schema_path = NULL, *provider = "openai";
    size_t chunk = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help(stdout);
            return 0;
        } else if (!strcmp(a, "--snapshots")) {
            run.snapshots = 1;
        } else if (!strcmp(a, "--patches")) {
            run.patches = 1;
        } else if (!strcmp(a, "--provider") && has_value) {
            provider = argv[++i];
        } else if (!strcmp(a, "--schema") && has_value) {
            schema_path = argv[++i];
        } else if (!strcmp(a, "--chunk") && has_value) {
            if (parse_size(argv[++i], &chunk) || !chunk) {
                fprintf(stderr, "ssekit partial: --chunk needs a positive size\n");
                return 2;
            }
        } else if ((a[0] != '-' || !strcmp(a, "-")) && !path) {
            path = a;
        } else {
            fprintf(stderr, "ssekit partial: unexpected argument '%s'\n", a);
            help(stderr);
            return 2;
        }
    }
    int kind = ssekit_provider_from_name(provider);
    if (kind < 0) {
        fprintf(stderr, "ssekit partial: unknown provider '%s'\n", provider);
        return 2;
    }
    ssekit_schema *schema = NULL;
    if (schema_path) {
        size_t len;
        char *text = slurp(schema_path, &len);
        if (!text) {
            perror(schema_path);
            return 2;
        }
        ssekit_schema_error err;
        schema = ssekit_schema_compile(text, len, NULL, &err);
        free(text);
        if (!schema) {
            fprintf(stderr, "ssekit partial: %s: schema error at '%s': %s\n", schema_path,
                    err.pointer, err.message);
            return 2;
        }
    }
    ssekit_result_callbacks cb = {.on_delta = on_delta,
                                  .on_value_complete = on_complete,
                                  .on_patch = run.patches ? on_patch : NULL,
                                  .on_violation = on_violation};
    run.result = ssekit_result_new((ssekit_provider)kind, &cb, &run, NULL);
    ssekit_sse_callbacks scb = {.on_event = on_event};
    run.sse = ssekit_sse_parser_new(&scb, &run, NULL);
    if (!run.result || !run.sse) {
        fprintf(stderr, "ssekit partial: out of memory\n");
        return 2;
    }
    if (schema)
        ssekit_result_set_schema(run.result, schema);
    int rc = input_each(path, chunk, feed, &run);
    ssekit_sse_finish(run.sse);
    int status = ssekit_result_finish(run.result);
    put_done(run.result, status);
    ssekit_sse_parser_free(run.sse);
    ssekit_result_free(run.result);
    ssekit_schema_free(schema);
    if (fflush(stdout) != 0 || rc < 0)
        return 2;
    return status == SSEKIT_OK ? 0 : 1;
}
