//! The inventory feed mapper: rows of stock levels in, [`InventoryUpsert`]s out.
//!
//! Two shapes are read. The long shape has one level per row (`sku, location, quantity,
//! as_of`; Shopify's current inventory export, with `Location`, `Available` and `On hand`, is
//! one). The wide shape is Shopify's older inventory export: `Handle, Title, Option1 Name, …,
//! SKU` and then one column per location, headed by the location's name. A file is wide when it
//! has no quantity column; every column that is neither an inventory field nor one of Shopify's
//! descriptive columns is then a location, and one row yields one level per location. That is
//! why [`InventoryMapper::map`] returns a `Vec`.

use crate::domain::Sku;
use crate::store::InventoryUpsert;

use super::cells::{
    self, FieldSpec, HeaderError, Layout, RowError, name_has_key, normalize_name, parse_timestamp,
    parse_whole, timestamp_reason,
};
use super::profile::MappingProfile;
use super::record::Row;

const SKU: usize = 0;
const LOCATION: usize = 1;
const QUANTITY: usize = 2;
const AS_OF: usize = 3;

/// The inventory fields and their header aliases, most preferred first.
pub const FIELDS: [FieldSpec; 4] = [
    FieldSpec {
        name: "sku",
        aliases: &[
            "variant sku",
            "item sku",
            "item",
            "item number",
            "item no",
            "article",
            "article number",
            "article no",
            "product code",
        ],
    },
    FieldSpec {
        name: "location",
        aliases: &[
            "location name",
            "inventory location",
            "warehouse",
            "warehouse name",
            "store",
            "store name",
            "site",
        ],
    },
    FieldSpec {
        // Shopify's export has both Available and On hand: what can be sold is what counts.
        name: "quantity",
        aliases: &[
            "available",
            "quantity available",
            "available quantity",
            "qty",
            "inventory quantity",
            "stock",
            "stock quantity",
            "stock level",
            "on hand",
            "quantity on hand",
            "qty on hand",
        ],
    },
    FieldSpec {
        name: "as_of",
        aliases: &[
            "updated at",
            "counted at",
            "snapshot date",
            "timestamp",
            "last updated",
            "date",
        ],
    },
];

/// Columns of Shopify's inventory exports that describe the variant or count stock that is
/// not for sale: never a location.
const SHOPIFY_COLUMNS: [&str; 17] = [
    "handle",
    "title",
    "option1 name",
    "option1 value",
    "option2 name",
    "option2 value",
    "option3 name",
    "option3 value",
    "barcode",
    "hs code",
    "coo",
    "incoming",
    "committed",
    "unavailable",
    "damaged",
    "reserved",
    "safety stock",
];

/// Location used when a long-shape feed names none.
pub const DEFAULT_LOCATION: &str = "default";

/// How a header lays out its stock levels.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    /// One level per row.
    Long,
    /// One level per location column: (header index, location name).
    Wide(Vec<(usize, String)>),
}

/// Maps the rows of one inventory feed, read against its header.
#[derive(Debug, Clone)]
pub struct InventoryMapper {
    layout: Layout,
    shape: Shape,
}

impl InventoryMapper {
    /// Reads `header` (with the tenant's `profile`, if any); fails when there is no SKU column,
    /// or neither a quantity column nor any location column.
    pub fn new(header: &[String], profile: Option<&MappingProfile>) -> Result<Self, HeaderError> {
        let layout = Layout::resolve(header, &FIELDS, profile)?;
        if !layout.provides(SKU) {
            return Err(missing(SKU));
        }
        if layout.provides(QUANTITY) {
            return Ok(Self {
                layout,
                shape: Shape::Long,
            });
        }
        let locations = location_columns(header, &layout);
        if locations.is_empty() || layout.column(LOCATION).is_some() {
            return Err(HeaderError::Missing {
                field: FIELDS[QUANTITY].name,
                accepted: format!(
                    "{}; or one column per location, as in Shopify's inventory export",
                    FIELDS[QUANTITY].accepted()
                ),
            });
        }
        Ok(Self {
            layout,
            shape: Shape::Wide(locations),
        })
    }

    /// How many of `header`'s columns an inventory feed is known to have: inventory fields and
    /// Shopify's descriptive columns (location columns cannot be told from any other name).
    pub fn recognised(header: &[String]) -> usize {
        cells::recognised(header, &FIELDS) + header.iter().filter(|h| is_shopify(h)).count()
    }

    /// Whether `header` is plausibly an inventory feed, for kind detection: a SKU column and a
    /// quantity column, or Shopify's wide export (a `Handle` column and location columns).
    /// Stricter than [`InventoryMapper::new`], which reads any wide file it is given.
    pub fn plausible(header: &[String]) -> bool {
        match Self::new(header, None) {
            Ok(mapper) => match mapper.shape {
                Shape::Long => true,
                Shape::Wide(_) => header.iter().any(|h| name_has_key(h, "handle")),
            },
            Err(_) => false,
        }
    }

    /// The location names of a wide feed, in column order; empty for a long feed.
    pub fn location_columns(&self) -> Vec<&str> {
        match &self.shape {
            Shape::Long => Vec::new(),
            Shape::Wide(columns) => columns.iter().map(|(_, name)| name.as_str()).collect(),
        }
    }

    /// The stock levels one row gives, or every problem with it. A long row gives one level;
    /// a wide row one per location column holding a number (blank and Shopify's `not stocked`
    /// cells give none).
    pub fn map(&self, row: &Row) -> Result<Vec<InventoryUpsert>, Vec<RowError>> {
        self.layout.check_width(row).map_err(|e| vec![e])?;
        let mut errors = Vec::new();
        let sku = match self.layout.value(row, SKU) {
            None => Err(RowError::new(row.line, "sku", "", "sku is required")),
            Some(raw) => {
                Sku::parse(raw).map_err(|e| RowError::new(row.line, "sku", raw, e.to_string()))
            }
        };
        let as_of = match self.layout.value(row, AS_OF) {
            None => Ok(None),
            Some(raw) => parse_timestamp(raw)
                .map(Some)
                .ok_or_else(|| RowError::new(row.line, "as_of", raw, timestamp_reason("as_of"))),
        };
        let levels = match &self.shape {
            Shape::Long => self.long_level(row).map(|level| vec![level]),
            Shape::Wide(columns) => self.wide_levels(row, columns),
        };
        let levels = levels.unwrap_or_else(|mut e| {
            errors.append(&mut e);
            Vec::new()
        });
        let (sku, as_of) = match (sku, as_of) {
            (Ok(sku), Ok(as_of)) if errors.is_empty() => (sku, as_of),
            (sku, as_of) => {
                let mut all: Vec<RowError> = sku.err().into_iter().chain(as_of.err()).collect();
                all.append(&mut errors);
                return Err(all);
            }
        };
        let upserts = levels
            .into_iter()
            .map(|(location, quantity)| InventoryUpsert {
                sku: sku.clone(),
                location,
                quantity,
                as_of,
            })
            .collect();
        Ok(upserts)
    }

    fn long_level(&self, row: &Row) -> Result<(String, i64), Vec<RowError>> {
        let location = self.layout.value(row, LOCATION).unwrap_or(DEFAULT_LOCATION);
        let mut errors = Vec::new();
        if location.chars().any(char::is_control) {
            let reason = "location must be one line without tabs or control characters";
            errors.push(RowError::new(row.line, "location", location, reason));
        }
        let quantity = match self.layout.value(row, QUANTITY) {
            None => Err("quantity is required"),
            Some(raw) => parse_whole(raw, self.layout.decimal_comma())
                .ok_or("quantity must be a whole number (negative when oversold)"),
        };
        match quantity {
            Ok(quantity) if errors.is_empty() => Ok((location.to_owned(), quantity)),
            Ok(_) => Err(errors),
            Err(reason) => {
                let raw = self.layout.cell(row, QUANTITY).unwrap_or_default();
                errors.push(RowError::new(row.line, "quantity", raw, reason));
                Err(errors)
            }
        }
    }

    fn wide_levels(
        &self,
        row: &Row,
        columns: &[(usize, String)],
    ) -> Result<Vec<(String, i64)>, Vec<RowError>> {
        let mut levels = Vec::new();
        let mut errors = Vec::new();
        for (index, location) in columns {
            let raw = row.values.get(*index).map(|v| v.trim()).unwrap_or_default();
            if raw.is_empty() || raw.eq_ignore_ascii_case("not stocked") {
                continue;
            }
            match parse_whole(raw, self.layout.decimal_comma()) {
                Some(quantity) => levels.push((location.clone(), quantity)),
                None => errors.push(RowError::new(
                    row.line,
                    location,
                    raw,
                    format!("stock at {location} must be a whole number, blank or \"not stocked\""),
                )),
            }
        }
        if errors.is_empty() {
            Ok(levels)
        } else {
            Err(errors)
        }
    }
}

fn missing(field: usize) -> HeaderError {
    HeaderError::Missing {
        field: FIELDS[field].name,
        accepted: FIELDS[field].accepted(),
    }
}

fn is_shopify(header: &str) -> bool {
    let key = normalize_name(header);
    SHOPIFY_COLUMNS.iter().any(|c| name_has_key(c, &key))
}

/// Columns that feed no field, are not Shopify's descriptive ones and have a name.
fn location_columns(header: &[String], layout: &Layout) -> Vec<(usize, String)> {
    header
        .iter()
        .enumerate()
        .filter(|(i, h)| !layout.is_used(*i) && !is_shopify(h) && !h.trim().is_empty())
        .filter(|(_, h)| !layout.names_a_field(h))
        .map(|(i, h)| (i, h.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests;
