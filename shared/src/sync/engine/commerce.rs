//! Orders and stock pulled from a shop: the shop owns its orders, and its stock unless the
//! ERP does (then a shop's stock job stores nothing and says why).
//!
//! Both land through the batch upserts feeds use, so an order keeps the daily sales tables
//! exact in the same transaction, and a stock level older than the stored one is ignored.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::remote::{shopify_error, woo_error};
use super::{Remote, Step, SyncError, TimeCursor, Work, to_json};
use crate::connections::Direction;
use crate::store::{InventoryUpsert, OrderUpsert};
use crate::sync::shopify::ShopifyClient;
use crate::sync::shopify::inventory::{InventoryProblem, inventory_upserts};
use crate::sync::shopify::orders::{OrderProblem as ShopifyOrderProblem, order_upsert};
use crate::sync::woocommerce::orders::{
    OrderProblem as WooOrderProblem, order_upsert as woo_order_upsert,
};
use crate::sync::woocommerce::{Pull, WooClient, WooCursor};

/// Where a Shopify stock job is: which location, the page within it, and the newest level
/// that location has shown so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct LevelsResume {
    location: usize,
    after: Option<String>,
    newest: Option<DateTime<Utc>>,
}

/// Shopify's stock cursor: one moment per location. A location's levels come in no time
/// order, so its moment moves only once all its pages are stored, and one location's moment
/// says nothing about another's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct LevelsCursor {
    locations: BTreeMap<String, DateTime<Utc>>,
}

impl Work<'_> {
    /// An orders job: pulled from a shop.
    pub(super) async fn orders(
        &mut self,
        remote: &Remote,
        direction: Direction,
    ) -> Result<Step, SyncError> {
        if !direction.pulls() && !matches!(remote, Remote::NetSuite(_)) {
            return Err(SyncError::Unrunnable(format!(
                "{} owns its orders: they are pulled, never pushed to it",
                self.job.platform
            )));
        }
        match remote {
            Remote::Shopify(client) => self.shopify_orders(client).await,
            Remote::WooCommerce(client) => self.woo_orders(client).await,
            Remote::NetSuite(client) => self.netsuite_orders(client, direction).await,
        }
    }

    /// A stock job: pulled from a shop, unless the ERP owns stock.
    pub(super) async fn inventory(
        &mut self,
        remote: &Remote,
        direction: Direction,
    ) -> Result<Step, SyncError> {
        let client = match remote {
            Remote::Shopify(client) => client,
            Remote::NetSuite(client) => return self.netsuite_stock(client, direction).await,
            Remote::WooCommerce(_) => {
                return Err(SyncError::Unrunnable(
                    "WooCommerce stock comes with its products (stock_quantity): sync products"
                        .into(),
                ));
            }
        };
        if !direction.pulls() {
            return Err(SyncError::Unrunnable(
                "stock is pulled, never pushed to a shop".into(),
            ));
        }
        if self.erp_owns().await?.stock {
            self.job.progress.note = Some(
                "NetSuite owns stock for this tenant: the shop's levels are not pulled".into(),
            );
            return Ok(Step::Done);
        }
        self.shopify_levels(client).await
    }

    async fn shopify_orders(&mut self, client: &ShopifyClient) -> Result<Step, SyncError> {
        let since = self.starting_cursor::<TimeCursor>().updated_at;
        let mut cursor: TimeCursor = self.stored_cursor().await?;
        loop {
            let page = client
                .orders_page(since, self.job.progress.resume.as_deref())
                .await
                .map_err(shopify_error)?;
            let mut orders = Vec::new();
            for order in &page.orders {
                self.job.progress.read += 1;
                let mapped = match order_upsert(order) {
                    // Too many lines for a page: read the order alone.
                    Err(ShopifyOrderProblem::LinesTruncated(_)) => {
                        match client.order(&order.id).await.map_err(shopify_error)? {
                            Some(whole) => order_upsert(&whole),
                            None => continue,
                        }
                    }
                    other => other,
                };
                match mapped {
                    Ok((upsert, problems)) => {
                        for problem in problems {
                            self.order_problem(&order.name, "line_left_out", problem.to_string());
                        }
                        orders.push(upsert);
                    }
                    Err(ShopifyOrderProblem::NotASale(..)) => self.job.progress.skipped += 1,
                    Err(problem) => {
                        self.order_problem(&order.name, "bad_order", problem.to_string())
                    }
                }
            }
            self.store_orders(&orders).await?;
            if cursor.advance(page.orders.iter().map(|o| o.updated_at).max()) {
                self.cursor_moves(to_json(&cursor));
            }
            if let Some(step) = self
                .page_stored(page.next.clone(), page.next.is_none())
                .await?
            {
                return Ok(step);
            }
        }
    }

    async fn woo_orders(&mut self, client: &WooClient) -> Result<Step, SyncError> {
        let since: Option<WooCursor> = self.starting_cursor();
        let mut pull = match self.job.progress.resume.as_deref() {
            Some(saved) => serde_json::from_str(saved).unwrap_or_else(|_| Pull::new(since)),
            None => Pull::new(since),
        };
        loop {
            let Some(page) = client.next_orders(&mut pull).await.map_err(woo_error)? else {
                return Ok(Step::Done);
            };
            let mut orders = Vec::new();
            for order in &page.orders {
                self.job.progress.read += 1;
                let name = order.id.to_string();
                match woo_order_upsert(order) {
                    Ok((upsert, problems)) => {
                        for problem in problems {
                            self.order_problem(&name, "line_left_out", problem.to_string());
                        }
                        orders.push(upsert);
                    }
                    Err(WooOrderProblem::NotASale(..)) => self.job.progress.skipped += 1,
                    Err(problem) => self.order_problem(&name, "bad_order", problem.to_string()),
                }
            }
            self.store_orders(&orders).await?;
            if pull.is_done()
                && let Some(cursor) = pull.cursor()
            {
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

    /// Every location's levels changed since its moment in the job's starting cursor.
    async fn shopify_levels(&mut self, client: &ShopifyClient) -> Result<Step, SyncError> {
        let from: LevelsCursor = self.starting_cursor();
        let mut cursor: LevelsCursor = self.stored_cursor().await?;
        let locations = client.locations().await.map_err(shopify_error)?;
        let mut at: LevelsResume = self
            .job
            .progress
            .resume
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default();
        while let Some(location) = locations.get(at.location) {
            let since = from.locations.get(&location.id).copied();
            let page = client
                .inventory_levels_page(&location.id, since, at.after.as_deref())
                .await
                .map_err(shopify_error)?;
            let (levels, problems) = inventory_upserts(location, &page.levels);
            self.job.progress.read += page.levels.len() as u64;
            for problem in problems {
                let (record, code) = match &problem {
                    InventoryProblem::MissingSku(item) => (item.clone(), "missing_sku"),
                    InventoryProblem::BadSku(item, _) => (item.clone(), "bad_sku"),
                    InventoryProblem::NoAvailable(item) => (item.clone(), "no_quantity"),
                };
                let detail = json!({"location": location.name});
                self.problem(record, code, problem.to_string(), detail);
            }
            self.store_levels(&levels).await?;
            at.newest = at
                .newest
                .max(page.levels.iter().map(|l| l.updated_at).max());
            at = match page.next {
                Some(after) => LevelsResume {
                    after: Some(after),
                    ..at
                },
                None => {
                    if let Some(newest) = at.newest {
                        let moment = cursor
                            .locations
                            .entry(location.id.clone())
                            .or_insert(newest);
                        *moment = (*moment).max(newest);
                        self.cursor_moves(to_json(&cursor));
                    }
                    LevelsResume {
                        location: at.location + 1,
                        ..LevelsResume::default()
                    }
                }
            };
            let last = at.location >= locations.len();
            if let Some(step) = self.page_stored(Some(to_json(&at)), last).await? {
                return Ok(step);
            }
        }
        Ok(Step::Done)
    }

    fn order_problem(&mut self, order: &str, code: &str, message: String) {
        self.problem(order.to_owned(), code, message, json!({ "order": order }));
    }

    async fn store_orders(&mut self, orders: &[OrderUpsert]) -> Result<(), SyncError> {
        if orders.is_empty() {
            return Ok(());
        }
        let outcome = self.store.apply_order_batch(&self.run, orders, &[]).await?;
        self.job.progress.inserted += outcome.inserted;
        self.job.progress.updated += outcome.updated;
        self.job.progress.unchanged += outcome.unchanged;
        Ok(())
    }

    pub(super) async fn store_levels(
        &mut self,
        levels: &[InventoryUpsert],
    ) -> Result<(), SyncError> {
        if levels.is_empty() {
            return Ok(());
        }
        let outcome = self
            .store
            .apply_inventory_batch(&self.run, levels, &[])
            .await?;
        self.job.progress.inserted += outcome.inserted;
        self.job.progress.updated += outcome.updated;
        self.job.progress.unchanged += outcome.unchanged;
        Ok(())
    }
}
