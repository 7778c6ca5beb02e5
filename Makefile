# lucidauth: build the library and examples, run the demo, run every test.
#   make         library (target/release) and build/lucid
#   make demo    build, then run build/lucid against the bundled local server
#   make test    every test: format, lints, Rust and C tests, bindings
#   make check   install what the tests need (Debian, as root) then make test: the README's and CI's command
#   make cross   Windows DLL and Linux aarch64 builds in build/cross; make cross-test tests them
#                under Wine and qemu-user (make test runs it once make cross-setup was), see mk/cross.mk
#   make header  regenerate include/lucidauth.h and README's key table after changing them
#   make install / uninstall [PREFIX=/usr/local] [DESTDIR=]   see mk/install.mk
#   make deb     Debian packages liblucidauth0 and liblucidauth-dev in build/deb, see mk/deb.mk
#   make bench   the benchmarks against the alternatives (BENCHMARKS.md), never part of make test
#   make soak    a fleet of processes and hostile peers against the local server, see mk/soak.mk

CARGO   ?= cargo
CC      ?= cc
CFLAGS  ?= -std=c99 -O2 -Wall -Wextra -Werror -pedantic
RELEASE_DIR := $(CURDIR)/target/release
BUILD   := build

.PHONY: all lib demo test check header clean

all: lib $(BUILD)/lucid

lib:
	$(CARGO) build --release --workspace

$(BUILD)/lucid: examples/c/lucid.c include/lucidauth.h lib
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -Iinclude -o $@ examples/c/lucid.c -L$(RELEASE_DIR) -llucidauth -Wl,-rpath,$(RELEASE_DIR)

demo: all
	sh scripts/demo.sh

test: lib
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace
	sh bindings/cpp/run_tests.sh
	sh bindings/go/run_tests.sh
	sh bindings/csharp/run_tests.sh
	sh scripts/test_install.sh
	sh scripts/test_deb.sh
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
include mk/bench.mk
include mk/soak.mk
include mk/cross.mk
