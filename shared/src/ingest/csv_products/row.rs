//! One data row to a [`ProductRecord`], or to every [`RowError`] it has.
//!
//! All cells are looked at even after a first problem, so a partner fixes a row in one pass.
//! Each cell goes through the same steps: valid UTF-8, no NUL, trimmed, empty means absent,
//! then the field's own rule. Rules live in [`super::values`].

use csv::ByteRecord;

use super::columns::Layout;
use super::fields::Field;
use super::values;
use super::{ProductRecord, RowError};
use crate::domain::{Currency, Gtin, Money, ProductContent, Sku, money};

/// A cell's text: `raw` as in the file (for the report), `value` trimmed (for parsing).
#[derive(Clone, Copy)]
struct Cell<'a> {
    raw: &'a str,
    value: &'a str,
}

/// The cell could not be read at all; its error is already recorded.
struct Unreadable;

/// What the currency cell of a row held.
enum RowCurrency {
    Valid(Currency),
    Missing,
    /// Unknown code or unreadable cell; its error is already recorded.
    Invalid,
}

/// Checks a price whose currency is missing or wrong, which can never become a [`Money`].
fn amount_only(value: &str) -> Result<(), String> {
    money::check_amount(value).map_err(|e| e.to_string())
}

/// A row being parsed, collecting errors as it goes.
struct Row<'a> {
    record: &'a ByteRecord,
    layout: &'a Layout,
    line: u64,
    errors: Vec<RowError>,
}

/// Parses the record at `line` against `layout`. The caller has already checked the row's
/// field count.
pub(super) fn parse_row(
    record: &ByteRecord,
    layout: &Layout,
    line: u64,
) -> Result<ProductRecord, Vec<RowError>> {
    let mut row = Row {
        record,
        layout,
        line,
        errors: Vec::new(),
    };
    let sku = row.required(Field::Sku, |v| Sku::parse(v).map_err(|e| e.to_string()));
    let title = row.required(Field::Title, values::title);
    let description = row.optional(Field::Description, values::description);
    let price = row.price();
    let quantity = row.optional(Field::Quantity, values::quantity);
    let brand = row.optional(Field::Brand, |v| values::single_line(Field::Brand, v));
    let category = row.optional(Field::Category, |v| values::single_line(Field::Category, v));
    let gtin = row.optional(Field::Gtin, |v| Gtin::parse(v).map_err(|e| e.to_string()));
    let image_url = row.optional(Field::ImageUrl, values::image_url);
    let updated_at = row.optional(Field::UpdatedAt, values::timestamp);
    let (Some(sku), Some(title), true) = (sku, title, row.errors.is_empty()) else {
        return Err(row.errors);
    };
    let content = ProductContent {
        sku,
        title,
        description,
        price,
        quantity,
        brand,
        category,
        gtin,
        image_url,
        parent: None,
        options: Vec::new(),
        attributes: Default::default(),
    };
    Ok(ProductRecord {
        line,
        content,
        updated_at,
    })
}

/// Whether every cell of the record is empty or whitespace: a spreadsheet's blank row, which
/// describes no product and is skipped rather than reported.
pub(super) fn is_blank(record: &ByteRecord) -> bool {
    record
        .iter()
        .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
}

impl<'a> Row<'a> {
    /// The trimmed cell for `field`; `None` when the file has no such column or the cell is
    /// empty. Encoding problems are recorded here, once, for every field alike.
    fn cell(&mut self, field: Field) -> Result<Option<Cell<'a>>, Unreadable> {
        let Some(bytes) = self.layout.position(field).and_then(|i| self.record.get(i)) else {
            return Ok(None);
        };
        let Ok(raw) = std::str::from_utf8(bytes) else {
            let lossy = String::from_utf8_lossy(bytes);
            self.reject(field, &lossy, values::not_utf8(field));
            return Err(Unreadable);
        };
        if raw.contains('\0') {
            self.reject(field, raw, values::nul(field));
            return Err(Unreadable);
        }
        let value = raw.trim();
        Ok((!value.is_empty()).then_some(Cell { raw, value }))
    }

    fn reject(&mut self, field: Field, raw: &str, reason: String) {
        self.errors
            .push(RowError::new(self.line, field.name(), raw, reason));
    }

    fn apply<T>(
        &mut self,
        field: Field,
        cell: Cell<'_>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        parse(cell.value)
            .map_err(|reason| self.reject(field, cell.raw, reason))
            .ok()
    }

    fn optional<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let cell = self.cell(field).ok()??;
        self.apply(field, cell, parse)
    }

    fn required<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        match self.cell(field) {
            Ok(Some(cell)) => self.apply(field, cell, parse),
            Ok(None) => {
                let raw = self.raw_text(field);
                self.reject(field, &raw, format!("{field} is required"));
                None
            }
            Err(Unreadable) => None,
        }
    }

    /// The price in its row's currency. A price without a usable currency is still checked on
    /// its own, so both problems show up in one report.
    fn price(&mut self) -> Option<Money> {
        let currency = self.currency();
        let cell = self.cell(Field::Price).ok()??;
        let currency = match currency {
            RowCurrency::Valid(currency) => currency,
            RowCurrency::Missing => {
                let raw = self.raw_text(Field::Currency);
                let reason = "currency is required when a price is given".to_owned();
                self.reject(Field::Currency, &raw, reason);
                self.apply(Field::Price, cell, amount_only);
                return None;
            }
            RowCurrency::Invalid => {
                self.apply(Field::Price, cell, amount_only);
                return None;
            }
        };
        self.apply(Field::Price, cell, |v| {
            Money::parse(v, currency).map_err(|e| e.to_string())
        })
    }

    /// The row's currency, checked even when there is no price: a wrong code is worth fixing.
    fn currency(&mut self) -> RowCurrency {
        match self.cell(Field::Currency) {
            Ok(Some(cell)) => self
                .apply(Field::Currency, cell, |v| {
                    Currency::parse(v).map_err(|e| e.to_string())
                })
                .map_or(RowCurrency::Invalid, RowCurrency::Valid),
            Ok(None) => RowCurrency::Missing,
            Err(Unreadable) => RowCurrency::Invalid,
        }
    }

    /// The cell as written, for reporting an empty or whitespace-only required value.
    fn raw_text(&self, field: Field) -> String {
        let bytes = self.layout.position(field).and_then(|i| self.record.get(i));
        String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::columns::map_header;
    use super::*;

    const HEADER: [&str; 6] = ["sku", "title", "price", "currency", "gtin", "brand"];

    fn parse(cells: [&[u8]; 6]) -> Result<ProductRecord, Vec<RowError>> {
        let (_, layout) = map_header(&ByteRecord::from(HEADER.to_vec())).unwrap();
        parse_row(&ByteRecord::from(cells.to_vec()), &layout, 7)
    }

    fn reasons(cells: [&[u8]; 6]) -> Vec<(String, String, String)> {
        let errors = parse(cells).unwrap_err();
        errors
            .into_iter()
            .map(|e| (e.column, e.value, e.reason))
            .collect()
    }

    fn triple(column: &str, value: &str, reason: &str) -> (String, String, String) {
        (column.to_owned(), value.to_owned(), reason.to_owned())
    }

    #[test]
    fn a_minimal_row_becomes_a_record_with_absent_optionals() {
        let record = parse([b" AB-1 ", b"Mug", b"", b"", b"", b""]).unwrap();
        assert_eq!(
            (
                record.line,
                record.content.sku.as_str(),
                &*record.content.title
            ),
            (7, "AB-1", "Mug")
        );
        assert_eq!(
            (
                record.content.price,
                record.content.gtin,
                record.content.brand
            ),
            (None, None, None)
        );
        assert_eq!((record.content.quantity, record.updated_at), (None, None));
    }

    #[test]
    fn a_price_with_its_currency_becomes_money() {
        let record = parse([b"A", b"Mug", b"12.5", b"eur", b"", b""]).unwrap();
        assert_eq!(record.content.price.unwrap().to_string(), "12.50 EUR");
    }

    #[test]
    fn a_missing_sku_and_title_are_both_reported_with_the_raw_cells() {
        assert_eq!(
            reasons([b"  ", b"", b"", b"", b"", b""]),
            [
                triple("sku", "  ", "sku is required"),
                triple("title", "", "title is required")
            ]
        );
    }

    #[test]
    fn a_price_without_a_currency_is_an_error_on_currency() {
        assert_eq!(
            reasons([b"A", b"Mug", b"12.50", b"", b"", b""]),
            [triple(
                "currency",
                "",
                "currency is required when a price is given"
            )]
        );
    }

    #[test]
    fn a_price_without_a_currency_is_still_checked_itself() {
        let errors = reasons([b"A", b"Mug", b"$12", b" ", b"", b""]);
        assert_eq!(errors.len(), 2);
        assert_eq!(
            errors[1],
            triple("price", "$12", "price must be a plain number like 12.50")
        );
    }

    #[test]
    fn an_unknown_currency_is_reported_even_without_a_price() {
        let expected =
            r#""EURO" is not a currency code (use a 3-letter code like EUR, USD or GBP)"#;
        assert_eq!(
            reasons([b"A", b"Mug", b"", b"EURO", b"", b""]),
            [triple("currency", "EURO", expected)]
        );
    }

    #[test]
    fn a_price_too_precise_for_its_currency_names_both() {
        assert_eq!(
            reasons([b"A", b"Mug", b"19.999", b"EUR", b"", b""]),
            [triple(
                "price",
                "19.999",
                "19.999 has more decimals than EUR allows (2)"
            )]
        );
    }

    #[test]
    fn a_wrong_gtin_check_digit_is_reported_with_the_raw_value() {
        assert_eq!(
            reasons([b"A", b"Mug", b"", b"", b" 4006381333933 ", b""]),
            [triple(
                "gtin",
                " 4006381333933 ",
                "check digit should be 1, found 3"
            )]
        );
    }

    #[test]
    fn a_cell_that_is_not_utf8_is_an_error_naming_its_column() {
        let errors = parse([b"A", b"Mug", b"", b"", b"", b"Caf\xE9"]).unwrap_err();
        assert_eq!(errors[0].column, "brand");
        assert_eq!(errors[0].value, "Caf\u{FFFD}");
        assert_eq!(
            errors[0].reason,
            r#"brand is not valid UTF-8 text; save the file as "CSV UTF-8""#
        );
    }

    #[test]
    fn a_nul_anywhere_is_an_error_even_in_free_text() {
        let errors = parse([b"A", b"Mu\0g", b"", b"", b"", b""]).unwrap_err();
        assert_eq!(errors[0].column, "title");
        assert!(
            errors[0].reason.starts_with("title contains a NUL"),
            "{errors:?}"
        );
    }

    #[test]
    fn blank_rows_are_recognised_whatever_their_width() {
        assert!(is_blank(&ByteRecord::from(vec!["", " ", "\t"])));
        assert!(!is_blank(&ByteRecord::from(vec!["", "x"])));
    }
}
