//! Products and their enrichments.

use tiberius::{Row, ToSql};

use super::config::Connection;
use super::rows::{
    exec, int, query, required_int, required_text, required_time, text, time, to_db_time,
};
use super::sql::{self, ListFilters};
use crate::domain::{Currency, Gtin, Money, ProductContent, Sku};
use crate::store::json_columns;
use crate::store::*;

/// One page of the tenant's products, by SKU.
pub(super) async fn list(
    c: &mut Connection,
    tenant: &TenantId,
    q: &ProductQuery,
) -> Result<Vec<ProductView>, StoreError> {
    let filters = ListFilters {
        after_sku: q.after_sku.is_some(),
        text: q.text.is_some(),
        category: q.category.is_some(),
        updated_since: q.updated_since.is_some(),
    };
    let pattern = q.text.as_deref().map(sql::escape_like);
    let since = q.updated_since.as_ref().map(to_db_time);
    let limit = i64::from(q.limit);
    let tenant = tenant.as_str();
    // In the order list_products numbers them: tenant, the present filters, the limit.
    let mut params: Vec<&dyn ToSql> = vec![&tenant];
    if let Some(after) = &q.after_sku {
        params.push(after);
    }
    if let Some(pattern) = &pattern {
        params.push(pattern);
    }
    if let Some(category) = &q.category {
        params.push(category);
    }
    if let Some(since) = &since {
        params.push(since);
    }
    params.push(&limit);
    let rows = query(c, &sql::list_products(filters), &params).await?;
    rows.iter().map(read_product).collect()
}

/// One product with its enrichment.
pub(super) async fn get(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
) -> Result<Option<ProductView>, StoreError> {
    let rows = query(c, &sql::get_product(), &[&tenant.as_str(), &sku.as_str()]).await?;
    rows.first().map(read_product).transpose()
}

fn corrupt(what: &str) -> impl Fn(crate::domain::DomainError) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

/// Reads a row of [`sql::list_products`] / [`sql::get_product`].
fn read_product(row: &Row) -> Result<ProductView, StoreError> {
    if row.len() != sql::PRODUCT_COLUMNS {
        return Err(StoreError::Database(format!(
            "expected {} product columns, got {}",
            sql::PRODUCT_COLUMNS,
            row.len()
        )));
    }
    let price = match (int(row, 3, "price_minor")?, text(row, 4, "currency")?) {
        (Some(minor), Some(code)) => {
            let currency = Currency::parse(&code).map_err(corrupt("currency"))?;
            Some(Money::from_minor(minor, currency).map_err(corrupt("price"))?)
        }
        _ => None,
    };
    let enrichment = match (
        text(row, 16, "enrichments.content_hash")?,
        text(row, 17, "enrichments.generated_by")?,
        text(row, 18, "enrichments.payload")?,
        time(row, 19, "enrichments.created_at")?,
    ) {
        (Some(content_hash), Some(generated_by), Some(payload), Some(created_at)) => {
            Some(EnrichmentRecord {
                content_hash,
                generated_by,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(format!("enrichment payload: {e}")))?,
                created_at,
            })
        }
        _ => None,
    };
    let sku = required_text(row, 0, "sku")?;
    let content = ProductContent {
        sku: Sku::parse(&sku).map_err(corrupt("sku"))?,
        title: required_text(row, 1, "title")?,
        description: text(row, 2, "description")?,
        price,
        quantity: int(row, 5, "quantity")?,
        brand: text(row, 6, "brand")?,
        category: text(row, 7, "category")?,
        gtin: text(row, 8, "gtin")?
            .as_deref()
            .map(Gtin::parse)
            .transpose()
            .map_err(corrupt("gtin"))?,
        image_url: text(row, 9, "image_url")?,
        parent: text(row, 20, "parent")?,
        options: json_columns::from_json(text(row, 21, "options")?.as_deref(), "product options")?,
        attributes: json_columns::from_json(
            text(row, 22, "attributes")?.as_deref(),
            "product attributes",
        )?,
    };
    Ok(ProductView {
        content,
        source: required_text(row, 10, "source")?,
        source_updated_at: time(row, 11, "source_updated_at")?,
        content_hash: required_text(row, 12, "content_hash")?,
        version: required_int(row, 13, "version")?,
        created_at: required_time(row, 14, "created_at")?,
        updated_at: required_time(row, 15, "updated_at")?,
        enrichment,
    })
}

/// Stores `enrichment` unless the product moved on or already has it; the caller holds the
/// transaction.
pub(super) async fn save_enrichment(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
    enrichment: &EnrichmentRecord,
) -> Result<SaveOutcome, StoreError> {
    let (tenant, sku) = (tenant.as_str(), sku.as_str());
    let rows = query(c, sql::ENRICHMENT_STATE, &[&tenant, &sku]).await?;
    let current = match rows.first() {
        None => None,
        Some(row) => Some((
            required_text(row, 0, "products.content_hash")?,
            text(row, 1, "enrichments.content_hash")?,
        )),
    };
    Ok(match current {
        None => SaveOutcome::Stale,
        Some((product_hash, _)) if product_hash != enrichment.content_hash => SaveOutcome::Stale,
        Some((_, Some(enriched))) if enriched == enrichment.content_hash => {
            SaveOutcome::AlreadyCurrent
        }
        Some(_) => {
            let payload = serde_json::to_string(&enrichment.payload)
                .map_err(|e| StoreError::Database(e.to_string()))?;
            let created_at = to_db_time(&enrichment.created_at);
            let params: [&dyn ToSql; 6] = [
                &tenant,
                &sku,
                &enrichment.content_hash,
                &enrichment.generated_by,
                &payload,
                &created_at,
            ];
            exec(c, sql::SAVE_ENRICHMENT, &params).await?;
            SaveOutcome::Saved
        }
    })
}
