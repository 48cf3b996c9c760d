# The Rust core: crate tests, C ABI tests, header drift, Rust examples.
DEMO_PARTS += rust c cpp
TEST_PARTS += core
BENCH_PARTS += core

.PHONY: core-release core-test rust-build rust-demo c-build c-demo cpp-build cpp-demo core-bench

# Static + shared library used by every binding and C/C++ user.
core-release:
	cargo build --release --lib

$(BOSBASE_STATIC_LIB): core-release
