-- The T-SQL twin of migrations/sqlite/0011_video_insights.sql: one row per video blob and its
-- analysis. See that file for what each column means. `id` is the UUID as lowercase text, not
-- UNIQUEIDENTIFIER, so listings order ids as SQLite does (SQL Server sorts UNIQUEIDENTIFIER by
-- its last bytes first).

CREATE TABLE video_insights (
    tenant_id    NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    id           NVARCHAR(36) COLLATE Latin1_General_100_BIN2 NOT NULL,
    blob_name    NVARCHAR(1024) COLLATE Latin1_General_100_BIN2 NOT NULL,
    etag         NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    size         BIGINT NOT NULL,
    sku          NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NULL,
    status       NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    error        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    analysis     NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    created_at   DATETIME2(3) NOT NULL,
    updated_at   DATETIME2(3) NOT NULL,
    analyzed_at  DATETIME2(3) NULL,
    lease_until  DATETIME2(3) NULL,
    version      BIGINT NOT NULL CONSTRAINT df_video_insights_version DEFAULT 1,
    CONSTRAINT pk_video_insights PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_video_insights_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT ck_video_insights_status CHECK (status IN ('analyzing', 'analyzed', 'failed')),
    CONSTRAINT ck_video_insights_analysis_is_json CHECK (analysis IS NULL OR ISJSON(analysis) = 1)
);
GO

CREATE INDEX ix_video_insights_newest ON video_insights (tenant_id, created_at DESC, id DESC);
GO

CREATE INDEX ix_video_insights_by_sku
    ON video_insights (tenant_id, sku, created_at DESC, id DESC);
GO
