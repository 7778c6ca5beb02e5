#!/bin/sh
# The Debian package test, run by `make test` from the repository root:
#   make deb; check the three packages' fields, control files and contents; run lintian on them
#   and fail on any error (E:) or warning (W:); unpack all three with `dpkg -x` into a throwaway
#   root; build the C example (examples/c/lucid.c) against that root with pkg-config, run it with
#   the library from that root against the bundled local server, and check that the header, the
#   library at link time and the library at run time all came from the root; run the packaged
#   usr/bin/lucid from the root (its $ORIGIN RUNPATH finds the root's library) and render its
#   manual page. Nothing is installed on the machine itself.
# Prints `skipped: ...` and exits 0 when dpkg-deb or lintian is missing (scripts/install-test-deps.sh
# installs them); otherwise exits non-zero on the first failure. Everything happens under one
# temporary directory, removed at the end, with the local server stopped, however the script ends.
set -eu

here=$(pwd)
[ -f "$here/Cargo.toml" ] && [ -f "$here/mk/deb.mk" ] ||
    { echo "deb test: run me from the repository root" >&2; exit 2; }
release=${CARGO_TARGET_DIR:-target}/release
CC=${CC:-cc}
CFLAGS_LUCID="-std=c99 -O2 -Wall -Wextra -Werror -pedantic"
deb_dir=build/deb

say() { echo "deb test: $*"; }
ok() { echo "deb test: ok: $*"; }
fail() {
    echo "deb test: FAIL: $*" >&2
    exit 1
}
for tool in dpkg-deb dpkg lintian; do
    command -v "$tool" >/dev/null 2>&1 || {
        say "skipped: $tool not found (Debian's dpkg and lintian packages; scripts/install-test-deps.sh installs them as root)"
        exit 0
    }
done
need() {
    command -v "$1" >/dev/null 2>&1 || fail "$1 not found (needed for $2)"
}
need make "make deb"
need "$CC" "building the example"
need pkg-config "building the example against the unpacked packages"
need readelf "the NEEDED and RUNPATH checks"
need ldd "the check that the library comes from the throwaway root"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lucidauth-deb.XXXXXX")
root=$tmp/root
server_pid=
cleanup() {
    status=$?
    exec 3>&- 2>/dev/null || true
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the versions, as Cargo.toml has them ------------------------------------------------------------
version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
core=${version%%[-+]*}
major=${core%%.*}
[ -n "$major" ] || fail "cannot read the version from Cargo.toml"
upstream=$(echo "$version" | tr - '~')
debversion=$upstream-1
arch=$(dpkg --print-architecture)
realname=liblucidauth.so.$core
soname=liblucidauth.so.$major
runtime=liblucidauth$major
dev=liblucidauth-dev
tools=lucidauth-tools
say "version $version (Cargo.toml): packages $runtime, $dev and $tools $debversion for $arch"

# --- make deb ---------------------------------------------------------------------------------------
# The submake gets only the variables given here, not those of an outer `make test VAR=...`.
say "make deb (builds the release library if needed)"
start=$(date +%s)
(
    unset MAKEFLAGS MFLAGS MAKEOVERRIDES DEBEMAIL DEBFULLNAME
    make --no-print-directory deb
) >"$tmp/make.log" 2>&1 || {
    cat "$tmp/make.log" >&2
    fail "make deb"
}
ok "make deb in $(($(date +%s) - start)) s"
rt_deb=$deb_dir/${runtime}_${debversion}_$arch.deb
dev_deb=$deb_dir/${dev}_${debversion}_$arch.deb
tools_deb=$deb_dir/${tools}_${debversion}_$arch.deb
for deb in "$rt_deb" "$dev_deb" "$tools_deb"; do
    [ -f "$deb" ] || fail "$deb was not built: $(ls "$deb_dir" | tr '\n' ' ')"
done
others=
for f in "$deb_dir"/*; do
    [ "$f" = "$rt_deb" ] || [ "$f" = "$dev_deb" ] || [ "$f" = "$tools_deb" ] || others="$others $(basename "$f")"
done
[ -z "$others" ] || fail "$deb_dir holds more than the three packages: $others"
ok "built $rt_deb, $dev_deb and $tools_deb, nothing else in $deb_dir"

# --- fields --------------------------------------------------------------------------------------------
field() { dpkg-deb -f "$1" "$2"; }
# expect_field DEB FIELD VALUE: the field is exactly VALUE (empty: the field is absent).
expect_field() {
    got=$(field "$1" "$2")
    [ "$got" = "$3" ] || fail "$(basename "$1"): $2 is '$got', expected '$3'"
}
for deb in "$rt_deb" "$dev_deb" "$tools_deb"; do
    expect_field "$deb" Version "$debversion"
    expect_field "$deb" Architecture "$arch"
    expect_field "$deb" Source lucidauth
    expect_field "$deb" Priority optional
    # Neither package stands in for another: no virtual package to provide.
    expect_field "$deb" Provides ""
    [ -n "$(field "$deb" Maintainer)" ] || fail "$(basename "$deb") has no Maintainer"
    [ -n "$(field "$deb" Installed-Size)" ] || fail "$(basename "$deb") has no Installed-Size"
done
# The libraries install side by side for several architectures; the tool is one program for all.
expect_field "$rt_deb" Multi-Arch same
expect_field "$dev_deb" Multi-Arch same
expect_field "$tools_deb" Multi-Arch foreign
expect_field "$rt_deb" Package "$runtime"
expect_field "$rt_deb" Section libs
expect_field "$dev_deb" Package "$dev"
expect_field "$dev_deb" Section libdevel
expect_field "$dev_deb" Depends "$runtime (= $debversion)"
expect_field "$tools_deb" Package "$tools"
expect_field "$tools_deb" Section utils
# The runtime package's Depends: what dpkg-shlibdeps finds for the library's NEEDED entries.
rt_depends=$(field "$rt_deb" Depends)
case "$rt_depends" in *"libc6 (>= 2."*) ;; *) fail "$runtime Depends is '$rt_depends': no libc6 (>= 2.x)" ;; esac
# The tool's: glibc, and the runtime package as its shlibs file says (any later 0.x will do).
tools_depends=$(field "$tools_deb" Depends)
case "$tools_depends" in *"libc6 (>= 2."*) ;; *) fail "$tools Depends is '$tools_depends': no libc6 (>= 2.x)" ;; esac
case ", $tools_depends, " in *", $runtime (>= $upstream), "*) ;; *) fail "$tools Depends is '$tools_depends': no $runtime (>= $upstream)" ;; esac
for f in Package Version Architecture Multi-Arch Section Depends Provides; do
    for deb in "$rt_deb" "$dev_deb" "$tools_deb"; do
        printf 'deb test:   %-18s %-14s %s\n' "$(field "$deb" Package)" "$f:" "$(field "$deb" "$f" | sed 's/^$/(none)/')"
    done
done
ok "fields: Package, Version $debversion, Architecture $arch, Multi-Arch, Sections, Depends, no Provides"

# Without dpkg-shlibdeps (dpkg-dev missing) make deb reads Depends from the library itself: the
# same packages. (The versions may differ: dpkg-shlibdeps takes them from the symbols files.)
if command -v dpkg-shlibdeps >/dev/null 2>&1; then
    (
        unset MAKEFLAGS MFLAGS MAKEOVERRIDES DEBEMAIL DEBFULLNAME
        DEB_SHLIBDEPS=no make --no-print-directory deb DEB_DIR="$tmp/deb-fallback"
    ) >"$tmp/make.log" 2>&1 || {
        cat "$tmp/make.log" >&2
        fail "make deb DEB_SHLIBDEPS=no"
    }
    packages() { echo "$1" | sed 's/ *([^)]*)//g'; }
    fallback_depends=$(field "$tmp/deb-fallback/$(basename "$rt_deb")" Depends)
    [ "$(packages "$fallback_depends")" = "$(packages "$rt_depends")" ] ||
        fail "without dpkg-shlibdeps Depends is '$fallback_depends', with it '$rt_depends'"
    fallback_tools=$(field "$tmp/deb-fallback/$(basename "$tools_deb")" Depends)
    [ "$fallback_tools" = "$tools_depends" ] || [ "$(packages "$fallback_tools")" = "$(packages "$tools_depends")" ] ||
        fail "without dpkg-shlibdeps $tools Depends is '$fallback_tools', with it '$tools_depends'"
    ok "without dpkg-shlibdeps: Depends $fallback_depends and $fallback_tools, the same packages"
fi

# --- control files -------------------------------------------------------------------------------------
dpkg-deb -e "$rt_deb" "$tmp/rt.control"
dpkg-deb -e "$dev_deb" "$tmp/dev.control"
dpkg-deb -e "$tools_deb" "$tmp/tools.control"
[ "$(cat "$tmp/rt.control/shlibs")" = "liblucidauth $major $runtime (>= $upstream)" ] ||
    fail "$runtime shlibs is '$(cat "$tmp/rt.control/shlibs")'"
[ "$(cat "$tmp/rt.control/triggers")" = "activate-noawait ldconfig" ] ||
    fail "$runtime triggers is '$(cat "$tmp/rt.control/triggers")'"
for c in dev tools; do
    [ ! -e "$tmp/$c.control/shlibs" ] && [ ! -e "$tmp/$c.control/triggers" ] ||
        fail "the $c package has a shlibs or triggers file"
    [ "$(ls "$tmp/$c.control" | LC_ALL=C sort | tr '\n' ' ')" = "control md5sums " ] ||
        fail "the $c package's control files: $(ls "$tmp/$c.control" | tr '\n' ' ')"
done
rt_names=$(ls "$tmp/rt.control" | LC_ALL=C sort | tr '\n' ' ')
dev_names=$(ls "$tmp/dev.control" | LC_ALL=C sort | tr '\n' ' ')
[ "$rt_names" = "control md5sums shlibs triggers " ] || fail "$runtime control files: $rt_names"
[ "$dev_names" = "control md5sums " ] || fail "$dev control files: $dev_names"
ok "control files: $runtime has shlibs ('liblucidauth $major $runtime (>= $upstream)'), triggers (ldconfig), md5sums; $dev has md5sums"

# --- contents ------------------------------------------------------------------------------------------
# contents DEB: "mode owner path[ -> target]" per entry, directories without their trailing slash.
contents() {
    dpkg-deb -c "$1" | awk '$6 == "./" { next } { line = $1 " " $2; for (i = 6; i <= NF; i++) line = line " " $i; print line }' |
        sed 's| \./| /|; s|/$||; s|/ -> | -> |' | LC_ALL=C sort
}
contents "$rt_deb" >"$tmp/rt.contents"
contents "$dev_deb" >"$tmp/dev.contents"
libdir=$(sed -n "s|^-[^ ]* [^ ]* \(/usr/lib/[^/]*\)/$realname\$|\1|p" "$tmp/rt.contents")
[ -n "$libdir" ] || { cat "$tmp/rt.contents" >&2; fail "$runtime holds no /usr/lib/<triplet>/$realname"; }
if command -v dpkg-architecture >/dev/null 2>&1; then
    [ "$libdir" = "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)" ] ||
        fail "the library is in $libdir, not /usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)"
fi
# common PKG: what every package holds, the documentation and the lintian overrides.
common() {
    for d in /usr /usr/share /usr/share/doc "/usr/share/doc/$1" /usr/share/lintian /usr/share/lintian/overrides; do
        echo "drwxr-xr-x root/root $d"
    done
    for f in "doc/$1/copyright" "doc/$1/changelog.Debian.gz" "doc/$1/changelog.gz" "lintian/overrides/$1"; do
        echo "-rw-r--r-- root/root /usr/share/$f"
    done
}
{
    common "$runtime"
    echo "drwxr-xr-x root/root /usr/lib"
    echo "drwxr-xr-x root/root $libdir"
    echo "-rw-r--r-- root/root $libdir/$realname"
    echo "lrwxrwxrwx root/root $libdir/$soname -> $realname"
} | LC_ALL=C sort -u >"$tmp/rt.expected"
{
    common "$dev"
    for d in /usr/include /usr/lib "$libdir" "$libdir/pkgconfig" "$libdir/cmake" "$libdir/cmake/lucidauth"; do
        echo "drwxr-xr-x root/root $d"
    done
    echo "-rw-r--r-- root/root /usr/include/lucidauth.h"
    echo "-rw-r--r-- root/root /usr/include/lucidauth.hpp"
    echo "lrwxrwxrwx root/root $libdir/liblucidauth.so -> $realname"
    echo "-rw-r--r-- root/root $libdir/liblucidauth.a"
    echo "-rw-r--r-- root/root $libdir/pkgconfig/lucidauth.pc"
    echo "-rw-r--r-- root/root $libdir/cmake/lucidauth/lucidauthConfig.cmake"
    echo "-rw-r--r-- root/root $libdir/cmake/lucidauth/lucidauthConfigVersion.cmake"
} | LC_ALL=C sort -u >"$tmp/dev.expected"
{
    common "$tools"
    for d in /usr/bin /usr/share/man /usr/share/man/man1; do
        echo "drwxr-xr-x root/root $d"
    done
    echo "-rwxr-xr-x root/root /usr/bin/lucid"
    echo "-rw-r--r-- root/root /usr/share/man/man1/lucid.1.gz"
} | LC_ALL=C sort -u >"$tmp/tools.expected"
contents "$tools_deb" >"$tmp/tools.contents"
for c in rt dev tools; do
    diff "$tmp/$c.expected" "$tmp/$c.contents" >"$tmp/$c.diff" ||
        { cat "$tmp/$c.diff" >&2; fail "$c package contents differ from the expected (< expected, > found)"; }
done
ok "$runtime: $realname (0644, root) and the $soname link in $libdir, copyright, changelogs"
ok "$dev: headers lucidauth.h and lucidauth.hpp, liblucidauth.so link, .a, .pc, CMake package, copyright, changelogs"
ok "$tools: /usr/bin/lucid (0755), /usr/share/man/man1/lucid.1.gz, copyright, changelogs"

# --- lintian ---------------------------------------------------------------------------------------------
say "lintian $rt_deb $dev_deb $tools_deb"
start=$(date +%s)
lintian_status=0
lintian "$rt_deb" "$dev_deb" "$tools_deb" >"$tmp/lintian.out" 2>&1 || lintian_status=$?
sed 's/^/deb test:   lintian: /' "$tmp/lintian.out"
if grep -q '^[EW]:' "$tmp/lintian.out"; then fail "lintian reports errors or warnings (above)"; fi
# lintian exits non-zero when it reports an error (its default --fail-on) or cannot run at all.
[ "$lintian_status" -eq 0 ] || fail "lintian exited with status $lintian_status"
ok "lintian: no errors, no warnings ($(($(date +%s) - start)) s)"

# --- unpack into a throwaway root; the md5sums hold ----------------------------------------------------------
mkdir "$root"
dpkg -x "$rt_deb" "$root"
dpkg -x "$dev_deb" "$root"
dpkg -x "$tools_deb" "$root"
(cd "$root" && md5sum --quiet -c "$tmp/rt.control/md5sums" && md5sum --quiet -c "$tmp/dev.control/md5sums" &&
    md5sum --quiet -c "$tmp/tools.control/md5sums") >"$tmp/md5.out" 2>&1 ||
    { cat "$tmp/md5.out" >&2; fail "the unpacked files do not match the packages' md5sums"; }
found_soname=$(readelf -d "$root$libdir/$realname" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$found_soname" = "$soname" ] || fail "SONAME is '$found_soname', expected $soname"
if readelf -S -W "$root$libdir/$realname" | grep -q ' \.symtab '; then fail "$realname is not stripped (.symtab)"; fi
# Depends names a package for every library it needs (beyond the loader, part of libc6).
for lib in $(readelf -d "$root$libdir/$realname" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'); do
    case "$lib" in
    libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | libutil.so.* | ld-linux*) pkg=libc6 ;;
    libgcc_s.so.*) pkg=libgcc-s1 ;;
    *) fail "the library needs $lib, which this test does not know" ;;
    esac
    case ", $rt_depends" in *", $pkg "*) ;; *) fail "the library needs $lib but $runtime Depends lacks $pkg: $rt_depends" ;; esac
done
ok "dpkg -x all three into $root: md5sums match; $realname is stripped, SONAME $soname"

# --- build the example against the root --------------------------------------------------------------------
# The .pc says prefix=/usr, as it must once installed. PKG_CONFIG_SYSROOT_DIR is pkg-config's way to
# use such a tree from elsewhere: it puts the root in front of every -I and -L, and leaves the
# .pc as it is (--define-variable=prefix=... would work only because libdir and includedir
# happen to be written with ${prefix}). PKG_CONFIG_LIBDIR (not _PATH) replaces the search path,
# so a lucidauth.pc installed on the machine cannot be found instead.
export PKG_CONFIG_SYSROOT_DIR="$root"
export PKG_CONFIG_LIBDIR="$root$libdir/pkgconfig"
unset PKG_CONFIG_PATH
pc_version=$(pkg-config --modversion lucidauth) || fail "pkg-config does not find lucidauth in $PKG_CONFIG_LIBDIR"
[ "$pc_version" = "$version" ] || fail "lucidauth.pc has Version $pc_version, Cargo.toml has $version"
pc_flags=$(pkg-config --cflags --libs lucidauth)
say "pkg-config --cflags --libs lucidauth: $pc_flags"
case " $pc_flags " in *" -I$root/usr/include "*) ;; *) fail "pkg-config gives no -I$root/usr/include" ;; esac
case " $pc_flags " in *" -L$root$libdir "*) ;; *) fail "pkg-config gives no -L$root$libdir" ;; esac
lucid=$tmp/lucid
# shellcheck disable=SC2086 # flags are lists of words
"$CC" $CFLAGS_LUCID -o "$lucid" examples/c/lucid.c $pc_flags -Wl,--trace >"$tmp/cc.out" 2>&1 ||
    { cat "$tmp/cc.out" >&2; fail "building examples/c/lucid.c with pkg-config --cflags --libs lucidauth"; }
# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS_LUCID -M examples/c/lucid.c $(pkg-config --cflags lucidauth) >"$tmp/deps" ||
    fail "$CC -M examples/c/lucid.c"
grep -q "$root/usr/include/lucidauth.h" "$tmp/deps" || { cat "$tmp/deps" >&2; fail "lucid.c did not include the root's lucidauth.h"; }
grep -q "^$root$libdir/liblucidauth.so\$" "$tmp/cc.out" ||
    { cat "$tmp/cc.out" >&2; fail "the linker did not use $root$libdir/liblucidauth.so"; }
readelf -d "$lucid" | grep -q "(NEEDED).*\[$soname\]" || fail "lucid does not need $soname"
if readelf -d "$lucid" | grep -q 'RPATH\|RUNPATH'; then fail "lucid has an RPATH or RUNPATH"; fi
ok "built lucid from examples/c/lucid.c: header from the root, linked with the root's liblucidauth.so, NEEDED $soname, no RUNPATH"
# The stripped static library still links: -Bstatic around -llucidauth, as the README shows.
static_libs=$(echo " $(pkg-config --static --libs lucidauth) " | sed 's/ -llucidauth / -Wl,-Bstatic -llucidauth -Wl,-Bdynamic /')
# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS_LUCID -o "$tmp/lucid-static" examples/c/lucid.c $(pkg-config --cflags lucidauth) $static_libs >"$tmp/cc.out" 2>&1 ||
    { cat "$tmp/cc.out" >&2; fail "building examples/c/lucid.c with the root's liblucidauth.a ($static_libs)"; }
if readelf -d "$tmp/lucid-static" | grep -q 'NEEDED.*lucidauth'; then fail "lucid-static still needs the shared library"; fi
[ "$(env -u LD_LIBRARY_PATH "$tmp/lucid-static" version)" = "lucid $version" ] || fail "lucid-static version"
ok "built lucid-static with the root's liblucidauth.a (pkg-config --static): lucid version = $version"

# --- run it with the root's library ---------------------------------------------------------------------------
export LD_LIBRARY_PATH="$root$libdir"
ldd "$lucid" >"$tmp/ldd" 2>&1 || { cat "$tmp/ldd" >&2; fail "ldd $lucid"; }
grep -q "^[[:space:]]*$soname => $root$libdir/$soname " "$tmp/ldd" ||
    { cat "$tmp/ldd" >&2; fail "ldd: $soname does not resolve to $root$libdir/$soname"; }
LD_DEBUG=libs "$lucid" version >"$tmp/version" 2>"$tmp/ld_debug" || fail "lucid version"
grep -q "calling init: $root$libdir/$soname\$" "$tmp/ld_debug" ||
    { grep lucidauth "$tmp/ld_debug" >&2; fail "the dynamic loader did not load $root$libdir/$soname"; }
[ "$(cat "$tmp/version")" = "lucid $version" ] || fail "lucid version printed '$(cat "$tmp/version")', not 'lucid $version'"
ok "ldd and LD_DEBUG=libs: $soname loaded from $root$libdir; lucid version = $version"

# The local server. Its stdin is a FIFO held open by this shell (fd 3): when the script ends in any
# way the FIFO closes and the server exits (--exit-on-stdin-eof), besides the kill in cleanup.
server=$release/lucid-testserver
[ -x "$server" ] || fail "$server is missing (make lib builds it)"
mkfifo "$tmp/server.stdin"
(unset LD_LIBRARY_PATH && exec "$server" --credentials-out "$tmp/cred.cfg" --port-file "$tmp/port" \
    --exit-on-stdin-eof) <"$tmp/server.stdin" >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
exec 3>"$tmp/server.stdin"
i=0
until grep -q '^LISTENING ' "$tmp/server.out" 2>/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || { cat "$tmp/server.err" >&2; fail "the local server exited"; }
    i=$((i + 1))
    [ "$i" -le 200 ] || fail "the local server did not print LISTENING within 10 s"
    sleep 0.05
done
ok "local server: $(sed -n 's/^LISTENING //p' "$tmp/server.out")"

"$lucid" --credentials "$tmp/cred.cfg" token >"$tmp/token" 2>"$tmp/token.err" ||
    { cat "$tmp/token.err" >&2; fail "lucid token"; }
[ "$(wc -l <"$tmp/token")" -eq 1 ] && [ -n "$(tr -d '[:space:]' <"$tmp/token")" ] ||
    fail "lucid token printed no token: '$(cat "$tmp/token")'"
ok "lucid token: exit 0, a token of $(tr -d '\n' <"$tmp/token" | wc -c) bytes"
"$lucid" --credentials "$tmp/cred.cfg" request GET /documents >"$tmp/request" 2>"$tmp/request.err" ||
    { cat "$tmp/request" "$tmp/request.err" >&2; fail "lucid request GET /documents"; }
grep -q '"path" *: *"[^"]*/documents"' "$tmp/request" ||
    { cat "$tmp/request" >&2; fail "lucid request GET /documents: the server's echo does not show the path"; }
ok "lucid request GET /documents: exit 0, the server saw GET /documents"
"$tmp/lucid-static" --credentials "$tmp/cred.cfg" request GET /documents >"$tmp/request" 2>"$tmp/request.err" ||
    { cat "$tmp/request" "$tmp/request.err" >&2; fail "lucid-static request GET /documents"; }
ok "lucid-static request GET /documents: exit 0"

# --- the packaged tool ----------------------------------------------------------------------------------------
# /usr/bin/lucid of lucidauth-tools, unpacked in the root: stripped, no RPATH, a RUNPATH relative to
# itself that finds the root's library without LD_LIBRARY_PATH (installed, it is /usr/lib/<triplet>).
tool=$root/usr/bin/lucid
if readelf -S -W "$tool" | grep -q ' \.symtab '; then fail "/usr/bin/lucid is not stripped (.symtab)"; fi
if readelf -d "$tool" | grep -q '(RPATH)'; then fail "/usr/bin/lucid has an RPATH"; fi
runpath=$(readelf -d "$tool" | sed -n 's/.*(RUNPATH).*\[\(.*\)\].*/\1/p')
[ "$runpath" = "\$ORIGIN/..${libdir#/usr}" ] || fail "/usr/bin/lucid RUNPATH is '$runpath', expected \$ORIGIN/..${libdir#/usr}"
(unset LD_LIBRARY_PATH && LD_DEBUG=libs exec "$tool" --credentials "$tmp/cred.cfg" token) >"$tmp/token" 2>"$tmp/ld_debug" ||
    { cat "$tmp/ld_debug" >&2; fail "the packaged lucid token"; }
loaded=$(sed -n "s|.*calling init: \(.*/$soname\)\$|\1|p" "$tmp/ld_debug" | head -n 1)
[ -n "$loaded" ] && [ "$(readlink -f "$loaded")" = "$(readlink -f "$root$libdir/$soname")" ] ||
    fail "the packaged lucid loaded '$loaded', not the root's $soname"
[ "$(wc -l <"$tmp/token")" -eq 1 ] && [ -n "$(tr -d '[:space:]' <"$tmp/token")" ] || fail "the packaged lucid token printed no token"
[ "$(env -u LD_LIBRARY_PATH "$tool" version)" = "lucid $version" ] || fail "the packaged lucid version"
ok "packaged /usr/bin/lucid: stripped, RUNPATH $runpath, loaded the root's $soname without LD_LIBRARY_PATH; token, version $version"
# The manual page renders without a warning from groff, and says what the README says.
man_page=$root/usr/share/man/man1/lucid.1.gz
# (Bold and underline come as overstrikes, "c BACKSPACE c": removed before reading the text.)
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 "$man_page" 2>"$tmp/man.err" |
    sed "s/.$(printf '\b')//g" >"$tmp/man.txt" || { cat "$tmp/man.err" >&2; fail "man -l lucid.1.gz"; }
[ ! -s "$tmp/man.err" ] || { cat "$tmp/man.err" >&2; fail "man -l lucid.1.gz warns"; }
for word in token request info version --profile --credentials --scope --data --header LAS_CREDENTIALS_FILE; do
    grep -q -- "$word" "$tmp/man.txt" || fail "lucid(1) does not mention $word"
done
ok "lucid(1): renders without warnings ($(wc -l <"$tmp/man.txt" | tr -d ' ') lines), names every command and option"
say "passed"
