/* ssekit — the streaming client: many ssekit_streams (stream.h) over one
 * libcurl multi handle, in the caller's thread.
 *
 * Three ways to drive it, all first class:
 *
 * 1. Pull: ssekit_stream_next(s, &ev, timeout) for one stream, or
 *    ssekit_client_next(c, &ev, timeout) for the next event of any stream
 *    (in the order events were produced, like `as_completed`).
 * 2. Callbacks: streams opened with a `callback` get their events from inside
 *    ssekit_client_run() / ssekit_client_perform() (and from next() calls,
 *    which drive every stream).
 * 3. A foreign event loop: watch the descriptors of ssekit_client_fdset() for
 *    at most ssekit_client_timeout() milliseconds, then call
 *    ssekit_client_perform(); repeat. perform() never blocks.
 *
 *     curl_global_init(CURL_GLOBAL_DEFAULT);       // once, at program start
 *     ssekit_client *c = ssekit_client_new(NULL);
 *     ssekit_stream *a, *b;
 *     ssekit_stream_open(c, &req_a, &a);
 *     ssekit_stream_open(c, &req_b, &b);
 *     const ssekit_event *ev;
 *     while (ssekit_client_next(c, &ev, 5000) > 0)
 *         handle(ev->stream, ev);
 *     ssekit_client_free(c);                        // frees a and b too
 *     curl_global_cleanup();                        // once, at exit
 *
 * libcurl global state: the application calls curl_global_init() once before
 * creating the first client (and before starting threads) and
 * curl_global_cleanup() once after freeing the last one; ssekit never calls
 * them, because they are not thread-safe in every libcurl build.
 *
 * Backpressure: each stream queues its events as owned copies, at most
 * `max_queue` events / `max_queue_bytes` bytes (ssekit_request), plus the
 * events decoded from one network read (libcurl hands over at most
 * CURLOPT_BUFFERSIZE, 16 KiB, at a time). Beyond that the transfer is paused
 * (the socket is not read, TCP flow control slows the server) until the
 * consumer has taken half of the queue. Idle and first-byte deadlines do not
 * run while a stream is paused.
 *
 * Threads: a client and its streams are used from one thread at a time (no
 * locks inside); different clients are independent and may run in different
 * threads.
 */
#ifndef SSEKIT_CLIENT_H
#define SSEKIT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/select.h>

#include "alloc.h"
#include "status.h"
#include "stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Creates a client with its own libcurl multi handle. `alloc` (NULL: libc's)
 * is copied and used for everything ssekit allocates (libcurl allocates
 * through its own functions). Returns NULL when memory runs out or libcurl
 * cannot make a multi handle. Free with ssekit_client_free(). */
ssekit_client *ssekit_client_new(const ssekit_alloc_funcs *alloc);

/* Frees the client, every stream still on it (their transfers are aborted
 * without events) and the multi handle. NULL is a no-op. Must not be called
 * from a callback. */
void ssekit_client_free(ssekit_client *c);

/* The longest read-coalescing window ssekit_client_set_read_coalesce()
 * accepts, in ms. */
#define SSEKIT_CLIENT_MAX_READ_COALESCE_MS 1000

/* The `ms` that selects the adaptive read-coalescing window (the default). */
#define SSEKIT_CLIENT_READ_COALESCE_AUTO (-1)

/* The widest window the adaptive mode opens, in ms. */
#define SSEKIT_CLIENT_AUTO_READ_COALESCE_MAX_MS 50

/* Sets the read-coalescing window of the client: `ms` > 0 a fixed window in
 * ms, 0 off, SSEKIT_CLIENT_READ_COALESCE_AUTO (the default) adaptive.
 * With a window, a socket that was just read is not read again until `ms`
 * have passed (at most 1.25 * ms: sockets are re-armed in batches, every
 * ms/4): whatever arrives meanwhile waits in the kernel and is taken in one
 * read, so many slow streams (e.g. a thousand LLM streams at 50 tokens/s)
 * cost a fraction of the system calls. It pays once the window is longer
 * than the time between a stream's events: at 50 events/s, 50 ms gives
 * about 3 events per read (docs/benchmarks.md).
 *
 * Adaptive (like a NIC's adaptive interrupt coalescing): every 250 ms the
 * client looks at the socket reads it serviced. The window stays 0 (no added
 * latency) unless at least 16 sockets were read and the reads, estimated as
 * they would be without a window, reach 10,000/s (about 8% of a core); it
 * then opens at 20 ms and widens with the rate, 10 ms per 5,000 reads/s, up
 * to SSEKIT_CLIENT_AUTO_READ_COALESCE_MAX_MS (50 ms) from 25,000/s. It
 * closes again below 5,000/s (hysteresis), or when reads average 8 KiB or
 * more (bulk transfers, which a window would throttle).
 * ssekit_client_read_coalesce() tells the window in effect.
 *
 * The trade-off is latency: an event may reach the application up to
 * 1.25 * window later than it would otherwise (the rest of a response after
 * its first read too, but not the connect, the request or the first read).
 * Connect and total deadlines are unchanged; first-byte and idle deadlines
 * are extended by 2 * window, since a byte may wait for it (after a window
 * narrows or closes, by the old one for 2 * its length). Throughput is
 * bounded too: libcurl takes at most CURLOPT_BUFFERSIZE (16 KiB) per read,
 * so a stream reads at most 16 KiB per window (320 KiB/s at 50 ms). Fixed
 * windows of 20-50 ms suit token streams shown to people; set 0 for bulk or
 * latency-bound streams.
 *
 * Works with the client's own loop (next, run, perform) on Linux (epoll);
 * ssekit_client_fdset() leaves the waiting sockets out and
 * ssekit_client_timeout() includes the end of their windows. Elsewhere a
 * fixed setting is accepted and only extends those deadlines, and the
 * adaptive window stays 0. May be called at any time (also from a
 * callback): the setting applies at once (switching to adaptive starts from
 * 0); sockets watched while the setting was 0 get a window from their next
 * transfer on. Returns SSEKIT_OK or SSEKIT_E_INVALID (c is NULL, or ms is
 * neither SSEKIT_CLIENT_READ_COALESCE_AUTO nor 0 to
 * SSEKIT_CLIENT_MAX_READ_COALESCE_MS). */
int ssekit_client_set_read_coalesce(ssekit_client *c, long ms);

/* Returns the read-coalescing window in effect now, in ms: the fixed
 * setting, or what the adaptive mode chose at its last look (0: closed).
 * 0 when c is NULL. Nothing is allocated; call from the client's thread. */
long ssekit_client_read_coalesce(const ssekit_client *c);

/* Returns the next event of any stream without a callback, in production
 * order, driving the client for at most `timeout_ms` (0: do not wait;
 * negative: no limit). Returns 1 with *event set (same lifetime as for
 * ssekit_stream_next(): owned by its stream, ev->stream), 0 on timeout,
 * SSEKIT_E_STATE when no stream without a callback can produce an event any
 * more (all ended and drained, or none), SSEKIT_E_INVALID, or SSEKIT_E_IO
 * when the multi handle fails. */
int ssekit_client_next(ssekit_client *c, const ssekit_event **event, long timeout_ms);

/* Drives every stream for up to `timeout_ms` (negative: no limit), invoking
 * callbacks, and returns early once no stream is running or waiting for a
 * retry. Events of streams without a callback are queued for next().
 * Returns SSEKIT_OK, SSEKIT_E_STATE (called from a callback),
 * SSEKIT_E_INVALID or SSEKIT_E_IO. */
int ssekit_client_run(ssekit_client *c, long timeout_ms);

/* One non-blocking step for a foreign event loop: lets libcurl read and
 * write what is ready, fires due timers (retries, reconnects, deadlines) and
 * invokes callbacks. Stores in *active (may be NULL) the number of streams
 * not yet ended. Returns SSEKIT_OK, SSEKIT_E_STATE (from a callback),
 * SSEKIT_E_INVALID or SSEKIT_E_IO. */
int ssekit_client_perform(ssekit_client *c, int *active);

/* Adds the descriptors libcurl waits on to the three sets (as
 * curl_multi_fdset() does: the sets are not cleared first) and stores the
 * highest descriptor in *max_fd (-1 when there is none yet: then just wait
 * for the timeout). Descriptors >= FD_SETSIZE are not reported; use
 * ssekit_client_timeout() with a short poll in that case. Returns SSEKIT_OK,
 * SSEKIT_E_INVALID or SSEKIT_E_IO. */
int ssekit_client_fdset(ssekit_client *c, fd_set *read_fds, fd_set *write_fds, fd_set *exc_fds,
                        int *max_fd);

/* How long a foreign loop may wait before calling ssekit_client_perform()
 * even when no descriptor is ready, in ms (0: call it now; -1: no timer,
 * wait for a descriptor): the nearest of libcurl's timers and the streams'
 * own (retry and reconnect times, connect / first-byte / idle / total
 * deadlines). 0 when a callback stream has queued events, or when something
 * changed since the last perform() that may have moved a deadline (perform()
 * then recomputes it). Returns SSEKIT_OK or SSEKIT_E_INVALID. */
int ssekit_client_timeout(ssekit_client *c, long *timeout_ms);

/* Cancels every stream of the client (see ssekit_stream_cancel()). Returns
 * SSEKIT_OK or SSEKIT_E_INVALID. Allowed from a callback. */
int ssekit_client_cancel_all(ssekit_client *c);

/* The number of streams on the client that have not ended. */
size_t ssekit_client_active(const ssekit_client *c);

/* Wakes the client's thread: the one exception to the one-thread rule above,
 * callable from any thread (and a signal handler) while another thread
 * drives the client. A ssekit_client_run(), ssekit_client_next() or
 * ssekit_stream_next() that is waiting returns at once (run: SSEKIT_OK;
 * next: 0, as on a timeout); one
 * that is not waiting returns after its current step. The wake-up is not
 * counted: several before the next return make one. Use it to hand work to
 * a thread that drives a client (put the work in a queue under your own
 * lock, then wake it). Returns SSEKIT_OK, SSEKIT_E_INVALID (c is NULL) or
 * SSEKIT_E_IO. */
int ssekit_client_wakeup(ssekit_client *c);

#ifdef __cplusplus
}
#endif

#endif
