#!/usr/bin/env bash
# The example programs (demos/callback.c, iterator.c, batch.c, fanout.c,
# dashboard.c) as a user builds them: ssekit is installed to a temporary
# prefix, each example is copied out of the tree and built twice — with
# `pkg-config --cflags --libs ssekit` (ssekit-bridge for dashboard.c) and
# with a CMakeLists.txt using find_package(ssekit) — and every binary runs
# against `ssekit replay` on an ephemeral port. The expected output is
# computed here from the transcripts (Python's json, not ssekit). The
# dashboard's channel is read by Python's http.client over SSE while the
# program serves it, then Ctrl-C (SIGINT) must end it cleanly.
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0
ok() { echo "ok - $*"; }
fail() { echo "FAIL - $*"; fails=$((fails + 1)); }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
bridge=0
[[ -f $tmp/prefix/include/ssekit/bridge.h ]] && bridge=1
examples=(callback iterator batch fanout)
((bridge)) && examples+=(dashboard)

# ---- the installed files ------------------------------------------------------
export PKG_CONFIG_PATH=$tmp/prefix/lib/pkgconfig:$tmp/prefix/lib/x86_64-linux-gnu/pkgconfig
libdir=$(pkg-config --variable=libdir ssekit)
if ((bridge)); then
  [[ -f $libdir/pkgconfig/ssekit-bridge.pc ]] && pkg-config --exists ssekit-bridge &&
    [[ -e $libdir/libssekit-bridge.so ]] && ok "ssekit-bridge.pc, libssekit-bridge.so and bridge.h installed" ||
    fail "the bridge library is not installed with its .pc"
  # only the bridge's API leaves libssekit-bridge.so: its private copy of
  # libssekit's helpers must not meet the application's libssekit.so
  other=$(nm -D --defined-only "$libdir/libssekit-bridge.so" | awk '$2 ~ /^[TDBR]$/ {print $3}' |
    sed 's/@.*//' | grep -v '^ssekit_bridge_' || true)
  [[ -z $other ]] && ok "libssekit-bridge.so exports ssekit_bridge_* only" ||
    fail "libssekit-bridge.so also exports: $(echo $other | head -c 300)"
fi

# ---- out-of-tree builds -----------------------------------------------------------
mkdir -p "$tmp/app"
for e in "${examples[@]}"; do cp "$src/demos/$e.c" "$tmp/app/"; done
cp "$src/demos/example_request.h" "$tmp/app/"
cc=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
san=()
grep -q '^SSEKIT_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" && san=(-fsanitize=address,undefined)
flags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -D_POSIX_C_SOURCE=200809L)

mkdir -p "$tmp/pc"
for e in "${examples[@]}"; do
  pcs=ssekit
  [[ $e == dashboard ]] && pcs="ssekit-bridge ssekit"
  # shellcheck disable=SC2046
  if "$cc" "${san[@]}" "${flags[@]}" "$tmp/app/$e.c" -o "$tmp/pc/$e" $(pkg-config --cflags --libs $pcs) \
    -pthread -Wl,-rpath,"$libdir" 2>"$tmp/pc/$e.err"; then
    ok "pkg-config build of $e.c"
  else
    fail "pkg-config build of $e.c: $(head -c 600 "$tmp/pc/$e.err")"
  fi
done

{
  echo 'cmake_minimum_required(VERSION 3.16)'
  echo 'project(examples C)'
  echo 'set(CMAKE_C_STANDARD 11)'
  if ((bridge)); then echo 'find_package(ssekit REQUIRED COMPONENTS bridge)'; else echo 'find_package(ssekit REQUIRED)'; fi
  echo 'find_package(Threads REQUIRED)'
  echo 'add_compile_options(-Wall -Wextra -Wpedantic -Werror)'
  echo 'add_compile_definitions(_POSIX_C_SOURCE=200809L)'
  for e in callback iterator batch fanout; do
    echo "add_executable($e $e.c)"
    echo "target_link_libraries($e PRIVATE ssekit::ssekit)"
  done
  if ((bridge)); then
    echo 'add_executable(dashboard dashboard.c)'
    echo 'target_link_libraries(dashboard PRIVATE ssekit::bridge ssekit::ssekit Threads::Threads)'
  fi
} >"$tmp/app/CMakeLists.txt"
if cmake -S "$tmp/app" -B "$tmp/cm" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_C_FLAGS="${san[*]}" >"$tmp/cm.log" 2>&1 && cmake --build "$tmp/cm" >>"$tmp/cm.log" 2>&1; then
  ok "find_package(ssekit) build of ${examples[*]}"
else
  fail "find_package(ssekit) build: $(tail -c 1500 "$tmp/cm.log")"
fi

# ---- the replay server and what the transcripts say ---------------------------------
# One server per build kind: fault lists with `times` count per server.
start_replay() {
  "$build/ssekit" replay --listen 127.0.0.1:0 >"$tmp/replay.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do grep -q listening "$tmp/replay.log" && break; sleep 0.05; done
  base=$(sed -n 's/.*"listening": "\([^"]*\)".*/\1/p' "$tmp/replay.log")
  [[ -n $base ]] || { echo "FAIL - the replay server did not start"; cat "$tmp/replay.log"; exit 1; }
}

python3 - "$src/demos/transcripts" >"$tmp/expect.json" <<'PY'
import json, sys
d = sys.argv[1]
def sse(name):
    for line in open(f"{d}/{name}.sse", encoding="utf-8"):
        if line.startswith("data: ") and line.strip() != "data: [DONE]":
            yield json.loads(line[6:])
# OpenAI chat: text, finish reason, usage
text, finish, usage = "", None, None
for ev in sse("openai_chat_structured"):
    for c in ev.get("choices") or []:
        text += c.get("delta", {}).get("content") or ""
        finish = c.get("finish_reason") or finish
    usage = ev.get("usage") or usage
# Anthropic: the forced tool's input, from input_json_delta pieces
atext, ausage = "", {}
for ev in sse("anthropic_tool_use"):
    if ev["type"] == "content_block_delta" and ev["delta"]["type"] == "input_json_delta":
        atext += ev["delta"]["partial_json"]
    if ev["type"] == "message_start":
        ausage["in"] = ev["message"]["usage"]["input_tokens"]
    if ev["type"] == "message_delta":
        ausage["out"] = ev["usage"]["output_tokens"]
# Responses: output_text deltas
rtext = "".join(ev["delta"] for ev in sse("responses_structured") if ev["type"] == "response.output_text.delta")
json.dump({"text": text, "value": json.loads(text), "finish": finish,
           "usage": [usage["prompt_tokens"], usage["completion_tokens"]],
           "anthropic": {"value": json.loads(atext), "usage": [ausage["in"], ausage["out"]]},
           "responses": {"value": json.loads(rtext)}}, sys.stdout)
PY

# check NAME FILE PYTHON: the Python code reads `out` (the output text) and
# `exp` (the expectations) and prints one line per problem
check() {
  local what=$1 file=$2 code=$3 res
  res=$(python3 -c "
import json, sys
out = open(sys.argv[1], encoding='utf-8').read()
exp = json.load(open(sys.argv[2]))
$code" "$file" "$tmp/expect.json" 2>&1) || res="$res (python failed)"
  if [[ -z $res ]]; then ok "$what"; else fail "$what: $res"; head -c 2000 "$file"; echo; fi
}
run() { # OUT-FILE CMD...: runs with a time limit, records the exit code in OUT-FILE.rc
  local out=$1
  shift
  local rc=0
  timeout 60 "$@" >"$out" 2>"$out.err" || rc=$?
  echo $rc >"$out.rc"
}

for kind in pc cm; do
  bin=$tmp/$kind
  [[ -x $bin/callback ]] || { fail "$kind: no binaries to run"; continue; }
  start_replay

  # callback.c: the text as it streamed, then the end line
  run "$tmp/$kind.cb" "$bin/callback" "$base/v1"
  check "$kind callback.c: text, finish reason and usage" "$tmp/$kind.cb" '
if open(sys.argv[1] + ".rc").read().strip() != "0": print("exit code", open(sys.argv[1] + ".rc").read().strip())
body, _, last = out.rstrip("\n").rpartition("\n")
if body != exp["text"]: print("the text differs from the transcript content")
want = "[done] finish=%s input_tokens=%d output_tokens=%d" % (exp["finish"], *exp["usage"])
if last != want: print("last line %r, want %r" % (last, want))'

  # iterator.c on two providers: the top-level fields in order, monotonic progress, the value
  for prov in openai anthropic; do
    url=$base/v1
    [[ $prov == anthropic ]] && url=$base
    run "$tmp/$kind.it.$prov" env SSEKIT_PROVIDER=$prov "$bin/iterator" "$url"
    check "$kind iterator.c ($prov): fields as they complete, progress, value" "$tmp/$kind.it.$prov" "
v = exp['value'] if '$prov' == 'openai' else exp['anthropic']['value']
if open(sys.argv[1] + '.rc').read().strip() != '0': print('exit code', open(sys.argv[1] + '.rc').read().strip())
lines = out.splitlines()
fields = [l.split(' = ', 1) for l in lines if l.startswith('/')]
if [f[0][1:] for f in fields] != list(v): print('fields', [f[0] for f in fields], 'want', list(v))
for k, j in fields:
    if json.loads(j) != v.get(k[1:]): print('wrong value for', k)
prog = [int(l.split()[1].rstrip('%')) for l in lines if l.startswith('progress ')]
if not prog or prog != sorted(prog) or prog[-1] != 100 or len(set(prog)) < 5: print('progress', prog)
final = [l for l in lines if l.startswith('value: ')]
if len(final) != 1 or json.loads(final[0][7:]) != v or lines[-1] != final[0]: print('final value line')"
  done

  # batch.c: the first two requests get a 503 (retried), every item ends ok;
  # then a 400 (not retried) for the first request fails only that item.
  run "$tmp/$kind.batch" env "SSEKIT_HEADER=X-Replay-Fault: status=503;times=2" "$bin/batch" "$base/v1" 6 3
  check "$kind batch.c: 6 items, 3 at once, two 503s retried" "$tmp/$kind.batch" '
if open(sys.argv[1] + ".rc").read().strip() != "0": print("exit code", open(sys.argv[1] + ".rc").read().strip())
lines = out.splitlines()
items = [l for l in lines if l.startswith("#")]
if len(items) != 6: print(len(items), "item lines")
for i, l in enumerate(items):
    w = l.split()
    if w[0] != "#%d" % i or w[1] != "ok" or "sentiment=%s" % exp["value"]["sentiment"] not in w or "confidence=%s" % exp["value"]["confidence"] not in w: print("item", l)
if sum(int(l.rsplit("retries=", 1)[1]) for l in items) != 2: print("retries per item do not add up to 2")
if "ok 6/6 failed 0 retries 2" not in lines: print("summary line", [l for l in lines if l.startswith("ok ")])
lat = [l.split() for l in lines if l.startswith("latency ")]
if not lat: print("no latency line")
else:
    p = [int(lat[0][i]) for i in (2, 4, 6, 8)]
    if p != sorted(p): print("percentiles out of order", p)
if "tokens in %d out %d" % (6 * exp["usage"][0], 6 * exp["usage"][1]) not in lines: print("tokens line")'
  # one at a time, so that the 400 goes to item 0 (a 400 is final: no retry)
  run "$tmp/$kind.batch400" env "SSEKIT_HEADER=X-Replay-Fault: status=400;times=1" "$bin/batch" "$base/v1" 3 1
  check "$kind batch.c: a 400 fails its item only" "$tmp/$kind.batch400" '
if open(sys.argv[1] + ".rc").read().strip() != "1": print("exit code", open(sys.argv[1] + ".rc").read().strip(), "want 1")
lines = out.splitlines()
items = [l for l in lines if l.startswith("#")]
if len(items) != 3 or not items[0].startswith("#0 failed http http=400:"): print("item 0:", items[:1])
if [l.split()[1] for l in items[1:]] != ["ok", "ok"]: print("items 1, 2:", items[1:])
if "ok 2/3 failed 1 retries 0" not in lines: print("summary line")'

  # fanout.c on each provider: three answers, aggregated
  for prov in openai anthropic responses; do
    url=$base/v1
    [[ $prov == anthropic ]] && url=$base
    run "$tmp/$kind.fan.$prov" env SSEKIT_PROVIDER=$prov "$bin/fanout" "$url"
    check "$kind fanout.c ($prov): three answers aggregated" "$tmp/$kind.fan.$prov" "
v = {'openai': exp['value'], 'anthropic': exp['anthropic']['value'], 'responses': exp['responses']['value']}['$prov']
if open(sys.argv[1] + '.rc').read().strip() != '0': print('exit code', open(sys.argv[1] + '.rc').read().strip())
lines = out.splitlines()
done = sorted(l.split()[0] for l in lines if ' done in ' in l)
if done != ['[0]', '[1]', '[2]']: print('done lines', done)
want = ['answers 3/3', 'sentiment %s 3' % v['sentiment'], 'confidence mean %.2f' % v['confidence']]
want += ['topic %s 3' % t['name'] for t in v['topics']]
want += ['follow-up needed %d' % (3 if v['follow_up']['needed'] else 0)]
got = lines[len(lines) - len(want):]
if got != want: print('aggregate', got, 'want', want)"
  done
  # dashboard.c: the bridge in the same process; the channel read over SSE
  # by Python's http.client. A late subscriber may get a snapshot first (it
  # joins more than the backlog behind): its text, patches, usage and done
  # count as messages. Deltas, patches (applied here) and done must rebuild
  # the answer; then SIGINT ends the program with 0.
  if ((bridge)) && [[ -x $bin/dashboard ]]; then
    "$bin/dashboard" "$base/v1" >"$tmp/$kind.dash" 2>"$tmp/$kind.dash.err" &
    dpid=$!
    pids+=($dpid)
    for _ in $(seq 200); do grep -q '^events: ' "$tmp/$kind.dash" && break; sleep 0.05; done
    events=$(sed -n 's/^events: //p' "$tmp/$kind.dash")
    python3 - "$events" >"$tmp/$kind.dash.sse" 2>&1 <<'PY' || true
import http.client, json, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
c = http.client.HTTPConnection(u.hostname, u.port, timeout=20)
c.request("GET", u.path, headers={"Accept": "text/event-stream"})
r = c.getresponse()
print(json.dumps({"status": r.status, "type": r.getheader("Content-Type")}))
while True:
    line = r.readline()
    if not line:
        break
    line = line.decode("utf-8").rstrip("\r\n")
    if line.startswith("data:"):
        m = json.loads(line[5:].strip())
        print(json.dumps(m, ensure_ascii=False))
        if m["type"] in ("done", "error") or (m["type"] == "snapshot" and (m["done"] or m["error"])):
            break
PY
    for _ in $(seq 100); do grep -q '^published ' "$tmp/$kind.dash" && break; sleep 0.05; done
    kill -INT "$dpid"
    drc=0
    wait "$dpid" || drc=$?
    [[ $drc == 0 ]] && ok "$kind dashboard.c: SIGINT stops it with exit 0" ||
      fail "$kind dashboard.c: exit $drc after SIGINT: $(head -c 500 "$tmp/$kind.dash.err")"
    check "$kind dashboard.c: URL printed, the channel rebuilds the answer" "$tmp/$kind.dash.sse" '
head, *msgs = [json.loads(l) for l in out.splitlines()]
if head["status"] != 200 or not head["type"].startswith("text/event-stream"): print("response", head)
dash = open(sys.argv[1].replace(".dash.sse", ".dash")).read().splitlines()
if not dash or not dash[0].startswith("dashboard: http://127.0.0.1:"): print("no dashboard URL line:", dash[:1])
seqs = [m["seq"] for m in msgs]
if not seqs or seqs != list(range(seqs[0], seqs[0] + len(seqs))): print("seqs are not consecutive")
if any(m["channel"] != "review-1" for m in msgs): print("wrong channel")
if any(m["type"] == "snapshot" for m in msgs[1:]): print("a snapshot after the first message")
if msgs and msgs[0]["type"] == "snapshot":  # unfold it into the messages it stands for
    s = msgs.pop(0)
    if s["truncated"]: print("truncated snapshot")
    msgs[:0] = [{"type": "delta", "text": s["text"]}, {"type": "patch", "patches": s["patches"]}] + [
        dict(s[k], type=k) for k in ("progress", "usage", "done", "error") if s[k] is not None]
text = "".join(m["text"] for m in msgs if m["type"] == "delta")
if text != exp["text"]: print("the deltas are not the text")
doc = {"root": None}
def apply(p):
    seg = [s.replace("~1", "/").replace("~0", "~") for s in p["path"].split("/")[1:]]
    if p["op"] == "complete": return
    if not seg:
        doc["root"] = p["value"] if p["op"] == "add" else doc["root"] + p["text"]; return
    parent = doc["root"]
    for s in seg[:-1]: parent = parent[int(s) if isinstance(parent, list) else s]
    last = seg[-1]
    if isinstance(parent, list):
        if p["op"] == "add":
            if int(last) != len(parent): raise Exception("add at %s, length %d" % (last, len(parent)))
            parent.append(p["value"])
        else: parent[int(last)] += p["text"]
    elif p["op"] == "add": parent[last] = p["value"]
    else: parent[last] += p["text"]
for m in msgs:
    if m["type"] == "patch":
        for p in m["patches"]: apply(p)
if doc["root"] != exp["value"]: print("the patches do not rebuild the value")
done = [m for m in msgs if m["type"] == "done"]
if len(done) != 1 or done[0]["value"] != exp["value"] or done[0]["finish_reason"] != exp["finish"]: print("done message", done)
usage = [m for m in msgs if m["type"] == "usage"]
if not usage or [usage[-1]["input_tokens"], usage[-1]["output_tokens"]] != exp["usage"]: print("usage", usage[-1:])
prog = [m["progress"] for m in msgs if m["type"] == "progress"]
if not prog or prog != sorted(prog) or prog[-1] != 100: print("progress", prog)
if msgs and msgs[-1]["type"] != "done": print("last message", msgs[-1]["type"])'
  fi
done

if [[ $fails -ne 0 ]]; then
  echo "test_examples: $fails failure(s)"
  exit 1
fi
echo "test_examples: all checks passed"
