/* Subscribes to one SSE URL through ssekit's client (raw stream, WHATWG
 * reconnect) and prints what happens, one tab-separated line per event, for
 * tests/test_nchan.sh to judge:
 *
 *     open <status> | sse <id> <data> | reconnect <last-event-id> <reason>
 *     | done | error <category> <message> | timeout
 *
 * usage: nchan_sub URL COUNT TIMEOUT_MS RECONNECT_MS
 * Stops (exit 0) after COUNT SSE events; exit 1 on an error event, on the
 * timeout, or when the stream ends first. Not a test_*.c: ctest would run it
 * without arguments. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "ssekit/ssekit.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: nchan_sub URL COUNT TIMEOUT_MS RECONNECT_MS\n");
        return 2;
    }
    long want = strtol(argv[2], NULL, 10), timeout_ms = strtol(argv[3], NULL, 10);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_request rq = {.url = argv[1],
                         .reconnect = 1,
                         .reconnect_ms = strtoull(argv[4], NULL, 10),
                         /* nchan only sends its keep-alive comment at the
                          * start: an idle subscriber is not a dead one */
                         .idle_timeout_ms = -1};
    ssekit_stream *s = NULL;
    int rc = c ? ssekit_stream_open(c, &rq, &s) : SSEKIT_E_NOMEM;
    if (rc != SSEKIT_OK) {
        fprintf(stderr, "nchan_sub: %s\n", ssekit_strerror(rc));
        return 2;
    }
    long got = 0;
    int status = 1;
    const ssekit_event *ev;
    while (got < want) {
        rc = ssekit_stream_next(s, &ev, timeout_ms);
        if (rc == 0) {
            printf("timeout\n");
            break;
        }
        if (rc < 0) {
            printf("ended\n");
            break;
        }
        switch (ev->kind) {
        case SSEKIT_EVENT_OPEN:
            printf("open\t%d\n", ev->http_status);
            break;
        case SSEKIT_EVENT_SSE:
            printf("sse\t%s\t%s\n", ev->id, ev->data);
            got++;
            break;
        case SSEKIT_EVENT_RECONNECT:
            printf("reconnect\t%s\t%s\n", ev->id, ev->message);
            break;
        case SSEKIT_EVENT_DONE:
            printf("done\n");
            break;
        case SSEKIT_EVENT_ERROR:
            printf("error\t%s\t%s\n", ssekit_error_category_name(ev->category), ev->message);
            break;
        default:
            break;
        }
        fflush(stdout);
        if (ev->kind == SSEKIT_EVENT_DONE || ev->kind == SSEKIT_EVENT_ERROR)
            break;
    }
    if (got == want)
        status = 0;
    ssekit_client_free(c);
    curl_global_cleanup();
    return status;
}
