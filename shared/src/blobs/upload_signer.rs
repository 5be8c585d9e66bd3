//! Upload URLs for the local blob folder: what a SAS is to Azure. The local host serves
//! `PUT {base}/blobs/{container}/{blob}?se={unix expiry}&sig={hex HMAC-SHA256}`; the signature
//! covers the method, container, blob name and expiry with a key that lives only in the
//! process, so a URL lets its holder write exactly one blob until it expires, and nothing else.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::Url;

use super::Container;

type HmacSha256 = Hmac<Sha256>;

/// The path under the local host where upload URLs point.
pub const LOCAL_UPLOAD_PATH: &str = "blobs";

/// Signs and checks local upload URLs.
#[derive(Clone)]
pub struct UploadSigner {
    base_url: Url,
    key: [u8; 32],
}

impl fmt::Debug for UploadSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadSigner")
            .field("base_url", &self.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Why an upload URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefused {
    /// The signature does not match what was signed (tampered, or another process's key).
    #[error("the upload URL's signature is not valid")]
    BadSignature,
    /// The URL's time is up.
    #[error("the upload URL has expired")]
    Expired,
    /// Uploads go to `ingest` and `videos` only.
    #[error("uploads are not accepted into this container")]
    Container,
}

impl UploadSigner {
    /// A signer for URLs under `base_url` (the local host's address, e.g.
    /// `http://127.0.0.1:7071`), signing with `key`.
    pub fn new(base_url: Url, key: [u8; 32]) -> Self {
        Self { base_url, key }
    }

    /// A signer with a fresh random key, for one process's lifetime.
    pub fn with_random_key(base_url: Url) -> Self {
        // Two v4 UUIDs carry 244 bits from the operating system's generator.
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self::new(base_url, key)
    }

    /// The URL that lets its holder PUT blob `name` of `container` until `ttl` from now.
    pub fn sign(&self, container: Container, name: &str, ttl: Duration) -> Url {
        let expires = unix_now().saturating_add(ttl.as_secs());
        let signature = hex::encode(
            self.mac(container.name(), name, expires)
                .finalize()
                .into_bytes(),
        );
        let mut url = self.base_url.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .push(LOCAL_UPLOAD_PATH)
                .push(container.name())
                .extend(name.split('/'));
        }
        url.query_pairs_mut()
            .clear()
            .append_pair("se", &expires.to_string())
            .append_pair("sig", &signature);
        url
    }

    /// Checks a PUT to `container`/`name` with query values `se` and `sig` at `now` (Unix
    /// seconds). The signature is compared in constant time.
    pub fn verify(
        &self,
        container: &str,
        name: &str,
        se: &str,
        sig: &str,
        now: u64,
    ) -> Result<Container, UploadRefused> {
        let container = [Container::Ingest, Container::Videos]
            .into_iter()
            .find(|c| c.name() == container)
            .ok_or(UploadRefused::Container)?;
        let expires: u64 = se.parse().map_err(|_| UploadRefused::BadSignature)?;
        let signature = hex::decode(sig).map_err(|_| UploadRefused::BadSignature)?;
        self.mac(container.name(), name, expires)
            .verify_slice(&signature)
            .map_err(|_| UploadRefused::BadSignature)?;
        if now > expires {
            return Err(UploadRefused::Expired);
        }
        Ok(container)
    }

    fn mac(&self, container: &str, name: &str, expires: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| {
            // HMAC takes keys of any length; this branch cannot run.
            unreachable!("HMAC accepts a 32-byte key")
        });
        mac.update(format!("PUT\n{container}\n{name}\n{expires}").as_bytes());
        mac
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> UploadSigner {
        UploadSigner::new(Url::parse("http://127.0.0.1:7071").unwrap(), [7; 32])
    }

    fn query(url: &Url, key: &str) -> String {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    }

    #[test]
    fn a_signed_url_names_one_blob_and_verifies_until_it_expires() {
        let url = signer().sign(
            Container::Ingest,
            "demo/products/feed.csv",
            Duration::from_secs(60),
        );
        assert_eq!(url.path(), "/blobs/ingest/demo/products/feed.csv");
        let (se, sig) = (query(&url, "se"), query(&url, "sig"));
        let now = unix_now();
        let check = |container: &str, name: &str, se: &str, sig: &str, now| {
            signer().verify(container, name, se, sig, now)
        };
        assert_eq!(
            check("ingest", "demo/products/feed.csv", &se, &sig, now),
            Ok(Container::Ingest)
        );
        assert_eq!(
            check("ingest", "acme/products/feed.csv", &se, &sig, now),
            Err(UploadRefused::BadSignature)
        );
        let later = (now + 3600).to_string();
        assert_eq!(
            check("ingest", "demo/products/feed.csv", &later, &sig, now),
            Err(UploadRefused::BadSignature)
        );
        assert_eq!(
            check("ingest", "demo/products/feed.csv", &se, &sig, now + 120),
            Err(UploadRefused::Expired)
        );
        assert_eq!(
            check("ingest-reports", "demo/products/feed.csv", &se, &sig, now),
            Err(UploadRefused::Container)
        );
        let other = UploadSigner::new(Url::parse("http://127.0.0.1:7071").unwrap(), [8; 32]);
        assert_eq!(
            other.verify("ingest", "demo/products/feed.csv", &se, &sig, now),
            Err(UploadRefused::BadSignature)
        );
    }
}
