//! Where lines go, what an invocation's span and `Logs` carry, and the export to a stand-in for
//! the Application Insights ingestion endpoint. Every test builds its own subscriber and sets it
//! for its own thread (current-thread runtimes), so tests never share one.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read as _, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::routing::post;
use opentelemetry_http::{HttpClient, HttpError};
use serde_json::{Value, json};
use shared::protocol::host::{self, ServiceBusDelivery, Sys};
use shared::settings::{Environment, Settings};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Instrument, Span};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use super::export::Exporters;
use super::*;
use crate::app::{AppState, HandlerServer};

/// An in-memory writer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn quiet_subscriber(export: Option<ExportLayers>) -> impl Subscriber + for<'a> LookupSpan<'a> {
    subscriber(env_filter(None), Buffer::default(), false, export)
}

#[test]
fn errors_go_to_stderr_and_everything_else_to_stdout() {
    let (stderr, stdout) = (Buffer::default(), Buffer::default());
    let writer = split_writer(stderr.clone(), stdout.clone());
    tracing::subscriber::with_default(subscriber(env_filter(None), writer, false, None), || {
        tracing::info!("an info line");
        tracing::warn!("a warning");
        tracing::error!("an error");
    });
    let (stderr, stdout) = (stderr.text(), stdout.text());
    assert!(stderr.contains("an error"), "stderr: {stderr}");
    assert!(!stderr.contains("an info line") && !stderr.contains("a warning"));
    assert!(stdout.contains("an info line") && stdout.contains("a warning"));
    assert!(!stdout.contains("an error"), "stdout: {stdout}");
}

#[test]
fn without_a_valid_connection_string_nothing_is_exported() {
    for connection_string in [None, Some(""), Some("not a connection string")] {
        let telemetry = init(None, connection_string);
        assert!(!telemetry.is_exporting(), "{connection_string:?}");
    }
    assert!(METRICS.get().is_none());
}

#[test]
fn stdout_lines_name_the_invocation_without_the_export_only_fields() {
    let stdout = Buffer::default();
    let writer = split_writer(Buffer::default(), stdout.clone());
    tracing::subscriber::with_default(subscriber(env_filter(None), writer, false, None), || {
        let span = invocation_span("EnrichProduct", "inv-7");
        span.record("tenant", "demo");
        span.in_scope(|| tracing::info!(sku = "A-1", "enrichment handled"));
    });
    let line = stdout.text();
    assert!(
        line.contains(
            r#"invocation{function="EnrichProduct" invocation_id="inv-7" tenant="demo"}: enrichment handled sku="A-1""#
        ),
        "{line}"
    );
}

#[tokio::test]
async fn concurrent_invocations_each_get_exactly_their_own_lines() {
    let _default = tracing::subscriber::set_default(quiet_subscriber(None));
    let invocation = |name: &'static str| async move {
        let span = invocation_span(name, &format!("{name}-id"));
        async {
            for n in 0..3 {
                tracing::info!(n, "{name} step");
                // Hands the thread to the other invocation, so their events interleave.
                tokio::task::yield_now().await;
            }
            tracing::debug!("{name} below the filter");
            tracing::info_span!("child").in_scope(|| tracing::warn!("{name} in a child span"));
        }
        .instrument(span.clone())
        .await;
        take_invocation_logs(&span)
    };
    tracing::info!("outside any invocation");
    let (a, b) = tokio::join!(invocation("A"), invocation("B"));
    let expected = |name: &str| {
        vec![
            format!("INFO {name} step n=0"),
            format!("INFO {name} step n=1"),
            format!("INFO {name} step n=2"),
            format!("WARN {name} in a child span"),
        ]
    };
    assert_eq!(a, expected("A"));
    assert_eq!(b, expected("B"));
}

#[tokio::test]
async fn the_logs_of_a_chatty_invocation_are_capped_with_a_count_of_the_rest() {
    let _default = tracing::subscriber::set_default(quiet_subscriber(None));
    let span = invocation_span("Products", "chatty");
    span.in_scope(|| {
        for n in 0..MAX_LINES_PER_INVOCATION + 5 {
            tracing::info!(n, "line");
        }
    });
    let lines = take_invocation_logs(&span);
    assert_eq!(lines.len(), MAX_LINES_PER_INVOCATION + 1);
    assert_eq!(
        lines[MAX_LINES_PER_INVOCATION],
        format!(
            "5 more log line(s) dropped: at most {MAX_LINES_PER_INVOCATION} are kept per invocation"
        )
    );
}

#[test]
fn a_quiet_filter_still_gives_every_invocation_its_span() {
    let _default = tracing::subscriber::set_default(subscriber(
        env_filter(Some("warn")),
        Buffer::default(),
        false,
        None,
    ));
    let span = invocation_span("Products", "quiet");
    assert!(!span.is_disabled());
    span.in_scope(|| {
        tracing::info!("below the filter");
        tracing::warn!("a warning");
    });
    assert_eq!(take_invocation_logs(&span), vec!["WARN a warning"]);
}

/// The fields of every invocation span, as created and later recorded.
#[derive(Clone, Default)]
struct SpanRecorder(Arc<Mutex<HashMap<u64, BTreeMap<String, String>>>>);

struct FieldsVisitor<'a>(&'a mut BTreeMap<String, String>);

impl Visit for FieldsVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber> Layer<S> for SpanRecorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        if attrs.metadata().name() == INVOCATION_SPAN {
            let mut fields = BTreeMap::new();
            attrs.record(&mut FieldsVisitor(&mut fields));
            self.0.lock().unwrap().insert(id.into_u64(), fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        if let Some(fields) = self.0.lock().unwrap().get_mut(&id.into_u64()) {
            values.record(&mut FieldsVisitor(fields));
        }
    }
}

fn enrich_invocation(body: &str) -> Value {
    let delivery = ServiceBusDelivery {
        body: body.to_owned(),
        message_id: "message-1".into(),
        delivery_count: 1,
        sequence_number: 1,
        lock_token: "lock-1".into(),
        content_type: None,
        enqueued_time: chrono::Utc::now(),
        expires_at: chrono::Utc::now() + chrono::Duration::days(14),
        application_properties: serde_json::Map::new(),
        namespace: "test.servicebus.windows.net".into(),
    };
    serde_json::to_value(host::service_bus_invocation(
        "message",
        &delivery,
        &Sys::now("EnrichProduct"),
    ))
    .unwrap()
}

#[tokio::test]
async fn an_invocation_runs_in_a_span_with_its_id_function_and_tenant_and_answers_its_lines() {
    let spans = SpanRecorder::default();
    let _default = tracing::subscriber::set_default(quiet_subscriber(None).with(spans.clone()));
    let data_dir = tempfile::tempdir().unwrap();
    let settings = Settings::from_environment(&Environment::default(), data_dir.path()).unwrap();
    let state = AppState::build(settings).await.unwrap();
    let server = HandlerServer::bind(state, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}/EnrichProduct", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));

    let body = json!({"tenant": "demo", "sku": "GONE-1", "content_hash": "h"}).to_string();
    let response = reqwest::Client::new()
        .post(url)
        .header("X-Azure-Functions-InvocationId", "9f2c1e4a-inv")
        .json(&enrich_invocation(&body))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["Logs"],
        json!([
            "demo/GONE-1: 0 enriched, 0 already current, 1 gone, 0 pages handed on",
            "INFO enrichment handled tenant=demo enriched=0 current=0 gone=1 pages=0",
        ])
    );

    let spans: Vec<_> = spans.0.lock().unwrap().values().cloned().collect();
    let expected: BTreeMap<String, String> = [
        ("function", "EnrichProduct"),
        ("invocation_id", "9f2c1e4a-inv"),
        ("tenant", "demo"),
        ("otel.name", "EnrichProduct"),
        ("otel.kind", "server"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(spans, vec![expected]);
    let _ = stop.send(());
    serving.await.unwrap().unwrap();
}

/// The exporter always rewrites the ingestion endpoint to HTTPS; this client sends the same
/// request over plain HTTP so a local server can stand in for Application Insights.
#[derive(Debug, Clone)]
struct PlainHttp(reqwest::Client);

#[async_trait::async_trait]
impl HttpClient for PlainHttp {
    async fn send_bytes(
        &self,
        mut request: opentelemetry_http::Request<Bytes>,
    ) -> Result<opentelemetry_http::Response<Bytes>, HttpError> {
        let plain = request.uri().to_string().replacen("https://", "http://", 1);
        *request.uri_mut() = plain.parse()?;
        self.0.send_bytes(request).await
    }
}

/// Answers `/v2/track` as the ingestion endpoint does, passing on every envelope it receives.
async fn track(State(received): State<mpsc::UnboundedSender<Value>>, body: Bytes) -> String {
    let mut json = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut json)
        .unwrap();
    let envelopes: Vec<Value> = serde_json::from_str(&json).unwrap();
    let count = envelopes.len();
    for envelope in envelopes {
        let _ = received.send(envelope);
    }
    json!({"itemsReceived": count, "itemsAccepted": count, "errors": []}).to_string()
}

fn of_type<'a>(envelopes: &'a [Value], base_type: &str) -> Vec<&'a Value> {
    envelopes
        .iter()
        .filter(|e| e["data"]["baseType"] == base_type)
        .collect()
}

#[tokio::test]
async fn spans_logs_and_metrics_reach_the_ingestion_endpoint_and_shutdown_is_clean() {
    let (sender, mut received) = mpsc::unbounded_channel();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let ingestion = Router::new()
        .route("/v2/track", post(track))
        .with_state(sender);
    tokio::spawn(async move { axum::serve(listener, ingestion).await });
    let key = "11111111-2222-3333-4444-555555555555";
    let connection_string =
        format!("InstrumentationKey={key};IngestionEndpoint=http://127.0.0.1:{port}/");
    let exporters =
        Exporters::build(&connection_string, PlainHttp(reqwest::Client::new())).unwrap();

    let default = tracing::subscriber::set_default(quiet_subscriber(Some(exporters.layers())));
    let span = invocation_span("EnrichProduct", "inv-42");
    span.in_scope(|| {
        Span::current().record("tenant", "demo");
        tracing::info!(sku = "A-1", "enrichment handled");
    });
    finish_invocation(&span, "EnrichProduct", 200, Outcome::Ok, Duration::ZERO);
    drop(span);
    exporters.metrics().record(
        "EnrichProduct",
        Outcome::Transient,
        Duration::from_millis(12),
    );
    drop(default);
    assert!(
        exporters.shutdown().await,
        "every provider shuts down cleanly"
    );

    let mut envelopes = Vec::new();
    while let Ok(envelope) = received.try_recv() {
        envelopes.push(envelope);
    }
    assert!(envelopes.iter().all(|e| e["iKey"] == key), "{envelopes:#?}");

    let requests = of_type(&envelopes, "RequestData");
    assert_eq!(requests.len(), 1, "{envelopes:#?}");
    let request = requests[0];
    assert_eq!(request["data"]["baseData"]["name"], "EnrichProduct");
    assert_eq!(request["data"]["baseData"]["success"], true);
    assert_eq!(request["data"]["baseData"]["responseCode"], "200");
    assert_eq!(request["tags"]["ai.operation.name"], "EnrichProduct");
    let properties = &request["data"]["baseData"]["properties"];
    assert_eq!(properties["invocation_id"], "inv-42");
    assert_eq!(properties["function"], "EnrichProduct");
    assert_eq!(properties["tenant"], "demo");

    let messages = of_type(&envelopes, "MessageData");
    assert_eq!(messages.len(), 1, "{envelopes:#?}");
    let message = messages[0];
    assert_eq!(message["data"]["baseData"]["message"], "enrichment handled");
    assert_eq!(message["data"]["baseData"]["properties"]["sku"], "A-1");
    assert_eq!(
        message["tags"]["ai.operation.id"], request["tags"]["ai.operation.id"],
        "the log line joins its request"
    );

    let metrics = of_type(&envelopes, "MetricData");
    let names: Vec<&Value> = metrics
        .iter()
        .map(|m| &m["data"]["baseData"]["metrics"][0]["name"])
        .collect();
    assert!(names.contains(&&json!("advisor.invocations")), "{names:?}");
    assert!(
        names.contains(&&json!("advisor.invocation.duration")),
        "{names:?}"
    );
    let counted = metrics
        .iter()
        .find(|m| m["data"]["baseData"]["metrics"][0]["name"] == "advisor.invocations")
        .unwrap();
    assert_eq!(
        counted["data"]["baseData"]["properties"]["outcome"],
        "transient"
    );
    assert_eq!(counted["data"]["baseData"]["metrics"][0]["value"], 1.0);
}
