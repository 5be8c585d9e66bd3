//! Sizes written with a label: "Size 10", "size: 10.5", "Size 32x34", "Size UK 8",
//! "EU size 42", "Size: M". The label is what makes a bare number a size, so it is part of
//! the reported `source`.

use super::Attribute;
use super::attributes::{Kind, Scan, attribute, terms_at};
use super::context::in_option_list;
use super::dictionaries::{SIZE_LABELS, SIZE_REGIONS};

/// "Size 10", "size: 10.5", "Size 32x34", "Size UK 8", "EU size 42", "Size: M".
pub(super) fn labelled_size_at(scan: &Scan, i: usize) -> Option<Attribute> {
    let w = &scan.words;
    let is_region = |k: usize| {
        w.get(k)
            .is_some_and(|x| SIZE_REGIONS.contains(&x.lower.as_str()))
    };
    let is_label = |k: usize| {
        w.get(k)
            .is_some_and(|x| SIZE_LABELS.contains(&x.lower.as_str()))
    };
    let (label, mut region) = if is_region(i) && is_label(i + 1) && scan.joined(i) {
        (i + 1, Some(i))
    } else if is_label(i) {
        (i, None)
    } else {
        return None;
    };
    let value = label + 1;
    let gap_ok = matches!(scan.gap_after(label).trim(), "" | ":" | "-" | "=");
    if value >= w.len() || !gap_ok || scan.brand[i..=value].iter().any(|&b| b) {
        return None;
    }
    if region.is_none()
        && let Some(&(n, term)) = terms_at(scan, value, Kind::Size).first()
    {
        let listed = in_option_list(scan, value, value + n, Kind::Size);
        return (!listed).then(|| attribute(Kind::Size, term.canonical, scan.source(i, value + n)));
    }
    let mut number_at = w[value].start;
    if region.is_none() && is_region(value) && scan.joined(value) {
        region = Some(value);
        number_at = w[value + 1].start;
    }
    let (number, len) = numeric_size(&scan.text[number_at..])?;
    let canonical = match region {
        Some(r) => format!("{} {number}", w[r].lower.to_uppercase()),
        None => number,
    };
    let source = &scan.text[w[i].start..number_at + len];
    Some(attribute(Kind::Size, canonical, source))
}

/// A numeric size at the start of `s`: "10", "10.5", "32x34", "32/34", "8-10".
/// Returns the canonical text and the bytes it spans.
fn numeric_size(s: &str) -> Option<(String, usize)> {
    let (first, mut len) = size_number(s)?;
    let mut value = first;
    if let Some(sep) = s[len..].chars().next().filter(|c| "xX/-".contains(*c))
        && let Some((second, more)) = size_number(&s[len + 1..])
    {
        value = format!("{value}{}{second}", sep.to_ascii_lowercase());
        len += 1 + more;
    }
    // "Size 100ml" is a volume, not a size.
    let glued = s[len..].chars().next().is_some_and(char::is_alphanumeric);
    (!glued).then_some((value, len))
}

fn size_number(s: &str) -> Option<(String, usize)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=3).contains(&digits) {
        return None;
    }
    let mut len = digits;
    if let Some(frac) = s[digits..].strip_prefix(['.', ',']) {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if (1..=2).contains(&n) {
            len += 1 + n;
        }
    }
    Some((s[..len].replace(',', "."), len))
}

#[cfg(test)]
mod tests {
    use super::super::attributes::extract;

    /// The size found in `title`, as (value, source).
    fn size(title: &str) -> Option<(String, String)> {
        extract(title, None, None)
            .into_iter()
            .find(|a| a.name == "size")
            .map(|a| (a.value, a.source))
    }

    fn pair(value: &str, source: &str) -> Option<(String, String)> {
        Some((value.into(), source.into()))
    }

    #[test]
    fn labelled_sizes_keep_the_label_in_the_source() {
        assert_eq!(size("Tee Size: M"), pair("M", "Size: M"));
        assert_eq!(size("Jeans size 32X34"), pair("32x34", "size 32X34"));
        assert_eq!(size("Trainers UK Size 8"), pair("UK 8", "UK Size 8"));
        assert_eq!(
            size("Trainers - Size EU 42.5"),
            pair("EU 42.5", "Size EU 42.5")
        );
        assert_eq!(size("Dress Size 10,"), pair("10", "Size 10"));
        assert_eq!(size("Travel Size 100ml Shampoo"), None);
        assert_eq!(size("Size Guide Included"), None);
        assert_eq!(size("King Size Duvet Cover"), pair("King", "King Size"));
    }
}
