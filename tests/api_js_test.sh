#!/bin/sh
# api_js_test.sh — apps on ceramicfs: the real @ceramicnetwork/http-client
# (tests/interop/api.mjs, tile.mjs) against a mount's --api and against the
# real js-ceramic 2.44, sharing one set of daemons:
#  1. the same app session (a TileDocument created, updated twice, loaded by
#     StreamID and CommitID, a multiquery, the content route, pins removed,
#     listed, added through the admin API) gives the same states and answers
#     from both nodes (serializeState's JSON, compared whole); the same for
#     an app writing as an Ethereum account through a DIDSession (did:pkh,
#     session key under a CACAO), whose commit under a CACAO for other
#     streams both refuse;
#  2. one node, two doors: the app's write is in the mount (content.json),
#     a later app update replaces what the mount showed, and a mount save
#     (mkdir + content.json) is what the app loads next;
#  3. malformed requests (bad JSON, bad StreamIDs, an oversize body, a
#     forged genesis signature) get js's {error} and change nothing;
#  4. `ceramicfs daemon --api --ipfs` serves the app without a mount: the
#     mount's saves, and a stream only js-ceramic has (loaded from the
#     network); it stops on SIGTERM with status 0;
#  5. with its IPFS unreachable, the healthcheck is js's 503 "IPFS unreachable".
# Ports: INTEROP_API1/INTEROP_API2 (js-ipfs), INTEROP_CERAMIC_PORT (js-ceramic),
# API_JS_PORT (ceramicfs's API). Without FUSE, node or the peers: SKIP (77),
# a failure with CI set.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
NAME=api_js_test WHAT="js-ceramic's HTTP API served by ceramicfs to the real client"
. "$HERE/interop/lib.sh"
export PEERS_API1=${INTEROP_API1:-5335} PEERS_API2=${INTEROP_API2:-5345}
export CERAMIC_PORT=${INTEROP_CERAMIC_PORT:-17047}
export CERAMIC_IPFS=http://127.0.0.1:$PEERS_API1/api/v0
export CERAMIC_TOPIC=/ceramic/inmemory-cfs-apijs-$$
JS=http://127.0.0.1:$CERAMIC_PORT
APIP=${API_JS_PORT:-17057}
US=http://127.0.0.1:$APIP
API="node $HERE/interop/api.mjs"

t0=$(date +%s)
interop_need peers ceramic
interop_start_tmp cfs-apijs
# the app's key is the mount's (one user, two doors) and an admin DID of both nodes
SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
export SEED CERAMIC_ADMIN_DIDS="$($CFS did --seed-hex $SEED)"
(umask 077 && echo $SEED >"$T/key")
interop_up peers
interop_up ceramic
M=$T/mnt
interop_mount "$M" --state "$T/state" --key "$T/key" --anchor none --api "127.0.0.1:$APIP"
until_ok 60 curl -sf "$US/api/v0/node/healthcheck" || bad "the mount's API answers"
eq "healthcheck" "$(curl -s "$US/api/v0/node/healthcheck")" "Alive!"

# 1. the same session against both nodes
fam=api-js-$$
# (one client process per node runs 1, 1b and 1c)
EK=0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318
all_ours=$(CERAMIC_URL=$US ETH_KEY=$EK timeout 90 $API session,cacao,models "$fam" 2>>"$T/tile.err")
all_theirs=$(CERAMIC_URL=$JS ETH_KEY=$EK timeout 90 $API session,cacao,models "$fam" 2>>"$T/tile.err")
[ -n "$all_ours" ] || bad "session against ceramicfs"
[ -n "$all_theirs" ] || bad "session against js-ceramic"
ours=$(printf '%s' "$all_ours" | jq -c .session) theirs=$(printf '%s' "$all_theirs" | jq -c .session)
cours=$(printf '%s' "$all_ours" | jq -c .cacao) ctheirs=$(printf '%s' "$all_theirs" | jq -c .cacao)
mours=$(printf '%s' "$all_ours" | jq -c .models) mtheirs=$(printf '%s' "$all_theirs" | jq -c .models)
for k in streamId state loaded atCommit1 multiquery content pins; do
    eq "same $k as js" "$(printf '%s' "$ours" | jq -cS ".$k")" "$(printf '%s' "$theirs" | jq -cS ".$k")"
done
eq "two updates in the log" "$(printf '%s' "$ours" | jq '.state.log | length')" 3
eq "pins listed" "$(printf '%s' "$ours" | jq -c '.pins.pinned | length')" 1

# 1b. an app writing as an Ethereum account through a DIDSession (did:pkh,
# commits signed by a session key under a CACAO that travels as cacaoBlock)
for k in streamId state loaded refused unchanged; do
    eq "DIDSession: same $k as js" "$(printf '%s' "$cours" | jq -cS ".$k")" "$(printf '%s' "$ctheirs" | jq -cS ".$k")"
done
eq "DIDSession: the log entries' keys in js's order" "$(printf '%s' "$cours" | jq -c '.state.log')" \
    "$(printf '%s' "$ctheirs" | jq -c '.state.log')"
eq "DIDSession: controller did:pkh, commit with its capability" \
    "$(printf '%s' "$cours" | jq -c '[(.state.metadata.controllers[0] | startswith("did:pkh:eip155:1:0x")), (.state.log | length)]')" '[true,2]'
eq "DIDSession: a CACAO for other streams refused, nothing changed" "$(printf '%s' "$cours" | jq -c '[.refused, .unchanged]')" '[true,true]'
csid=$(printf '%s' "$cours" | jq -r .streamId)
eq "DIDSession: the app's write in the mount" "$(t jq -c .by "$M/$csid/content.json")" '"a DIDSession"'

# 1c. ComposeDB's streams through the real client: Models, MIDs
for k in models modelsLoaded mid midLoaded refused midTip single singleLoaded; do
    eq "models: same $k as js" "$(printf '%s' "$mours" | jq -cS ".$k")" "$(printf '%s' "$mtheirs" | jq -cS ".$k")"
done
eq "models: list MID replaced, schema-breaking replace refused" \
    "$(printf '%s' "$mours" | jq -cS '[.midLoaded.content, .refused, .midTip]')" '[{"n":2,"title":"second"},true,true]'
eq "models: the single MID's content" "$(printf '%s' "$mours" | jq -c '.singleLoaded.content')" '{"name":"me"}'

# 2. one node, two doors
sid=$(printf '%s' "$ours" | jq -r .streamId)
eq "app write in the mount" "$(t jq -cS . "$M/$sid/content.json")" "$(printf '%s' "$ours" | jq -cS .content)"
CERAMIC_URL=$US tile update "$sid" '{"title":"again","n":3}' --no-anchor >/dev/null || bad "app update"
eq "app update replaces what the mount showed" "$(t jq -c .n "$M/$sid/content.json")" 3
mkdir "$M/notes" && echo '{"t":1}' >"$M/notes/content.json" || bad "mount save"
nid=$(cat "$M/notes/.streamid")
eq "mount save seen by the app" "$(CERAMIC_URL=$US tile load "$nid" | jq -c .content)" '{"t":1}'
echo '{"t":2}' >"$M/notes/content.json"
eq "next mount save seen by the app" "$(CERAMIC_URL=$US tile load "$nid" | jq -c .content)" '{"t":2}'

# 3. malformed requests: js's error shape, nothing changes
before=$(t jq -c '[.streams, .unpublished]' "$M/.status")
ls_before=$(ls "$M" | wc -l)
post() { curl -s -o "$T/body" -w '%{http_code}' -X POST -H 'content-type: application/json' --data-binary "$2" "$US/api/v0/$1"; }
err() { jq -e 'keys == ["error"]' "$T/body" >/dev/null && echo err; }
eq "bad JSON" "$(post streams '{"type":0,')$(err)" 500err
eq "bad StreamID" "$(curl -s -o "$T/body" -w '%{http_code}' "$US/api/v0/streams/notastreamid")$(err)" 500err
eq "bad StreamID in a commit" "$(post commits '{"streamId":"kxyz","commit":{}}')$(err)" 500err
head -c 1100000 /dev/zero | tr '\0' ' ' >"$T/big"
eq "oversize body" "$(post streams "@$T/big")$(err)" 500err
genesis=$(jq -r '.exchanges[] | select(.label == "create") | .body' "$HERE/vectors/js-api/exchanges.json")
forged=$(printf '%s' "$genesis" | jq -c '.genesis.jws.signatures[0].signature |= (.[0:10] + (if .[10:11] == "A" then "B" else "A" end) + .[11:])')
eq "forged genesis" "$(post streams "$forged")$(err)" 500err
eq "genuine genesis" "$(post streams "$genesis")" 200
eq "forged genesis made nothing" "$(ls "$M" | wc -l)" $((ls_before + 1))
eq "legacy pins" "$(curl -s -o "$T/body" -w '%{http_code}' "$US/api/v0/pins")$(err)" 400err
eq "admin without authorization" "$(curl -s -o "$T/body" -w '%{http_code}' "$US/api/v0/admin/pins")$(err)" 401err
after=$(t jq -c '[.streams - 1, .unpublished - 1]' "$M/.status")
eq "nothing else changed" "$after" "$before"

interop_unmount "$M" "$MPID" "mount exits 0"

# 4. the daemon without a mount, on the same state
jsid=$(CERAMIC_URL=$JS tile create '{"only":"js"}' --no-anchor | jq -r .streamId)
$CFS daemon --state "$T/state" --key "$T/key" --anchor none --api "127.0.0.1:$APIP" \
    --ipfs "http://127.0.0.1:$PEERS_API2/api/v0" --pubsub-topic "$CERAMIC_TOPIC" 2>>"$T/daemon.log" &
DPID=$!
PIDS="$PIDS $DPID"
until_ok 60 curl -sf "$US/api/v0/node/healthcheck" || bad "the daemon's API answers"
eq "daemon serves the mount's saves" "$(CERAMIC_URL=$US tile load "$nid" | jq -c .content)" '{"t":2}'
eq "daemon loads js's stream from the network" "$(CERAMIC_URL=$US tile load "$jsid" | jq -c .content)" '{"only":"js"}'
kill -TERM $DPID
wait $DPID
eq "daemon exits 0 on SIGTERM" "$?" 0

# 5. a node whose IPFS is unreachable is not healthy: js's 503 (unless checkIpfs=false)
$CFS daemon --state "$T/state-noipfs" --anchor none --api "127.0.0.1:$APIP" \
    --ipfs http://127.0.0.1:1/api/v0 2>>"$T/daemon.log" &
DPID=$!
PIDS="$PIDS $DPID"
until_ok 10 curl -sf "$US/api/v0/node/healthcheck?checkIpfs=false" || bad "the daemon without IPFS answers"
hc() { curl -s -o "$T/body" -w '%{http_code} %{content_type} ' "$US/api/v0/node/healthcheck$1" && cat "$T/body"; }
eq "healthcheck, IPFS unreachable" "$(hc '')" "503 text/html; charset=utf-8 IPFS unreachable"
eq "healthcheck?checkIpfs=false" "$(hc '?checkIpfs=false')" "200 text/html; charset=utf-8 Alive!"
kill -TERM $DPID
wait $DPID
interop_finish
