#!/bin/sh
# completion_test.sh — the bash completion (packaging/completion/ceramicfs)
# sourced in bash, its COMPREPLY checked: a command by prefix, a command's
# options by prefix (from its --help), the mount's -o names, option
# values, the short mount form, and StreamIDs and aliases from a state
# directory made with `ceramicfs create` (by --state, and by the state= of
# a configuration file). No root, no FUSE needed.
set -u

CERAMICFS=${CERAMICFS:-./build/ceramicfs}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v bash >/dev/null 2>&1; then
    echo "## completion_test: SKIPPED: no bash"
    [ -n "${CI:-}" ] && exit 1
    exit 77
fi
# completion runs the program itself: the last word of $CERAMICFS (which
# may be "valgrind ... ceramicfs")
PROG=$(echo "$CERAMICFS" | awk '{print $NF}')
case $PROG in /*) ;; *) PROG=$PWD/$PROG ;; esac
T=$(mktemp -d /var/tmp/completion_test.XXXXXX)
trap 'rm -rf "$T"' EXIT
export HOME="$T/home" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/xdg"
unset CERAMICFS_CONFIG

$CERAMICFS create --state "$T/s" --alias groceries --content '{"items":[]}' >"$T/c1" &&
    $CERAMICFS create --state "$T/s" --content '{"b":1}' >"$T/c2" || {
    echo "FAIL cannot create the documents"
    exit 1
}
SID1=$(sed -n 's/.*"streamId": "\(k[a-z0-9]*\)".*/\1/p' "$T/c1")
SID2=$(sed -n 's/.*"streamId": "\(k[a-z0-9]*\)".*/\1/p' "$T/c2")
mkdir -p "$T/mnt" "$T/xdg/ceramicfs"

cd "$T" && PROG=$PROG ROOT=$ROOT T=$T SID1=$SID1 SID2=$SID2 bash <<'EOF'
fail=0
. "$ROOT/packaging/completion/ceramicfs"
# comp WORD...: complete the last word; the candidates, sorted, one a line
comp() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _ceramicfs 2>/dev/null
    printf '%s\n' "${COMPREPLY[@]}" | sort
}
# check NAME WANT WORD...: WANT is the exact list of candidates, space-separated
check() {
    local name=$1 want=$2 got
    shift 2
    got=$(comp "$@" | tr '\n' ' ' | sed 's/ $//')
    if [[ $got == "$want" ]]; then echo "ok   $name"; else echo "FAIL $name: got '$got', want '$want'"; fail=1; fi
}
check "a command by prefix" "create" "$PROG" cr
check "commands and directories by prefix" "s show sign streamid sync" "$PROG" s
check "the first word's options" "--help --version" "$PROG" --
check "an option by prefix" "--alias" "$PROG" create --al
check "options from --help" "--seed-hex --state" "$PROG" did --s
check "--config and --no-config everywhere" "--config" "$PROG" list --conf
check "the mount's -o names" "allow_other api= auto_unmount" "$PROG" mount mnt -o a
check "the last name of an -o list" "ro,state=" "$PROG" mount mnt -o ro,st
check "an option's values" "eth inmemory" "$PROG" anchor --chain ""
check "the short mount form's options" "--state" "$PROG" mnt --st
check "a mount point is a directory" "mnt" "$PROG" mount mn
check "a StreamID from --state" "$SID1" "$PROG" show --state "$T/s" "${SID1:0:20}"
check "an alias from --state" "groceries" "$PROG" log --state "$T/s" gr
got=$(comp "$PROG" pin --state "$T/s" "" | tr '\n' ' ')
[[ $got == *"$SID1"* && $got == *"$SID2"* && $got == *groceries* ]] && echo "ok   every StreamID and alias" ||
    { echo "FAIL every StreamID and alias: $got"; fail=1; }
check "nothing from the default state (empty)" "" "$PROG" show gr
printf 'state = %s/s\n' "$T" >"$T/xdg/ceramicfs/config"
check "an alias from the configuration's state" "groceries" "$PROG" show gr
check "--no-config on the line" "" "$PROG" show --no-config gr
check "sync --load takes a stream" "groceries" "$PROG" sync --load gr
check "dag's subcommands" "decode" "$PROG" dag de
exit $fail
EOF
rc=$?
if [ $rc -ne 0 ]; then
    echo "completion_test: FAILED"
    exit 1
fi
echo "completion_test: all passed"
