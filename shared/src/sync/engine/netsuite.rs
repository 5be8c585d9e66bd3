//! NetSuite, the ERP: its items and their stock come in, our orders go out as sales orders.
//!
//! - **Items** are pulled by `(lastmodifieddate, id)` (the cursor moves with every stored
//!   page). An item new to us lands whole; for a product we already have, NetSuite owns only
//!   price and stock, so only those are taken (the shop keeps title, description and the
//!   rest). An inactive item archives its product.
//! - **Stock** is read for every item (SuiteQL sums quantity available over locations) and
//!   lands as one level per SKU at location `netsuite`.
//! - **Orders** are pushed by their last change in our store, each as a sales order upserted
//!   by external id, so a replay updates the one order instead of making another. An order
//!   with a SKU NetSuite does not know is not pushed: it lands in the inbox.

use chrono::Utc;
use serde_json::json;

use super::products::RemoteProduct;
use super::remote::netsuite_error;
use super::{Step, SyncError, Work, to_json};
use crate::connections::Direction;
use crate::domain::Currency;
use crate::store::OrderCursor;
use crate::sync::netsuite::map::{StockProblem, stock_levels};
use crate::sync::netsuite::{ItemCursor, ItemPull, NetSuiteClient, NetSuiteError};

/// Orders pushed per page (each is two requests: the SKU lookup and the upsert).
const ORDERS_PER_PAGE: u32 = 25;

impl Work<'_> {
    /// A NetSuite products job: items pulled.
    pub(super) async fn netsuite_items(
        &mut self,
        client: &NetSuiteClient,
        direction: Direction,
    ) -> Result<Step, SyncError> {
        if !direction.pulls() {
            return Err(SyncError::Unrunnable(
                "NetSuite owns its items: they are pulled, never written to it".into(),
            ));
        }
        let currency = self.netsuite_currency()?;
        let since: Option<ItemCursor> = self.starting_cursor();
        let mut pull = self.resumed_pull(since);
        loop {
            let Some(page) = client.next_items(&mut pull).await.map_err(netsuite_error)? else {
                return Ok(Step::Done);
            };
            let mut products = Vec::new();
            for item in &page.items {
                if item.inactive {
                    self.job.progress.read += 1;
                    self.archive(&item.id.to_string()).await?;
                } else {
                    products.push(RemoteProduct::from_netsuite(item, currency));
                }
            }
            self.store_products(products, super::ErpOwns::default())
                .await?;
            // Pages come in cursor order: the cursor may move with each stored page.
            if let Some(cursor) = pull.cursor() {
                self.cursor_moves(to_json(&cursor));
            }
            if let Some(step) = self
                .page_stored(Some(to_json(&pull)), pull.is_done())
                .await?
            {
                return Ok(step);
            }
        }
    }

    /// A NetSuite stock job: every item's quantity available.
    pub(super) async fn netsuite_stock(
        &mut self,
        client: &NetSuiteClient,
        direction: Direction,
    ) -> Result<Step, SyncError> {
        if !direction.pulls() {
            return Err(SyncError::Unrunnable(
                "NetSuite owns stock: it is pulled, never written to it".into(),
            ));
        }
        // Stock moves without touching an item's lastmodifieddate: every item is read.
        let mut pull = self.resumed_pull(None);
        loop {
            let Some(page) = client.next_items(&mut pull).await.map_err(netsuite_error)? else {
                return Ok(Step::Done);
            };
            let ids: Vec<u64> = page.items.iter().map(|i| i.id).collect();
            let stock = client.stock(&ids).await.map_err(netsuite_error)?;
            let (levels, problems) = stock_levels(&page.items, &stock, Utc::now());
            self.job.progress.read += page.items.len() as u64;
            for problem in problems {
                let (record, code) = match &problem {
                    StockProblem::MissingSku(id) => (id.to_string(), "missing_sku"),
                    StockProblem::BadSku(id, _) => (id.to_string(), "bad_sku"),
                    StockProblem::NotWholeUnits(id, _) => (id.to_string(), "not_whole_units"),
                };
                self.problem(record, code, problem.to_string(), json!({}));
            }
            self.store_levels(&levels).await?;
            if let Some(step) = self
                .page_stored(Some(to_json(&pull)), pull.is_done())
                .await?
            {
                return Ok(step);
            }
        }
    }

    /// A NetSuite orders job: our orders pushed as sales orders, by their last change.
    pub(super) async fn netsuite_orders(
        &mut self,
        client: &NetSuiteClient,
        direction: Direction,
    ) -> Result<Step, SyncError> {
        if !direction.pushes() {
            return Err(SyncError::Unrunnable(
                "orders go to NetSuite; they are not pulled from it".into(),
            ));
        }
        let customer = self
            .connection
            .settings
            .default_customer_id
            .clone()
            .ok_or_else(|| {
                SyncError::Unrunnable(
                    "set the connection's `default_customer_id`: NetSuite enters every sales \
                     order under a customer"
                        .into(),
                )
            })?;
        let mut after: Option<OrderCursor> = match self.job.progress.resume.as_deref() {
            Some(saved) => serde_json::from_str(saved).ok(),
            None => self.starting_cursor(),
        };
        loop {
            let orders = self
                .store
                .orders_changed_since(&self.job.tenant, after.as_ref(), ORDERS_PER_PAGE)
                .await?;
            for changed in &orders {
                let order = &changed.order;
                self.job.progress.read += 1;
                match client.upsert_sales_order(order, &customer).await {
                    Ok(_) => self.job.progress.pushed += 1,
                    Err(e) if e.is_retriable() || e.is_auth() => return Err(netsuite_error(e)),
                    Err(e) => {
                        let code = match &e {
                            NetSuiteError::UnknownSkus { .. } => "unknown_skus",
                            _ => "order_refused",
                        };
                        let detail = json!({ "order": order.order_id });
                        self.problem(order.order_id.clone(), code, e.to_string(), detail);
                    }
                }
                after = Some((changed.updated_at, order.order_id.clone()));
            }
            if let Some(cursor) = &after {
                self.cursor_moves(to_json(cursor));
            }
            if let Some(step) = self
                .page_stored(
                    after.as_ref().map(to_json),
                    orders.len() < ORDERS_PER_PAGE as usize,
                )
                .await?
            {
                return Ok(step);
            }
        }
    }

    fn netsuite_currency(&self) -> Result<Currency, SyncError> {
        let code = self
            .connection
            .settings
            .currency
            .as_deref()
            .ok_or_else(|| {
                SyncError::Unrunnable(
                    "set the connection's `currency`: NetSuite item prices carry none".into(),
                )
            })?;
        Currency::parse(code)
            .map_err(|e| SyncError::Unrunnable(format!("the connection's currency: {e}")))
    }

    /// The item pull saved in the job, or a new one from `since`.
    fn resumed_pull(&self, since: Option<ItemCursor>) -> ItemPull {
        self.job
            .progress
            .resume
            .as_deref()
            .and_then(|saved| serde_json::from_str(saved).ok())
            .unwrap_or_else(|| ItemPull::new(since))
    }
}
