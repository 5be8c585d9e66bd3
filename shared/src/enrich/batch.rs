//! Batch enrichment runs: a tenant re-enriches a filtered part of its catalogue. The run scans
//! the catalogue one page at a time, each step a queue message that hands slices of at most
//! [`SLICE_PRODUCTS`] products to the queue and the next step after them, so a catalogue of any
//! size is covered by small messages and enriched in parallel.
//!
//! Every step may be delivered twice. A scan step always sends the same messages for the same
//! position, and counts what it found only when it moves the run's cursor; a slice records its
//! tally once, keyed by its last SKU. Enriching a product twice is itself a no-op. So progress
//! is exact and nothing is lost or doubled.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{EnrichError, EnrichRequest, EnrichTally, enrich_all};
use crate::ai::AiEngine;
use crate::domain::{Sku, TenantId};
use crate::store::{
    EnrichmentFilter, EnrichmentRun, EnrichmentRunStart, ProductPosition, ProductQuery,
    ProductView, SliceTally, Store, StoreError,
};

/// Products one scan step reads.
pub const SCAN_PAGE: u32 = 1000;
/// Products one slice enriches: its work must end well within the message's lock.
pub const SLICE_PRODUCTS: usize = 50;

/// The next page of a batch run's scan, after `after` (from the first product when absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchScan {
    /// The run's tenant.
    pub tenant: TenantId,
    /// The run.
    pub batch_id: String,
    /// The scan continues after this SKU.
    pub after: Option<String>,
}

/// Products of a batch run to enrich.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchSlice {
    /// The run's tenant.
    pub tenant: TenantId,
    /// The run.
    pub batch_id: String,
    /// The products, in SKU order.
    pub skus: Vec<Sku>,
}

/// Begins run `start` (or finds it, for a repeated request) and the first message of its
/// scan. The message is harmless to send again while the run is still scanning.
pub async fn start(
    store: &dyn Store,
    start: &EnrichmentRunStart,
) -> Result<(EnrichmentRun, Option<EnrichRequest>), StoreError> {
    let run = store.start_enrichment_run(start).await?;
    let first = (run.scanning && run.cursor.is_none()).then(|| {
        EnrichRequest::BatchScan(BatchScan {
            tenant: run.tenant.clone(),
            batch_id: run.id.clone(),
            after: None,
        })
    });
    Ok((run, first))
}

/// One scan step: the slices of the page after `scan.after` that match the run's filter, then
/// the next step unless this page was the last. A redelivered step sends the same messages
/// again, even when the run has moved past it: its first delivery's messages may never have
/// left the host.
pub async fn scan(store: &dyn Store, scan: &BatchScan) -> Result<Vec<EnrichRequest>, StoreError> {
    let Some(run) = store
        .get_enrichment_run(&scan.tenant, &scan.batch_id)
        .await?
    else {
        return Ok(Vec::new());
    };
    let filter = &run.filter;
    let page = store
        .list_products(
            &scan.tenant,
            &ProductQuery {
                after: scan.after.clone().map(ProductPosition::Sku),
                limit: SCAN_PAGE,
                text: filter.q.clone(),
                category: filter.category.clone(),
                updated_since: filter.updated_since,
                ..ProductQuery::default()
            },
        )
        .await?;
    let next = (page.len() == SCAN_PAGE as usize)
        .then(|| page.last().map(|p| p.content.sku.as_str().to_owned()))
        .flatten();
    let matched: Vec<Sku> = page
        .into_iter()
        .filter(|p| generated_by_matches(filter, p))
        .map(|p| p.content.sku)
        .collect();
    let mut requests: Vec<EnrichRequest> = matched
        .chunks(SLICE_PRODUCTS)
        .map(|skus| {
            EnrichRequest::BatchSlice(BatchSlice {
                tenant: scan.tenant.clone(),
                batch_id: run.id.clone(),
                skus: skus.to_vec(),
            })
        })
        .collect();
    let found = (matched.len() as u64, requests.len() as u64);
    store
        .advance_enrichment_run(&run.id, scan.after.as_deref(), next.as_deref(), found)
        .await?;
    if let Some(after) = next {
        requests.push(EnrichRequest::BatchScan(BatchScan {
            tenant: scan.tenant.clone(),
            batch_id: run.id.clone(),
            after: Some(after),
        }));
    }
    Ok(requests)
}

fn generated_by_matches(filter: &EnrichmentFilter, product: &ProductView) -> bool {
    match &filter.generated_by {
        None => true,
        Some(engine) => product
            .enrichment
            .as_ref()
            .is_some_and(|e| e.generated_by == *engine),
    }
}

/// Enriches a slice's products (a forced run redoes what was enriched before it began) and
/// records the slice's tally once.
pub async fn run_slice(
    store: &dyn Store,
    engine: &AiEngine,
    slice: &BatchSlice,
) -> Result<EnrichTally, EnrichError> {
    let Some(run) = store
        .get_enrichment_run(&slice.tenant, &slice.batch_id)
        .await?
    else {
        return Ok(EnrichTally::default());
    };
    let Some(through) = slice.skus.last() else {
        return Ok(EnrichTally::default());
    };
    let since: Option<DateTime<Utc>> = run.force.then_some(run.created_at);
    let tally = enrich_all(store, engine, &slice.tenant, slice.skus.clone(), since).await?;
    let counts = SliceTally {
        enriched: tally.enriched,
        already_current: tally.already_current,
        gone: tally.gone,
    };
    store
        .record_enrichment_slice(&run.id, through.as_str(), &counts)
        .await?;
    Ok(tally)
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
