//! `GET /api/products`: one page of the tenant's products, sorted (`sort`) and filtered (`q`,
//! `category`, `brand`, `updated_since`, `in_stock`, `currency`, `min_price`, `max_price`),
//! with a cursor to the next page.
//!
//! The cursor holds the last product's sort key and SKU (keyset paging), so products written
//! between two pages never make one shown twice or skipped; it also holds the sort and a
//! fingerprint of the filters, and is refused with others, where its position means nothing.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use shared::domain::{Currency, Money, TenantId};
use shared::protocol::{HttpRequest, HttpResponse};
use shared::store::{PriceRange, ProductPosition, ProductQuery, ProductSort, SortField};

use super::ProductBody;
use crate::app::AppState;
use crate::paging::{decode_json_cursor, encode_json_cursor, json, limit, split_page};
use crate::problem::ApiError;

/// The longest `q`, `category` or `brand`, in characters.
const MAX_FILTER_CHARS: usize = 200;

/// The sort orders `sort` accepts.
pub(super) const SORTS: [(&str, SortField, bool); 6] = [
    ("sku", SortField::Sku, false),
    ("-sku", SortField::Sku, true),
    ("title", SortField::Title, false),
    ("-title", SortField::Title, true),
    ("updated_at", SortField::UpdatedAt, false),
    ("-updated_at", SortField::UpdatedAt, true),
];

/// What a cursor holds.
#[derive(Serialize, Deserialize)]
struct Cursor {
    /// The `sort` it was made for.
    sort: String,
    /// [`fingerprint`] of the filters it was made for.
    filters: String,
    /// Where the page ended.
    after: ProductPosition,
}

/// Answers a listing.
pub(super) async fn list(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (query, sort_name, filters) = parse_query(http)?;
    let page = state
        .store
        .list_products(
            tenant,
            &ProductQuery {
                limit: query.limit + 1,
                ..query.clone()
            },
        )
        .await?;
    let (page, next_cursor) = split_page(page, query.limit as usize, |p| {
        encode_json_cursor(&Cursor {
            sort: sort_name.to_owned(),
            filters: filters.clone(),
            after: ProductPosition::of(p, query.sort.field),
        })
    });
    let items: Vec<ProductBody> = page.into_iter().map(ProductBody::from).collect();
    json(200, &ListBody { items, next_cursor })
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ProductList")]
pub(super) struct ListBody {
    items: Vec<ProductBody>,
    next_cursor: Option<String>,
}

/// The query, the name of its sort and the fingerprint of its filters.
fn parse_query(http: &HttpRequest) -> Result<(ProductQuery, &'static str, String), ApiError> {
    let (sort_name, sort) = sort(http)?;
    let mut query = ProductQuery {
        sort,
        limit: limit(http)?,
        text: text(http, "q")?,
        category: text(http, "category")?,
        brand: text(http, "brand")?,
        updated_since: updated_since(http)?,
        in_stock: in_stock(http)?,
        price: price(http)?,
        after: None,
    };
    let filters = fingerprint(&query);
    if let Some(raw) = http.query("cursor") {
        let cursor: Cursor = decode_json_cursor(raw)?;
        if cursor.sort != sort_name
            || cursor.filters != filters
            || cursor.after.field() != sort.field
        {
            return Err(ApiError::bad_request(
                "cursor was made for another sort or other filters; send them as they were, \
                 or start again without a cursor",
            ));
        }
        query.after = Some(cursor.after);
    }
    Ok((query, sort_name, filters))
}

fn sort(http: &HttpRequest) -> Result<(&'static str, ProductSort), ApiError> {
    let raw = http.query("sort").map(str::trim).unwrap_or("sku");
    SORTS
        .iter()
        .find(|(name, _, _)| *name == raw)
        .map(|&(name, field, descending)| (name, ProductSort { field, descending }))
        .ok_or_else(|| {
            let names: Vec<&str> = SORTS.iter().map(|(name, _, _)| *name).collect();
            ApiError::bad_request(format!(
                "sort must be one of {}, not `{raw}`",
                names.join(", ")
            ))
        })
}

fn text(http: &HttpRequest, name: &str) -> Result<Option<String>, ApiError> {
    let value = http
        .query(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    if value
        .as_ref()
        .is_some_and(|v| v.chars().count() > MAX_FILTER_CHARS)
    {
        return Err(ApiError::bad_request(format!(
            "{name} must be at most {MAX_FILTER_CHARS} characters"
        )));
    }
    Ok(value)
}

fn updated_since(http: &HttpRequest) -> Result<Option<DateTime<Utc>>, ApiError> {
    http.query("updated_since")
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::bad_request(format!(
                        "updated_since must be an RFC 3339 time like 2024-05-01T00:00:00Z, not `{raw}`"
                    ))
                })
        })
        .transpose()
}

fn in_stock(http: &HttpRequest) -> Result<Option<bool>, ApiError> {
    match http.query("in_stock").map(str::trim) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(raw) => Err(ApiError::bad_request(format!(
            "in_stock must be true or false, not `{raw}`"
        ))),
    }
}

/// `currency` alone keeps products priced in it; `min_price` and `max_price` need it, since
/// prices in different currencies cannot be compared.
fn price(http: &HttpRequest) -> Result<Option<PriceRange>, ApiError> {
    let (min, max) = (http.query("min_price"), http.query("max_price"));
    let Some(code) = http.query("currency") else {
        return match min.or(max) {
            None => Ok(None),
            Some(_) => Err(ApiError::bad_request(
                "currency is required with min_price or max_price: prices in different \
                 currencies cannot be compared",
            )),
        };
    };
    let currency =
        Currency::parse(code).map_err(|e| ApiError::bad_request(format!("currency: {e}")))?;
    let amount = |name: &str, raw: Option<&str>| {
        raw.map(|raw| {
            Money::parse(raw.trim(), currency)
                .map(|m| m.minor())
                .map_err(|e| ApiError::bad_request(format!("{name} `{raw}`: {e}")))
        })
        .transpose()
    };
    let range = PriceRange {
        currency,
        min_minor: amount("min_price", min)?,
        max_minor: amount("max_price", max)?,
    };
    if let (Some(min), Some(max)) = (range.min_minor, range.max_minor)
        && min > max
    {
        return Err(ApiError::bad_request(
            "min_price must not be more than max_price",
        ));
    }
    Ok(Some(range))
}

/// A short hash of the filters, so a cursor can tell it is reused with others.
fn fingerprint(query: &ProductQuery) -> String {
    let price = query
        .price
        .map(|r| (r.currency.as_str(), r.min_minor, r.max_minor));
    let canonical = serde_json::json!([
        query.text,
        query.category,
        query.brand,
        query.updated_since,
        query.in_stock,
        price,
    ]);
    hex::encode(&Sha256::digest(canonical.to_string().as_bytes())[..8])
}
