/* Private to the replay server: HTTP/1.1 request heads (parsing, limits) and
 * the small pieces of response syntax (reason phrases, HTTP dates, query
 * parameters). */
#ifndef SSEKIT_REPLAY_HTTP_H
#define SSEKIT_REPLAY_HTTP_H

#include <stddef.h>
#include <time.h>

#include "buffer.h"

typedef struct rp_header {
    const char *name;
    const char *value;
} rp_header;

/* One parsed request. Every string points into `head` (a private copy of the
 * request head, NUL-terminated in place) and lives until rp_request_free(). */
typedef struct rp_request {
    sk_buf head;
    const char *method;
    const char *path;  /* without the query; absolute-form targets reduced */
    const char *query; /* after '?', "" when none */
    rp_header *headers;
    size_t n_headers;
    int http10;            /* HTTP/1.0: no keep-alive, no chunked framing */
    int keep_alive;        /* 0 after `Connection: close` (or HTTP/1.0) */
    int expect_continue;   /* `Expect: 100-continue` */
    size_t content_length; /* 0 when absent */
    size_t head_len;       /* bytes of the head on the wire */
    sk_buf body;           /* the body, NUL-terminated */
} rp_request;

/* Scans in[0..len) for the end of a request head (CRLF CRLF, or LF LF for
 * lenient clients), resuming at *scan (0 the first time; updated so the work
 * stays linear as bytes arrive). Returns the head length including the blank
 * line, or 0 when the head is not complete yet. */
size_t rp_http_head_end(const char *in, size_t len, size_t *scan);

/* Parses the head in[0..len) (as found by rp_http_head_end) into *req, which
 * must be zeroed or freed. Returns 0, or the HTTP status to answer with:
 * 400 (malformed), 411 (a Transfer-Encoding body: only Content-Length
 * bodies are read), 431 (more than max_headers header lines), 505 (not
 * HTTP/1.x), or -1 when memory runs out. */
int rp_http_parse(rp_request *req, const ssekit_alloc_funcs *a, const char *in, size_t len,
                  unsigned max_headers);

/* The value of the first header named `name` (case-insensitive), or NULL. */
const char *rp_http_header(const rp_request *req, const char *name);

/* Frees what rp_http_parse() allocated and zeroes the request. */
void rp_request_free(rp_request *req, const ssekit_alloc_funcs *a);

/* The reason phrase of a status code ("Unknown" for codes it does not know). */
const char *rp_http_reason(int status);

/* Writes the IMF-fixdate of `t` (e.g. "Sun, 06 Nov 1994 08:49:37 GMT"),
 * independent of the locale, into out (at least 30 bytes). */
void rp_http_date(char *out, time_t t);

/* Looks up the first parameter `name` in a query string (parameters split on
 * '&', name and value on the first '='), percent-decodes its value ('+' is a
 * space) into *out (replacing its contents, NUL-terminated). Returns 1 when
 * found, 0 when not, -1 when memory runs out. A parameter without '=' has
 * the value "". */
int rp_query_param(const char *query, const char *name, sk_buf *out, const ssekit_alloc_funcs *a);

/* Percent-decodes s[0..n) into *out (appended, NUL-terminated); `plus` != 0
 * also turns '+' into a space. Returns 0 or -1 when memory runs out. A '%'
 * not followed by two hex digits is kept as is. */
int rp_percent_decode(const char *s, size_t n, int plus, sk_buf *out, const ssekit_alloc_funcs *a);

#endif
