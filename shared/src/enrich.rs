//! The enrichment pipeline: one queued request → the product's current content enriched and
//! stored. Repeated and stale requests are no-ops.

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::ai::{AiEngine, AiError};
use crate::domain::{Sku, TenantId};
use crate::store::{EnrichmentRecord, SaveOutcome, Store, StoreError};

/// The `enrich` queue's message: which product, and the content that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrichRequest {
    /// The product's tenant.
    pub tenant: TenantId,
    /// The product.
    pub sku: Sku,
    /// The content hash the change stored.
    pub content_hash: String,
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
}

impl EnrichError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            EnrichError::Store(e) => e.is_transient(),
            EnrichError::Ai(e) => e.is_transient(),
        }
    }
}

/// Enriches the product `request` names, from its current content.
///
/// The current content is used even when the request is for an older one: the newer change
/// sent its own request, which then finds the work done.
pub async fn enrich_product(
    store: &dyn Store,
    engine: &AiEngine,
    request: &EnrichRequest,
) -> Result<EnrichOutcome, EnrichError> {
    // Two attempts: a product that changes between reading and saving is read again once; a
    // third change in that window is left to the request that change sent.
    for _ in 0..2 {
        let Some(product) = store.get_product(&request.tenant, &request.sku).await? else {
            return Ok(EnrichOutcome::ProductGone);
        };
        if product
            .enrichment
            .as_ref()
            .is_some_and(|e| e.is_current_for(&product))
        {
            return Ok(EnrichOutcome::AlreadyCurrent);
        }
        let enrichment = engine.enrich(&product).await?;
        let record = EnrichmentRecord {
            content_hash: product.content_hash.clone(),
            generated_by: enrichment.generated_by,
            payload: enrichment.payload,
            created_at: Utc::now(),
        };
        match store
            .save_enrichment(&request.tenant, &request.sku, &record)
            .await?
        {
            SaveOutcome::Saved => return Ok(EnrichOutcome::Enriched),
            SaveOutcome::AlreadyCurrent => return Ok(EnrichOutcome::AlreadyCurrent),
            SaveOutcome::Stale => continue,
        }
    }
    Ok(EnrichOutcome::AlreadyCurrent)
}
