/* The dashboard's files (bridge/web/), compiled into the binary at build
 * time by embed_web.cmake (bridge_web_bundle.c), looked up by URL path. */
#include <string.h>

#include "bridge_jobs.h"

extern const br_web_file br_web_bundle[];
extern const size_t br_web_bundle_count;

const br_web_file *br_web_find(const char *path)
{
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (size_t i = 0; i < br_web_bundle_count; i++) {
        if (strcmp(br_web_bundle[i].path, path) == 0)
            return &br_web_bundle[i];
    }
    return NULL;
}

const char *br_web_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
        {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(dot, types[i][0]) == 0)
            return types[i][1];
    }
    return "application/octet-stream";
}
