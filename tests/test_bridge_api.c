/* The bridge's in-process API: ssekit_bridge_publish from another thread
 * (inbox + lws_cancel_service), read back over SSE with libcurl; argument
 * checks; clean stop. The protocol itself is tested with independent
 * clients in tests/test_bridge.sh. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ssekit/bridge.h"

#define N_MSGS 2000

typedef struct reader {
    char buf[1 << 16];
    size_t len;
    int count;    /* data lines seen */
    int in_order; /* every seq was count+1 */
    int text_ok;  /* every text matched its seq */
} reader;

static size_t on_data(char *p, size_t sz, size_t n, void *u)
{
    reader *r = u;
    size_t len = sz * n;
    if (r->len + len >= sizeof r->buf)
        return 0;
    memcpy(r->buf + r->len, p, len);
    r->len += len;
    r->buf[r->len] = '\0';
    char *line;
    while ((line = strstr(r->buf, "\n\n")) != NULL) {
        *line = '\0';
        const char *d = strstr(r->buf, "data: ");
        unsigned long long seq = 0;
        char text[64] = "";
        if (d &&
            sscanf(d,
                   "data: {\"channel\":\"c\",\"seq\":%llu,\"type\":\"delta\",\"text\":\"%63[^\"]",
                   &seq, text) == 2) {
            r->count++;
            if (seq != (unsigned long long)r->count)
                r->in_order = 0;
            char want[64];
            snprintf(want, sizeof want, "m%llu", seq);
            if (strcmp(text, want) != 0)
                r->text_ok = 0;
        }
        size_t used = (size_t)(line + 2 - r->buf);
        memmove(r->buf, line + 2, r->len - used + 1);
        r->len -= used;
    }
    return r->count >= N_MSGS ? 0 : len; /* 0 ends the transfer */
}

static void *run_bridge(void *arg)
{
    ssekit_bridge_run(arg);
    return NULL;
}

static void *publisher(void *arg)
{
    ssekit_bridge *b = arg;
    for (int i = 1; i <= N_MSGS; i++) {
        char json[64];
        int n = snprintf(json, sizeof json, "{\"text\":\"m%d\"}", i);
        while (ssekit_bridge_publish(b, "c", "delta", json, (size_t)n) == SSEKIT_E_TOO_LARGE)
            ; /* inbox full: the service thread is behind; try again */
    }
    return NULL;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ssekit_bridge_options o;
    ssekit_bridge_options_init(&o);
    /* The reader may start late: everything must still be in the history
     * and within its backlog, or it would (rightly) get a snapshot. */
    o.history_count = o.backlog_count = N_MSGS;
    o.backlog_bytes = o.history_bytes;
    ssekit_bridge *b = NULL;
    REQUIRE(ssekit_bridge_new(&b, &o, NULL) == SSEKIT_OK);
    CHECK(ssekit_bridge_port(b) > 0);

    /* argument checks: nothing reaches the inbox */
    CHECK(ssekit_bridge_publish(b, "bad name", "delta", "{\"text\":\"x\"}", 12) ==
          SSEKIT_E_INVALID);
    CHECK(ssekit_bridge_publish(b, "c", "nope", "{}", 2) == SSEKIT_E_INVALID);
    CHECK(ssekit_bridge_publish(b, "c", "delta", "{\"text\":", 8) == SSEKIT_E_JSON);
    CHECK(ssekit_bridge_publish(b, "c", "delta", "[1]", 3) == SSEKIT_E_JSON);
    CHECK(ssekit_bridge_publish(b, "c", "delta", "{\"txt\":\"x\"}", 11) == SSEKIT_E_INVALID);
    CHECK(ssekit_bridge_publish(b, "c", "usage", "{\"seq\":1}", 9) == SSEKIT_E_INVALID);
    const char *bad_patch = "{\"patches\":[{\"op\":\"append\",\"path\":\"\"}]}";
    CHECK(ssekit_bridge_publish(b, "c", "patch", bad_patch, strlen(bad_patch)) == SSEKIT_E_INVALID);

    pthread_t tb, tp;
    REQUIRE(pthread_create(&tb, NULL, run_bridge, b) == 0);
    REQUIRE(pthread_create(&tp, NULL, publisher, b) == 0);

    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/streams/c/events", ssekit_bridge_port(b));
    reader *r = calloc(1, sizeof *r);
    REQUIRE(r);
    r->in_order = r->text_ok = 1;
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    curl_easy_perform(h);
    curl_easy_cleanup(h);
    pthread_join(tp, NULL);
    CHECKF(r->count == N_MSGS, "SSE reader got %d of %d messages published from another thread",
           r->count, N_MSGS);
    CHECK(r->in_order);
    CHECK(r->text_ok);
    free(r);

    ssekit_bridge_stop(b);
    pthread_join(tb, NULL);
    CHECK(ssekit_bridge_publish(b, "c", "delta", "{\"text\":\"late\"}", 15) == SSEKIT_E_STATE);
    ssekit_bridge_free(b);
    ssekit_bridge_free(NULL);

    /* TLS options: both or neither; files that cannot be loaded are an I/O
     * error, and nothing is left behind (ASan's leak check) */
    ssekit_bridge_options t;
    ssekit_bridge_options_init(&t);
    t.cert_path = "/nonexistent/cert.pem";
    b = (ssekit_bridge *)&t; /* must be reset on failure */
    CHECK(ssekit_bridge_new(&b, &t, NULL) == SSEKIT_E_INVALID && b == NULL);
    t.cert_path = NULL;
    t.key_path = "/nonexistent/key.pem";
    CHECK(ssekit_bridge_new(&b, &t, NULL) == SSEKIT_E_INVALID && b == NULL);
    t.cert_path = "/nonexistent/cert.pem";
    CHECK(ssekit_bridge_new(&b, &t, NULL) == SSEKIT_E_IO && b == NULL);
    (void)check_read_file;
    curl_global_cleanup();
    return check_done("bridge_api");
}
