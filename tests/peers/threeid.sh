#!/usr/bin/env bash
# threeid.sh — js-3id's DID provider (@3id/did-provider 0.4.1, what 3ID
# Connect and ThreeIdProvider users sign did:3 commits with) for the interop
# tests, installed from npm with the exact tree in locks/threeid (226
# packages, no install scripts, ~30 s). tests/interop/three.mjs runs in it.
#
# Usage: bash tests/peers/threeid.sh install|installed|dir
#   THREEID_DIR  install dir (default ${XDG_CACHE_HOME:-~/.cache}/ceramicfs/3id)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${THREEID_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ceramicfs/3id}
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

log() { echo "[3id $(date +%T)] $*" >&2; }

installed() {
  [ -f "$DIR/node_modules/@3id/did-provider/package.json" ] &&
    cmp -s "$HERE/locks/threeid/package-lock.json" "$DIR/package-lock.json"
}

do_install() {
  command -v node >/dev/null && command -v npm >/dev/null || { log "node and npm are needed"; return 1; }
  mkdir -p "$DIR"
  cp "$HERE/locks/threeid/package.json" "$HERE/locks/threeid/package-lock.json" "$DIR/"
  chmod u+w "$DIR/package.json" "$DIR/package-lock.json"
  local t0=$SECONDS
  (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund >install.log 2>&1) || { tail -40 "$DIR/install.log"; return 1; }
  installed || { log "@3id/did-provider missing after install"; return 1; }
  log "install done in $((SECONDS - t0)) s"
}

case "${1:-}" in
  install) do_install ;;
  installed) installed || { log "not installed in $DIR (run: $0 install)"; exit 1; } ;;
  dir) echo "$DIR" ;;
  *) echo "usage: $0 install|installed|dir" >&2; exit 2 ;;
esac
