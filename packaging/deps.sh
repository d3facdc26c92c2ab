#!/bin/sh
# deps.sh — install the Debian packages ceramicfs needs to build, test and run.
#
# Idempotent: checks what is installed first and does nothing when all is
# present. Needs root (or sudo) only when something is missing.
set -eu

# build and run (the Build-Depends of packaging/debian/control); the Debian
# package (make deb, tests/package_test.sh); groff-base and man-db
# (tests/manpage_test.sh renders the man pages); then what the tests drive
# through the mount (the editors and tools whose saves were traced: fs/README.md)
PKGS="build-essential pkg-config libcbor-dev libsodium-dev libsecp256k1-dev libssl-dev libcurl4-openssl-dev
libcjson-dev libmicrohttpd-dev libpcre2-dev libfuse3-dev fuse3 check clang libclang-rt-14-dev valgrind
debhelper dpkg-dev lintian
python3 jq xxd curl ca-certificates groff-base man-db
vim nano emacs-nox rsync moreutils attr tmux tar"
# node and npm: the tests install their reference peers from npm
# (tests/peers/: js-ipfs, js-ceramic, ganache). Debian's packages, unless a
# node and an npm are already on PATH (NodeSource's nodejs carries its own
# npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    PKGS="$PKGS nodejs npm"
fi

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "deps.sh: all build, test and run dependencies are installed"
    exit 0
fi

echo "deps.sh: installing:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps.sh: missing packages:$missing" >&2
    echo "deps.sh: run this script as root (or install sudo) to install them" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "deps.sh: done"
