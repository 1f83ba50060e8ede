/* Incremental Server-Sent Events parser (WHATWG HTML "Interpreting an event
 * stream").
 *
 * Speed comes from three choices: lines are found with a 16-byte-wide scan
 * that looks for CR, LF and non-ASCII bytes in one pass; complete lines are
 * never copied (fields point into the caller's buffer); and UTF-8 is only
 * validated for lines that contain a non-ASCII byte. Only what must outlive
 * the caller's buffer (a line or an event split across feeds, the last event
 * ID) is copied into the parser's own buffers, each bounded by a limit.
 */
#include "ssekit/sse_parser.h"

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "alloc_internal.h"
#include "buffer.h"
#include "utf8.h"

enum { FIELD_NONE, FIELD_VIEW, FIELD_OWNED };

/* A field of the event being built (its data or its type). While every piece
 * of it came from the current feed it is a view; otherwise it is owned. */
typedef struct field {
    int state;
    const char *view;
    size_t view_len;
    sk_buf own;
} field;

struct ssekit_sse_parser {
    ssekit_alloc_funcs af;
    ssekit_sse_callbacks cb;
    void *user;
    size_t max_line;
    size_t max_event;
    int raw;

    int busy;     /* inside a callback: re-entry is refused */
    int finished; /* finish() called; reset() needed */
    int stop;     /* a callback asked to stop */
    int first_error;

    uint64_t offset;   /* bytes consumed since new/reset */
    size_t consumed;   /* of the last feed */
    unsigned bom_held; /* bytes of a leading BOM matched so far */
    int bom_done;
    int skip_lf; /* the last line ended with CR: a following LF belongs to it */

    sk_buf line;          /* a line split across feeds */
    int line_high;        /* it contains a byte >= 0x80 */
    int line_discard;     /* it passed max_line: skipping to its end */
    uint64_t line_offset; /* where it started */

    field data;
    size_t data_lines;
    field type;
    size_t event_size;
    int event_discard; /* the current event is dropped up to the next blank line */

    sk_buf id;      /* the last event ID buffer (set by `id` lines) */
    sk_buf last_id; /* the last event ID string: the buffer as of the last
                       blank line, what a reconnect sends */
    int id_dirty;   /* the buffer changed since it was last committed */
    sk_buf fix;     /* scratch for a line whose UTF-8 needed repair */
};

/* ---- scanning ---------------------------------------------------------- */

/* Returns the first CR or LF in [s, end), or end; ORs into *high whether a
 * byte >= 0x80 precedes it. */
static inline const char *scan_eol(const char *s, const char *end, int *high)
{
#if defined(__SSE2__)
    const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
    unsigned hi = 0;
    while (end - s >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
        unsigned m =
            (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)));
        unsigned h = (unsigned)_mm_movemask_epi8(v);
        if (m) {
            unsigned k = (unsigned)__builtin_ctz(m);
            *high |= (hi | (h & ((1u << k) - 1))) != 0;
            return s + k;
        }
        hi |= h;
        s += 16;
    }
    *high |= hi != 0;
#endif
    unsigned char acc = 0;
    for (; s < end; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\n' || c == '\r')
            break;
        acc |= c;
    }
    *high |= (acc & 0x80) != 0;
    return s;
}

/* ---- errors and callbacks ---------------------------------------------- */

static void report(ssekit_sse_parser *p, ssekit_status code, uint64_t offset, size_t limit)
{
    if (!p->first_error)
        p->first_error = code;
    if (p->cb.on_error) {
        ssekit_sse_error e = {code, offset, limit};
        p->busy = 1;
        if (p->cb.on_error(p->user, &e))
            p->stop = 1;
        p->busy = 0;
    }
}

static void field_clear(field *f)
{
    f->state = FIELD_NONE;
    f->view_len = 0;
    f->own.len = 0;
}

static void event_clear(ssekit_sse_parser *p)
{
    field_clear(&p->data);
    field_clear(&p->type);
    p->data_lines = 0;
    p->event_size = 0;
}

static void event_drop(ssekit_sse_parser *p, ssekit_status code, uint64_t at, size_t limit)
{
    event_clear(p);
    p->event_discard = 1;
    report(p, code, at, limit);
}

/* Turns a view into owned bytes (the memory it points at is about to go). */
static int field_own(ssekit_sse_parser *p, field *f)
{
    if (f->state != FIELD_VIEW)
        return 0;
    f->own.len = 0;
    if (sk_buf_append(&p->af, &f->own, f->view, f->view_len))
        return -1;
    f->state = FIELD_OWNED;
    return 0;
}

static const char *field_ptr(const field *f, size_t *len)
{
    if (f->state == FIELD_VIEW) {
        *len = f->view_len;
        return f->view;
    }
    *len = f->state == FIELD_OWNED ? f->own.len : 0;
    return f->own.p;
}

/* ---- fields ------------------------------------------------------------ */

/* WHATWG: every blank line first sets the event source's last event ID
 * string from the buffer, whether or not an event is dispatched; an `id`
 * line of an event cut off by the end of the stream never reaches it. */
static void commit_id(ssekit_sse_parser *p)
{
    if (!p->id_dirty)
        return;
    if (sk_buf_reserve(&p->af, &p->last_id, p->id.len)) {
        report(p, SSEKIT_E_NOMEM, p->offset, 0);
        return;
    }
    if (p->id.len)
        memcpy(p->last_id.p, p->id.p, p->id.len);
    p->last_id.len = p->id.len;
    p->last_id.p[p->last_id.len] = '\0';
    p->id_dirty = 0;
}

/* Puts the buffer back to the committed string (a new connection, or the
 * end of the stream, drops the id of an unfinished event). */
static void rollback_id(ssekit_sse_parser *p)
{
    if (!p->id_dirty)
        return;
    p->id.len = 0;
    if (!sk_buf_append(&p->af, &p->id, p->last_id.p, p->last_id.len))
        p->id.p[p->id.len] = '\0';
    p->id_dirty = 0;
}

static void dispatch(ssekit_sse_parser *p)
{
    commit_id(p);
    if (p->event_discard) {
        p->event_discard = 0;
        event_clear(p);
        return;
    }
    if (!p->data_lines) {
        field_clear(&p->type);
        return;
    }
    if (p->cb.on_event) {
        ssekit_sse_event ev;
        ev.data = field_ptr(&p->data, &ev.data_len);
        if (!ev.data)
            ev.data = "";
        ev.type = field_ptr(&p->type, &ev.type_len);
        if (!ev.type_len) {
            ev.type = "message";
            ev.type_len = 7;
        }
        ev.id = p->id.len ? p->id.p : "";
        ev.id_len = p->id.len;
        p->busy = 1;
        if (p->cb.on_event(p->user, &ev))
            p->stop = 1;
        p->busy = 0;
    }
    event_clear(p);
}

static void add_data(ssekit_sse_parser *p, const char *v, size_t n, int scratch, uint64_t at)
{
    size_t add = n + (p->data_lines ? 1 : 0);
    if (add > p->max_event - p->event_size) {
        event_drop(p, SSEKIT_E_EVENT_TOO_LARGE, at, p->max_event);
        return;
    }
    field *f = &p->data;
    if (!p->data_lines && !scratch) {
        f->state = FIELD_VIEW;
        f->view = v;
        f->view_len = n;
    } else {
        if (field_own(p, f) || sk_buf_reserve(&p->af, &f->own, add)) {
            event_drop(p, SSEKIT_E_NOMEM, at, 0);
            return;
        }
        if (p->data_lines)
            f->own.p[f->own.len++] = '\n';
        memcpy(f->own.p + f->own.len, v, n);
        f->own.len += n;
        f->state = FIELD_OWNED;
    }
    p->data_lines++;
    p->event_size += add;
}

static void set_type(ssekit_sse_parser *p, const char *v, size_t n, int scratch, uint64_t at)
{
    field *f = &p->type;
    size_t old;
    field_ptr(f, &old);
    size_t rest = p->event_size - old;
    if (n > p->max_event - rest) {
        event_drop(p, SSEKIT_E_EVENT_TOO_LARGE, at, p->max_event);
        return;
    }
    if (!scratch) {
        f->state = FIELD_VIEW;
        f->view = v;
        f->view_len = n;
    } else {
        f->own.len = 0;
        if (sk_buf_append(&p->af, &f->own, v, n)) {
            event_drop(p, SSEKIT_E_NOMEM, at, 0);
            return;
        }
        f->state = FIELD_OWNED;
    }
    p->event_size = rest + n;
}

static void set_id(ssekit_sse_parser *p, const char *v, size_t n, uint64_t at)
{
    if (memchr(v, '\0', n))
        return;
    if (sk_buf_reserve(&p->af, &p->id, n)) {
        report(p, SSEKIT_E_NOMEM, at, 0);
        return;
    }
    memcpy(p->id.p, v, n);
    p->id.len = n;
    p->id.p[n] = '\0';
    p->id_dirty = 1;
}

static void set_retry(ssekit_sse_parser *p, const char *v, size_t n)
{
    uint64_t ms = 0;
    if (!n)
        return;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)v[i] - '0';
        if (d > 9)
            return;
        if (ms > (UINT64_MAX - d) / 10)
            return;
        ms = ms * 10 + d;
    }
    if (p->cb.on_retry) {
        p->busy = 1;
        if (p->cb.on_retry(p->user, ms))
            p->stop = 1;
        p->busy = 0;
    }
}

/* One complete line (without its ending). `scratch` says the bytes live in a
 * buffer that the next line reuses, so fields must be copied, not viewed. */
static void line(ssekit_sse_parser *p, const char *s, size_t n, int high, int scratch, uint64_t at)
{
    if (high && !p->raw) {
        size_t ok = sk_utf8_valid_prefix(s, n);
        if (ok < n) {
            p->fix.len = 0;
            if (sk_buf_reserve(&p->af, &p->fix, SK_UTF8_REPAIR_MAX(n))) {
                event_drop(p, SSEKIT_E_NOMEM, at, 0);
                return;
            }
            memcpy(p->fix.p, s, ok);
            p->fix.len = ok + sk_utf8_repair(s + ok, n - ok, p->fix.p + ok);
            s = p->fix.p;
            n = p->fix.len;
            scratch = 1;
        }
    }
    if (!n) {
        dispatch(p);
        return;
    }
    if (s[0] == ':') {
        if (p->cb.on_comment) {
            size_t skip = n > 1 && s[1] == ' ' ? 2 : 1;
            p->busy = 1;
            if (p->cb.on_comment(p->user, s + skip, n - skip))
                p->stop = 1;
            p->busy = 0;
        }
        return;
    }
    const char *colon = memchr(s, ':', n);
    size_t name_len = colon ? (size_t)(colon - s) : n;
    const char *v = s + n;
    if (colon) {
        v = colon + 1;
        if (v < s + n && *v == ' ')
            v++;
    }
    size_t vn = (size_t)(s + n - v);
    switch (name_len) {
    case 4:
        if (!memcmp(s, "data", 4) && !p->event_discard)
            add_data(p, v, vn, scratch, at);
        break;
    case 5:
        if (!memcmp(s, "event", 5)) {
            if (!p->event_discard)
                set_type(p, v, vn, scratch, at);
        } else if (!memcmp(s, "retry", 5)) {
            set_retry(p, v, vn);
        }
        break;
    case 2:
        if (s[0] == 'i' && s[1] == 'd')
            set_id(p, v, vn, at);
        break;
    default:
        break;
    }
}

/* ---- feeding ----------------------------------------------------------- */

/* Copies every view into owned memory before the buffers they point into go
 * away (the caller's buffer at return, the split-line buffer when reused). */
static void own_views(ssekit_sse_parser *p)
{
    if (field_own(p, &p->data) || field_own(p, &p->type))
        event_drop(p, SSEKIT_E_NOMEM, p->offset, 0);
}

/* Keeps the unterminated tail of a feed for the next one. */
static void keep_tail(ssekit_sse_parser *p, const char *s, size_t n, int high, uint64_t at)
{
    if (!p->line.len && !p->line_discard)
        p->line_offset = at;
    if (p->line_discard)
        return;
    if (n > p->max_line - p->line.len) {
        p->line.len = 0;
        p->line_discard = 1;
        event_drop(p, SSEKIT_E_LINE_TOO_LONG, p->line_offset, p->max_line);
        return;
    }
    if (sk_buf_append(&p->af, &p->line, s, n)) {
        p->line.len = 0;
        p->line_discard = 1;
        event_drop(p, SSEKIT_E_NOMEM, p->line_offset, 0);
        return;
    }
    p->line_high |= high;
}

/* After a line ending at `eol` (a CR or LF inside [.., end)), returns where
 * the next line starts; a CR at the very end of the feed may be the first
 * half of a CRLF split across feeds. */
static inline const char *after_eol(ssekit_sse_parser *p, const char *eol, const char *end)
{
    if (*eol == '\n')
        return eol + 1;
    if (eol + 1 < end)
        return eol + 1 + (eol[1] == '\n');
    p->skip_lf = 1;
    return eol + 1;
}

/* Matches a leading UTF-8 BOM, possibly split across feeds. Returns the first
 * byte after what it consumed. Held BOM bytes that turn out not to be a BOM
 * become the start of the first line. */
static const char *strip_bom(ssekit_sse_parser *p, const char *s, const char *end)
{
    static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
    while (s < end && !p->bom_done) {
        if (*s == bom[p->bom_held]) {
            s++;
            if (++p->bom_held == 3)
                p->bom_done = 1;
            continue;
        }
        p->bom_done = 1;
        if (p->bom_held)
            keep_tail(p, bom, p->bom_held, 1, 0);
    }
    return s;
}

static int feed_begin(ssekit_sse_parser *p, const char *buf, size_t len)
{
    if (!p || (!buf && len))
        return SSEKIT_E_INVALID;
    if (p->busy || p->finished)
        return SSEKIT_E_STATE;
    p->consumed = 0;
    p->stop = 0;
    p->first_error = 0;
    return SSEKIT_OK;
}

int ssekit_sse_feed(ssekit_sse_parser *p, const char *buf, size_t len)
{
    int rc = feed_begin(p, buf, len);
    if (rc || !len)
        return rc;
    const char *s = buf, *end = buf + len;
    if (!p->bom_done)
        s = strip_bom(p, s, end);
    if (p->skip_lf && s < end) {
        p->skip_lf = 0;
        if (*s == '\n')
            s++;
    }
    /* Finish a line that began in an earlier feed. */
    if (s < end && (p->line.len || p->line_discard)) {
        int high = 0;
        const char *eol = scan_eol(s, end, &high);
        keep_tail(p, s, (size_t)(eol - s), high, 0);
        if (eol < end) {
            s = after_eol(p, eol, end);
            if (!p->line_discard)
                line(p, p->line.p, p->line.len, p->line_high, 0, p->line_offset);
            p->line_discard = 0;
            p->line_high = 0;
            p->line.len = 0;
        } else {
            s = end;
        }
    }
    /* Whole lines inside this buffer: no copy. */
    while (s < end && !p->stop) {
        int high = 0;
        const char *eol = scan_eol(s, end, &high);
        if (eol == end)
            break;
        size_t n = (size_t)(eol - s);
        uint64_t at = p->offset + (uint64_t)(s - buf);
        const char *next = after_eol(p, eol, end);
        if (n > p->max_line)
            event_drop(p, SSEKIT_E_LINE_TOO_LONG, at, p->max_line);
        else
            line(p, s, n, high, 0, at);
        s = next;
    }
    /* Views into the caller's buffer (or the split-line buffer) end here. */
    own_views(p);
    if (s < end && !p->stop) {
        int high = 0;
        scan_eol(s, end, &high);
        keep_tail(p, s, (size_t)(end - s), high, p->offset + (uint64_t)(s - buf));
        s = end;
    }
    p->consumed = (size_t)(s - buf);
    p->offset += p->consumed;
    if (p->stop)
        return SSEKIT_E_STOPPED;
    return p->first_error;
}

/* ---- lifecycle --------------------------------------------------------- */

ssekit_sse_parser *ssekit_sse_parser_new(const ssekit_sse_callbacks *callbacks, void *user,
                                         const ssekit_alloc_funcs *alloc)
{
    ssekit_alloc_funcs af;
    sk_alloc_init(&af, alloc);
    ssekit_sse_parser *p = sk_malloc(&af, sizeof *p);
    if (!p)
        return NULL;
    memset(p, 0, sizeof *p);
    p->af = af;
    if (callbacks)
        p->cb = *callbacks;
    p->user = user;
    p->max_line = SSEKIT_SSE_DEFAULT_MAX_LINE;
    p->max_event = SSEKIT_SSE_DEFAULT_MAX_EVENT;
    return p;
}

void ssekit_sse_parser_free(ssekit_sse_parser *p)
{
    if (!p || p->busy)
        return;
    sk_buf_free(&p->af, &p->line);
    sk_buf_free(&p->af, &p->data.own);
    sk_buf_free(&p->af, &p->type.own);
    sk_buf_free(&p->af, &p->id);
    sk_buf_free(&p->af, &p->last_id);
    sk_buf_free(&p->af, &p->fix);
    ssekit_alloc_funcs af = p->af;
    sk_free(&af, p);
}

int ssekit_sse_parser_set_max_line(ssekit_sse_parser *p, size_t bytes)
{
    if (!p || !bytes)
        return SSEKIT_E_INVALID;
    p->max_line = bytes;
    return SSEKIT_OK;
}

int ssekit_sse_parser_set_max_event(ssekit_sse_parser *p, size_t bytes)
{
    if (!p || !bytes)
        return SSEKIT_E_INVALID;
    p->max_event = bytes;
    return SSEKIT_OK;
}

int ssekit_sse_parser_set_raw(ssekit_sse_parser *p, int raw)
{
    if (!p)
        return SSEKIT_E_INVALID;
    p->raw = raw != 0;
    return SSEKIT_OK;
}

int ssekit_sse_finish(ssekit_sse_parser *p)
{
    if (!p)
        return SSEKIT_E_INVALID;
    if (p->busy || p->finished)
        return SSEKIT_E_STATE;
    p->line.len = 0;
    p->line_discard = 0;
    p->line_high = 0;
    p->event_discard = 0;
    event_clear(p);
    rollback_id(p);
    p->finished = 1;
    return SSEKIT_OK;
}

/* Big buffers are given back on reset so that one huge event does not pin
 * its memory for the rest of a long-lived connection. */
static void shrink(ssekit_sse_parser *p, sk_buf *b)
{
    if (b->cap > (64u << 10))
        sk_buf_free(&p->af, b);
    b->len = 0;
}

int ssekit_sse_parser_reset(ssekit_sse_parser *p)
{
    if (!p)
        return SSEKIT_E_INVALID;
    if (p->busy)
        return SSEKIT_E_STATE;
    shrink(p, &p->line);
    shrink(p, &p->data.own);
    shrink(p, &p->type.own);
    shrink(p, &p->fix);
    p->line_discard = 0;
    p->line_high = 0;
    p->event_discard = 0;
    event_clear(p);
    rollback_id(p);
    p->finished = 0;
    p->offset = 0;
    p->consumed = 0;
    p->bom_held = 0;
    p->bom_done = 0;
    p->skip_lf = 0;
    return SSEKIT_OK;
}

size_t ssekit_sse_parser_consumed(const ssekit_sse_parser *p)
{
    return p ? p->consumed : 0;
}

const char *ssekit_sse_parser_last_event_id(const ssekit_sse_parser *p, size_t *len)
{
    if (len)
        *len = p && p->last_id.len ? p->last_id.len : 0;
    return p && p->last_id.len ? p->last_id.p : "";
}

uint64_t ssekit_sse_parser_offset(const ssekit_sse_parser *p)
{
    return p ? p->offset : 0;
}
