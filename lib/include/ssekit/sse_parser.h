/* ssekit — incremental Server-Sent Events parser (WHATWG HTML §9.2.6).
 *
 * Push bytes in with ssekit_sse_feed(), in pieces split anywhere; the parser
 * calls back once per dispatched event, per valid `retry` field, per comment
 * line and per recoverable error. End the stream with ssekit_sse_finish().
 * The parser depends on nothing but libc and allocates only to hold a line or
 * an event that was split across feeds.
 *
 *     static int on_event(void *user, const ssekit_sse_event *ev) {
 *         printf("%.*s: %.*s\n", (int)ev->type_len, ev->type,
 *                (int)ev->data_len, ev->data);
 *         return 0;                      // non-zero would stop the parser
 *     }
 *     ssekit_sse_callbacks cb = {.on_event = on_event};
 *     ssekit_sse_parser *p = ssekit_sse_parser_new(&cb, NULL, NULL);
 *     while ((n = read(fd, buf, sizeof buf)) > 0)
 *         ssekit_sse_feed(p, buf, (size_t)n);
 *     ssekit_sse_finish(p);
 *     ssekit_sse_parser_free(p);
 *
 * Threads: a parser is a plain value with no globals; use one from one thread
 * at a time. Different parsers are independent.
 */
#ifndef SSEKIT_SSE_PARSER_H
#define SSEKIT_SSE_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "alloc.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Defaults for the limits. A whole event of several megabytes (a base64 image,
 * a long tool-call argument) is ordinary, so both are generous; lower them for
 * untrusted peers where memory is tight. */
#define SSEKIT_SSE_DEFAULT_MAX_LINE ((size_t)16 << 20)  /* 16 MiB */
#define SSEKIT_SSE_DEFAULT_MAX_EVENT ((size_t)32 << 20) /* 32 MiB */

typedef struct ssekit_sse_parser ssekit_sse_parser;

/* One dispatched event. None of the strings is NUL-terminated and `data` may
 * contain NUL bytes. Each pointer refers either into the buffer given to the
 * current ssekit_sse_feed() call (when the field arrived within that one
 * buffer: no copy) or into memory owned by the parser. Either way it is valid
 * only until the callback returns: copy what you keep. */
typedef struct ssekit_sse_event {
    const char *type; /* the `event` field, or "message" when it was empty */
    size_t type_len;
    const char *data; /* `data` lines joined with LF, final LF removed */
    size_t data_len;
    const char *id; /* the last event ID at dispatch (persists across
                       events); "" when none has been set */
    size_t id_len;
} ssekit_sse_event;

/* A recoverable error. The parser has already discarded what it had to (the
 * offending line and the event it belonged to) and goes on with the next
 * event; nothing else is lost. */
typedef struct ssekit_sse_error {
    ssekit_status code; /* SSEKIT_E_LINE_TOO_LONG, SSEKIT_E_EVENT_TOO_LARGE or
                           SSEKIT_E_NOMEM */
    uint64_t offset;    /* stream offset of the first byte of the line where
                           it happened (counted since new/reset, BOM included) */
    size_t limit;       /* the limit that was exceeded (0 for NOMEM) */
} ssekit_sse_error;

/* Callbacks; any may be NULL. `user` is the pointer given to
 * ssekit_sse_parser_new(). Returning non-zero stops the parser right after
 * the line that caused the call: ssekit_sse_feed() then returns
 * SSEKIT_E_STOPPED and ssekit_sse_parser_consumed() says how much of the
 * buffer was used; feed the rest again to continue. A callback must not call
 * ssekit_sse_feed(), _finish(), _reset() or _free() on its own parser (they
 * return SSEKIT_E_STATE). */
typedef struct ssekit_sse_callbacks {
    /* An event was dispatched (a blank line ended an event with data). */
    int (*on_event)(void *user, const ssekit_sse_event *event);
    /* A `retry` field whose value is all ASCII digits: the reconnection time
     * in milliseconds. A value too large for uint64_t is ignored. */
    int (*on_retry)(void *user, uint64_t retry_ms);
    /* A comment line (one starting with ':'): the text after the colon with
     * one leading space removed. Same lifetime rule as events. */
    int (*on_comment)(void *user, const char *text, size_t len);
    /* A recoverable error; see ssekit_sse_error. */
    int (*on_error)(void *user, const ssekit_sse_error *error);
} ssekit_sse_callbacks;

/* Creates a parser. `callbacks` is copied (NULL means no callbacks); `user` is
 * handed to every callback; `alloc` selects the allocator (NULL: libc's) and is
 * copied. Limits start at the defaults above and the parser decodes UTF-8.
 * Returns NULL only when the allocation of the handle itself fails. Free with
 * ssekit_sse_parser_free(). */
ssekit_sse_parser *ssekit_sse_parser_new(const ssekit_sse_callbacks *callbacks, void *user,
                                         const ssekit_alloc_funcs *alloc);

/* Frees the parser and everything it owns. NULL is a no-op. Returns nothing;
 * must not be called from inside one of the parser's callbacks. */
void ssekit_sse_parser_free(ssekit_sse_parser *p);

/* Sets the longest line accepted, in bytes, not counting its line ending.
 * A longer line is reported as SSEKIT_E_LINE_TOO_LONG as soon as it passes the
 * limit, skipped to its end without being stored, and the event it belongs to
 * is discarded. At most this many bytes of a split line are ever buffered.
 * Returns SSEKIT_E_INVALID for 0 or a NULL parser. Takes effect from the next
 * line. */
int ssekit_sse_parser_set_max_line(ssekit_sse_parser *p, size_t bytes);

/* Sets the largest event accepted: the bytes of its data (LFs joining lines
 * included) plus its event type. A larger event is reported once as
 * SSEKIT_E_EVENT_TOO_LARGE and not dispatched; its `data` and `event` lines up
 * to the next blank line are skipped, while its `id` and `retry` lines still
 * apply (as they would have had the event been delivered), so a reconnect does
 * not ask for the oversized event again. Returns SSEKIT_E_INVALID for 0 or a
 * NULL parser. */
int ssekit_sse_parser_set_max_event(ssekit_sse_parser *p, size_t bytes);

/* raw = 0 (the default): bytes are decoded as UTF-8 as the WHATWG decoder
 * does, every invalid sequence (maximal subpart) becoming U+FFFD, so every
 * string the callbacks see is valid UTF-8. raw != 0: bytes pass through
 * untouched. Returns SSEKIT_E_INVALID for a NULL parser. */
int ssekit_sse_parser_set_raw(ssekit_sse_parser *p, int raw);

/* Feeds `len` bytes (the next piece of the stream, split anywhere). Callbacks
 * run before it returns. `buf` is only borrowed for the duration of the call;
 * what the parser needs later it copies. Returns:
 *   SSEKIT_OK         all bytes consumed;
 *   SSEKIT_E_STOPPED  a callback returned non-zero; the first
 *                     ssekit_sse_parser_consumed() bytes were consumed and the
 *                     rest may be fed again;
 *   SSEKIT_E_LINE_TOO_LONG, SSEKIT_E_EVENT_TOO_LARGE, SSEKIT_E_NOMEM
 *                     all bytes were consumed but at least one recoverable
 *                     error was reported (the first one is returned); the
 *                     parser has resynchronised and may be fed on;
 *   SSEKIT_E_INVALID  NULL parser, or NULL buf with len > 0;
 *   SSEKIT_E_STATE    called from one of the parser's own callbacks, or after
 *                     ssekit_sse_finish() without ssekit_sse_parser_reset(). */
int ssekit_sse_feed(ssekit_sse_parser *p, const char *buf, size_t len);

/* Ends the stream: an incomplete line or event is discarded, as WHATWG
 * requires (no callback fires), and so is an `id` it set. Further feeds return SSEKIT_E_STATE until
 * ssekit_sse_parser_reset(). Returns SSEKIT_OK, SSEKIT_E_INVALID or
 * SSEKIT_E_STATE. */
int ssekit_sse_finish(ssekit_sse_parser *p);

/* Prepares the parser for a new connection of the same stream: drops any
 * partial line and event, forgets the BOM and the stream offset, and keeps the
 * last event ID, the limits, the callbacks and the raw setting. Buffers are
 * kept for reuse. Returns SSEKIT_OK, SSEKIT_E_INVALID or SSEKIT_E_STATE. */
int ssekit_sse_parser_reset(ssekit_sse_parser *p);

/* Bytes of the buffer given to the last ssekit_sse_feed() that were consumed
 * (equal to its `len` unless it returned SSEKIT_E_STOPPED). */
size_t ssekit_sse_parser_consumed(const ssekit_sse_parser *p);

/* The last event ID string (what a reconnect sends as Last-Event-ID): as
 * WHATWG defines it, the value of the last `id` field as of the most recent
 * blank line — so an id-only block (`id: 7` then a blank line) sets it, and
 * the `id` line of an event that was cut off before its blank line does not.
 * Returns a pointer owned by the parser, valid until the next
 * feed/finish/reset/free, and stores its length in *len (len may be NULL).
 * The bytes are NUL-terminated; an ID never contains NUL. */
const char *ssekit_sse_parser_last_event_id(const ssekit_sse_parser *p, size_t *len);

/* Total bytes fed since new/reset (consumed bytes only). */
uint64_t ssekit_sse_parser_offset(const ssekit_sse_parser *p);

#ifdef __cplusplus
}
#endif

#endif
