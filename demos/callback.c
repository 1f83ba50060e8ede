/* callback.c — one streamed answer, driven by callbacks only.
 *
 * The stream is opened with a callback; ssekit_client_run() drives the
 * transfer and calls it for every event: the text as it arrives, a retry,
 * the usage, the end. Nothing is polled.
 *
 *   cc callback.c $(pkg-config --cflags --libs ssekit) -o callback
 *   ./callback                              # OpenAI, OPENAI_API_KEY from the environment
 *   ./callback http://127.0.0.1:8080/v1     # any OpenAI-compatible server (or `ssekit replay`)
 *
 * Environment: OPENAI_BASE_URL / ANTHROPIC_BASE_URL (when no URL is given),
 * OPENAI_API_KEY / ANTHROPIC_API_KEY (not needed for a loopback URL),
 * SSEKIT_PROVIDER (openai, anthropic or responses; default openai),
 * SSEKIT_MODEL, SSEKIT_HEADER (one extra "Name: value" request header).
 *
 * Output: the answer's text as it streams, then one line
 * "[done] finish=REASON input_tokens=N output_tokens=N". Exit 0, or 1 with
 * the error on stderr. */
#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <ssekit/ssekit.h>

#include "example_request.h"

struct state {
    int ok; /* set by the DONE event */
};

/* Called from inside ssekit_client_run() for each event of the stream. The
 * event and its strings live only during the call. */
static int on_event(void *user, const ssekit_event *ev)
{
    struct state *st = user;
    switch (ev->kind) {
    case SSEKIT_EVENT_DELTA:
        if (ev->delta_kind == SSEKIT_DELTA_TEXT || ev->delta_kind == SSEKIT_DELTA_TOOL_CALL) {
            fwrite(ev->data, 1, ev->data_len,
                   stdout); /* tool calls: Anthropic's structured output */
            fflush(stdout);
        }
        break;
    case SSEKIT_EVENT_RETRY:
        fprintf(stderr, "[retry %u in %" PRIu64 " ms: %s]\n", ev->attempt, ev->delay_ms,
                ev->message);
        break;
    case SSEKIT_EVENT_DONE:
        printf("\n[done] finish=%s input_tokens=%" PRId64 " output_tokens=%" PRId64 "\n",
               ev->finish_reason ? ev->finish_reason : "none", ev->usage.input_tokens,
               ev->usage.output_tokens);
        st->ok = 1;
        break;
    case SSEKIT_EVENT_ERROR:
        fprintf(stderr, "\n[error] %s: %s\n", ssekit_error_category_name(ev->category),
                ev->message);
        break;
    default:
        break;
    }
    return 0; /* non-zero would cancel the stream */
}

int main(int argc, char **argv)
{
    ssekit_preset preset = {
        .provider = SSEKIT_PROVIDER_OPENAI,
        .base_url = argc > 1 ? argv[1] : NULL, /* NULL: the environment, then the official URL */
        .prompt = REVIEW_TEXT,
    };
    example_preset_from_env(&preset); /* SSEKIT_PROVIDER, SSEKIT_MODEL, SSEKIT_HEADER */

    /* The preset becomes a request: URL, headers, JSON body. */
    ssekit_request rq;
    char err[256];
    if (ssekit_request_build(&preset, NULL, &rq, err, sizeof err) != SSEKIT_OK) {
        fprintf(stderr, "callback: %s\n", err); /* e.g. no API key: never printed itself */
        return 1;
    }
    struct state st = {0};
    rq.callback = on_event; /* events go to the callback instead of a queue */
    rq.user = &st;

    curl_global_init(CURL_GLOBAL_DEFAULT); /* once per program, before any client */
    ssekit_client *client = ssekit_client_new(NULL);
    ssekit_stream *stream = NULL;
    int rc = client ? ssekit_stream_open(client, &rq, &stream) : SSEKIT_E_NOMEM;
    if (rc == SSEKIT_OK)
        rc = ssekit_client_run(client, -1); /* returns once the stream has ended */
    if (rc != SSEKIT_OK)
        fprintf(stderr, "callback: %s\n", ssekit_strerror(rc));
    ssekit_client_free(client); /* frees the stream too */
    ssekit_request_clear(&rq, NULL);
    curl_global_cleanup();
    return rc == SSEKIT_OK && st.ok ? 0 : 1;
}
