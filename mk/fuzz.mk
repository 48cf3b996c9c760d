# Fuzzing (not part of `make test`): the cargo-fuzz targets of fuzz/, each for FUZZ_SECONDS,
# one after another, at low priority. Needs the nightly toolchain; installs cargo-fuzz when
# missing. New inputs go to target/fuzz-corpus/<target> (fuzz/corpus/ holds only the
# committed seeds), crashes to target/fuzz-artifacts/<target>/, logs to target/fuzz-logs/.
# The seeds also run on stable in `make test` (tests/fuzz_seeds.rs).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= sse pubsub_frames multipart cookie filter options cabi
FUZZ_NICE ?= 19
FUZZ_FLAGS ?= -rss_limit_mb=2048 -timeout=25 -print_final_stats=1
FUZZ_OUT := $(ROOT)/target

.PHONY: fuzz fuzz-tools fuzz-build

fuzz-tools:
	@cargo +nightly --version >/dev/null 2>&1 || { echo "make fuzz: needs nightly Rust (rustup toolchain install nightly)" >&2; exit 1; }
	@cargo fuzz --version >/dev/null 2>&1 || cargo install --locked cargo-fuzz

fuzz-build: fuzz-tools
	cd fuzz && nice -n $(FUZZ_NICE) cargo +nightly fuzz build

# Stops at the first target that crashes (its artifact path is in the log).
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_OUT)/fuzz-corpus/$$t $(FUZZ_OUT)/fuzz-artifacts/$$t $(FUZZ_OUT)/fuzz-logs; \
	  echo "fuzz: $$t for $(FUZZ_SECONDS) s (log: target/fuzz-logs/$$t.log)"; \
	  (cd fuzz && nice -n $(FUZZ_NICE) cargo +nightly fuzz run $$t $(FUZZ_OUT)/fuzz-corpus/$$t corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) -artifact_prefix=$(FUZZ_OUT)/fuzz-artifacts/$$t/) \
	    > $(FUZZ_OUT)/fuzz-logs/$$t.log 2>&1 || { tail -40 $(FUZZ_OUT)/fuzz-logs/$$t.log; exit 1; }; \
	  grep -E '^(Done|stat::number_of_executed_units)' $(FUZZ_OUT)/fuzz-logs/$$t.log | sed "s/^/fuzz: $$t: /"; \
	done
