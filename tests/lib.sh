# Shared pieces of the shell tests, sourced (not a test itself: ctest runs
# tests/test_*.sh):   source "$(dirname "$0")/lib.sh"
# Sets src (the source tree) and fail=0; defines the functions below. It
# installs no trap: a test that wants a work directory calls make_work.

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# check WHAT EXPR: evaluates EXPR; prints "ok - WHAT", or "FAIL - WHAT" and
# sets fail=1 (the test ends with `exit $fail`).
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "FAIL - $1"; fail=1; fi; }

# need CMD: exits 77 (skipped) when the command CMD is not installed.
need() { command -v "$1" >/dev/null || { echo "$1 not installed: skipped"; exit 77; }; }

# py FILE EXPR: a Python expression over `lines` (the parsed JSON lines of
# FILE) and `kinds` (each line's "kind"); exit 0 when true.
py() {
  python3 - "$1" "$2" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kinds = [l.get("kind") for l in lines]
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

# make_work: sets work to a new temporary directory and pid to ""; at exit
# the process `pid` names (the server start_replay started) is killed and
# the directory removed.
make_work() {
  work=$(mktemp -d)
  pid=
  trap _lib_cleanup EXIT
}
_lib_cleanup() {
  [[ -n $pid ]] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}

# start_replay [ARGS...]: starts `$exe replay ARGS` (by default --listen
# 127.0.0.1:0) in the background from / (so only the compiled-in
# transcripts can be served), its stdout in $work/replay.out and stderr in
# $work/replay.err; waits (5 s at most) for its {"listening": URL} line.
# Sets pid and url. Needs exe and work (make_work).
start_replay() {
  (($#)) || set -- --listen 127.0.0.1:0
  : >"$work/replay.out"
  (cd / && exec "$exe" replay "$@" >"$work/replay.out" 2>"$work/replay.err") &
  pid=$!
  for _ in $(seq 100); do
    [[ -s $work/replay.out ]] && break
    sleep 0.05
  done
  url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["listening"])' "$work/replay.out")
}

# stop_replay SIGNAL: sends SIGNAL to the server start_replay started and
# waits for it; sets rc to its exit status and pid to "".
stop_replay() {
  kill -"$1" "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
  pid=
}

# need_bridge BUILD_DIR: sets bin to the ssekit-bridge daemon; exits 77
# (skipped) when it is not built or node/npm are missing.
need_bridge() {
  bin=$1/bridge/ssekit-bridge
  if [[ ! -x $bin ]]; then
    echo "SKIP: $bin not built (SSEKIT_BRIDGE=OFF?)"; exit 77
  fi
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "SKIP: node/npm missing (demos/deps.sh test)"; exit 77
  fi
}

# npm_install_into DIR MODULE: installs the Node packages of
# tests/bridge/package.json into DIR (under the build directory, never the
# source tree), only when package.json changed or DIR/node_modules/MODULE is
# missing. Tests that ctest may run at the same time use different DIRs.
# Returns 1 when npm install fails.
npm_install_into() {
  local mods=$1 module=$2
  mkdir -p "$mods"
  if ! cmp -s "$src/tests/bridge/package.json" "$mods/package.json" || [[ ! -d $mods/node_modules/$module ]]; then
    cp "$src/tests/bridge/package.json" "$mods/package.json"
    (cd "$mods" && npm install --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null) || return 1
  fi
}
