//! Checking a model's answer on return: the schema again (every field, every limit), the
//! taxonomy, the attributes' sources in the product text, the HTML, and the flags that facts
//! settle. A schema violation rejects the whole answer; the rest is repaired and noted.

use serde::Deserialize;

use super::{
    ATTRIBUTE_NAMES, AttributeValue, CategoryChoice, EnrichmentOutput, Flag,
    MAX_META_DESCRIPTION_CHARS, MAX_SEO_TITLE_CHARS, MAX_TAGS, MAX_TITLE_CHARS, QualityReason,
    QualityScore, grade,
};
use crate::ai::offline::Measure;
use crate::ai::safe_html;
use crate::ai::taxonomy::taxonomy;

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

pub(super) fn within(field: &str, text: &str, max: usize) -> Result<(), String> {
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

pub(super) fn clean_tags(tags: Vec<String>) -> Vec<String> {
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
