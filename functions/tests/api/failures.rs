//! Dependency failures through the real handler (issue 9): the real SQLite store locked by
//! another connection, blob reads cut half-way by a TCP proxy in front of Azurite, an AI
//! provider that stalls or answers nonsense, platforms answering 5xx. Each test drives the
//! handler with the payloads the Functions host sends and checks the one signal the host
//! reads — transient failures are a non-2xx (the host retries), permanent ones are recorded
//! and answered 2xx — that nothing is half-written, that the same delivery succeeds once the
//! dependency is healthy, and that the process still answers `Health` afterwards.

mod ai;
mod blob_cut;
mod cut_proxy;
mod erp_and_woo;
mod platforms;
mod store_locked;

use std::net::SocketAddr;

use advisor::app::{AppState, HandlerServer};
use serde_json::{Value, json};
use shared::protocol::event_grid::{BLOB_CREATED, BlobCreatedData};
use shared::protocol::host::{self, ServiceBusDelivery, Sys};
use shared::protocol::{BlobCreatedEvent, HttpRequest};
use shared::settings::{Environment, Settings};
use tokio::sync::oneshot;

/// The dev tenant's key, which the local settings always accept.
pub const KEY: &str = "local-dev-key";

/// The bare handler on a free port, over its own data directory, stopped on drop.
pub struct Handler {
    pub url: String,
    pub data: tempfile::TempDir,
    client: reqwest::Client,
    _stop: oneshot::Sender<()>,
}

impl Handler {
    /// The app as `AppState::build` makes it from `settings` (SQLite and a local blob folder
    /// in the temporary directory unless the settings say otherwise).
    pub async fn start(settings: &[(&str, &str)]) -> Self {
        Self::start_adjusted(settings, |_| {}).await
    }

    /// As [`Handler::start`], with `adjust` swapping adapters (e.g. blobs behind a proxy).
    pub async fn start_adjusted(
        settings: &[(&str, &str)],
        adjust: impl FnOnce(&mut AppState),
    ) -> Self {
        let data = tempfile::tempdir().unwrap();
        let env = Environment::from_pairs(settings.iter().copied());
        let settings = Settings::from_environment(&env, data.path()).unwrap();
        let mut state = AppState::build(settings).await.unwrap();
        adjust(&mut state);
        let server = HandlerServer::bind(state.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let url = format!("http://{}", server.local_addr());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(server.serve(async move {
            let _ = stopped.await;
        }));
        Self {
            url,
            data,
            client: reqwest::Client::new(),
            _stop: stop,
        }
    }

    /// The SQLite file the store uses.
    pub fn database(&self) -> std::path::PathBuf {
        self.data.path().join("advisor.db")
    }

    /// POSTs `payload` to `/{function}` as the host does: the status and the JSON answer.
    pub async fn invoke(&self, function: &str, payload: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/{function}", self.url))
            .json(payload)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// An HTTP-triggered function's answer: the `res` output (status code, headers, body).
    pub async fn http(&self, function: &str, request: &HttpRequest) -> Value {
        let payload =
            serde_json::to_value(host::http_invocation("req", request, &Sys::now(function)))
                .unwrap();
        let (status, result) = self.invoke(function, &payload).await;
        assert_eq!(
            status, 200,
            "{function}: the invocation itself succeeds: {result}"
        );
        result["Outputs"]["res"].clone()
    }

    /// `Health` answers, and says every adapter is fine.
    pub async fn assert_healthy(&self) {
        let res = self.http("Health", &request("GET", "health", None)).await;
        assert_eq!(res["statusCode"], "200", "{res}");
        let body: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["status"], "ok", "{body}");
    }

    /// A product as `GET /api/products/{sku}` shows it, or `None` on a 404.
    pub async fn product(&self, sku: &str) -> Option<Value> {
        let mut get = request("GET", &format!("products/{sku}"), None);
        get.params.insert("sku".into(), sku.into());
        let res = self.http("Products", &get).await;
        match res["statusCode"].as_str() {
            Some("404") => None,
            Some("200") => Some(body_json(&res)),
            other => panic!("GET products/{sku}: {other:?} {res}"),
        }
    }

    /// Every SKU of the dev tenant, sorted.
    pub async fn skus(&self) -> Vec<String> {
        let mut list = request("GET", "products", None);
        list.query.insert("limit".into(), "200".into());
        let res = self.http("Products", &list).await;
        assert_eq!(res["statusCode"], "200", "{res}");
        let mut skus: Vec<String> = body_json(&res)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["sku"].as_str().unwrap().to_owned())
            .collect();
        skus.sort();
        skus
    }
}

/// An HTTP request from the dev tenant: `method` on `/api/{path}`, with a JSON `body`.
pub fn request(method: &str, path: &str, body: Option<Value>) -> HttpRequest {
    let mut request = HttpRequest {
        url: format!("http://localhost:7071/api/{path}"),
        method: method.into(),
        body: body.map(|b| b.to_string()),
        ..HttpRequest::default()
    };
    request.headers.insert("x-api-key".into(), vec![KEY.into()]);
    request
        .headers
        .insert("Content-Type".into(), vec!["application/json".into()]);
    request
}

/// An HTTP output's body, parsed.
pub fn body_json(res: &Value) -> Value {
    serde_json::from_str(res["body"].as_str().unwrap_or("null")).unwrap()
}

/// The Service Bus invocation carrying `body`, delivered for the `delivery_count`th time.
pub fn service_bus(function: &str, body: &str, message_id: &str, delivery_count: u32) -> Value {
    let delivery = ServiceBusDelivery {
        body: body.to_owned(),
        message_id: message_id.to_owned(),
        delivery_count,
        sequence_number: 1,
        lock_token: uuid::Uuid::new_v4().to_string(),
        content_type: None,
        enqueued_time: chrono::Utc::now(),
        expires_at: chrono::Utc::now() + chrono::Duration::days(14),
        application_properties: serde_json::Map::new(),
        namespace: "test.servicebus.windows.net".into(),
    };
    serde_json::to_value(host::service_bus_invocation(
        "message",
        &delivery,
        &Sys::now(function),
    ))
    .unwrap()
}

/// The BlobCreated event Event Grid sends for `container/name` (`etag`, `size` bytes), as the
/// message of the queue it is routed to; the event id keys idempotency, so a redelivery
/// sends the same `event_id`.
pub fn blob_created(
    function: &str,
    container: &str,
    name: &str,
    etag: &str,
    size: u64,
    event_id: &str,
) -> Value {
    let event = BlobCreatedEvent {
        topic: "/subscriptions/0/resourceGroups/advisor/providers/Microsoft.Storage/storageAccounts/devstoreaccount1".into(),
        subject: format!("/blobServices/default/containers/{container}/blobs/{name}"),
        event_type: BLOB_CREATED.into(),
        event_time: "2026-12-02T10:00:00.000000Z".into(),
        id: event_id.into(),
        data: BlobCreatedData {
            api: "PutBlob".into(),
            client_request_id: String::new(),
            request_id: String::new(),
            e_tag: etag.into(),
            content_type: String::new(),
            content_length: size,
            blob_type: "BlockBlob".into(),
            url: format!("http://127.0.0.1:10000/devstoreaccount1/{container}/{name}"),
            sequencer: "0".repeat(32),
            storage_diagnostics: json!({}),
        },
        data_version: String::new(),
        metadata_version: "1".into(),
    };
    let body = serde_json::to_string(&event).unwrap();
    service_bus(function, &body, event_id, 1)
}

/// A products feed of `rows` rows, `FEED-1` … `FEED-{rows}`, with text long enough that the
/// file spans many network reads.
pub fn products_feed(rows: usize) -> Vec<u8> {
    let mut feed = String::from("sku,title,description,price,quantity\n");
    for n in 1..=rows {
        feed.push_str(&format!(
            "FEED-{n},Stoneware mug number {n},\"A hand-thrown stoneware mug, glazed in deep blue, \
             dishwasher safe, holds 350 ml (item {n}).\",{}.50,{}\n",
            10 + n % 7,
            n % 13
        ));
    }
    feed.into_bytes()
}
