/* ssekit replay — serve the recorded transcripts as OpenAI chat, Anthropic
 * Messages, OpenAI Responses and raw SSE endpoints, with fault injection per
 * request (docs/replay.md). Prints {"listening": URL} once ready, serves
 * until SIGINT or SIGTERM, then exits 0. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "json_out.h"
#include "replay.h"

static void help(FILE *f)
{
    fputs("usage: ssekit replay [--listen HOST:PORT] [--dir DIR] [--delay-ms N]\n"
          "                     [--require-key KEY] [--max-conns N]\n"
          "Serves recorded SSE transcripts over HTTP/1.1 as the streaming endpoints\n"
          "POST /v1/chat/completions, POST /v1/messages, POST /v1/responses and\n"
          "GET /v1/raw/NAME, with faults chosen per request by the X-Replay-Fault header\n"
          "or the ?fault= query (drop-after=N, status=503, retry-after=S, stall=S, ...).\n"
          "Prints {\"listening\": URL} on stdout when ready; serves until SIGINT/SIGTERM.\n"
          "  --listen HOST:PORT  address (default 127.0.0.1:0, port 0 = any free port;\n"
          "                      IPv6 as [::1]:PORT)\n"
          "  --dir DIR           serve DIR/NAME.sse instead of the bundled transcripts\n"
          "  --delay-ms N        delay between events (default 0: as fast as read)\n"
          "  --require-key KEY   the provider endpoints answer 401 without this key\n"
          "                      (Authorization: Bearer KEY or x-api-key: KEY)\n"
          "  --max-conns N       open connections (default 4096)\n"
          "See docs/replay.md for the endpoints, the faults and the request log.\n"
          "Exit status: 0 after a signal, 2 usage error or the server could not start.\n",
          f);
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    if (!s || *s < '0' || *s > '9')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* HOST:PORT, [V6]:PORT or :PORT into host (hostlen bytes) and port. */
static int parse_listen(const char *s, char *host, size_t hostlen, unsigned *port)
{
    const char *colon = strrchr(s, ':');
    if (!colon || parse_uint(colon + 1, 65535, port))
        return -1;
    const char *h = s;
    size_t n = (size_t)(colon - s);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']')
        h++, n -= 2;
    if (n >= hostlen)
        return -1;
    memcpy(host, h, n);
    host[n] = 0;
    if (!n)
        strcpy(host, "127.0.0.1");
    return 0;
}

int cmd_replay(int argc, char **argv)
{
    ssekit_replay_options o = {0};
    char host[256], err[512] = "";
    const char *opt = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        opt = a;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help(stdout);
            return 0;
        } else if (!strcmp(a, "--listen") && has_value) {
            if (parse_listen(argv[++i], host, sizeof host, &o.port))
                goto bad;
            o.host = host;
        } else if (!strcmp(a, "--dir") && has_value) {
            o.transcripts_dir = argv[++i];
        } else if (!strcmp(a, "--delay-ms") && has_value) {
            if (parse_uint(argv[++i], 86400000u, &o.delay_ms))
                goto bad;
        } else if (!strcmp(a, "--require-key") && has_value) {
            o.api_key = argv[++i];
            if (!*o.api_key)
                goto bad;
        } else if (!strcmp(a, "--max-conns") && has_value) {
            if (parse_uint(argv[++i], 1u << 20, &o.max_conns) || !o.max_conns)
                goto bad;
        } else {
            goto bad;
        }
    }
    /* Block the signals before the server thread exists, so that it
     * inherits the mask and sigwait() below receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    o.error = err;
    o.error_len = sizeof err;
    ssekit_replay *srv = ssekit_replay_start(&o);
    if (!srv) {
        fprintf(stderr, "ssekit replay: %s\n", err);
        return 2;
    }
    const char *url = ssekit_replay_url(srv);
    fputs("{\"listening\": ", stdout);
    json_out_string(stdout, url, strlen(url));
    fputs("}\n", stdout);
    fflush(stdout);
    int sig = 0;
    while (sigwait(&set, &sig))
        ;
    ssekit_replay_stop(srv);
    return 0;
bad:
    fprintf(stderr, "ssekit replay: bad or incomplete option '%s'\n", opt);
    help(stderr);
    return 2;
}
