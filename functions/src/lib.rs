//! Retail AI Advisor's function app: the custom handler the Azure Functions host calls, one
//! module per function, and the local host that plays the Functions host on a laptop.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
mod ingest_command;
pub mod local_host;
pub mod telemetry;

mod analytics;
mod analyze_video;
mod api_keys;
mod ask;
mod connections;
mod cors;
mod enrich_product;
mod enrichment_budget;
mod enrichment_runs;
mod health;
mod http;
mod ingest;
mod ingest_mappings;
mod ingest_partner_file;
mod ingest_runs;
mod openapi;
mod paging;
mod problem;
mod product_enrichment;
mod products;
mod resume_enrichment;
mod rollup_analytics;
mod schedule_sync;
mod sync_jobs;
mod sync_platform;
mod tenant_settings;
mod uploads;
mod videos;
mod webhooks;
