-- Video insights (issue 8): one row per video blob a tenant uploaded, holding where its
-- analysis stands and, once done, what it found.
--
-- `id` is a UUID (v5) of the tenant and blob name, so every delivery of every event for one
-- blob names the same row, and a re-upload under the same name updates it. `etag` and `size`
-- are the blob version analysed (or being analysed). `sku` is the product the blob's name or
-- metadata links it to, if any. `analysis` (JSON) is the `VideoAnalysis` of an `analyzed`
-- video; `error` says why a `failed` one cannot be analysed. `lease_until` is when another
-- delivery may take over an `analyzing` video whose delivery crashed. `version` guards every
-- update (compare-and-set), which is also how one delivery claims a video.
CREATE TABLE video_insights (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    id           TEXT NOT NULL,
    blob_name    TEXT NOT NULL,
    etag         TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sku          TEXT,
    status       TEXT NOT NULL CHECK (status IN ('analyzing', 'analyzed', 'failed')),
    error        TEXT,
    analysis     TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    analyzed_at  TEXT,
    lease_until  TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

-- Listings are newest first, all of a tenant's videos or one SKU's.
CREATE INDEX video_insights_newest ON video_insights (tenant_id, created_at DESC, id DESC);
CREATE INDEX video_insights_by_sku ON video_insights (tenant_id, sku, created_at DESC, id DESC);
