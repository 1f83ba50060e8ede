/* The replay server (demos/replay): started in-process on an ephemeral port
 * and spoken to over raw sockets, so every byte on the wire is checked.
 * Bodies are decoded here (chunked or close framing) and their events parsed
 * with ssekit's own SSE parser. Covers every endpoint and fault, keep-alive
 * and pipelining, resume by Last-Event-ID, the request log (keys redacted),
 * the limits (413/431/411/505, max connections, request timeout, slow
 * readers), transcripts from a directory, and a stop with clients still
 * connected. The bundled transcripts are checked against the providers' wire
 * formats (and against each other: one structured answer everywhere). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "check.h"
#include "clock_ms.h"
#include "dstr.h"
#include "replay.h"
#include "replay_fixture.h"
#include "ssekit/sse_parser.h"

#define TRANSCRIPTS SSEKIT_SOURCE_DIR "/demos/transcripts"

/* --- a small HTTP/1.1 client ----------------------------------------------- */

typedef struct client {
    int fd;
    char buf[1 << 16];
    size_t len, off;
    uint64_t deadline; /* cl_fill fails after it (0: none) */
} client;

static int set_timeout(int fd, unsigned ms)
{
    struct timeval tv = {ms / 1000, (long)(ms % 1000) * 1000};
    return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static client *cl_open_rcvbuf(unsigned port, int rcvbuf)
{
    client *c = calloc(1, sizeof *c);
    REQUIRE(c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(c->fd >= 0);
    if (rcvbuf)
        setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(c->fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    set_timeout(c->fd, 5000);
    return c;
}

static client *cl_open(unsigned port)
{
    return cl_open_rcvbuf(port, 0);
}

static void cl_close(client *c)
{
    if (c) {
        close(c->fd);
        free(c);
    }
}

static void cl_send(client *c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return; /* the server may close early (413): the test checks the answer */
        p += w;
        n -= (size_t)w;
    }
}

static void cl_sends(client *c, const char *s)
{
    cl_send(c, s, strlen(s));
}

/* Reads more bytes; returns the count, 0 at EOF, -1 on error or timeout. */
static ssize_t cl_fill(client *c)
{
    if (c->deadline && now_ms() >= c->deadline)
        return -1;
    if (c->off == c->len)
        c->off = c->len = 0;
    if (c->len == sizeof c->buf) {
        memmove(c->buf, c->buf + c->off, c->len - c->off);
        c->len -= c->off;
        c->off = 0;
    }
    ssize_t n;
    do
        n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        c->len += (size_t)n;
    return n;
}

typedef struct piece {
    size_t off, len;
    uint64_t t;
} piece;

typedef struct resp {
    int status;
    char head[8192];
    char *body;
    size_t len;
    piece pieces[8192]; /* how the body arrived: chunks, or reads */
    size_t n_pieces;
    int chunked, complete, eof;
    uint64_t t_head;
} resp;

static void resp_add(resp *r, const char *p, size_t n)
{
    r->body = realloc(r->body, r->len + n + 1);
    REQUIRE(r->body);
    memcpy(r->body + r->len, p, n);
    if (r->n_pieces < sizeof r->pieces / sizeof r->pieces[0])
        r->pieces[r->n_pieces++] = (piece){r->len, n, now_ms()};
    r->len += n;
    r->body[r->len] = 0;
}

static void resp_free(resp *r)
{
    free(r->body);
    free(r);
}

/* The value of header `name` in the response head (static copy), or NULL. */
static const char *hdr(const resp *r, const char *name)
{
    static char val[1024];
    size_t nl = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line && line[2];
         line = strstr(line + 2, "\r\n")) {
        const char *l = line + 2;
        if (!strncasecmp(l, name, nl) && l[nl] == ':') {
            const char *v = l + nl + 1, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            size_t n = e ? (size_t)(e - v) : strlen(v);
            if (n >= sizeof val)
                n = sizeof val - 1;
            memcpy(val, v, n);
            val[n] = 0;
            return val;
        }
    }
    return NULL;
}

/* Reads a line ending in CRLF from the client; NULL at EOF/timeout. */
static char *cl_line(client *c, char *out, size_t cap)
{
    for (;;) {
        char *e = memchr(c->buf + c->off, '\n', c->len - c->off);
        if (e) {
            size_t n = (size_t)(e - (c->buf + c->off)) + 1;
            if (n >= cap)
                n = cap - 1;
            memcpy(out, c->buf + c->off, n);
            out[n] = 0;
            c->off = (size_t)(e - c->buf) + 1;
            return out;
        }
        if (cl_fill(c) <= 0)
            return NULL;
    }
}

/* Reads n body bytes as one piece (or what arrives before EOF). */
static int cl_body(client *c, resp *r, size_t n, int one_piece)
{
    char *tmp = malloc(n + 1);
    REQUIRE(tmp);
    size_t got = 0;
    while (got < n) {
        if (c->off == c->len && cl_fill(c) <= 0)
            break;
        size_t take = c->len - c->off;
        if (take > n - got)
            take = n - got;
        if (one_piece) {
            memcpy(tmp + got, c->buf + c->off, take);
        } else {
            resp_add(r, c->buf + c->off, take);
        }
        c->off += take;
        got += take;
    }
    if (one_piece && got)
        resp_add(r, tmp, got);
    free(tmp);
    return got == n ? 0 : -1;
}

/* Reads one response (skipping 1xx) from an open connection. */
static resp *cl_response(client *c)
{
    resp *r = calloc(1, sizeof *r);
    REQUIRE(r);
    char line[4096];
    for (;;) {
        r->head[0] = 0;
        size_t hl = 0;
        while (cl_line(c, line, sizeof line)) {
            size_t n = strlen(line);
            if (hl + n < sizeof r->head) {
                memcpy(r->head + hl, line, n + 1);
                hl += n;
            }
            if (!strcmp(line, "\r\n"))
                break;
        }
        if (sscanf(r->head, "HTTP/1.1 %d", &r->status) != 1) {
            r->eof = 1;
            return r;
        }
        if (r->status >= 200)
            break;
    }
    r->t_head = now_ms();
    const char *te = hdr(r, "Transfer-Encoding"), *cl = hdr(r, "Content-Length");
    if (r->status == 204 || r->status == 304) {
        r->complete = 1;
    } else if (te && !strcmp(te, "chunked")) {
        r->chunked = 1;
        while (cl_line(c, line, sizeof line)) {
            size_t n = strtoul(line, NULL, 16);
            if (n == 0) {
                r->complete = cl_line(c, line, sizeof line) && !strcmp(line, "\r\n");
                break;
            }
            if (cl_body(c, r, n, 1) || !cl_line(c, line, sizeof line) || strcmp(line, "\r\n"))
                break;
        }
        if (!r->complete)
            r->eof = 1;
    } else if (cl) {
        r->complete = cl_body(c, r, strtoul(cl, NULL, 10), 1) == 0;
    } else {
        for (;;) {
            if (c->off < c->len) {
                resp_add(r, c->buf + c->off, c->len - c->off);
                c->off = c->len;
            }
            if (cl_fill(c) <= 0)
                break;
        }
        r->eof = r->complete = 1;
    }
    if (!r->body)
        resp_add(r, "", 0), r->n_pieces = 0;
    return r;
}

/* Sends `req` on a new connection and reads the response. */
static resp *fetch(unsigned port, const char *req)
{
    client *c = cl_open(port);
    cl_sends(c, req);
    resp *r = cl_response(c);
    cl_close(c);
    return r;
}

static char reqbuf[1 << 17];

/* A request text: method, target, extra header lines (each ending CRLF) and
 * a body (Content-Length added when non-NULL). */
static const char *mkreq(const char *method, const char *target, const char *headers,
                         const char *body)
{
    int n = snprintf(reqbuf, sizeof reqbuf, "%s %s HTTP/1.1\r\nHost: test\r\n%s", method, target,
                     headers ? headers : "");
    if (body)
        n += snprintf(reqbuf + n, sizeof reqbuf - (size_t)n,
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                      strlen(body), body);
    else
        n += snprintf(reqbuf + n, sizeof reqbuf - (size_t)n, "\r\n");
    REQUIRE((size_t)n < sizeof reqbuf);
    return reqbuf;
}

static resp *post(unsigned port, const char *path, const char *headers, const char *body)
{
    return fetch(port, mkreq("POST", path, headers, body));
}

static resp *get(unsigned port, const char *path, const char *headers)
{
    return fetch(port, mkreq("GET", path, headers, NULL));
}

/* --- SSE events through ssekit's parser -------------------------------------- */

typedef struct event {
    char *type, *data, *id;
    size_t data_len;
    uint64_t t;
} event;

typedef struct events {
    event v[1024];
    size_t n;
    size_t comments, heartbeats;
    int64_t retry;
    uint64_t t_now;
} events;

static int on_event(void *user, const ssekit_sse_event *e)
{
    events *ev = user;
    if (ev->n < sizeof ev->v / sizeof ev->v[0]) {
        event *x = &ev->v[ev->n++];
        x->type = dupn(e->type, e->type_len);
        x->data = dupn(e->data, e->data_len);
        x->data_len = e->data_len;
        x->id = dupn(e->id, e->id_len);
        x->t = ev->t_now;
    }
    return 0;
}

static int on_comment(void *user, const char *text, size_t len)
{
    events *ev = user;
    ev->comments++;
    ev->heartbeats += len == 9 && !memcmp(text, "heartbeat", 9);
    return 0;
}

static int on_retry(void *user, uint64_t ms)
{
    ((events *)user)->retry = (int64_t)ms;
    return 0;
}

/* Parses the body piece by piece (each event gets the arrival time of the
 * piece that completed it). */
static events *parse_events(const resp *r)
{
    events *ev = calloc(1, sizeof *ev);
    REQUIRE(ev);
    ev->retry = -1;
    ssekit_sse_callbacks cb = {
        .on_event = on_event, .on_comment = on_comment, .on_retry = on_retry};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&cb, ev, NULL);
    REQUIRE(p);
    if (r->n_pieces)
        for (size_t i = 0; i < r->n_pieces; i++) {
            ev->t_now = r->pieces[i].t;
            ssekit_sse_feed(p, r->body + r->pieces[i].off, r->pieces[i].len);
        }
    else
        ssekit_sse_feed(p, r->body, r->len);
    ssekit_sse_finish(p);
    ssekit_sse_parser_free(p);
    return ev;
}

static events *parse_text(const char *text, size_t len)
{
    resp r = {0};
    r.body = (char *)text;
    r.len = len;
    return parse_events(&r);
}

static void events_free(events *ev)
{
    for (size_t i = 0; i < ev->n; i++) {
        free(ev->v[i].type);
        free(ev->v[i].data);
        free(ev->v[i].id);
    }
    free(ev);
}

static char *transcript(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.sse", TRANSCRIPTS, name);
    return check_read_file(path, len);
}

/* --- JSON helpers --------------------------------------------------------------- */

static yajl_val json(const char *s)
{
    char err[256];
    yajl_val v = yajl_tree_parse(s, err, sizeof err);
    return v;
}

static const char *jstr(yajl_val v, const char **path)
{
    yajl_val x = yajl_tree_get(v, path, yajl_t_string);
    return x ? YAJL_GET_STRING(x) : NULL;
}

static int json_equal(yajl_val a, yajl_val b)
{
    if (!a || !b)
        return a == b;
    if (YAJL_IS_OBJECT(a)) {
        if (!YAJL_IS_OBJECT(b) || a->u.object.len != b->u.object.len)
            return 0;
        for (size_t i = 0; i < a->u.object.len; i++) {
            const char *path[] = {a->u.object.keys[i], NULL};
            yajl_val bv = yajl_tree_get(b, path, yajl_t_any);
            if (!bv || !json_equal(a->u.object.values[i], bv))
                return 0;
        }
        return 1;
    }
    if (YAJL_IS_ARRAY(a)) {
        if (!YAJL_IS_ARRAY(b) || a->u.array.len != b->u.array.len)
            return 0;
        for (size_t i = 0; i < a->u.array.len; i++)
            if (!json_equal(a->u.array.values[i], b->u.array.values[i]))
                return 0;
        return 1;
    }
    if (YAJL_IS_STRING(a))
        return YAJL_IS_STRING(b) && !strcmp(a->u.string, b->u.string);
    if (YAJL_IS_NUMBER(a))
        return YAJL_IS_NUMBER(b) && YAJL_GET_DOUBLE(a) == YAJL_GET_DOUBLE(b);
    return a->type == b->type;
}

static size_t codepoints(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void append(char **acc, const char *s)
{
    size_t a = *acc ? strlen(*acc) : 0, b = strlen(s);
    *acc = realloc(*acc, a + b + 1);
    REQUIRE(*acc);
    memcpy(*acc + a, s, b + 1);
}

/* --- shared state ------------------------------------------------------------------ */

static ssekit_replay *srv;
static unsigned port;
static yajl_val answer; /* the structured answer of openai_chat_structured */

static const char CHAT[] = "/v1/chat/completions";
static const char MSGS[] = "/v1/messages";
static const char RESP[] = "/v1/responses";

static const char CHAT_BODY[] =
    "{\"model\": \"gpt-4o\", \"stream\": true, \"stream_options\": {\"include_usage\": true},"
    " \"messages\": [{\"role\": \"user\", \"content\": \"Triage this review\"}],"
    " \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"review\","
    " \"schema\": {\"type\": \"object\"}}}}";
static const char CHAT_TOOLS_BODY[] =
    "{\"model\": \"gpt-4o\", \"stream\": true, \"messages\": [], \"tools\": [{\"type\": "
    "\"function\", \"function\": {\"name\": \"get_forecast\"}}]}";
static const char MSGS_TOOL_BODY[] =
    "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 1024, \"stream\": true, \"messages\": [],"
    " \"tools\": [{\"name\": \"record_review\", \"input_schema\": {\"type\": \"object\"}}],"
    " \"tool_choice\": {\"type\": \"tool\", \"name\": \"record_review\"}}";
static const char MSGS_TEXT_BODY[] =
    "{\"model\": \"claude-sonnet-4-5\", \"max_tokens\": 1024, \"stream\": true, \"messages\": []}";
static const char RESP_SCHEMA_BODY[] =
    "{\"model\": \"gpt-4.1\", \"stream\": true, \"input\": \"x\", \"text\": {\"format\": "
    "{\"type\": \"json_schema\", \"name\": \"review\", \"schema\": {}}}}";
static const char RESP_TEXT_BODY[] = "{\"model\": \"gpt-4.1\", \"stream\": true, \"input\": \"x\"}";

/* Checks a 200 stream response: headers, exact bytes of the transcript. */
static void check_stream(const resp *r, const char *name, const char *what)
{
    size_t len;
    char *want = transcript(name, &len);
    CHECKF(r->status == 200, "%s: status %d", what, r->status);
    const char *ct = hdr(r, "Content-Type");
    CHECKF(ct && !strncmp(ct, "text/event-stream", 17), "%s: content-type %s", what, ct);
    const char *cc = hdr(r, "Cache-Control");
    CHECKF(cc && !strcmp(cc, "no-cache"), "%s", what);
    const char *tn = hdr(r, "X-Replay-Transcript");
    CHECKF(tn && !strcmp(tn, name), "%s: transcript %s, want %s", what, tn, name);
    CHECKF(r->chunked && r->complete, "%s: chunked %d complete %d", what, r->chunked, r->complete);
    CHECKF(r->len == len && !memcmp(r->body, want, len), "%s: body of %zu bytes, want %zu", what,
           r->len, len);
    free(want);
}

/* --- the wire formats of the bundled transcripts ------------------------------------ */

static void test_chat_structured(void)
{
    resp *r = post(port, CHAT, NULL, CHAT_BODY);
    check_stream(r, "openai_chat_structured", "chat structured");
    events *ev = parse_events(r);
    REQUIRE(ev->n > 10);
    CHECK(!strcmp(ev->v[ev->n - 1].data, "[DONE]"));
    char *content = NULL;
    int finish_stop = 0, usage = 0, bad_delta = 0;
    for (size_t i = 0; i + 1 < ev->n; i++) {
        yajl_val v = json(ev->v[i].data);
        CHECKF(v && YAJL_IS_OBJECT(v), "chunk %zu is JSON", i);
        const char *obj[] = {"object", NULL}, *choices[] = {"choices", NULL};
        const char *o = jstr(v, obj);
        CHECK(o && !strcmp(o, "chat.completion.chunk"));
        yajl_val ch = yajl_tree_get(v, choices, yajl_t_array);
        REQUIRE(ch);
        if (YAJL_GET_ARRAY(ch)->len == 0) {
            const char *tot[] = {"usage", "total_tokens", NULL};
            usage += yajl_tree_get(v, tot, yajl_t_number) != NULL;
        } else {
            yajl_val c0 = YAJL_GET_ARRAY(ch)->values[0];
            const char *cp[] = {"delta", "content", NULL}, *fr[] = {"finish_reason", NULL};
            const char *piece = jstr(c0, cp), *f = jstr(c0, fr);
            if (piece && *piece) {
                size_t n = codepoints(piece);
                bad_delta += n < 1 || n > 6;
                append(&content, piece);
            }
            finish_stop += f && !strcmp(f, "stop");
        }
        yajl_tree_free(v);
    }
    CHECK(finish_stop == 1);
    CHECK(usage == 1);
    CHECKF(bad_delta == 0, "%d content deltas outside 1-6 characters", bad_delta);
    REQUIRE(content);
    answer = json(content);
    REQUIRE(answer && YAJL_IS_OBJECT(answer));
    const char *sum[] = {"summary", NULL}, *sent[] = {"sentiment", NULL}, *top[] = {"topics", NULL};
    const char *s = jstr(answer, sum), *e = jstr(answer, sent);
    CHECK(s && codepoints(s) < strlen(s)); /* non-ASCII in the summary */
    CHECK(e && (!strcmp(e, "positive") || !strcmp(e, "negative") || !strcmp(e, "neutral") ||
                !strcmp(e, "mixed")));
    yajl_val topics = yajl_tree_get(answer, top, yajl_t_array);
    CHECK(topics && YAJL_GET_ARRAY(topics)->len >= 2 &&
          YAJL_IS_OBJECT(YAJL_GET_ARRAY(topics)->values[0]));
    free(content);
    events_free(ev);
    resp_free(r);
}

static void test_chat_tool_calls(void)
{
    resp *r = post(port, CHAT, NULL, CHAT_TOOLS_BODY);
    check_stream(r, "openai_chat_tool_calls", "chat tools");
    events *ev = parse_events(r);
    char *args[2] = {NULL, NULL};
    const char *ids[2] = {NULL, NULL};
    char idbuf[2][64] = {"", ""};
    int last = -1, switches = 0, finish = 0;
    for (size_t i = 0; i + 1 < ev->n; i++) {
        yajl_val v = json(ev->v[i].data);
        REQUIRE(v);
        const char *choices[] = {"choices", NULL};
        yajl_val ch = yajl_tree_get(v, choices, yajl_t_array);
        if (ch && YAJL_GET_ARRAY(ch)->len) {
            yajl_val c0 = YAJL_GET_ARRAY(ch)->values[0];
            const char *tc[] = {"delta", "tool_calls", NULL}, *fr[] = {"finish_reason", NULL};
            yajl_val calls = yajl_tree_get(c0, tc, yajl_t_array);
            const char *f = jstr(c0, fr);
            finish += f && !strcmp(f, "tool_calls");
            for (size_t k = 0; calls && k < YAJL_GET_ARRAY(calls)->len; k++) {
                yajl_val call = YAJL_GET_ARRAY(calls)->values[k];
                const char *ix[] = {"index", NULL}, *id[] = {"id", NULL},
                           *ar[] = {"function", "arguments", NULL};
                yajl_val iv = yajl_tree_get(call, ix, yajl_t_number);
                REQUIRE(iv);
                int idx = (int)YAJL_GET_INTEGER(iv);
                REQUIRE(idx == 0 || idx == 1);
                switches += last >= 0 && idx != last;
                last = idx;
                const char *s = jstr(call, id);
                if (s) {
                    snprintf(idbuf[idx], sizeof idbuf[idx], "%s", s);
                    ids[idx] = idbuf[idx];
                }
                const char *a = jstr(call, ar);
                if (a)
                    append(&args[idx], a);
            }
        }
        yajl_tree_free(v);
    }
    CHECK(!strcmp(ev->v[ev->n - 1].data, "[DONE]"));
    CHECK(finish == 1);
    CHECKF(switches >= 3, "tool calls interleaved (%d switches)", switches);
    CHECK(ids[0] && ids[1] && strcmp(ids[0], ids[1]));
    for (int k = 0; k < 2; k++) {
        yajl_val a = args[k] ? json(args[k]) : NULL;
        CHECKF(a && YAJL_IS_OBJECT(a), "arguments of call %d: %s", k, args[k]);
        yajl_tree_free(a);
        free(args[k]);
    }
    events_free(ev);
    resp_free(r);
}

static void test_anthropic(void)
{
    resp *r = post(port, MSGS, "anthropic-version: 2023-06-01\r\n", MSGS_TOOL_BODY);
    check_stream(r, "anthropic_tool_use", "anthropic tool_use");
    events *ev = parse_events(r);
    char *partial = NULL;
    int stop_tool = 0;
    REQUIRE(ev->n > 4);
    CHECK(!strcmp(ev->v[0].type, "message_start"));
    CHECK(!strcmp(ev->v[ev->n - 1].type, "message_stop"));
    for (size_t i = 0; i < ev->n; i++) {
        yajl_val v = json(ev->v[i].data);
        REQUIRE(v);
        const char *ty[] = {"type", NULL}, *pj[] = {"delta", "partial_json", NULL},
                   *sr[] = {"delta", "stop_reason", NULL};
        const char *t = jstr(v, ty);
        CHECKF(t && !strcmp(t, ev->v[i].type), "event %zu: SSE type %s, JSON type %s", i,
               ev->v[i].type, t);
        const char *p = jstr(v, pj), *s = jstr(v, sr);
        if (p)
            append(&partial, p);
        stop_tool += s && !strcmp(s, "tool_use");
        yajl_tree_free(v);
    }
    CHECK(stop_tool == 1);
    yajl_val input = partial ? json(partial) : NULL;
    CHECKF(json_equal(input, answer), "the forced tool's input is the structured answer");
    yajl_tree_free(input);
    free(partial);
    events_free(ev);
    resp_free(r);

    r = post(port, MSGS, NULL, MSGS_TEXT_BODY);
    check_stream(r, "anthropic_text", "anthropic text");
    ev = parse_events(r);
    char *text = NULL;
    for (size_t i = 0; i < ev->n; i++) {
        yajl_val v = json(ev->v[i].data);
        const char *td[] = {"delta", "text", NULL};
        const char *t = v ? jstr(v, td) : NULL;
        if (t)
            append(&text, t);
        yajl_tree_free(v);
    }
    CHECK(text && strlen(text) > 100 && codepoints(text) < strlen(text));
    free(text);
    events_free(ev);
    resp_free(r);
}

static void test_responses(void)
{
    const char *names[2] = {"responses_structured", "responses_text"};
    const char *bodies[2] = {RESP_SCHEMA_BODY, RESP_TEXT_BODY};
    for (int k = 0; k < 2; k++) {
        resp *r = post(port, RESP, NULL, bodies[k]);
        check_stream(r, names[k], names[k]);
        events *ev = parse_events(r);
        char *deltas = NULL, *done = NULL;
        int seq_ok = 1;
        for (size_t i = 0; i < ev->n; i++) {
            yajl_val v = json(ev->v[i].data);
            REQUIRE(v);
            const char *sq[] = {"sequence_number", NULL}, *d[] = {"delta", NULL},
                       *tx[] = {"text", NULL};
            yajl_val s = yajl_tree_get(v, sq, yajl_t_number);
            seq_ok &= s && YAJL_GET_INTEGER(s) == (long long)i;
            if (!strcmp(ev->v[i].type, "response.output_text.delta"))
                append(&deltas, jstr(v, d));
            if (!strcmp(ev->v[i].type, "response.output_text.done"))
                done = strdup(jstr(v, tx));
            yajl_tree_free(v);
        }
        CHECK(seq_ok);
        CHECK(!strcmp(ev->v[ev->n - 1].type, "response.completed"));
        CHECK(deltas && done && !strcmp(deltas, done));
        if (k == 0) {
            yajl_val v = deltas ? json(deltas) : NULL;
            CHECKF(json_equal(v, answer), "responses: the same structured answer");
            yajl_tree_free(v);
        }
        free(deltas);
        free(done);
        events_free(ev);
        resp_free(r);
    }
}

static void test_raw(void)
{
    resp *r = get(port, "/v1/raw/raw_deploy", NULL);
    check_stream(r, "raw_deploy", "raw");
    CHECK(!strcmp(hdr(r, "Content-Type"), "text/event-stream"));
    events *ev = parse_events(r);
    CHECKF(ev->n == 15, "%zu raw events", ev->n);
    int ids_ok = 1, multiline = 0;
    for (size_t i = 0; i < ev->n; i++) {
        char want[24];
        snprintf(want, sizeof want, "%zu", i + 1);
        ids_ok &= !strcmp(ev->v[i].id, want);
        multiline += strchr(ev->v[i].data, '\n') != NULL;
    }
    CHECK(ids_ok);
    CHECK(multiline == 1);
    CHECK(ev->comments == 2);
    events_free(ev);
    resp_free(r);

    /* Resume: numeric IDs, skipped up to and including Last-Event-ID. */
    r = get(port, "/v1/raw/raw_deploy", "Last-Event-ID: 5\r\n");
    ev = parse_events(r);
    CHECK(r->status == 200 && ev->n == 10 && !strcmp(ev->v[0].id, "6"));
    events_free(ev);
    resp_free(r);
    r = get(port, "/v1/raw/raw_deploy", "Last-Event-ID: 15\r\n");
    CHECKF(r->status == 204 && r->len == 0, "nothing after the last ID: %d", r->status);
    resp_free(r);
    r = get(port, "/v1/raw/raw_deploy", "Last-Event-ID: 9999\r\n");
    CHECK(r->status == 204);
    resp_free(r);
    r = get(port, "/v1/raw/raw_deploy", "Last-Event-ID: not-an-id\r\n");
    ev = parse_events(r);
    CHECKF(ev->n == 15, "an unknown ID resumes from the start (%zu)", ev->n);
    events_free(ev);
    resp_free(r);

    /* A transcript without IDs gets 1, 2, ... on the raw endpoint. */
    size_t len;
    char *text = transcript("anthropic_text", &len);
    events *plain = parse_text(text, len);
    r = get(port, "/v1/raw/anthropic_text", "Last-Event-ID: 3\r\n");
    ev = parse_events(r);
    CHECKF(ev->n + 3 == plain->n, "%zu of %zu", ev->n, plain->n);
    int same = ev->n > 0;
    for (size_t i = 0; i < ev->n && same; i++) {
        char want[16];
        snprintf(want, sizeof want, "%zu", i + 4);
        same &= !strcmp(ev->v[i].id, want) && !strcmp(ev->v[i].data, plain->v[i + 3].data);
    }
    CHECK(same);
    events_free(ev);
    events_free(plain);
    free(text);
    resp_free(r);

    r = get(port, "/v1/raw/no_such_transcript", NULL);
    CHECK(r->status == 404);
    resp_free(r);
    r = get(port, "/v1/raw/..%2Fetc", NULL);
    CHECK(r->status == 404);
    resp_free(r);
}

/* --- routing, validation, auth ---------------------------------------------------- */

static void test_routes(void)
{
    resp *r = get(port, "/healthz", NULL);
    CHECK(r->status == 200 && r->complete && strstr(r->body, "\"ok\""));
    resp_free(r);
    r = get(port, "/nope", NULL);
    yajl_val v = json(r->body);
    const char *et[] = {"error", "type", NULL};
    CHECK(r->status == 404 && v && jstr(v, et));
    yajl_tree_free(v);
    resp_free(r);
    r = get(port, CHAT, NULL);
    CHECK(r->status == 405 && hdr(r, "Allow") && !strcmp(hdr(r, "Allow"), "POST"));
    resp_free(r);
    r = post(port, "/v1/raw/raw_deploy", NULL, "{}");
    CHECK(r->status == 405);
    resp_free(r);

    /* Overrides: header and query. */
    r = post(port, CHAT, "X-Replay-Transcript: anthropic_text\r\n", CHAT_BODY);
    check_stream(r, "anthropic_text", "header override");
    resp_free(r);
    r = post(port, "/v1/chat/completions?transcript=raw_deploy", NULL, CHAT_BODY);
    check_stream(r, "raw_deploy", "query override");
    resp_free(r);
    r = post(port, MSGS, "X-Replay-Transcript: nope\r\n", MSGS_TEXT_BODY);
    v = json(r->body);
    const char *top[] = {"type", NULL}, *ety[] = {"error", "type", NULL};
    CHECK(r->status == 404 && v && !strcmp(jstr(v, top), "error") &&
          !strcmp(jstr(v, ety), "not_found_error"));
    yajl_tree_free(v);
    resp_free(r);
}

static void test_bad_bodies(void)
{
    static const struct {
        const char *path, *body;
    } cases[] = {
        {CHAT, "{\"stream\": true"},
        {CHAT, "not json"},
        {CHAT, "[1, 2]"},
        {CHAT, "{\"model\": \"x\"}"},
        {CHAT, "{\"stream\": false}"},
        {CHAT, "{\"stream\": \"true\"}"},
        {MSGS, "{\"stream\": true} extra"},
        {MSGS, "{\"stream\": false}"},
        {RESP, ""},
        {CHAT, "1"},
        {MSGS, "\"stream\""},
        {RESP, "{\"stream\": true, \"x\": \"\xff\"}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        resp *r = post(port, cases[i].path, NULL, cases[i].body);
        yajl_val v = json(r->body);
        CHECKF(r->status == 400, "case %zu: %d", i, r->status);
        if (cases[i].path == MSGS) {
            const char *t[] = {"type", NULL}, *et[] = {"error", "type", NULL},
                       *em[] = {"error", "message", NULL};
            CHECKF(v && !strcmp(jstr(v, t), "error") &&
                       !strcmp(jstr(v, et), "invalid_request_error") && jstr(v, em),
                   "case %zu: anthropic shape: %s", i, r->body);
        } else {
            const char *et[] = {"error", "type", NULL}, *em[] = {"error", "message", NULL};
            CHECKF(v && !strcmp(jstr(v, et), "invalid_request_error") && jstr(v, em),
                   "case %zu: openai shape: %s", i, r->body);
        }
        yajl_tree_free(v);
        resp_free(r);
    }
    /* Nesting deeper than the limit is refused, not recursed into. */
    char deep[400] = "{\"stream\": true, \"x\": ";
    size_t n = strlen(deep);
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = 0;
    resp *r = post(port, CHAT, NULL, deep);
    CHECK(r->status == 400 && strstr(r->body, "deeper"));
    resp_free(r);
}

static void test_auth(void)
{
    ssekit_replay_options o = {0};
    o.api_key = "sk-test-S3CR3T";
    ssekit_replay *s = ssekit_replay_start(&o);
    REQUIRE(s);
    unsigned p = ssekit_replay_port(s);
    resp *r = post(p, CHAT, NULL, CHAT_BODY);
    yajl_val v = json(r->body);
    const char *code[] = {"error", "code", NULL};
    CHECK(r->status == 401 && v && !strcmp(jstr(v, code), "invalid_api_key"));
    yajl_tree_free(v);
    resp_free(r);
    r = post(p, CHAT, "Authorization: Bearer sk-wrong\r\n", CHAT_BODY);
    CHECK(r->status == 401 && !strstr(r->body, "sk-wrong"));
    resp_free(r);
    r = post(p, CHAT, "Authorization: Bearer sk-test-S3CR3T\r\n", CHAT_BODY);
    CHECK(r->status == 200);
    resp_free(r);
    r = post(p, MSGS, "x-api-key: sk-test-S3CR3T\r\n", MSGS_TEXT_BODY);
    CHECK(r->status == 200);
    resp_free(r);
    r = post(p, MSGS, NULL, MSGS_TEXT_BODY);
    v = json(r->body);
    const char *et[] = {"error", "type", NULL};
    CHECK(r->status == 401 && v && !strcmp(jstr(v, et), "authentication_error"));
    yajl_tree_free(v);
    resp_free(r);
    r = get(p, "/healthz", NULL);
    CHECK(r->status == 200);
    resp_free(r);

    /* The log never holds a key, neither in the C API nor as JSON. */
    size_t n;
    ssekit_replay_request *log = ssekit_replay_requests(s, &n);
    int redacted = 0, leaked = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t h = 0; h < log[i].header_count; h++) {
            const ssekit_replay_header *x = &log[i].headers[h];
            if (!strcasecmp(x->name, "Authorization") || !strcasecmp(x->name, "x-api-key"))
                redacted += !strcmp(x->value, "[redacted]");
            leaked += strstr(x->value, "S3CR3T") || strstr(x->value, "sk-wrong");
        }
    CHECK(n == 6);
    CHECKF(redacted == 3 && !leaked, "redacted %d, leaked %d", redacted, leaked);
    ssekit_replay_requests_free(log);
    char *j = ssekit_replay_requests_json(s);
    CHECK(j && !strstr(j, "S3CR3T") && !strstr(j, "sk-wrong") && strstr(j, "[redacted]"));
    free(j);
    resp *rl = get(p, "/v1/replay/requests", NULL);
    CHECK(rl->status == 200 && !strstr(rl->body, "S3CR3T") && strstr(rl->body, "[redacted]"));
    resp_free(rl);
    ssekit_replay_stop(s);
}

/* --- faults ----------------------------------------------------------------------- */

/* The offset just after the n-th event (block with data) of a transcript. */
static size_t prefix_of_events(const char *text, size_t len, size_t n)
{
    size_t off = 0, found = 0;
    while (off < len && found < n) {
        const char *end = strstr(text + off, "\n\n");
        if (!end)
            return len;
        const char *blk = text + off;
        int data = !strncmp(blk, "data", 4) || strstr(blk, "\ndata") < end;
        off = (size_t)(end - text) + 2;
        found += data;
    }
    return off;
}

static ssekit_replay_request *entry(uint64_t seq, ssekit_replay_request **all)
{
    size_t n;
    *all = ssekit_replay_requests(srv, &n);
    for (size_t i = 0; i < n; i++)
        if ((*all)[i].seq == seq)
            return &(*all)[i];
    return NULL;
}

/* Waits up to 2 s for the log entry `seq` to end; returns its end. */
static const char *wait_end(uint64_t seq)
{
    static char end[32];
    for (int i = 0; i < 200; i++) {
        ssekit_replay_request *all, *e = entry(seq, &all);
        snprintf(end, sizeof end, "%s", e ? e->end : "missing");
        ssekit_replay_requests_free(all);
        if (strcmp(end, "open"))
            break;
        sleep_ms(10);
    }
    return end;
}

static uint64_t seq_of(const resp *r)
{
    const char *s = hdr(r, "X-Replay-Seq");
    return s ? strtoull(s, NULL, 10) : 0;
}

static void test_drop(void)
{
    size_t len;
    char *text = transcript("openai_chat_structured", &len);
    resp *r = post(port, CHAT, "X-Replay-Fault: drop-after=3\r\n", CHAT_BODY);
    events *ev = parse_events(r);
    size_t pre = prefix_of_events(text, len, 3);
    CHECKF(r->status == 200 && ev->n == 3, "drop-after=3: %zu events", ev->n);
    CHECK(!r->complete && r->eof);
    CHECK(r->len == pre && !memcmp(r->body, text, pre));
    CHECK(!strcmp(wait_end(seq_of(r)), "dropped"));
    events_free(ev);
    resp_free(r);

    /* The same through the query (percent-encoded, as a browser would). */
    r = post(port, "/v1/chat/completions?fault=drop-after%3D2", NULL, CHAT_BODY);
    ev = parse_events(r);
    CHECK(ev->n == 2 && !r->complete);
    events_free(ev);
    resp_free(r);

    r = post(port, CHAT, "X-Replay-Fault: drop-after=3; drop-partial\r\n", CHAT_BODY);
    ev = parse_events(r);
    CHECKF(ev->n == 3 && r->len > pre && r->len < prefix_of_events(text, len, 4) &&
               !memcmp(r->body, text, r->len) && !r->complete,
           "drop-partial: %zu events, %zu bytes", ev->n, r->len);
    events_free(ev);
    resp_free(r);

    /* Close framing: no chunks, the end of the body is the close. */
    r = post(port, CHAT, "X-Replay-Fault: framing=close\r\n", CHAT_BODY);
    CHECK(r->status == 200 && !r->chunked && !hdr(r, "Transfer-Encoding") &&
          !strcmp(hdr(r, "Connection"), "close"));
    CHECK(r->len == len && !memcmp(r->body, text, len));
    resp_free(r);
    free(text);
}

/* Seconds from now until an IMF-fixdate. */
static long date_in(const char *d)
{
    static const char *mon = "JanFebMarAprMayJunJulAugSepOctNovDec";
    char wd[4], mn[4];
    int day, year, h, m, s;
    if (!d || sscanf(d, "%3s, %d %3s %d %d:%d:%d GMT", wd, &day, mn, &year, &h, &m, &s) != 7)
        return -1000;
    const char *p = strstr(mon, mn);
    if (!p)
        return -1000;
    int month = (int)(p - mon) / 3 + 1;
    /* days from civil (Howard Hinnant) */
    int y = year - (month <= 2);
    int era = y / 400, yoe = y - era * 400;
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    long days = era * 146097L + yoe * 365L + yoe / 4 - yoe / 100 + doy - 719468L;
    long t = days * 86400L + h * 3600L + m * 60L + s;
    return t - (long)time(NULL);
}

static void test_status_faults(void)
{
    resp *r = post(port, CHAT, "X-Replay-Fault: status=429;retry-after=2\r\n", CHAT_BODY);
    yajl_val v = json(r->body);
    const char *et[] = {"error", "type", NULL}, *code[] = {"error", "code", NULL};
    CHECK(r->status == 429 && hdr(r, "Retry-After") && !strcmp(hdr(r, "Retry-After"), "2"));
    CHECK(v && !strcmp(jstr(v, et), "requests") && !strcmp(jstr(v, code), "rate_limit_exceeded"));
    yajl_tree_free(v);
    resp_free(r);

    r = post(port, MSGS, "X-Replay-Fault: status=529\r\n", MSGS_TEXT_BODY);
    v = json(r->body);
    CHECK(r->status == 529 && v && !strcmp(jstr(v, et), "overloaded_error"));
    yajl_tree_free(v);
    resp_free(r);

    r = post(port, RESP, "X-Replay-Fault: status=503;retry-after-date=5\r\n", RESP_TEXT_BODY);
    long in = date_in(hdr(r, "Retry-After"));
    CHECKF(r->status == 503 && in >= 4 && in <= 7, "Retry-After date in %ld s", in);
    resp_free(r);

    r = get(port, "/v1/raw/raw_deploy?fault=status=204", NULL);
    CHECK(r->status == 204 && r->len == 0 && !hdr(r, "Content-Length"));
    resp_free(r);

    /* times=K with a key: 503 twice, then the stream. */
    int st[4];
    for (int i = 0; i < 4; i++) {
        r = post(port, CHAT, "X-Replay-Key: k-503\r\nX-Replay-Fault: status=503;times=2\r\n",
                 CHAT_BODY);
        st[i] = r->status;
        resp_free(r);
    }
    CHECKF(st[0] == 503 && st[1] == 503 && st[2] == 200 && st[3] == 200, "%d %d %d %d", st[0],
           st[1], st[2], st[3]);
    size_t n;
    ssekit_replay_request *log = ssekit_replay_requests(srv, &n);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (!log[i].key || strcmp(log[i].key, "k-503"))
            continue;
        seen++;
        CHECKF(log[i].attempt == (uint64_t)seen, "attempt %" PRIu64, log[i].attempt);
        CHECK(log[i].fault_applied == (seen <= 2));
        CHECK(log[i].status == (seen <= 2 ? 503 : 200));
        CHECK(log[i].fault && !strcmp(log[i].fault, "status=503;times=2"));
    }
    CHECK(seen == 4);
    ssekit_replay_requests_free(log);

    /* Key in the query (EventSource), and times without a key. */
    r = get(port, "/v1/raw/raw_deploy?fault=status%3D500%3Btimes%3D1&key=q1", NULL);
    CHECK(r->status == 500);
    resp_free(r);
    r = get(port, "/v1/raw/raw_deploy?fault=status%3D500%3Btimes%3D1&key=q1", NULL);
    CHECK(r->status == 200);
    resp_free(r);
    r = get(port, "/v1/raw/raw_deploy?fault=status=502;times=1;retry-after=9", NULL);
    CHECK(r->status == 502);
    resp_free(r);
    r = get(port, "/v1/raw/raw_deploy?fault=status=502;times=1;retry-after=9", NULL);
    CHECK(r->status == 200);
    resp_free(r);

    /* Unknown items and bad values are refused. */
    const char *bad[] = {"X-Replay-Fault: explode\r\n",      "X-Replay-Fault: status=99\r\n",
                         "X-Replay-Fault: drop-after=x\r\n", "X-Replay-Fault: stall=1.2345\r\n",
                         "X-Replay-Fault: drop-partial\r\n", "X-Replay-Fault: garbage=pink\r\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = post(port, CHAT, bad[i], CHAT_BODY);
        CHECKF(r->status == 400, "%s -> %d", bad[i], r->status);
        resp_free(r);
    }
    r = post(port, CHAT, "X-Replay-Fault: explode\r\n", CHAT_BODY);
    CHECK(strstr(r->body, "explode"));
    resp_free(r);
}

static void test_timing_faults(void)
{
    /* stall=S: the head, then nothing for S seconds. */
    resp *r = get(port, "/v1/raw/raw_deploy", "X-Replay-Fault: stall=0.3\r\n");
    events *ev = parse_events(r);
    CHECK(ev->n == 15 && r->complete);
    CHECKF(ev->n && ev->v[0].t >= r->t_head + 280, "first event %" PRIu64 " ms after the head",
           ev->n ? ev->v[0].t - r->t_head : 0);
    events_free(ev);
    resp_free(r);

    /* stall-after=N;stall=S: a gap after the N-th event. */
    r = get(port, "/v1/raw/raw_deploy", "X-Replay-Fault: stall-after=2;stall=0.3\r\n");
    ev = parse_events(r);
    CHECK(ev->n == 15);
    CHECKF(ev->n == 15 && ev->v[2].t >= ev->v[1].t + 280 && ev->v[1].t < r->t_head + 200,
           "gap %" PRIu64, ev->v[2].t - ev->v[1].t);
    events_free(ev);
    resp_free(r);

    /* stall-after alone stalls until the client leaves; heartbeats meanwhile. */
    client *c = cl_open(port);
    set_timeout(c->fd, 400);
    c->deadline = now_ms() + 400;
    cl_sends(c, mkreq("GET", "/v1/raw/raw_deploy",
                      "X-Replay-Fault: stall-after=1;heartbeat-ms=50\r\n", NULL));
    r = cl_response(c);
    ev = parse_events(r);
    CHECKF(ev->n == 1 && ev->heartbeats >= 4 && !r->complete, "%zu events, %zu heartbeats", ev->n,
           ev->heartbeats);
    uint64_t seq = seq_of(r);
    cl_close(c);
    CHECK(!strcmp(wait_end(seq), "client-gone"));
    events_free(ev);
    resp_free(r);

    /* delay-ms=N: paced events. */
    r = get(port, "/v1/raw/raw_deploy?fault=delay-ms=40", "Last-Event-ID: 10\r\n");
    ev = parse_events(r);
    CHECK(ev->n == 5);
    int paced = ev->n == 5;
    for (size_t i = 1; i < ev->n; i++)
        paced &= ev->v[i].t >= ev->v[i - 1].t + 30;
    CHECKF(paced && ev->v[4].t >= r->t_head + 4 * 40 - 10, "paced over %" PRIu64 " ms",
           ev->n ? ev->v[ev->n - 1].t - r->t_head : 0);
    events_free(ev);
    resp_free(r);

    /* bytewise: one body byte per chunk, one chunk per write. */
    size_t len;
    char *text = transcript("raw_deploy", &len);
    r = get(port, "/v1/raw/raw_deploy", "Last-Event-ID: 12\r\nX-Replay-Fault: bytewise\r\n");
    ev = parse_events(r);
    CHECKF(r->complete && r->n_pieces == r->len && ev->n == 3, "%zu chunks for %zu bytes",
           r->n_pieces, r->len);
    CHECK(r->len > 100 && !memcmp(r->body + r->len - 40, text + len - 40, 40));
    events_free(ev);
    resp_free(r);
    free(text);
}

static void test_content_faults(void)
{
    size_t len;
    char *text = transcript("raw_deploy", &len);
    events *plain = parse_text(text, len);
    free(text);

    resp *r = get(port, "/v1/raw/raw_deploy", "X-Replay-Fault: content-type=text/plain\r\n");
    CHECK(r->status == 200 && !strcmp(hdr(r, "Content-Type"), "text/plain"));
    resp_free(r);
    r = get(port, "/v1/raw/raw_deploy?fault=content-type=application%2Fjson%253B%2520x%253Dy",
            NULL);
    CHECKF(!strcmp(hdr(r, "Content-Type"), "application/json; x=y"), "%s", hdr(r, "Content-Type"));
    resp_free(r);

    /* garbage: junk lines a WHATWG parser skips; the events are unchanged. */
    r = get(port, "/v1/raw/raw_deploy", "X-Replay-Fault: garbage\r\n");
    events *ev = parse_events(r);
    CHECK(r->complete && memchr(r->body, 0xff, r->len) && memchr(r->body, 0, r->len));
    int same = ev->n == plain->n;
    for (size_t i = 0; same && i < ev->n; i++)
        same = !strcmp(ev->v[i].data, plain->v[i].data) && !strcmp(ev->v[i].id, plain->v[i].id);
    CHECK(same);
    events_free(ev);
    resp_free(r);

    /* garbage=data: one extra event, its invalid UTF-8 decoded as U+FFFD. */
    r = get(port, "/v1/raw/raw_deploy", "X-Replay-Fault: garbage=data;garbage-after=2\r\n");
    ev = parse_events(r);
    CHECKF(ev->n == plain->n + 1 && strstr(ev->v[2].data, "\xef\xbf\xbd") &&
               !strcmp(ev->v[3].data, plain->v[2].data),
           "%zu events", ev->n);
    events_free(ev);
    resp_free(r);

    /* sse-retry: a retry field first. */
    r = get(port, "/v1/raw/raw_deploy?fault=sse-retry=1500", NULL);
    ev = parse_events(r);
    CHECK(ev->retry == 1500 && ev->n == plain->n);
    events_free(ev);
    resp_free(r);
    events_free(plain);
}

/* --- HTTP: keep-alive, pipelining, framing ---------------------------------------------- */

static void test_keepalive(void)
{
    client *c = cl_open(port);
    cl_sends(c, mkreq("GET", "/healthz", NULL, NULL));
    resp *a = cl_response(c);
    cl_sends(c, mkreq("POST", CHAT, NULL, CHAT_BODY));
    resp *b = cl_response(c);
    cl_sends(c, mkreq("GET", "/v1/raw/raw_deploy", NULL, NULL));
    resp *d = cl_response(c);
    CHECK(a->status == 200 && !hdr(a, "Connection"));
    check_stream(b, "openai_chat_structured", "keep-alive 2nd");
    check_stream(d, "raw_deploy", "keep-alive 3rd");
    CHECK(seq_of(a) < seq_of(b) && seq_of(b) < seq_of(d));
    resp_free(a);
    resp_free(b);
    resp_free(d);

    /* Two requests in one write: two answers in order. */
    char two[4096];
    snprintf(two, sizeof two, "%s",
             mkreq("GET", "/v1/raw/raw_deploy", "Last-Event-ID: 13\r\n", NULL));
    strcat(two, mkreq("POST", MSGS, NULL, MSGS_TEXT_BODY));
    cl_sends(c, two);
    a = cl_response(c);
    b = cl_response(c);
    events *ev = parse_events(a);
    CHECK(a->status == 200 && ev->n == 2);
    check_stream(b, "anthropic_text", "pipelined");
    events_free(ev);
    resp_free(a);
    resp_free(b);

    /* Connection: close is honoured. */
    cl_sends(c, mkreq("GET", "/healthz", "Connection: close\r\n", NULL));
    a = cl_response(c);
    CHECK(a->status == 200 && !strcmp(hdr(a, "Connection"), "close"));
    CHECK(cl_fill(c) == 0); /* then EOF */
    resp_free(a);
    cl_close(c);

    /* HTTP/1.0: no chunked encoding, the body ends at the close. */
    a = fetch(port, "GET /v1/raw/raw_deploy HTTP/1.0\r\n\r\n");
    size_t len;
    char *text = transcript("raw_deploy", &len);
    CHECK(a->status == 200 && !a->chunked && a->len == len && !memcmp(a->body, text, len));
    free(text);
    resp_free(a);

    /* Expect: 100-continue. */
    c = cl_open(port);
    char head[512];
    snprintf(head, sizeof head,
             "POST %s HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: %zu\r\n\r\n",
             MSGS, strlen(MSGS_TEXT_BODY));
    cl_sends(c, head);
    char line[256];
    CHECK(cl_line(c, line, sizeof line) && !strncmp(line, "HTTP/1.1 100 Continue", 21));
    CHECK(cl_line(c, line, sizeof line) && !strcmp(line, "\r\n"));
    cl_sends(c, MSGS_TEXT_BODY);
    a = cl_response(c);
    check_stream(a, "anthropic_text", "100-continue");
    resp_free(a);
    cl_close(c);

    /* Absolute-form target and bare-LF line endings. */
    a = fetch(port, "GET http://localhost/healthz HTTP/1.1\nHost: x\n\n");
    CHECK(a->status == 200);
    resp_free(a);
}

/* Many paced streams at once, read concurrently: all arrive in time (timers
 * due while the loop was busy with other connections must not be lost). */
static void test_many_paced(void)
{
    enum { N = 200 };
    static client *cs[N];
    static size_t got[N];
    static int done[N];
    size_t len;
    char *text = transcript("raw_deploy", &len);
    free(text);
    for (int i = 0; i < N; i++) {
        cs[i] = cl_open(port);
        cl_sends(cs[i], "GET /v1/raw/raw_deploy?fault=delay-ms=1 HTTP/1.0\r\n\r\n");
        got[i] = 0;
        done[i] = 0;
    }
    uint64_t t0 = now_ms();
    int left = N;
    while (left && now_ms() - t0 < 5000) {
        struct pollfd pf[N];
        for (int i = 0; i < N; i++) {
            pf[i].fd = done[i] ? -1 : cs[i]->fd;
            pf[i].events = POLLIN;
        }
        if (poll(pf, N, 100) <= 0)
            continue;
        for (int i = 0; i < N; i++) {
            if (done[i] || !pf[i].revents)
                continue;
            char buf[4096];
            ssize_t n = recv(cs[i]->fd, buf, sizeof buf, 0);
            if (n > 0)
                got[i] += (size_t)n;
            else
                done[i] = 1, left--;
        }
    }
    uint64_t took = now_ms() - t0;
    int full = 0;
    for (int i = 0; i < N; i++) {
        full += done[i] && got[i] > len; /* the head and the whole transcript */
        cl_close(cs[i]);
    }
    CHECKF(full == N && took < 3000, "%d of %d streams complete after %" PRIu64 " ms", full, N,
           took);
}

/* --- limits ----------------------------------------------------------------------------- */

static void test_limits(void)
{
    ssekit_replay_options o = {0};
    o.max_header = 1024;
    o.max_headers = 20;
    o.max_body = 2048;
    o.max_conns = 4;
    o.request_timeout_ms = 300;
    ssekit_replay *s = ssekit_replay_start(&o);
    REQUIRE(s);
    unsigned p = ssekit_replay_port(s);

    char big[2048];
    memset(big, 'a', sizeof big);
    big[sizeof big - 1] = 0;
    char hdrs[4096];
    snprintf(hdrs, sizeof hdrs, "X-Long: %s\r\n", big);
    resp *r = get(p, "/healthz", hdrs);
    CHECKF(r->status == 431 && !strcmp(hdr(r, "Connection"), "close"), "long head: %d", r->status);
    resp_free(r);
    hdrs[0] = 0;
    for (int i = 0; i < 30; i++)
        snprintf(hdrs + strlen(hdrs), sizeof hdrs - strlen(hdrs), "X-H%d: v\r\n", i);
    r = get(p, "/healthz", hdrs);
    CHECK(r->status == 431);
    resp_free(r);

    /* 413 before the body is read, and the answer survives the unread body. */
    char *body = malloc(100000);
    REQUIRE(body);
    memset(body, ' ', 99999);
    body[0] = '{', body[99998] = '}', body[99999] = 0;
    r = post(p, CHAT, NULL, body);
    yajl_val v = json(r->body);
    const char *et[] = {"error", "type", NULL};
    CHECKF(r->status == 413 && v && jstr(v, et), "big body: %d", r->status);
    yajl_tree_free(v);
    resp_free(r);
    free(body);

    r = fetch(p,
              "POST /v1/chat/completions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    CHECK(r->status == 411);
    resp_free(r);
    r = fetch(p, "GET /healthz HTTP/2.0\r\n\r\n");
    CHECK(r->status == 505);
    resp_free(r);
    r = fetch(p, "GET healthz\r\n\r\n");
    CHECK(r->status == 400);
    resp_free(r);
    r = fetch(p, "GET /healthz HTTP/1.1\r\nBad Header: x\r\n\r\n");
    CHECK(r->status == 400);
    resp_free(r);
    r = fetch(p, "GET /healthz HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy");
    CHECK(r->status == 400);
    resp_free(r);

    /* The log keeps what could be parsed of refused requests. */
    size_t n;
    ssekit_replay_request *log = ssekit_replay_requests(s, &n);
    CHECK(n >= 2 && log[0].status == 431 && log[0].method == NULL && log[2].status == 413 &&
          !strcmp(log[2].path, CHAT));
    ssekit_replay_requests_free(log);

    /* max_conns: the fifth connection is refused with 503. */
    client *cs[4];
    for (int i = 0; i < 4; i++)
        cs[i] = cl_open(p);
    sleep_ms(50);
    r = get(p, "/healthz", NULL);
    CHECKF(r->status == 503 && strstr(r->body, "too many connections"), "5th: %d", r->status);
    resp_free(r);
    /* The request timeout frees the idle ones. */
    CHECK(cl_fill(cs[0]) == 0);
    for (int i = 0; i < 4; i++)
        cl_close(cs[i]);
    sleep_ms(50);
    r = get(p, "/healthz", NULL);
    CHECK(r->status == 200);
    resp_free(r);

    /* A request that never completes is closed after the timeout. */
    client *c = cl_open(p);
    cl_sends(c, "GET /healthz HTTP/1.1\r\nHost:");
    uint64_t t0 = now_ms();
    CHECK(cl_fill(c) == 0 && now_ms() - t0 >= 250);
    cl_close(c);
    ssekit_replay_stop(s);
}

/* A paced stream to a client that does not read: disconnected at max_backlog. */
static void test_backlog(const char *dir)
{
    ssekit_replay_options o = {0};
    o.transcripts_dir = dir;
    o.max_backlog = 64 << 10;
    o.delay_ms = 1;
    ssekit_replay *s = ssekit_replay_start(&o);
    REQUIRE(s);
    client *c = cl_open_rcvbuf(ssekit_replay_port(s), 4096);
    cl_sends(c, mkreq("GET", "/v1/raw/big", NULL, NULL));
    const char *end = "open";
    for (int i = 0; i < 300 && !strcmp(end, "open"); i++) {
        sleep_ms(10);
        size_t n;
        ssekit_replay_request *log = ssekit_replay_requests(s, &n);
        end = n ? log[0].end : "open";
        ssekit_replay_requests_free(log);
    }
    CHECKF(!strcmp(end, "backlog"), "slow reader: %s", end);
    cl_close(c);
    ssekit_replay_stop(s);
}

/* --- the log ------------------------------------------------------------------------------- */

static void test_log(void)
{
    ssekit_replay_options o = {0};
    o.max_log = 4;
    ssekit_replay *s = ssekit_replay_start(&o);
    REQUIRE(s);
    unsigned p = ssekit_replay_port(s);
    for (int i = 0; i < 10; i++) {
        char path[64];
        snprintf(path, sizeof path, "/healthz?i=%d", i);
        resp_free(get(p, path, i == 9 ? "X-Replay-Key: last\r\n" : NULL));
    }
    resp_free(get(p, "/v1/raw/raw_deploy?key=kq", "Last-Event-ID: 14\r\n"));
    size_t n;
    ssekit_replay_request *log = ssekit_replay_requests(s, &n);
    CHECKF(n == 4 && log[0].seq == 8 && log[3].seq == 11, "n=%zu first=%" PRIu64, n,
           n ? log[0].seq : 0);
    if (n == 4) {
        CHECK(!strcmp(log[0].query, "i=7") && !strcmp(log[0].method, "GET"));
        CHECK(log[2].key && !strcmp(log[2].key, "last") && log[2].attempt == 1);
        CHECK(!strcmp(log[3].path, "/v1/raw/raw_deploy") && !strcmp(log[3].key, "kq"));
        CHECK(log[3].last_event_id && !strcmp(log[3].last_event_id, "14"));
        CHECK(log[3].events == 1 && !strcmp(log[3].end, "complete") &&
              !strcmp(log[3].transcript, "raw_deploy"));
        CHECK(log[0].t_ms <= log[3].t_ms);
    }
    ssekit_replay_requests_free(log);

    resp *r = get(p, "/v1/replay/requests", NULL);
    yajl_val v = json(r->body);
    CHECK(r->status == 200 && v && YAJL_IS_ARRAY(v) && YAJL_GET_ARRAY(v)->len == 4);
    if (v && YAJL_IS_ARRAY(v) && YAJL_GET_ARRAY(v)->len == 4) {
        yajl_val e = YAJL_GET_ARRAY(v)->values[3];
        const char *seq[] = {"seq", NULL}, *lei[] = {"last_event_id", NULL},
                   *hd[] = {"headers", NULL};
        yajl_val sv = yajl_tree_get(e, seq, yajl_t_number);
        CHECK(sv && YAJL_GET_INTEGER(sv) == 11 && !strcmp(jstr(e, lei), "14"));
        yajl_val h = yajl_tree_get(e, hd, yajl_t_array);
        CHECK(h && YAJL_GET_ARRAY(h)->len == 2 && YAJL_IS_ARRAY(YAJL_GET_ARRAY(h)->values[0]));
    }
    yajl_tree_free(v);
    resp_free(r);
    r = get(p, "/v1/replay/requests?key=kq", NULL);
    v = json(r->body);
    CHECK(v && YAJL_IS_ARRAY(v) && YAJL_GET_ARRAY(v)->len == 1);
    yajl_tree_free(v);
    resp_free(r);

    /* Clearing empties the log and the key counts. */
    resp_free(get(p, "/v1/raw/raw_deploy?key=t1&fault=status=503;times=1", NULL));
    r = get(p, "/v1/raw/raw_deploy?key=t1&fault=status=503;times=1", NULL);
    CHECK(r->status == 200);
    resp_free(r);
    r = fetch(p, mkreq("DELETE", "/v1/replay/requests", NULL, NULL));
    CHECK(r->status == 204);
    resp_free(r);
    log = ssekit_replay_requests(s, &n);
    CHECK(n == 0 && log == NULL);
    r = get(p, "/v1/raw/raw_deploy?key=t1&fault=status=503;times=1", NULL);
    CHECK(r->status == 503 && seq_of(r) == 14);
    resp_free(r);
    char *j = ssekit_replay_requests_json(s);
    v = j ? json(j) : NULL;
    CHECK(v && YAJL_IS_ARRAY(v) && YAJL_GET_ARRAY(v)->len == 1);
    yajl_tree_free(v);
    free(j);

    /* A large body is cut in the log; binary bytes stay valid JSON. */
    char *body = malloc(70001);
    REQUIRE(body);
    memset(body, 'x', 70000);
    body[0] = '\xff';
    body[70000] = 0;
    resp_free(post(p, "/healthz", NULL, body));
    free(body);
    log = ssekit_replay_requests(s, &n);
    CHECK(n == 2 && log[1].body_len == SSEKIT_REPLAY_LOG_BODY_MAX && log[1].body_truncated &&
          log[1].status == 405);
    ssekit_replay_requests_free(log);
    j = ssekit_replay_requests_json(s);
    v = j ? json(j) : NULL;
    CHECK(v != NULL);
    yajl_tree_free(v);
    free(j);
    ssekit_replay_stop(s);
}

/* --- transcripts from a directory, start errors, stop with clients --------------------- */

static void write_file(const char *path, const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    fwrite(text, 1, len, f);
    fclose(f);
}

static void test_dir(const char *dir)
{
    ssekit_replay_options o = {0};
    char err[256] = "";
    o.transcripts_dir = dir;
    ssekit_replay *s = ssekit_replay_start(&o);
    REQUIRE(s);
    unsigned p = ssekit_replay_port(s);
    resp *r = get(p, "/v1/replay/transcripts", NULL);
    yajl_val v = json(r->body);
    CHECK(v && YAJL_IS_ARRAY(v) && YAJL_GET_ARRAY(v)->len == 3);
    yajl_tree_free(v);
    resp_free(r);
    /* CRLF and no final blank line: still three events. */
    r = get(p, "/v1/raw/crlf", NULL);
    events *ev = parse_events(r);
    CHECK(r->status == 200 && ev->n == 3 && !strcmp(ev->v[2].data, "three") &&
          !strcmp(ev->v[2].id, "3"));
    events_free(ev);
    resp_free(r);
    /* String IDs resume after the matching one. */
    r = get(p, "/v1/raw/strings", "Last-Event-ID: b\r\n");
    ev = parse_events(r);
    CHECK(ev->n == 1 && !strcmp(ev->v[0].id, "c"));
    events_free(ev);
    resp_free(r);
    r = get(p, "/v1/raw/notes", NULL);
    CHECK(r->status == 404);
    resp_free(r);
    ssekit_replay_stop(s);

    o.transcripts_dir = "/nonexistent/dir";
    o.error = err;
    o.error_len = sizeof err;
    CHECK(ssekit_replay_start(&o) == NULL && strstr(err, "/nonexistent/dir"));
    o.transcripts_dir = NULL;
    o.port = port; /* taken */
    err[0] = 0;
    CHECK(ssekit_replay_start(&o) == NULL && strstr(err, "cannot listen"));
}

static void test_stop_with_clients(void)
{
    ssekit_replay *s = ssekit_replay_start(NULL);
    REQUIRE(s);
    unsigned p = ssekit_replay_port(s);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", p);
    CHECK(!strcmp(ssekit_replay_url(s), url));
    client *stalled = cl_open(p), *partial = cl_open(p), *idle = cl_open(p), *paced = cl_open(p);
    cl_sends(stalled, mkreq("POST", CHAT, "X-Replay-Fault: stall-after=1\r\n", CHAT_BODY));
    cl_sends(partial, "POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 100\r\n\r\n{");
    cl_sends(paced, mkreq("POST", MSGS, "X-Replay-Fault: delay-ms=100\r\n", MSGS_TEXT_BODY));
    char line[256];
    CHECK(cl_line(stalled, line, sizeof line) && strstr(line, "200"));
    CHECK(cl_line(paced, line, sizeof line) && strstr(line, "200"));
    uint64_t t0 = now_ms();
    ssekit_replay_stop(s);
    CHECKF(now_ms() - t0 < 1000, "stop took %" PRIu64 " ms", now_ms() - t0);
    client *all[4] = {stalled, partial, idle, paced};
    for (int i = 0; i < 4; i++) {
        ssize_t n;
        while ((n = cl_fill(all[i])) > 0)
            ;
        CHECKF(n == 0 || errno == ECONNRESET, "client %d sees the close", i);
        cl_close(all[i]);
    }
}

static char tmpdir[] = "/tmp/ssekit-replay-test-XXXXXX";

static void make_dirs(char *dir, size_t cap)
{
    REQUIRE(mkdtemp(tmpdir));
    char path[512];
    snprintf(path, sizeof path, "%s/t", tmpdir);
    REQUIRE(mkdir(path, 0700) == 0);
    static const char crlf[] = "id: 1\r\ndata: one\r\n\r\n: note\r\n\r\nid: 2\r\ndata: two\r\n\r\n"
                               "id: 3\r\ndata: three";
    static const char strs[] = "id: a\ndata: A\n\nid: b\ndata: B\n\nid: c\ndata: C\n\n";
    snprintf(path, sizeof path, "%s/t/crlf.sse", tmpdir);
    write_file(path, crlf, sizeof crlf - 1);
    snprintf(path, sizeof path, "%s/t/strings.sse", tmpdir);
    write_file(path, strs, sizeof strs - 1);
    snprintf(path, sizeof path, "%s/t/notes.txt", tmpdir);
    write_file(path, "data: x\n\n", 9);
    snprintf(path, sizeof path, "%s/t/bad name.sse", tmpdir);
    write_file(path, "data: x\n\n", 9);
    /* big.sse: 400 events of 8 KiB for the slow-reader test */
    snprintf(path, sizeof path, "%s/t/big.sse", tmpdir);
    FILE *f = fopen(path, "wb");
    REQUIRE(f);
    char payload[8193];
    memset(payload, 'z', 8192);
    payload[8192] = 0;
    for (int i = 0; i < 400; i++)
        fprintf(f, "id: %d\ndata: %s\n\n", i + 1, payload);
    fclose(f);
    snprintf(dir, cap, "%s/t", tmpdir);
}

static void remove_dirs(void)
{
    const char *names[] = {"crlf.sse", "strings.sse", "notes.txt", "bad name.sse", "big.sse"};
    char path[512];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/t/%s", tmpdir, names[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/t", tmpdir);
    rmdir(path);
    rmdir(tmpdir);
}

int main(void)
{
    char dir[512];
    srv = replay_fixture_start_with(NULL);
    port = ssekit_replay_port(srv);
    REQUIRE(port > 0);
    make_dirs(dir, sizeof dir);

    test_chat_structured();
    test_chat_tool_calls();
    test_anthropic();
    test_responses();
    test_raw();
    test_routes();
    test_bad_bodies();
    test_auth();
    test_drop();
    test_status_faults();
    test_timing_faults();
    test_content_faults();
    test_keepalive();
    test_many_paced();
    test_limits();
    test_backlog(dir);
    test_log();
    test_dir(dir);
    test_stop_with_clients();

    yajl_tree_free(answer);
    ssekit_replay_stop(srv);
    remove_dirs();
    return check_done("replay");
}
