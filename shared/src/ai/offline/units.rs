//! Measurements written as a number and a unit: "500ml", "1.5 L", "1,5 l", "2 x 250 g" (the
//! "250 g"; a count is not a measure). Units come from `dictionaries::UNITS`, minus counts and
//! ordinals ("x", "pcs", "2nd") and suffixes that are not physical units ("4K", "1080p").
//! "30°C" is not a match (only letters may follow the number), nor is a rate ("180 g/m²").
//! Each (value, unit) is reported once, in the order first found, title before description.

use super::Measure;
use super::dictionaries::UNITS;

/// UNITS entries that are not measures.
const NOT_MEASURES: &[&str] = &[
    "x", "pcs", "pc", "pk", "st", "nd", "rd", "th", "p", "k", "fl", "mp",
];

/// Every measure in `texts`, deduplicated by value and unit.
pub(super) fn extract<'t>(texts: impl IntoIterator<Item = &'t str>) -> Vec<Measure> {
    let mut out: Vec<Measure> = Vec::new();
    for text in texts {
        for measure in in_text(text) {
            let seen = out
                .iter()
                .any(|m| m.unit == measure.unit && m.value == measure.value);
            if !seen {
                out.push(measure);
            }
        }
    }
    out
}

fn in_text(text: &str) -> Vec<Measure> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_ascii_digit() && starts_number(text, at) {
            if let Some((measure, len)) = measure_at(rest) {
                found.push(measure);
                at += len;
                continue;
            }
            at += rest.bytes().take_while(u8::is_ascii_digit).count();
            continue;
        }
        at += c.len_utf8();
    }
    found
}

/// A number starts at `at` unless it continues a word ("A4", "H2O", "XM4"); "10x15cm" lets
/// the "15" start after the "x".
fn starts_number(text: &str, at: usize) -> bool {
    let before = &text[..at];
    let mut back = before.chars().rev();
    match back.next() {
        None => true,
        Some(c) if c.is_ascii_digit() => false,
        Some('x' | 'X') => back.next().is_some_and(|d| d.is_ascii_digit()),
        Some(c) => !c.is_alphanumeric() && c != '.' && c != ',',
    }
}

/// A number and unit at the start of `s`, and the bytes they span.
fn measure_at(s: &str) -> Option<(Measure, usize)> {
    let (value, number_len) = number(s)?;
    let after = &s[number_len..];
    let spaces = after.len() - after.trim_start_matches([' ', '\u{a0}']).len();
    let unit_text: &str = {
        let u = &after[spaces..];
        let n = u.chars().take_while(|c| c.is_alphabetic()).count();
        let bytes: usize = u.chars().take(n).map(char::len_utf8).sum();
        &u[..bytes]
    };
    let end = number_len + spaces + unit_text.len();
    // "180 g/m²" and "30 km/h" are rates, not amounts of the unit.
    let compound = s[end..].starts_with(|c: char| c.is_alphanumeric() || c == '/');
    if unit_text.is_empty() || compound {
        return None;
    }
    let lower = unit_text.to_lowercase();
    let &(_, canonical, alone) = UNITS.iter().find(|(u, _, _)| *u == lower)?;
    if NOT_MEASURES.contains(&lower.as_str()) || (spaces > 0 && !alone) {
        return None;
    }
    let unit = match canonical.to_lowercase().as_str() {
        "lbs" => "lb".to_string(),
        other => other.to_string(),
    };
    let source = s[..end].to_string();
    Some((
        Measure {
            value,
            unit,
            source,
        },
        end,
    ))
}

/// "500", "1.5", "1,5" (decimal comma), "1,500" (thousands); the value and bytes spanned.
fn number(s: &str) -> Option<(f64, usize)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut len = digits;
    let mut text = s[..digits].to_string();
    let sep = s[digits..]
        .chars()
        .next()
        .filter(|c| matches!(c, '.' | ','));
    // `sep` is ASCII, so `digits + 1` is a character boundary when it is there.
    let frac = sep.map_or(0, |_| {
        s[digits + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count()
    });
    if let Some(sep) = sep
        && frac > 0
    {
        let thousands = sep == ',' && frac == 3;
        text.push_str(if thousands { "" } else { "." });
        text.push_str(&s[digits + 1..digits + 1 + frac]);
        len += 1 + frac;
    }
    text.parse::<f64>().ok().map(|v| (v, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (value, unit, source) of every measure in `text`.
    fn measures(text: &str) -> Vec<(f64, String, String)> {
        extract([text])
            .into_iter()
            .map(|m| (m.value, m.unit, m.source))
            .collect()
    }

    fn m(value: f64, unit: &str, source: &str) -> (f64, String, String) {
        (value, unit.into(), source.into())
    }

    #[test]
    fn glued_and_spaced_units_are_read_with_canonical_lower_case_units() {
        assert_eq!(measures("Water Bottle 500ml"), [m(500.0, "ml", "500ml")]);
        assert_eq!(measures("Olive Oil 1.5 L"), [m(1.5, "l", "1.5 L")]);
        assert_eq!(measures("Flour 2 x 250 g"), [m(250.0, "g", "250 g")]);
        assert_eq!(
            measures("Power Bank 10000mAh 18W"),
            [m(10000.0, "mah", "10000mAh"), m(18.0, "w", "18W")]
        );
        assert_eq!(measures("Dumbbell 5 lbs"), [m(5.0, "lb", "5 lbs")]);
    }

    #[test]
    fn decimal_commas_and_thousands_separators_are_read() {
        assert_eq!(measures("Saft 1,5 l"), [m(1.5, "l", "1,5 l")]);
        assert_eq!(measures("Rice 1,000 g"), [m(1000.0, "g", "1,000 g")]);
    }

    #[test]
    fn temperatures_counts_model_codes_and_loose_letters_are_not_measures() {
        assert!(measures("Machine wash at 30°C").is_empty());
        assert!(measures("Pack of 6 x Batteries, 12 pcs, 4K TV, 1080p").is_empty());
        assert!(measures("A4 Paper, WH-1000XM4, H2O").is_empty());
        assert!(measures("Available in 10 in colours, 5 M").is_empty());
        assert!(measures("Rug 120cmx").is_empty());
        assert!(measures("Jersey 180 g/m², top speed 25 km/h, 2 m²").is_empty());
        assert_eq!(measures("Frame 10x15cm"), [m(15.0, "cm", "15cm")]);
        assert_eq!(measures("Cable 2m"), [m(2.0, "m", "2m")]);
    }

    #[test]
    fn the_same_measure_is_reported_once_title_first() {
        let found = extract(["Bottle 500ml", "Holds 500 ml, or 0.5 L."]);
        let units: Vec<(f64, &str)> = found.iter().map(|m| (m.value, m.unit.as_str())).collect();
        assert_eq!(units, [(500.0, "ml"), (0.5, "l")]);
        assert_eq!(found[0].source, "500ml");
    }
}
