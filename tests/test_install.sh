#!/usr/bin/env bash
# `cmake --install` to a temporary prefix, then a small program that uses the
# installed headers and library is built out of tree twice — with
# `pkg-config --cflags --libs ssekit` and with CMake's find_package(ssekit) —
# and run.
set -euo pipefail
build=$1
source "$(dirname "$0")/lib.sh" # src, check
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null

mkdir -p "$tmp/app"
cat >"$tmp/app/app.c" <<'C'
#include <ssekit/ssekit.h>
#include <stdio.h>
#include <string.h>
static int on_event(void *user, const ssekit_sse_event *ev)
{
    (void)user;
    printf("%.*s=%.*s\n", (int)ev->type_len, ev->type, (int)ev->data_len, ev->data);
    return 0;
}
int main(void)
{
    ssekit_sse_callbacks cb = {.on_event = on_event};
    ssekit_sse_parser *p = ssekit_sse_parser_new(&cb, NULL, NULL);
    const char *s = "event: greet\ndata: hello\n\n";
    int rc = ssekit_sse_feed(p, s, strlen(s));
    ssekit_sse_parser_free(p);
    printf("%s %s\n", ssekit_version(), ssekit_strerror(rc));
    return rc;
}
C
cat >"$tmp/app/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.16)
project(app C)
find_package(ssekit REQUIRED)
add_executable(app app.c)
target_link_libraries(app PRIVATE ssekit::ssekit)
C
want=$'greet=hello\n0.1.0 success'
# Build the app as the library was built: same compiler, and the sanitizers
# when the library has them (its objects need their runtime).
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
san=()
grep -q '^SSEKIT_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && san=(-fsanitize=address,undefined)

export PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig
libdir=$(pkg-config --variable=libdir ssekit)
"$cc" "${san[@]}" -std=c11 -Wall -Wextra -Wpedantic -Werror "$tmp/app/app.c" -o "$tmp/app/app-pc" \
  $(pkg-config --cflags --libs ssekit) -Wl,-rpath,"$libdir"
check "pkg-config build runs" '[[ $("$tmp/app/app-pc") == "$want" ]]'
"$cc" "${san[@]}" -std=c11 "$tmp/app/app.c" -o "$tmp/app/app-static" $(pkg-config --cflags ssekit) \
  "$libdir/libssekit.a" $(pkg-config --libs yajl libcurl) -pthread -lm
check "static library links" '[[ $("$tmp/app/app-static") == "$want" ]]'

cmake -S "$tmp/app" -B "$tmp/app/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_C_FLAGS="${san[*]}" >/dev/null
cmake --build "$tmp/app/build" >/dev/null
check "find_package build runs" '[[ $("$tmp/app/build/app") == "$want" ]]'
check "headers installed" '[[ -f $tmp/prefix/include/ssekit/ssekit.h && -f $tmp/prefix/include/ssekit/sse_parser.h ]]'
check "ssekit command installed" '[[ -x $tmp/prefix/bin/ssekit ]]'
exit $fail
