# make loom: the model tests of the in-memory cache (src/cache/models.rs) with the crate built
# under `--cfg loom`, in a target directory of their own so that the normal build is not redone.
# make test runs it; every interleaving of each model is tried (about a second in all).

.PHONY: loom

loom:
	RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=$(CURDIR)/target/loom $(CARGO) test --lib cache::models
