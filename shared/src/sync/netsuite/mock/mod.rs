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
use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value, json};
use url::Url;

mod auth;
mod sql;

use crate::sync::retry::{Clock, VirtualClock};
use sql::Query;

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
    if let Some(storm) = state.storm.pop_front() {
        let response = match storm {
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
        return suiteql(state, url, prefer, body);
    }
    if let Some(eid) = path.strip_prefix("/services/rest/record/v1/salesOrder/eid:")
        && *method == Method::PUT
    {
        let replace = url
            .query_pairs()
            .any(|(k, v)| k == "replace" && v.split(',').any(|s| s == "item"));
        return match auth::decode(eid) {
            Some(eid) => upsert_order(state, &eid, body, replace, base),
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

fn bad_param(name: &str, detail: &str) -> Response {
    ns_error(
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER",
        detail,
        Some(("o:errorQueryParam", name)),
    )
}

fn suiteql(state: &MockState, url: &Url, prefer: Option<&str>, body: Option<Value>) -> Response {
    if !prefer.is_some_and(|p| p.split(',').any(|p| p.trim() == "transient")) {
        return ns_error(
            StatusCode::BAD_REQUEST,
            "INVALID_HEADER",
            "SuiteQL queries require the header Prefer: transient.",
            Some(("o:errorHeader", "Prefer")),
        );
    }
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let limit: u32 = match param("limit").map(|l| l.parse()) {
        None => 1000,
        Some(Ok(l)) if (1..=1000).contains(&l) => l,
        Some(_) => return bad_param("limit", "The limit must be between 1 and 1000."),
    };
    let offset: u32 = match param("offset").map(|o| o.parse::<u32>()) {
        None => 0,
        Some(Ok(o)) if o % limit == 0 => o,
        Some(_) => return bad_param("offset", "The offset must be a multiple of the limit."),
    };
    if offset >= state.row_cap {
        return bad_param(
            "offset",
            "The offset is beyond the maximum number of results a query can page through.",
        );
    }
    let Some(q) = body
        .as_ref()
        .and_then(|b| b.get("q"))
        .and_then(Value::as_str)
    else {
        return ns_error(
            StatusCode::BAD_REQUEST,
            "INVALID_CONTENT",
            "The request body must be {\"q\": \"<SuiteQL>\"}.",
            None,
        );
    };
    let query = match sql::parse(q) {
        Ok(query) => query,
        Err(why) => return ns_error(StatusCode::BAD_REQUEST, "INVALID_SEARCH", &why, None),
    };
    let rows = rows(state, &query);
    let total = rows.len();
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(total);
    let end = start
        .saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
        .min(total);
    let page: Vec<Value> = rows[start..end].to_vec();
    axum::Json(json!({
        "links": [{"rel": "self", "href": url.as_str()}],
        "count": page.len(),
        "hasMore": end < total,
        "items": page,
        "offset": offset,
        "totalResults": total,
    }))
    .into_response()
}

/// A SuiteQL row: string values, lower-case keys, null columns left out.
fn row(columns: &[(&str, Option<String>)]) -> Value {
    let mut map = Map::new();
    map.insert("links".into(), json!([]));
    for (name, value) in columns {
        if let Some(value) = value {
            map.insert((*name).to_owned(), json!(value));
        }
    }
    Value::Object(map)
}

fn rows(state: &MockState, query: &Query) -> Vec<Value> {
    let tz = state.user_time_zone;
    match query {
        Query::Check => {
            let mut ids: Vec<u64> = state.items.iter().map(|i| i.id).collect();
            ids.sort_unstable();
            ids.into_iter()
                .map(|id| row(&[("id", Some(id.to_string()))]))
                .collect()
        }
        Query::Items { bound, ordered } => {
            let bound = bound.map(|(local, id)| {
                let at = tz
                    .from_local_datetime(&local)
                    .earliest()
                    .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc));
                (at, id)
            });
            let mut items: Vec<&MockItem> = state
                .items
                .iter()
                .filter(|i| {
                    bound.is_none_or(|(at, id)| i.modified > at || (i.modified == at && i.id > id))
                })
                .collect();
            if *ordered {
                items.sort_by_key(|i| (i.modified, i.id));
            } else {
                // No ORDER BY: whatever order the database finds convenient.
                items.sort_by_key(|i| i.id.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            }
            items
                .into_iter()
                .map(|i| {
                    row(&[
                        ("id", Some(i.id.to_string())),
                        ("itemid", i.itemid.clone()),
                        ("displayname", i.displayname.clone()),
                        ("baseprice", i.baseprice.clone()),
                        ("isinactive", Some("F".into())),
                        (
                            "modified",
                            Some(
                                i.modified
                                    .with_timezone(&tz)
                                    .format("%Y-%m-%dT%H:%M:%S")
                                    .to_string(),
                            ),
                        ),
                    ])
                })
                .collect()
        }
        Query::Stock(ids) => {
            let mut items: Vec<&MockItem> = state
                .items
                .iter()
                .filter(|i| ids.contains(&i.id) && !i.stock.is_empty())
                .collect();
            items.sort_by_key(|i| i.id);
            items
                .into_iter()
                .map(|i| {
                    let sum: f64 = i.stock.iter().sum();
                    row(&[
                        ("item", Some(i.id.to_string())),
                        ("available", Some(sum.to_string())),
                    ])
                })
                .collect()
        }
        Query::Skus(skus) => {
            let mut items: Vec<&MockItem> = state
                .items
                .iter()
                .filter(|i| i.itemid.as_ref().is_some_and(|s| skus.contains(s)))
                .collect();
            items.sort_by_key(|i| i.id);
            items
                .into_iter()
                .map(|i| row(&[("id", Some(i.id.to_string())), ("itemid", i.itemid.clone())]))
                .collect()
        }
    }
}

fn upsert_order(
    state: &mut MockState,
    external_id: &str,
    body: Option<Value>,
    replace: bool,
    base: &str,
) -> Response {
    let Some(Value::Object(mut fields)) = body else {
        return ns_error(
            StatusCode::BAD_REQUEST,
            "INVALID_CONTENT",
            "The request body is not a JSON object.",
            None,
        );
    };
    let entity = fields
        .get("entity")
        .and_then(|e| e.get("id"))
        .and_then(Value::as_str);
    if !entity.is_some_and(|e| state.customers.contains(e)) {
        return ns_error(
            StatusCode::BAD_REQUEST,
            "INVALID_KEY_OR_REF",
            "Invalid entity reference key.",
            Some(("o:errorPath", "entity")),
        );
    }
    let lines: Vec<Value> = match fields.remove("item") {
        None => Vec::new(),
        Some(sublist) => sublist
            .get("items")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    };
    for (n, line) in lines.iter().enumerate() {
        let known = line
            .get("item")
            .and_then(|i| i.get("id"))
            .and_then(Value::as_str)
            .and_then(|id| id.parse::<u64>().ok())
            .is_some_and(|id| state.items.iter().any(|i| i.id == id));
        if !known {
            return ns_error(
                StatusCode::BAD_REQUEST,
                "INVALID_KEY_OR_REF",
                "Invalid item reference key.",
                Some(("o:errorPath", &format!("item.items[{n}].item"))),
            );
        }
    }
    let id = match state
        .sales_orders
        .iter_mut()
        .find(|o| o.external_id == external_id)
    {
        Some(order) => {
            order.fields.extend(fields);
            if replace {
                order.lines = lines;
            } else {
                order.lines.extend(lines);
            }
            order.id
        }
        None => {
            let id = state.next_order_id;
            state.next_order_id += 1;
            state.sales_orders.push(MockSalesOrder {
                id,
                external_id: external_id.to_owned(),
                fields,
                lines,
            });
            id
        }
    };
    (
        StatusCode::NO_CONTENT,
        [(
            "location",
            format!("{base}/services/rest/record/v1/salesOrder/{id}"),
        )],
    )
        .into_response()
}
