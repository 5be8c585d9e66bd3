//! The one enrichment schema: what both engines produce and what is stored, and the JSON schema
//! the model is held to (structured outputs, strict). Its answer is checked again on return
//! ([`check_answer`], in `schema_answer.rs`), and a person's edits are laid over it
//! ([`apply_edits`], in `schema_edits.rs`).

use serde::{Deserialize, Serialize};

use super::offline::Measure;

/// Longest clean title.
pub const MAX_TITLE_CHARS: usize = 150;
/// Longest SEO title.
pub const MAX_SEO_TITLE_CHARS: usize = 60;
/// Longest meta description.
pub const MAX_META_DESCRIPTION_CHARS: usize = 155;
/// Most tags kept.
pub const MAX_TAGS: usize = 10;
/// The attributes an enrichment may name (Shopify taxonomy attribute handles).
pub const ATTRIBUTE_NAMES: [&str; 6] = [
    "color",
    "size",
    "material",
    "pattern",
    "target_gender",
    "age_group",
];
/// The fields of an [`EnrichmentOutput`] a person may edit by hand. An edited field is locked:
/// every later enrichment keeps the person's value (see [`check_edit`] and [`apply_edits`]).
pub const EDITABLE_FIELDS: [&str; 7] = [
    "title",
    "description_html",
    "seo_title",
    "meta_description",
    "tags",
    "category",
    "attributes",
];
/// The flags an enrichment may raise.
pub const FLAG_CODES: [&str; 3] = ["missing_image", "missing_gtin", "price_looks_wrong"];

/// An enrichment's content, as stored and shown, whichever engine made it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EnrichmentOutput {
    /// The clean title (≤ 150 chars).
    pub title: String,
    /// The description as HTML-safe markup (p, ul, ol, li, strong, em, br only).
    pub description_html: Option<String>,
    /// A taxonomy category, when one is known with some confidence.
    pub category: Option<CategoryChoice>,
    /// Attributes, each with the product text it came from.
    pub attributes: Vec<AttributeValue>,
    /// Quantities with units found in the product text (rules, both engines).
    pub units: Vec<Measure>,
    /// Search tags.
    pub tags: Vec<String>,
    /// SEO title (≤ 60 chars).
    pub seo_title: String,
    /// Meta description (≤ 155 chars).
    pub meta_description: Option<String>,
    /// How good the listing is.
    pub quality: QualityScore,
    /// Problems a merchant should look at.
    pub flags: Vec<Flag>,
    /// What the checks changed in the engine's answer (dropped attributes, categories outside
    /// the taxonomy); empty when it passed untouched.
    pub checks: Vec<String>,
    /// The fields a person edited and locked, in [`EDITABLE_FIELDS`] order: they hold the
    /// person's values, not the engine's. Absent from payloads stored before edits existed.
    #[serde(default)]
    pub locked: Vec<String>,
}

/// A category of the shipped taxonomy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryChoice {
    /// The taxonomy's id, e.g. `gid://shopify/TaxonomyCategory/aa-1-13-8`.
    pub id: String,
    /// Its full path.
    pub path: String,
    /// 0 to 1.
    pub confidence: f64,
}

/// One attribute and its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeValue {
    /// One of [`ATTRIBUTE_NAMES`].
    pub name: String,
    /// The value.
    pub value: String,
    /// The product text it came from, verbatim.
    pub source: String,
}

/// A quality score with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityScore {
    /// 0 to 100.
    pub score: u8,
    /// A (≥ 90), B (≥ 80), C (≥ 70), D (≥ 60) or E, as Akeneo grades.
    pub grade: String,
    /// Why points were lost.
    pub reasons: Vec<QualityReason>,
    /// Attributes the product's category expects and it lacks.
    pub improve: Vec<String>,
}

/// One reason a score lost points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReason {
    /// Stable snake_case code.
    pub code: String,
    /// Advice for the merchant.
    pub message: String,
    /// Points lost, when the engine counts them.
    pub points: Option<u8>,
}

/// A problem to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// One of [`FLAG_CODES`].
    pub code: String,
    /// Why.
    pub reason: String,
}

/// The grade for `score`, with Akeneo's thresholds.
pub fn grade(score: u8) -> String {
    match score {
        90.. => "A",
        80..=89 => "B",
        70..=79 => "C",
        60..=69 => "D",
        _ => "E",
    }
    .to_owned()
}

/// The JSON schema the model answers in. Strict mode wants every property required, no
/// additional properties, and optional values as a `null` type; length limits are stated in
/// the descriptions and enforced by [`check_answer`].
pub fn answer_schema() -> serde_json::Value {
    use serde_json::json;
    let object = |properties: serde_json::Value| {
        let required: Vec<&String> = properties
            .as_object()
            .map(|p| p.keys().collect())
            .unwrap_or_default();
        json!({"type": "object", "additionalProperties": false,
               "required": required, "properties": properties})
    };
    let text = |description: &str| json!({"type": "string", "description": description});
    let nullable_text =
        |description: &str| json!({"type": ["string", "null"], "description": description});
    let mut category = object(json!({
        "path": text("Full taxonomy path, levels separated by \" > \""),
        "confidence": {"type": "number", "description": "0 to 1"},
    }));
    category["type"] = json!(["object", "null"]);
    object(json!({
        "title": text("Clean title, at most 150 characters"),
        "description_html": nullable_text("HTML using only p, ul, li, strong, em"),
        "category": category,
        "attributes": {"type": "array", "items": object(json!({
            "name": {"type": "string", "enum": ATTRIBUTE_NAMES},
            "value": text("The attribute's value"),
            "source": text("The exact product text it comes from"),
        }))},
        "tags": {"type": "array", "items": {"type": "string"}},
        "seo_title": text("At most 60 characters"),
        "meta_description": nullable_text("At most 155 characters"),
        "quality": object(json!({
            "score": {"type": "integer", "description": "0 to 100"},
            "reasons": {"type": "array", "items": object(json!({
                "code": text("snake_case"),
                "message": text("Advice for the merchant"),
            }))},
        })),
        "flags": {"type": "array", "items": object(json!({
            "code": {"type": "string", "enum": FLAG_CODES},
            "reason": text("Why"),
        }))},
    }))
}

#[path = "schema_answer.rs"]
mod answer;
pub use answer::{ProductFacts, check_answer, fact_flags};
use answer::{clean_tags, within};

#[path = "schema_edits.rs"]
mod edits;
pub use edits::{EDITED_SOURCE, apply_edits, check_edit, edited_payload};

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
