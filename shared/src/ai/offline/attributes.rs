//! Colour, size, material, pattern, target gender and age group, found from dictionaries and
//! reported only when the text says so. Names are Shopify taxonomy attribute handles ("color",
//! "target_gender"); internal identifiers keep British spelling.
//!
//! Matching is case-insensitive on whole words, longest entry first ("navy blue" before
//! "navy", "stainless steel" before "steel"). The title is searched before the description,
//! and for each attribute the first acceptable match wins. A match is refused when:
//! - it is part of the brand ("Black Diamond" is not the colour black);
//! - the word needs context and has none (see [`Context`]): "Large Frying Pan" has no size,
//!   "Face Cream" no colour, but "Tee - M", "(L)", "Size: M" and "Colour: cream" do;
//! - a neighbouring word changes its meaning ("white wine", "leather-free", "faux suede" is
//!   its own entry, "imitation leather" is not leather);
//! - it is one item of a list of options ("in black, navy or grey"): the product is not one
//!   colour, so none is claimed.

use super::Attribute;
use super::context::{has_label, in_option_list, is_whole_segment};
use super::descriptors::{
    AGE_GROUPS, AGE_LABELS, AGE_NOT_BEFORE, GENDER_LABELS, GENDERS, PATTERN_LABELS,
    PATTERN_NOT_BEFORE, PATTERNS,
};
use super::dictionaries::{
    COLOUR_LABELS, COLOUR_NOT_BEFORE, COLOURS, Context, MATERIAL_LABELS, MATERIAL_NOT_AFTER,
    MATERIAL_NOT_BEFORE, MATERIALS, SIZE_LABELS, SIZES, Term,
};
use super::sizes;
use super::words::{self, FirstWordIndex, Inflection, Word};
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Colour = 0,
    Size = 1,
    Material = 2,
    Pattern = 3,
    Gender = 4,
    AgeGroup = 5,
}

impl Kind {
    /// Every kind, in the order attributes are reported.
    const ALL: [Kind; 6] = [
        Kind::Colour,
        Kind::Size,
        Kind::Material,
        Kind::Pattern,
        Kind::Gender,
        Kind::AgeGroup,
    ];

    /// The Shopify taxonomy attribute handle reported as the attribute's name.
    fn name(self) -> &'static str {
        match self {
            Kind::Colour => "color",
            Kind::Size => "size",
            Kind::Material => "material",
            Kind::Pattern => "pattern",
            Kind::Gender => "target_gender",
            Kind::AgeGroup => "age_group",
        }
    }

    fn terms(self) -> &'static [Term] {
        match self {
            Kind::Colour => COLOURS,
            Kind::Size => SIZES,
            Kind::Material => MATERIALS,
            Kind::Pattern => PATTERNS,
            Kind::Gender => GENDERS,
            Kind::AgeGroup => AGE_GROUPS,
        }
    }

    /// Words right after a match that change its meaning ("white wine", "baby blue").
    fn not_before(self) -> &'static [&'static str] {
        match self {
            Kind::Colour => COLOUR_NOT_BEFORE,
            Kind::Material => MATERIAL_NOT_BEFORE,
            Kind::Pattern => PATTERN_NOT_BEFORE,
            Kind::AgeGroup => AGE_NOT_BEFORE,
            Kind::Size | Kind::Gender => &[],
        }
    }

    /// Whether any joiner ("and", "/", "&") makes a list of options: "men and women" is not
    /// one gender, though "black and white" is one two-tone colour.
    pub(super) fn any_joiner_lists(self) -> bool {
        matches!(self, Kind::Gender | Kind::AgeGroup)
    }

    /// Words that label this kind of attribute ("Colour:", "Size").
    pub(super) fn labels(self) -> &'static [&'static str] {
        match self {
            Kind::Colour => COLOUR_LABELS,
            Kind::Size => SIZE_LABELS,
            Kind::Material => MATERIAL_LABELS,
            Kind::Pattern => PATTERN_LABELS,
            Kind::Gender => GENDER_LABELS,
            Kind::AgeGroup => AGE_LABELS,
        }
    }
}

/// A text prepared for matching: its words, and which of them belong to the brand.
pub(super) struct Scan<'t> {
    pub(super) text: &'t str,
    pub(super) words: Vec<Word>,
    /// Which words belong to the brand (never an attribute).
    pub(super) brand: Vec<bool>,
}

impl<'t> Scan<'t> {
    /// Splits `text` into words and marks the brand's.
    pub(super) fn new(text: &'t str, brand: Option<&str>) -> Self {
        let words = words::split_words(text);
        let brand = match brand {
            Some(b) => words::mask_phrase(text, &words, b),
            None => vec![false; words.len()],
        };
        Scan { text, words, brand }
    }

    /// The original text of words `from..to`.
    pub(super) fn source(&self, from: usize, to: usize) -> &'t str {
        &self.text[self.words[from].start..self.words[to - 1].end]
    }

    pub(super) fn gap_after(&self, i: usize) -> &'t str {
        words::gap_after(self.text, &self.words, i)
    }

    /// Whether words `i` and `i + 1` are joined by space or a bare hyphen only.
    pub(super) fn joined(&self, i: usize) -> bool {
        let gap = self.gap_after(i).trim();
        i + 1 < self.words.len() && (gap.is_empty() || gap == "-")
    }
}

/// Finds color, size, material, pattern, target gender and age group (in that order, each at
/// most once) in the merchant's title, then in the description's visible text. `source` is the
/// matched text as written.
pub fn extract(title: &str, description: Option<&str>, brand: Option<&str>) -> Vec<Attribute> {
    let scans: Vec<Scan> = std::iter::once(title)
        .chain(description)
        .map(|text| Scan::new(text, brand))
        .collect();
    Kind::ALL
        .into_iter()
        .filter_map(|kind| scans.iter().find_map(|scan| first_in(scan, kind)))
        .collect()
}

fn first_in(scan: &Scan, kind: Kind) -> Option<Attribute> {
    (0..scan.words.len()).find_map(|i| {
        let found = term_at(scan, i, kind);
        match kind {
            Kind::Size => found.or_else(|| sizes::labelled_size_at(scan, i)),
            _ => found,
        }
    })
}

/// Builds the public attribute record.
pub(super) fn attribute(kind: Kind, value: impl Into<String>, source: &str) -> Attribute {
    Attribute {
        name: kind.name().to_string(),
        value: value.into(),
        source: source.to_string(),
    }
}

/// The dictionaries, indexed once per process, in `Kind` order.
static INDEXES: LazyLock<[FirstWordIndex<&'static Term>; 6]> = LazyLock::new(|| {
    Kind::ALL.map(|kind| FirstWordIndex::new(kind.terms().iter().map(|t| (t.text, t))))
});

/// Terms of `kind` matching at word `i`, longest first, as (word count, term).
pub(super) fn terms_at(scan: &Scan, i: usize, kind: Kind) -> Vec<(usize, &'static Term)> {
    let index = &INDEXES[kind as usize];
    let mut found: Vec<(usize, &'static Term)> = index
        .matches_at(scan.text, &scan.words, i, Inflection::Exact)
        .into_iter()
        .map(|(n, _, term)| (n, term))
        .collect();
    // Stable sort: among equally long entries the table order decides.
    found.sort_by_key(|&(n, _)| std::cmp::Reverse(n));
    found
}

fn term_at(scan: &Scan, i: usize, kind: Kind) -> Option<Attribute> {
    terms_at(scan, i, kind)
        .into_iter()
        .find(|&(n, term)| accepts(scan, i, n, term, kind))
        .map(|(n, term)| attribute(kind, term.canonical, scan.source(i, i + n)))
}

fn accepts(scan: &Scan, i: usize, n: usize, term: &Term, kind: Kind) -> bool {
    let end = i + n;
    if scan.brand[i..end].iter().any(|&b| b) || in_option_list(scan, i, end, kind) {
        return false;
    }
    let in_context = match term.context {
        Context::None => true,
        Context::LabelOrSegment => has_label(scan, i, kind) || is_whole_segment(scan, i, end),
        Context::LabelOnly => has_label(scan, i, kind),
        Context::Before(words) => scan
            .words
            .get(end)
            .filter(|_| scan.joined(end - 1))
            .is_some_and(|w| words.contains(&w.lower.as_str())),
    };
    let next = scan.words.get(end).filter(|_| scan.joined(end - 1));
    let prev = i
        .checked_sub(1)
        .filter(|&p| scan.joined(p))
        .map(|p| &scan.words[p]);
    let is = |w: Option<&Word>, list: &[&str]| w.is_some_and(|w| list.contains(&w.lower.as_str()));
    let negated =
        is(next, kind.not_before()) || (kind == Kind::Material && is(prev, MATERIAL_NOT_AFTER));
    in_context && !negated
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, value, source) triples, for compact assertions.
    fn found(title: &str, description: Option<&str>, brand: Option<&str>) -> Vec<[String; 3]> {
        extract(title, description, brand)
            .into_iter()
            .map(|a| [a.name, a.value, a.source])
            .collect()
    }

    fn one(name: &str, value: &str, source: &str) -> [String; 3] {
        [name.into(), value.into(), source.into()]
    }

    fn value_of(title: &str, name: &str) -> Option<String> {
        extract(title, None, None)
            .into_iter()
            .find(|a| a.name == name)
            .map(|a| a.value)
    }

    #[test]
    fn shredded_wheat_has_no_colour_red_and_redwood_is_not_red() {
        assert!(found("Shredded Wheat Cereal 500g", None, None).is_empty());
        assert_eq!(value_of("Redwood Bird House", "color"), None);
    }

    #[test]
    fn the_longest_entry_wins_and_source_is_the_text_as_written() {
        assert_eq!(
            found("NAVY-BLUE MERINO WOOL JUMPER", None, None),
            [
                one("color", "navy blue", "NAVY-BLUE"),
                one("material", "merino wool", "MERINO WOOL")
            ]
        );
        assert_eq!(
            value_of("Stainless Steel Frying Pan", "material").as_deref(),
            Some("stainless steel")
        );
    }

    #[test]
    fn spelling_variants_have_one_canonical_value() {
        assert_eq!(value_of("Gray Hoodie", "color").as_deref(), Some("grey"));
        assert_eq!(
            value_of("Aluminum Water Bottle", "material").as_deref(),
            Some("aluminium")
        );
        assert_eq!(
            value_of("Spandex Leggings", "material").as_deref(),
            Some("elastane")
        );
    }

    #[test]
    fn bare_size_letters_and_words_count_only_when_clearly_a_size() {
        assert_eq!(value_of("Large Frying Pan", "size"), None);
        assert_eq!(value_of("Men's Shirt", "size"), None);
        assert_eq!(value_of("M&S Gift Card", "size"), None);
        assert_eq!(value_of("Cotton Tee - M", "size").as_deref(), Some("M"));
        assert_eq!(value_of("Cotton Tee (L)", "size").as_deref(), Some("L"));
        assert_eq!(value_of("Cotton Tee Navy/S", "size").as_deref(), Some("S"));
        assert_eq!(value_of("Cotton Tee - Large", "size").as_deref(), Some("L"));
        assert_eq!(value_of("Cotton Tee XXL", "size").as_deref(), Some("XXL"));
        assert_eq!(value_of("Cotton Tee S/M", "size").as_deref(), Some("S/M"));
    }

    #[test]
    fn everyday_words_are_colours_only_with_a_label_or_a_segment_of_their_own() {
        assert_eq!(value_of("Hydrating Face Cream 50ml", "color"), None);
        assert_eq!(
            value_of("Linen Sofa Cover - Cream", "color").as_deref(),
            Some("cream")
        );
        assert_eq!(value_of("Soy Candle - Lavender", "color"), None);
        assert_eq!(
            value_of("Soy Candle, Colour: Lavender", "color").as_deref(),
            Some("lavender")
        );
        assert_eq!(value_of("Extra Virgin Olive Oil", "color"), None);
        assert_eq!(
            value_of("Linen Shirt (Olive)", "color").as_deref(),
            Some("olive")
        );
    }

    #[test]
    fn neighbouring_words_that_change_the_meaning_are_respected() {
        assert_eq!(value_of("White Wine Glass Set", "color"), None);
        assert_eq!(value_of("Organic Green Tea", "color"), None);
        assert_eq!(value_of("Leather-Free Vegan Trainers", "material"), None);
        assert_eq!(value_of("Imitation Leather Wallet", "material"), None);
        assert_eq!(value_of("Wood Effect Shelf", "material"), None);
        assert_eq!(
            value_of("Faux Suede Boots", "material").as_deref(),
            Some("faux suede")
        );
    }

    #[test]
    fn the_brand_is_never_read_as_an_attribute() {
        assert_eq!(
            found(
                "Black Diamond Climbing Harness - Red",
                None,
                Some("Black Diamond")
            ),
            [one("color", "red", "Red")]
        );
    }

    #[test]
    fn the_title_comes_first_then_the_description() {
        let description = "Made from soft organic cotton. Also in blue.";
        assert_eq!(
            found("Classic Red Tee", Some(description), None),
            [
                one("color", "red", "Red"),
                one("material", "organic cotton", "organic cotton")
            ]
        );
    }

    #[test]
    fn a_list_of_options_is_not_one_colour_or_size_but_a_composition_is_a_material() {
        let options = "Available in black, navy or grey. Sizes S, M, L.";
        assert!(found("Crew Socks", Some(options), None).is_empty());
        assert_eq!(
            value_of("Flag Bunting in Red, White and Blue", "color"),
            None
        );
        assert_eq!(
            value_of("Black and White Striped Tee", "color").as_deref(),
            Some("black")
        );
        assert_eq!(
            value_of("Cotton, Elastane Leggings", "material").as_deref(),
            Some("cotton")
        );
        assert_eq!(
            value_of("Black/White Trainers", "color").as_deref(),
            Some("black")
        );
    }
}
