/* The raw provider: each event's data is a piece of the content, as sent by
 * servers that stream plain text (or a JSON answer) without an envelope. The
 * stream has no end marker of its own, so its end is the end of the stream. */
#include "provider_internal.h"

static int raw_feed(ssekit_decoder *d)
{
    return sk_emit_text(d, SSEKIT_DELTA_TEXT, 0, d->data, d->data_len);
}

static int raw_finish(ssekit_decoder *d)
{
    return sk_emit_done(d);
}

const sk_provider_ops sk_provider_raw = {
    .state_size = 0,
    .feed = raw_feed,
    .finish = raw_finish,
};
