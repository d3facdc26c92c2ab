#!/bin/sh
# bench_browse.sh — browsing many documents (make bench): bench_browse
# builds an N-document node through the library, and the mount's tree is
# copied to tmpfs; then ls -l of the root, find -maxdepth 2, cat of every
# content.json, grep -r of a word and du -s run on a fresh mount (cold)
# and again (warm), each against tmpfs in the same run, printed as ratios
# with the goals: warm >= 0.5x tmpfs or within 1.25x of the floor
# (browse_floor: libfuse alone serving the same tree from memory with the
# mount's kernel options, mounted fresh for each operation the same way),
# whichever is easier to meet; cold within 3x of warm. Then the
# daemon's memory after listing every document and after reading each
# once, against 50 MB and 200 MB at 100,000 documents (so 0.5 KiB and
# 2 KiB a document), and how long the mount took to be ready (goal 1 s).
#
#   usage: bench_browse.sh BENCH_BROWSE CERAMICFS [N [BROWSE_FLOOR]]
# BROWSE_REPEAT=K runs the operations K times (interleaved, each round
# tmpfs, floor, mount), for a busy machine.
set -eu

BB=$1
BENCH=bench_browse CFS=$2
N=${3:-100000}
FLOOR=${4:-}
REPEAT=${BROWSE_REPEAT:-1}
. "$(dirname "$0")/lib.sh"
bench_need_fuse
bench_dir cfs-browse
bench_tmpfs "$T/tmpfs" 1g

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }

READY=0
mount_it() {
    t0=$(now)
    bench_mount "$T/mnt" --state "$T/state" --anchor none "$@"
    READY=$(ms "$t0" "$(now)")
}
unmount_it() { bench_unmount "$T/mnt"; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status"; }

# the operations, on a tree D (output thrown away)
op_ls() { ls -l "$1" >/dev/null; }
op_find() { find "$1" -maxdepth 2 -name content.json >/dev/null; }
op_cat() { (cd "$1" && printf '%s\0' */content.json | xargs -0 cat >/dev/null); }
op_grep() { grep -r -l --include=content.json zymurgy "$1" >/dev/null; }
op_du() { du -s "$1" >/dev/null; }
timed() { t0=$(now); "$@"; ms "$t0" "$(now)"; }
# a ratio a/b with two decimals
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b < 1) b = 1; printf "%.2f", a / b }'; }

echo "bench_browse: building $N documents ..."
"$BB" "$T/state" "$T/tmpfs" "$N"
# the rest of the tree (.log, .meta.json, .history/ ...) as the mount shows it
mount_it -o nosync
cp -r "$T/mnt/." "$T/tmpfs/"
rm -f "$T/tmpfs/.status" "$T/tmpfs/.errors"
unmount_it
sync
# the floor: the same tree served by libfuse alone, mounted like the mount
floor_mount() {
    mkdir -p "$T/floor"
    "$FLOOR" "$T/tmpfs" "$T/floor" 2>>"$T/floor.log" &
    FPID=$!
    PIDS="$PIDS $FPID"
    _i=0
    while ! mountpoint -q "$T/floor"; do
        _i=$((_i + 1))
        if [ $_i -gt 2000 ] || ! kill -0 $FPID 2>/dev/null; then
            echo "bench_browse: the floor did not come up:"
            tail -5 "$T/floor.log"
            exit 1
        fi
        sleep 0.005
    done
}
floor_unmount() { fusermount3 -u "$T/floor"; wait $FPID; }

echo "bench_browse: $N documents; times in ms (tmpfs: a copy of the mount's tree; floor: that copy served by libfuse alone${FLOOR:+, $FLOOR})"
printf '%-6s %7s %7s %7s %7s %7s %10s %10s %10s  %s\n' op tmpfs fl.cold fl.warm cold warm tmpfs/warm warm/floor cold/warm \
    "goals: tmpfs/warm >= 0.5 or warm/floor <= 1.25; cold/warm <= 3"
fails=0
round=0
while [ $round -lt "$REPEAT" ]; do
round=$((round + 1))
for op in ls find cat grep du; do
    op_$op "$T/tmpfs"
    tt=$(timed op_$op "$T/tmpfs")
    fc=- fw=- ff=-
    if [ -n "$FLOOR" ]; then
        floor_mount
        fc=$(timed op_$op "$T/floor")
        fw=$(timed op_$op "$T/floor")
        floor_unmount
    fi
    mount_it -o nosync
    cold=$(timed op_$op "$T/mnt")
    warm=$(timed op_$op "$T/mnt")
    reqs=$(jq -c '.mount.requests | with_entries(select(.value > 0))' "$T/mnt/.status" 2>/dev/null || echo '?')
    unmount_it
    speed=$(ratio "$tt" "$warm")
    cw=$(ratio "$cold" "$warm")
    [ -z "$FLOOR" ] || ff=$(ratio "$warm" "$fw")
    verdict=ok
    awk -v s="$speed" -v f="$ff" -v c="$cw" 'BEGIN { exit !((s >= 0.5 || (f != "-" && f <= 1.25)) && c <= 3) }' ||
        { verdict=MISSED; fails=$((fails + 1)); }
    printf '%-6s %7s %7s %7s %7s %7s %9sx %9sx %9sx  %s  requests %s\n' "$op" "$tt" "$fc" "$fw" "$cold" "$warm" "$speed" "$ff" "$cw" "$verdict" "$reqs"
done
done

# memory: listed (ls -l and find), then every content.json read once
mount_it -o nosync
ready=$READY
base=$(rss_kib)
op_ls "$T/mnt"; op_find "$T/mnt"
listed=$(rss_kib)
op_cat "$T/mnt"
read_all=$(rss_kib)
resident=$(jq -r '.resident // "?"' "$T/mnt/.status" 2>/dev/null || echo '?')
unmount_it
per() { awk -v k="$1" -v n="$N" 'BEGIN { printf "%.2f", k / n }'; }
lim_l=$((N * 50 * 1024 / 100000)); lim_r=$((N * 200 * 1024 / 100000))
echo "mount ready in $ready ms (goal <= 1000); RSS at start $((base / 1024)) MB"
echo "RSS listed:   $((listed / 1024)) MB, $(per "$listed") KiB a document (goal <= $((lim_l / 1024)) MB: 50 MB at 100,000)"
echo "RSS read all: $((read_all / 1024)) MB, $(per "$read_all") KiB a document (goal <= $((lim_r / 1024)) MB: 200 MB at 100,000); documents resident: $resident"
[ "$ready" -le 1000 ] || fails=$((fails + 1))
[ "$listed" -le "$lim_l" ] || fails=$((fails + 1))
[ "$read_all" -le "$lim_r" ] || fails=$((fails + 1))
echo "bench_browse: $fails goal(s) missed"
