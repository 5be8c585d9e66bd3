//! The mock's SuiteQL endpoint: the headers and paging rules NetSuite enforces, and the
//! rows of the queries [`super::sql`] understands, shaped as NetSuite shapes them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use serde_json::{Map, Value, json};
use url::Url;

use super::sql::{self, Query};
use super::{MockItem, MockState, ns_error};

fn bad_param(name: &str, detail: &str) -> Response {
    ns_error(
        StatusCode::BAD_REQUEST,
        "INVALID_PARAMETER",
        detail,
        Some(("o:errorQueryParam", name)),
    )
}

pub(super) fn suiteql(
    state: &MockState,
    url: &Url,
    prefer: Option<&str>,
    body: Option<Value>,
) -> Response {
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
