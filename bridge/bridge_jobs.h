/* Private: the job API's table and worker (bridge_jobs.c), the routes that
 * serve it and the rest of the HTTP surface beside the streams
 * (bridge_http.c), the dashboard's embedded files (bridge_web.c) and the
 * Prometheus text (bridge_metrics.c). */
#ifndef SSEKIT_BRIDGE_JOBS_H
#define SSEKIT_BRIDGE_JOBS_H

#include "bridge_internal.h"

/* bridge_jobs.c. The route functions run on the service thread, fill `out`
 * with the response body and return its HTTP status (0: out of memory). */
int br_jobs_new(ssekit_bridge *b);      /* table + worker thread; a status */
void br_jobs_free(ssekit_bridge *b);    /* stops and joins the worker; NULL-safe */
void br_jobs_service(ssekit_bridge *b); /* drops expired jobs and their channels */
unsigned br_jobs_submit(ssekit_bridge *b, const char *body, size_t len, const char *idem,
                        sk_buf *out);
/* What br_jobs_submit does with a body short of running it (no bridge, no
 * thread, no libwebsockets: tests/fuzz/fuzz_bridge_job.c): builds the
 * request and frees it. SSEKIT_OK, SSEKIT_E_NOMEM, or SSEKIT_E_INVALID with a
 * message in err (the 400's). */
int br_jobs_check_body(const ssekit_alloc_funcs *a, const char *body, size_t len, char *err,
                       size_t errlen);
unsigned br_jobs_list(ssekit_bridge *b, sk_buf *out);
unsigned br_jobs_status(ssekit_bridge *b, const char *id, size_t n, sk_buf *out);
unsigned br_jobs_result(ssekit_bridge *b, const char *id, size_t n, sk_buf *out);
unsigned br_jobs_cancel(ssekit_bridge *b, const char *id, size_t n, sk_buf *out);
int br_jobs_metrics(ssekit_bridge *b, sk_buf *out); /* appends; 0 or -1 */

/* bridge_metrics.c: the whole GET /metrics text; 0 or -1 (out of memory). */
int br_metrics_render(ssekit_bridge *b, sk_buf *out);

/* bridge_web.c: the embedded dashboard file at `path` ("/" = index.html),
 * or NULL. */
typedef struct br_web_file {
    const char *path; /* "/index.html" */
    const unsigned char *data;
    size_t len;
} br_web_file;
const br_web_file *br_web_find(const char *path);
const char *br_web_type(const char *path); /* content type by extension */

#endif
