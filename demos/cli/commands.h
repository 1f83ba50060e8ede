/* The subcommands of the ssekit command, one file each (cmd_NAME.c). Each
 * takes the arguments after its name and returns the process exit code:
 * 0 success, 1 the input had errors (reported on stderr), 2 usage or I/O. */
#ifndef SSEKIT_CLI_COMMANDS_H
#define SSEKIT_CLI_COMMANDS_H

int cmd_events(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_partial(int argc, char **argv);
int cmd_batch(int argc, char **argv);
int cmd_stream(int argc, char **argv);
int cmd_complete(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* Parses a non-negative size with an optional k/M/G suffix (powers of 1024).
 * Returns 0 and sets *out, or -1. */
int parse_size(const char *s, size_t *out);

#endif
