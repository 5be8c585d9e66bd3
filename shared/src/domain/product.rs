//! A product's content: what a merchant or partner says about it. Feeds, the store and the API
//! all carry this one struct, and its hash decides whether a product changed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Gtin, Money, Sku};

/// The fields that describe a product, as given (trimmed; cleaning is the enrichment's job).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
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
    /// For a variant: the product it is a variant of — the feed's handle or parent SKU.
    pub parent: Option<String>,
    /// For a variant: what sets it apart (`Size` = `M`), at most three, in the feed's order.
    pub options: Vec<ProductOption>,
    /// Columns the feed has that no canonical field takes, kept as given (header → value),
    /// never dropped. Empty values are not kept.
    pub attributes: BTreeMap<String, String>,
}

/// One variant option, e.g. `Colour` = `Navy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProductOption {
    /// The option's name.
    pub name: String,
    /// This variant's value.
    pub value: String,
}

/// At most this many options per variant (Shopify's limit, and what feeds carry).
pub const MAX_OPTIONS: usize = 3;

impl ProductContent {
    /// SHA-256 hex of the content. Timestamps and provenance are not content: a feed
    /// re-exported unchanged must not count as a change.
    pub fn content_hash(&self) -> String {
        // The canonical form is a JSON array streamed straight into the hasher; tuples serialise
        // as arrays, so these bytes are the ones earlier versions hashed.
        let mut hasher = HashWriter(Sha256::new());
        let fields = (
            self.sku.as_str(),
            &self.title,
            &self.description,
            self.price
                .as_ref()
                .map(|m| (m.minor(), m.currency().as_str())),
            self.quantity,
            &self.brand,
            &self.category,
            self.gtin.as_ref().map(Gtin::as_str),
            &self.image_url,
        );
        // Writing to a hasher cannot fail, and these types always serialise.
        let _ = serde_json::to_writer(&mut hasher, &fields);
        // Appended only when present, so a product without variants or extra columns keeps the
        // hash it had before these fields existed and is not enriched again for nothing.
        if self.parent.is_some() || !self.options.is_empty() || !self.attributes.is_empty() {
            let _ = serde_json::to_writer(
                &mut hasher,
                &(&self.parent, &self.options, &self.attributes),
            );
        }
        hex::encode(hasher.0.finalize())
    }
}

/// Feeds written bytes to a SHA-256.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Currency;

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
            parent: None,
            options: vec![],
            attributes: BTreeMap::new(),
        }
    }

    #[test]
    fn a_product_without_variants_or_extra_columns_keeps_its_earlier_hash() {
        // The hash of `mug()` before `parent`, `options` and `attributes` existed.
        assert_eq!(
            mug().content_hash(),
            "34ca68b6332e7e03cc97d5d0ecd5f4862edad0af5556e56cc75706a06e1d17a6"
        );
        let variant = ProductContent {
            parent: Some("mug".into()),
            ..mug()
        };
        assert_ne!(mug().content_hash(), variant.content_hash());
        let mut attributes = BTreeMap::new();
        attributes.insert("Material".into(), "Stoneware".into());
        let with_attributes = ProductContent {
            attributes,
            ..mug()
        };
        assert_ne!(mug().content_hash(), with_attributes.content_hash());
    }

    #[test]
    fn the_hash_is_of_the_json_array_earlier_versions_built() {
        let mut attributes = BTreeMap::new();
        attributes.insert("Material".into(), "Stoneware \"fine\"".into());
        attributes.insert("Care".into(), "Dishwasher\nsafe".into());
        let full = ProductContent {
            description: Some("<p>Hand-thrown</p>".into()),
            price: Some(Money::parse("12.50", Currency::parse("EUR").unwrap()).unwrap()),
            brand: Some("Kettle & Oak".into()),
            category: Some("Home > Mugs".into()),
            gtin: Some(Gtin::parse("4006381333931").unwrap()),
            image_url: Some("https://cdn.example.com/mug.jpg".into()),
            parent: Some("mug".into()),
            options: vec![ProductOption {
                name: "Colour".into(),
                value: "Sage".into(),
            }],
            attributes,
            ..mug()
        };
        // The canonical form as it was first written, through `serde_json::Value`.
        let p = &full;
        let mut canonical = serde_json::json!([
            p.sku.as_str(),
            p.title,
            p.description,
            p.price.as_ref().map(|m| (m.minor(), m.currency().as_str())),
            p.quantity,
            p.brand,
            p.category,
            p.gtin.as_ref().map(Gtin::as_str),
            p.image_url,
        ])
        .to_string();
        canonical.push_str(&serde_json::json!([p.parent, p.options, p.attributes]).to_string());
        assert_eq!(
            full.content_hash(),
            hex::encode(Sha256::digest(canonical.as_bytes()))
        );
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
