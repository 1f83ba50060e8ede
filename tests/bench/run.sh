#!/usr/bin/env bash
# Runs ssekit's benchmarks with their peers in the same run, so that the
# figures are ratios on the same (noisy) machine.
# usage: tests/bench/run.sh [sse|partial|all] [SECONDS]
#   sse      framing: ssekit's SSE parser vs a memchr newline scan vs eventsource-parser
#   partial  SSE -> decoder -> partial JSON tree after every delta, at 200, 400 and
#            2000 entities, vs partial-json and the AI SDK's parsePartialJson
#   client   1000 concurrent raw SSE streams at 50 events/s each from the replay
#            server (a child process) in one client thread: events/s, client CPU
#            per event and per core, memory per idle stream (not part of `all`;
#            env SSEKIT_BENCH_STREAMS, SSEKIT_BENCH_RATE, SSEKIT_BENCH_COALESCE_MS
#            auto (default: the adaptive window, then the same load with the
#            window forced off, both in one JSON line) or a window in ms,
#            SSEKIT_BENCH_MODE cb|pull|mixed)
#   bridge   one bridge channel fanned out to 1000 WebSocket clients (a forked
#            epoll load generator): delivered messages/s, publish->receive
#            p50/p99, bridge RSS per idle client, and the generator's own
#            ceilings; run three times: the publisher 64 messages ahead of the
#            slowest client (throughput; the targets are judged on this run:
#            rate and p99 together), then 8, then 1 (one message in flight:
#            the latency floor) (not part of `all`; env SSEKIT_BENCH_CLIENTS)
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

if [[ $what == partial || $what == all ]]; then
  build_bench bench_pipeline
  declare -A ours peer_pj peer_ai
  for n in 200 400 2000; do
    s=$(stream $n)
    ours[$n]=$("$build/tests/bench/bench_pipeline" "$s" "$seconds")
    echo "${ours[$n]}"
  done
  for n in 200 400; do
    s=$(stream $n)
    peer_pj[$n]=$("$shared/bench/run-peers.sh" "$build/peers" "$s" partial-json)
    echo "${peer_pj[$n]}"
    peer_ai[$n]=$("$shared/bench/run-peers.sh" "$build/peers" "$s" ai)
    echo "${peer_ai[$n]}"
  done
  python3 - "${ours[200]}" "${ours[400]}" "${ours[2000]}" "${peer_pj[200]}" "${peer_pj[400]}" \
    "${peer_ai[200]}" "${peer_ai[400]}" <<'PY'
import json, sys
o200, o400, o2000, pj200, pj400, ai200, ai400 = map(json.loads, sys.argv[1:])
print(json.dumps({"summary": "partial pipeline",
  "ssekit_mb_per_s": {"200": o200["mb_per_s"], "400": o400["mb_per_s"], "2000": o2000["mb_per_s"]},
  "event_p50_us": o2000["event_p50_us"], "event_p99_us": o2000["event_p99_us"],
  "yajl_envelopes_mb_per_s": o2000["yajl_envelopes_mb_per_s"],
  "time_400_over_200": round(o400["seconds"] / o200["seconds"], 2),
  "time_2000_over_400_per_5x": round(o2000["seconds"] / o400["seconds"] / 5, 2),
  "partial_json_time_400_over_200": round(pj400["seconds"] / pj200["seconds"], 2),
  "ai_time_400_over_200": round(ai400["seconds"] / ai200["seconds"], 2),
  "ssekit_over_partial_json": {"200": round(pj200["seconds"] / o200["seconds"], 1),
                               "400": round(pj400["seconds"] / o400["seconds"], 1)},
  "ssekit_over_ai": {"200": round(ai200["seconds"] / o200["seconds"], 1),
                     "400": round(ai400["seconds"] / o400["seconds"], 1)}}))
PY
fi

if [[ $what == client ]]; then
  build_bench bench_client
  "$build/tests/bench/bench_client" "${SSEKIT_BENCH_STREAMS:-1000}" "$seconds" "${SSEKIT_BENCH_RATE:-50}" \
    "${SSEKIT_BENCH_COALESCE_MS:-auto}" "${SSEKIT_BENCH_MODE:-cb}"
fi

if [[ $what == bridge ]]; then
  build_bench bench_bridge
  n=${SSEKIT_BENCH_CLIENTS:-1000}
  thr=$("$build/tests/bench/bench_bridge" "$n" "$seconds" 64)
  echo "$thr"
  mid=$("$build/tests/bench/bench_bridge" "$n" "$seconds" 8)
  echo "$mid"
  lat=$("$build/tests/bench/bench_bridge" "$n" "$seconds" 1)
  echo "$lat"
  python3 - "$thr" "$mid" "$lat" <<'PY'
import json, sys
t, m, l = map(json.loads, sys.argv[1:])
ms = lambda us: round(us / 1000, 1)
print(json.dumps({"summary": "bridge fan-out", "clients": t["clients"],
  "delivered_per_s": t["delivered_per_s"], "p50_ms": ms(t["p50_us"]), "p99_ms": ms(t["p99_us"]),
  "frames_per_read": t["frames_per_read"],
  "delivered_per_s_window_8": m["delivered_per_s"], "p99_ms_window_8": ms(m["p99_us"]),
  "delivered_per_s_window_1": l["delivered_per_s"], "p50_ms_window_1": ms(l["p50_us"]),
  "p99_ms_window_1": ms(l["p99_us"]),
  "idle_bytes_per_client": t["idle_rss_per_client_bytes"],
  "generator_ceiling_tcp_1msg_per_write_per_s": t["generator_ceiling_tcp_1msg_per_write_per_s"],
  "generator_ceiling_tcp_16msg_per_write_per_s": t["generator_ceiling_tcp_16msg_per_write_per_s"],
  "generator_ceiling_tcp_64msg_per_write_per_s": t["generator_ceiling_tcp_64msg_per_write_per_s"],
  "snapshots": t["snapshots"] + m["snapshots"] + l["snapshots"],
  "closed": t["closed"] + m["closed"] + l["closed"],
  "targets": {"delivered_per_s_500k": t["delivered_per_s"] >= 500000,
              "p99_50ms": t["p99_us"] <= 50000,
              "idle_32k": t["idle_rss_per_client_bytes"] <= 32768}}))
PY
fi
