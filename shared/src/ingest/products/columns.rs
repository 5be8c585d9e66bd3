//! Header mapping: which [`Field`] each header column feeds, and the checks that make a header
//! usable (required columns present or defaulted, no field fed twice equally well).
//!
//! Resolution order: a mapping profile's `columns` renames first (they win over aliases), then
//! alias claims best rank first, so the more specific name wins when several columns name one
//! field (`SKU` over WooCommerce's `ID`; `Display Name` over NetSuite's `Name`, which then
//! falls to `sku`). A column that loses is not dropped: it is kept as a raw attribute and
//! listed as unknown. Two columns with the same name are a [`FeedError::DuplicateColumn`].

use super::FeedError;
use super::fields::Field;
use crate::ingest::cells::{name_has_key, normalize_name};
use crate::ingest::profile::MappingProfile;

/// How one header column was understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    /// Zero-based position of the column in each row.
    pub index: usize,
    /// The header cell as written (trimmed, BOM removed).
    pub header: String,
    /// The canonical field it feeds, or `None` when the column is kept as an attribute.
    pub field: Option<Field>,
}

/// Where each field's cell sits in a row.
#[derive(Debug, Clone, Default)]
pub(super) struct Layout {
    positions: [Option<usize>; Field::ALL.len()],
    /// Fields whose column holds a comma-separated list of which the first item counts
    /// (WooCommerce `Categories` and `Images`).
    lists: Vec<Field>,
}

impl Layout {
    /// The column index holding `field`, if the file has it.
    pub(super) fn position(&self, field: Field) -> Option<usize> {
        self.positions.get(field.index()).copied().flatten()
    }

    /// Whether `field`'s column is a list whose first item is the value.
    pub(super) fn is_list(&self, field: Field) -> bool {
        self.lists.contains(&field)
    }
}

/// Headers whose cell is a comma-separated list; only the first item is the field's value.
const LIST_HEADERS: [&str; 2] = ["categories", "images"];

/// Maps `header` (trimmed, BOM removed) onto fields, refusing headers rows cannot be read
/// against.
pub(super) fn map_header(
    header: &[String],
    profile: Option<&MappingProfile>,
) -> Result<(Vec<ColumnMapping>, Layout), FeedError> {
    let names: Vec<String> = header
        .iter()
        .map(|h| h.trim_start_matches('\u{FEFF}').trim().to_owned())
        .collect();
    // One column whose name holds a ';' is almost always a European-Excel export: say so
    // instead of reporting that sku and title are missing.
    if let [only] = names.as_slice()
        && let Some(separator) = only.chars().find(|c| matches!(c, ';' | '\t' | '|'))
    {
        return Err(FeedError::WrongSeparator { separator });
    }
    let mut fields: Vec<Option<Field>> = vec![None; names.len()];
    let mut layout = Layout::default();
    if let Some(profile) = profile {
        apply_renames(&names, profile, &mut fields, &mut layout)?;
    }
    let mut claims: Vec<(usize, usize, Field)> = Vec::new();
    for (index, name) in names.iter().enumerate() {
        if fields.get(index).copied().flatten().is_none() {
            claims.extend(
                Field::claims(name)
                    .iter()
                    .map(|&(field, rank)| (rank, index, field)),
            );
        }
    }
    claims.sort();
    for (rank, index, field) in claims {
        let Some(slot) = layout.positions.get_mut(field.index()) else {
            continue;
        };
        if let Some(first) = *slot {
            // Same name twice ("SKU" and "sku"): nothing says which one is meant.
            let first_name = names.get(first).cloned().unwrap_or_default();
            let same_rank = Field::claims(&first_name)
                .iter()
                .any(|(f, r)| *f == field && *r == rank);
            if same_rank && fields.get(index).copied().flatten().is_none() {
                return Err(duplicate(field, &names, first, index));
            }
            continue;
        }
        if fields.get(index).copied().flatten().is_some() {
            continue;
        }
        *slot = Some(index);
        if let Some(f) = fields.get_mut(index) {
            *f = Some(field);
        }
        let name = names
            .get(index)
            .map(|n| normalize_name(n))
            .unwrap_or_default();
        if LIST_HEADERS.contains(&name.as_str()) {
            layout.lists.push(field);
        }
    }
    let defaults = profile.map(|p| &p.defaults);
    let missing: Vec<Field> = [Field::Sku, Field::Title]
        .into_iter()
        .filter(|field| layout.position(*field).is_none())
        .filter(|field| {
            defaults.is_none_or(|d| !d.keys().any(|k| Field::from_name(k) == Some(*field)))
        })
        .collect();
    if !missing.is_empty() {
        return Err(FeedError::MissingColumns { missing });
    }
    let columns = names
        .into_iter()
        .zip(fields)
        .enumerate()
        .map(|(index, (header, field))| ColumnMapping {
            index,
            header,
            field,
        })
        .collect();
    Ok((columns, layout))
}

/// Applies the profile's `columns` renames, and checks that every field it names exists.
fn apply_renames(
    names: &[String],
    profile: &MappingProfile,
    fields: &mut [Option<Field>],
    layout: &mut Layout,
) -> Result<(), FeedError> {
    let field_of = |name: &str| {
        Field::from_name(name).ok_or_else(|| {
            FeedError::Profile(format!(
                "names {name:?}, which is not a product field (fields: {})",
                Field::ALL.map(Field::name).join(", ")
            ))
        })
    };
    for key in profile.defaults.keys().chain(profile.units.keys()) {
        field_of(key)?;
    }
    for (from, to) in &profile.columns {
        let field = field_of(to)?;
        let key = normalize_name(from);
        for (index, name) in names.iter().enumerate() {
            if !name_has_key(name, &key) {
                continue;
            }
            if let Some(first) = layout.position(field) {
                return Err(duplicate(field, names, first, index));
            }
            if let Some(slot) = layout.positions.get_mut(field.index()) {
                *slot = Some(index);
            }
            if let Some(f) = fields.get_mut(index) {
                *f = Some(field);
            }
        }
    }
    Ok(())
}

fn duplicate(field: Field, names: &[String], first: usize, second: usize) -> FeedError {
    FeedError::DuplicateColumn {
        field,
        first: names.get(first).cloned().unwrap_or_default(),
        second: names.get(second).cloned().unwrap_or_default(),
    }
}

/// "missing the sku column (accepted headers: sku, id, …)", one clause per missing field.
pub(super) fn missing_columns_message(missing: &[Field]) -> String {
    missing
        .iter()
        .map(|field| {
            let names: Vec<&str> = std::iter::once(field.name())
                .chain(field.aliases())
                .collect();
            format!(
                "missing the {field} column (accepted headers: {}; or map a column to it in a \
                 mapping profile)",
                names.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    fn fields(cells: &[&str]) -> Vec<Option<Field>> {
        let (columns, _) = map_header(&header(cells), None).unwrap();
        columns.into_iter().map(|c| c.field).collect()
    }

    #[test]
    fn unknown_columns_are_kept_and_marked_as_attributes() {
        let mapped = fields(&["sku", "title", "colour", "mpn"]);
        assert_eq!(mapped, [Some(Field::Sku), Some(Field::Title), None, None]);
    }

    #[test]
    fn a_bom_left_on_the_first_header_cell_is_removed() {
        let (columns, _) = map_header(&header(&["\u{FEFF}sku", "title"]), None).unwrap();
        assert_eq!(columns[0].header, "sku");
        assert_eq!(columns[0].field, Some(Field::Sku));
    }

    #[test]
    fn the_more_specific_name_wins_and_the_other_column_is_kept() {
        assert_eq!(
            fields(&["ID", "Name", "SKU"]),
            [None, Some(Field::Title), Some(Field::Sku)]
        );
        assert_eq!(
            fields(&["Internal ID", "Name", "Display Name"]),
            [None, Some(Field::Sku), Some(Field::Title)]
        );
        assert_eq!(
            fields(&["id", "title", "google_product_category", "product_type"]),
            [
                Some(Field::Sku),
                Some(Field::Title),
                None,
                Some(Field::Category)
            ]
        );
    }

    #[test]
    fn the_same_name_twice_is_a_feed_error_naming_both() {
        let err = map_header(&header(&["SKU", "title", "sku"]), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"columns "SKU" and "sku" both mean sku; keep only one of them"#
        );
    }

    #[test]
    fn a_missing_sku_column_names_the_accepted_headers() {
        let err = map_header(&header(&["title", "price"]), None).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("missing the sku column (accepted headers: sku, variant sku,"));
        assert!(!message.contains("title column"), "{message}");
    }

    #[test]
    fn missing_sku_and_title_columns_are_both_reported() {
        let err = map_header(&header(&["mpn", "colour"]), None).unwrap_err();
        assert!(matches!(&err, FeedError::MissingColumns { missing } if missing.len() == 2));
    }

    #[test]
    fn a_profile_rename_wins_over_aliases_and_a_default_stands_in_for_a_column() {
        let mut profile = MappingProfile::default();
        profile.columns.insert("Artikelnummer".into(), "sku".into());
        profile.columns.insert("SKU".into(), "parent".into());
        profile.defaults.insert("title".into(), "Untitled".into());
        let (columns, layout) =
            map_header(&header(&["SKU", "artikel-nummer", "Preis"]), Some(&profile)).unwrap();
        assert_eq!(columns[0].field, Some(Field::Parent));
        assert_eq!(columns[1].field, Some(Field::Sku));
        assert_eq!(layout.position(Field::Title), None);
    }

    #[test]
    fn a_profile_naming_an_unknown_field_is_a_feed_error() {
        let mut profile = MappingProfile::default();
        profile.columns.insert("Artikel".into(), "article".into());
        let err = map_header(&header(&["Artikel", "title"]), Some(&profile)).unwrap_err();
        assert!(
            err.to_string().starts_with(
                r#"the mapping profile names "article", which is not a product field"#
            )
        );
    }

    #[test]
    fn a_semicolon_separated_file_is_told_to_use_commas() {
        let err = map_header(&header(&["sku;title;price"]), None).unwrap_err();
        assert!(matches!(err, FeedError::WrongSeparator { separator: ';' }));
    }

    #[test]
    fn woocommerce_list_columns_are_marked() {
        let (_, layout) =
            map_header(&header(&["SKU", "Name", "Categories", "Images"]), None).unwrap();
        assert!(layout.is_list(Field::Category) && layout.is_list(Field::ImageUrl));
    }
}
