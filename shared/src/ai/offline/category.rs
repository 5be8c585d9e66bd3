//! A category guess from the rule table, made only when one rule is clearly ahead.
//!
//! Each input gives a rule at most one signal (its strongest), and signals combine as
//! independent evidence, `1 − Π(1 − s)`, capped below certainty:
//!
//! | signal                                                        | strength |
//! |---------------------------------------------------------------|----------|
//! | head noun of the title ("Organic Cotton **T-Shirt** - Navy")  | 0.75     |
//! | head noun of a later title segment ("Tee \| **Socks**")       | 0.60     |
//! | other mention in the title ("**Laptop** Bag", "for **Dogs**") | 0.35     |
//! | a keyword in the partner's category text                      | 0.50     |
//! | a department hint in the partner's category ("Footwear")      | 0.30     |
//! | a keyword in the description                                  | 0.25     |
//!
//! So a title head noun alone (0.75) is enough, a partner category that agrees raises it
//! (0.875), and description or partner text alone never is. A guess needs at least 0.7 and a
//! lead of more than 0.2 over the next rule, otherwise there is none.

use super::CategoryGuess;
use super::taxonomy::{BLOCKED, PET_WORDS, RULES, SUBORDINATORS, is_trailing};
use super::words::{self, FirstWordIndex, Inflection, Word};
use crate::ai::taxonomy::taxonomy;
use std::sync::LazyLock;

const HEAD: f64 = 0.75;
const LATER_HEAD: f64 = 0.6;
const MENTION: f64 = 0.35;
const PARTNER_KEYWORD: f64 = 0.5;
const PARTNER_HINT: f64 = 0.3;
const DESCRIPTION: f64 = 0.25;
const MIN_CONFIDENCE: f64 = 0.7;
const MIN_LEAD: f64 = 0.2;
const MAX_CONFIDENCE: f64 = 0.95;

/// A keyword found in a text: its rule (`None` for a blocked phrase) and word span.
#[derive(Debug, Clone)]
struct Hit {
    rule: Option<usize>,
    keyword: &'static str,
    start: usize,
    end: usize,
}

/// The strongest signal one input gave one rule, with a note on what it was.
#[derive(Debug, Clone, Default)]
struct Signal {
    strength: f64,
    note: String,
}

/// Per rule: the title, partner-category and description signals.
type Evidence = [Signal; 3];
const TITLE: usize = 0;
const PARTNER: usize = 1;
const DESC: usize = 2;

/// Guesses a category from the cleaned title, the description and the partner's category.
pub fn guess(
    title: &str,
    description: Option<&str>,
    partner: Option<&str>,
) -> Option<CategoryGuess> {
    let mut evidence: Vec<Evidence> = vec![Evidence::default(); RULES.len()];
    score_title(title, &mut evidence);
    if let Some(partner) = partner {
        score_partner(partner, &mut evidence);
    }
    if let Some(description) = description {
        let words = words::split_words(description);
        for hit in find_hits(description, &words) {
            if let Some(r) = hit.rule {
                record(&mut evidence[r][DESC], DESCRIPTION, || {
                    format!("description \"{}\"", hit.keyword)
                });
            }
        }
    }
    decide(&evidence)
}

fn record(signal: &mut Signal, strength: f64, note: impl FnOnce() -> String) {
    if strength > signal.strength {
        *signal = Signal {
            strength,
            note: note(),
        };
    }
}

fn score_title(title: &str, evidence: &mut [Evidence]) {
    let words = words::split_words(title);
    let hits = find_hits(title, &words);
    let for_pets = mentions_pet(&words, &hits);
    let mut head_seen = false;
    for (seg_start, seg_end) in segments(title, &words) {
        let in_segment: Vec<&Hit> = hits
            .iter()
            .filter(|h| h.start >= seg_start && h.end <= seg_end)
            .collect();
        let main_end = main_phrase_end(&words, seg_start, seg_end);
        // A later segment that only describes ("- Champagne", "- Size 12") names no product.
        let describes = head_seen
            && words[seg_start..seg_end]
                .iter()
                .all(|w| is_trailing(&w.lower));
        let heads = if describes {
            Vec::new()
        } else {
            head_indexes(title, &words, &in_segment, main_end)
        };
        for (k, hit) in in_segment.iter().enumerate() {
            let Some(r) = hit.rule else { continue };
            let trusted = !for_pets || RULES[r].path.starts_with("Animals & Pet Supplies");
            let (strength, role) = match heads.contains(&k) && trusted {
                true if head_seen => (LATER_HEAD, "head noun of a later segment"),
                true => (HEAD, "head noun"),
                false => (MENTION, "mention"),
            };
            record(&mut evidence[r][TITLE], strength, || {
                format!("title {role} \"{}\"", hit.keyword)
            });
        }
        head_seen |= heads.iter().any(|&k| in_segment[k].rule.is_some());
    }
}

fn score_partner(partner: &str, evidence: &mut [Evidence]) {
    let words = words::split_words(partner);
    for hit in find_hits(partner, &words) {
        if let Some(r) = hit.rule {
            record(&mut evidence[r][PARTNER], PARTNER_KEYWORD, || {
                format!("partner category \"{}\"", hit.keyword)
            });
        }
    }
    for (r, rule) in RULES.iter().enumerate() {
        if let Some(hint) = find_any(partner, &words, rule.hints) {
            record(&mut evidence[r][PARTNER], PARTNER_HINT, || {
                format!("partner category hint \"{hint}\"")
            });
        }
    }
}

fn find_any(text: &str, words: &[Word], entries: &'static str) -> Option<&'static str> {
    entries
        .split('|')
        .map(str::trim)
        .find(|entry| (0..words.len()).any(|i| match_keyword(text, words, i, entry).is_some()))
}

fn match_keyword(text: &str, words: &[Word], at: usize, keyword: &str) -> Option<usize> {
    words::match_phrase(text, words, at, keyword, Inflection::Plural)
}

/// Every keyword and blocked phrase, indexed once per process. The payload is the rule
/// (`None` for a blocked phrase) and the entry's position in the table, for tie-breaking.
static KEYWORDS: LazyLock<FirstWordIndex<(Option<usize>, usize)>> = LazyLock::new(|| {
    let entries = RULES
        .iter()
        .enumerate()
        .flat_map(|(r, rule)| rule.keywords.split('|').map(move |k| (k.trim(), Some(r))))
        .chain(BLOCKED.split('|').map(|k| (k.trim(), None)));
    FirstWordIndex::new(
        entries
            .enumerate()
            .map(|(ordinal, (keyword, rule))| (keyword, (rule, ordinal))),
    )
});

/// All keyword and blocked-phrase matches; where they overlap the longest wins ("dog bed"
/// over "bed", "tea towel" over "tea"), then the one ending last, then the first in the table.
fn find_hits(text: &str, words: &[Word]) -> Vec<Hit> {
    let mut candidates: Vec<(Hit, usize)> = Vec::new();
    for at in 0..words.len() {
        let found = KEYWORDS.matches_at(text, words, at, Inflection::Plural);
        for (n, keyword, (rule, ordinal)) in found {
            let hit = Hit {
                rule,
                keyword,
                start: at,
                end: at + n,
            };
            candidates.push((hit, ordinal));
        }
    }
    // Equally long overlaps go to the later one: English compounds end in their head noun
    // ("Red Wine Glasses" is glassware, not wine).
    candidates.sort_by_key(|(h, ordinal)| {
        (
            std::cmp::Reverse(h.end - h.start),
            std::cmp::Reverse(h.end),
            *ordinal,
        )
    });
    let mut taken = vec![false; words.len()];
    let mut hits = Vec::new();
    for (hit, _) in candidates {
        if taken[hit.start..hit.end].iter().any(|&t| t) {
            continue;
        }
        taken[hit.start..hit.end].fill(true);
        hits.push(hit);
    }
    hits.sort_by_key(|h| h.start);
    hits
}

/// A pet word outside any keyword ("Dog Coat", "Shampoo for Cats").
fn mentions_pet(words: &[Word], hits: &[Hit]) -> bool {
    words.iter().enumerate().any(|(i, w)| {
        PET_WORDS.contains(&w.lower.as_str()) && !hits.iter().any(|h| h.start <= i && i < h.end)
    })
}

/// Word ranges of the title's segments, split at "|", brackets, commas, colons and spaced
/// dashes or slashes ("Brand - Product - Colour").
fn segments(text: &str, words: &[Word]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for k in 0..words.len() {
        let gap = words::gap_after(text, words, k);
        let spaced = gap.starts_with(char::is_whitespace) || gap.ends_with(char::is_whitespace);
        let breaks = gap.contains(['|', '(', ')', '[', ']', ',', ';', ':', '–', '—'])
            || (spaced && gap.contains(['-', '/']));
        if breaks || k + 1 == words.len() {
            out.push((start, k + 1));
            start = k + 1;
        }
    }
    out
}

fn main_phrase_end(words: &[Word], start: usize, end: usize) -> usize {
    (start + 1..end)
        .find(|&k| {
            let w = words[k].lower.as_str();
            // "3 in 1" is a product, not "in Navy".
            let numeric_in = w == "in" && words[k - 1].lower.chars().all(|c| c.is_ascii_digit());
            SUBORDINATORS.contains(&w) && !numeric_in
        })
        .unwrap_or(end)
}

/// The head nouns of a segment: its last hit in the main phrase when only descriptive words
/// follow it, plus hits joined to it by "and", "or", "&" or "+" ("Yoga Mat and Water Bottle").
fn head_indexes(text: &str, words: &[Word], hits: &[&Hit], main_end: usize) -> Vec<usize> {
    let main: Vec<usize> = (0..hits.len())
        .filter(|&k| hits[k].end <= main_end)
        .collect();
    let Some(&last) = main.last() else {
        return Vec::new();
    };
    if !(hits[last].end..main_end).all(|w| is_trailing(&words[w].lower)) {
        return Vec::new();
    }
    let mut heads = vec![last];
    let mut current = last;
    for &prev in main.iter().rev().skip(1) {
        let between = &words[hits[prev].end..hits[current].start];
        let joined = match between {
            [] => words::gap_after(text, words, hits[prev].end - 1).contains(['&', '+']),
            [w] => w.lower == "and" || w.lower == "or",
            _ => false,
        };
        if !joined {
            break;
        }
        heads.push(prev);
        current = prev;
    }
    heads
}

fn combined(evidence: &Evidence) -> f64 {
    let doubt: f64 = evidence.iter().map(|s| 1.0 - s.strength).product();
    (1.0 - doubt).min(MAX_CONFIDENCE)
}

fn decide(evidence: &[Evidence]) -> Option<CategoryGuess> {
    let mut ranked: Vec<(f64, usize)> = evidence
        .iter()
        .enumerate()
        .map(|(r, e)| (combined(e), r))
        .filter(|&(c, _)| c > 0.0)
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let &(best, r) = ranked.first()?;
    let runner_up = ranked.get(1).map_or(0.0, |&(c, _)| c);
    if best < MIN_CONFIDENCE || best - runner_up <= MIN_LEAD {
        return None;
    }
    let notes: Vec<&str> = evidence[r]
        .iter()
        .filter(|s| s.strength > 0.0)
        .map(|s| s.note.as_str())
        .collect();
    let id = taxonomy().by_path(RULES[r].path).map(|c| c.id.to_string());
    Some(CategoryGuess {
        path: RULES[r].path.to_string(),
        id: id.unwrap_or_default(),
        confidence: (best * 100.0).round() / 100.0,
        rule: notes.join(" + "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The last level of the guessed path, enough to tell rules apart.
    fn leaf(title: &str) -> Option<String> {
        let path = guess(title, None, None)?.path;
        path.rsplit(" > ").next().map(String::from)
    }

    #[test]
    fn a_head_noun_in_the_title_is_enough_on_its_own() {
        let Some(g) = guess("Organic Cotton T-Shirt - Navy, XL", None, None) else {
            panic!("expected a guess");
        };
        assert_eq!(
            g.path,
            "Apparel & Accessories > Clothing > Clothing Tops > T-Shirts"
        );
        assert_eq!(g.id, "gid://shopify/TaxonomyCategory/aa-1-13-8");
        assert_eq!(
            (g.confidence, g.rule.as_str()),
            (0.75, "title head noun \"t-shirt\"")
        );
    }

    #[test]
    fn the_partner_category_raises_confidence_when_it_agrees() {
        let Some(g) = guess("Organic Cotton T-Shirt", None, Some("Men > T-Shirts")) else {
            panic!("expected a guess");
        };
        assert_eq!(g.confidence, 0.88);
        assert_eq!(
            g.rule,
            "title head noun \"t-shirt\" + partner category \"t-shirt\""
        );
        let hinted = guess("Canvas Sneakers", None, Some("Footwear"));
        assert_eq!(hinted.map(|g| g.confidence), Some(0.83));
    }

    #[test]
    fn keywords_only_in_the_description_or_partner_category_are_too_weak() {
        let description = Some("A soft t-shirt that goes with everything.");
        assert_eq!(
            guess("Essentials No. 5", description, Some("T-Shirts")),
            None
        );
    }

    #[test]
    fn confidence_stays_below_certainty_with_every_signal_agreeing() {
        let description = Some("Our favourite t-shirt.");
        let g = guess("Cotton T-Shirt", description, Some("T-Shirts > Tops"));
        assert!(g.is_some_and(|g| g.confidence > 0.9 && g.confidence < 1.0));
    }

    #[test]
    fn two_products_in_one_title_are_ambiguous_and_give_no_guess() {
        assert_eq!(leaf("Yoga Mat and Water Bottle Bundle"), None);
        assert_eq!(leaf("Yoga Mat & Water Bottle"), None);
        assert_eq!(leaf("Running Sneakers | Ankle Socks"), None);
    }

    #[test]
    fn the_head_noun_not_the_modifier_decides() {
        assert_eq!(leaf("T-Shirt Dress").as_deref(), Some("Dresses"));
        assert_eq!(leaf("Leather Dress Shoes").as_deref(), Some("Shoes"));
        let pan = leaf("Non-Stick Frying Pan with Glass Lid 28cm");
        assert_eq!(pan.as_deref(), Some("Skillets & Frying Pans"));
        assert_eq!(
            leaf("Red Wine Glasses Set of 6").as_deref(),
            Some("Stemware")
        );
        assert_eq!(leaf("TV Stand"), None);
        assert_eq!(leaf("Laptop Sleeve 13 inch"), None);
        assert_eq!(leaf("Case for Laptop"), None);
    }

    #[test]
    fn compounds_win_over_their_parts_and_blocked_phrases_guess_nothing() {
        assert_eq!(
            leaf("Memory Foam Dog Bed Large").as_deref(),
            Some("Pet Beds")
        );
        assert_eq!(leaf("Striped Linen Tea Towel"), None);
        assert_eq!(leaf("Hot Water Bottle with Knitted Cover"), None);
        assert_eq!(leaf("LED Ring Light"), None);
    }

    #[test]
    fn human_products_for_pets_are_not_given_the_human_category() {
        assert_eq!(leaf("Dog Raincoat"), None);
        assert_eq!(leaf("Gentle Shampoo for Dogs"), None);
        assert_eq!(leaf("Cat Eye Sunglasses").as_deref(), Some("Sunglasses"));
    }

    #[test]
    fn tops_go_to_their_own_category_and_other_tops_to_the_common_one() {
        assert_eq!(leaf("Linen Shirt - Sand").as_deref(), Some("Shirts"));
        assert_eq!(leaf("Pique Polo Shirt").as_deref(), Some("Polos"));
        assert_eq!(leaf("Ribbed Vest Top").as_deref(), Some("Tank Tops"));
        assert_eq!(leaf("Satin Camisole").as_deref(), Some("Clothing Tops"));
        assert_eq!(leaf("Cotton Tee").as_deref(), Some("T-Shirts"));
        assert_eq!(leaf("Merino Cardigan").as_deref(), Some("Cardigans"));
        assert_eq!(leaf("Chunky Knit Jumper").as_deref(), Some("Sweaters"));
        assert_eq!(leaf("Crew Neck Sweatshirt").as_deref(), Some("Sweatshirts"));
        assert_eq!(leaf("Lace Thong").as_deref(), Some("Women's Underpants"));
        assert_eq!(
            leaf("Boxer Briefs 3 Pack").as_deref(),
            Some("Men's Underwear")
        );
    }

    #[test]
    fn later_segments_count_only_when_they_name_a_product() {
        let hoodie = leaf("Acme Originals - Classic Hoodie - Grey");
        assert_eq!(hoodie.as_deref(), Some("Hoodies"));
        let pillowcase = leaf("Silk Pillowcase Queen Size - Champagne");
        assert_eq!(pillowcase.as_deref(), Some("Bedding"));
    }
}
