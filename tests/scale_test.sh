#!/bin/sh
# scale_test.sh — the daemon's open files do not grow with the documents
# it serves. Held to LIMIT descriptors (soft and hard, so raising the soft
# limit to the hard one gains nothing), a mount serves 100 x LIMIT
# documents, the ratio of 100,000 documents under the usual 1,024: each
# made with mkdir and a save; then, remounted (every document loaded
# afresh), each read and saved once, half in place and half the way of
# emacs (a backup left behind, a scratch file renamed onto content.json),
# and the backups read. No operation fails, the daemon holds at most half
# its limit more descriptors at the end than at the start (the backups'
# names stay in the kernel's cache: it must have the kernel drop them),
# nothing says EMFILE, and only the documents that had a scratch file
# have a scratch directory. Last, under -o max_resident=8, 50 documents
# read leave at most 8 states in memory (.status "resident"), each read
# right, and a save to one dropped since is one commit like any other.
# The first mount starts with a soft limit below the
# hard one and must raise it.
#
# SCALE_LIMIT sets LIMIT (default 64: 6,400 documents, ~45 s on 2 cores);
# CFS_MOUNT_OPTS adds mount options (e.g. "-o open").
set -u

CFS=${CERAMICFS:-build/ceramicfs}
TEST=scale_test WHAT="a mount of many documents under a low open-file limit"
. "$(dirname "$0")/lib.sh"
need_fuse
command -v python3 >/dev/null || skip "no python3"

LIMIT=${SCALE_LIMIT:-64}
N=$((LIMIT * 100))
mount_dir cfs-scale

# mount_fs SOFT HARD: the daemon in the foreground under those limits
mount_fs() {
    sh -c 'ulimit -Sn "$1" && ulimit -Hn "$2" && shift 2 && exec "$@"' limits "$1" "$2" \
        $CFS mount "$M" --state "$S" -f --anchor none -o nosync ${CFS_MOUNT_OPTS:-} ${EXTRA_OPTS:-} 2>>"$T/daemon.log" &
    PID=$!
    wait_mounted "$M" $PID "$T/daemon.log"
}
fds() { ls "/proc/$PID/fd" | wc -l | tr -d ' '; }
nofile() { awk '/^Max open files/ { print $4 "/" $5 }' "/proc/$PID/limits"; }

# every document in one process (a fork per file would take minutes);
# prints the number of failed operations, then each kind of failure
cat >"$T/drive.py" <<'EOF'
import errno, json, os, sys
mnt, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
fails = {}
def fail(why, i):
    if not fails:
        print("%s d%d: %s" % (mode, i, why), file=sys.stderr)
    fails[why] = fails.get(why, 0) + 1
for i in range(n):
    d = "%s/d%d" % (mnt, i)
    try:
        if mode == "create":
            os.mkdir(d)
            with open(d + "/content.json", "w") as f:
                f.write('{"i":%d}' % i)
            continue
        if mode == "backups":
            if i % 2 == 0:
                with open(d + "/content.json~") as f:
                    if f.read() != '{"i":%d}' % i:
                        fail("wrong backup", i)
            continue
        with open(d + "/content.json") as f:
            if json.load(f) != {"i": i}:
                fail("wrong content", i)
        new = '{"i":%d,"saved":true}' % i
        if i % 2:
            with open(d + "/content.json", "w") as f:
                f.write(new)
        else:
            # emacs's way: a backup stays behind, a scratch file each
            # (written, then renamed: the daemon follows the new name)
            with open(d + "/#content.json#", "w") as f:
                f.write('{"i":%d}' % i)
            os.rename(d + "/#content.json#", d + "/content.json~")
            with open(d + "/content.json.tmp", "w") as f:
                f.write(new)
            os.rename(d + "/content.json.tmp", d + "/content.json")
    except OSError as e:
        fail(errno.errorcode.get(e.errno, str(e.errno)), i)
    except ValueError:
        fail("not JSON", i)
print(sum(fails.values()), " ".join("%s:%d" % kv for kv in fails.items()))
EOF

# ---- N documents made through the mount; the soft limit goes up to the hard one ----
mount_fs $((LIMIT / 2)) "$LIMIT"
eq limit.raised "$(nofile)" "$LIMIT/$LIMIT"
before=$(fds)
out=$(python3 "$T/drive.py" "$M" create $N 2>>"$T/drive.err")
eq create.fails "${out%% *}" 0
eq create.docs "$(ls "$M" | grep -c '^d[0-9]')" $N
eq create.fds "$(fds)" "$before"
eq create.scratch "$(ls "$S/scratch" | wc -l | tr -d ' ')" 0
umount_fs

# ---- remounted: each read and saved once, half through a scratch file ----
mount_fs "$LIMIT" "$LIMIT"
eq limit.kept "$(nofile)" "$LIMIT/$LIMIT"
before=$(fds)
out=$(python3 "$T/drive.py" "$M" edit $N 2>>"$T/drive.err")
eq edit.fails "${out%% *}" 0
# the backups' names stay in the kernel's cache: the daemon has it drop
# the oldest past a quarter of its limit, so their descriptors do not pile
# up (half the limit allows for the kernel forgetting late)
now=$(fds)
[ "$now" -le $((before + LIMIT / 2 + 2)) ] && ok "edit.fds ($before, then $now)" || bad "edit.fds: $before, then $now"
out=$(python3 "$T/drive.py" "$M" backups $N 2>>"$T/drive.err")
eq backups.fails "${out%% *}" 0
now=$(fds)
[ "$now" -le $((before + LIMIT / 2 + 2)) ] && ok "backups.fds ($before, then $now)" || bad "backups.fds: $before, then $now"
eq edit.scratch "$(ls "$S/scratch" | wc -l | tr -d ' ')" $((N / 2))
eq edit.last "$(t cat "$M/d$((N - 1))/content.json" | tr -d ' \n')" "{\"i\":$((N - 1)),\"saved\":true}"
eq edit.first "$(t cat "$M/d0/content.json" | tr -d ' \n')" '{"i":0,"saved":true}'
eq status.docs "$(t python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mount"]["documentsOpen"])' "$M/.status")" $N
if ! t cat "$M/.errors" "$M/.status" >"$T/report"; then
    bad "reading .errors and .status"
elif grep -qi 'EMFILE\|too many open files' "$T/report"; then
    bad ".errors/.status: $(grep -i -m1 'EMFILE\|too many open files' "$T/report")"
else
    ok "no EMFILE in .errors/.status"
fi
umount_fs
if grep -qi 'too many open files' "$T/daemon.log"; then bad "daemon log: $(grep -i -m1 'too many open files' "$T/daemon.log")"; else ok "no EMFILE in the daemon's log"; fi
# ---- at most 8 states resident: reads and a save to a dropped one ----
EXTRA_OPTS="-o max_resident=8" mount_fs "$LIMIT" "$LIMIT"
wrong=0
i=0
while [ $i -lt 50 ]; do
    [ "$(tr -d ' \n' <"$M/d$i/content.json")" = "{\"i\":$i,\"saved\":true}" ] || wrong=$((wrong + 1))
    i=$((i + 1))
done
eq lru.reads_right $wrong 0
resident=$(t python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["resident"])' "$M/.status")
[ "$resident" -ge 1 ] && [ "$resident" -le 8 ] && ok "lru.resident ($resident)" || bad "lru.resident: $resident, bound 8"
log0=$(wc -l <"$M/d0/.log")
echo '{"i":0,"lru":true}' >"$M/d0/content.json" && ok lru.save || bad lru.save
eq lru.saved "$(tr -d ' \n' <"$M/d0/content.json")" '{"i":0,"lru":true}'
eq lru.one_commit "$(wc -l <"$M/d0/.log")" $((log0 + 1))
eq lru.other "$(tr -d ' \n' <"$M/d9/content.json")" '{"i":9,"saved":true}'
umount_fs
EXTRA_OPTS="-o max_resident=8" mount_fs "$LIMIT" "$LIMIT"
eq lru.remounted "$(tr -d ' \n' <"$M/d0/content.json")" '{"i":0,"lru":true}'
umount_fs
[ -s "$T/drive.err" ] && echo "first failure: $(head -1 "$T/drive.err")"

if [ $fails -ne 0 ]; then echo "FAIL $TEST: $fails"; tail -5 "$T/daemon.log"; exit 1; fi
echo "PASS $TEST"
