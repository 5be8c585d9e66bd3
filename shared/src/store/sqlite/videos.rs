//! The video insights rows: one per video blob, made once, claimed and finished by
//! compare-and-set.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};
use uuid::Uuid;

use super::{execute_cached, from_db_time, map_error, to_db_time};
use crate::store::json_columns::{json_text, optional_json};
use crate::store::*;

const VIDEO_COLUMNS: &str = "tenant_id, id, blob_name, etag, size, sku, status, error, \
                             analysis, created_at, updated_at, analyzed_at, lease_until, version";

const TABLE: &str = "video_insights";

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{TABLE}: {what}"))
}

fn optional_time(text: Option<String>) -> Result<Option<DateTime<Utc>>, StoreError> {
    text.as_deref().map(from_db_time).transpose()
}

/// The size as SQLite's INTEGER holds it.
fn db_size(size: u64) -> Result<i64, StoreError> {
    i64::try_from(size).map_err(|_| StoreError::Database(format!("a video of {size} bytes")))
}

/// Inserts `video` unless its id is taken; answers the stored video and whether it was made.
pub(super) fn create(
    c: &mut Connection,
    video: &VideoRecord,
) -> Result<(VideoRecord, bool), StoreError> {
    let analysis = video.analysis.as_ref().map(json_text).transpose()?;
    let made = execute_cached(
        c,
        "INSERT INTO video_insights (tenant_id, id, blob_name, etag, size, sku, status, error,
             analysis, created_at, updated_at, analyzed_at, lease_until, version)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (tenant_id, id) DO NOTHING",
        params![
            video.tenant.as_str(),
            video.id.to_string(),
            video.blob_name,
            video.etag,
            db_size(video.size)?,
            video.sku.as_ref().map(Sku::as_str),
            video.status.as_str(),
            video.error,
            analysis,
            to_db_time(&video.created_at),
            to_db_time(&video.updated_at),
            video.analyzed_at.as_ref().map(to_db_time),
            video.lease_until.as_ref().map(to_db_time),
            video.version,
        ],
    )
    .map_err(map_error)?
        > 0;
    let stored = get(c, &video.tenant, video.id)?
        .ok_or_else(|| StoreError::Database("the video vanished as it was stored".into()))?;
    Ok((stored, made))
}

/// The tenant's video `id`.
pub(super) fn get(
    c: &mut Connection,
    tenant: &TenantId,
    id: Uuid,
) -> Result<Option<VideoRecord>, StoreError> {
    let sql =
        format!("SELECT {VIDEO_COLUMNS} FROM video_insights WHERE tenant_id = ?1 AND id = ?2");
    let raw = c
        .prepare_cached(&sql)
        .map_err(map_error)?
        .query_row(params![tenant.as_str(), id.to_string()], raw_video)
        .optional()
        .map_err(map_error)?;
    raw.map(video).transpose()
}

/// One page of the tenant's videos, newest first.
pub(super) fn list(
    c: &mut Connection,
    tenant: &TenantId,
    query: &VideoQuery,
) -> Result<Vec<VideoRecord>, StoreError> {
    let sql = format!(
        "SELECT {VIDEO_COLUMNS} FROM video_insights
         WHERE tenant_id = ?1 AND (?2 IS NULL OR sku = ?2) AND (?3 IS NULL OR status = ?3)
           AND (?4 IS NULL OR created_at < ?4 OR (created_at = ?4 AND id < ?5))
         ORDER BY created_at DESC, id DESC LIMIT ?6"
    );
    let mut statement = c.prepare_cached(&sql).map_err(map_error)?;
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                query.sku.as_ref().map(Sku::as_str),
                query.status.map(VideoStatus::as_str),
                query.after.as_ref().map(|(at, _)| to_db_time(at)),
                query.after.as_ref().map(|(_, id)| id.to_string()),
                query.limit,
            ],
            raw_video,
        )
        .map_err(map_error)?;
    rows.map(|row| video(row.map_err(map_error)?)).collect()
}

/// Writes `video`'s mutable fields if it is still at its version.
pub(super) fn save(c: &mut Connection, video: &VideoRecord) -> Result<bool, StoreError> {
    let analysis = video.analysis.as_ref().map(json_text).transpose()?;
    let written = execute_cached(
        c,
        "UPDATE video_insights SET blob_name = ?3, etag = ?4, size = ?5, sku = ?6, status = ?7,
             error = ?8, analysis = ?9, updated_at = ?10, analyzed_at = ?11, lease_until = ?12,
             version = version + 1
         WHERE tenant_id = ?1 AND id = ?2 AND version = ?13",
        params![
            video.tenant.as_str(),
            video.id.to_string(),
            video.blob_name,
            video.etag,
            db_size(video.size)?,
            video.sku.as_ref().map(Sku::as_str),
            video.status.as_str(),
            video.error,
            analysis,
            to_db_time(&video.updated_at),
            video.analyzed_at.as_ref().map(to_db_time),
            video.lease_until.as_ref().map(to_db_time),
            video.version,
        ],
    )
    .map_err(map_error)?;
    Ok(written > 0)
}

type RawVideo = (
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
);

fn raw_video(row: &Row<'_>) -> rusqlite::Result<RawVideo> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
        row.get(10)?,
        row.get(11)?,
        row.get(12)?,
        row.get(13)?,
    ))
}

fn video(raw: RawVideo) -> Result<VideoRecord, StoreError> {
    let (
        tenant,
        id,
        blob_name,
        etag,
        size,
        sku,
        status,
        error,
        analysis,
        created,
        updated,
        analyzed,
        lease,
        version,
    ) = raw;
    Ok(VideoRecord {
        tenant: TenantId::parse(&tenant).map_err(corrupt)?,
        id: Uuid::parse_str(&id).map_err(corrupt)?,
        blob_name,
        etag,
        size: u64::try_from(size).map_err(corrupt)?,
        sku: sku
            .as_deref()
            .map(Sku::parse)
            .transpose()
            .map_err(corrupt)?,
        status: VideoStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("unknown status `{status}`")))?,
        error,
        analysis: optional_json(analysis.as_deref(), "video_insights.analysis")?,
        created_at: from_db_time(&created)?,
        updated_at: from_db_time(&updated)?,
        analyzed_at: optional_time(analyzed)?,
        lease_until: optional_time(lease)?,
        version,
    })
}
