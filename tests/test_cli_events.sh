#!/usr/bin/env bash
# `ssekit events` against every shared vector, whole and at chunk sizes 1, 2,
# 3 and 7: its JSON lines must equal the vector's expectation, item by item.
# Also: --count, --raw, limits (named error on stderr, exit 1, next event kept),
# usage errors (exit 2).
set -euo pipefail
build=$1 shared=$2
exe=$build/ssekit
python3 - "$exe" "$shared/vectors/sse.jsonl" <<'PY'
import json, subprocess, sys
exe, path = sys.argv[1], sys.argv[2]
ok = bad = 0
for line in open(path, encoding="utf-8"):
    case = json.loads(line)
    data = bytes.fromhex(case["input_hex"]) if "input_hex" in case else case["input"].encode("utf-8")
    for chunk in (None, 1, 2, 3, 7):
        args = [exe, "events"] + (["--chunk", str(chunk)] if chunk else []) + ["-"]
        p = subprocess.run(args, input=data, capture_output=True)
        got = [json.loads(l) for l in p.stdout.decode("utf-8").splitlines()]
        if p.returncode == 0 and got == case["expect"]:
            ok += 1
        else:
            bad += 1
            print(f"FAIL {case['name']!r} chunk={chunk}: rc={p.returncode}\n got  {got}\n want {case['expect']}", file=sys.stderr)
print(f"cli vectors: {ok} passed, {bad} failed")
sys.exit(1 if bad or not ok else 0)
PY

source "$(dirname "$0")/lib.sh" # check

out=$(printf 'data: a\n\ndata: b\n\n: c\n' | "$exe" events --count)
check "--count" '[[ $out == "{\"events\": 2, \"bytes\": 22}" ]]'

out=$(printf 'data: \xff\n\n' | "$exe" events --raw)
check "--raw keeps bytes, escaped as \\u00ff" '[[ $out == "{\"event\": \"message\", \"data\": \"\\u00ff\", \"id\": \"\"}" ]]'

set +e
out=$(printf 'data: 0123456789abcdef\n\ndata: ok\n\n' | "$exe" events --max-line 10 2>/tmp/ssekit-cli-err.$$); rc=$?
set -e
check "line limit: exit 1" '[[ $rc == 1 ]]'
check "line limit: next event delivered" '[[ $out == "{\"event\": \"message\", \"data\": \"ok\", \"id\": \"\"}" ]]'
check "line limit: named error on stderr" 'grep -q "SSEKIT_E_LINE_TOO_LONG" /tmp/ssekit-cli-err.$$'
rm -f /tmp/ssekit-cli-err.$$

set +e
"$exe" events --chunk 0 - </dev/null 2>/dev/null; rc1=$?
"$exe" events /nonexistent/file 2>/dev/null; rc2=$?
"$exe" nosuchcommand 2>/dev/null; rc3=$?
set -e
check "usage errors exit 2" '[[ $rc1 == 2 && $rc2 == 2 && $rc3 == 2 ]]'
exit $fail
