/* ssekit events — parse an SSE stream and print one JSON object per line:
 *   {"event": TYPE, "data": DATA, "id": LAST_EVENT_ID}   per dispatched event
 *   {"retry": N}                                         per valid retry field
 *   {"comment": TEXT}                                    per comment line
 * the format of shared/vectors/sse.jsonl. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "input.h"
#include "json_out.h"
#include "ssekit/sse_parser.h"

struct events_run {
    ssekit_sse_parser *parser;
    int count_only;
    uint64_t events;
    uint64_t bytes;
    int errors;
};

static int on_event(void *user, const ssekit_sse_event *ev)
{
    struct events_run *r = user;
    r->events++;
    if (r->count_only)
        return 0;
    fputs("{\"event\": ", stdout);
    json_out_string(stdout, ev->type, ev->type_len);
    fputs(", \"data\": ", stdout);
    json_out_string(stdout, ev->data, ev->data_len);
    fputs(", \"id\": ", stdout);
    json_out_string(stdout, ev->id, ev->id_len);
    fputs("}\n", stdout);
    return 0;
}

static int on_retry(void *user, uint64_t ms)
{
    struct events_run *r = user;
    if (!r->count_only)
        printf("{\"retry\": %" PRIu64 "}\n", ms);
    return 0;
}

static int on_comment(void *user, const char *text, size_t len)
{
    struct events_run *r = user;
    if (r->count_only)
        return 0;
    fputs("{\"comment\": ", stdout);
    json_out_string(stdout, text, len);
    fputs("}\n", stdout);
    return 0;
}

static int on_error(void *user, const ssekit_sse_error *e)
{
    struct events_run *r = user;
    r->errors++;
    fflush(stdout);
    if (e->limit)
        fprintf(stderr, "ssekit: %s (%s) at byte %" PRIu64 ", limit %zu bytes; event skipped\n",
                ssekit_strerror(e->code), ssekit_status_name(e->code), e->offset, e->limit);
    else
        fprintf(stderr, "ssekit: %s (%s) at byte %" PRIu64 "; event skipped\n",
                ssekit_strerror(e->code), ssekit_status_name(e->code), e->offset);
    return 0;
}

static int feed(void *ctx, const char *buf, size_t len)
{
    struct events_run *r = ctx;
    r->bytes += len;
    ssekit_sse_feed(r->parser, buf, len);
    if (!r->count_only)
        fflush(stdout); /* a live stream shows each read as it arrives */
    return 0;
}

static void help(FILE *f)
{
    fputs("usage: ssekit events [--chunk N] [--raw] [--count] [--max-line N] [--max-event N]"
          " [FILE|-]\n"
          "Parses a Server-Sent Events stream (WHATWG rules) and prints one JSON object per\n"
          "line in stream order: {\"event\",\"data\",\"id\"} per event, {\"retry\": N} per valid\n"
          "retry field, {\"comment\": TEXT} per comment.\n"
          "  --chunk N      feed the parser N bytes at a time (default: as read)\n"
          "  --raw          pass bytes through without UTF-8 decoding\n"
          "  --count        print only {\"events\": N, \"bytes\": B} at the end\n"
          "  --max-line N   longest line accepted (k/M/G suffixes; default 16M)\n"
          "  --max-event N  largest event accepted (default 32M)\n"
          "Exit status: 0 ok, 1 the stream had errors (on stderr), 2 usage or I/O error.\n",
          f);
}

int cmd_events(int argc, char **argv)
{
    struct events_run r = {0};
    size_t chunk = 0, max_line = 0, max_event = 0;
    int raw = 0;
    const char *path = NULL, *opt = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        opt = a;
        int has_value = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help(stdout);
            return 0;
        } else if (!strcmp(a, "--raw")) {
            raw = 1;
        } else if (!strcmp(a, "--count")) {
            r.count_only = 1;
        } else if (!strcmp(a, "--chunk") && has_value) {
            if (parse_size(argv[++i], &chunk) || !chunk)
                goto bad;
        } else if (!strcmp(a, "--max-line") && has_value) {
            if (parse_size(argv[++i], &max_line) || !max_line)
                goto bad;
        } else if (!strcmp(a, "--max-event") && has_value) {
            if (parse_size(argv[++i], &max_event) || !max_event)
                goto bad;
        } else if ((a[0] != '-' || !strcmp(a, "-")) && !path) {
            path = a;
        } else {
            fprintf(stderr, "ssekit events: unexpected argument '%s'\n", a);
            help(stderr);
            return 2;
        }
    }
    ssekit_sse_callbacks cb = {on_event, on_retry, on_comment, on_error};
    r.parser = ssekit_sse_parser_new(&cb, &r, NULL);
    if (!r.parser) {
        fprintf(stderr, "ssekit events: out of memory\n");
        return 2;
    }
    ssekit_sse_parser_set_raw(r.parser, raw);
    if (max_line)
        ssekit_sse_parser_set_max_line(r.parser, max_line);
    if (max_event)
        ssekit_sse_parser_set_max_event(r.parser, max_event);
    int rc = input_each(path, chunk, feed, &r);
    ssekit_sse_finish(r.parser);
    ssekit_sse_parser_free(r.parser);
    if (r.count_only)
        printf("{\"events\": %" PRIu64 ", \"bytes\": %" PRIu64 "}\n", r.events, r.bytes);
    if (fflush(stdout) != 0) {
        perror("ssekit events: stdout");
        return 2;
    }
    if (rc < 0)
        return 2;
    return r.errors ? 1 : 0;
bad:
    fprintf(stderr, "ssekit events: %s needs a positive size\n", opt);
    return 2;
}
