//! The mock's sales-order upsert by external id: the customer and every line's item must
//! exist; a known external id updates its order, and `replace=item` replaces the lines
//! where NetSuite otherwise appends them.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::{MockSalesOrder, MockState, ns_error};

pub(super) fn upsert_order(
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
