#!/bin/sh
# make cross: the Windows (x86_64-pc-windows-gnu) and Linux aarch64 builds, in the chroot of
# scripts/cross-setup.sh, copied to build/cross/<triple>/:
#   x86_64-pc-windows-gnu/    lucidauth.dll, lucidauth.dll.a (the import library for mingw; MSVC's
#                             link.exe takes it too), lucidauth.def (its exports, for
#                             `lib /def:lucidauth.def /machine:x64` where a .lib is wanted),
#                             lucid.exe, lucid-testserver.exe
#   aarch64-unknown-linux-gnu/ liblucidauth.so (with the SONAME link liblucidauth.so.0 that
#                             lucid asks for), lucid (rpath $ORIGIN)
# The Windows standard library is built from Debian's rust-web-src (-Zbuild-std, which a stable
# rustc allows under RUSTC_BOOTSTRAP=1): Debian ships no prebuilt one for rustc-web. Cross builds
# of several clones share one target directory; a lock keeps each build and its copy together.
set -eu
cd "$(dirname "$0")/../.."
CROSS=${LUCID_CROSS_DIR:-/var/cache/lucidauth-cross}
if [ "$(id -u)" != 0 ]; then exec sudo LUCID_CROSS_DIR="$CROSS" sh "$0" "$@"; fi
[ -n "${LUCID_CROSS_LOCKED:-}" ] || exec env LUCID_CROSS_LOCKED=1 flock "$CROSS/target/.lucidauth-lock" sh "$0" "$@"

T=$CROSS/target
OUT=build/cross
WIN=x86_64-pc-windows-gnu
ARM=aarch64-unknown-linux-gnu
CFLAGS="-std=c99 -O2 -Wall -Wextra -Werror -pedantic"
enter() { sh scripts/cross/enter.sh "$@"; }

# Each clone's own crates are built again in the shared target directory (their paths differ), so
# it grows with every new clone: past LUCID_CROSS_TARGET_MAX_MB (default 12000) it starts afresh.
max_mb=${LUCID_CROSS_TARGET_MAX_MB:-12000}
if [ "$(du -sm "$T" | cut -f1)" -gt "$max_mb" ]; then
    echo "cross: $T is over $max_mb MB: emptied, everything is built again"
    find "$T" -mindepth 1 -maxdepth 1 ! -name .lucidauth-lock -exec rm -rf {} +
fi

echo "cross: $ARM (release)"
enter cargo build --locked --release -p lucidauth --target $ARM
echo "cross: $WIN (release, std from source)"
enter env RUSTC_BOOTSTRAP=1 cargo build --locked -Zbuild-std=std,panic_unwind --release \
    -p lucidauth -p lucidauth-testserver --target $WIN

rm -rf "$OUT/$WIN" "$OUT/$ARM"
mkdir -p "$OUT/$WIN" "$OUT/$ARM"
cp "$T/$WIN/release/lucidauth.dll" "$T/$WIN/release/lucid-testserver.exe" "$OUT/$WIN/"
cp "$T/$WIN/release/liblucidauth.dll.a" "$OUT/$WIN/lucidauth.dll.a"
cp "$T/$ARM/release/liblucidauth.so" "$OUT/$ARM/"
ln -s liblucidauth.so "$OUT/$ARM/liblucidauth.so.0"
echo "cross: the C tool lucid for both"
enter aarch64-linux-gnu-gcc $CFLAGS -Iinclude -o "$OUT/$ARM/lucid" examples/c/lucid.c \
    -L"$OUT/$ARM" -llucidauth -Wl,-rpath,'$ORIGIN'
enter x86_64-w64-mingw32-gcc $CFLAGS -Iinclude -o "$OUT/$WIN/lucid.exe" examples/c/lucid.c \
    -L"$OUT/$WIN" -l:lucidauth.dll.a
sh scripts/cross/check-exports.sh "$OUT/$WIN/lucidauth.dll" include/lucidauth.h "$OUT/$WIN/lucidauth.def"
file "$OUT/$WIN"/* "$OUT/$ARM"/* 2>/dev/null || ls -l "$OUT/$WIN" "$OUT/$ARM"
