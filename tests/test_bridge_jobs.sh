#!/usr/bin/env bash
# The bridge's job API (POST /v1/streams ...), /metrics, /healthz and the
# dashboard's files, with independent clients (fetch, Node's `ws` and
# `eventsource`) against the ssekit-bridge daemon and `ssekit replay` as the
# upstream.
# usage: tests/test_bridge_jobs.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: test_bridge_jobs.sh BUILD_DIR}" && pwd)
source "$(dirname "$0")/lib.sh"
need_bridge "$build"
cli=$build/ssekit
if [[ ! -x $cli ]]; then
  echo "FAIL: $cli (the replay server) not built"; exit 1
fi
# Own install directory (test_bridge.sh may be installing into its own at
# the same time); reinstalled only when package.json changed.
mods=$build/bridge-jobs-node
npm_install_into "$mods" ws || { echo "SKIP: npm install failed (no registry?)"; exit 77; }
exec node "$src/tests/bridge/jobs.test.mjs" "$bin" "$cli" "$src" "$mods"
