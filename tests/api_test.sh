#!/bin/sh
# api_test.sh — core/ceramic.h is libceramic's one contract:
#   - the list of its functions the Makefile takes from it (BUILD/ceramic.syms,
#     the symbols the installed library keeps) is the compiler's (gcc
#     -aux-info), and the library defines every one of them;
#   - every other global symbol of the library (BUILD/libceramic.a) has the
#     cer_ prefix, is declared in an internal header (core/*.h) and is used
#     by a file besides its own (else it should be static);
#   - fs/ calls no library function but ceramic.h's;
#   - the installed form (BUILD/dist/libceramic.a, what make install
#     installs) exports exactly ceramic.h's functions and leaves no cer_
#     symbol undefined: a program may define a name the library uses inside
#     (it links, and both work), and cannot call one (it does not link);
#   - examples/new-document, built with pkg-config against that form (make
#     tests), runs, and its document reads back with ceramicfs.
# No root, no network; a few seconds. Run after make tests.
set -u

cd "$(dirname "$0")/.." || exit 1
TEST=api_test WHAT="libceramic's public API"
. tests/lib.sh
CERAMICFS=${CERAMICFS:-$PWD/build/ceramicfs}
# the build directory is the program's (the last word: it may be "valgrind ... ceramicfs")
B=$(dirname "$(echo "$CERAMICFS" | awk '{print $NF}')")
for tool in nm gcc cc pkg-config; do
    command -v $tool >/dev/null || skip "no $tool"
done
for f in "$B/libceramic.a" "$B/dist/libceramic.a" "$B/ceramic.syms" "$B/examples/new-document"; do
    [ -f "$f" ] || { echo "FAIL $TEST: no $f (make tests builds it)"; exit 1; }
done
T=$(mktemp -d /var/tmp/api_test.XXXXXX)
trap 'rm -rf "$T"' EXIT
# names NAME FILE: the names in FILE (one a line) on one line, or "none"
names() { if [ -s "$2" ]; then echo "$1: $(tr '\n' ' ' <"$2")"; else echo "$1: none"; fi; }

# ---- ceramic.h's functions: the Makefile's list is the compiler's ----
echo '#include <ceramic.h>' >"$T/h.c"
# shellcheck disable=SC2046
if gcc -Icore $(pkg-config --cflags libcjson) -aux-info "$T/aux" -fsyntax-only "$T/h.c" 2>"$T/gcc.log"; then
    grep '/ceramic\.h:' "$T/aux" | grep -oE '\bcer_[a-z0-9_]+ \(' | tr -d ' (' | sort -u >"$T/declared"
    sort -u "$B/ceramic.syms" >"$T/public"
    eq "ceramic.syms lists what gcc sees declared in ceramic.h ($(wc -l <"$T/public") functions)" \
        "$(comm -3 "$T/public" "$T/declared" | tr -d '\t' | tr '\n' ' ')" ""
    [ "$(wc -l <"$T/public")" -ge 100 ] || bad "only $(wc -l <"$T/public") public functions"
else
    cat "$T/gcc.log"; bad "gcc -aux-info of ceramic.h"
fi
grep -qE '^extern [^"]' core/ceramic.h &&
    bad "ceramic.h declares data (extern): the Makefile's symbol list takes functions only"

# ---- the library's global symbols (object:type:name) ----
nm -A -g --defined-only "$B/libceramic.a" |
    awk 'NF == 3 { n = split($1, a, ":"); print a[n - 1], $2, $3 }' | sort -k3 >"$T/globals"
awk '{print $3}' "$T/globals" | sort -u >"$T/defined"
comm -23 "$T/public" "$T/defined" >"$T/undefined"
eq "every ceramic.h function is defined ($(names missing "$T/undefined"))" "$(wc -l <"$T/undefined" | tr -d ' ')" 0

comm -13 "$T/public" "$T/defined" >"$T/internal"
: >"$T/noprefix"; : >"$T/noheader"; : >"$T/ownonly"
headers=
for h in core/*.h; do [ "$h" = core/ceramic.h ] || headers="$headers $h"; done
while read -r obj _type sym; do
    grep -qx "$sym" "$T/internal" || continue
    case $sym in cer_*) ;; *) echo "$sym" >>"$T/noprefix" ;; esac
    # shellcheck disable=SC2086
    grep -qE "^([A-Za-z].*[^A-Za-z0-9_]|)$sym *\(|^extern .*[^A-Za-z0-9_]${sym}[^A-Za-z0-9_]" $headers ||
        echo "$sym" >>"$T/noheader"
    src=core/${obj%.o}.c
    grep -rlw --include='*.c' -e "$sym" core fs tests | grep -qvx "$src" || echo "$sym ($src)" >>"$T/ownonly"
done <"$T/globals"
eq "internal globals are cer_ ($(names not "$T/noprefix"))" "$(wc -l <"$T/noprefix" | tr -d ' ')" 0
eq "the $(wc -l <"$T/internal" | tr -d ' ') internal globals are declared in internal headers ($(names missing "$T/noheader"))" \
    "$(wc -l <"$T/noheader" | tr -d ' ')" 0
eq "internal globals are used beyond their own file ($(names "make static" "$T/ownonly"))" \
    "$(wc -l <"$T/ownonly" | tr -d ' ')" 0

# ---- fs/: only ceramic.h's functions ----
find "$B/fs" -name '*.o' -exec nm -u {} + | awk '$1 == "U" {print $2}' | grep '^cer_' | sort -u >"$T/fs_uses"
comm -23 "$T/fs_uses" "$T/public" >"$T/fs_internal"
eq "fs/ calls $(wc -l <"$T/fs_uses" | tr -d ' ') library functions, all in ceramic.h ($(names internal "$T/fs_internal"))" \
    "$(wc -l <"$T/fs_internal" | tr -d ' ')" 0

# ---- the installed form: ceramic.h's functions and nothing else ----
D=$B/dist/libceramic.a
nm -g --defined-only "$D" | awk 'NF == 3' >"$T/dist"
eq "the installed libceramic.a exports exactly ceramic.h's functions" \
    "$(awk '{print $3}' "$T/dist" | sort -u | comm -3 - "$T/public" | tr -d '\t' | tr '\n' ' ')" ""
eq "... all of them functions (T)" "$(awk '$2 != "T"' "$T/dist" | tr '\n' ' ')" ""
eq "... and needs no cer_ symbol from outside" "$(nm -u "$D" | awk '{print $2}' | grep '^cer_' | tr '\n' ' ')" ""
eq "... one object" "$(ar t "$D" | wc -l | tr -d ' ')" 1

PC="env PKG_CONFIG_PATH=$B/dist pkg-config"
pcflags=$($PC --cflags --libs libceramic) || bad "pkg-config libceramic ($B/dist/libceramic.pc)"
# a sanitizer build's library (make asan) needs its runtime
nm -u "$D" | grep -q ' __asan_' && pcflags="-fsanitize=address,undefined $pcflags"
# A program of its own with a function named as one inside the library
# (cer_err, which every module calls): against the per-module archive the
# link fails; against the installed form it links, and both run.
cat >"$T/collide.c" <<'EOF'
#include <ceramic.h>
#include <stdio.h>
int cer_err(void);
int cer_err(void) { return 7; }
int main(void)
{
    cer_cid c;
    int rc = cer_cid_parse(&c, "not a CID");
    printf("%d %d %s\n", rc < 0, cer_err(), cer_errmsg()[0] ? "message" : "none");
    return 0;
}
EOF
# shellcheck disable=SC2086
if cc -o "$T/collide" "$T/collide.c" $pcflags >"$T/cc.log" 2>&1; then
    eq "a program may name a function cer_err: its own and the library's both work" "$("$T/collide")" "1 7 message"
else
    cat "$T/cc.log"; bad "a program defining cer_err does not link against the installed form"
fi
# shellcheck disable=SC2046
if cc -o "$T/collide2" "$T/collide.c" $(echo "$pcflags" | sed "s|-L[^ ]*dist||; s|-lceramic|$B/libceramic.a|") >"$T/cc.log" 2>&1; then
    bad "the same program links against the per-module archive (the collision test cannot fail)"
else
    if grep -q 'multiple definition of .cer_err' "$T/cc.log"; then ok "against the per-module archive it collides"
    else cat "$T/cc.log"; bad "the per-module archive: not the expected collision"; fi
fi
# ... and a program cannot call an internal function
cat >"$T/call.c" <<'EOF'
#include <ceramic.h>
int cer_err(int e, const char *fmt, ...);
int main(void) { return cer_err(-1, "%s", "internal") == -1 ? 0 : 1; }
EOF
# shellcheck disable=SC2086
if cc -o "$T/call" "$T/call.c" $pcflags >"$T/cc.log" 2>&1; then
    bad "a program calls the internal cer_err through the installed form"
else
    if grep -q 'undefined reference to .cer_err' "$T/cc.log"; then ok "an internal function cannot be called"
    else cat "$T/cc.log"; bad "calling cer_err: not the expected link error"; fi
fi

# ---- the example, as make tests built it (pkg-config, installed form) ----
if t "$B/examples/new-document" >"$T/example.out" 2>"$T/example.err"; then
    ok "examples/new-document runs"
    example_check "$T/example.out" "$CERAMICFS"
else
    cat "$T/example.out" "$T/example.err"; bad "examples/new-document"
fi

if [ $fails -ne 0 ]; then echo "api_test: $fails FAILED"; exit 1; fi
echo "api_test: all passed"
