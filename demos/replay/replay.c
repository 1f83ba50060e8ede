/* The replay server's lifecycle and its one poll(2) loop: bind, accept,
 * dispatch socket events and timers to the connections, stop. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "replay_internal.h"

/* Connections refused past max_conns get this, best effort, then a close. */
static const char BUSY[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Server: ssekit-replay\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 71\r\n"
    "Retry-After: 1\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{\"error\": {\"message\": \"too many connections\", \"type\": \"server_error\"}}\n";

uint64_t rp_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void set_error(const ssekit_replay_options *o, const char *fmt, ...)
{
    if (!o->error || !o->error_len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, o->error_len, fmt, ap);
    va_end(ap);
}

static int set_flags(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -1;
    return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* Binds and listens; fills srv->lfd, port and url. */
static int bind_listen(ssekit_replay *srv, const ssekit_replay_options *o)
{
    const char *host = o->host && *o->host ? o->host : "127.0.0.1";
    char port[8];
    snprintf(port, sizeof port, "%u", o->port);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) {
        set_error(o, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int err = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol), one = 1;
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 511) || set_flags(fd)) {
            err = errno;
            close(fd);
            continue;
        }
        srv->lfd = fd;
        break;
    }
    freeaddrinfo(res);
    if (srv->lfd < 0) {
        set_error(o, "cannot listen on %s:%u: %s", host, o->port, strerror(err));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char num[64];
    if (getsockname(srv->lfd, (struct sockaddr *)&ss, &sl) ||
        getnameinfo((struct sockaddr *)&ss, sl, num, sizeof num, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV)) {
        set_error(o, "cannot read the bound address");
        return -1;
    }
    srv->port = (unsigned)atoi(port);
    /* A wildcard address is not one to connect to: name the loopback. */
    int v6 = ss.ss_family == AF_INET6;
    const char *shown = !strcmp(num, "0.0.0.0") ? "127.0.0.1" : !strcmp(num, "::") ? "::1" : num;
    snprintf(srv->url, sizeof srv->url, v6 ? "http://[%s]:%u" : "http://%s:%u", shown, srv->port);
    return 0;
}

static void accept_all(ssekit_replay *srv, uint64_t now)
{
    for (;;) {
        int fd = accept(srv->lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                srv->accept_paused_until = now + 100; /* out of descriptors: breathe */
            return;
        }
        if (set_flags(fd)) {
            close(fd);
            continue;
        }
        if (srv->n_conns == srv->max_conns) {
            ssize_t n = send(fd, BUSY, sizeof BUSY - 1, MSG_NOSIGNAL);
            (void)n;
            close(fd);
            continue;
        }
        rp_conn *c = rp_conn_new(srv, fd, now);
        if (!c) {
            close(fd);
            continue;
        }
        srv->conns[srv->n_conns++] = c;
    }
}

static void *run(void *arg)
{
    ssekit_replay *srv = arg;
    struct pollfd *pf = sk_malloc(&srv->a, (srv->max_conns + 2) * sizeof *pf);
    if (!pf)
        return NULL; /* ssekit_replay_stop() still works: it only joins */
    for (;;) {
        uint64_t now = rp_now_ms(), wake = RP_NEVER;
        pf[0].fd = srv->wake[0];
        pf[0].events = POLLIN;
        pf[1].fd = now >= srv->accept_paused_until ? srv->lfd : -1;
        pf[1].events = POLLIN;
        if (pf[1].fd < 0)
            wake = srv->accept_paused_until;
        for (size_t i = 0; i < srv->n_conns; i++) {
            rp_conn *c = srv->conns[i];
            pf[i + 2].fd = c->fd;
            pf[i + 2].events = rp_conn_events(srv, c);
            pf[i + 2].revents = 0;
            if (c->wake < wake)
                wake = c->wake;
        }
        int timeout = wake == RP_NEVER     ? -1
                      : wake <= now        ? 0
                      : wake - now > 60000 ? 60000
                                           : (int)(wake - now);
        int n = poll(pf, (nfds_t)(srv->n_conns + 2), timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && pf[0].revents)
            break; /* ssekit_replay_stop() */
        now = rp_now_ms();
        size_t polled = srv->n_conns;
        for (size_t i = 0; i < polled; i++) {
            rp_conn *c = srv->conns[i];
            short rev = n > 0 ? pf[i + 2].revents : 0;
            if (rev & (POLLIN | POLLHUP | POLLERR))
                rp_conn_read(srv, c);
            if (!c->closed && (rev || c->wake <= now))
                rp_conn_step(srv, c, now);
        }
        for (size_t i = 0; i < srv->n_conns;) {
            if (srv->conns[i]->closed) {
                rp_conn_free(srv, srv->conns[i]);
                srv->conns[i] = srv->conns[--srv->n_conns];
            } else {
                i++;
            }
        }
        if (n > 0 && pf[1].fd >= 0 && (pf[1].revents & POLLIN))
            accept_all(srv, now);
    }
    sk_free(&srv->a, pf);
    return NULL;
}

static void destroy(ssekit_replay *srv)
{
    for (size_t i = 0; i < srv->n_conns; i++) {
        rp_conn *c = srv->conns[i];
        if (c->seq)
            rp_log_update(&srv->log, c->seq, c->st.events, "stopped");
        rp_conn_free(srv, c);
    }
    sk_free(&srv->a, srv->conns);
    if (srv->lfd >= 0)
        close(srv->lfd);
    for (int i = 0; i < 2; i++)
        if (srv->wake[i] >= 0)
            close(srv->wake[i]);
    rp_transcripts_free(&srv->ts, &srv->a);
    if (srv->log.ring)
        rp_log_free(&srv->log);
    sk_free(&srv->a, srv->api_key);
    sk_free(&srv->a, srv);
}

#define OR_DEFAULT(v, d) ((v) ? (v) : (d))

ssekit_replay *ssekit_replay_start(const ssekit_replay_options *opts)
{
    static const ssekit_replay_options defaults;
    const ssekit_replay_options *o = opts ? opts : &defaults;
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, NULL);
    ssekit_replay *srv = sk_malloc(&a, sizeof *srv);
    if (!srv) {
        set_error(o, "out of memory");
        return NULL;
    }
    memset(srv, 0, sizeof *srv);
    srv->a = a;
    srv->lfd = srv->wake[0] = srv->wake[1] = -1;
    srv->delay_ms = o->delay_ms;
    srv->max_conns = OR_DEFAULT(o->max_conns, SSEKIT_REPLAY_DEFAULT_MAX_CONNS);
    srv->max_header = OR_DEFAULT(o->max_header, SSEKIT_REPLAY_DEFAULT_MAX_HEADER);
    srv->max_headers = OR_DEFAULT(o->max_headers, SSEKIT_REPLAY_DEFAULT_MAX_HEADERS);
    srv->max_body = OR_DEFAULT(o->max_body, SSEKIT_REPLAY_DEFAULT_MAX_BODY);
    srv->max_backlog = OR_DEFAULT(o->max_backlog, SSEKIT_REPLAY_DEFAULT_MAX_BACKLOG);
    srv->max_log = OR_DEFAULT(o->max_log, SSEKIT_REPLAY_DEFAULT_MAX_LOG);
    srv->request_timeout_ms =
        OR_DEFAULT(o->request_timeout_ms, SSEKIT_REPLAY_DEFAULT_REQUEST_TIMEOUT_MS);
    if (o->api_key) {
        srv->api_key = sk_malloc(&a, strlen(o->api_key) + 1);
        if (!srv->api_key)
            goto nomem;
        strcpy(srv->api_key, o->api_key);
    }
    if (o->transcripts_dir) {
        char err[512];
        if (rp_transcripts_load_dir(&srv->ts, &a, o->transcripts_dir, err, sizeof err)) {
            set_error(o, "%s", err);
            goto fail;
        }
    } else if (rp_transcripts_load_bundle(&srv->ts, &a)) {
        goto nomem;
    }
    if (rp_log_init(&srv->log, &srv->a, srv->max_log))
        goto nomem;
    srv->conns = sk_malloc(&a, srv->max_conns * sizeof *srv->conns);
    if (!srv->conns)
        goto nomem;
    if (pipe(srv->wake) || set_flags(srv->wake[0]) || set_flags(srv->wake[1])) {
        set_error(o, "pipe: %s", strerror(errno));
        goto fail;
    }
    if (bind_listen(srv, o))
        goto fail;
    srv->t0 = rp_now_ms();
    /* The server thread takes no signals: they stay the embedder's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&srv->thread, NULL, run, srv);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        set_error(o, "cannot start the server thread: %s", strerror(rc));
        goto fail;
    }
    return srv;
nomem:
    set_error(o, "out of memory");
fail:
    destroy(srv);
    return NULL;
}

void ssekit_replay_stop(ssekit_replay *srv)
{
    if (!srv)
        return;
    ssize_t n;
    do
        n = write(srv->wake[1], "x", 1);
    while (n < 0 && errno == EINTR);
    pthread_join(srv->thread, NULL);
    destroy(srv);
}

unsigned ssekit_replay_port(const ssekit_replay *srv)
{
    return srv ? srv->port : 0;
}

const char *ssekit_replay_url(const ssekit_replay *srv)
{
    return srv ? srv->url : NULL;
}

ssekit_replay_request *ssekit_replay_requests(ssekit_replay *srv, size_t *count)
{
    size_t dummy;
    if (!count)
        count = &dummy;
    *count = 0;
    return srv ? rp_log_snapshot(&srv->log, count) : NULL;
}

void ssekit_replay_requests_free(ssekit_replay_request *requests)
{
    free(requests);
}

char *ssekit_replay_requests_json(ssekit_replay *srv)
{
    return srv ? rp_log_json(&srv->log, NULL) : NULL;
}

void ssekit_replay_requests_clear(ssekit_replay *srv)
{
    if (srv)
        rp_log_clear(&srv->log);
}
