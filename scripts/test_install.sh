#!/bin/sh
# The install test, run by `make test` from the repository root:
#   make install into a temporary prefix; check the files, the links, the SONAME, the exported
#   symbols and the versions; build tests/install/smoke.c against the installed library with
#   pkg-config (shared, then static) and with CMake (find_package, lucidauth::lucidauth) and run
#   it against the bundled local server; the same for tests/install/smoke.cpp through the
#   installed lucidauth.hpp; run the installed bin/lucid (found through its $ORIGIN RUNPATH,
#   without LD_LIBRARY_PATH) against the server; install again with DESTDIR and another LIBDIR and use
#   that staged tree; then make uninstall and check that no file is left.
# Exits non-zero on the first failure. Everything happens under one temporary directory, removed
# at the end, with the local server stopped, however the script ends.
set -eu

here=$(pwd)
[ -f "$here/Cargo.toml" ] && [ -f "$here/mk/install.mk" ] ||
    { echo "install test: run me from the repository root" >&2; exit 2; }
release=${CARGO_TARGET_DIR:-target}/release
CC=${CC:-cc}
CXX=${CXX:-c++}
CFLAGS_SMOKE="-std=c99 -Wall -Wextra -Werror -pedantic"
CXXFLAGS_SMOKE="-std=c++17 -Wall -Wextra -Werror -pedantic"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lucidauth-install.XXXXXX")
prefix=$tmp/prefix
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

say() { echo "install test: $*"; }
ok() { echo "install test: ok: $*"; }
fail() {
    echo "install test: FAIL: $*" >&2
    exit 1
}
need() {
    command -v "$1" >/dev/null 2>&1 || fail "$1 not found (needed for $2)"
}
need make "make install"
need "$CC" "building the smoke program"
need "$CXX" "building the C++ smoke program"
need pkg-config "the pkg-config checks"
need readelf "the SONAME and NEEDED checks"
need nm "the exported-symbol check"

# The submakes get only the variables given here, not those of an outer `make test VAR=...`.
submake() {
    (
        unset MAKEFLAGS MFLAGS MAKEOVERRIDES
        make --no-print-directory "$@"
    ) >"$tmp/make.log" 2>&1 || {
        cat "$tmp/make.log" >&2
        fail "make $*"
    }
}

# --- the version, as Cargo.toml has it -----------------------------------------------------------
version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
core=${version%%[-+]*}
major=${core%%.*}
rest=${core#*.}
minor=${rest%%.*}
patch=${rest#*.}
[ -n "$major" ] && [ -n "$minor" ] && [ -n "$patch" ] || fail "cannot read the version from Cargo.toml"
realname=liblucidauth.so.$major.$minor.$patch
soname=liblucidauth.so.$major
say "version $version (Cargo.toml): $realname, SONAME $soname"

# --- make install ----------------------------------------------------------------------------------
say "make install PREFIX=$prefix (builds the release library if needed; the first time also the static library, through rustc, about a minute)"
submake install PREFIX="$prefix"
ok "make install"

lib=$prefix/lib
expected_files() { # $1: libdir, $2: includedir, $3: prefix
    printf '%s\n' \
        "$1/$realname" "$1/$soname" "$1/liblucidauth.so" "$1/liblucidauth.a" \
        "$2/lucidauth.h" "$2/lucidauth.hpp" "$1/pkgconfig/lucidauth.pc" \
        "$3/bin/lucid" "$3/share/man/man1/lucid.1" \
        "$1/cmake/lucidauth/lucidauthConfig.cmake" \
        "$1/cmake/lucidauth/lucidauthConfigVersion.cmake" | sort
}
check_files() { # $1: root, $2: libdir, $3: includedir, $4: prefix
    expected_files "$2" "$3" "$4" >"$tmp/expected"
    find "$1" ! -type d | sort >"$tmp/actual"
    diff "$tmp/expected" "$tmp/actual" >"$tmp/files.diff" ||
        { cat "$tmp/files.diff" >&2; fail "installed files differ from the expected list (< expected, > found)"; }
    [ -f "$2/$realname" ] && [ ! -h "$2/$realname" ] || fail "$2/$realname is not a regular file"
    for link in "$soname" liblucidauth.so; do
        [ -h "$2/$link" ] || fail "$2/$link is not a symbolic link"
        target=$(readlink "$2/$link")
        [ "$target" = "$realname" ] || fail "$2/$link points to '$target', not $realname"
    done
}
check_files "$prefix" "$lib" "$prefix/include" "$prefix"
ok "installed files: $(wc -l <"$tmp/expected") (library, links $soname and liblucidauth.so -> $realname, .a, header, C++ header, .pc, CMake package, bin/lucid, lucid.1)"
cmp -s bindings/cpp/lucidauth.hpp "$prefix/include/lucidauth.hpp" || fail "the installed lucidauth.hpp is not bindings/cpp/lucidauth.hpp"
grep -q '^\.TH LUCID 1 ' "$prefix/share/man/man1/lucid.1" || fail "share/man/man1/lucid.1 is not the manual page of lucid(1)"


found_soname=$(readelf -d "$lib/$realname" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$found_soname" = "$soname" ] || fail "SONAME is '$found_soname', expected $soname"
ok "SONAME $found_soname"

# --- versions: Cargo.toml, header macros, pkg-config ------------------------------------------------
header=$prefix/include/lucidauth.h
macro() { sed -n "s/^#define $1 \"*\([^\"]*\)\"*\$/\1/p" "$header"; }
header_version="$(macro LUCIDAUTH_VERSION_MAJOR).$(macro LUCIDAUTH_VERSION_MINOR).$(macro LUCIDAUTH_VERSION_PATCH)"
[ "$header_version" = "$core" ] || fail "header MAJOR.MINOR.PATCH is $header_version, Cargo.toml has $core"
[ "$(macro LUCIDAUTH_VERSION_STRING)" = "$version" ] ||
    fail "header LUCIDAUTH_VERSION_STRING is '$(macro LUCIDAUTH_VERSION_STRING)', Cargo.toml has $version"
export PKG_CONFIG_PATH="$lib/pkgconfig"
pc_version=$(pkg-config --modversion lucidauth) || fail "pkg-config does not find lucidauth in $lib/pkgconfig"
[ "$pc_version" = "$version" ] || fail "lucidauth.pc has Version $pc_version, Cargo.toml has $version"
ok "version $version in Cargo.toml, the header macros and lucidauth.pc"

# --- exported symbols ------------------------------------------------------------------------------
# Every symbol the shared library defines for others must be a lucid_* function of the header.
# Nothing else is exported (rustc's cdylib export list hides rust_eh_personality, __rust_* and the
# dependencies), so the list of justified exceptions is empty.
allowed_extra=""
nm -D --defined-only "$lib/$realname" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort -u >"$tmp/exported"
[ -s "$tmp/exported" ] || fail "nm -D --defined-only lists no symbols"
stray=$(grep -v '^lucid_' "$tmp/exported" || true)
for name in $allowed_extra; do stray=$(printf '%s\n' "$stray" | grep -vx "$name" || true); done
[ -z "$stray" ] || fail "the shared library exports symbols that are not lucid_*: $(echo $stray)"
grep -v '^[[:space:]]*//' "$header" | sed -n 's/^[^(]*[^a-z0-9_]\(lucid_[a-z0-9_]*\)(.*/\1/p' | sort -u >"$tmp/declared"
grep '^lucid_' "$tmp/exported" >"$tmp/exported_lucid" || true
diff "$tmp/declared" "$tmp/exported_lucid" >"$tmp/symbols.diff" ||
    { cat "$tmp/symbols.diff" >&2; fail "exported lucid_* functions differ from the header's (< header, > library)"; }
ok "exports exactly the $(wc -l <"$tmp/declared" | tr -d ' ') lucid_* functions of the header, nothing else"

# --- the local server --------------------------------------------------------------------------------
# Its stdin is a FIFO held open by this shell (fd 3): when the script ends in any way the FIFO
# closes and the server exits (--exit-on-stdin-eof), besides the kill in cleanup.
server=$release/lucid-testserver
[ -x "$server" ] || fail "$server is missing (make lib builds it)"
mkfifo "$tmp/server.stdin"
"$server" --credentials-out "$tmp/cred.cfg" --port-file "$tmp/port" --exit-on-stdin-eof \
    <"$tmp/server.stdin" >"$tmp/server.out" 2>"$tmp/server.err" &
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

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\].*/\1/p'; }
# run_smoke NAME PROGRAM [LD_LIBRARY_PATH]: runs the smoke program (with LD_LIBRARY_PATH only
# when given) and checks its output.
run_smoke() {
    name=$1
    program=$2
    (
        unset LD_LIBRARY_PATH
        if [ $# -ge 3 ]; then LD_LIBRARY_PATH=$3 && export LD_LIBRARY_PATH; fi
        exec "$program" "$tmp/cred.cfg"
    ) >"$tmp/smoke.out" 2>"$tmp/smoke.err" ||
        { cat "$tmp/smoke.out" "$tmp/smoke.err" >&2; fail "$name: the smoke program failed"; }
    run_version=$(sed -n 's/^lucid_version: //p' "$tmp/smoke.out")
    [ "$run_version" = "$version" ] || fail "$name: lucid_version() is '$run_version', Cargo.toml has $version"
    grep -q '^GET /documents?limit=1: HTTP 200$' "$tmp/smoke.out" ||
        { cat "$tmp/smoke.out" >&2; fail "$name: no 'HTTP 200' from the API call"; }
    ok "$name: token and API call; lucid_version() = $run_version = header = Cargo.toml"
}

# --- pkg-config, shared --------------------------------------------------------------------------------
# shellcheck disable=SC2046 # pkg-config output is a list of words
"$CC" $CFLAGS_SMOKE -o "$tmp/smoke-shared" tests/install/smoke.c $(pkg-config --cflags --libs lucidauth) ||
    fail "building smoke.c with pkg-config --cflags --libs lucidauth"
needed "$tmp/smoke-shared" | grep -qx "$soname" ||
    fail "smoke-shared does not need $soname (NEEDED: $(needed "$tmp/smoke-shared" | tr '\n' ' '))"
run_smoke "pkg-config shared (NEEDED $soname, LD_LIBRARY_PATH=prefix/lib)" "$tmp/smoke-shared" "$lib"

# --- pkg-config, static ----------------------------------------------------------------------------------
# -llucidauth would pick the .so, so ask for the archive with -Bstatic around it; the system
# libraries of Libs.private stay dynamic.
static_libs=$(echo " $(pkg-config --static --libs lucidauth) " | sed 's/ -llucidauth / -Wl,-Bstatic -llucidauth -Wl,-Bdynamic /')
case "$static_libs" in *-Bstatic*) ;; *) fail "pkg-config --static --libs lucidauth has no -llucidauth: $static_libs" ;; esac
say "static link: $static_libs"
# shellcheck disable=SC2046,SC2086
"$CC" $CFLAGS_SMOKE -o "$tmp/smoke-static" tests/install/smoke.c $(pkg-config --cflags lucidauth) $static_libs ||
    fail "building smoke.c with pkg-config --static --libs lucidauth"
if needed "$tmp/smoke-static" | grep -q lucidauth; then
    fail "smoke-static still needs the shared library (NEEDED: $(needed "$tmp/smoke-static" | tr '\n' ' '))"
fi
run_smoke "pkg-config static (no liblucidauth.so needed)" "$tmp/smoke-static"

# --- pkg-config, C++ -----------------------------------------------------------------------------------
# <lucidauth.hpp> must come from the prefix (beside the lucidauth.h it includes), not the checkout.
# shellcheck disable=SC2046
"$CXX" $CXXFLAGS_SMOKE -o "$tmp/smoke-cpp" tests/install/smoke.cpp $(pkg-config --cflags --libs lucidauth) ||
    fail "building smoke.cpp with pkg-config --cflags --libs lucidauth"
# shellcheck disable=SC2046
"$CXX" $CXXFLAGS_SMOKE -M tests/install/smoke.cpp $(pkg-config --cflags lucidauth) >"$tmp/deps" || fail "$CXX -M smoke.cpp"
for h in lucidauth.hpp lucidauth.h; do
    grep -q "$prefix/include/$h" "$tmp/deps" || { cat "$tmp/deps" >&2; fail "smoke.cpp did not include the installed $h"; }
done
run_smoke "pkg-config C++ (the installed lucidauth.hpp and lucidauth.h)" "$tmp/smoke-cpp" "$lib"

# --- CMake ----------------------------------------------------------------------------------------------------
# cmake_project DIR -DVAR=VALUE: configure and build tests/install/cmake in DIR, telling CMake
# where to look with the one definition given.
cmake_project() {
    cmake -S tests/install/cmake -B "$1" "$2" -DLUCIDAUTH_REQUEST="$major.$minor" \
        -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" >"$tmp/cmake.log" 2>&1 &&
        cmake --build "$1" >>"$tmp/cmake.log" 2>&1 ||
        { cat "$tmp/cmake.log" >&2; fail "CMake project with find_package(lucidauth $major.$minor), $2"; }
    cmake_version=$(sed -n 's/^-- lucidauth_VERSION=\([^ ]*\) .*/\1/p' "$tmp/cmake.log")
    [ "$cmake_version" = "$version" ] || fail "CMake found lucidauth version '$cmake_version', expected $version"
}
if command -v cmake >/dev/null 2>&1; then
    cmake_project "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$prefix"
    ok "CMake: find_package(lucidauth $major.$minor) found $cmake_version; built lucidauth::lucidauth and lucidauth::lucidauth_static"
    needed "$tmp/cmake-build/smoke_shared" | grep -qx "$soname" || fail "CMake smoke_shared does not need $soname"
    run_smoke "CMake lucidauth::lucidauth" "$tmp/cmake-build/smoke_shared"
    if needed "$tmp/cmake-build/smoke_static" | grep -q lucidauth; then
        fail "CMake smoke_static still needs the shared library"
    fi
    run_smoke "CMake lucidauth::lucidauth_static" "$tmp/cmake-build/smoke_static"
    cxx_header=$(sed -n 's/^-- lucidauth_CXX_HEADER=//p' "$tmp/cmake.log")
    [ "$cxx_header" = "$prefix/include/lucidauth.hpp" ] || fail "CMake lucidauth_CXX_HEADER is '$cxx_header'"
    run_smoke "CMake C++ smoke_cpp (lucidauth_CXX_HEADER $cxx_header)" "$tmp/cmake-build/smoke_cpp"
    mkdir "$tmp/cmake-version"
    cmake -DLUCIDAUTH_DIR="$lib/cmake/lucidauth" -DWORK_DIR="$tmp/cmake-version" \
        -P tests/install/cmake/version_check.cmake >"$tmp/cmake.log" 2>&1 ||
        { cat "$tmp/cmake.log" >&2; fail "lucidauthConfigVersion.cmake accepts the wrong versions"; }
    ok "CMake version file: accepts $major.$minor and $version, refuses $major.$((minor + 1)) and $((major + 1))"
else
    say "skipped: cmake not found"
fi

# --- the tool -----------------------------------------------------------------------------------------------------
# check_tool NAME LUCID LIBDIR RUNPATH: the tool needs the SONAME, has exactly RUNPATH, and run
# without LD_LIBRARY_PATH it loads the library of LIBDIR and gets a token from the local server.
check_tool() {
    needed "$2" | grep -qx "$soname" || fail "$1: does not need $soname"
    runpath=$(readelf -d "$2" | sed -n 's/.*(RUNPATH).*\[\(.*\)\].*/\1/p')
    [ "$runpath" = "$4" ] || fail "$1: RUNPATH is '$runpath', expected '$4'"
    if readelf -d "$2" | grep -q '(RPATH)'; then fail "$1: has an RPATH (DT_RPATH) besides the RUNPATH"; fi
    (unset LD_LIBRARY_PATH && LD_DEBUG=libs exec "$2" --credentials "$tmp/cred.cfg" token) \
        >"$tmp/tool.out" 2>"$tmp/tool.err" || { cat "$tmp/tool.err" >&2; fail "$1: lucid token"; }
    # The loader names it by the RUNPATH it found it through (bin/../lib/...).
    loaded=$(sed -n "s|.*calling init: \(.*/$soname\)\$|\1|p" "$tmp/tool.err" | head -n 1)
    [ -n "$loaded" ] && [ "$(readlink -f "$loaded")" = "$(readlink -f "$3/$soname")" ] ||
        { grep lucidauth "$tmp/tool.err" >&2; fail "$1: the library was loaded from '$loaded', not $3"; }
    [ "$(wc -l <"$tmp/tool.out")" -eq 1 ] && [ -n "$(tr -d '[:space:]' <"$tmp/tool.out")" ] ||
        fail "$1: lucid token printed no token"
    [ "$(env -u LD_LIBRARY_PATH "$2" version)" = "lucid $version" ] || fail "$1: lucid version"
    ok "$1: RUNPATH $runpath, loaded $3/$soname without LD_LIBRARY_PATH, lucid token and lucid version $version"
}
check_tool "bin/lucid" "$prefix/bin/lucid" "$lib" '$ORIGIN/../lib'

# --- DESTDIR, another LIBDIR, a moved tree ---------------------------------------------------------------------
stage=$tmp/stage
sprefix=/opt/lucidauth-install-test
slib=$sprefix/lib/multiarch-test
say "make install DESTDIR=$stage PREFIX=$sprefix LIBDIR=$slib"
submake install DESTDIR="$stage" PREFIX="$sprefix" LIBDIR="$slib"
check_files "$stage" "$stage$slib" "$stage$sprefix/include" "$stage$sprefix"
if grep -rl "$stage" "$stage" >"$tmp/mentions"; then
    fail "installed files mention DESTDIR: $(tr '\n' ' ' <"$tmp/mentions")"
fi
grep -qx "prefix=$sprefix" "$stage$slib/pkgconfig/lucidauth.pc" || fail "lucidauth.pc in DESTDIR lacks prefix=$sprefix"
grep -qx 'libdir=${prefix}/lib/multiarch-test' "$stage$slib/pkgconfig/lucidauth.pc" ||
    fail "lucidauth.pc in DESTDIR lacks libdir=\${prefix}/lib/multiarch-test"
ok "DESTDIR install: same files under $stage$sprefix, no mention of DESTDIR, .pc says prefix=$sprefix"
if command -v cmake >/dev/null 2>&1; then
    # The staged tree is not where the package says it is installed: CMake must use it all the
    # same. (lucidauth_DIR, because CMake does not search lib/multiarch-test on its own.)
    cmake_project "$tmp/cmake-stage" -Dlucidauth_DIR="$stage$slib/cmake/lucidauth"
    run_smoke "CMake against the DESTDIR tree (relocated)" "$tmp/cmake-stage/smoke_shared"
fi
# The tool's RUNPATH is relative to itself: the staged tool runs with the staged library.
check_tool "staged bin/lucid" "$stage$sprefix/bin/lucid" "$stage$slib" '$ORIGIN/../lib/multiarch-test'
submake uninstall DESTDIR="$stage" PREFIX="$sprefix" LIBDIR="$slib"
left=$(find "$stage" ! -type d)
[ -z "$left" ] || fail "make uninstall (DESTDIR) left: $left"
[ ! -d "$stage$slib/cmake/lucidauth" ] || fail "make uninstall (DESTDIR) left $slib/cmake/lucidauth"
ok "make uninstall DESTDIR=... removed every file"

# --- make uninstall ----------------------------------------------------------------------------------------------
say "make uninstall PREFIX=$prefix"
submake uninstall PREFIX="$prefix"
left=$(find "$prefix" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
[ ! -d "$lib/cmake/lucidauth" ] || fail "make uninstall left lib/cmake/lucidauth"
ok "make uninstall removed every file it installed (and lib/cmake/lucidauth)"
say "passed"
