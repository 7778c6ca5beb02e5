#!/bin/sh
# The second half of `make deb` (mk/deb.mk): splits the tree that `make install` staged in
# $DEB_DIR/stage (PREFIX=/usr, LIBDIR=/usr/lib/$DEB_MULTIARCH) into the three packages, adds the
# metadata from packaging/debian/, and builds them with dpkg-deb into $DEB_DIR. Everything comes
# from the environment, set by mk/deb.mk:
#   DEB_DIR DEB_VERSION DEB_UPSTREAM_VERSION DEB_ARCH DEB_MULTIARCH DEB_MAINTAINER
#   LUCID_MAJOR LUCID_REALNAME LUCID_SONAME
# Optional: SOURCE_DATE_EPOCH (the changelog's date and every file's time; by default the last
# commit's time, so that building one commit twice gives the same packages), and
# DEB_SHLIBDEPS=no (compute Depends without dpkg-shlibdeps, as when dpkg-dev is missing).
set -eu

for var in DEB_DIR DEB_VERSION DEB_UPSTREAM_VERSION DEB_ARCH DEB_MULTIARCH DEB_MAINTAINER \
    LUCID_MAJOR LUCID_REALNAME LUCID_SONAME; do
    eval "[ -n \"\${$var:-}\" ]" || { echo "build_deb: $var is not set (run make deb)" >&2; exit 2; }
done
[ -f packaging/debian/control-runtime.in ] || { echo "build_deb: run me from the repository root" >&2; exit 2; }

meta=packaging/debian
stage=$DEB_DIR/stage
trees=$DEB_DIR/trees
libdir=usr/lib/$DEB_MULTIARCH
runtime=liblucidauth$LUCID_MAJOR
dev=liblucidauth-dev
tools=lucidauth-tools
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lucidauth-deb.XXXXXX")
cleanup() {
    status=$?
    rm -rf "$tmp" "$trees" "$stage"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

fail() {
    echo "build_deb: $*" >&2
    exit 1
}

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
    SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH
date_rfc2822=$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")

# --- split the staged tree ------------------------------------------------------------------------
for f in "$libdir/$LUCID_REALNAME" "$libdir/$LUCID_SONAME" "$libdir/liblucidauth.so" "$libdir/liblucidauth.a" \
    usr/include/lucidauth.h usr/include/lucidauth.hpp "$libdir/pkgconfig/lucidauth.pc" "$libdir/cmake/lucidauth" \
    usr/bin/lucid usr/share/man/man1/lucid.1; do
    [ -e "$stage/$f" ] || fail "make install did not stage /$f"
done
rm -rf "$trees"
rt=$trees/$runtime
dv=$trees/$dev
tl=$trees/$tools
mkdir -p "$rt/$libdir" "$rt/DEBIAN" "$dv/$libdir" "$dv/usr" "$dv/DEBIAN" "$tl/usr/bin" "$tl/usr/share/man/man1" "$tl/DEBIAN"

# liblucidauth0: what a program linked against the library loads, by its SONAME.
mv "$stage/$libdir/$LUCID_REALNAME" "$stage/$libdir/$LUCID_SONAME" "$rt/$libdir/"
# liblucidauth-dev: what building against it needs.
mv "$stage/usr/include" "$dv/usr/"
mv "$stage/$libdir/liblucidauth.so" "$stage/$libdir/liblucidauth.a" "$stage/$libdir/pkgconfig" \
    "$stage/$libdir/cmake" "$dv/$libdir/"
# lucidauth-tools: the command-line tool and its manual page (compressed, as Debian ships them).
mv "$stage/usr/bin/lucid" "$tl/usr/bin/"
gzip -9n <"$stage/usr/share/man/man1/lucid.1" >"$tl/usr/share/man/man1/lucid.1.gz"
rm "$stage/usr/share/man/man1/lucid.1"
left=$(find "$stage" ! -type d)
[ -z "$left" ] || fail "make install staged files that no package takes: $left"

# As dh_strip does: the shared library loses its symbol table (the dynamic one stays) and the
# compiler's notes; the static library its debugging information (its symbols are its interface).
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$rt/$libdir/$LUCID_REALNAME"
strip --strip-debug --remove-section=.comment --remove-section=.note --enable-deterministic-archives \
    "$dv/$libdir/liblucidauth.a"
strip --remove-section=.comment --remove-section=.note "$tl/usr/bin/lucid"

# --- Depends of the runtime and tools packages -----------------------------------------------------
# shlibs_line: the runtime package's shlibs entry, also what a program linked against it depends on.
shlibs_line=$(sed -e "s|@MAJOR@|$LUCID_MAJOR|g" -e "s|@UPSTREAM_VERSION@|$DEB_UPSTREAM_VERSION|g" "$meta/shlibs.in")
# elf_depends PKG FILE: the Depends of package PKG for the ELF file FILE (its NEEDED libraries).
if [ "${DEB_SHLIBDEPS:-yes}" != no ] && command -v dpkg-shlibdeps >/dev/null 2>&1; then
    how="dpkg-shlibdeps"
    # dpkg-shlibdeps wants a debian/control that names the package: one in a scratch directory;
    # debian/shlibs.local tells it the package of our own library, found with -l in its tree.
    elf_depends() {
        rm -rf "$tmp/shlibdeps"
        mkdir -p "$tmp/shlibdeps/debian"
        printf 'Source: lucidauth\n\nPackage: %s\nArchitecture: any\n' "$1" >"$tmp/shlibdeps/debian/control"
        echo "$shlibs_line" >"$tmp/shlibdeps/debian/shlibs.local"
        file=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
        search=$(cd "$rt/$libdir" && pwd)
        (cd "$tmp/shlibdeps" && dpkg-shlibdeps -O "-l$search" "-e$file") >"$tmp/shlibdeps.out" 2>"$tmp/shlibdeps.err" ||
            { cat "$tmp/shlibdeps.err" >&2; fail "dpkg-shlibdeps failed for $2"; }
        found=$(sed -n 's/^shlibs:Depends=//p' "$tmp/shlibdeps.out")
        [ -n "$found" ] || { cat "$tmp/shlibdeps.out" "$tmp/shlibdeps.err" >&2; fail "dpkg-shlibdeps printed no shlibs:Depends for $2"; }
        echo "$found"
    }
else
    how="the NEEDED entries and symbol versions (no dpkg-shlibdeps)"
    # Without dpkg-shlibdeps: the library needs glibc and libgcc_s (what rustc links a cdylib
    # with), the tool glibc and the library; each package at least at the newest symbol version
    # the file asks of it, our own library at the shlibs version.
    newest() { # $1: file, $2: version node prefix (GLIBC_, GCC_): the highest such version referenced
        readelf --dyn-syms -W "$1" | grep -o "@$2[0-9][0-9.]*" |
            sed "s/^@$2//" | sort -u -t. -k1,1n -k2,2n -k3,3n | tail -n 1
    }
    elf_depends() {
        for lib in $(readelf -d "$2" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'); do
            case "$lib" in
            libc.so.6 | libm.so.6 | libpthread.so.0 | libdl.so.2 | librt.so.1 | libutil.so.1) echo "libc6 (>= $(newest "$2" GLIBC_))" ;;
            libgcc_s.so.1) echo "libgcc-s1 (>= $(newest "$2" GCC_ | cut -d. -f1,2))" ;;
            "$LUCID_SONAME") echo "$runtime (>= $DEB_UPSTREAM_VERSION)" ;;
            ld-linux*) continue ;;
            *) fail "$2 needs $lib: install dpkg-dev (dpkg-shlibdeps) to find its package" ;;
            esac
        done >"$tmp/depends"
        found=$(LC_ALL=C sort -u "$tmp/depends" | sed ':a; N; s/\n/, /; ta')
        [ -n "$found" ] || fail "$2 needs no shared library at all (readelf -d): cannot be right"
        echo "$found"
    }
fi
depends=$(elf_depends "$runtime" "$rt/$libdir/$LUCID_REALNAME")
tools_depends=$(elf_depends "$tools" "$tl/usr/bin/lucid")
case "$tools_depends" in *"$runtime "*) ;; *) fail "$tools Depends '$tools_depends' lacks $runtime" ;; esac

# --- metadata -------------------------------------------------------------------------------------
# sed replacement text: & | and \ stand for themselves.
quote() { printf '%s' "$1" | sed 's/[&|\\]/\\&/g'; }
fill() { # $1: template, $2: output; @INSTALLED_SIZE@ is filled in later
    sed -e "s|@MAJOR@|$(quote "$LUCID_MAJOR")|g" \
        -e "s|@VERSION@|$(quote "$DEB_VERSION")|g" \
        -e "s|@UPSTREAM_VERSION@|$(quote "$DEB_UPSTREAM_VERSION")|g" \
        -e "s|@ARCH@|$(quote "$DEB_ARCH")|g" \
        -e "s|@MAINTAINER@|$(quote "$DEB_MAINTAINER")|g" \
        -e "s|@DEPENDS@|$(quote "$depends")|g" \
        -e "s|@TOOLS_DEPENDS@|$(quote "$tools_depends")|g" \
        -e "s|@DATE@|$(quote "$date_rfc2822")|g" \
        "$1" >"$2"
}

fill "$meta/changelog.in" "$tmp/changelog.Debian"
for tree in "$rt" "$dv" "$tl"; do
    pkg=$(basename "$tree")
    doc=$tree/usr/share/doc/$pkg
    mkdir -p "$doc"
    cp "$meta/copyright" "$doc/copyright"
    gzip -9n <"$tmp/changelog.Debian" >"$doc/changelog.Debian.gz"
    gzip -9n <CHANGELOG.md >"$doc/changelog.gz"
    mkdir -p "$tree/usr/share/lintian/overrides"
    cp "$meta/lintian-overrides" "$tree/usr/share/lintian/overrides/$pkg"
done
fill "$meta/control-runtime.in" "$rt/DEBIAN/control"
fill "$meta/control-dev.in" "$dv/DEBIAN/control"
fill "$meta/control-tools.in" "$tl/DEBIAN/control"
fill "$meta/shlibs.in" "$rt/DEBIAN/shlibs"
cp "$meta/triggers" "$rt/DEBIAN/triggers"

# --- modes, sums, sizes, times; build -------------------------------------------------------------
rm -f "$DEB_DIR/$runtime"_*.deb "$DEB_DIR/$dev"_*.deb "$DEB_DIR/$tools"_*.deb
for tree in "$rt" "$dv" "$tl"; do
    # 0755 directories, 0644 files: also the shared library (Debian policy 8.1: not executable);
    # programs in usr/bin 0755.
    find "$tree" -type d -exec chmod 0755 {} +
    find "$tree" -type f -exec chmod 0644 {} +
    [ ! -d "$tree/usr/bin" ] || find "$tree/usr/bin" -type f -exec chmod 0755 {} +
    (cd "$tree" && find usr -type f | LC_ALL=C sort | xargs md5sum) >"$tree/DEBIAN/md5sums"
    # Installed-Size as dpkg-gencontrol counts it: KiB, each file rounded up, 1 per other entry.
    size=$(cd "$tree" && find usr -printf '%y %s\n' |
        awk '$1 == "f" { kib += int(($2 + 1023) / 1024); next } { kib += 1 } END { print kib }')
    sed -i "s|@INSTALLED_SIZE@|$size|" "$tree/DEBIAN/control"
    grep -q '@[A-Z_]*@' "$tree/DEBIAN/control" && fail "a placeholder is left in $tree/DEBIAN/control"
    find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    dpkg-deb --root-owner-group --build "$tree" "$DEB_DIR" >/dev/null
done
for pkg in "$runtime" "$dev" "$tools"; do
    echo "deb: $DEB_DIR/${pkg}_${DEB_VERSION}_$DEB_ARCH.deb"
done
echo "deb: $runtime Depends: $depends (from $how)"
echo "deb: $tools Depends: $tools_depends (from $how)"
