#!/usr/bin/env bash
# Runs ssekit's benchmarks with their peers in the same run, so that the
# figures are ratios on the same (noisy) machine.
# usage: tests/bench/run.sh [sse] [SECONDS]
#   sse   framing: ssekit's SSE parser vs a memchr newline scan vs eventsource-parser
# env: SSEKIT_BENCH_DIR (default build-bench), SSEKIT_SHARED (default ../shared)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SSEKIT_SHARED:-$root/../shared}
build=${SSEKIT_BENCH_DIR:-$root/build-bench}
what=${1:-sse}
seconds=${2:-3}
work=$build/bench-data
mkdir -p "$work"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSSEKIT_BENCH=ON -DSSEKIT_TESTS=OFF >/dev/null
build_bench() { cmake --build "$build" -j"$(nproc)" --target "$@" >/dev/null; }

stream() { # entities -> path of a generated stream
  local f=$work/stream-$1.sse
  [[ -s $f ]] || python3 "$shared/bench/gen_stream.py" "$1" "$work/answer-$1.json" >"$f"
  echo "$f"
}
field() { # json line, key -> number
  python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"
}

if [[ $what == sse || $what == all ]]; then
  build_bench bench_sse
  s=$(stream 2000)
  echo "# framing: $(wc -c <"$s") bytes, read in 1400-byte pieces" >&2
  ours=$("$build/tests/bench/bench_sse" "$s" "$seconds")
  echo "$ours"
  peer=$("$shared/bench/run-peers.sh" "$build/peers" "$s" sse)
  echo "$peer"
  python3 - "$ours" "$peer" <<'PY'
import json, sys
o, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"summary": "sse framing",
                  "ssekit_mb_per_s": o["mb_per_s"], "ssekit_events_per_s": o["events_per_s"],
                  "memchr_mb_per_s": o["memchr_mb_per_s"],
                  "memchr_over_ssekit": round(o["memchr_mb_per_s"] / o["mb_per_s"], 2),
                  "eventsource_parser_mb_per_s": p["mb_per_s"],
                  "ssekit_over_eventsource_parser": round(o["mb_per_s"] / p["mb_per_s"], 1),
                  "same_event_count": o["events"] == p["events"]}))
PY
fi
