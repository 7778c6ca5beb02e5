#!/bin/sh
# Builds the C# binding and its NUnit tests (LucidAuth/, LucidAuth.Tests/) with Mono's mcs
# (build.sh) and runs them with nunit-console against the bundled local server. Run from
# anywhere; `make test` runs it from the repository root as
#   sh bindings/csharp/run_tests.sh
# Prints `skipped: ...` and succeeds without mcs and mono, or without NUnit (Debian's
# nunit-console and libnunit-cil-dev; scripts/install-test-deps.sh installs all of them).
# The last line is `C#: N passed, M failed`; the exit status is non-zero on any failure.
set -eu

if ! command -v mcs >/dev/null 2>&1 || ! command -v mono >/dev/null 2>&1; then
    echo "skipped: mono not found"
    exit 0
fi
if ! command -v nunit-console >/dev/null 2>&1 || ! pkg-config --exists nunit 2>/dev/null; then
    echo "skipped: NUnit not found (Debian: nunit-console, libnunit-cil-dev)"
    exit 0
fi

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lib="$root/target/release"

if [ ! -f "$lib/liblucidauth.so" ] || [ ! -x "$lib/lucid-testserver" ]; then
    (cd "$root" && cargo build --release --workspace)
fi

out=$(mktemp -d "${TMPDIR:-/tmp}/lucidauth-csharp.XXXXXX")
trap 'rm -rf "$out"' EXIT
trap 'exit 130' INT TERM
sh "$here/build.sh" "$out" tests

# The credentials the tests use come from the server; keep the caller's own out of the way.
unset LAS_CLIENT_ID LAS_CLIENT_SECRET LAS_API_KEY LAS_AUTH_ENDPOINT LAS_API_ENDPOINT \
      LAS_PROFILE LAS_CREDENTIALS_FILE

LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
LUCID_TESTSERVER="$lib/lucid-testserver"
# The tests compare the binding's tables with the header's.
LUCIDAUTH_HEADER="$root/include/lucidauth.h"
export LD_LIBRARY_PATH LUCID_TESTSERVER LUCIDAUTH_HEADER
status=0
(cd "$out" && nunit-console -nologo -noshadow -labels -xml:"$out/TestResult.xml" "$out/LucidAuth.Tests.dll") ||
    status=$?
# The counts of NUnit's result file: <test-results total=".." errors=".." failures=".." ...>.
attr() { sed -n "s/.*<test-results [^>]*\b$1=\"\([0-9]*\)\".*/\1/p" "$out/TestResult.xml" | head -n 1; }
if [ -f "$out/TestResult.xml" ]; then
    total=$(attr total)
    bad=$(($(attr errors) + $(attr failures)))
    echo "C#: $((total - bad)) passed, $bad failed"
    [ "$bad" -eq 0 ] || status=1
else
    echo "C#: nunit-console wrote no result (exit status $status)"
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
