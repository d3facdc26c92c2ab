#!/usr/bin/env bash
# tests/peers/chain.sh — a real local Ethereum chain for the anchoring tests:
# ganache 7.9.2 from npm (exact tree in tests/peers/locks/chain/package-lock.json),
# on 127.0.0.1 only, chain id 1337, deterministic unlocked accounts, a block per
# transaction (instamine eager), no network beyond loopback once installed.
#
#   tests/peers/chain.sh install   npm ci into $CHAIN_DIR (default ~/.cache/ceramicfs/chain)
#   tests/peers/chain.sh start     start on 127.0.0.1:$CHAIN_PORT (default 18545), wait until it answers
#   tests/peers/chain.sh stop      stop the process started by 'start' (by its PID file)
#   tests/peers/chain.sh status    exit 0 when it answers eth_chainId
#   tests/peers/chain.sh url       print the JSON-RPC URL
#   tests/peers/chain.sh installed exit 0 when installed
#   CHAIN_RUN: where start keeps chain.pid and chain.log (default $CHAIN_DIR);
#   give each user of a non-default CHAIN_PORT its own
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${CHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ceramicfs/chain}
RUN=${CHAIN_RUN:-$DIR}
PORT=${CHAIN_PORT:-18545}
URL="http://127.0.0.1:$PORT"
CLI="$DIR/node_modules/ganache/dist/node/cli.js"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

log() { echo "[chain $(date +%T)] $*" >&2; }

answers() {
  curl -sf -m 2 -X POST -H 'Content-Type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$URL" 2>/dev/null | grep -q '"result":"0x539"'
}

case "${1:-}" in
install)
  command -v node >/dev/null && command -v npm >/dev/null || { log "node and npm are needed"; exit 1; }
  mkdir -p "$DIR"
  cp "$HERE/locks/chain/package.json" "$HERE/locks/chain/package-lock.json" "$DIR/"
  # no install scripts: ganache ships prebuilt/JS fallbacks for its native modules
  (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund >install.log 2>&1) || { tail -30 "$DIR/install.log"; exit 1; }
  log "ganache installed in $DIR"
  ;;
installed)
  [ -f "$CLI" ]
  ;;
start)
  [ -f "$CLI" ] || { log "not installed: $0 install"; exit 1; }
  if answers; then log "a chain already answers on $URL"; exit 0; fi
  mkdir -p "$RUN"
  nohup node "$CLI" --server.host 127.0.0.1 --server.port "$PORT" --chain.chainId 1337 \
    --wallet.deterministic --miner.instamine eager --logging.quiet >"$RUN/chain.log" 2>&1 &
  echo $! >"$RUN/chain.pid"
  for _ in $(seq 1 120); do
    if answers; then log "ganache up on $URL (pid $(cat "$RUN/chain.pid"))"; exit 0; fi
    kill -0 "$(cat "$RUN/chain.pid")" 2>/dev/null || break
    sleep 0.5
  done
  log "ganache did not come up"; cat "$RUN/chain.log" >&2; exit 1
  ;;
stop)
  if [ -f "$RUN/chain.pid" ]; then
    pid=$(cat "$RUN/chain.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$RUN/chain.pid"
    log "stopped (pid $pid)"
  fi
  ;;
status)
  answers
  ;;
url)
  echo "$URL"
  ;;
*)
  echo "usage: $0 install|installed|start|stop|status|url" >&2; exit 2
  ;;
esac
