#!/usr/bin/env bash
# ceramic.sh — the reference Ceramic node for the interop tests:
# @ceramicnetwork/cli 2.44.0 (core 2.46, the last line that syncs over IPFS
# pubsub) installed from npm with the exact tree in locks/ceramic, started on
# loopback with network inmemory (in-memory anchors, no chain, no CAS), a
# fixed pubsub topic and REMOTE IPFS = js-ipfs daemon 1 of peers.sh. The C
# node must use daemon 2 (js-ceramic ignores pubsub messages from its own
# IPFS peer).
#
# Usage: bash tests/peers/ceramic.sh install|installed|start|stop|status|url|log
#   CERAMIC_DIR    install dir (default ${XDG_CACHE_HOME:-~/.cache}/ceramicfs/ceramic)
#   CERAMIC_RUN    runtime dir: config, state, ceramic.log, ceramic.pid (default $CERAMIC_DIR/run)
#   CERAMIC_PORT   HTTP API port on 127.0.0.1 (default 7007)
#   CERAMIC_IPFS   IPFS HTTP API (default http://127.0.0.1:${PEERS_API1:-5311}/api/v0)
#   CERAMIC_TOPIC  pubsub topic (default /ceramic/inmemory-cfs)
#   CERAMIC_NETWORK  inmemory (default) or local; local also takes
#   CERAMIC_ANCHOR_URL (the CAS, default http://127.0.0.1:8081) and
#   CERAMIC_ETH_RPC (the chain, default tests/peers/chain.sh's http://127.0.0.1:18545);
#   CERAMIC_ANCHOR_AUTH_SEED (64 hex digits): the node's seed, and its
#   requests to the CAS DID-signed (anchor auth-method did)
#   CERAMIC_ADMIN_DIDS  DIDs allowed on the admin API (pins), comma-separated
# Install workarounds: go-ipfs, kubo and
# @scarf/scarf install scripts denied in package.json "allowScripts": they
# download from GitHub / call home; sqlite3 falls back to a node-gyp build
# that needs g++, make, python3 and the node headers (nodedir).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${CERAMIC_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ceramicfs/ceramic}
RUN=${CERAMIC_RUN:-$DIR/run}
PORT=${CERAMIC_PORT:-7007}
IPFS=${CERAMIC_IPFS:-http://127.0.0.1:${PEERS_API1:-5311}/api/v0}
TOPIC=${CERAMIC_TOPIC:-/ceramic/inmemory-cfs}
NETWORK=${CERAMIC_NETWORK:-inmemory}
ANCHOR_URL=${CERAMIC_ANCHOR_URL:-http://127.0.0.1:8081}
ETH_RPC=${CERAMIC_ETH_RPC:-http://127.0.0.1:18545}
URL="http://127.0.0.1:$PORT"
BIN="$DIR/node_modules/.bin/ceramic"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
[ -d /usr/include/node ] && export npm_config_nodedir=${npm_config_nodedir:-/usr}

log() { echo "[ceramic $(date +%T)] $*" >&2; }

alive() { curl -sf -m 3 "$URL/api/v0/node/healthcheck" 2>/dev/null | grep -q Alive; }

do_install() {
  command -v node >/dev/null && command -v npm >/dev/null || { log "node and npm are needed"; return 1; }
  command -v g++ >/dev/null && command -v make >/dev/null && command -v python3 >/dev/null ||
    log "warning: g++/make/python3 missing; the sqlite3 source build will fail"
  mkdir -p "$DIR"
  cp "$HERE/locks/ceramic/package.json" "$HERE/locks/ceramic/package-lock.json" "$DIR/"
  chmod u+w "$DIR/package.json" "$DIR/package-lock.json"
  log "npm ci @ceramicnetwork/cli@2.44.0 into $DIR (several minutes: ~1000 packages, sqlite3 built from source)"
  local t0=$SECONDS
  (cd "$DIR" && npm ci --no-audit --no-fund >install.log 2>&1) || { tail -40 "$DIR/install.log"; return 1; }
  [ -x "$BIN" ] || { log "ceramic binary missing after install"; return 1; }
  (cd "$DIR" && node -e 'require("sqlite3")') || { log "sqlite3 native module missing: (cd $DIR && npm rebuild sqlite3)"; return 1; }
  log "install done in $((SECONDS - t0)) s"
}

do_start() {
  [ -x "$BIN" ] || { log "not installed in $DIR (run: $0 install)"; return 1; }
  if [ -f "$RUN/ceramic.pid" ] && kill -0 "$(cat "$RUN/ceramic.pid")" 2>/dev/null; then return 0; fi
  alive && { log "something already answers on $URL; choose another CERAMIC_PORT"; return 1; }
  mkdir -p "$RUN/state"
  local anchor='{}' auth='' node='{}' admins=''
  [ -n "${CERAMIC_ADMIN_DIDS:-}" ] && admins="\"$(printf '%s' "$CERAMIC_ADMIN_DIDS" | sed 's/,/", "/g')\""
  if [ -n "${CERAMIC_ANCHOR_AUTH_SEED:-}" ]; then
    auth=', "auth-method": "did"'
    node="{ \"private-seed-url\": \"inplace:ed25519#$CERAMIC_ANCHOR_AUTH_SEED\" }"
  fi
  case "$NETWORK" in
    inmemory) ;;
    local) anchor="{ \"anchor-service-url\": \"$ANCHOR_URL\", \"ethereum-rpc-url\": \"$ETH_RPC\"$auth }" ;;
    *) log "CERAMIC_NETWORK: inmemory or local, not '$NETWORK'"; return 1 ;;
  esac
  cat >"$RUN/ceramic.config.json" <<JSON
{
  "anchor": $anchor,
  "http-api": { "hostname": "127.0.0.1", "port": $PORT, "cors-allowed-origins": [".*"], "admin-dids": [$admins] },
  "ipfs": { "mode": "remote", "host": "$IPFS" },
  "logger": { "log-level": 2, "log-to-files": false, "log-directory": "$RUN/state/logs" },
  "metrics": { "metrics-exporter-enabled": false, "prometheus-exporter-enabled": false },
  "network": { "name": "$NETWORK", "pubsub-topic": "$TOPIC" },
  "node": $node,
  "state-store": { "mode": "fs", "local-directory": "$RUN/state/statestore" },
  "indexing": { "db": "sqlite://$RUN/state/indexing.sqlite", "allow-queries-before-historical-sync": true, "enable-historical-sync": false }
}
JSON
  # HOME: ~/.ceramic stays inside the run directory
  HOME="$RUN/state" nohup "$BIN" daemon --config "$RUN/ceramic.config.json" >"$RUN/ceramic.log" 2>&1 &
  echo $! >"$RUN/ceramic.pid"
  for _ in $(seq 1 240); do
    alive && { log "up (pid $(cat "$RUN/ceramic.pid")) $URL, network $NETWORK, IPFS $IPFS, topic $TOPIC"; return 0; }
    kill -0 "$(cat "$RUN/ceramic.pid")" 2>/dev/null || break
    sleep 0.5
  done
  log "did not come up"; tail -40 "$RUN/ceramic.log" >&2; return 1
}

do_stop() {
  local p
  [ -f "$RUN/ceramic.pid" ] || return 0
  p=$(cat "$RUN/ceramic.pid")
  if kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p"
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$p" 2>/dev/null && { log "pid $p ignored TERM, sending KILL"; kill -KILL "$p"; }
  fi
  rm -f "$RUN/ceramic.pid"; log "stopped"
}

case "${1:-}" in
  install) do_install ;;
  installed) [ -x "$BIN" ] && [ -d "$DIR/node_modules/@ceramicnetwork/http-client" ] ;;
  start) do_start ;;
  stop) do_stop ;;
  status) if [ -f "$RUN/ceramic.pid" ] && kill -0 "$(cat "$RUN/ceramic.pid")" 2>/dev/null; then echo "ceramic running pid $(cat "$RUN/ceramic.pid") $URL"; else echo "ceramic not running"; fi ;;
  url) echo "$URL" ;;
  log) cat "$RUN/ceramic.log" ;;
  *) echo "usage: $0 install|installed|start|stop|status|url|log" >&2; exit 2 ;;
esac
