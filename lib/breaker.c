/* The circuit breaker per host (pure: the caller passes the time), and the
 * client's use of it. */
#include <string.h>
#include <strings.h>

#include "client_internal.h"

typedef struct sk_host {
    char key[SSEKIT_BREAKER_KEY_MAX];
    unsigned failures;  /* consecutive */
    int open;           /* opened and not yet closed by a success */
    uint64_t until;     /* open: when the next request (the probe) may go */
    uint64_t last_used; /* for eviction */
} sk_host;

struct ssekit_breaker {
    ssekit_alloc_funcs a;
    unsigned threshold;
    uint64_t cooldown_ms;
    sk_host *hosts;
    size_t n, cap;
};

ssekit_breaker *ssekit_breaker_new(unsigned threshold, uint64_t cooldown_ms,
                                   const ssekit_alloc_funcs *alloc)
{
    ssekit_alloc_funcs a;
    sk_alloc_init(&a, alloc);
    ssekit_breaker *b = sk_malloc(&a, sizeof *b);
    if (!b)
        return NULL;
    memset(b, 0, sizeof *b);
    b->a = a;
    b->threshold = threshold ? threshold : SSEKIT_BREAKER_DEFAULT_THRESHOLD;
    b->cooldown_ms = cooldown_ms ? cooldown_ms : SSEKIT_BREAKER_DEFAULT_COOLDOWN_MS;
    return b;
}

void ssekit_breaker_free(ssekit_breaker *b)
{
    if (!b)
        return;
    sk_free(&b->a, b->hosts);
    sk_free(&b->a, b);
}

static void put_lower(char *key, size_t cap, size_t *w, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *w + 1 < cap; i++) {
        char ch = s[i];
        key[(*w)++] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    key[*w] = 0;
}

int ssekit_breaker_key(const char *url, char *key, size_t cap)
{
    if (!url || !key || !cap)
        return SSEKIT_E_INVALID;
    key[0] = 0;
    const char *sep = strstr(url, "://");
    if (!sep || sep == url)
        return SSEKIT_E_INVALID;
    const char *auth = sep + 3;
    size_t alen = strcspn(auth, "/?#");
    /* user:password@ is not part of the host */
    for (size_t i = alen; i > 0; i--)
        if (auth[i - 1] == '@') {
            auth += i;
            alen -= i;
            break;
        }
    const char *port = NULL;
    size_t hlen = alen;
    const char *close = auth[0] == '[' ? memchr(auth, ']', alen) : NULL;
    const char *colon =
        memchr(close ? close : auth, ':', alen - (size_t)((close ? close : auth) - auth));
    if (colon) {
        hlen = (size_t)(colon - auth);
        port = colon + 1;
    }
    size_t w = 0;
    size_t slen = (size_t)(sep - url);
    put_lower(key, cap, &w, url, slen);
    put_lower(key, cap, &w, "://", 3);
    put_lower(key, cap, &w, auth, hlen);
    put_lower(key, cap, &w, ":", 1);
    if (port && port < auth + alen) {
        put_lower(key, cap, &w, port, (size_t)(auth + alen - port));
    } else {
        int tls = slen == 5 && !strncasecmp(url, "https", 5);
        put_lower(key, cap, &w, tls ? "443" : "80", tls ? 3 : 2);
    }
    return SSEKIT_OK;
}

static sk_host *find(const ssekit_breaker *b, const char *key)
{
    for (size_t i = 0; i < b->n; i++)
        if (!strncmp(b->hosts[i].key, key, SSEKIT_BREAKER_KEY_MAX - 1))
            return &b->hosts[i];
    return NULL;
}

/* A new entry for key: appended, or a healthy or the least recently used
 * entry reused once the table is full. */
static sk_host *track(ssekit_breaker *b, const char *key, uint64_t now)
{
    sk_host *h = NULL;
    if (b->n < SSEKIT_BREAKER_MAX_HOSTS) {
        if (b->n == b->cap) {
            size_t cap = b->cap ? b->cap * 2 : 8;
            sk_host *v = sk_realloc(&b->a, b->hosts, cap * sizeof *v);
            if (!v)
                return NULL;
            b->hosts = v;
            b->cap = cap;
        }
        h = &b->hosts[b->n++];
    } else {
        for (size_t i = 0; i < b->n; i++) {
            sk_host *e = &b->hosts[i];
            if (!e->open && !e->failures) {
                h = e;
                break;
            }
            if (!h || e->last_used < h->last_used)
                h = e;
        }
    }
    memset(h, 0, sizeof *h);
    size_t n = strlen(key);
    if (n >= sizeof h->key)
        n = sizeof h->key - 1;
    memcpy(h->key, key, n);
    h->last_used = now;
    return h;
}

int ssekit_breaker_allow(ssekit_breaker *b, const char *key, uint64_t now_ms, uint64_t *wait_ms)
{
    if (wait_ms)
        *wait_ms = 0;
    if (!b || !key)
        return SSEKIT_E_INVALID;
    sk_host *h = find(b, key);
    if (!h || !h->open)
        return SSEKIT_OK;
    h->last_used = now_ms;
    if (now_ms < h->until) {
        if (wait_ms)
            *wait_ms = h->until - now_ms;
        return SSEKIT_E_CIRCUIT_OPEN;
    }
    /* Half-open: this request is the probe; the next may go only after one
     * more cool-down, in case this one never reports. */
    h->until = now_ms + b->cooldown_ms;
    return SSEKIT_OK;
}

int ssekit_breaker_report(ssekit_breaker *b, const char *key, int ok, uint64_t now_ms)
{
    if (!b || !key)
        return SSEKIT_E_INVALID;
    sk_host *h = find(b, key);
    if (!h) {
        if (ok)
            return SSEKIT_OK;
        if (!(h = track(b, key, now_ms)))
            return SSEKIT_E_NOMEM;
    }
    h->last_used = now_ms;
    if (ok) {
        h->failures = 0;
        h->open = 0;
        return SSEKIT_OK;
    }
    if (h->failures < UINT32_MAX)
        h->failures++;
    if (h->open || h->failures >= b->threshold) {
        h->open = 1;
        h->until = now_ms + b->cooldown_ms;
    }
    return SSEKIT_OK;
}

ssekit_breaker_state ssekit_breaker_get(const ssekit_breaker *b, const char *key, uint64_t now_ms)
{
    const sk_host *h = b && key ? find(b, key) : NULL;
    if (!h || !h->open)
        return SSEKIT_BREAKER_CLOSED;
    return now_ms < h->until ? SSEKIT_BREAKER_OPEN : SSEKIT_BREAKER_HALF_OPEN;
}

/* --- the client's breaker ---------------------------------------------------------- */

void sk_policy_outcome(ssekit_stream *s, ssekit_error_category cat, int ok)
{
    ssekit_breaker *b = s->client->pol.breaker;
    if (!b)
        return;
    if (!ok && !(cat == SSEKIT_ERROR_TRANSPORT || cat == SSEKIT_ERROR_TIMEOUT ||
                 cat == SSEKIT_ERROR_RATE_LIMITED ||
                 (cat == SSEKIT_ERROR_HTTP && s->got_headers && s->http_status >= 500)))
        return;
    char key[SSEKIT_BREAKER_KEY_MAX];
    if (ssekit_breaker_key(s->url, key, sizeof key) == SSEKIT_OK)
        ssekit_breaker_report(b, key, ok, sk_now_ms());
}

int ssekit_client_set_breaker(ssekit_client *c, int enable, unsigned threshold,
                              uint64_t cooldown_ms)
{
    if (!c)
        return SSEKIT_E_INVALID;
    if (c->in_callback)
        return SSEKIT_E_STATE;
    ssekit_breaker *b = NULL;
    if (enable && !(b = ssekit_breaker_new(threshold, cooldown_ms, &c->a)))
        return SSEKIT_E_NOMEM;
    ssekit_breaker_free(c->pol.breaker);
    c->pol.breaker = b;
    return SSEKIT_OK;
}

const ssekit_breaker *ssekit_client_breaker(const ssekit_client *c)
{
    return c ? c->pol.breaker : NULL;
}
