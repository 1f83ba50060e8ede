#!/usr/bin/env bash
# The README's first command: installs what is missing, configures, builds,
# and runs the main job — for now `ssekit events` on a bundled OpenAI-style
# stream, showing every event the parser dispatches as a JSON line.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${SSEKIT_BUILD_DIR:-$root/build}
"$root/demos/deps.sh" build
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target ssekit_cli >/dev/null
stream=$root/demos/streams/example.sse
echo "# ssekit events $stream" >&2
"$build/ssekit" events "$stream"
echo "# the same stream, counted: ssekit events --count" >&2
"$build/ssekit" events --count "$root/tests/data/openai_structured.sse"
