-- The T-SQL twin of migrations/sqlite/0010_sync.sql: sync jobs, cursors, links to remote
-- records and the error inbox. See that file for what each column means.

CREATE TABLE sync_jobs (
    tenant_id    NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    id           NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    platform     NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    kind         NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    [trigger]    NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    targets      NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    status       NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    progress     NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at   DATETIME2(3) NOT NULL,
    started_at   DATETIME2(3) NULL,
    finished_at  DATETIME2(3) NULL,
    lease_until  DATETIME2(3) NULL,
    version      BIGINT NOT NULL CONSTRAINT df_sync_jobs_version DEFAULT 1,
    CONSTRAINT pk_sync_jobs PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_sync_jobs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT ck_sync_jobs_platform CHECK (platform IN ('shopify', 'woocommerce', 'netsuite')),
    CONSTRAINT ck_sync_jobs_kind CHECK (kind IN ('products', 'inventory', 'orders')),
    CONSTRAINT ck_sync_jobs_trigger CHECK ([trigger] IN ('schedule', 'manual', 'webhook', 'retry')),
    CONSTRAINT ck_sync_jobs_status CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    CONSTRAINT ck_sync_jobs_progress_is_json CHECK (ISJSON(progress) = 1)
);
GO

CREATE INDEX ix_sync_jobs_newest ON sync_jobs (tenant_id, created_at DESC, id DESC);
GO

CREATE TABLE sync_cursors (
    tenant_id   NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    platform    NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    kind        NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    position    NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    updated_at  DATETIME2(3) NOT NULL,
    CONSTRAINT pk_sync_cursors PRIMARY KEY (tenant_id, platform, kind),
    CONSTRAINT fk_sync_cursors_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
GO

CREATE TABLE sync_links (
    tenant_id          NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    platform           NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sku                NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    remote_id          NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    remote_variant_id  NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NULL,
    is_primary         BIT NOT NULL CONSTRAINT df_sync_links_is_primary DEFAULT 0,
    remote_hash        NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL,
    pushed_hash        NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL,
    pushed_at          DATETIME2(3) NULL,
    updated_at         DATETIME2(3) NOT NULL,
    CONSTRAINT pk_sync_links PRIMARY KEY (tenant_id, platform, sku),
    CONSTRAINT fk_sync_links_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
GO

CREATE INDEX ix_sync_links_remote ON sync_links (tenant_id, platform, remote_id);
GO

CREATE TABLE sync_issues (
    tenant_id    NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    id           NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    platform     NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    kind         NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    record       NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NOT NULL,
    code         NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    message      NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    detail       NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    status       NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    occurrences  BIGINT NOT NULL,
    first_seen   DATETIME2(3) NOT NULL,
    last_seen    DATETIME2(3) NOT NULL,
    last_job     NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    resolved_at  DATETIME2(3) NULL,
    CONSTRAINT pk_sync_issues PRIMARY KEY (tenant_id, id),
    CONSTRAINT fk_sync_issues_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT ck_sync_issues_status CHECK (status IN ('open', 'resolved')),
    -- Any JSON value, scalars too (SQLite stores them): without SQL Server 2022's type
    -- argument ISJSON accepts only objects and arrays, so it checks the value inside one.
    CONSTRAINT ck_sync_issues_detail_is_json CHECK (ISJSON(CONCAT(N'[', detail, N']')) = 1)
);
GO

CREATE INDEX ix_sync_issues_newest ON sync_issues (tenant_id, last_seen DESC, id DESC);
GO

CREATE INDEX ix_orders_by_change ON orders (tenant_id, updated_at, order_id);
GO
