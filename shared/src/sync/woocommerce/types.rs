//! The v3 resources the client reads, as the API documents them (the fields the catalogue
//! needs; unknown fields are ignored).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

use super::WooCursor;

/// A product as `GET /products` returns it (the fields the catalogue needs).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WooProduct {
    /// The product id.
    pub id: u64,
    /// The product name.
    pub name: String,
    /// The URL slug; the parent key of a variable product's rows.
    #[serde(default)]
    pub slug: String,
    /// `simple`, `grouped`, `external` or `variable`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `publish`, `draft` …
    #[serde(default)]
    pub status: String,
    /// May be `""`.
    #[serde(default)]
    pub sku: String,
    /// The current price, a decimal string; `""` when unset.
    #[serde(default)]
    pub price: String,
    /// Only meaningful with `manage_stock`.
    #[serde(default)]
    pub stock_quantity: Option<i64>,
    /// HTML.
    #[serde(default)]
    pub description: String,
    /// HTML.
    #[serde(default)]
    pub short_description: String,
    /// Categories, most general first as the store lists them.
    #[serde(default)]
    pub categories: Vec<WooCategory>,
    /// Images; the first is the featured one.
    #[serde(default)]
    pub images: Vec<WooImage>,
    /// Last change, GMT.
    pub date_modified_gmt: NaiveDateTime,
    /// Variation ids of a variable product.
    #[serde(default)]
    pub variations: Vec<u64>,
}

impl WooProduct {
    /// Where this product puts a pull's cursor.
    pub fn cursor(&self) -> WooCursor {
        WooCursor {
            modified_gmt: self.date_modified_gmt,
            id: self.id,
        }
    }

    /// Whether its sellable rows are its variations.
    pub fn is_variable(&self) -> bool {
        self.kind == "variable"
    }
}

/// A product category.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WooCategory {
    /// The category name.
    pub name: String,
}

/// A product or variation image.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WooImage {
    /// The image URL.
    pub src: String,
}

/// A variation as `GET /products/{id}/variations` returns it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WooVariation {
    /// The variation id.
    pub id: u64,
    /// May be `""`: such a variation gets no row.
    #[serde(default)]
    pub sku: String,
    /// The current price.
    #[serde(default)]
    pub price: String,
    /// Stock when managed per variation.
    #[serde(default)]
    pub stock_quantity: Option<i64>,
    /// The variation's own image, if any.
    #[serde(default)]
    pub image: Option<WooImage>,
    /// The chosen attribute values.
    #[serde(default)]
    pub attributes: Vec<WooAttribute>,
}

/// One attribute of a variation (`Size` = `M`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WooAttribute {
    /// The attribute name.
    pub name: String,
    /// The chosen value.
    pub option: String,
}
