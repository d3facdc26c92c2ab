#!/bin/sh
# bench_mount.sh — the mount's benchmark (make bench): 10,000 documents in
# a ceramicfs mount and the same tree on tmpfs, then bench_fs runs the same
# operations on both in interleaved slices and prints ratios. The mount
# runs with -o nosync (no fsync) so that the save measures the FUSE path
# and the commit, not the disk; a durable save (fsync'd blocks and record)
# is timed after it for information. Each measurement runs in the
# kernel's no-open mode (the default) and with -o open, over /dev/fuse and,
# where the kernel has it, over io_uring (fuse's enable_uring parameter is
# turned on for those runs and restored after).
#
#   usage: bench_mount.sh BENCH_FS CERAMICFS [N]
set -eu

BFS=$1
BENCH=bench_mount CFS=$2
N=${3:-10000}
. "$(dirname "$0")/lib.sh"
bench_need_fuse
bench_dir cfs-bench
bench_tmpfs "$T/tmpfs" 256m
ON_EXIT='[ -n "${uring_was:-}" ] && echo "$uring_was" >"$U"'

mount_it() { bench_mount "$T/mnt" --state "$T/state" --anchor none "$@"; }
mount_it -o nosync
echo "bench_mount: making $N documents in the mount and on tmpfs ..."
t0=$(date +%s)
i=0
while [ $i -lt $N ]; do
    mkdir "$T/mnt/d$i" "$T/tmpfs/d$i"
    echo "{\"i\":$i,\"title\":\"document $i\"}" >"$T/mnt/d$i/content.json"
    echo "{\"i\":$i,\"title\":\"document $i\"}" >"$T/tmpfs/d$i/content.json"
    i=$((i + 1))
done
echo "bench_mount: made in $(($(date +%s) - t0)) s (mkdir + first save, from a shell loop)"
bench_unmount "$T/mnt"
# the in-process commit the save is bounded by, on the same state directory
CU=$("$BFS" --commit-us "$T/state")
sync  # the dirty pages of the making (-o nosync) are not written back while it measures
# one measurement: the mount with the options given (-o nosync, and open:
# file handles, where the kernel sends OPEN and RELEASE for every open and
# the default no-open mode has only FLUSH)
measure_mount() {
    mount_it -o "$1"
    "$BFS" "$T/mnt" "$T/tmpfs" "$N" "$CU" $(case $1 in *,open*) echo open ;; esac)
    bench_unmount "$T/mnt"
}
# over /dev/fuse (-o no_uring: whatever the kernel offers), then over FUSE
# over io_uring when the kernel can (the fuse module's enable_uring
# parameter, off by default, is turned on for these runs and back after;
# the mount takes the transport by itself)
measure_mount nosync,no_uring
echo "== the same with -o open (file handles)"
measure_mount nosync,no_uring,open
U=/sys/module/fuse/parameters/enable_uring
if [ -w "$U" ]; then
    uring_was=$(cat "$U")
    echo Y >"$U"
    echo "== over io_uring"
    measure_mount nosync
    echo "== over io_uring with -o open"
    measure_mount nosync,open
    echo "$uring_was" >"$U"; uring_was=
else
    echo "== no FUSE over io_uring here ($U is missing or read-only)"
fi

mount_it
t0=$(date +%s%N)
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do echo "{\"durable\":$i}" >"$T/mnt/d1/content.json"; done
echo "durable save (fsync'd blocks, journal and record): $((($(date +%s%N) - t0) / 20000)) us (info)"
bench_unmount "$T/mnt"
