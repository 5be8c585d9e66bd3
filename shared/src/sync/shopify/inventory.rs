//! Inventory levels: the `available` quantity of every SKU at every location, incrementally.
//!
//! What 2026-10 offers: `inventoryItems(query:)` filters by `updated_at`, but an item's
//! `updatedAt` tracks the item (SKU, cost, tracking), not its quantities; a quantity change
//! moves the *level's* `updatedAt`. The `inventoryLevels` connection takes the same search
//! `query` with an `updated_at` filter, so the cheapest correct read is per location:
//! `location(id:) { inventoryLevels(first, after, query: "updated_at:>='…Z'") { nodes {
//! updatedAt item { id sku } quantities(names: ["available"]) { name quantity } } } }` —
//! three points a level, only the levels that changed, paged by cursor (the connection has
//! no sort key; the filter and the cursor are what make it incremental). Variants'
//! `inventoryQuantity` (already in every products page) is the all-locations total and cannot
//! say which location moved.
//!
//! [`ShopifyClient::locations`] lists the active locations first. A level becomes an
//! [`InventoryUpsert`] keyed by SKU and the location's name (the name other feeds and the ERP
//! use for a warehouse; a location renamed on Shopify starts a new row), `as_of` its
//! `updatedAt`, so a level older than the stored one is ignored.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::queries::Connection;
use super::{QueryCost, ShopifyClient, ShopifyError, next_cursor, overlap, search_since};
use crate::domain::{DomainError, Sku};
use crate::store::InventoryUpsert;

/// Levels per page: about `2 + 3 × first` points.
pub const LEVELS_PER_PAGE: u32 = 200;

/// Locations per page.
pub const LOCATIONS_PER_PAGE: u32 = 50;

/// The quantity name read: what can be sold now.
const AVAILABLE: &str = "available";

const LOCATIONS: &str = "query SyncLocations($first: Int!, $after: String) {
  locations(first: $first, after: $after) {
    nodes { id name }
    pageInfo { hasNextPage endCursor }
  }
}";

const INVENTORY_LEVELS: &str =
    "query SyncInventoryLevels($location: ID!, $first: Int!, $after: String, $query: String) {
  location(id: $location) {
    inventoryLevels(first: $first, after: $after, query: $query) {
      nodes { updatedAt item { id sku } quantities(names: [\"available\"]) { name quantity } }
      pageInfo { hasNextPage endCursor }
    }
  }
}";

#[derive(Debug, Deserialize)]
struct LocationsData {
    locations: Connection<ShopifyLocation>,
}

#[derive(Debug, Deserialize)]
struct LevelsData {
    location: Option<LevelsOfLocation>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LevelsOfLocation {
    inventory_levels: Connection<InventoryLevel>,
}

/// A location stock is kept at.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ShopifyLocation {
    /// GID, e.g. `gid://shopify/Location/123`.
    pub id: String,
    /// The merchant's name for it.
    pub name: String,
}

/// One SKU's quantities at one location.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InventoryLevel {
    /// When a quantity last changed: the incremental cursor.
    pub updated_at: DateTime<Utc>,
    /// The inventory item (one per variant).
    pub item: InventoryItemRef,
    /// The quantities asked for (`available`).
    pub quantities: Vec<InventoryQuantity>,
}

/// The inventory item of a level.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InventoryItemRef {
    /// GID, e.g. `gid://shopify/InventoryItem/30322695`.
    pub id: String,
    /// The variant's SKU; `null` or empty when it has none.
    #[serde(default)]
    pub sku: Option<String>,
}

/// A named quantity.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InventoryQuantity {
    /// `available`.
    pub name: String,
    /// Units; negative when oversold.
    pub quantity: i64,
}

/// One page of a location's levels.
#[derive(Debug, Clone)]
pub struct InventoryPage {
    /// The levels changed since the cursor (minus the overlap).
    pub levels: Vec<InventoryLevel>,
    /// The cursor of the next page; `None` on the last.
    pub next: Option<String>,
    /// What the page cost.
    pub cost: Option<QueryCost>,
}

/// Why a level gives no row.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InventoryProblem {
    /// The item has no SKU: nothing to key the level by.
    #[error("inventory item {0} has no SKU")]
    MissingSku(String),
    /// The SKU does not parse.
    #[error("inventory item {0}: {1}")]
    BadSku(String, DomainError),
    /// Shopify answered without an `available` quantity.
    #[error("inventory item {0} has no available quantity")]
    NoAvailable(String),
}

impl ShopifyClient {
    /// Every location of the shop (active ones, as Shopify lists them by default).
    pub async fn locations(&self) -> Result<Vec<ShopifyLocation>, ShopifyError> {
        let mut locations = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let variables = json!({ "first": LOCATIONS_PER_PAGE, "after": after });
            let (data, _): (LocationsData, _) = self
                .transport
                .execute("SyncLocations", LOCATIONS, variables)
                .await?;
            locations.extend(data.locations.nodes);
            match next_cursor(data.locations.page_info) {
                Some(next) => after = Some(next),
                None => return Ok(locations),
            }
        }
    }

    /// The page of `location`'s levels changed since `since` (minus the overlap; all when
    /// `None`) that follows cursor `after`. A location that no longer exists gives an empty
    /// last page.
    pub async fn inventory_levels_page(
        &self,
        location: &str,
        since: Option<DateTime<Utc>>,
        after: Option<&str>,
    ) -> Result<InventoryPage, ShopifyError> {
        let variables = json!({
            "location": location,
            "first": LEVELS_PER_PAGE,
            "after": after,
            "query": since.map(|s| search_since("updated_at", ">=", s - overlap())),
        });
        let (data, cost): (LevelsData, _) = self
            .transport
            .execute("SyncInventoryLevels", INVENTORY_LEVELS, variables)
            .await?;
        let Some(location) = data.location else {
            return Ok(InventoryPage {
                levels: Vec::new(),
                next: None,
                cost,
            });
        };
        let page = location.inventory_levels;
        Ok(InventoryPage {
            next: next_cursor(page.page_info),
            levels: page.nodes,
            cost,
        })
    }
}

/// The store's stock rows for `levels` at `location`, and the levels that gave none.
pub fn inventory_upserts(
    location: &ShopifyLocation,
    levels: &[InventoryLevel],
) -> (Vec<InventoryUpsert>, Vec<InventoryProblem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for level in levels {
        let item = level.item.id.clone();
        let sku = match level.item.sku.as_deref().map(str::trim) {
            None | Some("") => {
                problems.push(InventoryProblem::MissingSku(item));
                continue;
            }
            Some(text) => match Sku::parse(text) {
                Ok(sku) => sku,
                Err(e) => {
                    problems.push(InventoryProblem::BadSku(item, e));
                    continue;
                }
            },
        };
        let Some(available) = level.quantities.iter().find(|q| q.name == AVAILABLE) else {
            problems.push(InventoryProblem::NoAvailable(item));
            continue;
        };
        rows.push(InventoryUpsert {
            sku,
            location: location.name.trim().to_owned(),
            quantity: available.quantity,
            as_of: Some(level.updated_at),
        });
    }
    (rows, problems)
}
