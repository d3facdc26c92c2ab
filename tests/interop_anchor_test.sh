#!/bin/sh
# interop_anchor_test.sh — anchors across implementations on a real chain:
# js-ceramic (cli 2.44.0) on network `local` with ethereum-rpc = the
# project's ganache (tests/peers/chain.sh, chain id 1337) loads a document
# that ceramicfs anchored on that chain (built-in service, anchorDagCbor v1
# transaction) and reports it ANCHORED at the same block time, with the same
# log. js-ceramic checks the proof itself: the transaction by hash, the root
# in its input, the contract address, the block timestamp.
#
# js-ceramic on `local` will not start without an anchor service: it is
# `ceramicfs cas serve` on the same chain (js's own documents anchored
# through it: tests/interop_cas_test.sh).
#
# Ports: INTEROP_API1/2 (5351/5361), INTEROP_CERAMIC_PORT (17027), chain
# INTEROP_CHAIN_PORT (18565), the CAS INTEROP_CAS_PORT (18081). Needs FUSE, the peers, js-ceramic and ganache; with
# CI set it installs them or fails, without CI it SKIPS loudly (exit 77).
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
NAME=interop_anchor_test WHAT="anchors across implementations (js-ceramic on ganache)"
. "$HERE/interop/lib.sh"
export PEERS_API1=${INTEROP_API1:-5351} PEERS_API2=${INTEROP_API2:-5361}
export CERAMIC_PORT=${INTEROP_CERAMIC_PORT:-17027} CHAIN_PORT=${INTEROP_CHAIN_PORT:-18565}
CAS_PORT=${INTEROP_CAS_PORT:-18081}
export CERAMIC_URL=http://127.0.0.1:$CERAMIC_PORT CERAMIC_IPFS=http://127.0.0.1:$PEERS_API1/api/v0
export CERAMIC_NETWORK=local CERAMIC_ANCHOR_URL=http://127.0.0.1:$CAS_PORT CERAMIC_ETH_RPC=http://127.0.0.1:$CHAIN_PORT
export CERAMIC_TOPIC=/ceramic/local-cfs-interop-$$
API2=http://127.0.0.1:$PEERS_API2/api/v0

interop_need peers ceramic chain
interop_start_tmp cfs-interop-anchor
M=$T/m

t0=$(date +%s)
interop_up chain
$CFS cas serve --listen "127.0.0.1:$CAS_PORT" --chain eth --eth-rpc "$CERAMIC_ETH_RPC" --anchor-interval 1 2>>"$T/cas.log" &
PIDS="$PIDS $!"
until_ok 20 curl -sf -m 2 "$CERAMIC_ANCHOR_URL/api/v0/service-info/supported_chains" || { echo "FAIL the CAS did not start"; cat "$T/cas.log"; exit 1; }
interop_up peers
interop_up ceramic
echo "peers up in $(($(date +%s) - t0)) s"

interop_mount "$M" --state "$T/sm" --network local --pubsub-topic "$CERAMIC_TOPIC" --ipfs "$API2" \
    --anchor local --chain eth --eth-rpc "$CERAMIC_ETH_RPC" --anchor-interval 1
PM=$MPID
t mkdir "$M/onchain"
t sh -c "echo '{\"anchored\":\"on ganache by ceramicfs\"}' > '$M/onchain/content.json'" || bad "save"
t sh -c "echo '{\"anchored\":\"on ganache by ceramicfs\",\"n\":2}' > '$M/onchain/content.json'" || bad "save 2"
SID=$(t cat "$M/onchain/.streamid")
anchored() { [ "$(jq -r 'select(.status == "ANCHORED") | .anchorCommit' "$M/onchain/.anchors" | wc -l)" -ge 1 ]; }
if until_ok 60 anchored; then ok "ceramicfs anchored $SID on ganache"; else bad "not anchored: $(cat "$M/onchain/.anchors")"; fi
A=$(t jq -c 'select(.status == "ANCHORED")' "$M/onchain/.anchors" | tail -1)
eq fs.chain "$(printf '%s' "$A" | jq -r .chainId)" eip155:1337

js_anchored() { J=$(tile load "$SID") && [ "$(printf '%s' "$J" | jq -r .anchorStatus)" = ANCHORED ]; }
if until_ok 60 js_anchored; then ok "js-ceramic (local, ganache) reports ceramicfs's document ANCHORED"; else
    bad "js: $(printf '%s' "${J:-}" | jq -c '{anchorStatus,log}' 2>/dev/null) $(tail -3 "$T/tile.err")"; fi
eq js.log "$(jslog "$J")" "$(fslog "$M/onchain/.log")"
eq js.content "$(printf '%s' "$J" | jq -cS .content)" "$(t jq -cS . "$M/onchain/content.json")"
eq js.anchor.chain "$(printf '%s' "$J" | jq -r .anchorChain)" eip155:1337
eq js.anchor.time.is.number "$(printf '%s' "$J" | jq -r '.anchorTime | type')" number
eq js.anchor.time "$(printf '%s' "$J" | jq -r .anchorTime)" "$(printf '%s' "$A" | jq -r '.blockTimestamp // .time')"
eq js.anchor.commit "$(printf '%s' "$J" | jq -r '[.log[] | select(.type == 2)] | last | .cid')" "$(printf '%s' "$A" | jq -r .anchorCommit)"

L=$T/ceramic/ceramic.log
eq ceramic.no.ERROR "$(grep -c 'ERROR' "$L")" 0
eq ceramic.no.anchor.warning "$(grep -ciE 'validating anchor|invalid|not the official' "$L")" 0

interop_unmount "$M" "$PM" daemon.exit
interop_finish
