//! Header mapping: which [`Field`] each header column feeds, and the checks that make a header
//! usable (required columns present, no field fed twice, a currency wherever there are prices).

use csv::ByteRecord;

use super::FeedError;
use super::fields::Field;

/// How one header column was understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    /// Zero-based position of the column in each row.
    pub index: usize,
    /// The header cell as written (trimmed, BOM removed).
    pub header: String,
    /// The canonical field it feeds, or `None` when the column is ignored.
    pub field: Option<Field>,
}

/// Where each field's cell sits in a row, checked to hold the required columns once each.
#[derive(Debug, Clone, Default)]
pub(super) struct Layout {
    positions: [Option<usize>; 11],
}

impl Layout {
    /// The column index holding `field`, if the file has it.
    pub(super) fn position(&self, field: Field) -> Option<usize> {
        self.positions.get(field.index()).copied().flatten()
    }
}

/// Reads the header row into column mappings and the field layout, refusing headers the rows
/// could not be read against.
pub(super) fn map_header(record: &ByteRecord) -> Result<(Vec<ColumnMapping>, Layout), FeedError> {
    let columns = header_names(record)?
        .into_iter()
        .enumerate()
        .map(|(index, header)| ColumnMapping {
            index,
            field: Field::from_header(&header),
            header,
        })
        .collect::<Vec<_>>();
    // One column whose name holds a ';' is almost always a European-Excel export: say so
    // instead of reporting that sku and title are missing.
    if let [only] = columns.as_slice()
        && let Some(separator) = only.header.chars().find(|c| matches!(c, ';' | '\t' | '|'))
    {
        return Err(FeedError::WrongSeparator { separator });
    }
    let layout = layout(&columns)?;
    Ok((columns, layout))
}

/// The header cells as text, trimmed, with a UTF-8 BOM removed from the first one (the csv
/// crate strips it only when the first read delivers all three BOM bytes at once).
fn header_names(record: &ByteRecord) -> Result<Vec<String>, FeedError> {
    record
        .iter()
        .enumerate()
        .map(|(index, cell)| {
            let cell = match index {
                0 => cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell),
                _ => cell,
            };
            std::str::from_utf8(cell)
                .map(|text| text.trim().to_owned())
                .map_err(|_| FeedError::HeaderNotUtf8)
        })
        .collect()
}

fn layout(columns: &[ColumnMapping]) -> Result<Layout, FeedError> {
    let mut layout = Layout::default();
    for column in columns {
        let Some(field) = column.field else { continue };
        let Some(slot) = layout.positions.get_mut(field.index()) else {
            continue;
        };
        if let Some(first) = *slot {
            return Err(FeedError::DuplicateColumn {
                field,
                first: columns
                    .get(first)
                    .map(|c| c.header.clone())
                    .unwrap_or_default(),
                second: column.header.clone(),
            });
        }
        *slot = Some(column.index);
    }
    let missing: Vec<Field> = [Field::Sku, Field::Title]
        .into_iter()
        .filter(|field| layout.position(*field).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(FeedError::MissingColumns { missing });
    }
    if let (Some(price), None) = (
        layout.position(Field::Price),
        layout.position(Field::Currency),
    ) {
        let header = columns
            .get(price)
            .map(|c| c.header.clone())
            .unwrap_or_default();
        return Err(FeedError::PriceWithoutCurrency { header });
    }
    Ok(layout)
}

/// "missing the sku column (accepted headers: sku, id, …)", one clause per missing field.
pub(super) fn missing_columns_message(missing: &[Field]) -> String {
    missing
        .iter()
        .map(|field| format!("missing the {field} column ({})", accepted_headers(*field)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// "accepted headers: price, variant price, …" for an error message.
pub(super) fn accepted_headers(field: Field) -> String {
    let names: Vec<&str> = std::iter::once(field.name())
        .chain(field.aliases())
        .collect();
    format!("accepted headers: {}", names.join(", "))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> ByteRecord {
        ByteRecord::from(cells.to_vec())
    }

    fn fields(cells: &[&str]) -> Vec<Option<Field>> {
        let (columns, _) = map_header(&header(cells)).unwrap();
        columns.into_iter().map(|c| c.field).collect()
    }

    #[test]
    fn unknown_columns_are_kept_and_marked_ignored() {
        let mapped = fields(&["sku", "title", "colour", "mpn"]);
        assert_eq!(mapped, [Some(Field::Sku), Some(Field::Title), None, None]);
    }

    #[test]
    fn a_bom_left_on_the_first_header_cell_is_removed() {
        let (columns, _) = map_header(&header(&["\u{FEFF}sku", "title"])).unwrap();
        assert_eq!(columns[0].header, "sku");
        assert_eq!(columns[0].field, Some(Field::Sku));
    }

    #[test]
    fn the_layout_points_each_field_at_its_column() {
        let (_, layout) = map_header(&header(&["x", "Title", "SKU", "qty"])).unwrap();
        assert_eq!(layout.position(Field::Sku), Some(2));
        assert_eq!(layout.position(Field::Title), Some(1));
        assert_eq!(layout.position(Field::Quantity), Some(3));
        assert_eq!(layout.position(Field::Gtin), None);
    }

    #[test]
    fn two_columns_meaning_the_same_field_are_a_feed_error_naming_both() {
        let err = map_header(&header(&["ID", "title", "SKU"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"columns "ID" and "SKU" both mean sku; keep only one of them"#
        );
        let err = map_header(&header(&["sku", "title", "EAN", "UPC"])).unwrap_err();
        assert!(matches!(
            err,
            FeedError::DuplicateColumn {
                field: Field::Gtin,
                ..
            }
        ));
    }

    #[test]
    fn a_missing_sku_column_names_the_accepted_headers() {
        let err = map_header(&header(&["title", "price", "currency"])).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("missing the sku column (accepted headers: sku, id,"));
        assert!(message.contains("variant_sku"), "{message}");
        assert!(!message.contains("title column"), "{message}");
    }

    #[test]
    fn missing_sku_and_title_columns_are_both_reported() {
        let err = map_header(&header(&["mpn", "colour"])).unwrap_err();
        assert!(matches!(&err, FeedError::MissingColumns { missing } if missing.len() == 2));
        let message = err.to_string();
        assert!(message.contains("missing the sku column"), "{message}");
        assert!(message.contains("; missing the title column (accepted headers: title, name,"));
    }

    #[test]
    fn a_price_column_without_a_currency_column_is_a_feed_error() {
        let err = map_header(&header(&["sku", "title", "Variant Price"])).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(r#"price column ("Variant Price")"#),
            "{message}"
        );
        assert!(
            message.contains("accepted headers: currency, currency_code"),
            "{message}"
        );
    }

    #[test]
    fn a_semicolon_separated_file_is_told_to_use_commas() {
        let err = map_header(&header(&["sku;title;price"])).unwrap_err();
        assert!(matches!(err, FeedError::WrongSeparator { separator: ';' }));
        assert!(err.to_string().contains("separated by commas"), "{err}");
    }

    #[test]
    fn a_header_that_is_not_utf8_is_a_feed_error() {
        let record = ByteRecord::from(vec![&b"\xFF\xFEs\0k\0u\0"[..], b"title"]);
        assert!(matches!(map_header(&record), Err(FeedError::HeaderNotUtf8)));
    }
}
