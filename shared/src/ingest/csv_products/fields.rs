//! The canonical product fields and the header names accepted for each.
//!
//! Partners export from Shopify, WooCommerce, Google Merchant Center, Amazon flat files, ERPs
//! and hand-made spreadsheets, so the same field arrives under many names. Names are compared
//! after lower-casing and dropping spaces, `_`, `-` and `.`, so "Variant SKU", "variant_sku" and
//! "VARIANT-SKU" are one name. Aliases are deliberately limited to names that mean the same
//! thing: an MPN is not a SKU, a sale price is not the price, an ISBN is not always a GTIN.

use std::fmt;

/// A canonical product field, in the order of the sample feed's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `sku`: the partner's item id, required.
    Sku,
    /// `title`: the product name, required.
    Title,
    /// `description`: long text, may hold simple HTML.
    Description,
    /// `price`: a plain decimal in `currency`.
    Price,
    /// `currency`: ISO 4217 code of `price`.
    Currency,
    /// `quantity`: units in stock.
    Quantity,
    /// `brand`: brand or vendor name.
    Brand,
    /// `category`: category name or path.
    Category,
    /// `gtin`: GTIN-8/12/13/14 barcode.
    Gtin,
    /// `image_url`: absolute http(s) URL of the main image.
    ImageUrl,
    /// `updated_at`: when the partner last changed the product.
    UpdatedAt,
}

impl Field {
    /// Every field, in canonical order.
    pub const ALL: [Field; 11] = [
        Field::Sku,
        Field::Title,
        Field::Description,
        Field::Price,
        Field::Currency,
        Field::Quantity,
        Field::Brand,
        Field::Category,
        Field::Gtin,
        Field::ImageUrl,
        Field::UpdatedAt,
    ];

    /// The canonical column name, as used in reports (`image_url`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Sku => "sku",
            Field::Title => "title",
            Field::Description => "description",
            Field::Price => "price",
            Field::Currency => "currency",
            Field::Quantity => "quantity",
            Field::Brand => "brand",
            Field::Category => "category",
            Field::Gtin => "gtin",
            Field::ImageUrl => "image_url",
            Field::UpdatedAt => "updated_at",
        }
    }

    /// Other header names accepted for this field, besides [`Field::name`].
    pub fn aliases(self) -> impl Iterator<Item = &'static str> {
        self.alias_list().split(", ")
    }

    /// The aliases as one ", "-separated literal, which keeps the table readable and stable
    /// under rustfmt.
    fn alias_list(self) -> &'static str {
        match self {
            Field::Sku => {
                "id, product_id, item_sku, variant_sku, product_sku, seller_sku, article_number, \
                 article_no, item_number, product_code, offer_id"
            }
            Field::Title => "name, product_name, product_title, item_name, item_title",
            Field::Description => {
                "body, body_html, body (html), long_description, product_description, \
                 item_description, full_description, description_html"
            }
            Field::Price => {
                "variant price, regular_price, unit_price, price_amount, standard_price"
            }
            Field::Currency => "currency_code, price_currency, currency_iso, iso_currency",
            Field::Quantity => {
                "qty, stock, stock_quantity, stock_qty, stock_level, inventory, \
                 inventory_quantity, variant inventory qty, on_hand, quantity_on_hand, \
                 available_quantity"
            }
            Field::Brand => "vendor, manufacturer, brand_name",
            Field::Category => {
                "product_type, product category, category_path, google_product_category, \
                 categories, category_name"
            }
            Field::Gtin => {
                "ean, upc, barcode, variant barcode, gtin8, gtin12, gtin13, gtin14, ean8, ean13, \
                 ean_code, upc_code"
            }
            Field::ImageUrl => {
                "image, image_link, image src, main_image, main_image_url, picture_url, \
                 primary_image, primary_image_url, featured_image, img_url"
            }
            Field::UpdatedAt => {
                "last_modified, last_modified_at, last_modified_date, modified, modified_at, \
                 modified_date, date_modified, updated, updated_on, last_updated, last_update"
            }
        }
    }

    /// The field a header names, if any.
    pub fn from_header(header: &str) -> Option<Field> {
        let key = normalize(header);
        Field::ALL.into_iter().find(|field| {
            normalize(field.name()) == key || field.aliases().any(|a| normalize(a) == key)
        })
    }

    /// Index into per-field arrays.
    pub(super) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The comparison key of a header name: lower-case, without whitespace, `_`, `-` or `.`.
fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '_' | '-' | '.')))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_canonical_name_maps_to_its_own_field() {
        for field in Field::ALL {
            assert_eq!(Field::from_header(field.name()), Some(field));
        }
    }

    #[test]
    fn matching_ignores_case_spaces_underscores_hyphens_and_dots() {
        for header in [
            "Variant SKU",
            "VARIANT-SKU",
            "variant.sku",
            "variant_sku",
            " VariantSku ",
        ] {
            assert_eq!(Field::from_header(header), Some(Field::Sku), "{header:?}");
        }
        assert_eq!(Field::from_header("Image URL"), Some(Field::ImageUrl));
        assert_eq!(Field::from_header("UPDATED-AT"), Some(Field::UpdatedAt));
    }

    #[test]
    fn real_world_headers_of_every_alias_family_are_recognised() {
        let cases = [
            (
                Field::Sku,
                "ID|Product ID|item_sku|Variant SKU|Article Number|offer_id",
            ),
            (Field::Title, "Name|Product Name|product_title|item_name"),
            (
                Field::Description,
                "Body (HTML)|body_html|Long Description|Body",
            ),
            (
                Field::Price,
                "Variant Price|Regular price|unit_price|standard_price",
            ),
            (Field::Currency, "Currency Code|price_currency|CURRENCY"),
            (
                Field::Quantity,
                "Qty|Stock|Variant Inventory Qty|on_hand|Inventory",
            ),
            (Field::Brand, "Vendor|Manufacturer|Brand Name"),
            (
                Field::Category,
                "Product Type|Product Category|google_product_category",
            ),
            (
                Field::Gtin,
                "EAN|UPC|Barcode|Variant Barcode|GTIN13|ean13|gtin14",
            ),
            (
                Field::ImageUrl,
                "Image Src|image_link|Main Image|picture_url|Image",
            ),
            (
                Field::UpdatedAt,
                "Last Modified|date_modified|Updated|modified_at",
            ),
        ];
        for (field, headers) in cases {
            for header in headers.split('|') {
                assert_eq!(Field::from_header(header), Some(field), "{header:?}");
            }
        }
    }

    #[test]
    fn names_for_different_things_are_not_aliased() {
        for header in [
            "mpn",
            "Handle",
            "sale_price",
            "ISBN",
            "short_description",
            "Type",
            "",
        ] {
            assert_eq!(Field::from_header(header), None, "{header:?}");
        }
    }

    #[test]
    fn no_header_name_is_claimed_by_two_fields() {
        let mut seen = std::collections::HashMap::new();
        for field in Field::ALL {
            for name in std::iter::once(field.name()).chain(field.aliases()) {
                let previous = seen.insert(normalize(name), field);
                assert!(previous.is_none(), "{name:?} is claimed twice");
            }
        }
    }
}
