//! Enrichment fields a person edited and locked.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::{Map, Value};

use super::{map_error, to_db_time};
use crate::store::*;

/// Merges `fields` into the product's locked fields and removes the `unlock` ones, in one
/// transaction; `None` when the tenant has no such product.
pub(super) fn edit_enrichment(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
    fields: &Map<String, Value>,
    unlock: &[String],
    at: DateTime<Utc>,
) -> Result<Option<EnrichmentEdits>, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let found: Option<Option<String>> = tx
        .query_row(
            "SELECT x.fields FROM products p
             LEFT JOIN enrichment_edits x ON x.tenant_id = p.tenant_id AND x.sku = p.sku
             WHERE p.tenant_id = ?1 AND p.sku = ?2 AND p.deleted_at IS NULL",
            params![tenant.as_str(), sku.as_str()],
            |row| row.get(0),
        )
        .optional()
        .map_err(map_error)?;
    let Some(stored) = found else {
        return Ok(None);
    };
    let stored = stored
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("enrichment edits: {e}")))
        })
        .transpose()?;
    let edits = EnrichmentEdits::merged(stored, fields, unlock, at);
    let text =
        serde_json::to_string(&edits.fields).map_err(|e| StoreError::Database(e.to_string()))?;
    tx.execute(
        "INSERT INTO enrichment_edits (tenant_id, sku, fields, edited_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant_id, sku) DO UPDATE SET fields = excluded.fields,
             edited_at = excluded.edited_at",
        params![tenant.as_str(), sku.as_str(), text, to_db_time(&at)],
    )
    .map_err(map_error)?;
    tx.commit().map_err(map_error)?;
    Ok(Some(edits))
}
