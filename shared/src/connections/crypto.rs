//! Platform secrets at rest: AES-256-GCM with a fresh random 96-bit nonce per secret, the
//! tenant and platform bound in as associated data so a ciphertext copied into another
//! tenant's (or platform's) row fails to open rather than lending its credentials.
//!
//! Stored form: `v1:` + base64(nonce ‖ ciphertext ‖ tag). The version prefix leaves room for
//! a key rotation scheme that tells old and new ciphertexts apart.

use std::fmt;
use std::path::Path;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{ConnectionError, Platform};
use crate::domain::TenantId;

/// The key's length in bytes (AES-256).
pub const KEY_LEN: usize = 32;
/// The prefix of every ciphertext this version writes.
const V1: &str = "v1:";

/// The key that seals platform secrets. `Debug` never prints it.
pub struct CredentialsKey {
    key: LessSafeKey,
}

impl fmt::Debug for CredentialsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialsKey(***)")
    }
}

impl CredentialsKey {
    /// The key from its base64 text (standard alphabet, padded): exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, String> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| "not base64 (make one with `openssl rand -base64 32`)".to_owned())?;
        Self::from_bytes(&bytes)
    }

    /// The key from its raw bytes: exactly 32.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() != KEY_LEN {
            return Err(format!(
                "{} bytes once decoded, not {KEY_LEN} (make one with `openssl rand -base64 32`)",
                bytes.len()
            ));
        }
        let unbound =
            UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| "not an AES-256 key".to_owned())?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
        })
    }

    /// A new random key, as base64 text.
    pub fn generate_base64() -> Result<String, ConnectionError> {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| ConnectionError::Crypto("no randomness for a new key".into()))?;
        Ok(STANDARD.encode(bytes))
    }

    /// The key in `path`, made (random, mode 0600) when the file does not exist yet: local
    /// mode's key, so `cargo run` needs no setup and keeps reading what it stored.
    pub fn load_or_create(path: &Path) -> Result<Self, ConnectionError> {
        let io = |e: std::io::Error| ConnectionError::KeyFile(format!("{}: {e}", path.display()));
        if !path.exists() {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(io)?;
            }
            write_private(path, &Self::generate_base64()?).map_err(io)?;
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        Self::from_base64(&text)
            .map_err(|reason| ConnectionError::KeyFile(format!("{}: {reason}", path.display())))
    }

    /// `plaintext` sealed for the tenant's `platform` row.
    pub fn seal(
        &self,
        tenant: &TenantId,
        platform: Platform,
        plaintext: &[u8],
    ) -> Result<String, ConnectionError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| ConnectionError::Crypto("no randomness for a nonce".into()))?;
        let mut sealed = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad(tenant, platform)),
                &mut sealed,
            )
            .map_err(|_| ConnectionError::Crypto("sealing failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{V1}{}", STANDARD.encode(out)))
    }

    /// The plaintext of `stored`, which must have been sealed with this key for this tenant's
    /// `platform` row.
    pub fn open(
        &self,
        tenant: &TenantId,
        platform: Platform,
        stored: &str,
    ) -> Result<Vec<u8>, ConnectionError> {
        let unreadable = || ConnectionError::Unreadable;
        let body = stored.strip_prefix(V1).ok_or_else(unreadable)?;
        let bytes = STANDARD.decode(body).map_err(|_| unreadable())?;
        if bytes.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(unreadable());
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| unreadable())?;
        let mut sealed = sealed.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(aad(tenant, platform)), &mut sealed)
            .map_err(|_| unreadable())?;
        Ok(plain.to_vec())
    }
}

/// The associated data: the row's identity, with a separator no tenant id contains.
fn aad(tenant: &TenantId, platform: Platform) -> Vec<u8> {
    format!("{}\n{}", tenant.as_str(), platform.as_str()).into_bytes()
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str) -> TenantId {
        TenantId::parse(id).unwrap()
    }

    fn key() -> CredentialsKey {
        CredentialsKey::from_base64(&CredentialsKey::generate_base64().unwrap()).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_to_its_plaintext_and_never_shows_it() {
        let key = key();
        let sealed = key
            .seal(&tenant("acme"), Platform::Shopify, b"shpat_secret")
            .unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("shpat_secret"));
        let again = key
            .seal(&tenant("acme"), Platform::Shopify, b"shpat_secret")
            .unwrap();
        assert_ne!(sealed, again, "each seal takes a fresh nonce");
        let plain = key
            .open(&tenant("acme"), Platform::Shopify, &sealed)
            .unwrap();
        assert_eq!(plain, b"shpat_secret");
    }

    #[test]
    fn another_key_cannot_open_a_secret() {
        let sealed = key()
            .seal(&tenant("acme"), Platform::Shopify, b"x")
            .unwrap();
        let error = key().open(&tenant("acme"), Platform::Shopify, &sealed);
        assert!(matches!(error, Err(ConnectionError::Unreadable)));
    }

    #[test]
    fn a_tampered_ciphertext_does_not_open() {
        let key = key();
        let sealed = key
            .seal(&tenant("acme"), Platform::NetSuite, b"token")
            .unwrap();
        let mut bytes = STANDARD.decode(&sealed[3..]).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("v1:{}", STANDARD.encode(bytes));
        assert!(
            key.open(&tenant("acme"), Platform::NetSuite, &tampered)
                .is_err()
        );
        assert!(
            key.open(&tenant("acme"), Platform::NetSuite, "v2:AAAA")
                .is_err()
        );
        assert!(
            key.open(&tenant("acme"), Platform::NetSuite, "v1:AAAA")
                .is_err()
        );
    }

    #[test]
    fn a_secret_moved_to_another_tenant_or_platform_does_not_open() {
        let key = key();
        let sealed = key
            .seal(&tenant("acme"), Platform::WooCommerce, b"cs_1")
            .unwrap();
        assert!(
            key.open(&tenant("other"), Platform::WooCommerce, &sealed)
                .is_err()
        );
        assert!(
            key.open(&tenant("acme"), Platform::Shopify, &sealed)
                .is_err()
        );
    }

    #[test]
    fn keys_must_be_base64_of_32_bytes() {
        assert!(CredentialsKey::from_base64("not base64!").is_err());
        assert!(CredentialsKey::from_base64(&STANDARD.encode([0u8; 16])).is_err());
        assert!(CredentialsKey::from_base64("@Microsoft.KeyVault(SecretUri=https://v/)").is_err());
        assert!(CredentialsKey::from_base64(&STANDARD.encode([7u8; 32])).is_ok());
    }

    #[test]
    fn the_local_key_file_is_made_once_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.key");
        let first = CredentialsKey::load_or_create(&path).unwrap();
        let sealed = first
            .seal(&tenant("demo"), Platform::Shopify, b"t")
            .unwrap();
        let second = CredentialsKey::load_or_create(&path).unwrap();
        assert_eq!(
            second
                .open(&tenant("demo"), Platform::Shopify, &sealed)
                .unwrap(),
            b"t"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
