/* fanout.c — one question per review, all at once, then one aggregate.
 *
 * Three streams on one client; ssekit_client_next() returns the next event
 * of whichever stream produced one (like Python's as_completed). Fields are
 * aggregated as they complete, before any stream has ended: the sentiment
 * of each answer, its confidence, the names of its topics, whether it needs
 * a follow-up.
 *
 *   cc fanout.c $(pkg-config --cflags --libs ssekit) -o fanout
 *   ./fanout [BASE_URL]
 *
 * Environment as in callback.c (SSEKIT_PROVIDER, SSEKIT_MODEL, SSEKIT_HEADER,
 * the providers' base URL and key variables).
 *
 * Output: "[K] done in MS ms" or "[K] failed: MESSAGE" per stream as each
 * ends, then the aggregate:
 *   "answers OK/3", "sentiment NAME COUNT" per sentiment (first seen first),
 *   "confidence mean X.XX", "topic NAME COUNT" per topic (first seen first),
 *   "follow-up needed COUNT".
 * Exit 0 when every stream succeeded, else 1. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ssekit/ssekit.h>

#include "example_request.h"

#define N_PROMPTS 3
#define MAX_KEYS 32

static const char *const reviews[N_PROMPTS] = {
    REVIEW_TEXT,
    "Triage this customer review as JSON. Review: \"The blender is loud but it crushes ice in "
    "seconds. Shipping took a week.\" (Ana Lima, silver customer)",
    "Triage this customer review as JSON. Review: \"Support never answered my emails. I want a "
    "refund.\" (Tom Berg, standard customer)",
};

/* A tiny counter of names (sentiments, topics), in order of first sight. */
struct tally {
    char names[MAX_KEYS][64];
    int counts[MAX_KEYS];
    int n;
};

static void tally_add(struct tally *t, const char *json, size_t len)
{
    /* a completed string value arrives as compact JSON: "name" */
    if (len < 2 || json[0] != '"')
        return;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)(len - 2), json + 1);
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->names[i], name)) {
            t->counts[i]++;
            return;
        }
    if (t->n < MAX_KEYS) {
        memcpy(t->names[t->n], name, sizeof name);
        t->counts[t->n++] = 1;
    }
}

/* Does `path` (not NUL-terminated) match "/topics/<index>/name"? */
static int is_topic_name(const char *path, size_t len)
{
    const char *p = path, *end = path + len;
    if (len < 14 || memcmp(p, "/topics/", 8))
        return 0;
    p += 8;
    if (p == end || *p < '0' || *p > '9')
        return 0;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return end - p == 5 && !memcmp(p, "/name", 5);
}

static int path_is(const ssekit_event *ev, const char *path)
{
    return ev->path_len == strlen(path) && !memcmp(ev->path, path, ev->path_len);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
    ssekit_request rq[N_PROMPTS];
    int built = 0;
    for (int k = 0; k < N_PROMPTS; k++, built++) {
        ssekit_preset p = {
            .provider = SSEKIT_PROVIDER_OPENAI,
            .base_url = argc > 1 ? argv[1] : NULL,
            .prompt = reviews[k],
            .schema = REVIEW_SCHEMA,
            .schema_name = "review",
        };
        example_preset_from_env(&p); /* SSEKIT_PROVIDER, SSEKIT_MODEL, SSEKIT_HEADER */
        char err[256];
        if (ssekit_request_build(&p, NULL, &rq[k], err, sizeof err) != SSEKIT_OK) {
            fprintf(stderr, "fanout: %s\n", err);
            break;
        }
        rq[k].filter = SSEKIT_EVENT_COMPLETE | SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR;
        rq[k].user = (void *)(size_t)k; /* comes back in every event: which stream */
    }

    curl_global_init(CURL_GLOBAL_DEFAULT);
    ssekit_client *client = built == N_PROMPTS ? ssekit_client_new(NULL) : NULL;
    int opened = 0;
    for (int k = 0; client && k < N_PROMPTS; k++) {
        ssekit_stream *s;
        if (ssekit_stream_open(client, &rq[k], &s) == SSEKIT_OK)
            opened++;
    }

    struct tally sentiments = {0}, topics = {0};
    double confidence = 0, t0 = now_ms();
    int ok = 0, follow_up = 0;
    const ssekit_event *ev;
    /* one loop for all streams; SSEKIT_E_STATE once every stream has ended */
    while (opened && ssekit_client_next(client, &ev, -1) == 1) {
        int k = (int)(size_t)ev->user;
        if (ev->kind == SSEKIT_EVENT_COMPLETE) {
            if (path_is(ev, "/sentiment"))
                tally_add(&sentiments, ev->data, ev->data_len);
            else if (path_is(ev, "/confidence"))
                confidence += strtod(ev->data, NULL);
            else if (path_is(ev, "/follow_up/needed"))
                follow_up += !strcmp(ev->data, "true");
            else if (is_topic_name(ev->path, ev->path_len))
                tally_add(&topics, ev->data, ev->data_len);
        } else if (ev->kind == SSEKIT_EVENT_DONE) {
            printf("[%d] done in %.0f ms\n", k, now_ms() - t0);
            ok++;
        } else if (ev->kind == SSEKIT_EVENT_ERROR) {
            printf("[%d] failed: %s\n", k, ev->message);
        }
    }

    printf("answers %d/%d\n", ok, N_PROMPTS);
    for (int i = 0; i < sentiments.n; i++)
        printf("sentiment %s %d\n", sentiments.names[i], sentiments.counts[i]);
    printf("confidence mean %.2f\n", ok ? confidence / ok : 0.0);
    for (int i = 0; i < topics.n; i++)
        printf("topic %s %d\n", topics.names[i], topics.counts[i]);
    printf("follow-up needed %d\n", follow_up);

    ssekit_client_free(client); /* frees the streams */
    for (int k = 0; k < built; k++)
        ssekit_request_clear(&rq[k], NULL);
    curl_global_cleanup();
    return ok == N_PROMPTS ? 0 : 1;
}
