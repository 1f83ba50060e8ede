#!/usr/bin/env bash
# The README's first command, the main job: installs what is missing
# (demos/deps.sh), builds, and shows one structured answer streaming in, twice
# at once:
#   - in the terminal, with `ssekit watch` (the text, progress, the partial
#     result as a tree, retries and errors, a summary; plain lines when not
#     on a terminal);
#   - in the browser: the same request is submitted to the bridge's job API
#     (POST /v1/streams on `ssekit-bridge`), whose dashboard URL is printed.
# Without an API key the upstream is `ssekit replay` serving the bundled
# structured-output transcript (paced like a live model). With
# OPENAI_API_KEY, ANTHROPIC_API_KEY or OPENAI_BASE_URL (any OpenAI-compatible
# server: llama.cpp, vLLM, Ollama) the same command streams a real answer.
#
# Environment: SSEKIT_BUILD_DIR (default build/), SSEKIT_MODEL,
# SSEKIT_PROMPT, SSEKIT_BRIDGE_PORT (default: any free port),
# SSEKIT_QUICKSTART_NO_BUILD=1 (use the binaries already in the build dir).
# On a terminal, the servers keep running after the stream until Enter or
# Ctrl-C, so the dashboard can be looked at; otherwise (CI) the script ends
# with the stream. Background servers are stopped on every exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSEKIT_BUILD_DIR:-$root/build}
schema=$root/demos/transcripts/review.schema.json
prompt=${SSEKIT_PROMPT:-"Triage this customer review as JSON. Review: Fast delivery, two days instead of five! But the box was crushed, again. Please use plastic-free packaging. (Zoe Muller, gold customer, Zurich)"}
say() { echo "# $*" >&2; }

if [[ ${SSEKIT_QUICKSTART_NO_BUILD:-} != 1 ]]; then
  "$root/demos/deps.sh" build
  say "building in $build (the first time takes a minute)"
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$build" -j"$(nproc)" --target ssekit_cli ssekit-bridge >/dev/null
fi
ssekit=$build/ssekit
bridge=$build/bridge/ssekit-bridge

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts a server that prints {"listening": URL}; sets $url.
start_server() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  url=
  for _ in $(seq 200); do
    url=$(sed -n 's/.*"listening": "\([^"]*\)".*/\1/p' "$log")
    [[ -n $url ]] && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  say "could not start: $*"
  cat "$log" >&2
  exit 1
}

# Where the answer comes from.
provider=openai
base=
if [[ -n ${OPENAI_API_KEY:-} || -n ${OPENAI_BASE_URL:-} ]]; then
  say "streaming a real answer from ${OPENAI_BASE_URL:-https://api.openai.com/v1}"
elif [[ -n ${ANTHROPIC_API_KEY:-} ]]; then
  provider=anthropic
  say "streaming a real answer from ${ANTHROPIC_BASE_URL:-https://api.anthropic.com}"
else
  start_server "$tmp/replay.log" "$ssekit" replay --listen 127.0.0.1:0 --delay-ms 25
  base=$url/v1
  say "no API key: ssekit replay at $url plays the bundled structured transcript"
  say "(set OPENAI_API_KEY, ANTHROPIC_API_KEY or OPENAI_BASE_URL for a real model)"
fi
model=${SSEKIT_MODEL:-}
[[ -z $model && $provider == anthropic ]] && model=claude-3-5-haiku-latest
[[ -z $model ]] && model=gpt-4o-mini

# The bridge, and the same request as a job on it.
start_server "$tmp/bridge.log" "$bridge" --listen "127.0.0.1:${SSEKIT_BRIDGE_PORT:-0}"
bridge_url=$url
json_string() { # a bash string as a JSON string
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}
{
  printf '{"provider": "%s", "model": %s, "prompt": %s, "schema": ' "$provider" \
    "$(json_string "$model")" "$(json_string "$prompt")"
  cat "$schema"
  [[ -n $base ]] && printf ', "base_url": %s' "$(json_string "$base")"
  printf '}\n'
} >"$tmp/job.json"
job=$(curl -sS --max-time 10 -X POST -H 'Content-Type: application/json' --data-binary @"$tmp/job.json" \
  "$bridge_url/v1/streams" || true)
id=$(sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' <<<"$job")
if [[ -n $id ]]; then
  say "dashboard: $bridge_url/?stream=$id"
  say "the job's events (SSE): curl -N $bridge_url/v1/streams/$id/events"
else
  say "the bridge did not take the job: $job"
  say "dashboard: $bridge_url/"
fi

# The terminal UI, on the same request.
args=(--provider "$provider" --model "$model" --prompt "$prompt" --schema "$schema")
[[ -n $base ]] && args+=(--base-url "$base")
rc=0
"$ssekit" watch "${args[@]}" || rc=$?

if [[ -n $id ]]; then
  # the bridge's view of the same stream
  for _ in $(seq 100); do
    status=$(curl -sS --max-time 5 "$bridge_url/v1/streams/$id" || true)
    grep -Eq '"stage": *"(done|failed|canceled)"' <<<"$status" && break
    sleep 0.1
  done
  say "bridge job $id: $(sed -n 's/.*"stage": *"\([^"]*\)".*/\1/p' <<<"$status") ($bridge_url/v1/streams/$id/result)"
fi
if [[ -t 0 && -t 1 && $rc -eq 0 ]]; then
  say "dashboard still at $bridge_url/?stream=$id — press Enter (or Ctrl-C) to stop the servers"
  read -r _ || true
fi
exit $rc
