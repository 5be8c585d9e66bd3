//! Products and their enrichments.

use chrono::NaiveDate;
use tiberius::{Row, ToSql};

use super::config::Connection;
use super::rows::{
    exec, flag, int, query, required_int, required_text, required_time, text, time, to_db_time,
};
use super::sql::{self, ListFilters};
use crate::domain::{Currency, Gtin, Money, ProductContent, Sku};
use crate::store::json_columns;
use crate::store::*;

/// One page of the tenant's live products, in the query's order.
pub(super) async fn list(
    c: &mut Connection,
    tenant: &TenantId,
    q: &ProductQuery,
) -> Result<Vec<ProductView>, StoreError> {
    let filters = ListFilters {
        sort: q.sort,
        after: q.after.is_some(),
        text: q.text.is_some(),
        category: q.category.is_some(),
        updated_since: q.updated_since.is_some(),
        brand: q.brand.is_some(),
        in_stock: q.in_stock,
        price: q
            .price
            .map(|r| (r.min_minor.is_some(), r.max_minor.is_some())),
    };
    let after_key = q
        .after
        .as_ref()
        .map(|after| after_key(q.sort, after))
        .transpose()?
        .flatten();
    let after_sku = q.after.as_ref().map(ProductPosition::sku);
    let pattern = q.text.as_deref().map(sql::escape_like);
    let since = q.updated_since.as_ref().map(to_db_time);
    let currency = q.price.map(|r| r.currency.as_str());
    let (min, max) = (
        q.price.and_then(|r| r.min_minor),
        q.price.and_then(|r| r.max_minor),
    );
    let limit = i64::from(q.limit);
    let tenant = tenant.as_str();
    // In the order list_products numbers them: tenant, the present filters, the limit.
    let mut params: Vec<&dyn ToSql> = vec![&tenant];
    if let Some(key) = &after_key {
        params.push(key.as_ref());
    }
    if let Some(sku) = &after_sku {
        params.push(sku);
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
    if let Some(brand) = &q.brand {
        params.push(brand);
    }
    if let Some(currency) = &currency {
        params.push(currency);
    }
    if let Some(min) = &min {
        params.push(min);
    }
    if let Some(max) = &max {
        params.push(max);
    }
    params.push(&limit);
    let rows = query(c, &sql::list_products(filters), &params).await?;
    rows.iter().map(read_product).collect()
}

/// The sort key of `after` as a parameter; `None` when the listing is by SKU, whose key is
/// the tie-break itself.
fn after_key(
    sort: ProductSort,
    after: &ProductPosition,
) -> Result<Option<Box<dyn ToSql + Send + Sync>>, StoreError> {
    match (sort.field, after) {
        (SortField::Sku, ProductPosition::Sku(_)) => Ok(None),
        (SortField::Title, ProductPosition::Title { title, .. }) => {
            Ok(Some(Box::new(title.clone())))
        }
        (SortField::UpdatedAt, ProductPosition::UpdatedAt { updated_at, .. }) => {
            Ok(Some(Box::new(to_db_time(updated_at))))
        }
        _ => Err(StoreError::Database(
            "a listing position of another sort order".into(),
        )),
    }
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
    let enrichment = match text(row, 16, "enrichments.content_hash")? {
        None => None,
        Some(content_hash) => Some(read_enrichment(row, content_hash)?),
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
        edits: read_edits(row)?,
    })
}

/// The locked fields of a [`sql::get_product`] row, when a person edited any.
fn read_edits(row: &Row) -> Result<Option<EnrichmentEdits>, StoreError> {
    let Some(fields) = text(row, 26, "enrichment_edits.fields")? else {
        return Ok(None);
    };
    Ok(Some(EnrichmentEdits {
        fields: serde_json::from_str(&fields)
            .map_err(|e| StoreError::Corrupt(format!("enrichment_edits.fields: {e}")))?,
        edited_at: required_time(row, 27, "enrichment_edits.edited_at")?,
    }))
}

/// The enrichment columns of a [`sql::get_product`] row whose enrichment exists.
fn read_enrichment(row: &Row, content_hash: String) -> Result<EnrichmentRecord, StoreError> {
    Ok(EnrichmentRecord {
        content_hash,
        generated_by: required_text(row, 17, "enrichments.generated_by")?,
        payload: json_column(row, 18, "enrichments.payload")?,
        created_at: required_time(row, 19, "enrichments.created_at")?,
        prompt_version: required_text(row, 23, "enrichments.prompt_version")?,
        provenance: json_column(row, 24, "enrichments.provenance")?,
        waiting_for_budget: flag(row, 25, "enrichments.waiting_for_budget")?.unwrap_or(false),
    })
}

fn json_column<T: serde::de::DeserializeOwned>(
    row: &Row,
    index: usize,
    what: &str,
) -> Result<T, StoreError> {
    let text = required_text(row, index, what)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A row of [`sql::ENRICHMENT_STATE`].
fn read_slot(row: &Row) -> Result<EnrichmentSlot, StoreError> {
    let stored = match text(row, 1, "enrichments.content_hash")? {
        None => None,
        Some(content_hash) => Some(StoredEnrichmentKey {
            content_hash,
            prompt_version: required_text(row, 2, "enrichments.prompt_version")?,
            waiting_for_budget: flag(row, 3, "enrichments.waiting_for_budget")?.unwrap_or(false),
            created_at: required_time(row, 4, "enrichments.created_at")?,
        }),
    };
    Ok(EnrichmentSlot {
        product_hash: required_text(row, 0, "products.content_hash")?,
        stored,
    })
}

/// Stores `enrichment` unless the product moved on or already has it; the caller holds the
/// transaction.
pub(super) async fn save_enrichment(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
    enrichment: &EnrichmentRecord,
    replaces_before: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<SaveOutcome, StoreError> {
    let (tenant, sku) = (tenant.as_str(), sku.as_str());
    let rows = query(c, sql::ENRICHMENT_STATE, &[&tenant, &sku]).await?;
    let slot = rows.first().map(read_slot).transpose()?;
    let outcome = enrichment.save_over(slot.as_ref(), replaces_before);
    if outcome == SaveOutcome::Saved {
        let payload = serde_json::to_string(&enrichment.payload)
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let provenance = serde_json::to_string(&enrichment.provenance)
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let created_at = to_db_time(&enrichment.created_at);
        let params: [&dyn ToSql; 9] = [
            &tenant,
            &sku,
            &enrichment.content_hash,
            &enrichment.generated_by,
            &payload,
            &created_at,
            &enrichment.prompt_version,
            &provenance,
            &enrichment.waiting_for_budget,
        ];
        exec(c, sql::SAVE_ENRICHMENT, &params).await?;
    }
    Ok(outcome)
}

/// Tokens `tenant` spent on `day`.
pub(super) async fn ai_tokens_spent(
    c: &mut Connection,
    tenant: &TenantId,
    day: NaiveDate,
) -> Result<u64, StoreError> {
    let rows = query(c, sql::AI_TOKENS_SPENT, &[&tenant.as_str(), &day]).await?;
    let tokens = match rows.first() {
        None => 0,
        Some(row) => required_int(row, 0, "ai_token_usage.tokens")?,
    };
    Ok(tokens.max(0) as u64)
}

/// Adds `tokens` to what `tenant` spent on `day`.
pub(super) async fn add_ai_tokens(
    c: &mut Connection,
    tenant: &TenantId,
    day: NaiveDate,
    tokens: u64,
) -> Result<(), StoreError> {
    let tokens = i64::try_from(tokens).unwrap_or(i64::MAX);
    exec(c, sql::ADD_AI_TOKENS, &[&tenant.as_str(), &day, &tokens]).await?;
    Ok(())
}

/// The tenants with enrichments waiting for budget.
pub(super) async fn tenants_waiting_for_budget(
    c: &mut Connection,
) -> Result<Vec<TenantId>, StoreError> {
    let rows = query(c, sql::TENANTS_WAITING_FOR_BUDGET, &[]).await?;
    rows.iter()
        .map(|row| {
            TenantId::parse(&required_text(row, 0, "enrichments.tenant_id")?)
                .map_err(corrupt("tenant_id"))
        })
        .collect()
}

/// The tenant's enrichments waiting for budget, the longest waiting first.
pub(super) async fn enrichments_waiting_for_budget(
    c: &mut Connection,
    tenant: &TenantId,
    limit: u32,
) -> Result<Vec<WaitingEnrichment>, StoreError> {
    let limit = i64::from(limit);
    let rows = query(
        c,
        sql::ENRICHMENTS_WAITING_FOR_BUDGET,
        &[&limit, &tenant.as_str()],
    )
    .await?;
    rows.iter().map(waiting_row).collect()
}

/// Live products changed in `(after, before]` with no enrichment for their current content,
/// the longest waiting first.
pub(super) async fn products_missing_enrichment(
    c: &mut Connection,
    after: DateTime<Utc>,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<WaitingEnrichment>, StoreError> {
    let limit = i64::from(limit);
    let (after, before) = (to_db_time(&after), to_db_time(&before));
    let rows = query(
        c,
        sql::PRODUCTS_MISSING_ENRICHMENT,
        &[&limit, &after, &before],
    )
    .await?;
    rows.iter().map(waiting_row).collect()
}

/// A (tenant, SKU, content hash) row.
fn waiting_row(row: &Row) -> Result<WaitingEnrichment, StoreError> {
    Ok(WaitingEnrichment {
        tenant: TenantId::parse(&required_text(row, 0, "tenant_id")?)
            .map_err(corrupt("tenant_id"))?,
        sku: Sku::parse(&required_text(row, 1, "sku")?).map_err(corrupt("sku"))?,
        content_hash: required_text(row, 2, "content_hash")?,
    })
}
