/* The options shared by `ssekit stream` and `ssekit complete`. */
#include "client_opts.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void client_opts_init(client_opts *o)
{
    memset(o, 0, sizeof *o);
    o->provider = -1;
}

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *p = malloc(cap + 1);
    size_t r;
    while (p && (r = fread(p + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *q = realloc(p, cap * 2 + 1);
            if (!q) {
                free(p);
                return NULL;
            }
            p = q;
            cap *= 2;
        }
    }
    if (p) {
        p[n] = 0;
        *len = n;
    }
    return p;
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int client_opts_parse(client_opts *o, const char *cmd, int argc, char **argv, int *i)
{
    static const char *const with_value[] = {
        "--provider",    "--url",          "--base-url",   "--model",
        "--schema",      "--prompt",       "--system",     "--max-tokens",
        "--temperature", "--header",       "--timeout-ms", "--max-line",
        "--max-event",   "--max-envelope", "--max-depth",  "--max-bytes"};
    const char *a = argv[*i];
    size_t k, n = sizeof with_value / sizeof *with_value;
    for (k = 0; k < n && strcmp(a, with_value[k]); k++)
        ;
    if (k == n)
        return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "ssekit %s: %s needs a value\n", cmd, a);
        return -1;
    }
    const char *v = argv[++*i];
    long l;
    if (!strcmp(a, "--provider")) {
        o->provider = ssekit_provider_from_name(v);
        if (o->provider < 0) {
            fprintf(stderr,
                    "ssekit %s: unknown provider '%s' (openai, anthropic, responses, raw)\n", cmd,
                    v);
            return -1;
        }
    } else if (!strcmp(a, "--url")) {
        o->url = v;
    } else if (!strcmp(a, "--base-url")) {
        o->base_url = v;
    } else if (!strcmp(a, "--model")) {
        o->model = v;
    } else if (!strcmp(a, "--schema")) {
        o->schema_path = v;
    } else if (!strcmp(a, "--prompt")) {
        o->prompt = v;
    } else if (!strcmp(a, "--system")) {
        o->system = v;
    } else if (!strcmp(a, "--max-tokens")) {
        if (parse_long(v, 1, 10000000, &l)) {
            fprintf(stderr, "ssekit %s: bad --max-tokens '%s'\n", cmd, v);
            return -1;
        }
        o->max_tokens = (unsigned)l;
    } else if (!strcmp(a, "--temperature")) {
        char *end;
        errno = 0;
        o->temperature = strtod(v, &end);
        if (!*v || *end || errno || !(o->temperature >= 0 && o->temperature <= 100)) {
            fprintf(stderr, "ssekit %s: bad --temperature '%s'\n", cmd, v);
            return -1;
        }
        o->has_temperature = 1;
    } else if (!strcmp(a, "--header")) {
        if (o->header_count == CLIENT_OPTS_MAX_HEADERS || !strchr(v, ':') || v[0] == ':' ||
            strpbrk(v, "\r\n")) {
            fprintf(stderr, "ssekit %s: bad --header '%s' (want 'Name: value', at most %d)\n", cmd,
                    v, CLIENT_OPTS_MAX_HEADERS);
            return -1;
        }
        o->headers[o->header_count++] = v;
    } else if (!strncmp(a, "--max-", 6) && strcmp(a, "--max-tokens")) {
        /* the parsing limits: bytes, or a depth for --max-depth */
        long max = !strcmp(a, "--max-depth") ? SSEKIT_PARTIAL_MAX_DEPTH_LIMIT : LONG_MAX;
        if (parse_long(v, 1, max, &l)) {
            fprintf(stderr, "ssekit %s: bad %s '%s' (want 1..%ld)\n", cmd, a, v, max);
            return -1;
        }
        if (!strcmp(a, "--max-line"))
            o->limits.sse_max_line = (size_t)l;
        else if (!strcmp(a, "--max-event"))
            o->limits.sse_max_event = (size_t)l;
        else if (!strcmp(a, "--max-envelope"))
            o->limits.envelope_max_size = (size_t)l;
        else if (!strcmp(a, "--max-depth"))
            o->limits.json_max_depth = (size_t)l;
        else
            o->limits.json_max_bytes = (size_t)l;
    } else { /* --timeout-ms */
        if (parse_long(v, 1, 86400000L, &l)) {
            fprintf(stderr, "ssekit %s: bad --timeout-ms '%s'\n", cmd, v);
            return -1;
        }
        o->timeout_ms = l;
    }
    return 1;
}

static const char *default_model(int provider)
{
    return provider == SSEKIT_PROVIDER_ANTHROPIC ? "claude-3-5-haiku-latest" : "gpt-4o-mini";
}

int client_opts_finish(client_opts *o, const char *cmd, int need_prompt)
{
    if (o->provider < 0)
        o->provider = o->url && !o->base_url ? SSEKIT_PROVIDER_RAW : SSEKIT_PROVIDER_OPENAI;
    if (o->provider == SSEKIT_PROVIDER_RAW) {
        if (!o->url) {
            fprintf(stderr, "ssekit %s: --provider raw needs --url (the SSE endpoint)\n", cmd);
            return -1;
        }
        return 0;
    }
    if (!o->model)
        o->model = default_model(o->provider);
    if (o->schema_path) {
        FILE *f = fopen(o->schema_path, "rb");
        size_t n;
        if (!f || !(o->schema_text = read_all(f, &n))) {
            fprintf(stderr, "ssekit %s: cannot read the schema %s: %s\n", cmd, o->schema_path,
                    strerror(errno));
            if (f)
                fclose(f);
            return -1;
        }
        fclose(f);
    }
    if (o->prompt && !strcmp(o->prompt, "-")) {
        size_t n;
        if (!(o->prompt_text = read_all(stdin, &n))) {
            fprintf(stderr, "ssekit %s: cannot read the prompt from standard input\n", cmd);
            return -1;
        }
        o->prompt = o->prompt_text;
    }
    if (need_prompt && !o->prompt) {
        fprintf(stderr, "ssekit %s: no --prompt given\n", cmd);
        return -1;
    }
    return 0;
}

void client_opts_preset(const client_opts *o, ssekit_preset *p)
{
    memset(p, 0, sizeof *p);
    p->provider = (ssekit_provider)o->provider;
    p->url = o->url;
    p->base_url = o->base_url;
    p->model = o->model;
    p->prompt = o->prompt;
    p->system = o->system;
    p->schema = o->schema_text;
    p->temperature = o->temperature;
    p->has_temperature = o->has_temperature;
    p->max_tokens = o->max_tokens;
    p->headers = o->headers;
    p->header_count = o->header_count;
    p->limits = o->limits;
}

int client_opts_build(const client_opts *o, const char *cmd, ssekit_request *rq)
{
    ssekit_preset p;
    char err[512];
    client_opts_preset(o, &p);
    int rc = ssekit_request_build(&p, NULL, rq, err, sizeof err);
    if (rc != SSEKIT_OK) {
        fprintf(stderr, "ssekit %s: %s\n", cmd, err);
        const char *base;
        int has_key;
        if (rc == SSEKIT_E_NO_KEY && ssekit_preset_resolve(&p, &base, &has_key) == SSEKIT_OK &&
            !has_key)
            fprintf(stderr,
                    "ssekit %s: without a key, point --base-url (or --url) at a local server, "
                    "e.g. `ssekit replay`\n",
                    cmd);
        return -1;
    }
    rq->total_timeout_ms = o->timeout_ms;
    return 0;
}

void client_opts_usage(FILE *f)
{
    fputs("  --provider P       openai (default), anthropic, responses, or raw (any SSE\n"
          "                     endpoint; the default when only --url is given)\n"
          "  --url URL          the whole endpoint URL (raw: the SSE URL, fetched with GET)\n"
          "  --base-url URL     the provider's base URL (default: OPENAI_BASE_URL or\n"
          "                     ANTHROPIC_BASE_URL, else the official one; OpenAI's ends\n"
          "                     in /v1, Anthropic's does not)\n"
          "  --model M          default gpt-4o-mini (openai, responses),\n"
          "                     claude-3-5-haiku-latest (anthropic)\n"
          "  --schema FILE      JSON schema: structured output, validated\n"
          "  --prompt TEXT      the user message ('-': read standard input)\n"
          "  --system TEXT      a system prompt\n"
          "  --max-tokens N     the answer's token limit (also the progress estimate's)\n"
          "  --temperature T    sampling temperature\n"
          "  --header 'K: V'    an extra request header (repeatable), e.g.\n"
          "                     'X-Replay-Fault: status=503;times=1' for the replay server\n"
          "  --timeout-ms N     total deadline per request, retries included\n"
          "  --max-line N       longest SSE line, bytes (default 16 MiB)\n"
          "  --max-event N      largest SSE event, bytes (default 32 MiB)\n"
          "  --max-envelope N   largest provider envelope decoded, bytes (default 32 MiB)\n"
          "  --max-depth N      deepest nesting of the answer's JSON (default 128)\n"
          "  --max-bytes N      longest answer text per output, bytes (default 64 MiB)\n"
          "                     A peer past a limit ends the stream with an error of\n"
          "                     category parse naming it (e.g. SSEKIT_E_EVENT_TOO_LARGE).\n"
          "The key comes from OPENAI_API_KEY / ANTHROPIC_API_KEY; it is required unless\n"
          "the URL is loopback (127.0.0.1, localhost, [::1]). It is never printed.\n",
          f);
}

void client_opts_free(client_opts *o)
{
    free(o->schema_text);
    free(o->prompt_text);
    o->schema_text = o->prompt_text = NULL;
}
