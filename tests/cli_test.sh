#!/bin/sh
# cli_test.sh — the plumbing CLI reproduces the worked example (checked
# against the real js libraries) and N4 of tests/vectors/README.md, and
# fails with one line and a non-zero status on bad input; commands on a
# state directory without a node make none.
set -eu

CFS=${CERAMICFS:-build/ceramicfs}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
SEED=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
DID=did:key:z6MkehRgf7yJbgaGfYsdoAsKdBPE3dj2CYhowQdcjqSJgvVd
fails=0

eq() { # eq NAME GOT WANT
    if [ "$2" = "$3" ]; then echo "ok   $1"; else echo "FAIL $1: got '$2' want '$3'"; fails=$((fails + 1)); fi
}
# refused NAME CMD...: must exit non-zero with exactly one line on stderr
refused() {
    name=$1; shift
    if "$@" >"$T/out" 2>"$T/err"; then
        echo "FAIL $name: exit 0"; fails=$((fails + 1)); return
    fi
    n=$(wc -l <"$T/err")
    if [ "$n" -ne 1 ]; then echo "FAIL $name: $n lines on stderr"; cat "$T/err"; fails=$((fails + 1)); return; fi
    echo "ok   $name: $(cat "$T/err")"
}
unhex() { perl -ne 'chomp; print pack("H*", $_)'; }

# did:key from the seed
eq did "$($CFS did --seed-hex $SEED)" "$DID"
eq kid "$($CFS did --seed-hex $SEED --kid)" "$DID#${DID#did:key:}"

# (a) unsigned deterministic genesis
$CFS genesis --seed-hex $SEED --header "{\"controllers\":[\"$DID\"],\"family\":\"example\"}" >"$T/a.json"
eq a.cid "$(jq -r .cid "$T/a.json")" bafyreiar55pr6y3ow53g6c5fdxu5evsf6cb2dhirdw3772dl65tyocjc7a
eq a.streamid "$(jq -r .streamId "$T/a.json")" k2t6wyfsu4pfx4u0h1z53z130eewgie65v3gq1qzng93hom50zbrol2cw8odmg
eq a.signed "$(jq -r .signed "$T/a.json")" false
eq a.bytes "$(jq -r '.payload.hex | length / 2' "$T/a.json")" 95
# --unsigned: no key needed when the header names the controller
eq a.nokey "$($CFS genesis --unsigned --header "{\"controllers\":[\"$DID\"],\"family\":\"example\"}" | jq -r .cid)" \
    bafyreiar55pr6y3ow53g6c5fdxu5evsf6cb2dhirdw3772dl65tyocjc7a

# TileMetadataArgs' deterministic: true is the exact header; false adds a random unique
eq a.deterministic "$($CFS genesis --seed-hex $SEED --header "{\"controllers\":[\"$DID\"],\"family\":\"example\",\"deterministic\":true}" | jq -r .cid)" \
    bafyreiar55pr6y3ow53g6c5fdxu5evsf6cb2dhirdw3772dl65tyocjc7a
U1=$($CFS genesis --seed-hex $SEED --header '{"family":"example","deterministic":false}' | jq -r .cid)
U2=$($CFS genesis --seed-hex $SEED --header '{"family":"example"}' --unique | jq -r .cid)
if [ "$U1" = "$U2" ] || [ ${#U1} -ne 59 ]; then echo "FAIL unique: $U1 $U2"; fails=$((fails + 1)); else echo "ok   unique"; fi

# (b) signed genesis with content (controllers default to the key's DID)
$CFS genesis --seed-hex $SEED --header '{"unique":"AAECAwQFBgcICQoL"}' --content '{"hello":"world"}' >"$T/b.json"
G=$(jq -r .cid "$T/b.json")
eq b.payload "$(jq -r .payload.cid "$T/b.json")" bafyreic6r4ou37w3mpue55dxzwvp5rpa3ogzrjneqf7vbav4uvhqcbw4c4
eq b.cid "$G" bagcqceraldpf5rsjb3kfkjc6qh73vfy56t4fmqffmlb2xozz6fzxn4jhs2ba
eq b.streamid "$(jq -r .streamId "$T/b.json")" kjzl6cwe1jw147hmchz761yq1o2u6iqhombshw19n8j3a68en0vwbbp9nbtgbcy
eq b.protected "$(jq -r .jws.protected "$T/b.json")" eyJhbGciOiJFZERTQSIsImtpZCI6ImRpZDprZXk6ejZNa2VoUmdmN3lKYmdhR2ZZc2RvQXNLZEJQRTNkajJDWWhvd1FkY2pxU0pndlZkI3o2TWtlaFJnZjd5SmJnYUdmWXNkb0FzS2RCUEUzZGoyQ1lob3dRZGNqcVNKZ3ZWZCJ9
eq b.payload64 "$(jq -r .jws.payload "$T/b.json")" AXESIF6PHU3-22PoTvR3zar-xeDbjZilpIF_UIK8pU8BBtwX
eq b.signature "$(jq -r .jws.signature "$T/b.json")" y2_6Ctemce6GvfrAv4EczFdKXyDPmc5vBy1oNAYtXNVTPL-sCoTFWUcAhJdZA-bPSQVZeAkchUNmMkNfNMu0Dw
eq b.envelope.bytes "$(jq -r '.envelope.hex | length / 2' "$T/b.json")" 277

# the envelope verifies, and decodes as js-dag-jose shows it
jq -r .envelope.hex "$T/b.json" | unhex >"$T/b.jose"
eq b.verify "$($CFS verify "$T/b.jose")" "$DID#${DID#did:key:}"
eq b.decode.link "$($CFS dag decode "$T/b.jose" --cid "$G" | jq -r .link)" bafyreic6r4ou37w3mpue55dxzwvp5rpa3ogzrjneqf7vbav4uvhqcbw4c4
jq -r .payload.hex "$T/b.json" | unhex >"$T/b.cbor"
eq b.decode.payload "$($CFS dag decode "$T/b.cbor" | jq -c .data)" '{"hello":"world"}'

# the same envelope through 'sign' from the dag-json payload
printf '{"data":{"hello":"world"},"header":{"controllers":["%s"],"unique":"AAECAwQFBgcICQoL"}}' "$DID" \
    | $CFS sign --seed-hex $SEED >"$T/s.json"
eq sign.envelope "$(jq -r .envelope.cid "$T/s.json")" "$G"

# (c) signed update
$CFS commit --seed-hex $SEED --genesis "$G" --prev "$G" --patch '[{"op":"add","path":"/foo","value":"bar"}]' >"$T/c.json"
C=$(jq -r .cid "$T/c.json")
eq c.payload "$(jq -r .payload.cid "$T/c.json")" bafyreial5vkrdve27keioyo6wly5v7pwkfuleg52lmouh6vyvx6skix77e
eq c.cid "$C" bagcqcerarfwll5cty27gz4igr7wbl2ukdt2ij7hfblex2tzsxcii6vowuusq
eq c.signature "$(jq -r .jws.signature "$T/c.json")" bM6kez49dTwpFgvTxQWfSYz-mB6kFYBGR1KVpSqaZe_Bdtm706mQ9c4Gm5pX5ESS0_SO2xpvXYMZkfHW_Y8nBw
eq c.commitid "$(jq -r .commitId "$T/c.json")" k1dpgaqe3i64kjqm002aa4pmr6s30mc5iba4uazsqa0m51tt3ghuypklgu7x8ur1q3uzzwhzz2vn3f8244xs0x89jpc1tl9brn9gms51k3si649x6arndu9lx

# (d) proof and anchor commit as dag-json through 'dag encode'
P=$(printf '{"chainId":"inmemory:12345","root":{"/":"%s"},"txHash":{"/":"bagjqcgzaday6dzalvmy5ady2m5a5legq5zrbsnlxfc2bfxej532ds7htpova"},"txType":"f(bytes32)"}' "$C" \
    | $CFS dag encode -o "$T/proof.cbor")
eq d.proof "$P" bafyreihsase6av4cnp3bkm4fh6mwuykricpsb24e4amm75cedsvb2oglgi
A=$(printf '{"id":{"/":"%s"},"prev":{"/":"%s"},"proof":{"/":"%s"},"path":""}' "$G" "$C" "$P" | $CFS dag encode)
eq d.anchor "$A" bafyreibuuaxf3z2o473xi23aga3d7msauk6gtgsbgayp4p7ajj4ajclpf4
eq d.decode "$($CFS dag decode "$T/proof.cbor" --cid "$P" | jq -r .chainId)" inmemory:12345

# StreamIDs and CommitIDs (V1-V3 of tests/vectors/README.md)
eq sid.make "$($CFS streamid tile bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6a)" kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s
eq sid.commit0 "$($CFS streamid 0 bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6a 0)" k3y52l7qbv1frxwipl4hp7e6jlu4f6u8upm2xv0irmedfkm5cnutmezzi3u7mytj4
$CFS streamid parse "/ceramic/kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s?commit=bagjqcgzaday6dzalvmy5ady2m5a5legq5zrbsnlxfc2bfxej532ds7htpova" >"$T/p.json"
eq sid.parse.commitid "$(jq -r .commitId "$T/p.json")" k1dpgaqe3i64kjqcp801r3sn7ysi5i0k7nxvs7j351s7kewfzr3l7mdxnj7szwo4kr9mn2qki5nnj0cv836ythy1t1gya9s25cn1nexst3jxi5o3h6qprfyju
eq sid.parse.type "$(jq -r '.type, .typeName' "$T/p.json" | tr '\n' ' ')" "0 tile "
eq sid.parse.genesis "$(jq -r .genesis "$T/p.json")" bagcqcerakszw2vsovxznyp5gfnpdj4cqm2xiv76yd24wkjewhhykovorwo6a
eq sid.parse.null "$($CFS streamid parse kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60s | jq -r .commit)" null

# blocks a js-ipfs 0.66 daemon made (tests/vectors/captures/):
# dag/put of obj.json; block/put of hello.cbor, whose map keys are not in
# canonical order: the CID is over its own bytes (a re-encoding differs)
V=$(dirname "$0")/vectors/captures
eq ipfs.dagput "$($CFS dag encode <"$V/obj.json")" bafyreicityyy5vzjnmbzspf2noxmq2nlpkud5owagteowllfo3khvbqani
eq ipfs.blockput "$($CFS dag decode "$V/hello.cbor" --cid bafyreigcnk5m6frdo6koqcsajpgf52zubgox5qmjx4ny5lqrfuucg65i7q)" '{"hello":"world","num":1}'
R=$($CFS dag decode "$V/hello.cbor" | $CFS dag encode)
if [ ${#R} -ne 59 ] || [ "$R" = bafyreigcnk5m6frdo6koqcsajpgf52zubgox5qmjx4ny5lqrfuucg65i7q ]; then
    echo "FAIL ipfs.reencode: $R"; fails=$((fails + 1)); else echo "ok   ipfs.reencode"; fi
for f in obj link bytes; do
    $CFS dag encode -o "$T/$f.cbor" <"$V/$f.json" >/dev/null
    eq "ipfs.roundtrip.$f" "$($CFS dag decode "$T/$f.cbor" | jq -cS .)" "$(jq -cS . "$V/$f.json")"
done

# the key file: created 0600 in the state directory on first use, then reused
D1=$($CFS did --state "$T/state" 2>/dev/null)
D2=$($CFS did --state "$T/state")
eq key.reused "$D1" "$D2"
eq key.mode "$(stat -c %a "$T/state/key")" 600
eq key.file "$($CFS did --key "$T/state/key")" "$D1"

# COMMAND [SUBCOMMAND] --help: the usage on stdout, exit 0
for c in did "dag encode" "dag decode" "streamid parse" sign verify genesis commit; do
    # shellcheck disable=SC2086
    if $CFS $c --help >"$T/out" 2>"$T/err" && grep -q "^usage: ceramicfs ${c%% *}" "$T/out" && [ ! -s "$T/err" ]; then
        echo "ok   help.$c"; else echo "FAIL help.$c"; fails=$((fails + 1)); fi
done

# bad input: one line on stderr, non-zero exit
refused bad.seed $CFS did --seed-hex 0011
refused bad.seedhex $CFS did --seed-hex zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
refused bad.json $CFS genesis --seed-hex $SEED --content '{"a":'
refused bad.trailing $CFS genesis --seed-hex $SEED --content '{"a":1} x'
refused bad.unsigned $CFS genesis --seed-hex $SEED --unsigned --content '{"a":1}'
refused bad.unsigned.nocontroller $CFS genesis --unsigned --header '{"family":"example"}'
refused bad.nokey $CFS genesis --header "{\"controllers\":[\"$DID\"]}"
refused bad.header $CFS genesis --seed-hex $SEED --header '{"controllers":["a","b"]}'
refused bad.prev $CFS commit --seed-hex $SEED --genesis "$G" --prev nope --patch '[]'
refused bad.patch $CFS commit --seed-hex $SEED --genesis "$G" --prev "$G" --patch '{}'
refused bad.patchop $CFS commit --seed-hex $SEED --genesis "$G" --prev "$G" --patch '[{"op":"bogus","path":"/a"}]'
refused bad.patchvalue $CFS commit --seed-hex $SEED --genesis "$G" --prev "$G" --patch '[{"op":"add","path":"/a"}]'
refused bad.streamid $CFS streamid parse kjzl6cwe1jw147dvq16zluojmraqvwdmbh61dx9e0c59i344lcrsgqfohexp60
refused bad.type $CFS streamid nosuchtype "$G"
chmod 644 "$T/state/key"
refused bad.keymode $CFS did --key "$T/state/key"
printf '{"/":"notacid"}' >"$T/bad.json"
refused bad.link sh -c "$CFS dag encode < $T/bad.json"
refused bad.cid $CFS dag decode "$T/b.cbor" --cid "$G"
head -c 100 "$T/b.jose" >"$T/trunc.jose"
refused bad.truncated $CFS verify "$T/trunc.jose"
perl -pe 's/\x{cb}\x{6f}\x{fa}/\x{cb}\x{6f}\x{fb}/' "$T/b.jose" >"$T/forged.jose"
refused bad.forged $CFS verify "$T/forged.jose"
# a missing file: its own reason, exit 1, and no state directory made on the way
rc=0; HOME="$T/home" XDG_DATA_HOME= $CFS verify "$T/missing.jose" 2>"$T/err" || rc=$?
eq verify.missing "$rc $(cat "$T/err") $(ls -A "$T/home" 2>/dev/null)" "1 ceramicfs verify: $T/missing.jose: No such file or directory "

# commands on a node that does not exist (a mistyped --state) make none:
# one line naming the directory and the command that makes a node
for c in list "show x" "log x" verify "verify x" "pin x" "unpin x" "alias x y" "anchor --verify"; do
    # shellcheck disable=SC2086
    refused "nonode.${c%% *}" $CFS $c --state "$T/typo"
    grep -qF "no node in $T/typo; create one with 'ceramicfs create --state $T/typo'" "$T/err" ||
        { echo "FAIL nonode.${c%% *}.message: $(cat "$T/err")"; fails=$((fails + 1)); }
done
eq nonode.nothing_made "$(ls -d "$T/typo" 2>/dev/null)" ""
# the default state directory too (no --state)
rc=0; HOME="$T/home2" XDG_DATA_HOME= $CFS list 2>"$T/err" || rc=$?
eq nonode.default "$rc $(ls -A "$T/home2" 2>/dev/null)" "1 "
grep -qF "no node in $T/home2/.local/share/ceramicfs;" "$T/err" || { echo "FAIL nonode.default.message: $(cat "$T/err")"; fails=$((fails + 1)); }

# Models and their documents: the Model genesis has no random part, so
# the key and the definition js used (js-models.json) give its StreamID
V=$(dirname "$0")/vectors/js-models.json
M="--state $T/m --key $T/m.key"
jq -r '.models[0].seed_hex' "$V" >"$T/m.key" && chmod 600 "$T/m.key"
jq -c '.models[0].definition' "$V" >"$T/list.json"
jq -c '.models[1].definition' "$V" >"$T/single.json"
LIST=$($CFS create $M --model-def @"$T/list.json" | jq -r .streamId)
eq model.list.js_streamid "$LIST" "$(jq -r '.models[0].stream_id' "$V")"
SINGLE=$($CFS create $M --model-def @"$T/single.json" --alias profile | jq -r .streamId)
eq model.single.js_streamid "$SINGLE" "$(jq -r '.models[1].stream_id' "$V")"
eq model.show "$($CFS show $M "$SINGLE" | jq -c .accountRelation)" '{"type":"single"}'
NOTE=$($CFS create $M --model "$LIST" --content '{"title":"a"}' | jq -r .streamId)
eq mid.list.type "$($CFS show $M "$NOTE" --meta | jq -r '.doctype + " " + .metadata.model')" "MID $LIST"
echo '{"title":"b","n":2}' | $CFS update $M "$NOTE" >"$T/u.json"
eq mid.update "$(jq -r '.changed, .logLength' "$T/u.json" | tr '\n' ' ')$($CFS show $M "$NOTE" | jq -c .)" \
    'true 2 {"title":"b","n":2}'
P1=$($CFS create $M --model profile --content '{"name":"me"}' | jq -r .streamId)
P2=$($CFS create $M --model profile --content '{"name":"me too"}' | jq -r .streamId)
eq mid.single.same "$P2" "$P1"
eq mid.single.content "$($CFS show $M "$P1" | jq -c .)" '{"name":"me too"}'
eq mid.single.log "$($CFS log $M "$P1" | jq -r .type | tr '\n' ' ')" 'genesis signed signed '
TILE=$($CFS create $M --content '{}' | jq -r .streamId)
refused mid.not_a_model $CFS create $M --model "$TILE" --content '{"title":"a"}'
refused mid.not_object $CFS create $M --model "$LIST" --content '[1]'
refused model.no_version $CFS create $M --model-def '{"name":"x","schema":{"type":"object","additionalProperties":false},"accountRelation":{"type":"list"}}'
refused model.open_object $CFS create $M --model-def "$(jq -c '.schema.additionalProperties = true' "$T/list.json")"
refused model.and_content $CFS create $M --model-def @"$T/list.json" --content '{}'
refused mid.and_header $CFS create $M --model "$LIST" --content '{}' --header '{}'
# content checked against the Model's schema, with js's message
refused mid.schema.create $CFS create $M --model "$LIST" --content '{"title":5}'
grep -qF 'Validation Error: data/title must be string' "$T/err" || { echo "FAIL mid.schema.create.message: $(cat "$T/err")"; fails=$((fails + 1)); }
echo '{"n":1}' >"$T/bad.json"
refused mid.schema.update sh -c "$CFS update $M $NOTE <'$T/bad.json'"
grep -qF "Validation Error: data must have required property 'title'" "$T/err" || { echo "FAIL mid.schema.update.message: $(cat "$T/err")"; fails=$((fails + 1)); }
eq mid.schema.unchanged "$($CFS show $M "$NOTE" | jq -c .)" '{"title":"b","n":2}'
refused model.schema.strict $CFS create $M --model-def "$(jq -c '.schema.properties.n.foo = 1' "$T/list.json")"
# a document's CAR carries its Model (an earlier root): an empty node
# imports both and checks the one against the other
$CFS export $M "$NOTE" -o "$T/note.car"
eq mid.car.roots "$($CFS import --state "$T/mimp" "$T/note.car" | jq -r .streamId | tr '\n' ' ')" "$LIST $NOTE "
eq mid.car.content "$($CFS show --state "$T/mimp" "$NOTE" | jq -c .)" '{"title":"b","n":2}'
# a tile naming a schema (the schema document at a commit) is checked on every save
SCH=$($CFS create $M --content '{"type":"object","properties":{"a":{"type":"string"}}}' | jq -r .streamId)
SCHC=$($CFS log $M "$SCH" | jq -r .cid | head -1)
TS=$($CFS create $M --header "{\"schema\":\"$SCH?commit=$SCHC\"}" --content '{"a":"x"}' | jq -r .streamId)
echo '{"a":[1]}' >"$T/bad.json"
refused tile.schema.update sh -c "$CFS update $M $TS <'$T/bad.json'"
grep -qF 'Validation Error: data/a must be string' "$T/err" || { echo "FAIL tile.schema.update.message: $(cat "$T/err")"; fails=$((fails + 1)); }
eq tile.schema.unchanged "$($CFS show $M "$TS" | jq -c .)" '{"a":"x"}'

# ---- link: an Ethereum account linked to a DID (Caip10Link), js's key ----
V=$(dirname "$0")/vectors/js-caip10.json
L="--state $T/l"
jq -r '.keys[0].secret' "$V" >"$T/eth.key" && chmod 600 "$T/eth.key"
D1=did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK
$CFS link $L --eth-key "$T/eth.key" --did $D1 >"$T/link.json"
eq link.js_streamid "$(jq -r .streamId "$T/link.json")" "$(jq -r '.streams[0].stream_id' "$V")"
LS=$(jq -r .streamId "$T/link.json")
eq link.show "$($CFS show $L "$LS")" "\"$D1\""
eq link.controller "$($CFS show $L "$LS" --meta | jq -r '.metadata.controllers[0]')" \
    "$(jq -r '.streams[0].genesis.js.metadata.controllers[0]' "$V")"
eq link.clear "$($CFS link $L --eth-key "$T/eth.key" --clear | jq -c .did)$($CFS show $L "$LS")" 'nullnull'
eq link.log "$($CFS log $L "$LS" | jq -r .type | tr '\n' ' ')" 'genesis signed signed '
eq link.verify "$($CFS verify $L | jq -r .ok)" true
refused link.no_did $CFS link $L --eth-key "$T/eth.key"
refused link.not_a_did $CFS link $L --eth-key "$T/eth.key" --did nobody
$CFS did --state "$T/l2" >/dev/null 2>&1
refused link.ed25519_key $CFS link $L --eth-key "$T/l2/key" --did $D1

if [ $fails -ne 0 ]; then echo "cli_test: $fails failures"; exit 1; fi
echo "cli_test: all passed"
