/* ssekit — version of the headers, and of the library at run time. */
#ifndef SSEKIT_VERSION_H
#define SSEKIT_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

#define SSEKIT_VERSION_MAJOR 0
#define SSEKIT_VERSION_MINOR 1
#define SSEKIT_VERSION_PATCH 0
#define SSEKIT_VERSION_STRING "0.1.0"

/* Returns the version of the library linked at run time, e.g. "0.1.0"
 * (static storage, never NULL; thread-safe). Compare with
 * SSEKIT_VERSION_STRING to detect a header/library mismatch. */
const char *ssekit_version(void);

#ifdef __cplusplus
}
#endif

#endif
