/* `ssekit batch FILE.jsonl`: one request per input line, at bounded
 * concurrency; one result line per input line, in input order, then a
 * summary line. See usage() for the fields. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "commands.h"
#include "json_out.h"
#include "ssekit/ssekit.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ssekit batch [OPTIONS] FILE.jsonl|-\n"
            "\n"
            "Runs one streamed request per input line (a JSON object) on one client and\n"
            "prints one JSON line per input line, in input order:\n"
            "  {\"index\": I, [\"id\": ID,] \"ok\": true, \"value\": JSON | \"text\": STR |\n"
            "   \"events\": N, \"finish_reason\", \"usage\", \"latency_ms\", \"ttft_ms\", "
            "\"retries\"}\n"
            "  {\"index\": I, [\"id\": ID,] \"ok\": false, \"error\": {\"category\", \"message\",\n"
            "   \"http_status\", \"status\"}, \"latency_ms\", \"retries\"}\n"
            "then {\"summary\": {\"items\", \"ok\", \"failed\", \"error_rate\", \"requests\",\n"
            "\"retries\", \"retry_rate\", \"latency_ms\": {\"p50\", \"p95\", \"p99\", \"max\"},\n"
            "\"ttft_ms\": {\"p50\", \"p95\", \"p99\"}, \"tokens\": {\"input\", \"output\", "
            "\"total\"},\n"
            "\"wall_ms\"}}. Exit status 0 when every item succeeded, 1 when some failed, 2 on a\n"
            "usage or input error.\n"
            "\n"
            "Input fields: \"prompt\" (a provider request built as by --provider), or \"url\"\n"
            "(a raw SSE stream, GET; the value is the number of events); optional \"id\"\n"
            "(echoed), \"system\", \"model\", \"max_tokens\", \"temperature\", \"headers\" (an\n"
            "array of \"Name: value\" strings, e.g. \"X-Replay-Fault: status=503\").\n"
            "\n"
            "options:\n"
            "  --concurrency N     streams at once (default 4)\n"
            "  --provider P        openai (default), anthropic or responses\n"
            "  --url URL           the endpoint URL for prompts\n"
            "  --base-url URL      the API base URL for prompts\n"
            "  --model M           model for prompts (default gpt-4o-mini)\n"
            "  --schema FILE       JSON schema for structured output\n"
            "  --deadline-ms N     the whole batch's deadline\n"
            "  --timeout-ms N      each item's total deadline\n"
            "  --max-retries N     retries per item (default 3)\n"
            "  --rate R            requests per second (default: no limit)\n"
            "  --burst B           the rate limit's burst (default 1)\n"
            "  --audit FILE        append an audit trail (JSON lines, no secrets)\n"
            "  --metrics FILE      write the client's metrics (Prometheus text) at the end\n");
}

typedef struct opts {
    unsigned concurrency, max_retries, burst;
    double rate;
    long deadline_ms, timeout_ms;
    ssekit_provider provider;
    const char *url, *base_url, *model, *schema_path, *audit, *metrics, *input;
    char *schema;
} opts;

static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *nb = realloc(b, cap *= 2);
            if (!nb)
                free(b);
            b = nb;
        }
    }
    int err = ferror(f);
    if (f != stdin)
        fclose(f);
    if (!b || err) {
        free(b);
        return NULL;
    }
    b[n] = 0;
    *len = n;
    return b;
}

static const char *str_at(yajl_val o, const char *key)
{
    const char *p[] = {key, NULL};
    yajl_val v = yajl_tree_get(o, p, yajl_t_string);
    return v ? YAJL_GET_STRING(v) : NULL;
}

/* One input line turned into a request (with what it owns). */
typedef struct item {
    ssekit_request rq;
    int built; /* rq from ssekit_request_build() */
    char **headers;
    size_t nh;
    char *id_json; /* the "id" as JSON text, or NULL */
} item;

static int parse_provider(const char *s, ssekit_provider *p)
{
    if (!strcmp(s, "openai"))
        *p = SSEKIT_PROVIDER_OPENAI;
    else if (!strcmp(s, "anthropic"))
        *p = SSEKIT_PROVIDER_ANTHROPIC;
    else if (!strcmp(s, "responses"))
        *p = SSEKIT_PROVIDER_RESPONSES;
    else
        return -1;
    return 0;
}

static char *dup_s(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* Fills *it from one JSON object; on error prints a message and returns -1. */
static int make_item(const opts *o, yajl_val v, size_t line, item *it)
{
    memset(it, 0, sizeof *it);
    const char *hp[] = {"headers", NULL}, *idp[] = {"id", NULL}, *mtp[] = {"max_tokens", NULL},
               *tp[] = {"temperature", NULL};
    yajl_val hs = yajl_tree_get(v, hp, yajl_t_array);
    if (hs) {
        it->headers = calloc(hs->u.array.len + 1, sizeof *it->headers);
        if (!it->headers)
            return -1;
        for (size_t i = 0; i < hs->u.array.len; i++) {
            const char *h = YAJL_GET_STRING(hs->u.array.values[i]);
            if (!h) {
                fprintf(stderr, "ssekit batch: line %zu: headers must be strings\n", line);
                return -1;
            }
            if (!(it->headers[it->nh++] = dup_s(h)))
                return -1;
        }
    }
    yajl_val id = yajl_tree_get(v, idp, yajl_t_any);
    if (id) {
        char buf[64];
        if (YAJL_IS_STRING(id)) {
            size_t n = strlen(id->u.string) * 6 + 3;
            it->id_json = malloc(n);
            FILE *m = it->id_json ? fmemopen(it->id_json, n, "w") : NULL;
            if (!m)
                return -1;
            json_out_string(m, id->u.string, strlen(id->u.string));
            fputc(0, m);
            fclose(m);
        } else if (YAJL_IS_NUMBER(id)) {
            snprintf(buf, sizeof buf, "%s", YAJL_GET_NUMBER(id));
            it->id_json = dup_s(buf);
        }
    }
    const char *url = str_at(v, "url"), *prompt = str_at(v, "prompt");
    if (url) {
        it->rq.url = url;
    } else if (prompt) {
        ssekit_preset p = {0};
        p.provider = o->provider;
        p.url = o->url;
        p.base_url = o->base_url;
        p.model = str_at(v, "model") ? str_at(v, "model") : o->model;
        p.prompt = prompt;
        p.system = str_at(v, "system");
        p.schema = o->schema;
        yajl_val mt = yajl_tree_get(v, mtp, yajl_t_number);
        if (mt && YAJL_IS_INTEGER(mt) && YAJL_GET_INTEGER(mt) > 0)
            p.max_tokens = (unsigned)YAJL_GET_INTEGER(mt);
        yajl_val t = yajl_tree_get(v, tp, yajl_t_number);
        if (t) {
            p.temperature = YAJL_GET_DOUBLE(t);
            p.has_temperature = 1;
        }
        p.headers = (const char *const *)it->headers;
        p.header_count = it->nh;
        char err[256];
        if (ssekit_request_build(&p, NULL, &it->rq, err, sizeof err) != SSEKIT_OK) {
            fprintf(stderr, "ssekit batch: line %zu: %s\n", line, err);
            return -1;
        }
        it->built = 1;
    } else {
        fprintf(stderr, "ssekit batch: line %zu: needs \"prompt\" or \"url\"\n", line);
        return -1;
    }
    if (!it->built) {
        it->rq.headers = (const char *const *)it->headers;
        it->rq.header_count = it->nh;
    }
    it->rq.retry.max_retries = o->max_retries;
    it->rq.retry.base_delay_ms = SSEKIT_RETRY_DEFAULT_BASE_DELAY_MS;
    if (o->timeout_ms > 0)
        it->rq.total_timeout_ms = o->timeout_ms;
    return 0;
}

static void item_free(item *it)
{
    if (it->built)
        ssekit_request_clear(&it->rq, NULL);
    for (size_t i = 0; i < it->nh; i++)
        free(it->headers[i]);
    free(it->headers);
    free(it->id_json);
}

static void print_item(size_t i, const item *in, const ssekit_batch_item *r)
{
    printf("{\"index\": %zu", i);
    if (in->id_json)
        printf(", \"id\": %s", in->id_json);
    printf(", \"ok\": %s", r->ok ? "true" : "false");
    if (r->ok) {
        if (r->value_type && !strcmp(r->value_type, "json")) {
            printf(", \"value\": ");
            fwrite(r->value, 1, r->value_len, stdout);
        } else if (r->value) {
            printf(", \"text\": ");
            json_out_string(stdout, r->value, r->value_len);
        } else {
            printf(", \"events\": %llu", (unsigned long long)r->events);
        }
        printf(", \"finish_reason\": ");
        if (r->finish_reason)
            json_out_string(stdout, r->finish_reason, strlen(r->finish_reason));
        else
            printf("null");
        printf(", \"usage\": {\"input_tokens\": %lld, \"output_tokens\": %lld, "
               "\"total_tokens\": %lld}",
               (long long)r->usage.input_tokens, (long long)r->usage.output_tokens,
               (long long)r->usage.total_tokens);
    } else {
        printf(", \"error\": {\"category\": \"%s\", \"message\": ",
               ssekit_error_category_name(r->category));
        json_out_string(stdout, r->message ? r->message : "", r->message ? strlen(r->message) : 0);
        printf(", \"http_status\": %d, \"status\": \"%s\"}", r->http_status,
               ssekit_status_name(r->status));
    }
    printf(", \"latency_ms\": %llu", (unsigned long long)r->latency_ms);
    if (r->has_ttft)
        printf(", \"ttft_ms\": %llu", (unsigned long long)r->ttft_ms);
    printf(", \"requests\": %u, \"retries\": %u}\n", r->requests, r->retries);
}

static void print_summary(const ssekit_batch_summary *s)
{
    printf("{\"summary\": {\"items\": %zu, \"ok\": %zu, \"failed\": %zu, \"error_rate\": %.4f, "
           "\"requests\": %llu, \"retries\": %llu, \"retry_rate\": %.4f, "
           "\"latency_ms\": {\"p50\": %llu, \"p95\": %llu, \"p99\": %llu, \"max\": %llu}, "
           "\"ttft_ms\": {\"p50\": %llu, \"p95\": %llu, \"p99\": %llu}, "
           "\"tokens\": {\"input\": %lld, \"output\": %lld, \"total\": %lld}, "
           "\"wall_ms\": %llu}}\n",
           s->items, s->ok, s->failed, s->error_rate, (unsigned long long)s->requests,
           (unsigned long long)s->retries, s->retry_rate, (unsigned long long)s->latency_p50_ms,
           (unsigned long long)s->latency_p95_ms, (unsigned long long)s->latency_p99_ms,
           (unsigned long long)s->latency_max_ms, (unsigned long long)s->ttft_p50_ms,
           (unsigned long long)s->ttft_p95_ms, (unsigned long long)s->ttft_p99_ms,
           (long long)s->input_tokens, (long long)s->output_tokens, (long long)s->total_tokens,
           (unsigned long long)s->wall_ms);
}

static int parse_args(int argc, char **argv, opts *o)
{
    o->concurrency = 4;
    o->max_retries = 3;
    o->model = "gpt-4o-mini";
    o->provider = SSEKIT_PROVIDER_OPENAI;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (a[0] != '-' || !strcmp(a, "-")) {
            if (o->input)
                return -1;
            o->input = a;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (!strcmp(a, "--concurrency"))
            o->concurrency = (unsigned)strtoul(v, &end, 10);
        else if (!strcmp(a, "--max-retries"))
            o->max_retries = (unsigned)strtoul(v, &end, 10);
        else if (!strcmp(a, "--burst"))
            o->burst = (unsigned)strtoul(v, &end, 10);
        else if (!strcmp(a, "--rate"))
            o->rate = strtod(v, &end);
        else if (!strcmp(a, "--deadline-ms"))
            o->deadline_ms = strtol(v, &end, 10);
        else if (!strcmp(a, "--timeout-ms"))
            o->timeout_ms = strtol(v, &end, 10);
        else if (!strcmp(a, "--provider")) {
            if (parse_provider(v, &o->provider))
                return -1;
            continue;
        } else {
            if (!strcmp(a, "--url"))
                o->url = v;
            else if (!strcmp(a, "--base-url"))
                o->base_url = v;
            else if (!strcmp(a, "--model"))
                o->model = v;
            else if (!strcmp(a, "--schema"))
                o->schema_path = v;
            else if (!strcmp(a, "--audit"))
                o->audit = v;
            else if (!strcmp(a, "--metrics"))
                o->metrics = v;
            else
                return -1;
            continue;
        }
        if (*end || !*v)
            return -1;
    }
    return o->input && o->concurrency ? 0 : -1;
}

/* Reads the input lines into items; returns the count or -1. */
static long read_items(const opts *o, item **out, yajl_val **trees)
{
    size_t len;
    char *text = read_all(o->input, &len);
    if (!text) {
        fprintf(stderr, "ssekit batch: cannot read %s\n", o->input);
        return -1;
    }
    size_t cap = 16, n = 0, line = 0;
    item *items = malloc(cap * sizeof *items);
    yajl_val *tv = malloc(cap * sizeof *tv);
    int bad = !items || !tv;
    for (char *p = text, *e; !bad && *p; p = e) {
        e = strchr(p, '\n');
        e = e ? (*e = 0, e + 1) : p + strlen(p);
        line++;
        if (!p[strspn(p, " \t\r")])
            continue;
        if (n == cap) {
            cap *= 2;
            item *ni = realloc(items, cap * sizeof *items);
            yajl_val *nt = ni ? realloc(tv, cap * sizeof *tv) : NULL;
            items = ni ? ni : items;
            tv = nt ? nt : tv;
            if (!ni || !nt) {
                bad = 1;
                break;
            }
        }
        char eb[256];
        yajl_val v = yajl_tree_parse(p, eb, sizeof eb);
        if (!v || !YAJL_IS_OBJECT(v)) {
            fprintf(stderr, "ssekit batch: line %zu: not a JSON object\n", line);
            yajl_tree_free(v);
            bad = 1;
            break;
        }
        tv[n] = v;
        if (make_item(o, v, line, &items[n])) {
            item_free(&items[n]);
            yajl_tree_free(v);
            bad = 1;
            break;
        }
        n++;
    }
    free(text);
    if (bad) {
        for (size_t i = 0; i < n; i++) {
            item_free(&items[i]);
            yajl_tree_free(tv[i]);
        }
        free(items);
        free(tv);
        return -1;
    }
    *out = items;
    *trees = tv;
    return (long)n;
}

int cmd_batch(int argc, char **argv)
{
    opts o = {0};
    if (parse_args(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    size_t slen;
    if (o.schema_path && !(o.schema = read_all(o.schema_path, &slen))) {
        fprintf(stderr, "ssekit batch: cannot read %s\n", o.schema_path);
        return 2;
    }
    item *items = NULL;
    yajl_val *trees = NULL;
    long n = read_items(&o, &items, &trees);
    if (n < 0) {
        free(o.schema);
        return 2;
    }
    int rc = 2;
    ssekit_request *rqs = malloc(((size_t)n + 1) * sizeof *rqs);
    ssekit_batch_item *res = malloc(((size_t)n + 1) * sizeof *res);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ssekit_client *c = rqs && res ? ssekit_client_new(NULL) : NULL;
    if (!c) {
        fprintf(stderr, "ssekit batch: out of memory\n");
        goto out;
    }
    if (o.rate > 0)
        ssekit_client_set_rate_limit(c, 0, o.rate, o.burst);
    if (o.audit && ssekit_client_set_audit(c, o.audit, SSEKIT_AUDIT_EVENTS) != SSEKIT_OK) {
        fprintf(stderr, "ssekit batch: cannot open %s\n", o.audit);
        goto out;
    }
    for (long i = 0; i < n; i++)
        rqs[i] = items[i].rq;
    ssekit_batch_summary sum;
    int brc = ssekit_batch_run(c, rqs, (size_t)n, o.concurrency, o.deadline_ms, res, &sum);
    if (brc == SSEKIT_E_INVALID || brc == SSEKIT_E_NOMEM) {
        fprintf(stderr, "ssekit batch: %s\n", ssekit_strerror(brc));
        goto out;
    }
    for (long i = 0; i < n; i++)
        print_item((size_t)i, &items[i], &res[i]);
    print_summary(&sum);
    fflush(stdout);
    rc = sum.failed ? 1 : 0;
    if (o.metrics) {
        ssekit_metrics m;
        char *text;
        size_t tl;
        FILE *f = fopen(o.metrics, "w");
        ssekit_client_metrics(c, &m);
        if (!f || ssekit_metrics_prometheus(&m, NULL, &text, &tl, NULL) != SSEKIT_OK) {
            fprintf(stderr, "ssekit batch: cannot write %s\n", o.metrics);
            rc = 2;
        } else {
            fwrite(text, 1, tl, f);
            free(text);
        }
        if (f)
            fclose(f);
    }
    ssekit_batch_items_free(c, res, (size_t)n);
out:
    ssekit_client_free(c);
    curl_global_cleanup();
    for (long i = 0; i < n; i++) {
        item_free(&items[i]);
        yajl_tree_free(trees[i]);
    }
    free(items);
    free(trees);
    free(rqs);
    free(res);
    free(o.schema);
    return rc;
}
