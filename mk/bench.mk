# make bench: lucidauth against the alternatives; the figures are in BENCHMARKS.md.
# Never part of `make test`. Included from the Makefile (`include mk/bench.mk`).
#
#   make bench                 build the release library and the bench programs, run them all
#   make bench BENCH_RUNS=3    fewer repetitions
#   make bench BENCH_ONLY=requests,cold_start
#
# Needs: cc, libcurl headers (apt-get install libcurl4-openssl-dev), python3; hyperfine
# (cold start) and valgrind (allocation counts) are used when present.

BENCH_MAKEFILE := $(firstword $(MAKEFILE_LIST))
BENCH_DIR    := build/bench
BENCH_LIBDIR := $(CURDIR)/target/release
BENCH_CFLAGS ?= -std=c11 -O2 -Wall -Wextra -Werror -pthread
BENCH_RUNS   ?= 5
BENCH_ONLY   ?= token_read,stampede,refresh,requests,cold_start,footprint
BENCH_CARGO  ?= cargo
BENCH_CC     ?= cc
BENCH_LINK    = -L$(BENCH_LIBDIR) -llucidauth -Wl,-rpath,$(BENCH_LIBDIR)

.PHONY: bench bench-build bench-curl-check bench-programs bench-stampede bench-wire \
        bench-wire-smoke bench-wire-build bench-read-count bench-read-count-smoke bench-read-build

# make bench-wire: an authorized GET counted (system calls, instructions, allocations) over
# keep-alive HTTP and HTTPS, per byte of a 1 MiB body, and cold (a fresh process, a TLS
# handshake), lucidauth against libcurl and the curl command; plus one timing row (8 threads).
# Needs strace and valgrind (each count skipped without) and curl. BENCHMARKS.md, "On the wire".
# make bench-wire-smoke: the same with tiny N, valgrind only on the keep-alive rows: checks that
# every program runs and every figure parses (about 30 s).
BENCH_WIRE_RUN = python3 bench/wire.py $(BENCH_DIR) target/release/lucid-testserver $(BUILD)/lucid

bench-wire: bench-wire-build
	$(BENCH_WIRE_RUN)

bench-wire-smoke: bench-wire-build
	$(BENCH_WIRE_RUN) --smoke

bench-wire-build: bench-curl-check
	$(MAKE) -f $(BENCH_MAKEFILE) --no-print-directory all
	$(MAKE) -f $(BENCH_MAKEFILE) --no-print-directory $(BENCH_DIR)/wire $(BENCH_DIR)/wire_threads

# make bench-read-count: a cached token read through the C ABI (allocating, and into the
# caller's buffer) against the mutex+strdup baseline of bench/token_read.c, counted per read:
# instructions (callgrind) and heap allocations (memcheck). Needs valgrind. BENCHMARKS.md.
# make bench-read-count-smoke (make test): the same with tiny N (a few seconds).
BENCH_READ_RUN = python3 bench/read_count.py $(BENCH_DIR)/token_read target/release/lucid-testserver

bench-read-count: bench-read-build
	$(BENCH_READ_RUN)

bench-read-count-smoke: bench-read-build
	$(BENCH_READ_RUN) --smoke

bench-read-build:
	$(MAKE) -f $(BENCH_MAKEFILE) --no-print-directory all
	$(MAKE) -f $(BENCH_MAKEFILE) --no-print-directory $(BENCH_DIR)/token_read

bench: bench-build
	python3 bench/run.py --runs $(BENCH_RUNS) --only $(BENCH_ONLY) --out $(BENCH_DIR)

# `all` (the Makefile's) is `cargo build --release --workspace` (the library and
# lucid-testserver) and build/lucid, the example tool the cold-start benchmark runs.
# The steps run one after the other even under -j (the programs link against the new library).
bench-build: bench-curl-check
	$(MAKE) -f $(BENCH_MAKEFILE) --no-print-directory all
	$(MAKE) -f $(BENCH_MAKEFILE) --no-print-directory bench-programs bench-stampede

bench-curl-check:
	@printf '#include <curl/curl.h>\n' | $(BENCH_CC) -E -x c - >/dev/null 2>&1 || { \
	    echo "make bench: curl/curl.h not found: the libcurl benchmark needs the libcurl headers." >&2; \
	    echo "            install them with: apt-get install libcurl4-openssl-dev" >&2; \
	    exit 1; }

bench-programs: $(BENCH_DIR)/token_read $(BENCH_DIR)/requests $(BENCH_DIR)/footprint

# The C programs; they are relinked whenever the library is newer.
$(BENCH_DIR)/%: bench/%.c bench/common.h include/lucidauth.h $(BENCH_LIBDIR)/liblucidauth.so
	@mkdir -p $(BENCH_DIR)
	$(BENCH_CC) $(BENCH_CFLAGS) -Iinclude -Ibench -o $@ $< $(BENCH_LINK)

$(BENCH_DIR)/requests: $(BENCH_DIR)/%: bench/%.c bench/common.h include/lucidauth.h $(BENCH_LIBDIR)/liblucidauth.so
	@mkdir -p $(BENCH_DIR)
	$(BENCH_CC) $(BENCH_CFLAGS) -Iinclude -Ibench -o $@ $< $(BENCH_LINK) -lcurl

$(BENCH_DIR)/wire $(BENCH_DIR)/wire_threads: $(BENCH_DIR)/%: bench/%.c bench/curl_side.h bench/common.h include/lucidauth.h $(BENCH_LIBDIR)/liblucidauth.so
	@mkdir -p $(BENCH_DIR)
	$(BENCH_CC) $(BENCH_CFLAGS) -Iinclude -Ibench -o $@ $< $(BENCH_LINK) -lcurl

# The Rust stampede benchmark: a cargo project of its own (bench/Cargo.toml), built like the
# library's release, into target/bench so it shares nothing with the workspace's target.
bench-stampede:
	cd bench && $(BENCH_CARGO) build --release --target-dir ../target/bench
