# tests/bench/lib.py — what the Python parts of the benchmark scripts
# share (they run with this directory on PYTHONPATH): a save and a read
# of a mount's file, and waiting until a mount has sent everything.
# Errors name the script (BENCH, exported by tests/bench/lib.sh).
import json, os, sys, time

BENCH = os.environ.get("BENCH", "bench")


def save(path, value):
    with open(path, "w") as f:
        f.write(json.dumps(value))


def read(path):
    """the JSON in path, None when it cannot be read"""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def backlog(m):
    """commits the mount m has not published and blocks not written through
    (1 while its .status cannot be read)"""
    st = read(f"{m}/.status")
    if st is None:
        return 1
    return st.get("unpublished", 0) + st.get("ipfs", {}).get("blocks_queued", 0)


def settle(m, bound=120):
    """wait until m has no backlog (at most bound seconds); how long it took"""
    t0 = time.perf_counter()
    while backlog(m) > 0:
        if time.perf_counter() - t0 > bound:
            sys.exit(f"{BENCH}: {m} still has a backlog after {bound} s")
        time.sleep(0.01)
    return time.perf_counter() - t0
