/* The full pipeline on an OpenAI-style stream: SSE parser -> OpenAI decoder
 * -> partial JSON builder, the value tree ready after every delta (what a UI
 * reads). Beside it, in the same run, yajl alone parsing every event's JSON
 * envelope with no callbacks: the cost no envelope-decoding pipeline avoids.
 *
 * usage: bench_pipeline STREAM.sse [SECONDS]
 * prints one JSON line: MB/s of stream bytes, deltas, and the time to apply
 * one event (decode + tree update) at p50 and p99. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_parse.h>

#include "ssekit/ssekit.h"

#define PIECE 1400

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
    char *buf = malloc((size_t)n);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(2);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- throughput: bytes in, tree ready after every delta ------------------ */

struct run {
    size_t deltas;
};

static int count_delta(void *user, const ssekit_delta *d)
{
    struct run *r = user;
    if (d->kind == SSEKIT_DELTA_TEXT)
        r->deltas++;
    return 0;
}

static double run_pipeline(const char *buf, size_t len, struct run *out, int *status)
{
    ssekit_result_callbacks cb = {.on_delta = count_delta};
    double t0 = now();
    ssekit_result *r = ssekit_result_new(SSEKIT_PROVIDER_OPENAI, &cb, out, NULL);
    for (size_t off = 0; off < len; off += PIECE)
        ssekit_result_feed(r, buf + off, len - off < PIECE ? len - off : PIECE);
    *status = ssekit_result_finish(r);
    double t = now() - t0;
    ssekit_result_free(r);
    return t;
}

/* ---- latency of one event, and yajl's floor ------------------------------ */

struct lat {
    ssekit_result *r;
    double *samples;
    size_t n, cap;
    yajl_handle y;
    double yajl_time;
};

static int lat_event(void *user, const ssekit_sse_event *ev)
{
    struct lat *l = user;
    double t0 = now();
    ssekit_result_feed_event(l->r, ev);
    double t1 = now();
    if (l->n < l->cap)
        l->samples[l->n++] = (t1 - t0) * 1e6;
    return 0;
}

static int yajl_event(void *user, const ssekit_sse_event *ev)
{
    struct lat *l = user;
    if (ev->data_len && ev->data[0] == '{') {
        double t0 = now();
        yajl_handle y = yajl_alloc(NULL, NULL, NULL);
        yajl_parse(y, (const unsigned char *)ev->data, ev->data_len);
        yajl_complete_parse(y);
        yajl_free(y);
        l->yajl_time += now() - t0;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_pipeline STREAM.sse [SECONDS]\n");
        return 2;
    }
    double budget = argc > 2 ? atof(argv[2]) : 2.0;
    size_t len;
    char *buf = read_all(argv[1], &len);

    double best = 1e9, start = now();
    struct run last = {0};
    int status = 0, runs = 0;
    while (runs < 3 || now() - start < budget) {
        struct run k = {0};
        double t = run_pipeline(buf, len, &k, &status);
        if (t < best)
            best = t;
        last = k;
        runs++;
    }

    /* latency pass: every event timed on its own */
    struct lat l = {0};
    l.cap = 1u << 22;
    l.samples = malloc(l.cap * sizeof *l.samples);
    l.r = ssekit_result_new(SSEKIT_PROVIDER_OPENAI, NULL, NULL, NULL);
    ssekit_sse_callbacks cb = {.on_event = lat_event};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&cb, &l, NULL);
    ssekit_sse_feed(p, buf, len);
    ssekit_sse_parser_free(p);
    ssekit_result_free(l.r);
    qsort(l.samples, l.n, sizeof *l.samples, cmp_double);
    double p50 = l.n ? l.samples[l.n / 2] : 0, p99 = l.n ? l.samples[l.n * 99 / 100] : 0;

    /* yajl's floor: a fresh handle per envelope, no callbacks, best of 3 */
    double yajl_best = 1e9;
    for (int i = 0; i < 3; i++) {
        struct lat y = {0};
        ssekit_sse_callbacks ycb = {.on_event = yajl_event};
        ssekit_sse_parser *yp = ssekit_sse_parser_new(&ycb, &y, NULL);
        ssekit_sse_feed(yp, buf, len);
        ssekit_sse_parser_free(yp);
        if (y.yajl_time < yajl_best)
            yajl_best = y.yajl_time;
    }

    printf("{\"bench\": \"pipeline\", \"bytes\": %zu, \"deltas\": %zu, \"runs\": %d, "
           "\"seconds\": %.6f, \"mb_per_s\": %.1f, \"us_per_delta\": %.3f, "
           "\"event_p50_us\": %.3f, \"event_p99_us\": %.3f, \"yajl_envelopes_mb_per_s\": %.1f, "
           "\"valid\": %s}\n",
           len, last.deltas, runs, best, (double)len / best / 1e6,
           last.deltas ? best * 1e6 / (double)last.deltas : 0, p50, p99,
           (double)len / yajl_best / 1e6, status == SSEKIT_OK ? "true" : "false");
    free(l.samples);
    free(buf);
    return status == SSEKIT_OK ? 0 : 1;
}
