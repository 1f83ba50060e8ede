/* Many streams in one client thread: N concurrent raw SSE streams from the
 * replay server, paced at R events per second each, driven by callbacks.
 * The replay server runs in a child process, so that the CPU time measured
 * (getrusage of this process) is the client's alone.
 *
 * usage: bench_client [STREAMS [SECONDS [EVENTS_PER_S [COALESCE [MODE]]]]]
 *        (1000, 10, 50, auto, cb; COALESCE: ssekit_client_set_read_coalesce,
 *        `auto` (the default setting) or a window in ms, 0: off;
 *        MODE cb: callbacks, pull: every stream pulled with
 *        ssekit_client_next(), mixed: every other stream pulled)
 *
 * Two phases, one JSON line:
 * - idle: STREAMS streams open (response head received) whose server sends
 *   nothing: RSS growth and bytes held through ssekit's allocator, per
 *   stream, and the CPU the client burns per second while nothing happens;
 * - load: STREAMS streams of `responses_structured` (201 events) paced at
 *   EVENTS_PER_S, each replaced by a new one when it ends: events/s, CPU µs
 *   per event and the fraction of one core, after one second of warm-up;
 *   events per socket read; the window in effect (sampled after every loop
 *   turn: min, time-weighted mean, max); each event's lag behind its
 *   stream's schedule (the server sends event i at t0 + i / EVENTS_PER_S;
 *   lag = arrival - i / EVENTS_PER_S - the stream's smallest such
 *   difference), mean and p99, for the latency a window adds. With COALESCE
 *   `auto` the load phase runs again with the window forced to 0, reported
 *   under "off" (same figures);
 * - next(): with the STREAMS idle streams open (callbacks) and one pulled
 *   stream opened before them, the cost of a ssekit_client_next() call that
 *   finds nothing (a loop turn with a zero wait): it must not grow with the
 *   number of streams. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client_internal.h" /* the sockets serviced, for events per read */
#include "replay.h"
#include "ssekit/ssekit.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static long rss_kib(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* ---- ssekit's allocator, counting the bytes it holds --------------------- */

static size_t held;

static void *count_malloc(void *ctx, size_t n)
{
    (void)ctx;
    size_t *p = malloc(n + sizeof(size_t) * 2);
    if (!p)
        return NULL;
    p[0] = n;
    held += n;
    return p + 2;
}

static void count_free(void *ctx, void *ptr)
{
    (void)ctx;
    if (!ptr)
        return;
    size_t *p = (size_t *)ptr - 2;
    held -= p[0];
    free(p);
}

static void *count_realloc(void *ctx, void *ptr, size_t n)
{
    if (!ptr)
        return count_malloc(ctx, n);
    size_t *p = (size_t *)ptr - 2, old = p[0];
    size_t *q = realloc(p, n + sizeof(size_t) * 2);
    if (!q)
        return NULL;
    q[0] = n;
    held = held - old + n;
    return q + 2;
}

/* ---- the replay server, in a child process ------------------------------- */

/* Forks a child running the replay server; its URL is written to `url`. The
 * child stops when the pipe from the parent closes (the parent ended). */
static pid_t start_server(char *url, size_t len)
{
    int up[2], down[2];
    if (pipe(up) || pipe(down))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        ssekit_replay_options o = {0};
        o.max_conns = 8192;
        o.max_log = 1; /* the log is not read: keep it from growing */
        ssekit_replay *srv = ssekit_replay_start(&o);
        const char *u = srv ? ssekit_replay_url(srv) : "";
        if (write(up[1], u, strlen(u) + 1) < 0)
            _exit(1);
        close(up[1]);
        char c;
        while (read(down[0], &c, 1) < 0 && errno == EINTR)
            ;
        ssekit_replay_stop(srv);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    size_t n = 0;
    ssize_t r;
    while (n < len - 1 && (r = read(up[0], url + n, len - 1 - n)) > 0) {
        n += (size_t)r;
        if (memchr(url, 0, n))
            break;
    }
    url[n] = 0;
    close(up[0]);
    return url[0] ? pid : -1;
}

/* ---- the streams -------------------------------------------------------- */

typedef struct slot {
    ssekit_stream *s;
    int open, ended, failed;
    double *t; /* arrival time of each SSE event (MAX_T), s */
    unsigned nt;
} slot;

enum { MAX_T = 256, LAG_MS = 1000 };

static uint64_t events;
static size_t opened, errors;
static unsigned rate;
static int measuring;
static uint64_t lag_hist[LAG_MS + 1]; /* ms, the last: LAG_MS and more */

/* A stream ended: its events' lags behind the server's schedule. */
static void record_lags(slot *sl)
{
    if (!measuring || sl->nt < 2)
        return;
    double period = 1.0 / rate, base = 1e300;
    for (unsigned i = 0; i < sl->nt; i++)
        if (sl->t[i] - i * period < base)
            base = sl->t[i] - i * period;
    for (unsigned i = 0; i < sl->nt; i++) {
        double ms = (sl->t[i] - i * period - base) * 1000;
        lag_hist[ms >= LAG_MS ? LAG_MS : (unsigned)ms]++;
    }
}

static int on_event(void *user, const ssekit_event *ev)
{
    slot *sl = user;
    switch (ev->kind) {
    case SSEKIT_EVENT_SSE:
        events++;
        if (sl->nt < MAX_T)
            sl->t[sl->nt++] = now_s();
        break;
    case SSEKIT_EVENT_OPEN:
        sl->open = 1;
        opened++;
        break;
    case SSEKIT_EVENT_ERROR:
        if (ev->category != SSEKIT_ERROR_CANCELED) {
            sl->failed = 1;
            if (!errors++)
                fprintf(stderr, "bench_client: %s\n", ev->message ? ev->message : "error");
        }
        sl->ended = 1;
        break;
    case SSEKIT_EVENT_DONE:
        sl->ended = 1;
        record_lags(sl);
        break;
    default:
        break;
    }
    return 0;
}

static int pulled(size_t i, int mode)
{
    return mode == 1 || (mode == 2 && i % 2);
}

static int open_slot(ssekit_client *c, slot *sl, const char *url, int pull)
{
    ssekit_request rq = {.url = url,
                         .filter = SSEKIT_EVENT_OPEN | SSEKIT_EVENT_SSE | SSEKIT_EVENT_DONE |
                                   SSEKIT_EVENT_ERROR,
                         .callback = pull ? NULL : on_event,
                         .user = sl,
                         .first_byte_timeout_ms = -1,
                         .idle_timeout_ms = 30000};
    double *t = sl->t;
    memset(sl, 0, sizeof *sl);
    sl->t = t;
    return ssekit_stream_open(c, &rq, &sl->s);
}

static void free_ended(ssekit_client *c, slot *slots, size_t n)
{
    ssekit_client_cancel_all(c);
    while (ssekit_client_active(c))
        ssekit_client_run(c, 100);
    for (size_t i = 0; i < n; i++) {
        ssekit_stream_free(slots[i].s);
        slots[i].s = NULL;
    }
}

typedef struct load_result {
    double wall, cpu;
    uint64_t ev, sv;
    size_t replaced, errors;
    long w_min, w_max;
    double w_mean, lag_mean, lag_p50, lag_p99;
} load_result;

static double lag_quantile(uint64_t total, double q)
{
    uint64_t want = (uint64_t)(q * (double)total), seen = 0;
    for (unsigned i = 0; i <= LAG_MS; i++)
        if ((seen += lag_hist[i]) > want)
            return i + 0.5;
    return LAG_MS;
}

/* STREAMS paced streams, each replaced when it ends, for `seconds` after a
 * second of warm-up. */
static int load(ssekit_client *c, slot *slots, size_t n, double seconds, int mode,
                const char *load_url, load_result *r)
{
    memset(r, 0, sizeof *r);
    memset(lag_hist, 0, sizeof lag_hist);
    errors = 0;
    measuring = 0;
    for (size_t i = 0; i < n; i++)
        if (open_slot(c, &slots[i], load_url, pulled(i, mode)) != SSEKIT_OK)
            return 1;
    double start = now_s(), warm = start + 1, end = warm + seconds;
    double cpu0 = 0, wall0 = 0, t_prev = 0, w_sum = 0;
    uint64_t ev0 = 0, sv0 = 0;
    r->w_min = SSEKIT_CLIENT_MAX_READ_COALESCE_MS;
    for (;;) {
        double t = now_s();
        if (!measuring && t >= warm) {
            measuring = 1;
            cpu0 = cpu_s();
            wall0 = t_prev = t;
            ev0 = events;
            sv0 = c->serviced;
        }
        if (t >= end)
            break;
        if (mode == 0) {
            ssekit_client_run(c, 20);
        } else { /* the pulled streams' events for up to 20 ms */
            const ssekit_event *pe;
            double until = now_s() + 0.02;
            for (unsigned k = 1; ssekit_client_next(c, &pe, 20) == 1; k++) {
                on_event(pe->user, pe);
                if (!(k % 64) && now_s() >= until)
                    break;
            }
        }
        if (measuring) { /* the window in effect, weighted by time */
            long w = ssekit_client_read_coalesce(c);
            double t1 = now_s();
            w_sum += (double)w * (t1 - t_prev);
            t_prev = t1;
            r->w_min = w < r->w_min ? w : r->w_min;
            r->w_max = w > r->w_max ? w : r->w_max;
        }
        for (size_t i = 0; i < n; i++)
            if (slots[i].ended) {
                ssekit_stream_free(slots[i].s);
                r->replaced++;
                if (open_slot(c, &slots[i], load_url, pulled(i, mode)) != SSEKIT_OK)
                    return 1;
            }
    }
    r->cpu = cpu_s() - cpu0;
    r->wall = now_s() - wall0;
    r->ev = events - ev0;
    r->sv = c->serviced - sv0;
    r->w_mean = r->wall > 0 ? w_sum / r->wall : 0;
    for (size_t i = 0; i < n; i++) /* the streams still running */
        if (!slots[i].ended)
            record_lags(&slots[i]);
    measuring = 0;
    uint64_t total = 0;
    double sum = 0;
    for (unsigned i = 0; i <= LAG_MS; i++) {
        total += lag_hist[i];
        sum += (i + 0.5) * (double)lag_hist[i];
    }
    r->lag_mean = total ? sum / (double)total : 0;
    r->lag_p50 = total ? lag_quantile(total, 0.5) : 0;
    r->lag_p99 = total ? lag_quantile(total, 0.99) : 0;
    r->errors = errors;
    free_ended(c, slots, n);
    return 0;
}

/* One load phase's figures, as JSON members (no braces). */
static void print_load(const load_result *r)
{
    printf("\"events\": %llu, \"events_per_s\": %.0f, \"cpu_us_per_event\": %.2f, "
           "\"cpu_core_fraction\": %.4f, \"events_per_read\": %.2f, "
           "\"read_coalesce_ms_min\": %ld, \"read_coalesce_ms_mean\": %.1f, "
           "\"read_coalesce_ms_max\": %ld, \"lag_ms_mean\": %.1f, \"lag_ms_p50\": %.1f, "
           "\"lag_ms_p99\": %.1f, \"streams_replaced\": %zu, \"errors\": %zu",
           (unsigned long long)r->ev, (double)r->ev / r->wall,
           r->ev ? r->cpu * 1e6 / (double)r->ev : 0.0, r->cpu / r->wall,
           r->sv ? (double)r->ev / (double)r->sv : 0.0, r->w_min, r->w_mean, r->w_max, r->lag_mean,
           r->lag_p50, r->lag_p99, r->replaced, r->errors);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 10;
    rate = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 50;
    long coalesce = argc <= 4 || !strcmp(argv[4], "auto") ? SSEKIT_CLIENT_READ_COALESCE_AUTO
                                                          : strtol(argv[4], NULL, 10);
    const char *mode_s = argc > 5 ? argv[5] : "cb";
    int mode = !strcmp(mode_s, "cb")      ? 0
               : !strcmp(mode_s, "pull")  ? 1
               : !strcmp(mode_s, "mixed") ? 2
                                          : -1;
    if (!n || rate == 0 || rate > 1000 || coalesce < SSEKIT_CLIENT_READ_COALESCE_AUTO ||
        coalesce > SSEKIT_CLIENT_MAX_READ_COALESCE_MS || mode < 0) {
        fprintf(stderr, "usage: bench_client [STREAMS [SECONDS [EVENTS_PER_S [auto|COALESCE_MS "
                        "[cb|pull|mixed]]]]]\n");
        return 2;
    }
    struct rlimit rl;
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max; /* a socket per stream, twice: both ends */
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGPIPE, SIG_IGN);
    char base[256];
    pid_t server = start_server(base, sizeof base);
    if (server < 0) {
        fprintf(stderr, "bench_client: the replay server did not start\n");
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ssekit_alloc_funcs a = {count_malloc, count_realloc, count_free, NULL};
    ssekit_client *c = ssekit_client_new(&a);
    slot *slots = calloc(n, sizeof *slots);
    double *times = calloc(n * MAX_T, sizeof *times);
    if (!slots || !times)
        return 1;
    for (size_t i = 0; i < n; i++)
        slots[i].t = times + i * MAX_T;
    char idle_url[512], load_url[512];
    snprintf(idle_url, sizeof idle_url, "%s/v1/raw/responses_structured?fault=stall=600", base);
    snprintf(load_url, sizeof load_url, "%s/v1/raw/responses_structured?fault=delay-ms=%u", base,
             1000 / rate);
    if (!c || !slots || ssekit_client_set_read_coalesce(c, coalesce) != SSEKIT_OK)
        return 1;

    /* idle; the probe for next() is opened first, so that it is the oldest */
    slot probe;
    if (open_slot(c, &probe, idle_url, 1) != SSEKIT_OK)
        return 1;
    long rss0 = rss_kib();
    size_t held0 = held;
    for (size_t i = 0; i < n; i++)
        if (open_slot(c, &slots[i], idle_url, 0) != SSEKIT_OK)
            return 1;
    double t_end = now_s() + 30;
    while (opened < n && !errors && now_s() < t_end)
        ssekit_client_run(c, 50);
    ssekit_client_run(c, 200); /* let the last heads settle */
    long rss_idle = rss_kib();
    size_t held_idle = held;
    double c0 = cpu_s(), w0 = now_s();
    ssekit_client_run(c, 2000);
    double idle_cpu = (cpu_s() - c0) / (now_s() - w0);
    size_t idle_open = opened;
    const ssekit_event *pev;
    while (ssekit_client_next(c, &pev, 0) == 1) /* the probe's START and OPEN */
        ;
    enum { NEXT_CALLS = 20000 };
    double t0 = now_s();
    for (int i = 0; i < NEXT_CALLS; i++)
        if (ssekit_client_next(c, &pev, 0) != 0)
            return 1;
    double next_idle_ns = (now_s() - t0) * 1e9 / NEXT_CALLS;
    ssekit_stream_free(probe.s);
    free_ended(c, slots, n);

    /* load: the setting given, then (auto) the window forced off */
    load_result on, off = {0};
    if (load(c, slots, n, seconds, mode, load_url, &on))
        return 1;
    if (coalesce < 0 && (ssekit_client_set_read_coalesce(c, 0) != SSEKIT_OK ||
                         load(c, slots, n, seconds, mode, load_url, &off)))
        return 1;
    free_ended(c, slots, n);
    ssekit_client_free(c);
    curl_global_cleanup();
    free(slots);
    free(times);
    kill(server, SIGTERM); /* and the pipe closes with us */
    waitpid(server, NULL, 0);

    char setting[32];
    if (coalesce < 0)
        snprintf(setting, sizeof setting, "\"auto\"");
    else
        snprintf(setting, sizeof setting, "%ld", coalesce);
    printf("{\"streams\": %zu, \"events_per_s_per_stream\": %u, \"seconds\": %.2f, "
           "\"idle_streams_open\": %zu, \"idle_rss_kib_per_stream\": %.1f, "
           "\"idle_ssekit_bytes_per_stream\": %.0f, \"idle_cpu_core_fraction\": %.4f, "
           "\"next_idle_ns\": %.0f, \"mode\": \"%s\", \"read_coalesce\": %s, ",
           n, rate, on.wall, idle_open, (double)(rss_idle - rss0) / (double)n,
           (double)(held_idle - held0) / (double)n, idle_cpu, next_idle_ns, mode_s, setting);
    print_load(&on);
    if (coalesce < 0) {
        printf(", \"off\": {");
        print_load(&off);
        printf("}");
    }
    printf("}\n");
    return on.errors || off.errors ? 1 : 0;
}
