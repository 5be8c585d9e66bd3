//! Clean-up of titles and descriptions: whitespace, stray punctuation, HTML and casing.
//!
//! Text is NFKC-normalised first, so full-width letters ("ＸＬ") and ligatures ("ﬁ") read as
//! the plain letters they stand for. Only the form changes, never the wording. Casing is touched only when the whole title is
//! SHOUTED or all lower-case; a mixed-case title is the merchant's choice and stays as written.
//! Re-casing keeps sizes, units, acronyms and the brand's own spelling ("JBL", "iRobot").

use super::casing;
use super::html;
use unicode_normalization::UnicodeNormalization;

/// Characters whose NFKC form changes what the text says, kept as written: "™" would become
/// "TM" and "m²" would become "m2".
const KEEP_AS_WRITTEN: &[char] = &['™', '℠', '¹', '²', '³'];

/// NFKC-normalises `text` (full-width forms, ligatures, compatibility spaces), except for the
/// few characters in [`KEEP_AS_WRITTEN`]. Idempotent.
pub(super) fn nfkc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if KEEP_AS_WRITTEN.contains(&c) {
            out.extend(run.nfkc());
            run.clear();
            out.push(c);
        } else {
            run.push(c);
        }
    }
    out.extend(run.nfkc());
    out
}

/// The visible text of `raw` (see `html::visible_text`), NFKC-normalised after entities are
/// decoded so an entity-encoded ligature is normalised too.
pub(super) fn visible(raw: &str) -> String {
    nfkc(&html::visible_text(&nfkc(raw)))
}

/// A cleaned title, and whether it was shouted before clean-up (a quality signal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanTitle {
    /// The cleaned title.
    pub text: String,
    /// True when the original was mostly capital letters.
    pub was_shouting: bool,
}

/// Cleans a title: HTML and entities removed, whitespace collapsed to single spaces (newlines
/// included), stray spaces and repeated punctuation tidied, and SHOUTED or all lower-case
/// titles put in title case.
pub fn clean_title(raw: &str, brand: Option<&str>) -> CleanTitle {
    let flat = normalise_line(&visible(raw));
    let case = casing::casing_of(&flat, brand);
    let text = match case {
        casing::Casing::Shouting | casing::Casing::Lower => casing::title_case(&flat, brand),
        casing::Casing::Mixed => flat,
    };
    CleanTitle {
        text,
        was_shouting: case == casing::Casing::Shouting,
    }
}

/// Cleans a description: HTML reduced to text (block elements become paragraph breaks
/// "\n\n", `<br>` and list items a line break), entities decoded, and each line's whitespace
/// and punctuation tidied. Wording and casing are untouched. `None` when nothing is left.
pub fn clean_description(raw: &str) -> Option<String> {
    let text = visible(raw)
        .replace("\r\n", "\n")
        .replace(['\r', '\u{2028}'], "\n")
        .replace('\u{2029}', "\n\n");
    let mut out = String::new();
    let mut blank_pending = false;
    for line in text.split('\n') {
        let line = normalise_line(line);
        if line.is_empty() {
            blank_pending = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_pending { "\n\n" } else { "\n" });
        }
        out.push_str(&line);
        blank_pending = false;
    }
    (!out.is_empty()).then_some(out)
}

/// Collapses all Unicode whitespace (NBSP, tabs, newlines...) to single spaces, trims, and
/// tidies punctuation. (Zero-width characters are already gone: see `html::visible_text`.)
pub(super) fn normalise_line(line: &str) -> String {
    tidy_punctuation(&collapse_whitespace(line))
}

fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// Removes spaces before closing punctuation ("Shirt , blue" → "Shirt, blue") and after
/// opening brackets, and collapses runs like "!!!" to one mark. Dots stay (decimals,
/// ellipses) unless there are four or more.
fn tidy_punctuation(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        let next = chars.get(i + run);
        if matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | ')' | ']' | '}') {
            let closes = matches!(c, ')' | ']' | '}') || next.is_none_or(|n| n.is_whitespace());
            if closes && out.ends_with(' ') {
                out.pop();
            }
            // Count marks already there, so "! !" and ". ..." merge like "!!" and "....".
            let prior = out.chars().rev().take_while(|&d| d == c).count();
            let keep = match c {
                '!' | '?' | ',' | ';' | ':' => 1,
                '.' if prior + run >= 4 => 3,
                _ => prior + run,
            };
            out.extend(std::iter::repeat_n(c, keep.saturating_sub(prior)));
        } else {
            out.extend(std::iter::repeat_n(c, run));
        }
        i += run;
        if matches!(c, '(' | '[' | '{') && chars.get(i) == Some(&' ') {
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn title(raw: &str) -> String {
        clean_title(raw, None).text
    }

    #[test]
    fn shouting_titles_become_title_case_but_keep_usb_c_and_500ml() {
        let cleaned = clean_title(
            "STAINLESS STEEL WATER BOTTLE 500ML WITH USB-C LED LID",
            None,
        );
        assert_eq!(
            cleaned.text,
            "Stainless Steel Water Bottle 500ml with USB-C LED Lid"
        );
        assert!(cleaned.was_shouting);
    }

    #[test]
    fn lower_case_titles_become_title_case_with_sizes_units_and_small_words_protected() {
        assert_eq!(
            title("organic cotton t-shirt for men - navy xl"),
            "Organic Cotton T-Shirt for Men - Navy XL"
        );
        assert_eq!(
            title("the 2.5 kg cast iron pan 3-in-1, 16gb 65w 1080p 4k"),
            "The 2.5 kg Cast Iron Pan 3-in-1, 16GB 65W 1080p 4K"
        );
        assert_eq!(
            title("jeans 32x34 size 10.5 s/m"),
            "Jeans 32x34 Size 10.5 S/M"
        );
    }

    #[test]
    fn mixed_case_titles_keep_the_merchants_casing() {
        assert_eq!(
            title("iPhone 15 case by ACME, Navy"),
            "iPhone 15 case by ACME, Navy"
        );
    }

    #[test]
    fn model_codes_and_the_brands_own_spelling_survive_recasing() {
        let cleaned = clean_title(
            "JBL WH-1000XM4 WIRELESS HEADPHONES BY IROBOT",
            Some("iRobot"),
        );
        assert_eq!(cleaned.text, "JBL WH-1000XM4 Wireless Headphones by iRobot");
    }

    #[test]
    fn whitespace_collapses_including_nbsp_tabs_newlines_and_zero_width_spaces() {
        assert_eq!(
            title("  Linen\u{a0}\u{a0}Shirt\t\n– Sage\u{200b}  "),
            "Linen Shirt – Sage"
        );
    }

    #[test]
    fn stray_spaces_before_punctuation_and_repeated_marks_are_tidied() {
        assert_eq!(
            title("Linen Shirt , Sage ( Size M ) !!! Sale??"),
            "Linen Shirt, Sage (Size M)! Sale?"
        );
        assert_eq!(title("Wait... what.... 0.5 L"), "Wait... what... 0.5 L");
    }

    #[test]
    fn html_descriptions_become_text_with_paragraph_breaks_and_decoded_entities() {
        let html = "<div><h2>Soft &amp; warm</h2>\n<p>Made   from <b>merino</b>\nwool.</p>\
                    <ul><li>Fits &lt;true&gt; to size</li><li>Machine&nbsp;wash</li></ul>\
                    <p>Say &quot;hi&quot; &#39;now&#39;<br>second line</p>\
                    <script>var x = '<p>';</script><!-- note --></div>";
        assert_eq!(
            clean_description(html).as_deref(),
            Some(
                "Soft & warm\n\nMade from merino wool.\n\nFits <true> to size\nMachine wash\n\n\
                 Say \"hi\" 'now'\nsecond line"
            )
        );
    }

    #[test]
    fn plain_descriptions_keep_paragraphs_and_line_breaks_but_not_extra_blank_lines() {
        let plain = "  First  line\r\nsecond line\n\n\n\nNew   paragraph !!  \n";
        assert_eq!(
            clean_description(plain).as_deref(),
            Some("First line\nsecond line\n\nNew paragraph!")
        );
    }

    #[test]
    fn empty_or_tag_only_descriptions_are_none() {
        assert_eq!(clean_description(" \n\t "), None);
        assert_eq!(clean_description("<p> </p><br>"), None);
    }

    #[test]
    fn full_width_letters_and_ligatures_are_normalised() {
        assert_eq!(title("Ｃｏｔｔｏｎ Ｔｅｅ ＸＬ"), "Cotton Tee XL");
        assert_eq!(title("Ceramic ﬁsh Bowl"), "Ceramic fish Bowl");
        assert_eq!(
            clean_description("Ｅｆｆｉｃｉｅｎｔ &#xFB01;lter").as_deref(),
            Some("Efficient filter")
        );
    }

    #[test]
    fn trademark_signs_and_superscripts_keep_their_meaning() {
        assert_eq!(nfkc("Acme™ Rug 2 m²"), "Acme™ Rug 2 m²");
        assert_eq!(nfkc("ﬁ ＡＢ"), "fi AB");
    }

    #[test]
    fn a_lone_less_than_sign_is_text_not_a_tag() {
        assert_eq!(
            clean_description("Fits dogs < 10 kg & cats").as_deref(),
            Some("Fits dogs < 10 kg & cats")
        );
    }
}
