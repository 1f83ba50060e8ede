#!/usr/bin/env bash
# The benchmark programs run and measure something (no timing is asserted:
# speed is measured by tests/bench/run.sh, not by the suite).
set -euo pipefail
build=$1
bench=$build/tests/bench/bench_sse
[[ -x $bench ]] || { echo "skipped: configure with -DSSEKIT_BENCH=ON"; exit 77; }
src=$(cd "$(dirname "$0")" && pwd)
out=$("$bench" "$src/data/openai_structured.sse" 0.05)
echo "$out"
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["events"] == 177 and r["mb_per_s"] > 0 and r["memchr_lines"] == 2 * r["events"], r
PY
out=$("$build/tests/bench/bench_pipeline" "$src/data/openai_structured.sse" 0.05)
echo "$out"
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["valid"] is True and r["deltas"] == 174 and r["mb_per_s"] > 0 and r["event_p99_us"] > 0, r
PY
# The many-streams client benchmark, tiny: 20 streams for half a second.
out=$("$build/tests/bench/bench_client" 20 0.5 50)
echo "$out"
python3 - "$out" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["errors"] == 0 and r["idle_streams_open"] == 20 and r["events"] > 0, r
assert r["idle_ssekit_bytes_per_stream"] > 0 and r["cpu_us_per_event"] > 0, r
PY
