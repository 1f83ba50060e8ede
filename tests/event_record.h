/* Test helper: records the client's events (ssekit_event) into an array,
 * every field copied (the event's pointers are only valid during the call),
 * so that a test can look at the whole stream after it ended. Used by the
 * client tests. A failed allocation ends the test program (REQUIRE). */
#ifndef SSEKIT_TEST_EVENT_RECORD_H
#define SSEKIT_TEST_EVENT_RECORD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "clock_ms.h"
#include "dstr.h"
#include "ssekit/ssekit.h"

typedef struct rec {
    ssekit_event_kind kind;
    char *data; /* NULL when the event had none; likewise id, path, type, message */
    size_t len;
    char *id, *path, *type, *message;
    int status, http_status;
    unsigned attempt;
    uint64_t delay_ms, retry_after_ms;
    uint64_t t_ms; /* now_ms() when it was recorded */
    ssekit_error_category category;
    ssekit_delta_kind delta_kind;
    uint32_t index;
    ssekit_stream *stream;
} rec;

typedef struct recs {
    rec *v;
    size_t n, cap;
} recs;

/* Appends a copy of `ev` to `r`. */
static inline void record(recs *r, const ssekit_event *ev)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 64;
        r->v = realloc(r->v, r->cap * sizeof *r->v);
        REQUIRE(r->v);
    }
    rec *x = &r->v[r->n++];
    memset(x, 0, sizeof *x);
    x->kind = ev->kind;
    x->data = dupn(ev->data, ev->data_len);
    x->len = ev->data_len;
    x->id = dupn(ev->id, ev->id_len);
    x->path = dupn(ev->path, ev->path_len);
    x->type = dupn(ev->type, ev->type_len);
    x->message = ev->message ? dupn(ev->message, strlen(ev->message)) : NULL;
    x->status = ev->status;
    x->http_status = ev->http_status;
    x->attempt = ev->attempt;
    x->delay_ms = ev->delay_ms;
    x->retry_after_ms = ev->retry_after_ms;
    x->category = ev->category;
    x->delta_kind = ev->delta_kind;
    x->index = ev->index;
    x->stream = ev->stream;
    x->t_ms = now_ms();
}

/* Frees every copy and empties `r`. */
static inline void recs_free(recs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].data);
        free(r->v[i].id);
        free(r->v[i].path);
        free(r->v[i].type);
        free(r->v[i].message);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* How many recorded events are of kind `k`. */
static inline size_t count_kind(const recs *r, ssekit_event_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->v[i].kind == k;
    return n;
}

/* The last recorded event, NULL when there is none. */
static inline const rec *last(const recs *r)
{
    return r->n ? &r->v[r->n - 1] : NULL;
}

#endif
