#!/bin/sh
# interop_cas_test.sh — ceramicfs as the anchor service of a js-ceramic
# network: js-ceramic (cli 2.44.0, core 2.46) on network `local` with
# anchor-service-url = `ceramicfs cas serve` and ethereum-rpc = the
# project's ganache (tests/peers/chain.sh, chain id 1337).
#
#  1. js-ceramic starts against it (supported_chains = eip155:1337).
#  2. TileDocuments created (two in one batch: a two-leaf tree) and updated
#     in js are anchored by ceramicfs: js
#     posts its CAR requests, polls, applies the witness CAR and reports
#     ANCHORED; its proof is ceramicfs's (chain, tx, root as ceramicfs's
#     CAS answers them) and the transaction is on ganache, to the anchor
#     contract, carrying the root.
#  3. A ceramicfs mount (its own js-ipfs daemon, anchoring off, checking
#     eip155 anchors through ganache) loads the documents with the same log,
#     the same anchor commit and the same anchor time.
#  4. js-ceramic logs no error and no failed anchor.
#  5. DID-signed requests: the CAS again with --allow js's node DID, js
#     restarted with anchor auth-method did (node private-seed-url): js
#     connects (signed supported_chains), its signed request is the DID's
#     and is anchored; nothing is refused.
#
# Ports: INTEROP_API1/2 (5371/5381), INTEROP_CERAMIC_PORT (17037), chain
# INTEROP_CHAIN_PORT (18585), the CAS INTEROP_CAS_PORT (18091). Needs FUSE,
# the peers, js-ceramic and ganache; with CI set it installs them or fails,
# without CI it SKIPS loudly (exit 77).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
NAME=interop_cas_test WHAT="ceramicfs as the anchor service (CAS) of js-ceramic"
. "$HERE/interop/lib.sh"
export PEERS_API1=${INTEROP_API1:-5371} PEERS_API2=${INTEROP_API2:-5381}
export CERAMIC_PORT=${INTEROP_CERAMIC_PORT:-17037} CHAIN_PORT=${INTEROP_CHAIN_PORT:-18585}
CAS_PORT=${INTEROP_CAS_PORT:-18091}
CAS=http://127.0.0.1:$CAS_PORT
export CERAMIC_URL=http://127.0.0.1:$CERAMIC_PORT CERAMIC_IPFS=http://127.0.0.1:$PEERS_API1/api/v0
export CERAMIC_NETWORK=local CERAMIC_ANCHOR_URL=$CAS CERAMIC_ETH_RPC=http://127.0.0.1:$CHAIN_PORT
export CERAMIC_TOPIC=/ceramic/local-cfs-cas-$$
API2=http://127.0.0.1:$PEERS_API2/api/v0

interop_need peers ceramic chain
interop_start_tmp cfs-interop-cas
M=$T/m
rpc() { curl -sf -m 10 -X POST -H 'Content-Type: application/json' \
    --data "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$CERAMIC_ETH_RPC"; }

t0=$(date +%s)
interop_up chain
interop_up peers
# the blocks of each batch go to daemon 2 (ceramicfs's side); js-ceramic gets
# them from the witness CAR (and could over bitswap). Batches run when the
# test says so (SIGUSR1), so that one batch holds two documents: a tree of
# two leaves, paths 0 and 1, one transaction.
$CFS cas serve --listen "127.0.0.1:$CAS_PORT" --ipfs "$API2" --chain eth --eth-rpc "$CERAMIC_ETH_RPC" \
    --anchor-interval 3600 --poll-wait 20 2>>"$T/cas.log" &
PCAS=$!
PIDS="$PIDS $PCAS"
if until_ok 20 curl -sf -m 2 "$CAS/api/v0/service-info/supported_chains"; then ok "ceramicfs CAS listens"; else
    bad "the CAS did not come up"; cat "$T/cas.log"; exit 1; fi
eq cas.chains "$(curl -sf -m 5 "$CAS/api/v0/service-info/supported_chains" | jq -c .)" '{"supportedChains":["eip155:1337"]}'
interop_up ceramic
echo "peers up in $(($(date +%s) - t0)) s"
eq ceramic.uses.our.cas "$(grep -c "Connected to anchor service '$CAS' with supported anchor chains \['eip155:1337'\]" "$T/ceramic/ceramic.log")" 1

# ---- 2. js documents, anchored by ceramicfs ----
tile create '{"title":"anchored by ceramicfs","n":1}' >"$T/c1.json" &
w1=$!
tile create '{"title":"another one"}' >"$T/c2.json" &
w2=$!
wait $w1; wait $w2
SID1=$(jq -r .streamId "$T/c1.json")
SID2=$(jq -r .streamId "$T/c2.json")
case "$SID1$SID2" in kjzl6cwe1jw14*kjzl6cwe1jw14*) ok "js created $SID1 $SID2" ;; *) bad "js create: $(cat "$T/c1.json" "$T/c2.json") $(tail -5 "$T/tile.err")"; interop_finish ;; esac
# js posts its requests (CAR bodies) to ceramicfs; then one batch
requests() { [ "$(grep -c " request .* (CAR)" "$T/cas.log")" -ge "$1" ]; }
if until_ok 30 requests 2; then ok "ceramicfs's CAS got js's two requests"; else bad "requests: $(cat "$T/cas.log")"; fi
kill -USR1 "$PCAS"
js_anchored() { J=$(tile load "$1") && [ "$(printf '%s' "$J" | jq -r .anchorStatus)" = ANCHORED ]; }
for s in "$SID1" "$SID2"; do
    if until_ok 90 js_anchored "$s"; then ok "js reports $s ANCHORED (by ceramicfs)"; else
        bad "js: $s not anchored: $(printf '%s' "${J:-}" | jq -c '{anchorStatus,log}' 2>/dev/null)"; fi
done
J=$(tile load "$SID1")
GEN=$(printf '%s' "$J" | jq -r '.log[0].cid')
AC=$(printf '%s' "$J" | jq -r '[.log[] | select(.type == 2)] | last | .cid')
eq js.log.types "$(printf '%s' "$J" | jq -r '[.log[].type] | map(tostring) | join(" ")')" "0 2"
# what ceramicfs's CAS says about js's request: the same anchor commit
R=$(curl -sf -m 30 "$CAS/api/v0/requests/$GEN")
eq cas.status "$(printf '%s' "$R" | jq -r .status)" COMPLETED
eq cas.streamId "$(printf '%s' "$R" | jq -r .streamId)" "$SID1"
eq cas.anchorCommit "$(printf '%s' "$R" | jq -r .anchorCommit.cid)" "$AC"
eq js.anchor.chain "$(printf '%s' "$J" | jq -r .anchorChain)" eip155:1337
eq js.anchor.tx.in.cas.log "$(grep -c "tx $(printf '%s' "$J" | jq -r .anchorTx)" "$T/cas.log")" 1
# the transaction on ganache: to the anchor contract, anchorDagCbor(root)
TX=$(rpc eth_getTransactionByHash "[\"$(printf '%s' "$J" | jq -r .anchorTxHex)\"]")
eq chain.tx.to "$(printf '%s' "$TX" | jq -r .result.to)" 0x231055a0852d67c7107ad0d0dfeab60278fe6adc
IN=$(printf '%s' "$TX" | jq -r .result.input)
# the input: the 4-byte selector of anchorDagCbor(bytes32), then the root's sha2-256 digest
ROOTHEX=$(printf '%s' "$J" | jq -r .anchorRootHex)
case "$IN" in 0x????????"$ROOTHEX") ok "the transaction carries the root $(printf '%s' "$J" | jq -r .anchorRoot)" ;;
    *) bad "chain.tx.input: '$IN' does not end with the root '$ROOTHEX'" ;; esac
BLK=$(rpc eth_getBlockByHash "[\"$(printf '%s' "$TX" | jq -r .result.blockHash)\",false]" | jq -r .result.timestamp)
eq js.anchor.time "$(printf '%s' "$J" | jq -r .anchorTime)" "$(printf '%d' "$BLK")"

eq one.batch "$(tile load "$SID2" | jq -r .anchorTx)" "$(printf '%s' "$J" | jq -r .anchorTx)"

# an update in js, anchored again
J=$(tile update "$SID1" '{"title":"anchored by ceramicfs","n":2}')
if until_ok 30 requests 3; then ok "the update's request"; else bad "no request for the update: $(tail -3 "$T/cas.log")"; fi
kill -USR1 "$PCAS"
js_two() { J=$(tile load "$SID1") && [ "$(printf '%s' "$J" | jq -r '[.log[] | select(.type == 2)] | length')" = 2 ] &&
    [ "$(printf '%s' "$J" | jq -r .anchorStatus)" = ANCHORED ]; }
if until_ok 90 js_two; then ok "js's update anchored by ceramicfs too"; else bad "update not anchored: $(printf '%s' "$J" | jq -c '{anchorStatus,log}')"; fi
eq js.log.types.2 "$(printf '%s' "$J" | jq -r '[.log[].type] | map(tostring) | join(" ")')" "0 2 1 2"

# ---- 3. a ceramicfs node sees the same anchors ----
interop_mount "$M" --state "$T/sm" --network local --pubsub-topic "$CERAMIC_TOPIC" --ipfs "$API2" \
    --anchor none --eth-rpc "$CERAMIC_ETH_RPC"
PM=$MPID
for s in "$SID1" "$SID2"; do
    J=$(tile load "$s")
    fs_has() { [ "$(fslog "$M/$s/.log")" = "$(jslog "$J")" ]; }
    if until_ok 60 fs_has; then ok "the mount loads $s with js's log"; else bad "mount log of $s: $(fslog "$M/$s/.log") want $(jslog "$J")"; fi
    eq "fs.content.$s" "$(t jq -cS . "$M/$s/content.json")" "$(printf '%s' "$J" | jq -cS .content)"
    A=$(t jq -c . "$M/$s/.anchors" | tail -1)
    eq "fs.anchor.commit.$s" "$(printf '%s' "$A" | jq -r .anchorCommit)" "$(printf '%s' "$J" | jq -r '[.log[] | select(.type == 2)] | last | .cid')"
    eq "fs.anchor.chain.$s" "$(printf '%s' "$A" | jq -r .chainId)" eip155:1337
    eq "fs.anchor.tx.$s" "$(printf '%s' "$A" | jq -r .txHash)" "$(printf '%s' "$J" | jq -r .anchorTx)"
    eq "fs.anchor.time.$s" "$(printf '%s' "$A" | jq -r .time)" "$(printf '%s' "$J" | jq -r .anchorTime)"
done
# the first anchors of both: one tree of two leaves
eq fs.paths "$(for s in "$SID1" "$SID2"; do t jq -r .path "$M/$s/.anchors" | head -1; done | sort | tr '\n' ' ')" "0 1 "
t head -1 "$M/$SID1/.anchors" | cut -c1-600

# ---- 4. js-ceramic's verdict ----
L=$T/ceramic/ceramic.log
eq ceramic.no.ERROR "$(grep -c 'ERROR' "$L")" 0
eq ceramic.no.anchor.failure "$(grep -ciE 'anchor failed|error while applying anchor|error while anchoring|validating anchor|Unexpected response from CAS' "$L")" 0
eq cas.anchored "$(grep -c 'anchored [0-9]* request' "$T/cas.log" | awk '{print ($1 >= 2)}')" 1

interop_unmount "$M" "$PM" daemon.exit
kill "$PCAS"; wait "$PCAS"; eq cas.exit "$?" 0
PIDS=

# ---- 5. js's DID-signed requests ----
SEED=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
JSDID=$($CFS did --seed-hex "$SEED" --state "$T/didstate")
$CERAMIC stop >/dev/null 2>&1
$CFS cas serve --listen "127.0.0.1:$CAS_PORT" --ipfs "$API2" --chain eth --eth-rpc "$CERAMIC_ETH_RPC" \
    --anchor-interval 3600 --poll-wait 20 --allow "$JSDID" 2>"$T/cas2.log" &
PCAS=$!
PIDS="$PIDS $PCAS"
until_ok 20 grep -q "DID-signed requests only" "$T/cas2.log" || { bad "the CAS did not come up: $(cat "$T/cas2.log")"; interop_finish; }
export CERAMIC_ANCHOR_AUTH_SEED=$SEED
interop_up ceramic
eq auth.ceramic.uses.our.cas "$(grep -c "Connected to anchor service '$CAS'" "$T/ceramic/ceramic.log")" 1
tile create '{"title":"signed request"}' >"$T/c3.json"
SID3=$(jq -r .streamId "$T/c3.json")
signed() { grep -q " request .* for $SID3 (CAR) from $JSDID" "$T/cas2.log"; }
if until_ok 30 signed; then ok "js's signed request is $JSDID's"; else bad "no signed request: $(cat "$T/cas2.log")"; fi
kill -USR1 "$PCAS"
if until_ok 90 js_anchored "$SID3"; then ok "js reports $SID3 ANCHORED (DID-signed)"; else
    bad "js: $SID3 not anchored: $(printf '%s' "${J:-}" | jq -c '{anchorStatus,log}' 2>/dev/null)"; fi
eq auth.nothing.refused "$(grep -c refused "$T/cas2.log")" 0
eq auth.ceramic.no.ERROR "$(grep -c 'ERROR' "$T/ceramic/ceramic.log")" 0
kill "$PCAS"; wait "$PCAS"; eq cas2.exit "$?" 0
PIDS=
cat "$T/cas2.log" >>"$T/cas.log"
interop_finish
