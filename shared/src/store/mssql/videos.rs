//! The video insights rows, with the semantics of the SQLite adapter's `videos` module: made
//! once, claimed and finished by compare-and-set.

use tiberius::{Row, ToSql};
use uuid::Uuid;

use super::config::Connection;
use super::rows::{
    exec, query, required_int, required_text, required_time, text, time, to_db_time,
};
use super::sql;
use crate::store::json_columns::{json_text, optional_json};
use crate::store::*;

const TABLE: &str = "video_insights";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{TABLE}: {what}"))
}

/// The size as a BIGINT.
fn db_size(size: u64) -> Result<i64, StoreError> {
    i64::try_from(size).map_err(|_| StoreError::Database(format!("a video of {size} bytes")))
}

/// Inserts `video` unless its id is taken, and reads the stored video back; answers it and
/// whether this call made it. The caller holds the transaction.
pub(super) async fn create(
    c: &mut Connection,
    video: &VideoRecord,
) -> Result<(VideoRecord, bool), StoreError> {
    let id = video.id.to_string();
    let size = db_size(video.size)?;
    let analysis = video.analysis.as_ref().map(json_text).transpose()?;
    let created = to_db_time(&video.created_at);
    let updated = to_db_time(&video.updated_at);
    let analyzed = video.analyzed_at.as_ref().map(to_db_time);
    let lease = video.lease_until.as_ref().map(to_db_time);
    let params: [&dyn ToSql; 14] = [
        &video.tenant.as_str(),
        &id,
        &video.blob_name.as_str(),
        &video.etag.as_str(),
        &size,
        &video.sku.as_ref().map(Sku::as_str),
        &video.status.as_str(),
        &video.error.as_deref(),
        &analysis,
        &created,
        &updated,
        &analyzed,
        &lease,
        &video.version,
    ];
    let made = exec(c, sql::CREATE_VIDEO, &params).await? > 0;
    let stored = get(c, &video.tenant, video.id)
        .await?
        .ok_or_else(|| StoreError::Database("the video vanished as it was stored".into()))?;
    Ok((stored, made))
}

/// The tenant's video `id`.
pub(super) async fn get(
    c: &mut Connection,
    tenant: &TenantId,
    id: Uuid,
) -> Result<Option<VideoRecord>, StoreError> {
    let id = id.to_string();
    let rows = query(c, &sql::get_video(), &[&tenant.as_str(), &id]).await?;
    rows.first().map(read_video).transpose()
}

/// One page of the tenant's videos, newest first.
pub(super) async fn list(
    c: &mut Connection,
    tenant: &TenantId,
    wanted: &VideoQuery,
) -> Result<Vec<VideoRecord>, StoreError> {
    let limit = i64::from(wanted.limit);
    let sku = wanted.sku.as_ref().map(Sku::as_str);
    let status = wanted.status.map(VideoStatus::as_str);
    let at = wanted.after.as_ref().map(|(at, _)| to_db_time(at));
    let id = wanted.after.as_ref().map(|(_, id)| id.to_string());
    let params: [&dyn ToSql; 6] = [&limit, &tenant.as_str(), &sku, &status, &at, &id];
    let rows = query(c, &sql::list_videos(), &params).await?;
    rows.iter().map(read_video).collect()
}

/// Writes `video`'s mutable fields if it is still at its version; `false` when another writer
/// moved it on.
pub(super) async fn save(c: &mut Connection, video: &VideoRecord) -> Result<bool, StoreError> {
    let id = video.id.to_string();
    let size = db_size(video.size)?;
    let analysis = video.analysis.as_ref().map(json_text).transpose()?;
    let updated = to_db_time(&video.updated_at);
    let analyzed = video.analyzed_at.as_ref().map(to_db_time);
    let lease = video.lease_until.as_ref().map(to_db_time);
    let params: [&dyn ToSql; 13] = [
        &video.tenant.as_str(),
        &id,
        &video.blob_name.as_str(),
        &video.etag.as_str(),
        &size,
        &video.sku.as_ref().map(Sku::as_str),
        &video.status.as_str(),
        &video.error.as_deref(),
        &analysis,
        &updated,
        &analyzed,
        &lease,
        &video.version,
    ];
    Ok(exec(c, sql::SAVE_VIDEO, &params).await? > 0)
}

fn read_video(row: &Row) -> Result<VideoRecord, StoreError> {
    let status = required_text(row, 6, "video_insights.status")?;
    let analysis = text(row, 8, "video_insights.analysis")?;
    Ok(VideoRecord {
        tenant: TenantId::parse(&required_text(row, 0, "video_insights.tenant_id")?)
            .map_err(corrupt)?,
        id: Uuid::parse_str(&required_text(row, 1, "video_insights.id")?).map_err(corrupt)?,
        blob_name: required_text(row, 2, "video_insights.blob_name")?,
        etag: required_text(row, 3, "video_insights.etag")?,
        size: u64::try_from(required_int(row, 4, "video_insights.size")?).map_err(corrupt)?,
        sku: text(row, 5, "video_insights.sku")?
            .as_deref()
            .map(Sku::parse)
            .transpose()
            .map_err(corrupt)?,
        status: VideoStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("unknown status `{status}`")))?,
        error: text(row, 7, "video_insights.error")?,
        analysis: optional_json(analysis.as_deref(), "video_insights.analysis")?,
        created_at: required_time(row, 9, "video_insights.created_at")?,
        updated_at: required_time(row, 10, "video_insights.updated_at")?,
        analyzed_at: time(row, 11, "video_insights.analyzed_at")?,
        lease_until: time(row, 12, "video_insights.lease_until")?,
        version: required_int(row, 13, "video_insights.version")?,
    })
}
