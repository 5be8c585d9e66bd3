//! Title casing for SHOUTED and all lower-case titles, protecting what must not change.
//!
//! Protected tokens: acronyms from the dictionary ("USB-C", "iPhone"), letter sizes ("XL",
//! "S/M"), numbers with units ("500ml", "2.5 kg", "16GB"), model codes ("WH-1000XM4"), short
//! all-capital words without vowels ("JBL", "HP"), and the brand as the merchant spells it.
//! Small words ("and", "of", "with") stay lower-case except at the start of a phrase.

use super::dictionaries::{ACRONYMS, LETTER_SIZES, SMALL_WORDS, UNITS};

/// How a title is cased.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Casing {
    /// At least 80% of the letters outside protected tokens are capitals.
    Shouting,
    /// No capital letters at all outside protected tokens.
    Lower,
    /// Anything else: the merchant's own choice, left alone.
    Mixed,
}

/// Classifies `title` (already whitespace-normalised). Protected tokens and small words are
/// not counted, so "usb-c led lamp" is lower-case and "DESK LAMP with USB-C" is shouting.
pub(super) fn casing_of(title: &str, brand: Option<&str>) -> Casing {
    let brand_words = brand_chunks(brand);
    let (mut upper, mut lower) = (0usize, 0usize);
    for chunk in title.split(' ') {
        let core = split_punct(chunk).1;
        if is_small_word(core)
            || is_protected(core)
            || brand_words.iter().any(|b| b.eq_ignore_ascii_case(core))
        {
            continue;
        }
        upper += core.chars().filter(|c| c.is_uppercase()).count();
        lower += core.chars().filter(|c| c.is_lowercase()).count();
    }
    if upper == 0 && lower > 0 {
        Casing::Lower
    } else if upper >= 4 && upper * 5 >= (upper + lower) * 4 {
        Casing::Shouting
    } else {
        Casing::Mixed
    }
}

fn is_protected(core: &str) -> bool {
    acronym(core).is_some()
        || letter_size(core).is_some()
        || core.chars().any(|c| c.is_ascii_digit())
        || is_vowelless_caps(core)
}

/// Title-cases `title` word by word (see the module doc for what is protected).
pub(super) fn title_case(title: &str, brand: Option<&str>) -> String {
    let chunks: Vec<&str> = title.split(' ').collect();
    let brand = brand_chunks(brand.filter(|b| b.chars().any(char::is_uppercase)));
    let mut out: Vec<String> = Vec::with_capacity(chunks.len());
    let mut quantity = false;
    let mut i = 0;
    while i < chunks.len() {
        if !brand.is_empty() && starts_with_brand(&chunks[i..], &brand) {
            for (chunk, spelled) in chunks[i..].iter().zip(&brand) {
                let (lead, _, trail) = split_punct(chunk);
                out.push(format!("{lead}{spelled}{trail}"));
            }
            i += brand.len();
            quantity = false;
            continue;
        }
        let starts_phrase = i == 0 || opens_phrase(chunks[i - 1]);
        let (cased, is_quantity) = case_chunk(chunks[i], starts_phrase, quantity);
        out.push(cased);
        quantity = is_quantity;
        i += 1;
    }
    out.join(" ")
}

/// The brand's words with surrounding punctuation removed, as the merchant spells them.
/// Punctuation-only chunks ("&") are kept as empty entries so "Black & Decker" lines up.
fn brand_chunks(brand: Option<&str>) -> Vec<&str> {
    let chunks: Vec<&str> = brand
        .into_iter()
        .flat_map(str::split_whitespace)
        .map(|w| split_punct(w).1)
        .collect();
    if chunks.iter().all(|c| c.is_empty()) {
        return Vec::new();
    }
    chunks
}

fn starts_with_brand(chunks: &[&str], brand: &[&str]) -> bool {
    chunks.len() >= brand.len()
        && chunks
            .iter()
            .zip(brand)
            .all(|(c, b)| split_punct(c).1.to_lowercase() == b.to_lowercase())
}

/// After "Brand:", " - ", " | " or "/" a new phrase starts, so its first word is capitalised.
fn opens_phrase(previous: &str) -> bool {
    previous.ends_with(':') || matches!(previous, "-" | "–" | "—" | "|" | "/" | "+")
}

/// Splits leading and trailing punctuation off a chunk: "(XL)," → ("(", "XL", "),").
fn split_punct(chunk: &str) -> (&str, &str, &str) {
    let start = chunk
        .find(|c: char| c.is_alphanumeric())
        .unwrap_or(chunk.len());
    let end = chunk
        .rfind(|c: char| c.is_alphanumeric())
        .map_or(start, |i| {
            i + chunk[i..].chars().next().map_or(1, char::len_utf8)
        });
    (&chunk[..start], &chunk[start..end], &chunk[end..])
}

/// Cases one space-separated chunk. `after_quantity` is true right after a number (or a unit
/// that followed one), where "kg" or "oz" is a unit. Returns whether this chunk is a quantity.
fn case_chunk(chunk: &str, starts_phrase: bool, after_quantity: bool) -> (String, bool) {
    let (lead, core, trail) = split_punct(chunk);
    if core.is_empty() {
        return (chunk.to_string(), false);
    }
    let first = starts_phrase || lead.contains(['(', '[', '"', '“']);
    let lower = core.to_lowercase();
    let unit = UNITS
        .iter()
        .find(|(u, _, alone)| *alone && *u == lower)
        .filter(|_| after_quantity);
    let cased = if let Some(a) = acronym(core) {
        a.to_string()
    } else if let Some(&(_, canonical, _)) = unit {
        canonical.to_string()
    } else if let Some(size) = letter_size(core) {
        size
    } else if core.chars().any(|c| c.is_ascii_digit()) || core.contains(['-', '/']) {
        case_compound(core, first)
    } else if is_vowelless_caps(core) {
        core.to_string()
    } else {
        case_word(core, first)
    };
    let is_quantity = is_number(core) || unit.is_some();
    (format!("{lead}{cased}{trail}"), is_quantity)
}

fn acronym(core: &str) -> Option<&'static str> {
    ACRONYMS
        .iter()
        .find(|a| a.eq_ignore_ascii_case(core))
        .copied()
}

fn letter_size(core: &str) -> Option<String> {
    let lower = core.to_lowercase();
    LETTER_SIZES
        .contains(&lower.as_str())
        .then(|| core.to_uppercase())
}

/// "JBL", "HP", "LG": short capitals with no vowel are almost always abbreviations.
fn is_vowelless_caps(core: &str) -> bool {
    let n = core.chars().count();
    (2..=4).contains(&n)
        && core.chars().all(|c| c.is_ascii_uppercase())
        && !core.chars().any(|c| "AEIOUY".contains(c))
}

fn is_number(core: &str) -> bool {
    !core.is_empty()
        && core
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// Cases a token with digits or inner "-" / "/": each part on its own ("T-Shirt", "3-in-1",
/// "Black/White"). Short letter parts next to digits are model codes and stay ("WH-1000XM4").
fn case_compound(core: &str, first: bool) -> String {
    let has_digit = core.chars().any(|c| c.is_ascii_digit());
    let mut out = String::with_capacity(core.len());
    for (k, part) in core.split_inclusive(['-', '/']).enumerate() {
        let (word, sep) = match part.strip_suffix(['-', '/']) {
            Some(w) => (w, &part[w.len()..]),
            None => (part, ""),
        };
        let cased = if let Some(a) = acronym(word) {
            a.to_string()
        } else if let Some(size) = letter_size(word).filter(|_| !has_digit) {
            size
        } else if word.chars().any(|c| c.is_ascii_digit()) {
            case_numeric(word)
        } else if has_digit && word.chars().count() <= 3 && !is_small_word(word) {
            word.to_string()
        } else {
            case_word(word, first && k == 0)
        };
        out.push_str(&cased);
        out.push_str(sep);
    }
    out
}

/// A token with digits: "500ML" → "500ml", "32X34" → "32x34", "spf50" → "SPF50". Anything
/// else ("PS5", "A4") is a code and is kept as written.
fn case_numeric(token: &str) -> String {
    let runs = letter_digit_runs(token);
    let unit_shaped = runs.first().is_some_and(|r| is_number(r))
        && runs.iter().all(|r| is_number(r) || unit_of(r).is_some());
    if unit_shaped {
        return runs
            .iter()
            .map(|r| unit_of(r).unwrap_or(r))
            .collect::<Vec<_>>()
            .concat();
    }
    match runs.first().and_then(|r| acronym(r)) {
        Some(a) => format!("{a}{}", &token[runs[0].len()..]),
        None => token.to_string(),
    }
}

fn unit_of(run: &str) -> Option<&'static str> {
    let lower = run.to_lowercase();
    UNITS
        .iter()
        .find(|(u, _, _)| *u == lower)
        .map(|(_, c, _)| *c)
}

/// Splits "10x15CM" into ["10", "x", "15", "CM"]; "." and "," stay inside numbers.
fn letter_digit_runs(token: &str) -> Vec<&str> {
    let kind = |c: char| c.is_ascii_digit() || c == '.' || c == ',';
    let mut runs = Vec::new();
    let mut start = 0;
    let mut prev: Option<bool> = None;
    for (i, c) in token.char_indices() {
        let k = kind(c);
        if prev.is_some_and(|p| p != k) {
            runs.push(&token[start..i]);
            start = i;
        }
        prev = Some(k);
    }
    runs.push(&token[start..]);
    runs
}

fn is_small_word(word: &str) -> bool {
    SMALL_WORDS.contains(&word.to_lowercase().as_str())
}

fn case_word(word: &str, first: bool) -> String {
    let lower = word.to_lowercase();
    if !first && is_small_word(&lower) {
        return lower;
    }
    // Irish names: "O'NEILL" → "O'Neill", while "MEN'S" → "Men's".
    for prefix in ["o'", "o\u{2019}"] {
        if let Some(rest) = lower.strip_prefix(prefix).filter(|r| r.chars().count() > 1) {
            return format!("{}{}", capitalise(prefix), capitalise(rest));
        }
    }
    capitalise(&lower)
}

/// Upper-cases the first letter. A letter whose capital is two letters ("ß" → "SS", "ﬁ" →
/// "FI") is left alone: that would change the spelling, not the casing.
fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let mut upper = first.to_uppercase();
    match (upper.next(), upper.next()) {
        (Some(u), None) => std::iter::once(u).chain(chars).collect(),
        _ => word.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_tokens_do_not_count_towards_shouting() {
        assert_eq!(casing_of("USB-C LED HDMI 4K", None), Casing::Mixed);
        assert_eq!(casing_of("usb-c led desk lamp", None), Casing::Lower);
        assert_eq!(casing_of("DESK LAMP with usb-c", None), Casing::Shouting);
        assert_eq!(casing_of("NIKE Air Max 90", None), Casing::Mixed);
    }

    #[test]
    fn units_are_canonical_glued_or_after_a_number_but_a_lone_m_stays_a_size() {
        assert_eq!(
            title_case("2 X 500ML BOTTLES 16 FL OZ 10 M", None),
            "2 x 500ml Bottles 16 fl oz 10 M"
        );
        assert_eq!(title_case("CABLE 10M 5000MAH", None), "Cable 10m 5000mAh");
    }

    #[test]
    fn acronym_prefixed_codes_and_lower_case_brand_names_are_handled() {
        assert_eq!(
            title_case("spf50 sun cream by acme", Some("acme")),
            "SPF50 Sun Cream by Acme"
        );
    }

    #[test]
    fn phrases_after_separators_and_in_brackets_start_with_a_capital() {
        assert_eq!(
            title_case("BAG - THE ORIGINAL (FOR KIDS): IN BLUE", None),
            "Bag - The Original (For Kids): In Blue"
        );
    }

    #[test]
    fn irish_names_keep_their_second_capital_but_possessives_do_not() {
        assert_eq!(
            title_case("O'NEILL MEN'S BOARD SHORTS", None),
            "O'Neill Men's Board Shorts"
        );
    }

    #[test]
    fn non_ascii_letters_are_cased_too() {
        assert_eq!(title_case("ÉCHARPE EN LAINE", None), "Écharpe En Laine");
    }
}
