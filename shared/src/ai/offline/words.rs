//! Word tokenising and phrase matching shared by the attribute and category rules.
//!
//! A word is a maximal run of letters or digits, so word boundaries come for free: "red"
//! can never match inside "shredded" or "redwood", because neither contains the word "red".
//! Dictionary phrases ("navy blue", "t-shirt", "s/m") are matched word by word, and the gap
//! between two words is checked separately so "navy blue", "Navy-Blue" and "navy\u{a0}blue"
//! all match while "Navy - Blue" (two title segments) does not.

use std::collections::HashMap;

/// One word of a text: where it sits and its lower-case form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Word {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset just past the last character.
    pub end: usize,
    /// The word in lower case, for case-insensitive comparison.
    pub lower: String,
}

/// How the last word of a phrase may be inflected when matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Inflection {
    /// The words must match exactly (attributes: "glass" must not match "glasses").
    Exact,
    /// The last word may carry a plural "s" or "es" (categories: "sneaker" matches "sneakers").
    Plural,
}

/// Splits `text` into words (maximal runs of alphanumeric characters).
pub(super) fn split_words(text: &str) -> Vec<Word> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            words.push(make_word(text, s, i));
        }
    }
    if let Some(s) = start {
        words.push(make_word(text, s, text.len()));
    }
    words
}

fn make_word(text: &str, start: usize, end: usize) -> Word {
    Word {
        start,
        end,
        lower: text[start..end].to_lowercase(),
    }
}

/// The text between word `i` and word `i + 1`.
pub(super) fn gap_after<'t>(text: &'t str, words: &[Word], i: usize) -> &'t str {
    match (words.get(i), words.get(i + 1)) {
        (Some(a), Some(b)) => &text[a.end..b.start],
        _ => "",
    }
}

/// Whether the dictionary phrase `entry` matches the words of `text` starting at word `at`.
/// Returns how many words it covers.
pub(super) fn match_phrase(
    text: &str,
    words: &[Word],
    at: usize,
    entry: &str,
    inflection: Inflection,
) -> Option<usize> {
    let entry_words = split_words(entry);
    let n = entry_words.len();
    if n == 0 || at + n > words.len() {
        return None;
    }
    for (k, ew) in entry_words.iter().enumerate() {
        let word = &words[at + k].lower;
        let last = k + 1 == n;
        let same = if last && inflection == Inflection::Plural {
            is_inflection_of(word, &ew.lower)
        } else {
            *word == ew.lower
        };
        if !same {
            return None;
        }
        if !last
            && !gap_matches(
                gap_after(entry, &entry_words, k),
                gap_after(text, words, at + k),
            )
        {
            return None;
        }
    }
    Some(n)
}

/// Dictionary entries grouped by their first word, so matching a long text looks up the few
/// entries that can start at a word instead of trying every entry at every word.
#[derive(Debug)]
pub(super) struct FirstWordIndex<T> {
    by_first: HashMap<String, Vec<(&'static str, T)>>,
}

impl<T: Copy> FirstWordIndex<T> {
    /// Indexes `(entry, payload)` pairs; candidates keep this order.
    pub(super) fn new(entries: impl IntoIterator<Item = (&'static str, T)>) -> Self {
        let mut by_first: HashMap<String, Vec<(&'static str, T)>> = HashMap::new();
        for (entry, payload) in entries {
            let first = split_words(entry).into_iter().next().map(|w| w.lower);
            by_first
                .entry(first.unwrap_or_default())
                .or_default()
                .push((entry, payload));
        }
        FirstWordIndex { by_first }
    }

    /// Entries that may match at word `at`, with how many words each covers, in index order.
    pub(super) fn matches_at(
        &self,
        text: &str,
        words: &[Word],
        at: usize,
        inflection: Inflection,
    ) -> Vec<(usize, &'static str, T)> {
        let word = words[at].lower.as_str();
        let mut keys = vec![word];
        if inflection == Inflection::Plural {
            keys.extend(word.strip_suffix('s'));
            keys.extend(word.strip_suffix("es"));
        }
        let mut found: Vec<(usize, &'static str, T)> = keys
            .into_iter()
            .filter_map(|key| self.by_first.get(key))
            .flatten()
            .filter_map(|&(entry, payload)| {
                match_phrase(text, words, at, entry, inflection).map(|n| (n, entry, payload))
            })
            .collect();
        found.dedup_by_key(|(_, entry, _)| *entry);
        found
    }
}

fn is_inflection_of(word: &str, base: &str) -> bool {
    match word.strip_prefix(base) {
        Some(rest) => matches!(rest, "" | "s" | "es"),
        None => false,
    }
}

/// A space or hyphen in an entry matches whitespace or a bare hyphen ("navy-blue"); any other
/// separator ("/", "'") must appear as written, spaces around it allowed ("S / M").
fn gap_matches(entry_gap: &str, text_gap: &str) -> bool {
    let wanted = entry_gap.trim();
    let found = text_gap.trim();
    let spaced = text_gap.chars().any(char::is_whitespace);
    match wanted {
        "" | "-" => found.is_empty() || (found == "-" && !spaced),
        _ => found.replace('\u{2019}', "'") == wanted,
    }
}

/// Indexes of the words covered by every occurrence of `phrase` (e.g. the brand) in `text`.
pub(super) fn mask_phrase(text: &str, words: &[Word], phrase: &str) -> Vec<bool> {
    let mut masked = vec![false; words.len()];
    if split_words(phrase).is_empty() {
        return masked;
    }
    for i in 0..words.len() {
        if let Some(n) = match_phrase(text, words, i, phrase, Inflection::Exact) {
            masked[i..i + n].iter_mut().for_each(|m| *m = true);
        }
    }
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(text: &str, entry: &str) -> bool {
        let words = split_words(text);
        (0..words.len()).any(|i| match_phrase(text, &words, i, entry, Inflection::Exact).is_some())
    }

    #[test]
    fn words_are_runs_of_letters_and_digits_with_byte_spans() {
        let words = split_words("Navy-Blue  3XL tee");
        let lowers: Vec<&str> = words.iter().map(|w| w.lower.as_str()).collect();
        assert_eq!(lowers, ["navy", "blue", "3xl", "tee"]);
        assert_eq!((words[2].start, words[2].end), (11, 14));
    }

    #[test]
    fn red_does_not_match_inside_shredded_or_redwood() {
        assert!(!matches("Shredded Wheat", "red"));
        assert!(!matches("Redwood planter", "red"));
        assert!(matches("Red planter", "red"));
    }

    #[test]
    fn a_spaced_entry_matches_spaces_a_bare_hyphen_or_nbsp_but_not_a_segment_dash() {
        assert!(matches("navy blue", "navy blue"));
        assert!(matches("Navy-Blue", "navy blue"));
        assert!(matches("navy\u{a0}blue", "navy blue"));
        assert!(!matches("Navy - Blue", "navy blue"));
        assert!(matches("T Shirt", "t-shirt"));
    }

    #[test]
    fn slash_and_apostrophe_entries_need_their_separator() {
        assert!(matches("Tee S/M", "s/m"));
        assert!(matches("Tee S / M", "s/m"));
        assert!(!matches("Tee S M", "s/m"));
        assert!(matches("Chef\u{2019}s Knife", "chef's knife"));
    }

    #[test]
    fn plural_inflection_accepts_s_and_es_on_the_last_word_only() {
        let text = "Running Sneakers and dresses";
        let words = split_words(text);
        let plural = |at, entry| match_phrase(text, &words, at, entry, Inflection::Plural);
        assert_eq!(plural(1, "sneaker"), Some(1));
        assert_eq!(plural(3, "dress"), Some(1));
        assert_eq!(plural(0, "run"), None);
    }

    #[test]
    fn the_index_finds_entries_by_first_word_and_plural_stem_in_table_order() {
        let index = FirstWordIndex::new([("dress", 0), ("dress shoe", 1), ("red", 2)]);
        let text = "Red Dress Shoes and dresses";
        let words = split_words(text);
        let found = |at, inflection| -> Vec<(usize, &str)> {
            let all = index.matches_at(text, &words, at, inflection);
            all.into_iter().map(|(n, entry, _)| (n, entry)).collect()
        };
        assert_eq!(
            found(1, Inflection::Plural),
            [(1, "dress"), (2, "dress shoe")]
        );
        assert_eq!(found(4, Inflection::Plural), [(1, "dress")]);
        assert_eq!(found(4, Inflection::Exact), []);
        assert_eq!(found(0, Inflection::Exact), [(1, "red")]);
    }

    #[test]
    fn brand_words_are_masked_wherever_they_occur() {
        let text = "Drill by Black & Decker, black & decker";
        let masked = mask_phrase(text, &split_words(text), "Black & Decker");
        assert_eq!(masked, [false, false, true, true, true, true]);
    }
}
