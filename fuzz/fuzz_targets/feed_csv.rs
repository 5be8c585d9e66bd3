//! Fuzz target `feed_csv`: libFuzzer's bytes go to [`fuzz::feed::csv`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::feed::csv(data));
