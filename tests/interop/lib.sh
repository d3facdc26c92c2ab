# tests/interop/lib.sh — what the interop tests share (sourced, POSIX sh):
# the peers' scripts, the skip/fail rule, the temp dir and its cleanup
# (mounts and processes the test registered, then js-ceramic, ganache and
# the js-ipfs daemons, each stopped by its PID file), the check helpers, the
# js-ceramic log summary and the failure report.
#
# Before sourcing, set NAME (the test's name, e.g. interop_test) and WHAT
# (what was not tested, printed on a skip). Then:
#   interop_need peers ceramic [chain]   skip (77) or, with CI set, install/fail
#   interop_start_tmp PREFIX             T=$(mktemp -d /var/tmp/PREFIX.XXXXXX),
#                                        PEERS_RUN/CERAMIC_RUN/CHAIN_RUN under it
#   MOUNTS="..." PIDS="..."              what cleanup unmounts / kills (by PID)
#   interop_mount DIR ARGS...            start `ceramicfs mount DIR -f ARGS` in the
#                                        background (log $T/daemon.log), wait for it;
#                                        sets MPID and adds DIR/MPID to MOUNTS/PIDS
#   interop_finish                       the summary; on failures the full report, exit 1
# shellcheck shell=sh

CFS=${CERAMICFS:-build/ceramicfs}
PEERS="bash $HERE/peers/peers.sh"
CERAMIC="bash $HERE/peers/ceramic.sh"
CHAIN="bash $HERE/peers/chain.sh"
THREEID="bash $HERE/peers/threeid.sh"
TILE="node $HERE/interop/tile.mjs"
fails=0
T=
MOUNTS=
PIDS=
STARTED=

interop_skip() {
    if [ -n "${CI:-}" ]; then echo "FAIL $NAME: $1 (required in CI)"; exit 1; fi
    echo "######################################################################"
    echo "# SKIP $NAME: $1"
    echo "#   $WHAT was NOT tested"
    echo "######################################################################"
    exit 77
}

# interop_need peers ceramic chain: FUSE, node, jq and the named peers
interop_need() {
    [ -e /dev/fuse ] && command -v fusermount3 >/dev/null && [ "$(id -u)" = 0 ] ||
        interop_skip "no FUSE (root, /dev/fuse, fusermount3)"
    command -v node >/dev/null && command -v jq >/dev/null || interop_skip "node and jq are needed"
    for n in "$@"; do
        case $n in peers) p=$PEERS ;; ceramic) p=$CERAMIC ;; chain) p=$CHAIN ;; threeid) p=$THREEID ;;
        *) echo "interop_need: $n?"; exit 2 ;; esac
        if ! $p installed; then
            [ -n "${CI:-}" ] || interop_skip "not installed: $p install"
            timeout 1800 $p install || { echo "FAIL $NAME: $p install failed"; exit 1; }
        fi
    done
}

interop_cleanup() {
    for m in $MOUNTS; do
        mountpoint -q "$m" 2>/dev/null && { fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m"; }
    done
    for p in $PIDS; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    case " $STARTED " in *" ceramic "*) $CERAMIC stop >/dev/null 2>&1 ;; esac
    case " $STARTED " in *" chain "*) $CHAIN stop >/dev/null 2>&1 ;; esac
    case " $STARTED " in *" peers "*) $PEERS stop >/dev/null 2>&1 ;; esac
    [ -n "$T" ] || return 0
    if [ "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}

interop_start_tmp() {
    T=$(mktemp -d "/var/tmp/$1.XXXXXX")
    export PEERS_RUN=$T/peers CERAMIC_RUN=$T/ceramic CHAIN_RUN=$T/chain
    trap interop_cleanup EXIT
    trap 'exit 1' INT TERM HUP
}

# interop_up peers|ceramic|chain: start one peer (registered for cleanup)
interop_up() {
    STARTED="$STARTED $1"
    case $1 in
    peers) timeout 180 $PEERS start || { echo "FAIL $NAME: js-ipfs daemons did not start"; tail -30 "$T"/peers/*.log; exit 1; } ;;
    ceramic) timeout 180 $CERAMIC start || { echo "FAIL $NAME: js-ceramic did not start"; summary full; exit 1; } ;;
    chain) timeout 120 $CHAIN start || { echo "FAIL $NAME: ganache did not start"; exit 1; } ;;
    esac
}

ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2' want '$3'"; fi; }
t() { timeout 30 "$@"; }
tile() { timeout 60 $TILE "$@" 2>>"$T/tile.err"; }
# until SECONDS CMD...: retry until the command succeeds (wall clock: a js call takes ~1 s)
until_ok() {
    end=$(($(date +%s) + $1)); shift
    while :; do
        "$@" >/dev/null 2>&1 && return 0
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.5
    done
}
# a js state's log as "cid:type" names, one line; the same from a mount's .log
jslog() { printf '%s' "$1" | jq -r '.log[] | "\(.cid):\(["genesis","signed","anchor"][.type])"' | tr '\n' ' '; }
fslog() { t jq -r '"\(.cid):\(.type)"' "$1" | tr '\n' ' '; }
xa() { getfattr --absolute-names --only-values -n "user.ceramic.$1" "$2" 2>/dev/null; }

interop_mount() {
    _m=$1; shift
    mkdir -p "$_m"
    $CFS mount "$_m" -f "$@" 2>>"$T/daemon.log" &
    MPID=$!
    MOUNTS="$MOUNTS $_m" PIDS="$PIDS $MPID"
    _i=0
    while ! mountpoint -q "$_m"; do
        _i=$((_i + 1))
        { [ $_i -gt 600 ] || ! kill -0 "$MPID" 2>/dev/null; } && { echo "FAIL mount $_m"; cat "$T/daemon.log"; exit 1; }
        sleep 0.1
    done
}

# interop_unmount DIR PID NAME: unmount, the daemon must exit 0
interop_unmount() {
    t fusermount3 -u "$1" || bad "unmount $1"
    wait "$2"
    eq "$3" "$?" 0
}

# what the reference node logged (ANSI colours removed): short, and in full on failure
summary() {
    [ -f "$T/ceramic/ceramic.log" ] || { echo "js-ceramic: no log"; return; }
    L=$T/ceramic.txt
    sed 's/\x1b\[[0-9;]*m//g' "$T/ceramic/ceramic.log" >"$L"
    echo "---- js-ceramic log summary ($(wc -l <"$L") lines at log-level 'important') ----"
    echo "ERROR: $(grep -c 'ERROR' "$L")  WARNING: $(grep -c 'WARNING' "$L")  invalid/signature: $(grep -ciE 'invalid|signature' "$L")"
    echo "-- its ERROR/WARNING lines and what it says about streams, commits and anchors (first 30):"
    grep -E 'ERROR|WARNING|kjzl|k2t6|bagcq|bafy|[Aa]nchor' "$L" | cut -c1-300 | head -30
    if [ "${1:-}" = full ]; then
        echo "-- last 40 lines:"
        tail -40 "$L" | cut -c1-400
    fi
}

interop_finish() {
    if [ $fails -ne 0 ]; then
        echo "$NAME: $fails FAILED"
        summary full
        echo "---- tile.mjs stderr (last 20) ----"; tail -20 "$T/tile.err" 2>/dev/null
        for f in "$T"/*.log; do
            [ -f "$f" ] || continue
            echo "---- $(basename "$f") (sanitizer reports, last 30 lines) ----"
            grep -A60 -E "ERROR: (Address|Leak)Sanitizer|runtime error" "$f" | head -150
            tail -30 "$f"
        done
        exit 1
    fi
    summary
    echo "$NAME: all passed ($(($(date +%s) - t0)) s)"
}
