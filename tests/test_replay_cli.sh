#!/usr/bin/env bash
# `ssekit replay`, the command: prints {"listening": URL} once ready, serves
# the bundled transcripts from any directory (they are compiled in), takes
# faults from the query as a browser would send them, exits 0 on SIGTERM and
# SIGINT, 2 on usage errors or an address in use. Talks to it with curl.
set -euo pipefail
build=$1
exe=$(cd "$build" && pwd)/ssekit
source "$(dirname "$0")/lib.sh"
need curl
make_work

start_replay --listen 127.0.0.1:0 --delay-ms 1
check "listening line" '[[ $url =~ ^http://127\.0\.0\.1:[0-9]+$ ]]'
check "healthz" '[[ $(curl -s "$url/healthz") == "{\"status\": \"ok\"}" ]]'
curl -s -N "$url/v1/chat/completions" -H 'Authorization: Bearer sk-cli-secret' \
  -d '{"stream": true, "response_format": {"type": "json_schema"}}' >"$work/chat"
check "chat stream is the bundled transcript" \
  'cmp -s "$work/chat" "$(dirname "$0")/../demos/transcripts/openai_chat_structured.sse"'
# curl exits 18 (transfer closed with outstanding data): that is the fault
n=$( (curl -s -N "$url/v1/raw/raw_deploy?fault=drop-after=4" || true) | "$exe" events --count)
check "query fault drop-after=4 (and ssekit events reads it)" '[[ $n == *"\"events\": 4"* ]]'
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/messages?fault=status=429;retry-after=1" -d '{"stream": true}')
check "query fault status=429" '[[ $code == 429 ]]'
log=$(curl -s "$url/v1/replay/requests")
check "log: requests recorded, key redacted" \
  '[[ $log == *"[redacted]"* && $log != *"sk-cli-secret"* && $log == *"\"status\": 429"* ]]'
stop_replay TERM
check "SIGTERM: exit 0" '[[ $rc == 0 ]]'

start_replay --listen :0 --require-key k1
check "--listen :0 means loopback" '[[ $url =~ ^http://127\.0\.0\.1:[0-9]+$ ]]'
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/messages" -d '{"stream": true}')
code2=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/messages" -H 'x-api-key: k1' -d '{"stream": true}')
check "--require-key: 401 without, 200 with" '[[ $code == 401 && $code2 == 200 ]]'
port=${url##*:}
set +e
"$exe" replay --listen "127.0.0.1:$port" >/dev/null 2>"$work/err2"
rc2=$?
set -e
check "address in use: exit 2 and a message" '[[ $rc2 == 2 ]] && grep -q "cannot listen" "$work/err2"'
stop_replay INT
check "SIGINT: exit 0" '[[ $rc == 0 ]]'

mkdir "$work/t"
printf 'id: x1\ndata: hello\n\nid: x2\ndata: world\n\n' >"$work/t/mine.sse"
start_replay --dir "$work/t"
out=$(curl -s -N "$url/v1/raw/mine" -H 'Last-Event-ID: x1')
check "--dir serves its transcripts, resume by string ID" '[[ $out == $'"'"'id: x2\ndata: world'"'"' ]]'
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/raw/raw_deploy")
check "--dir replaces the bundled set" '[[ $code == 404 ]]'
stop_replay TERM

set +e
"$exe" replay --delay-ms x 2>/dev/null; r1=$?
"$exe" replay --listen nope 2>/dev/null; r2=$?
"$exe" replay --dir /nonexistent 2>/dev/null; r3=$?
"$exe" replay --help >/dev/null; r4=$?
set -e
check "usage errors: exit 2; --help: 0" '[[ $r1 == 2 && $r2 == 2 && $r3 == 2 && $r4 == 0 ]]'
exit $fail
