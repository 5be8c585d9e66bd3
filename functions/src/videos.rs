//! `Videos` (`videos/{id?}`, GET) — what the analysis of each uploaded product video found.
//!
//! - `GET /api/videos` (newest first; `sku` and `status` filters; cursor pagination): each
//!   video's status, headline facts, audio, channel verdicts and poster thumbnail.
//! - `GET /api/videos/{id}`: everything — facts, audio level, keyframes with short-lived
//!   thumbnail URLs, channel verdicts with their findings and fixes, the AI review's status,
//!   and the insights.

use std::time::Duration;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use shared::auth::Scope;
use shared::blobs::{BlobError, Container};
use shared::domain::{Sku, TenantId};
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::{VideoCursor, VideoQuery, VideoRecord, VideoStatus};
use shared::video::channels::{ChannelVerdict, Verdict};
use shared::video::facts::{Rational, VideoFacts};
use shared::video::insights::{
    AudioLevel, FramesOutcome, Insight, Keyframe, ReviewOutcome, VideoAnalysis,
};
use uuid::Uuid;

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond};
use crate::openapi::{Api, Operation, one_of};
use crate::paging::{decode_json_cursor, encode_json_cursor, json, limit, split_page};
use crate::problem::ApiError;

/// How long a thumbnail URL works: long enough to show a page, short enough not to leak.
const THUMBNAIL_URL_TTL: Duration = Duration::from_secs(15 * 60);

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, Scope::Read).await?.tenant;
    if !http.method.eq_ignore_ascii_case("GET") {
        return Err(ApiError::method_not_allowed(&http.method));
    }
    match http.param("id").filter(|id| !id.is_empty()) {
        None => list(state, &tenant, http).await,
        Some(id) => get(state, &tenant, id).await,
    }
}

async fn list(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let limit = limit(http)?;
    let status = http
        .query("status")
        .map(|s| {
            VideoStatus::parse(s).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "status must be analyzing, analyzed or failed, not `{s}`"
                ))
            })
        })
        .transpose()?;
    let sku = http
        .query("sku")
        .map(|s| Sku::parse(s).map_err(|e| ApiError::bad_request(e.to_string())))
        .transpose()?;
    let after: Option<(DateTime<Utc>, String)> =
        http.query("cursor").map(decode_json_cursor).transpose()?;
    let after: Option<VideoCursor> = after
        .map(|(at, id)| {
            id.parse::<Uuid>().map(|id| (at, id)).map_err(|_| {
                ApiError::bad_request("cursor is not one this API returned; start again without it")
            })
        })
        .transpose()?;
    let query = VideoQuery {
        sku,
        status,
        after,
        limit: limit + 1,
    };
    let videos = state.store.list_videos(tenant, &query).await?;
    let (videos, next_cursor) = split_page(videos, limit as usize, |v| {
        encode_json_cursor(&(v.created_at, v.id.to_string()))
    });
    let mut items = Vec::with_capacity(videos.len());
    for video in &videos {
        let poster = match video.analysis.as_ref().and_then(|a| a.keyframes.first()) {
            Some(k) => thumbnail_url(state, k).await?,
            None => None,
        };
        items.push(VideoSummary::new(video, poster));
    }
    // The thumbnail URLs expire: a cached answer would hand out dead links.
    Ok(json(200, &VideoList { items, next_cursor })?.with_header("Cache-Control", "no-store"))
}

async fn get(state: &AppState, tenant: &TenantId, id: &str) -> Result<HttpResponse, ApiError> {
    let missing = || ApiError::not_found(format!("no video `{id}`"));
    let id: Uuid = id.parse().map_err(|_| missing())?;
    let video = state
        .store
        .get_video(tenant, id)
        .await?
        .ok_or_else(missing)?;
    let mut keyframes = Vec::new();
    for k in video.analysis.iter().flat_map(|a| &a.keyframes) {
        keyframes.push(KeyframeBody {
            thumbnail_url: thumbnail_url(state, k).await?,
            keyframe: k,
        });
    }
    Ok(json(200, &VideoBody::new(&video, keyframes))?.with_header("Cache-Control", "no-store"))
}

/// A read URL for the keyframe's thumbnail; `None` where this app hands out none (the
/// handler run alone, without the local host to serve them).
async fn thumbnail_url(state: &AppState, keyframe: &Keyframe) -> Result<Option<String>, ApiError> {
    match state
        .blobs
        .read_url(
            Container::VideoFrames,
            &keyframe.thumbnail,
            THUMBNAIL_URL_TTL,
        )
        .await
    {
        Ok(url) => Ok(Some(url.to_string())),
        Err(BlobError::ReadUrlUnavailable { .. }) => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// The name below the tenant's folder, as the merchant uploaded it.
fn file_name(video: &VideoRecord) -> &str {
    video
        .blob_name
        .split_once('/')
        .map_or(video.blob_name.as_str(), |(_, rest)| rest)
}

/// A video in a listing.
#[derive(Serialize, JsonSchema)]
struct VideoSummary<'a> {
    id: String,
    /// The file's name in the tenant's `videos` folder.
    name: &'a str,
    /// The SKU the name carries.
    sku: Option<&'a Sku>,
    status: VideoStatus,
    /// Why the file could not be analysed (`failed`).
    error: Option<&'a str>,
    size: u64,
    duration_seconds: Option<f64>,
    width: Option<u32>,
    height: Option<u32>,
    frame_rate: Option<Rational>,
    /// Frames a second as a decimal.
    fps: Option<f64>,
    has_audio: Option<bool>,
    /// Whether the audio can be heard (`null`: no audio track, or it could not be measured).
    audible: Option<bool>,
    /// Each channel's overall verdict.
    channels: Vec<ChannelSummary<'a>>,
    /// A short-lived URL of the first keyframe's thumbnail.
    poster_url: Option<String>,
    created_at: DateTime<Utc>,
    analyzed_at: Option<DateTime<Utc>>,
    links: VideoLinks,
}

#[derive(Serialize, JsonSchema)]
struct ChannelSummary<'a> {
    channel: &'a str,
    verdict: Verdict,
}

#[derive(Serialize, JsonSchema)]
struct VideoLinks {
    video: String,
}

impl<'a> VideoSummary<'a> {
    fn new(video: &'a VideoRecord, poster_url: Option<String>) -> Self {
        let analysis = video.analysis.as_ref();
        let facts = analysis.map(|a| &a.facts);
        let track = facts.and_then(|f| f.video.as_ref());
        Self {
            id: video.id.to_string(),
            name: file_name(video),
            sku: video.sku.as_ref(),
            status: video.status,
            error: video.error.as_deref(),
            size: video.size,
            duration_seconds: facts.map(|f| f.duration_seconds),
            width: track.map(|v| v.display_width),
            height: track.map(|v| v.display_height),
            frame_rate: track.and_then(|v| v.frame_rate),
            fps: track
                .and_then(|v| v.frame_rate)
                .map(|r| (r.value() * 1000.0).round() / 1000.0),
            has_audio: facts.map(|f| f.audio.is_some()),
            audible: analysis.and_then(|a| a.audio).map(|l| l.audible),
            channels: analysis
                .iter()
                .flat_map(|a| &a.channels)
                .map(|c| ChannelSummary {
                    channel: &c.channel,
                    verdict: c.verdict,
                })
                .collect(),
            poster_url,
            created_at: video.created_at,
            analyzed_at: video.analyzed_at,
            links: VideoLinks {
                video: format!("/api/videos/{}", video.id),
            },
        }
    }
}

#[derive(Serialize, JsonSchema)]
struct VideoList<'a> {
    items: Vec<VideoSummary<'a>>,
    next_cursor: Option<String>,
}

/// One video, in full.
#[derive(Serialize, JsonSchema)]
struct VideoBody<'a> {
    id: String,
    /// The file's name in the tenant's `videos` folder.
    name: &'a str,
    sku: Option<&'a Sku>,
    status: VideoStatus,
    /// Why the file could not be analysed (`failed`).
    error: Option<&'a str>,
    size: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    analyzed_at: Option<DateTime<Utc>>,
    /// What the container says (absent until analysed, or when the file is not a video).
    facts: Option<&'a VideoFacts>,
    audio: Option<&'a AudioLevel>,
    frames: Option<&'a FramesOutcome>,
    keyframes: Vec<KeyframeBody<'a>>,
    channels: &'a [ChannelVerdict],
    review: Option<&'a ReviewOutcome>,
    insights: &'a [Insight],
    links: VideoLinks,
}

/// A keyframe with a short-lived URL of its thumbnail.
#[derive(Serialize, JsonSchema)]
struct KeyframeBody<'a> {
    #[serde(flatten)]
    keyframe: &'a Keyframe,
    /// A read-only URL of the thumbnail, valid 15 minutes (ask for the video again for a fresh
    /// one); `null` where the app hands out none.
    thumbnail_url: Option<String>,
}

impl<'a> VideoBody<'a> {
    fn new(video: &'a VideoRecord, keyframes: Vec<KeyframeBody<'a>>) -> Self {
        let analysis: Option<&VideoAnalysis> = video.analysis.as_ref();
        Self {
            id: video.id.to_string(),
            name: file_name(video),
            sku: video.sku.as_ref(),
            status: video.status,
            error: video.error.as_deref(),
            size: video.size,
            created_at: video.created_at,
            updated_at: video.updated_at,
            analyzed_at: video.analyzed_at,
            facts: analysis.map(|a| &a.facts),
            audio: analysis.and_then(|a| a.audio.as_ref()),
            frames: analysis.map(|a| &a.frames),
            keyframes,
            channels: analysis.map_or(&[], |a| a.channels.as_slice()),
            review: analysis.map(|a| &a.review),
            insights: analysis.map_or(&[], |a| a.insights.as_slice()),
            links: VideoLinks {
                video: format!("/api/videos/{}", video.id),
            },
        }
    }
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let list = api.sends::<VideoList<'static>>();
    let video = api.sends::<VideoBody<'static>>();
    let tag = "Videos";
    api.add(
        Operation::new(
            "GET",
            "videos",
            "listVideos",
            tag,
            "Product videos and their analysis, newest first",
            Some(Scope::Read),
        )
        .query(
            "status",
            one_of(&["analyzing", "analyzed", "failed"]),
            "Only videos in this state",
        )
        .query(
            "sku",
            serde_json::json!({"type": "string", "minLength": 1}),
            "Only videos linked to this SKU",
        )
        .paged()
        .error(400, "An unknown status, an invalid SKU or cursor")
        .answer(200, "A page of videos", list),
    );
    api.add(
        Operation::new(
            "GET",
            "videos/{id}",
            "getVideo",
            tag,
            "One video: facts, audio, keyframes with thumbnail URLs, channel verdicts, insights",
            Some(Scope::Read),
        )
        .path_param("id", "The video's id")
        .error(404, "No such video for this tenant")
        .answer(200, "The video", video),
    );
}
