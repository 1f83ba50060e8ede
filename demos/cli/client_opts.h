/* The options `ssekit stream` and `ssekit complete` share: which provider,
 * where, which model, the schema, the prompt and the request's knobs. */
#ifndef SSEKIT_CLI_CLIENT_OPTS_H
#define SSEKIT_CLI_CLIENT_OPTS_H

#include <stddef.h>
#include <stdio.h>

#include "ssekit/ssekit.h"

#define CLIENT_OPTS_MAX_HEADERS 32

typedef struct client_opts {
    int provider; /* ssekit_provider, or -1 when not given */
    const char *url, *base_url, *model, *schema_path, *prompt, *system;
    char *schema_text;   /* read from schema_path by client_opts_finish() */
    char *prompt_text;   /* read from stdin for --prompt - */
    unsigned max_tokens; /* 0: none */
    double temperature;
    int has_temperature;
    const char *headers[CLIENT_OPTS_MAX_HEADERS];
    size_t header_count;
    long timeout_ms;      /* total per request; 0: none */
    ssekit_limits limits; /* --max-line, --max-event, ...; 0: the defaults */
} client_opts;

/* Sets the defaults. */
void client_opts_init(client_opts *o);

/* Tries argv[*i] (and its value) as a shared option. Returns 1 when it was
 * one (*i is advanced past its value), 0 when it is not a shared option, -1
 * on a bad value (message on stderr, prefixed with `cmd`). */
int client_opts_parse(client_opts *o, const char *cmd, int argc, char **argv, int *i);

/* After parsing: picks the provider (raw when only --url is given, else
 * openai), reads the schema file and a "-" prompt. `need_prompt`: a provider
 * request needs a prompt. Returns 0, or -1 with a message on stderr. */
int client_opts_finish(client_opts *o, const char *cmd, int need_prompt);

/* Fills a preset (pointers into o; valid while o is). The key and the base
 * URL come from the environment unless --url / --base-url were given. */
void client_opts_preset(const client_opts *o, ssekit_preset *p);

/* Builds the request for a provider (preset) and prints a clear message on
 * failure, e.g. a missing key. Returns 0 or -1. */
int client_opts_build(const client_opts *o, const char *cmd, ssekit_request *rq);

/* The shared options' lines for --help. */
void client_opts_usage(FILE *f);

void client_opts_free(client_opts *o);

#endif
