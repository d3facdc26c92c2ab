# tests/lib.sh — what the shell tests share. A test sets TEST (its name)
# and WHAT (what goes untested when it skips), then sources this file:
#     TEST=mount_test WHAT="the mount"; . "$(dirname "$0")/lib.sh"
#
#   skip REASON          with CI set, a failure (exit 1); else a loud SKIP
#                        (exit 77, which make check reports as SKIP)
#   need_fuse            skip unless root with /dev/fuse and fusermount3
#   need_peers           the js-ipfs peers (tests/peers/peers.sh): installed
#                        here with CI set, else skip when they are missing
#   topic_peer_wait API TOPIC [SECONDS]
#                        until the js-ipfs daemon at API (.../api/v0) knows
#                        a peer subscribed to TOPIC, so that what it
#                        publishes there reaches that peer (30 s unless
#                        told); else return 1
#   ok/bad/eq NAME ...   a check's result; bad counts in $fails
#   t CMD...             CMD under a 30 s timeout
#   wait_mounted DIR PID LOG [SECONDS]
#                        until DIR is a mount point (60 s unless told, and
#                        only while PID lives); else print LOG and exit 1
#   unmount DIR...       each DIR that is a mount point: fusermount3 -u,
#                        then -uz; quiet
#   mount_dir [PREFIX]   a test's directory T (/var/tmp/PREFIX.XXXXXX, or
#                        mktemp -d), M=$T/mnt (made), S=$T/state, PID
#                        empty; at exit M is unmounted, ON_EXIT (the test's
#                        own steps, a command line) run, the daemon $PID
#                        killed and T removed
#   mount_fs [ARG...]    $CERAMICFS (or build/ceramicfs) mount $M --state $S
#                        -f --anchor none $CFS_MOUNT_OPTS ARG... in the
#                        background (stderr to $T/daemon.log), PID its
#                        pid, until mounted (wait_mounted)
#   umount_fs            unmount $M (again after a second, then lazily) and
#                        check that the daemon $PID exits 0 ($T/daemon.log
#                        shown if not); PID is then empty
#   example_check OUT CERAMICFS
#                        OUT is what examples/new-document printed: the
#                        document it names is read back with CERAMICFS
#                        from the state directory it made (then removed)
fails=0
PEERS="bash $(cd "$(dirname "$0")" && pwd)/peers/peers.sh"

skip() {
    if [ -n "${CI:-}" ]; then echo "FAIL $TEST: $1 (required in CI)"; exit 1; fi
    echo "######################################################################"
    echo "# SKIP $TEST: $1"
    echo "#   $WHAT was NOT tested"
    echo "######################################################################"
    exit 77
}

need_fuse() {
    [ -e /dev/fuse ] && command -v fusermount3 >/dev/null && [ "$(id -u)" = 0 ] ||
        skip "no FUSE (root, /dev/fuse, fusermount3)"
}

need_peers() {
    $PEERS installed && return 0
    [ -n "${CI:-}" ] || skip "js-ipfs peers not installed (bash tests/peers/peers.sh install, ~2-4 min)"
    echo "$TEST: CI set: installing js-ipfs peers"
    $PEERS install || { echo "FAIL $TEST: peer install failed"; exit 1; }
}

topic_peer_wait() {
    _targ=u$(printf %s "$2" | basenc --base64url | tr -d '=\n')
    _end=$(($(date +%s) + ${3:-30}))
    while [ "$(date +%s)" -le $_end ]; do
        [ "$(curl -s -m 5 -X POST "$1/pubsub/peers?arg=$_targ" | jq '.Strings | length' 2>/dev/null)" -gt 0 ] \
            2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2' want '$3'"; fi; }
t() { timeout 30 "$@"; }

wait_mounted() {
    _i=0
    while ! mountpoint -q "$1"; do
        _i=$((_i + 1))
        if [ $_i -gt $((${4:-60} * 10)) ] || ! kill -0 "$2" 2>/dev/null; then
            echo "FAIL $TEST: $1 not mounted after $((_i / 10)) s"; cat "$3"; exit 1
        fi
        sleep 0.1
    done
}

unmount() {
    for _m in "$@"; do
        # /proc/mounts, not mountpoint(1): a mount whose daemon died
        # answers ENOTCONN, and mountpoint then says it is none
        awk -v m="$_m" '$2 == m { f = 1 } END { exit !f }' /proc/mounts || continue
        timeout 30 fusermount3 -u "$_m" 2>/dev/null || timeout 30 fusermount3 -uz "$_m" 2>/dev/null
    done
    return 0  # a cleanup step: never the reason a test under set -e stops
}

mount_dir_cleanup() {
    unmount "$M"
    eval "${ON_EXIT:-:}"
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    rm -rf "$T"
}

mount_dir() {
    if [ -n "${1:-}" ]; then T=$(mktemp -d "/var/tmp/$1.XXXXXX"); else T=$(mktemp -d); fi
    M=$T/mnt
    S=$T/state
    PID=
    mkdir -p "$M"
    trap mount_dir_cleanup EXIT
}

mount_fs() {
    # shellcheck disable=SC2086
    ${CERAMICFS:-build/ceramicfs} mount "$M" --state "$S" -f --anchor none ${CFS_MOUNT_OPTS:-} "$@" 2>>"$T/daemon.log" &
    PID=$!
    wait_mounted "$M" $PID "$T/daemon.log"
}

umount_fs() {
    t fusermount3 -u "$M" || { sleep 1; fusermount3 -u "$M" 2>/dev/null; } || fusermount3 -uz "$M"
    wait $PID
    _rc=$?
    PID=
    if [ $_rc -eq 0 ]; then ok "daemon exits 0 on unmount"; else bad "daemon exit status $_rc"; tail -20 "$T/daemon.log"; fi
}

example_check() {
    _dir=$(sed -n 's/^state   //p' "$1")
    _did=$(sed -n 's/^did     //p' "$1")
    _sid=$(sed -n 's/^stream  //p' "$1")
    _content=$(sed -n 's/^content //p' "$1")
    eq "example: what it prints" "$(cut -d' ' -f1 "$1" | tr '\n' ' ')" "state did stream content commit commit "
    case $_did in did:key:z6Mk?*) ok "example: its did:key $_did" ;; *) bad "example: did '$_did'" ;; esac
    eq "example: the content after the update" "$_content" '{"title":"Hello from libceramic","done":true}'
    if [ -z "$_dir" ] || [ ! -d "$_dir" ]; then bad "example: no state directory '$_dir'"; return 0; fi
    # shellcheck disable=SC2086
    eq "example: ceramicfs show" "$(t $2 show --state "$_dir" "$_sid" | tr -d ' \n')" "$(echo "$_content" | tr -d ' ')"
    # shellcheck disable=SC2086
    eq "example: ceramicfs log (type, CID, author)" "$(t $2 log --state "$_dir" "$_sid" |
        sed 's/.*"cid":"\([^"]*\)","type":"\([a-z]*\)".*"author":"\([^"]*\)".*/commit  \2 \1 \3/')" "$(grep '^commit' "$1")"
    # shellcheck disable=SC2086
    eq "example: controlled by its did:key" "$(t $2 show --meta --state "$_dir" "$_sid" | tr -d ' \n' |
        sed -n 's/.*"controllers":\[\([^]]*\)\].*/\1/p')" "\"$_did\""
    # shellcheck disable=SC2086
    if t $2 verify --state "$_dir" "$_sid" >/dev/null; then ok "example: ceramicfs verify"; else bad "example: ceramicfs verify"; fi
    case $_dir in /tmp/new-document.??????) rm -rf "$_dir" ;; esac
}
