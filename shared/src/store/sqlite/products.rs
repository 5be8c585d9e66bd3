//! Products and their enrichments.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params, params_from_iter};

use super::{from_db_time, map_error, to_db_time};
use crate::domain::{Currency, Gtin, Money, ProductContent, Sku};
use crate::store::json_columns;
use crate::store::*;

const SELECT: &str = "SELECT p.sku, p.title, p.description, p.price_minor, p.currency, p.quantity,
        p.brand, p.category, p.gtin, p.image_url, p.source, p.source_updated_at, p.content_hash,
        p.version, p.created_at, p.updated_at,
        e.content_hash, e.generated_by, e.payload, e.created_at, p.parent, p.options, p.attributes
    FROM products p
    LEFT JOIN enrichments e ON e.tenant_id = p.tenant_id AND e.sku = p.sku";

pub(super) fn list(
    c: &mut Connection,
    tenant: &TenantId,
    query: &ProductQuery,
) -> Result<Vec<ProductView>, StoreError> {
    let mut sql = format!("{SELECT} WHERE p.tenant_id = ?");
    let mut args: Vec<SqlValue> = vec![tenant.as_str().to_owned().into()];
    if let Some(after) = &query.after_sku {
        sql.push_str(" AND p.sku > ?");
        args.push(after.clone().into());
    }
    if let Some(text) = &query.text {
        sql.push_str(
            " AND (p.sku LIKE ? ESCAPE '\\' OR p.title LIKE ? ESCAPE '\\' OR p.brand LIKE ? ESCAPE '\\')",
        );
        let pattern = format!("%{}%", escape_like(text));
        args.extend(std::iter::repeat_n(SqlValue::from(pattern), 3));
    }
    if let Some(category) = &query.category {
        sql.push_str(" AND (p.category = ? OR json_extract(e.payload, '$.category.path') = ?)");
        args.extend([
            SqlValue::from(category.clone()),
            SqlValue::from(category.clone()),
        ]);
    }
    if let Some(since) = &query.updated_since {
        sql.push_str(" AND p.updated_at >= ?");
        args.push(to_db_time(since).into());
    }
    sql.push_str(" ORDER BY p.sku LIMIT ?");
    args.push(i64::from(query.limit).into());
    let mut statement = c.prepare(&sql).map_err(map_error)?;
    let rows = statement
        .query_map(params_from_iter(args), read_product)
        .map_err(map_error)?;
    rows.map(|row| row.map_err(map_error)?.into_view())
        .collect()
}

pub(super) fn get(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
) -> Result<Option<ProductView>, StoreError> {
    c.query_row(
        &format!("{SELECT} WHERE p.tenant_id = ?1 AND p.sku = ?2"),
        params![tenant.as_str(), sku.as_str()],
        read_product,
    )
    .optional()
    .map_err(map_error)?
    .map(RawProduct::into_view)
    .transpose()
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn corrupt(what: &str) -> impl Fn(crate::domain::DomainError) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

/// A product row as stored, before parsing into domain types.
struct RawProduct {
    sku: String,
    title: String,
    description: Option<String>,
    price_minor: Option<i64>,
    currency: Option<String>,
    quantity: Option<i64>,
    brand: Option<String>,
    category: Option<String>,
    gtin: Option<String>,
    image_url: Option<String>,
    source: String,
    source_updated_at: Option<String>,
    content_hash: String,
    version: i64,
    created_at: String,
    updated_at: String,
    enrichment: Option<(String, String, String, String)>,
    parent: Option<String>,
    options: Option<String>,
    attributes: Option<String>,
}

fn read_product(row: &Row<'_>) -> rusqlite::Result<RawProduct> {
    let enrichment = match (row.get(16)?, row.get(17)?, row.get(18)?, row.get(19)?) {
        (Some(hash), Some(by), Some(payload), Some(at)) => Some((hash, by, payload, at)),
        _ => None,
    };
    Ok(RawProduct {
        sku: row.get(0)?,
        title: row.get(1)?,
        description: row.get(2)?,
        price_minor: row.get(3)?,
        currency: row.get(4)?,
        quantity: row.get(5)?,
        brand: row.get(6)?,
        category: row.get(7)?,
        gtin: row.get(8)?,
        image_url: row.get(9)?,
        source: row.get(10)?,
        source_updated_at: row.get(11)?,
        content_hash: row.get(12)?,
        version: row.get(13)?,
        created_at: row.get(14)?,
        updated_at: row.get(15)?,
        enrichment,
        parent: row.get(20)?,
        options: row.get(21)?,
        attributes: row.get(22)?,
    })
}

impl RawProduct {
    fn into_view(self) -> Result<ProductView, StoreError> {
        let price = match (self.price_minor, self.currency) {
            (Some(minor), Some(code)) => {
                let currency = Currency::parse(&code).map_err(corrupt("currency"))?;
                Some(Money::from_minor(minor, currency).map_err(corrupt("price"))?)
            }
            _ => None,
        };
        let enrichment = match self.enrichment {
            None => None,
            Some((content_hash, generated_by, payload, at)) => Some(EnrichmentRecord {
                content_hash,
                generated_by,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| StoreError::Corrupt(format!("enrichment payload: {e}")))?,
                created_at: from_db_time(&at)?,
            }),
        };
        let content = ProductContent {
            sku: Sku::parse(&self.sku).map_err(corrupt("sku"))?,
            title: self.title,
            description: self.description,
            price,
            quantity: self.quantity,
            brand: self.brand,
            category: self.category,
            gtin: self
                .gtin
                .as_deref()
                .map(Gtin::parse)
                .transpose()
                .map_err(corrupt("gtin"))?,
            image_url: self.image_url,
            parent: self.parent,
            options: json_columns::from_json(self.options.as_deref(), "product options")?,
            attributes: json_columns::from_json(self.attributes.as_deref(), "product attributes")?,
        };
        Ok(ProductView {
            content,
            source: self.source,
            source_updated_at: self
                .source_updated_at
                .as_deref()
                .map(from_db_time)
                .transpose()?,
            content_hash: self.content_hash,
            version: self.version,
            created_at: from_db_time(&self.created_at)?,
            updated_at: from_db_time(&self.updated_at)?,
            enrichment,
        })
    }
}

pub(super) fn save_enrichment(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
    enrichment: &EnrichmentRecord,
) -> Result<SaveOutcome, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let current: Option<(String, Option<String>)> = tx
        .query_row(
            "SELECT p.content_hash, e.content_hash FROM products p
             LEFT JOIN enrichments e ON e.tenant_id = p.tenant_id AND e.sku = p.sku
             WHERE p.tenant_id = ?1 AND p.sku = ?2",
            params![tenant.as_str(), sku.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(map_error)?;
    let outcome = match current {
        None => SaveOutcome::Stale,
        Some((product_hash, _)) if product_hash != enrichment.content_hash => SaveOutcome::Stale,
        Some((_, Some(enriched))) if enriched == enrichment.content_hash => {
            SaveOutcome::AlreadyCurrent
        }
        Some(_) => {
            let payload = serde_json::to_string(&enrichment.payload)
                .map_err(|e| StoreError::Database(e.to_string()))?;
            tx.execute(
                "INSERT INTO enrichments (tenant_id, sku, content_hash, generated_by, payload, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (tenant_id, sku) DO UPDATE SET content_hash = excluded.content_hash,
                     generated_by = excluded.generated_by, payload = excluded.payload,
                     created_at = excluded.created_at",
                params![
                    tenant.as_str(),
                    sku.as_str(),
                    enrichment.content_hash,
                    enrichment.generated_by,
                    payload,
                    to_db_time(&enrichment.created_at)
                ],
            )
            .map_err(map_error)?;
            SaveOutcome::Saved
        }
    };
    tx.commit().map_err(map_error)?;
    Ok(outcome)
}
