#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int input_each(const char *path, size_t chunk, input_fn fn, void *ctx)
{
    int fd = 0;
    int rc = 0;
    if (path && strcmp(path, "-") != 0) {
        fd = open(path, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "ssekit: %s: %s\n", path, strerror(errno));
            return -1;
        }
    }
    size_t cap = 1 << 16;
    if (chunk > cap)
        cap = chunk;
    char *buf = malloc(cap);
    if (!buf) {
        fprintf(stderr, "ssekit: out of memory\n");
        rc = -1;
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            fprintf(stderr, "ssekit: %s: %s\n", path ? path : "-", strerror(errno));
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        size_t step = chunk ? chunk : (size_t)n;
        for (size_t off = 0; off < (size_t)n && !rc; off += step) {
            size_t len = (size_t)n - off < step ? (size_t)n - off : step;
            if (fn(ctx, buf + off, len))
                rc = 1;
        }
        if (rc)
            break;
    }
out:
    free(buf);
    if (fd > 0)
        close(fd);
    return rc;
}
