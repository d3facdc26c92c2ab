# tests/bench/lib.sh — what the benchmark scripts share (as the shell
# tests share tests/lib.sh). A script sets BENCH (its name) and CFS (the
# ceramicfs program), then sources this file:
#     BENCH=bench_mount CFS=$2; . "$(dirname "$0")/lib.sh"
#
#   bench_skip REASON    "BENCH: SKIPPED (REASON)", exit 0 (make bench
#                        goes on with the next)
#   bench_need_fuse      bench_skip unless root with /dev/fuse and fusermount3
#   bench_dir PREFIX     T: a new directory /var/tmp/PREFIX.XXXXXX; at exit
#                        the FUSE mounts under T are unmounted, the daemons
#                        in PIDS waited for, ON_EXIT (the script's own
#                        steps, a command line) run, the tmpfs under T
#                        unmounted and T removed
#   bench_tmpfs DIR SIZE a tmpfs of SIZE on DIR (under T)
#   bench_mount DIR ARG... $CFS mount DIR -f ARG... (stderr in $T/daemon.log)
#                        until DIR is a mount point (10 s, while it runs;
#                        else the log's end and exit 1); PID is its pid,
#                        added to PIDS
#   bench_unmount DIR    unmount DIR and wait for its daemon (PID)
# The Python parts of the scripts share tests/bench/lib.py the same way.
BENCH_HERE=$(cd "$(dirname "$0")" && pwd)
export BENCH
PIDS= PID= ON_EXIT= T=

bench_skip() {
    echo "$BENCH: SKIPPED ($1)"
    exit 0
}

bench_need_fuse() {
    [ -e /dev/fuse ] && [ "$(id -u)" = 0 ] && command -v fusermount3 >/dev/null ||
        bench_skip "needs root, /dev/fuse and fusermount3"
}

# the mount points under T of file system type $1 (a regular expression)
bench_mounts() {
    awk -v t="$T/" -v type="$1" 'index($2, t) == 1 && $3 ~ type { print $2 }' /proc/mounts
}

bench_cleanup() {
    [ -n "$T" ] || return 0
    for _m in $(bench_mounts '^fuse'); do
        fusermount3 -u "$_m" 2>/dev/null || fusermount3 -uz "$_m"
    done
    for _p in $PIDS; do wait "$_p" 2>/dev/null || :; done
    eval "${ON_EXIT:-:}" || :
    for _m in $(bench_mounts '^tmpfs$'); do umount "$_m" 2>/dev/null || :; done
    rm -rf "$T"
}

bench_dir() {
    T=$(mktemp -d "/var/tmp/$1.XXXXXX")
    trap bench_cleanup EXIT
}

bench_tmpfs() {
    mkdir -p "$1"
    mount -t tmpfs -o size="$2" tmpfs "$1"
}

bench_mount() {
    _dir=$1
    shift
    mkdir -p "$_dir"
    $CFS mount "$_dir" -f "$@" 2>>"$T/daemon.log" &
    PID=$!
    PIDS="$PIDS $PID"
    _i=0
    while ! mountpoint -q "$_dir"; do
        _i=$((_i + 1))
        if [ $_i -gt 2000 ] || ! kill -0 $PID 2>/dev/null; then
            echo "$BENCH: the mount on $_dir did not come up:"
            tail -5 "$T/daemon.log"
            exit 1
        fi
        sleep 0.005
    done
}

bench_unmount() {
    fusermount3 -u "$1"
    wait $PID
    PID=
}
