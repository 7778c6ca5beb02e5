#!/bin/sh
# Tests of the C++ wrapper (bindings/cpp/lucidauth.hpp), run by `make test` as
#   sh bindings/cpp/run_tests.sh
#
# 1. builds the release library and lucid-testserver if they are missing;
# 2. compiles the example (lucid_cpp) and the two-translation-unit test program into target/cpp/
#    with -std=c++17 -Wall -Wextra -Werror -pedantic (the test links test_main.cpp and
#    test_second_tu.cpp, which both include lucidauth.hpp: a non-inline definition would fail
#    to link);
# 3. starts the local server (stopped on exit), runs the test program, checks through
#    /_admin/stats how many tokens it fetched, then runs the example twice (explicit file, and
#    discovery through $HOME/.lucidtech/credentials.cfg) and checks its output and token count.
#
# Environment: CXX (default g++); CPP_SANITIZE=1 also builds and runs the test with
# -fsanitize=address,undefined (leak checks included).
set -u

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
libdir="$root/target/release"
out="$root/target/cpp"
CXX=${CXX:-g++}
CXXFLAGS="-std=c++17 -Wall -Wextra -Werror -pedantic -O1 -g"
INCLUDES="-I include -I bindings/cpp"
LIBS="-L $libdir -llucidauth -Wl,-rpath,$libdir -pthread"

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# --- 1. the library and the server -------------------------------------------------------------
if [ ! -f "$libdir/liblucidauth.so" ] || [ ! -x "$libdir/lucid-testserver" ]; then
    echo "cpp: building the release library and test server"
    cargo build --release --workspace || { echo "cpp: cargo build failed" >&2; exit 1; }
fi

# --- 2. compile ---------------------------------------------------------------------------------
mkdir -p "$out" || exit 1
echo "cpp: compiling into target/cpp/ with $CXX"
# shellcheck disable=SC2086 # the flag lists are meant to be split
$CXX $CXXFLAGS $INCLUDES -o "$out/lucid_cpp" bindings/cpp/example.cpp $LIBS ||
    { echo "cpp: the example does not compile" >&2; exit 1; }
# shellcheck disable=SC2086
$CXX $CXXFLAGS $INCLUDES -o "$out/lucidauth_cpp_test" \
    bindings/cpp/test_main.cpp bindings/cpp/test_second_tu.cpp $LIBS ||
    { echo "cpp: the test does not compile or link" >&2; exit 1; }
if [ "${CPP_SANITIZE:-0}" = 1 ]; then
    # shellcheck disable=SC2086
    $CXX $CXXFLAGS -fsanitize=address,undefined -fno-omit-frame-pointer $INCLUDES \
        -o "$out/lucidauth_cpp_test_sanitized" \
        bindings/cpp/test_main.cpp bindings/cpp/test_second_tu.cpp $LIBS ||
        { echo "cpp: the sanitized test does not compile" >&2; exit 1; }
fi

# --- 3. the server ------------------------------------------------------------------------------
tmp=$(mktemp -d) || exit 1
server_pid=
cleanup() {
    # Closing its standard input makes the server exit (--exit-on-stdin-eof); kill it as well
    # in case it is stuck.
    exec 3>&-
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

home="$tmp/home"
creds="$home/.lucidtech/credentials.cfg"
mkfifo "$tmp/stdin" || exit 1
"$libdir/lucid-testserver" --credentials-out "$creds" --port-file "$tmp/port" \
    --exit-on-stdin-eof <"$tmp/stdin" >"$tmp/server.out" 2>"$tmp/server.err" &
server_pid=$!
exec 3>"$tmp/stdin" # held open until cleanup: the server's stdin

i=0
until grep -q '^LISTENING ' "$tmp/server.out" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 200 ] || ! kill -0 "$server_pid" 2>/dev/null; then
        echo "cpp: the local server did not start" >&2
        cat "$tmp/server.err" >&2
        exit 1
    fi
    sleep 0.05
done
base=$(sed -n 's/^LISTENING //p' "$tmp/server.out" | head -n 1)
echo "cpp: local server at $base"

admin_post() {
    curl -fsS -X POST "$base/_admin/$1" >/dev/null || fail "POST /_admin/$1"
}
# Prints the value of counter $1 ("token_requests" or "api_requests") from /_admin/stats.
stat_of() {
    curl -fsS "$base/_admin/stats" | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}
expect_stat() { # name expected what
    got=$(stat_of "$1")
    if [ "$got" = "$2" ]; then
        echo "ok   $3: $1 = $2"
    else
        fail "$3: expected $1 = $2, got '${got}'"
    fi
}

# --- the test program ---------------------------------------------------------------------------
admin_post reset
echo "cpp: $out/lucidauth_cpp_test"
if ! "$out/lucidauth_cpp_test" "$creds" "$base"; then
    fail "the C++ test program"
fi
# One token for the shared client (every token() and request(), the 800 threaded calls), one
# for each of the three clients of the long-token tests and of the log tests, one attempt
# with the wrong secret, which must not be retried, and the two of the stats tests (one token,
# one rejected secret), and the two of the authorize tests (the first, and one after the 401).
expect_stat token_requests 12 "test program (1 shared client + 3 long tokens + 3 log tests + 1 rejected secret + 2 stats tests + 2 authorize tests)"

if [ "${CPP_SANITIZE:-0}" = 1 ]; then
    admin_post reset
    echo "cpp: $out/lucidauth_cpp_test_sanitized"
    "$out/lucidauth_cpp_test_sanitized" "$creds" "$base" || fail "the sanitized C++ test program"
    expect_stat token_requests 12 "sanitized test program"
fi

# --- the example --------------------------------------------------------------------------------
check_example() { # description, then the arguments of lucid_cpp
    what=$1
    shift
    admin_post reset
    if "$out/lucid_cpp" "$@" >"$tmp/example.out" 2>"$tmp/example.err"; then
        token=$(head -n 1 "$tmp/example.out")
        if [ -z "$token" ]; then
            fail "$what: no token printed"
        elif ! grep -q "\"authorization\":\"Bearer $token\"" "$tmp/example.out"; then
            fail "$what: the GET did not echo the printed token"
        elif ! grep -q '"path":"/v1/documents"' "$tmp/example.out"; then
            fail "$what: unexpected echo: $(cat "$tmp/example.out")"
        elif ! grep -q '^HTTP 200$' "$tmp/example.err"; then
            fail "$what: stderr lacks 'HTTP 200': $(cat "$tmp/example.err")"
        else
            echo "ok   $what"
        fi
    else
        fail "$what: exit status $?: $(cat "$tmp/example.err")"
    fi
    expect_stat token_requests 1 "$what"
    expect_stat api_requests 1 "$what"
}

check_example "lucid_cpp --credentials FILE" --credentials "$creds"
(
    failures=0
    unset LAS_CLIENT_ID LAS_CLIENT_SECRET LAS_API_KEY LAS_AUTH_ENDPOINT LAS_API_ENDPOINT \
        LAS_PROFILE LAS_CREDENTIALS_FILE
    HOME="$home"
    export HOME
    check_example "lucid_cpp with HOME/.lucidtech/credentials.cfg"
    exit "$failures"
) || failures=$((failures + $?))

# An HTTP status outside 2xx is exit status 4, and a library error exit status 1.
admin_post reset
"$out/lucid_cpp" --credentials "$creds" /somewhere/redirect >/dev/null 2>&1
status=$?
if [ "$status" = 4 ]; then
    echo "ok   lucid_cpp exits 4 on HTTP 302"
else
    fail "lucid_cpp on a 302: exit $status, expected 4"
fi
"$out/lucid_cpp" --credentials "$creds" --profile no-such-profile >/dev/null 2>"$tmp/example.err"
status=$?
if [ "$status" = 1 ] && grep -q 'LUCID_STATUS_CONFIG' "$tmp/example.err"; then
    echo "ok   lucid_cpp exits 1 with LUCID_STATUS_CONFIG for a missing profile"
else
    fail "lucid_cpp with a missing profile: exit $status, stderr: $(cat "$tmp/example.err")"
fi

if [ "$failures" -ne 0 ]; then
    echo "cpp: $failures failure(s)" >&2
    exit 1
fi
echo "cpp: all passed"
