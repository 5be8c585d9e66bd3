//! Enrichment fields a person edited by hand. An edited field is locked: every later
//! enrichment of the product keeps the person's value for it, until the person unlocks it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The enrichment fields a person set by hand for one product, locked against enrichment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EnrichmentEdits {
    /// Field → the person's value, in the enrichment's own shape (checked on the way in).
    pub fields: Map<String, Value>,
    /// When a person last edited or unlocked them.
    pub edited_at: DateTime<Utc>,
}

impl EnrichmentEdits {
    /// `stored` (the locked fields so far, if any) with `fields` set over it and the `unlock`
    /// ones removed, edited at `at`. Both stores decide with this, inside the transaction that
    /// writes, so two edits at once never lose one another's fields.
    pub fn merged(
        stored: Option<Map<String, Value>>,
        fields: &Map<String, Value>,
        unlock: &[String],
        at: DateTime<Utc>,
    ) -> Self {
        let mut merged = stored.unwrap_or_default();
        for (field, value) in fields {
            merged.insert(field.clone(), value.clone());
        }
        for field in unlock {
            merged.remove(field);
        }
        Self {
            fields: merged,
            edited_at: at,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn an_edit_sets_over_what_is_locked_and_unlocking_removes_a_field() {
        let at = Utc::now();
        let stored = map(json!({"title": "Old", "tags": ["a"]}));
        let edits = EnrichmentEdits::merged(
            Some(stored),
            &map(json!({"title": "New", "seo_title": "Seo"})),
            &["tags".to_owned(), "never_locked".to_owned()],
            at,
        );
        assert_eq!(
            Value::Object(edits.fields),
            json!({"title": "New", "seo_title": "Seo"})
        );
        assert_eq!(edits.edited_at, at);
    }
}
