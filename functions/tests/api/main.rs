//! Black-box tests: the app started on free ports, driven through the local host or through
//! the custom-handler protocol, as the Functions host would.

// Helpers outside #[test] functions unwrap too: a panic is a failed test with its backtrace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ai_provider;
mod analytics;
mod ask;
mod ask_endpoint;
mod auth_matrix;
mod connections;
mod cors;
mod dependencies;
mod enrich_product;
mod enrichment_budget;
mod enrichment_runs;
mod failures;
mod handler;
mod health;
mod helpers;
mod ingest;
mod ingest_feeds;
mod ingest_mappings;
mod ingest_partner_file;
mod keys;
mod local_host;
mod mock_idp;
mod mock_openai;
mod openapi;
mod product_enrichment;
mod product_writes;
mod products;
mod read_urls;
mod redelivery;
mod security;
mod sync;
mod sync_netsuite;
mod sync_woocommerce;
mod uploads;
mod videos;
