/* Test helper: runs the SSE parser over an input split in a chosen way and
 * records everything the callbacks saw as one byte string, so that two runs
 * can be compared exactly. Used by the parser's test and its fuzzer. */
#ifndef SSEKIT_TEST_SSE_RECORD_H
#define SSEKIT_TEST_SSE_RECORD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ssekit/sse_parser.h"

typedef struct sse_record {
    char *p;
    size_t len, cap;
    size_t events, retries, comments, errors;
    int stop_every; /* make every callback return non-zero (stop/resume test) */
} sse_record;

static void rec_put(sse_record *r, const void *s, size_t n)
{
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 256;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *p = realloc(r->p, cap);
        if (!p)
            abort();
        r->p = p;
        r->cap = cap;
    }
    memcpy(r->p + r->len, s, n);
    r->len += n;
    r->p[r->len] = 0;
}

/* Fields are length-prefixed so that any byte content compares exactly. */
static void rec_field(sse_record *r, const char *s, size_t n)
{
    char head[32];
    int k = snprintf(head, sizeof head, "%zu:", n);
    rec_put(r, head, (size_t)k);
    rec_put(r, s, n);
}

static int rec_event(void *u, const ssekit_sse_event *ev)
{
    sse_record *r = u;
    r->events++;
    rec_put(r, "E", 1);
    rec_field(r, ev->type, ev->type_len);
    rec_field(r, ev->data, ev->data_len);
    rec_field(r, ev->id, ev->id_len);
    return r->stop_every;
}

static int rec_retry(void *u, uint64_t ms)
{
    sse_record *r = u;
    char b[32];
    int k = snprintf(b, sizeof b, "R%llu;", (unsigned long long)ms);
    r->retries++;
    rec_put(r, b, (size_t)k);
    return r->stop_every;
}

static int rec_comment(void *u, const char *s, size_t n)
{
    sse_record *r = u;
    r->comments++;
    rec_put(r, "C", 1);
    rec_field(r, s, n);
    return r->stop_every;
}

static int rec_error(void *u, const ssekit_sse_error *e)
{
    sse_record *r = u;
    char b[64];
    int k = snprintf(b, sizeof b, "X%d@%llu;", (int)e->code, (unsigned long long)e->offset);
    r->errors++;
    rec_put(r, b, (size_t)k);
    return r->stop_every;
}

static const ssekit_sse_callbacks rec_callbacks = {rec_event, rec_retry, rec_comment, rec_error};

/* Feeds `buf` to `p` in the pieces given by cut points (sorted offsets),
 * re-feeding the unconsumed rest whenever a callback stopped the parser.
 * Returns the worst unexpected status seen (0 when all went as documented). */
static int rec_feed_cuts(ssekit_sse_parser *p, const char *buf, size_t len, const size_t *cuts,
                         size_t ncuts)
{
    size_t start = 0;
    int bad = 0;
    for (size_t i = 0; i <= ncuts; i++) {
        size_t stop = i < ncuts ? cuts[i] : len;
        if (stop > len)
            stop = len;
        if (stop < start)
            stop = start;
        while (start < stop) {
            int rc = ssekit_sse_feed(p, buf + start, stop - start);
            size_t used = ssekit_sse_parser_consumed(p);
            if (rc == SSEKIT_E_STOPPED) {
                if (used > stop - start || used == 0) {
                    bad = -100;
                    break;
                }
                start += used;
                continue;
            }
            if (rc != SSEKIT_OK && rc != SSEKIT_E_LINE_TOO_LONG && rc != SSEKIT_E_EVENT_TOO_LARGE &&
                rc != SSEKIT_E_NOMEM)
                bad = rc;
            if (used != stop - start)
                bad = -101;
            start = stop;
        }
    }
    return bad;
}

#endif
