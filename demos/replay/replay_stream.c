/* Playing one transcript: pacing, resume, and the faults that act inside a
 * stream (stall, heartbeat, garbage, drop, sse-retry). Framing and writing
 * are replay_conn.c's; this file only decides which bytes are due. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "replay_internal.h"

/* Junk between two events: lines that are no SSE field a parser knows
 * (invalid UTF-8, NUL and control bytes), then a blank line. A WHATWG parser
 * ignores them and dispatches nothing. */
static const char GARBAGE_LINES[] = "\xc3\x28\xa0\xa1 not an SSE field \xff\xfe\xfd\n"
                                    "\x00\x01\x02{\"broken\": \x80\x81\x82}\n"
                                    "\n";
/* One extra event whose data is neither UTF-8 nor JSON. */
static const char GARBAGE_DATA[] = "data: \xff\xfe{\"not\": json \xc3\x28\n\n";

void rp_stream_start(ssekit_replay *srv, rp_conn *c, const rp_transcript *t, const rp_fault *f,
                     int raw, const char *last_event_id, uint64_t now)
{
    rp_stream *s = &c->st;
    memset(s, 0, sizeof *s);
    s->t = t;
    s->f = *f;
    s->assign_ids = raw && !t->has_ids;
    rp_resume_init(&s->resume, t, raw ? last_event_id : NULL);
    s->delay_ms = f->delay_ms != RP_FAULT_NONE ? (uint64_t)f->delay_ms : srv->delay_ms;
    s->sched0 = now;
    s->next_byte = now;
}

static void lower_wake(rp_conn *c, uint64_t t)
{
    if (t < c->wake)
        c->wake = t;
}

/* Appends block i, or its first `cut` bytes when cut < its length. */
static int emit_block(ssekit_replay *srv, rp_conn *c, size_t i, size_t cut)
{
    const rp_block *b = &c->st.t->blocks[i];
    if (c->st.assign_ids && b->is_data) {
        char id[32];
        int n = snprintf(id, sizeof id, "id: %" PRIu64 "\n", b->ordinal);
        if (rp_conn_body(srv, c, id, (size_t)n))
            return -1;
    }
    return rp_conn_body(srv, c, c->st.t->text + b->off, cut < b->len ? cut : b->len);
}

/* Handles a stall due at this point. Returns 1 while it lasts. */
static int stalling(ssekit_replay *srv, rp_conn *c, uint64_t now)
{
    rp_stream *s = &c->st;
    const rp_fault *f = &s->f;
    if (f->stall_ms == RP_FAULT_NONE || s->stalled || s->events != (uint64_t)f->stall_after)
        return 0;
    if (!s->stall_start) {
        s->stall_start = now ? now : 1;
        s->stall_until = f->stall_ms == RP_FAULT_FOREVER ? RP_NEVER : now + (uint64_t)f->stall_ms;
        s->next_heartbeat = f->heartbeat_ms > 0 ? now + (uint64_t)f->heartbeat_ms : RP_NEVER;
    }
    if (now < s->stall_until) {
        if (now >= s->next_heartbeat) {
            static const char hb[] = ": heartbeat\n\n";
            if (rp_conn_body(srv, c, hb, sizeof hb - 1))
                return -1;
            s->next_heartbeat = now + (uint64_t)f->heartbeat_ms;
        }
        lower_wake(c, s->stall_until);
        lower_wake(c, s->next_heartbeat);
        return 1;
    }
    s->stalled = 1;
    /* The schedule goes on from the end of the stall. */
    s->sched0 = now - s->steps * s->delay_ms;
    return 0;
}

/* drop-after reached: maybe half of the next event, then an abrupt end. */
static int drop(ssekit_replay *srv, rp_conn *c)
{
    rp_stream *s = &c->st;
    if (s->f.drop_partial) {
        for (size_t i = s->block; i < s->t->n_blocks; i++) {
            const rp_block *b = &s->t->blocks[i];
            if (!b->is_data || rp_resume_skips(&s->resume, s->t, i))
                continue;
            if (emit_block(srv, c, i, b->len / 2))
                return -1;
            break;
        }
    }
    c->abrupt = 1;
    s->finished = 1;
    return 0;
}

int rp_stream_advance(ssekit_replay *srv, rp_conn *c, uint64_t now)
{
    rp_stream *s = &c->st;
    const rp_fault *f = &s->f;
    const rp_transcript *t = s->t;
    int rc = 0;
    if (s->finished)
        return 0;
    if (!s->retry_sent) {
        s->retry_sent = 1;
        if (f->sse_retry_ms != RP_FAULT_NONE) {
            char line[40];
            int n = snprintf(line, sizeof line, "retry: %ld\n\n", f->sse_retry_ms);
            rc |= rp_conn_body(srv, c, line, (size_t)n);
        }
    }
    while (!rc) {
        int st = stalling(srv, c, now);
        if (st)
            return st < 0 ? (rp_conn_abort(srv, c, "client-gone"), 0) : 0;
        if (f->garbage != RP_GARBAGE_NONE && !s->garbage_done &&
            s->events == (uint64_t)f->garbage_after) {
            s->garbage_done = 1;
            if (f->garbage == RP_GARBAGE_LINES)
                rc |= rp_conn_body(srv, c, GARBAGE_LINES, sizeof GARBAGE_LINES - 1);
            else
                rc |= rp_conn_body(srv, c, GARBAGE_DATA, sizeof GARBAGE_DATA - 1);
        }
        if (f->drop_after != RP_FAULT_NONE && s->events == (uint64_t)f->drop_after) {
            rc |= drop(srv, c);
            break;
        }
        if (s->block == t->n_blocks) {
            s->finished = 1;
            break;
        }
        if (rp_resume_skips(&s->resume, t, s->block)) {
            s->block++;
            continue;
        }
        if (s->delay_ms) {
            uint64_t due = s->sched0 + s->steps * s->delay_ms;
            if (now < due) {
                lower_wake(c, due);
                return 0;
            }
        } else if ((c->out.len - c->out_off) + (c->body.len - c->body_off) >= RP_WATERMARK) {
            return 1;
        }
        const rp_block *b = &t->blocks[s->block];
        rc |= emit_block(srv, c, s->block, b->len);
        s->block++;
        s->steps++;
        if (b->is_data) {
            s->events++;
            rp_log_update(&srv->log, c->seq, s->events, NULL);
        }
        if (s->delay_ms &&
            (c->out.len - c->out_off) + (c->body.len - c->body_off) > srv->max_backlog) {
            rp_conn_abort(srv, c, "backlog");
            return 0;
        }
    }
    if (rc)
        rp_conn_abort(srv, c, "client-gone"); /* out of memory: nothing better to do */
    return 0;
}
