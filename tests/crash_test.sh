#!/bin/sh
# crash_test.sh — 1,000 saves through the mount while the daemon is killed
# with SIGKILL at random points: after each kill the mount is cleaned up
# (fusermount3 -uz) and mounted again, and at the end every save that
# returned success (open O_TRUNC, write, fsync, close all 0) is in the
# document's log, and `ceramicfs verify` passes on the state directory.
# Then a power-loss case: a save whose block, record and journal writes are
# undone (only the registry's write-ahead log kept it) comes back at the
# next mount.
#
# Needs FUSE (root, /dev/fuse, fusermount3): without it, a loud SKIP (exit
# 77) outside CI, a failure with CI set. SAVES=N changes the count;
# CFS_MOUNT_OPTS adds mount options (e.g. "-o open").
set -u

CFS=${CERAMICFS:-build/ceramicfs}
SAVES=${SAVES:-1000}
TEST=crash_test WHAT="crash safety of acknowledged saves"
. "$(dirname "$0")/lib.sh"
need_fuse

T=$(mktemp -d /var/tmp/cfs-crash.XXXXXX)
M=$T/mnt S=$T/state
mkdir -p "$M"
PID=
cleanup() {
    unmount "$M"
    [ -n "$PID" ] && kill -9 $PID 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

mount_fs() {
    $CFS mount "$M" --state "$S" -f --anchor none ${CFS_MOUNT_OPTS:-} 2>>"$T/daemon.log" &
    PID=$!
    wait_mounted "$M" $PID "$T/daemon.log" 15
}

mount_fs
mkdir "$M/doc" && echo '{"n":0}' >"$M/doc/content.json" || { echo "FAIL crash_test: first save"; exit 1; }
SID=$(cat "$M/doc/.streamid")

# the writer: saves n = $1..$2 (SAVES), prints each acknowledged n, stops at
# the first failure (the daemon is gone)
writer() {
    python3 - "$M/$SID/content.json" "$1" "${2:-$SAVES}" >>"$T/acked" 2>/dev/null <<'PY'
import os, sys
path, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for n in range(start, end + 1):
    try:
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
        os.write(fd, b'{"n":%d}\n' % n)
        os.fsync(fd)
        os.close(fd)
    except OSError:
        sys.exit(0)
    print(n, flush=True)
PY
}

kills=0
next=1
: >"$T/acked"
while [ "$next" -le "$SAVES" ]; do
    before=$(wc -l <"$T/acked")
    writer "$next" &
    wpid=$!
    # kill the daemon at a random point, 0 to 0.9 s after the burst's first
    # acknowledged save (the interpreter's start-up is not part of the window)
    i=0
    while [ "$(wc -l <"$T/acked")" -eq "$before" ] && kill -0 $wpid 2>/dev/null && [ $i -lt 300 ]; do
        sleep 0.05; i=$((i + 1))
    done
    sleep "0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1)"
    killed=
    if kill -0 $wpid 2>/dev/null; then
        kill -9 $PID 2>/dev/null
        killed=1
        kills=$((kills + 1))
    fi
    wait $wpid
    if [ -n "$killed" ]; then
        wait $PID 2>/dev/null
        PID=
        fusermount3 -uz "$M" 2>/dev/null
    fi
    last=$(tail -1 "$T/acked")
    if [ "$(( ${last:-0} + 1 ))" -eq "$next" ]; then
        stuck=$((${stuck:-0} + 1))
        [ "$stuck" -lt 20 ] || { echo "FAIL crash_test: 20 bursts in a row without an acknowledged save"; tail "$T/daemon.log"; exit 1; }
    else stuck=0; fi
    next=$(( ${last:-0} + 1 ))
    [ "$next" -le "$SAVES" ] || break
    [ -z "$killed" ] || mount_fs
done
# a fresh mount for what follows: its log then holds the power-loss save
# below whatever the bursts left (a log past its size bound is emptied by
# a checkpoint, which that save must not meet)
if mountpoint -q "$M"; then umount_fs; fi
mount_fs
echo "crash_test: $kills kills, $(wc -l <"$T/acked" | tr -d ' ') acknowledged saves"

# A power loss: a save is durable by its line in the registry's log alone
# (its blocks, record and journal writes are not synced). Kill the daemon
# after an acknowledged save, undo the tip's block file and the record and
# journal writes as a power loss may,
# tear a last log line as a crash mid-append does: the mount comes back at
# that save, and verify (below) finds it whole.
R="$S/streams/$SID.json" J="$S/streams/journal.jsonl" W="$S/streams/wal.jsonl"
cp "$R" "$T/record.old"
jsize=$(stat -c %s "$J")
n=$((SAVES + 1))
writer "$n" "$n"
[ "$(tail -1 "$T/acked")" = "$n" ] || bad "power loss: save $n not acknowledged"
kill -9 $PID; wait $PID 2>/dev/null; PID=
fusermount3 -uz "$M" 2>/dev/null
if [ -s "$W" ] && grep -q "$(jq -r .tip "$R")" "$W"; then echo "ok   the save's tip is in the log"; else
    bad "power loss: the log does not hold the save's tip"; fi
tip=$(jq -r .tip "$R")
shard=$(printf %s "$tip" | rev | cut -c2-3 | rev)
[ -f "$S/blocks/$shard/$tip.data" ] || bad "power loss: no block file for the tip $tip"
rm -f "$S/blocks/$shard/$tip.data"
cp "$T/record.old" "$R"
truncate -s "$jsize" "$J"
printf '{"streamId":"%s","tip":"bafy' "$SID" >>"$W"
mount_fs
got=$(jq -c .n "$M/$SID/content.json")
if [ "$got" = "$n" ]; then echo "ok   power loss: the save is back from the log"; else
    bad "power loss: content n=$got, want $n"; fi
if [ ! -s "$W" ]; then echo "ok   log emptied after replay"; else bad "log not emptied after replay"; fi

# every acknowledged value is set by some commit of the log
jq -r 'select(.type == "signed") | .data[] | select(.path == "/n") | .value' "$M/$SID/.log" | sort -n | uniq >"$T/logged"
sort -n "$T/acked" | uniq >"$T/acked.sorted"
missing=$(comm -23 "$T/acked.sorted" "$T/logged" | wc -l | tr -d ' ')
if [ "$missing" = 0 ]; then echo "ok   every acknowledged save is in the log"; else
    bad "$missing acknowledged saves missing from the log: $(comm -23 "$T/acked.sorted" "$T/logged" | head -5 | tr '\n' ' ')"; fi
final=$(jq -c .n "$M/$SID/content.json")
if [ "$final" -ge "$(tail -1 "$T/acked")" ] 2>/dev/null; then echo "ok   content is the last save ($final)"; else
    bad "content n=$final, last acknowledged $(tail -1 "$T/acked")"; fi
fusermount3 -u "$M"
wait $PID
PID=
if $CFS verify --state "$S" >"$T/verify" 2>&1; then echo "ok   verify"; else bad "verify: $(head -3 "$T/verify")"; fi
[ $fails -eq 0 ] || { echo "crash_test: $fails FAILED"; exit 1; }
echo "crash_test: all passed"
