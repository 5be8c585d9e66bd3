//! Conditional product writes and soft deletes over the API. Each write is an `UPDATE` or
//! `INSERT` whose `WHERE` carries the condition (the expected version, or no live product), so
//! the check and the write are one statement; what is read afterwards only says why nothing
//! was written.

use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{
    Connection, OptionalExtension, Transaction, TransactionBehavior, params, params_from_iter,
};

use super::{map_error, products, to_db_time};
use crate::domain::Sku;
use crate::store::json_columns;
use crate::store::*;

/// Writes `upsert` if `condition` holds; see [`Store::put_product`].
pub(super) fn put(
    c: &mut Connection,
    tenant: &TenantId,
    upsert: &ProductUpsert,
    condition: WriteCondition,
    at: &DateTime<Utc>,
) -> Result<ProductWrite, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let change = match condition {
        WriteCondition::Absent => create_or_restore(&tx, tenant, upsert, at)?,
        WriteCondition::Version(version) => replace(&tx, tenant, upsert, version, at)?,
    };
    finish(tx, tenant, &upsert.content.sku, change)
}

/// Soft-deletes the product if it is live at `version`; see [`Store::delete_product`].
pub(super) fn delete(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
    version: i64,
    at: &DateTime<Utc>,
) -> Result<ProductWrite, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let deleted = tx
        .execute(
            "UPDATE products SET deleted_at = ?4, updated_at = ?4, version = version + 1
             WHERE tenant_id = ?1 AND sku = ?2 AND version = ?3 AND deleted_at IS NULL",
            params![tenant.as_str(), sku.as_str(), version, to_db_time(at)],
        )
        .map_err(map_error)?;
    let change = match deleted {
        1 => Ok(WriteChange::Deleted),
        _ => Err(live_version(&tx, tenant, sku)?),
    };
    finish(tx, tenant, sku, change)
}

/// Commits, and answers with the product as it now is, or with why nothing was written.
fn finish(
    tx: Transaction<'_>,
    tenant: &TenantId,
    sku: &Sku,
    change: Result<WriteChange, Option<i64>>,
) -> Result<ProductWrite, StoreError> {
    let answer = match change {
        Ok(change) => ProductWrite::Done {
            change,
            product: products::get(&tx, tenant, sku)?.map(Box::new),
        },
        Err(current) => ProductWrite::ConditionFailed { current },
    };
    tx.commit().map_err(map_error)?;
    Ok(answer)
}

/// Restores a deleted product with this content, or inserts a new one; a live product makes
/// the condition fail with its version.
fn create_or_restore(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    upsert: &ProductUpsert,
    at: &DateTime<Utc>,
) -> Result<Result<WriteChange, Option<i64>>, StoreError> {
    let restored = write_content(tx, tenant, upsert, at, "deleted_at IS NOT NULL", None)?;
    if restored {
        return Ok(Ok(WriteChange::Restored));
    }
    let inserted = tx
        .execute(
            "INSERT INTO products (tenant_id, sku, title, description, price_minor, currency,
                 quantity, brand, category, gtin, image_url, source, source_updated_at,
                 content_hash, version, created_at, updated_at, parent, options, attributes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 1, ?15, ?15,
                 ?16, ?17, ?18)
             ON CONFLICT (tenant_id, sku) DO NOTHING",
            params_from_iter(content_params(tenant, upsert, at)?),
        )
        .map_err(map_error)?;
    match inserted {
        1 => Ok(Ok(WriteChange::Created)),
        _ => Ok(Err(live_version(tx, tenant, &upsert.content.sku)?)),
    }
}

/// Replaces the live product's content if it is at `version` and the content differs; the
/// same content at that version is unchanged, anything else fails the condition.
fn replace(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    upsert: &ProductUpsert,
    version: i64,
    at: &DateTime<Utc>,
) -> Result<Result<WriteChange, Option<i64>>, StoreError> {
    let condition = "deleted_at IS NULL AND content_hash <> ?14";
    if write_content(tx, tenant, upsert, at, condition, Some(version))? {
        return Ok(Ok(WriteChange::Updated));
    }
    let current: Option<(i64, String)> = tx
        .query_row(
            "SELECT version, content_hash FROM products
             WHERE tenant_id = ?1 AND sku = ?2 AND deleted_at IS NULL",
            params![tenant.as_str(), upsert.content.sku.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(map_error)?;
    Ok(match current {
        Some((v, hash)) if v == version && hash == upsert.content_hash => {
            Ok(WriteChange::Unchanged)
        }
        other => Err(other.map(|(v, _)| v)),
    })
}

/// Parameters ?1 to ?18 of the statements that write a product's content: tenant, SKU, the
/// content's columns, source, content hash and the write's time.
fn content_params(
    tenant: &TenantId,
    upsert: &ProductUpsert,
    at: &DateTime<Utc>,
) -> Result<Vec<SqlValue>, StoreError> {
    let p = &upsert.content;
    let (options, attributes) = json_columns::product_json(p)?;
    Ok(vec![
        tenant.as_str().to_owned().into(),
        p.sku.as_str().to_owned().into(),
        p.title.clone().into(),
        p.description.clone().into(),
        p.price.as_ref().map(|m| m.minor()).into(),
        p.price
            .as_ref()
            .map(|m| m.currency().as_str().to_owned())
            .into(),
        p.quantity.into(),
        p.brand.clone().into(),
        p.category.clone().into(),
        p.gtin.as_ref().map(|g| g.as_str().to_owned()).into(),
        p.image_url.clone().into(),
        upsert.source.clone().into(),
        upsert.source_updated_at.as_ref().map(to_db_time).into(),
        upsert.content_hash.clone().into(),
        to_db_time(at).into(),
        p.parent.clone().into(),
        options.into(),
        attributes.into(),
    ])
}

/// Updates the product's content, clearing any deletion and moving its version on, where
/// `condition` holds and the product is at `version` (any, when `None`); whether a row was
/// written.
fn write_content(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    upsert: &ProductUpsert,
    at: &DateTime<Utc>,
    condition: &str,
    version: Option<i64>,
) -> Result<bool, StoreError> {
    let sql = format!(
        "UPDATE products SET title = ?3, description = ?4, price_minor = ?5, currency = ?6,
             quantity = ?7, brand = ?8, category = ?9, gtin = ?10, image_url = ?11,
             source = ?12, source_updated_at = ?13, content_hash = ?14,
             version = version + 1, updated_at = ?15, parent = ?16, options = ?17,
             attributes = ?18, deleted_at = NULL
         WHERE tenant_id = ?1 AND sku = ?2 AND version = COALESCE(?19, version) AND {condition}"
    );
    let written = tx
        .execute(
            &sql,
            params_from_iter(
                content_params(tenant, upsert, at)?
                    .into_iter()
                    .chain([version.into()]),
            ),
        )
        .map_err(map_error)?;
    Ok(written == 1)
}

/// The live product's version; `None` when there is none.
fn live_version(
    tx: &Transaction<'_>,
    tenant: &TenantId,
    sku: &Sku,
) -> Result<Option<i64>, StoreError> {
    tx.query_row(
        "SELECT version FROM products WHERE tenant_id = ?1 AND sku = ?2 AND deleted_at IS NULL",
        params![tenant.as_str(), sku.as_str()],
        |row| row.get(0),
    )
    .optional()
    .map_err(map_error)
}
