# The Rust core: crate tests, C ABI tests, header drift, Rust/C/C++ examples, bench.
DEMO_PARTS += rust c cpp
TEST_PARTS += core c
BENCH_PARTS += core

C_BUILD := $(ROOT)/target/c
C_STRICT := -std=c11 -Wall -Wextra -Werror -pedantic -I$(ROOT)/include
CXX_STRICT := -std=c++17 -Wall -Wextra -Werror -pedantic -I$(ROOT)/include
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer -g
LINK_CORE = $(BOSBASE_STATIC_LIB) $(BOSBASE_STATIC_LIBS)

.PHONY: core-release core-test rust-build rust-demo c-build c-test c-demo cpp-build cpp-demo core-bench

# Static + shared library used by every binding and C/C++ user.
core-release:
	cargo build --release --lib

# Every Rust test: cargo finds each tests/*.rs itself (`--tests`, nothing listed here;
# `--no-fail-fast` reports every failing file) and runs it under one dev server (the files
# that need no server ignore BOSBASE_URL). The real-server
# suites (tests/bosbase_*.rs) are #[ignore]d with that reason, so they show as ignored here
# and run in `make test-bosbase`; so is the 6-minute realtime soak (`make realtime-soak`).
core-test: devserver-build
	rm -f target/tmp/smoke-rust.txt
	scripts/devserver --demo -- scripts/oauth2-provider -- cargo test --no-fail-fast --tests
	cat target/tmp/smoke-rust.txt
	cargo test --features fuzzing --test fuzz_seeds
	cargo test --doc
	RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --quiet
	if cargo clippy --version >/dev/null 2>&1; then cargo clippy --quiet --all-targets -- -D warnings; fi
	if cargo fmt --version >/dev/null 2>&1; then cargo fmt --check; fi

rust-build:
	cargo build --examples

rust-demo: rust-build
	cargo run --quiet --example seed_tokio
	cargo run --quiet --example seed_block_on

$(C_BUILD):
	mkdir -p $@

c-build: core-release | $(C_BUILD)
	cc $(C_STRICT) -o $(C_BUILD)/token_flow examples/c/token_flow.c $(LINK_CORE)

cpp-build: core-release | $(C_BUILD)
	c++ $(CXX_STRICT) -o $(C_BUILD)/token_flow_cpp examples/cpp/token_flow.cpp $(LINK_CORE)

c-demo: c-build
	$(C_BUILD)/token_flow

cpp-demo: cpp-build
	$(C_BUILD)/token_flow_cpp

# C ABI tests under ASan/UBSan, the header in two TUs as C11, and the C++ wrapper as C++17.
c-test: core-release devserver-build c-build cpp-build | $(C_BUILD)
	cc $(C_STRICT) -o $(C_BUILD)/double_include tests/c/double_include_a.c tests/c/double_include_b.c $(LINK_CORE)
	$(C_BUILD)/double_include
	for t in ffi_test contract_test call_test surface_test tls_test realtime_test inputs_test auth_file_test streams_test lifecycle_test full_list_test release_test pull_test retries_test downloads_test oauth2_test; do \
		cc $(C_STRICT) -D_DEFAULT_SOURCE $(SANITIZE) -o $(C_BUILD)/$$t tests/c/$$t.c $(LINK_CORE); done
	c++ $(CXX_STRICT) $(SANITIZE) -o $(C_BUILD)/wrapper_test tests/c/wrapper_test.cpp $(LINK_CORE)
	c++ $(CXX_STRICT) $(SANITIZE) -o $(C_BUILD)/smoke_gen_test tests/c/smoke_gen_test.cpp $(LINK_CORE)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 scripts/devserver --demo -- \
		bash -c '$(C_BUILD)/ffi_test && $(C_BUILD)/contract_test && $(C_BUILD)/call_test && $(C_BUILD)/surface_test && $(C_BUILD)/realtime_test && $(C_BUILD)/inputs_test && $(C_BUILD)/auth_file_test && $(C_BUILD)/lifecycle_test && $(C_BUILD)/release_test && $(C_BUILD)/downloads_test && $(C_BUILD)/wrapper_test && $(C_BUILD)/smoke_gen_test'
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 scripts/tls-fixture -- $(C_BUILD)/tls_test
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(C_BUILD)/streams_test
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(C_BUILD)/pull_test
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(C_BUILD)/full_list_test
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 $(C_BUILD)/retries_test
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 scripts/devserver --demo -- scripts/oauth2-provider -- $(C_BUILD)/oauth2_test
	scripts/devserver --demo -- bash -c '$(C_BUILD)/token_flow && $(C_BUILD)/token_flow_cpp'

core-bench: core-release devserver-build | $(C_BUILD)
	cargo run --release --quiet --manifest-path bench/Cargo.toml --target-dir $(ROOT)/target/bench --bin bosbase-bench
	cargo run --release --quiet --manifest-path bench/Cargo.toml --target-dir $(ROOT)/target/bench --bin awaits
	cargo run --release --quiet --manifest-path bench/Cargo.toml --target-dir $(ROOT)/target/bench --bin realtime
	cargo run --release --quiet --manifest-path bench/Cargo.toml --target-dir $(ROOT)/target/bench --bin slow
	cargo build --release --quiet --manifest-path bench/Cargo.toml --target-dir $(ROOT)/target/bench --bin full_list
	@dpkg -s libcurl4-openssl-dev >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y libcurl4-openssl-dev; } || true
	if cc $(C_STRICT) -O2 -D_DEFAULT_SOURCE -o $(C_BUILD)/full_list_bench bench/c/full_list.c $(LINK_CORE) -lcurl; then \
		export BOSBASE_BENCH_C=$(C_BUILD)/full_list_bench; else echo "no libcurl: the C program's side is skipped"; fi; \
		scripts/devserver --demo -- $(ROOT)/target/bench/release/full_list
	# Per call, C ABI vs libcurl (keep-alive, same headers) on 127.0.0.1 and on localhost.
	if cc $(C_STRICT) -O2 -D_DEFAULT_SOURCE -o $(C_BUILD)/per_call_bench bench/c/per_call.c $(LINK_CORE) -lcurl; then \
		scripts/devserver --demo -- $(C_BUILD)/per_call_bench; else echo "no libcurl: per-call C vs libcurl skipped"; fi

# Rewrites every file generated from the operation table (tools/generate).
.PHONY: generate
generate:
	BOSBASE_BLESS=1 cargo test --quiet --test generated

# The 6-minute idle-stream check of realtime (not part of `make test`): an idle stream must
# outlive the client's call deadlines, survive the server's 5-minute idle close, and deliver.
.PHONY: realtime-soak
realtime-soak: devserver-build
	scripts/devserver --demo -- cargo test --test realtime -- --ignored --nocapture soak_
