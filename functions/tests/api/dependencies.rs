//! Every handler facing a store that is down: the host is told to retry (non-2xx) for queue
//! triggers, HTTP callers get 503 problem+json with `Retry-After`, and `Health` says which part
//! is down. Nothing crashes.

use std::net::SocketAddr;
use std::sync::Arc;

use advisor::app::{AppState, HandlerServer};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use shared::analytics::{
    LowStockQuery, RollupOutcome, SalesData, SalesQuery, SalesReport, StockAlert, TenantView,
    TopItem, TopQuery, Tz,
};
use shared::connections::{ObjectKind, Platform};
use shared::domain::{Sku, TenantId};
use shared::protocol::HttpRequest;
use shared::protocol::host::{self, ServiceBusDelivery, Sys};
use shared::store::*;

/// A store whose database is unreachable, slow to say so, or hitting a bug.
#[derive(Debug, Default)]
struct DownStore {
    panics: bool,
    delay: Option<std::time::Duration>,
    /// Told when a call reaches the store, so a test knows an invocation is in flight.
    entered: Option<std::sync::Arc<tokio::sync::Notify>>,
}

impl DownStore {
    async fn fail<T>(&self) -> Result<T, StoreError> {
        if let Some(entered) = &self.entered {
            entered.notify_one();
        }
        if let Some(delay) = self.delay {
            tokio::time::sleep(delay).await;
        }
        assert!(!self.panics, "a bug in the store");
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

#[async_trait]
impl SalesData for DownStore {
    async fn tenant_time_zone(&self, _: &TenantId) -> Result<String, StoreError> {
        self.fail().await
    }
    async fn sales(&self, _: &TenantId, _: &SalesQuery) -> Result<SalesReport, StoreError> {
        self.fail().await
    }
    async fn top(&self, _: &TenantId, _: &TopQuery) -> Result<Vec<TopItem>, StoreError> {
        self.fail().await
    }
    async fn low_stock(
        &self,
        _: &TenantId,
        _: &LowStockQuery,
    ) -> Result<Vec<StockAlert>, StoreError> {
        self.fail().await
    }
}

#[async_trait]
impl Store for DownStore {
    async fn get_tenant(&self, _: &TenantId) -> Result<Option<TenantView>, StoreError> {
        self.fail().await
    }
    async fn set_tenant_time_zone(
        &self,
        _: &TenantId,
        _: Tz,
    ) -> Result<Option<RollupOutcome>, StoreError> {
        self.fail().await
    }
    async fn rebuild_daily_sales(&self, _: &TenantId) -> Result<RollupOutcome, StoreError> {
        self.fail().await
    }
    async fn tenants_with_orders(&self) -> Result<Vec<TenantId>, StoreError> {
        self.fail().await
    }
    fn describe(&self) -> String {
        "a store that is down".into()
    }
    async fn migrate(&self) -> Result<usize, StoreError> {
        self.fail().await
    }
    async fn check(&self) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn ensure_tenant(&self, _: &TenantId, _: &str) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn tenant_exists(&self, _: &TenantId) -> Result<bool, StoreError> {
        self.fail().await
    }
    async fn add_api_key(&self, _: &ApiKeyRecord) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn key_for_hash(&self, _: &str) -> Result<Option<ApiKeyMatch>, StoreError> {
        self.fail().await
    }
    async fn list_api_keys(&self, _: &TenantId) -> Result<Vec<ApiKeyView>, StoreError> {
        self.fail().await
    }
    async fn revoke_api_key(
        &self,
        _: &TenantId,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.fail().await
    }
    async fn touch_api_key(
        &self,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn begin_ingest_run(&self, _: &IngestRunStart) -> Result<IngestRun, StoreError> {
        self.fail().await
    }
    async fn apply_ingest_batch(
        &self,
        _: &IngestRun,
        _: &[ProductUpsert],
        _: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError> {
        self.fail().await
    }
    async fn ingest_run_changes(
        &self,
        _: &IngestRun,
        _: Option<&shared::domain::Sku>,
        _: u32,
    ) -> Result<Vec<ProductChange>, StoreError> {
        self.fail().await
    }
    async fn record_run_progress(&self, _: &IngestRun, _: &RunProgress) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn finish_ingest_run(
        &self,
        _: &IngestRun,
        _: &IngestRunFinish,
    ) -> Result<IngestRun, StoreError> {
        self.fail().await
    }
    async fn list_products(
        &self,
        _: &TenantId,
        _: &ProductQuery,
    ) -> Result<Vec<ProductView>, StoreError> {
        self.fail().await
    }
    async fn get_product(&self, _: &TenantId, _: &Sku) -> Result<Option<ProductView>, StoreError> {
        self.fail().await
    }
    async fn put_product(
        &self,
        _: &TenantId,
        _: &ProductUpsert,
        _: WriteCondition,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<ProductWrite, StoreError> {
        self.fail().await
    }
    async fn delete_product(
        &self,
        _: &TenantId,
        _: &Sku,
        _: i64,
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<ProductWrite, StoreError> {
        self.fail().await
    }
    async fn save_enrichment(
        &self,
        _: &TenantId,
        _: &Sku,
        _: &EnrichmentRecord,
        _: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<SaveOutcome, StoreError> {
        self.fail().await
    }
    async fn ai_tokens_spent(&self, _: &TenantId, _: NaiveDate) -> Result<u64, StoreError> {
        self.fail().await
    }
    async fn add_ai_tokens(&self, _: &TenantId, _: NaiveDate, _: u64) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn tenants_waiting_for_budget(&self) -> Result<Vec<TenantId>, StoreError> {
        self.fail().await
    }
    async fn enrichments_waiting_for_budget(
        &self,
        _: &TenantId,
        _: u32,
    ) -> Result<Vec<WaitingEnrichment>, StoreError> {
        self.fail().await
    }
    async fn products_missing_enrichment(
        &self,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
        _: u32,
    ) -> Result<Vec<WaitingEnrichment>, StoreError> {
        self.fail().await
    }
    async fn start_enrichment_run(
        &self,
        _: &EnrichmentRunStart,
    ) -> Result<EnrichmentRun, StoreError> {
        self.fail().await
    }
    async fn get_enrichment_run(
        &self,
        _: &TenantId,
        _: &str,
    ) -> Result<Option<EnrichmentRun>, StoreError> {
        self.fail().await
    }
    async fn list_enrichment_runs(
        &self,
        _: &TenantId,
        _: Option<&EnrichmentRunCursor>,
        _: u32,
    ) -> Result<Vec<EnrichmentRun>, StoreError> {
        self.fail().await
    }
    async fn advance_enrichment_run(
        &self,
        _: &str,
        _: Option<&str>,
        _: Option<&str>,
        _: (u64, u64),
    ) -> Result<bool, StoreError> {
        self.fail().await
    }
    async fn record_enrichment_slice(
        &self,
        _: &str,
        _: &str,
        _: &SliceTally,
    ) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn list_ingest_runs(
        &self,
        _: &TenantId,
        _: &RunQuery,
    ) -> Result<Vec<IngestRun>, StoreError> {
        self.fail().await
    }
    async fn get_ingest_run(&self, _: &TenantId, _: &str) -> Result<Option<IngestRun>, StoreError> {
        self.fail().await
    }
    async fn list_ingest_errors(
        &self,
        _: &TenantId,
        _: &str,
        _: Option<(u64, String)>,
        _: u32,
    ) -> Result<Vec<RejectedRow>, StoreError> {
        self.fail().await
    }
    async fn put_mapping_profile(
        &self,
        _: &TenantId,
        _: &str,
        _: &Value,
    ) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn get_mapping_profile(
        &self,
        _: &TenantId,
        _: &str,
    ) -> Result<Option<Value>, StoreError> {
        self.fail().await
    }
    async fn list_mapping_profiles(
        &self,
        _: &TenantId,
    ) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>, StoreError> {
        self.fail().await
    }
    async fn find_ingest_run(
        &self,
        _: &TenantId,
        _: &str,
    ) -> Result<Option<IngestRun>, StoreError> {
        self.fail().await
    }
    async fn delete_mapping_profile(&self, _: &TenantId, _: &str) -> Result<bool, StoreError> {
        self.fail().await
    }
    async fn put_connection(&self, _: &ConnectionRecord) -> Result<ConnectionRecord, StoreError> {
        self.fail().await
    }
    async fn get_connection(
        &self,
        _: &TenantId,
        _: Platform,
    ) -> Result<Option<ConnectionRecord>, StoreError> {
        self.fail().await
    }
    async fn list_connections(&self, _: &TenantId) -> Result<Vec<ConnectionRecord>, StoreError> {
        self.fail().await
    }
    async fn delete_connection(&self, _: &TenantId, _: Platform) -> Result<bool, StoreError> {
        self.fail().await
    }
    async fn orders_changed_since(
        &self,
        _: &TenantId,
        _: Option<&OrderCursor>,
        _: u32,
    ) -> Result<Vec<ChangedOrder>, StoreError> {
        self.fail().await
    }
    async fn all_connections(&self) -> Result<Vec<ConnectionRecord>, StoreError> {
        self.fail().await
    }

    async fn create_sync_job(&self, _: &SyncJob) -> Result<(SyncJob, bool), StoreError> {
        self.fail().await
    }

    async fn get_sync_job(&self, _: &TenantId, _: &str) -> Result<Option<SyncJob>, StoreError> {
        self.fail().await
    }

    async fn list_sync_jobs(
        &self,
        _: &TenantId,
        _: Option<Platform>,
        _: Option<&SyncJobCursor>,
        _: u32,
    ) -> Result<Vec<SyncJob>, StoreError> {
        self.fail().await
    }

    async fn save_sync_job(&self, _: &SyncJob) -> Result<bool, StoreError> {
        self.fail().await
    }

    async fn claim_sync_job(&self, _: &SyncJob) -> Result<bool, StoreError> {
        self.fail().await
    }

    async fn next_queued_sync_job(
        &self,
        _: &TenantId,
        _: Platform,
        _: ObjectKind,
    ) -> Result<Option<String>, StoreError> {
        self.fail().await
    }

    async fn sync_cursor(
        &self,
        _: &TenantId,
        _: Platform,
        _: ObjectKind,
    ) -> Result<Option<String>, StoreError> {
        self.fail().await
    }

    async fn put_sync_cursor(
        &self,
        _: &TenantId,
        _: Platform,
        _: ObjectKind,
        _: &str,
        _: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.fail().await
    }

    async fn sync_links(
        &self,
        _: &TenantId,
        _: Platform,
        _: &[Sku],
    ) -> Result<Vec<SyncLink>, StoreError> {
        self.fail().await
    }

    async fn sync_links_for_remote(
        &self,
        _: &TenantId,
        _: Platform,
        _: &str,
    ) -> Result<Vec<SyncLink>, StoreError> {
        self.fail().await
    }

    async fn primary_sync_links(
        &self,
        _: &TenantId,
        _: Platform,
        _: Option<&Sku>,
        _: u32,
    ) -> Result<Vec<SyncLink>, StoreError> {
        self.fail().await
    }

    async fn put_sync_links(&self, _: &[SyncLink]) -> Result<(), StoreError> {
        self.fail().await
    }

    async fn record_sync_problems(
        &self,
        _: &TenantId,
        _: Platform,
        _: &str,
        _: &[SyncProblem],
        _: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.fail().await
    }

    async fn list_sync_issues(
        &self,
        _: &TenantId,
        _: &IssueQuery,
    ) -> Result<Vec<SyncIssue>, StoreError> {
        self.fail().await
    }

    async fn get_sync_issue(&self, _: &TenantId, _: &str) -> Result<Option<SyncIssue>, StoreError> {
        self.fail().await
    }

    async fn set_sync_issue_status(
        &self,
        _: &TenantId,
        _: &str,
        _: IssueStatus,
        _: DateTime<Utc>,
    ) -> Result<Option<SyncIssue>, StoreError> {
        self.fail().await
    }
    async fn create_video(&self, _: &VideoRecord) -> Result<(VideoRecord, bool), StoreError> {
        self.fail().await
    }

    async fn get_video(
        &self,
        _: &TenantId,
        _: uuid::Uuid,
    ) -> Result<Option<VideoRecord>, StoreError> {
        self.fail().await
    }

    async fn list_videos(
        &self,
        _: &TenantId,
        _: &VideoQuery,
    ) -> Result<Vec<VideoRecord>, StoreError> {
        self.fail().await
    }

    async fn save_video(&self, _: &VideoRecord) -> Result<bool, StoreError> {
        self.fail().await
    }

    async fn apply_inventory_batch(
        &self,
        _: &IngestRun,
        _: &[InventoryUpsert],
        _: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError> {
        self.fail().await
    }
    async fn apply_order_batch(
        &self,
        _: &IngestRun,
        _: &[OrderUpsert],
        _: &[RejectedRow],
    ) -> Result<BatchOutcome, StoreError> {
        self.fail().await
    }
    async fn edit_enrichment(
        &self,
        _: &TenantId,
        _: &Sku,
        _: &serde_json::Map<String, Value>,
        _: &[String],
        _: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<EnrichmentEdits>, StoreError> {
        self.fail().await
    }
}

/// A running handler: it serves until this is dropped or told to stop.
type Server = (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
);

/// The handler over `store`; returns its URL.
async fn handler_with(store: DownStore) -> (String, tempfile::TempDir, Server) {
    let data = tempfile::tempdir().unwrap();
    let settings = shared::settings::Settings::from_environment(
        &shared::settings::Environment::default(),
        data.path(),
    )
    .unwrap();
    let state = AppState {
        auth: Arc::new(shared::auth::Authenticator::from_settings(&settings).unwrap()),
        settings: Arc::new(settings),
        store: Arc::new(store),
        blobs: shared::blobs::Blobs::local_folder(&data.path().join("blobs")).unwrap(),
        ai: shared::ai::AiEngine::Offline,
        credentials: Err("no credentials key in this test".into()),
    };
    let server = HandlerServer::bind(state, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url = format!("http://{}", server.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.serve(async move {
        let _ = stopped.await;
    }));
    (url, data, (stop, task))
}

fn http_get(path: &str) -> Value {
    let mut request = HttpRequest {
        url: format!("http://localhost:7071/api/{path}"),
        method: "GET".into(),
        ..HttpRequest::default()
    };
    request
        .headers
        .insert("x-api-key".into(), vec!["local-dev-key".into()]);
    serde_json::to_value(host::http_invocation("req", &request, &Sys::now("F"))).unwrap()
}

fn http_with_body(method: &str, path: &str, content_type: &str, body: &str) -> Value {
    let mut request = HttpRequest {
        url: format!("http://localhost:7071/api/{path}"),
        method: method.into(),
        body: Some(body.into()),
        ..HttpRequest::default()
    };
    // The route's last segment, as the host fills `Params` for `{name?}`-style routes.
    if let Some((_, last)) = path.split_once('/') {
        let name = last.rsplit('/').next().unwrap_or(last);
        request.params.insert("name".into(), name.into());
    }
    request
        .headers
        .insert("x-api-key".into(), vec!["local-dev-key".into()]);
    request
        .headers
        .insert("Content-Type".into(), vec![content_type.into()]);
    serde_json::to_value(host::http_invocation("req", &request, &Sys::now("F"))).unwrap()
}

fn service_bus(body: &str) -> Value {
    let delivery = ServiceBusDelivery {
        body: body.into(),
        message_id: "m".into(),
        delivery_count: 1,
        sequence_number: 1,
        lock_token: "t".into(),
        content_type: None,
        enqueued_time: chrono::Utc::now(),
        expires_at: chrono::Utc::now(),
        application_properties: serde_json::Map::new(),
        namespace: "test".into(),
    };
    serde_json::to_value(host::service_bus_invocation(
        "message",
        &delivery,
        &Sys::now("F"),
    ))
    .unwrap()
}

async fn invoke(url: &str, function: &str, payload: &Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{url}/{function}"))
        .json(payload)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn a_product_write_answers_503_and_queues_nothing_when_the_store_is_down() {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let mut request = HttpRequest {
        url: "http://localhost:7071/api/products/MUG-1".into(),
        method: "PUT".into(),
        body: Some(json!({"title": "Mug"}).to_string()),
        ..HttpRequest::default()
    };
    request.params.insert("sku".into(), "MUG-1".into());
    for (name, value) in [("x-api-key", "local-dev-key"), ("If-Match", "\"v1\"")] {
        request.headers.insert(name.into(), vec![value.into()]);
    }
    let payload =
        serde_json::to_value(host::http_invocation("req", &request, &Sys::now("F"))).unwrap();
    let (status, result) = invoke(&url, "Products", &payload).await;
    assert_eq!(status, 200);
    assert_eq!(result["Outputs"]["res"]["statusCode"], "503");
    assert!(
        result["Outputs"].get("enrich").is_none(),
        "nothing was written"
    );
}

#[tokio::test]
async fn health_reports_the_store_down_with_503() {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let (status, result) = invoke(&url, "Health", &http_get("health")).await;
    assert_eq!(status, 200, "the invocation itself succeeds");
    let res = &result["Outputs"]["res"];
    assert_eq!(res["statusCode"], "503");
    let body: Value = serde_json::from_str(res["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        (
            body["status"].clone(),
            body["store"]["ok"].clone(),
            body["blobs"]["ok"].clone()
        ),
        (json!("degraded"), json!(false), json!(true))
    );
}

#[tokio::test]
async fn products_answers_503_problem_json_with_retry_after_when_the_store_is_down() {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let (status, result) = invoke(&url, "Products", &http_get("products")).await;
    assert_eq!(status, 200);
    let res = &result["Outputs"]["res"];
    assert_eq!(res["statusCode"], "503");
    assert_eq!(res["headers"]["Content-Type"], "application/problem+json");
    assert_eq!(res["headers"]["Retry-After"], "2");
    assert!(
        !res["body"].as_str().unwrap().contains("connection refused"),
        "causes are logged, not shown"
    );
}

#[tokio::test]
async fn api_keys_answer_503_problem_json_when_the_store_is_down() {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let create = http_with_body(
        "POST",
        "keys",
        "application/json",
        r#"{"name":"ci","scopes":["read"]}"#,
    );
    for request in [http_get("keys"), create] {
        let (status, result) = invoke(&url, "ApiKeys", &request).await;
        assert_eq!(status, 200);
        let res = &result["Outputs"]["res"];
        assert_eq!(res["statusCode"], "503");
        assert_eq!(res["headers"]["Retry-After"], "2");
    }
}

#[tokio::test]
async fn push_mappings_and_uploads_answer_503_problem_json_when_a_dependency_is_down() {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let calls = [
        (
            "Ingest",
            http_with_body("POST", "ingest", "text/csv", "sku,title\nA,B\n"),
        ),
        ("IngestMappings", http_get("ingest/mappings")),
        (
            "IngestMappings",
            http_with_body("PUT", "ingest/mappings/p1", "application/json", "{}"),
        ),
        // The bare handler's local folder has no local host to sign upload URLs for.
        (
            "Uploads",
            http_with_body(
                "POST",
                "uploads",
                "application/json",
                r#"{"filename": "a.csv", "kind": "products"}"#,
            ),
        ),
    ];
    for (function, payload) in calls {
        let (status, result) = invoke(&url, function, &payload).await;
        assert_eq!(status, 200, "{function}: the invocation itself succeeds");
        let res = &result["Outputs"]["res"];
        assert_eq!(res["statusCode"], "503", "{function}: {res}");
        assert_eq!(res["headers"]["Content-Type"], "application/problem+json");
    }
}

#[tokio::test]
async fn an_enrichment_edit_answers_503_problem_json_when_the_store_is_down() {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let mut request = HttpRequest {
        url: "http://localhost:7071/api/products/A/enrichment".into(),
        method: "PATCH".into(),
        body: Some(r#"{"set": {"title": "Lamp"}}"#.into()),
        ..HttpRequest::default()
    };
    request.params.insert("sku".into(), "A".into());
    request
        .headers
        .insert("x-api-key".into(), vec!["local-dev-key".into()]);
    let payload =
        serde_json::to_value(host::http_invocation("req", &request, &Sys::now("F"))).unwrap();
    let (status, result) = invoke(&url, "ProductEnrichment", &payload).await;
    assert_eq!(status, 200, "the invocation itself succeeds");
    let res = &result["Outputs"]["res"];
    assert_eq!(res["statusCode"], "503", "{res}");
    assert_eq!(res["headers"]["Content-Type"], "application/problem+json");
}

#[tokio::test]
async fn queue_triggered_functions_ask_the_host_to_retry_when_the_store_is_down() {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let enrich = json!({"tenant": "demo", "sku": "A", "content_hash": "x"}).to_string();
    let (status, _) = invoke(&url, "EnrichProduct", &service_bus(&enrich)).await;
    assert_eq!(status, 503);
    let event = std::fs::read_to_string(
        crate::helpers::app_root().join("tests/fixtures/service-bus-blob-created.json"),
    )
    .unwrap();
    let (status, _) = invoke(
        &url,
        "IngestPartnerFile",
        &serde_json::from_str(&event).unwrap(),
    )
    .await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn a_panic_inside_an_invocation_answers_500_and_the_process_lives_on() {
    let (url, _data, _server) = handler_with(DownStore {
        panics: true,
        ..DownStore::default()
    })
    .await;
    let (status, body) = invoke(&url, "Products", &http_get("products")).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        json!({"error": "internal error"}),
        "no panic message leaks"
    );
    let (status, _) = invoke(&url, "Products", &http_get("products")).await;
    assert_eq!(status, 500, "the next invocation is served too");
    let ready = reqwest::get(format!("{url}/")).await.unwrap();
    assert!(ready.status().is_success());
}

#[tokio::test]
async fn shutting_down_lets_an_invocation_in_flight_finish() {
    let entered = std::sync::Arc::new(tokio::sync::Notify::new());
    let slow = DownStore {
        delay: Some(std::time::Duration::from_millis(300)),
        entered: Some(entered.clone()),
        ..DownStore::default()
    };
    let (url, _data, (stop, task)) = handler_with(slow).await;
    let in_flight = tokio::spawn(async move { invoke(&url, "Health", &http_get("health")).await });
    // Shut down only once the invocation is inside the handler, however loaded the machine.
    entered.notified().await;
    stop.send(()).unwrap();
    let (status, result) = in_flight.await.unwrap();
    assert_eq!(
        status, 200,
        "the invocation started before shutdown is answered"
    );
    assert_eq!(result["Outputs"]["res"]["statusCode"], "503");
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn enrichment_budget_and_runs_answer_503_problem_json_when_the_store_is_down() {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let calls = [
        ("EnrichmentBudget", http_get("enrichment/budget")),
        ("EnrichmentRuns", http_get("enrichment/runs")),
        (
            "EnrichmentRuns",
            http_with_body("POST", "enrichment/runs", "application/json", "{}"),
        ),
    ];
    for (function, payload) in calls {
        let (status, result) = invoke(&url, function, &payload).await;
        assert_eq!(status, 200, "{function}: the invocation itself succeeds");
        let res = &result["Outputs"]["res"];
        assert_eq!(res["statusCode"], "503", "{function}: {res}");
        assert_eq!(res["headers"]["Content-Type"], "application/problem+json");
        assert!(
            result["Outputs"].get("enrich").is_none(),
            "{function}: no message without a run"
        );
    }
}

#[tokio::test]
async fn analytics_and_the_tenant_answer_503_problem_json_and_the_rollup_retries_when_the_store_is_down()
 {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let mut sales = HttpRequest {
        url: "http://localhost:7071/api/analytics/sales".into(),
        method: "GET".into(),
        ..HttpRequest::default()
    };
    sales.params.insert("report".into(), "sales".into());
    sales
        .headers
        .insert("x-api-key".into(), vec!["local-dev-key".into()]);
    let sales = serde_json::to_value(host::http_invocation("req", &sales, &Sys::now("F"))).unwrap();
    for (function, payload) in [("Analytics", sales), ("TenantSettings", http_get("tenant"))] {
        let (status, result) = invoke(&url, function, &payload).await;
        assert_eq!(status, 200, "{function}: the invocation itself succeeds");
        let res = &result["Outputs"]["res"];
        assert_eq!(res["statusCode"], "503", "{function}: {res}");
        assert_eq!(res["headers"]["Content-Type"], "application/problem+json");
    }
    let info: shared::protocol::TimerInfo = serde_json::from_value(json!({
        "Schedule": {"AdjustForDST": true}, "ScheduleStatus": null, "IsPastDue": false
    }))
    .unwrap();
    let timer = serde_json::to_value(host::timer_invocation(
        "timer",
        &info,
        &Sys::now("RollupAnalytics"),
    ))
    .unwrap();
    let (status, _) = invoke(&url, "RollupAnalytics", &timer).await;
    assert_eq!(status, 503);
}

#[tokio::test]
async fn connections_answer_503_problem_json_when_the_store_or_the_credentials_key_is_missing() {
    let (url, _data, _server) = handler_with(DownStore::default()).await;
    let (status, result) = invoke(&url, "Connections", &http_get("connections")).await;
    assert_eq!(status, 200, "the invocation itself succeeds");
    let res = &result["Outputs"]["res"];
    assert_eq!(res["statusCode"], "503", "{res}");
    assert_eq!(res["headers"]["Content-Type"], "application/problem+json");

    // This handler has no credentials key: connecting is off, and the answer says which
    // setting turns it on.
    let mut request = HttpRequest {
        url: "http://localhost:7071/api/connections/shopify".into(),
        method: "PUT".into(),
        body: Some(
            json!({"shop_domain": "acme.myshopify.com", "access_token": "shpat_0123456789"})
                .to_string(),
        ),
        ..HttpRequest::default()
    };
    request.params.insert("platform".into(), "shopify".into());
    request
        .headers
        .insert("x-api-key".into(), vec!["local-dev-key".into()]);
    let payload =
        serde_json::to_value(host::http_invocation("req", &request, &Sys::now("F"))).unwrap();
    let (status, result) = invoke(&url, "Connections", &payload).await;
    assert_eq!(status, 200, "the invocation itself succeeds");
    let res = &result["Outputs"]["res"];
    assert_eq!(res["statusCode"], "503", "{res}");
    assert!(res.to_string().contains("ADVISOR_CREDENTIALS_KEY"), "{res}");
}
