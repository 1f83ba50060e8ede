/* The replay server as a client test's upstream: one call that initialises
 * libcurl and starts the server on an ephemeral loopback port. */
#ifndef SSEKIT_TEST_REPLAY_FIXTURE_H
#define SSEKIT_TEST_REPLAY_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include <curl/curl.h>

#include "check.h"
#include "replay.h"

/* Calls curl_global_init() and starts the server with default options. Ends
 * the test program (exit status 1, the reason on stderr) when it cannot.
 * Stop it with ssekit_replay_stop(). */
static inline ssekit_replay *replay_fixture_start(void)
{
    REQUIRE(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
    char err[256] = "";
    ssekit_replay_options o = {0};
    o.error = err;
    o.error_len = sizeof err;
    ssekit_replay *srv = ssekit_replay_start(&o);
    if (!srv) {
        fprintf(stderr, "replay server: %s\n", err);
        exit(1);
    }
    return srv;
}

#endif
