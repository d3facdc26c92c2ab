#!/bin/sh
# drafts_test.sh — what the user wrote is never lost, and errors say what
# happened, in the real mount: a refused draft survives an unmount and a
# kill -9 (content.json shows it again, user.ceramic.state says invalid,
# .errors still lists it); rm content.json drops it; a full state disk
# (a small tmpfs) refuses a valid save with ENOSPC and still keeps it on
# disk (the reserve), across a kill -9, and once space is freed the timer
# commits it (and `sync` another); a save over the size limit is EFBIG; an
# emptied content.json is refused at a commit point with EINVAL and an
# .errors line; a refused rename is in .errors once; a non-ASCII name
# stays intact in .errors.
#
# Needs FUSE (root, /dev/fuse, fusermount3) and tmpfs: without them a loud
# SKIP (exit 77) outside CI, a failure with CI set.
set -u

TEST=drafts_test WHAT="durable drafts and error reporting"
. "$(dirname "$0")/lib.sh"
need_fuse
for tool in jq getfattr python3; do
    command -v $tool >/dev/null || skip "no $tool (./packaging/deps.sh installs it)"
done

mount_dir cfs-drafts
ON_EXIT='[ -n "$PID" ] && kill -9 $PID 2>/dev/null; umount "$S" 2>/dev/null'
# the state directory on a small tmpfs, to fill it
mkdir -p "$S"
mount -t tmpfs -o size=8m tmpfs "$S" || skip "cannot mount a tmpfs"

xattr() { timeout 30 getfattr --absolute-names --only-values -n "$@"; }
nerrors() { t wc -l <"$M/.errors" | tr -d ' '; }
# errno NAME WANT CMD...: the command fails and its stderr names the error
errno_is() {
    name=$1 want=$2; shift 2
    if t "$@" 2>"$T/err" >/dev/null; then bad "$name: succeeded, want '$want'"; return; fi
    if grep -q "$want" "$T/err"; then ok "$name ($want)"; else bad "$name: $(cat "$T/err") (want '$want')"; fi
}
# a save as an editor makes it, then its close; prints the close's error
save_py() { # FILE BYTES
    python3 - "$1" "$2" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_TRUNC)
os.write(fd, sys.argv[2].encode())
try:
    os.close(fd)
    print("ok")
except OSError as e:
    print(os.strerror(e.errno))
PY
}

mount_fs
t mkdir "$M/doc" "$M/new" "$M/emptied" || bad mkdir
t sh -c "echo '{\"v\":1}' > '$M/doc/content.json'" || bad "first save"
t sh -c "echo '{\"e\":1}' > '$M/emptied/content.json'" || bad "first save of emptied"
SID=$(t cat "$M/doc/.streamid")

# ---- a refused draft across an unmount and a remount ----
before=$(nerrors)
printf '{"v":5, "oops"' >"$M/doc/content.json"   # bash reports nothing
eq draft.state "$(xattr user.ceramic.state "$M/doc/content.json")" invalid
eq draft.errors "$(($(nerrors) - before))" 1
eq draft.on_disk "$(ls "$S/drafts")" "$SID"
# a document made by mkdir and never saved keeps its draft too
printf '[1,' >"$M/new/content.json"
eq pending.draft.on_disk "$(ls "$S/drafts" | grep -c '^pending-new$')" 1
# emptied, nothing written since: no save yet, but the unmount's commit
# point refuses it and keeps it
t truncate -s 0 "$M/emptied/content.json"
umount_fs
grep -q "doc/content.json keeps a draft" "$T/daemon.log" && ok "unmount names the document with a draft" ||
    bad "unmount log: $(tail -3 "$T/daemon.log")"
mount_fs
eq remount.draft "$(t cat "$M/doc/content.json")" '{"v":5, "oops"'
eq remount.state "$(xattr user.ceramic.state "$M/doc/content.json")" invalid
eq remount.error "$(xattr user.ceramic.error "$M/doc/content.json" | grep -c 'not valid JSON')" 1
eq remount.errors "$(t jq -r 'select(.kind == "save") | .message' "$M/.errors" | grep -c '^doc/content.json: not saved (close): not valid JSON')" 1
eq remount.pending "$(t cat "$M/new/content.json")" '[1,'
eq remount.tip "$(t jq -c '.data' "$M/doc/.log" | tail -1)" '{"v":1}'
eq remount.emptied "$(t wc -c <"$M/emptied/content.json" | tr -d ' '):$(xattr user.ceramic.state "$M/emptied/content.json")" 0:invalid
eq remount.emptied.errors "$(t jq -r .message "$M/.errors" | grep -c '^emptied/content.json: not saved (unmount): content.json is empty')" 1
t sh -c "echo '{\"e\":2}' > '$M/emptied/content.json'"
eq emptied.saved "$(xattr user.ceramic.state "$M/emptied/content.json")" clean

# ---- kill -9 with a draft pending, fusermount3 -u, remount ----
printf '{"v":6,' >"$M/doc/content.json"
kill -9 $PID; wait $PID 2>/dev/null; PID=
fusermount3 -u "$M" 2>/dev/null || fusermount3 -uz "$M"
mount_fs
eq crash.draft "$(t cat "$M/doc/content.json")" '{"v":6,'
eq crash.state "$(xattr user.ceramic.state "$M/doc/content.json")" invalid
eq crash.errors "$(t jq -r 'select(.kind == "save") | .message' "$M/.errors" | grep -c '^doc/content.json: not saved (close): not valid JSON')" 2
eq crash.errors.shown "$(t jq -r 'select(.kind == "draft") | .message' "$M/.errors" | grep -c '^doc/content.json: the draft saved before this mount is shown (state invalid)')" 2

# ---- a valid save commits and removes the draft; rm drops one ----
t sh -c "echo '{\"v\":7}' > '$M/doc/content.json'"
eq commit.state "$(xattr user.ceramic.state "$M/doc/content.json")" clean
eq commit.draft_gone "$(ls "$S/drafts" | grep -c "$SID")" 0
t rm "$M/new/content.json" || bad "rm new/content.json"
eq rm.draft_gone "$(ls "$S/drafts" | grep -c pending-new)" 0

# ---- EFBIG over the size limit (256,000 bytes), early and at the commit ----
errno_is efbig.write "File too large" python3 -c "
import os
fd = os.open('$M/doc/content.json', os.O_WRONLY | os.O_TRUNC)
os.write(fd, b'{\"a\":\"' + b'x' * 300000 + b'\"}')"
errno_is efbig.sync "File too large" sync "$M/doc/content.json"
eq efbig.errors "$(t tail -1 "$M/.errors" | jq -r .message | grep -c 'over the 256000 byte limit')" 1
t sh -c "echo '{\"v\":8}' > '$M/doc/content.json'"
eq efbig.after "$(xattr user.ceramic.state "$M/doc/content.json")" clean
# under the limit compact, over it pretty-printed: shown compact, so it
# stays writable
t mkdir "$M/big"
python3 -c "print('{\"a\":[' + ','.join(['0'] * 100000) + ']}')" >"$T/big.json"
t cp "$T/big.json" "$M/big/content.json" || bad "a 200 KB document"
eq big.compact "$(t cmp "$T/big.json" "$M/big/content.json" && echo same)" same
t sed -i 's/"a"/"b"/' "$M/big/content.json" || bad "sed -i on the 200 KB document"
eq big.edited "$(t jq -c 'keys' "$M/big/content.json")" '["b"]'

# ---- an emptied content.json: refused at a commit point, with a reason ----
t truncate -s 0 "$M/doc/content.json"
eq empty.waits "$(xattr user.ceramic.state "$M/doc/content.json")" dirty
before=$(nerrors)
errno_is empty.sync "Invalid argument" sync "$M/doc/content.json"
eq empty.errors "$(($(nerrors) - before))" 1
eq empty.reason "$(t tail -1 "$M/.errors" | jq -r .message | grep -c 'is empty')" 1
eq empty.state "$(xattr user.ceramic.state "$M/doc/content.json")" invalid
t sh -c "echo '{\"v\":9}' > '$M/doc/content.json'"

# ---- refused renames and non-ASCII names in .errors ----
before=$(nerrors)
errno_is rename.space "cannot move" mv "$M/doc" "$M/has space"
eq rename.errors "$(($(nerrors) - before))" 1
eq rename.reason "$(t tail -1 "$M/.errors" | jq -r '.kind + ": " + .message')" \
    "rename: mv doc has space: registry: alias has space has a character outside [A-Za-z0-9._-]"
errno_is mkdir.utf8 "Invalid argument" mkdir "$M/ñame-é"
eq utf8.errors "$(t tail -1 "$M/.errors" | jq -r .message | grep -c 'mkdir ñame-é: ')" 1

# ---- a full state disk: ENOSPC, the draft kept (the reserve), a kill -9,
# then space comes back ----
t mkdir "$M/b" && t sh -c "echo '{\"b\":1}' > '$M/b/content.json'"
dd if=/dev/zero of="$S/fill" bs=64k 2>/dev/null
eq enospc.close "$(save_py "$M/doc/content.json" '{"v":10}')" "No space left on device"
eq enospc.on_disk "$(ls "$S/drafts" | grep -c "$SID")" 1
dd if=/dev/zero of="$S/fill2" bs=4k 2>/dev/null   # what the reserve gave back
errno_is enospc.sync "No space left on device" sync "$M/doc/content.json"
eq enospc.state "$(xattr user.ceramic.state "$M/doc/content.json")" pending
eq enospc.kept "$(t cat "$M/doc/content.json")" '{"v":10}'
kill -9 $PID; wait $PID 2>/dev/null; PID=
fusermount3 -u "$M" 2>/dev/null || fusermount3 -uz "$M"
mount_fs
eq enospc.crash.draft "$(t cat "$M/doc/content.json")" '{"v":10}'
eq enospc.crash.state "$(xattr user.ceramic.state "$M/doc/content.json")" pending
dd if=/dev/zero of="$S/fill3" bs=1k 2>/dev/null   # what the emptied write-ahead log gave back
t sh -c "echo '{\"b\":2}' > '$M/b/content.json'"
errno_is enospc.b.sync "No space left on device" sync "$M/b/content.json"
rm -f "$S/fill" "$S/fill2" "$S/fill3"
t sync "$M/b/content.json" && ok "sync commits once there is space" || bad "sync after freeing space"
eq enospc.committed "$(t jq -c .data "$M/b/.log" | tail -1)" '[{"op":"replace","path":"/b","value":2}]'
# the draft read back after the crash: the timer commits it
i=0
while [ "$(xattr user.ceramic.state "$M/doc/content.json")" != clean ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
eq enospc.timer "$(t jq -c .data "$M/doc/.log" | tail -1)" '[{"op":"replace","path":"/v","value":10}]'
eq drafts.none_left "$(ls "$S/drafts" | wc -l | tr -d ' ')" 0
eq drafts.reserve_back "$(ls -A "$S/drafts")" .reserve
umount_fs

[ $fails -eq 0 ] || { echo "drafts_test: $fails FAILED"; exit 1; }
echo "drafts_test: all passed"
