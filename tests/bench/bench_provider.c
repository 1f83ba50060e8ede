/* Decoder-only throughput of a provider decoder on a recorded-style stream,
 * beside yajl parsing the same envelopes with no callbacks at all (the floor
 * for any decoder built on yajl) and yajl_tree_parse per envelope (what a
 * decoder that builds a DOM per event pays), and yajl with callbacks that do
 * nothing (it then decodes every string: the floor for a callback decoder).
 *
 * The stream is split into events once, by the SSE parser, before timing;
 * the figures are MB/s of event data and events/s.
 *
 * usage: bench_provider STREAM.sse [SECONDS] [PROVIDER] [ANSWER.json]
 *   PROVIDER defaults to openai; with ANSWER.json (gen_stream.py's second
 *   argument) the decoded text is checked against it.
 * prints one JSON line. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "ssekit/provider.h"
#include "ssekit/sse_parser.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

/* The events, copied out of the parser: data and type back to back. */
typedef struct events {
    char *arena;
    size_t len, cap;
    size_t *data_off, *data_len, *type_off, *type_len;
    size_t n, ncap;
    size_t data_bytes;
} events;

static void put(events *e, const char *s, size_t n)
{
    if (e->len + n > e->cap) {
        e->cap = (e->cap + n) * 2;
        e->arena = realloc(e->arena, e->cap);
        if (!e->arena)
            exit(2);
    }
    memcpy(e->arena + e->len, s, n);
    e->len += n;
}

static int on_event(void *user, const ssekit_sse_event *ev)
{
    events *e = user;
    if (e->n == e->ncap) {
        e->ncap = e->ncap ? e->ncap * 2 : 1024;
        e->data_off = realloc(e->data_off, e->ncap * sizeof(size_t));
        e->data_len = realloc(e->data_len, e->ncap * sizeof(size_t));
        e->type_off = realloc(e->type_off, e->ncap * sizeof(size_t));
        e->type_len = realloc(e->type_len, e->ncap * sizeof(size_t));
        if (!e->data_off || !e->data_len || !e->type_off || !e->type_len)
            exit(2);
    }
    e->data_off[e->n] = e->len;
    e->data_len[e->n] = ev->data_len;
    put(e, ev->data, ev->data_len);
    e->type_off[e->n] = e->len;
    e->type_len[e->n] = ev->type_len;
    put(e, ev->type, ev->type_len);
    e->data_bytes += ev->data_len;
    e->n++;
    return 0;
}

typedef struct sink {
    uint64_t deltas, text_bytes, errors;
    char *text; /* joined text of the first run, to check against the answer */
    size_t text_len, text_cap;
    int keep;
} sink;

static int on_delta(void *user, const ssekit_delta *d)
{
    sink *s = user;
    s->deltas++;
    if (d->kind == SSEKIT_DELTA_ERROR)
        s->errors++;
    if (d->kind == SSEKIT_DELTA_TEXT) {
        s->text_bytes += d->text_len;
        if (s->keep) {
            if (s->text_len + d->text_len > s->text_cap) {
                s->text_cap = (s->text_len + d->text_len) * 2;
                s->text = realloc(s->text, s->text_cap);
                if (!s->text)
                    exit(2);
            }
            memcpy(s->text + s->text_len, d->text, d->text_len);
            s->text_len += d->text_len;
        }
    }
    return 0;
}

static double run_decoder(const events *e, ssekit_provider kind, sink *s)
{
    ssekit_decoder_callbacks cb = {on_delta};
    double t0 = now();
    ssekit_decoder *dec = ssekit_decoder_new(kind, &cb, s, NULL);
    for (size_t i = 0; i < e->n; i++) {
        ssekit_sse_event ev = {e->arena + e->type_off[i],
                               e->type_len[i],
                               e->arena + e->data_off[i],
                               e->data_len[i],
                               "",
                               0};
        ssekit_decoder_feed(dec, &ev);
    }
    ssekit_decoder_finish(dec);
    ssekit_decoder_free(dec);
    return now() - t0;
}

static int nop(void *ctx)
{
    (void)ctx;
    return 1;
}
static int nop_bool(void *ctx, int b)
{
    (void)ctx, (void)b;
    return 1;
}
static int nop_str(void *ctx, const unsigned char *s, size_t n)
{
    (void)ctx, (void)s, (void)n;
    return 1;
}
static int nop_num(void *ctx, const char *s, size_t n)
{
    (void)ctx, (void)s, (void)n;
    return 1;
}
/* Callbacks that do nothing: yajl then decodes every string, as any decoder
 * on it must; the floor for a callback-driven decoder. */
static const yajl_callbacks nop_callbacks = {nop, nop_bool, NULL, NULL, nop_num, nop_str,
                                             nop, nop_str,  nop,  nop,  nop};

/* yajl alone, one handle for all events, fed as the decoder feeds it. */
static double run_yajl(const events *e, const yajl_callbacks *cb, uint64_t *bad)
{
    double t0 = now();
    yajl_handle h = yajl_alloc(cb, NULL, NULL);
    yajl_config(h, yajl_allow_multiple_values, 1);
    for (size_t i = 0; i < e->n; i++) {
        const unsigned char *d = (const unsigned char *)e->arena + e->data_off[i];
        size_t n = e->data_len[i];
        /* the decoder's rule: the "\n" only when the data does not end in } */
        if (yajl_parse(h, d, n) != yajl_status_ok ||
            ((n == 0 || d[n - 1] != '}') &&
             yajl_parse(h, (const unsigned char *)"\n", 1) != yajl_status_ok)) {
            (*bad)++;
            yajl_free(h);
            h = yajl_alloc(cb, NULL, NULL);
            yajl_config(h, yajl_allow_multiple_values, 1);
        }
    }
    yajl_free(h);
    return now() - t0;
}

static double run_yajl_tree(const events *e, char *scratch)
{
    double t0 = now();
    for (size_t i = 0; i < e->n; i++) {
        /* yajl_tree_parse wants a NUL-terminated string */
        memcpy(scratch, e->arena + e->data_off[i], e->data_len[i]);
        scratch[e->data_len[i]] = 0;
        yajl_val v = yajl_tree_parse(scratch, NULL, 0);
        yajl_tree_free(v);
    }
    return now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_provider STREAM.sse [SECONDS] [PROVIDER] [ANSWER.json]\n");
        return 2;
    }
    double budget = argc > 2 ? atof(argv[2]) : 2.0;
    int kind = ssekit_provider_from_name(argc > 3 ? argv[3] : "openai");
    if (kind < 0) {
        fprintf(stderr, "unknown provider %s\n", argv[3]);
        return 2;
    }
    size_t len;
    char *buf = read_all(argv[1], &len);
    events e = {0};
    ssekit_sse_callbacks pcb = {.on_event = on_event};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&pcb, &e, NULL);
    ssekit_sse_feed(p, buf, len);
    ssekit_sse_finish(p);
    ssekit_sse_parser_free(p);
    size_t maxlen = 0;
    for (size_t i = 0; i < e.n; i++)
        if (e.data_len[i] > maxlen)
            maxlen = e.data_len[i];
    char *scratch = malloc(maxlen + 1);

    sink first = {0};
    first.keep = 1;
    run_decoder(&e, (ssekit_provider)kind, &first); /* warm-up, and the text */
    int matches = -1;
    if (argc > 4) {
        size_t alen;
        char *answer = read_all(argv[4], &alen);
        matches = alen == first.text_len && memcmp(answer, first.text, alen) == 0;
        free(answer);
    }

    static double times[1 << 16];
    double best_d = 1e9, best_y = 1e9, best_c = 1e9, best_t = 1e9, start = now();
    uint64_t bad = 0;
    int runs = 0;
    while (runs < 3 || now() - start < budget) {
        sink s = {0};
        double t = run_decoder(&e, (ssekit_provider)kind, &s);
        if (runs < (int)(sizeof times / sizeof times[0]))
            times[runs] = t;
        if (t < best_d)
            best_d = t;
        t = run_yajl(&e, NULL, &bad);
        if (t < best_y)
            best_y = t;
        t = run_yajl(&e, &nop_callbacks, &bad);
        if (t < best_c)
            best_c = t;
        if (runs % 4 == 0) { /* the slow one, less often */
            t = run_yajl_tree(&e, scratch);
            if (t < best_t)
                best_t = t;
        }
        runs++;
    }
    int kept =
        runs < (int)(sizeof times / sizeof times[0]) ? runs : (int)(sizeof times / sizeof times[0]);
    qsort(times, (size_t)kept, sizeof times[0], cmp_double);
    double mb = (double)e.data_bytes / 1e6;
    printf("{\"bench\": \"provider\", \"provider\": \"%s\", \"events\": %zu, \"data_bytes\": %zu, "
           "\"runs\": %d, \"deltas\": %llu, \"text_bytes\": %llu, \"error_deltas\": %llu, "
           "\"decoder_mb_per_s\": %.1f, \"decoder_median_mb_per_s\": %.1f, "
           "\"decoder_events_per_s\": %.0f, \"yajl_mb_per_s\": %.1f, "
           "\"yajl_noop_callbacks_mb_per_s\": %.1f, \"yajl_tree_mb_per_s\": %.1f, "
           "\"decoder_over_yajl\": %.2f, \"decoder_over_yajl_noop_callbacks\": %.2f, "
           "\"text_matches_answer\": %s}\n",
           ssekit_provider_name((ssekit_provider)kind), e.n, e.data_bytes, runs,
           (unsigned long long)first.deltas, (unsigned long long)first.text_bytes,
           (unsigned long long)first.errors, mb / best_d, mb / times[kept / 2],
           (double)e.n / best_d, mb / best_y, mb / best_c, mb / best_t, best_y / best_d,
           best_c / best_d,
           matches < 0 ? "null"
           : matches   ? "true"
                       : "false");
    free(first.text);
    free(scratch);
    free(e.arena);
    free(e.data_off);
    free(e.data_len);
    free(e.type_off);
    free(e.type_len);
    free(buf);
    return first.deltas && !first.errors && matches != 0 ? 0 : 1;
}
