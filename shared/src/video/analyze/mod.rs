//! Analyses one uploaded video, start to end: claim its record (so a redelivered event is a
//! no-op and two deliveries never analyse it at once), read the container's facts and sample
//! tables by byte range, measure the audio, decode keyframes into thumbnails, judge every
//! channel, ask the AI provider for a review when there is one, and store the insights.
//!
//! A file that is not a readable video gets a `failed` record saying why, and is not retried:
//! the same bytes would fail the same way. Only failures that may pass (storage, the store)
//! fail the delivery, so the queue tries again.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use self::claim::Claim;
use super::audio::{AudioError, measure_audio};
use super::channels::fitness;
use super::container::{BlobSource, VideoError, read_movie};
use super::findings::findings;
use super::frames::{DecodedFrame, FramesError, decode_keyframes, evenly_spread};
use super::insights::{
    FramesOutcome, Insight, InsightSource, Keyframe, ReviewOutcome, VideoAnalysis,
};
use super::review::{MAX_REVIEW_FRAMES, ReviewFrame, review};
use crate::ai::AiEngine;
use crate::ask::{StoreBudget, TokenBudget};
use crate::blobs::{BlobError, Blobs, Container};
use crate::store::{Store, StoreError, VideoRecord, VideoStatus};

mod claim;
mod upload;

pub use upload::{SKU_METADATA, VideoUpload, sku_candidates};

/// How long a delivery holds a video it analyses; one that crashed is taken over after.
pub const LEASE_SECONDS: i64 = 240;

/// How long a delivery that finds the video held waits for the holder, looking again every
/// couple of seconds, before it gives up with [`AnalyzeError::Busy`]: past the lease, so a
/// crashed holder's lease runs out meanwhile and this delivery takes over, and within the
/// host's five minutes of lock renewal. Failing at once instead would have the queue redeliver
/// at once, ten times in a few seconds, and dead-letter the video while it is still held.
pub const WAIT_FOR_HOLDER: std::time::Duration = std::time::Duration::from_secs(270);

/// Most analyses one instance runs at once. The host delivers up to 16 messages at a time
/// (`host.json`); each analysis holds an H.264 decoder (about 100 MiB at 1080×1920), so more
/// would crowd a 2 GiB instance. The rest wait here, before claiming, so they hold no lease.
pub const CONCURRENT_ANALYSES: usize = 2;

static ANALYSES: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_ANALYSES);

/// Deliveries of a video that wait for an AI provider that cannot answer now. Service Bus
/// dead-letters a message at its MaxDeliveryCount (10 by default); from this delivery on, a
/// provider outage leaves the video analysed without a review, saying why, rather than in the
/// dead-letter queue without its technical analysis.
pub const REVIEW_DELIVERIES: u32 = 5;

/// Most keyframes decoded (and thumbnails written) per video.
pub const MAX_KEYFRAMES: usize = 8;

/// Why a video could not be analysed now.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// The event names a blob that is not a tenant's video; nothing will make it one.
    #[error("not a video upload: {0}")]
    NotAVideoUpload(String),
    /// Another delivery holds the video; this one tries again later.
    #[error("another delivery is analysing this video until {0}")]
    Busy(DateTime<Utc>),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the video failed in a way that may pass.
    #[error(transparent)]
    Video(#[from] VideoError),
    /// Writing a thumbnail failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The AI provider could not review the video now (down, timing out): a later delivery
    /// asks again rather than keep the video unreviewed for good.
    #[error("the AI review could not be had now: {0}")]
    Review(String),
}

impl AnalyzeError {
    /// Whether a later delivery may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            AnalyzeError::NotAVideoUpload(_) => false,
            AnalyzeError::Busy(_) => true,
            AnalyzeError::Store(e) => e.is_transient(),
            AnalyzeError::Video(e) => e.is_transient(),
            AnalyzeError::Blob(e) => e.is_transient(),
            AnalyzeError::Review(_) => true,
        }
    }
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// It analysed the video.
    Analyzed(VideoRecord),
    /// The file is not a readable video; the record says why.
    Failed(VideoRecord),
    /// This version was already analysed (or failed): nothing was done.
    AlreadyDone(VideoRecord),
    /// A newer upload under the same name took the record over meanwhile; its own analysis
    /// is the one kept.
    Superseded,
}

/// What analysing needs.
#[derive(Debug, Clone, Copy)]
pub struct Analyzer<'a> {
    /// Where records are kept.
    pub store: &'a dyn Store,
    /// Where videos are read and thumbnails written.
    pub blobs: &'a Blobs,
    /// Who reviews, if anyone.
    pub ai: &'a AiEngine,
    /// Whether this delivery is the last to wait for the provider ([`REVIEW_DELIVERIES`]).
    pub last_review_try: bool,
}

impl Analyzer<'_> {
    /// Analyses `upload` unless this version already was; waits while another delivery holds
    /// it (see [`WAIT_FOR_HOLDER`]).
    pub async fn analyze(&self, upload: &VideoUpload) -> Result<Outcome, AnalyzeError> {
        let started = tokio::time::Instant::now();
        loop {
            // The semaphore is never closed, so this waits for a turn and never fails.
            let turn = ANALYSES
                .acquire()
                .await
                .map_err(|_| AnalyzeError::Busy(Utc::now()))?;
            match self.claim(upload).await {
                Ok(Claim::Mine(record)) => {
                    let outcome = self.analyze_claimed(upload, record).await;
                    drop(turn);
                    return outcome;
                }
                Ok(Claim::Done(record)) => return Ok(Outcome::AlreadyDone(record)),
                Err(AnalyzeError::Busy(until)) if started.elapsed() < WAIT_FOR_HOLDER => {
                    drop(turn);
                    let left = (until - now()).to_std().unwrap_or_default();
                    let wait = left.clamp(
                        std::time::Duration::from_millis(100),
                        std::time::Duration::from_secs(2),
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Analyses the claimed `record` and saves the result, releasing the lease.
    async fn analyze_claimed(
        &self,
        upload: &VideoUpload,
        record: VideoRecord,
    ) -> Result<Outcome, AnalyzeError> {
        let result = self.run(upload, &record).await;
        let mut done = record.clone();
        done.updated_at = now();
        done.lease_until = None;
        match result {
            Err(error) => {
                // Let the next delivery start at once rather than wait out the lease.
                if let Err(e) = self.store.save_video(&done).await {
                    tracing::warn!(error = %e, "could not release the video's lease");
                }
                return Err(error);
            }
            Ok(Ok(analysis)) => {
                done.status = VideoStatus::Analyzed;
                done.analysis = Some(analysis);
            }
            Ok(Err(why)) => {
                // An earlier version's analysis does not describe these bytes.
                done.status = VideoStatus::Failed;
                done.error = Some(why);
                done.analysis = None;
            }
        }
        done.analyzed_at = Some(done.updated_at);
        if !self.store.save_video(&done).await? {
            return Ok(Outcome::Superseded);
        }
        done.version += 1;
        Ok(match done.status {
            VideoStatus::Failed => Outcome::Failed(done),
            _ => Outcome::Analyzed(done),
        })
    }

    /// The analysis, or (inner `Err`) why the file cannot be analysed.
    async fn run(
        &self,
        upload: &VideoUpload,
        record: &VideoRecord,
    ) -> Result<Result<VideoAnalysis, String>, AnalyzeError> {
        let source = BlobSource::new(self.blobs.clone(), Container::Videos, &upload.blob_name);
        let movie = match read_movie(&source).await {
            Ok(movie) => movie,
            Err(e) if e.is_transient() => return Err(e.into()),
            Err(e) => return Ok(Err(e.to_string())),
        };
        let mut notes = Vec::new();
        let audio = match &movie.audio {
            None => None,
            Some(track) => match measure_audio(&source, track).await {
                Ok(level) => Some(level),
                Err(AudioError::Source(e)) if e.is_transient() => return Err(e.into()),
                Err(e) => {
                    notes.push(note(
                        "audio",
                        format!("The audio could not be measured: {e}"),
                    ));
                    None
                }
            },
        };
        let rotation = movie.facts.video.as_ref().map_or(0, |v| v.rotation);
        let (frames, decoded) = match &movie.video {
            None => (FramesOutcome::NoVideo, Vec::new()),
            Some(track) => match decode_keyframes(&source, track, rotation, MAX_KEYFRAMES).await {
                Ok(decoded) => (FramesOutcome::Decoded, decoded),
                Err(FramesError::Source(e)) if e.is_transient() => return Err(e.into()),
                Err(FramesError::CannotDecode { codec }) => {
                    let reason = format!(
                        "{codec} keyframes cannot be decoded here (only H.264 can): there are no \
                         thumbnails, and the AI review needs them; the container facts are exact"
                    );
                    notes.push(note("keyframes", reason.clone()));
                    (FramesOutcome::CannotDecode { codec, reason }, Vec::new())
                }
                Err(e) => {
                    let reason = e.to_string();
                    notes.push(note(
                        "keyframes",
                        format!("No keyframe could be decoded: {reason}"),
                    ));
                    (FramesOutcome::Failed { reason }, Vec::new())
                }
            },
        };
        let keyframes = self.write_thumbnails(record, &decoded).await?;
        crate::crash::point("video.thumbnails_written");
        let channels = fitness(&movie.facts);
        let (review, ai_insights) = self.review(upload, &movie.facts, &decoded).await?;
        crate::crash::point("video.reviewed");
        let mut insights = findings(&movie.facts, audio.as_ref(), &keyframes, &channels);
        insights.extend(notes);
        insights.extend(ai_insights);
        Ok(Ok(VideoAnalysis {
            facts: movie.facts,
            audio,
            frames,
            keyframes,
            channels,
            review,
            insights,
        }))
    }

    /// Writes each frame's JPEG to `video-frames/{tenant}/{video}/{version}/…`; a version
    /// folder per blob version, so a re-upload never shows an older version's frames.
    async fn write_thumbnails(
        &self,
        record: &VideoRecord,
        frames: &[DecodedFrame],
    ) -> Result<Vec<Keyframe>, AnalyzeError> {
        let version = version_folder(&record.etag);
        let mut keyframes = Vec::with_capacity(frames.len());
        for (index, frame) in frames.iter().enumerate() {
            let name = format!(
                "{}/{}/{version}/{index:02}-{:07}ms.jpg",
                record.tenant,
                record.id,
                (frame.time * 1000.0).round() as u64
            );
            self.blobs
                .write_typed(
                    Container::VideoFrames,
                    &name,
                    frame.jpeg.clone(),
                    "image/jpeg",
                )
                .await?;
            keyframes.push(Keyframe {
                time: frame.time,
                thumbnail: name,
                width: frame.width,
                height: frame.height,
                brightness: frame.brightness,
                sharpness: frame.sharpness,
                change: frame.change,
            });
        }
        Ok(keyframes)
    }

    /// The model's review, when a provider is configured, there are frames to show and the
    /// tenant's budget allows; otherwise why not.
    async fn review(
        &self,
        upload: &VideoUpload,
        facts: &super::facts::VideoFacts,
        frames: &[DecodedFrame],
    ) -> Result<(ReviewOutcome, Vec<Insight>), AnalyzeError> {
        let not = |reason: &str| {
            Ok((
                ReviewOutcome::NotReviewed {
                    reason: reason.to_owned(),
                },
                Vec::new(),
            ))
        };
        let AiEngine::Provider(provider) = self.ai else {
            return not(
                "no AI provider is configured: only technical insights and rule-based \
                 recommendations were produced",
            );
        };
        if frames.is_empty() {
            return not("no keyframe could be decoded, so there is nothing for a model to look at");
        }
        let budget = StoreBudget::for_engine(self.store, self.ai);
        if let Some(budget) = &budget
            && !budget.left(&upload.tenant).await?
        {
            return not("the tenant's daily AI token budget is spent");
        }
        let product = match &upload.sku {
            Some(sku) => self.store.get_product(&upload.tenant, sku).await?,
            None => None,
        };
        let shown: Vec<ReviewFrame<'_>> = evenly_spread(frames.len(), MAX_REVIEW_FRAMES)
            .into_iter()
            .filter_map(|i| frames.get(i))
            .map(|f| ReviewFrame {
                time: f.time,
                jpeg: &f.jpeg,
            })
            .collect();
        let Ok(_slot) = provider.slot().await else {
            return not("the AI provider is shutting down");
        };
        let title = product.as_ref().map(|p| p.content.title.as_str());
        let (outcome, insights, tokens) = match review(provider, facts, &shown, title).await {
            Ok(r) => (
                ReviewOutcome::Reviewed {
                    model: r.model,
                    input_tokens: r.input_tokens,
                    output_tokens: r.output_tokens,
                },
                r.insights,
                r.input_tokens + r.output_tokens,
            ),
            Err(no) if no.transient && !self.last_review_try => {
                return Err(AnalyzeError::Review(no.reason));
            }
            Err(no) => (
                ReviewOutcome::NotReviewed { reason: no.reason },
                Vec::new(),
                no.tokens,
            ),
        };
        if let Some(budget) = &budget {
            budget.spend(&upload.tenant, tokens).await?;
        }
        Ok((outcome, insights))
    }
}

/// Now, to the millisecond the store keeps, so a record in hand equals the one stored.
fn now() -> DateTime<Utc> {
    let now = Utc::now();
    now.duration_trunc(TimeDelta::milliseconds(1))
        .unwrap_or(now)
}

fn note(kind: &str, value: String) -> Insight {
    Insight {
        kind: kind.to_owned(),
        value,
        confidence: 1.0,
        source: InsightSource::Measured,
        instances: Vec::new(),
    }
}

/// Eight hex digits of the ETag's SHA-256: a folder name per blob version.
fn version_folder(etag: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(etag.as_bytes())[..4])
}

#[cfg(test)]
mod tests;
