#!/bin/sh
# offline-commits.sh — build a signed TileDocument and two updates with the
# plumbing commands, without a node: the blocks printed are exactly the ones
# js-ceramic would write for the same key and content.
#
#   examples/offline-commits.sh [KEYFILE]
#
# Uses the node's key (created on first use) unless KEYFILE is given.
set -eu
CFS=${CERAMICFS:-ceramicfs}
command -v "$CFS" >/dev/null 2>&1 || CFS=$(dirname "$0")/../build/ceramicfs
KEY=${1:-${XDG_DATA_HOME:-$HOME/.local/share}/ceramicfs/key}
[ -f "$KEY" ] || "$CFS" did >/dev/null

g=$("$CFS" genesis --key "$KEY" --unique --content '{"title":"notes","items":[]}')
G=$(printf '%s' "$g" | jq -r .cid)
echo "stream  $(printf '%s' "$g" | jq -r .streamId)"
echo "genesis $G"

u1=$("$CFS" commit --key "$KEY" --genesis "$G" --prev "$G" \
    --patch '[{"op":"add","path":"/items/-","value":"buy milk"}]')
P=$(printf '%s' "$u1" | jq -r .cid)
echo "update  $P"

u2=$("$CFS" commit --key "$KEY" --genesis "$G" --prev "$P" \
    --patch '[{"op":"replace","path":"/title","value":"groceries"}]')
echo "update  $(printf '%s' "$u2" | jq -r .cid)"
echo "commit  $(printf '%s' "$u2" | jq -r .commitId)"
