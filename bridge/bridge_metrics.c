/* GET /metrics: the bridge's state in the Prometheus text format (0.0.4):
 * clients, channels, subscriptions, messages and bytes published, the
 * inbox, and the job API's counters. Service thread only. */
#include <stdio.h>
#include <string.h>

#include "bridge_jobs.h"

static int metric(const ssekit_alloc_funcs *a, sk_buf *o, const char *name, const char *type,
                  const char *help, unsigned long long v)
{
    char line[512];
    int n = snprintf(line, sizeof line, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name,
                     type, name, v);
    if (n < 0 || (size_t)n >= sizeof line)
        return -1;
    return sk_buf_append(a, o, line, (size_t)n);
}

int br_metrics_render(ssekit_bridge *b, sk_buf *out)
{
    const ssekit_alloc_funcs *a = &b->a;
    unsigned long long msgs = b->gone_msgs, bytes = b->gone_bytes, subs = 0;
    for (br_channel *ch = b->channels; ch; ch = ch->next) {
        msgs += ch->seq;
        bytes += ch->bytes;
        for (br_sub *s = ch->subs; s; s = s->ch_next)
            subs++;
    }
    pthread_mutex_lock(&b->inbox_lock);
    unsigned long long inbox = b->inbox_bytes;
    pthread_mutex_unlock(&b->inbox_lock);
    if (metric(a, out, "ssekit_bridge_clients", "gauge", "Connected WebSocket and SSE clients.",
               b->nclients) ||
        metric(a, out, "ssekit_bridge_clients_max", "gauge", "The client limit.",
               b->o.max_clients) ||
        metric(a, out, "ssekit_bridge_channels", "gauge", "Channels.", b->nchannels) ||
        metric(a, out, "ssekit_bridge_channels_max", "gauge", "The channel limit.",
               b->o.max_channels) ||
        metric(a, out, "ssekit_bridge_subscriptions", "gauge", "Subscriptions of all clients.",
               subs) ||
        metric(a, out, "ssekit_bridge_messages_total", "counter",
               "Messages published on all channels.", msgs) ||
        metric(a, out, "ssekit_bridge_message_bytes_total", "counter",
               "JSON bytes of the messages published.", bytes) ||
        metric(a, out, "ssekit_bridge_inbox_bytes", "gauge",
               "Published and not yet taken by the service thread.", inbox) ||
        metric(a, out, "ssekit_bridge_jobs_enabled", "gauge", "1 when the job API is on.",
               b->jobs != NULL))
        return -1;
    return br_jobs_metrics(b, out);
}
