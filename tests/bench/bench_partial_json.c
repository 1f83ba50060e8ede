/* Benchmark: the partial JSON builder fed a JSON document in 1-6 byte pieces
 * (as LLM deltas arrive), the tree readable after every piece.
 *
 * usage: bench_partial_json ANSWER.json [ITERATIONS]
 *   e.g. python3 ../shared/bench/gen_stream.py 2000 /tmp/doc2000.json > /tmp/s.sse
 *        bench_partial_json /tmp/doc2000.json
 *
 * Prints one JSON line: the document size, the number of feeds, MB/s and ns
 * per feed for the builder without callbacks, with the patch stream
 * (paths built, each patch rendered to a buffer), in one single feed, and
 * yajl alone parsing the document in one call, for scale; and, to show the
 * work is linear, the time for one 1 MiB string in 1-6 byte pieces and the
 * ratio for 2 MiB. Best of ITERATIONS (default 20) runs each. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yajl/yajl_parse.h>

#include "ssekit/partial_json.h"
#include "ssekit/status.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0, r;
    char *p = malloc(cap);
    while (p && (r = fread(p + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap)
            p = realloc(p, cap *= 2);
    }
    fclose(f);
    *len = n;
    return p;
}

typedef struct sink {
    char buf[4096];
    size_t n, total;
} sink;

static int sink_out(void *ctx, const char *d, size_t n)
{
    sink *s = ctx;
    if (n > sizeof s->buf - s->n)
        s->n = 0;
    if (n <= sizeof s->buf) {
        memcpy(s->buf + s->n, d, n);
        s->n += n;
    }
    s->total += n;
    return 0;
}

static int on_patch(void *user, const ssekit_json_patch *p)
{
    return ssekit_json_patch_write(p, sink_out, user);
}

/* Feeds doc in the given pieces; returns seconds, or -1 on error. */
static double run(ssekit_partial *b, const char *doc, const unsigned char *pieces, size_t npieces)
{
    ssekit_partial_reset(b);
    double t0 = now();
    size_t off = 0;
    for (size_t i = 0; i < npieces; i++) {
        if (ssekit_partial_feed(b, doc + off, pieces[i]))
            return -1;
        off += pieces[i];
    }
    if (ssekit_partial_finish(b))
        return -1;
    return now() - t0;
}

static double best_of(ssekit_partial *b, const char *doc, const unsigned char *pieces, size_t np,
                      int iters)
{
    double best = 1e9;
    for (int i = 0; i < iters; i++) {
        double t = run(b, doc, pieces, np);
        if (t < 0) {
            const ssekit_partial_error *e = ssekit_partial_last_error(b);
            fprintf(stderr, "builder error %d at %zu: %s\n", e->status, e->offset, e->message);
            exit(1);
        }
        if (t < best)
            best = t;
    }
    return best;
}

static int y_any(void *c)
{
    (void)c;
    return 1;
}
static int y_bool(void *c, int v)
{
    (void)c;
    (void)v;
    return 1;
}
static int y_num(void *c, const char *s, size_t n)
{
    (void)c;
    (void)s;
    (void)n;
    return 1;
}
static int y_str(void *c, const unsigned char *s, size_t n)
{
    (void)c;
    (void)s;
    (void)n;
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ANSWER.json [ITERATIONS]\n", argv[0]);
        return 2;
    }
    int iters = argc > 2 ? atoi(argv[2]) : 20;
    size_t n;
    char *doc = read_file(argv[1], &n);
    if (!doc || !n) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    /* 1-6 byte pieces, deterministic */
    unsigned char *pieces = malloc(n);
    size_t np = 0;
    unsigned rng = 7;
    for (size_t off = 0; off < n; np++) {
        rng = rng * 1103515245u + 12345u;
        size_t k = 1 + (rng >> 16) % 6;
        if (k > n - off)
            k = n - off;
        pieces[np] = (unsigned char)k;
        off += k;
    }

    ssekit_partial *plain = ssekit_partial_new(NULL, NULL, NULL);
    sink s = {{0}, 0, 0};
    ssekit_partial_callbacks cb = {0};
    cb.on_patch = on_patch;
    ssekit_partial *patched = ssekit_partial_new(&cb, &s, NULL);
    if (!plain || !patched)
        return 1;
    double t_plain = best_of(plain, doc, pieces, np, iters);
    double t_patch = best_of(patched, doc, pieces, np, iters);
    double t_one = 1e9;
    for (int i = 0; i < iters; i++) {
        ssekit_partial_reset(plain);
        double t0 = now();
        if (ssekit_partial_feed(plain, doc, n) || ssekit_partial_finish(plain))
            return 1;
        double t = now() - t0;
        if (t < t_one)
            t_one = t;
    }
    yajl_callbacks ycb = {y_any, y_bool, NULL,  NULL,  y_num, y_str,
                          y_any, y_str,  y_any, y_any, y_any};
    double t_yajl = 1e9;
    for (int i = 0; i < iters; i++) {
        yajl_handle h = yajl_alloc(&ycb, NULL, NULL);
        double t0 = now();
        if (yajl_parse(h, (const unsigned char *)doc, n) != yajl_status_ok ||
            yajl_complete_parse(h) != yajl_status_ok)
            return 1;
        double t = now() - t0;
        yajl_free(h);
        if (t < t_yajl)
            t_yajl = t;
    }
    /* linearity: one long string, 1 MiB then 2 MiB, in 1-6 byte pieces */
    double t_long[2];
    for (int k = 0; k < 2; k++) {
        size_t ln = ((size_t)1 << 20) << k;
        char *ld = malloc(ln + 2);
        ld[0] = '"';
        for (size_t i = 1; i <= ln; i++)
            ld[i] = (char)('a' + i % 26);
        ld[ln + 1] = '"';
        double best = 1e9;
        for (int it = 0; it < 3; it++) {
            ssekit_partial_reset(plain);
            double t0 = now();
            for (size_t off = 0, j = 0; off < ln + 2; j++) {
                size_t step = 1 + j % 6;
                if (step > ln + 2 - off)
                    step = ln + 2 - off;
                if (ssekit_partial_feed(plain, ld + off, step))
                    return 1;
                off += step;
            }
            if (ssekit_partial_finish(plain))
                return 1;
            double t = now() - t0;
            if (t < best)
                best = t;
        }
        t_long[k] = best;
        free(ld);
    }
    double mb = (double)n / 1e6;
    printf("{\"bench\":\"partial_json\",\"file\":\"%s\",\"bytes\":%zu,\"feeds\":%zu,"
           "\"iterations\":%d,"
           "\"deltas_mb_per_s\":%.1f,\"deltas_ns_per_feed\":%.1f,"
           "\"deltas_with_patches_mb_per_s\":%.1f,\"deltas_with_patches_ns_per_feed\":%.1f,"
           "\"patch_bytes\":%zu,"
           "\"one_feed_mb_per_s\":%.1f,\"yajl_one_call_mb_per_s\":%.1f,"
           "\"long_string_1mib_ms\":%.2f,\"long_string_2mib_over_1mib\":%.2f}\n",
           argv[1], n, np, iters, mb / t_plain, t_plain * 1e9 / (double)np, mb / t_patch,
           t_patch * 1e9 / (double)np, s.total / (size_t)iters, mb / t_one, mb / t_yajl,
           t_long[0] * 1e3, t_long[1] / t_long[0]);
    ssekit_partial_free(plain);
    ssekit_partial_free(patched);
    free(pieces);
    free(doc);
    return 0;
}
