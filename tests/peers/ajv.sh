#!/usr/bin/env bash
# tests/peers/ajv.sh — Ajv, the JSON Schema validator js-ceramic 2.44 (core
# 2.46) validates Models, ModelInstanceDocuments and TileDocuments with:
# ajv 8.20.0 + ajv-formats 2.1.1, the versions its ^8.8.2/^2.1.1 ranges
# resolve to in locks/ceramic, installed from npm with the exact tree in
# locks/ajv. tests/schema_js_test.sh runs it against core/jsonschema.c.
#
#   tests/peers/ajv.sh install    npm ci into $AJV_DIR (default ~/.cache/ceramicfs/ajv)
#   tests/peers/ajv.sh installed  exit 0 when installed
#   tests/peers/ajv.sh dir        print the install directory
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${AJV_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ceramicfs/ajv}
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

log() { echo "[ajv $(date +%T)] $*" >&2; }

case "${1:-}" in
install)
  command -v node >/dev/null && command -v npm >/dev/null || { log "node and npm are needed"; exit 1; }
  mkdir -p "$DIR"
  cp "$HERE/locks/ajv/package.json" "$HERE/locks/ajv/package-lock.json" "$DIR/"
  chmod u+w "$DIR/package.json" "$DIR/package-lock.json"
  (cd "$DIR" && npm ci --ignore-scripts --no-audit --no-fund >install.log 2>&1) || { tail -30 "$DIR/install.log"; exit 1; }
  log "ajv installed in $DIR"
  ;;
installed)
  [ -f "$DIR/node_modules/ajv/dist/2020.js" ] && [ -f "$DIR/node_modules/ajv-formats/dist/index.js" ]
  ;;
dir)
  echo "$DIR"
  ;;
*)
  echo "usage: $0 install|installed|dir" >&2; exit 2
  ;;
esac
