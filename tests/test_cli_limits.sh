#!/usr/bin/env bash
# The parsing limits of `ssekit stream` / `ssekit complete` (--max-line,
# --max-event, --max-envelope, --max-depth, --max-bytes) against
# `ssekit replay` run as a background process: a limit the stream exceeds
# ends it with an error line of category parse naming the limit's status,
# after the events before it; a generous limit changes nothing; a bad value
# is a usage error.
set -euo pipefail
build=$1
exe=$(cd "$build" && pwd)/ssekit
source "$(dirname "$0")/lib.sh"
need python3
schema=$src/demos/transcripts/review.schema.json
make_work
start_replay
check "replay is listening" '[[ $url =~ ^http://127\.0\.0\.1:[0-9]+$ ]]'
unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL

# raw_deploy's events: find the largest data, then cut just below it
"$exe" stream --url "$url/v1/raw/raw_deploy" >"$work/r0"
check "raw: all events by default" 'py "$work/r0" "kinds.count(\"sse\") == 15 and kinds[-1] == \"done\""'
big=$(python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if "\"sse\"" in l]
sizes = [len(e["data"].encode()) + (len(e["event"].encode()) if e.get("event") not in (None, "message") else 0) for e in ev]
m = max(sizes); print(m, sizes.index(m))' "$work/r0")
size=${big% *}; index=${big#* }
"$exe" stream --url "$url/v1/raw/raw_deploy" --max-event $((size - 1)) >"$work/r1" || true
check "raw --max-event below the largest event: parse error" \
  'py "$work/r1" "lines[-1][\"kind\"] == \"error\" and lines[-1][\"category\"] == \"parse\" and lines[-1][\"status\"] == \"SSEKIT_E_EVENT_TOO_LARGE\""'
check "raw --max-event: the events before it are intact" \
  "py \"\$work/r1\" \"0 < len([l for l in lines if l['kind'] == 'sse']) <= $index and [l for l in lines if l['kind'] == 'sse'] == [json.loads(l) for l in open('\$work/r0') if json.loads(l)['kind'] == 'sse'][:len([l for l in lines if l['kind'] == 'sse'])]\""
"$exe" stream --url "$url/v1/raw/raw_deploy" --max-event $((size + 16)) >"$work/r2"
check "raw --max-event above it: the whole stream" 'py "$work/r2" "kinds.count(\"sse\") == 15 and kinds[-1] == \"done\""'
"$exe" stream --url "$url/v1/raw/raw_deploy" --max-line 8 >"$work/r3" || true
check "raw --max-line 8: SSEKIT_E_LINE_TOO_LONG" \
  'py "$work/r3" "lines[-1][\"status\"] == \"SSEKIT_E_LINE_TOO_LONG\" and \"limit 8\" in lines[-1][\"message\"]"'

# a provider stream: the structured answer is nested more than one level
"$exe" stream --base-url "$url/v1" --prompt hi --schema "$schema" --max-depth 1 >"$work/p1" || true
check "--max-depth 1: SSEKIT_E_TOO_DEEP, category parse" \
  'py "$work/p1" "lines[-1][\"kind\"] == \"error\" and lines[-1][\"category\"] == \"parse\" and lines[-1][\"status\"] == \"SSEKIT_E_TOO_DEEP\""'
"$exe" stream --base-url "$url/v1" --prompt hi --schema "$schema" --max-depth 64 \
  --max-bytes 1000000 --max-envelope 100000 >"$work/p2"
check "generous limits: done" 'py "$work/p2" "kinds[-1] == \"done\""'
"$exe" stream --base-url "$url/v1" --prompt hi --max-envelope 100 >"$work/p3" || true
check "--max-envelope 100: SSEKIT_E_TOO_LARGE" \
  'py "$work/p3" "lines[-1][\"status\"] == \"SSEKIT_E_TOO_LARGE\" and \"envelope\" in lines[-1][\"message\"]"'
"$exe" stream --base-url "$url/v1" --prompt hi --max-bytes 10 >"$work/p4" || true
check "--max-bytes 10: SSEKIT_E_TOO_LARGE" 'py "$work/p4" "lines[-1][\"status\"] == \"SSEKIT_E_TOO_LARGE\""'

# complete: the error and a non-zero exit
set +e
"$exe" complete --base-url "$url/v1" --prompt hi --schema "$schema" --max-depth 1 >"$work/c1" 2>"$work/c1.err"
rc=$?
"$exe" stream --url "$url/v1/raw/raw_deploy" --max-event 0 >"$work/b1" 2>"$work/b1.err"
rc2=$?
set -e
check "complete --max-depth 1 fails" '[[ $rc -ne 0 ]] && grep -q TOO_DEEP "$work/c1" "$work/c1.err"'
check "--max-event 0 is a usage error" '[[ $rc2 -eq 2 ]] && grep -q "bad --max-event" "$work/b1.err"'
"$exe" stream --help >"$work/help" 2>&1 || true
check "--help lists the limits" 'grep -q -- "--max-event" "$work/help" && grep -q -- "--max-depth" "$work/help"'
exit $fail
