//! Fuzz target `feed_json`: libFuzzer's bytes go to [`fuzz::feed::json`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::feed::json(data));
