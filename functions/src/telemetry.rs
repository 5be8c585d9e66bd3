//! Logging: `tracing` with structured fields. Errors go to stderr and everything else to
//! stdout, because the Functions host logs every stderr line as an error (§1.2).

use tracing::Level;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::writer::MakeWriterExt;

/// Installs the global subscriber; `filter` is `RUST_LOG`-style (default `info`).
pub fn init(filter: Option<&str>) {
    let filter =
        EnvFilter::try_new(filter.unwrap_or("info")).unwrap_or_else(|_| EnvFilter::new("info"));
    let writer = std::io::stderr
        .with_max_level(Level::ERROR)
        .or_else(std::io::stdout);
    // A second call (tests start several apps in one process) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .try_init();
}
