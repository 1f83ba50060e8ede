#!/usr/bin/env bash
# The public API is documented: every function exported by libssekit.so is
# declared in a public header (lib/include/ssekit/), and every declaration
# there has its own comment right above it (what it does, ownership,
# lifetimes, errors — STYLE.md). Exported symbols without the ssekit_ prefix
# (private helpers leaking out) fail too.
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/.." && pwd)
lib=$(ls "$build"/libssekit.so* 2>/dev/null | head -1)
[[ -n $lib ]] || { echo "no libssekit.so in $build" >&2; exit 1; }
python3 - "$root/lib/include/ssekit" "$lib" <<'PY'
import os, re, subprocess, sys
hdir, lib = sys.argv[1], sys.argv[2]
decl = re.compile(r'^[A-Za-z_][\w \*]*?\b(ssekit_\w+)\s*\(')
documented, undocumented = {}, []
for name in sorted(os.listdir(hdir)):
    if not name.endswith(".h"): continue
    lines = open(os.path.join(hdir, name), encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = decl.match(line)
        if not m or line.startswith(("typedef", "#", "static")): continue
        j = i - 1
        # a group of related declarations may share one comment above them
        while j >= 0 and decl.match(lines[j]) and not lines[j].startswith("typedef"):
            j -= 1
        while j >= 0 and lines[j].strip() and not lines[j].rstrip().endswith("*/") and lines[j].startswith((" ", "\t")):
            j -= 1  # continuation lines of a long declaration
        ok = j >= 0 and lines[j].rstrip().endswith("*/")
        documented[m.group(1)] = name
        if not ok: undocumented.append(f"{name}:{i+1}: {m.group(1)}")
out = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
exported = sorted({l.split()[-1].split("@")[0] for l in out.splitlines() if l.split()[-2:-1] and l.split()[-2] in "TW"})
leaks = [s for s in exported if not s.startswith("ssekit_") and not s.startswith("_")]
missing = [s for s in exported if s.startswith("ssekit_") and s not in documented]
for u in undocumented: print("no comment above the declaration:", u)
for s in missing: print("exported but not declared in a public header:", s)
for s in leaks: print("exported without the ssekit_ prefix:", s)
bad = len(undocumented) + len(missing) + len(leaks)
print(f"api docs: {len(exported) - len(missing) - len(leaks)} passed, {bad} failed")
sys.exit(1 if bad else 0)
PY
