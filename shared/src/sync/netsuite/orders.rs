//! Sales orders into NetSuite: upserted by external id so a replay updates the one order.

use reqwest::Method;
use serde_json::{Value, json};

use super::{NetSuiteClient, NetSuiteError};
use crate::domain::Money;
use crate::store::OrderUpsert;

/// What an upsert did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesOrderUpserted {
    /// The external id the order is keyed by.
    pub external_id: String,
    /// NetSuite's internal id, from the answer's `Location` header when it sends one.
    pub internal_id: Option<String>,
    /// Lines sent.
    pub lines: usize,
}

/// The external id of `order` in NetSuite: `{channel}-{order_id}` (`advisor` when the order
/// names no channel), so orders of two shops with the same number stay apart and a replay
/// of one order always names the same record.
pub fn external_id(order: &OrderUpsert) -> String {
    let channel = order.channel.as_deref().unwrap_or("advisor");
    format!("{channel}-{}", order.order_id)
}

/// The `salesOrder` body for `order`: the customer, the date (in `tz`, NetSuite's date
/// fields carry no time zone), the shop's order number as `otherRefNum`, and one line per
/// order line with the item's internal id, quantity and unit price. `item_ids` maps SKU to
/// internal id; a line whose SKU is missing from it is an error naming every such SKU.
///
/// The currency is not sent: NetSuite takes the customer's, so the default customer must
/// be in the shop's currency.
pub fn sales_order_body(
    order: &OrderUpsert,
    customer_id: &str,
    item_ids: &std::collections::HashMap<String, u64>,
    tz: chrono_tz::Tz,
) -> Result<Value, NetSuiteError> {
    let external_id = external_id(order);
    let unknown: Vec<String> = order
        .lines
        .iter()
        .filter(|l| !item_ids.contains_key(l.sku.as_str()))
        .map(|l| l.sku.as_str().to_owned())
        .collect();
    if !unknown.is_empty() {
        return Err(NetSuiteError::UnknownSkus {
            external_id,
            skus: unknown,
        });
    }
    let mut lines = Vec::with_capacity(order.lines.len());
    for line in &order.lines {
        let rate = Money::from_minor(line.unit_price_minor, order.currency)
            .map_err(|e| NetSuiteError::Config(format!("order {}: {e}", order.order_id)))?
            .amount_string();
        let rate: Value = serde_json::from_str(&rate)
            .map_err(|e| NetSuiteError::Config(format!("order {}: {e}", order.order_id)))?;
        lines.push(json!({
            "item": { "id": item_ids[line.sku.as_str()].to_string() },
            "quantity": line.quantity,
            "rate": rate,
        }));
    }
    Ok(json!({
        "externalId": external_id,
        "entity": { "id": customer_id },
        "tranDate": order.placed_at.with_timezone(&tz).format("%Y-%m-%d").to_string(),
        "otherRefNum": order.order_id,
        "memo": format!("{} order {}", order.channel.as_deref().unwrap_or("advisor"), order.order_id),
        "item": { "items": lines },
    }))
}

impl NetSuiteClient {
    /// Creates or updates the sales order for `order` under customer `customer_id` (an
    /// internal id: NetSuite requires an entity, and a shop's customers are not synced, so
    /// the connection names a default customer). Looks the lines' SKUs up first; when any
    /// is unknown nothing is sent and [`NetSuiteError::UnknownSkus`] names them.
    pub async fn upsert_sales_order(
        &self,
        order: &OrderUpsert,
        customer_id: &str,
    ) -> Result<SalesOrderUpserted, NetSuiteError> {
        let skus: Vec<&str> = order.lines.iter().map(|l| l.sku.as_str()).collect();
        let item_ids = self.item_ids_for_skus(&skus).await?;
        let body = sales_order_body(order, customer_id, &item_ids, self.time_zone())?;
        let external_id = external_id(order);
        // The external id is one path segment: escape what a segment cannot hold.
        let path = format!(
            "record/v1/salesOrder/eid:{}",
            crate::sync::oauth1::encode(&external_id)
        );
        let answer = self
            .transport()
            .send(
                Method::PUT,
                &path,
                &[("replace", "item".to_owned())],
                &[],
                Some(&body),
            )
            .await?;
        let internal_id = answer
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| l.rsplit('/').next())
            .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
            .map(str::to_owned);
        tracing::debug!(%external_id, status = %answer.status, ?internal_id, "sales order upserted");
        Ok(SalesOrderUpserted {
            external_id,
            internal_id,
            lines: order.lines.len(),
        })
    }
}
