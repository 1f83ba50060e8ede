/* The replay server as a test's upstream, on an ephemeral loopback port: one
 * call that initialises libcurl and starts it with the defaults, one that
 * starts it with given options; both end the test program on failure. And
 * its bundled transcripts (demos/transcripts/NAME.sse) read and parsed here,
 * independently of the server and the client, for the expected values. */
#ifndef SSEKIT_TEST_REPLAY_FIXTURE_H
#define SSEKIT_TEST_REPLAY_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "check.h"
#include "replay.h"
#include "ssekit/sse_parser.h"

/* Starts the server with options `o` (NULL: the defaults; its error and
 * error_len are used here and left NULL and 0). Ends the test program (exit
 * status 1, the reason on stderr) when it cannot. Leaves libcurl alone. Stop
 * it with ssekit_replay_stop(). */
static inline ssekit_replay *replay_fixture_start_with(ssekit_replay_options *o)
{
    ssekit_replay_options defaults = {0};
    if (!o)
        o = &defaults;
    char err[256] = "";
    o->error = err;
    o->error_len = sizeof err;
    ssekit_replay *srv = ssekit_replay_start(o);
    o->error = NULL;
    o->error_len = 0;
    if (!srv) {
        fprintf(stderr, "replay server: %s\n", err);
        exit(1);
    }
    return srv;
}

/* The bytes of bundled transcript NAME (malloc'd, NUL-terminated, the length
 * in *len); ends the test program when it cannot be read. */
static inline char *replay_fixture_transcript(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/demos/transcripts/%s.sse", SSEKIT_SOURCE_DIR, name);
    return check_read_file(path, len);
}

/* Parses bundled transcript NAME with ssekit's SSE parser in one piece:
 * `on_event` gets every event, with `user`. */
static inline void replay_fixture_parse(const char *name,
                                        int (*on_event)(void *user, const ssekit_sse_event *ev),
                                        void *user)
{
    size_t len;
    char *text = replay_fixture_transcript(name, &len);
    ssekit_sse_callbacks cb = {.on_event = on_event};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&cb, user, NULL);
    REQUIRE(p);
    ssekit_sse_feed(p, text, len);
    ssekit_sse_finish(p);
    ssekit_sse_parser_free(p);
    free(text);
}

/* Calls curl_global_init() and starts the server with default options. Ends
 * the test program (exit status 1, the reason on stderr) when it cannot.
 * Stop it with ssekit_replay_stop(). */
static inline ssekit_replay *replay_fixture_start(void)
{
    REQUIRE(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
    return replay_fixture_start_with(NULL);
}

#endif
