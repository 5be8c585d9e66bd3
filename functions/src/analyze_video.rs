//! `AnalyzeVideo` — Service Bus queue `video-files`, carrying the BlobCreated event of a video
//! uploaded to `videos/{tenant}/…`: reads the container's facts by byte range, measures the
//! audio, writes keyframe thumbnails to `video-frames`, judges each channel, asks the AI
//! provider for a review when there is one, and stores the insights. The same blob version
//! twice is a no-op; a file that is not a readable video gets a `failed` record, not retries;
//! a provider that cannot review it now fails the delivery, until the last that waits for it.

use shared::protocol::{BlobCreatedEvent, InvocationRequest, InvocationResponse, ProtocolError};
use shared::video::analyze::{AnalyzeError, Analyzer, Outcome, REVIEW_DELIVERIES, VideoUpload};

use crate::app::{AppState, FunctionError};

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let message = request.service_bus("message")?;
    let event = BlobCreatedEvent::from_message(&message, "message")?;
    let Some(location) = event.location() else {
        let error = ProtocolError::new("Data.message(body).subject", "names no container and blob");
        return Err(error.into());
    };
    let store = state.store.as_ref();
    let size = event.data.content_length;
    let upload =
        match VideoUpload::locate((store, &state.blobs), location, &event.data.e_tag, size).await {
            Ok(upload) => upload,
            Err(AnalyzeError::NotAVideoUpload(reason)) => {
                // Retrying cannot make this blob a tenant's video; an operator must look.
                let (container, blob) = location;
                tracing::error!(container, blob, %reason, "video ignored");
                return Ok(InvocationResponse::empty()
                    .log(format!("ignored {container}/{blob}: {reason}")));
            }
            Err(error) => return Err(classify(error)),
        };
    tracing::Span::current().record("tenant", upload.tenant.as_str());
    let analyzer = Analyzer {
        store,
        blobs: &state.blobs,
        ai: &state.ai,
        last_review_try: message.delivery_count >= REVIEW_DELIVERIES,
    };
    let outcome = analyzer.analyze(&upload).await.map_err(classify)?;
    let line = match &outcome {
        Outcome::Analyzed(video) => {
            let analysis = video.analysis.as_ref();
            let count =
                |f: fn(&shared::video::insights::VideoAnalysis) -> usize| analysis.map_or(0, f);
            tracing::info!(tenant = %video.tenant, video = %video.id, "video analysed");
            format!(
                "videos/{}: analysed as {}, {} keyframes, {} insights",
                upload.blob_name,
                video.id,
                count(|a| a.keyframes.len()),
                count(|a| a.insights.len())
            )
        }
        Outcome::Failed(video) => {
            let why = video.error.as_deref().unwrap_or_default();
            tracing::warn!(tenant = %video.tenant, video = %video.id, error = why, "video cannot be analysed");
            format!("videos/{}: cannot be analysed: {why}", upload.blob_name)
        }
        Outcome::AlreadyDone(video) => {
            format!(
                "videos/{}: already analysed as {} (no-op)",
                upload.blob_name, video.id
            )
        }
        Outcome::Superseded => format!(
            "videos/{}: a newer upload took over; its analysis is kept",
            upload.blob_name
        ),
    };
    Ok(InvocationResponse::empty().log(line))
}

fn classify(error: AnalyzeError) -> FunctionError {
    let transient = error.is_transient();
    FunctionError::from_cause(error, transient)
}
