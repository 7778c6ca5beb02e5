#!/bin/sh
# Runs one command in the cross chroot that scripts/cross-setup.sh made, as root:
#
#   sh scripts/cross/enter.sh [--setup] COMMAND [ARG]...
#
# The command runs in the current directory, which is bound into the chroot at the same path,
# with the host's cargo registry as the chroot's and the shared cross target directory
# ($LUCID_CROSS_DIR/target, also at its own path: the paths cargo prints are true on the host,
# where Wine and qemu-user run the results). --setup binds only /proc and /dev (for installing
# packages). The mounts are made in a private mount namespace (unshare): they end with the
# command, whatever way it ends, and the host never sees them.
#
# The environment inside is clean (env -i) but for what the cross builds need: the linkers and
# the C compilers of both targets for cargo and the cc crate (ring's C and assembly), and
# CARGO_TARGET_DIR. Pass anything else as `env NAME=value COMMAND`.
set -eu
CROSS=${LUCID_CROSS_DIR:-/var/cache/lucidauth-cross}
ROOT=$CROSS/root
setup=
[ "${1:-}" = --setup ] && { setup=1; shift; }
[ -f "$ROOT/etc/debian_version" ] || { echo "cross: no chroot in $ROOT: run scripts/cross-setup.sh" >&2; exit 1; }
if [ "$(id -u)" != 0 ]; then exec sudo LUCID_CROSS_DIR="$CROSS" sh "$0" ${setup:+--setup} "$@"; fi

work=$(pwd -P)
registry=${CARGO_HOME:-$HOME/.cargo}/registry
mkdir -p "$registry" "$CROSS/target"
exec unshare --mount --propagation private sh -eu -c '
    root=$1 setup=$2 work=$3 registry=$4 target=$5
    shift 5
    mount --bind /proc "$root/proc"
    mount --rbind /dev "$root/dev"
    dir=/
    if [ -z "$setup" ]; then
        dir=$work
        for d in "$work" "$target"; do mkdir -p "$root$d" && mount --bind "$d" "$root$d"; done
        mkdir -p "$root/root/.cargo/registry" && mount --bind "$registry" "$root/root/.cargo/registry"
    fi
    exec chroot "$root" env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
        TERM="${TERM:-dumb}" CARGO_HOME=/root/.cargo CARGO_TARGET_DIR="$target" \
        CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
        CC_x86_64_pc_windows_gnu=x86_64-w64-mingw32-gcc AR_x86_64_pc_windows_gnu=x86_64-w64-mingw32-ar \
        CC_aarch64_unknown_linux_gnu=aarch64-linux-gnu-gcc AR_aarch64_unknown_linux_gnu=aarch64-linux-gnu-ar \
        sh -c "cd \"\$0\" && exec \"\$@\"" "$dir" "$@"
' sh "$ROOT" "$setup" "$work" "$registry" "$CROSS/target" "$@"
