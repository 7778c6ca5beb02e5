#!/bin/sh
# Installs, from Debian's packages, what `make test` needs beyond Rust and a C compiler: Go and
# Mono for the bindings' tests (with System.Net.Http, NUnit and nunit-console for the C# tests,
# NuGet and python3 for the NuGet package test), the libcurl headers for the libcurl example, valgrind for the memory checks, strace for
# the system-call counts (tests/syscalls.rs, make bench-wire-smoke), cmake and
# pkg-config for the install test, redis-server for the shared cache tests, tinyproxy for the proxy tests (Debian's
# package also starts a system service; the tests start instances of their own on free ports),
# dpkg-dev and lintian for the Debian package test, Node.js and npm for the interop test against
# oidc-provider (tests/oidc_provider.rs; the package itself from the npm registry, as pinned in
# interop/oidc-provider/package-lock.json); and cargo-fuzz (crates.io) for make fuzz-smoke. Does nothing for what is already there; needs
# root (or sudo) only when something is missing. Then, as root, the cross toolchain of make
# cross-test (scripts/cross-setup.sh: once per machine, some minutes and 3.3 GB the first time,
# a second after); LUCID_CROSS=0 leaves it out, and make test then says it skips cross-test.
set -eu
missing=
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need_file() { [ -e "$1" ] || missing="$missing $2"; }
need go golang-go
need mcs mono-mcs
need mono mono-runtime
need_file /usr/lib/mono/4.5/System.Net.Http.dll libmono-system-net-http4.0-cil
need_file /usr/lib/pkgconfig/nunit.pc libnunit-cil-dev
need nunit-console nunit-console
need nuget nuget
need python3 python3
need valgrind valgrind
need strace strace
need cmake cmake
need pkg-config pkg-config
need redis-server redis-server
need redis-cli redis-tools
need tinyproxy tinyproxy
need g++ g++
need curl curl
need curl-config libcurl4-openssl-dev
need dpkg-shlibdeps dpkg-dev
need lintian lintian
need node nodejs
need npm npm
install_missing() {
    [ -n "$missing" ] || return 0
    if [ "$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else
        echo "install-test-deps: missing:$missing (run as root to install them)" >&2
        return 0
    fi
    echo "install-test-deps: installing$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}
install_missing
# tests/oidc_provider.rs: oidc-provider and its dependencies, exactly as locked (a few seconds).
if command -v npm >/dev/null 2>&1 && [ ! -d "$(dirname "$0")/../interop/oidc-provider/node_modules/oidc-provider" ]; then
    echo "install-test-deps: installing oidc-provider (npm ci)"
    npm ci --prefix "$(dirname "$0")/../interop/oidc-provider" --no-audit --no-fund --loglevel=error
fi
# make fuzz-smoke (run by make test): cargo-fuzz from crates.io, built once (about 2 minutes).
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "install-test-deps: installing cargo-fuzz"
    cargo install cargo-fuzz --version 0.13.2 --locked --quiet
fi
if [ "${LUCID_CROSS:-1}" = 0 ]; then
    echo "install-test-deps: LUCID_CROSS=0: no cross toolchain"
elif [ "$(id -u)" = 0 ]; then
    sh "$(dirname "$0")/cross-setup.sh"
else
    echo "install-test-deps: the cross toolchain needs root: sudo sh scripts/cross-setup.sh makes it"
fi
