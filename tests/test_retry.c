/* Tests of the retry policy: classification, backoff bounds, jitter spread,
 * Retry-After in seconds and in the three HTTP-date forms. */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "ssekit/retry.h"

static void test_classify(void)
{
    static const int retry[] = {500, 502, 503, 504, 529};
    static const int never[] = {200, 204, 301, 400, 401, 403, 404, 408, 409, 422, 501, 505, 0, -1};
    for (size_t i = 0; i < sizeof retry / sizeof *retry; i++)
        CHECKF(ssekit_retry_classify_status(retry[i]) == SSEKIT_RETRY_SERVER, "%d", retry[i]);
    for (size_t i = 0; i < sizeof never / sizeof *never; i++)
        CHECKF(ssekit_retry_classify_status(never[i]) == SSEKIT_RETRY_NEVER, "%d", never[i]);
    CHECK(ssekit_retry_classify_status(429) == SSEKIT_RETRY_RATE_LIMITED);
}

static void test_backoff_cap(void)
{
    ssekit_retry_policy p;
    ssekit_retry_policy_default(&p);
    CHECK(p.max_retries == 3);
    p.base_delay_ms = 100;
    p.max_delay_ms = 1000;
    CHECK(ssekit_retry_backoff_cap(&p, 0) == 100);
    CHECK(ssekit_retry_backoff_cap(&p, 1) == 100);
    CHECK(ssekit_retry_backoff_cap(&p, 2) == 200);
    CHECK(ssekit_retry_backoff_cap(&p, 4) == 800);
    CHECK(ssekit_retry_backoff_cap(&p, 5) == 1000);
    CHECK(ssekit_retry_backoff_cap(&p, 4000000000u) == 1000);
    p.max_delay_ms = UINT64_MAX;
    CHECK(ssekit_retry_backoff_cap(&p, 200) == UINT64_MAX); /* saturates, no wrap */
}

/* Full jitter: every draw within [0, cap]; the draws spread over the whole
 * window (both halves, near both ends), and Retry-After is a floor. */
static void test_jitter(void)
{
    ssekit_retry_policy p;
    ssekit_retry_policy_default(&p);
    p.base_delay_ms = 1000;
    p.max_delay_ms = 8000;
    uint64_t rng = 12345;
    for (unsigned attempt = 1; attempt <= 5; attempt++) {
        uint64_t cap = ssekit_retry_backoff_cap(&p, attempt), lo = UINT64_MAX, hi = 0;
        unsigned below_half = 0, bad = 0;
        for (int i = 0; i < 4000; i++) {
            uint64_t d = ssekit_retry_delay(&p, attempt, 0, &rng);
            bad += d > cap;
            below_half += d < cap / 2;
            lo = d < lo ? d : lo;
            hi = d > hi ? d : hi;
        }
        CHECKF(bad == 0, "attempt %u", attempt);
        CHECKF(lo < cap / 20 && hi > cap - cap / 20, "attempt %u lo %llu hi %llu", attempt,
               (unsigned long long)lo, (unsigned long long)hi);
        CHECKF(below_half > 1600 && below_half < 2400, "attempt %u: %u", attempt, below_half);
    }
    for (int i = 0; i < 1000; i++) {
        uint64_t d = ssekit_retry_delay(&p, 1, 5000, &rng);
        if (d < 5000) {
            CHECKF(0, "delay %llu below Retry-After", (unsigned long long)d);
            break;
        }
    }
    uint64_t zero = 0;
    (void)ssekit_retry_random(&zero);
    CHECK(zero != 0);
}

static int parse(const char *s, int64_t now, uint64_t *ms)
{
    return ssekit_retry_after_parse(s, strlen(s), now, ms);
}

static void test_retry_after(void)
{
    uint64_t ms = 7;
    CHECK(parse("120", 0, &ms) == SSEKIT_OK && ms == 120000);
    CHECK(parse("  0 \r\n", 0, &ms) == SSEKIT_OK && ms == 0);
    CHECK(parse("99999999999999999999999", 0, &ms) == SSEKIT_OK && ms >= UINT64_MAX / 1000);
    /* 1994-11-06 08:49:37 UTC = 784111777 */
    const int64_t t = 784111777;
    CHECK(parse("Sun, 06 Nov 1994 08:49:37 GMT", t - 30, &ms) == SSEKIT_OK && ms == 30000);
    CHECK(parse("Sunday, 06-Nov-94 08:49:37 GMT", t - 2, &ms) == SSEKIT_OK && ms == 2000);
    CHECK(parse("Sun Nov  6 08:49:37 1994", t - 1, &ms) == SSEKIT_OK && ms == 1000);
    CHECK(parse("Sun, 06 Nov 1994 08:49:37 GMT", t + 100, &ms) == SSEKIT_OK && ms == 0);
    /* A leap day and the turn of a century. */
    CHECK(parse("Tue, 29 Feb 2000 00:00:00 GMT", 951782400 - 5, &ms) == SSEKIT_OK && ms == 5000);
    CHECK(parse("Fri, 01 Jan 2100 00:00:01 GMT", 4102444800, &ms) == SSEKIT_OK && ms == 1000);
    static const char *garbage[] = {
        "",
        "   ",
        "-5",
        "1.5",
        "12abc",
        "soon",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 32 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT x",
        "Sun Nov 6 08:49:37 1994",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
    };
    for (size_t i = 0; i < sizeof garbage / sizeof *garbage; i++) {
        ms = 7;
        CHECKF(parse(garbage[i], t, &ms) == SSEKIT_E_INVALID && ms == 7, "'%s'", garbage[i]);
    }
    CHECK(ssekit_retry_after_parse(NULL, 0, 0, &ms) == SSEKIT_E_INVALID);
}

int main(void)
{
    (void)check_read_file;
    test_classify();
    test_backoff_cap();
    test_jitter();
    test_retry_after();
    return check_done("test_retry");
}
