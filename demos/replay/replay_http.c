/* HTTP/1.1 request heads for the replay server (RFC 9112 §2-§6, the parts a
 * test server needs: request line, header fields, Content-Length). */
#include "replay_http.h"
#include "ascii.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t rp_http_head_end(const char *in, size_t len, size_t *scan)
{
    /* Resume two bytes back: "\n\r\n" or "\n\n" may straddle two reads. */
    size_t i = *scan > 2 ? *scan - 2 : 0;
    for (; i < len; i++) {
        if (in[i] != '\n')
            continue;
        if (i + 1 < len && in[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && in[i + 1] == '\r' && in[i + 2] == '\n')
            return i + 3;
    }
    *scan = len;
    return 0;
}

static int is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return 1;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Cuts the line starting at *p (ending in LF or CRLF) by writing NUL over its
 * ending; returns the line and moves *p past it. */
static char *next_line(char **p)
{
    char *line = *p, *nl = strchr(line, '\n');
    if (!nl)
        return NULL;
    *p = nl + 1;
    if (nl > line && nl[-1] == '\r')
        nl--;
    *nl = 0;
    return line;
}

static int has_token(const char *list, const char *token)
{
    size_t n = strlen(token);
    for (const char *s = list; *s;) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        const char *e = s;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if ((size_t)(t - s) == n && !strncasecmp(s, token, n))
            return 1;
        s = e;
    }
    return 0;
}

static int parse_request_line(rp_request *req, char *line)
{
    char *sp1 = strchr(line, ' ');
    if (!sp1 || sp1 == line)
        return 400;
    char *target = sp1 + 1, *sp2 = strchr(target, ' ');
    if (!sp2 || sp2 == target)
        return 400;
    char *version = sp2 + 1;
    *sp1 = *sp2 = 0;
    for (const char *m = line; *m; m++)
        if (!is_tchar((unsigned char)*m))
            return 400;
    if (!strcmp(version, "HTTP/1.1")) {
        req->keep_alive = 1;
    } else if (!strcmp(version, "HTTP/1.0")) {
        req->http10 = 1;
    } else if (!strncmp(version, "HTTP/", 5)) {
        return 505;
    } else {
        return 400;
    }
    if (!strncmp(target, "http://", 7) || !strncmp(target, "https://", 8)) {
        /* absolute-form (as sent to proxies): keep the path and query */
        char *auth = strstr(target, "//") + 2, *slash = strpbrk(auth, "/?");
        if (!slash)
            target = "/";
        else if (*slash == '?') {
            /* "http://h?q": path "/" with a query; shift the host over */
            *--slash = '/';
            target = slash;
        } else
            target = slash;
    }
    if (*target != '/')
        return 400;
    char *q = strchr(target, '?');
    req->query = "";
    if (q) {
        *q = 0;
        req->query = q + 1;
    }
    req->method = line;
    req->path = target;
    return 0;
}

static int parse_content_length(rp_request *req, const char *v, int *seen)
{
    size_t n = 0;
    if (!*v)
        return 400;
    for (const char *d = v; *d; d++) {
        if (*d < '0' || *d > '9' || n > (SIZE_MAX >> 2) / 10)
            return 400;
        n = n * 10 + (size_t)(*d - '0');
    }
    if (*seen && n != req->content_length)
        return 400;
    *seen = 1;
    req->content_length = n;
    return 0;
}

int rp_http_parse(rp_request *req, const ssekit_alloc_funcs *a, const char *in, size_t len,
                  unsigned max_headers)
{
    if (memchr(in, 0, len))
        return 400;
    if (sk_buf_append(a, &req->head, in, len))
        return -1;
    req->head.p[req->head.len] = 0;
    req->head_len = len;
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += in[i] == '\n';
    req->headers = sk_malloc(a, lines * sizeof *req->headers);
    if (!req->headers)
        return -1;
    char *p = req->head.p, *line = next_line(&p);
    int rc = line ? parse_request_line(req, line) : 400;
    if (rc)
        return rc;
    int seen_length = 0, chunked = 0;
    while ((line = next_line(&p)) && *line) {
        if (*line == ' ' || *line == '\t')
            return 400; /* obsolete line folding */
        char *colon = line;
        while (is_tchar((unsigned char)*colon))
            colon++;
        if (colon == line || *colon != ':')
            return 400;
        *colon = 0;
        char *v = colon + 1, *e;
        while (*v == ' ' || *v == '\t')
            v++;
        for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t'); e--)
            ;
        *e = 0;
        if (req->n_headers == max_headers)
            return 431;
        req->headers[req->n_headers].name = line;
        req->headers[req->n_headers++].value = v;
        if (!strcasecmp(line, "Content-Length")) {
            if ((rc = parse_content_length(req, v, &seen_length)))
                return rc;
        } else if (!strcasecmp(line, "Transfer-Encoding")) {
            chunked = 1;
        } else if (!strcasecmp(line, "Connection")) {
            if (has_token(v, "close"))
                req->keep_alive = 0;
        } else if (!strcasecmp(line, "Expect")) {
            req->expect_continue = !strcasecmp(v, "100-continue");
        }
    }
    return chunked ? 411 : 0;
}

const char *rp_http_header(const rp_request *req, const char *name)
{
    for (size_t i = 0; i < req->n_headers; i++)
        if (!strcasecmp(req->headers[i].name, name))
            return req->headers[i].value;
    return NULL;
}

void rp_request_free(rp_request *req, const ssekit_alloc_funcs *a)
{
    sk_buf_free(a, &req->head);
    sk_buf_free(a, &req->body);
    sk_free(a, req->headers);
    memset(req, 0, sizeof *req);
}

const char *rp_http_reason(int status)
{
    static const struct {
        int code;
        const char *text;
    } reasons[] = {
        {100, "Continue"},
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {206, "Partial Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {411, "Length Required"},
        {413, "Content Too Large"},
        {415, "Unsupported Media Type"},
        {422, "Unprocessable Content"},
        {429, "Too Many Requests"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
        {505, "HTTP Version Not Supported"},
        {529, "Site Overloaded"},
    };
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].code == status)
            return reasons[i].text;
    return "Unknown";
}

void rp_http_date(char *out, time_t t)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 > 9999 || tm.tm_year + 1900 < 0) {
        strcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

int rp_percent_decode(const char *s, size_t n, int plus, sk_buf *out, const ssekit_alloc_funcs *a)
{
    if (sk_buf_reserve(a, out, n))
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int hi, lo;
        if (c == '%' && i + 2 < n && (hi = sk_hexval(s[i + 1])) >= 0 &&
            (lo = sk_hexval(s[i + 2])) >= 0) {
            c = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        out->p[out->len++] = c;
    }
    out->p[out->len] = 0;
    return 0;
}

int rp_query_param(const char *query, const char *name, sk_buf *out, const ssekit_alloc_funcs *a)
{
    size_t nlen = strlen(name);
    for (const char *s = query; *s;) {
        const char *amp = strchr(s, '&');
        size_t plen = amp ? (size_t)(amp - s) : strlen(s);
        const char *eq = memchr(s, '=', plen);
        size_t klen = eq ? (size_t)(eq - s) : plen;
        if (klen == nlen && !memcmp(s, name, nlen)) {
            out->len = 0;
            const char *v = eq ? eq + 1 : s + plen;
            if (rp_percent_decode(v, (size_t)(s + plen - v), 1, out, a))
                return -1;
            return 1;
        }
        s += plen + (amp != NULL);
    }
    return 0;
}
