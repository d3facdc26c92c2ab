#!/bin/sh
# progress_test.sh — long work shows progress: on a terminal (a pseudo-
# terminal from script(1)) verify, export and import of a 301-commit
# stream print a progress line on stderr (commits fetched, verified of the
# total, the rate) that is cleared at the end; without a terminal they
# print exactly what they printed before, and nothing on stderr. The
# stream is made through the mount (-o nosync: a second, not a minute).
TEST=progress_test WHAT="the CLI's progress line"
. "$(dirname "$0")/lib.sh"
need_fuse
for tool in script jq python3; do
    command -v $tool >/dev/null || skip "no $tool"
done
CFS=${CERAMICFS:-build/ceramicfs}
mount_dir

mount_fs -o nosync
t python3 - "$M" <<'PY'
import os, sys
d = sys.argv[1] + "/long"
os.mkdir(d)
for i in range(301):
    with open(d + "/content.json", "w") as f:
        f.write('{"n":%d}' % i)
PY
umount_fs
SID=$($CFS list --state "$S" | jq -r .streamId)
eq log.length "$($CFS log --state "$S" "$SID" | wc -l | tr -d ' ')" 301

# pty CMD...: CMD on a pseudo-terminal (stdout and stderr both), its exit
# status kept; what it wrote in $T/tty
pty() { t script -qfec "$*" /dev/null >"$T/tty"; }
# has NAME TEXT: the terminal got TEXT
has() { if grep -qF -- "$2" "$T/tty"; then ok "$1"; else bad "$1: no '$2' in: $(tr '\r\033' '|^' <"$T/tty")"; fi; }
SHORT=$(printf %.16s "$SID")

# without a terminal: exactly the output of before, nothing on stderr
$CFS verify --state "$S" "$SID" >"$T/out" 2>"$T/err"
eq verify.out "$(cat "$T/out")" "{\"streamId\":\"$SID\",\"ok\":true}"
eq verify.err "$(cat "$T/err")" ""
$CFS export --state "$S" "$SID" -o "$T/long.car" 2>"$T/err"
eq export.err "$(cat "$T/err")" ""
$CFS import --state "$T/s2" "$T/long.car" >"$T/out" 2>"$T/err"
eq import.out "$(jq -r '.streamId + " " + .tip + " " + .root' "$T/out")" \
    "$SID $($CFS log --state "$S" "$SID" | tail -1 | jq -r .cid) $($CFS log --state "$S" "$SID" | tail -1 | jq -r .cid)"
eq import.err "$(cat "$T/err")" ""
eq import.lines "$(wc -l <"$T/out" | tr -d ' ')" 1

# on a terminal: the progress line, then the same result
pty $CFS verify --state "$S" "$SID"
has verify.fetched "$SHORT...: 301 commits fetched"
has verify.verified "301 commits fetched, 301 of 301 verified, "
has verify.rate "/s$(printf '\033[K')"
has verify.result "{\"streamId\":\"$SID\",\"ok\":true}"
eq verify.cleared "$(tr -d '\n' <"$T/tty" | sed "s/.*\[K\r$(printf '\033')\[K//" | tr -d '\r')" \
    "{\"streamId\":\"$SID\",\"ok\":true}"
pty $CFS export --state "$S" "$SID" -o "$T/tty.car"
has export.progress "301 of 301 verified"
eq export.same "$(cmp "$T/long.car" "$T/tty.car" && echo same)" same
pty $CFS import --state "$T/s3" "$T/long.car"
has import.progress "301 of 301 verified"
has import.result "\"streamId\":\"$SID\""

[ "$fails" -eq 0 ] && echo "progress_test: all passed" || { echo "progress_test: $fails failed"; exit 1; }
