//! The fuzz targets' logic, one module per target, as plain functions from bytes to nothing:
//! each feeds the bytes to the code that reads them in production and returns, so the only
//! finding is a panic, a hang or an allocation past libFuzzer's limits. The `fuzz_targets/`
//! binaries are one line each over these, and `tests/replay.rs` runs the committed corpus
//! through the same functions in `cargo test`.

pub mod feed;
pub mod mp4;
pub mod protocol;
pub mod webhook;
