//! Fuzz target `host_protocol`: libFuzzer's bytes go to [`fuzz::protocol::invocation`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::protocol::invocation(data));
