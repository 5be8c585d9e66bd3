//! Products whose enrichment message was lost. A change and its `enrich` message cannot be
//! written in one transaction: the change is committed by the handler, the message sent after it
//! by the host's output binding, and a process that dies in between leaves a product that is
//! never enriched (unless its caller retries the write, which queues it again). The
//! `ResumeEnrichment` timer looks for such products every fifteen minutes and queues them again.

use chrono::{DateTime, Duration, Utc};

use super::{EnrichRequest, ProductRef};
use crate::store::{Store, StoreError};

/// A product changed at least this long ago without an enrichment for its content is taken
/// for lost: well past a message's usual wait, so work still queued is not queued twice.
pub const LOST_AFTER: Duration = Duration::minutes(10);

/// How far back changes are looked at: a lost message is found within a sweep or two, and
/// the look stays on the recent end of the products index.
pub const LOOK_BACK: Duration = Duration::hours(24);

/// At most this many lost products are queued again per sweep; the rest follow on the next.
pub const LOST_BATCH: u32 = 500;

/// The requests that enrich products changed between [`LOOK_BACK`] and [`LOST_AFTER`] before
/// `now` that have no enrichment for their current content. Sending one for a product whose
/// message was only slow is harmless: the second delivery finds the work done.
pub async fn requeue_lost(
    store: &dyn Store,
    now: DateTime<Utc>,
) -> Result<Vec<EnrichRequest>, StoreError> {
    let lost = store
        .products_missing_enrichment(now - LOOK_BACK, now - LOST_AFTER, LOST_BATCH)
        .await?;
    Ok(lost
        .into_iter()
        .map(|w| {
            EnrichRequest::Product(ProductRef {
                tenant: w.tenant,
                sku: w.sku,
                content_hash: w.content_hash,
            })
        })
        .collect())
}
