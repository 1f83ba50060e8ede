/* Milliseconds for the tests that time things: a monotonic clock reading and
 * a sleep. Header-only and static inline, so each test uses what it needs
 * without unused-function warnings. */
#ifndef SSEKIT_TEST_CLOCK_MS_H
#define SSEKIT_TEST_CLOCK_MS_H

#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in milliseconds (an arbitrary origin: compare readings). */
static inline uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sleeps `ms` milliseconds (a signal may end it early). */
static inline void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

#endif
