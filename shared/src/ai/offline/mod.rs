//! The offline enrichment engine: what honest rules can do when no AI provider is configured.
//!
//! It NFKC-normalises and cleans whitespace and casing (protecting sizes, units and acronyms),
//! reports the color, size, material, pattern, target gender and age group it can find in
//! dictionaries and the measurements it can read ("500ml"), guesses a category only when a
//! rule is confident, cuts an SEO title and meta description from the merchant's own text, and
//! scores completeness 0–100 with a grade, the reasons and the attributes the category expects.
//! It writes no copy of its own: when unsure it leaves a field empty rather than guess. Same
//! input, same output.

mod attributes;
mod casing;
mod category;
mod clean;
mod context;
mod descriptors;
mod dictionaries;
pub(crate) mod html;
mod quality;
mod seo;
mod sizes;
mod taxonomy;
mod templates;
mod units;
mod words;

/// The SEO length limits and the tag cap.
pub use html::visible_text;
/// The quality weights table, its thresholds and grades, for callers that explain the score.
pub use quality::{
    GRADES, MAX_TITLE_CHARS, MIN_DESCRIPTION_CHARS, MIN_TITLE_CHARS, WEIGHTS, Weight,
};
pub use seo::{MAX_META_DESCRIPTION_CHARS, MAX_SEO_TITLE_CHARS, MAX_TAGS};
/// The attributes each taxonomy vertical expects, for callers that explain `improve`.
pub use templates::{DEFAULT as DEFAULT_TEMPLATE, TEMPLATES};

/// What the engine reads from a product (the merchant's originals, untouched).
#[derive(Debug, Clone, Default)]
pub struct EnrichInput {
    /// The merchant's title.
    pub title: String,
    /// The merchant's description, plain text or HTML.
    pub description: Option<String>,
    /// The brand, if known.
    pub brand: Option<String>,
    /// The partner's own category text, if any (kept, and used as a hint for the category rules).
    pub category: Option<String>,
    /// Whether the product has a price.
    pub has_price: bool,
    /// Whether the product has a GTIN (EAN, UPC, ISBN).
    pub has_gtin: bool,
    /// Whether the product has at least one image.
    pub has_image: bool,
}

/// What the offline engine found and suggests for one product.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OfflineEnrichment {
    /// The cleaned title.
    pub title: String,
    /// The cleaned description: whitespace tidied, HTML tags stripped to text with paragraph
    /// breaks kept as "\n\n", entities (&amp; &lt; &gt; &quot; &#39; &nbsp; ...) decoded.
    pub description: Option<String>,
    /// Attributes found in the title or description.
    pub attributes: Vec<Attribute>,
    /// Measurements ("500ml", "1,5 l") found in the title or description, each once.
    pub units: Vec<Measure>,
    /// A category, only when a rule is confident.
    pub category: Option<CategoryGuess>,
    /// The distinct attribute values and the category's leaf name, lower-case, at most 10.
    pub tags: Vec<String>,
    /// The cleaned title cut to 60 characters at a word boundary ("" without a title).
    pub seo_title: String,
    /// The cleaned description on one line, cut to 155 characters at a word boundary and
    /// ending with "…" when cut; `None` without a description.
    pub meta_description: Option<String>,
    /// How complete the product data is.
    pub quality: Quality,
}

/// A measurement found in the product's own text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Measure {
    /// The number, decimal comma read as a point ("1,5 l" is 1.5).
    pub value: f64,
    /// The canonical unit, lower-case: "ml", "l", "g", "kg", "oz", "lb", "cm", "mm", "m",
    /// "in", "w", "v", "mah", ...
    pub unit: String,
    /// The exact text it was found in, e.g. "1.5 L".
    pub source: String,
}

/// An attribute found in the product's own text.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Attribute {
    /// The Shopify taxonomy attribute handle: "color", "size", "material", "pattern",
    /// "target_gender" or "age_group".
    pub name: String,
    /// The canonical value, e.g. "navy blue", "XL", "merino wool".
    pub value: String,
    /// The exact text it was found in, as it appears in the title or in the description's
    /// visible text (tags removed, entities decoded, NFKC-normalised), e.g. "NAVY-BLUE" or
    /// "Size: M".
    pub source: String,
}

/// A category chosen by the rule table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CategoryGuess {
    /// Taxonomy path, e.g. "Apparel & Accessories > Clothing > Clothing Tops".
    pub path: String,
    /// The path's full Shopify taxonomy id, e.g. "gid://shopify/TaxonomyCategory/aa-1-13"
    /// (empty in enrichments stored before ids were recorded).
    #[serde(default)]
    pub id: String,
    /// How sure the rules are, 0.7 to 0.95 (never 1.0), rounded to two decimals.
    pub confidence: f64,
    /// Which keyword(s) decided it, e.g. `title head noun "t-shirt" + partner category "tee"`.
    pub rule: String,
}

/// A completeness score with the reasons for every point lost.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Quality {
    /// 0 to 100.
    pub score: u8,
    /// "A" (90 and up), "B" (80), "C" (70), "D" (60) or "E".
    pub grade: String,
    /// Every gap found, in a fixed order.
    pub reasons: Vec<QualityReason>,
    /// Attribute handles the category expects but the product does not name, e.g. "size".
    pub improve: Vec<String>,
}

/// One reason the quality score lost points.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QualityReason {
    /// Stable snake_case id, e.g. "title_too_short".
    pub code: String,
    /// Points lost.
    pub points: u8,
    /// What to improve, for a merchant.
    pub message: String,
}

/// Runs the offline engine on one product.
pub fn enrich(input: &EnrichInput) -> OfflineEnrichment {
    let raw_title = clean::nfkc(&input.title);
    let brand_text = input.brand.as_deref().map(clean::nfkc);
    let brand = non_blank(brand_text.as_deref());
    let partner_category = non_blank(input.category.as_deref());
    let title = clean::clean_title(&raw_title, brand);
    let description = input
        .description
        .as_deref()
        .and_then(clean::clean_description);
    // Attributes are matched in the merchant's own words so `source` is what they wrote.
    let visible_description = input.description.as_deref().map(clean::visible);
    let attributes = attributes::extract(&raw_title, visible_description.as_deref(), brand);
    let units =
        units::extract(std::iter::once(raw_title.as_str()).chain(visible_description.as_deref()));
    let category = category::guess(&title.text, description.as_deref(), partner_category);
    let category_path = category.as_ref().map(|c| c.path.as_str());
    let quality = quality::assess(&quality::Facts {
        title_chars: title.text.chars().count(),
        title_shouting: title.was_shouting,
        description_chars: description.as_deref().map(|d| d.chars().count()),
        has_brand: brand.is_some(),
        has_category: partner_category.is_some() || category.is_some(),
        has_image: input.has_image,
        has_gtin: input.has_gtin,
        has_price: input.has_price,
        has_attributes: !attributes.is_empty(),
        improve: templates::improve(category_path, &attributes),
    });
    OfflineEnrichment {
        tags: seo::tags(&attributes, category_path),
        seo_title: seo::seo_title(&title.text),
        meta_description: seo::meta_description(description.as_deref()),
        title: title.text,
        description,
        attributes,
        units,
        category,
        quality,
    }
}

fn non_blank(text: Option<&str>) -> Option<&str> {
    text.map(str::trim).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> EnrichInput {
        EnrichInput {
            title: "ACME MEN'S ORGANIC COTTON T-SHIRT - NAVY BLUE, XL".into(),
            description: Some(
                "<p>A soft, breathable tee made from 100% organic cotton.</p>\
                 <ul><li>Machine wash at 30&deg;C</li><li>Fits true to size</li></ul>"
                    .into(),
            ),
            brand: Some("Acme".into()),
            category: Some("Menswear > T-Shirts".into()),
            has_price: true,
            has_gtin: true,
            has_image: true,
        }
    }

    fn codes(quality: &Quality) -> Vec<&str> {
        quality.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn a_complete_product_is_cleaned_enriched_and_only_loses_points_for_shouting() {
        let out = enrich(&complete());
        assert_eq!(
            out.title,
            "Acme Men's Organic Cotton T-Shirt - Navy Blue, XL"
        );
        assert_eq!(
            out.description.as_deref(),
            Some(
                "A soft, breathable tee made from 100% organic cotton.\n\n\
                 Machine wash at 30°C\nFits true to size"
            )
        );
        let attributes: Vec<(&str, &str, &str)> = out
            .attributes
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str(), a.source.as_str()))
            .collect();
        assert_eq!(
            attributes,
            [
                ("color", "navy blue", "NAVY BLUE"),
                ("size", "XL", "XL"),
                ("material", "organic cotton", "ORGANIC COTTON"),
                ("target_gender", "male", "MEN'S")
            ]
        );
        let category = out
            .category
            .as_ref()
            .map(|c| (c.path.as_str(), c.id.as_str(), c.confidence));
        assert_eq!(
            category,
            Some((
                "Apparel & Accessories > Clothing > Clothing Tops > T-Shirts",
                "gid://shopify/TaxonomyCategory/aa-1-13-8",
                0.91
            ))
        );
        assert!(out.units.is_empty(), "30°C is not a measure");
        assert_eq!(out.seo_title, out.title);
        assert_eq!(
            out.meta_description.as_deref(),
            Some(
                "A soft, breathable tee made from 100% organic cotton. Machine wash at 30°C \
                 Fits true to size"
            )
        );
        assert_eq!(out.tags[..4], ["navy blue", "xl", "organic cotton", "male"]);
        assert_eq!(out.tags.len(), 5, "four values and the category leaf");
        assert_eq!(codes(&out.quality), ["title_shouting"]);
        assert_eq!(out.quality.score, 95);
        assert_eq!(out.quality.grade, "A");
        assert!(out.quality.improve.is_empty());
    }

    /// The first segment of the category path, the only part tests rely on.
    fn vertical(out: &OfflineEnrichment) -> Option<&str> {
        out.category
            .as_ref()
            .and_then(|c| c.path.split(" > ").next())
    }

    #[test]
    fn a_product_missing_what_its_category_expects_is_told_what_to_improve() {
        let out = enrich(&EnrichInput {
            title: "Organic Cotton T-Shirt".into(),
            ..complete()
        });
        assert_eq!(vertical(&out), Some("Apparel & Accessories"));
        assert_eq!(out.quality.improve, ["color", "size", "target_gender"]);
        assert_eq!(codes(&out.quality), ["attributes_incomplete"]);
        assert_eq!(out.quality.score, 97);
    }

    #[test]
    fn a_category_that_expects_no_attributes_costs_nothing_for_having_none() {
        let out = enrich(&EnrichInput {
            title: "Hydrating Face Cream 50ml".into(),
            description: None,
            category: Some("Beauty".into()),
            ..complete()
        });
        assert_eq!(vertical(&out), Some("Health & Beauty"));
        assert!(out.attributes.is_empty());
        assert!(out.quality.improve.is_empty());
        assert!(
            !codes(&out.quality)
                .iter()
                .any(|c| c.starts_with("attributes"))
        );
        assert_eq!(
            (out.units[0].value, out.units[0].unit.as_str()),
            (50.0, "ml")
        );
    }

    #[test]
    fn full_width_text_is_normalised_before_cleaning_and_matching() {
        let out = enrich(&EnrichInput {
            title: "Ｓｔｅｅｌ Ｂｏｔｔｌｅ ５００ｍｌ - Ｒｅｄ".into(),
            brand: Some("Ａｃｍｅ".into()),
            ..EnrichInput::default()
        });
        assert_eq!(out.title, "Steel Bottle 500ml - Red");
        let names: Vec<&str> = out.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["color", "material"]);
        assert_eq!(out.units.len(), 1);
        assert_eq!(
            (out.units[0].value, out.units[0].unit.as_str()),
            (500.0, "ml")
        );
        // A category leaf may follow, depending on the rule table.
        assert_eq!(out.tags[..2], ["red", "steel"]);
        assert!(!codes(&out.quality).contains(&"brand_missing"));
    }

    #[test]
    fn a_bare_product_gets_every_reason_and_no_invented_data() {
        let out = enrich(&EnrichInput {
            title: "  widget ".into(),
            ..EnrichInput::default()
        });
        assert_eq!(out.title, "Widget");
        assert_eq!(out.description, None);
        assert!(out.attributes.is_empty());
        assert!(out.units.is_empty() && out.tags.is_empty());
        assert_eq!(out.seo_title, "Widget");
        assert_eq!(out.meta_description, None);
        assert_eq!(out.category, None);
        assert_eq!(out.quality.improve, ["color"]);
        assert_eq!(out.quality.grade, "E");
        assert_eq!(
            codes(&out.quality),
            [
                "title_too_short",
                "description_missing",
                "brand_missing",
                "category_missing",
                "image_missing",
                "gtin_missing",
                "price_missing",
                "attributes_missing"
            ]
        );
        assert_eq!(out.quality.score, 100 - 15 - 15 - 10 - 10 - 15 - 8 - 12 - 5);
    }

    #[test]
    fn an_empty_title_and_blank_fields_score_zero() {
        let out = enrich(&EnrichInput {
            title: " \u{a0}\t".into(),
            description: Some("<p>&nbsp;</p>".into()),
            brand: Some("  ".into()),
            category: Some("".into()),
            ..EnrichInput::default()
        });
        assert_eq!(out.title, "");
        assert_eq!(out.seo_title, "");
        assert_eq!(out.description, None);
        assert_eq!(out.meta_description, None);
        assert_eq!(out.quality.score, 0);
        assert_eq!(codes(&out.quality)[0], "title_missing");
    }

    #[test]
    fn the_partner_category_counts_as_a_category_even_without_a_guess() {
        let out = enrich(&EnrichInput {
            title: "Essentials Gift Box No. 5".into(),
            category: Some("Gifts".into()),
            ..EnrichInput::default()
        });
        assert_eq!(out.category, None);
        assert!(!codes(&out.quality).contains(&"category_missing"));
    }

    #[test]
    fn the_same_input_always_gives_the_same_output() {
        let first = enrich(&complete());
        for _ in 0..3 {
            assert_eq!(enrich(&complete()), first);
        }
    }

    #[test]
    fn the_result_round_trips_through_json_with_stable_field_names() -> Result<(), serde_json::Error>
    {
        let out = enrich(&complete());
        let json = serde_json::to_value(&out)?;
        assert_eq!(json["quality"]["reasons"][0]["code"], "title_shouting");
        assert_eq!(json["attributes"][0]["name"], "color");
        assert_eq!(json["quality"]["grade"], "A");
        assert_eq!(json["seo_title"], out.title.as_str());
        assert!(json["units"].is_array() && json["tags"].is_array());
        assert!(json["quality"]["improve"].is_array());
        let back: OfflineEnrichment = serde_json::from_value(json)?;
        assert_eq!(back, out);
        Ok(())
    }
}
