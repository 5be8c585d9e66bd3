//! The mock's listings and shapes: products and orders as v3 renders them, `modified_after`
//! in GMT or site time, and `page`/`per_page` with `X-WP-Total` / `X-WP-TotalPages`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDateTime};
use serde_json::{Value, json};

use super::{DATE_FORMAT, MockOrder, MockProduct, SITE_OFFSET_HOURS, StoreState, wp_error};

pub(super) fn find<'a>(state: &'a StoreState, id: &str) -> Option<&'a MockProduct> {
    let id: u64 = id.parse().ok()?;
    state.products.iter().find(|p| p.id == id)
}

pub(super) fn list_products<'a>(
    state: &StoreState,
    param: &impl Fn(&str) -> Option<&'a str>,
) -> Response {
    let Some((gmt, after)) = modified_filter(param) else {
        return invalid_after();
    };
    let local = |p: &MockProduct| site_time(p.modified_gmt, gmt);
    let mut items: Vec<&MockProduct> = state
        .products
        .iter()
        .filter(|p| after.is_none_or(|after| local(p) > after))
        .collect();
    match param("orderby").unwrap_or("date") {
        "id" => items.sort_by_key(|p| p.id),
        // WordPress leaves `date` ties to MySQL, which may order them differently from one
        // query to the next: here by id descending on odd requests, ascending on even ones, so
        // a client paging by date over a tie loses some products and doubles others.
        _ if state.list_requests % 2 == 1 => {
            items.sort_by_key(|p| (p.modified_gmt, std::cmp::Reverse(p.id)))
        }
        _ => items.sort_by_key(|p| (p.modified_gmt, p.id)),
    }
    if param("order").unwrap_or("desc") == "desc" {
        items.reverse();
    }
    paged(items.into_iter().map(render).collect(), param)
}

/// One page of `items` with `X-WP-Total` / `X-WP-TotalPages`.
pub(super) fn paged<'a>(items: Vec<Value>, param: &impl Fn(&str) -> Option<&'a str>) -> Response {
    let per_page: usize = param("per_page").and_then(|v| v.parse().ok()).unwrap_or(10);
    if !(1..=100).contains(&per_page) {
        return wp_error(
            StatusCode::BAD_REQUEST,
            "rest_invalid_param",
            "per_page must be between 1 (inclusive) and 100 (inclusive)",
        );
    }
    let page: usize = param("page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let pages = total.div_ceil(per_page);
    if page > pages.max(1) {
        return wp_error(
            StatusCode::BAD_REQUEST,
            "rest_post_invalid_page_number",
            "The page number requested is larger than the number of pages available.",
        );
    }
    let slice: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    (
        [
            ("x-wp-total", total.to_string()),
            ("x-wp-totalpages", pages.to_string()),
        ],
        axum::Json(Value::Array(slice)),
    )
        .into_response()
}

pub(super) fn render(p: &MockProduct) -> Value {
    let variable = !p.variations.is_empty();
    json!({
        "id": p.id,
        "name": format!("Product {}", p.id),
        "slug": format!("product-{}", p.id),
        "type": if variable { "variable" } else { "simple" },
        "status": "publish",
        "sku": p.sku,
        "price": if variable { "" } else { "19.90" },
        "regular_price": if variable { "" } else { "19.90" },
        "stock_quantity": if variable { Value::Null } else { json!(7) },
        "description": p.description,
        "short_description": p.short_description,
        "categories": [{"id": 9, "name": "Clothing", "slug": "clothing"}],
        "images": [],
        "date_modified": (p.modified_gmt + Duration::hours(SITE_OFFSET_HOURS)).format(DATE_FORMAT).to_string(),
        "date_modified_gmt": p.modified_gmt.format(DATE_FORMAT).to_string(),
        "variations": p.variations.iter().map(|(id, _)| id).collect::<Vec<_>>(),
    })
}

/// `dates_are_gmt` and `modified_after`; `None` when the date does not parse.
pub(super) fn modified_filter<'a>(
    param: &impl Fn(&str) -> Option<&'a str>,
) -> Option<(bool, Option<NaiveDateTime>)> {
    let gmt = param("dates_are_gmt") == Some("true");
    match param("modified_after") {
        None => Some((gmt, None)),
        Some(v) => NaiveDateTime::parse_from_str(v, DATE_FORMAT)
            .ok()
            .map(|after| (gmt, Some(after))),
    }
}

pub(super) fn invalid_after() -> Response {
    wp_error(
        StatusCode::BAD_REQUEST,
        "rest_invalid_param",
        "Invalid parameter(s): modified_after",
    )
}

/// A GMT time as the filter compares it: GMT, or the site's local time.
pub(super) fn site_time(gmt_time: NaiveDateTime, gmt: bool) -> NaiveDateTime {
    if gmt {
        gmt_time
    } else {
        gmt_time + Duration::hours(SITE_OFFSET_HOURS)
    }
}

pub(super) fn render_order(o: &MockOrder) -> Value {
    let time = o.modified_gmt.format(DATE_FORMAT).to_string();
    json!({
        "id": o.id, "status": o.status, "currency": "EUR",
        "date_created_gmt": time, "date_modified_gmt": time,
        "total": "24.97", "total_tax": "3.99", "shipping_total": "4.99", "customer_id": 0,
        "billing": {"email": "never-stored@example.com"},
        "line_items": [
            {"id": 1, "sku": o.sku, "quantity": 2, "price": 9.99, "total": "19.98"},
            {"id": 2, "sku": "", "quantity": 1, "price": 0.0, "total": "0.00"}
        ]
    })
}
