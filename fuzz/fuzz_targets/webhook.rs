//! Fuzz target `webhook`: libFuzzer's bytes go to [`fuzz::webhook::delivery`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::webhook::delivery(data));
