#!/usr/bin/env bash
# nginx with the nchan module as an independent SSE server: messages are
# published over HTTP, ssekit's client subscribes (raw SSE, WHATWG reconnect),
# nchan cuts the subscriber (nchan_subscriber_timeout), some messages are
# published while the client is away, and the resume by Last-Event-ID must
# deliver every message exactly once, in order.
# Exits 77 (skipped) only when nginx or nchan cannot be installed.
set -euo pipefail
build=$1
source "$(dirname "$0")/lib.sh" # src, check

if ! command -v nginx >/dev/null 2>&1 || ! compgen -G '/usr/lib/nginx/modules/ngx_nchan_module.so' >/dev/null; then
  if [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null; then
    sudo=()
    [[ $(id -u) -ne 0 ]] && sudo=(sudo -n)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      nginx libnginx-mod-nchan >/dev/null 2>&1 || true
  fi
fi
nginx=$(command -v nginx || true)
module=
for m in /usr/lib/nginx/modules/ngx_nchan_module.so /usr/share/nginx/modules/ngx_nchan_module.so; do
  [[ -f $m ]] && module=$m && break
done
if [[ -z $nginx || -z $module ]]; then
  echo "skipped: nginx with the nchan module is not installed (apt-get install nginx libnginx-mod-nchan)"
  exit 77
fi

tmp=$(mktemp -d)
ngx_pid=
sub_pid=
cleanup() {
  [[ -n $sub_pid ]] && kill "$sub_pid" 2>/dev/null || true
  if [[ -n $ngx_pid ]]; then
    kill -QUIT "$ngx_pid" 2>/dev/null || true # graceful: the master stops its workers
    for _ in $(seq 50); do kill -0 "$ngx_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$ngx_pid" 2>/dev/null || true
    wait "$ngx_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The subscriber, built as the library was (same compiler, same sanitizers).
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
san=()
grep -q '^SSEKIT_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && san=(-fsanitize=address,undefined)
lib=$(find "$build" -name libssekit.a -print -quit)
[[ -n $lib ]] || cmake --build "$build" --target ssekit_static >/dev/null
lib=$(find "$build" -name libssekit.a -print -quit)
"$cc" "${san[@]}" -std=c11 -Wall -Wextra -Wpedantic -Werror -I"$src/lib/include" \
  "$src/tests/nchan/nchan_sub.c" -o "$tmp/nchan_sub" "$lib" $(pkg-config --libs yajl libcurl) -pthread -lm


# nginx cannot listen on port 0 and tell: take a port the kernel just handed
# out, and try again with another if nginx loses the race for it.
for attempt in 1 2 3 4 5; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  sed -e "s|@TMP@|$tmp|g" -e "s|@PORT@|$port|g" -e "s|@MODULE@|$module|g" \
    "$src/tests/nchan/nginx.conf.in" >"$tmp/nginx.conf"
  "$nginx" -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log" 2>>"$tmp/nginx.stderr" &
  ngx_pid=$!
  up=0
  for _ in $(seq 100); do
    kill -0 "$ngx_pid" 2>/dev/null || break
    if curl -s -o /dev/null "http://127.0.0.1:$port/pub"; then up=1; break; fi
    sleep 0.1
  done
  [[ $up -eq 1 ]] && break
  wait "$ngx_pid" 2>/dev/null || true
  ngx_pid=
done
if [[ -z $ngx_pid ]]; then
  echo "FAIL - nginx did not start"; cat "$tmp/nginx.stderr" "$tmp/error.log" 2>/dev/null || true
  exit 1
fi
base=http://127.0.0.1:$port

publish() { # first last
  local i
  for ((i = $1; i <= $2; i++)); do
    curl -sf -o /dev/null -X POST --data-binary "message $i" "$base/pub"
  done
}
sse_count() { grep -c '^sse' "$tmp/out" || true; }
wait_for() { # condition (eval'd), seconds
  for _ in $(seq $(($2 * 20))); do eval "$1" && return 0; sleep 0.05; done
  return 1
}

n=30
publish 1 10
# reconnect_ms: the client stays away for 1 s (+ jitter) after each cut,
# long enough for messages 11-20 to be published while it is away.
"$tmp/nchan_sub" "$base/sub" $n 15000 1000 >"$tmp/out" 2>"$tmp/err" &
sub_pid=$!
check "the first 10 messages arrive" 'wait_for "[[ \$(sse_count) -ge 10 ]]" 10'
check "nchan cuts the subscriber" 'wait_for "grep -q ^reconnect \"$tmp/out\"" 10'
publish 11 20
check "messages published while away arrive" 'wait_for "[[ \$(sse_count) -ge 20 ]]" 10'
for ((i = 21; i <= n; i++)); do publish $i $i; sleep 0.15; done # across the next cut
sub_rc=0
wait "$sub_pid" || sub_rc=$?
sub_pid=
cat "$tmp/out"
check "the subscriber got $n messages" '[[ $sub_rc -eq 0 ]]'
want=$(for ((i = 1; i <= n; i++)); do echo "message $i"; done)
check "every message exactly once, in order" '[[ $(awk -F"\t" "/^sse/ {print \$3}" "$tmp/out") == "$want" ]]'
check "ids are distinct" '[[ $(awk -F"\t" "/^sse/ {print \$2}" "$tmp/out" | sort -u | wc -l) -eq $n ]]'
# The first reconnect sends the id of message 10, the last one delivered.
id10=$(awk -F'\t' '/^sse/ && $3 == "message 10" {print $2}' "$tmp/out")
first_reconnect=$(awk -F'\t' '/^reconnect/ {print $2; exit}' "$tmp/out")
check "the resume sends Last-Event-ID of message 10 ($id10)" '[[ -n $id10 && $first_reconnect == "$id10" ]]'
# ... and nginx received it: a resume that nchan did not see would have
# replayed messages 1-10 from its buffer (and the client's duplicate filter
# would have hidden that).
wait_for "[[ \$(grep -c '^GET /sub' \"$tmp/access.log\") -ge 2 ]]" 5 || true
seen=$(awk '$1 == "GET" && $2 == "/sub" {print $3}' "$tmp/access.log" | sed -n 2p)
check "nginx saw Last-Event-ID $id10 on the resume" '[[ $seen == "\"$id10\"" ]]'
check "no error event" '! grep -q "^error" "$tmp/out"'
[[ $fail -eq 0 ]] || { cat "$tmp/err" "$tmp/error.log" 2>/dev/null | tail -40; }
exit $fail
