//! Products and their enrichments.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::{from_db_time, map_error, query_row_cached, to_db_time};
use crate::domain::{Currency, Gtin, Money, ProductContent, Sku};
use crate::store::json_columns;
use crate::store::*;

pub(super) const SELECT: &str =
    "SELECT p.sku, p.title, p.description, p.price_minor, p.currency, p.quantity,
        p.brand, p.category, p.gtin, p.image_url, p.source, p.source_updated_at, p.content_hash,
        p.version, p.created_at, p.updated_at,
        e.content_hash, e.generated_by, e.payload, e.created_at, p.parent, p.options, p.attributes,
        e.prompt_version, e.provenance, e.waiting_for_budget, x.fields, x.edited_at
    FROM products p
    LEFT JOIN enrichments e ON e.tenant_id = p.tenant_id AND e.sku = p.sku
    LEFT JOIN enrichment_edits x ON x.tenant_id = p.tenant_id AND x.sku = p.sku";

pub(super) fn get(
    c: &Connection,
    tenant: &TenantId,
    sku: &Sku,
) -> Result<Option<ProductView>, StoreError> {
    // Through the statement cache: preparing this three-table join cost as much as running it
    // (half the store's time per `GET /api/products/{sku}` in the load benchmark).
    query_row_cached(
        c,
        &format!("{SELECT} WHERE p.tenant_id = ?1 AND p.sku = ?2 AND p.deleted_at IS NULL"),
        params![tenant.as_str(), sku.as_str()],
        read_product,
    )
    .optional()
    .map_err(map_error)?
    .map(RawProduct::into_view)
    .transpose()
}

fn corrupt(what: &str) -> impl Fn(crate::domain::DomainError) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

/// A product row as stored, before parsing into domain types.
pub(super) struct RawProduct {
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
    enrichment: Option<RawEnrichment>,
    edits: Option<(String, String)>,
    parent: Option<String>,
    options: Option<String>,
    attributes: Option<String>,
}

struct RawEnrichment {
    content_hash: String,
    generated_by: String,
    payload: String,
    created_at: String,
    prompt_version: String,
    provenance: String,
    waiting_for_budget: bool,
}

impl RawEnrichment {
    fn into_record(self) -> Result<EnrichmentRecord, StoreError> {
        Ok(EnrichmentRecord {
            payload: enrichment_json("payload", &self.payload)?,
            provenance: enrichment_json("provenance", &self.provenance)?,
            content_hash: self.content_hash,
            prompt_version: self.prompt_version,
            generated_by: self.generated_by,
            waiting_for_budget: self.waiting_for_budget,
            created_at: from_db_time(&self.created_at)?,
        })
    }
}

fn enrichment_json<T: serde::de::DeserializeOwned>(
    what: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("enrichment {what}: {e}")))
}

pub(super) fn read_product(row: &Row<'_>) -> rusqlite::Result<RawProduct> {
    let enrichment = match row.get::<_, Option<String>>(16)? {
        None => None,
        Some(content_hash) => Some(RawEnrichment {
            content_hash,
            generated_by: row.get(17)?,
            payload: row.get(18)?,
            created_at: row.get(19)?,
            prompt_version: row.get(23)?,
            provenance: row.get(24)?,
            waiting_for_budget: row.get(25)?,
        }),
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
        edits: match row.get::<_, Option<String>>(26)? {
            None => None,
            Some(fields) => Some((fields, row.get(27)?)),
        },
        parent: row.get(20)?,
        options: row.get(21)?,
        attributes: row.get(22)?,
    })
}

impl RawProduct {
    pub(super) fn into_view(self) -> Result<ProductView, StoreError> {
        let price = match (self.price_minor, self.currency) {
            (Some(minor), Some(code)) => {
                let currency = Currency::parse(&code).map_err(corrupt("currency"))?;
                Some(Money::from_minor(minor, currency).map_err(corrupt("price"))?)
            }
            _ => None,
        };
        let enrichment = self
            .enrichment
            .map(RawEnrichment::into_record)
            .transpose()?;
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
            edits: self
                .edits
                .map(|(fields, edited_at)| {
                    Ok::<_, StoreError>(EnrichmentEdits {
                        fields: serde_json::from_str(&fields)
                            .map_err(|e| StoreError::Corrupt(format!("enrichment edits: {e}")))?,
                        edited_at: from_db_time(&edited_at)?,
                    })
                })
                .transpose()?,
        })
    }
}

pub(super) fn save_enrichment(
    c: &mut Connection,
    tenant: &TenantId,
    sku: &Sku,
    enrichment: &EnrichmentRecord,
    replaces_before: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<SaveOutcome, StoreError> {
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(map_error)?;
    let slot = tx
        .query_row(
            "SELECT p.content_hash, e.content_hash, e.prompt_version, e.waiting_for_budget,
                 e.created_at
             FROM products p
             LEFT JOIN enrichments e ON e.tenant_id = p.tenant_id AND e.sku = p.sku
             WHERE p.tenant_id = ?1 AND p.sku = ?2",
            params![tenant.as_str(), sku.as_str()],
            |row| {
                let stored = match row.get::<_, Option<String>>(1)? {
                    None => None,
                    Some(content_hash) => Some((
                        content_hash,
                        row.get(2)?,
                        row.get(3)?,
                        row.get::<_, String>(4)?,
                    )),
                };
                Ok((row.get::<_, String>(0)?, stored))
            },
        )
        .optional()
        .map_err(map_error)?;
    let slot = slot.map(into_slot).transpose()?;
    let outcome = enrichment.save_over(slot.as_ref(), replaces_before);
    if outcome == SaveOutcome::Saved {
        tx.execute(
            "INSERT INTO enrichments (tenant_id, sku, content_hash, generated_by, payload,
                     created_at, prompt_version, provenance, waiting_for_budget)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (tenant_id, sku) DO UPDATE SET content_hash = excluded.content_hash,
                     generated_by = excluded.generated_by, payload = excluded.payload,
                     created_at = excluded.created_at, prompt_version = excluded.prompt_version,
                     provenance = excluded.provenance,
                     waiting_for_budget = excluded.waiting_for_budget",
            params![
                tenant.as_str(),
                sku.as_str(),
                enrichment.content_hash,
                enrichment.generated_by,
                to_json(&enrichment.payload)?,
                to_db_time(&enrichment.created_at),
                enrichment.prompt_version,
                to_json(&enrichment.provenance)?,
                enrichment.waiting_for_budget,
            ],
        )
        .map_err(map_error)?;
    }
    tx.commit().map_err(map_error)?;
    Ok(outcome)
}

type RawSlot = (String, Option<(String, String, bool, String)>);

fn into_slot((product_hash, stored): RawSlot) -> Result<EnrichmentSlot, StoreError> {
    let stored = match stored {
        None => None,
        Some((content_hash, prompt_version, waiting_for_budget, at)) => Some(StoredEnrichmentKey {
            content_hash,
            prompt_version,
            waiting_for_budget,
            created_at: from_db_time(&at)?,
        }),
    };
    Ok(EnrichmentSlot {
        product_hash,
        stored,
    })
}

fn to_json(value: &impl serde::Serialize) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(e.to_string()))
}

/// Tokens `tenant` spent on `day`.
pub(super) fn ai_tokens_spent(
    c: &mut Connection,
    tenant: &TenantId,
    day: &str,
) -> Result<u64, StoreError> {
    let tokens: Option<i64> = c
        .query_row(
            "SELECT tokens FROM ai_token_usage WHERE tenant_id = ?1 AND day = ?2",
            params![tenant.as_str(), day],
            |row| row.get(0),
        )
        .optional()
        .map_err(map_error)?;
    Ok(tokens.unwrap_or(0).max(0) as u64)
}

/// Adds `tokens` to what `tenant` spent on `day`.
pub(super) fn add_ai_tokens(
    c: &mut Connection,
    tenant: &TenantId,
    day: &str,
    tokens: u64,
) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO ai_token_usage (tenant_id, day, tokens) VALUES (?1, ?2, ?3)
         ON CONFLICT (tenant_id, day) DO UPDATE SET tokens = tokens + excluded.tokens",
        params![
            tenant.as_str(),
            day,
            i64::try_from(tokens).unwrap_or(i64::MAX)
        ],
    )
    .map_err(map_error)?;
    Ok(())
}

/// Live products changed in `(after, before]` with no enrichment for their current content,
/// the longest waiting first.
pub(super) fn products_missing_enrichment(
    c: &mut Connection,
    after: DateTime<Utc>,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<WaitingEnrichment>, StoreError> {
    let mut statement = c
        .prepare(
            "SELECT p.tenant_id, p.sku, p.content_hash FROM tenants AS t
             JOIN products AS p ON p.tenant_id = t.id
             WHERE p.updated_at > ?1 AND p.updated_at <= ?2 AND p.deleted_at IS NULL
               AND NOT EXISTS (SELECT 1 FROM enrichments AS e WHERE e.tenant_id = p.tenant_id
                   AND e.sku = p.sku AND e.content_hash = p.content_hash)
             ORDER BY p.updated_at, p.tenant_id, p.sku LIMIT ?3",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map(
            params![to_db_time(&after), to_db_time(&before), limit],
            waiting_row,
        )
        .map_err(map_error)?;
    collect_waiting(rows)
}

/// The tenants with enrichments waiting for budget.
pub(super) fn tenants_waiting_for_budget(c: &mut Connection) -> Result<Vec<TenantId>, StoreError> {
    let mut statement = c
        .prepare(
            "SELECT DISTINCT tenant_id FROM enrichments WHERE waiting_for_budget = 1
             ORDER BY tenant_id",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map([], |row| row.get::<_, String>(0))
        .map_err(map_error)?;
    let mut tenants = Vec::new();
    for row in rows {
        let tenant = row.map_err(map_error)?;
        tenants.push(TenantId::parse(&tenant).map_err(corrupt("tenant_id"))?);
    }
    Ok(tenants)
}

/// The tenant's enrichments waiting for budget, oldest first.
pub(super) fn enrichments_waiting_for_budget(
    c: &mut Connection,
    tenant: &TenantId,
    limit: u32,
) -> Result<Vec<WaitingEnrichment>, StoreError> {
    let mut statement = c
        .prepare(
            "SELECT tenant_id, sku, content_hash FROM enrichments
             WHERE tenant_id = ?1 AND waiting_for_budget = 1 ORDER BY created_at, sku LIMIT ?2",
        )
        .map_err(map_error)?;
    let rows = statement
        .query_map(params![tenant.as_str(), limit], waiting_row)
        .map_err(map_error)?;
    collect_waiting(rows)
}

/// A (tenant, SKU, content hash) row.
fn waiting_row(row: &Row<'_>) -> rusqlite::Result<(String, String, String)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
}

fn collect_waiting(
    rows: impl Iterator<Item = rusqlite::Result<(String, String, String)>>,
) -> Result<Vec<WaitingEnrichment>, StoreError> {
    let mut waiting = Vec::new();
    for row in rows {
        let (tenant, sku, content_hash) = row.map_err(map_error)?;
        waiting.push(WaitingEnrichment {
            tenant: TenantId::parse(&tenant).map_err(corrupt("tenant_id"))?,
            sku: Sku::parse(&sku).map_err(corrupt("sku"))?,
            content_hash,
        });
    }
    Ok(waiting)
}
