#!/bin/sh
# The NuGet package test, run by `make test` from the repository root:
#   make nuget; check the package's entries and manifest; `nuget install LucidAuth` (Debian's
#   NuGet on Mono) from build/nuget, as the only source, into a fresh directory; build
#   tests/nuget/Program.cs against the installed lib/netstandard2.0/LucidAuth.dll with mcs; lay
#   out its bin/ as a project build does (LucidAuth.dll beside the program, and the package's
#   runtimes/linux-x64/native/liblucidauth.so beside it, which is where Mono looks first); run it
#   against the bundled local server without LD_LIBRARY_PATH and check that it got a token, an
#   answer 200 from Send and one through an HttpClient with AuthorizationHandler, and loaded the package's native library; then without the native library beside
#   it, it must fail with DllNotFoundException.
# Prints `skipped: ...` and exits 0 when mcs, mono, nuget or python3 is missing
# (scripts/install-test-deps.sh installs them); otherwise exits non-zero on the first failure.
set -eu

here=$(pwd)
[ -f "$here/Cargo.toml" ] && [ -f "$here/mk/nuget.mk" ] ||
    { echo "nuget test: run me from the repository root" >&2; exit 2; }
release=${CARGO_TARGET_DIR:-target}/release

say() { echo "nuget test: $*"; }
ok() { echo "nuget test: ok: $*"; }
fail() {
    echo "nuget test: FAIL: $*" >&2
    exit 1
}
for tool in mcs mono nuget python3; do
    command -v "$tool" >/dev/null 2>&1 || {
        say "skipped: $tool not found (Debian's mono-mcs, mono-runtime, nuget, python3; scripts/install-test-deps.sh installs them as root)"
        exit 0
    }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/lucidauth-nuget.XXXXXX")
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

version=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
core=${version%%[-+]*}
[ -n "$core" ] || fail "cannot read the version from Cargo.toml"
nupkg=build/nuget/LucidAuth.$version.nupkg

# --- make nuget ------------------------------------------------------------------------------------
say "make nuget (builds the release library if needed)"
(
    unset MAKEFLAGS MFLAGS MAKEOVERRIDES
    make --no-print-directory nuget
) >"$tmp/make.log" 2>&1 || {
    cat "$tmp/make.log" >&2
    fail "make nuget"
}
[ -f "$nupkg" ] || fail "$nupkg was not built: $(ls build/nuget 2>/dev/null | tr '\n' ' ')"
[ "$(ls build/nuget)" = "LucidAuth.$version.nupkg" ] || fail "build/nuget holds more than the package: $(ls build/nuget | tr '\n' ' ')"
ok "built $nupkg ($(wc -c <"$nupkg" | tr -d ' ') bytes)"

# --- entries and manifest ----------------------------------------------------------------------------
python3 -c 'import sys, zipfile; print("\n".join(sorted(zipfile.ZipFile(sys.argv[1]).namelist())))' "$nupkg" >"$tmp/entries"
{
    echo '[Content_Types].xml'
    echo 'LucidAuth.nuspec'
    echo 'README.md'
    echo '_rels/.rels'
    echo 'lib/netstandard2.0/LucidAuth.dll'
    echo 'lib/netstandard2.0/LucidAuth.xml'
    echo 'runtimes/linux-x64/native/liblucidauth.so'
    [ ! -f build/cross/aarch64-unknown-linux-gnu/liblucidauth.so ] || echo 'runtimes/linux-arm64/native/liblucidauth.so'
    [ ! -f build/cross/x86_64-pc-windows-gnu/lucidauth.dll ] || echo 'runtimes/win-x64/native/lucidauth.dll'
} | LC_ALL=C sort >"$tmp/expected"
LC_ALL=C sort "$tmp/entries" >"$tmp/entries.sorted"
diff "$tmp/expected" "$tmp/entries.sorted" >"$tmp/entries.diff" ||
    { cat "$tmp/entries.diff" >&2; fail "package entries differ from the expected (< expected, > found)"; }
ok "entries: $(tr '\n' ' ' <"$tmp/entries.sorted")"
python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read("LucidAuth.nuspec").decode())' "$nupkg" >"$tmp/nuspec"
expect_in_nuspec() {
    grep -qF "$1" "$tmp/nuspec" || { cat "$tmp/nuspec" >&2; fail "the manifest lacks $1"; }
}
expect_in_nuspec "<id>LucidAuth</id>"
expect_in_nuspec "<version>$version</version>"
expect_in_nuspec '<license type="expression">Apache-2.0</license>'
expect_in_nuspec "<repository type=\"git\" url=\"https://lucidauth.example/lucidauth\" commit=\"$(git rev-parse HEAD)\" />"
expect_in_nuspec '<readme>README.md</readme>'
grep -q '<description>[^<][^<]*</description>' "$tmp/nuspec" || fail "the manifest has no description"
if grep -q '@[A-Z_]*@' "$tmp/nuspec"; then fail "a placeholder is left in the manifest"; fi
ok "manifest: LucidAuth $version, license Apache-2.0, repository at commit $(git rev-parse --short HEAD), description, readme"

# The runtimes of `make cross` go in when they exist: the same script with a cross directory
# that has both (stand-ins: the host's library under the two names).
mkdir -p "$tmp/cross/x86_64-pc-windows-gnu" "$tmp/cross/aarch64-unknown-linux-gnu"
cp build/csharp/liblucidauth.so "$tmp/cross/x86_64-pc-windows-gnu/lucidauth.dll"
cp build/csharp/liblucidauth.so "$tmp/cross/aarch64-unknown-linux-gnu/liblucidauth.so"
python3 scripts/build_nuget.py --version "$version" --managed build/csharp --native build/csharp/liblucidauth.so \
    --cross "$tmp/cross" --nuspec packaging/nuget/LucidAuth.nuspec.in --readme bindings/csharp/README.md \
    --repository https://lucidauth.example/lucidauth --out "$tmp/cross-nuget" >"$tmp/cross.log" 2>&1 ||
    { cat "$tmp/cross.log" >&2; fail "build_nuget.py with a cross directory"; }
python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' \
    "$tmp/cross-nuget/LucidAuth.$version.nupkg" >"$tmp/cross.entries"
for entry in runtimes/win-x64/native/lucidauth.dll runtimes/linux-arm64/native/liblucidauth.so; do
    grep -qxF "$entry" "$tmp/cross.entries" || fail "with build/cross files the package lacks $entry"
done
ok "with make cross's files the package also has runtimes/win-x64/native/lucidauth.dll and runtimes/linux-arm64/native/liblucidauth.so"

# --- nuget install into a fresh directory ----------------------------------------------------------------
# HOME in the throwaway directory: no NuGet.Config, cache or source of the machine's user is used;
# -Source names the package folder as the only source (nothing is fetched from the network).
app=$tmp/app
mkdir -p "$app/bin" "$tmp/home"
(cd "$app" && HOME=$tmp/home nuget install LucidAuth -Version "$version" -Source "$here/build/nuget" \
    -OutputDirectory packages -NonInteractive) >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log" >&2; fail "nuget install LucidAuth -Source build/nuget"; }
installed=$app/packages/LucidAuth.$version
for f in lib/netstandard2.0/LucidAuth.dll runtimes/linux-x64/native/liblucidauth.so; do
    [ -f "$installed/$f" ] || fail "nuget install left no $f in $installed"
done
ok "nuget install LucidAuth $version from build/nuget: $(sed -n 's/^Successfully installed //p' "$tmp/install.log")"

mcs -nologo -warnaserror -out:"$app/bin/App.exe" -r:"$installed/lib/netstandard2.0/LucidAuth.dll" -r:System.Net.Http.dll \
    tests/nuget/Program.cs >"$tmp/mcs.log" 2>&1 || { cat "$tmp/mcs.log" >&2; fail "mcs tests/nuget/Program.cs"; }
# What a project build puts into bin/: the referenced assembly beside the program, and (as .NET's
# `dotnet publish -r linux-x64` does) the native library of runtimes/linux-x64/native/ too.
cp "$installed/lib/netstandard2.0/LucidAuth.dll" "$installed/runtimes/linux-x64/native/liblucidauth.so" "$app/bin/"
ok "built App.exe against the installed lib/netstandard2.0/LucidAuth.dll"

# --- run it against the local server -------------------------------------------------------------------------
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
(unset LD_LIBRARY_PATH MONO_PATH && cd "$tmp" && exec mono "$app/bin/App.exe" "$tmp/cred.cfg") \
    >"$tmp/app.out" 2>"$tmp/app.err" || { cat "$tmp/app.out" "$tmp/app.err" >&2; fail "App.exe failed"; }
expect_line() {
    grep -qxF "$1" "$tmp/app.out" || { cat "$tmp/app.out" >&2; fail "App.exe did not print '$1'"; }
}
expect_line "version: $version"
expect_line "assembly: $core.0"
expect_line "GET /documents: 200"
expect_line "HttpClient GET /documents: 200"
expect_line "native: $app/bin/liblucidauth.so"
grep -q '^token: [1-9][0-9]* bytes$' "$tmp/app.out" || { cat "$tmp/app.out" >&2; fail "App.exe got no token"; }
ok "App.exe (no LD_LIBRARY_PATH): version $version, a token, GET /documents 200 (Send and HttpClient with AuthorizationHandler), loaded bin/liblucidauth.so"

# Without the native library beside it the program cannot run: it was that copy that was found.
rm "$app/bin/liblucidauth.so"
if ldconfig -p 2>/dev/null | grep -q 'liblucidauth\.so '; then
    say "skipped the check without bin/liblucidauth.so: the machine has one installed (ldconfig -p)"
elif (unset LD_LIBRARY_PATH MONO_PATH && exec mono "$app/bin/App.exe" "$tmp/cred.cfg") >"$tmp/app.out" 2>"$tmp/app.err"; then
    fail "App.exe ran without bin/liblucidauth.so"
else
    grep -q 'DllNotFoundException' "$tmp/app.err" || { cat "$tmp/app.err" >&2; fail "App.exe without bin/liblucidauth.so failed otherwise"; }
    ok "without bin/liblucidauth.so: DllNotFoundException"
fi
say "passed"
