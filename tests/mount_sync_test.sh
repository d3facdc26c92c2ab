#!/bin/sh
# mount_sync_test.sh — two mounts, each on its own REAL js-ipfs daemon
# (tests/peers/peers.sh), see each other's edits: a document made with
# mkdir and a save on A is reachable on B by StreamID (loaded from the
# network on lookup); edits on A (echo, sed -i) show up in B's
# content.json, .log and mtime without a remount; B cannot write A's
# document (EACCES: not the controller); .status names the IPFS daemon.
# A third mount C signs with A's key: concurrent saves on A and C converge
# to one tip on all three; a draft on C whose base moved is rebased when
# its patch applies and refused with ESTALE (reported) when it does not.
# A real fork loss: with C unmounted, its node (A's key) commits three
# times offline while A saves once; when C's node publishes, A takes the
# longer branch (js-ceramic's rule) and keeps its lost save readable in
# notes/.conflicts/, reported in .errors, still there after a remount.
# Offline first: with daemon 1 stopped, A saves three times (queued in the
# journal, .status says so), and when it is back B gets all three.
#
# Needs FUSE (root, /dev/fuse) and the peers (bash tests/peers/peers.sh
# install). Without them: with CI set, it installs the peers (or fails);
# without CI it SKIPS loudly with exit 77. CFS_MOUNT_OPTS adds mount options
# (e.g. "-o open").
set -u

CFS=${CERAMICFS:-build/ceramicfs}
API1=http://127.0.0.1:${PEERS_API1:-5311}/api/v0
API2=http://127.0.0.1:${PEERS_API2:-5321}/api/v0
TOPIC=/ceramic/inmemory-cfs-mount-$$
TEST=mount_sync_test WHAT="live sync between two mounts"
. "$(dirname "$0")/lib.sh"
need_fuse
need_peers

T=$(mktemp -d /var/tmp/cfs-msync.XXXXXX)
A=$T/a B=$T/b
mkdir -p "$A" "$B"
PA= PB= PC= PS=
cleanup() {
    unmount "$A" "$B" "$T/c"
    for p in $PA $PB $PC $PS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    $PEERS stop >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
timeout 120 $PEERS start || { echo "FAIL mount_sync_test: daemons did not start"; exit 1; }

mount_at() { # DIR STATE API [OPTIONS] -> pid in $MP
    d=$1 st=$2 api=$3; shift 3
    $CFS mount "$d" --state "$st" -f --anchor none --ipfs "$api" --pubsub-topic "$TOPIC" ${CFS_MOUNT_OPTS:-} "$@" \
        2>>"$T/daemon.log" &
    MP=$!
    wait_mounted "$d" $MP "$T/daemon.log"
}
# until SECONDS CMD...: retry until the command succeeds
until_ok() {
    n=$(($1 * 5)); shift
    while [ $n -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; n=$((n - 1)); done
    return 1
}

mount_at "$A" "$T/sa" "$API1"; PA=$MP
mount_at "$B" "$T/sb" "$API2"; PB=$MP
eq status.ipfs "$(t jq -r '.ipfs.url // .ipfs.api // empty' "$A/.status" | grep -c ":${PEERS_API1:-5311}/")" 1

t mkdir "$A/notes"
t sh -c "echo '{\"from\":\"A\",\"n\":1}' > '$A/notes/content.json'" || bad "save on A"
SID=$(t cat "$A/notes/.streamid")
# B has never heard of it: the lookup asks the network
if until_ok 30 test -e "$B/$SID/content.json"; then ok "B finds A's document by StreamID"; else bad "B lookup $SID"; fi
eq b.content "$(t jq -cS . "$B/$SID/content.json")" '{"from":"A","n":1}'
eq b.controller "$(t getfattr --absolute-names --only-values -n user.ceramic.controller "$B/$SID")" \
    "$(t jq -r .did "$A/.status")"
if t sh -c "echo '{}' > '$B/$SID/content.json'" 2>/dev/null; then bad "B wrote A's document"; else ok "B: not the controller (EACCES)"; fi

# live: edits on A reach B's mount without a remount
mtime=$(stat -c %Y "$B/$SID/content.json")
t sed -i 's/"n":1/"n":2/' "$A/notes/content.json"
check_n() { [ "$(jq -c .n "$B/$SID/content.json")" = "$1" ]; }
if until_ok 30 check_n 2; then ok "sed on A shows on B"; else bad "B content: $(cat "$B/$SID/content.json")"; fi
t sh -c "echo '{\"from\":\"A\",\"n\":3}' > '$A/notes/content.json'"
if until_ok 30 check_n 3; then ok "echo on A shows on B"; else bad "B content: $(cat "$B/$SID/content.json")"; fi
eq b.log "$(t wc -l <"$B/$SID/.log" | tr -d ' ')" 3
eq b.log.same "$(t jq -r .cid "$B/$SID/.log" | tr '\n' ' ')" "$(t jq -r .cid "$A/notes/.log" | tr '\n' ' ')"
if [ "$(stat -c %Y "$B/$SID/content.json")" -ge "$mtime" ]; then ok "b.mtime moved"; else bad "b.mtime"; fi

# ---- C: a third mount, on daemon 2, signing with A's key: two writers ----
C=$T/c
mkdir -p "$C"
mount_at "$C" "$T/sc" "$API2" --key "$T/sa/key"; PC=$MP
tip() { getfattr --absolute-names --only-values -n user.ceramic.tip "$1" 2>/dev/null; }
same_tip() { [ -n "$(tip "$A/notes/content.json")" ] && [ "$(tip "$A/notes/content.json")" = "$(tip "$C/$SID/content.json")" ]; }
if until_ok 30 same_tip; then ok "C loads the document"; else bad "C: $(tip "$C/$SID/content.json")"; fi
# concurrent saves of the same document on A and C converge to one tip
t sh -c "echo '{\"from\":\"A\",\"n\":10}' > '$A/notes/content.json'" &
w1=$!
t sh -c "echo '{\"from\":\"C\",\"n\":10}' > '$C/$SID/content.json'" &
w2=$!
wait $w1 $w2
if until_ok 30 same_tip; then ok "concurrent edits converge: A and C share one tip"; else
    bad "no convergence: A $(tip "$A/notes/content.json") C $(tip "$C/$SID/content.json")"; fi
# B shares daemon 2 with C, and a node ignores messages from its own IPFS
# peer (as js-ceramic does), so B hears C's tip only through a later
# commit on top of it: A's next save carries both branches' outcome
t sh -c "echo '{\"from\":\"A\",\"n\":11}' > '$A/notes/content.json'"
same_b() { [ "$(tip "$B/$SID/content.json")" = "$(tip "$A/notes/content.json")" ]; }
if until_ok 30 same_b; then ok "B converges too"; else bad "B: $(tip "$B/$SID/content.json")"; fi

# a draft on C whose base moved: rebased when its patch applies ...
t sh -c "echo '{\"a\":0,\"c\":0,\"t\":0}' > '$A/notes/content.json'"
c_has() { [ "$(jq -c "$1" "$C/$SID/content.json" 2>/dev/null)" = "$2" ]; }
until_ok 30 c_has .a 0 || bad "C did not get the base"
exec 3>"$C/$SID/content.json"                  # C starts a save (O_TRUNC: the draft's base is now)
t sed -i 's/"a":0/"a":1/' "$A/notes/content.json"
c_log() { [ "$(wc -l <"$C/$SID/.log")" = "$(wc -l <"$A/notes/.log")" ]; }
until_ok 30 c_log || bad "C did not learn A's edit"
printf '{"a":0,"c":1,"t":0}\n' >&3
exec 3>&-                                      # C's close: commit, rebased on A's edit
a_has() { [ "$(jq -cS . "$A/notes/content.json" 2>/dev/null)" = "$1" ]; }
if until_ok 30 a_has '{"a":1,"c":1,"t":0}'; then ok "stale draft rebased: both edits kept"; else
    bad "rebase: A has $(cat "$A/notes/content.json")"; fi
# ... and refused with ESTALE when it does not (A removed what C edits)
until_ok 30 c_has .c 1 || bad "C did not settle"
exec 3>"$C/$SID/content.json"
t sh -c "echo '{\"a\":1,\"c\":1}' > '$A/notes/content.json'"
until_ok 30 c_log || bad "C did not learn A's removal"
printf '{"a":1,"c":1,"t":5}\n' >&3
exec 3>&-
eq conflict.state "$(getfattr --absolute-names --only-values -n user.ceramic.state "$C/$SID/content.json")" conflict
eq conflict.reported "$(jq -r .message "$C/.errors" | grep -c 'changed since it was opened')" 1
eq conflict.a.unchanged "$(jq -cS . "$A/notes/content.json")" '{"a":1,"c":1}'

# ---- a fork loss: A's one save loses to C's three; it stays readable ----
until_ok 30 same_tip || bad "C did not settle before the fork"
t fusermount3 -u "$C" || bad "unmount C"
wait $PC; eq c.exit $? 0; PC=
for n in 1 2 3; do
    echo "{\"fork\":\"C\",\"n\":$n}" | t $CFS update --state "$T/sc" --key "$T/sa/key" "$SID" >/dev/null ||
        bad "offline update $n on C's node"
done
# (the concurrent saves above may have cost A a branch already)
before=$(ls "$A/notes/.conflicts" 2>/dev/null | wc -l)
t sh -c "echo '{\"fork\":\"A\"}' > '$A/notes/content.json'" || bad "save on A"
lost=$(tip "$A/notes/content.json")
timeout 60 $CFS sync --state "$T/sc" --key "$T/sa/key" --ipfs "$API2" --pubsub-topic "$TOPIC" --seconds 30 \
    >"$T/sync.out" 2>>"$T/daemon.log" &
PS=$!
a_fork() { [ "$(jq -c .n "$A/notes/content.json" 2>/dev/null)" = 3 ]; }
if until_ok 30 a_fork; then ok "the longer branch wins on A"; else bad "A after the fork: $(cat "$A/notes/content.json")"; fi
kill $PS 2>/dev/null; wait $PS 2>/dev/null
eq fork.listed "$(ls -A "$A/notes" | grep -c '^\.conflicts$')" 1
eq fork.count "$(ls "$A/notes/.conflicts" | wc -l)" $((before + 1))
kept=$(ls "$A/notes/.conflicts" | grep -- "-$lost\.json\$")
eq fork.name "$kept" "$((before + 1))-$lost.json"
eq fork.kept "$(t jq -cS . "$A/notes/.conflicts/$kept")" '{"fork":"A"}'
eq fork.reported "$(jq -r 'select(.kind == "conflict") | .message' "$A/.errors" | grep -c "ending at $lost")" 1
erofs() { case $(sh -c "$1" 2>&1) in *"Read-only file system"*) ok "$2";; *) bad "$2: not EROFS";; esac; }
erofs "echo x > '$A/notes/.conflicts/$kept'" fork.erofs
erofs "rm '$A/notes/.conflicts/$kept'" fork.rm

# ---- offline first: daemon 1 goes away, A keeps saving, all arrives later ----
$PEERS stop1 >/dev/null 2>&1
for n in 21 22 23; do
    t sh -c "echo '{\"offline\":$n}' > '$A/notes/content.json'" || bad "save $n with the daemon down"
done
eq offline.saved "$(t jq -c .offline "$A/notes/content.json")" 23
if [ "$(t jq .unpublished "$A/.status")" -ge 3 ]; then ok "offline.queued ($(jq .unpublished "$A/.status"))"; else
    bad "offline.queued: $(jq -c '{unpublished, ipfs}' "$A/.status")"; fi
timeout 120 $PEERS start1 >/dev/null 2>&1 && timeout 30 $PEERS connect >/dev/null 2>&1 || bad "daemon 1 restart"
b_has() { [ "$(jq -c .offline "$B/$SID/content.json" 2>/dev/null)" = 23 ]; }
if until_ok 90 b_has; then ok "after the daemon is back, B has all three offline saves"; else
    bad "B after restart: $(cat "$B/$SID/content.json") $(jq -c .ipfs "$A/.status")"; fi
eq offline.log "$(t jq -r .cid "$B/$SID/.log" | tail -3 | tr '\n' ' ')" "$(t jq -r .cid "$A/notes/.log" | tail -3 | tr '\n' ' ')"
eq offline.drained "$(t jq .unpublished "$A/.status")" 0

for m in "$A" "$B"; do t fusermount3 -u "$m" || bad "unmount $m"; done
wait $PA; ra=$?; wait $PB; rb=$?; PA= PB=
eq daemons.exit "$ra $rb" "0 0"
# the lost branch survives the remount (no network needed to read it)
$CFS mount "$A" --state "$T/sa" -f --anchor none 2>>"$T/daemon.log" &
PA=$!
wait_mounted "$A" $PA "$T/daemon.log"
eq fork.remount "$(t jq -cS . "$A/notes/.conflicts/$kept")" '{"fork":"A"}'
t fusermount3 -u "$A" || bad "unmount $A"
wait $PA; eq remount.exit $? 0; PA=
if [ $fails -ne 0 ]; then echo "mount_sync_test: $fails FAILED"; grep -A60 -E "ERROR: (Address|Leak)Sanitizer|runtime error" "$T/daemon.log" | head -150; tail -30 "$T/daemon.log"; exit 1; fi
echo "mount_sync_test: all passed"
