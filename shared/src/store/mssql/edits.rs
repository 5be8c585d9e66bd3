//! Enrichment fields a person edited and locked.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::config::Connection;
use super::rows::{exec, query, required_text, text, to_db_time};
use super::sql;
use crate::store::*;

/// Merges `fields` into the product's locked fields and removes the `unlock` ones; `None` when
/// the tenant has no such product. The caller holds the transaction.
pub(super) async fn edit_enrichment(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
    fields: &Map<String, Value>,
    unlock: &[String],
    at: DateTime<Utc>,
) -> Result<Option<EnrichmentEdits>, StoreError> {
    let (tenant, sku) = (tenant.as_str(), sku.as_str());
    let rows = query(c, sql::EDITS_STATE, &[&tenant, &sku]).await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    // The product's SKU, read so that a product without edits still gives a row to tell by.
    required_text(row, 0, "products.sku")?;
    let stored = text(row, 1, "enrichment_edits.fields")?
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("enrichment edits: {e}")))
        })
        .transpose()?;
    let edits = EnrichmentEdits::merged(stored, fields, unlock, at);
    let text =
        serde_json::to_string(&edits.fields).map_err(|e| StoreError::Database(e.to_string()))?;
    let edited_at = to_db_time(&at);
    exec(c, sql::SAVE_EDITS, &[&tenant, &sku, &text, &edited_at]).await?;
    Ok(Some(edits))
}
