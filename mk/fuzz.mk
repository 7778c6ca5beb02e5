# make fuzz: every fuzz target (fuzz/fuzz_targets/, cargo-fuzz and libFuzzer with ASan) for
# FUZZ_SECONDS each, from the committed seeds (fuzz/seeds/<target>/) plus what earlier runs
# found (fuzz/corpus/<target>/, not committed); prints the executions of each and fails on a
# crash (its input is left in fuzz/artifacts/<target>/).
# make fuzz-smoke: the same for FUZZ_SMOKE_SECONDS each; make test runs it.
# Needs cargo-fuzz (`cargo install cargo-fuzz`; scripts/install-test-deps.sh does it).

FUZZ_TARGETS       := ini_credentials cradl_json token_response jwt_payload proxy_url cache_entry redis_reply
FUZZ_SECONDS       ?= 60
FUZZ_SMOKE_SECONDS ?= 4

.PHONY: fuzz fuzz-smoke fuzz-build

fuzz-build:
	RUSTC_BOOTSTRAP=1 $(CARGO) fuzz build

fuzz: fuzz-build
	sh scripts/fuzz.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	sh scripts/fuzz.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)
