/* ssekit watch — a terminal UI for a provider stream: the token text as it
 * arrives, a progress bar with tokens/s and elapsed time, the partial
 * structured result as a tree whose fields are marked done / streaming /
 * pending, a status line (retries, reconnects, errors) and a final summary.
 * The stream is a recorded FILE (or standard input), or a live request made
 * with ssekit's client from the options `ssekit stream` takes (--url,
 * --base-url, --provider, --model, --prompt, --schema, ...). When standard
 * output is not a terminal it prints plain lines instead: the text deltas as
 * they come, then {"summary": ...} and {"value": ...} as JSON lines. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <yajl/yajl_tree.h>

#include "client_opts.h"
#include "commands.h"
#include "json_out.h"
#include "ssekit/ssekit.h"
#include "tui_buf.h"
#include "tui_frame.h"
#include "tui_term.h"
#include "tui_text.h"
#include "tui_tree.h"

#define FRAME_MS 33                 /* at most ~30 frames a second */
#define TEXT_KEEP ((size_t)1 << 20) /* the text tail kept for the screen */
#define BYTES_PER_TOKEN 4.0         /* the usual estimate for English text */

struct watch {
    const char *label, *provider, *schema_path;
    int delay_ms;
    long max_tokens;
    int tty; /* the UI, or plain lines */
    ssekit_result *result;
    ssekit_sse_parser *sse;
    yajl_val schema_doc;
    struct tui_buf text; /* the tail of the token text */
    size_t text_bytes;   /* all of it */
    size_t events;
    double t0, t_first, t_end; /* ms; t_first < 0 until the first token */
    double last_draw;
    int finished, status, stopped;
    int prose; /* the answer is text, not JSON (fine without a schema) */
    int cols, rows;
    struct tui_frame frame;
    struct tui_buf tree;
    /* a live request (not a file) */
    int live;
    ssekit_provider kind;
    const ssekit_schema *schema;
    unsigned retries, reconnects;
    char note[256];      /* the last retry / reconnect, e.g. "retry 1 in 250 ms: HTTP 503" */
    int net_status;      /* the stream's ERROR status, SSEKIT_OK when none */
    char net_error[512]; /* its category and message */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- figures --------------------------------------------------------------- */

/* Output tokens: the provider's count at the end, else an estimate (counts
 * sent early, like Anthropic's output_tokens of 1 at message_start, would make
 * the rate look stalled). */
static double tokens(const struct watch *w, int *estimated)
{
    ssekit_usage u = ssekit_result_usage(w->result);
    if (!w->finished && !ssekit_result_is_done(w->result))
        u.output_tokens = -1;
    *estimated = u.output_tokens < 0;
    return u.output_tokens >= 0 ? (double)u.output_tokens : (double)w->text_bytes / BYTES_PER_TOKEN;
}

static double elapsed_ms(const struct watch *w)
{
    return (w->finished || w->stopped ? w->t_end : now_ms()) - w->t0;
}

static double tokens_per_s(const struct watch *w, int *estimated)
{
    double t = tokens(w, estimated);
    if (w->t_first < 0)
        return 0;
    double span = (w->t0 + elapsed_ms(w)) - w->t_first;
    return span > 1 ? t * 1e3 / span : 0;
}

/* 0..1, or -1 when there is nothing to measure against (spinner). */
static double progress(const struct watch *w)
{
    if (w->finished && w->status == SSEKIT_OK)
        return 1;
    if (w->schema_doc) {
        double p = ssekit_result_progress(w->result);
        return p < 0 ? 0 : p;
    }
    if (w->max_tokens > 0) {
        int est;
        double p = tokens(w, &est) / (double)w->max_tokens;
        return p > 1 ? 1 : p;
    }
    return w->finished ? 1 : -1;
}

static const char *state_word(const struct watch *w)
{
    if (w->stopped)
        return "interrupted";
    if (w->finished)
        return w->status == SSEKIT_OK ? "done" : "failed";
    return w->events ? "streaming" : "waiting";
}

/* ---- the screen -------------------------------------------------------------- */

static void progress_line(struct watch *w, struct tui_frame *f)
{
    int est;
    double p = progress(w), tps = tokens_per_s(w, &est);
    char suffix[96], bar[512];
    if (p >= 0)
        snprintf(suffix, sizeof suffix, " %3.0f%%  %s%.1f tok/s  %.1fs", p * 100, est ? "~" : "",
                 tps, elapsed_ms(w) / 1e3);
    else
        snprintf(suffix, sizeof suffix, "   -   %s%.1f tok/s  %.1fs", est ? "~" : "", tps,
                 elapsed_ms(w) / 1e3);
    int inner = f->cols - 2 - (int)strlen(suffix);
    if (inner > (int)sizeof bar - 1)
        inner = (int)sizeof bar - 1;
    if (inner < 3) {
        tui_frame_line(f, suffix + 1, strlen(suffix + 1));
        return;
    }
    if (p >= 0) {
        int fill = (int)(p * inner + 0.5);
        for (int i = 0; i < inner; i++)
            bar[i] = i < fill ? '#' : '.';
    } else {
        /* indeterminate: a block that bounces to show the stream is alive */
        int span = inner > 4 ? inner - 4 : 1;
        int pos = (int)(elapsed_ms(w) / 50) % (2 * span);
        pos = pos < span ? pos : 2 * span - pos;
        for (int i = 0; i < inner; i++)
            bar[i] = i >= pos && i < pos + 4 ? '#' : '.';
    }
    bar[inner] = '\0';
    tui_frame_linef(f, "[%s]%s", bar, suffix);
}

static void status_line(struct watch *w, struct tui_frame *f)
{
    const char *st = state_word(w);
    const char *color = !strcmp(st, "done")        ? "\x1b[32m"
                        : !strcmp(st, "streaming") ? "\x1b[33m"
                        : !strcmp(st, "waiting")   ? "\x1b[2m"
                                                   : "\x1b[31m";
    const ssekit_result_error *e = ssekit_result_first_error(w->result);
    char line[1024];
    int n = snprintf(line, sizeof line, "%s%s\x1b[0m  %zu events  %zu bytes  errors %zu", color, st,
                     w->events, w->text_bytes, e->status == SSEKIT_OK ? (size_t)0 : e->count);
    if (w->schema_doc && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  violations %zu",
                      ssekit_result_violation_count(w->result));
    if (w->live && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  retries %u", w->retries);
    if (w->reconnects && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  reconnects %u", w->reconnects);
    if (w->note[0] && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  \x1b[33m(%s)\x1b[0m", w->note);
    if (w->net_status != SSEKIT_OK && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  \x1b[31m%s\x1b[0m", w->net_error);
    else if (e->status != SSEKIT_OK && n > 0 && (size_t)n < sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  \x1b[31m%s: %s\x1b[0m",
                      ssekit_status_name(e->status), e->message);
    tui_frame_line(f, line, n > 0 && (size_t)n < sizeof line ? (size_t)n : strlen(line));
}

/* A rule across the width with a title: "── title ─────". */
static void rule(struct tui_frame *f, const char *title)
{
    struct tui_buf b = {0};
    tui_buf_addf(&b, "\x1b[2m-- %s ", title);
    for (int i = (int)strlen(title) + 4; i < f->cols; i++)
        tui_buf_add(&b, "-", 1);
    if (!b.oom)
        tui_frame_line(f, b.data, b.len);
    tui_buf_free(&b);
}

static void summary_line(struct watch *w, struct tui_frame *f)
{
    char line[512];
    int n = 0;
    if (w->t_first >= 0)
        n = snprintf(line, sizeof line, "first token %.0f ms", w->t_first - w->t0);
    else
        n = snprintf(line, sizeof line, "waiting for the first token");
    if (w->finished || w->stopped) {
        n += snprintf(line + n, sizeof line - (size_t)n, "  total %.2f s", elapsed_ms(w) / 1e3);
        ssekit_usage u = ssekit_result_usage(w->result);
        if (u.input_tokens >= 0 || u.output_tokens >= 0 || u.total_tokens >= 0)
            n += snprintf(line + n, sizeof line - (size_t)n, "  usage");
        if (u.input_tokens >= 0)
            n += snprintf(line + n, sizeof line - (size_t)n, " in %" PRId64, u.input_tokens);
        if (u.output_tokens >= 0)
            n += snprintf(line + n, sizeof line - (size_t)n, " out %" PRId64, u.output_tokens);
        if (u.total_tokens >= 0)
            n += snprintf(line + n, sizeof line - (size_t)n, " total %" PRId64, u.total_tokens);
        const char *fr = ssekit_result_finish_reason(w->result);
        if (fr)
            n += snprintf(line + n, sizeof line - (size_t)n, "  finish %s", fr);
        if (w->finished)
            snprintf(line + n, sizeof line - (size_t)n, "  %s",
                     w->status != SSEKIT_OK ? ssekit_status_name(w->status)
                     : w->prose             ? "ok"
                                            : "valid");
    }
    tui_frame_linef(f, "\x1b[1msummary\x1b[0m  %s", line);
}

static void text_row(void *ctx, const char *s, size_t n)
{
    tui_frame_line(ctx, s, n);
}

/* Lays out one frame: header, progress, status, text pane, tree pane,
 * summary. `all` (the final print) shows the whole tree and no text pane. */
static void compose(struct watch *w, struct tui_frame *f, int all)
{
    const char *schema = w->schema_path ? w->schema_path : "none";
    tui_frame_linef(f, "\x1b[1mssekit watch\x1b[0m  %s  provider %s  schema %s", w->label,
                    w->provider, schema);
    progress_line(w, f);
    status_line(w, f);
    struct tui_tree_info info;
    tui_buf_clear(&w->tree);
    tui_tree_render(&w->tree, ssekit_result_value(w->result), w->schema_doc, !f->plain, &info);
    int avail = tui_frame_left(f) - 3; /* two rules and the summary */
    int text_rows = all ? 0 : avail / 3 > 0 ? avail / 3 : 1;
    if (!info.lines && !w->schema_doc && !all)
        text_rows = avail > 2 ? avail - 1 : 1; /* no tree to show: the text gets the room */
    if (!info.lines && all && w->text.len) {
        /* the final print of a text answer: the whole text (its tail if huge) */
        rule(f, "text");
        tui_text_tail(w->text.data, w->text.len, f->cols, TUI_TEXT_MAX_ROWS, text_row, f);
    }
    int tree_rows = all ? (int)info.lines : avail - text_rows;
    if (!all) {
        rule(f, "text");
        int shown = tui_text_tail(w->text.data ? w->text.data : "", w->text.len, f->cols, text_rows,
                                  text_row, f);
        for (; shown < text_rows; shown++)
            tui_frame_line(f, "", 0);
    }
    rule(f, "result");
    /* a tree taller than its pane: keep where the stream is now in view */
    size_t first = 0;
    if (tree_rows > 0 && info.lines > (size_t)tree_rows) {
        size_t want =
            info.active > (size_t)tree_rows * 2 / 3 ? info.active - (size_t)tree_rows * 2 / 3 : 0;
        first = want < info.lines - (size_t)tree_rows ? want : info.lines - (size_t)tree_rows;
    }
    const char *p = w->tree.data ? w->tree.data : "";
    for (size_t i = 0; *p && (int)(i - first) < tree_rows; i++) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (i >= first)
            tui_frame_line(f, p, len);
        p += len + (nl ? 1 : 0);
    }
    if (!info.lines && tree_rows > 0)
        tui_frame_linef(f, "\x1b[2m%s\x1b[0m",
                        ssekit_result_main(w->result) ? "(the text is not JSON)"
                                                      : "(no value yet)");
    while (!all && tui_frame_left(f) > 1)
        tui_frame_line(f, "", 0);
    summary_line(w, f);
}

static void draw(struct watch *w)
{
    tui_frame_begin(&w->frame, w->cols, w->rows, 0);
    compose(w, &w->frame, 0);
    tui_frame_flush(&w->frame, STDOUT_FILENO);
    w->last_draw = now_ms();
}

static void maybe_draw(struct watch *w)
{
    if (w->tty && now_ms() - w->last_draw >= FRAME_MS)
        draw(w);
}

/* Checks the signal flags. Returns 1 when asked to stop. */
static int poll_signals(struct watch *w)
{
    if (tui_term_resized() && w->tty) {
        tui_term_size(STDOUT_FILENO, &w->cols, &w->rows);
        draw(w);
    }
    if (tui_term_stop_signal()) {
        if (!w->stopped)
            w->t_end = now_ms();
        w->stopped = 1;
    }
    return w->stopped;
}

/* Waits ms milliseconds, drawing frames meanwhile. Returns 1 when asked to stop. */
static int pace(struct watch *w, int ms)
{
    double deadline = now_ms() + ms;
    for (;;) {
        if (poll_signals(w))
            return 1;
        double t = now_ms();
        if (t >= deadline)
            return 0;
        double wait = deadline - t;
        if (w->tty && wait > FRAME_MS)
            wait = FRAME_MS;
        poll(NULL, 0, (int)wait + 1);
        maybe_draw(w);
    }
}

/* ---- the stream ---------------------------------------------------------------- */

static void keep_text(struct watch *w, const char *s, size_t n)
{
    w->text_bytes += n;
    if (!w->tty) {
        fwrite(s, 1, n, stdout);
        return;
    }
    if (w->text.len + n > TEXT_KEEP) {
        /* only the tail is ever shown: drop the older half */
        size_t drop = w->text.len / 2;
        memmove(w->text.data, w->text.data + drop, w->text.len - drop);
        w->text.len -= drop;
    }
    tui_buf_add(&w->text, s, n);
}

static int on_delta(void *user, const ssekit_delta *d)
{
    struct watch *w = user;
    if (d->kind != SSEKIT_DELTA_TEXT && d->kind != SSEKIT_DELTA_TOOL_CALL)
        return 0;
    if (w->t_first < 0)
        w->t_first = now_ms();
    keep_text(w, d->text, d->text_len);
    return 0;
}

static int on_event(void *user, const ssekit_sse_event *ev)
{
    struct watch *w = user;
    w->events++;
    ssekit_result_feed_event(w->result, ev);
    if (!w->tty)
        fflush(stdout);
    if (w->delay_ms > 0)
        return pace(w, w->delay_ms);
    maybe_draw(w);
    return poll_signals(w);
}

/* Reads the input to its end (or a stop signal). Returns 0, or -1 on an I/O error. */
static int run_input(struct watch *w, const char *path)
{
    int fd = STDIN_FILENO;
    if (path && strcmp(path, "-") != 0 && (fd = open(path, O_RDONLY)) < 0) {
        fprintf(stderr, "ssekit watch: %s: %s\n", path, strerror(errno));
        return -1;
    }
    static char buf[1 << 16];
    int rc = 0;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    while (!poll_signals(w)) {
        /* poll, not a blocking read: a quiet pipe must not freeze the clock or ^C */
        int r = poll(&pfd, 1, w->tty ? FRAME_MS : -1);
        if (r < 0 && errno != EINTR) {
            rc = -1;
            break;
        }
        if (r <= 0) {
            maybe_draw(w);
            continue;
        }
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "ssekit watch: %s: %s\n", path ? path : "-", strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        ssekit_sse_feed(w->sse, buf, (size_t)n);
        maybe_draw(w);
    }
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

/* A new answer begins (a retry after part of one arrived): start over. */
static int reset_result(struct watch *w)
{
    ssekit_result_callbacks cb = {.on_delta = on_delta};
    ssekit_result *r = ssekit_result_new(w->kind, &cb, w, NULL);
    if (!r)
        return -1;
    if (w->schema)
        ssekit_result_set_schema(r, w->schema);
    ssekit_result_free(w->result);
    w->result = r;
    w->text.len = 0;
    w->text_bytes = 0;
    w->events = 0;
    if (!w->tty)
        fputc('\n', stdout); /* the text of the cut answer stays above */
    return 0;
}

static void on_stream_event(struct watch *w, const ssekit_event *ev)
{
    switch (ev->kind) {
    case SSEKIT_EVENT_OPEN:
        /* a raw stream's reconnect resumes the same stream; a retry starts a new answer */
        if (w->events && w->kind != SSEKIT_PROVIDER_RAW)
            reset_result(w);
        break;
    case SSEKIT_EVENT_SSE: {
        ssekit_sse_event e = {ev->type, ev->type_len, ev->data, ev->data_len, ev->id, ev->id_len};
        w->events++;
        ssekit_result_feed_event(w->result, &e);
        if (!w->tty)
            fflush(stdout);
        break;
    }
    case SSEKIT_EVENT_RETRY:
    case SSEKIT_EVENT_RECONNECT:
        if (ev->kind == SSEKIT_EVENT_RETRY)
            w->retries++;
        else
            w->reconnects++;
        snprintf(w->note, sizeof w->note, "%s %u in %" PRIu64 " ms: %s",
                 ev->kind == SSEKIT_EVENT_RETRY ? "retry" : "reconnect", ev->attempt, ev->delay_ms,
                 ev->message ? ev->message : "");
        if (!w->tty)
            fprintf(stderr, "ssekit watch: %s\n", w->note);
        break;
    case SSEKIT_EVENT_ERROR:
        w->net_status = ev->status;
        snprintf(w->net_error, sizeof w->net_error, "%s: %s",
                 ssekit_error_category_name(ev->category), ev->message ? ev->message : "");
        if (!w->tty)
            fprintf(stderr, "ssekit watch: %s\n", w->net_error);
        break;
    default:
        break;
    }
}

/* Streams the request with ssekit's client, feeding the SSE events to the
 * result as they come. Returns 0, or -1 when the stream could not start. */
static int run_stream(struct watch *w, const ssekit_request *rq)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "ssekit watch: cannot initialise libcurl\n");
        return -1;
    }
    ssekit_client *c = ssekit_client_new(NULL);
    ssekit_stream *s = NULL;
    int rc = c ? ssekit_stream_open(c, rq, &s) : SSEKIT_E_NOMEM;
    if (rc != SSEKIT_OK) {
        fprintf(stderr, "ssekit watch: %s\n", ssekit_strerror(rc));
        ssekit_client_free(c);
        curl_global_cleanup();
        return -1;
    }
    const ssekit_event *ev;
    int n;
    /* a short timeout keeps the clock, the spinner and ^C alive on a quiet stream */
    while ((n = ssekit_stream_next(s, &ev, w->tty ? FRAME_MS : 100)) >= 0) {
        if (n == 1)
            on_stream_event(w, ev);
        if (poll_signals(w)) {
            ssekit_stream_cancel(s);
            break;
        }
        maybe_draw(w);
    }
    if (n < 0 && n != SSEKIT_E_STATE && !w->net_status) {
        w->net_status = n;
        snprintf(w->net_error, sizeof w->net_error, "%s", ssekit_strerror(n));
    }
    ssekit_client_free(c);
    curl_global_cleanup();
    return 0;
}

/* ---- plain output ---------------------------------------------------------------- */

static int write_file(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : 1;
}

/* A token count, null when the provider did not give it. */
static void put_count(const char *key, int64_t v, const char *sep)
{
    if (v >= 0)
        printf("%s\"%s\": %" PRId64, sep, key, v);
    else
        printf("%s\"%s\": null", sep, key);
}

static void put_summary_json(struct watch *w)
{
    int est;
    double t = tokens(w, &est), tps = tokens_per_s(w, &est);
    printf("{\"summary\": {\"state\": \"%s\", \"events\": %zu, \"text_bytes\": %zu", state_word(w),
           w->events, w->text_bytes);
    if (w->t_first >= 0)
        printf(", \"first_token_ms\": %.1f", w->t_first - w->t0);
    else
        fputs(", \"first_token_ms\": null", stdout);
    printf(
        ", \"total_ms\": %.1f, \"tokens\": %.0f, \"tokens_estimated\": %s, \"tokens_per_s\": %.1f",
        elapsed_ms(w), t, est ? "true" : "false", tps);
    ssekit_usage u = ssekit_result_usage(w->result);
    if (u.input_tokens >= 0 || u.output_tokens >= 0 || u.total_tokens >= 0) {
        fputs(", \"usage\": {", stdout);
        put_count("input_tokens", u.input_tokens, "");
        put_count("output_tokens", u.output_tokens, ", ");
        put_count("total_tokens", u.total_tokens, ", ");
        fputs("}", stdout);
    } else {
        fputs(", \"usage\": null", stdout);
    }
    const char *fr = ssekit_result_finish_reason(w->result);
    fputs(", \"finish_reason\": ", stdout);
    if (fr)
        json_out_string(stdout, fr, strlen(fr));
    else
        fputs("null", stdout);
    printf(", \"valid\": %s, \"status\": \"%s\"",
           w->finished && w->status == SSEKIT_OK ? "true" : "false",
           ssekit_status_name(w->finished ? w->status : SSEKIT_E_STOPPED));
    const ssekit_result_error *e = ssekit_result_first_error(w->result);
    if (w->net_status != SSEKIT_OK) {
        fputs(", \"error\": ", stdout);
        json_out_string(stdout, w->net_error, strlen(w->net_error));
    } else if (e->status != SSEKIT_OK) {
        fputs(", \"error\": ", stdout);
        json_out_string(stdout, e->message, strlen(e->message));
    }
    if (w->live)
        printf(", \"retries\": %u, \"reconnects\": %u", w->retries, w->reconnects);
    if (w->schema_doc)
        printf(", \"violations\": %zu, \"progress\": %.3f",
               ssekit_result_violation_count(w->result), progress(w));
    fputs("}}\n", stdout);
}

static void put_plain_end(struct watch *w)
{
    if (w->text_bytes)
        fputc('\n', stdout);
    put_summary_json(w);
    fputs("{\"value\": ", stdout);
    const ssekit_output *m = ssekit_result_main(w->result);
    if (m && ssekit_output_json_status(m) == SSEKIT_OK)
        ssekit_json_write(ssekit_output_value(m), write_file, stdout);
    else
        fputs("null", stdout);
    fputs("}\n", stdout);
}

/* ---- the command ------------------------------------------------------------------- */

static void help(FILE *f)
{
    fputs("usage: ssekit watch [OPTIONS] [FILE|-]\n"
          "Shows a provider's SSE stream in a terminal UI: the token text as it arrives, a\n"
          "progress bar, tokens/s and elapsed time, the partial structured result as a tree of\n"
          "fields marked done / streaming / pending, a status line (retries, reconnects,\n"
          "errors) and a final summary (usage, latency to the first token, total time).\n"
          "The stream is a recorded FILE (or standard input), or, with --url, --base-url or\n"
          "--prompt, a live request made with ssekit's client (retried on 429/5xx/network\n"
          "errors; a raw SSE --url reconnects with Last-Event-ID).\n\n",
          f);
    client_opts_usage(f);
    fputs(
        "  --delay-ms N       FILE: wait N ms after each event, so that a recording plays\n"
        "                     like a live stream\n"
        "  --max-retries N    live: retries of a failed request (default 3)\n"
        "  --plain            plain lines even on a terminal\n"
        "With --schema the progress is the share of the schema's required fields done and\n"
        "properties not seen yet are shown as pending; without one, --max-tokens N gives\n"
        "progress = output tokens / N (else a spinner). Tokens are the provider's usage\n"
        "figure at the end; while streaming (and when the provider sends none) they are\n"
        "estimated as ~4 bytes of text per token, shown as ~N.\n"
        "When standard output is not a terminal (or with --plain) the text deltas are printed as\n"
        "they come, then {\"summary\": {...}} and {\"value\": V} as JSON lines; retries and\n"
        "errors of a live stream go to standard error.\n"
        "Ctrl-C restores the terminal and exits with 130.\n"
        "Exit status: 0 valid, 1 malformed JSON / schema failure / provider or stream error,\n"
        "2 usage or I/O, 128+N when stopped by signal N.\n",
        f);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n + 1 >= cap) {
            char *p = realloc(buf, cap = cap ? cap * 2 : 4096);
            if (!p) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = p;
        }
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
    } while (r > 0);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Is the main output an answer in words rather than a JSON document? */
static int is_prose(const ssekit_result *r)
{
    const ssekit_output *m = ssekit_result_main(r);
    if (!m || ssekit_output_kind_of(m) != SSEKIT_OUTPUT_TEXT)
        return 0;
    size_t n, i = 0;
    const char *t = ssekit_output_text(m, &n);
    while (i < n && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t'))
        i++;
    return i < n && t[i] != '{' && t[i] != '[';
}

/* Compiles the schema for the result and parses it again for the tree. */
static int load_schema(const char *path, ssekit_schema **schema, yajl_val *doc)
{
    size_t len;
    char *text = slurp(path, &len);
    if (!text) {
        fprintf(stderr, "ssekit watch: %s: %s\n", path, strerror(errno));
        return -1;
    }
    ssekit_schema_error err;
    *schema = ssekit_schema_compile(text, len, NULL, &err);
    if (!*schema) {
        fprintf(stderr, "ssekit watch: %s: schema error at '%s': %s\n", path, err.pointer,
                err.message);
        free(text);
        return -1;
    }
    char msg[256];
    *doc = yajl_tree_parse(text, msg, sizeof msg);
    free(text);
    if (!*doc) {
        fprintf(stderr, "ssekit watch: %s: %s\n", path, msg);
        return -1;
    }
    return 0;
}

static int parse_args(struct watch *w, client_opts *o, int argc, char **argv, const char **path,
                      long *max_retries)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        size_t v;
        int r = client_opts_parse(o, "watch", argc, argv, &i);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            help(stdout);
            return 1;
        } else if (!strcmp(a, "--plain")) {
            w->tty = 0;
        } else if (!strcmp(a, "--delay-ms") && has_value) {
            if (parse_size(argv[++i], &v) || v > 600000) {
                fprintf(stderr, "ssekit watch: --delay-ms needs 0..600000\n");
                return 2;
            }
            w->delay_ms = (int)v;
        } else if (!strcmp(a, "--max-retries") && has_value) {
            if (parse_size(argv[++i], &v) || v > 100) {
                fprintf(stderr, "ssekit watch: --max-retries needs 0..100\n");
                return 2;
            }
            *max_retries = (long)v;
        } else if ((a[0] != '-' || !strcmp(a, "-")) && !*path) {
            *path = a;
        } else {
            fprintf(stderr, "ssekit watch: unexpected argument '%s'\n", a);
            help(stderr);
            return 2;
        }
    }
    w->live = o->url || o->base_url || o->prompt;
    if (w->live && *path) {
        fprintf(stderr, "ssekit watch: give a FILE or a live request (--url, --base-url, "
                        "--prompt), not both\n");
        return 2;
    }
    return 0;
}

/* Builds the live request: a provider preset, or a raw SSE GET. */
static int build_request(client_opts *o, long max_retries, ssekit_request *rq, int *built)
{
    if (client_opts_finish(o, "watch", 1))
        return -1;
    if (o->provider == SSEKIT_PROVIDER_RAW) {
        memset(rq, 0, sizeof *rq);
        rq->url = o->url;
        rq->headers = o->headers;
        rq->header_count = o->header_count;
        rq->reconnect = 1;
        rq->total_timeout_ms = o->timeout_ms;
        rq->limits = o->limits;
    } else {
        if (client_opts_build(o, "watch", rq))
            return -1;
        *built = 1;
    }
    if (max_retries >= 0) {
        ssekit_retry_policy_default(&rq->retry);
        rq->retry.max_retries = (unsigned)max_retries;
    }
    /* the UI reads the SSE events (the result decodes them) and the stream's own news */
    rq->filter = SSEKIT_EVENT_SSE | SSEKIT_EVENT_OPEN | SSEKIT_EVENT_RETRY |
                 SSEKIT_EVENT_RECONNECT | SSEKIT_EVENT_DONE | SSEKIT_EVENT_ERROR;
    return 0;
}

int cmd_watch(int argc, char **argv)
{
    struct watch w = {.t_first = -1, .last_draw = -1e9};
    const char *path = NULL;
    client_opts o;
    client_opts_init(&o);
    long max_retries = -1;
    w.tty = isatty(STDOUT_FILENO);
    int rc = parse_args(&w, &o, argc, argv, &path, &max_retries);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (o.provider < 0)
        o.provider = w.live && o.url && !o.base_url ? SSEKIT_PROVIDER_RAW : SSEKIT_PROVIDER_OPENAI;
    w.kind = (ssekit_provider)o.provider;
    w.provider = ssekit_provider_name(w.kind);
    w.schema_path = o.schema_path;
    w.max_tokens = o.max_tokens;
    ssekit_request rq;
    int built = 0;
    memset(&rq, 0, sizeof rq);
    if (w.live && build_request(&o, max_retries, &rq, &built)) {
        client_opts_free(&o);
        return 2;
    }
    if (w.live)
        w.label = rq.url;
    else
        w.label = path && strcmp(path, "-") ? path : "stdin";
    if (!w.live && strrchr(w.label, '/'))
        w.label = strrchr(w.label, '/') + 1;
    ssekit_schema *schema = NULL;
    int exit_code = 2;
    if (w.schema_path && load_schema(w.schema_path, &schema, &w.schema_doc))
        goto out;
    w.schema = schema;
    ssekit_result_callbacks cb = {.on_delta = on_delta};
    w.result = ssekit_result_new(w.kind, &cb, &w, NULL);
    ssekit_sse_callbacks scb = {.on_event = on_event};
    w.sse = ssekit_sse_parser_new(&scb, &w, NULL);
    if (!w.result || !w.sse) {
        fprintf(stderr, "ssekit watch: out of memory\n");
        goto out;
    }
    if (schema)
        ssekit_result_set_schema(w.result, schema);
    tui_term_signals();
    if (w.tty && tui_term_enter(STDOUT_FILENO) != 0)
        w.tty = 0;
    if (w.tty)
        tui_term_size(STDOUT_FILENO, &w.cols, &w.rows);
    w.t0 = now_ms();
    int io = w.live ? run_stream(&w, &rq) : run_input(&w, path);
    if (!w.stopped) {
        if (!w.live)
            ssekit_sse_finish(w.sse);
        w.status = ssekit_result_finish(w.result);
        if (w.status == SSEKIT_E_JSON && !schema && is_prose(w.result)) {
            w.prose = 1;
            w.status = SSEKIT_OK;
        }
        if (w.net_status != SSEKIT_OK)
            w.status = w.net_status; /* the stream failed: that is the news */
        w.finished = 1;
        w.t_end = now_ms();
    }
    if (w.tty) {
        draw(&w);
        tui_term_leave();
        /* what stays on the normal screen: the final tree and the summary */
        struct tui_frame f = {0};
        tui_frame_begin(&f, w.cols, 1 << 20, 1);
        compose(&w, &f, 1);
        tui_frame_flush(&f, STDOUT_FILENO);
        tui_frame_free(&f);
    } else {
        put_plain_end(&w);
    }
    if (fflush(stdout) != 0)
        io = -1;
    if (w.stopped)
        exit_code = 128 + tui_term_stop_signal();
    else if (io < 0)
        exit_code = 2;
    else
        exit_code = w.status == SSEKIT_OK ? 0 : 1;
out:
    ssekit_sse_parser_free(w.sse);
    ssekit_result_free(w.result);
    ssekit_schema_free(schema);
    yajl_tree_free(w.schema_doc);
    tui_buf_free(&w.text);
    tui_buf_free(&w.tree);
    tui_frame_free(&w.frame);
    if (built)
        ssekit_request_clear(&rq, NULL);
    client_opts_free(&o);
    return exit_code;
}
