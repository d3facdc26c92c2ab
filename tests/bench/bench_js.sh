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

BENCH=bench_js CFS=$1
N=${2:-200}
. "$(dirname "$0")/lib.sh"
PEERS="bash $BENCH_HERE/../peers/peers.sh"
CERAMIC="bash $BENCH_HERE/../peers/ceramic.sh"
API2=${PEERS_API2:-5321}
APIPORT=${BENCH_API_PORT:-17067}
bench_need_fuse
if ! $PEERS installed || ! $CERAMIC installed || ! command -v node >/dev/null; then
    bench_skip "needs node, the js-ipfs peers and js-ceramic:
  bash tests/peers/peers.sh install; bash tests/peers/ceramic.sh install"
fi
bench_dir cfs-bjs
export PEERS_RUN=$T/peers CERAMIC_RUN=$T/ceramic CERAMIC_TOPIC=/ceramic/inmemory-cfs-bjs-$$
ON_EXIT='$CERAMIC stop >/dev/null 2>&1; $PEERS stop >/dev/null 2>&1'
trap 'exit 1' INT TERM
timeout 180 $PEERS start >/dev/null 2>&1 || { echo "bench_js: the js-ipfs daemons did not start"; exit 1; }
timeout 180 $CERAMIC start 2>/dev/null || { echo "bench_js: js-ceramic did not start"; exit 1; }
for x in "e:" "i:--ipfs http://127.0.0.1:$API2/api/v0 --pubsub-topic $CERAMIC_TOPIC" "a:--api 127.0.0.1:$APIPORT"; do
    d=${x%%:*} opts=${x#*:}
    # shellcheck disable=SC2086
    bench_mount "$T/$d" --state "$T/s$d" --anchor none $opts
done

CERAMIC_URL=$($CERAMIC url) PYTHONPATH=$BENCH_HERE python3 - "$T/e" "$T/i" "$N" "$BENCH_HERE/../interop/tile.mjs" "http://127.0.0.1:$APIPORT" <<'PY'
import json, os, subprocess, sys, time
from lib import save, settle

e, i, n, tile, cfs_api = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
rounds = 4
per = max(1, n // rounds)

def js(*args, url=None):
    env = dict(os.environ, **({"CERAMIC_URL": url} if url else {}))
    r = subprocess.run(["node", tile, *args], capture_output=True, text=True, timeout=600, env=env)
    if r.returncode != 0:
        sys.exit(f"bench_js: tile.mjs {args[0]}: {r.stderr.strip()[-400:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])

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
