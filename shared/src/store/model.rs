//! The records the store reads and writes.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{ProductContent, Sku, TenantId};
use crate::ingest::record::FeedKind;

/// A product as an ingestion batch wants it stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductUpsert {
    /// What it says.
    pub content: ProductContent,
    /// The partner's last-modified time.
    pub source_updated_at: Option<DateTime<Utc>>,
    /// Where this version came from.
    pub source: String,
    /// [`ProductContent::content_hash`] of `content`.
    pub content_hash: String,
}

impl ProductUpsert {
    /// An upsert of `content` from `source`, with its hash.
    pub fn new(
        content: ProductContent,
        source_updated_at: Option<DateTime<Utc>>,
        source: &str,
    ) -> Self {
        let content_hash = content.content_hash();
        Self {
            content,
            source_updated_at,
            source: source.to_owned(),
            content_hash,
        }
    }
}

/// A stock level as an inventory feed gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryUpsert {
    /// The SKU.
    pub sku: crate::domain::Sku,
    /// Where the stock is (warehouse, store); `default` when the feed names none.
    pub location: String,
    /// Units available; may be negative (oversold) when the feed says so.
    pub quantity: i64,
    /// When the level was true; a level older than the stored one is ignored.
    pub as_of: Option<DateTime<Utc>>,
}

/// An order as an order feed gives it, lines included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderUpsert {
    /// The partner's order id (unique per tenant).
    pub order_id: String,
    /// When the order was placed.
    pub placed_at: DateTime<Utc>,
    /// The order's currency; every amount is in it.
    pub currency: crate::domain::Currency,
    /// The order total, when given (else the sum of the lines).
    pub total_minor: i64,
    /// Tax, when given.
    pub tax_minor: Option<i64>,
    /// Shipping, when given.
    pub shipping_minor: Option<i64>,
    /// The partner's customer reference (never personal data beyond what the feed carries).
    pub customer_ref: Option<String>,
    /// The sales channel ("web", "pos", "shopify"), trimmed and lower-cased; `None` when the
    /// feed names none.
    #[serde(default)]
    pub channel: Option<String>,
    /// The lines, in feed order.
    pub lines: Vec<OrderLineUpsert>,
}

impl OrderUpsert {
    /// SHA-256 hex of the order and its lines, in feed order: an order re-exported unchanged
    /// is not written again. The time is cut to the millisecond, as the store keeps it.
    pub fn content_hash(&self) -> String {
        use sha2::{Digest, Sha256};
        let lines: Vec<_> = self
            .lines
            .iter()
            .map(|l| serde_json::json!([l.sku.as_str(), l.quantity, l.unit_price_minor]))
            .collect();
        let mut canonical = serde_json::json!([
            self.order_id,
            self.placed_at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            self.currency.as_str(),
            self.total_minor,
            self.tax_minor,
            self.shipping_minor,
            self.customer_ref,
            lines,
        ]);
        // Only a channel that is there joins the hash, so orders stored before channels
        // existed keep their hash and a replayed old file stays a no-op.
        if let (Some(channel), Some(parts)) = (&self.channel, canonical.as_array_mut()) {
            parts.push(channel.as_str().into());
        }
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLineUpsert {
    /// The SKU ordered.
    pub sku: crate::domain::Sku,
    /// Units ordered (> 0).
    pub quantity: i64,
    /// Price per unit, in the order's currency's minor units.
    pub unit_price_minor: i64,
}

/// A rejected feed row, as stored and reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RejectedRow {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    /// The canonical column, or empty for the whole row.
    pub column: String,
    /// The offending value.
    pub value: String,
    /// Why it was rejected.
    pub reason: String,
}

/// What a batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Records (products, levels, orders) new to the tenant.
    pub inserted: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Records already stored as they are (or, for stock levels, older than what is).
    pub unchanged: u64,
}

/// A product a run inserted or changed: it owes one enrichment message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductChange {
    /// The SKU.
    pub sku: Sku,
    /// The content the change stored.
    pub content_hash: String,
    /// `true` if the run created the product.
    pub inserted: bool,
}

/// Starting (or finding) an ingestion run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestRunStart {
    /// The tenant that owns the file.
    pub tenant: TenantId,
    /// Unique per delivered file version (the Event Grid event id).
    pub run_key: String,
    /// The blob's name within the `ingest` container.
    pub blob_name: String,
    /// What the file holds.
    pub kind: FeedKind,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Started, not finished (or crashed half-way: a redelivery redoes it).
    Running,
    /// Finished; good rows landed.
    Succeeded,
    /// Finished without landing anything (e.g. the file has no usable header).
    Failed,
    /// Refused as a whole: too many bad rows (the bad-row threshold), nothing landed.
    Rejected,
}

impl RunStatus {
    /// The status as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Rejected => "rejected",
        }
    }

    /// Parses a stored status.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "running" => Some(RunStatus::Running),
            "succeeded" => Some(RunStatus::Succeeded),
            "failed" => Some(RunStatus::Failed),
            "rejected" => Some(RunStatus::Rejected),
            _ => None,
        }
    }
}

/// An ingestion run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct IngestRun {
    /// The run's id.
    pub id: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The blob name within `ingest`.
    pub blob_name: String,
    /// What the file holds.
    #[serde(serialize_with = "serialize_kind")]
    pub kind: FeedKind,
    /// How the file was read, e.g. `csv (;)`, once known.
    pub format: Option<String>,
    /// Where it stands.
    pub status: RunStatus,
    /// Data rows read (header excluded). While the run is running, the counts are its
    /// [`RunProgress`] so far.
    pub rows_total: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Records the run created.
    pub inserted: u64,
    /// Records the run changed.
    pub updated: u64,
    /// Records the run found already stored as they are.
    pub unchanged: u64,
    /// Why the run failed, when it did.
    pub error: Option<String>,
    /// The report's blob name within `ingest-reports`.
    pub report_blob: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}

impl IngestRun {
    /// Takes `progress` as the run's counts.
    pub fn set_progress(&mut self, progress: &RunProgress) {
        self.rows_total = progress.rows_total;
        self.rejected = progress.rejected;
        self.inserted = progress.inserted;
        self.updated = progress.updated;
        self.unchanged = progress.unchanged;
    }
}

fn serialize_kind<S: serde::Serializer>(kind: &FeedKind, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(kind.as_str())
}

/// How far a running run has got, kept on the run so that apps watching it see it move: the
/// rows checked and rejected so far (first pass), then the records landed so far (second).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunProgress {
    /// Rows read so far.
    pub rows_total: u64,
    /// Rows rejected so far.
    pub rejected: u64,
    /// Records created so far.
    pub inserted: u64,
    /// Records changed so far.
    pub updated: u64,
    /// Records found already stored so far.
    pub unchanged: u64,
}

/// The totals a run finishes with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestRunFinish {
    /// Succeeded, failed or rejected.
    pub status: RunStatus,
    /// What the file turned out to hold (the header can tell when the path does not).
    pub kind: crate::ingest::record::FeedKind,
    /// How the file was read, e.g. `csv (;)`, when it got that far.
    pub format: Option<String>,
    /// Data rows read.
    pub rows_total: u64,
    /// Rows rejected.
    pub rejected: u64,
    /// Records created.
    pub inserted: u64,
    /// Records changed.
    pub updated: u64,
    /// Records already stored as they are.
    pub unchanged: u64,
    /// Why it failed.
    pub error: Option<String>,
    /// The report blob.
    pub report_blob: String,
}

/// Where a page of runs ends: the next page starts after this run, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCursor {
    /// The last run's start.
    pub started_at: DateTime<Utc>,
    /// The last run's id (breaks ties between runs started in the same millisecond).
    pub id: String,
}

impl RunCursor {
    /// The cursor that continues after `run`.
    pub fn after(run: &IngestRun) -> Self {
        Self {
            started_at: run.started_at,
            id: run.id.clone(),
        }
    }
}

/// Filters and position for listing runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunQuery {
    /// Return runs older than this one (by start, then id).
    pub after: Option<RunCursor>,
    /// At most this many.
    pub limit: u32,
    /// Only runs with this status.
    pub status: Option<RunStatus>,
}

/// Filters and position for listing products.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductQuery {
    /// The order; by SKU unless told.
    pub sort: super::ProductSort,
    /// Return products after this one in `sort` order (a position of the same sort field).
    pub after: Option<super::ProductPosition>,
    /// At most this many.
    pub limit: u32,
    /// Case-insensitive text in SKU, title or brand.
    pub text: Option<String>,
    /// Exactly this category (the partner's, or the enrichment's).
    pub category: Option<String>,
    /// Changed at or after this time.
    pub updated_since: Option<DateTime<Utc>>,
    /// Exactly this brand.
    pub brand: Option<String>,
    /// `true`: more than zero in stock; `false`: zero or fewer. Products without a quantity
    /// match neither, since nobody said whether they are in stock.
    pub in_stock: Option<bool>,
    /// Priced within this range, in its currency.
    pub price: Option<super::PriceRange>,
}

/// A stored product with its enrichment, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductView {
    /// What it says, as the merchant or partner sent it.
    #[serde(flatten)]
    pub content: ProductContent,
    /// Where the current version came from.
    pub source: String,
    /// The partner's last-modified time.
    pub source_updated_at: Option<DateTime<Utc>>,
    /// Content hash of the current version.
    pub content_hash: String,
    /// Incremented on every change.
    pub version: i64,
    /// First stored.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// The enrichment, when one exists.
    pub enrichment: Option<EnrichmentRecord>,
    /// The enrichment fields a person edited and locked, when any were.
    pub edits: Option<super::EnrichmentEdits>,
}

/// An enrichment as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichmentRecord {
    /// The content it was made from.
    pub content_hash: String,
    /// The prompt (or offline rules) version it was made with: with the content hash, the
    /// cache key: a product is enriched again only when one of the two changes.
    pub prompt_version: String,
    /// `offline`, `openai` or `azure-openai`: who wrote the payload.
    pub generated_by: String,
    /// The enrichment itself.
    pub payload: serde_json::Value,
    /// Model, tokens, cost, and why the offline engine stood in, if it did.
    pub provenance: Provenance,
    /// The offline engine stood in because the tenant's daily token budget was spent; the
    /// product is enriched again once the budget allows.
    pub waiting_for_budget: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// Where an enrichment came from and what it cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct Provenance {
    /// The model that answered, when one did.
    pub model: Option<String>,
    /// Prompt tokens spent.
    pub input_tokens: u64,
    /// Answer tokens spent.
    pub output_tokens: u64,
    /// Estimated cost in US dollars, when the model's prices are known.
    pub cost_usd: Option<f64>,
    /// Why the offline engine stood in for the provider (a refusal, an answer that failed the
    /// checks, a spent budget).
    pub fallback_reason: Option<String>,
}

impl EnrichmentRecord {
    /// Whether this enrichment describes the product's current content with the engine's
    /// current `prompt_version`, and is not a stand-in waiting for budget.
    pub fn is_current_for(&self, product: &ProductView, prompt_version: &str) -> bool {
        self.content_hash == product.content_hash
            && self.prompt_version == prompt_version
            && !self.waiting_for_budget
    }

    /// [`EnrichmentRecord::is_current_for`], and made at or after `since` when given.
    pub fn is_current_since(
        &self,
        product: &ProductView,
        prompt_version: &str,
        since: Option<DateTime<Utc>>,
    ) -> bool {
        self.is_current_for(product, prompt_version) && since.is_none_or(|t| self.created_at >= t)
    }
}

/// What the store holds for a product when an enrichment is about to be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrichmentSlot {
    /// The product's current content hash.
    pub product_hash: String,
    /// The stored enrichment, if there is one.
    pub stored: Option<StoredEnrichmentKey>,
}

/// What decides whether a stored enrichment is still current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEnrichmentKey {
    /// The content it was made from.
    pub content_hash: String,
    /// The prompt version it was made with.
    pub prompt_version: String,
    /// Whether it is a stand-in waiting for budget.
    pub waiting_for_budget: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl EnrichmentRecord {
    /// What saving this record does, given what the store holds for the product (`None`: no
    /// such product). A stored enrichment made before `replaces_before` (a forced batch run's
    /// start) is replaced even when current. Both stores decide with this, inside the
    /// transaction that writes.
    pub fn save_over(
        &self,
        slot: Option<&EnrichmentSlot>,
        replaces_before: Option<DateTime<Utc>>,
    ) -> SaveOutcome {
        let Some(slot) = slot else {
            return SaveOutcome::Stale;
        };
        if slot.product_hash != self.content_hash {
            return SaveOutcome::Stale;
        }
        match &slot.stored {
            Some(stored)
                if stored.content_hash == self.content_hash
                    && stored.prompt_version == self.prompt_version
                    && !stored.waiting_for_budget
                    && replaces_before.is_none_or(|t| stored.created_at >= t) =>
            {
                SaveOutcome::AlreadyCurrent
            }
            _ => SaveOutcome::Saved,
        }
    }
}

/// A product whose enrichment waits for its tenant's token budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingEnrichment {
    /// The tenant.
    pub tenant: TenantId,
    /// The product.
    pub sku: Sku,
    /// The content the stand-in was made from.
    pub content_hash: String,
}

/// What a batch enrichment run re-enriches: the tenant's products matching every filter given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrichmentFilter {
    /// Exactly this category (the partner's, or the enrichment's path).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Case-insensitive text in SKU, title or brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Changed at or after this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_since: Option<DateTime<Utc>>,
    /// Only products whose enrichment was made by this engine (`offline`, `openai`,
    /// `azure-openai`), e.g. to upgrade offline enrichments once a provider is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated_by: Option<String>,
}

/// A batch enrichment run as it begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrichmentRunStart {
    /// Its id.
    pub id: String,
    /// The tenant.
    pub tenant: TenantId,
    /// Which products.
    pub filter: EnrichmentFilter,
    /// Re-enrich products even when their enrichment is current.
    pub force: bool,
    /// When it began: with `force`, an enrichment older than this is redone.
    pub created_at: DateTime<Utc>,
}

/// A batch enrichment run and its progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct EnrichmentRun {
    /// Its id.
    pub id: String,
    /// The tenant.
    #[serde(skip)]
    pub tenant: TenantId,
    /// Which products.
    pub filter: EnrichmentFilter,
    /// Re-enrich products even when their enrichment is current.
    pub force: bool,
    /// Still scanning the catalogue for its products.
    #[serde(skip)]
    pub scanning: bool,
    /// The last SKU scanned.
    #[serde(skip)]
    pub cursor: Option<String>,
    /// Products found so far.
    pub matched: u64,
    /// Slices handed to the queue so far.
    pub slices: u64,
    /// Slices done.
    pub slices_done: u64,
    /// Products enriched anew by the slices done.
    pub enriched: u64,
    /// Products whose enrichment was already current.
    pub already_current: u64,
    /// Products gone by the time their slice ran.
    pub gone: u64,
    /// When it began.
    pub created_at: DateTime<Utc>,
    /// When the scan finished and every slice was queued.
    pub queued_at: Option<DateTime<Utc>>,
}

impl EnrichmentRun {
    /// `scanning` (finding products), `running` (slices under way) or `finished`.
    pub fn status(&self) -> &'static str {
        if self.scanning {
            "scanning"
        } else if self.slices_done < self.slices {
            "running"
        } else {
            "finished"
        }
    }
}

/// Where a page of batch enrichment runs ends: the next page starts after this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrichmentRunCursor {
    /// The last run's start.
    pub created_at: DateTime<Utc>,
    /// The last run's id (breaks ties between runs started in the same millisecond).
    pub id: String,
}

impl EnrichmentRunCursor {
    /// The cursor that continues after `run`.
    pub fn after(run: &EnrichmentRun) -> Self {
        Self {
            created_at: run.created_at,
            id: run.id.clone(),
        }
    }
}

/// What one slice of a batch run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SliceTally {
    /// Products enriched anew.
    pub enriched: u64,
    /// Products already current.
    pub already_current: u64,
    /// Products gone.
    pub gone: u64,
}

/// What saving an enrichment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveOutcome {
    /// Stored.
    Saved,
    /// An enrichment for this content already exists: nothing written.
    AlreadyCurrent,
    /// The product changed (or went) since: nothing written.
    Stale,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::Currency;

    fn order(quantity: i64) -> OrderUpsert {
        OrderUpsert {
            order_id: "1001".into(),
            placed_at: Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap(),
            currency: Currency::parse("EUR").unwrap(),
            total_minor: 600,
            tax_minor: None,
            shipping_minor: None,
            customer_ref: None,
            channel: None,
            lines: vec![OrderLineUpsert {
                sku: Sku::parse("A").unwrap(),
                quantity,
                unit_price_minor: 300,
            }],
        }
    }

    #[test]
    fn an_order_hash_covers_its_lines_and_ignores_sub_millisecond_time() {
        assert_eq!(order(2).content_hash(), order(2).content_hash());
        assert_ne!(order(2).content_hash(), order(3).content_hash());
        let mut later = order(2);
        later.placed_at += chrono::Duration::microseconds(10);
        assert_eq!(later.content_hash(), order(2).content_hash());
        assert_eq!(order(2).content_hash().len(), 64);
    }
}
