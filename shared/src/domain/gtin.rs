//! [`Gtin`]: a GS1 Global Trade Item Number (GTIN-8, UPC-A, EAN-13, GTIN-14).
//!
//! Barcodes are matched against marketplaces and catalogues, where a single mistyped digit
//! points at someone else's product; the GS1 mod-10 check digit catches almost all such typos,
//! so it is always verified. The digits are kept as given, without padding to 14, because
//! partners search for the code printed on their box.

use serde::{Deserialize, Serialize};

use super::DomainError;

/// A GTIN with a valid check digit: 8, 12, 13 or 14 ASCII digits.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String")]
pub struct Gtin(String);

impl Gtin {
    /// Parses a GTIN after removing the spaces and hyphens people type to group digits
    /// ("4006381 333931", "0-12345-67890-5"), then checks the length and the check digit.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let digits: String = input.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if digits.is_empty() {
            return Err(DomainError::GtinEmpty);
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::GtinNotDigits);
        }
        if !matches!(digits.len(), 8 | 12 | 13 | 14) {
            return Err(DomainError::GtinLength { len: digits.len() });
        }
        let (body, check) = digits.split_at(digits.len() - 1);
        let expected = check_digit(body);
        let found = check.bytes().next().map_or(0, |b| b - b'0');
        if expected != found {
            return Err(DomainError::GtinCheckDigit { expected, found });
        }
        Ok(Self(digits))
    }

    /// The digits as given (after removing spaces and hyphens).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 14-digit form, left-padded with zeros, for matching codes given in different
    /// lengths (a UPC-A and its EAN-13 form are the same item).
    pub fn to_gtin14(&self) -> String {
        format!("{:0>14}", self.0)
    }
}

/// The GS1 mod-10 check digit for `body` (all digits but the last). Weights alternate 3, 1
/// starting from the digit next to the check digit, which is why every length works alike.
pub fn check_digit(body: &str) -> u8 {
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let digit = u32::from(b.wrapping_sub(b'0'));
            if i % 2 == 0 { digit * 3 } else { digit }
        })
        .sum();
    // Always < 10, so the cast cannot truncate.
    ((10 - sum % 10) % 10) as u8
}

super::text_newtype!(Gtin);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn real_codes_of_every_length_are_accepted() {
        for ok in [
            "96385074",
            "036000291452",
            "4006381333931",
            "10614141000415",
        ] {
            assert_eq!(Gtin::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn spaces_and_hyphens_are_removed_and_the_digits_kept_unpadded() {
        assert_eq!(
            Gtin::parse("4006381 333931").unwrap().as_str(),
            "4006381333931"
        );
        assert_eq!(
            Gtin::parse("0-36000-29145-2").unwrap().as_str(),
            "036000291452"
        );
    }

    #[test]
    fn a_wrong_check_digit_names_the_expected_digit() {
        let err = Gtin::parse("4006381333933").unwrap_err();
        assert_eq!(err.to_string(), "check digit should be 1, found 3");
        assert_eq!(
            Gtin::parse("96385073"),
            Err(DomainError::GtinCheckDigit {
                expected: 4,
                found: 3
            })
        );
    }

    #[test]
    fn lengths_other_than_8_12_13_or_14_are_rejected() {
        for (bad, len) in [("1234567", 7), ("123456789", 9), ("123456789012345", 15)] {
            assert_eq!(Gtin::parse(bad), Err(DomainError::GtinLength { len }));
        }
        assert_eq!(
            Gtin::parse("12345").unwrap_err().to_string(),
            "gtin must have 8, 12, 13 or 14 digits, found 5"
        );
    }

    #[test]
    fn letters_and_other_punctuation_are_rejected() {
        for bad in [
            "40063813339X1",
            "4006381.333931",
            "ISBN 978-3-16-148410-0",
            "4006381333931\t",
        ] {
            assert_eq!(Gtin::parse(bad), Err(DomainError::GtinNotDigits), "{bad:?}");
        }
    }

    #[test]
    fn an_empty_gtin_is_rejected() {
        assert_eq!(Gtin::parse(" - "), Err(DomainError::GtinEmpty));
    }

    #[test]
    fn the_check_digit_is_computed_with_alternating_weights_from_the_right() {
        assert_eq!(check_digit("400638133393"), 1);
        assert_eq!(check_digit("03600029145"), 2);
        assert_eq!(check_digit("9638507"), 4);
        assert_eq!(check_digit("1061414100041"), 5);
    }

    #[test]
    fn the_gtin14_form_pads_with_leading_zeros() {
        assert_eq!(
            Gtin::parse("036000291452").unwrap().to_gtin14(),
            "00036000291452"
        );
        assert_eq!(
            Gtin::parse("10614141000415").unwrap().to_gtin14(),
            "10614141000415"
        );
    }

    #[test]
    fn it_serializes_as_a_plain_string_and_deserializes_through_parse() {
        let gtin = Gtin::parse("4006381333931").unwrap();
        assert_eq!(serde_json::to_string(&gtin).unwrap(), r#""4006381333931""#);
        assert_eq!(
            serde_json::from_str::<Gtin>(r#""4006381333931""#).unwrap(),
            gtin
        );
        assert!(serde_json::from_str::<Gtin>(r#""4006381333932""#).is_err());
    }
}
