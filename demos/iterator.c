/* iterator.c — a structured answer read with a pull loop.
 *
 * No callbacks: the program asks the stream for its next event with
 * ssekit_stream_next(), which drives the transfer while it waits (like
 * hiredis's redisGetReply). The answer is JSON checked against a schema
 * while it grows; each top-level field is printed the moment it is complete,
 * and so is the progress (the share of the schema's required fields done).
 *
 *   cc iterator.c $(pkg-config --cflags --libs ssekit) -o iterator
 *   ./iterator [BASE_URL]
 *
 * Environment as in callback.c (SSEKIT_PROVIDER, SSEKIT_MODEL, SSEKIT_HEADER,
 * the providers' base URL and key variables).
 *
 * Output: "/FIELD = JSON" per top-level field in the order they complete and
 * "progress N%" whenever the estimate grows, then "value: JSON" (the
 * validated answer, compact). Exit 0, or 1
 * with the error (a schema violation included) on stderr. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ssekit/ssekit.h>

#include "example_request.h"

int main(int argc, char **argv)
{
    ssekit_preset preset = {
        .provider = SSEKIT_PROVIDER_OPENAI,
        .base_url = argc > 1 ? argv[1] : NULL,
        .prompt = REVIEW_TEXT,
        .schema = REVIEW_SCHEMA, /* asks for structured output and validates it */
        .schema_name = "review",
    };
    example_preset_from_env(&preset); /* SSEKIT_PROVIDER, SSEKIT_MODEL, SSEKIT_HEADER */
    ssekit_request rq;
    char err[256];
    if (ssekit_request_build(&preset, NULL, &rq, err, sizeof err) != SSEKIT_OK) {
        fprintf(stderr, "iterator: %s\n", err);
        return 1;
    }
    /* Only what we print is queued; DONE and ERROR always end the loop. */
    rq.filter =
        SSEKIT_EVENT_COMPLETE | SSEKIT_EVENT_PROGRESS | SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    ssekit_client *client = ssekit_client_new(NULL);
    ssekit_stream *s = NULL;
    int ok = 0, rc = client ? ssekit_stream_open(client, &rq, &s) : SSEKIT_E_NOMEM;
    const ssekit_event *ev;
    /* 1: an event; 0: the timeout passed (we wait without one: -1);
     * SSEKIT_E_STATE: the stream has ended and its last event was read. */
    while (rc == SSEKIT_OK && ssekit_stream_next(s, &ev, -1) == 1) {
        if (ev->kind == SSEKIT_EVENT_PROGRESS) {
            printf("progress %u%%\n", ev->percent);
        } else if (ev->kind == SSEKIT_EVENT_COMPLETE && ev->path_len > 1 &&
                   !memchr(ev->path + 1, '/', ev->path_len - 1)) {
            /* a top-level field: its path is "/name"; data is compact JSON */
            printf("%.*s = %.*s\n", (int)ev->path_len, ev->path, (int)ev->data_len, ev->data);
        } else if (ev->kind == SSEKIT_EVENT_DONE) {
            printf("value: %.*s\n", (int)ev->data_len, ev->data);
            ok = 1;
        } else if (ev->kind == SSEKIT_EVENT_ERROR) {
            fprintf(stderr, "iterator: %s: %s\n", ssekit_error_category_name(ev->category),
                    ev->message);
        }
    }
    if (rc != SSEKIT_OK)
        fprintf(stderr, "iterator: %s\n", ssekit_strerror(rc));
    ssekit_client_free(client);      /* frees s */
    ssekit_request_clear(&rq, NULL); /* after the stream: it borrowed the schema */
    curl_global_cleanup();
    return ok ? 0 : 1;
}
