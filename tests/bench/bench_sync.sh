#!/bin/sh
# bench_sync.sh — sync between two mounts on two real js-ipfs daemons
# (tests/peers/peers.sh; make bench runs it when they are installed), each
# figure next to the same thing done by js-ipfs alone in the same run:
#   - propagation latency: a save on A until content.json on B shows it,
#     p50 and p95 over EDITS edits (goal: p50 <= 100 ms on loopback),
#     interleaved with a pure js-ipfs replica of the same path (two
#     block/puts side by side and a pub on daemon 1; on daemon 2's
#     subscription: block/get of the "envelope", then block/get of the
#     "payload" whose CID is inside it), and with the floor of the path
#     ceramicfs peers really take: they carry a small commit's blocks
#     inline in the UPDATE (pubsub.c "inlineBlocks"), so B fetches nothing;
#     that floor is two block/puts side by side and a pub on daemon 1,
#     until daemon 2's subscription has the message (no block/get);
#   - a cold load on B of a COMMITS-commit stream made on A, in blocks/s
#     (2 blocks per signed commit), next to a chain of blocks fetched one
#     after the other from daemon 2 (each names the next, as prev does);
#   - first, SAVES saves of content.json through A (--ipfs) and through C,
#     an embedded mount (no --ipfs), interleaved in rounds: the time of a
#     save with IPFS against without (goal: within 1.2x; a save returns
#     once the commit is durable here, and the blocks and the UPDATE go out
#     after), and how long A took to write through and publish each round.
# The js-ipfs floor: a block held only by the other daemon takes one
# bitswap round trip, and each block of a Ceramic log names the next one,
# so an update costs two and a cold load 2 x COMMITS in a row.
# PEERS_NODELAY=1 (the default here) starts the daemons with TCP_NODELAY
# (tests/peers/nodelay.cjs): stock js-ipfs 0.66 leaves Nagle on and its
# bitswap round trip is ~3x longer; PEERS_NODELAY=0 measures stock.
#
#   usage: bench_sync.sh CERAMICFS [EDITS] [COMMITS] [SAVES]
#          (EDITS 0: the saves only; COMMITS 0: no cold load; SAVES 0: no saves)
#   ports: PEERS_API1, PEERS_API2 (and PEERS_RUN) as for peers.sh
set -eu

BENCH=bench_sync CFS=$1
EDITS=${2:-100}
COMMITS=${3:-1000}
SAVES=${4:-200}
. "$(dirname "$0")/lib.sh"
PEERS="bash $BENCH_HERE/../peers/peers.sh"
API1=${PEERS_API1:-5311}
API2=${PEERS_API2:-5321}
export PEERS_NODELAY=${PEERS_NODELAY:-1}
bench_need_fuse
$PEERS installed || bench_skip "needs the js-ipfs peers: bash tests/peers/peers.sh install"
bench_dir cfs-bsync
TOPIC=/ceramic/inmemory-cfs-bench-$$
ON_EXIT='$PEERS stop >/dev/null 2>&1'
timeout 120 $PEERS start >/dev/null 2>&1
for x in a:$API1 b:$API2; do
    d=${x%%:*} port=${x#*:}
    bench_mount "$T/$d" --state "$T/s$d" -o nosync --anchor none --ipfs "http://127.0.0.1:$port/api/v0" \
        --pubsub-topic "$TOPIC"
done
bench_mount "$T/c" --state "$T/sc" -o nosync --anchor none

PYTHONPATH=$BENCH_HERE python3 - "$T/a" "$T/b" "$EDITS" "$COMMITS" "$API1" "$API2" "$PEERS_NODELAY" "$T/c" "$SAVES" <<'PY'
import base64, hashlib, http.client, json, os, queue, subprocess, sys, threading, time
from concurrent.futures import ThreadPoolExecutor
from lib import backlog, read, save, settle

a, b, edits, commits = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
api1, api2, nodelay = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7] == "1"
c, saves = sys.argv[8], int(sys.argv[9])

# ---- js-ipfs alone, through its HTTP API ----
class Api:
    def __init__(self, port):
        self.port, self.c = port, None
    def post(self, path, data=None):
        body, hdr = b"", {}
        if data is not None:
            body = (b"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\n"
                    b"Content-Type: application/octet-stream\r\n\r\n" + data + b"\r\n--B--\r\n")
            hdr = {"Content-Type": "multipart/form-data; boundary=B"}
        for attempt in (0, 1):
            try:
                if not self.c:
                    self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                self.c.request("POST", "/api/v0/" + path, body=body, headers=hdr)
                r = self.c.getresponse()
                d = r.read()
                if r.status != 200:
                    sys.exit(f"bench_sync: {path}: HTTP {r.status} {d[:200]!r}")
                return d
            except (OSError, http.client.HTTPException):
                self.c = None
                if attempt:
                    raise
    def put(self, data):
        return json.loads(self.post("block/put?format=raw&mhtype=sha2-256", data))["Key"]
    def get(self, cid):
        return self.post(f"block/get?arg={cid}&timeout=30s")

n1, n2 = Api(api1), Api(api2)

def cid_raw(data):
    """CIDv1 raw sha2-256 in base32, as block/put?format=raw names it"""
    mh = bytes([0x01, 0x55, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(mh).decode().lower().rstrip("=")

def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, max(0, int(len(v) * p + 0.5) - 1))]

# the replicas: pub on 1; on 2's subscription, for the bitswap path, get
# the envelope, then the payload it names; for the inline path, nothing
def topic_of(name):
    return "u" + base64.urlsafe_b64encode(f"/bench/cfs-{name}-{os.getpid()}".encode()).decode().rstrip("=")
def subscriber(topic, fetch, done, ready):
    c = http.client.HTTPConnection("127.0.0.1", api2, timeout=None)
    c.request("POST", "/api/v0/pubsub/sub?arg=" + topic, body=b"")
    r = c.getresponse()
    getter = Api(api2)
    ready.set()
    while True:
        line = r.readline()
        if not line:
            return
        m = json.loads(line)
        if not isinstance(m, dict) or "data" not in m:
            continue
        env = base64.urlsafe_b64decode(m["data"][1:] + "==").decode()
        if fetch:
            payload = getter.get(env).split(b"\n", 1)[0].decode()
            getter.get(payload)
        done.put((env, time.perf_counter()))
topic, topic_inline = topic_of("replica"), topic_of("inline")
done, done_inline = queue.Queue(), queue.Queue()
for t, fetch, q in ((topic, True, done), (topic_inline, False, done_inline)):
    ready = threading.Event()
    threading.Thread(target=subscriber, args=(t, fetch, q, ready), daemon=True).start()
    ready.wait(30)
time.sleep(1)

n1b = Api(api1)
def replica_once(topic=topic, done=done):
    # a save: the two blocks onto daemon 1 side by side, as ceramicfs
    # writes them (the payload's CID is known before it is stored), then pub
    payload = os.urandom(380)
    pcid = cid_raw(payload)
    env = pcid.encode() + b"\n" + os.urandom(260)
    t0 = time.perf_counter()
    th = threading.Thread(target=n1b.put, args=(payload,))
    th.start()
    env = n1.put(env)
    th.join()
    n1.post("pubsub/pub?arg=" + topic, env.encode())
    while True:
        try:
            got, t1 = done.get(timeout=30)
        except queue.Empty:
            sys.exit("bench_sync: the js-ipfs replica got no message in 30 s")
        if got == env:
            return (t1 - t0) * 1000

def chain_rate(n):
    """blocks/s of n blocks fetched from daemon 2 one after the other, each naming the next"""
    cid = n1.put(os.urandom(380))
    for _ in range(n - 1):
        cid = n1.put(cid.encode() + b"\n" + os.urandom(260))
    t0 = time.perf_counter()
    for i in range(n):
        d = n2.get(cid)
        if i < n - 1:
            cid = d.split(b"\n", 1)[0].decode()
    return n / (time.perf_counter() - t0)

def parallel_rate(n):
    cids = [n1.put(os.urandom(380)) for _ in range(n)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda c: Api(api2).get(c), cids))
    return n / (time.perf_counter() - t0)

rtt = []
for _ in range(10):
    cid = n1.put(os.urandom(380))
    t0 = time.perf_counter()
    n2.get(cid)
    rtt.append((time.perf_counter() - t0) * 1000)
print(f"daemons: js-ipfs 0.66.1, TCP_NODELAY {'on (PEERS_NODELAY=1)' if nodelay else 'off (stock, PEERS_NODELAY=0)'}; "
      f"one block/get of a block held by the other daemon (bitswap): p50 {pct(rtt, 0.5):.0f} ms")

# ---- ceramicfs: saves with --ipfs (A) against embedded (C), same run ----
if saves > 0:
    rounds = 4
    per = max(1, saves // rounds)
    for m in (a, c):
        os.mkdir(f"{m}/saves")
        save(f"{m}/saves/content.json", {"n": 0})
    settle(a)
    took = {a: 0.0, c: 0.0}
    drains, peak = [], 0
    for r in range(rounds):
        for m in (c, a):
            t0 = time.perf_counter()
            for i in range(per):
                save(f"{m}/saves/content.json", {"n": r * per + i + 1, "pad": "x" * 64})
            took[m] += time.perf_counter() - t0
        peak = max(peak, backlog(a))
        drains.append(settle(a))  # not counted: the next round starts with no backlog
    sid = open(f"{a}/saves/.streamid").read().strip()
    t0, want = time.perf_counter(), rounds * per
    while (read(f"{b}/{sid}/content.json") or {}).get("n") != want:
        if time.perf_counter() - t0 > 60:
            sys.exit("bench_sync: B never got the last save")
        time.sleep(0.01)
    lag = time.perf_counter() - t0
    n = rounds * per
    emb, ipf = took[c] / n * 1000, took[a] / n * 1000
    ratio = ipf / emb
    print(f"saves of content.json, {n} each, interleaved in {rounds} rounds: embedded {emb:.2f} ms "
          f"({1000 / emb:.0f}/s), --ipfs on js-ipfs {ipf:.2f} ms ({1000 / ipf:.0f}/s): ratio {ratio:.2f}")
    print(f"  goal --ipfs within 1.2x of embedded: {'met' if ratio <= 1.2 else 'NOT MET'}; after a round of "
          f"{per} saves A had up to {peak} commits and blocks to send, and caught up in "
          f"{max(drains):.1f} s at most; B showed the last save {lag:.1f} s after that")
if edits <= 0:
    sys.exit(0)

os.mkdir(f"{a}/lat")
save(f"{a}/lat/content.json", {"n": 0})
sid = open(f"{a}/lat/.streamid").read().strip()
deadline = time.time() + 30
while read(f"{b}/{sid}/content.json") != {"n": 0}:
    if time.time() > deadline:
        sys.exit("bench_sync: B never loaded the document")
    time.sleep(0.05)
lat, rep, inl = [], [], []
for n in range(1, edits + 1):
    rep.append(replica_once())
    inl.append(replica_once(topic_inline, done_inline))
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
p50, p95, r50, r95 = pct(lat, 0.5), pct(lat, 0.95), pct(rep, 0.5), pct(rep, 0.95)
i50, i95 = pct(inl, 0.5), pct(inl, 0.95)
st = read(f"{b}/.status") or {}
kept, fetched = st.get("counters", {}).get("pubsub_inline_kept", 0), st.get("ipfs", {}).get("blocks_fetched", "?")
print(f"propagation A -> B over {edits} edits: p50 {p50:.0f} ms, p95 {p95:.0f} ms; "
      f"js-ipfs replica (2 block/puts, pub, 2 dependent block/gets) p50 {r50:.0f} ms, p95 {r95:.0f} ms; "
      f"ratio p50 {p50 / r50:.2f}, p95 {p95 / r95:.2f}")
print(f"  inline path (B took {kept} blocks from UPDATEs, fetched {fetched} from its daemon): js-ipfs floor "
      f"(2 block/puts, pub, received) p50 {i50:.0f} ms, p95 {i95:.0f} ms; ratio p50 {p50 / i50:.2f}, "
      f"p95 {p95 / i95:.2f}")
print(f"  goal p50 <= 100 ms: {'met' if p50 <= 100 else 'NOT MET'} "
      f"(the js-ipfs floor of the path B takes is {i50 if kept else r50:.0f} ms here; the difference, "
      f"{p50 - (i50 if kept else r50):+.0f} ms, is the commit on A, applying it on B, the FUSE save and read, "
      f"and noise)")

if commits <= 0:
    sys.exit(0)
os.mkdir(f"{a}/long")
for n in range(commits):
    save(f"{a}/long/content.json", {"n": n})
sid = open(f"{a}/long/.streamid").read().strip()
seq = chain_rate(100)
par = parallel_rate(64)
bound = max(120, int(3 * 2 * commits / seq) + 60)
t0 = time.perf_counter()
# B has never seen it: QUERY, then fetch every block
r = subprocess.run(["timeout", str(bound), "cat", f"{b}/{sid}/content.json"], capture_output=True)
el = time.perf_counter() - t0
seq = (seq + chain_rate(100)) / 2  # before and after
if r.returncode != 0:
    print(f"cold load on B of a {commits}-commit stream: did not finish in {bound} s "
          f"(3 x the js-ipfs chain at {seq:.1f} blocks/s) (NOT MET)")
    sys.exit(0)
v = json.loads(r.stdout)
log = sum(1 for _ in open(f"{b}/{sid}/.log"))
ok = v == {"n": commits - 1} and log == commits
rate = 2 * commits / el
print(f"cold load on B of a {commits}-commit stream: {el:.1f} s, {2 * commits} blocks, {rate:.1f} blocks/s "
      f"{'(content and log complete)' if ok else '(INCOMPLETE)'}; js-ipfs chain of blocks fetched one after "
      f"the other {seq:.1f} blocks/s: ratio {rate / seq:.2f}")
print(f"  (the same daemon fetches {par:.0f} blocks/s 16 at a time when the CIDs are known; a log's are "
      f"not: each commit's payload names the previous commit, so the walk is one round trip per block)")
PY
