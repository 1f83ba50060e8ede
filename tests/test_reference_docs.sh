#!/usr/bin/env bash
# Every public function has a reference page, docs/reference/NAME.md, in the
# format the existing pages share (docs/reference/README.md is the index):
#   - the functions are those exported by libssekit.so, those declared in the
#     public headers (lib/include/ssekit/*.h) and the ssekit_bridge_*
#     functions of bridge/include/ssekit/bridge.h; a function without a page
#     fails, and so does a page for a function that no longer exists;
#   - a page has its title, the declaration (equal to the header's, modulo
#     whitespace), the "Header:" line naming the right header, then exactly
#     the sections Parameters and ownership, Lifetimes, Thread safety, Errors,
#     Example, See also, in that order and none empty;
#   - the index links every page and nothing else, and every relative link of
#     the pages and the index leads to an existing file;
#   - each Example block compiles (a C fragment at file scope, after the
#     public headers) with -std=c11 -Wall -Wextra -Werror, and uses the
#     function it documents.
set -euo pipefail
build=$1
root=$(cd "$(dirname "$0")/.." && pwd)
lib=$(ls "$build"/libssekit.so* 2>/dev/null | head -1)
[[ -n $lib ]] || { echo "no libssekit.so in $build" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is needed" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$root" "$lib" "$work" "${CC:-cc}" <<'PY'
import os, re, subprocess, sys
root, lib, work, cc = sys.argv[1:5]
hdir = os.path.join(root, "lib/include/ssekit")
bridge_h = os.path.join(root, "bridge/include/ssekit/bridge.h")
refdir = os.path.join(root, "docs/reference")
index_path = os.path.join(refdir, "README.md")
SECTIONS = ["Parameters and ownership", "Lifetimes", "Thread safety", "Errors", "Example",
            "See also"]
failures = []

def fail(msg):
    failures.append(msg)

def norm(s):
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\(\s+", "(", s)
    s = re.sub(r"\s+\)", ")", s)
    s = re.sub(r"\s*,\s*", ", ", s)
    s = re.sub(r"\s*;$", ";", s)
    return s

def declarations(path):
    """name -> normalized declaration, for every function declared at file scope."""
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", " ", text, flags=re.M)
    text = re.sub(r'extern\s+"C"\s*\{', " ", text)
    # drop the bodies of structs, unions and enums (their members are not
    # functions), innermost first
    prev = None
    while prev != text:
        prev, text = text, re.sub(r"\{[^{}]*\}", " ", text)
    out = {}
    for stmt in text.split(";"):
        stmt = stmt.strip().lstrip("}").strip()
        if not stmt or stmt.startswith("typedef"):
            continue
        m = re.match(r"^[A-Za-z_][\w\s\*]*?\b(ssekit_\w+)\s*\(", stmt)
        if m:
            out[m.group(1)] = norm(stmt + ";")
    return out

decl, header_of = {}, {}
for name in sorted(os.listdir(hdir)):
    if name.endswith(".h"):
        for fn, d in declarations(os.path.join(hdir, name)).items():
            decl[fn], header_of[fn] = d, "ssekit/" + name
bridge_fns = set()
for fn, d in declarations(bridge_h).items():
    decl[fn], header_of[fn] = d, "ssekit/bridge.h"
    if fn.startswith("ssekit_bridge_"):
        bridge_fns.add(fn)

nm = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True,
                    check=True).stdout
exported = {l.split()[-1].split("@")[0] for l in nm.splitlines()
            if len(l.split()) >= 2 and l.split()[-2] in ("T", "W")}
exported = {s for s in exported if s.startswith("ssekit_")}

required = exported | bridge_fns | {f for f, h in header_of.items() if h != "ssekit/bridge.h"}
for fn in sorted(exported - set(decl)):
    fail(f"{fn}: exported by {os.path.basename(lib)} but declared in no public header")

pages = set()
if os.path.isdir(refdir):
    pages = {f[:-3] for f in os.listdir(refdir) if f.endswith(".md") and f != "README.md"}
for fn in sorted(required - pages):
    fail(f"{fn}: no reference page docs/reference/{fn}.md")
for page in sorted(pages - required):
    fail(f"docs/reference/{page}.md: documents {page}, which is not a public function "
         f"(any more)")

index = open(index_path, encoding="utf-8").read() if os.path.exists(index_path) else ""
if not index:
    fail("docs/reference/README.md (the index) is missing or empty")
index_links = set(re.findall(r"\]\(([A-Za-z0-9_]+)\.md\)", index))

def check_links(relpath, text):
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        target = target.split("#")[0]
        if not os.path.exists(os.path.normpath(os.path.join(refdir, target))):
            fail(f"{relpath}: broken link to {target}")

check_links("docs/reference/README.md", index)

def code_blocks(text):
    return re.findall(r"^```c[ \t]*\n(.*?)^```[ \t]*$", text, flags=re.S | re.M)

def check_page(fn):
    rel = f"docs/reference/{fn}.md"
    text = open(os.path.join(refdir, fn + ".md"), encoding="utf-8").read()
    lines = text.split("\n")
    if lines[0].strip() != f"# {fn}":
        fail(f"{rel}: the first line must be '# {fn}'")
    heads = [l[3:].strip() for l in lines if l.startswith("## ")]
    if heads != SECTIONS:
        fail(f"{rel}: sections are {heads}, want exactly {SECTIONS}")
    # everything before the first section: declaration, Header line, summary
    intro = text.split("\n## ", 1)[0]
    blocks = code_blocks(intro)
    if not blocks:
        fail(f"{rel}: no declaration block (```c) under the title")
    elif fn in decl and norm(blocks[0]) != decl[fn]:
        fail(f"{rel}: the declaration does not match {header_of[fn]}:\n"
             f"    page:   {norm(blocks[0])}\n    header: {decl[fn]}")
    if fn in header_of:
        want = f"Header: `<{header_of[fn]}>`"
        if want not in intro:
            fail(f"{rel}: no line '{want}'")
    rest = intro.split("```")[-1]
    summary = re.sub(r"Header:[^\n]*", "", rest).strip()
    if not summary:
        fail(f"{rel}: no summary sentence under the Header line")
    parts = re.split(r"^## ", text, flags=re.M)[1:]
    body = {}
    for p in parts:
        title, _, content = p.partition("\n")
        body[title.strip()] = content
        if not content.strip():
            fail(f"{rel}: section '{title.strip()}' is empty")
    if fn not in index_links:
        fail(f"{rel}: not linked from docs/reference/README.md")
    check_links(rel, text)
    ex = code_blocks(body.get("Example", ""))
    if not ex:
        fail(f"{rel}: the Example section has no ```c block")
        return
    src = "".join(ex)
    if not re.search(r"\b%s\b" % re.escape(fn), src):
        fail(f"{rel}: the example does not use {fn}")
    pre = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <stdint.h>\n"
    pre += "#include <ssekit/ssekit.h>\n"
    if fn.startswith("ssekit_bridge_") or header_of.get(fn) == "ssekit/bridge.h":
        pre += "#include <ssekit/bridge.h>\n"
    cfile = os.path.join(work, fn + ".c")
    with open(cfile, "w") as f:
        f.write(pre + f'#line 1 "{rel}:Example"\n' + src)
    r = subprocess.run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-Wno-unused-function",
                        "-fsyntax-only", "-I", os.path.join(root, "lib/include"), "-I",
                        os.path.join(root, "bridge/include"), cfile],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"{rel}: the example does not compile:\n" + r.stderr.rstrip())

for fn in sorted(pages & required):
    check_page(fn)
for link in sorted(index_links - pages):
    fail(f"docs/reference/README.md: links {link}.md, which does not exist")

for f in failures:
    print("FAIL", f)
ok = len(required & pages)
print(f"reference docs: {len(required)} public functions, {len(pages)} pages, "
      f"{len(failures)} problems")
sys.exit(1 if failures else 0)
PY
