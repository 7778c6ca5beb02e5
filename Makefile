# lucidauth: build the library and examples, run the demo, run every test.
#   make         library (target/release), build/lucid, and build/lucid-curl when the libcurl
#                headers are installed (examples/curl: Debian's libcurl4-openssl-dev)
#   make demo    build, then run build/lucid against the bundled local server (TLS=1: over HTTPS)
#   make test    every test: format, lints, Rust and C tests, bindings
#   make check   install what the tests need (Debian, as root) then make test: the README's and CI's command
#   make cross   Windows DLL and Linux aarch64 builds in build/cross; make cross-test tests them
#                under Wine and qemu-user (make test runs it once make cross-setup was), see mk/cross.mk
#   make header  regenerate include/lucidauth.h and README's key table after changing them
#   make install / uninstall [PREFIX=/usr/local] [DESTDIR=]   see mk/install.mk
#   make deb     Debian packages liblucidauth0, liblucidauth-dev and lucidauth-tools in build/deb, see mk/deb.mk
#   make nuget   the NuGet package build/nuget/LucidAuth.<version>.nupkg, see mk/nuget.mk
#   make bench   the benchmarks against the alternatives (BENCHMARKS.md), never part of make test;
#                make bench-wire counts the wire (make test runs its smoke form, bench-wire-smoke)
#                make bench-read-count counts a cached token read (smoke: bench-read-count-smoke)
#   make loom    the loom model tests of the token copy and the refresh slot (make test runs them)
#   make soak    a fleet of processes and hostile peers against the local server, see mk/soak.mk
#   make fuzz    every fuzz target for FUZZ_SECONDS (60) each; make fuzz-smoke (make test) for a few

CARGO   ?= cargo
CC      ?= cc
CFLAGS  ?= -std=c99 -O2 -Wall -Wextra -Werror -pedantic
RELEASE_DIR := $(CURDIR)/target/release
BUILD   := build

.PHONY: all lib demo test check header clean curl-skipped

# The libcurl example is built when curl/curl.h is there (checked once per make run).
HAVE_CURL := $(shell printf '\#include <curl/curl.h>\n' | $(CC) -E -x c - >/dev/null 2>&1 && echo yes)

all: lib $(BUILD)/lucid $(if $(HAVE_CURL),$(BUILD)/lucid-curl,curl-skipped)

lib:
	$(CARGO) build --release --workspace

$(BUILD)/lucid: examples/c/lucid.c include/lucidauth.h lib
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -Iinclude -o $@ examples/c/lucid.c -L$(RELEASE_DIR) -llucidauth -Wl,-rpath,$(RELEASE_DIR)

# TLS=1 runs the demo over HTTPS, with the server's own CA as ca_file.
TLS ?=
$(BUILD)/lucid-curl: examples/curl/curl_requests.c include/lucidauth.h lib
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -Iinclude -o $@ examples/curl/curl_requests.c -L$(RELEASE_DIR) -llucidauth -lcurl -Wl,-rpath,$(RELEASE_DIR)

curl-skipped:
	@echo "make: build/lucid-curl skipped: curl/curl.h not found (apt-get install libcurl4-openssl-dev)"

demo: all
	TLS="$(TLS)" sh scripts/demo.sh

test: lib
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace
	$(MAKE) --no-print-directory loom
	$(MAKE) --no-print-directory fuzz-smoke
	$(MAKE) --no-print-directory bench-wire-smoke
	$(MAKE) --no-print-directory bench-read-count-smoke
	sh bindings/cpp/run_tests.sh
	sh bindings/go/run_tests.sh
	sh bindings/csharp/run_tests.sh
	sh scripts/test_install.sh
	sh scripts/test_deb.sh
	sh scripts/test_nuget.sh
	$(MAKE) --no-print-directory cross-test-if-set-up

check:
	sh scripts/install-test-deps.sh
	$(MAKE) test

header:
	LUCIDAUTH_BLESS=1 $(CARGO) test --test header --test docs

clean:
	$(CARGO) clean
	rm -rf $(BUILD)

include mk/install.mk
include mk/deb.mk
include mk/nuget.mk
include mk/bench.mk
include mk/soak.mk
include mk/cross.mk
include mk/loom.mk
include mk/fuzz.mk
