#!/bin/sh
# hostile_test.sh — the hostile-peer matrix (issue 8 item 2) against a
# ceramicfs node through REAL js-ipfs 0.66.1 daemons (tests/peers/peers.sh).
# Node B (`ceramicfs sync` on daemon 2) holds a document; this script is the
# hostile peer: it puts crafted blocks on daemon 1 and publishes crafted
# messages on the topic through it. For each case it prints one line with
# the rejection B made visible (its event, as `ceramicfs sync` prints the
# node's events on stderr) and checks that B's stream did not move:
#   commits: forged signature, non-controller key, kid not a did:key, prev
#     missing, prev a garbage block, prev in another stream, id of another
#     stream, payload over 256,000 bytes, tip not CBOR, non-canonical
#     DAG-CBOR, unknown codec (raw), a CID whose codec does not match the
#     bytes (a real daemon checks the multihash itself: a multihash that
#     does not match is refused by ipfs.c's own check, test_ipfs);
#   messages: not JSON, no tip, bad StreamID, unknown typ, not an object,
#     10 MB (js-ipfs does not relay it: noted), a replayed old tip;
#   floods: QUERYs and RESPONSEs with made-up tips for B's stream.
# After each group, and at once after the floods, a real update (signed
# with B's key, announced by the same peer) must reach B within a generous
# 90 s: the node stays responsive. At the end B's counters, tip, content and
# `ceramicfs verify` are checked. A `prev` loop cannot be built with
# content addressing and is not a case.
# The same through a mount: M (`ceramicfs mount`, also on daemon 2, with a
# copy of B's state) sees every case too; for each, the counter of its kind
# must grow in M's .status, a new line about it must appear in M's .errors
# (a replayed tip is counted, pubsub_stale, and is no error), and the
# document's content.json and .log must not change.
# Forged anchors (a peer with no key anchors B's genesis: a Merkle node over
# it, a proof, an anchor commit; one UPDATE) on chains inmemory:12345,
# eip155:1, bip122:... and eip155:1337, against M (--anchor none), A (the
# default mount: --anchor local --chain inmemory) and E (--network local,
# --eth-rpc on ganache, tests/peers/chain.sh on HOSTILE_CHAIN_PORT): the
# signed saves stay (content.json, .log, tip); a chain the network does not
# accept or the chain contradicts is an error (.errors, anchor_rejected),
# an accepted one nobody here can verify is counted (anchor_unverified).
#
# Needs the peers installed (bash tests/peers/peers.sh install). Without
# them: with CI set, it installs them (or fails); without CI it SKIPS
# loudly with exit 77. Without FUSE (root, /dev/fuse) the mount part is
# skipped loudly (and FAILS with CI set).
set -eu

CFS=${CERAMICFS:-build/ceramicfs}
TEST=hostile_test WHAT="the hostile-peer matrix on real js-ipfs daemons"
. "$(dirname "$0")/lib.sh"
API1=http://127.0.0.1:${PEERS_API1:-5311}/api/v0
API2=http://127.0.0.1:${PEERS_API2:-5321}/api/v0
TOPIC=/ceramic/inmemory-cfs-hostile-$$
NET="--pubsub-topic $TOPIC"
EVIL=0101010101010101010101010101010101010101010101010101010101010101
T=$(mktemp -d)
pidB=""
pidM=""
pidA=""
pidE=""
MNT=$T/mnt
AMNT=$T/amnt
EMNT=$T/emnt
CHAIN=$(cd "$(dirname "$0")" && pwd)/peers/chain.sh
export CHAIN_PORT=${HOSTILE_CHAIN_PORT:-18546} CHAIN_RUN=$T/chain
CHAINURL=""
FUSE=1
[ -e /dev/fuse ] && command -v fusermount3 >/dev/null && [ "$(id -u)" = 0 ] || FUSE=0
if [ $FUSE = 0 ]; then
    [ -n "${CI:-}" ] && { echo "FAIL hostile_test: no FUSE (root, /dev/fuse, fusermount3): required in CI"; exit 1; }
    echo "######################################################################"
    echo "# hostile_test: no FUSE (root, /dev/fuse): the MOUNT's view (.status, #"
    echo "#   .errors) is NOT tested, only 'ceramicfs sync'.                   #"
    echo "######################################################################"
fi

need_peers

cleanup() {
    [ -n "$pidB" ] && kill "$pidB" 2>/dev/null && wait "$pidB" 2>/dev/null
    unmount "$MNT"
    [ -n "$pidM" ] && kill "$pidM" 2>/dev/null && wait "$pidM" 2>/dev/null
    unmount "$AMNT"
    [ -n "$pidA" ] && kill "$pidA" 2>/dev/null && wait "$pidA" 2>/dev/null
    unmount "$EMNT"
    [ -n "$pidE" ] && kill "$pidE" 2>/dev/null && wait "$pidE" 2>/dev/null
    [ -n "$CHAINURL" ] && "$CHAIN" stop >/dev/null 2>&1
    $PEERS stop >/dev/null 2>&1 || true
    rm -rf "$T"
}
trap cleanup EXIT
timeout 120 $PEERS start || { echo "FAIL hostile_test: daemons did not start"; exit 1; }

START=$(date +%s)
ok() { echo "ok   $1 [$(($(date +%s) - START)) s]"; }
fail() { bad "$@"; }
ge() { if [ "${2:-0}" -ge "$3" ] 2>/dev/null; then ok "$1 ($2)"; else fail "$1: got '$2' want >= $3"; fi; }
# wait_for FILE PATTERN SECONDS (fixed-string pattern)
wait_for() {
    i=0
    while [ $i -lt $(($3 * 10)) ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}
targ=u$(printf %s "$TOPIC" | basenc --base64url | tr -d '=\n')
# pub FILE: publish FILE's bytes on the topic through daemon 1
pub() { curl -s -m 30 -X POST -F "file=@$1" "$API1/pubsub/pub?arg=$targ" >/dev/null; }
# pub_text TEXT
pub_text() { printf '%s' "$1" >"$T/msg"; pub "$T/msg"; }
# put FILE FORMAT: put a block on daemon 1, print its CID
put() { curl -s -m 30 -X POST -F "data=@$1" "$API1/block/put?format=$2&mhtype=sha2-256" | jq -r .Key; }
# put_hex HEX FORMAT
put_hex() { printf '%s' "$1" | xxd -r -p >"$T/blk"; put "$T/blk" "$2"; }
# put_commit JSON (the output of `ceramicfs commit` or `sign`): both blocks; prints the commit CID
put_commit() {
    put_hex "$(jq -r .payload.hex "$1")" dag-cbor >/dev/null
    c=$(put_hex "$(jq -r .envelope.hex "$1")" dag-jose)
    [ "$c" = "$(jq -r .envelope.cid "$1")" ] || echo "note daemon named the envelope $c, not $(jq -r .envelope.cid "$1")" >&2
    printf %s "$c"
}
update_msg() { printf '{"typ":0,"stream":"%s","tip":"%s"}' "$ID" "$1"; }
tips() { grep -c '"local":false' "$T/B.out" || true; }
# sign_payload DAGJSON KEYARGS...: a signed commit with this exact payload
sign_payload() { p=$1; shift; printf '%s' "$p" | $CFS sign "$@"; }

# The mount M: its counter C (0 when absent), its .errors lines that are
# not in the snapshot $T/M.err0, the document's .log and content.json
m_counter() { timeout 30 jq ".counters.$1 // 0" "$MNT/.status"; }
# nothing_new NAME LINES: no new .errors line (those there are shown)
nothing_new() { if [ -z "$2" ]; then ok "$1: nothing new"; else bad "$1: new: $(printf '%s' "$2" | cut -c1-300)"; fi; }
m_new_errors() { timeout 30 cat "$MNT/.errors" | grep -vxF -f "$T/M.err0" || true; }
m_doc() { timeout 30 cat "$MNT/$ID/.log" "$MNT/$ID/content.json"; }
m_start() {
    [ $FUSE = 1 ] || return 0
    timeout 30 cat "$MNT/.errors" >"$T/M.err0"
    [ -s "$T/M.err0" ] || echo "no line" >"$T/M.err0"
    timeout 30 jq -c '.counters' "$MNT/.status" >"$T/M.c0"
    m_doc >"$T/M.doc0"
    MLOG=$(timeout 30 wc -l <"$MNT/$ID/.log")
}
# m_end NAME PATTERN SECONDS COUNTER: within SECONDS, a new line in M's
# .errors holding PATTERN (PATTERN "-": none expected) and COUNTER grown;
# M's document unchanged
m_end() {
    [ $FUSE = 1 ] || return 0
    c0=$(jq ".$4 // 0" "$T/M.c0")
    i=0
    while [ $i -lt $(($3 * 10)) ]; do
        [ "$(m_counter "$4")" -gt "$c0" ] && { [ "$2" = - ] || m_new_errors | grep -qF -- "$2"; } && break
        sleep 0.1; i=$((i + 1))
    done
    ge "case $1: mount .status $4" "$(m_counter "$4")" $((c0 + 1))
    if [ "$2" = - ]; then
        nothing_new "case $1: mount .errors" "$(m_new_errors)"
    elif m_new_errors | grep -qF -- "$2"; then
        ok "case $1: mount .errors: $(m_new_errors | grep -F -- "$2" | head -1 | jq -r .message | cut -c1-100)"
    else
        fail "case $1: mount .errors: no line with '$2'"
    fi
    if m_doc | cmp -s - "$T/M.doc0"; then ok "case $1: mount document unchanged"; else fail "case $1: mount document changed"; fi
}

# A case: case_start, send it, then case_end NAME PATTERN SECONDS [COUNTER]:
# B must print a new event holding PATTERN within SECONDS, and its tip must
# not move; the same on the mount M, with COUNTER (default pubsub_rejected).
case_start() { NEV=$(wc -l <"$T/B.err"); TIPS=$(tips); m_start; }
new_events() { tail -n +$((NEV + 1)) "$T/B.err"; }
case_end() {
    i=0
    while [ $i -lt $(($3 * 10)) ] && ! new_events | grep -qF -- "$2"; do sleep 0.1; i=$((i + 1)); done
    line=$(new_events | grep -F -- "$2" | head -1 | sed 's/^ceramicfs sync: event //')
    if [ -n "$line" ]; then
        why=$(printf '%s' "$line" | jq -r '.message' 2>/dev/null |
            sed -E 's/^(UPDATE|RESPONSE) tip [a-z0-9]+ rejected: //; s/^state: commit [a-z0-9]+:? //' | cut -c1-150)
        ok "case $1: rejected, visible: $why"
    else
        fail "case $1: no event with '$2' within $3 s"
    fi
    eq "case $1: stream unchanged" "$(tips)" "$TIPS"
    m_end "$1" "$2" "$3" "${4:-pubsub_rejected}"
}

# legit WHY: a real update signed with B's key, announced by the hostile
# peer's daemon; B must learn it within a generous 90 s. legit_send and
# legit_wait are its two halves, for hostile traffic in between.
LEGIT=0
legit_send() {
    LEGIT=$((LEGIT + 1))
    $CFS commit --key "$T/B/key" --genesis "$GEN" --prev "$TIP" \
        --patch "[{\"op\":\"replace\",\"path\":\"/n\",\"value\":$LEGIT}]" >"$T/legit.json"
    LC=$(put_commit "$T/legit.json")
    update_msg "$LC" >"$T/legit.msg"
    pub "$T/legit.msg"
}
m_tip() { timeout 30 tail -1 "$MNT/$ID/.log" | jq -r .cid; }
# A flood can push the real UPDATE over B's rate limit (dropped, counted):
# as a writer's node would, the peer announces it again every 30 s.
legit_learned() {
    for try in 1 2 3; do
        [ $try = 1 ] || pub "$T/legit.msg"
        wait_for "$T/B.out" "\"tip\":\"$LC\",\"local\":false" 30 && return 0
    done
    return 1
}
legit_wait() {
    if legit_learned; then
        ok "responsive: legit update $LEGIT ($1) learned"
        TIP=$LC
    else
        fail "responsive: legit update $LEGIT ($1) not learned within 90 s"
        tail -5 "$T/B.err"
    fi
    [ $FUSE = 1 ] || return 0
    i=0
    while [ $i -lt 300 ] && [ "$(m_tip)" != "$LC" ]; do sleep 0.3; i=$((i + 1)); done
    eq "responsive: mount learned legit update $LEGIT" "$(m_tip)" "$LC"
}
legit() { legit_send; legit_wait "$1"; }

# ---- B: a node holding a document, syncing on daemon 2 ----
ID=$($CFS create --state "$T/B" --content '{"hello":"world","n":0}' | jq -r .streamId)
GEN=$($CFS log --state "$T/B" "$ID" | head -1 | jq -r .cid)
TIP=$GEN
# another stream (its genesis on daemon 1), for "prev/id of another stream"
$CFS genesis --seed-hex $EVIL --content '{"other":true}' >"$T/g2.json"
GEN2=$(put_commit "$T/g2.json")
cp -a "$T/B" "$T/M"
cp -a "$T/B" "$T/A"
cp -a "$T/B" "$T/E"
timeout 1000 $CFS sync --state "$T/B" --ipfs "$API2" $NET --seconds 900 >"$T/B.out" 2>"$T/B.err" &
pidB=$!
wait_for "$T/B.err" subscribed 20 || { fail "b.subscribe"; cat "$T/B.err"; exit 1; }
# a mount on daemon 2: mount_on DIR STATE LOG OPTIONS...; its PID in $pid
mount_on() {
    d=$1 st=$2 lg=$3
    shift 3
    mkdir -p "$d"
    $CFS mount "$d" --state "$st" -f --ipfs "$API2" $NET "$@" 2>"$lg" &
    pid=$!
    wait_mounted "$d" $pid "$lg"
    i=0
    until [ "$(timeout 30 jq -r .ipfs.connected "$d/.status")" = true ]; do
        i=$((i + 1))
        [ $i -gt 100 ] && { fail "connected: $d"; cat "$d/.status"; exit 1; }
        sleep 0.2
    done
}
if [ $FUSE = 1 ]; then
    mount_on "$MNT" "$T/M" "$T/M.log" --anchor none
    pidM=$pid
    mount_on "$AMNT" "$T/A" "$T/A.log"
    pidA=$pid
    # E checks eip155 anchors on a real chain (ganache, chain id 1337)
    if ! "$CHAIN" installed && [ "${CI:-}" = true ]; then "$CHAIN" install; fi
    if "$CHAIN" installed && timeout 120 "$CHAIN" start; then
        CHAINURL=$("$CHAIN" url)
        mount_on "$EMNT" "$T/E" "$T/E.log" --anchor none --network local --eth-rpc "$CHAINURL"
        pidE=$pid
    elif [ "${CI:-}" = true ]; then
        fail "the chain did not start: required in CI"
    else
        echo "######################################################################"
        echo "# hostile_test: no chain (tests/peers/chain.sh install): forged      #"
        echo "#   anchors are NOT tested against --eth-rpc.                        #"
        echo "######################################################################"
    fi
fi
# every case below is published once through daemon 1: it must know that
# daemon 2 listens
topic_peer_wait "$API1" "$TOPIC" || fail "daemon 1 does not see daemon 2 on the topic"
legit "baseline"

# ---- commits that must be rejected ----
# 1. forged signature: B's own commit with one signature byte changed
case_start
$CFS commit --key "$T/B/key" --genesis "$GEN" --prev "$TIP" --patch '[{"op":"add","path":"/evil","value":1}]' >"$T/c.json"
put_hex "$(jq -r .payload.hex "$T/c.json")" dag-cbor >/dev/null
printf '%s' "$(jq -r .envelope.hex "$T/c.json")" | xxd -r -p >"$T/env"
$CFS dag decode "$T/env" | jq -c '.signatures[0].signature["/"].bytes |= (if startswith("A") then "B" else "A" end + .[1:])' |
    $CFS dag encode -o "$T/env.bad" >/dev/null
c=$(put "$T/env.bad" dag-jose)
update_msg "$c" >"$T/m"; pub "$T/m"
case_end "forged-signature" "$c" 30

# 2. signature by a key that is not the controller
case_start
$CFS commit --seed-hex $EVIL --genesis "$GEN" --prev "$TIP" --patch '[{"op":"add","path":"/evil","value":2}]' >"$T/c.json"
c=$(put_commit "$T/c.json")
update_msg "$c" >"$T/m"; pub "$T/m"
case_end "wrong-controller" "$c" 30

# 3. wrong kid format: the protected header names no did:key
case_start
$CFS commit --key "$T/B/key" --genesis "$GEN" --prev "$TIP" --patch '[{"op":"add","path":"/evil","value":3}]' >"$T/c.json"
put_hex "$(jq -r .payload.hex "$T/c.json")" dag-cbor >/dev/null
printf '%s' "$(jq -r .envelope.hex "$T/c.json")" | xxd -r -p >"$T/env"
prot=$(printf '{"alg":"EdDSA","kid":"did:web:evil.example#key-1"}' | base64 -w0 | tr -d '=')
$CFS dag decode "$T/env" | jq -c --arg p "$prot" '.signatures[0].protected["/"].bytes = $p' | $CFS dag encode -o "$T/env.bad" >/dev/null
c=$(put "$T/env.bad" dag-jose)
update_msg "$c" >"$T/m"; pub "$T/m"
case_end "wrong-kid-format" "$c" 30

# 4. prev pointing to a block nobody has
case_start
MISSING=bafyreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku
sign_payload "{\"id\":{\"/\":\"$GEN\"},\"prev\":{\"/\":\"$MISSING\"},\"header\":{},\"data\":[{\"op\":\"add\",\"path\":\"/evil\",\"value\":4}]}" --key "$T/B/key" >"$T/c.json"
c=$(put_commit "$T/c.json")
update_msg "$c" >"$T/m"; pub "$T/m"
case_end "prev-missing" "$c" 60

# 5. prev pointing to a garbage block (not CBOR, named as dag-cbor)
case_start
printf 'garbage, not CBOR' >"$T/garbage"
G=$(put "$T/garbage" dag-cbor)
sign_payload "{\"id\":{\"/\":\"$GEN\"},\"prev\":{\"/\":\"$G\"},\"header\":{},\"data\":[{\"op\":\"add\",\"path\":\"/evil\",\"value\":5}]}" --key "$T/B/key" >"$T/c.json"
c=$(put_commit "$T/c.json")
update_msg "$c" >"$T/m"; pub "$T/m"
case_end "prev-garbage" "$c" 30

# 6. prev pointing into another stream
case_start
sign_payload "{\"id\":{\"/\":\"$GEN\"},\"prev\":{\"/\":\"$GEN2\"},\"header\":{},\"data\":[{\"op\":\"add\",\"path\":\"/evil\",\"value\":6}]}" --key "$T/B/key" >"$T/c.json"
c=$(put_commit "$T/c.json")
update_msg "$c" >"$T/m"; pub "$T/m"
case_end "prev-other-stream" "$c" 60

# 7. id mismatch: id names another stream, prev is B's tip
case_start
sign_payload "{\"id\":{\"/\":\"$GEN2\"},\"prev\":{\"/\":\"$TIP\"},\"header\":{},\"data\":[{\"op\":\"add\",\"path\":\"/evil\",\"value\":7}]}" --key "$T/B/key" >"$T/c.json"
c=$(put_commit "$T/c.json")
update_msg "$c" >"$T/m"; pub "$T/m"
case_end "id-mismatch" "$c" 30

# 8. a payload block over 256,000 bytes (validly signed by B's key)
case_start
head -c 270000 /dev/zero | tr '\0' 'x' >"$T/big.txt"
printf '{"id":{"/":"%s"},"prev":{"/":"%s"},"header":{},"data":[{"op":"add","path":"/evil","value":"%s"}]}' \
    "$GEN" "$TIP" "$(cat "$T/big.txt")" >"$T/big.json"
$CFS sign --key "$T/B/key" <"$T/big.json" >"$T/c.json"
c=$(put_commit "$T/c.json")
update_msg "$c" >"$T/m"; pub "$T/m"
case_end "oversize-block" "$c" 30

# 9. the tip is not CBOR (garbage named as dag-cbor)
case_start
update_msg "$G" >"$T/m"; pub "$T/m"
case_end "tip-not-cbor" "$G" 30

# 10. non-canonical DAG-CBOR tip: {"b":1,"a":2} with keys out of order
case_start
NC=$(put_hex a2616201616102 dag-cbor)
update_msg "$NC" >"$T/m"; pub "$T/m"
case_end "non-canonical-cbor" "$NC" 30

# 11. unknown codec: the tip names a raw block
case_start
R=$(put "$T/garbage" raw)
update_msg "$R" >"$T/m"; pub "$T/m"
case_end "unknown-codec" "$R" 30

# 12. CID that does not match the bytes' kind: B's real envelope bytes named dag-cbor
case_start
$CFS commit --key "$T/B/key" --genesis "$GEN" --prev "$TIP" --patch '[{"op":"add","path":"/evil","value":12}]' >"$T/c.json"
put_hex "$(jq -r .payload.hex "$T/c.json")" dag-cbor >/dev/null
W=$(put_hex "$(jq -r .envelope.hex "$T/c.json")" dag-cbor)
update_msg "$W" >"$T/m"; pub "$T/m"
case_end "cid-codec-mismatch" "$W" 30

legit "after the bad commits"

# ---- bad messages ----
case_start; pub_text 'this is not json'; case_end "msg-not-json" "malformed" 20 pubsub_malformed
case_start; pub_text '{"typ":0,"stream":"'"$ID"'"}'; case_end "msg-no-tip" "malformed" 20 pubsub_malformed
case_start; pub_text '{"typ":0,"stream":"kjzl-not-a-streamid","tip":"'"$TIP"'"}'; case_end "msg-bad-streamid" "malformed" 20 pubsub_malformed
case_start; pub_text '{"typ":9,"stream":"'"$ID"'","tip":"'"$TIP"'"}'; case_end "msg-unknown-typ" "malformed" 20 pubsub_malformed
case_start; pub_text '[1,2,3]'; case_end "msg-not-object" "malformed" 20 pubsub_malformed

# a 10 MB message: the daemon may refuse to relay it; B must stay up either way
case_start
head -c 10485760 /dev/zero | tr '\0' 'x' >"$T/huge"
pub "$T/huge" || true
sleep 5
if new_events | grep -q oversize; then
    ok "case msg-10MB: dropped as oversize"
    m_end "msg-10MB" "oversize" 20 pubsub_oversize
else
    echo "note case msg-10MB: the daemon did not deliver the 10 MB message (js-ipfs gossipsub limit)"
fi
# replayed old tip (the genesis): no change and no error, as in js-ceramic;
# the real update after it is handled after it, so then only that one moved B
case_start
update_msg "$GEN" >"$T/m"; pub "$T/m"
legit "after the 10 MB message and the replay"
eq "case replayed-old-tip: ignored" "$(tips)" "$((TIPS + 1))"
if [ $FUSE = 1 ]; then
    ge "case replayed-old-tip: mount .status pubsub_stale" "$(m_counter pubsub_stale)" \
        $(($(jq '.pubsub_stale // 0' "$T/M.c0") + 1))
    nothing_new "case replayed-old-tip: mount .errors" "$(m_new_errors)"
    eq "case replayed-old-tip: mount .log: only the legit update" "$(timeout 30 wc -l <"$MNT/$ID/.log")" $((MLOG + 1))
fi

# ---- floods ----
# $FLOOD RESPONSEs each naming a different tip nobody has (each one a block
# fetch that can only time out), then at once a real update, then $FLOOD
# QUERYs for B's stream (each one B would answer): B must learn the update.
FLOOD=300
i=0 qargs="" rargs=""
while [ $i -lt $FLOOD ]; do
    printf '{"typ":1,"stream":"%s","id":"hostilequery%d"}' "$ID" "$i" >"$T/q$i"
    # a dag-cbor sha2-256 CID of a made-up digest: base32 of 01 71 12 20 <digest>
    cid=b$(printf '01711220%064x' $((i + 1)) | xxd -r -p | base32 -w0 | tr -d '=' | tr 'A-Z' 'a-z')
    printf '{"typ":2,"id":"hostile%d","tips":{"%s":"%s"}}' "$i" "$ID" "$cid" >"$T/r$i"
    qargs="$qargs -X POST -F file=@$T/q$i $API1/pubsub/pub?arg=$targ --next"
    rargs="$rargs -X POST -F file=@$T/r$i $API1/pubsub/pub?arg=$targ --next"
    i=$((i + 1))
done
case_start
# shellcheck disable=SC2086
curl -s -Z --parallel-max 16 $rargs -X POST -F "file=@$T/r0" "$API1/pubsub/pub?arg=$targ" >/dev/null 2>&1 || true
legit_send
# shellcheck disable=SC2086
curl -s -Z --parallel-max 16 $qargs -X POST -F "file=@$T/q0" "$API1/pubsub/pub?arg=$targ" >/dev/null 2>&1 || true
legit_wait "between the RESPONSE and the QUERY floods"
TIPS=$((TIPS + 1))  # the real update
[ $FUSE = 1 ] && m_doc >"$T/M.doc0"
case_end "response-flood" "RESPONSE tip" 30
n=$(new_events | grep -c 'queued for the stream' || true)
ge "case floods: older queued messages dropped, each an event" "$n" 1
echo "info case floods: $(new_events | grep -c 'messages/s' || true) dropped over B's rate limit"
[ $FUSE = 1 ] && ge "case floods: mount .status pubsub_superseded" "$(m_counter pubsub_superseded)" 1

# ---- forged anchors: a peer with no key anchors B's genesis ----
# forge CHAIN N [PREV]: on daemon 1 a Merkle node [PREV, junk], a proof on
# CHAIN over it (block time 1: earlier than anything) and the anchor commit
# {id, prev: PREV (default the genesis), proof, path "0"}; prints the
# anchor commit's CID
forge() {
    prev=${3:-$GEN}
    tx=b$(printf '0193011b20%064x' "$2" | xxd -r -p | base32 -w0 | tr -d '=' | tr 'A-Z' 'a-z')
    printf '[{"/":"%s"},{"/":"%s"}]' "$prev" "$tx" | $CFS dag encode -o "$T/root.blk" >/dev/null
    root=$(put "$T/root.blk" dag-cbor)
    printf '{"chainId":"%s","root":{"/":"%s"},"txHash":{"/":"%s"},"txType":"f(bytes32)","blockNumber":1,"blockTimestamp":1}' \
        "$1" "$root" "$tx" | $CFS dag encode -o "$T/proof.blk" >/dev/null
    proof=$(put "$T/proof.blk" dag-cbor)
    printf '{"id":{"/":"%s"},"prev":{"/":"%s"},"proof":{"/":"%s"},"path":"0"}' "$GEN" "$prev" "$proof" |
        $CFS dag encode -o "$T/anchor.blk" >/dev/null
    put "$T/anchor.blk" dag-cbor
}
# a_start DIR: snapshot a mount (document, .errors, counters)
a_start() {
    timeout 30 cat "$1/.errors" >"$1.err0" 2>/dev/null || true
    [ -s "$1.err0" ] || echo "no line" >"$1.err0"
    timeout 30 jq -c .counters "$1/.status" >"$1.c0"
    timeout 30 cat "$1/$ID/.log" "$1/$ID/content.json" >"$1.doc0"
}
newerr() { timeout 30 cat "$ad/.errors" | grep -vxF -f "$ad.err0" | grep -F "$ID" || true; }
# a_end NAME DIR COUNTER PATTERN: within 60 s COUNTER grew and (PATTERN not
# "-") a new .errors line holds PATTERN, or (PATTERN "-") none is new; the
# document did not change
a_end() {
    c0=$(jq ".$3 // 0" "$2.c0")
    ad=$2
    i=0
    while [ $i -lt 600 ]; do
        [ "$(timeout 30 jq ".counters.$3 // 0" "$2/.status")" -gt "$c0" ] &&
            { [ "$4" = - ] || newerr | grep -qF -- "$4"; } && break
        sleep 0.1; i=$((i + 1))
    done
    ge "anchor $1: .status $3" "$(timeout 30 jq ".counters.$3 // 0" "$2/.status")" $((c0 + 1))
    if [ "$4" = - ]; then
        nothing_new "anchor $1: .errors" "$(newerr)"
    elif newerr | grep -qF -- "$4"; then
        ok "anchor $1: .errors: $(newerr | grep -F -- "$4" | head -1 | jq -r .message | cut -c1-110)"
    else
        fail "anchor $1: .errors: no line with '$4'"
    fi
    if timeout 30 cat "$2/$ID/.log" "$2/$ID/content.json" | cmp -s - "$2.doc0"; then
        ok "anchor $1: content.json and .log unchanged"
    else
        fail "anchor $1: the document changed"
    fi
}
UNVERIFIED="anchor_unverified -"
NOTHERE="anchor_rejected not accepted on network"
if [ $FUSE = 1 ]; then
    n=0
    # chain  M (none, inmemory)  A (default, inmemory)  E (local, --eth-rpc);
    # "x6": six anchors on top of each other, longer than the signed log
    for c in "inmemory:12345|$UNVERIFIED|$UNVERIFIED|$NOTHERE" \
        "inmemory:12345x6|$UNVERIFIED|$UNVERIFIED|$NOTHERE" \
        "eip155:1|$NOTHERE|$NOTHERE|$NOTHERE" \
        "bip122:000000000019d6689c085ae165831e93|$NOTHERE|$NOTHERE|$NOTHERE" \
        "eip155:1337|$NOTHERE|$NOTHERE|anchor_rejected is not on eip155:1337"; do
        chain=${c%%|*}
        n=$((n + 1))
        TIPS=$(tips)
        for d in "$MNT" "$AMNT" ${CHAINURL:+"$EMNT"}; do a_start "$d"; done
        AC=$GEN
        for j in $(seq 1 $([ "${chain%x6}" = "$chain" ] && echo 1 || echo 6)); do
            AC=$(forge "${chain%x6}" $((n * 10 + j)) "$AC")
        done
        update_msg "$AC" >"$T/m"; pub "$T/m"
        k=1
        for d in "$MNT" "$AMNT" ${CHAINURL:+"$EMNT"}; do
            k=$((k + 1))
            e=$(printf '%s' "$c" | cut -d'|' -f$k)
            a_end "$chain on $(basename "$d")" "$d" "${e%% *}" "${e#* }"
        done
        eq "anchor $chain: B's stream unchanged" "$(tips)" "$TIPS"
    done
fi

# ---- the end: B's counters, tip, content, verify ----
kill -TERM "$pidB" 2>/dev/null || true
rc=0; wait "$pidB" || rc=$?
pidB=""
eq b.exit "$rc" 0
[ "$rc" = 0 ] || tail -30 "$T/B.err"
st=$(sed -n '/^{$/,$p' "$T/B.out")
[ -n "$st" ] || st=$(grep -v '"local"' "$T/B.out" | tail -1)
printf '%s\n' "$st" >"$T/status.json"
ge status.rejected "$(jq '.counters.pubsub_rejected // 0' "$T/status.json")" 12
ge status.malformed "$(jq '.counters.pubsub_malformed // 0' "$T/status.json")" 5
ge status.dropped "$(jq '.ipfs.dropped // 0' "$T/status.json")" 5
echo "info B counters: $(jq -c .counters "$T/status.json")"
eq b.tip "$($CFS log --state "$T/B" "$ID" | tail -1 | jq -r .cid)" "$TIP"
eq b.content "$($CFS show --state "$T/B" "$ID" | jq -cS .)" "{\"hello\":\"world\",\"n\":$LEGIT}"
eq b.verify "$($CFS verify --state "$T/B" "$ID" >/dev/null 2>&1; echo $?)" 0
if [ $FUSE = 1 ]; then
    echo "info M counters: $(timeout 30 jq -c .counters "$MNT/.status")"
    eq m.content "$(timeout 30 jq -cS . "$MNT/$ID/content.json")" "{\"hello\":\"world\",\"n\":$LEGIT}"
    timeout 60 fusermount3 -u "$MNT" || fail "m.unmount"
    rc=0; wait "$pidM" || rc=$?
    pidM=""
    eq m.exit "$rc" 0
    [ "$rc" = 0 ] || tail -30 "$T/M.log"
    eq m.verify "$($CFS verify --state "$T/M" "$ID" >/dev/null 2>&1; echo $?)" 0
    # the other mounts: the signed saves are still there after an unmount
    for x in A E; do
        d=$AMNT pid=$pidA
        [ $x = E ] && { d=$EMNT pid=$pidE; [ -n "$pid" ] || continue; }
        timeout 60 fusermount3 -u "$d" || fail "$x.unmount"
        wait "$pid" || fail "$x.exit"
        [ $x = A ] && pidA="" || pidE=""
        eq "$x.content after unmount" "$($CFS show --state "$T/$x" "$ID" | jq -cS .)" "{\"hello\":\"world\",\"n\":$LEGIT}"
    done
fi

if [ $fails -ne 0 ]; then echo "hostile_test: $fails FAILED"; exit 1; fi
echo "hostile_test: all passed"
