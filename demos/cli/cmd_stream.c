/* ssekit stream — make one streaming request (a provider preset, or any SSE
 * URL) with ssekit's client and print every event as one JSON line with a
 * `kind` field:
 *   {"kind": "start", "attempt": 1}
 *   {"kind": "open", "http_status": 200, "attempt": N}
 *   {"kind": "sse", "event": T, "data": D, "id": ID}
 *   {"kind": "delta", "delta": "text", "index": I, "text": S}       (and
 *        "refusal", "thinking" with "text"; "tool_call" with "tool_index",
 *        "id", "name", "arguments"; "finish" with "finish_reason"; "error"
 *        with "type", "message"; "usage" and "done" with no more fields)
 *   {"kind": "complete", "path": P, "value": V, "output": LABEL}
 *   {"kind": "progress", "percent": N}
 *   {"kind": "usage", "input_tokens": N, "output_tokens": N, "total_tokens": N}
 *   {"kind": "retry", "attempt": N, "delay_ms": N, "reason": R,
 *        "http_status": N, "retry_after_ms": N}
 *   {"kind": "reconnect", "attempt": N, "delay_ms": N, "last_event_id": ID,
 *        "reason": R}
 *   {"kind": "done", "finish_reason": F, "value": V | "text": T,
 *        "usage": {...}}
 *   {"kind": "error", "category": C, "status": S, "http_status": N,
 *        "retry_after_ms": N, "message": M, "raw": R}
 * Exit 0 after done, 1 after error, 2 for a usage or setup error. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_opts.h"
#include "commands.h"
#include "json_out.h"
#include "ssekit/ssekit.h"

static void usage(FILE *f)
{
    fputs("usage: ssekit stream [OPTIONS]\n"
          "Streams one request and prints each event as a JSON line with a \"kind\"\n"
          "(start, open, sse, delta, complete, progress, usage, retry, reconnect, done,\n"
          "error). Exit 0 after done, 1 after error, 2 on a usage error.\n\n",
          f);
    client_opts_usage(f);
    fputs("  --only LIST        print only these kinds (comma-separated)\n"
          "  --max-retries N    retries of a failed request (429, 5xx, network); default 3\n"
          "  --retry-delay-ms N first backoff window (default 1000; full jitter)\n"
          "  --progress-per-sec N  progress events per second (default 10)\n"
          "  --no-reconnect     raw: do not reconnect when the stream ends (WHATWG)\n"
          "  --last-event-id ID raw: send this Last-Event-ID on the first request\n",
          f);
}

static void str_field(const char *name, const char *s, size_t n)
{
    printf(", \"%s\": ", name);
    if (s)
        json_out_string(stdout, s, n);
    else
        fputs("null", stdout);
}

static void zstr_field(const char *name, const char *s)
{
    str_field(name, s, s ? strlen(s) : 0);
}

static void usage_obj(const ssekit_usage *u)
{
    printf("{\"input_tokens\": %" PRId64 ", \"output_tokens\": %" PRId64
           ", \"total_tokens\": %" PRId64 "}",
           u->input_tokens, u->output_tokens, u->total_tokens);
}

static void print_delta(const ssekit_event *e)
{
    static const char *const names[] = {"text",  "refusal", "thinking", "tool_call",
                                        "usage", "finish",  "error",    "done"};
    unsigned k = (unsigned)e->delta_kind;
    printf(", \"delta\": \"%s\", \"index\": %" PRIu32, k < 8 ? names[k] : "unknown", e->index);
    switch (e->delta_kind) {
    case SSEKIT_DELTA_TEXT:
    case SSEKIT_DELTA_REFUSAL:
    case SSEKIT_DELTA_THINKING:
        str_field("text", e->data, e->data_len);
        break;
    case SSEKIT_DELTA_TOOL_CALL:
        printf(", \"tool_index\": %" PRIu32, e->tool_index);
        if (e->id_len)
            str_field("id", e->id, e->id_len);
        if (e->name_len)
            str_field("name", e->name, e->name_len);
        str_field("arguments", e->data, e->data_len);
        break;
    case SSEKIT_DELTA_FINISH:
        str_field("finish_reason", e->data, e->data_len);
        break;
    case SSEKIT_DELTA_ERROR:
        str_field("type", e->type, e->type_len);
        str_field("message", e->data, e->data_len);
        break;
    default:
        break;
    }
}

static void print_event(const ssekit_event *e)
{
    printf("{\"kind\": \"%s\"", ssekit_event_kind_name(e->kind));
    switch (e->kind) {
    case SSEKIT_EVENT_START:
        printf(", \"attempt\": %u", e->attempt);
        break;
    case SSEKIT_EVENT_OPEN:
        printf(", \"http_status\": %d, \"attempt\": %u", e->http_status, e->attempt);
        break;
    case SSEKIT_EVENT_SSE:
        str_field("event", e->type, e->type_len);
        str_field("data", e->data, e->data_len);
        str_field("id", e->id, e->id_len);
        break;
    case SSEKIT_EVENT_DELTA:
        print_delta(e);
        break;
    case SSEKIT_EVENT_COMPLETE:
        str_field("path", e->path, e->path_len);
        fputs(", \"value\": ", stdout);
        fwrite(e->data, 1, e->data_len, stdout); /* compact JSON already */
        zstr_field("output", e->output);
        break;
    case SSEKIT_EVENT_PROGRESS:
        printf(", \"percent\": %u", e->percent);
        break;
    case SSEKIT_EVENT_USAGE:
        printf(", \"input_tokens\": %" PRId64 ", \"output_tokens\": %" PRId64
               ", \"total_tokens\": %" PRId64,
               e->usage.input_tokens, e->usage.output_tokens, e->usage.total_tokens);
        break;
    case SSEKIT_EVENT_RETRY:
        printf(", \"attempt\": %u, \"delay_ms\": %" PRIu64, e->attempt, e->delay_ms);
        zstr_field("reason", e->message);
        printf(", \"http_status\": %d, \"retry_after_ms\": %" PRIu64, e->http_status,
               e->retry_after_ms);
        break;
    case SSEKIT_EVENT_RECONNECT:
        printf(", \"attempt\": %u, \"delay_ms\": %" PRIu64, e->attempt, e->delay_ms);
        str_field("last_event_id", e->id, e->id_len);
        zstr_field("reason", e->message);
        break;
    case SSEKIT_EVENT_DONE:
        zstr_field("finish_reason", e->finish_reason);
        if (e->type && !strcmp(e->type, "json")) {
            fputs(", \"value\": ", stdout);
            fwrite(e->data, 1, e->data_len, stdout);
        } else if (e->type) {
            str_field("text", e->data, e->data_len);
        }
        fputs(", \"usage\": ", stdout);
        usage_obj(&e->usage);
        break;
    case SSEKIT_EVENT_ERROR:
        zstr_field("category", ssekit_error_category_name(e->category));
        zstr_field("status", ssekit_status_name(e->status));
        printf(", \"http_status\": %d, \"retry_after_ms\": %" PRIu64, e->http_status,
               e->retry_after_ms);
        zstr_field("message", e->message);
        str_field("raw", e->data, e->data_len);
        break;
    default:
        break;
    }
    fputs("}\n", stdout);
    fflush(stdout);
}

static int parse_kinds(const char *list, unsigned *mask)
{
    *mask = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        unsigned k;
        for (k = 0; k < 16 && !(ssekit_event_kind_name(1u << k) &&
                                !strcmp(ssekit_event_kind_name(1u << k), t));
             k++)
            ;
        if (k == 16)
            return -1;
        *mask |= 1u << k;
    }
    return *mask ? 0 : -1;
}

int cmd_stream(int argc, char **argv)
{
    client_opts o;
    client_opts_init(&o);
    unsigned only = 0, per_sec = 0;
    long max_retries = -1, retry_delay = 0;
    int reconnect = 1;
    const char *last_id = NULL;
    for (int i = 1; i < argc; i++) {
        int r = client_opts_parse(&o, "stream", argc, argv, &i);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--no-reconnect")) {
            reconnect = 0;
        } else if (i + 1 < argc && !strcmp(a, "--only")) {
            if (parse_kinds(argv[++i], &only)) {
                fprintf(stderr, "ssekit stream: bad --only '%s'\n", argv[i]);
                return 2;
            }
        } else if (i + 1 < argc && !strcmp(a, "--max-retries")) {
            char *end;
            max_retries = strtol(argv[++i], &end, 10);
            if (*end || max_retries < 0 || max_retries > 100) {
                fprintf(stderr, "ssekit stream: bad --max-retries '%s'\n", argv[i]);
                return 2;
            }
        } else if (i + 1 < argc && !strcmp(a, "--retry-delay-ms")) {
            char *end;
            retry_delay = strtol(argv[++i], &end, 10);
            if (*end || retry_delay < 1 || retry_delay > 600000) {
                fprintf(stderr, "ssekit stream: bad --retry-delay-ms '%s'\n", argv[i]);
                return 2;
            }
        } else if (i + 1 < argc && !strcmp(a, "--progress-per-sec")) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1000) {
                fprintf(stderr, "ssekit stream: bad --progress-per-sec '%s'\n", argv[i]);
                return 2;
            }
            per_sec = (unsigned)v;
        } else if (i + 1 < argc && !strcmp(a, "--last-event-id")) {
            last_id = argv[++i];
        } else {
            fprintf(stderr, "ssekit stream: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (client_opts_finish(&o, "stream", 1)) {
        client_opts_free(&o);
        return 2;
    }
    ssekit_request rq;
    int built = 0;
    if (o.provider == SSEKIT_PROVIDER_RAW) {
        memset(&rq, 0, sizeof rq);
        rq.url = o.url;
        rq.headers = o.headers;
        rq.header_count = o.header_count;
        rq.reconnect = reconnect;
        rq.last_event_id = last_id;
        rq.total_timeout_ms = o.timeout_ms;
        rq.limits = o.limits;
    } else {
        if (client_opts_build(&o, "stream", &rq)) {
            client_opts_free(&o);
            return 2;
        }
        built = 1;
    }
    if (max_retries >= 0 || retry_delay) {
        ssekit_retry_policy_default(&rq.retry);
        if (max_retries >= 0)
            rq.retry.max_retries = (unsigned)max_retries;
        if (retry_delay)
            rq.retry.base_delay_ms = (uint64_t)retry_delay;
    }
    /* the end is always needed for the exit status, printed or not */
    rq.filter = only ? only | SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR : 0;
    rq.progress_per_sec = per_sec;

    int rc = 2;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "ssekit stream: cannot initialise libcurl\n");
        goto out;
    }
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_stream *s = NULL;
    int orc = c ? ssekit_stream_open(c, &rq, &s) : SSEKIT_E_NOMEM;
    if (orc != SSEKIT_OK) {
        fprintf(stderr, "ssekit stream: %s\n", ssekit_strerror(orc));
    } else {
        const ssekit_event *ev;
        int n;
        rc = 1;
        while ((n = ssekit_stream_next(s, &ev, -1)) == 1) {
            if (!only || (only & (unsigned)ev->kind))
                print_event(ev);
            if (ev->kind == SSEKIT_EVENT_DONE)
                rc = 0;
        }
        if (n < 0 && n != SSEKIT_E_STATE) {
            fprintf(stderr, "ssekit stream: %s\n", ssekit_strerror(n));
            rc = 1;
        }
    }
    ssekit_client_free(c);
    curl_global_cleanup();
out:
    if (built)
        ssekit_request_clear(&rq, NULL);
    client_opts_free(&o);
    return rc;
}
