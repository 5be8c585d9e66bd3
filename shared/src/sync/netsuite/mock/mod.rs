//! A local NetSuite for tests: SuiteTalk REST's SuiteQL endpoint and the sales-order upsert,
//! over an in-memory account, behaving like the real service where clients go wrong:
//!
//! - token-based auth verified by recomputing the HMAC-SHA256 signature with the realm,
//!   each nonce accepted once, 401 `INVALID_LOGIN` (NetSuite's verbatim body) otherwise;
//! - SuiteQL needs `Prefer: transient`, `limit` ≤ 1000, `offset` a multiple of `limit` and
//!   below the per-query row cap; values are strings, null columns left out, datetimes
//!   rendered in the token user's time zone; a query without `ORDER BY` pages in a scrambled
//!   order, as an unordered query may;
//! - an account concurrency limit (429 over it) and a counter of the most requests seen in
//!   flight, with an optional real hold per request so concurrency shows;
//! - `PUT /record/v1/salesOrder/eid:{id}`: creates once, then updates; `replace=item`
//!   replaces the lines, without it lines are appended (NetSuite's sublist merge);
//! - queued storms (429, 400 `WS_REQUEST_BLOCKED`, 503), answered after the signature is
//!   checked (so a retry that reuses its nonce is refused), and every request recorded.
//!
//! Start it with [`MockNetSuite::start`]; it serves on 127.0.0.1 in the background until the
//! runtime ends. Its [`MockNetSuite::clock`] is a virtual clock for the client, so back-off
//! finishes at once. Error bodies other than `INVALID_LOGIN` use NetSuite's documented shape
//! with illustrative codes.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use url::Url;

mod auth;
mod orders;
mod sql;
mod suiteql;

use crate::sync::retry::{Clock, VirtualClock};

/// NetSuite's 401 body, verbatim.
const INVALID_LOGIN: &str = "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.";

/// The account and the token the mock accepts.
#[derive(Debug, Clone)]
pub struct MockAccount {
    /// The realm the header must carry, e.g. `1234567_SB1`.
    pub realm: String,
    /// Consumer key.
    pub consumer_key: String,
    /// Consumer secret.
    pub consumer_secret: String,
    /// Token id.
    pub token_id: String,
    /// Token secret.
    pub token_secret: String,
}

/// An inventory item of the mock account.
#[derive(Debug, Clone)]
pub struct MockItem {
    /// Internal id.
    pub id: u64,
    /// `itemid` (the SKU).
    pub itemid: Option<String>,
    /// `displayname`.
    pub displayname: Option<String>,
    /// `baseprice`.
    pub baseprice: Option<String>,
    /// `lastmodifieddate`, whole seconds.
    pub modified: DateTime<Utc>,
    /// Quantity available per location.
    pub stock: Vec<f64>,
}

/// A sales order of the mock account.
#[derive(Debug, Clone, PartialEq)]
pub struct MockSalesOrder {
    /// Internal id.
    pub id: u64,
    /// External id.
    pub external_id: String,
    /// The body fields last written (without the item sublist).
    pub fields: Map<String, Value>,
    /// The item sublist lines.
    pub lines: Vec<Value>,
}

/// A forced answer, for storms.
#[derive(Debug, Clone, Copy)]
pub enum Storm {
    /// HTTP 429 with the concurrency error body, and this `Retry-After` if any.
    TooMany(Option<&'static str>),
    /// HTTP 400 `WS_REQUEST_BLOCKED`: the concurrency error SOAP-era accounts report.
    Blocked,
    /// HTTP 503 with an HTML page.
    Unavailable,
    /// This 5xx status (500, 502, 503 …) with an HTML page and this `Retry-After`, so tests
    /// through the real clock wait out a storm of server errors in milliseconds.
    ServerError(u16, &'static str),
    /// Answer normally (so a storm can hit a later request).
    Pass,
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// The `Prefer` header.
    pub prefer: Option<String>,
    /// The JSON body.
    pub body: Option<Value>,
    /// The status answered.
    pub status: u16,
}

/// Everything the mock knows and records; tests set the knobs through
/// [`MockNetSuite::state`].
#[derive(Debug)]
pub struct MockState {
    /// The accepted account and token.
    pub account: MockAccount,
    /// Inventory items.
    pub items: Vec<MockItem>,
    /// Customer internal ids a sales order may name.
    pub customers: HashSet<String>,
    /// Sales orders.
    pub sales_orders: Vec<MockSalesOrder>,
    /// The token user's time zone preference: how datetimes render and parse.
    pub user_time_zone: Tz,
    /// Rows one query may page through (NetSuite: 100,000).
    pub row_cap: u32,
    /// Requests the account serves at once; more get 429. `None`: no limit.
    pub concurrency_limit: Option<u32>,
    /// How long each request is held (real time) so concurrent requests overlap.
    pub hold: Duration,
    /// Forced answers, first in first out.
    pub storm: VecDeque<Storm>,
    /// Every request, in arrival order.
    pub requests: Vec<Recorded>,
    /// Requests in flight now.
    pub in_flight: u32,
    /// The most requests seen in flight at once.
    pub max_in_flight: u32,
    /// Why the last refused login was refused.
    pub last_auth_failure: Option<String>,
    nonces: HashSet<String>,
    next_order_id: u64,
}

/// A running mock NetSuite.
#[derive(Debug)]
pub struct MockNetSuite {
    /// Its base URL, `http://127.0.0.1:{port}` (a client's `base_url`).
    pub url: String,
    clock: Arc<VirtualClock>,
    state: Arc<Mutex<MockState>>,
}

impl MockNetSuite {
    /// Starts a mock account holding `items`, accepting `account`'s token, with customer
    /// `"4242"`, the user in UTC and NetSuite's 100,000-row cap; serves in the background.
    pub async fn start(account: MockAccount, items: Vec<MockItem>) -> std::io::Result<Self> {
        let state = Arc::new(Mutex::new(MockState {
            account,
            items,
            customers: HashSet::from(["4242".to_owned()]),
            sales_orders: Vec::new(),
            user_time_zone: Tz::UTC,
            row_cap: 100_000,
            concurrency_limit: None,
            hold: Duration::ZERO,
            storm: VecDeque::new(),
            requests: Vec::new(),
            in_flight: 0,
            max_in_flight: 0,
            last_auth_failure: None,
            nonces: HashSet::new(),
            next_order_id: 5521,
        }));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "mock NetSuite stopped");
            }
        });
        Ok(Self {
            url,
            clock: Arc::new(VirtualClock::default()),
            state,
        })
    }

    /// The virtual clock to give the client: its waits advance it without sleeping.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }

    /// The state, for knobs and for reading what was recorded.
    pub fn state(&self) -> MutexGuard<'_, MockState> {
        lock(&self.state)
    }
}

fn lock(state: &Mutex<MockState>) -> MutexGuard<'_, MockState> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// NetSuite's error body.
fn ns_error(status: StatusCode, code: &str, detail: &str, extra: Option<(&str, &str)>) -> Response {
    let mut entry = json!({ "detail": detail, "o:errorCode": code });
    if let (Some((key, value)), Some(map)) = (extra, entry.as_object_mut()) {
        map.insert(key.to_owned(), json!(value));
    }
    let body = json!({
        "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
        "title": status.canonical_reason().unwrap_or_default(),
        "status": status.as_u16(),
        "o:errorDetails": [entry],
    });
    (
        status,
        [(
            "content-type",
            "application/vnd.oracle.resource+json; type=error",
        )],
        body.to_string(),
    )
        .into_response()
}

fn too_many() -> Response {
    ns_error(
        StatusCode::TOO_MANY_REQUESTS,
        "CONCURRENCY_LIMIT_EXCEEDED",
        "Concurrent request limit exceeded. Request blocked.",
        None,
    )
}

/// Lowers the in-flight count however the request ends.
struct InFlight(Arc<Mutex<MockState>>);

impl Drop for InFlight {
    fn drop(&mut self) {
        let mut state = lock(&self.0);
        state.in_flight = state.in_flight.saturating_sub(1);
    }
}

async fn handle(
    State(shared): State<Arc<Mutex<MockState>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let Ok(url) = Url::parse(&format!("http://{host}{uri}")) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let json_body: Option<Value> = serde_json::from_slice(&body).ok();
    let prefer = headers
        .get("prefer")
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let record = |state: &mut MockState, status: StatusCode| {
        state.requests.push(Recorded {
            method: method.to_string(),
            path: url.path().to_owned(),
            query: url.query_pairs().into_owned().collect(),
            prefer: prefer.clone(),
            body: json_body.clone(),
            status: status.as_u16(),
        });
    };
    // Declared before the lock below, so it is dropped (and locks) after it is released.
    let _in_flight = InFlight(shared.clone());
    let hold = {
        let mut state = lock(&shared);
        state.in_flight += 1;
        state.max_in_flight = state.max_in_flight.max(state.in_flight);
        if state
            .concurrency_limit
            .is_some_and(|limit| state.in_flight > limit)
        {
            record(&mut state, StatusCode::TOO_MANY_REQUESTS);
            return too_many();
        }
        state.hold
    };
    if !hold.is_zero() {
        tokio::time::sleep(hold).await;
    }
    let mut state = lock(&shared);
    if let Err(why) = auth::authenticate(&mut state, &method, &url, &headers) {
        state.last_auth_failure = Some(why);
        record(&mut state, StatusCode::UNAUTHORIZED);
        return ns_error(
            StatusCode::UNAUTHORIZED,
            "INVALID_LOGIN",
            INVALID_LOGIN,
            None,
        );
    }
    // After the signature check, which spends the nonce: a retry must sign afresh.
    if let Some(storm) = state
        .storm
        .pop_front()
        .filter(|s| !matches!(s, Storm::Pass))
    {
        let response = match storm {
            Storm::Pass => unreachable!("filtered out above"),
            Storm::TooMany(after) => {
                let mut response = too_many();
                if let Some(after) = after.and_then(|a| a.parse().ok()) {
                    response.headers_mut().insert("retry-after", after);
                }
                response
            }
            Storm::Blocked => ns_error(
                StatusCode::BAD_REQUEST,
                "WS_REQUEST_BLOCKED",
                "SuiteTalk concurrent request limit exceeded. Request blocked.",
                None,
            ),
            Storm::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                [("content-type", "text/html")],
                "<html><body>503 Service Unavailable</body></html>",
            )
                .into_response(),
            Storm::ServerError(status, after) => (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                [("content-type", "text/html"), ("retry-after", after)],
                "<html><body>An unexpected error occurred</body></html>",
            )
                .into_response(),
        };
        record(&mut state, response.status());
        return response;
    }
    let base = format!("http://{host}");
    let response = route(
        &mut state,
        &method,
        &url,
        prefer.as_deref(),
        json_body.clone(),
        &base,
    );
    record(&mut state, response.status());
    response
}

fn route(
    state: &mut MockState,
    method: &Method,
    url: &Url,
    prefer: Option<&str>,
    body: Option<Value>,
    base: &str,
) -> Response {
    let path = url.path();
    if *method == Method::POST && path == "/services/rest/query/v1/suiteql" {
        return suiteql::suiteql(state, url, prefer, body);
    }
    if let Some(eid) = path.strip_prefix("/services/rest/record/v1/salesOrder/eid:")
        && *method == Method::PUT
    {
        let replace = url
            .query_pairs()
            .any(|(k, v)| k == "replace" && v.split(',').any(|s| s == "item"));
        return match auth::decode(eid) {
            Some(eid) => orders::upsert_order(state, &eid, body, replace, base),
            None => ns_error(
                StatusCode::BAD_REQUEST,
                "INVALID_ID",
                "Bad external id.",
                None,
            ),
        };
    }
    ns_error(
        StatusCode::NOT_FOUND,
        "NONEXISTENT_ID",
        "The record instance does not exist. Provide a valid record instance ID.",
        Some(("o:urlPath", path)),
    )
}
