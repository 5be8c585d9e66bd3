//! Where a video's bytes come from: a local file or a blob, read by ranges, each counting the
//! bytes it handed out so a caller (or a test) can see how little of the video was fetched.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::VideoError;
use crate::blobs::{Blobs, Container as BlobContainer, MAX_RANGE_LEN};

/// Random access to a video's bytes.
#[async_trait]
pub trait ByteSource: Send + Sync {
    /// The total size in bytes.
    async fn size(&self) -> Result<u64, VideoError>;
    /// Up to `len` bytes from `offset`: fewer only where the source ends.
    async fn read_at(&self, offset: u64, len: u64) -> Result<Bytes, VideoError>;
}

/// A video in a local file.
#[derive(Debug)]
pub struct FileSource {
    path: PathBuf,
    bytes_read: AtomicU64,
}

impl FileSource {
    /// The file at `path` (opened on each read).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            bytes_read: AtomicU64::new(0),
        }
    }

    /// The bytes handed out so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }

    fn io_error(&self, e: std::io::Error) -> VideoError {
        use std::io::ErrorKind::{Interrupted, TimedOut, WouldBlock};
        VideoError::Source {
            message: format!("{}: {e}", self.path.display()),
            transient: matches!(e.kind(), Interrupted | TimedOut | WouldBlock),
        }
    }
}

#[async_trait]
impl ByteSource for FileSource {
    async fn size(&self) -> Result<u64, VideoError> {
        let meta = tokio::fs::metadata(&self.path)
            .await
            .map_err(|e| self.io_error(e))?;
        Ok(meta.len())
    }

    async fn read_at(&self, offset: u64, len: u64) -> Result<Bytes, VideoError> {
        let mut file = tokio::fs::File::open(&self.path)
            .await
            .map_err(|e| self.io_error(e))?;
        file.seek(std::io::SeekFrom::Start(offset))
            .await
            .map_err(|e| self.io_error(e))?;
        // Capacity from what the file can still give, not from the caller's `len`.
        let left = file
            .metadata()
            .await
            .map_err(|e| self.io_error(e))?
            .len()
            .saturating_sub(offset);
        let want = len.min(left);
        let mut buf = Vec::with_capacity(usize::try_from(want).unwrap_or(0));
        file.take(want)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| self.io_error(e))?;
        self.bytes_read
            .fetch_add(buf.len() as u64, Ordering::Relaxed);
        Ok(Bytes::from(buf))
    }
}

/// A video in blob storage, read with ranged GETs ([`Blobs::read_range`]).
pub struct BlobSource {
    blobs: Blobs,
    container: BlobContainer,
    name: String,
    bytes_read: AtomicU64,
}

impl BlobSource {
    /// Blob `name` of `container`.
    pub fn new(blobs: Blobs, container: BlobContainer, name: impl Into<String>) -> Self {
        Self {
            blobs,
            container,
            name: name.into(),
            bytes_read: AtomicU64::new(0),
        }
    }

    /// The bytes fetched so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read.load(Ordering::Relaxed)
    }
}

#[async_trait]
impl ByteSource for BlobSource {
    async fn size(&self) -> Result<u64, VideoError> {
        Ok(self.blobs.size(self.container, &self.name).await?)
    }

    async fn read_at(&self, offset: u64, len: u64) -> Result<Bytes, VideoError> {
        if len == 0 {
            return Ok(Bytes::new());
        }
        let end = offset.saturating_add(len.min(MAX_RANGE_LEN));
        let bytes = self
            .blobs
            .read_range(self.container, &self.name, offset..end)
            .await?;
        self.bytes_read
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(bytes)
    }
}
