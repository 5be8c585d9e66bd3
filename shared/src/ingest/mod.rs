//! The ingestion pipeline: a partner's feed blob is streamed from storage, mapped and
//! validated row by row, upserted in batches, and summed up in a report a partner can act on.
//!
//! A run is keyed by the file event's id (or, for a feed pushed through the API, by the
//! `push-{uuid}` its blob is named after, so the event continues the run the push began), and
//! every product a run changes is recorded in the same transaction as the change. So a
//! redelivered event finds its run, a run redone after a crash skips what already landed, and
//! either way the enrichment messages it owes come out.

pub mod cells;
pub mod inventory;
pub mod kind;
pub mod orders;
pub mod products;
pub mod profile;
mod reading;
pub mod record;
mod rejected;
mod report;
pub mod source;

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::blobs::{BlobError, Blobs, Container};
use crate::domain::{Sku, TenantId};
use crate::enrich::{EnrichRequest, RUN_CHANGES_FANOUT, RunPage};
use crate::store::{BatchOutcome, IngestRun, IngestRunStart, RunStatus, Store, StoreError};

use self::profile::{DEFAULT_MAX_BAD_ROW_RATIO, MappingProfile};
use self::reading::{Event, Pass, Plan, Records};
use self::record::FeedKind;
pub use self::report::Report;

/// How often a running run's progress is written to the store, for apps watching it.
const PROGRESS_EVERY: Duration = Duration::from_secs(2);

/// The profile used for a tenant's files that name none.
pub const DEFAULT_PROFILE: &str = "default";

/// How the blob of a feed pushed through the API (`POST /api/ingest`) is named: its file name
/// starts with this and a UUID, e.g. `push-0b6e….csv`.
pub const PUSH_FILE_PREFIX: &str = "push-";

/// The run key of the feed pushed with `id`: the push begins the run under it, and the blob's
/// event finds that same run.
pub fn push_run_key(id: &uuid::Uuid) -> String {
    format!("push:{id}")
}

/// The push id in a blob's file name `push-{uuid}.{ext}`, if it is a pushed feed's.
pub fn push_id(blob_name: &str) -> Option<uuid::Uuid> {
    let file_name = blob_name.rsplit('/').next()?;
    let rest = file_name.strip_prefix(PUSH_FILE_PREFIX)?;
    let (id, ext) = rest.split_once('.')?;
    if ext.is_empty() {
        return None;
    }
    uuid::Uuid::try_parse(id).ok()
}

/// A file to ingest, as named by its BlobCreated event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerFile {
    /// The tenant that owns it (the first path segment).
    pub tenant: TenantId,
    /// The blob name within the `ingest` container, `{tenant}/…`.
    pub blob_name: String,
    /// The event id: unique per file version, repeated on redelivery.
    pub event_id: String,
}

/// A file that cannot be ingested, whatever is retried.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The event names a blob outside `ingest/{tenant}/…`, or an unknown tenant.
    #[error("not a partner file: {0}")]
    NotAPartnerFile(String),
    /// Storage failed; trying again may succeed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the feed's bytes failed half-way; trying again may succeed.
    #[error("reading the feed failed: {0}")]
    Read(#[source] std::io::Error),
}

impl IngestError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            IngestError::NotAPartnerFile(_) => false,
            IngestError::Blob(e) => e.is_transient(),
            IngestError::Store(e) => e.is_transient(),
            IngestError::Read(_) => true,
        }
    }
}

/// What an ingestion did.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOutcome {
    /// The run, finished.
    pub run: IngestRun,
    /// The enrichment messages it owes: one per page of changed products.
    pub enrich: Vec<EnrichRequest>,
    /// `true` when the event had been handled before and the file was not read again.
    pub replayed: bool,
}

/// How far a run has got, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Checking the rows, or landing them.
    pub applying: bool,
    /// Rows read in this pass so far.
    pub rows: u64,
    /// Bad rows found so far.
    pub bad_rows: u64,
}

/// Where a feed's bytes come from. A feed is read twice (check, then apply), so it must open
/// more than once.
#[async_trait]
pub trait FeedBytes: Send + Sync {
    /// The feed's bytes from the start, for a blocking reader.
    async fn open(&self) -> Result<Box<dyn Read + Send>, IngestError>;
}

/// A blob in the `ingest` container.
struct IngestBlob<'a> {
    blobs: &'a Blobs,
    name: &'a str,
}

#[async_trait]
impl FeedBytes for IngestBlob<'_> {
    async fn open(&self) -> Result<Box<dyn Read + Send>, IngestError> {
        Ok(self.blobs.open_reader(Container::Ingest, self.name).await?)
    }
}

/// A file on this machine (`advisor ingest`).
#[derive(Debug, Clone)]
pub struct LocalFile(pub PathBuf);

#[async_trait]
impl FeedBytes for LocalFile {
    async fn open(&self) -> Result<Box<dyn Read + Send>, IngestError> {
        let file = std::fs::File::open(&self.0).map_err(IngestError::Read)?;
        Ok(Box::new(file))
    }
}

impl PartnerFile {
    /// The partner file `container`/`blob_name` names, checked against the store's tenants.
    pub async fn locate(
        store: &dyn Store,
        container: &str,
        blob_name: &str,
        event_id: &str,
    ) -> Result<Self, IngestError> {
        if container != Container::Ingest.name() {
            return Err(IngestError::NotAPartnerFile(format!(
                "container `{container}` is not `{}`",
                Container::Ingest.name()
            )));
        }
        let (tenant, rest) = blob_name.split_once('/').unwrap_or((blob_name, ""));
        let tenant = TenantId::parse(tenant)
            .map_err(|e| IngestError::NotAPartnerFile(format!("`{blob_name}`: {e}")))?;
        if rest.is_empty() {
            return Err(IngestError::NotAPartnerFile(format!(
                "`{blob_name}` is not under a tenant folder"
            )));
        }
        if !store.tenant_exists(&tenant).await? {
            return Err(IngestError::NotAPartnerFile(format!(
                "unknown tenant `{tenant}`"
            )));
        }
        Ok(Self {
            tenant,
            blob_name: blob_name.to_owned(),
            event_id: event_id.to_owned(),
        })
    }

    /// The folders between the tenant and the file: `{kind}/{profile}/…`, both optional.
    fn folders(&self) -> Vec<&str> {
        let mut parts: Vec<&str> = self.blob_name.split('/').skip(1).collect();
        parts.pop();
        parts
    }
}

/// Ingests `file`: stream, check, upsert, report. A redelivered event whose run finished is
/// not read again; its enrichment messages are sent again (enrichment ignores what it has
/// already done).
pub async fn ingest_partner_file(
    store: &dyn Store,
    blobs: &Blobs,
    file: &PartnerFile,
) -> Result<IngestOutcome, IngestError> {
    let folders = file.folders();
    let path_kind = folders.first().map(|s| (*s).to_owned());
    let profile_name = folders.get(1).copied();
    let start = IngestRunStart {
        tenant: file.tenant.clone(),
        run_key: push_id(&file.blob_name)
            .map_or_else(|| file.event_id.clone(), |id| push_run_key(&id)),
        blob_name: file.blob_name.clone(),
        kind: path_kind
            .as_deref()
            .and_then(FeedKind::from_path_segment)
            .unwrap_or(FeedKind::Products),
    };
    let profile = find_profile(store, &file.tenant, profile_name).await?;
    let plan = Plan {
        file_name: file.blob_name.clone(),
        path_kind,
        profile,
        source: format!("ingest:{}", file.blob_name),
    };
    let bytes = IngestBlob {
        blobs,
        name: &file.blob_name,
    };
    ingest(store, blobs, &start, &bytes, &plan, &|_| {}).await
}

/// Ingests a file on this machine for `tenant` (`advisor ingest`), through the same pipeline
/// as a dropped blob. The run is keyed by the file's content: ingesting the same content again
/// finds the finished run and changes nothing. The report goes to
/// `ingest-reports/{tenant}/{kind?}/{file stem}.report.json`.
pub async fn ingest_file(
    store: &dyn Store,
    blobs: &Blobs,
    tenant: &TenantId,
    path: &std::path::Path,
    kind: Option<FeedKind>,
    profile_name: Option<&str>,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<IngestOutcome, IngestError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| IngestError::NotAPartnerFile(format!("{} is not a file", path.display())))?;
    let digest = file_digest(path).await?;
    let blob_name = match kind {
        Some(kind) => format!("{tenant}/{kind}/{file_name}"),
        None => format!("{tenant}/{file_name}"),
    };
    let start = IngestRunStart {
        tenant: tenant.clone(),
        run_key: format!("file:{digest}"),
        blob_name: blob_name.clone(),
        kind: kind.unwrap_or(FeedKind::Products),
    };
    let plan = Plan {
        file_name,
        path_kind: kind.map(|k| k.as_str().to_owned()),
        profile: find_profile(store, tenant, profile_name).await?,
        source: format!("file:{}", path.display()),
    };
    ingest(
        store,
        blobs,
        &start,
        &LocalFile(path.to_owned()),
        &plan,
        progress,
    )
    .await
}

/// SHA-256 hex of a file's content, streamed.
async fn file_digest(path: &std::path::Path) -> Result<String, IngestError> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use sha2::Digest;
        let mut file = std::fs::File::open(&path)?;
        let mut hasher = sha2::Sha256::new();
        std::io::copy(&mut file, &mut hasher)?;
        Ok(hex::encode(hasher.finalize()))
    })
    .await
    .map_err(|e| IngestError::Read(std::io::Error::other(e)))?
    .map_err(IngestError::Read)
}

/// Ingests a feed from `bytes` as run `start` describes, reporting progress to `progress`.
/// The run is keyed by `start.run_key`: a finished run is not redone.
pub async fn ingest(
    store: &dyn Store,
    blobs: &Blobs,
    start: &IngestRunStart,
    bytes: &dyn FeedBytes,
    plan: &Plan,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<IngestOutcome, IngestError> {
    let run = store.begin_ingest_run(start).await?;
    let replayed = run.status != RunStatus::Running;
    let (run, enrich) = if replayed {
        // A finished run sends its messages again: the host may have failed to send them.
        let enrich = if run.kind == FeedKind::Products && run.status == RunStatus::Succeeded {
            enrichment_pages(store, &run).await?.0
        } else {
            Vec::new()
        };
        (run, enrich)
    } else {
        let (report, enrich) = check_and_apply(store, blobs, &run, bytes, plan, progress).await?;
        blobs
            .write(
                Container::IngestReports,
                report.blob_name(),
                report.to_json(),
            )
            .await?;
        (
            store.finish_ingest_run(&run, &report.finish()).await?,
            enrich,
        )
    };
    Ok(IngestOutcome {
        run,
        enrich,
        replayed,
    })
}

/// The tenant's profile named by the path, else its default one, if they exist. A stored
/// profile that no longer parses is ignored with a warning rather than stopping every file.
async fn find_profile(
    store: &dyn Store,
    tenant: &TenantId,
    named: Option<&str>,
) -> Result<Option<MappingProfile>, IngestError> {
    for name in named.into_iter().chain([DEFAULT_PROFILE]) {
        if let Some(body) = store.get_mapping_profile(tenant, name).await? {
            match serde_json::from_value(body) {
                Ok(profile) => return Ok(Some(profile)),
                Err(error) => {
                    tracing::warn!(%tenant, profile = name, %error, "mapping profile unreadable");
                }
            }
        }
    }
    Ok(None)
}

/// The check pass, then — when the bad rows stay within the threshold — the apply pass; with
/// the report, the enrichment messages a products run owes.
async fn check_and_apply(
    store: &dyn Store,
    blobs: &Blobs,
    run: &IngestRun,
    bytes: &dyn FeedBytes,
    plan: &Plan,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<(Report, Vec<EnrichRequest>), IngestError> {
    let threshold = plan
        .profile
        .as_ref()
        .and_then(|p| p.max_bad_row_ratio)
        .unwrap_or(DEFAULT_MAX_BAD_ROW_RATIO);
    let mut report = Report::new(run, threshold);
    let reader = match bytes.open().await {
        Ok(reader) => reader,
        Err(IngestError::Blob(BlobError::NotFound { .. })) => {
            report.fail("the file was removed before it could be read; drop it again".into());
            return Ok((report, Vec::new()));
        }
        Err(error) => return Err(error),
    };
    let rejected_csv = run_pass(store, run, reader, plan, None, &mut report, progress).await?;
    if report.status == RunStatus::Failed {
        return Ok((report, Vec::new()));
    }
    if let Some(csv) = rejected_csv.filter(|csv| csv.rows() > 0) {
        let file = csv.finish().map_err(IngestError::Read)?;
        let name = report.rejected_csv_name();
        blobs
            .write_file(Container::IngestReports, &name, file.path())
            .await?;
        report.rejected_csv = Some(format!("{}/{name}", Container::IngestReports.name()));
    }
    if report.too_many_bad_rows() {
        report.reject();
        return Ok((report, Vec::new()));
    }
    let reader = bytes.open().await?;
    let mut applied = Report::new(run, threshold);
    run_pass(
        store,
        run,
        reader,
        plan,
        Some(&report.counts),
        &mut applied,
        progress,
    )
    .await?;
    if applied.status == RunStatus::Failed || applied.counts.rows != report.counts.rows {
        // The file changed between the passes (a new version was uploaded): that version has
        // its own event; this one is retried and then reads the file as it is.
        return Err(IngestError::Read(std::io::Error::other(
            "the file changed while it was being ingested",
        )));
    }
    // Products count every attempt's changes (a redone run reports what its first attempt
    // wrote), read in the same pass that makes the messages.
    let (enrich, inserted, updated) = match report.kind {
        FeedKind::Products => enrichment_pages(store, run).await?,
        _ => (Vec::new(), applied.counts.inserted, applied.counts.updated),
    };
    report.set_changes(inserted, updated);
    Ok((report, enrich))
}

/// Reads the feed once: the check pass when `checked` is `None`, else the apply pass after a
/// check that counted `checked`. Updates `report` with what it found, and every
/// [`PROGRESS_EVERY`] records the run's progress for apps watching it.
async fn run_pass(
    store: &dyn Store,
    run: &IngestRun,
    reader: Box<dyn Read + Send>,
    plan: &Plan,
    checked: Option<&report::Counts>,
    report: &mut Report,
    progress: &(dyn Fn(Progress) + Sync),
) -> Result<Option<rejected::RejectedCsv>, IngestError> {
    let pass = match checked {
        None => Pass::Check,
        Some(_) => Pass::Apply,
    };
    let (sender, mut receiver) = mpsc::channel(2);
    let reader_plan = plan.clone();
    let reading =
        tokio::task::spawn_blocking(move || reading::read(reader, &reader_plan, pass, &sender));
    let mut io_error = None;
    let mut seen = Progress {
        applying: pass == Pass::Apply,
        rows: 0,
        bad_rows: 0,
    };
    let mut last_recorded = Instant::now();
    while let Some(event) = receiver.recv().await {
        match event {
            Event::Opened(opened) => report.opened(opened),
            Event::Failed(reason) => report.fail(reason),
            Event::Io(error) => io_error = Some(error),
            Event::Batch {
                rows,
                bad_rows,
                problems,
                records,
            } => {
                let outcome = apply(store, run, &records, &problems).await?;
                crate::crash::point("ingest.batch_committed");
                report.add_rows(rows, bad_rows, &problems);
                report.counts.inserted += outcome.inserted;
                report.counts.updated += outcome.updated;
                report.counts.unchanged += outcome.unchanged;
                seen.rows += rows;
                seen.bad_rows += bad_rows;
                progress(seen);
                if last_recorded.elapsed() >= PROGRESS_EVERY {
                    let mut shown = report.progress();
                    if let Some(checked) = checked {
                        // Landing: the checked totals beside what has landed so far.
                        (shown.rows_total, shown.rejected) = (checked.rows, checked.rejected);
                    }
                    store.record_run_progress(run, &shown).await?;
                    last_recorded = Instant::now();
                }
            }
        }
    }
    let rejected_csv = reading.await.map_err(|e| {
        IngestError::Store(StoreError::Database(format!("the feed reader failed: {e}")))
    })?;
    // A read that failed half-way is a storage problem, not a bad row: fail the attempt so it
    // is retried (what landed is a no-op next time).
    if let Some(error) = io_error {
        return Err(IngestError::Read(error));
    }
    Ok(rejected_csv)
}

/// Lands one batch: its records, or (check pass) the problems of its bad rows.
async fn apply(
    store: &dyn Store,
    run: &IngestRun,
    records: &Records,
    problems: &[crate::store::RejectedRow],
) -> Result<BatchOutcome, IngestError> {
    let outcome = match records {
        Records::Products(products) if !products.is_empty() || !problems.is_empty() => {
            store.apply_ingest_batch(run, products, problems).await?
        }
        Records::Inventory(levels) if !levels.is_empty() => {
            store.apply_inventory_batch(run, levels, problems).await?
        }
        Records::Orders(orders) if !orders.is_empty() => {
            store.apply_order_batch(run, orders, problems).await?
        }
        // Problems of an inventory or order feed's check pass.
        _ if !problems.is_empty() => store.apply_ingest_batch(run, &[], problems).await?,
        _ => BatchOutcome::default(),
    };
    Ok(outcome)
}

/// One enrichment message per [`RUN_CHANGES_FANOUT`] products `run` changed, and how many it inserted
/// and updated (across all its attempts). Reads the changes a page at a time, so a run of
/// millions needs no more memory than the messages.
pub(crate) async fn enrichment_pages(
    store: &dyn Store,
    run: &IngestRun,
) -> Result<(Vec<EnrichRequest>, u64, u64), IngestError> {
    let (mut messages, mut inserted, mut updated) = (Vec::new(), 0, 0);
    let mut after: Option<Sku> = None;
    loop {
        let page = store
            .ingest_run_changes(run, after.as_ref(), RUN_CHANGES_FANOUT)
            .await?;
        let Some(last) = page.last() else { break };
        inserted += page.iter().filter(|c| c.inserted).count() as u64;
        updated += page.iter().filter(|c| !c.inserted).count() as u64;
        messages.push(EnrichRequest::RunChanges(RunPage {
            tenant: run.tenant.clone(),
            run_id: run.id.clone(),
            after: after.clone(),
            through: last.sku.clone(),
        }));
        let full = page.len() as u32 == RUN_CHANGES_FANOUT;
        after = Some(last.sku.clone());
        if !full {
            break;
        }
    }
    Ok((messages, inserted, updated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pushed_feed_is_known_by_the_uuid_in_its_file_name() {
        let id = uuid::Uuid::new_v4();
        for name in [
            format!("demo/products/push-{id}.csv"),
            format!("demo/auto/shopware/push-{id}.ndjson.gz"),
        ] {
            assert_eq!(push_id(&name), Some(id), "{name}");
        }
        for name in [
            "demo/products/feed.csv".to_owned(),
            format!("demo/push-{id}"),
            format!("demo/push-{id}."),
            "demo/push-not-a-uuid.csv".to_owned(),
            format!("demo/push-{id}/feed.csv"),
        ] {
            assert_eq!(push_id(&name), None, "{name}");
        }
        assert_eq!(push_run_key(&id), format!("push:{id}"));
    }
}
