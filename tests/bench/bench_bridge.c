/* bench_bridge: one bridge channel fanned out to N WebSocket clients.
 *
 * usage: bench_bridge [CLIENTS] [SECONDS] [WINDOW]   (1000, 5, 64)
 *
 * The bridge (service thread + publisher thread) runs in this process; the
 * load generator is a forked child process of plain sockets (WebSocket
 * handshake, masked subscribe frame, epoll, frame parsing), so the bridge's
 * RSS is not mixed with the generator's. The publisher publishes deltas whose
 * text is the CLOCK_MONOTONIC time in ns, as fast as the slowest client takes
 * them: it stays at most WINDOW messages ahead of the slowest client's last
 * seq (the generator publishes that minimum in shared memory), so nobody is
 * pushed into lag snapshots. The generator's latency is receive time minus
 * that timestamp.
 *
 * The generator's own ceiling, measured in the same run with the same frame
 * parser and epoll loop: (a) its parse rate on pre-recorded frames, (b) its
 * delivered rate when N socketpairs are fed by one writer thread that writes
 * the same frames in 64-frame batches (a trivial stream source), (c) N TCP
 * loopback connections fed one frame per write (what a bridge writing each
 * message on its own would give), (d) the same fed 16 frames per write and
 * (e) 64 frames per write (the bridge batches whatever a client has pending,
 * up to 16 KiB, into one write: at WINDOW 64 up to 64 frames). The
 * generator also counts its reads, so frames per read shows the batching.
 *
 * Prints one JSON line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "ssekit/bridge.h"

#define WINDOW 128           /* messages the publisher may run ahead of the slowest client */
#define HIST_US (1u << 22)   /* latency histogram: 1 us buckets up to ~4 s */
#define CONN_BUF (64u << 10) /* generator's receive buffer per connection */

enum { PH_INIT, PH_PORT, PH_READY, PH_WARM, PH_MEASURE, PH_STOP, PH_DONE, PH_FAIL };

typedef struct shared {
    atomic_int phase;
    int port;
    atomic_uint_fast64_t min_seq; /* slowest client's last seq */
    /* results, written by the generator before PH_DONE */
    uint64_t delivered, snapshots, closed, dead;
    double measure_s, p50_us, p99_us, p999_us, max_us;
    double gen_cpu_s;
    double ceil_parse_msgs_s, ceil_sock_msgs_s, ceil_tcp1_msgs_s, ceil_tcp16_msgs_s;
    double ceil_tcp64_msgs_s;
    uint64_t reads; /* reads that returned data while measuring */
    double pub_cpu_s;
    uint64_t other;
    char err[200];
} shared;

static shared *sh;
static uint64_t window = 64; /* messages the publisher may run ahead of the slowest client */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double cpu_s(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static size_t rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &res) != 2)
            res = 0;
        fclose(f);
    }
    return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- the load generator ------------------------------------------------------ */

typedef struct gconn {
    int fd;
    int subscribed;
    int dead;
    uint64_t last_seq;
    size_t len;
    unsigned char *buf;
} gconn;

typedef struct gstats {
    uint64_t msgs, snapshots, closed, other, reads;
    int measuring;
    uint32_t *hist;
    uint64_t over;
} gstats;

static uint64_t parse_uint(const unsigned char *p, const unsigned char *end, const char *key,
                           size_t klen, int *ok)
{
    const unsigned char *k = memmem(p, (size_t)(end - p), key, klen);
    uint64_t v = 0;
    *ok = 0;
    if (!k)
        return 0;
    for (k += klen; k < end && *k >= '0' && *k <= '9'; k++) {
        v = v * 10 + (uint64_t)(*k - '0');
        *ok = 1;
    }
    return v;
}

/* One text message of the bridge. Deltas of the bench channel take a fast
 * path (the bridge renders channel, seq, type, then the payload's members). */
static void on_message(gconn *c, gstats *st, const unsigned char *p, size_t n, uint64_t now)
{
    static const char pre[] = "{\"channel\":\"bench\",\"seq\":";
    static const char mid[] = ",\"type\":\"delta\",\"text\":\"";
    const unsigned char *end = p + n, *q = p + sizeof pre - 1;
    int ok;
    if (n > sizeof pre + sizeof mid && memcmp(p, pre, sizeof pre - 1) == 0) {
        uint64_t seq = 0;
        for (; q < end && *q >= '0' && *q <= '9'; q++)
            seq = seq * 10 + (uint64_t)(*q - '0');
        if ((size_t)(end - q) > sizeof mid && memcmp(q, mid, sizeof mid - 1) == 0) {
            uint64_t t = 0;
            for (q += sizeof mid - 1; q < end && *q >= '0' && *q <= '9'; q++)
                t = t * 10 + (uint64_t)(*q - '0');
            c->last_seq = seq;
            st->msgs++;
            if (st->measuring && st->hist) {
                uint64_t us = now > t ? (now - t) / 1000 : 0;
                if (us < HIST_US)
                    st->hist[us]++;
                else
                    st->over++;
            }
            return;
        }
    }
    if (memmem(p, n, "\"type\":\"snapshot\"", 17)) {
        uint64_t seq = parse_uint(p, end, "\"seq\":", 6, &ok);
        if (ok)
            c->last_seq = seq;
        st->snapshots++;
    } else if (memmem(p, n, "\"type\":\"subscribed\"", 19)) {
        c->subscribed = 1;
    } else {
        st->other++;
    }
}

/* Parses the whole frames in c->buf; keeps the rest. */
static void parse_frames(gconn *c, gstats *st, uint64_t now)
{
    size_t off = 0;
    while (c->len - off >= 2) {
        const unsigned char *h = c->buf + off;
        size_t hl = 2, pl = h[1] & 0x7f;
        if (pl == 126) {
            if (c->len - off < 4)
                break;
            pl = (size_t)h[2] << 8 | h[3];
            hl = 4;
        } else if (pl == 127) {
            if (c->len - off < 10)
                break;
            pl = 0;
            for (int i = 2; i < 10; i++)
                pl = pl << 8 | h[i];
            hl = 10;
        }
        if (c->len - off < hl + pl)
            break;
        int op = h[0] & 0x0f;
        if (op == 1)
            on_message(c, st, h + hl, pl, now);
        else if (op == 8) {
            st->closed++;
            c->dead = 1;
        }
        off += hl + pl;
    }
    memmove(c->buf, c->buf + off, c->len - off);
    c->len -= off;
}

/* Reads whatever is ready; returns -1 when the peer is gone. */
static int conn_read(gconn *c, gstats *st)
{
    for (;;) {
        ssize_t r = read(c->fd, c->buf + c->len, CONN_BUF - c->len);
        if (r > 0) {
            c->len += (size_t)r;
            st->reads++;
            parse_frames(c, st, now_ns());
            if (c->len == CONN_BUF) /* one frame larger than the buffer: not ours */
                return -1;
            continue;
        }
        if (r == 0)
            return -1;
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

static uint64_t min_seq(gconn *cs, int n)
{
    uint64_t m = UINT64_MAX;
    for (int i = 0; i < n; i++) {
        if (!cs[i].dead && cs[i].last_seq < m)
            m = cs[i].last_seq;
    }
    return m == UINT64_MAX ? 0 : m;
}

static int ws_connect(int port, gconn *c)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return -1;
    }
    char req[256];
    int n = snprintf(req, sizeof req,
                     "GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n\r\n",
                     port);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->len = 0;
    /* the 101 response; bytes after it (frames) stay in the buffer */
    for (;;) {
        ssize_t r = read(fd, c->buf + c->len, CONN_BUF - c->len);
        if (r <= 0) {
            close(fd);
            return -1;
        }
        c->len += (size_t)r;
        unsigned char *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
        if (e) {
            if (c->len < 12 || memcmp(c->buf + 9, "101", 3)) {
                close(fd);
                return -1;
            }
            size_t hl = (size_t)(e + 4 - c->buf);
            memmove(c->buf, c->buf + hl, c->len - hl);
            c->len -= hl;
            break;
        }
    }
    /* a masked client text frame */
    static const char sub[] = "{\"op\":\"subscribe\",\"channel\":\"bench\"}";
    unsigned char f[64];
    const unsigned char mask[4] = {0x37, 0xfa, 0x21, 0x3d};
    size_t sl = sizeof sub - 1;
    f[0] = 0x81;
    f[1] = (unsigned char)(0x80 | sl);
    memcpy(f + 2, mask, 4);
    for (size_t i = 0; i < sl; i++)
        f[6 + i] = (unsigned char)sub[i] ^ mask[i & 3];
    if (write(fd, f, 6 + sl) != (ssize_t)(6 + sl)) {
        close(fd);
        return -1;
    }
    return 0;
}

/* A frame exactly as the bridge renders a delta. */
static size_t make_frame(unsigned char *out, uint64_t seq, uint64_t t)
{
    char j[128];
    int n = snprintf(j, sizeof j,
                     "{\"channel\":\"bench\",\"seq\":%" PRIu64
                     ",\"type\":\"delta\",\"text\":\"%" PRIu64 "\"}",
                     seq, t);
    out[0] = 0x81;
    out[1] = (unsigned char)n;
    memcpy(out + 2, j, (size_t)n);
    return (size_t)n + 2;
}

/* Ceiling (a): parse rate on pre-recorded frames. */
static double ceiling_parse(void)
{
    gconn c = {.buf = malloc(CONN_BUF)};
    gstats st = {0};
    uint64_t t0 = now_ns(), msgs = 0;
    unsigned char rec[CONN_BUF / 2];
    size_t rl = 0;
    for (uint64_t s = 1; rl + 128 < sizeof rec; s++)
        rl += make_frame(rec + rl, 1000000 + s, t0);
    do {
        for (int i = 0; i < 64; i++) {
            memcpy(c.buf, rec, rl); /* the read() copy */
            c.len = rl;
            parse_frames(&c, &st, now_ns());
        }
        msgs = st.msgs;
    } while (now_ns() - t0 < 500000000u);
    free(c.buf);
    return (double)msgs / ((double)(now_ns() - t0) / 1e9);
}

/* Ceilings (b) to (e): the same epoll loop over N connections fed by one
 * writer thread: (b) Unix socketpairs, 64 frames per write; (c) TCP loopback
 * pairs, one frame per write; (d) TCP, 16 frames per write; (e) TCP, 64. */
typedef struct feeder {
    int *fds, n, per_write;
    atomic_int stop;
} feeder;

static void *feed(void *arg)
{
    feeder *f = arg;
    unsigned char batch[64 * 80];
    size_t bl = 0;
    for (int i = 0; i < f->per_write; i++)
        bl += make_frame(batch + bl, 1000000 + (uint64_t)i, now_ns());
    while (!f->stop) {
        for (int i = 0; i < f->n && !f->stop; i++) {
            if (write(f->fds[i], batch, bl) < 0 && errno != EAGAIN)
                return NULL;
        }
    }
    return NULL;
}

static int tcp_pair(int lfd, int port, int sv[2])
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int c = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    if (c < 0)
        return -1;
    if (connect(c, (struct sockaddr *)&a, sizeof a)) {
        close(c);
        return -1;
    }
    int s = accept(lfd, NULL, NULL);
    if (s < 0) {
        close(c);
        return -1;
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c, F_SETFL, O_NONBLOCK);
    fcntl(s, F_SETFL, O_NONBLOCK);
    sv[0] = c;
    sv[1] = s;
    return 0;
}

static double ceiling_sockets(int n, gconn *cs, int tcp, int per_write)
{
    int ep = epoll_create1(0), lfd = -1, port = 0;
    int *wfds = malloc(sizeof *wfds * (size_t)n);
    if (tcp) {
        struct sockaddr_in a = {.sin_family = AF_INET};
        socklen_t al = sizeof a;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        lfd = socket(AF_INET, SOCK_STREAM, 0);
        if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 64) ||
            getsockname(lfd, (struct sockaddr *)&a, &al))
            return 0;
        port = ntohs(a.sin_port);
    }
    int made = 0;
    for (; made < n; made++) {
        int sv[2];
        if (tcp ? tcp_pair(lfd, port, sv) : socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
            break;
        cs[made].fd = sv[0];
        cs[made].len = 0;
        wfds[made] = sv[1];
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[made]};
        epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev);
    }
    feeder f = {.fds = wfds, .n = made, .per_write = per_write};
    pthread_t th;
    pthread_create(&th, NULL, feed, &f);
    gstats st = {0};
    struct epoll_event evs[256];
    uint64_t t0 = now_ns(), t;
    while ((t = now_ns()) - t0 < 1000000000u) {
        int k = epoll_wait(ep, evs, 256, 10);
        for (int i = 0; i < k; i++)
            conn_read(evs[i].data.ptr, &st);
    }
    f.stop = 1;
    pthread_join(th, NULL);
    for (int i = 0; i < made; i++) {
        close(cs[i].fd);
        close(wfds[i]);
    }
    if (lfd >= 0)
        close(lfd);
    close(ep);
    free(wfds);
    return (double)st.msgs / ((double)(t - t0) / 1e9);
}

static void gen_fail(const char *what)
{
    snprintf(sh->err, sizeof sh->err, "%s: %s", what, strerror(errno));
    sh->phase = PH_FAIL;
    _exit(1);
}

static void generator(int n)
{
    gconn *cs = calloc((size_t)n, sizeof *cs);
    for (int i = 0; i < n; i++) {
        if (!(cs[i].buf = malloc(CONN_BUF)))
            gen_fail("malloc");
    }
    sh->ceil_parse_msgs_s = ceiling_parse();
    sh->ceil_sock_msgs_s = ceiling_sockets(n, cs, 0, 64);
    sh->ceil_tcp1_msgs_s = ceiling_sockets(n, cs, 1, 1);
    sh->ceil_tcp16_msgs_s = ceiling_sockets(n, cs, 1, 16);
    sh->ceil_tcp64_msgs_s = ceiling_sockets(n, cs, 1, 64);
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        cs[i].len = 0;
        cs[i].last_seq = 0;
        cs[i].dead = cs[i].subscribed = 0;
    }

    while (sh->phase < PH_PORT)
        usleep(1000);
    for (int i = 0; i < n; i++) {
        if (ws_connect(sh->port, &cs[i]))
            gen_fail("websocket connect");
        int one = 1;
        setsockopt(cs[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (fcntl(cs[i].fd, F_SETFL, O_NONBLOCK))
            gen_fail("fcntl");
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &cs[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev))
            gen_fail("epoll_ctl");
    }
    gstats st = {.hist = calloc(HIST_US, sizeof(uint32_t))};
    struct epoll_event evs[256];
    int ready = 0;
    uint64_t last_min = 0, m0 = 0, t0 = 0, t1 = 0;
    double c0 = 0;
    for (;;) {
        int ph = sh->phase;
        if (ph >= PH_STOP)
            break;
        if (!st.measuring && ph == PH_MEASURE) {
            st.measuring = 1;
            m0 = st.msgs;
            st.reads = 0;
            st.snapshots = 0;
            t0 = now_ns();
            c0 = cpu_s(RUSAGE_SELF);
        }
        int k = epoll_wait(ep, evs, 256, 5);
        for (int i = 0; i < k; i++) {
            gconn *c = evs[i].data.ptr;
            if (c->dead)
                continue;
            if (conn_read(c, &st) || c->dead) {
                c->dead = 1;
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
            }
        }
        if (!ready) {
            int all = 1;
            for (int i = 0; i < n && all; i++)
                all = cs[i].subscribed;
            if (all) {
                ready = 1;
                sh->phase = PH_READY;
            }
        }
        uint64_t t = now_ns();
        if (t - last_min > 200000u) { /* 0.2 ms */
            last_min = t;
            sh->min_seq = min_seq(cs, n);
        }
    }
    t1 = now_ns();
    sh->gen_cpu_s = cpu_s(RUSAGE_SELF) - c0;
    sh->measure_s = (double)(t1 - t0) / 1e9;
    sh->delivered = st.msgs - m0;
    sh->reads = st.reads;
    sh->snapshots = st.snapshots;
    sh->other = st.other;
    sh->closed = st.closed;
    for (int i = 0; i < n; i++)
        sh->dead += (uint64_t)cs[i].dead;
    uint64_t total = st.over, acc = 0;
    for (uint32_t i = 0; i < HIST_US; i++)
        total += st.hist[i];
    double *want[] = {&sh->p50_us, &sh->p99_us, &sh->p999_us};
    const double q[] = {0.50, 0.99, 0.999};
    int w = 0;
    for (uint32_t i = 0; i < HIST_US && w < 3; i++) {
        acc += st.hist[i];
        while (w < 3 && total && (double)acc >= q[w] * (double)total)
            *want[w++] = i;
        if (st.hist[i])
            sh->max_us = i;
    }
    while (w < 3)
        *want[w++] = HIST_US; /* beyond the histogram */
    if (st.over)
        sh->max_us = HIST_US;
    for (int i = 0; i < n; i++)
        close(cs[i].fd);
    sh->phase = PH_DONE;
    _exit(0);
}

/* ---- the bridge side -------------------------------------------------------- */

static double thread_cpu_s(pthread_t th)
{
    clockid_t id;
    struct timespec ts;
    if (pthread_getcpuclockid(th, &id) || clock_gettime(id, &ts))
        return 0;
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *service(void *arg)
{
    ssekit_bridge_run(arg);
    return NULL;
}

typedef struct pub {
    ssekit_bridge *b;
    uint64_t seq, full;
} pub;

static void *publisher(void *arg)
{
    pub *p = arg;
    char j[64];
    while (sh->phase < PH_STOP) {
        if (p->seq - sh->min_seq >= window) {
            struct timespec ts = {0, 100000};
            nanosleep(&ts, NULL);
            continue;
        }
        int n = snprintf(j, sizeof j, "{\"text\":\"%" PRIu64 "\"}", now_ns());
        int rc = ssekit_bridge_publish(p->b, "bench", "delta", j, (size_t)n);
        if (rc == SSEKIT_OK)
            p->seq++;
        else if (rc == SSEKIT_E_TOO_LARGE)
            p->full++;
        else
            break;
    }
    sh->pub_cpu_s = thread_cpu_s(pthread_self());
    return NULL;
}

static void wait_phase(int ph, int secs)
{
    for (int i = 0; i < secs * 1000 && sh->phase < ph; i++)
        usleep(1000);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    double seconds = argc > 2 ? atof(argv[2]) : 5;
    if (argc > 3)
        window = strtoull(argv[3], NULL, 10);
    if (n < 1 || n > 8000 || seconds <= 0 || window < 1) {
        fprintf(stderr, "usage: bench_bridge [CLIENTS] [SECONDS] [WINDOW]\n");
        return 2;
    }
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < (rlim_t)(2 * n + 64)) {
        fprintf(stderr, "bench_bridge: RLIMIT_NOFILE %llu too low for %d clients\n",
                (unsigned long long)rl.rlim_cur, n);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return 1;
    memset(sh, 0, sizeof *sh);
    pid_t child = fork();
    if (child < 0)
        return 1;
    if (child == 0)
        generator(n);

    ssekit_bridge_options o;
    ssekit_bridge_options_init(&o);
    o.port = 0;
    o.max_clients = (size_t)n + 16;
    o.max_per_address = (size_t)n + 16;
    o.idle_timeout_s = 3600;
    ssekit_bridge *b;
    int rc = ssekit_bridge_new(&b, &o, NULL);
    if (rc) {
        fprintf(stderr, "bench_bridge: ssekit_bridge_new: %s\n", ssekit_strerror(rc));
        sh->phase = PH_FAIL;
        waitpid(child, NULL, 0);
        return 1;
    }
    pthread_t svc, pt;
    pthread_create(&svc, NULL, service, b);
    usleep(100000);
    size_t rss0 = rss_bytes();
    sh->port = ssekit_bridge_port(b);
    sh->phase = PH_PORT;
    wait_phase(PH_READY, 60);
    int ok = sh->phase == PH_READY;
    usleep(300000);
    size_t rss1 = rss_bytes();
    double per_client = ((double)rss1 - (double)rss0) / n;

    pub p = {.b = b};
    uint64_t pub0 = 0;
    double bcpu0 = 0, pcpu0 = 0, wall = 0;
    if (ok) {
        sh->phase = PH_WARM;
        pthread_create(&pt, NULL, publisher, &p);
        usleep(1000000);
        pub0 = p.seq;
        bcpu0 = thread_cpu_s(svc);
        pcpu0 = thread_cpu_s(pt);
        uint64_t w0 = now_ns();
        sh->phase = PH_MEASURE;
        usleep((useconds_t)(seconds * 1e6));
        sh->phase = PH_STOP;
        wall = (double)(now_ns() - w0) / 1e9;
        pthread_join(pt, NULL);
    } else {
        sh->phase = PH_STOP;
    }
    double bcpu = thread_cpu_s(svc) - bcpu0;
    double pcpu = ok ? sh->pub_cpu_s - pcpu0 : 0;
    size_t rss2 = rss_bytes();
    int status = 0;
    waitpid(child, &status, 0);
    ssekit_bridge_stop(b);
    pthread_join(svc, NULL);
    ssekit_bridge_free(b);
    if (!ok || sh->phase != PH_DONE) {
        fprintf(stderr, "bench_bridge: generator failed: %s\n", sh->err[0] ? sh->err : "timeout");
        return 1;
    }
    double mps = (double)sh->delivered / sh->measure_s;
    printf("{\"bench\":\"bridge\",\"clients\":%d,\"window\":%" PRIu64
           ",\"seconds\":%.2f,\"published\":%" PRIu64
           ",\"published_per_s\":%.0f,\"delivered\":%" PRIu64 ",\"delivered_per_s\":%.0f,"
           "\"p50_us\":%.0f,\"p99_us\":%.0f,\"p999_us\":%.0f,\"max_us\":%.0f,"
           "\"snapshots\":%" PRIu64 ",\"other_frames\":%" PRIu64 ",\"closed\":%" PRIu64
           ",\"inbox_full\":%" PRIu64 ","
           "\"idle_rss_per_client_bytes\":%.0f,\"rss_idle_mb\":%.1f,\"rss_end_mb\":%.1f,"
           "\"bridge_service_cpu\":%.2f,\"publisher_cpu\":%.2f,\"generator_cpu\":%.2f,"
           "\"generator_ceiling_parse_per_s\":%.0f,\"generator_ceiling_unix_batched_per_s\":%.0f,"
           "\"generator_ceiling_tcp_1msg_per_write_per_s\":%.0f,"
           "\"generator_ceiling_tcp_16msg_per_write_per_s\":%.0f,"
           "\"generator_ceiling_tcp_64msg_per_write_per_s\":%.0f,\"frames_per_read\":%.1f,"
           "\"targets\":{\"delivered_per_s_500k\":%s,\"p99_50ms\":%s,\"idle_32k\":%s}}\n",
           n, window, sh->measure_s, p.seq - pub0, (double)(p.seq - pub0) / wall, sh->delivered,
           mps, sh->p50_us, sh->p99_us, sh->p999_us, sh->max_us, sh->snapshots, sh->other,
           sh->closed, p.full, per_client, rss1 / 1048576.0, rss2 / 1048576.0, bcpu / wall,
           pcpu / wall, sh->gen_cpu_s / sh->measure_s, sh->ceil_parse_msgs_s, sh->ceil_sock_msgs_s,
           sh->ceil_tcp1_msgs_s, sh->ceil_tcp16_msgs_s, sh->ceil_tcp64_msgs_s,
           sh->reads ? (double)sh->delivered / (double)sh->reads : 0.0,
           mps >= 500000 ? "true" : "false", sh->p99_us <= 50000 ? "true" : "false",
           per_client <= 32768 ? "true" : "false");
    return 0;
}
