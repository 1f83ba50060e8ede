/* The request log. Each entry is one allocation (struct, header array and
 * strings packed together), so a snapshot is a copy of a few blocks and a
 * reader never holds the lock while the caller looks at it. */
#include "replay_log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc_internal.h"
#include "replay_json.h"

static const char REDACTED[] = "[redacted]";

/* Headers whose values are secrets: never stored. */
static int is_secret(const char *name)
{
    return !strcasecmp(name, "Authorization") || !strcasecmp(name, "Proxy-Authorization") ||
           !strcasecmp(name, "x-api-key") || !strcasecmp(name, "api-key");
}

int rp_log_init(rp_log *log, const ssekit_alloc_funcs *a, unsigned cap)
{
    memset(log, 0, sizeof *log);
    log->a = a;
    log->cap = cap;
    log->next_seq = log->first_seq = 1;
    log->ring = sk_malloc(a, cap * sizeof *log->ring);
    if (!log->ring)
        return -1;
    memset(log->ring, 0, cap * sizeof *log->ring);
    if (pthread_mutex_init(&log->mu, NULL)) {
        sk_free(a, log->ring);
        return -1;
    }
    return 0;
}

static void forget_keys(rp_log *log)
{
    for (size_t i = 0; i < log->n_keys; i++)
        sk_free(log->a, log->keys[i].key);
    log->n_keys = 0;
}

void rp_log_free(rp_log *log)
{
    for (unsigned i = 0; i < log->cap; i++)
        free(log->ring[i]);
    sk_free(log->a, log->ring);
    forget_keys(log);
    sk_free(log->a, log->keys);
    pthread_mutex_destroy(&log->mu);
}

uint64_t rp_log_count_key(rp_log *log, const char *key)
{
    uint64_t n = 0;
    pthread_mutex_lock(&log->mu);
    for (size_t i = 0; i < log->n_keys && !n; i++)
        if (!strcmp(log->keys[i].key, key))
            n = ++log->keys[i].count;
    if (!n) {
        if (!log->keys)
            log->keys = sk_malloc(log->a, RP_LOG_MAX_KEYS * sizeof *log->keys);
        char *copy = sk_malloc(log->a, strlen(key) + 1);
        if (log->keys && copy) {
            if (log->n_keys == RP_LOG_MAX_KEYS) {
                sk_free(log->a, log->keys[0].key);
                memmove(log->keys, log->keys + 1, (RP_LOG_MAX_KEYS - 1) * sizeof *log->keys);
                log->n_keys--;
            }
            strcpy(copy, key);
            log->keys[log->n_keys].key = copy;
            log->keys[log->n_keys++].count = n = 1;
        } else {
            sk_free(log->a, copy);
        }
    }
    pthread_mutex_unlock(&log->mu);
    return n;
}

/* --- packing --------------------------------------------------------------- */

static size_t ssize(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static size_t strings_size(const ssekit_replay_request *e)
{
    size_t n = ssize(e->method) + ssize(e->path) + ssize(e->query) + ssize(e->last_event_id) +
               ssize(e->key) + ssize(e->transcript) + ssize(e->fault) + e->body_len + 1;
    for (size_t i = 0; i < e->header_count; i++)
        n += ssize(e->headers[i].name) + ssize(e->headers[i].value);
    return n;
}

static const char *put(char **dst, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = *dst;
    memcpy(d, s, n);
    *dst += n;
    return d;
}

/* Copies n entries into one malloc'd block: structs, header arrays, strings. */
static ssekit_replay_request *pack(ssekit_replay_request *const *src, size_t n)
{
    size_t hdrs = 0, strs = 0;
    for (size_t i = 0; i < n; i++) {
        hdrs += src[i]->header_count * sizeof(ssekit_replay_header);
        strs += strings_size(src[i]);
    }
    char *blk = malloc(n * sizeof(ssekit_replay_request) + hdrs + strs);
    if (!blk)
        return NULL;
    ssekit_replay_request *out = (ssekit_replay_request *)(void *)blk;
    ssekit_replay_header *h =
        (ssekit_replay_header *)(void *)(blk + n * sizeof(ssekit_replay_request));
    char *s = (char *)(h) + hdrs;
    for (size_t i = 0; i < n; i++) {
        const ssekit_replay_request *e = src[i];
        ssekit_replay_request *o = &out[i];
        *o = *e;
        o->method = put(&s, e->method);
        o->path = put(&s, e->path);
        o->query = put(&s, e->query);
        o->last_event_id = put(&s, e->last_event_id);
        o->key = put(&s, e->key);
        o->transcript = put(&s, e->transcript);
        o->fault = put(&s, e->fault);
        o->headers = h;
        for (size_t j = 0; j < e->header_count; j++) {
            h[j].name = put(&s, e->headers[j].name);
            h[j].value = put(&s, e->headers[j].value);
        }
        h += e->header_count;
        if (e->body_len)
            memcpy(s, e->body, e->body_len);
        s[e->body_len] = 0;
        o->body = s;
        s += e->body_len + 1;
    }
    return out;
}

uint64_t rp_log_add(rp_log *log, const rp_log_input *in, int streaming)
{
    ssekit_replay_request e = {0};
    ssekit_replay_header *hv = malloc((in->n_headers ? in->n_headers : 1) * sizeof *hv);
    if (!hv)
        return 0;
    for (size_t i = 0; i < in->n_headers; i++) {
        hv[i].name = in->headers[i].name;
        hv[i].value = is_secret(in->headers[i].name) ? REDACTED : in->headers[i].value;
    }
    e.t_ms = in->t_ms;
    e.method = in->method;
    e.path = in->path;
    e.query = in->query ? in->query : "";
    e.headers = hv;
    e.header_count = in->n_headers;
    e.last_event_id = in->last_event_id;
    e.key = in->key;
    e.attempt = in->attempt;
    e.body = in->body ? in->body : "";
    e.body_len = in->body ? in->body_len : 0;
    if (e.body_len > SSEKIT_REPLAY_LOG_BODY_MAX) {
        e.body_len = SSEKIT_REPLAY_LOG_BODY_MAX;
        e.body_truncated = 1;
    }
    e.transcript = in->transcript;
    e.fault = in->fault;
    e.fault_applied = in->fault_applied;
    e.status = in->status;
    e.end = streaming ? "open" : "complete";
    ssekit_replay_request *src = &e, *entry = pack(&src, 1);
    free(hv);
    if (!entry)
        return 0;
    pthread_mutex_lock(&log->mu);
    entry->seq = log->next_seq++;
    size_t slot = (size_t)((entry->seq - 1) % log->cap);
    free(log->ring[slot]);
    log->ring[slot] = entry;
    pthread_mutex_unlock(&log->mu);
    return entry->seq;
}

/* The entry `seq` or NULL; call with the lock held. */
static ssekit_replay_request *find(rp_log *log, uint64_t seq)
{
    if (seq < log->first_seq || seq >= log->next_seq || log->next_seq - seq > log->cap)
        return NULL;
    ssekit_replay_request *e = log->ring[(seq - 1) % log->cap];
    return e && e->seq == seq ? e : NULL;
}

void rp_log_update(rp_log *log, uint64_t seq, uint64_t events, const char *end)
{
    pthread_mutex_lock(&log->mu);
    ssekit_replay_request *e = find(log, seq);
    if (e) {
        e->events = events;
        if (end)
            e->end = end;
    }
    pthread_mutex_unlock(&log->mu);
}

/* The live entries, oldest first, into v (cap entries); returns the count. */
static size_t live(rp_log *log, ssekit_replay_request **v)
{
    size_t n = 0;
    uint64_t from =
        log->next_seq - log->first_seq > log->cap ? log->next_seq - log->cap : log->first_seq;
    for (uint64_t s = from; s < log->next_seq; s++) {
        ssekit_replay_request *e = find(log, s);
        if (e)
            v[n++] = e;
    }
    return n;
}

ssekit_replay_request *rp_log_snapshot(rp_log *log, size_t *count)
{
    *count = 0;
    ssekit_replay_request **v = malloc(log->cap * sizeof *v), *out = NULL;
    if (!v)
        return NULL;
    pthread_mutex_lock(&log->mu);
    size_t n = live(log, v);
    if (n && (out = pack(v, n)))
        *count = n;
    pthread_mutex_unlock(&log->mu);
    free(v);
    return out;
}

static int entry_json(sk_buf *b, const ssekit_alloc_funcs *a, const ssekit_replay_request *e)
{
    char num[160];
    int rc = 0;
    snprintf(num, sizeof num, "{\"seq\": %" PRIu64 ", \"t_ms\": %" PRIu64 ", \"method\": ", e->seq,
             e->t_ms);
    rc |= rp_json_raw(b, a, num);
    rc |= rp_json_str_or_null(b, a, e->method);
    rc |= rp_json_raw(b, a, ", \"path\": ");
    rc |= rp_json_str_or_null(b, a, e->path);
    rc |= rp_json_raw(b, a, ", \"query\": ");
    rc |= rp_json_str_or_null(b, a, e->query);
    rc |= rp_json_raw(b, a, ", \"headers\": [");
    for (size_t i = 0; i < e->header_count; i++) {
        rc |= rp_json_raw(b, a, i ? ", [" : "[");
        rc |= rp_json_str_or_null(b, a, e->headers[i].name);
        rc |= rp_json_raw(b, a, ", ");
        rc |= rp_json_str_or_null(b, a, e->headers[i].value);
        rc |= rp_json_raw(b, a, "]");
    }
    rc |= rp_json_raw(b, a, "], \"last_event_id\": ");
    rc |= rp_json_str_or_null(b, a, e->last_event_id);
    rc |= rp_json_raw(b, a, ", \"key\": ");
    rc |= rp_json_str_or_null(b, a, e->key);
    snprintf(num, sizeof num, ", \"attempt\": %" PRIu64 ", \"body\": ", e->attempt);
    rc |= rp_json_raw(b, a, num);
    rc |= rp_json_str(b, a, e->body, e->body_len);
    rc |= rp_json_raw(b, a,
                      e->body_truncated ? ", \"body_truncated\": true, \"transcript\": "
                                        : ", \"body_truncated\": false, \"transcript\": ");
    rc |= rp_json_str_or_null(b, a, e->transcript);
    rc |= rp_json_raw(b, a, ", \"fault\": ");
    rc |= rp_json_str_or_null(b, a, e->fault);
    snprintf(num, sizeof num,
             ", \"fault_applied\": %s, \"status\": %d, \"events\": %" PRIu64 ", \"end\": ",
             e->fault_applied ? "true" : "false", e->status, e->events);
    rc |= rp_json_raw(b, a, num);
    rc |= rp_json_str_or_null(b, a, e->end);
    rc |= rp_json_raw(b, a, "}");
    return rc;
}

char *rp_log_json(rp_log *log, const char *key)
{
    sk_buf b = {0};
    const ssekit_alloc_funcs *a = log->a;
    ssekit_replay_request **v = malloc(log->cap * sizeof *v);
    if (!v)
        return NULL;
    int rc = rp_json_raw(&b, a, "[");
    pthread_mutex_lock(&log->mu);
    size_t n = live(log, v), shown = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if (key && (!v[i]->key || strcmp(v[i]->key, key)))
            continue;
        rc |= rp_json_raw(&b, a, shown++ ? ",\n " : "");
        rc |= entry_json(&b, a, v[i]);
    }
    pthread_mutex_unlock(&log->mu);
    free(v);
    rc |= rp_json_raw(&b, a, "]\n");
    if (rc) {
        sk_buf_free(a, &b);
        return NULL;
    }
    b.p[b.len] = 0;
    return b.p;
}

void rp_log_clear(rp_log *log)
{
    pthread_mutex_lock(&log->mu);
    for (unsigned i = 0; i < log->cap; i++) {
        free(log->ring[i]);
        log->ring[i] = NULL;
    }
    log->first_seq = log->next_seq;
    forget_keys(log);
    pthread_mutex_unlock(&log->mu);
}
