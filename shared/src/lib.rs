//! Retail AI Advisor's library: everything the handlers use, organised by what it is about —
//! the host protocol, settings, Azure credentials, the domain, the store and blob ports, the
//! AI engine, and the ingestion and enrichment pipelines.
#![forbid(unsafe_code)]

pub mod ai;
pub mod analytics;
pub mod ask;
pub mod auth;
pub mod azure;
pub mod blobs;
pub mod connections;
pub mod crash;
pub mod domain;
pub mod enrich;
pub mod ingest;
pub mod protocol;
pub mod schedule;
pub mod settings;
pub mod store;
pub mod sync;
pub mod video;
