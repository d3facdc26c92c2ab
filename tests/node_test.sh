#!/bin/sh
# node_test.sh — the node's scripting commands as a new user runs them:
# create, update three times, log, show, list, pin, alias, verify; bad
# input refused with one line and the documented exit codes; kill -9 in
# the middle of a burst of updates, then every acknowledged update is in
# the log and verify passes; a corrupted block on disk makes verify fail.
set -eu

CFS=${CERAMICFS:-build/ceramicfs}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
S="--state $T/node"
fails=0

eq() {
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2' want '$3'"; fails=$((fails + 1)); fi
}
# code NAME WANT CMD...: exit status WANT and (when non-zero) one line on stderr
code() {
    name=$1 want=$2; shift 2
    set +e; "$@" >"$T/out" 2>"$T/err"; got=$?; set -e
    if [ "$got" != "$want" ]; then echo "FAIL $name: exit $got, want $want"; cat "$T/err"; fails=$((fails + 1)); return; fi
    if [ "$want" != 0 ] && [ "$(wc -l <"$T/err")" -ne 1 ]; then echo "FAIL $name: stderr not one line"; cat "$T/err"; fails=$((fails + 1)); return; fi
    echo "ok   $name${want#0}"
}

ID=$($CFS create $S --alias notes --content '{"title":"groceries","items":[]}' 2>/dev/null | jq -r .streamId)
eq create.streamid "$(printf %s "$ID" | cut -c1-13)" kjzl6cwe1jw14
for item in milk eggs bread; do
    $CFS show $S notes | jq -c ".items += [\"$item\"]" | $CFS update $S notes >"$T/u.json"
done
eq update.changed "$(jq -r .changed "$T/u.json")" true
eq show "$($CFS show $S notes | jq -cS .)" '{"items":["milk","eggs","bread"],"title":"groceries"}'
eq show.byid "$($CFS show $S "$ID" | jq -c .items)" '["milk","eggs","bread"]'
$CFS log $S notes >"$T/log"
eq log.length "$(wc -l <"$T/log" | tr -d ' ')" 4
eq log.types "$(jq -r .type "$T/log" | tr '\n' ' ')" "genesis signed signed signed "
eq log.author "$(sed -n 2p "$T/log" | jq -r .author)" "$($CFS did $S)"
eq log.tip "$(tail -1 "$T/log" | jq -r .cid)" "$(jq -r .tip "$T/u.json")"
eq meta.controller "$($CFS show $S notes --meta | jq -r '.metadata.controllers[0]')" "$($CFS did $S)"
eq meta.anchor "$($CFS show $S notes --meta | jq -r .anchorStatus)" NOT_REQUESTED

# an unchanged save is no commit
$CFS show $S notes | $CFS update $S notes >"$T/u.json"
eq update.unchanged "$(jq -r .changed "$T/u.json") $($CFS log $S notes | wc -l | tr -d ' ')" "false 4"

# a state directory whose parents do not exist yet (a fresh home)
code create.freshdir 0 $CFS create --state "$T/fresh/a/b" --content '{}'
eq freshdir.keymode "$(stat -c %a "$T/fresh/a/b/key")" 600

# pins and aliases
code unpin 0 $CFS unpin $S notes
eq unpin.json "$(jq -r .pinned "$T/out")" false
code unpin.again 0 $CFS unpin $S notes
eq list.unpinned "$($CFS list $S | jq -r .pinned)" false
code pin 0 $CFS pin $S notes
eq pin.json "$(jq -r .pinned "$T/out") $(jq -r .streamId "$T/out")" "true $ID"
code pin.again 0 $CFS pin $S notes
code alias.rename 0 $CFS alias $S notes shopping
eq alias.json "$(jq -r .alias "$T/out")" shopping
eq alias.new "$($CFS show $S shopping | jq -r .title)" groceries
code alias.old 3 $CFS show $S notes
code alias.bad 1 $CFS alias $S shopping ../etc
code alias.clear 0 $CFS alias $S shopping --clear
eq alias.clear.json "$(jq -r .alias "$T/out")" null
code alias.cleared 3 $CFS show $S shopping
eq alias.list "$($CFS list $S | jq -r .alias)" null
code alias.again 0 $CFS alias $S "$ID" shopping
code alias.empty 1 $CFS alias $S shopping ''
code alias.missing 2 $CFS alias $S shopping
# create --alias with a name taken or invalid makes no document
n=$($CFS list $S | wc -l)
code create.aliastaken 1 $CFS create $S --content '{}' --alias shopping
code create.aliasbad 1 $CFS create $S --content '{}' --alias '../x'
eq create.nothingmade "$($CFS list $S | wc -l)" "$n"
code verify.all 0 $CFS verify $S

# bad input: refused, nothing changes
code update.badjson 1 sh -c "echo '{\"title\":' | $CFS update $S shopping"
code update.array 1 sh -c "echo '[1,2]' | $CFS update $S shopping"
code update.string 1 sh -c "echo '\"text\"' | $CFS update $S shopping"
code create.array 1 $CFS create $S --content '[1]'
code update.unknown 3 sh -c "echo '{}' | $CFS update $S nosuchdoc"
$CFS did --seed-hex 0101010101010101010101010101010101010101010101010101010101010101 >/dev/null
printf '0101010101010101010101010101010101010101010101010101010101010101\n' >"$T/other.key"
chmod 600 "$T/other.key"
code update.notcontroller 1 sh -c "echo '{\"hijacked\":true}' | $CFS update $S --key $T/other.key shopping"
code create.badheader 1 $CFS create $S --header '{"controllers":["a","b"]}'
code show.badid 3 $CFS show $S kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s
code verify.unknown 3 $CFS verify $S kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s
code pin.unknown 3 $CFS pin $S kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s
code log.unknown 3 $CFS log $S nosuchdoc
code usage 2 $CFS update
eq unchanged "$($CFS log $S shopping | wc -l | tr -d ' ')" 4

# streams as CAR files: export a document with an anchor in its log,
# import it on a fresh node: the same state, verified
C="--state $T/car0"
CID=$($CFS create $C --alias carried --content '{"n":0}' | jq -r .streamId)
echo '{"n":1}' | $CFS update $C carried >/dev/null
$CFS anchor $C carried --wait 10 >/dev/null
for n in 2 3; do echo "{\"n\":$n}" | $CFS update $C carried >/dev/null; done
code car.export 0 $CFS export $C carried -o "$T/c.car"
code car.import 0 $CFS import --state "$T/car1" "$T/c.car"
eq car.import.out "$(jq -r .streamId "$T/out") $(jq -r .tip "$T/out")" "$CID $($CFS log $C carried | tail -1 | jq -r .cid)"
# the same state but for the anchor's times: an in-memory anchor is
# verified only on the node that made it (js's rule), so the importing
# node keeps it unverified, without timestamps
eq car.same "$($CFS show --state "$T/car1" "$CID" --meta | jq -c 'del(.log[].check)')" \
    "$($CFS show $C carried --meta | jq -c 'del(.log[].check) | del(.log[].timestamp)')"
eq car.made.here "$($CFS show $C carried --meta | jq -c '[.log[] | has("timestamp")]')" '[true,true,true,false,false]'
eq car.anchored "$($CFS log --state "$T/car1" "$CID" | jq -r .type | tr '\n' ' ')" "genesis signed anchor signed signed "
code car.verify 0 $CFS verify --state "$T/car1"
code car.stdout 0 sh -c "$CFS export $C carried | cmp - $T/c.car"
code car.again 0 $CFS import --state "$T/car1" "$T/c.car"
code car.stdin 0 sh -c "$CFS import --state $T/car5 - <$T/c.car"
eq car.stdin.show "$($CFS show --state "$T/car5" "$CID" | jq -c .)" '{"n":3}'
# car_tamper IN OUT: the root block's last byte (a signature's) flipped, the
# root renamed to its new CID, every other block kept
car_tamper() {
    python3 - "$1" "$2" <<'PY'
import hashlib, sys
d = open(sys.argv[1], 'rb').read()
def varint(b, i):
    v = s = 0
    while True:
        v |= (b[i] & 0x7f) << s; s += 7; i += 1
        if not b[i - 1] & 0x80: return v, i
def enc(v):
    o = b''
    while True:
        if v < 0x80: return o + bytes([v])
        o += bytes([v & 0x7f | 0x80]); v >>= 7
hl, i = varint(d, 0)
hdr = d[i:i + hl]; i += hl
t = hdr.index(b'\xd8\x2a') + 2  # tag 42, bytes(n) of 0x00 + the CID
root = hdr[t + 3:t + 2 + hdr[t + 1]]
out = []
while i < len(d):
    sl, i = varint(d, i)
    sec = d[i:i + sl]; i += sl
    if sec[:len(root)] == root:
        blk = sec[len(root):-1] + bytes([sec[-1] ^ 1])
        cid = root[:-32] + hashlib.sha256(blk).digest()
        hdr = hdr.replace(root, cid); sec = cid + blk
    out.append(enc(len(sec)) + sec)
open(sys.argv[2], 'wb').write(enc(len(hdr)) + hdr + b''.join(out))
PY
}
# a later commit whose signature is broken: the stream stays at the commit
# before it (the content there), the rejected commit is named, exit 1
car_tamper "$T/c.car" "$T/bad.car"
code car.badtip 1 $CFS import --state "$T/car2" "$T/bad.car"
BAD=$(jq -r .root "$T/out")
eq car.badtip.names "$(grep -c "$BAD" "$T/err") $(jq -r .rejected "$T/out" | grep -c "$BAD")" "1 1"
eq car.badtip.show "$($CFS show --state "$T/car2" "$CID" | jq -c .)" '{"n":2}'
eq car.badtip.tip "$(jq -r .tip "$T/out")" "$($CFS log $C carried | sed -n 4p | jq -r .cid)"
code car.badtip.verify 0 $CFS verify --state "$T/car2"
# a bad genesis: nothing loaded, no block stored
GEN=$($CFS create $C --content '{"g":1}' | jq -r .streamId)
$CFS export $C "$GEN" -o "$T/g.car"
car_tamper "$T/g.car" "$T/badg.car"
code car.badgenesis 1 $CFS import --state "$T/car3" "$T/badg.car"
eq car.badgenesis.nothing "$($CFS list --state "$T/car3" | wc -l) $(find "$T/car3/blocks" -type f | wc -l)" "0 0"
# malformed files: a clear error, nothing changes (not even a node made)
head -c -5 "$T/c.car" >"$T/trunc.car"
code car.truncated 1 $CFS import --state "$T/car4" "$T/trunc.car"
eq car.truncated.why "$(grep -c truncated "$T/err")" 1
cat "$T/c.car" "$T/c.car" >"$T/twice.car"
code car.trailing 1 $CFS import --state "$T/car4" "$T/twice.car"
code car.empty 1 $CFS import --state "$T/car4" /dev/null
eq car.nonode "$(ls "$T/car4" 2>/dev/null | wc -l)" 0
code car.trunc.existing 1 $CFS import --state "$T/car2" "$T/trunc.car"
eq car.trunc.unchanged "$($CFS show --state "$T/car2" "$CID" | jq -c .)" '{"n":2}'
code car.export.unknown 3 $CFS export $C kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s -o "$T/x.car"
code car.usage 2 $CFS import

# a did:pkh stream made by the js libraries (tests/vectors/gen/cacao.mjs):
# a session key signs under a CACAO of an Ethereum account; its update
# under a CACAO whose resources do not cover the stream is refused
V=$(dirname "$0")/vectors
PKH=$(jq -r '.commits[] | select(.name == "genesis-tile") | .stream_id' "$V/js-cacao.json")
code car.pkh 0 $CFS import --state "$T/pkh" "$V/cacao-tile.car"
eq car.pkh.content "$($CFS show --state "$T/pkh" "$PKH" | jq -c .)" '{"hello":"update-tile"}'
eq car.pkh.controller "$($CFS show --meta --state "$T/pkh" "$PKH" | jq -r '.metadata.controllers[0]')" \
    "did:pkh:eip155:1:$(jq -r '.accounts[0].address' "$V/js-cacao.json")"
eq car.pkh.log "$($CFS log --state "$T/pkh" "$PKH" | jq -r '[.author, .capability] | join(" ")' | sort -u)" \
    "$(jq -r '.sessions[0].did + " " + (.cacaos[] | select(.name == "good") | .cid)' "$V/js-cacao.json")"
$CFS export --state "$T/pkh" "$PKH" -o "$T/pkh.car"
# the export carries the CACAO: a fresh node verifies the stream from it alone
code car.pkh.reimport 0 $CFS import --state "$T/pkh2" "$T/pkh.car"
code car.pkh.forged 1 $CFS import --state "$T/pkh3" "$V/cacao-forged.car"
eq car.pkh.forged.why "$(grep -c 'capability does not have appropriate permissions' "$T/err")" 1
eq car.pkh.forged.kept "$($CFS show --state "$T/pkh3" "$PKH" | jq -c .)" '{"hello":"update-tile"}'

# a Caip10Link made by js (gen/caip10.mjs) imports with its linked DID; one
# whose last proof is older than the update before it stops before it
C10=$(jq -r '.streams[0].stream_id' "$V/js-caip10.json")
code car.caip10 0 $CFS import --state "$T/c10" "$V/caip10-link.car"
eq car.caip10.did "$($CFS show --state "$T/c10" "$C10")" \
    "$(jq '.streams[0].updates[] | select(.what == "relink DID2 later") | .js.content' "$V/js-caip10.json")"
code car.caip10.old 1 $CFS import --state "$T/c10b" "$V/caip10-old.car"
eq car.caip10.old.why "$(grep -c 'proof timestamp too old' "$T/err")" 1
eq car.caip10.old.kept "$($CFS show --state "$T/c10b" "$C10")" \
    "$(jq '.streams[0].updates[] | select(.what == "same timestamp") | .js.content' "$V/js-caip10.json")"

# writing as an Ethereum account: the node's documents are the did:pkh's,
# signed by a session key under a CACAO the node made (ceramicfs account)
jq -r '"0x" + .accounts[0].secret_hex' "$V/js-cacao.json" >"$T/eth.key"
code account.perm 1 $CFS account --state "$T/acct" --eth-key "$T/eth.key"
chmod 600 "$T/eth.key"
code account.set 0 $CFS account --state "$T/acct" --eth-key "$T/eth.key" --lifetime 2h --resource 'ceramic://*'
PKHDID="did:pkh:eip155:1:$(jq -r '.accounts[0].address' "$V/js-cacao.json")"
eq account.did "$(jq -r .did "$T/out")" "$PKHDID"
ACC=$($CFS create --state "$T/acct" --content '{"by":"account"}' | jq -r .streamId)
echo '{"by":"account","n":2}' | $CFS update --state "$T/acct" "$ACC" >/dev/null
eq account.controller "$($CFS show --meta --state "$T/acct" "$ACC" | jq -r '.metadata.controllers[0]')" "$PKHDID"
eq account.log "$($CFS log --state "$T/acct" "$ACC" | jq -r '"\(.author) \(.capability)"' | sort -u)" \
    "$($CFS account --state "$T/acct" | jq -r '"\(.session) \(.capability)"')"
code account.verify 0 $CFS verify --state "$T/acct" "$ACC"
# its CAR verifies on a node that never heard of the account
$CFS export --state "$T/acct" "$ACC" -o "$T/acct.car"
code account.car 0 $CFS import --state "$T/acct2" "$T/acct.car"
eq account.car.content "$($CFS show --state "$T/acct2" "$ACC" | jq -c .)" '{"by":"account","n":2}'
code account.clear 0 $CFS account --state "$T/acct" --clear
eq account.cleared "$(jq -r .did "$T/out" | cut -c1-8)" did:key:
code account.notours 1 sh -c "echo '{}' | $CFS update --state $T/acct $ACC"

# writing as an Ethereum account through a session a wallet made (did-session
# 2.0.1 + pkh-ethereum + an ethers wallet; js-session.json): used as given
W=$V/js-session.json
wsess() { jq -r ".sessions[] | select(.name == \"$1\") | .$2" "$W"; }
for n in good expired model-only not-ceramic other-key tampered other-signer; do
    wsess "$n" serialized >"$T/w-$n"; chmod 600 "$T/w-$n"
done
code wallet.import 0 $CFS account --state "$T/wal" --session "$T/w-good"
eq wallet.did "$(jq -r '"\(.did) \(.session) \(.capability) \(.given)"' "$T/out")" \
    "$(wsess good js.parent) $(wsess good js.session) $(wsess good cacao_cid) true"
eq wallet.mode "$(stat -c %a "$T/wal/session")" 600
WAL=$($CFS create --state "$T/wal" --content '{"by":"wallet"}' | jq -r .streamId)
echo '{"by":"wallet","n":2}' | $CFS update --state "$T/wal" "$WAL" >/dev/null
eq wallet.controller "$($CFS show --meta --state "$T/wal" "$WAL" | jq -r '.metadata.controllers[0]')" "$(wsess good js.parent)"
eq wallet.log "$($CFS log --state "$T/wal" "$WAL" | jq -r '"\(.author) \(.capability)"' | sort -u)" \
    "$(wsess good js.session) $(wsess good cacao_cid)"
code wallet.verify 0 $CFS verify --state "$T/wal" "$WAL"
$CFS export --state "$T/wal" "$WAL" -o "$T/wal.car"
code wallet.car 0 $CFS import --state "$T/wal2" "$T/wal.car"
# the CACAO block and its key file, as given (dag-cbor, and the JSON form)
wsess good cacao_hex | xxd -r -p >"$T/w.cacao"; wsess good cacao_json >"$T/w.cacao.json"
wsess good session_seed_hex >"$T/w.key"; chmod 600 "$T/w.key"
code wallet.block 0 $CFS account --state "$T/walb" --cacao "$T/w.cacao" --session-key "$T/w.key"
eq wallet.block.cap "$(jq -r .capability "$T/out")" "$(wsess good cacao_cid)"
code wallet.json 0 $CFS account --state "$T/walb" --cacao "$T/w.cacao.json" --session-key "$T/w.key"
eq wallet.json.cap "$(jq -r .capability "$T/out")" "$(wsess good cacao_cid)"
# refused, with the reason, and the account kept as it was
for c in expired:expired other-key:'not to the session key' tampered:'does not belong' \
         other-signer:'does not belong' not-ceramic:'no Ceramic stream'; do
    code "wallet.refuse.${c%%:*}" 1 $CFS account --state "$T/wal" --session "$T/w-${c%%:*}"
    eq "wallet.refuse.${c%%:*}.why" "$(grep -c "${c#*:}" "$T/err")" 1
done
eq wallet.kept "$($CFS account --state "$T/wal" | jq -r .capability)" "$(wsess good cacao_cid)"
chmod 644 "$T/w-good"
code wallet.perm 1 $CFS account --state "$T/walp" --session "$T/w-good"
# resources: a session for one model's documents writes no TileDocument
code wallet.model.import 0 $CFS account --state "$T/walm" --session "$T/w-model-only"
code wallet.model.refused 1 $CFS create --state "$T/walm" --content '{}'
eq wallet.model.why "$(grep -c 'does not cover a new stream' "$T/err")" 1
# never renewed: past its exp every save is refused, saying what to do
jq '.expires = 1000' "$T/wal/session" >"$T/wal/s.tmp" && mv "$T/wal/s.tmp" "$T/wal/session"
code wallet.expired.save 1 sh -c "echo '{\"n\":3}' | $CFS update --state $T/wal $WAL"
eq wallet.expired.why "$(grep -c 'cannot renew a CACAO a wallet signed' "$T/err")" 1
eq wallet.expired.kept "$($CFS show --state "$T/wal" "$WAL" | jq -c .)" '{"by":"wallet","n":2}'
code wallet.expired.shown 0 $CFS account --state "$T/wal"
eq wallet.expired.warning "$(grep -c 'warning: the wallet session has expired' "$T/err")" 1

# kill -9 in the middle of a burst of updates: every acknowledged update is
# in the log afterwards, and the node verifies
: >"$T/acked"  # (the wait below counts in it from the start)
(
    i=0
    while [ $i -lt 200 ]; do
        printf '{"title":"groceries","n":%d}' $i | $CFS update $S shopping >>"$T/acked" 2>/dev/null || exit 0
        i=$((i + 1))
    done
) &
BURST=$!
# let a few updates through (slow under valgrind), then kill at a random moment
n=0
while [ "$(grep -c '"tip"' "$T/acked" 2>/dev/null || true)" -lt 3 ] && [ $n -lt 600 ]; do
    sleep 0.1; n=$((n + 1))
done
sleep "0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1)"
kill -9 $BURST 2>/dev/null || true
wait $BURST 2>/dev/null || true
# the update in flight (an orphan now) is killed too, wherever it was
while pkill -9 -f "ceramicfs update --state $T/node" 2>/dev/null; do sleep 0.05; done
$CFS log $S shopping | jq -r .cid >"$T/cids"
missing=0
for tip in $(jq -r .tip "$T/acked" 2>/dev/null); do
    grep -qx "$tip" "$T/cids" || missing=$((missing + 1))
done
eq crash.acked_in_log "$missing" 0
eq crash.acked_some "$([ "$(wc -l <"$T/acked")" -gt 0 ] && echo yes)" yes
code crash.verify 0 $CFS verify $S
# The kill may have left the last update's record line in the write-ahead
# log (a read-only open serves the stream from it) and the state cache
# behind the record's tip (written at a writer's close): an unchanged
# update opens the node for writing, which empties the log and, rebuilding
# the state, caches it, as the checks below assume
$CFS show $S shopping | $CFS update $S shopping >/dev/null
eq crash.log_empty "$(wc -c <"$T/node/streams/wal.jsonl" 2>/dev/null || echo 0)" 0

# a corrupted block on disk: verify names it and fails with 4
G=$($CFS streamid parse "$ID" | jq -r .genesis)
SHARD=$(printf %s "$G" | rev | cut -c2-3 | rev)
B="$T/node/blocks/$SHARD/$G.data"
printf 'garbage' | dd of="$B" bs=1 seek=3 conv=notrunc 2>/dev/null
set +e; $CFS verify $S >"$T/out" 2>"$T/err"; rc=$?; set -e
eq corrupt.verify "$rc $(grep -c "$G" "$T/err")" "4 2"
eq corrupt.stream "$(jq -r 'select(.streamId) | .ok' "$T/out")" false
# (the state verified before the damage is still what show serves)
eq corrupt.show "$($CFS show $S shopping | jq -r .title)" groceries

# a damaged block no stream refers to (a crash leftover, a disk fault) is
# found too: verify re-checks every block in the store
X=$(printf '{"stray":true}' | $CFS dag encode)
XS=$(printf %s "$X" | rev | cut -c2-3 | rev)
mkdir -p "$T/node/blocks/$XS"
printf 'not the block' >"$T/node/blocks/$XS/$X.data"
set +e; $CFS verify $S >"$T/out" 2>"$T/err"; rc=$?; set -e
eq stray.verify "$rc $(jq -r "select(.block == \"$X\") | .ok" "$T/out")" "4 false"

# a damaged stream record: verify names the file and fails with 4; the
# file is kept, and the stream is back once the record is repaired (the
# write-ahead log is empty: see after the kill above)
R="$T/node/streams/$ID.json"
cp "$R" "$T/record"
printf '{"streamId":' >"$R"
set +e; $CFS verify $S >"$T/out" 2>"$T/err"; rc=$?; set -e
eq record.verify "$rc $(jq -r 'select(.registry) | .ok' "$T/out") $(grep -c "$ID.json" "$T/err")" "4 false 1"
code record.unknown 3 $CFS show $S "$ID"
cp "$T/record" "$R"
eq record.repaired "$($CFS list $S | jq -r "select(.streamId == \"$ID\") | .alias")" shopping

# a block missing from the middle of a log (no state cache to fall back
# on): a failure naming the block (1), not "no such document" (3); the
# document is back once the block is
GID=$($CFS create $S --alias gap --content '{"n":0}' | jq -r .streamId)
for n in 1 2 3; do echo "{\"n\":$n}" | $CFS update $S gap >/dev/null; done
M=$($CFS log $S gap | sed -n 2p | jq -r .cid)
MF=$(ls "$T"/node/blocks/*/"$M.data")
mv "$MF" "$T/missing"
rm -f "$T/node/streams/$GID.state.json"
code gap.show 1 $CFS show $S gap
eq gap.names "$(grep -c "$M" "$T/err")" 1
code gap.update 1 sh -c "echo '{\"n\":4}' | $CFS update $S gap"
code gap.verify 4 $CFS verify $S gap
mv "$T/missing" "$MF"
eq gap.back "$($CFS show $S gap | jq -c .) $($CFS log $S gap | wc -l | tr -d ' ')" '{"n":3} 4'

# a node whose key is secp256k1 or P-256 (did --key-type before first
# use) writes documents signed with it (ES256K, ES256) that verify; the
# key type is checked against the existing key
for kt in secp256k1 p256; do
    KS="--state $T/$kt"
    KD=$($CFS did $KS --key-type $kt 2>/dev/null)
    eq key.$kt.file "$(cut -d: -f1 "$T/$kt/key")" $kt
    $CFS create $KS --alias k --content '{"n":1}' >/dev/null
    echo '{"n":2}' | $CFS update $KS k >/dev/null
    eq key.$kt.show "$($CFS show $KS k | jq -c .)" '{"n":2}'
    eq key.$kt.author "$($CFS log $KS k | jq -r .author | sort -u)" "$KD"
    want=ES256; [ $kt = secp256k1 ] && want=ES256K
    eq key.$kt.alg "$($CFS log $KS k | jq -r .cid | while read -r c; do
        f=$(ls "$T/$kt"/blocks/*/"$c.data")
        $CFS dag decode "$f" --codec dag-jose | jq -r '.signatures[0].protected' | basenc --base64url -d 2>/dev/null |
            jq -r .alg
    done | sort -u)" $want
    code key.$kt.verify 0 $CFS verify $KS k
    code key.$kt.mismatch 1 $CFS did $KS --key-type ed25519
done
eq key.prefixes "$($CFS did --state "$T/secp256k1" | cut -c1-12) $($CFS did --state "$T/p256" | cut -c1-12)" \
    "did:key:zQ3s did:key:zDna"

if [ $fails -ne 0 ]; then echo "node_test: $fails failures"; exit 1; fi
echo "node_test: all passed"
