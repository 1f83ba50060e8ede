/* dashboard.c — a client and the bridge in one process: a structured answer
 * streams in, and every browser on the bridge watches it arrive.
 *
 * The main thread runs the bridge (libwebsockets wants one service thread,
 * the one that created it). A second thread streams the answer with the
 * client and publishes what happens on the channel "review-1": the text
 * ("delta"), the partial value's patches ("patch", from a local
 * ssekit_result fed with the same SSE events), progress, usage, the end.
 * ssekit_bridge_publish() is the only bridge call made from that thread: it
 * is thread-safe and never blocks on slow browsers.
 *
 *   cc dashboard.c $(pkg-config --cflags --libs ssekit-bridge) -pthread -o dashboard
 *   ./dashboard [BASE_URL [PORT]]
 *
 * Then open the printed dashboard URL, or follow the channel with
 * `curl -N http://127.0.0.1:PORT/v1/streams/review-1/events`. The channel
 * keeps its history, so a late subscriber still gets every message. Ctrl-C
 * stops the program. Environment as in callback.c.
 *
 * Output: "dashboard: URL", "events: URL" (the channel's SSE endpoint), and
 * "published N messages, FINISH" (or "failed: MESSAGE") when the stream ends.
 * Exit 0 when the answer was valid and the bridge stopped cleanly. */
#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ssekit/bridge.h>
#include <ssekit/ssekit.h>

#include "example_request.h"

#define CHANNEL "review-1"

/* A growable string for the messages' JSON. */
struct buf {
    char *data;
    size_t len, cap;
    int oom;
};

static int buf_add(void *ctx, const char *s, size_t n)
{
    struct buf *b = ctx;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) {
            b->oom = 1;
            return 1;
        }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

static void buf_str(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

/* Appends `s` as a JSON string (quotes and escapes). */
static void buf_json_string(struct buf *b, const char *s, size_t n)
{
    buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            buf_add(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            buf_add(b, esc, 6);
        } else {
            buf_add(b, (const char *)&s[i], 1);
        }
    }
    buf_add(b, "\"", 1);
}

struct job {
    ssekit_bridge *bridge;
    ssekit_request rq;
    ssekit_result *local; /* turns the SSE events into the value's patches */
    struct buf patches;   /* the patches of one SSE event */
    unsigned published;
    int ok;
};

/* Publishes one message on the channel; `json` is the members' object. */
static void publish(struct job *j, const char *type, struct buf *json)
{
    if (!json->oom &&
        ssekit_bridge_publish(j->bridge, CHANNEL, type, json->data, json->len) == SSEKIT_OK)
        j->published++;
    json->len = 0;
}

static int on_patch(void *user, const ssekit_output *out, const ssekit_json_patch *patch)
{
    struct job *j = user;
    if (out != ssekit_result_main(j->local))
        return 0; /* the answer's value only */
    buf_str(&j->patches, j->patches.len ? "," : "{\"patches\":[");
    return ssekit_json_patch_write(patch, buf_add, &j->patches) != SSEKIT_OK;
}

/* Turns one client event into bridge messages. */
static void handle(struct job *j, const ssekit_event *ev)
{
    struct buf m = {0};
    char num[160];
    switch (ev->kind) {
    case SSEKIT_EVENT_SSE: { /* the raw event: the local result makes patches of it */
        ssekit_sse_event sse = {ev->type, ev->type_len, ev->data, ev->data_len, ev->id, ev->id_len};
        ssekit_result_feed_event(j->local, &sse);
        if (j->patches.len) {
            buf_str(&j->patches, "]}");
            publish(j, "patch", &j->patches);
        }
        break;
    }
    case SSEKIT_EVENT_DELTA:
        if (ev->delta_kind != SSEKIT_DELTA_TEXT && ev->delta_kind != SSEKIT_DELTA_TOOL_CALL)
            break;
        buf_str(&m, "{\"text\":");
        buf_json_string(&m, ev->data, ev->data_len);
        buf_str(&m, "}");
        publish(j, "delta", &m);
        break;
    case SSEKIT_EVENT_OPEN:
    case SSEKIT_EVENT_PROGRESS:
        snprintf(num, sizeof num, "{\"stage\":\"streaming\",\"progress\":%u}",
                 ev->kind == SSEKIT_EVENT_PROGRESS ? ev->percent : 0);
        buf_str(&m, num);
        publish(j, "progress", &m);
        break;
    case SSEKIT_EVENT_RETRY:
        snprintf(num, sizeof num,
                 "{\"stage\":\"connecting\",\"retries\":%u,\"note\":", ev->attempt);
        buf_str(&m, num);
        snprintf(num, sizeof num, "retry %u in %" PRIu64 " ms: %s", ev->attempt, ev->delay_ms,
                 ev->message ? ev->message : "");
        buf_json_string(&m, num, strlen(num));
        buf_str(&m, "}");
        publish(j, "progress", &m);
        /* the next attempt starts a new answer */
        ssekit_result_free(j->local);
        ssekit_result_callbacks cb = {.on_patch = on_patch};
        j->local = ssekit_result_new(j->rq.provider, &cb, j, NULL);
        break;
    case SSEKIT_EVENT_USAGE:
        snprintf(num, sizeof num, "{\"input_tokens\":%" PRId64 ",\"output_tokens\":%" PRId64 "}",
                 ev->usage.input_tokens, ev->usage.output_tokens);
        buf_str(&m, num);
        publish(j, "usage", &m);
        break;
    case SSEKIT_EVENT_DONE:
        buf_str(&m, "{\"value\":");
        if (ev->type && !strcmp(ev->type, "json")) {
            buf_add(&m, ev->data, ev->data_len); /* compact JSON already */
        } else {
            buf_str(&m, "null,\"text\":");
            buf_json_string(&m, ev->data ? ev->data : "", ev->data_len);
        }
        buf_str(&m, ",\"finish_reason\":");
        buf_json_string(&m, ev->finish_reason ? ev->finish_reason : "",
                        ev->finish_reason ? strlen(ev->finish_reason) : 0);
        buf_str(&m, "}");
        publish(j, "done", &m);
        printf("published %u messages, %s\n", j->published,
               ev->finish_reason ? ev->finish_reason : "done");
        j->ok = 1;
        break;
    case SSEKIT_EVENT_ERROR:
        buf_str(&m, "{\"category\":");
        buf_json_string(&m, ssekit_error_category_name(ev->category),
                        strlen(ssekit_error_category_name(ev->category)));
        buf_str(&m, ",\"message\":");
        buf_json_string(&m, ev->message, strlen(ev->message));
        buf_str(&m, "}");
        publish(j, "error", &m);
        printf("failed: %s\n", ev->message);
        break;
    default:
        break;
    }
    free(m.data);
    fflush(stdout);
}

static ssekit_bridge *g_bridge;
static atomic_int g_stop;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&g_stop, 1);
    ssekit_bridge_stop(g_bridge); /* async-signal-safe: sets a flag, wakes the loop */
}

/* The client's thread: one stream, read with a pull loop that looks at the
 * stop flag five times a second. */
static void *stream_thread(void *arg)
{
    struct job *j = arg;
    ssekit_client *client = ssekit_client_new(NULL);
    ssekit_stream *s = NULL;
    if (client && ssekit_stream_open(client, &j->rq, &s) == SSEKIT_OK) {
        const ssekit_event *ev;
        int n;
        /* 1: an event, 0: 200 ms passed, < 0: the stream ended (after its DONE/ERROR) */
        while ((n = ssekit_stream_next(s, &ev, 200)) >= 0) {
            if (n == 1)
                handle(j, ev);
            if (atomic_load(&g_stop))
                ssekit_stream_cancel(s); /* an ERROR "canceled" follows */
        }
    }
    ssekit_client_free(client);
    return NULL;
}

int main(int argc, char **argv)
{
    struct job j = {0};
    ssekit_preset p = {
        .provider = SSEKIT_PROVIDER_OPENAI,
        .base_url = argc > 1 && *argv[1] ? argv[1] : NULL,
        .prompt = REVIEW_TEXT,
        .schema = REVIEW_SCHEMA,
        .schema_name = "review",
    };
    example_preset_from_env(&p); /* SSEKIT_PROVIDER, SSEKIT_MODEL, SSEKIT_HEADER */
    char err[256];
    if (ssekit_request_build(&p, NULL, &j.rq, err, sizeof err) != SSEKIT_OK) {
        fprintf(stderr, "dashboard: %s\n", err);
        return 1;
    }
    ssekit_result_callbacks cb = {.on_patch = on_patch};
    j.local = ssekit_result_new(j.rq.provider, &cb, &j, NULL);

    ssekit_bridge_options o;
    ssekit_bridge_options_init(&o);
    o.port = argc > 2 ? atoi(argv[2]) : 0; /* 0: any free port */
    int rc = j.local ? ssekit_bridge_new(&j.bridge, &o, NULL) : SSEKIT_E_NOMEM;
    if (rc != SSEKIT_OK) {
        fprintf(stderr, "dashboard: cannot start the bridge: %s\n", ssekit_strerror(rc));
        ssekit_result_free(j.local);
        ssekit_request_clear(&j.rq, NULL);
        return 1;
    }
    g_bridge = j.bridge;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int port = ssekit_bridge_port(j.bridge);
    printf("dashboard: http://127.0.0.1:%d/\n", port);
    printf("events: http://127.0.0.1:%d/v1/streams/" CHANNEL "/events\n", port);
    fflush(stdout);

    curl_global_init(CURL_GLOBAL_DEFAULT); /* before the client's thread starts */
    pthread_t t;
    int started = pthread_create(&t, NULL, stream_thread, &j) == 0;
    rc = ssekit_bridge_run(j.bridge); /* until Ctrl-C */
    if (started)
        pthread_join(t, NULL); /* publishing after stop fails harmlessly */
    ssekit_bridge_free(j.bridge);
    ssekit_result_free(j.local);
    free(j.patches.data);
    ssekit_request_clear(&j.rq, NULL);
    curl_global_cleanup();
    return rc == SSEKIT_OK && j.ok ? 0 : 1;
}
