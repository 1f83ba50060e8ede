/* ssekit-bridge: the bridge as a daemon.
 *
 *   ssekit-bridge --listen 127.0.0.1:PORT [--token T] [--origin O ...]
 *                 [--history N] [--history-bytes N] [--backlog N]
 *                 [--backlog-bytes N] [--max-clients N] [--max-per-address N]
 *                 [--max-message N] [--max-channels N] [--idle-timeout S] [--keepalive S]
 *                 [--publish-endpoint] [--max-jobs N] [--job-ttl S] [--no-jobs]
 *
 * The job API (POST /v1/streams ...) is on unless --no-jobs: jobs stream
 * from the providers with the environment's keys and base URLs
 * (OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL).
 *
 * --cert FILE --key FILE (PEM): TLS only on that port (https://, wss://).
 *
 * Prints {"listening": "http://HOST:PORT"} (https:// with --cert) on stdout
 * once it accepts connections; SIGINT/SIGTERM stop it cleanly. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "ssekit/bridge.h"

static ssekit_bridge *g_bridge;

static void on_signal(int sig)
{
    (void)sig;
    ssekit_bridge_stop(g_bridge);
}

static int usage(void)
{
    fprintf(stderr, "usage: ssekit-bridge --listen HOST:PORT [--token T] [--origin O ...]\n"
                    "       [--history N] [--history-bytes N] [--backlog N] [--backlog-bytes N]\n"
                    "       [--max-clients N] [--max-per-address N] [--max-message N]\n"
                    "       [--max-channels N]\n"
                    "       [--idle-timeout S] [--keepalive S] [--publish-endpoint]\n"
                    "       [--max-jobs N] [--job-ttl S] [--no-jobs] [--cert FILE --key FILE]\n"
                    "\n"
                    "Job API (docs/bridge-protocol.md): POST /v1/streams runs a model stream\n"
                    "and publishes it on the channel named by the job's id; GET\n"
                    "/v1/streams/ID (status), /v1/streams/ID/result, DELETE /v1/streams/ID.\n"
                    "  --max-jobs N   jobs kept, running or finished (default 1024)\n"
                    "  --job-ttl S    seconds a finished job's result and channel are kept (600)\n"
                    "  --no-jobs      no job API (channels, /metrics, /healthz and the\n"
                    "                 dashboard stay)\n"
                    "Keys and endpoints come from OPENAI_API_KEY, OPENAI_BASE_URL,\n"
                    "ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL. The dashboard is at /.\n");
    return 2;
}

static int size_arg(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || v == 0)
        return -1;
    *out = (size_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    ssekit_bridge_options o;
    ssekit_bridge_options_init(&o);
    o.enable_jobs = 1;
    const char **origins = calloc((size_t)argc, sizeof *origins);
    char host[256] = "127.0.0.1";
    if (!origins)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        size_t n = 0;
        if (strcmp(a, "--publish-endpoint") == 0) {
            o.publish_endpoint = 1;
            continue;
        }
        if (strcmp(a, "--no-jobs") == 0) {
            o.enable_jobs = 0;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            free(origins);
            return 0;
        }
        if (!v)
            return usage();
        i++;
        if (strcmp(a, "--listen") == 0) {
            const char *colon = strrchr(v, ':');
            char *end;
            long port = colon ? strtol(colon + 1, &end, 10) : -1;
            if (!colon || colon == v || (size_t)(colon - v) >= sizeof host || *end || port < 0 ||
                port > 65535)
                return usage();
            memcpy(host, v, (size_t)(colon - v));
            host[colon - v] = '\0';
            o.port = (int)port;
        } else if (strcmp(a, "--token") == 0) {
            o.token = v;
        } else if (strcmp(a, "--origin") == 0) {
            origins[o.n_origins++] = v;
        } else if (strcmp(a, "--cert") == 0) {
            o.cert_path = v;
        } else if (strcmp(a, "--key") == 0) {
            o.key_path = v;
        } else if (size_arg(v, &n)) {
            return usage();
        } else if (strcmp(a, "--history") == 0) {
            o.history_count = n;
        } else if (strcmp(a, "--history-bytes") == 0) {
            o.history_bytes = n;
        } else if (strcmp(a, "--backlog") == 0) {
            o.backlog_count = n;
        } else if (strcmp(a, "--backlog-bytes") == 0) {
            o.backlog_bytes = n;
        } else if (strcmp(a, "--max-clients") == 0) {
            o.max_clients = n;
        } else if (strcmp(a, "--max-per-address") == 0) {
            o.max_per_address = n;
        } else if (strcmp(a, "--max-message") == 0) {
            o.max_message = n;
        } else if (strcmp(a, "--max-channels") == 0) {
            o.max_channels = n;
        } else if (strcmp(a, "--idle-timeout") == 0 && n <= 65535) {
            o.idle_timeout_s = (unsigned)n;
        } else if (strcmp(a, "--keepalive") == 0 && n <= 86400) {
            o.sse_keepalive_s = (unsigned)n;
        } else if (strcmp(a, "--max-jobs") == 0) {
            o.max_jobs = n;
        } else if (strcmp(a, "--job-ttl") == 0 && n <= 30 * 86400) {
            o.job_ttl_s = (unsigned)n;
        } else {
            return usage();
        }
    }
    o.host = host;
    o.origins = origins;
    /* before any thread: the job worker's client uses libcurl */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "ssekit-bridge: libcurl failed to initialise\n");
        free(origins);
        return 1;
    }
    ssekit_bridge *b;
    int rc = ssekit_bridge_new(&b, &o, NULL);
    if (rc < 0) {
        fprintf(stderr, "ssekit-bridge: cannot listen on %s:%d%s: %s\n", host, o.port,
                o.cert_path || o.key_path ? " (TLS: --cert and --key, both readable PEM)" : "",
                ssekit_strerror(rc));
        free(origins);
        curl_global_cleanup();
        return 1;
    }
    g_bridge = b;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    printf("{\"listening\": \"%s://%s:%d\"}\n", o.cert_path ? "https" : "http", host,
           ssekit_bridge_port(b));
    fflush(stdout);
    rc = ssekit_bridge_run(b);
    ssekit_bridge_free(b);
    free(origins);
    curl_global_cleanup();
    return rc < 0 ? 1 : 0;
}
