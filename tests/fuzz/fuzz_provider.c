/* libFuzzer target for the provider decoders: arbitrary bytes as event data
 * (or as a whole SSE stream) for every provider, with and without allocation
 * failures and small limits. It must never crash, leak, or deliver a delta
 * that breaks the documented contract.
 *
 * Input: byte 0 chooses —
 *   bits 0-1  the provider;
 *   bit 2     1: the rest is an SSE stream fed through the SSE parser (so the
 *             recorded streams in shared/vectors/providers, whose first byte
 *             is 'd' or 'e', are good seeds as they are); 0: the rest is a
 *             list of events separated by 0x1E, each one byte choosing the
 *             event type and then its data;
 *   bit 3     small limits (envelope 256 bytes, depth 6);
 *   bits 5-6  SSE mode: feed in pieces of 1, 7, 64 bytes or whole;
 *   bit 7     allocation failures: byte 1 says which allocation fails first
 *             and whether every later one fails too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ssekit/provider.h"
#include "ssekit/sse_parser.h"

typedef struct fz_alloc {
    long calls, fail_at, live;
    int sticky;
} fz_alloc;

static void *fz_malloc(void *ctx, size_t n)
{
    fz_alloc *a = ctx;
    a->calls++;
    if (a->fail_at && (a->calls == a->fail_at || (a->sticky && a->calls > a->fail_at)))
        return NULL;
    void *p = malloc(n);
    if (p)
        a->live++;
    return p;
}

static void *fz_realloc(void *ctx, void *p, size_t n)
{
    fz_alloc *a = ctx;
    a->calls++;
    if (a->fail_at && (a->calls == a->fail_at || (a->sticky && a->calls > a->fail_at)))
        return NULL;
    void *q = realloc(p, n);
    if (q && !p)
        a->live++;
    return q;
}

static void fz_free(void *ctx, void *p)
{
    fz_alloc *a = ctx;
    if (p)
        a->live--;
    free(p);
}

typedef struct fz_state {
    ssekit_decoder *dec;
    int failing;       /* allocations may fail */
    unsigned long sum; /* touches every byte a delta shows */
} fz_state;

static void touch(fz_state *s, const char *p, size_t n)
{
    if (!p && n)
        abort();
    for (size_t i = 0; i < n; i++)
        s->sum += (unsigned char)p[i];
}

static int on_delta(void *user, const ssekit_delta *d)
{
    fz_state *s = user;
    touch(s, d->text, d->text_len);
    touch(s, d->id, d->id_len);
    touch(s, d->name, d->name_len);
    touch(s, d->type, d->type_len);
    touch(s, d->raw, d->raw_len);
    switch (d->kind) {
    case SSEKIT_DELTA_TEXT:
    case SSEKIT_DELTA_REFUSAL:
    case SSEKIT_DELTA_THINKING:
        if (d->text_len == 0)
            abort();
        break;
    case SSEKIT_DELTA_ERROR:
        if (!d->raw)
            abort();
        if (d->code != SSEKIT_E_PROVIDER && d->code != SSEKIT_E_ENVELOPE &&
            d->code != SSEKIT_E_TOO_LARGE && d->code != SSEKIT_E_TOO_DEEP &&
            d->code != SSEKIT_E_NOMEM)
            abort();
        if (d->code == SSEKIT_E_NOMEM && !s->failing)
            abort();
        break;
    case SSEKIT_DELTA_TOOL_CALL:
    case SSEKIT_DELTA_USAGE:
    case SSEKIT_DELTA_FINISH:
    case SSEKIT_DELTA_DONE:
        break;
    default:
        abort();
    }
    return 0;
}

static void check_rc(const fz_state *s, int rc)
{
    if (rc != SSEKIT_OK && rc != SSEKIT_E_ENVELOPE && rc != SSEKIT_E_TOO_LARGE &&
        rc != SSEKIT_E_TOO_DEEP && !(rc == SSEKIT_E_NOMEM && s->failing))
        abort();
}

static int on_event(void *user, const ssekit_sse_event *ev)
{
    fz_state *s = user;
    check_rc(s, ssekit_decoder_feed(s->dec, ev));
    return 0;
}

static const char *const event_types[] = {
    "message",
    "content_block_delta",
    "content_block_start",
    "message_start",
    "message_delta",
    "message_stop",
    "error",
    "ping",
    "response.output_text.delta",
    "response.function_call_arguments.delta",
    "response.output_item.added",
    "response.completed",
    "response.failed",
    "response.incomplete",
    "response.refusal.delta",
    "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t ctl = data[0];
    data++, size--;
    fz_alloc fa = {0, 0, 0, 0};
    ssekit_alloc_funcs af = {fz_malloc, fz_realloc, fz_free, &fa};
    fz_state s = {NULL, 0, 0};
    if (ctl & 0x80) {
        if (size < 1)
            return 0;
        fa.fail_at = (data[0] & 0x7f) + 1;
        fa.sticky = data[0] >> 7;
        s.failing = 1;
        data++, size--;
    }
    ssekit_decoder_callbacks cb = {on_delta};
    s.dec = ssekit_decoder_new((ssekit_provider)(ctl & 3), &cb, &s, &af);
    if (!s.dec) {
        if (!s.failing || fa.live)
            abort();
        return 0;
    }
    if (ctl & 8) {
        ssekit_decoder_set_max_envelope(s.dec, 256);
        ssekit_decoder_set_max_depth(s.dec, 6);
    }
    if (ctl & 4) {
        ssekit_sse_callbacks pcb = {.on_event = on_event};
        ssekit_sse_parser *p = ssekit_sse_parser_new(&pcb, &s, NULL);
        if (!p)
            abort();
        static const size_t pieces[] = {1, 7, 64, 0};
        size_t piece = pieces[(ctl >> 5) & 3];
        if (piece == 0)
            piece = size ? size : 1;
        for (size_t off = 0; off < size; off += piece)
            ssekit_sse_feed(p, (const char *)data + off, size - off < piece ? size - off : piece);
        ssekit_sse_finish(p);
        ssekit_sse_parser_free(p);
    } else {
        size_t i = 0;
        while (i < size) {
            const char *type = event_types[data[i] % (sizeof event_types / sizeof event_types[0])];
            size_t start = ++i;
            while (i < size && data[i] != 0x1e)
                i++;
            ssekit_sse_event ev = {type,      strlen(type), (const char *)data + start,
                                   i - start, "",           0};
            check_rc(&s, ssekit_decoder_feed(s.dec, &ev));
            i++; /* the separator */
        }
    }
    int rc = ssekit_decoder_finish(s.dec);
    if (rc != SSEKIT_OK)
        abort();
    ssekit_decoder_free(s.dec);
    if (fa.live != 0)
        abort();
    return 0;
}
