//! A WooCommerce product to our [`ProductContent`] rows: a simple product is one row, a
//! variable product one row per variation with a SKU, grouped under the product's slug.
//!
//! The problem types are Shopify's ([`crate::sync::shopify::map`]): ids are the WooCommerce
//! ids as text. Nothing is invented: no SKU or an unreadable price gives no row, reported.

use std::collections::BTreeMap;

use super::{WooProduct, WooVariation};
use crate::domain::{Currency, MAX_OPTIONS, Money, ProductContent, ProductOption, Sku};
use crate::sync::non_empty;
use crate::sync::shopify::map::{MappedProduct, ProblemKind, VariantProblem};

/// The rows of `product` (with `variations` when it is variable), priced in `currency`.
pub fn product_rows(
    product: &WooProduct,
    variations: &[WooVariation],
    currency: Currency,
) -> MappedProduct {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let problem = |variant_id: Option<u64>, kind| VariantProblem {
        product_id: product.id.to_string(),
        variant_id: variant_id.map(|id| id.to_string()),
        kind,
    };
    if product.is_variable() {
        for variation in variations {
            match variation_row(product, variation, currency) {
                Ok(row) => rows.push(row),
                Err(kind) => problems.push(problem(Some(variation.id), kind)),
            }
        }
    } else {
        let row = base_row(product, &product.sku, &product.price, currency);
        match row {
            Ok(row) => rows.push(row),
            Err(kind) => problems.push(problem(None, kind)),
        }
    }
    MappedProduct { rows, problems }
}

fn variation_row(
    product: &WooProduct,
    variation: &WooVariation,
    currency: Currency,
) -> Result<ProductContent, ProblemKind> {
    let mut row = base_row(product, &variation.sku, &variation.price, currency)?;
    row.quantity = variation.stock_quantity.or(product.stock_quantity);
    if let Some(image) = &variation.image {
        row.image_url = non_empty(Some(&image.src)).or(row.image_url);
    }
    row.parent = non_empty(Some(&product.slug)).or_else(|| Some(product.id.to_string()));
    row.options = variation
        .attributes
        .iter()
        .take(MAX_OPTIONS)
        .map(|a| ProductOption {
            name: a.name.clone(),
            value: a.option.clone(),
        })
        .collect();
    row.attributes
        .insert("woocommerce_variation_id".into(), variation.id.to_string());
    Ok(row)
}

/// The product-level row with this SKU and price.
fn base_row(
    product: &WooProduct,
    sku: &str,
    price: &str,
    currency: Currency,
) -> Result<ProductContent, ProblemKind> {
    let sku = match sku.trim() {
        "" => return Err(ProblemKind::MissingSku),
        sku => Sku::parse(sku).map_err(ProblemKind::BadSku)?,
    };
    // An unset price is `""`: the row is kept unpriced rather than dropped.
    let price = match price.trim() {
        "" => None,
        amount => Some(Money::parse(amount, currency).map_err(ProblemKind::BadPrice)?),
    };
    let mut attributes = BTreeMap::new();
    attributes.insert("woocommerce_product_id".into(), product.id.to_string());
    attributes.insert("status".into(), product.status.clone());
    if let Some(short) = non_empty(Some(&product.short_description)) {
        attributes.insert("short_description".into(), short);
    }
    Ok(ProductContent {
        sku,
        title: product.name.trim().to_owned(),
        description: non_empty(Some(&product.description))
            .map(|d| d.replace("\r\n", "\n").replace('\r', "\n")),
        price,
        quantity: product.stock_quantity,
        brand: None,
        category: product.categories.first().map(|c| c.name.clone()),
        gtin: None,
        image_url: product.images.first().map(|i| i.src.clone()),
        parent: None,
        options: Vec::new(),
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_variable_product_maps_one_row_per_variation_with_a_sku() {
        let product: WooProduct = serde_json::from_value(serde_json::json!({
            "id": 799, "name": "Ship Your Idea", "slug": "ship-your-idea-22", "type": "variable",
            "status": "publish", "sku": "", "price": "", "stock_quantity": null,
            "description": "<p>Pellentesque habitant.</p>\r\n", "short_description": "<p>Short</p>",
            "categories": [{"id": 9, "name": "Clothing", "slug": "clothing"}],
            "images": [{"id": 795, "src": "https://example.com/T_4_front.jpg"}],
            "date_modified": "2017-03-23T17:03:12", "date_modified_gmt": "2017-03-23T20:03:12",
            "variations": [732, 733]
        }))
        .unwrap();
        let variations: Vec<WooVariation> = serde_json::from_value(serde_json::json!([
            {"id": 732, "sku": "SHIP-BLACK", "price": "9.00", "stock_quantity": 3,
             "image": {"id": 1, "src": "https://example.com/black.jpg"},
             "attributes": [{"id": 6, "name": "Color", "option": "Black"}]},
            {"id": 733, "sku": "", "price": "9.00", "attributes": []}
        ]))
        .unwrap();
        let mapped = product_rows(&product, &variations, Currency::parse("USD").unwrap());
        assert_eq!(mapped.rows.len(), 1);
        let row = &mapped.rows[0];
        assert_eq!(row.sku.as_str(), "SHIP-BLACK");
        assert_eq!(row.price.unwrap().amount_string(), "9.00");
        assert_eq!(row.quantity, Some(3));
        assert_eq!(row.parent.as_deref(), Some("ship-your-idea-22"));
        assert_eq!(row.options[0].value, "Black");
        assert_eq!(
            row.image_url.as_deref(),
            Some("https://example.com/black.jpg")
        );
        assert_eq!(row.category.as_deref(), Some("Clothing"));
        assert_eq!(
            row.description.as_deref(),
            Some("<p>Pellentesque habitant.</p>")
        );
        assert_eq!(mapped.problems[0].variant_id.as_deref(), Some("733"));
        assert_eq!(mapped.problems[0].kind, ProblemKind::MissingSku);
    }
}
