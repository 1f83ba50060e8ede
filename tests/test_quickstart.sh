#!/usr/bin/env bash
# demos/quickstart.sh (the README's first command) without a terminal, as CI
# runs it, on the binaries of BUILD_DIR (SSEKIT_QUICKSTART_NO_BUILD=1: the
# deps and build steps are the same commands as everywhere else). Checked:
# exit 0; the dashboard URL and the bridge job (done) printed; `ssekit watch`'s
# plain output is the transcript's answer; no server left running. Then the
# "real model" path: OPENAI_BASE_URL pointing at an OpenAI-compatible server
# (a replay server this test starts, standing in for llama.cpp or vLLM): both
# the terminal UI and the bridge job must stream from it (its request log), and
# the quickstart must not start a replay server of its own. Then an
# interrupted run (SIGINT mid-stream) exits 130 and also leaves no server.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
[[ -x $build/bridge/ssekit-bridge ]] || { echo "SKIP: the bridge is not built"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl missing (demos/deps.sh)"; exit 77; }
tmp=$(mktemp -d)
up=
trap 'if [[ -n $up ]]; then kill "$up" 2>/dev/null || true; fi; rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }
# The servers this test's quickstart runs start: they inherit a tag in their
# environment, so servers of other tests running in parallel (same binaries)
# are not taken for them.
export SSEKIT_QUICKSTART_TEST_TAG=$$-$RANDOM
servers() {
  local pid
  for pid in $(pgrep -f "^$build/(ssekit replay|bridge/ssekit-bridge)" || true); do
    tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "SSEKIT_QUICKSTART_TEST_TAG=$SSEKIT_QUICKSTART_TEST_TAG" &&
      echo "$pid"
  done
  return 0
}
export SSEKIT_BUILD_DIR=$build SSEKIT_QUICKSTART_NO_BUILD=1
unset OPENAI_API_KEY ANTHROPIC_API_KEY OPENAI_BASE_URL ANTHROPIC_BASE_URL

rc=0
timeout 120 "$src/demos/quickstart.sh" </dev/null >"$tmp/out" 2>"$tmp/err" || rc=$?
[[ $rc == 0 ]] || fail "exit code $rc: $(tail -5 "$tmp/err")"
grep -Eq '^# dashboard: http://127\.0\.0\.1:[0-9]+/\?stream=job-' "$tmp/err" || fail "no dashboard URL"
grep -Eq '^# bridge job job-[^ ]+: done ' "$tmp/err" || fail "the bridge job did not end done: $(grep 'bridge job' "$tmp/err")"
# answer_ok OUT: OUT (watch's plain output) is the bundled transcript's answer
answer_ok() {
  python3 - "$1" "$src/demos/transcripts/openai_chat_structured.sse" <<'PY'
import json, sys
text = ""
for line in open(sys.argv[2], encoding="utf-8"):
    if line.startswith("data: {"):
        for c in json.loads(line[6:]).get("choices") or []:
            text += c.get("delta", {}).get("content") or ""
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
assert "\n".join(lines[:-3]) == text, "the text lines"
s = json.loads(lines[-3])["summary"]
assert s["valid"] is True and s["state"] == "done", s
assert json.loads(lines[-2]) == {"value": json.loads(text)}, "value"
PY
}
answer_ok "$tmp/out" || fail "watch output"sleep 0.2
[[ -z $(servers) ]] || fail "servers left running: $(servers)"

# OPENAI_BASE_URL: an OpenAI-compatible server of our own (not tagged, so it
# is not one of the quickstart's servers).
env -u SSEKIT_QUICKSTART_TEST_TAG "$build/ssekit" replay --listen 127.0.0.1:0 --delay-ms 5 \
  >"$tmp/up.out" 2>/dev/null &
up=$!
for _ in $(seq 100); do [[ -s $tmp/up.out ]] && break; sleep 0.05; done
upurl=$(sed -n 's/.*"listening": "\([^"]*\)".*/\1/p' "$tmp/up.out")
rc=0
OPENAI_BASE_URL=$upurl/v1 timeout 120 "$src/demos/quickstart.sh" </dev/null >"$tmp/out3" 2>"$tmp/err3" || rc=$?
[[ $rc == 0 ]] || fail "OPENAI_BASE_URL: exit code $rc: $(tail -5 "$tmp/err3")"
grep -Fq "# streaming a real answer from $upurl/v1" "$tmp/err3" || fail "OPENAI_BASE_URL: not announced"
grep -q "no API key" "$tmp/err3" && fail "OPENAI_BASE_URL: the quickstart started its own replay server"
grep -Eq '^# bridge job job-[^ ]+: done ' "$tmp/err3" || fail "OPENAI_BASE_URL: the bridge job did not end done"
answer_ok "$tmp/out3" || fail "OPENAI_BASE_URL: watch output"
curl -sS --max-time 5 "$upurl/v1/replay/requests" >"$tmp/up.log" || fail "OPENAI_BASE_URL: no request log"
python3 - "$tmp/up.log" <<'PY' || fail "OPENAI_BASE_URL: the upstream's request log"
import json, sys
log = json.load(open(sys.argv[1]))
posts = [r for r in log if r["method"] == "POST" and r["path"] == "/v1/chat/completions"]
# one from ssekit watch, one from the bridge's job; both streamed to the end
assert len(posts) == 2 and len(log) == 2, [(r["method"], r["path"]) for r in log]
assert all(r["status"] == 200 and r["end"] == "complete" for r in posts), posts
assert all(json.loads(r["body"])["stream"] is True for r in posts)
PY
kill "$up" 2>/dev/null || true
wait "$up" 2>/dev/null || true
up=
sleep 0.2
[[ -z $(servers) ]] || fail "servers left running (OPENAI_BASE_URL): $(servers)"

# Ctrl-C mid-stream: SIGINT to the whole process group, as a terminal sends
# it (job control on, so the script is a group of its own and does not start
# with SIGINT ignored, as plain background jobs do)
set -m
"$src/demos/quickstart.sh" </dev/null >"$tmp/out2" 2>"$tmp/err2" &
qs=$!
set +m
for _ in $(seq 100); do grep -q '"summary"\|ü' "$tmp/out2" 2>/dev/null && break; sleep 0.05; done
kill -INT -- -$qs
rc=0
wait $qs || rc=$?
[[ $rc == 130 ]] || fail "after SIGINT: exit code $rc, want 130"
sleep 0.2
[[ -z $(servers) ]] || fail "servers left running after SIGINT: $(servers)"

[[ $fails == 0 ]] && echo "test_quickstart: all checks passed" || { echo "test_quickstart: $fails failure(s)"; exit 1; }
