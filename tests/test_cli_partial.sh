#!/usr/bin/env bash
# `ssekit partial` on every provider fixture in shared/vectors/providers: the
# final line must agree with NAME.expect.json on every key it names (text,
# value, tool_calls, thinking, finish_reason, usage, error), whole and fed 1
# and 7 bytes at a time; the ordered completion lines must not depend on the
# split; with --snapshots no value that was visible ever disappears.
set -euo pipefail
build=$1 shared=$2
python3 - "$build/ssekit" "$shared/vectors/providers" "$(cd "$(dirname "$0")" && pwd)" <<'PY'
import json, os, subprocess, sys
exe, vec, here = sys.argv[1], sys.argv[2], sys.argv[3]
ok = bad = 0
def check(cond, what):
    global ok, bad
    if cond: ok += 1
    else:
        bad += 1
        print("FAIL", what, file=sys.stderr)

def run(args):
    p = subprocess.run([exe, "partial"] + args, capture_output=True)
    lines = [json.loads(l) for l in p.stdout.decode().splitlines()]
    return p.returncode, lines

def provider(name):
    return "openai" if name.startswith("openai") else name.split("_")[0]

for f in sorted(os.listdir(vec)):
    if not f.endswith(".sse"): continue
    name = f[:-4]
    expect = json.load(open(os.path.join(vec, name + ".expect.json"), encoding="utf-8"))
    path = os.path.join(vec, f)
    runs = {}
    for chunk in (None, 1, 7):
        args = ["--provider", provider(name)] + (["--chunk", str(chunk)] if chunk else []) + [path]
        rc, lines = run(args)
        final = lines[-1]
        runs[chunk] = [l for l in lines if "complete" in l]
        check(final.get("done") is True, f"{name} chunk={chunk}: last line is done")
        for key, want in expect.items():
            got = final.get(key)
            if key == "tool_calls":
                got = [{k: t[k] for k in ("index", "id", "name", "arguments")} for t in got]
            check(got == want, f"{name} chunk={chunk} {key}: got {got!r} want {want!r}")
        valid = "value" in expect and "error" not in expect or (expect.get("text") == "" and expect.get("tool_calls") and "error" not in expect)
        check((rc == 0) == bool(valid) and final["valid"] == bool(valid), f"{name} chunk={chunk}: rc {rc} valid {final['valid']} want {valid}")
    check(runs[None] == runs[1] == runs[7], f"{name}: completion lines depend on the split")

# snapshots only grow: every key path visible once stays visible
def paths(v, p=""):
    out = {p}
    if isinstance(v, dict):
        for k, x in v.items(): out |= paths(x, p + "/" + k)
    elif isinstance(v, list):
        for i, x in enumerate(v): out |= paths(x, p + "/" + str(i))
    return out
def grows(a, b):
    if a is None: return True  # no value yet: anything is growth
    if isinstance(a, str): return isinstance(b, str) and b.startswith(a)
    if isinstance(a, dict): return isinstance(b, dict) and all(k in b and grows(a[k], b[k]) for k in a)
    if isinstance(a, list): return isinstance(b, list) and len(b) >= len(a) and all(grows(x, y) for x, y in zip(a, b))
    return a == b
for stream, prov in ((os.path.join(vec, "openai_chat_structured.sse"), "openai"),
                     (os.path.join(here, "data", "openai_structured.sse"), "openai"),
                     (os.path.join(vec, "anthropic_tool_use.sse"), "anthropic")):
    rc, lines = run(["--provider", prov, "--snapshots", stream])
    snaps = [l["snapshot"] for l in lines if "snapshot" in l]
    check(len(snaps) > 3, f"{stream}: snapshots printed")
    check(all(grows(a, b) for a, b in zip(snaps, snaps[1:])), f"{stream}: a snapshot lost something")
    check(snaps[-1] == lines[-1]["value"], f"{stream}: last snapshot is the value")
print(f"cli partial: {ok} passed, {bad} failed")
sys.exit(1 if bad or not ok else 0)
PY
