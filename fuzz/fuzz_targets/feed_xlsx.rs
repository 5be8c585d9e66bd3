//! Fuzz target `feed_xlsx`: libFuzzer's bytes go to [`fuzz::feed::xlsx`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::feed::xlsx(data));
