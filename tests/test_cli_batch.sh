#!/usr/bin/env bash
# `ssekit batch` against `ssekit replay` on an ephemeral port: prompts for
# each provider, a raw SSE URL, faults (503 with times=2 retried, 400 and a
# dropped stream failing alone); one result line per input line in input
# order, a summary that adds up, the exit status, the audit trail without
# the key and the Prometheus metrics file.
set -euo pipefail
build=$1
exe=$(cd "$build" && pwd)/ssekit
source "$(dirname "$0")/lib.sh"
make_work
start_replay

cat >"$work/in.jsonl" <<JSONL
{"id": "a", "prompt": "review this"}
{"id": 2, "prompt": "again", "headers": ["X-Replay-Key: cli-503", "X-Replay-Fault: status=503;times=2"]}
{"prompt": "bad", "headers": ["X-Replay-Fault: status=400"]}

{"url": "$url/v1/raw/raw_deploy"}
{"url": "$url/v1/raw/raw_deploy", "headers": ["X-Replay-Fault: drop-after=2"]}
{"prompt": "last", "model": "other-model"}
JSONL

set +e
OPENAI_API_KEY=sk-cli-SECRET-777 "$exe" batch --concurrency 2 --base-url "$url/v1" \
  --max-retries 3 --audit "$work/audit" --metrics "$work/metrics" "$work/in.jsonl" \
  >"$work/out" 2>"$work/err"
rc=$?
set -e

python3 - "$work" "$rc" <<'PY'
import json, re, sys
work, rc = sys.argv[1], int(sys.argv[2])
bad = 0
def check(cond, what):
    global bad
    print(("ok - " if cond else "FAIL - ") + what)
    bad += not cond
lines = [json.loads(l) for l in open(work + "/out")]
check(len(lines) == 7, "6 result lines and a summary")
res, summ = lines[:6], lines[6].get("summary")
check([r["index"] for r in res] == list(range(6)), "input order")
check(res[0]["ok"] and isinstance(res[0]["value"], dict) and res[0]["id"] == "a", "structured value")
check(res[1]["ok"] and res[1]["retries"] == 2 and res[1]["requests"] == 3 and res[1]["id"] == 2,
      "503 twice, then the stream")
check(res[1]["value"] == res[0]["value"] == res[5]["value"], "same answer")
check(not res[2]["ok"] and res[2]["error"]["category"] == "http"
      and res[2]["error"]["http_status"] == 400 and res[2]["retries"] == 0, "400 not retried")
check(res[3]["ok"] and res[3]["events"] == 15, "raw SSE: 15 events")
check(not res[4]["ok"] and res[4]["error"]["category"] == "transport", "dropped stream fails alone")
check(res[0]["usage"]["total_tokens"] > 0, "usage")
check(summ and summ["items"] == 6 and summ["ok"] == 4 and summ["failed"] == 2, "summary counts")
check(summ["retries"] == 2 and summ["requests"] == 8, "summary requests and retries")
check(abs(summ["error_rate"] - 2 / 6) < 1e-3 and abs(summ["retry_rate"] - 0.25) < 1e-3, "rates")
l = summ["latency_ms"]
check(l["p50"] <= l["p95"] <= l["p99"] <= l["max"], "latency quantiles ordered")
check(summ["tokens"]["total"] == 3 * res[0]["usage"]["total_tokens"], "tokens add up")
check(rc == 1, "exit 1 when an item failed")
audit = open(work + "/audit").read()
check("SECRET" not in audit and "Bearer [redacted]" not in audit and "[redacted]" in audit,
      "audit without the key")
recs = [json.loads(x) for x in audit.splitlines()]
check(sum(r["type"] == "request" for r in recs) == 8, "audit: one record per request")
check(sum(r["type"] == "result" for r in recs) == 6, "audit: one result per item")
metrics = open(work + "/metrics").read()
check(re.search(r"^ssekit_requests_total 8$", metrics, re.M) is not None, "metrics: requests")
check(re.search(r'^ssekit_errors_total\{category="http"\} 1$', metrics, re.M) is not None,
      "metrics: errors by category")
sys.exit(1 if bad else 0)
PY

# Usage errors and bad input exit 2.
set +e
"$exe" batch >/dev/null 2>&1; u1=$?
echo 'not json' | "$exe" batch - >/dev/null 2>&1; u2=$?
echo '{"nothing": 1}' | "$exe" batch - >/dev/null 2>&1; u3=$?
set -e
[[ $u1 == 2 && $u2 == 2 && $u3 == 2 ]] || { echo "FAIL - usage errors: $u1 $u2 $u3"; exit 1; }
echo "ok - usage errors exit 2"
