//! The video insights rows: one per video blob, holding where its analysis stands and, once
//! done, what it found.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Sku, TenantId};
use crate::video::insights::VideoAnalysis;

/// Where a video's analysis stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VideoStatus {
    /// A delivery is analysing it (or crashed doing so: the lease says when another may take
    /// over).
    Analyzing,
    /// Analysed; the analysis is there.
    Analyzed,
    /// The file cannot be analysed (truncated, corrupt, not a video); `error` says why.
    /// Analysing the same bytes again would give the same answer, so nothing retries it; a new
    /// upload under the same name is analysed afresh.
    Failed,
}

impl VideoStatus {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            VideoStatus::Analyzing => "analyzing",
            VideoStatus::Analyzed => "analyzed",
            VideoStatus::Failed => "failed",
        }
    }

    /// The status a stored name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "analyzing" => Some(VideoStatus::Analyzing),
            "analyzed" => Some(VideoStatus::Analyzed),
            "failed" => Some(VideoStatus::Failed),
            _ => None,
        }
    }
}

/// One video blob and its analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// Stable for the tenant and blob name ([`video_id`]), so a re-upload under the same name
    /// updates the same record.
    pub id: Uuid,
    /// The blob's name in the `videos` container, tenant folder included.
    pub blob_name: String,
    /// The blob version analysed (or being analysed).
    pub etag: String,
    /// The blob's size in bytes.
    pub size: u64,
    /// The SKU the blob's name or metadata carries, if any.
    pub sku: Option<Sku>,
    /// Where the analysis stands.
    pub status: VideoStatus,
    /// Why the analysis failed, for a `failed` video.
    pub error: Option<String>,
    /// What the analysis found, for an `analyzed` video.
    pub analysis: Option<VideoAnalysis>,
    /// When the record was made.
    pub created_at: DateTime<Utc>,
    /// When it was last written.
    pub updated_at: DateTime<Utc>,
    /// When the current blob version's analysis ended.
    pub analyzed_at: Option<DateTime<Utc>>,
    /// Until when the delivery analysing it holds it; a later delivery takes over after.
    pub lease_until: Option<DateTime<Utc>>,
    /// Counts the record's writes; every update names the version it read.
    pub version: i64,
}

/// The id of the tenant's video at `blob_name`: a UUID (v5) of the two, so every delivery of
/// every event for that blob names the same record.
pub fn video_id(tenant: &TenantId, blob_name: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("video:{tenant}/{blob_name}").as_bytes(),
    )
}

/// Which of the tenant's videos a listing returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VideoQuery {
    /// Only videos linked to this SKU.
    pub sku: Option<Sku>,
    /// Only videos with this status.
    pub status: Option<VideoStatus>,
    /// Go on after this video (the last of the previous page).
    pub after: Option<VideoCursor>,
    /// At most this many.
    pub limit: u32,
}

/// Where a listing of videos goes on from: the last video's creation time and id (newest
/// first).
pub type VideoCursor = (DateTime<Utc>, Uuid);
