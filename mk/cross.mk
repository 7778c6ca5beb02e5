# make cross, make cross-test: Windows (x86_64-pc-windows-gnu) and Linux aarch64 builds and
# their tests, with Debian trixie's Rust and cross compilers in a chroot made once per machine.
# Included from the Makefile. Need root (or sudo), like make check.
#
#   make cross-setup   scripts/cross-setup.sh: the chroot, the host's Wine and qemu-user and the
#                      Wine prefix, in LUCID_CROSS_DIR (default /var/cache/lucidauth-cross);
#                      the first time some minutes and 3.3 GB, then about a second
#   make cross         build/cross/x86_64-pc-windows-gnu/{lucidauth.dll, lucidauth.dll.a,
#                      lucidauth.def, lucid.exe, lucid-testserver.exe} and
#                      build/cross/aarch64-unknown-linux-gnu/{liblucidauth.so, lucid}; checks
#                      that the DLL exports every function of include/lucidauth.h
#                      (scripts/cross/build.sh)
#   make cross-test    the Rust tests under Wine and qemu-user, the C contract test and the C
#                      tool end to end (scripts/cross/test.sh)
# make test runs cross-test when the chroot is there (make check sets it up), and says it skips
# it otherwise.

LUCID_CROSS_DIR ?= /var/cache/lucidauth-cross
export LUCID_CROSS_DIR

.PHONY: cross cross-setup cross-test cross-test-if-set-up

cross-setup:
	sh scripts/cross-setup.sh

cross: cross-setup
	sh scripts/cross/build.sh

# The Linux test server (lib) is the other end of the C programs' tests.
cross-test: cross lib
	sh scripts/cross/test.sh

cross-test-if-set-up:
	@if [ -f "$(LUCID_CROSS_DIR)/ready" ]; then \
	    $(MAKE) --no-print-directory cross-test; \
	else \
	    echo "cross-test: skipped: no cross toolchain in $(LUCID_CROSS_DIR) (make cross-setup, as root, makes it; make check does)"; \
	fi
