//! Export to Application Insights: traces, logs and metrics, batched on the tokio runtime and
//! uploaded over HTTPS by `opentelemetry-application-insights` (to `<IngestionEndpoint>/v2/track`,
//! gzip-compressed JSON envelopes).

use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram, MeterProvider as _};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_appender_tracing::layer::OpenTelemetryTracingBridge;
use opentelemetry_application_insights::Exporter;
use opentelemetry_http::HttpClient;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::logs::SdkLoggerProvider;
use opentelemetry_sdk::logs::log_processor_with_async_runtime::BatchLogProcessor;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::metrics::periodic_reader_with_async_runtime::PeriodicReader;
use opentelemetry_sdk::runtime::Tokio;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::filter_fn;
use tracing_subscriber::registry::LookupSpan;

/// The cloud role every item carries (`service.name`), and the instrumentation scope.
const SERVICE_NAME: &str = "advisor";
/// How long shutdown waits for the last batches. The exporter retries an unreachable endpoint
/// for up to 35 s; the host gives a stopping process less than that.
const SHUTDOWN_BUDGET: Duration = Duration::from_secs(10);

/// One upload's limit, well inside the batch processors' 30 s export timeout.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(20);

/// Why export could not be set up.
pub type ExportError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// How an invocation ended, as the metrics and the span status say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered 2xx.
    Ok,
    /// The payload did not have the protocol's shape (400).
    BadPayload,
    /// A dependency failed in a way that may pass (503).
    Transient,
    /// Any other failure (500).
    Internal,
    /// The handler panicked (500).
    Panic,
    /// The host dropped the request before the answer.
    Cancelled,
}

impl Outcome {
    /// The metric attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::BadPayload => "bad_payload",
            Outcome::Transient => "transient",
            Outcome::Internal => "internal",
            Outcome::Panic => "panic",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// The HTTPS client the uploads go through (rustls, the platform's roots).
pub(super) fn https_client() -> Result<reqwest::Client, ExportError> {
    Ok(reqwest::Client::builder().timeout(UPLOAD_TIMEOUT).build()?)
}

/// The providers, alive while the app runs.
#[derive(Debug)]
pub(super) struct Exporters {
    tracer_provider: SdkTracerProvider,
    logger_provider: SdkLoggerProvider,
    meter_provider: SdkMeterProvider,
}

/// The two layers that feed the providers, built for whatever subscriber they join.
pub(super) struct ExportLayers {
    tracer: SdkTracer,
    logger_provider: SdkLoggerProvider,
}

impl Exporters {
    /// Builds the three providers over one exporter. Must run inside the tokio runtime.
    pub(super) fn build<C>(connection_string: &str, client: C) -> Result<Self, ExportError>
    where
        C: HttpClient + Clone + 'static,
    {
        let exporter = Exporter::new_from_connection_string(connection_string, client)?;
        let resource = Resource::builder()
            .with_service_name(SERVICE_NAME)
            .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
            .build();
        let tracer_provider = SdkTracerProvider::builder()
            .with_resource(resource.clone())
            .with_span_processor(BatchSpanProcessor::builder(exporter.clone(), Tokio).build())
            .build();
        let logger_provider = SdkLoggerProvider::builder()
            .with_resource(resource.clone())
            .with_log_processor(BatchLogProcessor::builder(exporter.clone(), Tokio).build())
            .build();
        let meter_provider = SdkMeterProvider::builder()
            .with_resource(resource)
            .with_reader(PeriodicReader::builder(exporter, Tokio).build())
            .build();
        Ok(Self {
            tracer_provider,
            logger_provider,
            meter_provider,
        })
    }

    /// The layers that turn spans and events into telemetry.
    pub(super) fn layers(&self) -> ExportLayers {
        ExportLayers {
            tracer: self.tracer_provider.tracer(SERVICE_NAME),
            logger_provider: self.logger_provider.clone(),
        }
    }

    /// The invocation instruments.
    pub(super) fn metrics(&self) -> InvocationMetrics {
        InvocationMetrics::new(&self.meter_provider)
    }

    /// Flushes and stops the providers; returns whether all of them did so in time.
    pub(super) async fn shutdown(self) -> bool {
        // The batch processors' shutdown blocks until their task on the runtime has exported,
        // so it must not block a runtime thread.
        let stop = tokio::task::spawn_blocking(move || {
            [
                ("traces", self.tracer_provider.shutdown()),
                ("logs", self.logger_provider.shutdown()),
                ("metrics", self.meter_provider.shutdown()),
            ]
        });
        match tokio::time::timeout(SHUTDOWN_BUDGET, stop).await {
            Ok(Ok(results)) => {
                let mut clean = true;
                for (signal, result) in results {
                    if let Err(error) = result {
                        clean = false;
                        tracing::warn!(signal, %error, "telemetry export did not shut down cleanly");
                    }
                }
                clean
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "telemetry shutdown failed");
                false
            }
            Err(_) => {
                tracing::warn!(
                    budget_s = SHUTDOWN_BUDGET.as_secs(),
                    "telemetry shutdown timed out; the last batch may be lost"
                );
                false
            }
        }
    }
}

impl ExportLayers {
    /// Spans go to the tracer (as requests and dependencies), events to the logger (as traces).
    /// Events are not also recorded as span events, which would send every line twice.
    pub(super) fn into_layer<S>(self) -> impl Layer<S> + Send + Sync + 'static
    where
        S: Subscriber + for<'a> LookupSpan<'a> + Send + Sync + 'static,
    {
        // Source location, thread and busy/idle times would be the same few properties on
        // every request; the function and invocation fields say what matters.
        let spans = tracing_opentelemetry::layer()
            .with_tracer(self.tracer)
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_tracked_inactivity(false)
            .with_filter(filter_fn(|meta| meta.is_span()));
        // The exporter's own HTTP client and the SDK log through `tracing` too; exporting
        // those would feed the exporter from itself.
        let events =
            OpenTelemetryTracingBridge::new(&self.logger_provider).with_filter(filter_fn(|meta| {
                meta.is_event() && !is_export_machinery(meta.target())
            }));
        spans.and_then(events)
    }
}

fn is_export_machinery(target: &str) -> bool {
    ["opentelemetry", "hyper", "reqwest", "h2", "rustls", "tower"]
        .iter()
        .any(|prefix| target.starts_with(prefix))
}

/// `advisor.invocations` (count) and `advisor.invocation.duration` (seconds), both by
/// `function` and `outcome`.
#[derive(Debug, Clone)]
pub(super) struct InvocationMetrics {
    invocations: Counter<u64>,
    duration: Histogram<f64>,
}

impl InvocationMetrics {
    fn new(provider: &SdkMeterProvider) -> Self {
        let meter = provider.meter(SERVICE_NAME);
        Self {
            invocations: meter
                .u64_counter("advisor.invocations")
                .with_description("Invocations handled, by function and outcome")
                .build(),
            duration: meter
                .f64_histogram("advisor.invocation.duration")
                .with_unit("s")
                .with_description("Time from the host's POST to the answer")
                .build(),
        }
    }

    /// Counts one invocation of `function`.
    pub(super) fn record(&self, function: &str, outcome: Outcome, elapsed: Duration) {
        let attributes = [
            KeyValue::new("function", function.to_owned()),
            KeyValue::new("outcome", outcome.as_str()),
        ];
        self.invocations.add(1, &attributes);
        self.duration.record(elapsed.as_secs_f64(), &attributes);
    }
}
