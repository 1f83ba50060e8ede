/* The fault list of one request. Strict on purpose: a typo in a test's fault
 * list is a 400, not a silently healthy stream. */
#include "replay_fault.h"
#include "ascii.h"

#include <stdio.h>
#include <string.h>

#define MAX_COUNT 1000000000L
#define MAX_SECONDS 86400L

void rp_fault_init(rp_fault *f)
{
    memset(f, 0, sizeof *f);
    f->retry_after_s = f->retry_after_date_s = f->drop_after = RP_FAULT_NONE;
    f->stall_ms = f->stall_after = f->heartbeat_ms = RP_FAULT_NONE;
    f->garbage_after = f->bytewise_ms = f->delay_ms = RP_FAULT_NONE;
    f->sse_retry_ms = f->times = RP_FAULT_NONE;
}

/* A decimal integer in [0, max]. */
static int parse_count(const char *v, long max, long *out)
{
    long n = 0;
    if (!*v)
        return -1;
    for (; *v; v++) {
        if (*v < '0' || *v > '9')
            return -1;
        n = n * 10 + (*v - '0');
        if (n > max)
            return -1;
    }
    *out = n;
    return 0;
}

/* Seconds with up to three decimals ("2", "0.25"), returned in ms. */
static int parse_seconds(const char *v, long *ms)
{
    long whole = 0, frac = 0, scale = 1000;
    const char *p = v;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++)
        if ((whole = whole * 10 + (*p - '0')) > MAX_SECONDS)
            return -1;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return -1;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (scale == 1)
                return -1; /* finer than a millisecond */
            scale /= 10;
            frac += (*p - '0') * scale;
        }
    }
    if (*p)
        return -1;
    *ms = whole * 1000 + frac;
    return 0;
}

/* Copies s[0..n) percent-decoded into out (size cap); -1 when too long. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int hi, lo;
        if (c == '%' && i + 2 < n && (hi = sk_hexval(s[i + 1])) >= 0 &&
            (lo = sk_hexval(s[i + 2])) >= 0) {
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (o + 1 >= cap || !c)
            return -1;
        out[o++] = c;
    }
    out[o] = 0;
    return 0;
}

/* Applies one item; returns 0, -1 for a bad value, -2 for an unknown name. */
static int apply(rp_fault *f, const char *name, const char *v, int has_value)
{
#define NAME(s) (!strcmp(name, s))
#define FLAG() (has_value ? -1 : 0)
    if (NAME("drop-after"))
        return parse_count(v, MAX_COUNT, &f->drop_after);
    if (NAME("drop-partial"))
        return f->drop_partial = 1, FLAG();
    if (NAME("status")) {
        long s;
        if (parse_count(v, 599, &s) || s < 200)
            return -1;
        f->status = (int)s;
        return 0;
    }
    if (NAME("retry-after"))
        return parse_count(v, MAX_SECONDS, &f->retry_after_s);
    if (NAME("retry-after-date")) {
        if (!has_value)
            return f->retry_after_date_s = 1, 0;
        return parse_count(v, MAX_SECONDS, &f->retry_after_date_s);
    }
    if (NAME("stall"))
        return parse_seconds(v, &f->stall_ms);
    if (NAME("stall-after"))
        return parse_count(v, MAX_COUNT, &f->stall_after);
    if (NAME("heartbeat-ms")) {
        if (parse_count(v, MAX_SECONDS * 1000, &f->heartbeat_ms) || !f->heartbeat_ms)
            return -1;
        return 0;
    }
    if (NAME("garbage")) {
        if (!has_value || !strcmp(v, "lines"))
            f->garbage = RP_GARBAGE_LINES;
        else if (!strcmp(v, "data"))
            f->garbage = RP_GARBAGE_DATA;
        else
            return -1;
        return 0;
    }
    if (NAME("garbage-after"))
        return parse_count(v, MAX_COUNT, &f->garbage_after);
    if (NAME("bytewise")) {
        if (!has_value)
            return f->bytewise_ms = 1, 0;
        return parse_count(v, 1000, &f->bytewise_ms);
    }
    if (NAME("content-type")) {
        if (!*v)
            return -1;
        for (const char *c = v; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return -1; /* no header injection */
        snprintf(f->content_type, sizeof f->content_type, "%s", v);
        return 0;
    }
    if (NAME("delay-ms"))
        return parse_count(v, MAX_SECONDS * 1000, &f->delay_ms);
    if (NAME("sse-retry"))
        return parse_count(v, MAX_COUNT, &f->sse_retry_ms);
    if (NAME("times"))
        return parse_count(v, MAX_COUNT, &f->times);
    if (NAME("framing")) {
        if (!strcmp(v, "close"))
            f->framing_close = 1;
        else if (!strcmp(v, "chunked"))
            f->framing_close = 0;
        else
            return -1;
        return 0;
    }
    return -2;
#undef NAME
#undef FLAG
}

int rp_fault_parse(rp_fault *f, const char *spec, size_t len, char *err, size_t errlen)
{
    const char *end = spec + len;
    for (const char *s = spec; s < end;) {
        const char *semi = memchr(s, ';', (size_t)(end - s));
        const char *e = semi ? semi : end;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        const char *t = e;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if (t > s) {
            char name[32], value[160];
            const char *eq = memchr(s, '=', (size_t)(t - s));
            const char *nend = eq ? eq : t;
            size_t nlen = (size_t)(nend - s);
            if (nlen >= sizeof name || !nlen) {
                snprintf(err, errlen, "unknown fault '%.*s'", (int)(nlen > 40 ? 40 : nlen), s);
                return -1;
            }
            memcpy(name, s, nlen);
            name[nlen] = 0;
            value[0] = 0;
            if (eq && decode(eq + 1, (size_t)(t - eq - 1), value, sizeof value)) {
                snprintf(err, errlen, "bad value for fault '%s'", name);
                return -1;
            }
            int rc = apply(f, name, value, eq != NULL);
            if (rc == -2) {
                snprintf(err, errlen, "unknown fault '%s'", name);
                return -1;
            }
            if (rc) {
                snprintf(err, errlen, "bad value for fault '%s': '%s'", name, value);
                return -1;
            }
            f->any = 1;
        }
        s = semi ? semi + 1 : end;
    }
    return 0;
}

int rp_fault_finish(rp_fault *f, char *err, size_t errlen)
{
    if (f->drop_partial && f->drop_after == RP_FAULT_NONE) {
        snprintf(err, errlen, "fault 'drop-partial' needs 'drop-after=N'");
        return -1;
    }
    if (f->stall_ms != RP_FAULT_NONE && f->stall_after == RP_FAULT_NONE)
        f->stall_after = 0;
    else if (f->stall_after != RP_FAULT_NONE && f->stall_ms == RP_FAULT_NONE)
        f->stall_ms = RP_FAULT_FOREVER;
    if (f->garbage != RP_GARBAGE_NONE && f->garbage_after == RP_FAULT_NONE)
        f->garbage_after = 1;
    return 0;
}
