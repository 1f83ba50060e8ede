/* Transcripts: loading (bundled or from a directory), cutting into blocks,
 * and the resume rule of Last-Event-ID. */
#include "replay_transcript.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_internal.h"

int rp_transcript_name_ok(const char *name, size_t len)
{
    if (!len || len > RP_TRANSCRIPT_MAX_NAME || name[0] == '.')
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

/* Length of the line at s[0..n) without its ending; *next gets the offset
 * after the ending (CR, LF or CRLF), or n when the line is unterminated
 * (then *terminated = 0). */
static size_t line_at(const char *s, size_t n, size_t *next, int *terminated)
{
    size_t i = 0;
    while (i < n && s[i] != '\n' && s[i] != '\r')
        i++;
    *terminated = i < n;
    *next = i;
    if (i < n)
        *next = i + 1 + (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n');
    return i;
}

static int is_decimal(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (!n || n > 19)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Cuts t->text into blocks. Blank lines before a block belong to it; an
 * unterminated last block was completed by the caller. */
static int cut_blocks(rp_transcript *t, const ssekit_alloc_funcs *a)
{
    size_t cap = 0, pos = 0, start = 0, cur_id_off = 0, cur_id_len = 0;
    int in_block = 0, is_data = 0, has_cur_id = 0, own_id = 0;
    while (pos < t->len) {
        size_t next;
        int term;
        size_t ll = line_at(t->text + pos, t->len - pos, &next, &term);
        const char *line = t->text + pos;
        if (ll == 0) {
            if (in_block) {
                if (t->n_blocks == cap) {
                    size_t ncap = cap ? cap * 2 : 64;
                    rp_block *nb = sk_realloc(a, t->blocks, ncap * sizeof *nb);
                    if (!nb)
                        return -1;
                    t->blocks = nb;
                    cap = ncap;
                }
                rp_block *b = &t->blocks[t->n_blocks++];
                memset(b, 0, sizeof *b);
                b->off = start;
                b->len = pos + next - start;
                b->is_data = is_data;
                b->has_id = has_cur_id;
                b->id_off = cur_id_off;
                b->id_len = cur_id_len;
                if (is_data)
                    b->ordinal = ++t->n_events;
                t->has_ids |= own_id;
                start = pos + next;
                in_block = is_data = own_id = 0;
            }
        } else {
            in_block = 1;
            const char *colon = memchr(line, ':', ll);
            size_t flen = colon ? (size_t)(colon - line) : ll;
            if (flen == 4 && !memcmp(line, "data", 4))
                is_data = 1;
            if (flen == 2 && !memcmp(line, "id", 2)) {
                size_t v = colon ? flen + 1 : ll;
                if (v < ll && line[v] == ' ')
                    v++;
                if (!memchr(line + v, 0, ll - v)) { /* WHATWG: an id with NUL is ignored */
                    cur_id_off = pos + v;
                    cur_id_len = ll - v;
                    has_cur_id = own_id = 1;
                }
            }
        }
        pos += next;
        if (!term)
            break;
    }
    return 0;
}

/* Takes name + the bytes of one transcript (copied when `copy` or when the
 * last block needs its blank line). */
static int add(rp_transcripts *ts, const ssekit_alloc_funcs *a, const char *name, size_t nlen,
               const char *data, size_t len, int copy)
{
    rp_transcript *nv = sk_realloc(a, ts->v, (ts->n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    ts->v = nv;
    rp_transcript *t = &ts->v[ts->n];
    memset(t, 0, sizeof *t);
    memcpy(t->name, name, nlen);
    t->name[nlen] = 0;
    /* How many LFs the text still needs to end with a blank line. */
    size_t need = 0;
    if (len) {
        size_t e = len;
        if (data[e - 1] == '\n' || data[e - 1] == '\r') {
            int lone_cr = data[e - 1] == '\r';
            e -= (e >= 2 && data[e - 1] == '\n' && data[e - 2] == '\r') ? 2 : 1;
            if (e && data[e - 1] != '\n' && data[e - 1] != '\r')
                need = lone_cr ? 2 : 1; /* a LF after a lone CR would join it as CRLF */
        } else {
            need = 2;
        }
    }
    if (copy || need) {
        t->owned = sk_malloc(a, len + need);
        if (!t->owned)
            return -1;
        memcpy(t->owned, data, len);
        for (size_t i = 0; i < need; i++)
            t->owned[len + i] = '\n';
        len += need;
        data = t->owned;
    }
    t->text = data;
    t->len = len;
    ts->n++;
    if (cut_blocks(t, a))
        return -1;
    return 0;
}

static int by_name(const void *x, const void *y)
{
    return strcmp(((const rp_transcript *)x)->name, ((const rp_transcript *)y)->name);
}

int rp_transcripts_load_bundle(rp_transcripts *ts, const ssekit_alloc_funcs *a)
{
    for (size_t i = 0; i < rp_bundle_count; i++)
        if (add(ts, a, rp_bundle[i].name, strlen(rp_bundle[i].name), rp_bundle[i].data,
                rp_bundle[i].len, 0))
            return -1;
    qsort(ts->v, ts->n, sizeof *ts->v, by_name);
    return 0;
}

static int read_file(const char *path, char **out, size_t *len, const ssekit_alloc_funcs *a)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 1 << 16, n = 0;
    char *buf = sk_malloc(a, cap);
    int rc = -1;
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            rc = ferror(f) ? -1 : 0;
            break;
        }
        if (n == cap) {
            if (cap >= RP_TRANSCRIPT_MAX_BYTES) {
                rc = -2;
                break;
            }
            char *nb = sk_realloc(a, buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (rc || n > RP_TRANSCRIPT_MAX_BYTES) {
        sk_free(a, buf);
        return rc ? rc : -2;
    }
    *out = buf;
    *len = n;
    return 0;
}

int rp_transcripts_load_dir(rp_transcripts *ts, const ssekit_alloc_funcs *a, const char *dir,
                            char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot read transcripts directory %s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".sse") ||
            !rp_transcript_name_ok(de->d_name, n - 4))
            continue;
        if (ts->n == RP_TRANSCRIPT_MAX_COUNT) {
            snprintf(err, errlen, "more than %u transcripts in %s", RP_TRANSCRIPT_MAX_COUNT, dir);
            rc = -1;
            break;
        }
        size_t plen = strlen(dir) + n + 2;
        char *path = sk_malloc(a, plen), *data = NULL;
        size_t len = 0;
        if (!path) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
            break;
        }
        snprintf(path, plen, "%s/%s", dir, de->d_name);
        int r = read_file(path, &data, &len, a);
        if (r == -2)
            snprintf(err, errlen, "%s: larger than %zu bytes", path, RP_TRANSCRIPT_MAX_BYTES);
        else if (r)
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        else if (add(ts, a, de->d_name, n - 4, data, len, 1))
            snprintf(err, errlen, "out of memory"), r = -1;
        sk_free(a, data);
        sk_free(a, path);
        rc = r ? -1 : 0;
    }
    closedir(d);
    if (!rc && !ts->n) {
        snprintf(err, errlen, "no NAME.sse transcript in %s", dir);
        rc = -1;
    }
    if (!rc)
        qsort(ts->v, ts->n, sizeof *ts->v, by_name);
    return rc;
}

const rp_transcript *rp_transcripts_find(const rp_transcripts *ts, const char *name)
{
    for (size_t i = 0; i < ts->n; i++)
        if (!strcmp(ts->v[i].name, name))
            return &ts->v[i];
    return NULL;
}

void rp_transcripts_free(rp_transcripts *ts, const ssekit_alloc_funcs *a)
{
    for (size_t i = 0; i < ts->n; i++) {
        sk_free(a, ts->v[i].owned);
        sk_free(a, ts->v[i].blocks);
    }
    sk_free(a, ts->v);
    ts->v = NULL;
    ts->n = 0;
}

/* The ID a client holds after data block b: its own or the assigned ordinal. */
static int block_id(const rp_transcript *t, const rp_block *b, uint64_t *num, const char **s,
                    size_t *len)
{
    if (!t->has_ids) {
        *num = b->ordinal;
        return 1;
    }
    *s = t->text + b->id_off;
    *len = b->has_id ? b->id_len : 0;
    return is_decimal(*s, *len, num);
}

void rp_resume_init(rp_resume *r, const rp_transcript *t, const char *last_id)
{
    memset(r, 0, sizeof *r);
    if (!last_id)
        return;
    r->active = 1;
    size_t lid = strlen(last_id);
    r->numeric = is_decimal(last_id, lid, &r->last);
    for (size_t i = 0; i < t->n_blocks && r->numeric; i++) {
        uint64_t v;
        const char *s;
        size_t n;
        if (t->blocks[i].is_data && !block_id(t, &t->blocks[i], &v, &s, &n))
            r->numeric = 0;
    }
    if (r->numeric)
        return;
    for (size_t i = 0; i < t->n_blocks; i++) {
        const rp_block *b = &t->blocks[i];
        uint64_t v;
        const char *s = "";
        size_t n = 0;
        if (!b->is_data)
            continue;
        if (block_id(t, b, &v, &s, &n) && !t->has_ids) {
            char tmp[24];
            n = (size_t)snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
            if (n == lid && !memcmp(tmp, last_id, n))
                r->cut_block = i + 1;
        } else if (n == lid && !memcmp(s, last_id, n)) {
            r->cut_block = i + 1;
        }
    }
}

int rp_resume_skips(const rp_resume *r, const rp_transcript *t, size_t i)
{
    const rp_block *b = &t->blocks[i];
    if (!r->active || !b->is_data)
        return 0;
    if (!r->numeric)
        return i < r->cut_block;
    uint64_t v = 0;
    const char *s;
    size_t n;
    block_id(t, b, &v, &s, &n);
    return v <= r->last;
}

uint64_t rp_resume_remaining(const rp_resume *r, const rp_transcript *t)
{
    uint64_t n = 0;
    for (size_t i = 0; i < t->n_blocks; i++)
        n += t->blocks[i].is_data && !rp_resume_skips(r, t, i);
    return n;
}
