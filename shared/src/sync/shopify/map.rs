//! A Shopify product to our [`ProductContent`] rows: one row per variant SKU, prices as
//! [`Money`] in the shop currency, through the same domain parsing feeds use.
//!
//! Nothing is invented: a variant without a SKU, or whose SKU or price does not parse, gives
//! no row and is reported, so the merchant can fix it on Shopify.

use std::collections::BTreeMap;

use crate::domain::{DomainError, Gtin, MAX_OPTIONS, Money, ProductContent, ProductOption, Sku};

use super::queries::{ShopifyProduct, ShopifyVariant};
use crate::domain::Currency;
use crate::sync::non_empty;

/// Shopify's placeholder option on a product without real options.
const DEFAULT_OPTION: (&str, &str) = ("Title", "Default Title");

/// A product's rows and what could not become one.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedProduct {
    /// One per variant with a valid SKU and price.
    pub rows: Vec<ProductContent>,
    /// What was left out or only partly read.
    pub problems: Vec<VariantProblem>,
}

/// Something wrong with one variant (or the product's variant list).
#[derive(Debug, Clone, PartialEq)]
pub struct VariantProblem {
    /// The product GID.
    pub product_id: String,
    /// The variant GID; `None` for a product-level problem.
    pub variant_id: Option<String>,
    /// What is wrong.
    pub kind: ProblemKind,
}

/// What is wrong with a variant.
#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    /// No SKU: nothing to key it by, so no row.
    MissingSku,
    /// The SKU does not parse; no row.
    BadSku(DomainError),
    /// The price does not parse in the shop currency; no row.
    BadPrice(DomainError),
    /// The barcode is not a valid GTIN; the row is kept with the barcode as an attribute.
    BadBarcode(DomainError),
    /// The product has more variants than one page reads; the rest are not synced yet.
    VariantsTruncated,
}

/// The rows of `product`, priced in `currency`.
pub fn product_rows(product: &ShopifyProduct, currency: Currency) -> MappedProduct {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let has_options = product.variants.nodes.len() > 1
        || product
            .variants
            .nodes
            .iter()
            .any(|v| real_options(v).next().is_some());
    for variant in &product.variants.nodes {
        let problem = |kind| VariantProblem {
            product_id: product.id.clone(),
            variant_id: Some(variant.id.clone()),
            kind,
        };
        match variant_row(product, variant, currency, has_options) {
            Ok((row, barcode_problem)) => {
                rows.push(row);
                problems.extend(barcode_problem.map(problem));
            }
            Err(kind) => problems.push(problem(kind)),
        }
    }
    if product.variants_truncated() {
        problems.push(VariantProblem {
            product_id: product.id.clone(),
            variant_id: None,
            kind: ProblemKind::VariantsTruncated,
        });
    }
    MappedProduct { rows, problems }
}

/// One variant's row, and a barcode problem that does not cost the row.
fn variant_row(
    product: &ShopifyProduct,
    variant: &ShopifyVariant,
    currency: Currency,
    has_options: bool,
) -> Result<(ProductContent, Option<ProblemKind>), ProblemKind> {
    let sku = match variant.sku.as_deref().map(str::trim) {
        None | Some("") => return Err(ProblemKind::MissingSku),
        Some(sku) => Sku::parse(sku).map_err(ProblemKind::BadSku)?,
    };
    let price = Money::parse(variant.price.trim(), currency).map_err(ProblemKind::BadPrice)?;
    let mut attributes = BTreeMap::new();
    let mut barcode_problem = None;
    let gtin = match variant.barcode.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => match Gtin::parse(code) {
            Ok(gtin) => Some(gtin),
            Err(e) => {
                // ISBNs with an X, internal codes …: keep them, they are the merchant's data.
                attributes.insert("barcode".into(), code.to_owned());
                barcode_problem = Some(ProblemKind::BadBarcode(e));
                None
            }
        },
    };
    attributes.insert("shopify_product_id".into(), product.id.clone());
    attributes.insert("shopify_variant_id".into(), variant.id.clone());
    attributes.insert("status".into(), product.status.to_ascii_lowercase());
    if !product.tags.is_empty() {
        attributes.insert("tags".into(), product.tags.join(", "));
    }
    if let Some(title) = non_empty(product.seo.title.as_deref()) {
        attributes.insert("seo_title".into(), title);
    }
    if let Some(description) = non_empty(product.seo.description.as_deref()) {
        attributes.insert("seo_description".into(), description);
    }
    let category = product.category.as_ref().map(|c| c.full_name.clone());
    if let (Some(_), Some(kind)) = (&category, non_empty(product.product_type.as_deref())) {
        attributes.insert("product_type".into(), kind);
    }
    let row = ProductContent {
        sku,
        title: product.title.trim().to_owned(),
        description: non_empty(Some(&product.description_html))
            .map(|d| d.replace("\r\n", "\n").replace('\r', "\n")),
        price: Some(price),
        quantity: variant.inventory_quantity,
        brand: non_empty(product.vendor.as_deref()),
        category: category.or_else(|| non_empty(product.product_type.as_deref())),
        gtin,
        image_url: product.image_url().map(str::to_owned),
        parent: has_options.then(|| product.handle.clone()),
        options: real_options(variant)
            .take(MAX_OPTIONS)
            .map(|o| ProductOption {
                name: o.name.clone(),
                value: o.value.clone(),
            })
            .collect(),
        attributes,
    };
    Ok((row, barcode_problem))
}

/// The variant's options without Shopify's `Title` = `Default Title` placeholder.
fn real_options(variant: &ShopifyVariant) -> impl Iterator<Item = &super::queries::SelectedOption> {
    variant
        .selected_options
        .iter()
        .filter(|o| (o.name.as_str(), o.value.as_str()) != DEFAULT_OPTION)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A products-query node as the GraphQL Admin API documents it, with a shop-offset time.
    fn tea_set() -> ShopifyProduct {
        serde_json::from_value(serde_json::json!({
            "id": "gid://shopify/Product/7001",
            "title": " Tea set ",
            "handle": "tea-set",
            "descriptionHtml": "<p>Four cups.</p>\r\n<p>One pot.</p>",
            "vendor": "Kettle & Oak",
            "productType": "Tableware",
            "category": {"fullName": "Home & Garden > Kitchen & Dining > Tableware"},
            "status": "ACTIVE",
            "tags": ["tea", "gift"],
            "updatedAt": "2026-03-08T01:30:00-05:00",
            "seo": {"title": "Tea set for four", "description": null},
            "featuredMedia": {"preview": {"image": {"url": "https://cdn.shopify.com/tea.jpg"}}},
            "variants": {
                "nodes": [
                    {"id": "gid://shopify/ProductVariant/1", "sku": "TEA-1", "barcode": "4006381333931",
                     "price": "49.90", "inventoryQuantity": -2,
                     "selectedOptions": [{"name": "Title", "value": "Default Title"}]},
                    {"id": "gid://shopify/ProductVariant/2", "sku": "TEA-2", "barcode": "12345",
                     "price": "49.905", "inventoryQuantity": 1, "selectedOptions": []}
                ],
                "pageInfo": {"hasNextPage": true}
            }
        }))
        .unwrap()
    }

    #[test]
    fn a_single_variant_product_maps_to_one_row_with_category_brand_gtin_and_image() {
        let mut product = tea_set();
        product.variants.nodes.truncate(1);
        product.variants.truncated = false;
        let mapped = product_rows(&product, Currency::parse("EUR").unwrap());
        assert_eq!(mapped.problems, vec![]);
        let row = &mapped.rows[0];
        assert_eq!(row.title, "Tea set");
        assert_eq!(
            row.description.as_deref(),
            Some("<p>Four cups.</p>\n<p>One pot.</p>")
        );
        assert_eq!(row.price.unwrap().amount_string(), "49.90");
        assert_eq!(row.quantity, Some(-2));
        assert_eq!(row.brand.as_deref(), Some("Kettle & Oak"));
        assert_eq!(
            row.category.as_deref(),
            Some("Home & Garden > Kitchen & Dining > Tableware")
        );
        assert_eq!(row.attributes["product_type"], "Tableware");
        assert_eq!(row.attributes["seo_title"], "Tea set for four");
        assert_eq!(row.gtin.as_ref().map(Gtin::as_str), Some("4006381333931"));
        assert_eq!(
            row.image_url.as_deref(),
            Some("https://cdn.shopify.com/tea.jpg")
        );
        // "Default Title" is Shopify's placeholder, not a variant axis.
        assert_eq!((row.parent.as_deref(), row.options.len()), (None, 0));
        assert_eq!(
            product.updated_at.to_rfc3339(),
            "2026-03-08T06:30:00+00:00",
            "shop offset read as UTC"
        );
    }

    #[test]
    fn bad_prices_drop_the_row_bad_barcodes_do_not_and_truncated_variants_are_reported() {
        let mut product = tea_set();
        product.variants.nodes[1].price = "49.90".into();
        let mapped = product_rows(&product, Currency::parse("EUR").unwrap());
        assert_eq!(mapped.rows.len(), 2);
        assert_eq!(mapped.rows[1].attributes["barcode"], "12345");
        assert_eq!(mapped.rows[1].parent.as_deref(), Some("tea-set"));
        let kinds: Vec<_> = mapped.problems.iter().map(|p| &p.kind).collect();
        assert!(matches!(kinds[0], ProblemKind::BadBarcode(_)));
        assert_eq!(kinds[1], &ProblemKind::VariantsTruncated);

        let mapped = product_rows(&tea_set(), Currency::parse("EUR").unwrap());
        assert_eq!(mapped.rows.len(), 1);
        assert!(matches!(mapped.problems[0].kind, ProblemKind::BadPrice(_)));
    }
}
