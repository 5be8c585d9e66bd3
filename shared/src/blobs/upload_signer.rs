//! Signed URLs for the local blob folder: what a SAS is to Azure. The local host serves
//! `PUT` (upload) and `GET` (read) at `{base}/blobs/{container}/{blob}?se={unix expiry}&sig={hex
//! HMAC-SHA256}`; the signature covers the method, container, blob name and expiry with a key
//! that lives only in the process, so a URL lets its holder do one thing to exactly one blob
//! until it expires, and nothing else: a write URL cannot read and a read URL cannot write.
//!
//! The signer keeps the name it got for its first use, uploads: it is built in the CLI and the
//! test helpers as well, and a rename there would buy nothing but conflicts.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use http::Method;
use sha2::Sha256;
use url::Url;

use super::Container;

type HmacSha256 = Hmac<Sha256>;

/// The path under the local host where signed blob URLs point.
pub const LOCAL_UPLOAD_PATH: &str = "blobs";

/// What a signed URL lets its holder do, and to which containers such URLs are handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlobAccess {
    /// Create or overwrite one blob (`PUT`): feeds into `ingest`, videos into `videos`.
    Write,
    /// Read one blob (`GET`): thumbnails in `video-frames` only. Thumbnails are what apps
    /// display; feeds, reports and the videos themselves are never handed out.
    Read,
}

impl BlobAccess {
    /// The HTTP method the URL is for; it is the first thing the signature covers.
    pub fn method(self) -> Method {
        match self {
            BlobAccess::Write => Method::PUT,
            BlobAccess::Read => Method::GET,
        }
    }

    /// The containers URLs with this access are handed out for.
    pub fn containers(self) -> &'static [Container] {
        match self {
            BlobAccess::Write => &[Container::Ingest, Container::Videos],
            BlobAccess::Read => &[Container::VideoFrames],
        }
    }

    /// Whether URLs with this access are handed out for `container`.
    pub fn allows(self, container: Container) -> bool {
        self.containers().contains(&container)
    }
}

impl fmt::Display for BlobAccess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BlobAccess::Write => "upload",
            BlobAccess::Read => "read",
        })
    }
}

/// Signs and checks local blob URLs, for uploads and reads alike.
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

/// Why a signed URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UploadRefused {
    /// The signature does not match what was signed (tampered, signed for the other method,
    /// or another process's key).
    #[error("the URL's signature is not valid")]
    BadSignature,
    /// The URL's time is up.
    #[error("the URL has expired")]
    Expired,
    /// No URL with this access is handed out for this container (see [`BlobAccess`]).
    #[error("this container is not open to this kind of URL")]
    Container,
}

/// What a valid URL grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Granted {
    /// The container it reaches.
    pub container: Container,
    /// When it expires, in Unix seconds.
    pub expires: u64,
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

    /// The URL that grants `access` to blob `name` of `container` until `ttl` from now.
    /// Whether such URLs are handed out for `container` is the caller's check
    /// ([`BlobAccess::allows`]); [`verify`](Self::verify) refuses them either way.
    pub fn sign(&self, access: BlobAccess, container: Container, name: &str, ttl: Duration) -> Url {
        let expires = unix_now().saturating_add(ttl.as_secs());
        let signature = hex::encode(
            self.mac(access, container.name(), name, expires)
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

    /// Checks a request for `access` (a `PUT` for [`BlobAccess::Write`], a `GET` for
    /// [`BlobAccess::Read`]) to `container`/`name` with query values `se` and `sig` at `now`
    /// (Unix seconds). The signature is compared in constant time.
    pub fn verify(
        &self,
        access: BlobAccess,
        container: &str,
        name: &str,
        se: &str,
        sig: &str,
        now: u64,
    ) -> Result<Granted, UploadRefused> {
        let container = access
            .containers()
            .iter()
            .copied()
            .find(|c| c.name() == container)
            .ok_or(UploadRefused::Container)?;
        let expires: u64 = se.parse().map_err(|_| UploadRefused::BadSignature)?;
        let signature = hex::decode(sig).map_err(|_| UploadRefused::BadSignature)?;
        self.mac(access, container.name(), name, expires)
            .verify_slice(&signature)
            .map_err(|_| UploadRefused::BadSignature)?;
        if now > expires {
            return Err(UploadRefused::Expired);
        }
        Ok(Granted { container, expires })
    }

    fn mac(&self, access: BlobAccess, container: &str, name: &str, expires: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).unwrap_or_else(|_| {
            // HMAC takes keys of any length; this branch cannot run.
            unreachable!("HMAC accepts a 32-byte key")
        });
        let method = access.method();
        mac.update(format!("{method}\n{container}\n{name}\n{expires}").as_bytes());
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

    /// `se` and `sig` of a URL for `access` to `container`/`name` living 60 seconds.
    fn signed(access: BlobAccess, container: Container, name: &str) -> (String, String) {
        let url = signer().sign(access, container, name, Duration::from_secs(60));
        (query(&url, "se"), query(&url, "sig"))
    }

    #[test]
    fn a_signed_url_names_one_blob_and_verifies_until_it_expires() {
        let url = signer().sign(
            BlobAccess::Write,
            Container::Ingest,
            "demo/products/feed.csv",
            Duration::from_secs(60),
        );
        assert_eq!(url.path(), "/blobs/ingest/demo/products/feed.csv");
        let (se, sig) = (query(&url, "se"), query(&url, "sig"));
        let now = unix_now();
        let check = |container: &str, name: &str, se: &str, sig: &str, now| {
            signer().verify(BlobAccess::Write, container, name, se, sig, now)
        };
        assert_eq!(
            check("ingest", "demo/products/feed.csv", &se, &sig, now),
            Ok(Granted {
                container: Container::Ingest,
                expires: se.parse().unwrap()
            })
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
            other.verify(
                BlobAccess::Write,
                "ingest",
                "demo/products/feed.csv",
                &se,
                &sig,
                now
            ),
            Err(UploadRefused::BadSignature)
        );
    }

    #[test]
    fn a_read_url_verifies_for_reading_its_thumbnail_until_it_expires() {
        let name = "demo/clip-1/frame-0003.jpg";
        let url = signer().sign(
            BlobAccess::Read,
            Container::VideoFrames,
            name,
            Duration::from_secs(300),
        );
        assert_eq!(url.path(), "/blobs/video-frames/demo/clip-1/frame-0003.jpg");
        let (se, sig) = (query(&url, "se"), query(&url, "sig"));
        let expires: u64 = se.parse().unwrap();
        let read = |name: &str, se: &str, sig: &str, now| {
            signer().verify(BlobAccess::Read, "video-frames", name, se, sig, now)
        };
        let granted = Granted {
            container: Container::VideoFrames,
            expires,
        };
        assert_eq!(read(name, &se, &sig, expires - 300), Ok(granted));
        assert_eq!(read(name, &se, &sig, expires), Ok(granted));
        assert_eq!(
            read(name, &se, &sig, expires + 1),
            Err(UploadRefused::Expired)
        );
        assert_eq!(
            read("demo/clip-1/frame-0004.jpg", &se, &sig, expires - 300),
            Err(UploadRefused::BadSignature)
        );
        let mut flipped = sig.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            read(name, &se, &flipped, expires - 300),
            Err(UploadRefused::BadSignature)
        );
        assert_eq!(
            read(name, &(expires + 60).to_string(), &sig, expires - 300),
            Err(UploadRefused::BadSignature)
        );
        assert_eq!(
            read(name, &se, "not hex", expires - 300),
            Err(UploadRefused::BadSignature)
        );
    }

    #[test]
    fn a_write_url_never_reads_and_a_read_url_never_writes() {
        let now = unix_now();
        let name = "demo/clip.mp4";
        // A write URL to `videos`, presented for a read: `videos` is not readable at all.
        let (se, sig) = signed(BlobAccess::Write, Container::Videos, name);
        assert_eq!(
            signer().verify(BlobAccess::Read, "videos", name, &se, &sig, now),
            Err(UploadRefused::Container)
        );
        // Signed for writing a thumbnail (which no caller hands out), it still cannot read it.
        let frame = "demo/clip/frame-0001.jpg";
        let (se, sig) = signed(BlobAccess::Write, Container::VideoFrames, frame);
        assert_eq!(
            signer().verify(BlobAccess::Read, "video-frames", frame, &se, &sig, now),
            Err(UploadRefused::BadSignature)
        );
        // A read URL presented for a write: `video-frames` takes no uploads, and the
        // signature covers the method besides.
        let (se, sig) = signed(BlobAccess::Read, Container::VideoFrames, frame);
        assert_eq!(
            signer().verify(BlobAccess::Write, "video-frames", frame, &se, &sig, now),
            Err(UploadRefused::Container)
        );
        let (se, sig) = signed(BlobAccess::Read, Container::Videos, name);
        assert_eq!(
            signer().verify(BlobAccess::Write, "videos", name, &se, &sig, now),
            Err(UploadRefused::BadSignature)
        );
    }

    #[test]
    fn reads_reach_thumbnails_only_and_writes_feeds_and_videos_only() {
        let readable: Vec<_> = Container::ALL
            .into_iter()
            .filter(|c| BlobAccess::Read.allows(*c))
            .collect();
        assert_eq!(readable, [Container::VideoFrames]);
        let writable: Vec<_> = Container::ALL
            .into_iter()
            .filter(|c| BlobAccess::Write.allows(*c))
            .collect();
        assert_eq!(writable, [Container::Ingest, Container::Videos]);
        assert_eq!(BlobAccess::Read.method(), Method::GET);
        assert_eq!(BlobAccess::Write.method(), Method::PUT);
    }
}
