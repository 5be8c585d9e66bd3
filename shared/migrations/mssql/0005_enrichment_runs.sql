-- The T-SQL twin of migrations/sqlite/0005_enrichment_runs.sql: batch enrichment runs and the
-- tally of each slice they handed to the `enrich` queue. One statement per batch. CURSOR is
-- reserved in T-SQL: the column is bracketed wherever it is named.

CREATE TABLE enrichment_runs (
    id          NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    tenant_id   NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    filter      NVARCHAR(4000) COLLATE Latin1_General_100_BIN2 NOT NULL,
    force       BIT NOT NULL,
    status      NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    [cursor]    NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NULL,
    matched     BIGINT NOT NULL CONSTRAINT df_enrichment_runs_matched DEFAULT 0,
    slices      BIGINT NOT NULL CONSTRAINT df_enrichment_runs_slices DEFAULT 0,
    created_at  DATETIME2(3) NOT NULL,
    queued_at   DATETIME2(3) NULL,
    CONSTRAINT pk_enrichment_runs PRIMARY KEY (id),
    CONSTRAINT fk_enrichment_runs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT ck_enrichment_runs_status CHECK (status IN ('scanning', 'queued')),
    CONSTRAINT ck_enrichment_runs_filter_is_json CHECK (ISJSON(filter) = 1)
);
GO

CREATE INDEX enrichment_runs_by_created_at ON enrichment_runs (tenant_id, created_at, id);
GO

CREATE TABLE enrichment_run_slices (
    run_id           NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    through          NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    enriched         BIGINT NOT NULL,
    already_current  BIGINT NOT NULL,
    gone             BIGINT NOT NULL,
    CONSTRAINT pk_enrichment_run_slices PRIMARY KEY (run_id, through),
    CONSTRAINT fk_enrichment_run_slices_run FOREIGN KEY (run_id) REFERENCES enrichment_runs (id)
);
