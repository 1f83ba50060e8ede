#!/usr/bin/env bash
# docs/guide.md stays true to the code:
#   - every ```c block compiles on its own, as a C fragment at file scope after
#     the standard headers, <curl/curl.h>, <ssekit/ssekit.h> and
#     <ssekit/bridge.h> (the convention of the reference pages), with
#     -std=c11 -Wall -Wextra -Wpedantic -Werror;
#   - every ssekit_* function the guide names is declared in a public header
#     (a renamed or removed function fails here, not in a reader's build);
#   - every relative link of the guide leads to an existing file, and every
#     "#anchor" link to a heading of the guide.
# Usage: test_guide_examples.sh BUILD_DIR [SHARED_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$root" "$work" "${CC:-cc}" <<'PY'
import os, re, subprocess, sys
root, work, cc = sys.argv[1:4]
guide = os.path.join(root, "docs/guide.md")
text = open(guide, encoding="utf-8").read()
failures = []

blocks = re.findall(r"^```c[ \t]*\n(.*?)^```[ \t]*$", text, flags=re.S | re.M)
if len(blocks) < 8:
    failures.append(f"docs/guide.md has {len(blocks)} C blocks; expected the examples (>= 8)")
pre = ("#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <stdint.h>\n"
       "#include <curl/curl.h>\n#include <ssekit/ssekit.h>\n#include <ssekit/bridge.h>\n")
for i, src in enumerate(blocks, 1):
    line = text[: text.index(src)].count("\n") + 1
    cfile = os.path.join(work, f"guide_{i}.c")
    with open(cfile, "w") as f:
        f.write(pre + f'#line {line} "docs/guide.md"\n' + src)
    r = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                        "-Wno-unused-function", "-fsyntax-only",
                        "-I", os.path.join(root, "lib/include"),
                        "-I", os.path.join(root, "bridge/include"), cfile],
                       capture_output=True, text=True)
    if r.returncode != 0:
        failures.append(f"C block {i} (docs/guide.md:{line}) does not compile:\n"
                        + r.stderr.rstrip())

# the public functions
declared = set()
headers = [os.path.join(root, "lib/include/ssekit", h)
           for h in os.listdir(os.path.join(root, "lib/include/ssekit")) if h.endswith(".h")]
headers.append(os.path.join(root, "bridge/include/ssekit/bridge.h"))
for h in headers:
    src = re.sub(r"/\*.*?\*/", " ", open(h, encoding="utf-8").read(), flags=re.S)
    declared |= set(re.findall(r"\b(ssekit_\w+)\s*\(", src))
named = set(re.findall(r"\b(ssekit_[a-z0-9_]+)\s*\(", text))
named |= set(re.findall(r"`(ssekit_[a-z0-9_]+)`", text))
types = set()
for h in headers:
    src = open(h, encoding="utf-8").read()
    types |= set(re.findall(r"\b(ssekit_\w+)\b", src))
for fn in sorted(named):
    if fn not in declared and fn not in types:
        failures.append(f"docs/guide.md names {fn}, which no public header declares")

# links
slug = lambda h: re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-")
anchors = {slug(h) for h in re.findall(r"^#+ (.*)$", text, flags=re.M)}
for target in re.findall(r"\]\(([^)\s]+)\)", text):
    if re.match(r"[a-z]+:", target):
        continue
    path, _, frag = target.partition("#")
    if path and not os.path.exists(os.path.join(root, "docs", path)):
        failures.append(f"docs/guide.md: broken link to {path}")
    if not path and frag not in anchors:
        failures.append(f"docs/guide.md: no heading for #{frag}")

for f in failures:
    print("FAIL", f)
print(f"guide: {len(blocks)} C blocks, {len(named)} ssekit names, {len(failures)} problems")
sys.exit(1 if failures else 0)
PY
