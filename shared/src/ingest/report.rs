//! The ingestion report: counts and every rejected row, as JSON a partner can act on.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::record::FeedKind;
use crate::domain::TenantId;
use crate::store::{IngestRun, IngestRunFinish, RejectedRow, RunProgress, RunStatus};

/// At most this many rejected rows are listed in the JSON report; every one of them is in the
/// rejected-rows CSV and in the runs API.
pub const MAX_REPORTED_REJECTED: usize = 1000;

/// A run's report, written to `ingest-reports/{tenant}/{name}.report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The run.
    pub run_id: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The file, as `ingest/{tenant}/…`.
    pub file: String,
    /// What the file holds.
    pub kind: FeedKind,
    /// How it was read, e.g. `csv (;)`, and in which text encoding.
    pub format: Option<String>,
    /// The text encoding it was read in.
    pub encoding: Option<String>,
    /// `succeeded` (good rows landed, bad ones listed), `rejected` (too many bad rows: nothing
    /// landed) or `failed` (the file could not be read: nothing landed).
    pub status: RunStatus,
    /// Why the file as a whole was not ingested.
    pub error: Option<String>,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When the report was written.
    pub finished_at: DateTime<Utc>,
    /// What happened to the rows.
    pub counts: Counts,
    /// More than this share of bad rows rejects the whole file.
    pub max_bad_row_ratio: f64,
    /// How each recognised header was understood: `[header, field]`.
    pub columns: Vec<(String, String)>,
    /// Headers that matched no field: kept as raw attributes.
    pub unknown_columns: Vec<String>,
    /// The rejected-rows CSV (in `ingest-reports`), ready to fix and drop again.
    pub rejected_csv: Option<String>,
    /// The first [`MAX_REPORTED_REJECTED`] problems of rejected rows.
    pub rejected_rows: Vec<RejectedRow>,
    /// Problems not listed above (see the CSV or the runs API).
    pub rejected_rows_omitted: u64,
    #[serde(skip)]
    blob_name: String,
}

/// Row counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Data rows read (the header excluded).
    pub rows: u64,
    /// Records created.
    pub inserted: u64,
    /// Records whose content changed.
    pub updated: u64,
    /// Valid records whose content was already stored.
    pub unchanged: u64,
    /// Rows rejected.
    pub rejected: u64,
}

impl Report {
    /// An empty report for `run`.
    pub fn new(run: &IngestRun, max_bad_row_ratio: f64) -> Self {
        Self {
            run_id: run.id.clone(),
            tenant: run.tenant.clone(),
            file: format!("ingest/{}", run.blob_name),
            kind: run.kind,
            format: None,
            encoding: None,
            status: RunStatus::Succeeded,
            error: None,
            started_at: run.started_at,
            finished_at: Utc::now(),
            counts: Counts::default(),
            max_bad_row_ratio,
            columns: Vec::new(),
            unknown_columns: Vec::new(),
            rejected_csv: None,
            rejected_rows: Vec::new(),
            rejected_rows_omitted: 0,
            blob_name: report_blob_name(&run.blob_name, "report.json"),
        }
    }

    /// The report's blob name within `ingest-reports`.
    pub fn blob_name(&self) -> &str {
        &self.blob_name
    }

    /// The rejected-rows CSV's blob name within `ingest-reports`.
    pub fn rejected_csv_name(&self) -> String {
        report_blob_name(self.file.trim_start_matches("ingest/"), "rejected.csv")
    }

    /// Records how the file was read and its header understood.
    pub fn opened(&mut self, opened: Opened) {
        self.kind = opened.kind;
        self.format = Some(opened.format);
        self.encoding = Some(opened.encoding);
        self.columns = opened.columns;
        self.unknown_columns = opened.unknown;
    }

    /// Marks the file as unusable as a whole.
    pub fn fail(&mut self, reason: String) {
        self.status = RunStatus::Failed;
        self.error = Some(reason);
    }

    /// Adds `rows` rows read, `bad_rows` of them rejected with `problems`.
    pub fn add_rows(&mut self, rows: u64, bad_rows: u64, problems: &[RejectedRow]) {
        self.counts.rows += rows;
        self.counts.rejected += bad_rows;
        let room = MAX_REPORTED_REJECTED.saturating_sub(self.rejected_rows.len());
        self.rejected_rows
            .extend(problems.iter().take(room).cloned());
        self.rejected_rows_omitted += problems.len().saturating_sub(room) as u64;
    }

    /// Whether more than the allowed share of rows is bad.
    pub fn too_many_bad_rows(&self) -> bool {
        self.counts.rows > 0
            && self.counts.rejected as f64 > self.max_bad_row_ratio * self.counts.rows as f64
    }

    /// Refuses the whole file for its bad rows.
    pub fn reject(&mut self) {
        self.status = RunStatus::Rejected;
        self.error = Some(format!(
            "{} of {} rows ({:.1}%) are bad, more than the {:.0}% allowed, so nothing from this \
             file was ingested: fix the rows listed in {} and drop the file again",
            self.counts.rejected,
            self.counts.rows,
            100.0 * self.counts.rejected as f64 / self.counts.rows as f64,
            100.0 * self.max_bad_row_ratio,
            self.rejected_csv
                .clone()
                .unwrap_or_else(|| "this report".to_owned()),
        ));
    }

    /// Sets what the valid records did. `inserted` and `updated` cover every attempt of the
    /// run (a run redone after a crash still reports what its first attempt wrote).
    pub fn set_changes(&mut self, inserted: u64, updated: u64) {
        self.counts.inserted = inserted;
        self.counts.updated = updated;
        self.counts.unchanged = self
            .counts
            .rows
            .saturating_sub(self.counts.rejected + inserted + updated);
        self.finished_at = Utc::now();
    }

    /// The counts so far, for apps watching the run. In the apply pass `rows` only grows as
    /// the file is read again; `rejected` is what the check found.
    pub fn progress(&self) -> RunProgress {
        RunProgress {
            rows_total: self.counts.rows,
            rejected: self.counts.rejected,
            inserted: self.counts.inserted,
            updated: self.counts.updated,
            unchanged: self.counts.unchanged,
        }
    }

    /// The run's totals for the store.
    pub fn finish(&self) -> IngestRunFinish {
        IngestRunFinish {
            status: self.status,
            kind: self.kind,
            format: self.format.clone(),
            rows_total: self.counts.rows,
            rejected: self.counts.rejected,
            inserted: self.counts.inserted,
            updated: self.counts.updated,
            unchanged: self.counts.unchanged,
            error: self.error.clone(),
            report_blob: self.blob_name.clone(),
        }
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> Bytes {
        Bytes::from(serde_json::to_vec_pretty(self).unwrap_or_else(|e| {
            format!("{{\"error\":\"report could not be serialised: {e}\"}}").into_bytes()
        }))
    }
}

/// How a feed was read: what the pipeline learns from its first bytes and its header.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// What it holds.
    pub kind: FeedKind,
    /// How it was read.
    pub format: String,
    /// Its text encoding.
    pub encoding: String,
    /// Recognised headers and their fields.
    pub columns: Vec<(String, String)>,
    /// Headers kept as raw attributes.
    pub unknown: Vec<String>,
}

/// `demo/feeds/products.csv` → `demo/feeds/products.{suffix}`.
fn report_blob_name(blob_name: &str, suffix: &str) -> String {
    let (dir, file) = blob_name.rsplit_once('/').unwrap_or(("", blob_name));
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let stem = if stem.is_empty() { file } else { stem };
    if dir.is_empty() {
        format!("{stem}.{suffix}")
    } else {
        format!("{dir}/{stem}.{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_sits_beside_the_feed_with_its_extension_replaced() {
        assert_eq!(
            report_blob_name("demo/products.csv", "report.json"),
            "demo/products.report.json"
        );
        assert_eq!(
            report_blob_name("demo/a/b.feed.csv", "report.json"),
            "demo/a/b.feed.report.json"
        );
        assert_eq!(
            report_blob_name("demo/noext", "report.json"),
            "demo/noext.report.json"
        );
        assert_eq!(
            report_blob_name("demo/.csv", "report.json"),
            "demo/.csv.report.json"
        );
    }
}
