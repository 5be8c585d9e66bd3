//! Claiming a video for one delivery: its record is made or taken over under a lease, or this
//! version is found done already.

use chrono::Duration;

use super::{AnalyzeError, Analyzer, LEASE_SECONDS, VideoUpload, now};
use crate::store::{VideoRecord, VideoStatus, video_id};

/// What a claim found.
pub(super) enum Claim {
    /// The record is this delivery's to analyse, under its lease.
    Mine(VideoRecord),
    /// This version was analysed (or failed) already.
    Done(VideoRecord),
}

impl Analyzer<'_> {
    /// Takes the record for this delivery, or finds this version done.
    pub(super) async fn claim(&self, upload: &VideoUpload) -> Result<Claim, AnalyzeError> {
        let now = now();
        let lease = now + Duration::seconds(LEASE_SECONDS);
        let id = video_id(&upload.tenant, &upload.blob_name);
        let Some(mut record) = self.store.get_video(&upload.tenant, id).await? else {
            let record = VideoRecord {
                tenant: upload.tenant.clone(),
                id,
                blob_name: upload.blob_name.clone(),
                etag: upload.etag.clone(),
                size: upload.size,
                sku: upload.sku.clone(),
                status: VideoStatus::Analyzing,
                error: None,
                analysis: None,
                created_at: now,
                updated_at: now,
                analyzed_at: None,
                lease_until: Some(lease),
                version: 1,
            };
            let (stored, made) = self.store.create_video(&record).await?;
            return if made {
                Ok(Claim::Mine(stored))
            } else {
                // Another delivery made it a moment ago.
                Err(AnalyzeError::Busy(stored.lease_until.unwrap_or(now)))
            };
        };
        if record.etag == upload.etag {
            match (record.status, record.lease_until) {
                (VideoStatus::Analyzed | VideoStatus::Failed, _) => return Ok(Claim::Done(record)),
                (VideoStatus::Analyzing, Some(until)) if until > now => {
                    return Err(AnalyzeError::Busy(until));
                }
                (VideoStatus::Analyzing, _) => {}
            }
        }
        record.etag = upload.etag.clone();
        record.size = upload.size;
        record.sku = upload.sku.clone();
        record.status = VideoStatus::Analyzing;
        record.error = None;
        record.updated_at = now;
        record.lease_until = Some(lease);
        if !self.store.save_video(&record).await? {
            return Err(AnalyzeError::Busy(lease));
        }
        record.version += 1;
        Ok(Claim::Mine(record))
    }
}
