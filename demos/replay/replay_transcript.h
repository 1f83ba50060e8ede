/* Private to the replay server: transcripts, the recorded SSE streams it
 * serves. A transcript is cut into blocks, each the lines of one event (or
 * comment) plus the blank line after it; the server sends whole blocks. */
#ifndef SSEKIT_REPLAY_TRANSCRIPT_H
#define SSEKIT_REPLAY_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "ssekit/alloc.h"

/* Limits on a transcripts directory (the bundled set is far below them). */
#define RP_TRANSCRIPT_MAX_BYTES ((size_t)64 << 20) /* one file */
#define RP_TRANSCRIPT_MAX_COUNT 1024u              /* files in a directory */
#define RP_TRANSCRIPT_MAX_NAME 64u                 /* name bytes, [A-Za-z0-9_.-] */

typedef struct rp_block {
    size_t off, len;       /* the bytes of the block, blank line included */
    size_t id_off, id_len; /* value of its last `id:` line (when has_id) */
    int has_id;
    int is_data;      /* has a `data` line: a client sees an event */
    uint64_t ordinal; /* 1-based among data blocks (0 for others) */
} rp_block;

typedef struct rp_transcript {
    char name[RP_TRANSCRIPT_MAX_NAME + 1];
    const char *text; /* bundled bytes or `owned` */
    size_t len;
    char *owned;
    rp_block *blocks;
    size_t n_blocks;
    uint64_t n_events; /* data blocks */
    int has_ids;       /* some block has an `id:` line */
} rp_transcript;

typedef struct rp_transcripts {
    rp_transcript *v;
    size_t n;
} rp_transcripts;

/* Bundled transcripts: generated at build time from demos/transcripts/. */
typedef struct rp_bundled {
    const char *name;
    const char *data;
    size_t len;
} rp_bundled;
extern const rp_bundled rp_bundle[];
extern const size_t rp_bundle_count;

/* Loads the bundled transcripts (sorted by name). Returns 0 or -1 (memory). */
int rp_transcripts_load_bundle(rp_transcripts *ts, const ssekit_alloc_funcs *a);

/* Loads every DIR/NAME.sse whose NAME is valid (other files are ignored).
 * Returns 0, or -1 with a message in err when the directory cannot be read,
 * a file is unreadable or too large, memory runs out, or no transcript was
 * found. */
int rp_transcripts_load_dir(rp_transcripts *ts, const ssekit_alloc_funcs *a, const char *dir,
                            char *err, size_t errlen);

/* The transcript called `name` (without ".sse"), or NULL. */
const rp_transcript *rp_transcripts_find(const rp_transcripts *ts, const char *name);

void rp_transcripts_free(rp_transcripts *ts, const ssekit_alloc_funcs *a);

/* 1 when `name` is a valid transcript name: 1..64 bytes of [A-Za-z0-9_.-],
 * not starting with '.'. */
int rp_transcript_name_ok(const char *name, size_t len);

/* Where a stream resumes after `Last-Event-ID: last_id` (see docs/replay.md):
 * when every event ID of the transcript (its own, or the ordinals assigned
 * when it has none) and last_id are decimal integers, the events with an ID
 * <= last_id are skipped; otherwise every event up to and including the last
 * one whose ID equals last_id is (none when no ID matches). */
typedef struct rp_resume {
    int active;
    int numeric;
    uint64_t last;    /* numeric mode */
    size_t cut_block; /* string mode: data blocks before this index are skipped */
} rp_resume;

void rp_resume_init(rp_resume *r, const rp_transcript *t, const char *last_id);

/* 1 when block i is skipped by the resume point r. */
int rp_resume_skips(const rp_resume *r, const rp_transcript *t, size_t i);

/* The number of events a resumed stream still sends. */
uint64_t rp_resume_remaining(const rp_resume *r, const rp_transcript *t);

#endif
