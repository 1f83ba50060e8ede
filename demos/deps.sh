#!/usr/bin/env bash
# Installs the Debian packages ssekit needs that are missing, and nothing else.
# usage: demos/deps.sh [build|test]
#   build  compiler, cmake, pkg-config and the libraries (the default)
#   test   build + what the test suite uses (clang with libFuzzer and the
#          sanitizer runtimes, python3 for the stream generator, node/npm for
#          the JavaScript peers and clients, tmux for the terminal UI test,
#          nginx with the nchan module for the independent SSE server test,
#          chromium for the dashboard test)
set -euo pipefail
group=${1:-build}
# curl: demos/quickstart.sh submits the demo stream to the bridge with it
pkgs=(build-essential cmake pkg-config libyajl-dev libcurl4-openssl-dev libwebsockets-dev curl)
if [[ $group == test ]]; then
  # openssl: tests/test_bridge.sh makes a self-signed certificate for the TLS test
  pkgs+=(clang clang-format libclang-rt-14-dev python3 nodejs npm tmux nginx libnginx-mod-nchan chromium
    openssl)
fi
missing=()
for p in "${pkgs[@]}"; do
  # node and npm often come from outside Debian (nvm, nodesource): a working
  # command is as good as the package.
  if [[ $p == nodejs || $p == npm ]] && command -v "${p/nodejs/node}" >/dev/null 2>&1; then
    continue
  fi
  if [[ $p == python3 ]] && command -v python3 >/dev/null 2>&1; then
    continue
  fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "ssekit: installing ${missing[*]}" >&2
sudo=()
[[ $(id -u) -ne 0 ]] && sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
