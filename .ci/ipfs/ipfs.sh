#!/usr/bin/env bash
# Starts or stops the js-ipfs daemon the records tests use: offline, loopback only, a temporary repo, no bootstrap
# peers and no swarm listeners.
#   bash .ci/ipfs/ipfs.sh install   # npm ci (Debian's nodejs/npm installed first when node is missing)
#   bash .ci/ipfs/ipfs.sh start     # prints "export HEALTHLEDGER_IPFS_API=..." once the RPC API answers
#   bash .ci/ipfs/ipfs.sh stop      # stops the daemon started by "start" and removes its repo
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
state="${HEALTHLEDGER_IPFS_STATE:-${TMPDIR:-/tmp}/healthledger-ipfs}"
port="${HEALTHLEDGER_IPFS_PORT:-45001}"
wait_seconds="${HEALTHLEDGER_IPFS_WAIT:-180}"

install() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    (apt-get update -q && apt-get install -y -q --no-install-recommends nodejs npm) >/dev/null
  fi
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
}

stop() {
  if [ -f "$state/daemon.pid" ]; then
    pid=$(cat "$state/daemon.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -rf "$state"
}

start() {
  stop
  if curl -fsS -m 2 -X POST "http://127.0.0.1:$port/api/v0/id" >/dev/null 2>&1; then
    echo "error: something else already answers on 127.0.0.1:$port (set HEALTHLEDGER_IPFS_PORT)" >&2
    return 1
  fi
  mkdir -p "$state"
  export IPFS_PATH="$state/repo"
  local jsipfs="$here/node_modules/.bin/jsipfs"
  [ -x "$jsipfs" ] || { echo "error: js-ipfs is not installed (run: bash .ci/ipfs/ipfs.sh install)" >&2; return 1; }
  "$jsipfs" init --profile=test >"$state/init.log" 2>&1
  "$jsipfs" config Addresses.API "/ip4/127.0.0.1/tcp/$port" >/dev/null
  "$jsipfs" config Addresses.Gateway "/ip4/127.0.0.1/tcp/$((port + 1))" >/dev/null
  "$jsipfs" config Addresses.RPC "/ip4/127.0.0.1/tcp/$((port + 2))" >/dev/null
  "$jsipfs" config --json Addresses.Swarm '[]' >/dev/null
  "$jsipfs" config --json Addresses.Announce '[]' >/dev/null
  "$jsipfs" config --json Bootstrap '[]' >/dev/null
  "$jsipfs" config --json Discovery.MDNS.Enabled false >/dev/null
  "$jsipfs" config --json Discovery.webRTCStar.Enabled false >/dev/null
  nohup "$jsipfs" daemon --offline >"$state/daemon.log" 2>&1 &
  echo $! >"$state/daemon.pid"
  local api="http://127.0.0.1:$port"
  local deadline=$((SECONDS + wait_seconds))
  until curl -fsS -X POST "$api/api/v0/id" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$state/daemon.pid")" 2>/dev/null; then
      echo "error: the js-ipfs daemon exited; its log:" >&2; cat "$state/daemon.log" >&2; stop; return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "error: the js-ipfs daemon did not answer on $api within ${wait_seconds}s; its log:" >&2
      cat "$state/daemon.log" >&2; stop; return 1
    fi
    sleep 0.5
  done
  echo "export HEALTHLEDGER_IPFS_API=$api"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|stop" >&2; exit 2 ;;
esac
