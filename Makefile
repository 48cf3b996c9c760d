# BosBase native client. The two commands a newcomer needs:
#   make demo   build everything, start the dev server with demo data, run the token flow in every language
#   make test   the whole test suite
# Each part lives in mk/<part>.mk and provides <part>-build / <part>-test / <part>-demo (and -bench).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
ROOT := $(abspath .)
export CARGO_TERM_COLOR ?= never

# Link line for the static core (from `cargo rustc -- --print native-static-libs`).
BOSBASE_STATIC_LIB := $(ROOT)/target/release/libbosbase.a
BOSBASE_STATIC_LIBS := -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
export BOSBASE_STATIC_LIB BOSBASE_STATIC_LIBS

DEMO_PARTS :=
TEST_PARTS :=
BENCH_PARTS :=

.PHONY: all demo demo-run test bench header
all: core-release devserver-build

include $(sort $(wildcard mk/*.mk))

# One dev server for the whole demo; every part's -demo target reads BOSBASE_URL.
demo: core-release devserver-build $(DEMO_PARTS:%=%-build)
	scripts/devserver --demo -- $(MAKE) --no-print-directory demo-run

demo-run: $(DEMO_PARTS:%=%-demo)
	@echo "demo: token flow finished in: $(DEMO_PARTS)"

# The real-server suite last (mk/bosbase.mk); without the BosBase binary it says it did not run.
test: $(TEST_PARTS:%=%-test)
	@$(MAKE) --no-print-directory test-bosbase
	@echo "make test: all parts passed: $(TEST_PARTS)"

bench: $(BENCH_PARTS:%=%-bench)

header:
	BOSBASE_BLESS=1 cargo test --quiet --test header
