//! Target `mp4`: bytes read as an MP4/MOV video with [`read_movie`] (the box walk, the `moov`
//! decode, the facts and the sample tables) from memory, then every sample's location checked.
//!
//! Run it with `-rss_limit_mb=2048 -malloc_limit_mb=1024`: a few bytes claiming millions of
//! samples must not make the reader allocate gigabytes.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use async_trait::async_trait;
use bytes::Bytes;
use shared::video::container::{ByteSource, TrackSamples, VideoError, read_facts, read_movie};

/// A video held in memory.
#[derive(Debug)]
pub struct Memory(pub Bytes);

#[async_trait]
impl ByteSource for Memory {
    async fn size(&self) -> Result<u64, VideoError> {
        Ok(self.0.len() as u64)
    }

    async fn read_at(&self, offset: u64, len: u64) -> Result<Bytes, VideoError> {
        let size = self.0.len() as u64;
        let start = offset.min(size);
        let end = offset.saturating_add(len).min(size);
        // Both ends are at most the length, which is a `usize`.
        Ok(self.0.slice(start as usize..end as usize))
    }
}

/// Reads `data` as a video; a movie that reads must have every sample inside the file.
pub fn movie(data: &[u8]) {
    let source = Memory(Bytes::copy_from_slice(data));
    let _ = block_on(read_facts(&source));
    let Ok(movie) = block_on(read_movie(&source)) else {
        return;
    };
    let size = data.len() as u64;
    for track in [movie.video.as_ref(), movie.audio.as_ref()]
        .into_iter()
        .flatten()
    {
        check_samples(track, size);
    }
}

/// Panics (the fuzzer's finding) when a sample of a movie that read lies outside the file:
/// `read_movie` promises to call such a file truncated instead.
fn check_samples(track: &TrackSamples, size: u64) {
    for sample in &track.samples {
        let end = sample.offset.checked_add(u64::from(sample.size));
        assert!(
            end.is_some_and(|end| end <= size),
            "sample at {} of {} bytes lies outside the {size}-byte file",
            sample.offset,
            sample.size
        );
        assert!(sample.time.is_finite(), "sample time {}", sample.time);
    }
    let _ = track.keyframes().count();
}

/// Runs a future that never waits: [`Memory`] answers every read at once, so one poll after
/// another completes it without a runtime.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}
