//! Who is calling: tenant API keys presented in `x-api-key`. Keys are stored as SHA-256
//! hashes; the well-known local key exists only in local mode.

use sha2::{Digest, Sha256};

use crate::domain::TenantId;
use crate::settings::DevCredentials;
use crate::store::{Store, StoreError};

/// The header that carries a tenant API key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Why a caller is not authenticated.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials at all.
    #[error("no credentials: send the tenant's API key in the x-api-key header")]
    Missing,
    /// Credentials that match no tenant (or a revoked key).
    #[error("the API key is not valid")]
    Invalid,
    /// The store could not be asked.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The stored form of an API key.
pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The tenant whose key `presented` is.
pub async fn authenticate_api_key(
    store: &dyn Store,
    dev: Option<&DevCredentials>,
    presented: Option<&str>,
) -> Result<TenantId, AuthError> {
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
        return Ok(dev.tenant.clone());
    }
    store
        .tenant_for_key_hash(&hash)
        .await?
        .ok_or(AuthError::Invalid)
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
}
