//! [`TenantId`]: which partner a feed, a blob or a row belongs to.
//!
//! The id is used verbatim as a blob path segment (`ingest/{tenant}/file.csv`), so the alphabet
//! is kept to what is safe in every store and URL without escaping: lower-case ASCII letters,
//! digits and `-`. A leading `-` is refused because tools read it as an option.

use serde::{Deserialize, Serialize};

use super::DomainError;

/// Longest accepted id, in characters (all ASCII, so also bytes).
const MAX_LEN: usize = 64;

/// A partner's id: 1–64 of `a-z`, `0-9`, `-`, starting with a letter or digit.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String")]
pub struct TenantId(String);

impl TenantId {
    /// Parses a tenant id. Nothing is trimmed or lower-cased: a path segment that differs from
    /// what the partner was given must not silently resolve to someone's folder.
    pub fn parse(input: &str) -> Result<Self, DomainError> {
        let Some(first) = input.chars().next() else {
            return Err(DomainError::TenantEmpty);
        };
        if let Some(found) = input.chars().find(|c| !is_tenant_char(*c)) {
            return Err(DomainError::TenantBadChar { found });
        }
        // All ASCII from here on, so the byte length is the character count.
        if input.len() > MAX_LEN {
            return Err(DomainError::TenantTooLong { len: input.len() });
        }
        if first == '-' {
            return Err(DomainError::TenantBadStart);
        }
        Ok(Self(input.to_owned()))
    }

    /// The id as a string slice, ready to use as a path segment.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_tenant_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

super::text_newtype!(TenantId);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_lower_case_slug_is_accepted() {
        for ok in [
            "acme",
            "acme-fashion",
            "a",
            "9lives",
            "shop-2024",
            &"a".repeat(64),
        ] {
            assert_eq!(TenantId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn an_empty_id_is_rejected() {
        assert_eq!(TenantId::parse(""), Err(DomainError::TenantEmpty));
    }

    #[test]
    fn an_id_longer_than_64_characters_is_rejected() {
        let err = TenantId::parse(&"a".repeat(65)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tenant id is 65 characters long; at most 64 are allowed"
        );
    }

    #[test]
    fn upper_case_letters_are_rejected_rather_than_folded() {
        let err = TenantId::parse("Acme").unwrap_err();
        assert_eq!(
            err.to_string(),
            "tenant id may only contain lower-case letters, digits and '-', found 'A'"
        );
    }

    #[test]
    fn characters_that_would_change_a_blob_path_are_rejected() {
        for bad in [
            "acme/other",
            "..",
            "acme shop",
            "acme_shop",
            "acmé",
            "acme\n",
            " acme",
        ] {
            assert!(
                matches!(TenantId::parse(bad), Err(DomainError::TenantBadChar { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn an_id_starting_with_a_hyphen_is_rejected() {
        assert_eq!(TenantId::parse("-acme"), Err(DomainError::TenantBadStart));
    }

    #[test]
    fn it_serializes_as_a_plain_string_and_deserializes_through_parse() {
        let id = TenantId::parse("acme").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""acme""#);
        assert_eq!(serde_json::from_str::<TenantId>(r#""acme""#).unwrap(), id);
        let err = serde_json::from_str::<TenantId>(r#""ACME""#).unwrap_err();
        assert!(err.to_string().contains("lower-case"), "{err}");
    }

    #[test]
    fn display_and_from_str_round_trip() {
        let id: TenantId = "acme-2".parse().unwrap();
        assert_eq!(id.to_string(), "acme-2");
    }
}
