#![no_main]
// The body and its checks live in src/fuzzing/ (shared with tests/fuzz_seeds.rs).
libfuzzer_sys::fuzz_target!(|data: &[u8]| bosbase::fuzzing::pubsub(data));
