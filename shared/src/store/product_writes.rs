//! What listing, writing and deleting a product over the API needs from the store: the sort
//! orders and keyset positions of a listing, its filters, and conditional writes whose check
//! and write are one statement (a version compared in the `WHERE`), so two writers racing on
//! one product cannot both win.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ProductView;
use crate::domain::Currency;

/// The column a product listing is sorted by; the SKU breaks ties.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    /// The SKU (unique, so no tie).
    #[default]
    Sku,
    /// The title, by code point (the columns are binary-collated on both backends).
    Title,
    /// The last change.
    UpdatedAt,
}

/// The order of a product listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ProductSort {
    /// What it sorts by.
    pub field: SortField,
    /// Largest first; the SKU tie-break is descending too, so the order is one tuple reversed.
    pub descending: bool,
}

/// Where a page of a sorted listing ended: the last product's sort key and SKU. The next page
/// starts strictly after it, so products inserted meanwhile never shift what is still to come.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductPosition {
    /// After this SKU.
    Sku(String),
    /// After this (title, SKU).
    Title {
        /// The last product's title.
        title: String,
        /// The last product's SKU.
        sku: String,
    },
    /// After this (last change, SKU).
    UpdatedAt {
        /// The last product's last change.
        updated_at: DateTime<Utc>,
        /// The last product's SKU.
        sku: String,
    },
}

impl ProductPosition {
    /// The position of `product` in a listing sorted by `field`.
    pub fn of(product: &ProductView, field: SortField) -> Self {
        let sku = product.content.sku.as_str().to_owned();
        match field {
            SortField::Sku => ProductPosition::Sku(sku),
            SortField::Title => ProductPosition::Title {
                title: product.content.title.clone(),
                sku,
            },
            SortField::UpdatedAt => ProductPosition::UpdatedAt {
                updated_at: product.updated_at,
                sku,
            },
        }
    }

    /// The field a listing this position came from was sorted by.
    pub fn field(&self) -> SortField {
        match self {
            ProductPosition::Sku(_) => SortField::Sku,
            ProductPosition::Title { .. } => SortField::Title,
            ProductPosition::UpdatedAt { .. } => SortField::UpdatedAt,
        }
    }

    /// The SKU that breaks ties.
    pub fn sku(&self) -> &str {
        match self {
            ProductPosition::Sku(sku)
            | ProductPosition::Title { sku, .. }
            | ProductPosition::UpdatedAt { sku, .. } => sku,
        }
    }
}

/// Products priced in one currency within a range of minor units (either end open). Prices in
/// different currencies cannot be compared, so the range names its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PriceRange {
    /// The currency the product's price must be in.
    pub currency: Currency,
    /// At least this many minor units.
    pub min_minor: Option<i64>,
    /// At most this many minor units.
    pub max_minor: Option<i64>,
}

/// What a conditional product write expects to find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteCondition {
    /// No product with the SKU, or a deleted one (create or restore only).
    Absent,
    /// The product, not deleted, at this version.
    Version(i64),
}

/// What a conditional product write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteChange {
    /// The SKU was new to the tenant.
    Created,
    /// The product was deleted and is back.
    Restored,
    /// The content changed: the version moved on.
    Updated,
    /// The content was already stored as it is: nothing was written.
    Unchanged,
    /// The product was soft-deleted.
    Deleted,
}

impl WriteChange {
    /// Whether a write stored new content or brought a product back, so it owes an
    /// enrichment message.
    pub fn owes_enrichment(self) -> bool {
        matches!(
            self,
            WriteChange::Created | WriteChange::Restored | WriteChange::Updated
        )
    }
}

/// The answer to a conditional write or delete.
#[derive(Debug, Clone, PartialEq)]
pub enum ProductWrite {
    /// The condition held: what was done and the product as it now is (`None` once deleted).
    Done {
        /// What was done.
        change: WriteChange,
        /// The product afterwards.
        product: Option<Box<ProductView>>,
    },
    /// The condition did not hold; nothing was written. `current` is the live product's
    /// version, `None` when there is none (never stored, or deleted).
    ConditionFailed {
        /// The live product's version.
        current: Option<i64>,
    },
}
