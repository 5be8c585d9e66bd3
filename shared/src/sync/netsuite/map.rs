//! NetSuite inventory items to our [`ProductContent`] rows, and their stock to
//! [`InventoryUpsert`]s.
//!
//! The problem types are Shopify's ([`crate::sync::shopify::map`]); ids are NetSuite internal
//! ids as text. Nothing is invented: an item without a usable SKU or with an unreadable
//! price gives no row, an unreadable or fractional quantity no level, each reported.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::NetSuiteItem;
use crate::domain::{Currency, DomainError, Gtin, Money, ProductContent, Sku};
use crate::store::InventoryUpsert;
use crate::sync::shopify::map::{MappedProduct, ProblemKind, VariantProblem};

/// The location of NetSuite stock levels: the sum over all the account's locations.
pub const STOCK_LOCATION: &str = "netsuite";

/// The row of `item`, priced in `currency` (the account's base currency: `baseprice` is
/// the base price level in it).
pub fn item_rows(item: &NetSuiteItem, currency: Currency) -> MappedProduct {
    let problem = |kind| VariantProblem {
        product_id: item.id.to_string(),
        variant_id: None,
        kind,
    };
    match item_row(item, currency) {
        Ok((row, barcode)) => MappedProduct {
            rows: vec![row],
            problems: barcode.map(problem).into_iter().collect(),
        },
        Err(kind) => MappedProduct {
            rows: Vec::new(),
            problems: vec![problem(kind)],
        },
    }
}

fn item_row(
    item: &NetSuiteItem,
    currency: Currency,
) -> Result<(ProductContent, Option<ProblemKind>), ProblemKind> {
    let sku = match item.sku.as_deref() {
        None => return Err(ProblemKind::MissingSku),
        Some(sku) => Sku::parse(sku).map_err(ProblemKind::BadSku)?,
    };
    let price = item
        .base_price
        .as_deref()
        .map(|p| Money::parse(p.trim(), currency))
        .transpose()
        .map_err(ProblemKind::BadPrice)?;
    let mut attributes = BTreeMap::new();
    attributes.insert("netsuite_item_id".into(), item.id.to_string());
    attributes.insert(
        "status".into(),
        if item.inactive { "inactive" } else { "active" }.into(),
    );
    let mut barcode = None;
    let gtin = match item.upc.as_deref() {
        None => None,
        Some(code) => match Gtin::parse(code) {
            Ok(gtin) => Some(gtin),
            Err(e) => {
                attributes.insert("barcode".into(), code.to_owned());
                barcode = Some(ProblemKind::BadBarcode(e));
                None
            }
        },
    };
    let row = ProductContent {
        title: item
            .display_name
            .clone()
            .unwrap_or_else(|| sku.as_str().to_owned()),
        sku,
        description: item
            .description
            .as_deref()
            .map(|d| d.replace("\r\n", "\n").replace('\r', "\n")),
        price,
        quantity: None,
        brand: None,
        category: None,
        gtin,
        image_url: None,
        parent: None,
        options: Vec::new(),
        attributes,
    };
    Ok((row, barcode))
}

/// Why an item's stock level is not stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StockProblem {
    /// The item (internal id) has no SKU to key the level by.
    #[error("item {0} has no SKU")]
    MissingSku(u64),
    /// The item's SKU does not parse.
    #[error("item {0}: {1}")]
    BadSku(u64, DomainError),
    /// The quantity available is not a whole number of units.
    #[error("item {0}: quantity available {1} is not a whole number of units")]
    NotWholeUnits(u64, String),
}

/// The stock level of each item that has a SKU and a level in `stock` (internal id →
/// quantity available, as [`super::NetSuiteClient::stock`] reads it), as of `as_of`.
/// A quantity that is not a whole number (an item sold by weight or length) is reported,
/// not rounded.
pub fn stock_levels(
    items: &[NetSuiteItem],
    stock: &HashMap<u64, String>,
    as_of: DateTime<Utc>,
) -> (Vec<InventoryUpsert>, Vec<StockProblem>) {
    let mut levels = Vec::new();
    let mut problems = Vec::new();
    for item in items {
        let Some(quantity) = stock.get(&item.id) else {
            continue;
        };
        let sku = match item.sku.as_deref().map(Sku::parse) {
            None => {
                problems.push(StockProblem::MissingSku(item.id));
                continue;
            }
            Some(Err(e)) => {
                problems.push(StockProblem::BadSku(item.id, e));
                continue;
            }
            Some(Ok(sku)) => sku,
        };
        match whole_units(quantity) {
            Some(quantity) => levels.push(InventoryUpsert {
                sku,
                location: STOCK_LOCATION.to_owned(),
                quantity,
                as_of: Some(as_of),
            }),
            None => problems.push(StockProblem::NotWholeUnits(item.id, quantity.clone())),
        }
    }
    (levels, problems)
}

/// `"12"`, `"12.0"`, `"-3.00"` as whole units; `None` for fractions and nonsense.
fn whole_units(text: &str) -> Option<i64> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if !fraction.chars().all(|c| c == '0') {
        return None;
    }
    let digits = whole.strip_prefix('-').unwrap_or(whole);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    whole.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn item(sku: Option<&str>, price: Option<&str>) -> NetSuiteItem {
        let local = NaiveDate::from_ymd_opt(2026, 3, 8)
            .unwrap()
            .and_hms_opt(6, 0, 0)
            .unwrap();
        NetSuiteItem {
            id: 1842,
            sku: sku.map(str::to_owned),
            display_name: Some("Merino Crew Sweater Grey S".into()),
            description: Some("Soft merino.\r\nMachine washable.".into()),
            base_price: price.map(str::to_owned),
            upc: Some("not-a-gtin".into()),
            inactive: false,
            modified: local.and_utc(),
            modified_local: local,
        }
    }

    #[test]
    fn an_item_maps_to_one_row_and_bad_data_is_reported_not_invented() {
        let usd = Currency::parse("USD").unwrap();
        let mapped = item_rows(&item(Some("MCS-GRY-S"), Some("89.00")), usd);
        let row = &mapped.rows[0];
        assert_eq!(row.sku.as_str(), "MCS-GRY-S");
        assert_eq!(row.price.unwrap().amount_string(), "89.00");
        assert_eq!(row.title, "Merino Crew Sweater Grey S");
        assert_eq!(
            row.description.as_deref(),
            Some("Soft merino.\nMachine washable.")
        );
        assert_eq!(row.attributes["netsuite_item_id"], "1842");
        assert_eq!(row.attributes["barcode"], "not-a-gtin");
        assert!(matches!(
            mapped.problems[..],
            [VariantProblem {
                kind: ProblemKind::BadBarcode(_),
                ..
            }]
        ));

        let no_sku = item_rows(&item(None, Some("1")), usd);
        assert!(no_sku.rows.is_empty());
        assert_eq!(no_sku.problems[0].kind, ProblemKind::MissingSku);
        let bad_price = item_rows(&item(Some("X"), Some("12,5")), usd);
        assert!(bad_price.rows.is_empty());
        assert!(matches!(
            bad_price.problems[0].kind,
            ProblemKind::BadPrice(_)
        ));
        let unpriced = item_rows(&item(Some("X"), None), usd);
        assert_eq!(unpriced.rows[0].price, None);
    }

    #[test]
    fn stock_takes_whole_units_and_reports_fractions() {
        let a = item(Some("A"), None);
        let mut b = item(Some("B"), None);
        b.id = 7;
        let mut c = item(Some("C"), None);
        c.id = 8;
        let stock = HashMap::from([(1842, "12.0".to_owned()), (7, "2.5".to_owned())]);
        let now = Utc::now();
        let (levels, problems) = stock_levels(&[a, b, c], &stock, now);
        assert_eq!(levels.len(), 1);
        assert_eq!(
            (
                levels[0].sku.as_str(),
                levels[0].quantity,
                levels[0].location.as_str()
            ),
            ("A", 12, STOCK_LOCATION)
        );
        assert_eq!(problems, vec![StockProblem::NotWholeUnits(7, "2.5".into())]);
        assert_eq!(whole_units("-3.00"), Some(-3));
        assert_eq!(whole_units("x"), None);
    }
}
