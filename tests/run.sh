#!/usr/bin/env bash
# The README's second command: builds and runs every test.
#   1. the suite (ctest: unit, conformance, command line, install, bench smoke)
#   2. the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer
#   3. every libFuzzer target for a short smoke run
# usage: tests/run.sh [--quick]      (--quick: step 1 only)
# env:   SSEKIT_FUZZ_SECONDS (default 30), SSEKIT_BUILD_DIR (default build)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSEKIT_BUILD_DIR:-$root/build}
fuzz_seconds=${SSEKIT_FUZZ_SECONDS:-30}
jobs=$(nproc)
quick=0
[[ ${1:-} == --quick ]] && quick=1
"$root/demos/deps.sh" test || exit 2

passed=0 failed=0
step() { # name, command...
  local name=$1; shift
  echo "=== $name" >&2
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "=== FAILED: $name" >&2; fi
}
suite() { # build dir, cmake args...
  local dir=$1; shift
  local log=$dir.build.log
  if ! { cmake -S "$root" -B "$dir" -DSSEKIT_BENCH=ON "$@" && cmake --build "$dir" -j"$jobs"; } >"$log" 2>&1; then
    tail -60 "$log" >&2
    return 1
  fi
  (cd "$dir" && ctest --output-on-failure -j"$jobs")
}
sanitized() {
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    CC=clang suite "$build-asan" -DSSEKIT_SANITIZE=ON
}
fuzz() {
  local dir=$build-fuzz
  CC=clang cmake -S "$root" -B "$dir" -DSSEKIT_FUZZ=ON -DSSEKIT_TESTS=OFF >/dev/null &&
    cmake --build "$dir" -j"$jobs" >/dev/null || return 1
  local rc=0
  for bin in "$dir"/tests/fuzz/fuzz_*; do
    [[ -x $bin ]] || continue
    local name=${bin##*/fuzz_} work
    work=$(mktemp -d)
    local seeds=$root/tests/fuzz/corpus/$name
    echo "--- $name: ${fuzz_seconds}s" >&2
    if ! "$bin" -max_total_time="$fuzz_seconds" -print_final_stats=1 -artifact_prefix="$work/" \
        "$work" $( [[ -d $seeds ]] && echo "$seeds" ) 2>"$work/log"; then
      tail -40 "$work/log" >&2; rc=1
    else
      grep -E "stat::number_of_executed_units" "$work/log" >&2 || true
    fi
    rm -rf "$work"
  done
  return $rc
}

step "suite" suite "$build"
if [[ $quick == 0 ]]; then
  step "suite under ASan+UBSan" sanitized
  step "fuzzers" fuzz
fi
echo "ssekit tests: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
