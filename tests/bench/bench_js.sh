#!/bin/sh
# bench_js.sh — ceramicfs against the reference node, end to end, in one
# run: N TileDocument updates through js-ceramic 2.44's HTTP API (the
# @ceramicnetwork/http-client of its own tree, one client process per
# round, only the updates timed: tests/interop/tile.mjs updates) against N
# saves of content.json through a mount, embedded (no IPFS daemon) and
# with --ipfs on the js-ipfs daemon js-ceramic does not use, both on
# js-ceramic's pubsub topic, so every save is published as js's updates
# are. The three are interleaved in ROUNDS rounds; no anchor is requested
# on either side (js: {anchor: false}; ceramicfs: --anchor none). The
# mounts keep their default durability (a save is fsync'd before it
# returns), js-ceramic its default state store. Goal: >= 50x both modes.
# Then the same client against ceramicfs's own HTTP API (a mount's --api):
# the same N updates through js-ceramic and through ceramicfs, interleaved
# (goal >= 20x), next to the client's own cost of an update (its commit
# made and signed, not sent: the floor no node can go under).
#
#   usage: bench_js.sh CERAMICFS [N]   (N updates on each side, default 200)
#   ports: PEERS_API1/PEERS_API2 (and PEERS_RUN) as for peers.sh,
#          CERAMIC_PORT as for ceramic.sh
set -eu

CFS=$1
N=${2:-200}
HERE=$(cd "$(dirname "$0")/.." && pwd)
PEERS="bash $HERE/peers/peers.sh"
CERAMIC="bash $HERE/peers/ceramic.sh"
API2=${PEERS_API2:-5321}
APIPORT=${BENCH_API_PORT:-17067}
if [ ! -e /dev/fuse ] || [ "$(id -u)" != 0 ] || ! $PEERS installed || ! $CERAMIC installed ||
   ! command -v node >/dev/null; then
    echo "bench_js: SKIPPED (needs root, /dev/fuse, node, the js-ipfs peers and js-ceramic:"
    echo "  bash tests/peers/peers.sh install; bash tests/peers/ceramic.sh install)"
    exit 0
fi
T=$(mktemp -d /var/tmp/cfs-bjs.XXXXXX)
export PEERS_RUN=$T/peers CERAMIC_RUN=$T/ceramic CERAMIC_TOPIC=/ceramic/inmemory-cfs-bjs-$$
PIDS=
cleanup() {
    for m in "$T/e" "$T/i" "$T/a"; do
        mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m"; }
    done
    for p in $PIDS; do wait "$p" 2>/dev/null; done
    $CERAMIC stop >/dev/null 2>&1
    $PEERS stop >/dev/null 2>&1
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
timeout 180 $PEERS start >/dev/null 2>&1 || { echo "bench_js: the js-ipfs daemons did not start"; exit 1; }
timeout 180 $CERAMIC start 2>/dev/null || { echo "bench_js: js-ceramic did not start"; exit 1; }
for x in "e:" "i:--ipfs http://127.0.0.1:$API2/api/v0 --pubsub-topic $CERAMIC_TOPIC" "a:--api 127.0.0.1:$APIPORT"; do
    d=${x%%:*} opts=${x#*:}
    mkdir -p "$T/$d"
    # shellcheck disable=SC2086
    $CFS mount "$T/$d" --state "$T/s$d" -f --anchor none $opts 2>>"$T/daemon.log" &
    PIDS="$PIDS $!"
    i=0
    while ! mountpoint -q "$T/$d"; do
        i=$((i + 1))
        [ $i -gt 100 ] && { echo "bench_js: the mount did not come up:"; tail -5 "$T/daemon.log"; exit 1; }
        sleep 0.1
    done
done

CERAMIC_URL=$($CERAMIC url) python3 - "$T/e" "$T/i" "$N" "$HERE/interop/tile.mjs" "http://127.0.0.1:$APIPORT" <<'PY'
import json, os, subprocess, sys, time

e, i, n, tile, cfs_api = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
rounds = 4
per = max(1, n // rounds)

def js(*args, url=None):
    env = dict(os.environ, **({"CERAMIC_URL": url} if url else {}))
    r = subprocess.run(["node", tile, *args], capture_output=True, text=True, timeout=600, env=env)
    if r.returncode != 0:
        sys.exit(f"bench_js: tile.mjs {args[0]}: {r.stderr.strip()[-400:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])

def save(path, value):
    with open(path, "w") as f:
        f.write(json.dumps(value))

def backlog(m):
    try:
        with open(f"{m}/.status") as f:
            st = json.load(f)
    except (OSError, ValueError):
        return 1
    return st.get("unpublished", 0) + st.get("ipfs", {}).get("blocks_queued", 0)

def settle(m, bound=120):
    t0 = time.perf_counter()
    while backlog(m) > 0:
        if time.perf_counter() - t0 > bound:
            sys.exit(f"bench_js: {m} still has a backlog after {bound} s")
        time.sleep(0.01)

sid = js("create", '{"n":0}', "--no-anchor")["streamId"]
for m in (e, i):
    os.mkdir(f"{m}/bench")
    save(f"{m}/bench/content.json", {"n": 0})
settle(i)
took = {"js": 0.0, e: 0.0, i: 0.0}
for r in range(rounds):
    took["js"] += js("updates", sid, str(per), str(r * per))["ms"] / 1000
    for m in (e, i):
        t0 = time.perf_counter()
        for k in range(per):
            save(f"{m}/bench/content.json", {"n": r * per + k + 1, "pad": "x" * 64})
        took[m] += time.perf_counter() - t0
    settle(i)  # not counted: each round starts with nothing left to send
last = js("load", sid)["content"].get("n")
if last != rounds * per:
    sys.exit(f"bench_js: js-ceramic shows n={last}, not {rounds * per}")
total = rounds * per
ms = {k: v / total * 1000 for k, v in took.items()}
print(f"TileDocument updates, {total} each, interleaved in {rounds} rounds, no anchors:")
print(f"  js-ceramic 2.44 (HTTP API, js-ipfs): {ms['js']:.2f} ms ({1000 / ms['js']:.0f}/s)")
for m, name in ((e, "embedded"), (i, "--ipfs on js-ipfs")):
    ratio = ms["js"] / ms[m]
    print(f"  ceramicfs mount, {name}: {ms[m]:.2f} ms ({1000 / ms[m]:.0f}/s): {ratio:.1f}x js-ceramic "
          f"(goal >= 50x: {'met' if ratio >= 50 else 'NOT MET'})")

# ---- the same client against ceramicfs's HTTP API ----
sid_c = js("create", '{"n":0}', "--no-anchor", url=cfs_api)["streamId"]
api = {"js": 0.0, "cfs": 0.0}
for r in range(rounds):
    api["js"] += js("updates", sid, str(per), str(total + r * per))["ms"] / 1000
    api["cfs"] += js("updates", sid_c, str(per), str(r * per), url=cfs_api)["ms"] / 1000
floor = js("sign", sid_c, str(total), url=cfs_api)["ms"] / total
last = js("load", sid_c, url=cfs_api)["content"].get("n")
if last != total:
    sys.exit(f"bench_js: ceramicfs's API shows n={last}, not {total}")
mj, mc = api["js"] / total * 1000, api["cfs"] / total * 1000
print(f"the same client (@ceramicnetwork/http-client), {total} updates each, interleaved:")
print(f"  js-ceramic 2.44: {mj:.2f} ms; ceramicfs --api: {mc:.2f} ms: {mj / mc:.1f}x "
      f"(goal >= 20x: {'met' if mj / mc >= 20 else 'NOT MET'})")
print(f"  the client's own cost of an update (commit made and signed, not sent): {floor:.2f} ms, "
      f"so no node can do better than {mj / floor:.1f}x here")
PY
