//! The enrichment pipeline: one queued request → the products' current content enriched and
//! stored. Repeated and stale requests are no-ops. Requests come from ingestion (one product,
//! or a page of a run's changes), from batch runs ([`batch`]) and from the budget timer
//! ([`budget`]).

pub mod batch;
pub mod budget;
mod in_flight;
pub mod lost;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::ai::schema::apply_edits;
use crate::ai::{AiEngine, AiError};
use crate::domain::{Sku, TenantId};
use crate::protocol::{ProtocolError, from_value_at};
use crate::store::{EnrichmentRecord, SaveOutcome, Store, StoreError};
pub use batch::{BatchScan, BatchSlice};
pub use budget::{BudgetStatus, budget_status, resume_waiting, today};

/// The `enrich` queue's message: one product, one page of an ingestion run's changes (a feed of
/// a million rows sends twenty thousand small messages, not a million), or a step of a batch
/// run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum EnrichRequest {
    /// One product.
    Product(ProductRef),
    /// A page of an ingestion run's changes.
    RunChanges(RunPage),
    /// The next page of a batch run's scan of the catalogue.
    BatchScan(BatchScan),
    /// Products of a batch run to enrich.
    BatchSlice(BatchSlice),
}

/// One product, and the content that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductRef {
    /// The product's tenant.
    pub tenant: TenantId,
    /// The product.
    pub sku: Sku,
    /// The content hash the change stored.
    pub content_hash: String,
}

/// The products ingestion run `run_id` changed, by SKU: after `after` (from the first when
/// absent) up to and including `through`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunPage {
    /// The run's tenant.
    pub tenant: TenantId,
    /// The run.
    pub run_id: String,
    /// The page starts after this SKU.
    pub after: Option<Sku>,
    /// The page's last SKU.
    pub through: Sku,
}

impl EnrichRequest {
    /// Reads a message body, with the JSON path of any error under `root`: a body with a
    /// `run_id` is a page of run changes, one with a `batch_id` a batch step (a slice when it
    /// names `skus`), any other one product.
    pub fn from_body(body: serde_json::Value, root: &str) -> Result<Self, ProtocolError> {
        if body.get("run_id").is_some() {
            from_value_at(body, root).map(EnrichRequest::RunChanges)
        } else if body.get("batch_id").is_some() && body.get("skus").is_some() {
            from_value_at(body, root).map(EnrichRequest::BatchSlice)
        } else if body.get("batch_id").is_some() {
            from_value_at(body, root).map(EnrichRequest::BatchScan)
        } else {
            from_value_at(body, root).map(EnrichRequest::Product)
        }
    }

    /// The tenant it is for.
    pub fn tenant(&self) -> &TenantId {
        match self {
            EnrichRequest::Product(one) => &one.tenant,
            EnrichRequest::RunChanges(page) => &page.tenant,
            EnrichRequest::BatchScan(scan) => &scan.tenant,
            EnrichRequest::BatchSlice(slice) => &slice.tenant,
        }
    }

    /// What it is about, for logs.
    pub fn describe(&self) -> String {
        match self {
            EnrichRequest::Product(one) => format!("{}/{}", one.tenant, one.sku),
            EnrichRequest::RunChanges(page) => {
                format!(
                    "{} run {} through {}",
                    page.tenant, page.run_id, page.through
                )
            }
            EnrichRequest::BatchScan(scan) => {
                format!("{} batch {} scan", scan.tenant, scan.batch_id)
            }
            EnrichRequest::BatchSlice(slice) => format!(
                "{} batch {} slice of {}",
                slice.tenant,
                slice.batch_id,
                slice.skus.len()
            ),
        }
    }
}

/// Products enriched by one [`EnrichRequest::RunChanges`] message: a page's enrichment must
/// finish well within the message's lock, also with a remote AI provider.
pub const RUN_CHANGES_PAGE: u32 = 50;

/// Products of one page enriched at once; the provider's own limit caps what is in flight.
const PAGE_CONCURRENCY: usize = 8;

/// How long one message may keep starting products: under the host's five-minute lock
/// renewal (host.json), with room for the requests already in flight to finish.
const MESSAGE_TIME_BUDGET: Duration = Duration::from_secs(180);

/// Products one message from ingestion covers. Its handler splits it into pages of
/// [`RUN_CHANGES_PAGE`], so ingestion's answer stays small (a 5M-row feed owes 5,000 messages,
/// not 100,000) and the pages are still enriched in parallel.
pub const RUN_CHANGES_FANOUT: u32 = 1000;

/// What handling a request did, per product, and the pages it handed on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrichTally {
    /// Pages split off a range too large for one message, to be sent to the `enrich` queue.
    pub pages: Vec<EnrichRequest>,
    /// New enrichments stored.
    pub enriched: u64,
    /// Products already enriched for their content.
    pub already_current: u64,
    /// Products that no longer exist.
    pub gone: u64,
}

impl EnrichTally {
    /// Counts one product's outcome.
    fn add(&mut self, outcome: EnrichOutcome) {
        match outcome {
            EnrichOutcome::Enriched => self.enriched += 1,
            EnrichOutcome::AlreadyCurrent => self.already_current += 1,
            EnrichOutcome::ProductGone => self.gone += 1,
        }
    }
}

/// Handles `request`: enriches its product, or each product of its page of run changes; a
/// range of more than [`RUN_CHANGES_PAGE`] changes is split into pages handed on instead. A
/// page whose run is unknown to the tenant enriches nothing. Batch steps are [`batch`]'s.
pub async fn handle(
    store: &dyn Store,
    engine: &AiEngine,
    request: &EnrichRequest,
) -> Result<EnrichTally, EnrichError> {
    let mut tally = EnrichTally::default();
    match request {
        EnrichRequest::Product(one) => {
            tally.add(enrich_product(store, engine, &one.tenant, &one.sku).await?);
        }
        EnrichRequest::RunChanges(page) => {
            let Some(run) = store.get_ingest_run(&page.tenant, &page.run_id).await? else {
                return Ok(tally);
            };
            let changes = store
                .ingest_run_changes(&run, page.after.as_ref(), RUN_CHANGES_FANOUT)
                .await?;
            let changes: Vec<_> = changes.iter().filter(|c| c.sku <= page.through).collect();
            if changes.len() > RUN_CHANGES_PAGE as usize {
                let mut after = page.after.clone();
                for chunk in changes.chunks(RUN_CHANGES_PAGE as usize) {
                    let Some(last) = chunk.last() else { continue };
                    tally.pages.push(EnrichRequest::RunChanges(RunPage {
                        tenant: page.tenant.clone(),
                        run_id: page.run_id.clone(),
                        after: after.clone(),
                        through: last.sku.clone(),
                    }));
                    after = Some(last.sku.clone());
                }
                return Ok(tally);
            }
            let skus: Vec<Sku> = changes.into_iter().map(|c| c.sku.clone()).collect();
            tally = enrich_all(store, engine, &page.tenant, skus, None).await?;
        }
        EnrichRequest::BatchScan(scan) => tally.pages = batch::scan(store, scan).await?,
        EnrichRequest::BatchSlice(slice) => tally = batch::run_slice(store, engine, slice).await?,
    }
    Ok(tally)
}

/// What handling a request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrichOutcome {
    /// A new enrichment was stored.
    Enriched,
    /// The product is already enriched for its current content: nothing to do.
    AlreadyCurrent,
    /// The product no longer exists.
    ProductGone,
}

/// A failed enrichment.
#[derive(Debug, thiserror::Error)]
pub enum EnrichError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine failed.
    #[error(transparent)]
    Ai(#[from] AiError),
    /// The message ran out of time before every product was begun; a redelivery does the rest.
    #[error("the message's time ran out before every product was enriched")]
    OutOfTime,
}

impl EnrichError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            EnrichError::Store(e) => e.is_transient(),
            EnrichError::Ai(e) => e.is_transient(),
            EnrichError::OutOfTime => true,
        }
    }
}

/// Enriches product `sku` of `tenant` from its current content.
///
/// The current content is used even when the request is for an older one: the newer change
/// sent its own request, which then finds the work done. With a provider, a tenant whose daily
/// token budget is spent gets the offline engine's enrichment as a stand-in, marked as waiting:
/// [`budget::resume_waiting`] queues it again once the budget allows.
pub async fn enrich_product(
    store: &dyn Store,
    engine: &AiEngine,
    tenant: &TenantId,
    sku: &Sku,
) -> Result<EnrichOutcome, EnrichError> {
    enrich_product_since(store, engine, tenant, sku, None).await
}

/// Enriches `skus` of `tenant` side by side, up to the page's concurrency (the provider's own
/// limit caps what is in flight), with [`enrich_product_since`]. Every product is tried; the
/// first error, if any, is returned after, so the work done is kept and a redelivery finds it.
async fn enrich_all(
    store: &dyn Store,
    engine: &AiEngine,
    tenant: &TenantId,
    skus: Vec<Sku>,
    since: Option<DateTime<Utc>>,
) -> Result<EnrichTally, EnrichError> {
    let started = Instant::now();
    let outcomes: Vec<_> = futures::stream::iter(skus)
        .map(|sku| async move {
            // The host renews a message's lock for at most five minutes: products not begun
            // by then are left to the redelivery, which finds the others done.
            if started.elapsed() > MESSAGE_TIME_BUDGET {
                return Err(EnrichError::OutOfTime);
            }
            enrich_product_since(store, engine, tenant, &sku, since).await
        })
        .buffer_unordered(PAGE_CONCURRENCY)
        .collect()
        .await;
    let mut tally = EnrichTally::default();
    for outcome in outcomes {
        tally.add(outcome?);
    }
    Ok(tally)
}

/// [`enrich_product`]; with `since`, an enrichment made before it counts as stale (a forced
/// batch run redoes what was enriched before it began, once).
pub async fn enrich_product_since(
    store: &dyn Store,
    engine: &AiEngine,
    tenant: &TenantId,
    sku: &Sku,
    since: Option<DateTime<Utc>>,
) -> Result<EnrichOutcome, EnrichError> {
    // A duplicate delivery enriching the same product now waits, then finds it current.
    let _turn = in_flight::turn(format!("{tenant}/{sku}")).await;
    // Two attempts: a product that changes between reading and saving is read again once; a
    // third change in that window is left to the request that change sent.
    for _ in 0..2 {
        let Some(product) = store.get_product(tenant, sku).await? else {
            return Ok(EnrichOutcome::ProductGone);
        };
        if product
            .enrichment
            .as_ref()
            .is_some_and(|e| e.is_current_since(&product, engine.prompt_version(), since))
        {
            return Ok(EnrichOutcome::AlreadyCurrent);
        }
        // The slot is taken before the budget is read, so no more than the provider's
        // concurrency can be spent past a budget that runs out, and held until the answer is
        // saved, so answers never pile up waiting for the store (behind a feed's long write,
        // say) and a crash loses at most the concurrency's worth of paid requests.
        let _slot = engine.slot().await?;
        let mut enrichment = match budget::budget_left(store, engine, tenant).await? {
            false => engine.waiting_for_budget(&product),
            true => {
                let enrichment = engine.enrich(&product).await?;
                let spent =
                    enrichment.provenance.input_tokens + enrichment.provenance.output_tokens;
                if spent > 0 {
                    store.add_ai_tokens(tenant, today(), spent).await?;
                }
                crate::crash::point("enrich.answered");
                enrichment
            }
        };
        // Fields a person edited are locked: their values win over every engine's.
        if let Some(edits) = &product.edits {
            apply_edits(&mut enrichment.output, &edits.fields);
        }
        let record = EnrichmentRecord {
            content_hash: product.content_hash.clone(),
            prompt_version: enrichment.prompt_version,
            generated_by: enrichment.generated_by,
            payload: serde_json::to_value(&enrichment.output)
                .map_err(|e| StoreError::Database(format!("enrichment payload: {e}")))?,
            provenance: enrichment.provenance,
            waiting_for_budget: enrichment.waiting_for_budget,
            created_at: Utc::now(),
        };
        match store.save_enrichment(tenant, sku, &record, since).await? {
            SaveOutcome::Saved => return Ok(EnrichOutcome::Enriched),
            SaveOutcome::AlreadyCurrent => return Ok(EnrichOutcome::AlreadyCurrent),
            SaveOutcome::Stale => continue,
        }
    }
    Ok(EnrichOutcome::AlreadyCurrent)
}
