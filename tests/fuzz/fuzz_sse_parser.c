/* libFuzzer target for the SSE parser: whatever the bytes, feeding them split
 * at arbitrary points (and stopping/resuming after every callback) must give
 * exactly the callbacks of one whole feed, under default and tiny limits, in
 * UTF-8 and raw mode; and nothing may crash or leak.
 *
 * Input layout: byte 0 = options (raw, small limits, stop-every), byte 1 =
 * seed of the split points, the rest = the stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sse_record.h"

static sse_record run(const char *s, size_t len, unsigned opts, const size_t *cuts, size_t ncuts,
                      int stop_every)
{
    sse_record r = {0};
    r.stop_every = stop_every;
    ssekit_sse_parser *p = ssekit_sse_parser_new(&rec_callbacks, &r, NULL);
    if (!p)
        abort();
    ssekit_sse_parser_set_raw(p, opts & 1);
    if (opts & 2) {
        ssekit_sse_parser_set_max_line(p, 1 + (opts >> 4));
        ssekit_sse_parser_set_max_event(p, 1 + (opts >> 2));
    }
    if (rec_feed_cuts(p, s, len, cuts, ncuts) != 0)
        abort();
    ssekit_sse_finish(p);
    ssekit_sse_parser_free(p);
    rec_put(&r, "", 0);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned opts = data[0];
    uint32_t seed = data[1] * 2654435761u + 1;
    const char *s = (const char *)data + 2;
    size_t len = size - 2;

    size_t cuts[64], ncuts = 1 + seed % 63;
    for (size_t i = 0, at = 0; i < ncuts; i++) {
        seed = seed * 1103515245u + 12345u;
        at += (seed >> 16) % (len / 8 + 2);
        cuts[i] = at;
    }
    sse_record whole = run(s, len, opts, NULL, 0, 0);
    sse_record split = run(s, len, opts, cuts, ncuts, 0);
    sse_record stops = run(s, len, opts, cuts, ncuts, 1);
    if (whole.len != split.len || memcmp(whole.p, split.p, whole.len) != 0)
        abort();
    if (whole.len != stops.len || memcmp(whole.p, stops.p, whole.len) != 0)
        abort();
    free(whole.p);
    free(split.p);
    free(stops.p);
    return 0;
}
