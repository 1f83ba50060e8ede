/* Private to the replay server: the per-request fault list
 * (`X-Replay-Fault: drop-after=3;stall=1.5` or `?fault=...`), parsed into one
 * plan. docs/replay.md documents every item. */
#ifndef SSEKIT_REPLAY_FAULT_H
#define SSEKIT_REPLAY_FAULT_H

#include <stddef.h>

#define RP_FAULT_NONE (-1L)
#define RP_FAULT_FOREVER (-2L) /* a stall that lasts until the client leaves */

typedef enum rp_garbage { RP_GARBAGE_NONE, RP_GARBAGE_LINES, RP_GARBAGE_DATA } rp_garbage;

/* Every count and duration is RP_FAULT_NONE when its item was not given. */
typedef struct rp_fault {
    int any;                 /* at least one item was given */
    int status;              /* status=NNN; 0 when not given */
    long retry_after_s;      /* retry-after=S: Retry-After: S */
    long retry_after_date_s; /* retry-after-date[=S]: Retry-After as an HTTP date */
    long drop_after;         /* drop-after=N events, then close without ending */
    int drop_partial;        /* drop-partial: also send half of event N+1 */
    long stall_ms;           /* stall=S (ms) or RP_FAULT_FOREVER */
    long stall_after;        /* stall-after=N events (stall=S alone: 0) */
    long heartbeat_ms;       /* heartbeat-ms=N: ": heartbeat" comments in stalls */
    rp_garbage garbage;      /* garbage[=lines|data] */
    long garbage_after;      /* garbage-after=N events (default 1) */
    long bytewise_ms;        /* bytewise[=MS]: one body byte per write */
    long delay_ms;           /* delay-ms=N: pacing of this stream */
    long sse_retry_ms;       /* sse-retry=MS: a `retry: MS` line first */
    long times;              /* times=K: only the first K requests of a key */
    int framing_close;       /* framing=close: Connection: close framing */
    char content_type[128];  /* content-type=T; "" when not given */
} rp_fault;

/* Sets every field to "not given". */
void rp_fault_init(rp_fault *f);

/* Parses the fault list spec[0..len) (items separated by ';', each `name` or
 * `name=value`, values percent-decoded, surrounding blanks ignored) into *f,
 * on top of what it holds: a later item overrides an earlier one of the same
 * name. Returns 0, or -1 with a message in err (errlen bytes) for an unknown
 * item, a bad value, or an inconsistent list (drop-partial without
 * drop-after). */
int rp_fault_parse(rp_fault *f, const char *spec, size_t len, char *err, size_t errlen);

/* Fills the defaults that depend on other items (stall alone stalls at the
 * start, stall-after alone stalls forever) and checks consistency; call once
 * after the last rp_fault_parse(). Returns 0 or -1 with a message. */
int rp_fault_finish(rp_fault *f, char *err, size_t errlen);

#endif
