#!/bin/sh
# demo.sh — mount a demo: a fresh state directory on the embedded store, a
# mount point beside it, two example documents, and how to use and unmount
# it. Run again: it reuses the same directory (remounting if needed).
#
#   usage: examples/demo.sh [DIR]      (default ~/ceramicfs-demo)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CFS=${CERAMICFS:-$HERE/../build/ceramicfs}
# installed (/usr/share/doc/ceramicfs/examples): the ceramicfs on PATH
[ -n "${CERAMICFS:-}" ] || [ -x "$CFS" ] || CFS=ceramicfs
DEMO=${1:-$HOME/ceramicfs-demo}
M=$DEMO/mnt

mkdir -p "$M"
if mountpoint -q "$M"; then
    echo "demo: $M is mounted already"
else
    # a daemon in the background; messages go to syslog (journalctl -t ceramicfs)
    $CFS mount "$M" --state "$DEMO/state"
fi

if [ ! -d "$M/welcome" ]; then
    mkdir "$M/welcome"
    cat >"$M/welcome/content.json" <<'JSON'
{
  "title": "Welcome to ceramicfs",
  "body": "Each complete save of this file is one signed Ceramic commit.",
  "try": ["cat .log", "sed -i", "vim", "jq"]
}
JSON
fi
if [ ! -d "$M/todo" ]; then
    mkdir "$M/todo"
    echo '{"items":[{"task":"edit me with vim","done":false}]}' >"$M/todo/content.json"
fi

cat <<MSG

ceramicfs demo mounted on $M (state in $DEMO/state)

  ls -la $M                       one directory per document
  cat $M/welcome/content.json     the document
  cat $M/welcome/.log             its signed commits, one JSON object per line
  sed -i 's/false/true/' $M/todo/content.json    one save = one commit
  vim $M/todo/content.json        the same from an editor
  mkdir $M/notes && echo '{"a":1}' > $M/notes/content.json    a new document
  cat $M/.errors                  saves that were refused, and why

Unmount with:  fusermount3 -u $M
MSG
