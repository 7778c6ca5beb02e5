#!/bin/sh
# make cross-test: the library's Rust tests, the C contract test and the C tool end to end, for
# x86_64-pc-windows-gnu under Wine and aarch64-unknown-linux-gnu under qemu-user, after make cross.
#
# The Rust tests are built in the chroot (cargo test --no-run) and run on the host, each test
# program under its runner:
#   Windows  wine, in the prefix of scripts/cross-setup.sh
#   aarch64  qemu-aarch64 -L <the chroot's arm64 sysroot>: std's test harness needs GLIBC_2.39,
#            newer than bookworm's; the released programs run on bookworm's own (below)
# Then, for each target: tests/c/ffi_contract.c built with the target's C compiler (skipped, with
# a line saying so, where there is none) and run against the local server; and the C tool
# `lucid` of build/cross getting a token and making an API call against the local server: on
# Windows with the credentials in %USERPROFILE%\.lucidtech\credentials.cfg and use_cache = true,
# so that the second process takes the token from the shared cache in
# %USERPROFILE%\.lucidtech\cache (one token request in all). Ends with the counts per target.
#
#   LUCID_CROSS_TESTS='--lib --test token_requests'   another choice of Rust tests
set -eu
cd "$(dirname "$0")/../.."
CROSS=${LUCID_CROSS_DIR:-/var/cache/lucidauth-cross}
if [ "$(id -u)" != 0 ]; then exec sudo LUCID_CROSS_DIR="$CROSS" sh "$0" "$@"; fi
[ -n "${LUCID_CROSS_LOCKED:-}" ] || exec env LUCID_CROSS_LOCKED=1 flock "$CROSS/target/.lucidauth-lock" sh "$0" "$@"

WIN=x86_64-pc-windows-gnu
ARM=aarch64-unknown-linux-gnu
OUT=$(pwd -P)/build/cross
WORK=$(pwd -P)/build/cross-test
export WINEPREFIX="$CROSS/wine" WINEDEBUG=-all
ARM_SYSROOT=$CROSS/root/usr/aarch64-linux-gnu
CFLAGS="-std=c99 -O2 -Wall -Wextra -Werror -pedantic"
# The integration tests that need no host program (cc, valgrind, redis-server, tinyproxy): the
# library against the in-process test server. (hardening and sdk_replay build the C tool with
# the host's cc; the C tool is tested below.)
RUST_TESTS=${LUCID_CROSS_TESTS:---lib --test token_requests --test api_requests --test token_cache --test faults --test credentials_file --test stats --test logging --test tls}
server_pids=
trap 'for p in $server_pids; do kill "$p" 2>/dev/null || true; done' EXIT INT TERM
note() { echo "cross-test: $*"; }

# count TARGET PASSED FAILED [IGNORED]: adds to the target's counts.
count() {
    key=$(echo "$1" | cut -c1-3)
    eval "p_$key=\$((\${p_$key:-0} + $2)) f_$key=\$((\${f_$key:-0} + $3)) i_$key=\$((\${i_$key:-0} + ${4:-0}))"
}
# check TARGET DESCRIPTION COMMAND...: one check of ours, passed when COMMAND succeeds.
check() {
    target=$1 what=$2
    shift 2
    if "$@"; then count "$target" 1 0; else count "$target" 0 1; note "$target: FAILED: $what"; fi
}
run_on() { # run_on TARGET PROGRAM [ARG]...: runs a program of TARGET here; one that hangs is
    # stopped after 10 minutes (and fails) rather than stalling CI
    target=$1
    shift
    case $target in
    "$WIN") timeout 600 wine "$@" ;;
    *) timeout 600 qemu-aarch64 -L "$ARM_SYSROOT" "$@" ;;
    esac
}

# The Rust tests of one target: built in the chroot, each program run here; the closing
# "test result:" line of each is added to the counts.
rust_tests() {
    target=$1
    case $target in
    "$WIN") cargo="env RUSTC_BOOTSTRAP=1 cargo test --locked -Zbuild-std=std,panic_unwind" ;;
    *) cargo="cargo test --locked" ;;
    esac
    note "$target: building the Rust tests: $RUST_TESTS"
    sh scripts/cross/enter.sh $cargo -p lucidauth --target "$target" --no-run \
        --message-format=json-render-diagnostics $RUST_TESTS >"$WORK/$target/build.json"
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' "$WORK/$target/build.json" >"$WORK/$target/programs"
    [ -s "$WORK/$target/programs" ] || { note "$target: no test program was built"; count "$target" 0 1; return; }
    while read -r program; do
        log=$WORK/$target/$(basename "$program").log
        run_on "$target" "$program" >"$log" 2>&1 </dev/null || true
        result=$(grep '^test result:' "$log" | tail -n 1)
        note "$target: $(basename "$program"): ${result:-no result, see $log}"
        if [ -n "$result" ]; then
            count "$target" $(echo "$result" | sed 's/.* \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/')
        else
            count "$target" 0 1
        fi
    done <"$WORK/$target/programs"
}

# start_server NAME PROGRAM [ARG]...: a test server on a free port, its credentials file in
# $WORK/NAME.cfg; sets $port.
start_server() {
    name=$1
    shift
    rm -f "$WORK/$name.port"
    "$@" --credentials-out "$WORK/$name.cfg" --port-file "$WORK/$name.port" >"$WORK/$name.log" 2>&1 </dev/null &
    server_pid=$!
    server_pids="$server_pids $server_pid"
    i=0
    until [ -s "$WORK/$name.port" ]; do
        i=$((i + 1))
        [ "$i" -le 300 ] || { note "the $name server did not start"; cat "$WORK/$name.log"; exit 1; }
        sleep 0.1
    done
    port=$(cat "$WORK/$name.port")
}
# stat_is PORT NAME VALUE: the server's /_admin/stats says NAME is VALUE.
stat_is() { curl -fsS "http://127.0.0.1:$1/_admin/stats" | grep -qE "\"$2\":$3[,}]"; }
# cached_in DIR: DIR holds a cache entry and its lock file.
cached_in() { ls "$1"/*.json "$1"/*.lock >/dev/null 2>&1; }

# tests/c/ffi_contract.c for TARGET, built with CC (in the chroot, else on the host), run against
# the Linux test server; it prints "N passed, M failed".
c_contract() {
    target=$1 cc=$2
    if sh scripts/cross/enter.sh sh -c "command -v $cc" >/dev/null 2>&1; then
        build="sh scripts/cross/enter.sh $cc"
    elif command -v "$cc" >/dev/null 2>&1; then
        build=$cc
    else
        note "$target: C contract test skipped: no C compiler $cc for it (mingw-w64 or gcc-aarch64-linux-gnu)"
        return
    fi
    dir=$WORK/$target
    case $target in
    "$WIN")
        program=$dir/ffi_contract.exe
        cp "$OUT/$WIN/lucidauth.dll" "$dir/"
        $build $CFLAGS -Iinclude -o "$program" tests/c/ffi_contract.c -L"$OUT/$WIN" -l:lucidauth.dll.a
        ;;
    *)
        program=$dir/ffi_contract
        $build $CFLAGS -Iinclude -o "$program" tests/c/ffi_contract.c -L"$OUT/$ARM" -llucidauth -Wl,-rpath,"$OUT/$ARM"
        ;;
    esac
    start_server contract target/release/lucid-testserver
    mkdir -p "$dir/scratch"
    run_on "$target" "$program" "$WORK/contract.cfg" "http://127.0.0.1:$port" "$dir/scratch" >"$dir/contract.log" 2>&1 || true
    # (msvcrt ends lines with CR LF)
    result=$(tr -d '\r' <"$dir/contract.log" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    note "$target: tests/c/ffi_contract.c: ${result:-no result, see $dir/contract.log}"
    if [ -n "$result" ]; then count "$target" $(echo "$result" | sed 's/ passed, / /; s/ failed//'); else count "$target" 0 1; fi
}

# lucid-testserver.exe under Wine answers a token request.
windows_server() {
    start_server windows wine "$OUT/$WIN/lucid-testserver.exe"
    check $WIN "lucid-testserver.exe issues a token" sh -c 'curl -fsS -u CLIENT_ID:CLIENT_SECRET -X POST \
        "http://127.0.0.1:$1/oauth2/token?grant_type=client_credentials" | grep -q "\"access_token\":\"[^\"]"' sh "$port"
    check $WIN "lucid-testserver.exe counts it" stat_is "$port" token_requests 1
    kill "$server_pid"
    wineserver --wait
}

# lucid.exe under Wine, with the credentials where Windows users keep them and the shared cache
# in its default place: two processes, one token request.
windows_tool() {
    profile=$(winepath -u "$(wine cmd /c echo %USERPROFILE% | tr -d '\r')")
    rm -rf "$profile/.lucidtech"
    mkdir -p "$profile/.lucidtech"
    start_server windows-tool target/release/lucid-testserver
    { cat "$WORK/windows-tool.cfg"; echo "use_cache = true"; } >"$profile/.lucidtech/credentials.cfg"
    run_on $WIN "$OUT/$WIN/lucid.exe" token >"$WORK/win-token.out" 2>"$WORK/win-token.err" </dev/null || true
    token=$(head -n 1 "$WORK/win-token.out" | tr -d '\r')
    check $WIN "lucid.exe token prints a token (%USERPROFILE%\\.lucidtech\\credentials.cfg)" test -n "$token"
    check $WIN "the token is cached in %USERPROFILE%\\.lucidtech\\cache" cached_in "$profile/.lucidtech/cache"
    run_on $WIN "$OUT/$WIN/lucid.exe" request GET '/documents?limit=1' >"$WORK/win-request.out" 2>"$WORK/win-request.err" </dev/null &&
        ok=1 || ok=
    check $WIN "lucid.exe request GET exits 0" test -n "$ok"
    check $WIN "lucid.exe request prints HTTP 200 to stderr" grep -q '^HTTP 200' "$WORK/win-request.err"
    check $WIN "the request carried the cached token" grep -qF "\"authorization\":\"Bearer $token\"" "$WORK/win-request.out"
    check $WIN "the request carried the api key" grep -qF '"x-api-key":"API_KEY"' "$WORK/win-request.out"
    check $WIN "one token request for two processes" stat_is "$port" token_requests 1
    check $WIN "one API request" stat_is "$port" api_requests 1
    rm -rf "$profile/.lucidtech"
}

# lucid for aarch64 under qemu-user on the host's own arm64 libc (bookworm's glibc 2.36: what
# the release build needs is older than the chroot's), with HOME's credentials and the cache.
aarch64_tool() {
    home=$WORK/arm-home
    mkdir -p "$home/.lucidtech"
    start_server arm target/release/lucid-testserver
    { cat "$WORK/arm.cfg"; echo "use_cache = true"; } >"$home/.lucidtech/credentials.cfg"
    chmod 600 "$home/.lucidtech/credentials.cfg"
    lucid="qemu-aarch64 -L /usr/aarch64-linux-gnu $OUT/$ARM/lucid"
    env -i HOME="$home" $lucid token >"$WORK/arm-token.out" 2>"$WORK/arm-token.err" </dev/null || true
    token=$(head -n 1 "$WORK/arm-token.out")
    check $ARM "lucid token prints a token (~/.lucidtech/credentials.cfg)" test -n "$token"
    check $ARM "the token is cached in ~/.lucidtech/cache" cached_in "$home/.lucidtech/cache"
    check $ARM "the cache directory is 0700" test "$(stat -c %a "$home/.lucidtech/cache")" = 700
    check $ARM "the cache entry is 0600" test "$(stat -c %a "$home"/.lucidtech/cache/*.json)" = 600
    env -i HOME="$home" $lucid request GET '/documents?limit=1' >"$WORK/arm-request.out" 2>"$WORK/arm-request.err" </dev/null &&
        ok=1 || ok=
    check $ARM "lucid request GET exits 0" test -n "$ok"
    check $ARM "the request carried the cached token" grep -qF "\"authorization\":\"Bearer $token\"" "$WORK/arm-request.out"
    check $ARM "one token request for two processes" stat_is "$port" token_requests 1
}

# LAS_*, CRADL_* and LUCIDAUTH_LOG of the caller would change what the programs read.
unset $(env | sed -n 's/^\(LAS_[A-Z_]*\|CRADL_[A-Z_]*\|LUCIDAUTH_LOG\)=.*/\1/p')
rm -rf "$WORK"
mkdir -p "$WORK/$WIN" "$WORK/$ARM"
cargo build --release -p lucidauth-testserver
for target in $WIN $ARM; do rust_tests "$target"; done
c_contract $WIN x86_64-w64-mingw32-gcc
c_contract $ARM aarch64-linux-gnu-gcc
windows_server
windows_tool
aarch64_tool
total_p=0 total_f=0
for target in $WIN $ARM; do
    key=$(echo "$target" | cut -c1-3)
    eval "p=\${p_$key:-0} f=\${f_$key:-0} i=\${i_$key:-0}"
    note "$target: $p passed, $f failed, $i ignored"
    total_p=$((total_p + p)) total_f=$((total_f + f))
done
echo "cross-test: $total_p passed, $total_f failed"
[ "$total_f" = 0 ]
