//! Telemetry: `tracing` with structured fields, written where the Functions host reads it and,
//! when a connection string is given, exported to Application Insights.
//!
//! - stdout and stderr: errors go to stderr and everything else to stdout, because the host
//!   logs every stderr line as an error (§1.2).
//! - The response's `Logs` (§3.2): every invocation runs inside an [`invocation_span`], whose
//!   events are collected per span and handed to the host with [`take_invocation_logs`].
//! - Application Insights: the invocation span becomes a request named after the function,
//!   events become traces, and [`record_invocation`] feeds two metrics. Without a connection
//!   string nothing of OpenTelemetry is built.

mod export;
mod invocation_logs;

use std::fmt;
use std::sync::OnceLock;
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::{Level, Span, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::format::{DefaultVisitor, Writer};
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::fmt::{FormatFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

pub use export::Outcome;
use export::{ExportLayers, Exporters, InvocationMetrics};
use invocation_logs::InvocationLogsLayer;
pub use invocation_logs::{MAX_LINES_PER_INVOCATION, take_invocation_logs};

/// The target of the invocation span. The filter always enables it, so a quieter filter (say
/// `warn`) still gives every invocation its span, its request telemetry and its `Logs`.
pub const INVOCATION_TARGET: &str = "advisor::invocation";
/// The name of the span every invocation runs in.
pub const INVOCATION_SPAN: &str = "invocation";

/// The invocation metrics, set once by [`init`] when Application Insights is configured.
static METRICS: OnceLock<InvocationMetrics> = OnceLock::new();

/// What [`init`] set up; [`Telemetry::shutdown`] flushes it on the way out.
#[derive(Debug)]
#[must_use = "call `shutdown` on the way out, or the last batch of telemetry is lost"]
pub struct Telemetry {
    exporters: Option<Exporters>,
}

impl Telemetry {
    /// Whether telemetry is exported to Application Insights.
    pub fn is_exporting(&self) -> bool {
        self.exporters.is_some()
    }

    /// Exports what is still buffered and stops the exporters. Waits at most a few seconds, so
    /// an unreachable ingestion endpoint cannot hold up the process's exit.
    pub async fn shutdown(self) {
        if let Some(exporters) = self.exporters {
            exporters.shutdown().await;
        }
    }
}

/// Installs the global subscriber. `filter` is `RUST_LOG`-style (default `info`);
/// `connection_string` is `APPLICATIONINSIGHTS_CONNECTION_STRING`, and without it nothing of
/// OpenTelemetry is built. Call it inside the tokio runtime: the exporters batch on it.
///
/// A malformed connection string is logged as an error and the app runs without export.
pub fn init(filter: Option<&str>, connection_string: Option<&str>) -> Telemetry {
    let (exporters, export_error) = match connection_string.filter(|c| !c.trim().is_empty()) {
        None => (None, None),
        Some(connection_string) => {
            match export::https_client()
                .and_then(|client| Exporters::build(connection_string, client))
            {
                Ok(exporters) => (Some(exporters), None),
                Err(error) => (None, Some(error)),
            }
        }
    };
    let export_layers = exporters.as_ref().map(Exporters::layers);
    let writer = split_writer(std::io::stderr, std::io::stdout);
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    // A second call (tests start several apps in one process) keeps the first subscriber.
    let installed = subscriber(env_filter(filter), writer, ansi, export_layers)
        .try_init()
        .is_ok();
    if let Some(error) = export_error {
        tracing::error!(%error, "Application Insights export could not be set up and is off");
    }
    if installed && let Some(exporters) = &exporters {
        let _ = METRICS.set(exporters.metrics());
    }
    Telemetry { exporters }
}

/// The span an invocation of `function` runs in. `tenant` is recorded by the handler once it
/// knows it: `Span::current().record("tenant", …)`.
///
/// In Application Insights it is a request named after the function (`otel.name`, and the
/// operation name is set alike by [`finish_invocation`]), with `invocation_id`, `function` and
/// `tenant` as custom dimensions.
pub fn invocation_span(function: &str, invocation_id: &str) -> Span {
    tracing::info_span!(
        target: INVOCATION_TARGET,
        INVOCATION_SPAN,
        otel.name = function,
        otel.kind = "server",
        function,
        invocation_id,
        tenant = tracing::field::Empty,
    )
}

/// Marks the end of an invocation on its span (status, response code, operation name, kept out
/// of the stdout lines) and in the metrics.
pub fn finish_invocation(
    span: &Span,
    function: &str,
    status: u16,
    outcome: Outcome,
    elapsed: Duration,
) {
    use opentelemetry::trace::Status;
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    // Without the OpenTelemetry layer these find no span data and do nothing.
    span.set_attribute("ai.operation.name", function.to_owned());
    span.set_attribute("http.response.status_code", i64::from(status));
    span.set_status(match outcome {
        Outcome::Ok => Status::Ok,
        other => Status::error(other.as_str()),
    });
    record_invocation(function, outcome, elapsed);
}

/// Counts an invocation and its duration, when Application Insights is configured.
pub fn record_invocation(function: &str, outcome: Outcome, elapsed: Duration) {
    if let Some(metrics) = METRICS.get() {
        metrics.record(function, outcome, elapsed);
    }
}

fn env_filter(filter: Option<&str>) -> EnvFilter {
    let filter = filter.unwrap_or("info");
    let always = format!("{INVOCATION_TARGET}=info");
    EnvFilter::try_new(format!("{filter},{always}"))
        .unwrap_or_else(|_| EnvFilter::new(format!("info,{always}")))
}

/// Errors to `errors`, everything else to `rest`.
fn split_writer<E, R>(errors: E, rest: R) -> impl for<'w> MakeWriter<'w> + Send + Sync + 'static
where
    E: for<'w> MakeWriter<'w> + Send + Sync + 'static,
    R: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    errors.with_max_level(Level::ERROR).or_else(rest)
}

/// The whole subscriber: one filter for every layer, the stdout/stderr lines, the per-invocation
/// `Logs`, and the export layers when there are any.
fn subscriber<W>(
    filter: EnvFilter,
    writer: W,
    ansi: bool,
    export: Option<ExportLayers>,
) -> impl Subscriber + for<'a> LookupSpan<'a> + Send + Sync
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let fmt = tracing_subscriber::fmt::layer()
        .fmt_fields(WithoutExportFields)
        .with_writer(writer)
        .with_target(false)
        .with_ansi(ansi);
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(InvocationLogsLayer)
        .with(export.map(ExportLayers::into_layer))
}

/// The default field format without the `otel.*` fields, which only steer the export.
struct WithoutExportFields;

impl<'w> FormatFields<'w> for WithoutExportFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut visitor = SkipExportFields(DefaultVisitor::new(writer, true));
        fields.record(&mut visitor);
        visitor.0.finish()
    }
}

struct SkipExportFields<'w>(DefaultVisitor<'w>);

fn is_export_field(field: &Field) -> bool {
    field.name().starts_with("otel.")
}

impl Visit for SkipExportFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if !is_export_field(field) {
            self.0.record_str(field, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if !is_export_field(field) {
            self.0.record_error(field, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !is_export_field(field) {
            self.0.record_debug(field, value);
        }
    }
}

#[cfg(test)]
mod tests;
