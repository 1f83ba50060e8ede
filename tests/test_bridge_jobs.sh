#!/usr/bin/env bash
# The bridge's job API (POST /v1/streams ...), /metrics, /healthz and the
# dashboard's files, with independent clients (fetch, Node's `ws` and
# `eventsource`) against the ssekit-bridge daemon and `ssekit replay` as the
# upstream.
# usage: tests/test_bridge_jobs.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: test_bridge_jobs.sh BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/bridge/ssekit-bridge
cli=$build/ssekit
if [[ ! -x $bin ]]; then
  echo "SKIP: $bin not built (SSEKIT_BRIDGE=OFF?)"; exit 77
fi
if [[ ! -x $cli ]]; then
  echo "FAIL: $cli (the replay server) not built"; exit 1
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node/npm missing (demos/deps.sh test)"; exit 77
fi
# Own install directory (test_bridge.sh may be installing into its own at
# the same time); reinstalled only when package.json changed.
mods=$build/bridge-jobs-node
mkdir -p "$mods"
if ! cmp -s "$src/tests/bridge/package.json" "$mods/package.json" || [[ ! -d $mods/node_modules/ws ]]; then
  cp "$src/tests/bridge/package.json" "$mods/package.json"
  (cd "$mods" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null) || {
    echo "SKIP: npm install failed (no registry?)"; exit 77; }
fi
exec node "$src/tests/bridge/jobs.test.mjs" "$bin" "$cli" "$src" "$mods"
