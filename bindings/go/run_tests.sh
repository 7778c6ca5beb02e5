#!/bin/sh
# Tests of the Go binding: gofmt, go vet, then go test against the bundled lucid-testserver.
# Run from anywhere (make test runs `sh bindings/go/run_tests.sh` from the repository root).
# Skipped, with exit status 0, when Go is not installed; any failure exits non-zero.
set -eu

if ! command -v go >/dev/null 2>&1; then
    echo "skipped: go not found"
    exit 0
fi

root=$(cd "$(dirname "$0")/../.." && pwd)

if [ ! -f "$root/target/release/liblucidauth.so" ] || [ ! -x "$root/target/release/lucid-testserver" ]; then
    (cd "$root" && cargo build --release --workspace)
fi

# Go keeps its build cache (and module cache) under $HOME; use target/ when HOME is unusable.
if [ -z "${HOME:-}" ] || [ ! -d "$HOME" ] || [ ! -w "$HOME" ]; then
    export GOPATH="$root/target/go/path"
    export GOCACHE="$root/target/go/cache"
fi
# The module has no dependencies: never touch the network.
export GOPROXY=off
export GOFLAGS=-mod=mod
export CGO_ENABLED=1
# Check every pointer passed from Go to C (this is also Go's default, made explicit).
export GODEBUG=cgocheck=1

cd "$root/bindings/go"

unformatted=$("$(go env GOROOT)/bin/gofmt" -l .)
if [ -n "$unformatted" ]; then
    echo "gofmt: these files need formatting:" >&2
    echo "$unformatted" >&2
    exit 1
fi
go vet ./...
go test -count=1 -v ./...
