//! [`Currency`] and [`Money`]: prices as exact integer minor units, never floats.
//!
//! A price is parsed from the partner's decimal text against its currency's minor-unit exponent
//! (EUR 2, JPY 0, KWD 3), so "19.99 EUR" is stored as 1999 and can be compared, summed and
//! rendered back without rounding. Parsing is strict on purpose: "1,234.50" or "$12" could mean
//! several things depending on locale, and guessing wrong prices a product wrongly.

use std::fmt;
use std::str::FromStr;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::currencies;
use super::{DomainError, clip};

/// An active ISO 4217 currency, with its minor-unit exponent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// Parses a currency code, case-insensitively ("eur" is EUR); only active ISO 4217 codes
    /// with a minor unit are accepted.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let trimmed = input.trim();
        let upper = trimmed.to_ascii_uppercase();
        match currencies::lookup(&upper) {
            Some(&(code, exponent)) => Ok(Self { code, exponent }),
            None => Err(DomainError::UnknownCurrency {
                code: clip(trimmed),
            }),
        }
    }

    /// The upper-case three-letter code, e.g. `"EUR"`.
    pub fn as_str(&self) -> &'static str {
        self.code
    }

    /// How many decimals the minor unit has: 2 for EUR (cents), 0 for JPY, 3 for KWD.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

impl FromStr for Currency {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = DomainError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code)
    }
}

impl schemars::JsonSchema for Currency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Currency".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "description": "An active ISO 4217 currency code",
        })
    }
}

// By hand rather than `#[serde(try_from)]`: the derive would tie the `'static` code to `'de`.
impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// A non-negative amount in a currency, held as integer minor units (cents for EUR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    /// Parses a plain decimal amount ("12", "12.5", "12.50", "0") in `currency`. Refuses signs,
    /// symbols, thousands separators, exponents, and decimals beyond the currency's minor unit
    /// unless they are zeros ("19.990" is fine for EUR, "19.999" is not).
    pub fn parse(amount: &str, currency: Currency) -> Result<Self, DomainError> {
        let minor = Decimal::parse(amount)?.to_minor(currency)?;
        Ok(Self { minor, currency })
    }

    /// An amount already in minor units, e.g. read back from storage.
    pub fn from_minor(minor: i64, currency: Currency) -> Result<Self, DomainError> {
        if minor < 0 {
            return Err(DomainError::PriceNegative);
        }
        Ok(Self { minor, currency })
    }

    /// The amount in minor units: 1250 for 12.50 EUR, 1250 for 1250 JPY.
    pub fn minor(&self) -> i64 {
        self.minor
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// The amount with exactly the currency's decimals, without the code: "12.50", "1250".
    pub fn amount_string(&self) -> String {
        let exponent = u32::from(self.currency.exponent);
        if exponent == 0 {
            return self.minor.to_string();
        }
        let scale = 10_i64.pow(exponent);
        let width = usize::from(self.currency.exponent);
        format!("{}.{:0width$}", self.minor / scale, self.minor % scale)
    }
}

/// Checks that `amount` is a plain, non-negative decimal without knowing its currency, so a
/// row whose currency is missing or unknown can still have its price problems reported.
pub(crate) fn check_amount(amount: &str) -> Result<(), DomainError> {
    Decimal::parse(amount).map(|_| ())
}

/// The digits of a plain decimal, split at the point; both parts are ASCII digits only.
struct Decimal<'a> {
    text: &'a str,
    whole: &'a str,
    fraction: &'a str,
}

impl<'a> Decimal<'a> {
    fn parse(input: &'a str) -> Result<Self, DomainError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(DomainError::PriceEmpty);
        }
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let has_point = whole.len() < unsigned.len();
        if !is_digits(whole) || (has_point && !is_digits(fraction)) {
            return Err(DomainError::PriceNotPlain);
        }
        // "-0.00" does come out of spreadsheets after rounding; it is zero, not a negative price.
        if negative && whole.bytes().chain(fraction.bytes()).any(|b| b != b'0') {
            return Err(DomainError::PriceNegative);
        }
        Ok(Self {
            text,
            whole,
            fraction,
        })
    }

    fn to_minor(&self, currency: Currency) -> Result<i64, DomainError> {
        let exponent = usize::from(currency.exponent);
        let (kept, dropped) = self.fraction.split_at(self.fraction.len().min(exponent));
        if dropped.bytes().any(|b| b != b'0') {
            return Err(DomainError::PriceTooPrecise {
                amount: clip(self.text),
                currency: currency.code,
                exponent: currency.exponent,
            });
        }
        let padding = std::iter::repeat_n(b'0', exponent - kept.len());
        let mut digits = self.whole.bytes().chain(kept.bytes()).chain(padding);
        digits.try_fold(0_i64, |minor, digit| {
            minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit - b'0')))
                .ok_or(DomainError::PriceTooLarge)
        })
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount_string(), self.currency)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("Money", 2)?;
        state.serialize_field("amount", &self.amount_string())?;
        state.serialize_field("currency", &self.currency)?;
        state.end()
    }
}

/// The wire shape of [`Money`]; the amount is a string so no JSON float ever touches a price.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyRepr {
    amount: String,
    currency: Currency,
}

impl schemars::JsonSchema for Money {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let currency = generator.subschema_for::<Currency>();
        schemars::json_schema!({
            "type": "object",
            "properties": {
                "amount": {
                    "type": "string",
                    "pattern": "^[0-9]+(\\.[0-9]+)?$",
                    "description": "The amount in the currency's decimal notation, e.g. \"19.99\"",
                },
                "currency": currency,
            },
            "required": ["amount", "currency"],
            "additionalProperties": false,
        })
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = MoneyRepr::deserialize(deserializer)?;
        Money::parse(&repr.amount, repr.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cur(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    fn minor(amount: &str, code: &str) -> Result<i64, DomainError> {
        Money::parse(amount, cur(code)).map(|money| money.minor())
    }

    #[test]
    fn currency_codes_are_case_insensitive_and_stored_upper_case() {
        for input in ["EUR", "eur", "Eur", " eur "] {
            assert_eq!(cur(input).as_str(), "EUR");
        }
        assert_eq!(cur("jpy").exponent(), 0);
        assert_eq!(cur("KWD").exponent(), 3);
        assert_eq!(cur("CLF").exponent(), 4);
    }

    #[test]
    fn an_unknown_or_withdrawn_currency_code_is_rejected() {
        for bad in ["EURO", "€", "", "XXX", "HRK", "E U"] {
            assert!(matches!(
                Currency::parse(bad),
                Err(DomainError::UnknownCurrency { .. })
            ));
        }
        assert_eq!(
            Currency::parse("euro").unwrap_err().to_string(),
            r#""euro" is not a currency code (use a 3-letter code like EUR, USD or GBP)"#
        );
    }

    #[test]
    fn plain_amounts_become_exact_minor_units() {
        assert_eq!(minor("12", "EUR"), Ok(1200));
        assert_eq!(minor("12.5", "EUR"), Ok(1250));
        assert_eq!(minor("12.50", "EUR"), Ok(1250));
        assert_eq!(minor("1234.99", "EUR"), Ok(123_499));
        assert_eq!(minor("0", "EUR"), Ok(0));
        assert_eq!(minor(" 7.05 ", "EUR"), Ok(705));
        assert_eq!(minor("1250", "JPY"), Ok(1250));
        assert_eq!(minor("1.234", "KWD"), Ok(1234));
        assert_eq!(minor("1.2345", "CLF"), Ok(12345));
    }

    #[test]
    fn trailing_zero_decimals_beyond_the_minor_unit_are_accepted() {
        assert_eq!(minor("19.990", "EUR"), Ok(1999));
        assert_eq!(minor("1250.00", "JPY"), Ok(1250));
    }

    #[test]
    fn a_price_with_three_decimals_is_rejected_for_euro() {
        assert_eq!(
            Money::parse("19.999", cur("EUR")).unwrap_err().to_string(),
            "19.999 has more decimals than EUR allows (2)"
        );
        assert_eq!(
            Money::parse("12.5", cur("JPY")).unwrap_err().to_string(),
            "12.5 has more decimals than JPY allows (0)"
        );
    }

    #[test]
    fn a_negative_price_is_rejected() {
        let err = Money::parse("-12.50", cur("EUR")).unwrap_err();
        assert_eq!(err.to_string(), "price must not be negative");
    }

    #[test]
    fn minus_zero_is_zero_not_a_negative_price() {
        assert_eq!(minor("-0.00", "EUR"), Ok(0));
    }

    #[test]
    fn anything_but_a_plain_decimal_is_rejected() {
        for bad in [
            "1,234.50", "1.234,50", "1 234", "1e3", "1E3", "$12", "€19.99", "12 EUR", "12.", ".5",
            "+12", "twelve", "0x10", "12.5.0", "١٢", "--1", "NaN", "inf",
        ] {
            assert_eq!(
                minor(bad, "EUR"),
                Err(DomainError::PriceNotPlain),
                "{bad:?}"
            );
        }
        assert_eq!(
            DomainError::PriceNotPlain.to_string(),
            "price must be a plain number like 12.50"
        );
    }

    #[test]
    fn an_empty_price_is_rejected() {
        assert_eq!(minor("", "EUR"), Err(DomainError::PriceEmpty));
        assert_eq!(minor("  ", "EUR"), Err(DomainError::PriceEmpty));
    }

    #[test]
    fn an_amount_too_large_for_64_bits_is_rejected_not_wrapped() {
        assert_eq!(minor("92233720368547758.07", "EUR"), Ok(i64::MAX));
        assert_eq!(
            minor("92233720368547758.08", "EUR"),
            Err(DomainError::PriceTooLarge)
        );
        assert_eq!(
            minor(&"9".repeat(40), "JPY"),
            Err(DomainError::PriceTooLarge)
        );
    }

    #[test]
    fn the_amount_renders_with_the_currency_exponent() {
        let eur = Money::parse("12.5", cur("EUR")).unwrap();
        assert_eq!(eur.amount_string(), "12.50");
        assert_eq!(eur.to_string(), "12.50 EUR");
        assert_eq!(
            Money::parse("0.05", cur("USD")).unwrap().amount_string(),
            "0.05"
        );
        assert_eq!(
            Money::parse("1250", cur("JPY")).unwrap().to_string(),
            "1250 JPY"
        );
        assert_eq!(
            Money::parse("1.5", cur("BHD")).unwrap().amount_string(),
            "1.500"
        );
    }

    #[test]
    fn from_minor_refuses_negative_amounts() {
        assert_eq!(
            Money::from_minor(-1, cur("EUR")),
            Err(DomainError::PriceNegative)
        );
        assert_eq!(
            Money::from_minor(1999, cur("EUR")).unwrap().to_string(),
            "19.99 EUR"
        );
    }

    #[test]
    fn check_amount_reports_syntax_problems_without_a_currency() {
        assert_eq!(check_amount("19.999"), Ok(()));
        assert_eq!(check_amount("-1"), Err(DomainError::PriceNegative));
        assert_eq!(check_amount("€1"), Err(DomainError::PriceNotPlain));
    }

    #[test]
    fn money_serializes_as_an_amount_string_and_a_code() {
        let money = Money::parse("12.5", cur("eur")).unwrap();
        let json = serde_json::to_string(&money).unwrap();
        assert_eq!(json, r#"{"amount":"12.50","currency":"EUR"}"#);
        assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), money);
    }

    #[test]
    fn money_deserialization_goes_through_parse() {
        let too_precise = r#"{"amount":"1.999","currency":"EUR"}"#;
        let err = serde_json::from_str::<Money>(too_precise).unwrap_err();
        assert!(err.to_string().contains("more decimals than EUR"), "{err}");
        let bad_code = r#"{"amount":"1","currency":"EURO"}"#;
        assert!(serde_json::from_str::<Money>(bad_code).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":1,"currency":"EUR"}"#).is_err());
    }

    #[test]
    fn currency_serializes_as_its_code() {
        assert_eq!(serde_json::to_string(&cur("gbp")).unwrap(), r#""GBP""#);
        assert_eq!(
            serde_json::from_str::<Currency>(r#""usd""#).unwrap(),
            cur("USD")
        );
    }
}
