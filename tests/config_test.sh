#!/bin/sh
# config_test.sh — the configuration files (fs/cli/config.c): a user file's
# state= is honoured by create and list, the command line overrides it,
# --config FILE / CERAMICFS_CONFIG / --no-config choose the files, the
# user file wins over the system file (as root, when /etc/ceramicfs/config
# is absent), settings reach only the commands that take them, -o
# config=FILE works for the mount, and an unknown key or a bad value fails
# with FILE:LINE and exit status 2; a bad mount option is named. No root,
# no FUSE needed.
set -u

CERAMICFS=${CERAMICFS:-./build/ceramicfs}
T=$(mktemp -d /var/tmp/config_test.XXXXXX)
SYS=/etc/ceramicfs/config
made_sys=""
cleanup() {
    [ -n "$made_sys" ] && rm -f "$SYS" && rmdir /etc/ceramicfs 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
fail=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }
# expect NAME WANT-STATUS COMMAND...: the status, stdout in $T/out, stderr in $T/err
expect() {
    name=$1 want=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok "$name"; else bad "$name: exit $got, want $want: $(head -2 "$T/err")"; fi
}

export HOME="$T/home" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/xdg"
unset CERAMICFS_CONFIG
mkdir -p "$T/xdg/ceramicfs"
U=$T/xdg/ceramicfs/config
cat >"$U" <<EOF
# the user's file
state = $T/s1

nosync=yes
EOF

expect "create with state= from the user file" 0 $CERAMICFS create --alias one --content '{"a":1}'
[ -d "$T/s1/streams" ] && [ ! -e "$T/data/ceramicfs" ] && ok "it went to the configured state" ||
    bad "the document is not in the configured state directory"
expect "list with the user file" 0 $CERAMICFS list
grep -q '"alias":"one"' "$T/out" && ok "list shows it" || bad "list does not show it: $(cat "$T/out")"

# (list makes no node: it names the directory it looked in)
expect "--state on the command line wins" 1 $CERAMICFS list --state "$T/s2"
grep -qF "no node in $T/s2;" "$T/err" && [ ! -e "$T/s2" ] && ok "list --state used the other directory" ||
    bad "list --state: $(cat "$T/err")"
expect "--no-config" 0 $CERAMICFS create --no-config --alias two --content '{}'
[ -d "$T/data/ceramicfs/streams" ] && ok "--no-config used the default state" || bad "--no-config did not use the default"

printf 'state = %s/s3\n' "$T" >"$T/other"
expect "--config FILE" 1 $CERAMICFS list --config "$T/other"
grep -qF "no node in $T/s3;" "$T/err" && ok "--config FILE replaced the user file" || bad "--config FILE was not used"
expect "--config=FILE" 1 $CERAMICFS list "--config=$T/other"
grep -qF "no node in $T/s3;" "$T/err" && ok "--config=FILE too" || bad "--config=FILE was not used"
CERAMICFS_CONFIG=$T/other expect "CERAMICFS_CONFIG" 1 $CERAMICFS list
grep -qF "no node in $T/s3;" "$T/err" && ok "CERAMICFS_CONFIG replaced the user file" || bad "CERAMICFS_CONFIG was not used"
expect "a missing --config FILE" 2 $CERAMICFS list --config "$T/nothing"
grep -q "$T/nothing" "$T/err" && ok "it names the file" || bad "no file name: $(cat "$T/err")"

# settings reach only the commands that take them
cat >"$T/all" <<EOF
state = $T/s4
key = $T/s1/key
ipfs = http://127.0.0.1:9
network = testnet-clay
pubsub_topic = /x
query-timeout = 100
anchor = none
anchor-service = http://127.0.0.1:9
chain = eth
eth-rpc = http://127.0.0.1:9
eth-from = 0x0000000000000000000000000000000000000001
eth_raw = true
anchor-interval = 5
anchor-timeout = 1.5
ro = on
allow_other = off
auto-unmount = 1
no_open = false
no-uring = yes
debug = no
EOF
expect "config mount" 0 $CERAMICFS config --config "$T/all" mount
printf '%s\n' --state "$T/s4" --key "$T/s1/key" --ipfs http://127.0.0.1:9 --network testnet-clay \
    --pubsub-topic /x --query-timeout 100 --anchor none --anchor-service http://127.0.0.1:9 --chain eth \
    --eth-rpc http://127.0.0.1:9 --eth-from 0x0000000000000000000000000000000000000001 --eth-raw \
    --anchor-interval 5 --anchor-timeout 1.5 -o ro -o auto_unmount -o no_uring >"$T/want"
cmp -s "$T/out" "$T/want" && ok "every key becomes its mount option, false flags none" ||
    { bad "config mount:"; diff "$T/want" "$T/out"; }
expect "config list" 0 $CERAMICFS config --config "$T/all" list
printf '%s\n' --state "$T/s4" --key "$T/s1/key" >"$T/want"
cmp -s "$T/out" "$T/want" && ok "list gets only --state and --key" || { bad "config list:"; diff "$T/want" "$T/out"; }
expect "config sign" 0 $CERAMICFS config --config "$T/all" sign
printf '%s\n' --key "$T/s1/key" >"$T/want"
cmp -s "$T/out" "$T/want" && ok "sign gets only --key" || { bad "config sign:"; diff "$T/want" "$T/out"; }
expect "config shows where" 0 $CERAMICFS config --config "$T/all"
grep -q "^chain = eth	# $T/all:9\$" "$T/out" && ok "config prints key = value # FILE:LINE" ||
    bad "config output: $(cat "$T/out")"
# every command accepts what the full file gives it (none reaches the network:
# each stops at a usage error or a missing document first)
for c in create show update log list pin unpin alias verify did anchor sync sign genesis commit; do
    $CERAMICFS "$c" --config "$T/all" --zz-not-an-option >"$T/out" 2>"$T/err"
    if grep -q "unrecognized option '--zz-not-an-option'" "$T/err" && ! grep -v zz-not "$T/err" | grep -q unrecognized; then
        ok "$c takes every option the file gives it"
    else
        bad "$c with the full file: $(head -2 "$T/err")"
    fi
done
expect "mount with the full file (no such mount point)" 1 $CERAMICFS mount --config "$T/all" "$T/no-such-dir"
grep -q "no-such-dir: No such file or directory" "$T/err" && ok "the mount's parser took every option" ||
    bad "mount: $(cat "$T/err")"

# --seed-hex on the command line beats the file's key
expect "did --seed-hex with key= in the file" 0 $CERAMICFS did --config "$T/all" \
    --seed-hex 0000000000000000000000000000000000000000000000000000000000000000
grep -q '^did:key:z6Mk' "$T/out" && ok "--seed-hex wins over key=" || bad "did: $(cat "$T/out")"
# verify FILE still takes a file with options from the file before it
expect "create a block" 0 $CERAMICFS genesis --seed-hex \
    0000000000000000000000000000000000000000000000000000000000000001 --content '{"x":1}'
jq -r .envelope.hex "$T/out" | xxd -r -p >"$T/g.jose"
expect "verify FILE with a configured state" 0 $CERAMICFS verify "$T/g.jose"
grep -q '^did:key:' "$T/out" && ok "verify FILE checked the block" || bad "verify FILE: $(cat "$T/out")"

# errors: FILE:LINE and exit 2
printf 'state = %s/s1\n# fine\nstaet = /tmp\n' "$T" >"$U"
expect "an unknown key" 2 $CERAMICFS list
grep -qF "$U:3: unknown key 'staet'" "$T/err" && ok "it names FILE:LINE and the key" || bad "unknown key: $(cat "$T/err")"
printf 'chain = ethereum\n' >"$U"
expect "a bad value" 2 $CERAMICFS list
grep -qF "$U:1: chain: 'ethereum'" "$T/err" && ok "it names FILE:LINE and the value" || bad "bad value: $(cat "$T/err")"
printf 'ro = maybe\n' >"$U"
expect "a bad flag" 2 $CERAMICFS list
grep -qF "$U:1: ro: 'maybe' is not true or false" "$T/err" && ok "flags take true or false" || bad "bad flag: $(cat "$T/err")"
printf 'query-timeout = 1s\n' >"$U"
expect "a bad number" 2 $CERAMICFS list
grep -qF "$U:1:" "$T/err" && ok "numbers are checked" || bad "bad number: $(cat "$T/err")"
printf 'just words\n' >"$U"
expect "a line without =" 2 $CERAMICFS list
grep -qF "$U:1:" "$T/err" && ok "a line without = is refused" || bad "no =: $(cat "$T/err")"
printf 'state =\n' >"$U"
expect "an empty value" 2 $CERAMICFS list
expect "--help works whatever the file says" 0 $CERAMICFS list --help
expect "the mount's -o config=FILE" 2 $CERAMICFS mount "$T/no-such-dir" -o "ro,config=$U"
grep -qF "$U:1:" "$T/err" && ok "-o config=FILE read the file" || bad "-o config=: $(cat "$T/err")"
expect "the mount's -o no_config" 1 $CERAMICFS mount "$T/no-such-dir" -o no_config
grep -q "No such file or directory" "$T/err" && ok "-o no_config ignored the bad file" || bad "-o no_config: $(cat "$T/err")"

# a mount option error names the option and points to --help: two lines,
# not the whole usage (exit 2, before anything is mounted)
mkdir -p "$T/mnt"
for args in "-o fooo" "-o ro,fooo" "-ofooo" "--fooo" "--state"; do
    # shellcheck disable=SC2086
    expect "mount $args" 2 $CERAMICFS mount --no-config "$T/mnt" $args
    opt=${args#-o}; opt=${opt# }; opt=${opt#ro,}
    if { grep -qF -e "unknown mount option '$opt'" "$T/err" || grep -qF -e "unknown option '$opt'" "$T/err" ||
        grep -qF -e "$opt needs a value" "$T/err"; } && grep -qF "Run 'ceramicfs mount --help'" "$T/err" &&
        [ "$(wc -l <"$T/err")" -eq 2 ]; then ok "mount $args: names it"; else bad "mount $args: $(cat "$T/err")"; fi
done

# the system file, and the user's over it (root only, and only when there is none)
if [ "$(id -u)" -eq 0 ] && [ ! -e "$SYS" ] && [ ! -e /etc/ceramicfs ]; then
    mkdir -p /etc/ceramicfs && made_sys=1
    printf 'state = %s/sys\nnosync = true\n' "$T" >"$SYS"
    : >"$U"
    expect "the system file" 1 $CERAMICFS list
    grep -qF "no node in $T/sys;" "$T/err" && ok "its state= is used" || bad "the system file was not read"
    printf 'state = %s/user\n' "$T" >"$U"
    expect "the user file over the system file" 0 $CERAMICFS config list
    printf '%s\n' --state "$T/user" >"$T/want"
    cmp -s "$T/out" "$T/want" && ok "the user's state= wins" || { bad "user over system:"; diff "$T/want" "$T/out"; }
    expect "config shows both files" 0 $CERAMICFS config mount
    grep -qx -- '-o' "$T/out" && ok "the system file's flag stays" || bad "system flag: $(cat "$T/out")"
    rm -f "$SYS" && rmdir /etc/ceramicfs && made_sys=""
else
    echo "note: the system file part needs root and no /etc/ceramicfs (skipped)"
fi

if [ $fail -ne 0 ]; then
    echo "config_test: FAILED"
    exit 1
fi
echo "config_test: all passed"
