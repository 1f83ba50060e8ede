#!/usr/bin/env bash
# `ssekit watch` under tmux: a detached tmux server on its own socket runs the
# command on the bundled structured transcript (paced with --delay-ms) while
# `capture-pane` reads the screen. Checked: mid-stream, the text and a partly
# filled tree with streaming and pending fields; at the end, every field done,
# the summary with the transcript's usage, the terminal back on the normal
# screen with the cursor shown; after a resize, a layout that fills exactly the
# new width and height; Ctrl-C mid-stream gives exit code 130 and restores the
# terminal (screen, cursor and tty modes). Without a terminal: plain lines
# without a single escape byte, and the right final JSON. A live stream from
# the replay server through the client, with a 503 first: the retry shows in
# the status line while waiting, while streaming and at the end. Expected
# values come from parsing the transcript here, independently of ssekit.
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
exe=$build/ssekit
sse=$src/demos/transcripts/openai_chat_structured.sse
schema=$src/demos/transcripts/review.schema.json

if ! command -v tmux >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]] || sudo -n true 2>/dev/null; then
    s=(); [[ $(id -u) -ne 0 ]] && s=(sudo -n)
    DEBIAN_FRONTEND=noninteractive "${s[@]}" apt-get install -y -qq --no-install-recommends tmux >/dev/null 2>&1 || true
  fi
  command -v tmux >/dev/null 2>&1 || { echo "SKIP: tmux is not installed and cannot be"; exit 77; }
fi

tmp=$(mktemp -d)
export TMUX_TMPDIR=$tmp
unset TMUX
export LANG=C.UTF-8 LC_ALL=C.UTF-8
T=(tmux -u -L ssekit-watch -f /dev/null)
cleanup() { "${T[@]}" kill-server >/dev/null 2>&1 || true; rm -rf "$tmp"; }
trap cleanup EXIT

fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# The wrapper records the tty modes before and after, and the exit code; then
# it keeps the pane open so the final screen can be read.
cat >"$tmp/run.sh" <<'SH'
#!/usr/bin/env bash
out=$1; shift
trap : INT
stty -a >"$out.stty-before" 2>&1
"$@"
rc=$?
stty -a >"$out.stty-after" 2>&1
echo $rc >"$out.rc"
exec sleep 600
SH
chmod +x "$tmp/run.sh"

# Expected figures straight from the transcript.
python3 - "$sse" >"$tmp/expect.json" <<'PY'
import json, sys
text, usage, finish = "", None, None
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.startswith("data: ") or line.strip() == "data: [DONE]":
        continue
    ev = json.loads(line[6:])
    for c in ev.get("choices") or []:
        text += c.get("delta", {}).get("content") or ""
        finish = c.get("finish_reason") or finish
    if ev.get("usage"):
        usage = ev["usage"]
json.dump({"text": text, "value": json.loads(text), "finish": finish,
           "usage": [usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]]},
          sys.stdout)
PY

start() { # NAME WIDTH HEIGHT ARGS...
  local name=$1 w=$2 h=$3
  shift 3
  "${T[@]}" new-session -d -s "$name" -x "$w" -y "$h" "$tmp/run.sh" "$tmp/$name" "$exe" watch "$@"
}
capture() { "${T[@]}" capture-pane -p -t "$1"; }
wait_rc() { # NAME: waits up to 30 s for the exit code file
  for _ in $(seq 300); do [[ -s $tmp/$1.rc ]] && return 0; sleep 0.1; done
  fail "$1: the command did not end"; return 1
}
# waits (up to 15 s) for a mid-stream screen: a streaming and a pending field
wait_midstream() {
  for _ in $(seq 150); do
    capture "$1" >"$tmp/$1.mid"
    if grep -Eq '^streaming +[a-z_]+: ' "$tmp/$1.mid" && grep -Eq '^pending +[a-z_]+$' "$tmp/$1.mid" &&
      grep -Eq '^done +[a-z_]+: ' "$tmp/$1.mid"; then return 0; fi
    [[ -s $tmp/$1.rc ]] && break
    sleep 0.1
  done
  fail "$1: no mid-stream screen with streaming and pending fields"; cat "$tmp/$1.mid" >&2; return 1
}
same_modes() { # NAME: stty -a before and after, the window size left out
  local strip='s/rows [0-9]*; columns [0-9]*;//'
  [[ $(sed "$strip" "$tmp/$1.stty-before") == "$(sed "$strip" "$tmp/$1.stty-after")" ]]
}
check() { # WHAT SCREEN-FILE PYTHON-CHECK: the check prints problems, one a line
  local what=$1 screen=$2 code=$3 out
  out=$(python3 -c "$code" "$screen" "$tmp/expect.json" 2>&1) || out="$out (python failed)"
  if [[ -n $out ]]; then fail "$what: $out"; cat "$screen" >&2; fi
}

# ---- 1. a whole run: mid-stream, then the end ----------------------------
start full 100 45 --delay-ms 20 --schema "$schema" "$sse"
wait_midstream full && check "mid-stream" "$tmp/full.mid" '
import json, re, sys
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")
exp = json.load(open(sys.argv[2]))
if not rows[0].startswith("ssekit watch"): print("no header on the first row")
prog = [r for r in rows if "tok/s" in r]
m = re.search(r"(\d+)%", prog[0]) if prog else None
if not m or not 0 < int(m.group(1)) < 100: print("no progress strictly between 0 and 100%:", prog)
if not any(r.startswith("streaming ") for r in rows[:4]): print("the status line does not say streaming")
ti = [i for i, r in enumerate(rows) if r.startswith("-- text ")]
ri = [i for i, r in enumerate(rows) if r.startswith("-- result ")]
if not ti or not ri: print("no text or result pane"); sys.exit()
# capture-pane drops the blanks that end a row, so compare without blanks
shown = re.sub(r"\s", "", "".join(rows[ti[0] + 1:ri[0]]))
if len(shown) < 10 or not re.sub(r"\s", "", exp["text"]).startswith(shown): print("text pane is not a prefix of the text:", shown[:80])
tree = [r for r in rows[ri[0] + 1:] if r.strip() and not r.startswith("summary")]
top = [r for r in tree if r[10:11] != " "]  # top-level fields: no indent after the mark
done = [r.split()[1].rstrip(":") for r in top if r.startswith("done ")]
if not done: print("no field done yet")
for key in done:
    if key not in exp["value"]: print("unknown done field", key)
pend = [r.split()[1] for r in top if r.startswith("pending ")]
if not set(pend) <= set(exp["value"]) - set(done): print("pending fields", pend, "are not the missing ones")
if not any(r.startswith("summary  first token") for r in rows): print("no summary line")
'
wait_rc full && {
  [[ $(cat "$tmp/full.rc") == 0 ]] || fail "full: exit code $(cat "$tmp/full.rc"), want 0"
  capture full >"$tmp/full.end"
  check "end of stream" "$tmp/full.end" '
import json, sys
rows = [r for r in open(sys.argv[1], encoding="utf-8").read().split("\n") if r.strip()]
exp = json.load(open(sys.argv[2]))
ri = [i for i, r in enumerate(rows) if r.startswith("-- result ")]
tree = [r for r in rows[ri[0] + 1:] if not r.startswith("summary ")] if ri else []
marks = [r.split()[0] for r in tree]
if not marks or set(marks) != {"done"}: print("not every field is done:", sorted(set(marks)))
def leaves(v):
    if isinstance(v, dict): return sum(1 + leaves(x) for x in v.values())
    if isinstance(v, list): return sum(1 + leaves(x) for x in v)
    return 0
if len(marks) != leaves(exp["value"]): print("tree has", len(marks), "lines, the value has", leaves(exp["value"]), "nodes")
for k, v in exp["value"].items():
    if not any(r.startswith("done      " + k + ": ") for r in rows): print("no top-level line for", k)
    if isinstance(v, (int, float)) and not isinstance(v, bool) and not any(r.startswith("done      %s: %s" % (k, v)) for r in rows): print("wrong value for", k)
s = [r for r in rows if r.startswith("summary ")]
u = "usage in %d out %d total %d" % tuple(exp["usage"])
if not s or u not in s[-1] or ("finish " + exp["finish"]) not in s[-1] or not s[-1].rstrip().endswith("valid"):
    print("summary wrong, want", u, "finish", exp["finish"], "valid:", s)
if not any("100%" in r for r in rows): print("progress is not 100%")
'
  [[ $("${T[@]}" display -p -t full '#{alternate_on} #{cursor_flag}') == "0 1" ]] ||
    fail "full: terminal not restored (alternate_on cursor_flag = $("${T[@]}" display -p -t full '#{alternate_on} #{cursor_flag}'))"
  same_modes full || fail "full: tty modes changed"
}

# ---- 2. resize mid-stream, then Ctrl-C -------------------------------------
start small 100 40 --delay-ms 40 --schema "$schema" "$sse"
if wait_midstream small; then
  "${T[@]}" resize-window -t small -x 60 -y 30
  sleep 0.5
  [[ $("${T[@]}" display -p -t small '#{alternate_on} #{pane_width}x#{pane_height}') == "1 60x30" ]] ||
    fail "resize: pane is $("${T[@]}" display -p -t small '#{alternate_on} #{pane_width}x#{pane_height}')"
  capture small >"$tmp/small.resized"
  check "after resize" "$tmp/small.resized" '
import sys
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")[:30]
prog = [r for r in rows if "tok/s" in r]
if len(prog) != 1 or len(prog[0]) != 60 or not prog[0].startswith("["): print("progress line does not fill the 60 columns:", prog)
rules = [r for r in rows if r.startswith("-- ")]
if [len(r) for r in rules] != [60, 60]: print("rules are not 60 wide:", [len(r) for r in rules])
if not rows[0].startswith("ssekit watch"): print("header not on the first row")
if not rows[29].startswith("summary"): print("summary not on the last of 30 rows:", rows[29])
if any(len(r) > 60 for r in rows): print("a row is wider than 60")
'
  "${T[@]}" send-keys -t small C-c
  if wait_rc small; then
    [[ $(cat "$tmp/small.rc") == 130 ]] || fail "Ctrl-C: exit code $(cat "$tmp/small.rc"), want 130"
    [[ $("${T[@]}" display -p -t small '#{alternate_on} #{cursor_flag}') == "0 1" ]] ||
      fail "Ctrl-C: terminal not restored"
    same_modes small || fail "Ctrl-C: tty modes changed"
    capture small | grep -q '^interrupted ' || fail "Ctrl-C: the last screen does not say interrupted"
  fi
fi

# ---- 3. no terminal: plain lines ---------------------------------------------
plain_check() { # WHAT FILE
  check "$1" "$2" '
import json, sys
raw = open(sys.argv[1], "rb").read()
exp = json.load(open(sys.argv[2]))
if b"\x1b" in raw: print("escape bytes in plain output")
text = raw.decode("utf-8")
lines = text.split("\n")
summary, value = json.loads(lines[-3]), json.loads(lines[-2])
if "\n".join(lines[:-3]) != exp["text"]: print("the text lines are not the text")
if value != {"value": exp["value"]}: print("final value differs")
s = summary["summary"]
u = s["usage"]
if [u["input_tokens"], u["output_tokens"], u["total_tokens"]] != exp["usage"]: print("usage", u)
if s["valid"] is not True or s["finish_reason"] != exp["finish"] or s["state"] != "done": print("summary", s)
if s.get("progress") != 1.0: print("progress", s.get("progress"))
'
}
rc=0
"$exe" watch --delay-ms 1 --schema "$schema" "$sse" >"$tmp/plain.out" 2>"$tmp/plain.err" || rc=$?
[[ $rc == 0 ]] || fail "plain: exit code $rc"
plain_check "plain file" "$tmp/plain.out"
rc=0
"$exe" watch --schema "$schema" - <"$sse" | cat >"$tmp/plain2.out" || rc=$?
[[ $rc == 0 ]] || fail "plain stdin: exit code $rc"
plain_check "plain stdin" "$tmp/plain2.out"

# a provider error: exit 1, not valid, the provider's message in the summary
rc=0
"$exe" watch "$src/demos/transcripts/openai_chat_error.sse" >"$tmp/err.out" 2>&1 || rc=$?
[[ $rc == 1 ]] || fail "error transcript: exit code $rc, want 1"
python3 - "$tmp/err.out" <<'PY' || fail "error transcript: summary"
import json, sys
s = json.loads(open(sys.argv[1]).read().split("\n")[-3])["summary"]
assert s["valid"] is False and s["status"] == "SSEKIT_E_PROVIDER" and s["error"], s
PY

# usage errors
rc=0; "$exe" watch --provider nope "$sse" >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "unknown provider: exit code $rc, want 2"
rc=0; "$exe" watch --delay-ms x "$sse" >/dev/null 2>&1 || rc=$?
[[ $rc == 2 ]] || fail "bad --delay-ms: exit code $rc, want 2"

# ---- 4. a live stream through the client, against the replay server ------------
# The first request gets a 503 (Retry-After: 1), the retry the stream (paced
# by the server, 15 ms an event):
# the status line shows the retry while it streams and at the end.
"$exe" replay --listen 127.0.0.1:0 --delay-ms 15 >"$tmp/replay.log" 2>&1 &
replay_pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/replay.log" && break; sleep 0.05; done
base=$(sed -n 's/.*"listening": "\([^"]*\)".*/\1/p' "$tmp/replay.log")
if [[ -z $base ]]; then
  fail "live: the replay server did not start"
else
  start live 110 45 --base-url "$base/v1" --prompt "Triage this review" --schema "$schema" \
    --header "X-Replay-Key: watch-live" --header "X-Replay-Fault: status=503;retry-after=1;times=1"
  # while the retry waits (1 s), then while it streams
  seen_wait=0
  for _ in $(seq 100); do
    capture live >"$tmp/live.wait"
    grep -Eq '^waiting .*retries 1 +\(retry 1 in [0-9]+ ms: HTTP 503\)' "$tmp/live.wait" && { seen_wait=1; break; }
    sleep 0.05
  done
  ((seen_wait)) || { fail "live: no status line 'waiting ... retries 1 (retry 1 in N ms: HTTP 503)'"; cat "$tmp/live.wait" >&2; }
  wait_midstream live && {
    grep -Eq '^streaming .*retries 1 ' "$tmp/live.mid" || fail "live: the retry is not in the status line mid-stream"
    head -1 "$tmp/live.mid" | grep -q "$base/v1/chat/completions" || fail "live: the header does not show the URL"
  }
  wait_rc live && {
    [[ $(cat "$tmp/live.rc") == 0 ]] || fail "live: exit code $(cat "$tmp/live.rc"), want 0"
    capture live >"$tmp/live.end"
    check "live end" "$tmp/live.end" '
import json, sys
rows = [r for r in open(sys.argv[1], encoding="utf-8").read().split("\n") if r.strip()]
exp = json.load(open(sys.argv[2]))
st = [r for r in rows if r.startswith("done ") and " events " in r]
if not st or "retries 1" not in st[-1] or "HTTP 503" not in st[-1]: print("final status line:", st)
s = [r for r in rows if r.startswith("summary ")]
u = "usage in %d out %d total %d" % tuple(exp["usage"])
if not s or u not in s[-1] or not s[-1].rstrip().endswith("valid"): print("summary", s)
ri = [i for i, r in enumerate(rows) if r.startswith("-- result ")]
tree = [r for r in rows[ri[0] + 1:] if not r.startswith("summary ")] if ri else []
if not tree or {r.split()[0] for r in tree} != {"done"}: print("not every field is done")
'
  }
  # The log: two requests with the key, the first answered 503, the second
  # at least the Retry-After second later.
  curl -s "$base/v1/replay/requests?key=watch-live" >"$tmp/live.log" || true
  python3 - "$tmp/live.log" <<'PY' || fail "live: replay log"
import json, sys
log = json.load(open(sys.argv[1]))
log = log.get("requests", log) if isinstance(log, dict) else log
st = [e["status"] for e in log]
assert st == [503, 200], st
assert log[1]["t_ms"] - log[0]["t_ms"] >= 1000, [e["t_ms"] for e in log]
PY

  # plain: the retry on stderr, the summary counts it, the value is right
  rc=0
  "$exe" watch --base-url "$base/v1" --prompt "Triage" --schema "$schema" \
    --header "X-Replay-Fault: status=503;times=1;x-plain" >"$tmp/liveplain.out" 2>"$tmp/liveplain.err" || rc=$?
  # (an unknown fault item is a 400, not retried: exit 1, the error in the summary)
  [[ $rc == 1 ]] || fail "live plain, bad fault: exit code $rc, want 1"
  grep -q '"status": "SSEKIT_E_IO"' "$tmp/liveplain.out" && grep -q '"error": "http: ' "$tmp/liveplain.out" ||
    fail "live plain, bad fault: summary $(tail -2 "$tmp/liveplain.out")"
  rc=0
  "$exe" watch --base-url "$base/v1" --prompt "Triage" --schema "$schema" \
    --header "X-Replay-Key: watch-plain" --header "X-Replay-Fault: status=503;times=1" \
    >"$tmp/liveplain.out" 2>"$tmp/liveplain.err" || rc=$?
  [[ $rc == 0 ]] || fail "live plain: exit code $rc"
  grep -Eq '^ssekit watch: retry 1 in [0-9]+ ms: HTTP 503$' "$tmp/liveplain.err" || fail "live plain: no retry line on stderr"
  plain_check "live plain" "$tmp/liveplain.out"
  grep -q '"retries": 1, "reconnects": 0' "$tmp/liveplain.out" || fail "live plain: the summary does not count the retry"
  rc=0; "$exe" watch --base-url "$base/v1" --prompt x "$sse" >/dev/null 2>&1 || rc=$?
  [[ $rc == 2 ]] || fail "FILE and a live request: exit code $rc, want 2"
fi
kill "$replay_pid" 2>/dev/null || true

if [[ $fails -ne 0 ]]; then
  echo "test_cli_watch: $fails failure(s)"
  exit 1
fi
echo "test_cli_watch: all checks passed"
