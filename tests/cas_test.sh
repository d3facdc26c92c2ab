#!/bin/sh
# cas_test.sh — `ceramicfs cas serve` as a user runs it, with ceramicfs's own
# CAS client on the other side (no daemons: the in-memory chain, a free
# port): documents of a node are anchored through the service
# (`ceramicfs anchor --anchor-service URL`), the anchor commits in the
# node's log are the ones the service reports (unverified there: another
# process's in-memory chain, so FAILED), the log verifies; the HTTP
# API answers supported_chains, refuses bad requests with 4xx and JSON
# errors; SIGTERM stops the service with exit 0, and a restart on the same
# --state answers the same (with the HTTP limits set: --max-body). The service is no open door: it refuses a
# non-loopback address without an allowlist; with one (--allow-file) it
# warns, serves only requests signed by an allowed DID (a node with
# --anchor-auth did), refuses unsigned ones (401) and those of other DIDs
# (403). (js-ceramic against the same service on a real chain:
# tests/interop_cas_test.sh.)
set -u

CFS=${CERAMICFS:-build/ceramicfs}
T=$(mktemp -d /var/tmp/cfs-cas.XXXXXX)
PCAS=
cleanup() {
    [ -n "$PCAS" ] && { kill "$PCAS" 2>/dev/null; wait "$PCAS" 2>/dev/null; }
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2' want '$3'"; fi; }
command -v curl >/dev/null && command -v jq >/dev/null || { echo "cas_test: curl and jq are needed"; exit 1; }
S="--state $T/node"

# start_cas [ADDRESS [options]]: the service on a free port of ADDRESS
# (default 127.0.0.1; its log says which port), URL set. The log is
# emptied first: the previous run's line must not be read as this one's.
start_cas() {
    A=${1:-127.0.0.1}
    [ $# -gt 0 ] && shift
    : >"$T/cas.log"
    $CFS cas serve --listen "$A:0" --state "$T/cas" --anchor-interval 1 --poll-wait 5 "$@" 2>>"$T/cas.log" &
    PCAS=$!
    i=0
    until PORT=$(sed -n "s/.*anchor service on $A:\([0-9]*\),.*/\1/p" "$T/cas.log") && [ -n "$PORT" ]; do
        i=$((i + 1))
        [ $i -gt 100 ] && { echo "FAIL the service did not start"; cat "$T/cas.log"; exit 1; }
        sleep 0.1
    done
    URL=http://127.0.0.1:$PORT
}
start_cas
eq chains "$(curl -sf -m 5 "$URL/api/v0/service-info/supported_chains" | jq -c .)" '{"supportedChains":["inmemory:12345"]}'

# ---- a node's documents anchored through the service ----
ID=$($CFS create $S --content '{"title":"through the CAS"}' | jq -r .streamId)
echo '{"title":"through the CAS","n":2}' | $CFS update $S "$ID" >/dev/null
ID2=$($CFS create $S --content '{"other":true}' | jq -r .streamId)
# an in-memory anchor counts only for the process that made it (js-ceramic's
# rule): the service's anchors are applied here, unverified, not counted,
# so the requests end FAILED and `anchor` exits non-zero
timeout 60 $CFS anchor $S --anchor-service "$URL" --wait 30 >"$T/a.json" 2>"$T/anchor.err" && bad "anchor: exit 0 with unverified anchors"
eq status "$(jq -r .anchorStatus "$T/a.json" | sort -u)" FAILED
eq verification "$(jq -r .verification "$T/a.json" | sort -u)" unverified
eq chain "$(jq -r .chainId "$T/a.json" | sort -u)" inmemory:12345
for s in "$ID" "$ID2"; do
    $CFS log $S "$s" >"$T/log"
    TIP=$(jq -r 'select(.type != "anchor") | .cid' "$T/log" | tail -1)
    AC=$(jq -r 'select(.type == "anchor") | .cid' "$T/log" | tail -1)
    R=$(curl -sf -m 10 "$URL/api/v0/requests/$TIP")
    eq "cas.status.$s" "$(printf '%s' "$R" | jq -r .status)" COMPLETED
    eq "cas.stream.$s" "$(printf '%s' "$R" | jq -r .streamId)" "$s"
    eq "log.anchor.is.the.service's.$s" "$AC" "$(printf '%s' "$R" | jq -r .anchorCommit.cid)"
    $CFS verify $S "$s" >/dev/null 2>&1 && ok "verify $s" || bad "verify $s"
done
eq log.types "$($CFS log $S "$ID" | jq -r .type | tr '\n' ' ')" "genesis signed anchor "
grep -qE "request .* for $ID \((JSON|CAR)\)" "$T/cas.log" && ok "the client's request is in the service's log" || bad "no request in the log"

# ---- bad requests: 4xx with a JSON error ----
code() { curl -s -m 5 -o "$T/body" -w '%{http_code}' "$@"; }
eq bad.cid "$(code "$URL/api/v0/requests/nope") $(jq -r .error "$T/body")" "400 not a CID"
eq unknown "$(code "$URL/api/v0/requests/bafyreih3el7kouhepziddqkx7xsqxeiovfv5az6mnuidwnmsmu37ls7pq4") $(jq -r .error "$T/body")" \
    "404 Request not found"
eq bad.type "$(code -X POST -H 'Content-Type: text/plain' --data x "$URL/api/v0/requests")" 415
eq bad.json "$(code -X POST -H 'Content-Type: application/json' --data '{"streamId":"k"}' "$URL/api/v0/requests")" 400
eq bad.car "$(code -X POST -H 'Content-Type: application/vnd.ipld.car' --data-binary 'not a car' "$URL/api/v0/requests")" 400
eq bad.method "$(code -X DELETE "$URL/api/v0/requests")" 405
eq chunked "$(code -X POST -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data '{}' "$URL/api/v0/requests")" 501
head -c 2000000 /dev/zero >"$T/big"
eq too.big "$(code -X POST -H 'Content-Type: application/vnd.ipld.car' --data-binary @"$T/big" "$URL/api/v0/requests")" 413
curl -sf -m 5 "$URL/api/v0/service-info/supported_chains" >/dev/null && ok "still serving" || bad "not serving after bad requests"

kill -TERM "$PCAS"; wait "$PCAS"; eq exit "$?" 0; PCAS=
# a restart keeps the requests (--state): the same answers; the HTTP
# limits from the command line
cp "$T/cas.log" "$T/cas.1.log"
start_cas 127.0.0.1 --max-body 100000 --max-conns 8 --max-per-ip 4 --conn-timeout 2
eq max.body "$(code -X POST -H 'Content-Type: application/vnd.ipld.car' --data-binary @"$T/big" "$URL/api/v0/requests") $(jq -r .error "$T/body")" \
    "413 body of 2000000 bytes is over the limit of 100000"
R=$(curl -sf -m 10 "$URL/api/v0/requests/$TIP")
eq restart.status "$(printf '%s' "$R" | jq -r .status)" COMPLETED
eq restart.anchorCommit "$(printf '%s' "$R" | jq -r .anchorCommit.cid)" "$AC"
grep -q "2 request(s) from $T/cas/requests.jsonl" "$T/cas.log" && ok "restart: both requests read back" || bad "restart: $(cat "$T/cas.log")"
kill -TERM "$PCAS"; wait "$PCAS"; eq exit.2 "$?" 0; PCAS=

# ---- not an open door ----
$CFS cas serve --listen 0.0.0.0:0 2>"$T/open.err"; rc=$?
eq open.refused "$rc $(grep -c 'not a loopback address' "$T/open.err")" "1 1"
DID=$($CFS did $S)
OTHER=$($CFS did --state "$T/other" 2>/dev/null)
printf '# the nodes allowed here\n%s  # this node\n\n' "$DID" >"$T/allowed"
start_cas 0.0.0.0 --allow-file "$T/allowed"
grep -q "WARNING: the anchor service listens on 0.0.0.0:$PORT, open to other hosts" "$T/cas.log" &&
    ok "a loud warning on a non-loopback address" || bad "no warning: $(cat "$T/cas.log")"
eq unsigned.refused "$(code "$URL/api/v0/service-info/supported_chains") $(jq -r .error "$T/body")" \
    "401 Unauthorized: no Authorization header"
ID3=$($CFS create $S --content '{"signed":"requests"}' | jq -r .streamId)
timeout 30 $CFS anchor $S --anchor-service "$URL" --wait 1 "$ID3" >"$T/u.json" 2>"$T/u.err"
[ "$(jq -r .anchorStatus "$T/u.json")" != ANCHORED ] && ok "the unsigned node's request is not anchored" ||
    bad "unsigned: anchored"
grep -q "Unauthorized: no Authorization header" "$T/u.err" && ok "the unsigned node is told why" || bad "unsigned: $(cat "$T/u.err")"
$CFS create --state "$T/other" --content '{"x":1}' >/dev/null 2>&1
timeout 30 $CFS anchor --state "$T/other" --anchor-service "$URL" --anchor-auth did --wait 1 >/dev/null 2>"$T/o.err"
grep -q "Unauthorized: $OTHER is not allowed here" "$T/o.err" && ok "another DID: 403" || bad "other DID: $(cat "$T/o.err")"
# served: the anchor reaches the node (unverified here, as above: the
# service's in-memory chain is another process's)
timeout 60 $CFS anchor $S --anchor-service "$URL" --anchor-auth did --wait 30 "$ID3" >"$T/s.json" 2>"$T/s.err"
eq signed.served "$(jq -r '.verification + " " + .chainId' "$T/s.json")" "unverified inmemory:12345"
eq signed.log "$($CFS log $S "$ID3" | jq -r .type | tr '\n' ' ')" "genesis anchor "
grep -q "Unauthorized" "$T/s.err" && bad "signed anchor refused: $(cat "$T/s.err")"
grep -qE "request .* for $ID3 \(CAR\) from $DID" "$T/cas.log" && ok "the request is the DID's" || bad "log: $(cat "$T/cas.log")"
kill -TERM "$PCAS"; wait "$PCAS"; eq exit.3 "$?" 0; PCAS=
if [ $fails -ne 0 ]; then echo "cas_test: $fails FAILED"; cat "$T/cas.log"; exit 1; fi
echo "cas_test: all passed"
