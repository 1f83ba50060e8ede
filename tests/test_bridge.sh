#!/usr/bin/env bash
# Bridge protocol tests with independent clients: Node's `ws` and
# `eventsource` packages against the ssekit-bridge daemon.
# usage: tests/test_bridge.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: test_bridge.sh BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/bridge/ssekit-bridge
if [[ ! -x $bin ]]; then
  echo "SKIP: $bin not built (SSEKIT_BRIDGE=OFF?)"; exit 77
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node/npm missing (demos/deps.sh test)"; exit 77
fi
# The clients are installed into the build directory, never the source tree;
# a reinstall happens only when package.json changed.
mods=$build/bridge-node
mkdir -p "$mods"
if ! cmp -s "$src/tests/bridge/package.json" "$mods/package.json" || [[ ! -d $mods/node_modules/ws ]]; then
  cp "$src/tests/bridge/package.json" "$mods/package.json"
  (cd "$mods" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null) || {
    echo "SKIP: npm install failed (no registry?)"; exit 77; }
fi
exec node "$src/tests/bridge/bridge.test.mjs" "$bin" "$mods"
