#!/usr/bin/env bash
# The dashboard (bridge/web/) in headless Chromium, driven by playwright-core:
# served by ssekit-bridge under its strict CSP, it submits a job against the
# replay server, watches the tree fill in and the stream finish, survives a
# dropped WebSocket, and leaves a screenshot in BUILD_DIR/artifacts/.
# usage: tests/test_dashboard.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:?usage: test_dashboard.sh BUILD_DIR}" && pwd)
source "$(dirname "$0")/lib.sh"
need_bridge "$build"
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
npm_install_into "$mods" playwright-core || { echo "FAIL: npm install in $mods failed"; exit 1; }
export SSEKIT_CHROMIUM=$chromium
exec node "$src/tests/bridge/dashboard.mjs" "$build" "$src" "$mods" "$build/artifacts"
