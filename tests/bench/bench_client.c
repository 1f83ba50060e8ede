/* Many streams in one client thread: N concurrent raw SSE streams from the
 * replay server, paced at R events per second each, driven by callbacks.
 * The replay server runs in a child process, so that the CPU time measured
 * (getrusage of this process) is the client's alone.
 *
 * usage: bench_client [STREAMS [SECONDS [EVENTS_PER_S [COALESCE_MS [MODE]]]]]
 *        (1000, 10, 50, 0, cb; COALESCE_MS: ssekit_client_set_read_coalesce;
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
} slot;

static uint64_t events;
static size_t opened, errors;

static int on_event(void *user, const ssekit_event *ev)
{
    slot *sl = user;
    switch (ev->kind) {
    case SSEKIT_EVENT_SSE:
        events++;
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
    memset(sl, 0, sizeof *sl);
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

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 10;
    unsigned rate = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 50;
    long coalesce = argc > 4 ? strtol(argv[4], NULL, 10) : 0;
    const char *mode_s = argc > 5 ? argv[5] : "cb";
    int mode = !strcmp(mode_s, "cb")      ? 0
               : !strcmp(mode_s, "pull")  ? 1
               : !strcmp(mode_s, "mixed") ? 2
                                          : -1;
    if (!n || rate == 0 || rate > 1000 || coalesce < 0 ||
        coalesce > SSEKIT_CLIENT_MAX_READ_COALESCE_MS || mode < 0) {
        fprintf(stderr, "usage: bench_client [STREAMS [SECONDS [EVENTS_PER_S [COALESCE_MS "
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

    /* load */
    errors = 0;
    for (size_t i = 0; i < n; i++)
        if (open_slot(c, &slots[i], load_url, pulled(i, mode)) != SSEKIT_OK)
            return 1;
    double start = now_s(), warm = start + 1, end = warm + seconds;
    double cpu0 = 0, wall0 = 0;
    uint64_t ev0 = 0, sv0 = 0;
    size_t replaced = 0;
    int measuring = 0;
    for (;;) {
        double t = now_s();
        if (!measuring && t >= warm) {
            measuring = 1;
            cpu0 = cpu_s();
            wall0 = t;
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
        for (size_t i = 0; i < n; i++)
            if (slots[i].ended) {
                ssekit_stream_free(slots[i].s);
                replaced++;
                if (open_slot(c, &slots[i], load_url, pulled(i, mode)) != SSEKIT_OK)
                    return 1;
            }
    }
    double cpu = cpu_s() - cpu0, wall = now_s() - wall0;
    uint64_t ev = events - ev0, sv = c->serviced - sv0;
    free_ended(c, slots, n);
    ssekit_client_free(c);
    curl_global_cleanup();
    free(slots);
    kill(server, SIGTERM); /* and the pipe closes with us */
    waitpid(server, NULL, 0);

    printf("{\"streams\": %zu, \"events_per_s_per_stream\": %u, \"seconds\": %.2f, "
           "\"idle_streams_open\": %zu, \"idle_rss_kib_per_stream\": %.1f, "
           "\"idle_ssekit_bytes_per_stream\": %.0f, \"idle_cpu_core_fraction\": %.4f, "
           "\"next_idle_ns\": %.0f, \"mode\": \"%s\", "
           "\"events\": %llu, \"events_per_s\": %.0f, \"cpu_us_per_event\": %.2f, "
           "\"cpu_core_fraction\": %.4f, \"read_coalesce_ms\": %ld, \"events_per_read\": %.2f, "
           "\"streams_replaced\": %zu, \"errors\": %zu}\n",
           n, rate, wall, idle_open, (double)(rss_idle - rss0) / (double)n,
           (double)(held_idle - held0) / (double)n, idle_cpu, next_idle_ns, mode_s,
           (unsigned long long)ev, (double)ev / wall, ev ? cpu * 1e6 / (double)ev : 0.0, cpu / wall,
           coalesce, sv ? (double)ev / (double)sv : 0.0, replaced, errors);
    return errors ? 1 : 0;
}
