//! Search-engine fields cut from the product's own cleaned text: an SEO title, a meta
//! description and tags. Nothing is written: the title and description are only shortened at
//! a word boundary, and tags are values the engine already found.

use super::Attribute;

/// Longest SEO title before search results cut it off.
pub const MAX_SEO_TITLE_CHARS: usize = 60;
/// Longest meta description before search results cut it off.
pub const MAX_META_DESCRIPTION_CHARS: usize = 155;
/// Most tags reported.
pub const MAX_TAGS: usize = 10;

/// Marks that must not end a shortened text ("Linen Shirt -", "Tee,").
const TRAILING_SEPARATORS: &[char] = &['-', '–', '—', ',', '|', ':', ';', '/', '(', '&', '+'];

/// The cleaned title cut to [`MAX_SEO_TITLE_CHARS`] at a word boundary, without a trailing
/// separator. Empty when the title is empty.
pub fn seo_title(title: &str) -> String {
    shorten(title, MAX_SEO_TITLE_CHARS)
}

/// The cleaned description on one line, cut to [`MAX_META_DESCRIPTION_CHARS`] at a word
/// boundary and ending with "…" only when it was cut. `None` without a description.
pub fn meta_description(description: Option<&str>) -> Option<String> {
    let line = description?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if line.is_empty() {
        return None;
    }
    if line.chars().count() <= MAX_META_DESCRIPTION_CHARS {
        return Some(line);
    }
    let mut cut = shorten(&line, MAX_META_DESCRIPTION_CHARS - 1);
    // "..." or "." before the ellipsis would read as doubled punctuation.
    cut.truncate(cut.trim_end_matches('.').len());
    cut.push('…');
    Some(cut)
}

/// Tags: the distinct attribute values, then the leaf name of the category path ("Shirts &
/// Tops" of "Apparel & Accessories > Clothing > Shirts & Tops"), lower-case, in that order, at
/// most [`MAX_TAGS`].
pub fn tags(attributes: &[Attribute], category_path: Option<&str>) -> Vec<String> {
    let leaf = category_path.and_then(|path| path.rsplit('>').next());
    let mut out: Vec<String> = Vec::new();
    for value in attributes.iter().map(|a| a.value.as_str()).chain(leaf) {
        let tag = value.trim().to_lowercase();
        if !tag.is_empty() && !out.contains(&tag) && out.len() < MAX_TAGS {
            out.push(tag);
        }
    }
    out
}

/// `text` when it fits in `max` characters, else its longest prefix of whole words that does
/// (a single word longer than `max` is cut), with trailing separators removed.
fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_string();
    }
    let hard: usize = text.chars().take(max).map(char::len_utf8).sum();
    let next_is_space = text[hard..].starts_with(char::is_whitespace);
    let cut = if next_is_space {
        hard
    } else {
        text[..hard].rfind(char::is_whitespace).unwrap_or(hard)
    };
    strip_trailing(&text[..cut]).to_string()
}

fn strip_trailing(text: &str) -> &str {
    let mut out = text.trim_end();
    while let Some(stripped) = out.strip_suffix(TRAILING_SEPARATORS) {
        out = stripped.trim_end();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str, value: &str) -> Attribute {
        Attribute {
            name: name.into(),
            value: value.into(),
            source: value.into(),
        }
    }

    #[test]
    fn short_titles_are_kept_and_long_ones_cut_at_a_word_without_a_trailing_separator() {
        assert_eq!(seo_title("Linen Shirt - Sage"), "Linen Shirt - Sage");
        assert_eq!(seo_title(""), "");
        let long = "Acme Organic Cotton Crew Neck T-Shirt for Everyday Wear - Navy Blue, XL";
        let cut = seo_title(long);
        assert_eq!(
            cut,
            "Acme Organic Cotton Crew Neck T-Shirt for Everyday Wear"
        );
        assert!(cut.chars().count() <= MAX_SEO_TITLE_CHARS);
        let piped = "Stainless Steel Insulated Water Bottle 750ml Leakproof Lid | Gift";
        assert_eq!(
            seo_title(piped),
            "Stainless Steel Insulated Water Bottle 750ml Leakproof Lid"
        );
    }

    #[test]
    fn a_title_that_is_one_long_word_is_cut_at_the_limit() {
        let word = "x".repeat(70);
        assert_eq!(seo_title(&word).chars().count(), MAX_SEO_TITLE_CHARS);
    }

    #[test]
    fn meta_descriptions_join_lines_and_end_with_an_ellipsis_only_when_cut() {
        assert_eq!(meta_description(None), None);
        assert_eq!(
            meta_description(Some("Soft tee.\n\nMachine wash")).as_deref(),
            Some("Soft tee. Machine wash")
        );
        let long = "A soft, breathable tee made from organic cotton. ".repeat(5);
        let cut = meta_description(Some(&long)).unwrap_or_default();
        assert!(cut.chars().count() <= MAX_META_DESCRIPTION_CHARS);
        assert!(cut.ends_with("cotton. A soft…"), "{cut}");
        let exact = "é".repeat(MAX_META_DESCRIPTION_CHARS);
        assert_eq!(meta_description(Some(&exact)), Some(exact));
    }

    #[test]
    fn tags_are_distinct_lower_case_values_then_the_category_leaf_at_most_ten() {
        let category = Some("Apparel & Accessories > Clothing > Shirts & Tops");
        let attributes = [attr("color", "Navy Blue"), attr("size", "XL")];
        assert_eq!(
            tags(&attributes, category),
            ["navy blue", "xl", "shirts & tops"]
        );
        assert!(tags(&[], None).is_empty());
        let many: Vec<Attribute> = (0..12).map(|i| attr("x", &format!("v{i}"))).collect();
        assert_eq!(tags(&many, category).len(), MAX_TAGS);
        let twice = [attr("color", "red"), attr("pattern", "Red")];
        assert_eq!(tags(&twice, None), ["red"]);
    }
}
