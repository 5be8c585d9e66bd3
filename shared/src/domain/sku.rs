//! [`Sku`]: the partner's own identifier for a sellable item, the key rows are upserted on.
//!
//! Partners use all sorts of printable text ("ABC-123/XL", "ÉTÉ-01"), so any printable Unicode
//! is kept as given. What is refused is what would make two SKUs that look the same compare
//! different: surrounding whitespace (trimmed away), control characters and invisible
//! formatting characters.

use serde::{Deserialize, Serialize};

use super::DomainError;

/// Longest accepted SKU, in characters.
const MAX_LEN: usize = 64;

/// A trimmed, printable, 1–64 character stock-keeping unit.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String")]
pub struct Sku(String);

impl Sku {
    /// Parses a SKU: trims surrounding whitespace, then requires 1–64 printable characters.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let sku = input.trim();
        if sku.is_empty() {
            return Err(DomainError::SkuEmpty);
        }
        if sku.chars().any(is_unprintable) {
            return Err(DomainError::SkuNotPrintable);
        }
        let len = sku.chars().count();
        if len > MAX_LEN {
            return Err(DomainError::SkuTooLong { len });
        }
        Ok(Self(sku.to_owned()))
    }

    /// The SKU as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Control characters, plus the invisible format characters that survive copy-paste from
/// spreadsheets and web pages (zero-width spaces and joiners, bidi controls, the BOM): a SKU
/// holding one would never match the same SKU typed by hand.
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
        )
}

super::text_newtype!(Sku);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn partner_skus_with_punctuation_and_accents_are_kept_as_given() {
        for ok in ["ABC-123/XL", "ÉTÉ-01", "sku 42", "A", "靴-27.5", "#7_b"] {
            assert_eq!(Sku::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn surrounding_whitespace_is_trimmed() {
        assert_eq!(Sku::parse("  ABC-1 \t").unwrap().as_str(), "ABC-1");
    }

    #[test]
    fn an_empty_or_blank_sku_is_rejected() {
        assert_eq!(Sku::parse(""), Err(DomainError::SkuEmpty));
        assert_eq!(Sku::parse("   "), Err(DomainError::SkuEmpty));
        assert_eq!(DomainError::SkuEmpty.to_string(), "sku is required");
    }

    #[test]
    fn sixty_four_characters_are_accepted_and_sixty_five_are_not() {
        assert!(Sku::parse(&"É".repeat(64)).is_ok());
        let err = Sku::parse(&"É".repeat(65)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "sku is 65 characters long; at most 64 are allowed"
        );
    }

    #[test]
    fn control_and_invisible_characters_are_rejected() {
        for bad in [
            "AB\u{0}C",
            "AB\nC",
            "AB\tC",
            "AB\u{200B}C",
            "AB\u{FEFF}C",
            "AB\u{202E}C",
        ] {
            assert_eq!(
                Sku::parse(bad),
                Err(DomainError::SkuNotPrintable),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn it_serializes_as_a_plain_string_and_deserializes_through_parse() {
        let sku = Sku::parse("ABC-1").unwrap();
        assert_eq!(serde_json::to_string(&sku).unwrap(), r#""ABC-1""#);
        assert_eq!(serde_json::from_str::<Sku>(r#"" ABC-1 ""#).unwrap(), sku);
        assert!(serde_json::from_str::<Sku>(r#""""#).is_err());
    }
}
