//! The ingestion report: counts and every rejected row, as JSON a partner can act on.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::TenantId;
use crate::store::{IngestRun, IngestRunFinish, ProductChange, RejectedRow, RunStatus};

/// A run's report, written to `ingest-reports/{tenant}/{name}.report.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The run.
    pub run_id: String,
    /// The tenant.
    pub tenant: TenantId,
    /// The file, as `ingest/{tenant}/…`.
    pub file: String,
    /// `succeeded` (good rows landed, bad ones listed) or `failed` (nothing landed).
    pub status: RunStatus,
    /// Why the file as a whole could not be ingested.
    pub error: Option<String>,
    /// When the run started.
    pub started_at: DateTime<Utc>,
    /// When the report was written.
    pub finished_at: DateTime<Utc>,
    /// What happened to the rows.
    pub counts: Counts,
    /// How each recognised header was understood: `[header, field]`.
    pub columns: Vec<(String, String)>,
    /// Headers that matched no field (ignored).
    pub unknown_columns: Vec<String>,
    /// Every problem of every rejected row.
    pub rejected_rows: Vec<RejectedRow>,
    #[serde(skip)]
    blob_name: String,
}

/// Row counts of a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Data rows read (the header excluded).
    pub rows: u64,
    /// Products created.
    pub inserted: u64,
    /// Products whose content changed.
    pub updated: u64,
    /// Valid rows whose content was already stored.
    pub unchanged: u64,
    /// Rows rejected.
    pub rejected: u64,
}

impl Report {
    /// An empty report for `run`.
    pub fn new(run: &IngestRun) -> Self {
        Self {
            run_id: run.id.clone(),
            tenant: run.tenant.clone(),
            file: format!("ingest/{}", run.blob_name),
            status: RunStatus::Succeeded,
            error: None,
            started_at: run.started_at,
            finished_at: Utc::now(),
            counts: Counts::default(),
            columns: Vec::new(),
            unknown_columns: Vec::new(),
            rejected_rows: Vec::new(),
            blob_name: report_blob_name(&run.blob_name),
        }
    }

    /// The report's blob name within `ingest-reports`.
    pub fn blob_name(&self) -> &str {
        &self.blob_name
    }

    /// Records how the header was understood.
    pub fn set_columns(&mut self, known: Vec<(String, String)>, unknown: Vec<String>) {
        self.columns = known;
        self.unknown_columns = unknown;
    }

    /// Marks the file as unusable as a whole.
    pub fn fail(&mut self, reason: String) {
        self.status = RunStatus::Failed;
        self.error = Some(reason);
    }

    /// Adds a batch of `rows` rows and its rejected rows.
    pub fn add_batch(&mut self, rows: u64, rejected: Vec<RejectedRow>) {
        self.counts.rows += rows;
        let mut last_line = self.rejected_rows.last().map(|r| r.line);
        for row in &rejected {
            if last_line != Some(row.line) {
                self.counts.rejected += 1;
                last_line = Some(row.line);
            }
        }
        self.rejected_rows.extend(rejected);
    }

    /// Sets inserted/updated/unchanged from every change the run recorded, including those of
    /// an earlier attempt that crashed, so a redone run still reports what it did.
    pub fn count_changes(&mut self, changes: &[ProductChange]) {
        self.counts.inserted = changes.iter().filter(|c| c.inserted).count() as u64;
        self.counts.updated = changes.len() as u64 - self.counts.inserted;
        self.counts.unchanged = self
            .counts
            .rows
            .saturating_sub(self.counts.rejected + self.counts.inserted + self.counts.updated);
        self.finished_at = Utc::now();
    }

    /// The run's totals for the store.
    pub fn finish(&self) -> IngestRunFinish {
        IngestRunFinish {
            status: self.status,
            format: None,
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

/// `demo/feeds/products.csv` → `demo/feeds/products.report.json`.
fn report_blob_name(blob_name: &str) -> String {
    let (dir, file) = blob_name.rsplit_once('/').unwrap_or(("", blob_name));
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let stem = if stem.is_empty() { file } else { stem };
    if dir.is_empty() {
        format!("{stem}.report.json")
    } else {
        format!("{dir}/{stem}.report.json")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_sits_beside_the_feed_with_its_extension_replaced() {
        assert_eq!(
            report_blob_name("demo/products.csv"),
            "demo/products.report.json"
        );
        assert_eq!(
            report_blob_name("demo/a/b.feed.csv"),
            "demo/a/b.feed.report.json"
        );
        assert_eq!(report_blob_name("demo/noext"), "demo/noext.report.json");
        assert_eq!(report_blob_name("demo/.csv"), "demo/.csv.report.json");
    }
}
