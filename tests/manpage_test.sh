#!/bin/sh
# manpage_test.sh — the man pages against the program: the commands of
# `ceramicfs --help` and the COMMANDS subsections of ceramicfs(1) are the
# same, and for each command the options its `--help` names and the ones
# on the tag lines (the line after each .TP) of its subsection are the same,
# both ways; the mount's reserved names and xattrs are all in
# ceramicfs-layout(5); and groff (man, mandoc when there) renders both
# pages without a warning. Needs groff (packaging/deps.sh installs it).
set -u

CERAMICFS=${CERAMICFS:-./build/ceramicfs}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MAN1=$ROOT/packaging/man/ceramicfs.1
MAN5=$ROOT/packaging/man/ceramicfs-layout.5
T=$(mktemp -d /var/tmp/manpage_test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0

ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fail=1; }

if ! command -v groff >/dev/null 2>&1; then
    echo "##################################################################"
    echo "## manpage_test: SKIPPED: groff is not installed (packaging/deps.sh)"
    echo "##################################################################"
    [ -n "${CI:-}" ] && exit 1
    exit 77
fi
# the subcommand --help must not touch a real state or configuration
export HOME="$T/home" XDG_DATA_HOME="$T/data" XDG_CONFIG_HOME="$T/config" CERAMICFS_CONFIG=

# The options named in a text: --long, -x, and "-o name" (the mount's -o
# forms); "-o name" alone is --help's placeholder for "-o name=value", and
# "fusermount3 -u" is another program's.
options() {
    sed 's/fusermount3 -u//g' | grep -oE -- '(^|[^A-Za-z0-9_-])(--[a-z][a-z0-9-]*|-o [a-z][a-z_]*|-[a-zA-Z]\b)' |
        sed -E 's/^[^-]//' | grep -vxE -- '-o name|--help|-h' | sort -u
}

# The tag lines of each COMMANDS subsection of ceramicfs(1), as
# "command<TAB>text" with the roff escapes and macros taken out.
man_tags() {
    awk '/^\.SH / { insec = ($0 ~ /^\.SH COMMANDS/); cmd = ""; next }
         insec && /^\.SS / { cmd = $2; gsub(/"/, "", cmd); print cmd "\t"; next }
         insec && cmd != "" && /^\.TP/ { tag = 1; next }
         tag { print cmd "\t" $0; tag = 0 }' "$MAN1" |
        sed -E 's/\\f[BIRP]//g; s/\\-/-/g; s/\t\.[A-Z]+ /\t/; s/"//g'
}

# ---- the commands ----
$CERAMICFS --help >"$T/help" || bad "ceramicfs --help exits 0"
sed -n 's/^  \([a-z][a-z]*\) .*/\1/p' "$T/help" | sort -u >"$T/cmds.help"
man_tags >"$T/tags"
cut -f1 "$T/tags" | sort -u >"$T/cmds.man"
if [ ! -s "$T/cmds.help" ]; then
    bad "no commands found in ceramicfs --help"
elif cmp -s "$T/cmds.help" "$T/cmds.man"; then
    ok "commands: the man page has a subsection for each of the $(wc -l <"$T/cmds.help") commands"
else
    bad "commands differ (< --help, > man page COMMANDS .SS):"
    diff "$T/cmds.help" "$T/cmds.man" | grep '^[<>]'
fi

# ---- each command's options, both ways ----
for c in $(cat "$T/cmds.help"); do
    if ! $CERAMICFS "$c" --help >"$T/h.$c" 2>"$T/e.$c"; then
        bad "$c --help: exit status $? (want 0): $(head -1 "$T/e.$c")"
        continue
    fi
    [ -s "$T/e.$c" ] && bad "$c --help wrote on stderr: $(head -1 "$T/e.$c")"
    [ -s "$T/h.$c" ] || bad "$c --help printed nothing"
    options <"$T/h.$c" >"$T/o.help.$c"
    awk -F '\t' -v c="$c" '$1 == c { print $2 }' "$T/tags" | options >"$T/o.man.$c"
    missing=$(comm -23 "$T/o.help.$c" "$T/o.man.$c" | tr '\n' ' ')
    extra=$(comm -13 "$T/o.help.$c" "$T/o.man.$c" | tr '\n' ' ')
    [ -n "$missing" ] && bad "$c: in --help but not in ceramicfs(1) COMMANDS/$c: $missing"
    [ -n "$extra" ] && bad "$c: in ceramicfs(1) COMMANDS/$c but not in --help: $extra"
    [ -z "$missing$extra" ] && ok "$c: the same $(wc -l <"$T/o.help.$c") options in --help and the man page"
done

# ---- the layout page names every reserved name and xattr of the mount ----
names=$(sed -n '/^int cfs_reserved/,/^}/p' "$ROOT/fs/mount/docs.c" | grep -oE '"[^"]+"' | tr -d '"')
xattrs=$(grep -ohE '"user\.ceramic\.[a-z_]+"' "$ROOT/fs/mount/docs.c" | tr -d '"' | sort -u)
if [ -z "$names" ] || [ -z "$xattrs" ]; then
    bad "cannot find the reserved names or xattrs in fs/mount/docs.c"
fi
for n in $names $xattrs .status .errors; do
    if grep -qF -- "$(printf '%s' "$n" | sed 's/-/\\-/g')" "$MAN5"; then :; else
        bad "ceramicfs-layout(5) does not mention $n"
    fi
done
ok "ceramicfs-layout(5) names $(echo $names $xattrs | wc -w) reserved names and xattrs of fs/mount/docs.c"

# ---- rendering without warnings ----
for p in "$MAN1" "$MAN5"; do
    out=$(groff -man -ww -z "$p" 2>&1)
    [ -z "$out" ] && ok "groff -man -ww: $(basename "$p") clean" || bad "groff -man -ww $(basename "$p"): $out"
    if command -v man >/dev/null 2>&1; then
        out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man -l "$p" 2>&1 >/dev/null)
        [ -z "$out" ] && ok "man -l: $(basename "$p") clean" || bad "man -l $(basename "$p"): $out"
    fi
    if command -v mandoc >/dev/null 2>&1; then
        out=$(mandoc -T lint -W warning "$p" 2>&1)
        [ -z "$out" ] && ok "mandoc -T lint: $(basename "$p") clean" || bad "mandoc -T lint $(basename "$p"): $out"
    fi
done

if [ $fail -ne 0 ]; then
    echo "manpage_test: FAILED"
    exit 1
fi
echo "manpage_test: all passed"
