//! Fuzz target `mp4`: libFuzzer's bytes go to [`fuzz::mp4::movie`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzz::mp4::movie(data));
