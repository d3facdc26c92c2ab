#!/bin/sh
# edit-with-tools.sh — a document edited with ordinary tools on a mounted
# ceramicfs (examples/demo.sh mounts one): mkdir creates it, each save
# from echo, sed, jq | sponge and vim is one signed commit, a broken save
# is refused and reported, and .log and .history show the result.
#
#   usage: examples/edit-with-tools.sh MOUNTPOINT
set -eu

M=${1:?usage: edit-with-tools.sh MOUNTPOINT}
D=$M/shopping-$$

mkdir "$D"                                              # a new, pending document
echo '{"items":["milk"]}' >"$D/content.json"            # its genesis commit
sed -i 's/"milk"/"milk","eggs"/' "$D/content.json"      # commit 2
if command -v sponge >/dev/null; then
    jq -c '.items += ["bread"]' "$D/content.json" | sponge "$D/content.json"   # commit 3
fi
if command -v vim >/dev/null; then
    vim -u NONE -i NONE -es -c '%s/"bread"/"rye bread"/' -c wq "$D/content.json"  # commit 4
fi
echo '{"items":' >"$D/content.json" || true             # refused: not JSON (bash ignores the error)
echo "state: $(getfattr --absolute-names --only-values -n user.ceramic.state "$D/content.json" 2>/dev/null || echo '?')"
tail -1 "$M/.errors" | jq -r .message
echo '{"items":["milk","eggs","rye bread"]}' >"$D/content.json"   # a valid save fixes it

echo "--- $D/.log"
jq -c '{type, cid, data}' "$D/.log"
echo "--- $D/.history"
ls "$D/.history"
echo "--- StreamID: $(cat "$D/.streamid")"
