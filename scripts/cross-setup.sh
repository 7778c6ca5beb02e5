#!/bin/sh
# Sets up, once per machine, what `make cross` and `make cross-test` need; every later run only
# checks and returns in about a second. Needs root (or sudo) and Debian's archive over HTTP.
#
# This machine's Rust has only the x86-64 Linux standard library, and Debian bookworm's rustc is
# too old for rust-version, so the cross compilers come from Debian trixie, in a chroot kept
# outside the clone, in LUCID_CROSS_DIR (default /var/cache/lucidauth-cross):
#   root/        trixie (minbase) with rustc-web/cargo-web (1.96), rust-web-src (the std sources
#                the Windows std is built from, -Zbuild-std), the arm64 std through multiarch,
#                gcc-mingw-w64-x86-64 and gcc-aarch64-linux-gnu with trixie's arm64 libc (the
#                sysroot qemu-user runs the aarch64 test programs with: std's test harness needs
#                GLIBC_2.39, newer than bookworm's)
#   wine/        the Wine prefix the Windows programs run in; with Wine older than 9 (bookworm
#                has 8.0) it gets a stand-in bcryptprimitives.dll (scripts/cross/bcryptprimitives.*)
#   target/      cargo's target directory for the cross builds, kept between clones
#   debootstrap/ trixie's debootstrap (bookworm's 1.0.128 cannot make a trixie root)
# On the host it installs wine, wine64, qemu-user, the mingw and aarch64 binutils (objdump for
# the DLL's export table) and bookworm's arm64 libc (the released aarch64 programs run on it).
# The host's cargo registry is shared with the chroot (scripts/cross/enter.sh binds it), so a
# crate is downloaded once for both. The host's extra CA certificates
# (/usr/local/share/ca-certificates/*.crt, where TLS goes through a local CA) are given to the
# chroot. Every mount lives in a private mount namespace (unshare) that ends with the command, so
# nothing stays mounted, even when a step fails or is killed.
#
#   LUCID_CROSS_DIR=/path   another place for all of it
#   LUCID_CROSS_MIRROR=URL  another Debian mirror (default http://deb.debian.org/debian)
set -eu
here=$(cd "$(dirname "$0")" && pwd -P)
CROSS=${LUCID_CROSS_DIR:-/var/cache/lucidauth-cross}
MIRROR=${LUCID_CROSS_MIRROR:-http://deb.debian.org/debian}
ROOT=$CROSS/root
HOST_PACKAGES="wine wine64 qemu-user binutils-mingw-w64-x86-64 binutils-aarch64-linux-gnu
    libc6-arm64-cross libgcc-s1-arm64-cross wget"
ROOT_PACKAGES="rustc-web cargo-web rust-web-src libstd-rust-web-dev:arm64 gcc-mingw-w64-x86-64
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross make ca-certificates"
log() { echo "cross-setup: $*"; }

if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { log "needs root (or sudo)" >&2; exit 1; }
    exec sudo LUCID_CROSS_DIR="$CROSS" LUCID_CROSS_MIRROR="$MIRROR" sh "$0" "$@"
fi

host_packages() {
    missing=
    for p in $HOST_PACKAGES; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
            missing="$missing $p"
    done
    [ -n "$missing" ] || return 0
    log "installing on the host:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# Trixie's debootstrap (arch all), fetched with apt from a private list of trixie's packages: the
# host's sources stay untouched.
debootstrap_tool() {
    [ -x "$CROSS/debootstrap/usr/sbin/debootstrap" ] && return 0
    log "fetching trixie's debootstrap"
    apt=$CROSS/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$apt/deb"
    echo "deb $MIRROR trixie main" >"$apt/sources.list"
    set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts" \
        -o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o APT::Sandbox::User=root
    apt-get "$@" update -qq
    (cd "$apt/deb" && rm -f ./*.deb && apt-get "$@" download debootstrap)
    rm -rf "$CROSS/debootstrap.new"
    dpkg -x "$apt"/deb/debootstrap_*.deb "$CROSS/debootstrap.new"
    mv "$CROSS/debootstrap.new" "$CROSS/debootstrap"
}

make_root() {
    [ -f "$ROOT/etc/debian_version" ] && return 0
    log "debootstrap trixie into $ROOT"
    rm -rf "$ROOT.new"
    DEBOOTSTRAP_DIR=$CROSS/debootstrap/usr/share/debootstrap \
        "$CROSS/debootstrap/usr/sbin/debootstrap" --variant=minbase trixie "$ROOT.new" "$MIRROR" >"$CROSS/debootstrap.log" ||
        { log "debootstrap failed, see $CROSS/debootstrap.log and $ROOT.new/debootstrap/debootstrap.log" >&2; exit 1; }
    mv "$ROOT.new" "$ROOT"
}

# The packages, and what changes with the host (resolver, CA certificates), each time the list
# differs from the one installed last.
root_packages() {
    want=$(echo $ROOT_PACKAGES)
    [ "$(cat "$ROOT/.lucidauth-packages" 2>/dev/null)" = "$want" ] && return 0
    log "installing in the chroot: $want"
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    for crt in /usr/local/share/ca-certificates/*.crt; do
        [ -f "$crt" ] && mkdir -p "$ROOT/usr/local/share/ca-certificates" && cp "$crt" "$ROOT/usr/local/share/ca-certificates/"
    done
    LUCID_CROSS_DIR=$CROSS sh "$here/cross/enter.sh" --setup sh -c '
        set -eu
        dpkg --add-architecture arm64
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
        update-ca-certificates >/dev/null
        apt-get clean' sh $want
    echo "$want" >"$ROOT/.lucidauth-packages"
}

# The Wine prefix, and the bcryptprimitives stand-in when Wine is older than 9.0: Rust's std
# (1.78 on) imports bcryptprimitives!ProcessPrng, which wine 8 lacks; every Rust program then
# exits 53 without a word.
wine_prefix() {
    export WINEPREFIX="$CROSS/wine" WINEDEBUG=-all
    if [ ! -f "$WINEPREFIX/system.reg" ]; then
        log "creating the Wine prefix $WINEPREFIX"
        wineboot --init >/dev/null 2>&1 || true
        wineserver --wait
        [ -f "$WINEPREFIX/system.reg" ] || { log "wineboot made no prefix in $WINEPREFIX" >&2; exit 1; }
    fi
    major=$(wine --version | sed -n 's/^wine-\([0-9]*\).*/\1/p')
    dll=$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll
    if [ "${major:-0}" -lt 9 ] && ! cmp -s "$CROSS/bcryptprimitives.dll" "$dll" 2>/dev/null; then
        log "installing the bcryptprimitives.dll stand-in (wine $major)"
        tmp=$(mktemp -d)
        x86_64-w64-mingw32-as -o "$tmp/entry.o" "$here/cross/bcryptprimitives.s"
        x86_64-w64-mingw32-ld --dll --entry DllEntry -o "$tmp/bcryptprimitives.dll" \
            "$here/cross/bcryptprimitives.def" "$tmp/entry.o"
        cp "$tmp/bcryptprimitives.dll" "$CROSS/bcryptprimitives.dll"
        cp "$tmp/bcryptprimitives.dll" "$dll"
        rm -rf "$tmp"
    fi
}

mkdir -p "$CROSS"
host_packages
debootstrap_tool
make_root
root_packages
mkdir -p "$CROSS/target"
wine_prefix
if [ ! -f "$CROSS/ready" ]; then
    touch "$CROSS/ready"
    log "ready: $CROSS ($(du -sh "$CROSS" | cut -f1))"
fi
