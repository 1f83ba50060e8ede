/* Retry policy: status classification, backoff with full jitter, Retry-After. */
#include <string.h>

#include "ssekit/retry.h"

void ssekit_retry_policy_default(ssekit_retry_policy *p)
{
    if (!p)
        return;
    p->max_retries = SSEKIT_RETRY_DEFAULT_MAX_RETRIES;
    p->base_delay_ms = SSEKIT_RETRY_DEFAULT_BASE_DELAY_MS;
    p->max_delay_ms = SSEKIT_RETRY_DEFAULT_MAX_DELAY_MS;
    p->max_retry_after_ms = SSEKIT_RETRY_DEFAULT_MAX_RETRY_AFTER_MS;
}

ssekit_retry_class ssekit_retry_classify_status(int http_status)
{
    switch (http_status) {
    case 429:
        return SSEKIT_RETRY_RATE_LIMITED;
    case 500:
    case 502:
    case 503:
    case 504:
    case 529:
        return SSEKIT_RETRY_SERVER;
    default:
        return SSEKIT_RETRY_NEVER;
    }
}

uint64_t ssekit_retry_backoff_cap(const ssekit_retry_policy *p, unsigned attempt)
{
    if (!p)
        return 0;
    uint64_t cap = p->base_delay_ms;
    for (unsigned i = 1; i < attempt && cap < p->max_delay_ms; i++)
        cap = cap > UINT64_MAX / 2 ? UINT64_MAX : cap * 2;
    return cap < p->max_delay_ms ? cap : p->max_delay_ms;
}

uint64_t ssekit_retry_random(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15u;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Du;
}

uint64_t ssekit_retry_delay(const ssekit_retry_policy *p, unsigned attempt, uint64_t retry_after_ms,
                            uint64_t *rng)
{
    uint64_t cap = ssekit_retry_backoff_cap(p, attempt);
    uint64_t r = rng ? ssekit_retry_random(rng) : 0;
    /* The modulo bias is below 2^-40 for any sane cap: irrelevant here. */
    uint64_t d = cap == UINT64_MAX ? r : r % (cap + 1);
    return d > retry_after_ms ? d : retry_after_ms;
}

/* --- Retry-After ----------------------------------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): timegm() is not in POSIX. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int month_of(const char *s)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++)
        if (!memcmp(s, names + 3 * i, 3))
            return i + 1;
    return 0;
}

/* Reads exactly `n` digits at *p. */
static int digits(const char **p, const char *end, int n, int *out)
{
    int v = 0;
    if (end - *p < n)
        return -1;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int expect(const char **p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
        return -1;
    *p += n;
    return 0;
}

/* "HH:MM:SS" */
static int clock_of(const char **p, const char *end, int *h, int *mi, int *s)
{
    if (digits(p, end, 2, h) || expect(p, end, ":") || digits(p, end, 2, mi) ||
        expect(p, end, ":") || digits(p, end, 2, s))
        return -1;
    return *h > 23 || *mi > 59 || *s > 60 ? -1 : 0;
}

/* Parses the three HTTP-date forms into seconds since the epoch. */
static int http_date(const char *p, const char *end, int64_t *out)
{
    int day, mon, year, h, mi, s;
    const char *comma = memchr(p, ',', (size_t)(end - p));
    if (comma) {
        p = comma + 1;
        if (expect(&p, end, " ") || digits(&p, end, 2, &day))
            return -1;
        if (p < end && *p == ' ') { /* IMF-fixdate: 06 Nov 1994 */
            p++;
            if (end - p < 3 || !(mon = month_of(p)))
                return -1;
            p += 3;
            if (expect(&p, end, " ") || digits(&p, end, 4, &year))
                return -1;
        } else { /* RFC 850: 06-Nov-94 */
            if (expect(&p, end, "-") || end - p < 3 || !(mon = month_of(p)))
                return -1;
            p += 3;
            if (expect(&p, end, "-") || digits(&p, end, 2, &year))
                return -1;
            /* RFC 9110: a two-digit year more than 50 years in the future is
             * in the past century; keeping it simple, 70..99 -> 19xx. */
            year += year >= 70 ? 1900 : 2000;
        }
        if (expect(&p, end, " ") || clock_of(&p, end, &h, &mi, &s) || expect(&p, end, " GMT"))
            return -1;
    } else { /* asctime: Sun Nov  6 08:49:37 1994 */
        if (end - p < 8 || p[3] != ' ' || !(mon = month_of(p + 4)) || p[7] != ' ')
            return -1;
        p += 8;
        if (p < end && *p == ' ') {
            p++;
            if (digits(&p, end, 1, &day))
                return -1;
        } else if (digits(&p, end, 2, &day)) {
            return -1;
        }
        if (expect(&p, end, " ") || clock_of(&p, end, &h, &mi, &s) || expect(&p, end, " ") ||
            digits(&p, end, 4, &year))
            return -1;
    }
    if (p != end || day < 1 || day > 31)
        return -1;
    *out = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + h * 3600 + mi * 60 + s;
    return 0;
}

int ssekit_retry_after_parse(const char *value, size_t len, int64_t now_unix_s, uint64_t *delay_ms)
{
    if (!value || !delay_ms)
        return SSEKIT_E_INVALID;
    const char *p = value, *end = value + len;
    while (p < end && is_blank(*p))
        p++;
    while (end > p && (is_blank(end[-1]) || end[-1] == '\r' || end[-1] == '\n'))
        end--;
    if (p == end)
        return SSEKIT_E_INVALID;
    if (is_digit(*p)) {
        uint64_t s = 0;
        for (const char *q = p; q < end; q++) {
            if (!is_digit(*q))
                return SSEKIT_E_INVALID;
            s = s > UINT64_MAX / 10 - 1 ? UINT64_MAX / 10 : s * 10 + (uint64_t)(*q - '0');
        }
        *delay_ms = s > UINT64_MAX / 1000 ? UINT64_MAX : s * 1000;
        return SSEKIT_OK;
    }
    int64_t t;
    if (http_date(p, end, &t))
        return SSEKIT_E_INVALID;
    *delay_ms = t <= now_unix_s ? 0 : (uint64_t)(t - now_unix_s) * 1000;
    return SSEKIT_OK;
}
