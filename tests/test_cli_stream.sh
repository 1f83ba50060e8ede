#!/usr/bin/env bash
# `ssekit stream` and `ssekit complete` end to end: `ssekit replay` runs as
# a background process on an ephemeral port (its {"listening": URL} line is
# parsed), the commands talk to it, their JSON lines are checked with
# python3, and the server's request log (GET /v1/replay/requests) shows what
# was sent. The server is killed at the end.
set -euo pipefail
build=$1
exe=$(cd "$build" && pwd)/ssekit
source "$(dirname "$0")/lib.sh"
need python3
schema=$src/demos/transcripts/review.schema.json
make_work
log() { python3 -c 'import json,sys,urllib.request; print(json.dumps(json.load(urllib.request.urlopen(sys.argv[1]+"/v1/replay/requests"))))' "$url"; }
clear_log() { python3 -c 'import sys,urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1]+"/v1/replay/requests", method="DELETE"))' "$url"; }

start_replay
check "replay is listening" '[[ $url =~ ^http://127\.0\.0\.1:[0-9]+$ ]]'
unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL

# --- ssekit stream ---------------------------------------------------------------
set +e
"$exe" stream --base-url "$url/v1" --model m1 --prompt "Triage." --schema "$schema" \
  --max-tokens 500 >"$work/s1" 2>"$work/s1.err"
rc=$?
set -e
check "stream openai: exit 0" '[[ $rc == 0 ]]'
check "stream openai: start, open first; progress 100 then done last" \
  'py "$work/s1" "kinds[:2] == [\"start\", \"open\"] and kinds[-2:] == [\"progress\", \"done\"] and lines[-2][\"percent\"] == 100"'
check "stream openai: sse, delta, complete, usage events with their fields" \
  'py "$work/s1" "all(k in kinds for k in (\"sse\",\"delta\",\"complete\",\"usage\")) and all(set(l) >= {\"event\",\"data\",\"id\"} for l in lines if l[\"kind\"]==\"sse\") and any(l.get(\"delta\")==\"text\" and \"text\" in l for l in lines)"'
check "stream openai: progress monotonic 0..100" \
  'py "$work/s1" "(lambda p: p == sorted(set(p)) and p[-1] == 100 and len(p) > 3)([l[\"percent\"] for l in lines if l[\"kind\"]==\"progress\"])"'
check "stream openai: done value equals the concatenated text deltas" \
  'py "$work/s1" "json.loads(\"\".join(l[\"text\"] for l in lines if l.get(\"delta\")==\"text\")) == lines[-1][\"value\"] and lines[-1][\"finish_reason\"] == \"stop\""'
check "stream openai: the request body asked for the schema and usage" \
  'python3 -c "
import json,sys
b=json.loads(json.loads(sys.stdin.read())[-1][\"body\"])
ok=b[\"model\"]==\"m1\" and b[\"stream\"] is True and b[\"stream_options\"]=={\"include_usage\": True}
ok=ok and b[\"max_tokens\"]==500 and b[\"response_format\"][\"json_schema\"][\"schema\"]==json.load(open(sys.argv[1]))
sys.exit(0 if ok else 1)" "$schema" <<<"$(log)"'

"$exe" stream --provider anthropic --base-url "$url" --prompt "Triage." --schema "$schema" \
  --only start,done >"$work/s2"
check "stream anthropic: --only keeps the listed kinds" \
  'py "$work/s2" "kinds == [\"start\", \"done\"] and lines[1][\"finish_reason\"] == \"tool_use\" and lines[1][\"value\"][\"sentiment\"] == \"mixed\""'

# sse-retry: the server's `retry` time, so that the reconnects are quick
"$exe" stream --url "$url/v1/raw/raw_deploy" --header "X-Replay-Fault: sse-retry=50" >"$work/s3"
check "stream raw: sse events with ids 1..15, then done" \
  'py "$work/s3" "[l[\"id\"] for l in lines if l[\"kind\"]==\"sse\"] == [str(i) for i in range(1,16)] and kinds[-1] == \"done\""'

clear_log
"$exe" stream --url "$url/v1/raw/raw_deploy" --header "X-Replay-Fault: drop-after=4;sse-retry=50;times=1" \
  --header "X-Replay-Key: cli-raw" >"$work/s4"
check "stream raw: a cut, a reconnect with Last-Event-ID 4, no event lost or repeated" \
  'py "$work/s4" "[l[\"id\"] for l in lines if l[\"kind\"]==\"sse\"] == [str(i) for i in range(1,16)] and any(l[\"kind\"]==\"reconnect\" and l[\"last_event_id\"]==\"4\" and l[\"delay_ms\"] > 0 for l in lines) and kinds[-1] == \"done\""'

"$exe" stream --base-url "$url/v1" --prompt x --max-retries 2 --retry-delay-ms 20 \
  --header "X-Replay-Fault: status=503;times=2" --header "X-Replay-Key: cli-503" \
  --only retry,done,error >"$work/s5"
check "stream: two retries after 503, then done" \
  'py "$work/s5" "kinds == [\"retry\", \"retry\", \"done\"] and [l[\"attempt\"] for l in lines[:2]] == [1, 2] and lines[0][\"reason\"] == \"HTTP 503\" and lines[0][\"http_status\"] == 503 and \"delay_ms\" in lines[0]"'

set +e
"$exe" stream --base-url "$url/v1" --prompt x --header "X-Replay-Fault: status=401" >"$work/s6"
rc=$?
set -e
check "stream: 401 ends with an error line and exit 1" \
  'py "$work/s6" "lines[-1][\"kind\"] == \"error\" and lines[-1][\"category\"] == \"http\" and lines[-1][\"http_status\"] == 401 and lines[-1][\"raw\"]" && [[ $rc == 1 ]]'

# no key and no URL: a clear error, nothing sent
set +e
"$exe" stream --prompt x >"$work/s7" 2>"$work/s7.err"
rc=$?
set -e
check "stream without key or URL: exit 2, names OPENAI_API_KEY" \
  '[[ $rc == 2 && ! -s $work/s7 ]] && grep -q OPENAI_API_KEY "$work/s7.err"'
set +e
"$exe" stream --provider anthropic --prompt x 2>"$work/s8.err"
rc=$?
set -e
check "stream anthropic without key: names ANTHROPIC_API_KEY" \
  '[[ $rc == 2 ]] && grep -q ANTHROPIC_API_KEY "$work/s8.err"'
set +e
"$exe" stream --bogus >/dev/null 2>&1
rc=$?
set -e
check "stream: unknown option is exit 2" '[[ $rc == 2 ]]'

# a key given through the environment never shows in output or log
clear_log
OPENAI_API_KEY=sk-cli-VERY-SECRET "$exe" stream --base-url "$url/v1" --prompt x \
  --header "X-Replay-Fault: status=500" --max-retries 0 >"$work/s9" 2>&1 || true
check "key: not in the output, redacted in the server's log" \
  '! grep -q VERY-SECRET "$work/s9" && [[ $(log) != *VERY-SECRET* && $(log) == *redacted* ]]'

# --- ssekit complete ----------------------------------------------------------------
"$exe" complete --provider responses --base-url "$url/v1" --prompt "Triage." --schema "$schema" \
  >"$work/c1"
check "complete: the validated value on stdout" \
  'python3 -c "import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if v[\"customer\"][\"tier\"]==\"gold\" else 1)" "$work/c1"'

python3 - "$schema" "$work/bad.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["properties"]["sentiment"]["enum"].remove("mixed")
json.dump(s, open(sys.argv[2], "w"))
PY
clear_log
set +e
"$exe" complete --base-url "$url/v1" --model m1 --prompt "Triage." --schema "$work/bad.json" \
  --repair --fallback-model m2 --retry-delay-ms 10 >"$work/c2" 2>"$work/c2.err"
rc=$?
set -e
check "complete: schema failure is exit 1, nothing on stdout" '[[ $rc == 1 && ! -s $work/c2 ]]'
check "complete: the error object keeps violations and raw output" \
  'python3 -c "
import json,sys
e=json.load(open(sys.argv[1]))[\"error\"]
ok = e[\"category\"]==\"schema\" and e[\"violations\"][0][\"path\"]==\"/sentiment\" and \"mixed\" in e[\"raw\"]
ok = ok and e[\"repaired\"] and e[\"fallback\"] and e[\"requests\"]==3 and e[\"model\"]==\"m2\"
sys.exit(0 if ok else 1)" "$work/c2.err"'
check "complete: logged models m1 (ask), m1 (repair, with the errors), m2 (fallback)" \
  'python3 -c "
import json,sys
log=json.loads(sys.stdin.read())
b=[json.loads(r[\"body\"]) for r in log]
ok=[x[\"model\"] for x in b]==[\"m1\",\"m1\",\"m2\"] and len(b[1][\"messages\"])==3
ok=ok and \"/sentiment\" in b[1][\"messages\"][2][\"content\"] and b[1][\"messages\"][1][\"role\"]==\"assistant\"
sys.exit(0 if ok else 1)" <<<"$(log)"'

set +e
"$exe" complete --base-url "$url/v1" --prompt x >/dev/null 2>"$work/c3.err"
rc=$?
set -e
check "complete without --schema: exit 2" '[[ $rc == 2 ]] && grep -q -- --schema "$work/c3.err"'
set +e
"$exe" complete --prompt x --schema "$schema" 2>"$work/c4.err"
rc=$?
set -e
check "complete without key or URL: exit 2, names OPENAI_API_KEY" \
  '[[ $rc == 2 ]] && grep -q OPENAI_API_KEY "$work/c4.err"'

"$exe" stream --help | grep -q -- "--base-url"
check "help texts" '"$exe" complete --help | grep -q -- --fallback-model'

# the man page documents every subcommand and every option of these two
man=$src/docs/ssekit.1
missing=
for c in $("$exe" help | awk '/^commands:/ {on=1; next} on && NF {print $1} on && !NF && seen {exit} NF {seen=1}'); do
  grep -q "^.SH \"ssekit $c\"" "$man" || missing+=" $c"
done
for o in $( ("$exe" stream --help; "$exe" complete --help) | grep -o -- '--[a-z-]*' | sort -u); do
  grep -q -- "${o//-/\\\\-}" "$man" || missing+=" $o"
done
check "man page: every subcommand and option documented${missing:+ (missing:$missing)}" '[[ -z $missing ]]'

kill "$pid"
wait "$pid" || true
pid=
exit $fail
