/* ssekit — status codes shared by every stage.
 *
 * Every ssekit function that can fail returns an ssekit_status. SSEKIT_OK is
 * zero; every error is negative, so `if (rc < 0)` is the idiomatic check.
 */
#ifndef SSEKIT_STATUS_H
#define SSEKIT_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ssekit_status {
    SSEKIT_OK = 0,
    /* A callback returned non-zero: the call stopped early on purpose. */
    SSEKIT_E_STOPPED = -1,
    /* An allocation through the allocator hooks failed. */
    SSEKIT_E_NOMEM = -2,
    /* A NULL handle or an argument out of range. */
    SSEKIT_E_INVALID = -3,
    /* A line of an event stream is longer than the parser's line limit. */
    SSEKIT_E_LINE_TOO_LONG = -4,
    /* An event's data and type together exceed the parser's event limit. */
    SSEKIT_E_EVENT_TOO_LARGE = -5,
    /* The handle is in a state where the call is not allowed (e.g. a feed
     * from inside one of its own callbacks). */
    SSEKIT_E_STATE = -6,
    /* Malformed JSON. */
    SSEKIT_E_JSON = -7,
    /* JSON nesting deeper than the depth limit. */
    SSEKIT_E_TOO_DEEP = -8,
    /* A document or a string larger than its size limit. */
    SSEKIT_E_TOO_LARGE = -9,
    /* A value does not satisfy its schema. */
    SSEKIT_E_SCHEMA = -10,
    /* A provider envelope that could not be decoded. */
    SSEKIT_E_ENVELOPE = -11,
    /* The provider reported an error inside the stream. */
    SSEKIT_E_PROVIDER = -12,
    /* An input/output error (reading a file, a socket). */
    SSEKIT_E_IO = -13,
    /* A request was refused without being sent: the circuit breaker for its
     * host is open after repeated failures (ssekit_client_set_breaker). */
    SSEKIT_E_CIRCUIT_OPEN = -14,
    /* A provider request needs an API key and none was given or found in
     * the environment (OPENAI_API_KEY / ANTHROPIC_API_KEY). */
    SSEKIT_E_NO_KEY = -15
} ssekit_status;

/* Returns a short, static, English description of `status` (never NULL; an
 * unknown code gives "unknown status"). The string is owned by the library and
 * lives for the whole program. Thread-safe. */
const char *ssekit_strerror(int status);

/* Returns the symbolic name of `status`, e.g. "SSEKIT_E_LINE_TOO_LONG"
 * ("SSEKIT_E_UNKNOWN" for an unknown code). Static storage; thread-safe. */
const char *ssekit_status_name(int status);

#ifdef __cplusplus
}
#endif

#endif
