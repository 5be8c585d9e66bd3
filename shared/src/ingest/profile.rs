//! Per-tenant mapping profiles: what a merchant sets once so a partner's odd columns map
//! without anyone editing the file. Stored as JSON (`PUT /api/ingest/mappings/{name}`), chosen
//! by path (`ingest/{tenant}/{kind}/{profile}/…`) or by the tenant's default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A mapping profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub struct MappingProfile {
    /// Feed header → canonical field name (e.g. `"Artikelnummer": "sku"`). Matched the way
    /// aliases are: case, spaces, `_` and `-` ignored. Wins over the built-in aliases.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Canonical field → value used when the row's cell is empty or the column is absent
    /// (e.g. `"currency": "EUR"`).
    #[serde(default)]
    pub defaults: BTreeMap<String, String>,
    /// Numbers are written with a decimal comma (`1.234,56`), as in much of Europe.
    #[serde(default)]
    pub decimal_comma: bool,
    /// Canonical field → unit conversion applied to its numeric value.
    #[serde(default)]
    pub units: BTreeMap<String, UnitConversion>,
    /// The text encoding of the partner's files when it cannot be detected, e.g.
    /// `windows-1252` (a WHATWG encoding label).
    #[serde(default)]
    pub encoding: Option<String>,
    /// The XLSX sheet to read; the first one when absent.
    #[serde(default)]
    pub sheet: Option<String>,
    /// More than this share of bad rows (0–1) rejects the whole file; default 0.2.
    #[serde(default)]
    pub max_bad_row_ratio: Option<f64>,
}

/// A unit conversion for a numeric field.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitConversion {
    /// Prices given in cents (minor units) rather than in the currency's major unit.
    MinorUnits,
    /// Multiply the value by this factor (e.g. 1000 for kilograms → grams, 0.01 for
    /// centimetres → metres).
    Multiply(f64),
}

/// Checks a profile name: 1 to 64 lowercase letters, digits and `-`, so it can be a folder of
/// a blob path (`ingest/{tenant}/{kind}/{profile}/…`). `Err` says what is wrong.
pub fn check_profile_name(name: &str) -> Result<(), String> {
    let valid = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "a mapping profile name is 1 to 64 lowercase letters, digits and `-`, not `{name}`"
        ))
    }
}

/// The share of bad rows above which a file is rejected whole, unless a profile says otherwise.
pub const DEFAULT_MAX_BAD_ROW_RATIO: f64 = 0.2;
