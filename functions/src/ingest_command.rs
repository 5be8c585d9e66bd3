//! `advisor ingest FILE --tenant T`: a feed file through the ingestion pipeline, with a
//! progress line (rows/s, bad rows so far) and a summary. Locally, the enrichment it owes goes
//! onto the local `enrich` queue, where `cargo run` picks it up.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use shared::domain::TenantId;
use shared::ingest::record::FeedKind;
use shared::ingest::{Progress, ingest_file};
use shared::settings::{Mode, Settings};

use crate::app::AppState;
use crate::local_host::queue::{NewMessage, QueueStore};
use crate::local_host::queue_db_path;

/// Runs the command.
pub async fn run(
    file: PathBuf,
    tenant: &str,
    kind: Option<String>,
    profile: Option<String>,
    settings: Settings,
    data_dir: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let tenant = TenantId::parse(tenant)?;
    let kind = kind
        .map(|k| {
            FeedKind::from_path_segment(&k)
                .ok_or_else(|| format!("unknown kind `{k}`: use products, inventory or orders"))
        })
        .transpose()?;
    let local = settings.mode == Mode::Local;
    let state = AppState::build(settings).await?;
    if !state.store.tenant_exists(&tenant).await? {
        return Err(format!("unknown tenant `{tenant}` (locally, `demo` exists)").into());
    }
    let started = Instant::now();
    let meter = Meter::new(started);
    let outcome = ingest_file(
        state.store.as_ref(),
        &state.blobs,
        &tenant,
        &file,
        kind,
        profile.as_deref(),
        &|p| meter.show(p),
    )
    .await?;
    meter.clear();
    let run = &outcome.run;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}: {} {} rows in {seconds:.1} s ({:.0} rows/s): {} inserted, {} updated, {} unchanged, {} rejected{}",
        file.display(),
        run.status.as_str(),
        run.rows_total,
        run.rows_total as f64 / seconds.max(0.001),
        run.inserted,
        run.updated,
        run.unchanged,
        run.rejected,
        if outcome.replayed {
            " (this content was ingested before: nothing to do)"
        } else {
            ""
        },
    );
    if let Some(error) = &run.error {
        println!("  {error}");
    }
    if let Some(report) = &run.report_blob {
        println!("  report: ingest-reports/{report}");
    }
    if outcome.enrich.is_empty() {
        return Ok(());
    }
    if local {
        let queues = QueueStore::open(&queue_db_path(data_dir))?;
        let messages = outcome
            .enrich
            .iter()
            .map(|m| {
                Ok(NewMessage {
                    body: serde_json::to_string(m)?,
                    message_id: None,
                    content_type: Some("application/json".into()),
                    application_properties: serde_json::Map::new(),
                    time_to_live: None,
                })
            })
            .collect::<Result<Vec<_>, serde_json::Error>>()?;
        queues.send_batch("enrich", messages, chrono::Utc::now())?;
        println!(
            "  {} enrichment message(s) queued on the local `enrich` queue (`cargo run` handles them)",
            outcome.enrich.len()
        );
    } else {
        println!(
            "  {} enrichment message(s) owed: ingest through the `ingest` container to have them sent",
            outcome.enrich.len()
        );
    }
    Ok(())
}

/// The progress line on stderr, redrawn at most ten times a second, only on a terminal.
struct Meter {
    started: Instant,
    last: Mutex<Option<Instant>>,
    terminal: bool,
}

impl Meter {
    fn new(started: Instant) -> Self {
        Self {
            started,
            last: Mutex::new(None),
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn show(&self, progress: Progress) {
        if !self.terminal {
            return;
        }
        let now = Instant::now();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_some_and(|l| now.duration_since(l).as_millis() < 100) {
            return;
        }
        *last = Some(now);
        let seconds = now.duration_since(self.started).as_secs_f64().max(0.001);
        let pass = if progress.applying {
            "landing "
        } else {
            "checking"
        };
        let _ = write!(
            std::io::stderr(),
            "\r{pass} {:>12} rows  {:>9.0} rows/s  {:>9} bad",
            progress.rows,
            progress.rows as f64 / seconds,
            progress.bad_rows
        );
    }

    fn clear(&self) {
        if self.terminal {
            let _ = write!(std::io::stderr(), "\r{:70}\r", "");
        }
    }
}
