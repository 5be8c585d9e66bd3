//! The sync engine's rows: jobs, cursors, links between SKUs and remote records, and the
//! error inbox.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::connections::{ObjectKind, Platform};
use crate::domain::{Sku, TenantId};

/// What started a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyncTrigger {
    /// The connection's schedule.
    Schedule,
    /// A person, through `POST /api/connections/{platform}/sync`.
    Manual,
    /// A platform webhook.
    Webhook,
    /// A retry from the error inbox.
    Retry,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SyncStatus {
    /// Made and sent to the `sync` queue; not started.
    Queued,
    /// Being run (or its runner crashed: the lease says when another delivery may take over).
    Running,
    /// Done; records that could not be synced are in the error inbox.
    Succeeded,
    /// Stopped by a failure that retrying the job will not fix (credentials, configuration).
    Failed,
}

impl SyncStatus {
    /// Whether the job has ended.
    pub fn is_final(self) -> bool {
        matches!(self, SyncStatus::Succeeded | SyncStatus::Failed)
    }
}

/// The remote records of targeted work: a webhook's product, an inbox entry's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SyncTargets {
    /// Remote ids (a Shopify GID, a WooCommerce or NetSuite id).
    pub ids: Vec<String>,
    /// The records were deleted on the platform: archive what they link to.
    #[serde(default)]
    pub deleted: bool,
    /// Push our enriched fields even over an edit made on the platform (an inbox retry of a
    /// conflict).
    #[serde(default)]
    pub force_push: bool,
}

/// How far a job got, in numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct SyncProgress {
    /// Pages read from the platform and stored.
    pub pages: u64,
    /// Records read.
    pub read: u64,
    /// Records new to us.
    pub inserted: u64,
    /// Records that changed.
    pub updated: u64,
    /// Records already as they are.
    pub unchanged: u64,
    /// Products archived because the platform deleted them.
    pub archived: u64,
    /// Records pushed to the platform.
    pub pushed: u64,
    /// Pushes held back because the platform's copy was edited after our last push.
    pub conflicts: u64,
    /// Records that could not be synced (each is in the error inbox).
    pub problems: u64,
    /// Records left out on purpose: orders that are not sales (pending, cancelled, test).
    pub skipped: u64,
    /// The platform's cursor the job started from (UTC).
    pub cursor_from: Option<String>,
    /// The cursor the job stored last.
    pub cursor_to: Option<String>,
    /// The page to go on from after a crash (a platform page cursor), once the one before it
    /// is stored.
    pub resume: Option<String>,
    /// The pass the job is in (`pull`, `deletions`, `push`), so a crash resumes in it.
    pub stage: Option<String>,
    /// Why the job did less than its kind suggests (e.g. the ERP owns stock).
    pub note: Option<String>,
    /// Why the job failed.
    pub error: Option<String>,
}

impl SyncProgress {
    /// Takes the products a job inserted and updated from its ingestion run's changes, which
    /// count every attempt: a page stored just before a crash, and read again after it, was
    /// counted `unchanged` by the second reading. The records handled stay as counted (a page
    /// is counted once, by the delivery that saved its checkpoint); the rest are unchanged.
    pub fn settle_changes(&mut self, inserted: u64, updated: u64) {
        let handled = self.inserted + self.updated + self.unchanged;
        self.inserted = inserted;
        self.updated = updated;
        self.unchanged = handled.saturating_sub(inserted + updated);
    }
}

/// One sync job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncJob {
    /// The tenant.
    pub tenant: TenantId,
    /// Chosen by whoever made the job, so a repeated trigger finds it.
    pub id: String,
    /// The platform.
    pub platform: Platform,
    /// The object kind.
    pub kind: ObjectKind,
    /// What started it.
    pub trigger: SyncTrigger,
    /// Targeted work; `None` is an incremental run.
    pub targets: Option<SyncTargets>,
    /// Where it stands.
    pub status: SyncStatus,
    /// Its numbers, cursors and resume point.
    pub progress: SyncProgress,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When a delivery first started it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Until when the delivery running it holds it; a later delivery takes over after.
    pub lease_until: Option<DateTime<Utc>>,
    /// Counts the job's writes; every update names the version it read.
    pub version: i64,
}

impl SyncJob {
    /// A new job, queued at `at`.
    pub fn queued(
        tenant: TenantId,
        id: String,
        platform: Platform,
        kind: ObjectKind,
        trigger: SyncTrigger,
        targets: Option<SyncTargets>,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            tenant,
            id,
            platform,
            kind,
            trigger,
            targets,
            status: SyncStatus::Queued,
            progress: SyncProgress::default(),
            created_at: at,
            started_at: None,
            finished_at: None,
            lease_until: None,
            version: 1,
        }
    }
}

/// Where a listing of jobs goes on from: the last job's creation and id.
pub type SyncJobCursor = (DateTime<Utc>, String);

/// Which remote record a SKU is on one platform, and the state of the enrichment-owned
/// fields there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncLink {
    /// The tenant.
    pub tenant: TenantId,
    /// The platform.
    pub platform: Platform,
    /// Our SKU.
    pub sku: Sku,
    /// The remote product (or item).
    pub remote_id: String,
    /// The remote variant, when the platform has them.
    pub remote_variant_id: Option<String>,
    /// This SKU's enrichment is the one pushed to the remote product.
    pub primary: bool,
    /// [`owned_fields_hash`] of the platform's description and SEO fields as last read.
    pub remote_hash: Option<String>,
    /// [`owned_fields_hash`] of what we last pushed; `None` before our first push.
    pub pushed_hash: Option<String>,
    /// When we last pushed.
    pub pushed_at: Option<DateTime<Utc>>,
    /// When the link was last written.
    pub updated_at: DateTime<Utc>,
}

/// The hash of a product's enrichment-owned fields (description and SEO) as one platform
/// holds them: equal hashes mean nobody changed them in between.
pub fn owned_fields_hash(
    description: Option<&str>,
    seo_title: Option<&str>,
    seo_description: Option<&str>,
) -> String {
    let mut hash = Sha256::new();
    for field in [description, seo_title, seo_description] {
        let text = field.map(str::trim).unwrap_or("");
        hash.update((text.len() as u64).to_be_bytes());
        hash.update(text.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// Whether an inbox entry still needs a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum IssueStatus {
    /// Needs attention.
    Open,
    /// Dealt with (resolved by a person, or the record synced since).
    Resolved,
}

/// A record that could not be synced, as a job met it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncProblem {
    /// The object kind.
    pub kind: ObjectKind,
    /// The remote id or SKU of the record.
    pub record: String,
    /// A stable code (`missing_sku`, `bad_price`, `conflict`, `push_failed`, …).
    pub code: String,
    /// What is wrong and what to do, for a person.
    pub message: String,
    /// Machine-readable particulars.
    pub detail: serde_json::Value,
}

impl SyncProblem {
    /// The inbox id of this problem on `platform`: the same record and problem always land in
    /// the same entry.
    pub fn issue_id(&self, platform: Platform) -> String {
        let mut hash = Sha256::new();
        for part in [
            platform.as_str(),
            self.kind.as_str(),
            &self.record,
            &self.code,
        ] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        hex::encode(&hash.finalize()[..16])
    }
}

/// One entry of the error inbox.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SyncIssue {
    /// The entry.
    pub id: String,
    /// The platform.
    pub platform: Platform,
    /// The object kind.
    pub kind: ObjectKind,
    /// The remote id or SKU of the record.
    pub record: String,
    /// A stable code.
    pub code: String,
    /// What is wrong, as last met.
    pub message: String,
    /// Particulars, as last met.
    pub detail: serde_json::Value,
    /// Whether it needs attention.
    pub status: IssueStatus,
    /// How many jobs met it.
    pub occurrences: i64,
    /// When a job first met it.
    pub first_seen: DateTime<Utc>,
    /// When a job last met it.
    pub last_seen: DateTime<Utc>,
    /// The job that last met it.
    pub last_job: String,
    /// When it was resolved.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Which inbox entries a listing wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssueQuery {
    /// Only this platform's.
    pub platform: Option<Platform>,
    /// Only entries in this state.
    pub status: Option<IssueStatus>,
    /// After this entry (last seen, id), newest first.
    pub after: Option<(DateTime<Utc>, String)>,
    /// At most this many.
    pub limit: u32,
}

/// An order as stored, with when it last changed: what an ERP push reads.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangedOrder {
    /// The order and its lines.
    pub order: crate::store::OrderUpsert,
    /// When it was last written.
    pub updated_at: DateTime<Utc>,
}

/// Where a listing of changed orders goes on from: the last one's change and id.
pub type OrderCursor = (DateTime<Utc>, String);
