//! Who is calling and what they may do. Two ways in:
//!
//! - tenant API keys presented in `x-api-key`, each with scopes (`read`, `write`, `ingest`,
//!   `admin`; `admin` implies the others), stored as SHA-256 hashes; the well-known local key
//!   exists only in local mode and has every scope;
//! - Bearer JWTs from an identity provider ([`jwt`]), whose roles claim gives the scopes
//!   (`user`: read, write, ingest; `admin`: every scope) and whose tenant claim names the
//!   tenant.
//!
//! Every caller is then held to per-instance rate limits ([`rate_limit`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::domain::TenantId;
use crate::settings::DevCredentials;
use crate::store::{ApiKeyRecord, Store, StoreError};

mod authenticator;
pub mod jwks;
pub mod jwt;
pub mod rate_limit;

pub use authenticator::{AuthSetupError, Authenticator, Presented};

/// The header that carries a tenant API key.
pub const API_KEY_HEADER: &str = "x-api-key";
/// The header that carries a Bearer token.
pub const AUTHORIZATION_HEADER: &str = "authorization";
/// The JWT role that grants read, write and ingest.
pub const USER_ROLE: &str = "user";
/// The JWT role that grants every scope.
pub const ADMIN_ROLE: &str = "admin";

/// Why a caller is not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials at all.
    #[error(
        "no credentials: send the tenant's API key in the x-api-key header, or a Bearer token \
         in Authorization"
    )]
    Missing,
    /// Credentials that match no tenant (or a revoked key).
    #[error("the API key is not valid")]
    Invalid,
    /// A Bearer token that cannot be trusted, or names no tenant we have.
    #[error("the Bearer token is not valid: {0}")]
    InvalidToken(String),
    /// An API key and a Bearer token at once: which one counts would be a guess.
    #[error("send either x-api-key or an Authorization Bearer token, not both")]
    Ambiguous,
    /// A valid token whose roles grant nothing here.
    #[error("the token carries neither the `user` nor the `admin` role")]
    NoRole,
    /// The identity provider's keys cannot be fetched and none are cached.
    #[error("the identity provider's signing keys cannot be fetched right now; try again shortly")]
    KeysUnavailable,
    /// The store could not be asked.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stored form of an API key.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read products, runs, profiles and budgets.
    Read,
    /// Change enrichments and start enrichment runs.
    Write,
    /// Push feeds and manage mapping profiles.
    Ingest,
    /// Manage the tenant's API keys; implies every other scope.
    Admin,
}

/// A scope name that is not one of [`Scope`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`: expected read, write, ingest or admin")]
pub struct UnknownScope(pub String);

impl Scope {
    /// Every scope, in order.
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Write, Scope::Ingest, Scope::Admin];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Ingest => "ingest",
            Scope::Admin => "admin",
        }
    }

    /// Scopes separated by spaces or commas, sorted and without repeats.
    pub fn parse_list(text: &str) -> Result<Vec<Scope>, UnknownScope> {
        let mut scopes = text
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Scope>, _>>()?;
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }
}

impl FromStr for Scope {
    type Err = UnknownScope;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == s)
            .ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// The well-known local key (local mode only; not stored).
    DevKey,
    /// A stored API key, by id.
    ApiKey {
        /// The key's id (never the key).
        id: String,
    },
    /// A Bearer JWT, by its subject.
    Token {
        /// The token's `sub`.
        subject: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// Whose data the call may touch.
    pub tenant: TenantId,
    /// How it authenticated.
    pub credential: Credential,
    /// What it may do.
    pub scopes: Vec<Scope>,
}

impl Caller {
    /// Whether the caller may act with `scope`: it holds it, or holds `admin`.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope) || self.scopes.contains(&Scope::Admin)
    }

    /// The stored key's id, when a stored key authenticated the call.
    pub fn key_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::ApiKey { id } => Some(id),
            _ => None,
        }
    }

    /// What the per-credential rate limit counts by: the key id or the token's subject.
    pub fn credential_id(&self) -> String {
        match &self.credential {
            Credential::DevKey => "dev".to_owned(),
            Credential::ApiKey { id } => format!("key:{id}"),
            Credential::Token { subject } => format!("sub:{}:{subject}", self.tenant),
        }
    }
}

/// The scopes a token's roles grant: `admin` every scope, `user` read, write and ingest;
/// other roles nothing.
pub fn scopes_for_roles(roles: &[String]) -> Vec<Scope> {
    if roles.iter().any(|r| r == ADMIN_ROLE) {
        Scope::ALL.to_vec()
    } else if roles.iter().any(|r| r == USER_ROLE) {
        vec![Scope::Read, Scope::Write, Scope::Ingest]
    } else {
        Vec::new()
    }
}

/// The length of [`ApiKeyRecord::prefix`].
pub const KEY_PREFIX_LEN: usize = 8;

/// A new random key: `adv_` and 40 URL-safe characters (240 random bits, from the operating
/// system's generator through UUID v4).
pub fn new_api_key() -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes: Vec<u8> = (0..3)
        .flat_map(|_| uuid::Uuid::new_v4().into_bytes())
        .collect();
    // 64 symbols: each byte's low 6 bits pick one, uniformly. A v4 UUID fixes 6 bits of its 16
    // bytes (version and variant), which only ever land in bytes 6 and 8; those are skipped.
    let key: String = bytes
        .chunks(16)
        .flat_map(|uuid| {
            uuid.iter()
                .enumerate()
                .filter(|(i, _)| *i != 6 && *i != 8)
                .map(|(_, b)| *b)
                .collect::<Vec<u8>>()
        })
        .take(40)
        .map(|b| char::from(ALPHABET[usize::from(b & 63)]))
        .collect();
    format!("adv_{key}")
}

/// The record to store for a new `key` of `tenant`.
pub fn api_key_record(
    tenant: &TenantId,
    name: &str,
    key: &str,
    scopes: Vec<Scope>,
    now: DateTime<Utc>,
) -> ApiKeyRecord {
    ApiKeyRecord {
        id: uuid::Uuid::new_v4().to_string(),
        tenant: tenant.clone(),
        name: name.to_owned(),
        key_hash: hash_api_key(key),
        prefix: key.chars().take(KEY_PREFIX_LEN).collect(),
        scopes,
        created_at: now,
    }
}

/// The caller whose key `presented` is. A revoked key is [`AuthError::Invalid`].
pub async fn authenticate_api_key(
    store: &dyn Store,
    dev: Option<&DevCredentials>,
    presented: Option<&str>,
) -> Result<Caller, AuthError> {
    let key = presented
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(AuthError::Missing)?;
    let hash = hash_api_key(key);
    if let Some(dev) = dev
        && constant_time_eq(
            hash.as_bytes(),
            hash_api_key(dev.api_key.expose()).as_bytes(),
        )
    {
        return Ok(Caller {
            tenant: dev.tenant.clone(),
            credential: Credential::DevKey,
            scopes: Scope::ALL.to_vec(),
        });
    }
    match store.key_for_hash(&hash).await? {
        Some(found) if !found.revoked => Ok(Caller {
            tenant: found.tenant,
            credential: Credential::ApiKey { id: found.id },
            scopes: found.scopes,
        }),
        _ => Err(AuthError::Invalid),
    }
}

/// Compares without stopping at the first difference, so timing tells nothing about the key.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_and_unequal_bytes_compare_as_expected() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn keys_are_stored_as_sha256_hex() {
        assert_eq!(hash_api_key("local-dev-key").len(), 64,);
        assert_ne!(hash_api_key("a"), hash_api_key("b"));
    }

    #[test]
    fn new_keys_are_adv_and_forty_url_safe_characters_and_differ() {
        let (a, b) = (new_api_key(), new_api_key());
        assert_eq!(a.len(), 44);
        assert!(a.starts_with("adv_"));
        assert!(
            a[4..]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
    }

    #[test]
    fn scopes_parse_from_spaces_or_commas_and_print_lowercase() {
        assert_eq!(
            Scope::parse_list("write, read read").unwrap(),
            vec![Scope::Read, Scope::Write]
        );
        assert_eq!(Scope::Ingest.to_string(), "ingest");
        assert_eq!("Admin".parse::<Scope>(), Err(UnknownScope("Admin".into())));
    }

    #[test]
    fn the_admin_role_grants_every_scope_user_all_but_admin_and_others_none() {
        let roles = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(scopes_for_roles(&roles(&["user", "admin"])), Scope::ALL);
        assert_eq!(
            scopes_for_roles(&roles(&["user"])),
            [Scope::Read, Scope::Write, Scope::Ingest]
        );
        assert!(scopes_for_roles(&roles(&["Admin", "reader"])).is_empty());
    }

    #[test]
    fn admin_allows_every_scope_and_others_only_their_own() {
        let caller = |scopes: Vec<Scope>| Caller {
            tenant: TenantId::parse("demo").unwrap(),
            credential: Credential::DevKey,
            scopes,
        };
        let admin = caller(vec![Scope::Admin]);
        assert!(Scope::ALL.iter().all(|s| admin.allows(*s)));
        let reader = caller(vec![Scope::Read]);
        assert!(reader.allows(Scope::Read));
        assert!(!reader.allows(Scope::Write));
        assert!(!reader.allows(Scope::Admin));
    }
}
