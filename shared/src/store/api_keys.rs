//! The records of tenant API keys: what is stored when a key is made, what authentication
//! finds for a presented key, and what a listing shows (never the key nor its hash).

use chrono::{DateTime, Utc};

use super::StoreError;
use crate::auth::Scope;
use crate::domain::TenantId;

/// A key about to be stored. The key itself is never stored: only its hash and its prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyRecord {
    /// The key's id, the `{id}` of `/api/keys/{id}`.
    pub id: String,
    /// Whose key it is.
    pub tenant: TenantId,
    /// What a person called it.
    pub name: String,
    /// SHA-256 hex of the key ([`crate::auth::hash_api_key`]).
    pub key_hash: String,
    /// The key's first 8 characters, so a person can tell keys apart in a listing.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// The stored key a presented key's hash matches.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyMatch {
    /// The key's id.
    pub id: String,
    /// Whose key it is.
    pub tenant: TenantId,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// Whether it has been revoked: a revoked key authenticates nobody.
    pub revoked: bool,
}

/// A key as a listing shows it: no key, no hash.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKeyView {
    /// The key's id.
    pub id: String,
    /// What a person called it.
    pub name: String,
    /// The key's first 8 characters.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last authenticated a request, to the minute; `None` if never.
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// How long a key's `last_used_at` stands before a use writes it again: a busy key writes at
/// most once a minute, not on every request.
pub const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// Scopes as stored: lowercase names separated by single spaces.
pub(crate) fn scopes_to_db(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads stored scopes; commas are accepted as separators too, for hand-edited rows.
pub(crate) fn scopes_from_db(text: &str) -> Result<Vec<Scope>, StoreError> {
    Scope::parse_list(text).map_err(|e| StoreError::Corrupt(format!("api_keys.scopes: {e}")))
}

/// Reads a stored tenant id.
pub(crate) fn tenant_from_db(text: &str) -> Result<TenantId, StoreError> {
    TenantId::parse(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}
