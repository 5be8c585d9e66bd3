//! Domain newtypes: "parse, don't validate".
//!
//! Every value that crosses the edge of the system (a feed cell, a blob path segment, a JSON
//! body) is parsed once into one of these types; code past the edge takes the newtype and never
//! re-checks. Fields are private so no value can exist without having gone through `parse`, and
//! `Deserialize` goes through `parse` too so serde is not a side door.
//!
//! [`DomainError`] messages end up verbatim in the rejected-rows report a partner reads, so they
//! are short, name the field and say what is expected.

/// The traits every validated text newtype has — `Display`, `FromStr` and `TryFrom<String>`
/// through its `parse`, and `AsRef<str>` — written once.
macro_rules! text_newtype {
    ($name:ident) => {
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::domain::DomainError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::DomainError;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}
pub(crate) use text_newtype;

mod currencies;
pub mod gtin;
pub mod money;
pub mod product;
pub mod sku;
pub mod tenant;

pub use gtin::Gtin;
pub use money::{Currency, Money};
pub use product::{MAX_OPTIONS, ProductContent, ProductOption};
pub use sku::Sku;
pub use tenant::TenantId;

/// Why a value was refused. The `Display` text is written for the partner who sent the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The tenant id is empty.
    #[error("tenant id is required")]
    TenantEmpty,
    /// The tenant id is longer than 64 characters.
    #[error("tenant id is {len} characters long; at most 64 are allowed")]
    TenantTooLong {
        /// Length in characters.
        len: usize,
    },
    /// The tenant id starts with `-`.
    #[error("tenant id must start with a letter or digit")]
    TenantBadStart,
    /// The tenant id holds a character outside `a-z`, `0-9` and `-`.
    #[error("tenant id may only contain lower-case letters, digits and '-', found {found:?}")]
    TenantBadChar {
        /// The first offending character.
        found: char,
    },
    /// The SKU is empty or only whitespace.
    #[error("sku is required")]
    SkuEmpty,
    /// The SKU is longer than 64 characters.
    #[error("sku is {len} characters long; at most 64 are allowed")]
    SkuTooLong {
        /// Length in characters, after trimming.
        len: usize,
    },
    /// The SKU holds a control or invisible character.
    #[error("sku must contain only printable characters")]
    SkuNotPrintable,
    /// The currency code is not an active ISO 4217 code.
    #[error("{code:?} is not a currency code (use a 3-letter code like EUR, USD or GBP)")]
    UnknownCurrency {
        /// The code as given (trimmed).
        code: String,
    },
    /// The price is empty.
    #[error("price is required")]
    PriceEmpty,
    /// The price is below zero.
    #[error("price must not be negative")]
    PriceNegative,
    /// The price is not a plain decimal number.
    #[error("price must be a plain number like 12.50")]
    PriceNotPlain,
    /// The price has more decimals than the currency has minor units.
    #[error("{amount} has more decimals than {currency} allows ({exponent})")]
    PriceTooPrecise {
        /// The amount as given.
        amount: String,
        /// The currency code.
        currency: &'static str,
        /// How many decimals the currency allows.
        exponent: u8,
    },
    /// The price does not fit in 64 bits of minor units.
    #[error("price is too large")]
    PriceTooLarge,
    /// The GTIN is empty.
    #[error("gtin is required")]
    GtinEmpty,
    /// The GTIN holds something other than digits, spaces and hyphens.
    #[error("gtin must contain only digits")]
    GtinNotDigits,
    /// The GTIN does not have 8, 12, 13 or 14 digits.
    #[error("gtin must have 8, 12, 13 or 14 digits, found {len}")]
    GtinLength {
        /// How many digits there were.
        len: usize,
    },
    /// The GS1 check digit does not match.
    #[error("check digit should be {expected}, found {found}")]
    GtinCheckDigit {
        /// The check digit computed from the other digits.
        expected: u8,
        /// The last digit as given.
        found: u8,
    },
}

/// Longest echo of partner input inside an error message: the report shows the full cell
/// elsewhere, so a message only needs enough to recognise it.
const ECHO_MAX_CHARS: usize = 32;

/// `text` cut to [`ECHO_MAX_CHARS`] characters, with "…" when something was cut.
fn clip(text: &str) -> String {
    let mut chars = text.chars();
    let mut clipped: String = chars.by_ref().take(ECHO_MAX_CHARS).collect();
    if chars.next().is_some() {
        clipped.push('…');
    }
    clipped
}
