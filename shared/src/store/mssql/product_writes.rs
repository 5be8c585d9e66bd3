//! Conditional product writes and soft deletes over the API. Each write is one `UPDATE` or
//! `INSERT` whose `WHERE` carries the condition (the expected version, or no live product), so
//! the check and the write are one statement; what is read afterwards only says why nothing
//! was written. The caller holds the transaction.

use chrono::{DateTime, Utc};
use tiberius::ToSql;

use super::config::Connection;
use super::rows::{exec, query, required_int, required_text, to_db_time};
use super::{products, sql};
use crate::domain::Sku;
use crate::store::json_columns;
use crate::store::*;

/// Writes `upsert` if `condition` holds; see [`Store::put_product`].
pub(super) async fn put(
    c: &mut Connection,
    tenant: &TenantId,
    upsert: &ProductUpsert,
    condition: WriteCondition,
    at: DateTime<Utc>,
) -> Result<ProductWrite, StoreError> {
    let p = &upsert.content;
    let (options, attributes) = json_columns::product_json(p)?;
    let (tenant_id, sku) = (tenant.as_str(), p.sku.as_str());
    let price_minor = p.price.as_ref().map(|m| m.minor());
    let currency = p.price.as_ref().map(|m| m.currency().as_str());
    let gtin = p.gtin.as_ref().map(|g| g.as_str());
    let source_updated_at = upsert.source_updated_at.as_ref().map(to_db_time);
    let now = to_db_time(&at);
    let mut params: Vec<&dyn ToSql> = vec![
        &tenant_id,
        &sku,
        &p.title,
        &p.description,
        &price_minor,
        &currency,
        &p.quantity,
        &p.brand,
        &p.category,
        &gtin,
        &p.image_url,
        &upsert.source,
        &source_updated_at,
        &upsert.content_hash,
        &now,
        &p.parent,
        &options,
        &attributes,
    ];
    let change = match condition {
        WriteCondition::Absent => {
            if exec(c, &sql::restore_product(), &params).await? == 1 {
                Ok(WriteChange::Restored)
            } else if exec(c, sql::INSERT_PRODUCT, &params).await? == 1 {
                Ok(WriteChange::Created)
            } else {
                Err(live(c, tenant, &p.sku).await?.map(|(v, _)| v))
            }
        }
        WriteCondition::Version(version) => {
            params.push(&version);
            if exec(c, &sql::replace_product(), &params).await? == 1 {
                Ok(WriteChange::Updated)
            } else {
                match live(c, tenant, &p.sku).await? {
                    Some((v, hash)) if v == version && hash == upsert.content_hash => {
                        Ok(WriteChange::Unchanged)
                    }
                    other => Err(other.map(|(v, _)| v)),
                }
            }
        }
    };
    answer(c, tenant, &p.sku, change).await
}

/// Soft-deletes the product if it is live at `version`; see [`Store::delete_product`].
pub(super) async fn delete(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
    version: i64,
    at: DateTime<Utc>,
) -> Result<ProductWrite, StoreError> {
    let now = to_db_time(&at);
    let params: [&dyn ToSql; 4] = [&tenant.as_str(), &sku.as_str(), &version, &now];
    let change = match exec(c, sql::DELETE_PRODUCT, &params).await? {
        1 => Ok(WriteChange::Deleted),
        _ => Err(live(c, tenant, sku).await?.map(|(v, _)| v)),
    };
    answer(c, tenant, sku, change).await
}

/// The product as it now is, or why nothing was written.
async fn answer(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
    change: Result<WriteChange, Option<i64>>,
) -> Result<ProductWrite, StoreError> {
    Ok(match change {
        Ok(change) => ProductWrite::Done {
            change,
            product: products::get(c, tenant, sku).await?.map(Box::new),
        },
        Err(current) => ProductWrite::ConditionFailed { current },
    })
}

/// The live product's version and content hash.
async fn live(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
) -> Result<Option<(i64, String)>, StoreError> {
    let rows = query(c, sql::LIVE_PRODUCT, &[&tenant.as_str(), &sku.as_str()]).await?;
    rows.first()
        .map(|row| {
            Ok((
                required_int(row, 0, "version")?,
                required_text(row, 1, "content_hash")?,
            ))
        })
        .transpose()
}
