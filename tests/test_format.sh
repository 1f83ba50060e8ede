#!/usr/bin/env bash
# Every C source and header follows the checked-in .clang-format.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v clang-format >/dev/null || { echo "skipped: no clang-format"; exit 77; }
cd "$root"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files '*.c' '*.h')
else
  files=$(find lib demos tests $( [[ -d bridge ]] && echo bridge ) -name '*.[ch]')
fi
if clang-format --dry-run -Werror $files; then
  echo "format: $(echo "$files" | wc -w) files ok"
else
  echo "format: run clang-format -i on the files above" >&2
  exit 1
fi
