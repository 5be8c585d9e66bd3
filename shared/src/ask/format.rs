//! Numbers as an answer says them: money with its currency's minor-unit exponent and
//! thousands separators ("EUR 12,345.60", "JPY 1,200"), changes with a sign and a percentage.

use crate::domain::Currency;

/// `minor` units of `currency` as "EUR 12,345.60"; an unknown code is read with two decimals.
pub fn money(minor: i64, currency: &str) -> String {
    let exponent = Currency::parse(currency).map_or(2, |c| c.exponent());
    let scale = 10u128.pow(u32::from(exponent));
    let abs = u128::from(minor.unsigned_abs());
    let whole = grouped(abs / scale);
    let sign = if minor < 0 { "-" } else { "" };
    let code = currency.to_ascii_uppercase();
    if exponent == 0 {
        format!("{code} {sign}{whole}")
    } else {
        let fraction = abs % scale;
        let width = usize::from(exponent);
        format!("{code} {sign}{whole}.{fraction:0width$}")
    }
}

/// A count with thousands separators: 12345 → "12,345".
pub fn count(n: i64) -> String {
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", grouped(u128::from(n.unsigned_abs())))
}

/// A count and its noun, plural unless one: "1 order", "1,200 units".
pub fn counted(n: i64, noun: &str) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{} {noun}{s}", count(n))
}

fn grouped(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The change from `before` to `now`: "up EUR 2,345.60 (+23.5%)", "down 12 (-4.0%)", "no
/// change"; without a base to compare with, no percentage.
pub fn change(now: i64, before: i64, say: impl Fn(i64) -> String) -> String {
    let delta = now - before;
    let direction = match delta.signum() {
        0 => return "no change".into(),
        1 => "up",
        _ => "down",
    };
    let amount = say(delta.abs());
    if before == 0 {
        return format!("{direction} {amount} (nothing to compare with before)");
    }
    let pct = delta as f64 * 100.0 / before.unsigned_abs() as f64;
    format!("{direction} {amount} ({pct:+.1}%)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_follows_the_currencys_exponent() {
        assert_eq!(money(1_234_560, "EUR"), "EUR 12,345.60");
        assert_eq!(money(5, "eur"), "EUR 0.05");
        assert_eq!(money(120_000, "JPY"), "JPY 120,000");
        assert_eq!(money(1_234_567, "KWD"), "KWD 1,234.567");
        assert_eq!(money(-1999, "USD"), "USD -19.99");
        assert_eq!(money(100_000_000, "USD"), "USD 1,000,000.00");
    }

    #[test]
    fn counts_are_grouped() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(-1_234_567), "-1,234,567");
        assert_eq!(counted(1, "order"), "1 order");
        assert_eq!(counted(0, "unit"), "0 units");
        assert_eq!(counted(1200, "unit"), "1,200 units");
    }

    #[test]
    fn changes_carry_direction_amount_and_percentage() {
        let eur = |m| money(m, "EUR");
        assert_eq!(change(12_000, 10_000, eur), "up EUR 20.00 (+20.0%)");
        assert_eq!(change(9_000, 10_000, eur), "down EUR 10.00 (-10.0%)");
        assert_eq!(change(5, 5, eur), "no change");
        assert_eq!(
            change(500, 0, count),
            "up 500 (nothing to compare with before)"
        );
    }
}
