//! The ingestion pipeline: a partner's feed blob is streamed from storage, mapped and
//! validated row by row, upserted in batches, and summed up in a report a partner can act on.
//!
//! A run is keyed by the file event's id, and every product a run changes is recorded in the
//! same transaction as the change. So a redelivered event finds its run, a run redone after a
//! crash skips what already landed, and either way the enrichment messages it owes come out.

pub mod cells;
mod csv_rows;
pub mod inventory;
pub mod kind;
pub mod orders;
pub mod products;
pub mod profile;
pub mod record;
mod rejected;
mod report;
pub mod source;

use std::io;
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use crate::blobs::{BlobError, Blobs, Container};
use crate::domain::TenantId;
use crate::enrich::EnrichRequest;
use crate::store::{
    IngestRun, IngestRunStart, ProductUpsert, RejectedRow, RunStatus, Store, StoreError,
};

use self::csv_rows::CsvRows;
use self::products::{FeedError, ProductMapper, ProductRecord, RowError};
pub use self::report::Report;

/// Rows per store transaction: large enough to amortise the commit, small enough to keep
/// memory flat and a redone batch cheap.
const BATCH_ROWS: usize = 500;

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
}

impl IngestError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            IngestError::NotAPartnerFile(_) => false,
            IngestError::Blob(e) => e.is_transient(),
            IngestError::Store(e) => e.is_transient(),
        }
    }
}

/// What an ingestion did.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestOutcome {
    /// The run, finished.
    pub run: IngestRun,
    /// One message per product the run inserted or changed.
    pub enrich: Vec<EnrichRequest>,
    /// `true` when the event had been handled before and the file was not read again.
    pub replayed: bool,
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
}

/// Ingests `file`: stream, validate, upsert, report.
pub async fn ingest_partner_file(
    store: &dyn Store,
    blobs: &Blobs,
    file: &PartnerFile,
) -> Result<IngestOutcome, IngestError> {
    let start = IngestRunStart {
        tenant: file.tenant.clone(),
        run_key: file.event_id.clone(),
        blob_name: file.blob_name.clone(),
        kind: record::FeedKind::Products,
    };
    let mut run = store.begin_ingest_run(&start).await?;
    let replayed = run.status != RunStatus::Running;
    if !replayed {
        let mut report = read_and_apply(store, blobs, &run).await?;
        report.count_changes(&store.ingest_run_changes(&run).await?);
        blobs
            .write(
                Container::IngestReports,
                report.blob_name(),
                report.to_json(),
            )
            .await?;
        run = store.finish_ingest_run(&run, &report.finish()).await?;
    }
    // A finished run sends its messages again on redelivery: the host may have failed to send
    // them the first time, and enrichment ignores a request it has already served.
    let enrich = store
        .ingest_run_changes(&run)
        .await?
        .into_iter()
        .map(|change| EnrichRequest {
            tenant: run.tenant.clone(),
            sku: change.sku,
            content_hash: change.content_hash,
        })
        .collect();
    Ok(IngestOutcome {
        run,
        enrich,
        replayed,
    })
}

/// What the blocking parser sends to the async side.
enum FeedEvent {
    Columns {
        known: Vec<(String, String)>,
        unknown: Vec<String>,
    },
    Batch {
        products: Vec<ProductRecord>,
        rejected: Vec<RowError>,
        rows: u64,
    },
    Failed(String),
}

async fn read_and_apply(
    store: &dyn Store,
    blobs: &Blobs,
    run: &IngestRun,
) -> Result<Report, IngestError> {
    let mut report = Report::new(run);
    if !is_csv(&run.blob_name) {
        report.fail("only CSV files (.csv) can be ingested so far".into());
        return Ok(report);
    }
    let stream = match blobs.read(Container::Ingest, &run.blob_name).await {
        Ok((_, stream)) => stream,
        Err(BlobError::NotFound { .. }) => {
            report.fail("the file was removed before it could be read; drop it again".into());
            return Ok(report);
        }
        Err(error) => return Err(error.into()),
    };
    let reader = StreamReader::new(stream.map_err(io::Error::other));
    let io_failure = Arc::new(Mutex::new(None));
    let source = FailureTracking {
        inner: SyncIoBridge::new(reader),
        failure: Arc::clone(&io_failure),
    };
    let (sender, mut receiver) = mpsc::channel(2);
    let parser = tokio::task::spawn_blocking(move || parse_feed(source, &sender));
    let source = format!("ingest:{}", run.blob_name);
    while let Some(event) = receiver.recv().await {
        match event {
            FeedEvent::Columns { known, unknown } => report.set_columns(known, unknown),
            FeedEvent::Failed(reason) => report.fail(reason),
            FeedEvent::Batch {
                products,
                rejected,
                rows,
            } => {
                let upserts: Vec<ProductUpsert> = products
                    .into_iter()
                    .map(|p| to_upsert(p, &source))
                    .collect();
                let rejected: Vec<RejectedRow> = rejected.into_iter().map(to_rejected).collect();
                let outcome = store.apply_ingest_batch(run, &upserts, &rejected).await?;
                tracing::debug!(run = %run.id, rows, ?outcome, "batch applied");
                report.add_batch(rows, rejected);
            }
        }
    }
    parser.await.map_err(|e| {
        IngestError::Store(StoreError::Database(format!("feed parser failed: {e}")))
    })?;
    // A read that failed half-way is a storage problem, not a bad row: fail the attempt so it
    // is retried (the rows that landed are no-ops next time).
    if let Some(error) = io_failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(IngestError::Blob(BlobError::Storage(
            object_store::Error::Generic {
                store: "blob read",
                source: Box::new(error),
            },
        )));
    }
    Ok(report)
}

fn is_csv(blob_name: &str) -> bool {
    blob_name
        .rsplit_once('.')
        .is_some_and(|(_, ext)| ext.eq_ignore_ascii_case("csv"))
}

/// Runs on a blocking thread: reads the feed and sends it on in batches.
fn parse_feed<R: io::Read>(source: R, sender: &mpsc::Sender<FeedEvent>) {
    let started = CsvRows::new(source).and_then(|rows| {
        let mapper = ProductMapper::new(rows.header(), None)?;
        Ok((rows, mapper))
    });
    let (rows, mut mapper) = match started {
        Ok(started) => started,
        Err(error) => {
            let _ = sender.blocking_send(FeedEvent::Failed(error.to_string()));
            return;
        }
    };
    let known = mapper
        .columns()
        .iter()
        .filter_map(|c| c.field.map(|f| (c.header.clone(), f.to_string())))
        .collect();
    let columns = FeedEvent::Columns {
        known,
        unknown: mapper.unknown_columns(),
    };
    if sender.blocking_send(columns).is_err() {
        return;
    }
    let (mut products, mut rejected, mut count) = (Vec::new(), Vec::new(), 0u64);
    for row in rows {
        let mapped = match row {
            Ok(row) => mapper.map(&row),
            Err(error) => {
                let line = match &error {
                    FeedError::Read { line, .. } => *line,
                    _ => 0,
                };
                Err(vec![RowError::new(line, "", "", error.to_string())])
            }
        };
        match mapped {
            Ok(None) => continue,
            Ok(Some(product)) => products.push(product),
            Err(errors) => rejected.extend(errors),
        }
        count += 1;
        if products.len() + rejected.len() >= BATCH_ROWS {
            let batch = FeedEvent::Batch {
                products: std::mem::take(&mut products),
                rejected: std::mem::take(&mut rejected),
                rows: count,
            };
            count = 0;
            if sender.blocking_send(batch).is_err() {
                return;
            }
        }
    }
    let _ = sender.blocking_send(FeedEvent::Batch {
        products,
        rejected,
        rows: count,
    });
}

fn to_upsert(record: ProductRecord, source: &str) -> ProductUpsert {
    ProductUpsert::new(record.content, record.updated_at, source)
}

fn to_rejected(error: RowError) -> RejectedRow {
    RejectedRow {
        line: error.line,
        column: error.column,
        value: error.value,
        reason: error.reason,
    }
}

/// Remembers the first I/O error of a reader, so that a storage failure can be told apart
/// from a malformed row after parsing.
struct FailureTracking<R> {
    inner: R,
    failure: Arc<Mutex<Option<io::Error>>>,
}

impl<R: io::Read> io::Read for FailureTracking<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|error| {
            let mut slot = self.failure.lock().unwrap_or_else(|p| p.into_inner());
            if slot.is_none() {
                *slot = Some(io::Error::new(error.kind(), error.to_string()));
            }
        })
    }
}
