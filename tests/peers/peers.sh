#!/usr/bin/env bash
# peers.sh — the project's own IPFS peers for the sync tests: installs
# js-ipfs 0.66.1 (exact tree from locks/ipfs) into a cache directory and
# starts TWO daemons on loopback, offline from the world (no bootstrap, no
# MDNS, no preload), pubsub on (gossipsub), swarm-connected to each other.
#
#   node1  API 127.0.0.1:$PEERS_API1 (5311)  swarm :$((PEERS_API1-1000))
#   node2  API 127.0.0.1:$PEERS_API2 (5321)  swarm :$((PEERS_API2-1000))
#
# Usage: PEERS_DIR=DIR bash tests/peers/peers.sh install|installed|start|stop|status
#   PEERS_DIR  default ${XDG_CACHE_HOME:-~/.cache}/ceramicfs/peers (node_modules and repos)
#   PEERS_RUN  repos, logs and PID files (default $PEERS_DIR); give each user of
#              non-default PEERS_API1/PEERS_API2 its own, since a repo keeps the
#              ports it was made with
#   PEERS_NODELAY=1  start the daemons with TCP_NODELAY on their sockets
#              (nodelay.cjs; js-ipfs 0.66 leaves Nagle on, which costs
#              bitswap ~3x its latency); default off: stock js-ipfs
#   installed  exit 0 when js-ipfs is installed there, 1 when not
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
P=${PEERS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ceramicfs/peers}
R=${PEERS_RUN:-$P}
API1=${PEERS_API1:-5311}
API2=${PEERS_API2:-5321}
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
JSIPFS="$P/ipfs/node_modules/.bin/jsipfs"

log() { echo "[peers $(date +%T)] $*" >&2; }

wait_http() { # url tries(0.5 s each)
  local url=$1 n=${2:-120}
  for _ in $(seq 1 "$n"); do
    curl -sf -m 2 -X POST "$url" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

do_install() {
  mkdir -p "$P/ipfs"
  cp "$HERE/locks/ipfs/package.json" "$HERE/locks/ipfs/package-lock.json" "$P/ipfs/"
  chmod u+w "$P/ipfs/package.json" "$P/ipfs/package-lock.json"
  log "npm install ipfs@0.66.1 into $P/ipfs (a few minutes when the npm cache is cold)"
  # npm install, not npm ci: an optional github tarball dep is missing from the lock
  (cd "$P/ipfs" && npm install --no-audit --no-fund >install.log 2>&1) || { tail -40 "$P/ipfs/install.log"; return 1; }
  [ -x "$JSIPFS" ] || { log "jsipfs missing after install"; return 1; }
  log "install done"
}

init_repo() { # repo api swarm gateway rpc
  local repo=$1
  [ -f "$repo/config" ] && return 0
  cat >"$repo.init.json" <<JSON
{ "Addresses": { "API": "/ip4/127.0.0.1/tcp/$2", "Swarm": ["/ip4/127.0.0.1/tcp/$3"], "Gateway": "/ip4/127.0.0.1/tcp/$4",
                 "RPC": "/ip4/127.0.0.1/tcp/$5", "Delegates": [], "Announce": [], "NoAnnounce": [] },
  "Bootstrap": [], "Discovery": { "MDNS": { "Enabled": false }, "webRTCStar": { "Enabled": false } },
  "Pubsub": { "Enabled": true, "Router": "gossipsub" } }
JSON
  IPFS_PATH=$repo "$JSIPFS" init --emptyRepo "$repo.init.json" >/dev/null
}

start_one() { # name api
  local name=$1 api=$2
  if [ -f "$R/$name.pid" ] && kill -0 "$(cat "$R/$name.pid")" 2>/dev/null; then return 0; fi
  init_repo "$R/$name" "$api" $((api - 1000)) $((api + 1)) $((api + 2))
  local node_options=${NODE_OPTIONS:-}
  [ "${PEERS_NODELAY:-0}" = 1 ] && node_options="$node_options --require $HERE/nodelay.cjs"
  IPFS_PATH="$R/$name" NODE_OPTIONS="$node_options" nohup "$JSIPFS" daemon --enable-preload=false >"$R/$name.log" 2>&1 &
  echo $! >"$R/$name.pid"
  wait_http "http://127.0.0.1:$api/api/v0/id" 120 || { tail -30 "$R/$name.log"; return 1; }
  log "$name up (pid $(cat "$R/$name.pid")) API http://127.0.0.1:$api/api/v0"
}

peer_id() { curl -s -m 5 -X POST "http://127.0.0.1:$1/api/v0/id" | sed -n 's/^{"ID":"\([^"]*\)".*/\1/p'; }

do_start() {
  [ -x "$JSIPFS" ] || { log "not installed in $P (run: $0 install)"; return 1; }
  mkdir -p "$R"
  start_one ipfs1 "$API1"
  start_one ipfs2 "$API2"
  do_connect
}

do_connect() {
  local id1; id1=$(peer_id "$API1")
  [ -n "$id1" ] || { log "no peer id from node1"; return 1; }
  curl -sf -m 10 -X POST "http://127.0.0.1:$API2/api/v0/swarm/connect?arg=/ip4/127.0.0.1/tcp/$((API1 - 1000))/p2p/$id1" >/dev/null
  log "node2 connected to node1 $id1"
}

stop_one() {
  local f=$1 p
  [ -f "$R/$f.pid" ] || return 0
  p=$(cat "$R/$f.pid")
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p"
    for _ in $(seq 1 20); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$p" 2>/dev/null && { log "$f ($p) ignored TERM, sending KILL"; kill -KILL "$p"; }
  fi
  rm -f "$R/$f.pid"; log "$f stopped"
}

do_stop() { stop_one ipfs2; stop_one ipfs1; }

case "${1:-}" in
  install) do_install ;;
  installed) [ -x "$JSIPFS" ] ;;
  start) do_start ;;
  start1) mkdir -p "$R"; start_one ipfs1 "$API1" ;;
  connect) do_connect ;;
  stop) do_stop ;;
  stop1) stop_one ipfs1 ;;
  status) for f in ipfs1 ipfs2; do
            if [ -f "$R/$f.pid" ] && kill -0 "$(cat "$R/$f.pid")" 2>/dev/null; then echo "$f running pid $(cat "$R/$f.pid")"; else echo "$f not running"; fi
          done ;;
  *) echo "usage: $0 install|installed|start|stop|status" >&2; exit 2 ;;
esac
