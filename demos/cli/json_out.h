/* JSON text output for the ssekit command: strings escaped so that every line
 * the command prints is valid JSON, whatever bytes the stream carried. */
#ifndef SSEKIT_CLI_JSON_OUT_H
#define SSEKIT_CLI_JSON_OUT_H

#include <stddef.h>
#include <stdio.h>

/* Writes s[0..n) as a JSON string literal (with quotes). Valid UTF-8 is
 * written as is; control characters, '"' and '\\' are escaped; a byte that is
 * not part of a valid UTF-8 sequence (possible only with --raw) is written as
 * the escape \u00XX of its value, so the output stays valid JSON. */
void json_out_string(FILE *out, const char *s, size_t n);

/* The same escaping without the surrounding quotes, so that several pieces
 * can make up one JSON string. */
void json_out_chars(FILE *out, const char *s, size_t n);

#endif
