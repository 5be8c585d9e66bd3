//! The product columns both adapters store as JSON text: NULL when empty, so a product without
//! variants or extra columns reads back as it was written.

use super::StoreError;

/// A product's options and attributes as stored: JSON text, NULL when there are none.
pub(crate) fn product_json(
    p: &crate::domain::ProductContent,
) -> Result<(Option<String>, Option<String>), StoreError> {
    let json = |value: serde_json::Result<String>| {
        value.map_err(|e| StoreError::Database(format!("product options: {e}")))
    };
    let options = match p.options.is_empty() {
        true => None,
        false => Some(json(serde_json::to_string(&p.options))?),
    };
    let attributes = match p.attributes.is_empty() {
        true => None,
        false => Some(json(serde_json::to_string(&p.attributes))?),
    };
    Ok((options, attributes))
}

/// A JSON column that is NULL when empty.
pub(crate) fn from_json<T: serde::de::DeserializeOwned + Default>(
    text: Option<&str>,
    what: &str,
) -> Result<T, StoreError> {
    text.map(|t| serde_json::from_str(t).map_err(|e| StoreError::Corrupt(format!("{what}: {e}"))))
        .transpose()
        .map(Option::unwrap_or_default)
}

/// A nullable JSON column without an empty value of its own (a video's analysis): NULL is
/// `None`, and text that does not read as `T` means the row is corrupt.
pub(crate) fn optional_json<T: serde::de::DeserializeOwned>(
    text: Option<&str>,
    what: &str,
) -> Result<Option<T>, StoreError> {
    text.map(|t| serde_json::from_str(t).map_err(|e| StoreError::Corrupt(format!("{what}: {e}"))))
        .transpose()
}

/// A value stored as JSON text (the sync engine's targets, progress and problem details).
pub(crate) fn json_text<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Database(e.to_string()))
}

/// A unit-variant enum stored as its serde name (`schedule`, `running`, `open`, …), the same
/// text the API shows.
pub(crate) fn enum_text<T: serde::Serialize>(value: T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The enum [`enum_text`] stored; an unknown name means the row is corrupt.
pub(crate) fn parse_enum<T: serde::de::DeserializeOwned>(
    table: &str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StoreError::Corrupt(format!("{table}: unknown value `{text}`")))
}
