//! Dictionaries for pattern, target gender and age group, hand-seeded from the values of
//! Shopify's product taxonomy attributes of the same handle (`pattern`, `target_gender`,
//! `age_group`) and the words merchants use for them. Same conventions as `dictionaries`.
//!
//! Ambiguous words are left out rather than guessed: "boys"/"girls" (an age and a gender at
//! once, and "girls' night"), "kid" (also kid leather), "spotted", "leopard" alone (a leopard
//! ornament is not leopard print). "menswear"/"womenswear" are whole words of their own and
//! read as the gender; "mens" never matches inside them, nor "sex" inside "Essex".

use super::dictionaries::{Context, Term};

const fn term(text: &'static str, canonical: &'static str) -> Term {
    Term {
        text,
        canonical,
        context: Context::None,
    }
}

const fn seg(text: &'static str, canonical: &'static str) -> Term {
    Term {
        text,
        canonical,
        context: Context::LabelOrSegment,
    }
}

const fn label(text: &'static str, canonical: &'static str) -> Term {
    Term {
        text,
        canonical,
        context: Context::LabelOnly,
    }
}

/// Words after "check" that show it names the pattern ("check shirt"), not the verb.
#[rustfmt::skip]
pub const CHECK_NOUNS: &[&str] = &[
    "shirt", "shirts", "dress", "dresses", "skirt", "skirts", "trousers", "blazer", "jacket",
    "coat", "scarf", "suit", "fabric", "flannel", "pattern", "print", "blanket", "throw",
    "tablecloth", "cushion", "pyjamas", "pajamas",
];

/// Patterns, canonical as the taxonomy's `pattern` values, lower-case.
#[rustfmt::skip]
pub const PATTERNS: &[Term] = &[
    term("striped", "striped"), term("stripe", "striped"), term("stripes", "striped"),
    term("stripy", "striped"), term("pinstripe", "pinstripe"), term("pinstriped", "pinstripe"),
    term("floral", "floral"), term("checked", "checkered"), term("checkered", "checkered"),
    term("chequered", "checkered"),
    Term { text: "check", canonical: "checkered", context: Context::Before(CHECK_NOUNS) },
    term("gingham", "gingham"), term("plaid", "plaid"), term("tartan", "tartan"),
    term("polka dot", "polka dot"), term("polka dots", "polka dot"),
    term("polka dotted", "polka dot"), term("paisley", "paisley"),
    term("camouflage", "camouflage"), term("camo", "camouflage"),
    term("geometric", "geometric"), term("animal print", "animal"),
    term("leopard print", "leopard"), term("zebra print", "zebra"),
    term("snake print", "snakeskin"), term("tie dye", "tie-dye"), term("tie dyed", "tie-dye"),
    term("solid colour", "solid"), term("solid color", "solid"), label("solid", "solid"),
    label("plain", "solid"), term("herringbone", "herringbone"),
    term("houndstooth", "houndstooth"), term("dogtooth", "houndstooth"),
    term("argyle", "argyle"), term("chevron", "chevron"),
];

/// Words right after a pattern word that show it describes a scent, flowers or florist's
/// supplies, or is the verb ("floral scent", "floral foam", "checked luggage").
#[rustfmt::skip]
pub const PATTERN_NOT_BEFORE: &[&str] = &[
    "scent", "scented", "fragrance", "notes", "perfume", "bouquet", "arrangement", "water",
    "foam", "wire", "tape", "luggage", "baggage",
];

/// Words that label a pattern ("Pattern: solid").
pub const PATTERN_LABELS: &[&str] = &["pattern", "print", "design"];

/// Target gender, canonical as the taxonomy's `target_gender` values.
#[rustfmt::skip]
pub const GENDERS: &[Term] = &[
    term("men's", "male"), term("mens", "male"), term("for men", "male"),
    term("menswear", "male"), seg("men", "male"), term("women's", "female"),
    term("womens", "female"), term("for women", "female"), term("womenswear", "female"),
    seg("women", "female"), term("ladies", "female"), term("unisex", "unisex"),
];

/// Words that label a target gender ("Gender: Women").
pub const GENDER_LABELS: &[&str] = &["gender"];

/// Age groups, canonical as the taxonomy's `age_group` values.
#[rustfmt::skip]
pub const AGE_GROUPS: &[Term] = &[
    term("kids", "kids"), term("kid's", "kids"), term("children's", "kids"),
    term("childrens", "kids"), term("children", "kids"), term("child", "kids"),
    term("baby", "babies"), term("babies", "babies"), term("baby's", "babies"),
    term("infant", "babies"), term("infants", "babies"), term("toddler", "toddlers"),
    term("toddlers", "toddlers"), term("teen", "teens"), term("teens", "teens"),
    term("teenage", "teens"), term("adult", "adults"), term("adults", "adults"),
];

/// Words right after an age word that show it is not the buyer's age ("baby blue", "baby
/// spinach", "child lock", "baby shower", "adult dog food": a pet's life stage).
#[rustfmt::skip]
pub const AGE_NOT_BEFORE: &[&str] = &[
    "blue", "pink", "spinach", "carrot", "carrots", "potatoes", "corn", "leaf", "leaves", "plum",
    "plums", "tomatoes", "back", "shark", "lock", "locks", "proof", "resistant", "safety",
    "titans", "oil", "cat", "cats", "dog", "dogs", "kitten", "puppy", "shower", "grand", "gem",
];

/// Words that label an age group ("Age group: adult").
pub const AGE_LABELS: &[&str] = &["age", "ages", "group"];

#[cfg(test)]
mod tests {
    use super::super::attributes::extract;
    use super::*;

    fn value_of(title: &str, name: &str) -> Option<String> {
        extract(title, None, None)
            .into_iter()
            .find(|a| a.name == name)
            .map(|a| a.value)
    }

    /// (value, source) of attribute `name` in `title`.
    fn found(title: &str, name: &str) -> Option<(String, String)> {
        extract(title, None, None)
            .into_iter()
            .find(|a| a.name == name)
            .map(|a| (a.value, a.source))
    }

    fn pair(value: &str, source: &str) -> Option<(String, String)> {
        Some((value.into(), source.into()))
    }

    #[test]
    fn patterns_are_found_on_word_boundaries_with_the_source_as_written() {
        assert_eq!(
            found("Breton STRIPED Top", "pattern"),
            pair("striped", "STRIPED")
        );
        assert_eq!(
            found("Polka-Dot Tea Dress", "pattern"),
            pair("polka dot", "Polka-Dot")
        );
        assert_eq!(
            value_of("Camo Cargo Shorts", "pattern").as_deref(),
            Some("camouflage")
        );
        assert_eq!(
            value_of("Leopard Print Scarf", "pattern").as_deref(),
            Some("leopard")
        );
        assert_eq!(value_of("Leopard Ornament", "pattern"), None);
        assert_eq!(value_of("Stripey Cat Toy", "pattern"), None);
    }

    #[test]
    fn check_is_a_pattern_only_before_a_garment_or_fabric_word() {
        assert_eq!(
            found("Flannel Check Shirt", "pattern"),
            pair("checkered", "Check")
        );
        assert_eq!(
            value_of("Checked Wool Blazer", "pattern").as_deref(),
            Some("checkered")
        );
        assert_eq!(value_of("Check Out Our Gift Card", "pattern"), None);
        assert_eq!(value_of("Checkout Counter Mat", "pattern"), None);
        assert_eq!(value_of("Tyre Pressure Check Tool", "pattern"), None);
    }

    #[test]
    fn solid_and_floral_need_to_read_as_a_pattern() {
        assert_eq!(value_of("Solid Oak Table", "pattern"), None);
        assert_eq!(
            value_of("Tee, Pattern: Solid", "pattern").as_deref(),
            Some("solid")
        );
        assert_eq!(value_of("Floral Scented Candle", "pattern"), None);
        assert_eq!(value_of("Floral Foam Bricks", "pattern"), None);
        assert_eq!(value_of("Checked Luggage Scale", "pattern"), None);
        assert_eq!(
            value_of("Floral Midi Dress", "pattern").as_deref(),
            Some("floral")
        );
    }

    #[test]
    fn target_gender_reads_mens_womens_ladies_and_unisex() {
        assert_eq!(
            found("Men's Merino Socks", "target_gender"),
            pair("male", "Men's")
        );
        assert_eq!(
            value_of("Womens Running Tights", "target_gender").as_deref(),
            Some("female")
        );
        assert_eq!(
            value_of("Rain Jacket for Men", "target_gender").as_deref(),
            Some("male")
        );
        assert_eq!(
            value_of("Ladies Leather Gloves", "target_gender").as_deref(),
            Some("female")
        );
        assert_eq!(
            value_of("UNISEX Hoodie", "target_gender").as_deref(),
            Some("unisex")
        );
        assert_eq!(
            value_of("Menswear Linen Shirt", "target_gender").as_deref(),
            Some("male")
        );
        assert_eq!(
            found("Women’s Wellies", "target_gender"),
            pair("female", "Women’s")
        );
    }

    #[test]
    fn essex_mensa_and_mixed_audiences_give_no_gender() {
        assert_eq!(value_of("Essex Tea Towel", "target_gender"), None);
        assert_eq!(value_of("Essex Tea Towel", "size"), None);
        assert_eq!(value_of("Mensa Puzzle Book", "target_gender"), None);
        assert_eq!(value_of("Men Shed Sign", "target_gender"), None);
        assert_eq!(value_of("Socks for Men and Women", "target_gender"), None);
        assert_eq!(value_of("Men's/Women's Slippers", "target_gender"), None);
        assert_eq!(
            value_of("Slippers (Women)", "target_gender").as_deref(),
            Some("female")
        );
    }

    #[test]
    fn age_groups_are_read_but_baby_blue_and_child_locks_are_not_ages() {
        assert_eq!(found("Kids' Rain Boots", "age_group"), pair("kids", "Kids"));
        assert_eq!(
            value_of("Children's Picture Book", "age_group").as_deref(),
            Some("kids")
        );
        assert_eq!(
            value_of("Infant Sleep Suit", "age_group").as_deref(),
            Some("babies")
        );
        assert_eq!(
            value_of("Toddler Sandals", "age_group").as_deref(),
            Some("toddlers")
        );
        assert_eq!(
            value_of("Adult Colouring Book", "age_group").as_deref(),
            Some("adults")
        );
        assert_eq!(value_of("Baby Blue Hoodie", "age_group"), None);
        assert_eq!(
            value_of("Baby Blue Hoodie", "color").as_deref(),
            Some("baby blue")
        );
        assert_eq!(value_of("Cupboard Child Lock", "age_group"), None);
        assert_eq!(value_of("Kidney Bean Salad", "age_group"), None);
        assert_eq!(value_of("Kids & Adults Bike Helmet", "age_group"), None);
        assert_eq!(value_of("Adult Dog Food 2kg", "age_group"), None);
        assert_eq!(value_of("Baby Shower Banner", "age_group"), None);
    }

    #[test]
    fn entries_are_lower_case_trimmed_unique_and_have_values() {
        for list in [PATTERNS, GENDERS, AGE_GROUPS] {
            let mut texts: Vec<&str> = list.iter().map(|t| t.text).collect();
            assert!(
                texts
                    .iter()
                    .all(|t| *t == t.trim() && *t == t.to_lowercase())
            );
            texts.sort_unstable();
            texts.dedup();
            assert_eq!(texts.len(), list.len());
            assert!(list.iter().all(|t| !t.canonical.is_empty()));
        }
        let words = [
            CHECK_NOUNS,
            PATTERN_LABELS,
            PATTERN_NOT_BEFORE,
            GENDER_LABELS,
            AGE_NOT_BEFORE,
            AGE_LABELS,
        ];
        assert!(words.concat().iter().all(|w| *w == w.to_lowercase()));
    }

    #[test]
    fn genders_use_the_taxonomy_values_only() {
        assert!(
            GENDERS
                .iter()
                .all(|t| ["male", "female", "unisex"].contains(&t.canonical))
        );
    }
}
