#!/bin/sh
# Builds and runs the C# binding's tests (bindings/csharp/Tests.cs) with Mono against the
# bundled local server. Run from anywhere; `make test` runs it from the repository root as
#   sh bindings/csharp/run_tests.sh
set -eu

if ! command -v mcs >/dev/null 2>&1 || ! command -v mono >/dev/null 2>&1; then
    echo "skipped: mono not found"
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
mcs -nologo -warnaserror -debug -target:exe -out:"$out/Tests.exe" \
    -r:System.dll -r:System.Core.dll \
    "$here/LucidAuth.cs" "$here/Tests.cs"

# The credentials the tests use come from the server; keep the caller's own out of the way.
unset LAS_CLIENT_ID LAS_CLIENT_SECRET LAS_API_KEY LAS_AUTH_ENDPOINT LAS_API_ENDPOINT \
      LAS_PROFILE LAS_CREDENTIALS_FILE

LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# The tests compare the binding's tables with the header's.
LUCIDAUTH_HEADER="$root/include/lucidauth.h"
export LD_LIBRARY_PATH LUCIDAUTH_HEADER
status=0
mono --debug "$out/Tests.exe" "$lib/lucid-testserver" || status=$?
exit "$status"
