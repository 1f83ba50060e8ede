/* A very small test harness shared by the test programs.
 *
 * CHECK(cond) records one check; a failure prints the file, line and the
 * expression (with an optional printf-style note via CHECKF). check_done()
 * prints "N passed, N failed" and returns the process exit code. */
#ifndef SSEKIT_TEST_CHECK_H
#define SSEKIT_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long check_passed, check_failed;

static void check_fail_note(const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: check failed: %s", file, line, expr);
    if (fmt && *fmt) {
        fputs(" -- ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
}

#define CHECKF(cond, ...)                                                                          \
    do {                                                                                           \
        if (cond) {                                                                                \
            check_passed++;                                                                        \
        } else {                                                                                   \
            check_failed++;                                                                        \
            check_fail_note(__FILE__, __LINE__, #cond, __VA_ARGS__);                               \
        }                                                                                          \
    } while (0)

#define CHECK(cond) CHECKF(cond, "%s", "")

/* Aborts the test program when a precondition of the test itself fails. */
#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: required: %s\n", __FILE__, __LINE__, #cond);                   \
            exit(2);                                                                               \
        }                                                                                          \
    } while (0)

static int check_done(const char *suite)
{
    printf("%s: %lu passed, %lu failed\n", suite, check_passed, check_failed);
    return check_failed ? 1 : (check_passed ? 0 : 1);
}

/* Reads a whole file into a malloc'd buffer (NUL-terminated); exits on error. */
static char *check_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    REQUIRE(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
            REQUIRE(buf);
        }
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

#endif
