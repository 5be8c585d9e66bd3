//! The one enrichment schema: what both engines produce and what is stored, the JSON schema
//! the model is held to (structured outputs, strict), and the checks its answer must pass
//! again on return. The model is never trusted blindly: a schema violation rejects the whole
//! answer; a category outside the taxonomy, or an attribute whose source text is not in the
//! product, is dropped and noted in `checks`; facts we know (image, GTIN) override its flags.

use serde::{Deserialize, Serialize};

use super::offline::Measure;
use super::safe_html;
use super::taxonomy::taxonomy;

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

/// The model's answer, exactly as the schema has it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answer {
    title: String,
    description_html: Option<String>,
    category: Option<AnswerCategory>,
    attributes: Vec<AnswerAttribute>,
    tags: Vec<String>,
    seo_title: String,
    meta_description: Option<String>,
    quality: AnswerQuality,
    flags: Vec<AnswerFlag>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerCategory {
    path: String,
    confidence: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerAttribute {
    name: String,
    value: String,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerQuality {
    score: i64,
    reasons: Vec<AnswerReason>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerReason {
    code: String,
    message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerFlag {
    code: String,
    reason: String,
}

/// What the checks know about the product, independent of the model.
#[derive(Debug, Clone)]
pub struct ProductFacts {
    /// Every piece of the product's own text (title, visible description, brand, partner
    /// category, options, extra fields), for finding an attribute's source.
    pub text: Vec<String>,
    /// Whether it has an image.
    pub has_image: bool,
    /// Whether it has a GTIN.
    pub has_gtin: bool,
    /// Quantities the rules found.
    pub units: Vec<Measure>,
    /// Attributes the product's category template expects and it lacks (rules).
    pub improve: Vec<String>,
}

/// Checks the model's `content` against the schema and the product: `Err` says why the whole
/// answer is rejected.
pub fn check_answer(content: &str, facts: &ProductFacts) -> Result<EnrichmentOutput, String> {
    let answer: Answer = serde_json::from_str(content)
        .map_err(|e| format!("the answer does not match the schema: {e}"))?;
    let mut checks = Vec::new();
    let title = answer.title.trim().to_owned();
    if title.is_empty() {
        return Err("the answer's title is empty".into());
    }
    within("title", &title, MAX_TITLE_CHARS)?;
    let seo_title = answer.seo_title.trim().to_owned();
    within("seo_title", &seo_title, MAX_SEO_TITLE_CHARS)?;
    let meta_description = answer.meta_description.map(|m| m.trim().to_owned());
    if let Some(meta) = &meta_description {
        within("meta_description", meta, MAX_META_DESCRIPTION_CHARS)?;
    }
    let score = u8::try_from(answer.quality.score)
        .ok()
        .filter(|s| *s <= 100)
        .ok_or_else(|| format!("quality score {} is outside 0–100", answer.quality.score))?;
    let category = match answer.category {
        None => None,
        Some(c) => check_category(c, &mut checks)?,
    };
    let attributes = check_attributes(answer.attributes, facts, &mut checks)?;
    Ok(EnrichmentOutput {
        title,
        description_html: answer
            .description_html
            .map(|d| safe_html::sanitize(&d))
            .filter(|d| !d.trim().is_empty()),
        category,
        attributes,
        units: facts.units.clone(),
        tags: clean_tags(answer.tags),
        seo_title,
        meta_description,
        quality: QualityScore {
            score,
            grade: grade(score),
            reasons: answer
                .quality
                .reasons
                .into_iter()
                .map(|r| QualityReason {
                    code: r.code,
                    message: r.message,
                    points: None,
                })
                .collect(),
            improve: facts.improve.clone(),
        },
        flags: check_flags(answer.flags, facts)?,
        checks,
        locked: Vec::new(),
    })
}

fn within(field: &str, text: &str, max: usize) -> Result<(), String> {
    let chars = text.chars().count();
    if chars > max {
        return Err(format!("{field} has {chars} characters, more than {max}"));
    }
    Ok(())
}

/// A path in the taxonomy is kept; a deeper path we do not ship is kept as its deepest known
/// ancestor, less confident; anything else is dropped.
fn check_category(
    answer: AnswerCategory,
    checks: &mut Vec<String>,
) -> Result<Option<CategoryChoice>, String> {
    if !(0.0..=1.0).contains(&answer.confidence) {
        return Err(format!(
            "category confidence {} is outside 0–1",
            answer.confidence
        ));
    }
    let Some((category, dropped)) = taxonomy().nearest(&answer.path) else {
        checks.push(format!(
            "category `{}` is not in the taxonomy: dropped",
            answer.path
        ));
        return Ok(None);
    };
    let mut confidence = answer.confidence;
    if dropped > 0 {
        checks.push(format!(
            "category `{}` is not in the taxonomy: kept its ancestor `{}`",
            answer.path, category.path
        ));
        confidence *= 0.8;
    }
    Ok(Some(CategoryChoice {
        id: category.id.to_owned(),
        path: category.path.to_owned(),
        confidence: (confidence * 100.0).round() / 100.0,
    }))
}

fn check_attributes(
    answer: Vec<AnswerAttribute>,
    facts: &ProductFacts,
    checks: &mut Vec<String>,
) -> Result<Vec<AttributeValue>, String> {
    let haystack: Vec<String> = facts.text.iter().map(|t| fold(t)).collect();
    let mut kept: Vec<AttributeValue> = Vec::new();
    for a in answer {
        if !ATTRIBUTE_NAMES.contains(&a.name.as_str()) {
            return Err(format!("attribute name `{}` is not in the schema", a.name));
        }
        let (value, source) = (a.value.trim(), a.source.trim());
        let needle = fold(source);
        if value.is_empty() || needle.is_empty() || !haystack.iter().any(|h| h.contains(&needle)) {
            checks.push(format!(
                "attribute {} = `{value}` dropped: its source `{source}` is not in the product",
                a.name
            ));
            continue;
        }
        if kept.iter().any(|k| k.name == a.name && k.value == value) {
            continue;
        }
        kept.push(AttributeValue {
            name: a.name,
            value: value.to_owned(),
            source: source.to_owned(),
        });
    }
    Ok(kept)
}

/// Lowercase with runs of whitespace as one space: a source matches however it was cased or
/// wrapped.
fn fold(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn clean_tags(tags: Vec<String>) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for tag in tags {
        let tag = fold(&tag);
        if !tag.is_empty() && tag.chars().count() <= 40 && !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    kept.truncate(MAX_TAGS);
    kept
}

/// The model judges the price; whether there is an image or a GTIN is a fact, not its call.
fn check_flags(answer: Vec<AnswerFlag>, facts: &ProductFacts) -> Result<Vec<Flag>, String> {
    let mut flags = fact_flags(facts.has_image, facts.has_gtin);
    for flag in answer {
        match flag.code.as_str() {
            "price_looks_wrong" if !flags.iter().any(|f| f.code == flag.code) => flags.push(Flag {
                code: flag.code,
                reason: flag.reason.trim().to_owned(),
            }),
            "price_looks_wrong" | "missing_image" | "missing_gtin" => {}
            other => return Err(format!("flag `{other}` is not in the schema")),
        }
    }
    Ok(flags)
}

/// The flags that follow from facts alone.
pub fn fact_flags(has_image: bool, has_gtin: bool) -> Vec<Flag> {
    let mut flags = Vec::new();
    if !has_image {
        flags.push(Flag {
            code: "missing_image".into(),
            reason: "The product has no image.".into(),
        });
    }
    if !has_gtin {
        flags.push(Flag {
            code: "missing_gtin".into(),
            reason: "The product has no GTIN (EAN, UPC or ISBN).".into(),
        });
    }
    flags
}

#[path = "schema_edits.rs"]
mod edits;
pub use edits::{EDITED_SOURCE, apply_edits, check_edit, edited_payload};

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
