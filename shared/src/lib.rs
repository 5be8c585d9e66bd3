//! Retail AI Advisor's library: everything the handlers use, organised by what it is about.
#![forbid(unsafe_code)]

pub mod protocol;
