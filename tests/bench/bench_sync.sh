#!/bin/sh
# bench_sync.sh — sync between two mounts on two real js-ipfs daemons
# (tests/peers/peers.sh; make bench runs it when they are installed):
#   - propagation latency: a save on A until content.json on B shows it,
#     p50 and p95 over 100 edits (goal: p50 <= 100 ms on loopback);
#   - a cold load on B of a 1,000-commit stream made on A: blocks/s
#     fetched through B's daemon (2 blocks per signed commit).
#
#   usage: bench_sync.sh CERAMICFS [EDITS] [COMMITS]
set -eu

CFS=$1
EDITS=${2:-100}
COMMITS=${3:-1000}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PEERS="bash $HERE/peers/peers.sh"
if [ ! -e /dev/fuse ] || [ "$(id -u)" != 0 ] || ! $PEERS installed; then
    echo "bench_sync: SKIPPED (needs root, /dev/fuse and the js-ipfs peers: bash tests/peers/peers.sh install)"
    exit 0
fi
T=$(mktemp -d /var/tmp/cfs-bsync.XXXXXX)
TOPIC=/ceramic/inmemory-cfs-bench-$$
PIDS=
cleanup() {
    for m in "$T/a" "$T/b"; do
        mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m"; }
    done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    $PEERS stop >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
timeout 120 $PEERS start >/dev/null 2>&1
for x in a:5311 b:5321; do
    d=${x%%:*} port=${x#*:}
    mkdir -p "$T/$d"
    $CFS mount "$T/$d" --state "$T/s$d" -f -o nosync --anchor none --ipfs "http://127.0.0.1:$port/api/v0" \
        --pubsub-topic "$TOPIC" 2>>"$T/daemon.log" &
    PIDS="$PIDS $!"
    i=0; while ! mountpoint -q "$T/$d"; do i=$((i + 1)); [ $i -gt 100 ] && exit 1; sleep 0.1; done
done

python3 - "$T/a" "$T/b" "$EDITS" "$COMMITS" <<'PY'
import json, os, sys, time
a, b, edits, commits = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def save(path, value):
    with open(path, "w") as f:
        f.write(json.dumps(value))

def read(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

os.mkdir(f"{a}/lat")
save(f"{a}/lat/content.json", {"n": 0})
sid = open(f"{a}/lat/.streamid").read().strip()
deadline = time.time() + 30
while read(f"{b}/{sid}/content.json") != {"n": 0}:
    if time.time() > deadline:
        sys.exit("bench_sync: B never loaded the document")
    time.sleep(0.05)
lat = []
for n in range(1, edits + 1):
    t0 = time.perf_counter()
    save(f"{a}/lat/content.json", {"n": n})
    while True:
        v = read(f"{b}/{sid}/content.json")
        if v and v.get("n") == n:
            break
        if time.perf_counter() - t0 > 10:
            sys.exit(f"bench_sync: edit {n} did not reach B in 10 s")
        time.sleep(0.002)
    lat.append((time.perf_counter() - t0) * 1000)
lat.sort()
p50, p95 = lat[len(lat) // 2], lat[int(len(lat) * 0.95) - 1]
print(f"propagation A -> B over {edits} edits: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
      f"(goal p50 <= 100 ms: {'met' if p50 <= 100 else 'NOT MET'})")

os.mkdir(f"{a}/long")
for n in range(commits):
    save(f"{a}/long/content.json", {"n": n})
sid = open(f"{a}/long/.streamid").read().strip()
import subprocess
t0 = time.perf_counter()
# B has never seen it: QUERY, then fetch every block (bounded: 120 s)
r = subprocess.run(["timeout", "120", "cat", f"{b}/{sid}/content.json"], capture_output=True)
el = time.perf_counter() - t0
if r.returncode != 0:
    print(f"cold load on B of a {commits}-commit stream: did not finish in 120 s (NOT MET)")
    sys.exit(0)
v = json.loads(r.stdout)
log = sum(1 for _ in open(f"{b}/{sid}/.log"))
ok = v == {"n": commits - 1} and log == commits
print(f"cold load on B of a {commits}-commit stream: {el:.2f} s, {2 * commits} blocks, "
      f"{2 * commits / el:.0f} blocks/s {'(content and log complete)' if ok else '(INCOMPLETE)'}")
PY
