//! Which kind of feed a file holds: named by its folder (`ingest/{tenant}/{kind}/…`), or else
//! told from its header.
//!
//! From the header, a kind is *plausible* when the columns it cannot do without are there
//! (products: sku and title; inventory: sku and quantity, or Shopify's wide export; orders:
//! order id, sku and quantity, or a `lines` column). Many product feeds also carry a quantity,
//! so a header plausible for several kinds goes to the one that recognises strictly more of its
//! columns; a tie, or no plausible kind, is refused with a sentence telling the partner which
//! folder to use, since guessing wrong would load stock levels as products or the reverse.

use super::cells::{self, FieldSpec};
use super::inventory::InventoryMapper;
use super::orders::OrderMapper;
use super::record::FeedKind;

/// Product header names: sku, title, and every other product column. Stands in for the product
/// mapper's own recognition until that is rewritten. Shopify's `Handle` and option columns are
/// left out on purpose: its inventory export has them too, and they would tie a wide inventory
/// file with products.
const PRODUCT_FIELDS: [FieldSpec; 3] = [
    FieldSpec {
        name: "sku",
        aliases: &[
            "id",
            "product id",
            "item sku",
            "variant sku",
            "product sku",
            "seller sku",
            "article number",
            "article no",
            "item number",
            "product code",
            "offer id",
        ],
    },
    FieldSpec {
        name: "title",
        aliases: &[
            "name",
            "product name",
            "product title",
            "item name",
            "item title",
        ],
    },
    FieldSpec {
        name: "other",
        aliases: &[
            "description",
            "body",
            "body html",
            "body (html)",
            "long description",
            "product description",
            "price",
            "variant price",
            "regular price",
            "sale price",
            "compare at price",
            "variant compare at price",
            "currency",
            "currency code",
            "quantity",
            "qty",
            "stock",
            "stock quantity",
            "inventory",
            "variant inventory qty",
            "brand",
            "vendor",
            "manufacturer",
            "category",
            "product type",
            "type",
            "product category",
            "google product category",
            "gtin",
            "ean",
            "upc",
            "barcode",
            "variant barcode",
            "image",
            "image src",
            "image url",
            "image link",
            "updated at",
            "last modified",
            "tags",
            "published",
            "status",
            "variant grams",
            "variant weight unit",
            "weight",
        ],
    },
];

/// The feed kind of a file: the path's `{kind}` segment when it names one, else the header's
/// best fit. `Err` holds a sentence for the partner.
pub fn detect_kind(path_segment: Option<&str>, header: &[String]) -> Result<FeedKind, String> {
    if let Some(kind) = path_segment.and_then(FeedKind::from_path_segment) {
        return Ok(kind);
    }
    let (product_columns, has_sku_and_title) = product_score(header);
    let mut candidates: Vec<(FeedKind, usize)> = [
        (FeedKind::Products, has_sku_and_title, product_columns),
        (
            FeedKind::Inventory,
            InventoryMapper::plausible(header),
            InventoryMapper::recognised(header),
        ),
        (
            FeedKind::Orders,
            OrderMapper::plausible(header),
            OrderMapper::recognised(header),
        ),
    ]
    .into_iter()
    .filter(|(_, plausible, _)| *plausible)
    .map(|(kind, _, score)| (kind, score))
    .collect();
    candidates.sort_by_key(|(_, score)| std::cmp::Reverse(*score));
    match candidates.as_slice() {
        [] => Err(unknown_message()),
        [(kind, _)] => Ok(*kind),
        [(kind, best), (_, second), ..] if best > second => Ok(*kind),
        [(_, best), ..] => {
            let tied: Vec<FeedKind> = candidates
                .iter()
                .filter(|(_, score)| score == best)
                .map(|(kind, _)| *kind)
                .collect();
            Err(ambiguous_message(&tied))
        }
    }
}

/// How many of `header`'s columns are product columns, and whether it has both a sku and a
/// title column.
fn product_score(header: &[String]) -> (usize, bool) {
    let has = |field: &FieldSpec| cells::recognised(header, std::slice::from_ref(field)) > 0;
    (
        cells::recognised(header, &PRODUCT_FIELDS),
        has(&PRODUCT_FIELDS[0]) && has(&PRODUCT_FIELDS[1]),
    )
}

fn unknown_message() -> String {
    "the header does not look like a products, inventory or orders feed (products need sku and \
     title columns, inventory sku and quantity, orders an order id, sku and quantity): rename \
     the columns, or put the file under ingest/{tenant}/products/, ingest/{tenant}/inventory/ \
     or ingest/{tenant}/orders/ and set up a mapping profile for its columns"
        .to_owned()
}

fn ambiguous_message(kinds: &[FeedKind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let fits = match names.as_slice() {
        [first, second] => format!("both {first} and {second}"),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    };
    let folders: Vec<String> = names
        .iter()
        .map(|name| format!("ingest/{{tenant}}/{name}/"))
        .collect();
    format!(
        "the header fits {fits}: put the file under {} so it is clear which it is",
        folders.join(" or ")
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn header(names: &str) -> Vec<String> {
        names.split(',').map(str::to_owned).collect()
    }

    fn detect(names: &str) -> Result<FeedKind, String> {
        detect_kind(None, &header(names))
    }

    #[test]
    fn the_path_segment_wins_over_the_header() {
        let orders = "Name,Created at,Currency,Lineitem sku,Lineitem quantity";
        assert_eq!(
            detect_kind(Some("Inventory"), &header(orders)),
            Ok(FeedKind::Inventory)
        );
        assert_eq!(
            detect_kind(Some("stock"), &header("x")),
            Ok(FeedKind::Inventory)
        );
        assert_eq!(
            detect_kind(Some("my-profile"), &header(orders)),
            Ok(FeedKind::Orders)
        );
    }

    #[test]
    fn the_auto_folder_names_no_kind_so_the_header_decides() {
        assert_eq!(FeedKind::from_path_segment(FeedKind::AUTO_SEGMENT), None);
        assert_eq!(
            detect_kind(
                Some(FeedKind::AUTO_SEGMENT),
                &header("sku,location,quantity")
            ),
            Ok(FeedKind::Inventory)
        );
        assert_eq!(
            detect_kind(Some(FeedKind::AUTO_SEGMENT), &header("sku,title,price")),
            Ok(FeedKind::Products)
        );
    }

    #[test]
    fn common_exports_are_told_apart_by_their_header() {
        let cases = [
            (
                "sku,title,description,price,currency,quantity",
                FeedKind::Products,
            ),
            (
                "Handle,Title,Body (HTML),Vendor,Type,Tags,Published,Option1 Name,Option1 Value,\
                 Variant SKU,Variant Grams,Variant Inventory Qty,Variant Price,Variant Barcode,\
                 Image Src",
                FeedKind::Products,
            ),
            ("sku,quantity", FeedKind::Inventory),
            ("SKU,Warehouse,Available,Updated At", FeedKind::Inventory),
            (
                "Handle,Title,Option1 Name,Option1 Value,SKU,Berlin Shop,Hamburg Warehouse",
                FeedKind::Inventory,
            ),
            (
                "Handle,Title,Option1 Name,Option1 Value,SKU,HS Code,COO,Location,Incoming,\
                 Unavailable,Committed,Available,On hand",
                FeedKind::Inventory,
            ),
            (
                "Name,Email,Financial Status,Paid at,Currency,Subtotal,Shipping,Taxes,Total,\
                 Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem sku,Vendor,Id",
                FeedKind::Orders,
            ),
            (
                "Order ID,Order Number,Order Date,Order Currency,Order Total,Order Tax,Shipping,\
                 Customer ID,Billing Email,SKU,Quantity,Item Cost",
                FeedKind::Orders,
            ),
            ("order_id,placed_at,currency,lines", FeedKind::Orders),
        ];
        for (names, kind) in cases {
            assert_eq!(detect(names), Ok(kind), "{names}");
        }
    }

    #[test]
    fn a_header_that_fits_two_kinds_equally_is_refused_with_both_folders() {
        let err = detect("sku,product name,stock,warehouse").unwrap_err();
        assert_eq!(
            err,
            "the header fits both products and inventory: put the file under \
             ingest/{tenant}/products/ or ingest/{tenant}/inventory/ so it is clear which it is"
        );
    }

    #[test]
    fn a_header_that_fits_no_kind_is_refused_naming_the_required_columns() {
        for names in ["colour,size", "sku,colour", "title,price", ""] {
            let err = detect(names).unwrap_err();
            assert!(
                err.starts_with("the header does not look like"),
                "{names}: {err}"
            );
            assert!(err.contains("ingest/{tenant}/orders/"), "{err}");
        }
    }

    #[test]
    fn product_score_counts_product_columns_and_checks_sku_and_title() {
        assert_eq!(
            product_score(&header("Variant SKU,Name,Price,Colour")),
            (3, true)
        );
        assert_eq!(product_score(&header("sku,price")), (2, false));
    }
}
