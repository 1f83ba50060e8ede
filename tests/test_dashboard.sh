#!/usr/bin/env bash
# The dashboard (bridge/web/) in headless Chromium, driven by playwright-core:
# served by ssekit-bridge under its strict CSP, it submits a job against the
# replay server, watches the tree fill in and the stream finish, survives a
# dropped WebSocket, and leaves a screenshot in BUILD_DIR/artifacts/.
# usage: tests/test_dashboard.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: test_dashboard.sh BUILD_DIR}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/bridge/ssekit-bridge
if [[ ! -x $bin ]]; then
  echo "SKIP: $bin not built (SSEKIT_BRIDGE=OFF?)"; exit 77
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node/npm missing (demos/deps.sh test)"; exit 77
fi
chromium=${SSEKIT_CHROMIUM:-/usr/bin/chromium}
if [[ ! -x $chromium ]]; then
  sudo=()
  [[ $(id -u) -ne 0 ]] && sudo=(sudo -n)
  echo "installing chromium (apt-get)" >&2
  { DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium ||
    { "${sudo[@]}" apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium; }
  } >/dev/null 2>&1 || true
  if [[ ! -x $chromium ]]; then
    echo "SKIP: $chromium missing and apt-get install chromium failed"; exit 77
  fi
fi
# The driver's packages go into the build directory (its own folder: ctest
# may run test_bridge.sh, which installs the same file elsewhere, at the same
# time); a reinstall happens only when package.json changed.
mods=$build/dashboard-node
mkdir -p "$mods"
if ! cmp -s "$src/tests/bridge/package.json" "$mods/package.json" || [[ ! -d $mods/node_modules/playwright-core ]]; then
  cp "$src/tests/bridge/package.json" "$mods/package.json"
  (cd "$mods" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null) || {
    echo "FAIL: npm install in $mods failed"; exit 1; }
fi
export SSEKIT_CHROMIUM=$chromium
exec node "$src/tests/bridge/dashboard.mjs" "$build" "$src" "$mods" "$build/artifacts"
