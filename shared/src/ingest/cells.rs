//! What the inventory and order mappers share: matching a header onto canonical fields (aliases
//! compared case-, space-, `_`-, `-`- and `.`-insensitively, a [`MappingProfile`] first), reading
//! a row's cells through that match, and the value rules partners' numbers and dates need.
//!
//! Row problems are [`RowError`]s, the same type the product feed reports, so every feed kind
//! fills one rejected-rows report.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::domain::{Currency, DomainError, Money};

use super::profile::MappingProfile;
use super::record::Row;

pub use super::products::RowError;

/// A canonical field of a feed kind and the other header names that mean it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// The canonical name, as reports and profiles spell it (`order_id`).
    pub name: &'static str,
    /// Other accepted header names, most preferred first: when two columns of one file mean the
    /// field, the one named earlier here is read (the canonical name before every alias).
    pub aliases: &'static [&'static str],
}

impl FieldSpec {
    /// How strongly `key` (a [`normalize_name`]d header) names this field: 0 for the canonical
    /// name, 1 + position for an alias, `None` when it does not.
    fn rank(&self, key: &str) -> Option<usize> {
        std::iter::once(self.name)
            .chain(self.aliases.iter().copied())
            .position(|name| name_has_key(name, key))
    }

    /// The accepted header names, for a message telling a partner what to call the column.
    pub fn accepted(&self) -> String {
        let mut names = vec![self.name];
        names.extend(self.aliases);
        names.join(", ")
    }
}

/// The comparison key of a header name: lower-case, without whitespace, `_`, `-`, `.` or a
/// byte-order mark.
pub fn normalize_name(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    if name.is_ascii() {
        key.extend(ascii_key_chars(name));
    } else {
        key.extend(key_chars(name));
    }
    key
}

/// Whether `name` has the comparison key `key` (a [`normalize_name`]d name). Compares as it
/// goes, without building `name`'s key: matching a header against every field's aliases does
/// this hundreds of times per column, and a file's first record may hold a million columns.
pub fn name_has_key(name: &str, key: &str) -> bool {
    if name.is_ascii() {
        ascii_key_chars(name).eq(key.chars())
    } else {
        key_chars(name).eq(key.chars())
    }
}

fn key_chars(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars()
        .filter(|c| !is_dropped(*c))
        .flat_map(char::to_lowercase)
}

/// [`key_chars`] for the usual ASCII name: byte by byte, without Unicode's case tables (a
/// third of the time).
fn ascii_key_chars(name: &str) -> impl Iterator<Item = char> + '_ {
    name.bytes()
        .map(char::from)
        .filter(|c| !is_dropped(*c))
        .map(|c| c.to_ascii_lowercase())
}

/// Whether a header name's comparison key leaves `c` out.
fn is_dropped(c: char) -> bool {
    c.is_whitespace() || matches!(c, '_' | '-' | '.' | '\u{FEFF}')
}

/// How many of `header`'s columns name one of `fields` (profiles not consulted): the evidence
/// feed-kind detection weighs.
pub fn recognised(header: &[String], fields: &[FieldSpec]) -> usize {
    let names = FieldNames::new(fields);
    header
        .iter()
        .filter(|h| names.field_of(h).is_some())
        .count()
}

/// Every name of a list of fields by comparison key: the field it names (its index) and the
/// rank it names it with. A name two fields accept names the first listed. Built once per
/// header, so a column costs one key and one lookup however many aliases the fields accept (a
/// file's first record may hold a million columns).
#[derive(Debug, Clone, PartialEq)]
struct FieldNames(HashMap<String, (usize, usize)>);

impl FieldNames {
    fn new(fields: &[FieldSpec]) -> Self {
        let mut by_key = HashMap::new();
        for (index, field) in fields.iter().enumerate() {
            let names = std::iter::once(field.name).chain(field.aliases.iter().copied());
            for (rank, name) in names.enumerate() {
                by_key.entry(normalize_name(name)).or_insert((index, rank));
            }
        }
        Self(by_key)
    }

    /// The field `header` names and the rank it names it with.
    fn field_of(&self, header: &str) -> Option<(usize, usize)> {
        self.0.get(&normalize_name(header)).copied()
    }
}

/// A header the file cannot be read against: the run stops.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// A required field has no column (and no profile default).
    #[error("missing the {field} column (accepted headers: {accepted})")]
    Missing {
        /// The canonical field.
        field: &'static str,
        /// The header names that would have been accepted.
        accepted: String,
    },
    /// Two columns mean the same field equally well, so it is unclear which to read.
    #[error("columns {first:?} and {second:?} both mean {field}; keep only one of them")]
    Duplicate {
        /// The canonical field.
        field: &'static str,
        /// The first column's header.
        first: String,
        /// The second column's header.
        second: String,
    },
}

impl HeaderError {
    /// Whether trying again may help: never, the file has to change.
    pub fn is_transient(&self) -> bool {
        false
    }
}

/// A header matched onto a list of fields, with the profile's defaults and number style.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    /// The fields, to find a field among a row's extra cells.
    fields: Vec<FieldSpec>,
    /// The fields' names, to tell whether a header names one.
    names: FieldNames,
    /// Field index → (header index, rank it won with).
    columns: Vec<Option<(usize, usize)>>,
    /// Field index → the profile's default value.
    defaults: Vec<Option<String>>,
    /// Header length, to report ragged rows.
    width: usize,
    decimal_comma: bool,
}

impl Layout {
    /// Matches `header` onto `fields`. A profile's column mapping wins over aliases; a profile
    /// entry naming a field this kind does not have leaves the column unknown (one profile may
    /// serve several kinds).
    pub fn resolve(
        header: &[String],
        fields: &[FieldSpec],
        profile: Option<&MappingProfile>,
    ) -> Result<Self, HeaderError> {
        let names = FieldNames::new(fields);
        let mut columns: Vec<Option<(usize, usize)>> = vec![None; fields.len()];
        for (index, name) in header.iter().enumerate() {
            let Some((field, rank)) = match_column(name, fields, &names, profile) else {
                continue;
            };
            match columns[field] {
                Some((_, held)) if held < rank => {}
                Some((first, held)) if held == rank => {
                    return Err(HeaderError::Duplicate {
                        field: fields[field].name,
                        first: header[first].clone(),
                        second: name.clone(),
                    });
                }
                _ => columns[field] = Some((index, rank)),
            }
        }
        let defaults = fields
            .iter()
            .map(|f| profile.and_then(|p| profile_default(p, f.name)))
            .collect();
        Ok(Self {
            fields: fields.to_vec(),
            names,
            columns,
            defaults,
            width: header.len(),
            decimal_comma: profile.is_some_and(|p| p.decimal_comma),
        })
    }

    /// The header index read for `field`.
    pub fn column(&self, field: usize) -> Option<usize> {
        self.columns.get(field).copied().flatten().map(|(i, _)| i)
    }

    /// Whether `field` has a column or a profile default.
    pub fn provides(&self, field: usize) -> bool {
        self.column(field).is_some() || self.default(field).is_some()
    }

    /// Whether `header` names one of the fields (profiles not consulted), whether or not its
    /// column feeds it.
    pub fn names_a_field(&self, header: &str) -> bool {
        self.names.field_of(header).is_some()
    }

    /// Whether header column `index` feeds a field.
    pub fn is_used(&self, index: usize) -> bool {
        self.columns.iter().flatten().any(|&(i, _)| i == index)
    }

    /// The row's trimmed cell for `field`, `None` when absent or blank. A field without a
    /// header column is looked up by its names among the row's extra cells (keys a later JSON
    /// object has that the first did not).
    pub fn cell<'r>(&self, row: &'r Row, field: usize) -> Option<&'r str> {
        let value = match self.column(field) {
            Some(index) => row.values.get(index)?,
            None => {
                let spec = self.fields.get(field)?;
                let (_, value) = row
                    .extra
                    .iter()
                    .find(|(key, _)| spec.rank(&normalize_name(key)).is_some())?;
                value
            }
        };
        let value = value.trim();
        (!value.is_empty()).then_some(value)
    }

    /// The profile's default for `field`.
    pub fn default(&self, field: usize) -> Option<&str> {
        self.defaults.get(field)?.as_deref()
    }

    /// The cell, else the profile default.
    pub fn value<'r>(&'r self, row: &'r Row, field: usize) -> Option<&'r str> {
        self.cell(row, field).or_else(|| self.default(field))
    }

    /// Whether numbers are written `1.234,56`.
    pub fn decimal_comma(&self) -> bool {
        self.decimal_comma
    }

    /// A whole-row error when the row does not have one cell per header column: its cells
    /// cannot be trusted to be under the right headers.
    pub fn check_width(&self, row: &Row) -> Result<(), RowError> {
        let (found, expected) = (row.values.len(), self.width);
        if found == expected {
            return Ok(());
        }
        let noun = if found == 1 { "field" } else { "fields" };
        let reason = format!("row has {found} {noun}, header has {expected}");
        Err(RowError::new(row.line, "", &row.values.join(","), reason))
    }
}

/// The field a header column feeds and its rank; a profile mapping ranks before everything.
fn match_column(
    name: &str,
    fields: &[FieldSpec],
    names: &FieldNames,
    profile: Option<&MappingProfile>,
) -> Option<(usize, usize)> {
    let mapped = profile.and_then(|p| {
        let key = normalize_name(name);
        p.columns
            .iter()
            .find(|(header, _)| name_has_key(header, &key))
    });
    if let Some((_, target)) = mapped {
        let target = normalize_name(target);
        let field = fields.iter().position(|f| name_has_key(f.name, &target))?;
        return Some((field, 0));
    }
    names.field_of(name).map(|(field, rank)| (field, rank + 1))
}

fn profile_default(profile: &MappingProfile, field: &str) -> Option<String> {
    let key = normalize_name(field);
    profile
        .defaults
        .iter()
        .find(|(name, value)| name_has_key(name, &key) && !value.trim().is_empty())
        .map(|(_, value)| value.trim().to_owned())
}

/// A whole number, optionally signed; "12.0" (and "12,0" with a decimal comma) is 12 because
/// spreadsheets write integers that way. `None` for anything else.
pub fn parse_whole(value: &str, decimal_comma: bool) -> Option<i64> {
    let point = if decimal_comma { ',' } else { '.' };
    let whole = match value.trim().split_once(point) {
        None => value.trim(),
        Some((whole, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => whole,
        Some(_) => return None,
    };
    let digits = whole.strip_prefix(['-', '+']).unwrap_or(whole);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    whole.parse().ok()
}

/// Money in `currency`; with a decimal comma, `.` and spaces are thousands separators and `,`
/// is the point ("1.234,50" is 1234.50). Without one the amount must be plain (see
/// [`Money::parse`]).
pub fn parse_money(
    value: &str,
    currency: Currency,
    decimal_comma: bool,
) -> Result<Money, DomainError> {
    if !decimal_comma {
        return Money::parse(value, currency);
    }
    let plain: String = value
        .trim()
        .chars()
        .filter(|c| !matches!(c, '.' | ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    Money::parse(&plain, currency)
}

/// What is wrong with an amount, worded for `field` rather than for a product price.
pub fn money_reason(field: &str, error: &DomainError) -> String {
    match error {
        DomainError::PriceNegative => format!("{field} must not be negative"),
        DomainError::PriceNotPlain => format!("{field} must be a plain number like 12.50"),
        DomainError::PriceTooLarge => format!("{field} is too large"),
        other => format!("{field}: {other}"),
    }
}

/// A point in time as partners write it: RFC 3339 (`2024-05-01T10:00:00+02:00`), Shopify's
/// `2024-05-01 10:00:00 +0200`, `YYYY-MM-DD HH:MM:SS` (or with `T`) taken as UTC, or a bare
/// `YYYY-MM-DD` taken as midnight UTC. Two-digit years and unpadded fields are refused so a
/// date is never guessed.
pub fn parse_timestamp(value: &str) -> Option<DateTime<Utc>> {
    let value = value.trim();
    let bytes = value.as_bytes();
    let iso_date = bytes.len() >= 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && [0, 1, 2, 3, 5, 6, 8, 9]
            .iter()
            .all(|&i| bytes[i].is_ascii_digit());
    if !iso_date {
        return None;
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(value) {
        return Some(time.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%z"] {
        if let Ok(time) = DateTime::parse_from_str(value, format) {
            return Some(time.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(time) = NaiveDateTime::parse_from_str(value, format) {
            return Some(time.and_utc());
        }
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?;
    (value.len() == 10).then(|| date.and_time(NaiveTime::MIN).and_utc())
}

/// The wording for a timestamp cell that [`parse_timestamp`] refused.
pub fn timestamp_reason(field: &str) -> String {
    format!("{field} must be a date like 2024-05-01 or a time like 2024-05-01T10:00:00Z")
}

/// A CSV text as a header and [`Row`]s, the way a feed source hands them to a mapper.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) fn read_csv(text: &str) -> (Vec<String>, Vec<Row>) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            Row {
                line: record.position().unwrap().line(),
                values: record.iter().map(str::to_owned).collect(),
                extra: Vec::new(),
            }
        })
        .collect();
    (header, rows)
}

#[cfg(test)]
mod tests;
