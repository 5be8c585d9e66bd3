//! The canonical product fields and the header names accepted for each.
//!
//! Partners export from Shopify, WooCommerce, NetSuite saved searches, Google Merchant Center
//! and hand-made spreadsheets, so the same field arrives under many names. Names are compared
//! after lower-casing and dropping spaces, `_`, `-` and `.`, so "Variant SKU", "variant_sku" and
//! "VARIANT-SKU" are one name. Aliases are deliberately limited to names that mean the same
//! thing: an MPN is not a SKU, a sale price is not the price.
//!
//! Each field's names are listed best first. When several columns of one header name the same
//! field (WooCommerce's `ID` and `SKU`, Merchant Center's `product_type` and
//! `google_product_category`), the best-ranked name wins and the others are kept as attributes;
//! see [`super::columns`].

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use crate::ingest::cells::{name_has_key, normalize_name};

/// A canonical product field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// `sku`: the partner's item id, required.
    Sku,
    /// `title`: the product name, required (a variant may take its parent's).
    Title,
    /// `description`: long text, may hold simple HTML.
    Description,
    /// `price`: a decimal in `currency`, or with the currency inside (`19.99 EUR`).
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
    /// `parent`: the SKU (or WooCommerce `id:N`) of the product this row is a variant of.
    Parent,
    /// `group_id`: shared by every row of one product (Shopify `Handle`, Merchant Center
    /// `item_group_id`).
    GroupId,
    /// `option1_name`.
    Option1Name,
    /// `option1_value`.
    Option1Value,
    /// `option2_name`.
    Option2Name,
    /// `option2_value`.
    Option2Value,
    /// `option3_name`.
    Option3Name,
    /// `option3_value`.
    Option3Value,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 19] = [
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
        Field::Parent,
        Field::GroupId,
        Field::Option1Name,
        Field::Option1Value,
        Field::Option2Name,
        Field::Option2Value,
        Field::Option3Name,
        Field::Option3Value,
    ];

    /// The option name and value fields, in order.
    pub const OPTIONS: [(Field, Field); 3] = [
        (Field::Option1Name, Field::Option1Value),
        (Field::Option2Name, Field::Option2Value),
        (Field::Option3Name, Field::Option3Value),
    ];

    /// The canonical column name, as used in reports and profiles (`image_url`).
    pub fn name(self) -> &'static str {
        self.names().split('|').next().unwrap_or_default()
    }

    /// Other header names accepted for this field, best first.
    pub fn aliases(self) -> impl Iterator<Item = &'static str> {
        self.names().split('|').skip(1)
    }

    /// The field whose canonical name is `name` (as in a mapping profile), compared loosely.
    pub fn from_name(name: &str) -> Option<Field> {
        let key = normalize_name(name);
        Field::ALL
            .into_iter()
            .find(|field| name_has_key(field.name(), &key))
    }

    /// The canonical name then the aliases as one `|`-separated literal (some real headers hold
    /// commas), which keeps the table readable and stable under rustfmt.
    fn names(self) -> &'static str {
        match self {
            Field::Sku => {
                "sku|variant sku|item_sku|product_sku|seller_sku|article_number|article_no|\
                 item_number|product_code|offer_id|product_id|id|name"
            }
            Field::Title => {
                "title|display name|name|product_name|product_title|item_name|item_title"
            }
            Field::Description => {
                "description|body (html)|body_html|body|long_description|product_description|\
                 item_description|full_description|description_html"
            }
            Field::Price => {
                "price|variant price|regular price|base price|unit_price|price_amount|standard_price"
            }
            Field::Currency => "currency|currency_code|price_currency|currency_iso|iso_currency",
            Field::Quantity => {
                "quantity|variant inventory qty|stock|quantity available|qty|stock_quantity|\
                 stock_qty|stock_level|inventory|inventory_quantity|on_hand|quantity_on_hand|\
                 available_quantity"
            }
            Field::Brand => "brand|vendor|brands|manufacturer|brand_name",
            Field::Category => {
                "category|product_type|product category|categories|category_path|category_name|\
                 google_product_category"
            }
            Field::Gtin => {
                "gtin|variant barcode|barcode|gtin, upc, ean, or isbn|ean|upc|upc code|gtin8|\
                 gtin12|gtin13|gtin14|ean8|ean13|ean_code"
            }
            Field::ImageUrl => {
                "image_url|image src|image_link|images|image|main_image|main_image_url|\
                 picture_url|primary_image|primary_image_url|featured_image|img_url"
            }
            Field::UpdatedAt => {
                "updated_at|last_modified|last_modified_at|last_modified_date|modified|\
                 modified_at|modified_date|date_modified|updated|updated_on|last_updated|\
                 last_update"
            }
            Field::Parent => "parent|parent_sku|parent_id|parent_item",
            Field::GroupId => "group_id|handle|item_group_id|product_group_id",
            Field::Option1Name => "option1_name|attribute 1 name",
            Field::Option1Value => "option1_value|attribute 1 value(s)|attribute 1 value",
            Field::Option2Name => "option2_name|attribute 2 name",
            Field::Option2Value => "option2_value|attribute 2 value(s)|attribute 2 value",
            Field::Option3Name => "option3_name|attribute 3 name",
            Field::Option3Value => "option3_value|attribute 3 value(s)|attribute 3 value",
        }
    }

    /// Every field a header names, with the rank of the name (0 = canonical), best first.
    pub(super) fn claims(header: &str) -> &'static [(Field, usize)] {
        CLAIMS
            .get(&normalize_name(header))
            .map_or(&[], Vec::as_slice)
    }

    /// The field a header names on its own, if any (the best claim).
    pub fn from_header(header: &str) -> Option<Field> {
        Field::claims(header).first().map(|(field, _)| *field)
    }

    /// Index into per-field arrays.
    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// [`Field::claims`] for every accepted name, by comparison key: made once, so a header column
/// costs one lookup rather than a comparison with every name (a file's first record may hold a
/// million columns).
static CLAIMS: LazyLock<HashMap<String, Vec<(Field, usize)>>> = LazyLock::new(|| {
    let mut claims: HashMap<String, Vec<(Field, usize)>> = HashMap::new();
    for field in Field::ALL {
        for (rank, name) in field.names().split('|').enumerate() {
            let named = claims.entry(normalize_name(name)).or_default();
            if !named.iter().any(|(f, _)| *f == field) {
                named.push((field, rank));
            }
        }
    }
    for named in claims.values_mut() {
        named.sort_by_key(|(_, rank)| *rank);
    }
    claims
});

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_canonical_name_maps_to_its_own_field() {
        for field in Field::ALL {
            assert_eq!(Field::from_header(field.name()), Some(field));
            assert_eq!(Field::from_name(field.name()), Some(field));
            assert_eq!(Field::ALL[field.index()], field);
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
        assert_eq!(Field::from_header("Option1 Name"), Some(Field::Option1Name));
    }

    #[test]
    fn names_for_different_things_are_not_aliased() {
        for header in [
            "mpn",
            "sale_price",
            "Sale price",
            "Variant Compare At Price",
            "ISBN",
            "Short description",
            "Type",
            "Internal ID",
            "Class",
            "link",
            "",
        ] {
            assert_eq!(Field::from_header(header), None, "{header:?}");
        }
    }

    #[test]
    fn name_is_a_title_first_and_a_sku_only_as_a_last_resort() {
        let claims = Field::claims("Name");
        assert_eq!(claims.first().map(|c| c.0), Some(Field::Title));
        assert!(claims.iter().any(|c| c.0 == Field::Sku));
    }

    #[test]
    fn no_field_lists_one_name_twice() {
        for field in Field::ALL {
            let names: Vec<String> = field.names().split('|').map(normalize_name).collect();
            let mut unique = names.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), names.len(), "{field}");
        }
    }
}
