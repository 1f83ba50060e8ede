#!/usr/bin/env bash
# Bridge protocol tests with independent clients: Node's `ws` and
# `eventsource` packages against the ssekit-bridge daemon.
# usage: tests/test_bridge.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: test_bridge.sh BUILD_DIR}" && pwd)
source "$(dirname "$0")/lib.sh"
need_bridge "$build"
# The clients are installed into the build directory, never the source tree;
# a reinstall happens only when package.json changed.
mods=$build/bridge-node
npm_install_into "$mods" ws || { echo "SKIP: npm install failed (no registry?)"; exit 77; }
# SSE heartbeat, with curl as the client: an idle stream gets ": keepalive"
# comments (--keepalive 1), a stream that carries messages needs none.
if command -v curl >/dev/null; then
  ka=$(mktemp -d)
  "$bin" --listen 127.0.0.1:0 --keepalive 1 --publish-endpoint >"$ka/log" &
  ka_pid=$!
  for _ in $(seq 200); do grep -q listening "$ka/log" && break; sleep 0.05; done
  url=$(sed -n 's/.*"listening": "\([^"]*\)".*/\1/p' "$ka/log")
  curl -sN --max-time 3.5 "$url/v1/streams/idle/events" >"$ka/idle" &
  c1=$!
  curl -sN --max-time 3.5 "$url/v1/streams/busy/events" >"$ka/busy" &
  c2=$!
  for _ in $(seq 14); do
    curl -s -o /dev/null -X POST --data '{"type":"delta","text":"x"}' "$url/v1/publish/busy"
    sleep 0.25
  done
  wait $c1 $c2 || true
  kill -TERM $ka_pid
  ka_rc=0; wait $ka_pid || ka_rc=$?
  idle=$(grep -c '^: keepalive$' "$ka/idle" || true)
  busy=$(grep -c '^: keepalive$' "$ka/busy" || true)
  msgs=$(grep -c '^data: ' "$ka/busy" || true)
  rm -rf "$ka"
  if (( idle < 3 || busy != 0 || msgs < 10 || ka_rc != 0 )); then
    echo "FAIL: SSE keepalive: idle stream $idle comments (want >= 3), busy stream $busy (want 0)" \
      "with $msgs messages, bridge exit $ka_rc"
    exit 1
  fi
  echo "ok - SSE keepalive: $idle comments on an idle stream in 3.5 s, none on a busy one"
fi
rc=0
node "$src/tests/bridge/bridge.test.mjs" "$bin" "$mods" || rc=1
# limits (clients, per address, idle, inbound size, a slow client) and the
# framing of batched writes
node "$src/tests/bridge/limits.test.mjs" "$bin" "$mods" || rc=1
# HTTP edge cases (HEAD, 405 + Allow, resume ids), hostile input (deep JSON,
# empty messages, channel-table filling) and history replay on join
node "$src/tests/bridge/http.test.mjs" "$bin" "$mods" || rc=1
# TLS (--cert/--key) with a self-signed certificate for 127.0.0.1, which the
# Node clients are told to trust (so they verify it)
if ! command -v openssl >/dev/null; then
  echo "FAIL: openssl missing (demos/deps.sh test installs it)"; exit 1
fi
tls=$(mktemp -d)
trap 'rm -rf "$tls"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
NODE_EXTRA_CA_CERTS=$tls/cert.pem node "$src/tests/bridge/tls.test.mjs" "$bin" "$mods" "$tls" || rc=1
exit $rc
