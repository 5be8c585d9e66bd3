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
    let invalid = |message: String| NetSuiteError::InvalidOrder {
        external_id: external_id.clone(),
        message,
    };
    if order.lines.is_empty() {
        return Err(invalid("no lines: NetSuite needs at least one item".into()));
    }
    let unknown: Vec<String> = order
        .lines
        .iter()
        .filter(|l| !item_ids.contains_key(l.sku.as_str()))
        .map(|l| l.sku.as_str().to_owned())
        .collect();
    if !unknown.is_empty() {
        return Err(NetSuiteError::UnknownSkus {
            external_id: external_id.clone(),
            skus: unknown,
        });
    }
    let mut lines = Vec::with_capacity(order.lines.len());
    for line in &order.lines {
        let rate = Money::from_minor(line.unit_price_minor, order.currency)
            .map_err(|e| invalid(format!("{}: {e}", line.sku.as_str())))?
            .amount_string();
        let rate: Value = serde_json::from_str(&rate)
            .map_err(|e| invalid(format!("{}: rate {rate}: {e}", line.sku.as_str())))?;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::{Currency, Sku};
    use crate::store::OrderLineUpsert;
    use crate::sync::netsuite::NetSuiteError;
    use crate::sync::netsuite::mock::MockNetSuite;
    use crate::sync::netsuite::tests::{TOKEN_SECRET, account, catalogue, client, config, start};

    fn order(skus: &[&str]) -> OrderUpsert {
        OrderUpsert {
            order_id: "1001".into(),
            placed_at: start(),
            currency: Currency::parse("USD").unwrap(),
            total_minor: 4980,
            tax_minor: None,
            shipping_minor: None,
            customer_ref: None,
            channel: Some("shopify".into()),
            lines: skus
                .iter()
                .map(|sku| OrderLineUpsert {
                    sku: Sku::parse(sku).unwrap(),
                    quantity: 2,
                    unit_price_minor: 1245,
                })
                .collect(),
        }
    }

    #[tokio::test]
    async fn a_replayed_sales_order_upsert_leaves_one_order_with_its_lines() {
        let mock = MockNetSuite::start(account(), catalogue(5, 1))
            .await
            .unwrap();
        let client = client(&mock, config(&mock, TOKEN_SECRET));
        let order = order(&["SKU-1", "SKU-3"]);
        let first = client.upsert_sales_order(&order, "4242").await.unwrap();
        let again = client.upsert_sales_order(&order, "4242").await.unwrap();
        assert_eq!(first.external_id, "shopify-1001");
        assert_eq!(first.internal_id.as_deref(), Some("5521"));
        assert_eq!(again, first);
        let state = mock.state();
        assert_eq!(state.sales_orders.len(), 1);
        let stored = &state.sales_orders[0];
        assert_eq!(stored.lines.len(), 2, "the replay replaced the lines");
        let sku1 = state
            .items
            .iter()
            .find(|i| i.itemid.as_deref() == Some("SKU-1"))
            .unwrap()
            .id;
        assert_eq!(
            stored.lines[0],
            json!({"item": {"id": sku1.to_string()}, "quantity": 2, "rate": 12.45})
        );
        assert_eq!(stored.fields["tranDate"], "2026-03-08");
        assert_eq!(stored.fields["otherRefNum"], "1001");
        let put = state.requests.iter().find(|r| r.method == "PUT").unwrap();
        assert_eq!(
            put.path,
            "/services/rest/record/v1/salesOrder/eid:shopify-1001"
        );
        assert_eq!(put.query, vec![("replace".to_owned(), "item".to_owned())]);
    }

    #[tokio::test]
    async fn a_line_with_an_unknown_sku_is_reported_and_nothing_is_sent() {
        let mock = MockNetSuite::start(account(), catalogue(5, 1))
            .await
            .unwrap();
        let client = client(&mock, config(&mock, TOKEN_SECRET));
        let ids = client
            .item_ids_for_skus(&["SKU-2", "NOPE", "SKU-2"])
            .await
            .unwrap();
        assert_eq!(ids.len(), 1);
        let err = client
            .upsert_sales_order(&order(&["SKU-2", "NOPE"]), "4242")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, NetSuiteError::UnknownSkus { external_id, skus } if external_id == "shopify-1001" && skus == &["NOPE"]),
            "{err}"
        );
        assert!(!err.is_retriable() && !err.is_auth());
        {
            let state = mock.state();
            assert!(state.sales_orders.is_empty());
            assert!(state.requests.iter().all(|r| r.method == "POST"));
        }

        // NetSuite's own refusal (an unknown customer) comes back typed.
        let err = client
            .upsert_sales_order(&order(&["SKU-2"]), "999")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, NetSuiteError::Api { status: 400, details } if details[0].code == "INVALID_KEY_OR_REF" && details[0].path.as_deref() == Some("entity")),
            "{err}"
        );
    }

    #[test]
    fn an_order_without_lines_is_refused_before_anything_is_sent() {
        let err = sales_order_body(
            &order(&[]),
            "4242",
            &std::collections::HashMap::new(),
            chrono_tz::Tz::UTC,
        )
        .unwrap_err();
        assert!(
            matches!(&err, NetSuiteError::InvalidOrder { external_id, .. } if external_id == "shopify-1001"),
            "{err}"
        );
    }
}
