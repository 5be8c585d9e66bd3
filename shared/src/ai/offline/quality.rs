//! The quality score: 100 minus the points of every gap found, each with a reason a merchant
//! can act on.
//!
//! Reasons that exclude each other (title missing / too short / too long; description missing
//! / too short; attributes missing / incomplete) never add up, so the worst product loses
//! exactly 100 points:
//! title missing 25 + description missing 15 + brand 10 + category 10 + image 15 + GTIN 8 +
//! price 12 + attributes missing 5.
//!
//! Attribute completeness follows the category's template (see `templates`): a product that
//! names some attributes but not all its category expects loses fewer points (3) than one that
//! names none (5), and `improve` lists what to add. A category that expects nothing (a face
//! cream has no colour to name) costs nothing. The grade reads the score like Akeneo's
//! data quality index: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else E.

use super::{Quality, QualityReason};

/// Shortest title that can say what the product is and one thing about it.
pub const MIN_TITLE_CHARS: usize = 15;
/// Longest title before marketplaces truncate it.
pub const MAX_TITLE_CHARS: usize = 150;
/// Shortest useful description.
pub const MIN_DESCRIPTION_CHARS: usize = 50;

/// One row of the weights table: a stable reason code, the points it costs, and the advice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weight {
    /// Stable snake_case identifier.
    pub code: &'static str,
    /// Points lost.
    pub points: u8,
    /// What to improve, addressed to the merchant.
    pub message: &'static str,
}

const fn weight(code: &'static str, points: u8, message: &'static str) -> Weight {
    Weight {
        code,
        points,
        message,
    }
}

/// Every reason the score can lose points for, in the order reasons are reported.
pub const WEIGHTS: &[Weight] = &[
    weight(
        "title_missing",
        25,
        "Add a product title: it is the first thing buyers and search engines read.",
    ),
    weight(
        "title_too_short",
        15,
        "Lengthen the title to at least 15 characters: say what the product is and its key \
         feature, such as brand, material or size.",
    ),
    weight(
        "title_too_long",
        10,
        "Shorten the title to 150 characters or fewer: marketplaces cut off longer titles.",
    ),
    weight(
        "title_shouting",
        5,
        "Write the title in normal case instead of capitals: all-caps titles look like spam \
         and some marketplaces reject them.",
    ),
    weight(
        "description_missing",
        15,
        "Add a description of at least 50 characters: buyers and search engines read it.",
    ),
    weight(
        "description_too_short",
        8,
        "Expand the description to at least 50 characters: buyers and search engines read it.",
    ),
    weight(
        "brand_missing",
        10,
        "Add the brand: buyers filter by it and marketplaces often require it.",
    ),
    weight(
        "category_missing",
        10,
        "Add a category: it decides where the product is listed and which filters apply.",
    ),
    weight(
        "image_missing",
        15,
        "Add at least one product image: listings without one are rarely shown or bought.",
    ),
    weight(
        "gtin_missing",
        8,
        "Add the GTIN (the barcode number: EAN, UPC or ISBN): marketplaces use it to match \
         and show the product.",
    ),
    weight(
        "price_missing",
        12,
        "Add a price: a product without one cannot be offered for sale.",
    ),
    weight(
        "attributes_missing",
        5,
        "Name the attributes this category expects, such as colour, size or material (listed \
         under what to improve), in the title or description, so buyers can filter by them.",
    ),
    weight(
        "attributes_incomplete",
        3,
        "Name the rest of the attributes this category expects (listed under what to improve) \
         in the title or description, so buyers can filter by them.",
    ),
];

/// Lowest score for each grade, best first; below the last is "E".
pub const GRADES: &[(u8, &str)] = &[(90, "A"), (80, "B"), (70, "C"), (60, "D")];

/// What the score is computed from, all already cleaned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Characters in the cleaned title.
    pub title_chars: usize,
    /// Whether the title was written in capitals.
    pub title_shouting: bool,
    /// Characters in the cleaned description, if there is one.
    pub description_chars: Option<usize>,
    /// A non-blank brand was given.
    pub has_brand: bool,
    /// A partner category was given or a confident guess made.
    pub has_category: bool,
    /// At least one image.
    pub has_image: bool,
    /// A GTIN.
    pub has_gtin: bool,
    /// A price.
    pub has_price: bool,
    /// At least one attribute was found.
    pub has_attributes: bool,
    /// Attribute handles the category template expects but the product lacks.
    pub improve: Vec<String>,
}

/// Scores `facts`: every reason that applies, in table order, and 100 minus their points.
pub fn assess(facts: &Facts) -> Quality {
    let applies = |code: &str| match code {
        "title_missing" => facts.title_chars == 0,
        "title_too_short" => (1..MIN_TITLE_CHARS).contains(&facts.title_chars),
        "title_too_long" => facts.title_chars > MAX_TITLE_CHARS,
        "title_shouting" => facts.title_shouting,
        "description_missing" => facts.description_chars.is_none(),
        "description_too_short" => facts
            .description_chars
            .is_some_and(|n| n < MIN_DESCRIPTION_CHARS),
        "brand_missing" => !facts.has_brand,
        "category_missing" => !facts.has_category,
        "image_missing" => !facts.has_image,
        "gtin_missing" => !facts.has_gtin,
        "price_missing" => !facts.has_price,
        "attributes_missing" => !facts.has_attributes && !facts.improve.is_empty(),
        "attributes_incomplete" => facts.has_attributes && !facts.improve.is_empty(),
        _ => false,
    };
    let reasons: Vec<QualityReason> = WEIGHTS
        .iter()
        .filter(|w| applies(w.code))
        .map(|w| QualityReason {
            code: w.code.to_string(),
            points: w.points,
            message: w.message.to_string(),
        })
        .collect();
    let lost: u32 = reasons.iter().map(|r| u32::from(r.points)).sum();
    let score = u8::try_from(100u32.saturating_sub(lost)).unwrap_or(0);
    Quality {
        score,
        grade: grade(score).to_string(),
        reasons,
        improve: facts.improve.clone(),
    }
}

/// The letter grade for `score`.
pub fn grade(score: u8) -> &'static str {
    GRADES
        .iter()
        .find(|(min, _)| score >= *min)
        .map_or("E", |(_, g)| g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> Facts {
        Facts {
            title_chars: 40,
            title_shouting: false,
            description_chars: Some(200),
            has_brand: true,
            has_category: true,
            has_image: true,
            has_gtin: true,
            has_price: true,
            has_attributes: true,
            improve: vec![],
        }
    }

    fn codes(quality: &Quality) -> Vec<&str> {
        quality.reasons.iter().map(|r| r.code.as_str()).collect()
    }

    #[test]
    fn a_complete_product_scores_100_with_no_reasons() {
        assert_eq!(
            assess(&complete()),
            Quality {
                score: 100,
                grade: "A".into(),
                reasons: vec![],
                improve: vec![]
            }
        );
    }

    #[test]
    fn a_product_with_nothing_scores_0_and_every_exclusive_gap_is_named_once() {
        let quality = assess(&Facts {
            improve: vec!["color".into()],
            ..Facts::default()
        });
        assert_eq!(quality.score, 0);
        assert_eq!(quality.grade, "E");
        assert_eq!(quality.improve, ["color"]);
        assert_eq!(
            codes(&quality),
            [
                "title_missing",
                "description_missing",
                "brand_missing",
                "category_missing",
                "image_missing",
                "gtin_missing",
                "price_missing",
                "attributes_missing"
            ]
        );
    }

    #[test]
    fn short_shouted_titles_and_short_descriptions_lose_their_points() {
        let facts = Facts {
            title_chars: 9,
            title_shouting: true,
            description_chars: Some(49),
            ..complete()
        };
        let quality = assess(&facts);
        assert_eq!(
            codes(&quality),
            ["title_too_short", "title_shouting", "description_too_short"]
        );
        assert_eq!(quality.score, 100 - 15 - 5 - 8);
    }

    #[test]
    fn some_but_not_all_expected_attributes_lose_fewer_points_than_none() {
        let incomplete = assess(&Facts {
            improve: vec!["size".into(), "target_gender".into()],
            ..complete()
        });
        assert_eq!(codes(&incomplete), ["attributes_incomplete"]);
        assert_eq!(incomplete.score, 97);
        assert_eq!(incomplete.improve, ["size", "target_gender"]);
        let none = assess(&Facts {
            has_attributes: false,
            improve: vec!["color".into()],
            ..complete()
        });
        assert_eq!(codes(&none), ["attributes_missing"]);
        assert_eq!(none.score, 95);
        let nothing_expected = assess(&Facts {
            has_attributes: false,
            ..complete()
        });
        assert_eq!(nothing_expected.score, 100);
    }

    #[test]
    fn grades_follow_the_score_thresholds() {
        let grades: Vec<&str> = [100, 90, 89, 80, 79, 70, 69, 60, 59, 0]
            .into_iter()
            .map(grade)
            .collect();
        assert_eq!(grades, ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E"]);
    }

    #[test]
    fn boundaries_are_inclusive_of_the_limits() {
        let at_limits = Facts {
            title_chars: MAX_TITLE_CHARS,
            description_chars: Some(MIN_DESCRIPTION_CHARS),
            ..complete()
        };
        assert_eq!(assess(&at_limits).score, 100);
        let minimal = Facts {
            title_chars: MIN_TITLE_CHARS,
            ..complete()
        };
        assert_eq!(assess(&minimal).score, 100);
        let too_long = Facts {
            title_chars: MAX_TITLE_CHARS + 1,
            ..complete()
        };
        assert_eq!(codes(&assess(&too_long)), ["title_too_long"]);
    }

    #[test]
    fn the_worst_case_loses_exactly_100_points_and_codes_are_unique_snake_case() {
        let worst: u32 = WEIGHTS
            .iter()
            .filter(|w| {
                !matches!(
                    w.code,
                    "title_too_short" | "title_too_long" | "title_shouting"
                )
            })
            .filter(|w| !matches!(w.code, "description_too_short" | "attributes_incomplete"))
            .map(|w| u32::from(w.points))
            .sum();
        assert_eq!(worst, 100);
        let mut seen: Vec<&str> = WEIGHTS.iter().map(|w| w.code).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), WEIGHTS.len());
        assert!(WEIGHTS.iter().all(|w| {
            w.code.chars().all(|c| c.is_ascii_lowercase() || c == '_') && w.message.ends_with('.')
        }));
    }
}
