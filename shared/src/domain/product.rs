//! A product's content: what a merchant or partner says about it. Feeds, the store and the API
//! all carry this one struct, and its hash decides whether a product changed.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Gtin, Money, Sku};

/// The fields that describe a product, as given (trimmed; cleaning is the enrichment's job).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductContent {
    /// The tenant's SKU.
    pub sku: Sku,
    /// The title.
    pub title: String,
    /// The description (line breaks normalised to `\n`).
    pub description: Option<String>,
    /// The price.
    pub price: Option<Money>,
    /// Units in stock.
    pub quantity: Option<i64>,
    /// Brand or vendor.
    pub brand: Option<String>,
    /// The partner's category name or path.
    pub category: Option<String>,
    /// Barcode.
    pub gtin: Option<Gtin>,
    /// Absolute http(s) URL of the main image.
    pub image_url: Option<String>,
}

impl ProductContent {
    /// SHA-256 hex of the content. Timestamps and provenance are not content: a feed
    /// re-exported unchanged must not count as a change.
    pub fn content_hash(&self) -> String {
        let canonical = serde_json::json!([
            self.sku.as_str(),
            self.title,
            self.description,
            self.price
                .as_ref()
                .map(|m| (m.minor(), m.currency().as_str())),
            self.quantity,
            self.brand,
            self.category,
            self.gtin.as_ref().map(Gtin::as_str),
            self.image_url,
        ]);
        hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mug() -> ProductContent {
        ProductContent {
            sku: Sku::parse("MUG-1").unwrap(),
            title: "Mug".into(),
            description: None,
            price: None,
            quantity: Some(3),
            brand: None,
            category: None,
            gtin: None,
            image_url: None,
        }
    }

    #[test]
    fn the_hash_changes_with_any_field_and_only_then() {
        assert_eq!(mug().content_hash(), mug().content_hash());
        let restocked = ProductContent {
            quantity: Some(4),
            ..mug()
        };
        assert_ne!(mug().content_hash(), restocked.content_hash());
        let described = ProductContent {
            description: Some(String::new()),
            ..mug()
        };
        assert_ne!(
            mug().content_hash(),
            described.content_hash(),
            "empty is not absent"
        );
    }
}
