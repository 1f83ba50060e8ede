/* Allocation failures in the client and its policy pieces, against the
 * replay server: for N = 1, 2, ... the Nth allocation through ssekit's
 * allocator hooks fails (tests/fail_alloc.h), during a whole run: client,
 * rate limit, breaker, audit, a stream with a reconnect, a decoded stream
 * from a preset with a schema, progress, metrics export, a batch and its
 * summary, a one-call completion. Every run must end cleanly: the call that
 * could not allocate returns SSEKIT_E_NOMEM, or the stream ends with an ERROR
 * of status SSEKIT_E_NOMEM; a stream that ends with DONE delivered every
 * event exactly once and the same value as a run without failures; nothing
 * leaks (the allocator's live count returns to 0; ASan checks the rest); no
 * crash. The loop ends at the first N that no allocation reached. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fail_alloc.h"
#include "replay.h"
#include "replay_fixture.h"
#include "ssekit/ssekit.h"

static ssekit_replay *srv;
static char base_v1[200];
static char *schema_text;

/* Safety net: far more allocations than any run below makes. */
#define MAX_N 5000

/* raw_deploy (docs/replay.md): 15 events with ids 1..15. */
#define DEPLOY_EVENTS 15

typedef struct outcome {
    int end;          /* 0: no end seen, else the kind that ended the stream */
    int status;       /* of the ERROR */
    size_t sse;       /* SSE events seen */
    size_t kinds[11]; /* events seen, by kind (bit number) */
    int ordered;      /* ids 1, 2, ... each once */
    char value[4096];
} outcome;

static void collect(outcome *o, const ssekit_event *ev)
{
    for (unsigned b = 0; b < 11; b++)
        if ((unsigned)ev->kind == 1u << b)
            o->kinds[b]++;
    if (ev->kind == SSEKIT_EVENT_SSE && ev->id && *ev->id) { /* raw_deploy's: 1, 2, ... */
        if (strtoul(ev->id, NULL, 10) != o->sse + 1)
            o->ordered = 0;
        o->sse++;
    } else if (ev->kind == SSEKIT_EVENT_SSE) {
        o->sse++;
    } else if (ev->kind == SSEKIT_EVENT_DONE || ev->kind == SSEKIT_EVENT_ERROR) {
        if (o->end)
            o->ordered = 0; /* a second end */
        o->end = (int)ev->kind;
        o->status = ev->status;
        snprintf(o->value, sizeof o->value, "%.*s", ev->data ? (int)ev->data_len : 0,
                 ev->data ? ev->data : "");
    }
}

/* One whole client run with the allocator `a`; returns SSEKIT_OK when it
 * went to the end, SSEKIT_E_NOMEM when a call refused; *raw and *dec get the
 * two streams' outcomes (end 0 when not reached). */
static int client_run(const ssekit_alloc_funcs *a, outcome *raw, outcome *dec, FILE *audit)
{
    memset(raw, 0, sizeof *raw);
    memset(dec, 0, sizeof *dec);
    raw->ordered = dec->ordered = 1;
    ssekit_client *c = ssekit_client_new(a);
    if (!c)
        return SSEKIT_E_NOMEM;
    int rc = ssekit_client_set_rate_limit(c, 1, 0, 0); /* the two go one after the other */
    if (rc == SSEKIT_OK)
        rc = ssekit_client_set_breaker(c, 1, 3, 0);
    if (rc == SSEKIT_OK)
        rc = ssekit_client_set_audit_file(c, audit, 0);
    ssekit_request rq = {0};
    char err[256];
    ssekit_preset p = {.provider = SSEKIT_PROVIDER_OPENAI,
                       .no_env = 1,
                       .base_url = base_v1,
                       .model = "m",
                       .prompt = "Triage this review.",
                       .schema = schema_text,
                       .max_tokens = 200};
    int built = 0;
    if (rc == SSEKIT_OK) {
        rc = ssekit_request_build(&p, a, &rq, err, sizeof err);
        built = rc == SSEKIT_OK;
    }
    ssekit_stream *s1 = NULL, *s2 = NULL;
    char url[256];
    /* dropped after 5 events: one reconnect that resumes from id 5 */
    static unsigned run; /* a key per run: times=1 counts per key */
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy?fault=drop-after=5;times=1&key=nm%u",
             ssekit_replay_url(srv), ++run);
    if (rc == SSEKIT_OK) {
        ssekit_request r1 = {
            .url = url, .reconnect = 1, .reconnect_ms = 5, .total_timeout_ms = 10000};
        rc = ssekit_stream_open(c, &r1, &s1);
    }
    if (rc == SSEKIT_OK) {
        rq.total_timeout_ms = 10000;
        /* not every delta: they would make the run (and the loop) long */
        rq.filter =
            SSEKIT_EVENT_COMPLETE | SSEKIT_EVENT_PROGRESS | SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR;
        rc = ssekit_stream_open(c, &rq, &s2);
    }
    if (rc == SSEKIT_OK) {
        const ssekit_event *ev;
        int n;
        while ((n = ssekit_client_next(c, &ev, 10000)) == 1) {
            collect(ev->stream == s1 ? raw : dec, ev);
            if (raw->end && dec->end)
                break;
        }
        CHECKF(n == 1 || n == SSEKIT_E_STATE, "next: %d", n);
        ssekit_metrics m;
        CHECK(ssekit_client_metrics(c, &m) == SSEKIT_OK);
        char *text = NULL;
        int prc = ssekit_metrics_prometheus(&m, "nm", &text, NULL, a);
        CHECKF(prc == SSEKIT_OK || prc == SSEKIT_E_NOMEM, "prometheus: %d", prc);
        CHECK((prc == SSEKIT_OK) == (text != NULL));
        if (text)
            a->free(a->ctx, text);
    }
    ssekit_stream_free(s1);
    ssekit_stream_free(s2);
    ssekit_client_free(c);
    if (built)
        ssekit_request_clear(&rq, a);
    return rc;
}

static void check_end(const outcome *o, const outcome *ref, const char *what, long n)
{
    if (!o->end)
        return; /* not reached: a call before it refused */
    if (o->end == SSEKIT_EVENT_ERROR) {
        CHECKF(o->status == SSEKIT_E_NOMEM, "%s, N=%ld: ERROR status %s", what, n,
               ssekit_status_name(o->status));
        return;
    }
    CHECKF(o->ordered && o->sse == ref->sse, "%s, N=%ld: DONE after %zu events (want %zu)%s", what,
           n, o->sse, ref->sse, o->ordered ? "" : ", not each once in order");
    CHECKF(!strcmp(o->value, ref->value), "%s, N=%ld: DONE value differs", what, n);
    /* Not one event lost: every kind as often as without failures, but
     * PROGRESS (rate-limited by the clock, so it may differ between runs). */
    for (unsigned b = 0; b < 11; b++)
        if (1u << b != SSEKIT_EVENT_PROGRESS)
            CHECKF(o->kinds[b] == ref->kinds[b], "%s, N=%ld: %zu %s events, want %zu", what, n,
                   o->kinds[b], ssekit_event_kind_name((ssekit_event_kind)(1u << b)),
                   ref->kinds[b]);
}

static void test_client(void)
{
    FILE *audit = tmpfile();
    REQUIRE(audit);
    outcome raw_ref, dec_ref;
    fail_alloc fa = {0};
    ssekit_alloc_funcs a = fail_alloc_funcs(&fa);
    REQUIRE(client_run(&a, &raw_ref, &dec_ref, audit) == SSEKIT_OK);
    REQUIRE(raw_ref.end == SSEKIT_EVENT_DONE && raw_ref.sse == DEPLOY_EVENTS && raw_ref.ordered);
    REQUIRE(dec_ref.end == SSEKIT_EVENT_DONE && dec_ref.value[0] == '{');
    CHECKF(fa.live == 0, "no leak without failures: %ld", fa.live);
    long total = fa.calls, n;
    size_t refused = 0, nomem_events = 0, done = 0;
    for (n = 1; n <= MAX_N; n++) {
        fa = (fail_alloc){.fail_at = n};
        outcome raw, dec;
        int rc = client_run(&a, &raw, &dec, audit);
        CHECKF(rc == SSEKIT_OK || rc == SSEKIT_E_NOMEM, "N=%ld: %s", n, ssekit_status_name(rc));
        CHECKF(fa.live == 0, "N=%ld: %ld blocks leaked", n, fa.live);
        if (rc == SSEKIT_OK) {
            CHECKF(raw.end && dec.end, "N=%ld: both streams ended", n);
            check_end(&raw, &raw_ref, "raw", n);
            check_end(&dec, &dec_ref, "decoded", n);
        }
        refused += rc == SSEKIT_E_NOMEM;
        nomem_events += (raw.end == SSEKIT_EVENT_ERROR) + (dec.end == SSEKIT_EVENT_ERROR);
        done += raw.end == SSEKIT_EVENT_DONE && dec.end == SSEKIT_EVENT_DONE;
        if (!fa.failures)
            break; /* past the last allocation */
    }
    CHECKF(n < MAX_N, "the run ends: %ld allocations", n);
    /* Both ways of failing were exercised. */
    CHECKF(refused > 0 && nomem_events > 0, "%zu refused, %zu ERROR events, %zu both DONE", refused,
           nomem_events, done);
    printf("# client: %ld allocations in a run; %zu refused, %zu ERROR NOMEM, %zu both DONE\n",
           total, refused, nomem_events, done);
    fclose(audit);
}

static void test_batch(void)
{
    enum { N = 3 };
    char url[256];
    snprintf(url, sizeof url, "%s/v1/raw/raw_deploy", ssekit_replay_url(srv));
    ssekit_request rq[N];
    for (int i = 0; i < N; i++)
        rq[i] = (ssekit_request){.url = url};
    fail_alloc fa = {0};
    ssekit_alloc_funcs a = fail_alloc_funcs(&fa);
    long n;
    size_t refused = 0, failed_items = 0;
    for (n = 0; n <= MAX_N; n++) {
        fa = (fail_alloc){.fail_at = n}; /* 0: the reference run, no failure */
        ssekit_client *c = ssekit_client_new(&a);
        if (!c) {
            CHECK(fa.live == 0);
            continue;
        }
        ssekit_batch_item it[N];
        ssekit_batch_summary sum;
        int rc = ssekit_batch_run(c, rq, N, 2, 20000, it, &sum);
        CHECKF(rc == SSEKIT_OK || rc == SSEKIT_E_NOMEM, "N=%ld: %s", n, ssekit_status_name(rc));
        for (int i = 0; rc == SSEKIT_OK && i < N; i++) {
            if (it[i].ok)
                CHECKF(it[i].events == DEPLOY_EVENTS, "N=%ld item %d: %llu events", n, i,
                       (unsigned long long)it[i].events);
            else
                CHECKF(it[i].status == SSEKIT_E_NOMEM, "N=%ld item %d: %s", n, i,
                       ssekit_status_name(it[i].status));
            failed_items += !it[i].ok;
        }
        if (n == 0)
            REQUIRE(rc == SSEKIT_OK && it[0].ok && it[1].ok && it[2].ok);
        if (rc == SSEKIT_OK) {
            ssekit_batch_summary s2;
            int src = ssekit_batch_summarize(it, N, &s2, &a);
            CHECK(src == SSEKIT_OK || src == SSEKIT_E_NOMEM);
            CHECK(src != SSEKIT_OK || (s2.items == N && s2.ok + s2.failed == N));
        }
        if (rc != SSEKIT_E_INVALID && rc != SSEKIT_E_STATE)
            ssekit_batch_items_free(c, it, N);
        ssekit_client_free(c);
        refused += rc == SSEKIT_E_NOMEM;
        CHECKF(fa.live == 0, "N=%ld: %ld blocks leaked", n, fa.live);
        if (n && !fa.failures)
            break;
    }
    CHECKF(n < MAX_N && failed_items > 0, "batch: %ld runs, %zu refused, %zu items failed", n,
           refused, failed_items);
}

static void test_complete(void)
{
    fail_alloc fa = {0};
    ssekit_alloc_funcs a = fail_alloc_funcs(&fa);
    char ref[4096] = "";
    long n;
    size_t refused = 0;
    for (n = 0; n <= MAX_N; n++) {
        fa = (fail_alloc){.fail_at = n};
        ssekit_completion_options o = {0};
        o.preset.provider = SSEKIT_PROVIDER_ANTHROPIC;
        o.preset.no_env = 1;
        o.preset.base_url = ssekit_replay_url(srv);
        o.preset.model = "m";
        o.preset.prompt = "Triage this review.";
        o.preset.schema = schema_text;
        o.no_retries = 1;
        o.total_timeout_ms = 10000;
        o.alloc = &a;
        ssekit_completion *c = NULL;
        int rc = ssekit_complete(&o, &c);
        if (n == 0) {
            REQUIRE(rc == SSEKIT_OK && c && c->json);
            snprintf(ref, sizeof ref, "%s", c->json);
        } else if (rc == SSEKIT_OK) {
            CHECKF(c && c->json && !strcmp(c->json, ref), "N=%ld: the same value", n);
        } else {
            CHECKF(rc == SSEKIT_E_NOMEM, "N=%ld: %s (%s)", n, ssekit_status_name(rc),
                   c && c->message ? c->message : "");
            CHECK(!c || c->status == rc);
            refused++;
        }
        ssekit_completion_free(c);
        CHECKF(fa.live == 0, "N=%ld: %ld blocks leaked", n, fa.live);
        if (n && !fa.failures)
            break;
    }
    CHECKF(n < MAX_N && refused > 0, "complete: %ld runs, %zu refused", n, refused);
}

static void test_breaker(void)
{
    fail_alloc fa = {0};
    ssekit_alloc_funcs a = fail_alloc_funcs(&fa);
    long n;
    for (n = 0; n <= MAX_N; n++) {
        fa = (fail_alloc){.fail_at = n};
        ssekit_breaker *b = ssekit_breaker_new(2, 1000, &a);
        if (!b) {
            CHECK(n > 0 && fa.live == 0);
            continue;
        }
        int nomem = 0;
        char key[32];
        for (int h = 0; h < 40; h++) { /* enough hosts to grow the table */
            snprintf(key, sizeof key, "http://h%d:80", h);
            int rc = ssekit_breaker_report(b, key, 0, 1);
            CHECK(rc == SSEKIT_OK || rc == SSEKIT_E_NOMEM);
            nomem += rc == SSEKIT_E_NOMEM;
            rc = ssekit_breaker_report(b, key, 0, 2);
            CHECK(rc == SSEKIT_OK || rc == SSEKIT_E_NOMEM);
            nomem += rc == SSEKIT_E_NOMEM;
        }
        /* A host whose report was refused is not tracked; the others are open. */
        if (!nomem)
            CHECK(ssekit_breaker_get(b, "http://h39:80", 3) == SSEKIT_BREAKER_OPEN);
        ssekit_breaker_free(b);
        CHECKF(fa.live == 0, "N=%ld: %ld blocks leaked", n, fa.live);
        if (n && !fa.failures)
            break;
    }
    CHECK(n < MAX_N);
}

int main(void)
{
    srv = replay_fixture_start();
    size_t len;
    schema_text = check_read_file(SSEKIT_SOURCE_DIR "/demos/transcripts/review.schema.json", &len);
    snprintf(base_v1, sizeof base_v1, "%s/v1", ssekit_replay_url(srv));
    test_breaker();
    test_batch();
    test_complete();
    test_client();
    free(schema_text);
    ssekit_replay_stop(srv);
    curl_global_cleanup();
    return check_done("test_client_nomem");
}
