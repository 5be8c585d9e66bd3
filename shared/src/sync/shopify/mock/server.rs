//! The mock's one endpoint, `POST /admin/api/{version}/graphql.json`: token check, storms,
//! the leaky bucket with Shopify's cost rule of thumb, and dispatch by operation name.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::{MAX_COST, ShopState, Storm, VERSION};
use crate::sync::retry::Clock;

type Shared = (Arc<Mutex<ShopState>>, Arc<dyn Clock>);

/// The app serving `state` on `clock`.
pub(super) fn router(state: Arc<Mutex<ShopState>>, clock: Arc<dyn Clock>) -> Router {
    Router::new()
        .route("/admin/api/{version}/graphql.json", post(graphql))
        .with_state((state, clock))
}

async fn graphql(
    State((state, clock)): State<Shared>,
    Path(version): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let stall = {
        let mut shop = state.lock().unwrap();
        let stall = matches!(shop.storm.front(), Some(Storm::Stall));
        if stall {
            shop.storm.pop_front();
            shop.requests += 1;
        }
        stall
    };
    if stall {
        tokio::time::sleep(Duration::from_secs(5)).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    answer(&state, clock.as_ref(), &version, &headers, &body)
}

/// The answer to one request that is not stalled.
fn answer(
    state: &Mutex<ShopState>,
    clock: &dyn Clock,
    version: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let mut shop = state.lock().unwrap();
    shop.requests += 1;
    let token = headers
        .get("X-Shopify-Access-Token")
        .and_then(|v| v.to_str().ok());
    if token != Some(shop.token.as_str()) {
        let message =
            "[API] Invalid API key or access token (unrecognized login or wrong password)";
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "errors": message })),
        )
            .into_response();
    }
    if version != VERSION {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    let now = clock.now();
    if let Some(not_before) = shop.not_before.take()
        && now < not_before
    {
        shop.early_retries += 1;
    }
    shop.refill(now);
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return (StatusCode::BAD_REQUEST, "bad json").into_response();
    };
    let query = request["query"].as_str().unwrap_or_default().to_owned();
    let operation = operation(&query);
    let vars = request["variables"].clone();
    let requested = requested_cost(operation, &vars);
    match shop.storm.pop_front() {
        Some(Storm::Throttled) => {
            shop.available = 0.0;
            shop.forced_throttles += 1;
            return throttled(&shop, requested);
        }
        Some(Storm::TooMany(after)) => {
            let wait = Duration::from_secs_f64(after.parse().unwrap());
            shop.not_before = Some(now + wait);
            shop.too_many += 1;
            let body = json!({"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."});
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("Retry-After", after)],
                axum::Json(body),
            )
                .into_response();
        }
        Some(Storm::Unavailable) => {
            return (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable").into_response();
        }
        Some(Storm::ServerError(status, after)) => {
            let status = StatusCode::from_u16(status).unwrap();
            let page =
                "<html><body><h1>There was a problem loading this website</h1></body></html>";
            return (status, [("Retry-After", after)], page).into_response();
        }
        Some(Storm::Pass | Storm::Stall) | None => {}
    }
    if requested > MAX_COST.min(shop.bucket) {
        let message = format!(
            "Query cost is {requested}, which exceeds the single query max cost limit (1000)."
        );
        return axum::Json(json!({"errors": [{"message": message, "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested, "maxCost": 1000}}]})).into_response();
    }
    if shop.available + 1e-6 < requested {
        shop.natural_throttles += 1;
        return throttled(&shop, requested);
    }
    let (data, actual) = shop.run(operation, &vars, now);
    shop.available -= actual;
    axum::Json(json!({ "data": data, "extensions": shop.cost(requested, Some(actual)) }))
        .into_response()
}

fn throttled(shop: &ShopState, requested: f64) -> Response {
    axum::Json(json!({
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": shop.cost(requested, None),
    }))
    .into_response()
}

/// The operation name of a document: `query SyncProducts(…` → `SyncProducts`.
fn operation(query: &str) -> &str {
    let rest = query.trim_start();
    let rest = rest
        .strip_prefix("query ")
        .or_else(|| rest.strip_prefix("mutation "))
        .unwrap_or(rest);
    rest.split(|c: char| c == '(' || c == '{' || c.is_whitespace())
        .next()
        .unwrap_or_default()
}

/// Shopify's rule of thumb: an object costs 1, a connection 2 plus its page size times each
/// node's cost; a money set is two objects.
fn requested_cost(operation: &str, vars: &Value) -> f64 {
    let n = |name: &str| vars[name].as_f64().unwrap_or(0.0);
    match operation {
        "SyncProducts" => 2.0 + n("first") * (3.0 + n("variantsFirst")),
        "SyncProduct" => 3.0 + n("variantsFirst"),
        "SyncOrders" => 2.0 + n("first") * (9.0 + 5.0 * n("linesFirst")),
        "SyncOrder" => 9.0 + 5.0 * n("linesFirst"),
        "SyncInventoryLevels" => 3.0 + 3.0 * n("first"),
        "SyncLocations" | "SyncDeletionEvents" => 2.0 + n("first"),
        "SyncProductUpdate" => 10.0,
        _ => 1.0,
    }
}

impl ShopState {
    fn refill(&mut self, now: Duration) {
        let elapsed = now.saturating_sub(self.refilled_at).as_secs_f64();
        self.available = (self.available + self.restore_rate * elapsed).min(self.bucket);
        self.refilled_at = now;
    }

    fn cost(&self, requested: f64, actual: Option<f64>) -> Value {
        json!({"cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {"maximumAvailable": self.bucket, "currentlyAvailable": self.available, "restoreRate": self.restore_rate},
        }})
    }
}
