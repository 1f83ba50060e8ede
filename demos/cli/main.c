/* ssekit — the command line tool. `ssekit help` lists the subcommands. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ssekit/version.h"

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"events", cmd_events, "parse an SSE stream and print its events as JSON lines"},
    {"replay", cmd_replay, "serve recorded LLM streams over HTTP, with fault injection"},
    {"partial", cmd_partial, "decode a provider stream into its structured result, as it grows"},
    {"batch", cmd_batch, "run one streamed request per input line, at bounded concurrency"},
    {"stream", cmd_stream, "stream one request (a provider or any SSE URL) as JSON event lines"},
    {"complete", cmd_complete, "one structured completion: the validated JSON value, or the error"},
    {"watch", cmd_watch, "show a stream live in a terminal UI (plain lines when piped)"},
};

int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    if (!s || *s < '0' || *s > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (*end == 'k' || *end == 'K')
        shift = 10, end++;
    else if (*end == 'M')
        shift = 20, end++;
    else if (*end == 'G')
        shift = 30, end++;
    if (errno || *end || v > (SIZE_MAX >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ssekit COMMAND [OPTIONS] [FILE|-]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n`ssekit COMMAND --help` describes one command. Version %s.\n", ssekit_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("ssekit %s\n", ssekit_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "ssekit: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
