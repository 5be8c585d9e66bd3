//! One [`Row`] to a [`Draft`]: every mapped cell read through its field's rule, every problem
//! recorded, every other non-empty cell kept as an attribute.
//!
//! All cells are looked at even after a first problem, so a partner fixes a row in one pass.
//! Each cell goes through the same steps: no NUL or undecodable bytes, trimmed, empty means
//! the profile default or absent, then the field's own rule. Rules live in [`super::values`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::RowError;
use super::columns::{ColumnMapping, Layout};
use super::dates;
use super::fields::Field;
use super::values;
use crate::domain::{Currency, Gtin, Money, Sku, money};
use crate::ingest::profile::{MappingProfile, UnitConversion};
use crate::ingest::record::Row;

/// What one row says, before variant inheritance and the required-field checks.
#[derive(Debug, Default)]
pub(super) struct Draft {
    pub(super) sku: Option<Sku>,
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) price: Option<Money>,
    pub(super) quantity: Option<i64>,
    pub(super) brand: Option<String>,
    pub(super) category: Option<String>,
    pub(super) gtin: Option<Gtin>,
    pub(super) image_url: Option<String>,
    pub(super) updated_at: Option<DateTime<Utc>>,
    pub(super) parent: Option<String>,
    pub(super) group: Option<String>,
    /// `(name, value)` per option slot, as given.
    pub(super) options: [(Option<String>, Option<String>); 3],
    pub(super) attributes: BTreeMap<String, String>,
    /// The raw sku and title cells, for reporting them when they turn out to be required.
    pub(super) raw_sku: String,
    pub(super) raw_title: String,
    pub(super) errors: Vec<RowError>,
}

/// The parts of the mapper a row is read against.
pub(super) struct Reader<'a> {
    pub(super) columns: &'a [ColumnMapping],
    pub(super) layout: &'a Layout,
    pub(super) profile: Option<&'a MappingProfile>,
}

/// A row being read.
struct Cells<'a> {
    reader: &'a Reader<'a>,
    row: &'a Row,
    errors: Vec<RowError>,
}

/// A cell's text: `raw` as in the file (for the report), `value` trimmed (for parsing).
struct Cell {
    raw: String,
    value: String,
}

impl Reader<'_> {
    /// Reads every cell of `row`, whose width the caller has checked.
    pub(super) fn read(&self, row: &Row) -> Draft {
        let mut cells = Cells {
            reader: self,
            row,
            errors: Vec::new(),
        };
        let mut draft = Draft {
            raw_sku: cells.raw(Field::Sku),
            raw_title: cells.raw(Field::Title),
            sku: cells.parse(Field::Sku, |v| Sku::parse(v).map_err(|e| e.to_string())),
            title: cells.parse(Field::Title, values::title),
            description: cells.parse(Field::Description, values::description),
            quantity: cells.quantity(),
            brand: cells.parse(Field::Brand, |v| values::single_line(Field::Brand, v)),
            category: cells.parse(Field::Category, |v| values::single_line(Field::Category, v)),
            gtin: cells.parse(Field::Gtin, |v| Gtin::parse(v).map_err(|e| e.to_string())),
            image_url: cells.parse(Field::ImageUrl, values::image_url),
            updated_at: cells.parse(Field::UpdatedAt, dates::timestamp),
            parent: cells.parse(Field::Parent, |v| values::single_line(Field::Parent, v)),
            group: cells.parse(Field::GroupId, |v| values::single_line(Field::GroupId, v)),
            attributes: cells.attributes(),
            ..Draft::default()
        };
        for (slot, (name, value)) in draft.options.iter_mut().zip(Field::OPTIONS) {
            *slot = (
                cells.parse(name, |v| values::single_line(name, v)),
                cells.parse(value, |v| values::single_line(value, v)),
            );
        }
        draft.price = cells.price(&mut draft.attributes);
        draft.errors = cells.errors;
        draft
    }
}

impl Cells<'_> {
    /// The trimmed cell for `field`, or the profile default when it is empty or absent;
    /// `None` when neither holds anything or the cell is unreadable (error recorded).
    fn cell(&mut self, field: Field) -> Option<Cell> {
        let raw = self
            .reader
            .layout
            .position(field)
            .and_then(|i| self.row.values.get(i))
            .map(String::as_str)
            .unwrap_or_default();
        let cell = if raw.trim().is_empty() {
            let default = self.reader.profile.and_then(|p| {
                p.defaults
                    .iter()
                    .find(|(k, _)| Field::from_name(k) == Some(field))
                    .map(|(_, v)| v.as_str())
            })?;
            Cell {
                raw: default.to_owned(),
                value: default.trim().to_owned(),
            }
        } else {
            Cell {
                raw: raw.to_owned(),
                value: raw.trim().to_owned(),
            }
        };
        if cell.value.contains('\0') {
            self.reject(field, &cell.raw, values::nul(field));
            return None;
        }
        if cell.value.contains('\u{FFFD}') {
            self.reject(field, &cell.raw, values::not_utf8(field));
            return None;
        }
        (!cell.value.is_empty()).then_some(cell)
    }

    /// The cell as written, for reporting an empty required value.
    fn raw(&self, field: Field) -> String {
        let index = self.reader.layout.position(field);
        index
            .and_then(|i| self.row.values.get(i))
            .cloned()
            .unwrap_or_default()
    }

    fn reject(&mut self, field: Field, raw: &str, reason: String) {
        self.errors
            .push(RowError::new(self.row.line, field.name(), raw, reason));
    }

    /// The cell's value through `parse`; a list column gives its first item.
    fn parse<T>(
        &mut self,
        field: Field,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let cell = self.cell(field)?;
        let value = if self.reader.layout.is_list(field) {
            values::first_of_list(&cell.value)
        } else {
            cell.value
        };
        if value.is_empty() {
            return None;
        }
        parse(&value)
            .map_err(|reason| self.reject(field, &cell.raw, reason))
            .ok()
    }

    /// A numeric cell in plain form: decimal comma undone, unit factor applied.
    fn number(&self, field: Field, value: &str, decimals: u8) -> Result<String, String> {
        let profile = self.reader.profile;
        let mut value = value.to_owned();
        if profile.is_some_and(|p| p.decimal_comma) {
            value = values::decimal_point(field, &value)?;
        }
        let unit = profile.and_then(|p| {
            p.units
                .iter()
                .find(|(k, _)| Field::from_name(k) == Some(field))
                .map(|(_, u)| *u)
        });
        match unit {
            Some(UnitConversion::Multiply(factor)) => {
                values::multiply(field, &value, factor, decimals)
            }
            _ => Ok(value),
        }
    }

    fn quantity(&mut self) -> Option<i64> {
        let cell = self.cell(Field::Quantity)?;
        self.number(Field::Quantity, &cell.value, 0)
            .and_then(|v| values::quantity(&v))
            .map_err(|reason| self.reject(Field::Quantity, &cell.raw, reason))
            .ok()
    }

    /// The price. A price needs a currency: from the cell itself (`19.99 EUR`), the currency
    /// column, or the profile default. When the file has no currency column and no default
    /// says one, the checked amount is kept as an attribute under the price column's header
    /// rather than guessed or refused: a Shopify export carries no currency at all.
    fn price(&mut self, attributes: &mut BTreeMap<String, String>) -> Option<Money> {
        let currency_cell = self.cell(Field::Currency);
        let currency = currency_cell.as_ref().map(|c| {
            Currency::parse(&c.value)
                .map_err(|e| self.reject(Field::Currency, &c.raw, e.to_string()))
        });
        let cell = self.cell(Field::Price)?;
        let (amount, inline) = values::split_currency(&cell.value);
        let currency = match (inline, currency) {
            (Some(code), _) => Currency::parse(code)
                .map_err(|e| self.reject(Field::Price, &cell.raw, e.to_string())),
            (None, Some(currency)) => currency,
            (None, None) if self.reader.layout.position(Field::Currency).is_some() => {
                let raw = self.raw(Field::Currency);
                let reason = "currency is required when a price is given".to_owned();
                self.reject(Field::Currency, &raw, reason);
                Err(())
            }
            (None, None) => {
                let plain = self.amount(&cell, amount, 2)?;
                if let Some(header) = self.header(Field::Price) {
                    attributes.insert(header, plain);
                }
                return None;
            }
        };
        let Ok(currency) = currency else {
            self.amount(&cell, amount, 2);
            return None;
        };
        let minor = self.reader.profile.and_then(|p| {
            p.units
                .iter()
                .find(|(k, _)| Field::from_name(k) == Some(Field::Price))
                .map(|(_, u)| matches!(u, UnitConversion::MinorUnits))
        });
        let plain = self.amount(&cell, amount, currency.exponent())?;
        let money = if minor == Some(true) {
            plain
                .parse::<i64>()
                .map_err(|_| "price in minor units must be a whole number like 1250".to_owned())
                .and_then(|m| Money::from_minor(m, currency).map_err(|e| e.to_string()))
        } else {
            Money::parse(&plain, currency).map_err(|e| e.to_string())
        };
        money
            .map_err(|reason| self.reject(Field::Price, &cell.raw, reason))
            .ok()
    }

    /// The amount in plain form, checked on its own; `None` (error recorded) when it is bad.
    fn amount(&mut self, cell: &Cell, amount: &str, decimals: u8) -> Option<String> {
        let checked = self
            .number(Field::Price, amount, decimals)
            .and_then(|plain| {
                money::check_amount(&plain)
                    .map(|()| plain)
                    .map_err(|e| e.to_string())
            });
        checked
            .map_err(|reason| self.reject(Field::Price, &cell.raw, reason))
            .ok()
    }

    /// The header of `field`'s column.
    fn header(&self, field: Field) -> Option<String> {
        let index = self.reader.layout.position(field)?;
        self.reader.columns.get(index).map(|c| c.header.clone())
    }

    /// Every non-empty cell of a column that feeds no field, and the row's extra cells.
    fn attributes(&self) -> BTreeMap<String, String> {
        let unmapped = self
            .reader
            .columns
            .iter()
            .filter(|c| c.field.is_none() && !c.header.is_empty())
            .filter_map(|c| Some((c.header.clone(), self.row.values.get(c.index)?.clone())));
        unmapped
            .chain(self.row.extra.iter().cloned())
            .map(|(k, v)| (k, v.trim().to_owned()))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }
}
