//! When a dictionary match counts: after a label, alone in a segment, or not at all when it
//! is one option of a list. Kept apart from the matching itself so the rules read on their own.

use super::attributes::{Kind, Scan, terms_at};
use super::words::Word;

/// "Colour: olive", "Size M", "Material - walnut": a label word right before the match.
pub(super) fn has_label(scan: &Scan, i: usize, kind: Kind) -> bool {
    i > 0
        && kind.labels().contains(&scan.words[i - 1].lower.as_str())
        && matches!(scan.gap_after(i - 1).trim(), "" | ":" | "-" | "=" | "–")
}

/// The match is all there is between two separators: "Tee - M", "(L)", "Navy / M", "- Cream".
/// At least one side must be a real separator, not just the end of the text.
pub(super) fn is_whole_segment(scan: &Scan, i: usize, end: usize) -> bool {
    let before = &scan.text[..scan.words[i].start];
    let after = &scan.text[scan.words[end - 1].end..];
    match (left_boundary(before), right_boundary(after)) {
        (Some(left), Some(right)) => left || right,
        _ => false,
    }
}

/// `Some(true)` for a separator, `Some(false)` for the start of the text, `None` for text.
fn left_boundary(before: &str) -> Option<bool> {
    let trimmed = before.trim_end();
    let Some(c) = trimmed.chars().next_back() else {
        return Some(false);
    };
    let rest = &trimmed[..trimmed.len() - c.len_utf8()];
    let spaced = trimmed.len() < before.len() || rest.ends_with(char::is_whitespace);
    is_separator(c, "|([{,/;:", spaced).then_some(true)
}

fn right_boundary(after: &str) -> Option<bool> {
    let trimmed = after.trim_start();
    let Some(c) = trimmed.chars().next() else {
        return Some(false);
    };
    let rest = &trimmed[c.len_utf8()..];
    let spaced = trimmed.len() < after.len() || rest.starts_with(char::is_whitespace);
    let sentence_end = c == '.' && (rest.is_empty() || rest.starts_with(char::is_whitespace));
    (sentence_end || is_separator(c, "|)]},/;:", spaced)).then_some(true)
}

/// Dashes only separate when spaced ("Tee - M", not "T-M").
fn is_separator(c: char, marks: &str, spaced: bool) -> bool {
    marks.contains(c) || (matches!(c, '-' | '–' | '—') && spaced)
}

/// Whether the colour or size at `i..end` is one of a list of options ("S, M, L", "black,
/// navy or grey", "red, white and blue"). Materials are exempt: "cotton, elastane" is a
/// composition, not a choice. "Black/White" and "black and white" are one two-tone colour.
pub(super) fn in_option_list(scan: &Scan, i: usize, end: usize, kind: Kind) -> bool {
    if kind == Kind::Material {
        return false;
    }
    if kind.any_joiner_lists() && joined_to_another(scan, i, end, kind) {
        return true;
    }
    let comma_before = matches!(joiner_before(scan, i), Some((_, Joiner::Comma)));
    let listed_after = joiner_after(scan, end - 1).is_some_and(|(next, joiner)| {
        (joiner != Joiner::And || comma_before)
            && next < scan.words.len()
            && !terms_at(scan, next, kind).is_empty()
    });
    let listed_before = joiner_before(scan, i).is_some_and(|(ends_at, joiner)| {
        (ends_at.saturating_sub(4)..ends_at).any(|start| {
            let and_ok = joiner != Joiner::And
                || matches!(joiner_before(scan, start), Some((_, Joiner::Comma)));
            and_ok
                && terms_at(scan, start, kind)
                    .iter()
                    .any(|&(n, _)| start + n == ends_at)
        })
    });
    listed_after || listed_before
}

/// Whether another term of `kind` is joined to `i..end` by "and", "or", ",", "&", "/" or "+"
/// ("men and women", "Kids/Adults").
fn joined_to_another(scan: &Scan, i: usize, end: usize, kind: Kind) -> bool {
    let joins = |gap: &str| matches!(gap.trim(), "," | "&" | "/" | "+");
    let is_joiner_word = |k: usize| {
        scan.words
            .get(k)
            .is_some_and(|w| matches!(w.lower.as_str(), "and" | "or"))
    };
    let next = if joins(scan.gap_after(end - 1)) {
        Some(end)
    } else if is_joiner_word(end) && scan.joined(end - 1) {
        Some(end + 1)
    } else {
        None
    };
    let after = next.is_some_and(|k| k < scan.words.len() && !terms_at(scan, k, kind).is_empty());
    let prev_end = match i.checked_sub(1) {
        Some(p) if joins(scan.gap_after(p)) => Some(i),
        Some(p) if p > 0 && is_joiner_word(p) && scan.joined(p - 1) => Some(p),
        _ => None,
    };
    let before = prev_end.is_some_and(|b| {
        (b.saturating_sub(3)..b).any(|start| {
            terms_at(scan, start, kind)
                .iter()
                .any(|&(n, _)| start + n == b)
        })
    });
    after || before
}

/// How two list items are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Joiner {
    Comma,
    Or,
    And,
}

fn joiner_word(word: &Word) -> Option<Joiner> {
    match word.lower.as_str() {
        "or" => Some(Joiner::Or),
        "and" => Some(Joiner::And),
        _ => None,
    }
}

fn joiner_of_gap(gap: &str) -> Option<Joiner> {
    match gap.trim() {
        "," => Some(Joiner::Comma),
        "&" => Some(Joiner::And),
        _ => None,
    }
}

/// The joiner after word `last`, and where the next item starts.
fn joiner_after(scan: &Scan, last: usize) -> Option<(usize, Joiner)> {
    if let Some(joiner) = joiner_of_gap(scan.gap_after(last)) {
        return Some((last + 1, joiner));
    }
    let joiner = scan.words.get(last + 1).filter(|_| scan.joined(last))?;
    joiner_word(joiner).map(|j| (last + 2, j))
}

/// The joiner before word `i`, and where the previous item ends (exclusive).
fn joiner_before(scan: &Scan, i: usize) -> Option<(usize, Joiner)> {
    let prev = i.checked_sub(1)?;
    if let Some(joiner) = joiner_of_gap(scan.gap_after(prev)) {
        return Some((i, joiner));
    }
    let before_prev = prev.checked_sub(1)?;
    joiner_word(&scan.words[prev])
        .filter(|_| scan.joined(before_prev))
        .map(|j| (prev, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether the word at `i` of `text` stands alone in its segment.
    fn alone(text: &str, i: usize) -> bool {
        is_whole_segment(&Scan::new(text, None), i, i + 1)
    }

    #[test]
    fn spaced_dashes_brackets_and_slashes_separate_but_hyphens_and_words_do_not() {
        assert!(alone("Tee - M", 1));
        assert!(alone("Tee (M)", 1));
        assert!(alone("Tee Navy/M", 2));
        assert!(alone("Colour - Cream.", 1));
        assert!(!alone("T-M", 1));
        assert!(!alone("Large Frying Pan", 0));
        assert!(!alone("M", 0));
        assert!(!alone("M&S Voucher", 0));
    }

    #[test]
    fn labels_may_be_followed_by_a_colon_dash_or_nothing() {
        let scan = Scan::new("Colour: cream, size - M, shade cream", None);
        assert!(has_label(&scan, 1, Kind::Colour));
        assert!(has_label(&scan, 3, Kind::Size));
        assert!(has_label(&scan, 5, Kind::Colour));
        assert!(!has_label(&scan, 3, Kind::Colour));
    }

    #[test]
    fn commas_and_or_make_option_lists_but_a_lone_and_is_a_two_tone_colour() {
        let listed =
            |text: &str, i: usize| in_option_list(&Scan::new(text, None), i, i + 1, Kind::Colour);
        assert!(listed("black, navy or grey", 0));
        assert!(listed("black, navy or grey", 3));
        assert!(listed("red, white and blue", 3));
        assert!(!listed("black and white", 0));
        assert!(!listed("black and white", 2));
        let scan = Scan::new("cotton, elastane", None);
        assert!(!in_option_list(&scan, 0, 1, Kind::Material));
    }
}
