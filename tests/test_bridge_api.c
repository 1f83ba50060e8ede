/* The bridge's in-process API: ssekit_bridge_publish from another thread
 * (inbox + lws_cancel_service), read back over SSE with libcurl; argument
 * checks; clean stop. The protocol itself is tested with independent
 * clients in tests/test_bridge.sh. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdint.h>
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

/* {"text":"x","v":[[...]]}: an object holding `arrays` nested arrays, so
 * arrays + 1 levels deep. */
static char *nested_buf;
static const char *nested(size_t arrays)
{
    free(nested_buf);
    nested_buf = malloc(2 * arrays + 32);
    if (!nested_buf)
        abort();
    char *p = nested_buf;
    p += sprintf(p, "{\"text\":\"x\",\"v\":");
    memset(p, '[', arrays);
    p += arrays;
    memset(p, ']', arrays);
    p += arrays;
    strcpy(p, "}");
    return nested_buf;
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

    /* history_count sizes a ring of pointers per channel: a count whose
     * size wraps around would make a tiny ring that the first messages
     * overflow. Refused, like every count past the documented maximum. */
    ssekit_bridge_options ho;
    ssekit_bridge_options_init(&ho);
    ho.history_count = SIZE_MAX / sizeof(void *) + 2; /* x 8 wraps to 8 bytes */
    b = (ssekit_bridge *)&ho;
    CHECK(ssekit_bridge_new(&b, &ho, NULL) == SSEKIT_E_INVALID && b == NULL);
    ho.history_count = SSEKIT_BRIDGE_MAX_HISTORY + 1;
    CHECK(ssekit_bridge_new(&b, &ho, NULL) == SSEKIT_E_INVALID && b == NULL);

    /* Nesting: yajl's tree and everything that walks it recurse per level,
     * so a deep payload must be refused before it is parsed (a few MB of
     * "[[[[" used to overflow the stack). 256 levels pass, 257 do not. */
    ho.history_count = 0;
    REQUIRE(ssekit_bridge_new(&b, &ho, NULL) == SSEKIT_OK);
    const char *ok = nested(255);
    CHECK(ssekit_bridge_publish(b, "d", "delta", ok, strlen(ok)) == SSEKIT_OK);
    const char *over = nested(256);
    CHECK(ssekit_bridge_publish(b, "d", "delta", over, strlen(over)) == SSEKIT_E_TOO_DEEP);
    const char *deep = nested(2000000);
    CHECK(ssekit_bridge_publish(b, "d", "delta", deep, strlen(deep)) == SSEKIT_E_TOO_DEEP);
    /* brackets inside strings are text, not nesting (nor are escaped quotes) */
    static char str[4096];
    char *p = str + sprintf(str, "{\"text\":\"\\\"");
    memset(p, '[', 3000);
    strcpy(p + 3000, "\"}");
    CHECK(ssekit_bridge_publish(b, "d", "delta", str, strlen(str)) == SSEKIT_OK);
    CHECK(ssekit_bridge_publish(b, "d", "delta", "", 0) == SSEKIT_E_JSON);
    ssekit_bridge_free(b);

    /* The inbox limit counts what the inbox holds, yajl's tree: 100 KB of
     * "1," is 50000 values, several MB of nodes, more than a 1 MiB inbox
     * (it used to be counted as 4 x 100 KB and let in twice). */
    ho.inbox_bytes = 1u << 20;
    REQUIRE(ssekit_bridge_new(&b, &ho, NULL) == SSEKIT_OK);
    size_t n1 = 50000;
    char *ones = malloc(2 * n1 + 64);
    REQUIRE(ones);
    char *q = ones + sprintf(ones, "{\"text\":\"x\",\"v\":[");
    for (size_t i = 0; i < n1; i++)
        q += sprintf(q, i ? ",1" : "1");
    strcpy(q, "]}");
    CHECK(ssekit_bridge_publish(b, "d", "delta", ones, strlen(ones)) == SSEKIT_E_TOO_LARGE);
    /* as many bytes in one string are a few nodes: accepted */
    q = ones + sprintf(ones, "{\"text\":\"x\",\"v\":\"");
    memset(q, 'a', 2 * n1);
    strcpy(q + 2 * n1, "\"}");
    CHECK(ssekit_bridge_publish(b, "d", "delta", ones, strlen(ones)) == SSEKIT_OK);
    free(ones);
    ssekit_bridge_free(b);
    free(nested_buf);
    (void)check_read_file;
    curl_global_cleanup();
    return check_done("bridge_api");
}
