-- The first schema, the T-SQL twin of migrations/sqlite/0001_init.sql: tenants and their keys,
-- products with their enrichment, ingestion runs. Times are DATETIME2(3) in UTC (milliseconds,
-- as SQLite stores them). Every table carries tenant_id and every query filters by it.
--
-- Text is collated Latin1_General_100_BIN2 so that equality, uniqueness and ORDER BY compare
-- code points, as SQLite does: "a" and "A" are two SKUs. The product search alone asks for a
-- case-insensitive collation, in the query.
--
-- The adapter runs each batch (the text between lines holding only GO) on its own, all of them
-- in one transaction with the migration's row in schema_migrations.

CREATE TABLE tenants (
    id          NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    name        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at  DATETIME2(3) NOT NULL,
    CONSTRAINT pk_tenants PRIMARY KEY (id)
);
GO

-- Keys are stored as SHA-256 hex of the key; the key itself is shown once and never stored.
CREATE TABLE api_keys (
    id          NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    tenant_id   NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    key_hash    NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    name        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at  DATETIME2(3) NOT NULL,
    revoked_at  DATETIME2(3) NULL,
    CONSTRAINT pk_api_keys PRIMARY KEY (id),
    CONSTRAINT fk_api_keys_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT uq_api_keys_key_hash UNIQUE (key_hash)
);
GO

CREATE TABLE products (
    tenant_id          NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sku                NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    title              NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    description        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    price_minor        BIGINT NULL,
    currency           NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NULL,
    quantity           BIGINT NULL,
    brand              NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    -- Bounded because it is indexed: 400 characters, well past any category path seen.
    category           NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NULL,
    gtin               NVARCHAR(14) COLLATE Latin1_General_100_BIN2 NULL,
    image_url          NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    -- Where the current version came from, e.g. "ingest:demo/products.csv".
    source             NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    -- The partner's own last-modified time, when the feed gives one.
    source_updated_at  DATETIME2(3) NULL,
    -- SHA-256 of the canonical content: an unchanged row is a no-op.
    content_hash       NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    version            BIGINT NOT NULL,
    created_at         DATETIME2(3) NOT NULL,
    updated_at         DATETIME2(3) NOT NULL,
    CONSTRAINT pk_products PRIMARY KEY (tenant_id, sku),
    CONSTRAINT fk_products_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
GO

CREATE INDEX products_by_updated_at ON products (tenant_id, updated_at);
GO

CREATE INDEX products_by_category ON products (tenant_id, category, sku);
GO

-- One enrichment per product, for the content it was made from (content_hash).
CREATE TABLE enrichments (
    tenant_id     NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sku           NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    content_hash  NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    generated_by  NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NOT NULL,
    payload       NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at    DATETIME2(3) NOT NULL,
    CONSTRAINT pk_enrichments PRIMARY KEY (tenant_id, sku),
    CONSTRAINT fk_enrichments_product FOREIGN KEY (tenant_id, sku)
        REFERENCES products (tenant_id, sku) ON DELETE CASCADE,
    CONSTRAINT ck_enrichments_payload_is_json CHECK (ISJSON(payload) = 1)
);
GO

-- One run per delivered file event; run_key (the event id) makes a redelivery find its run.
CREATE TABLE ingest_runs (
    id           NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    tenant_id    NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    run_key      NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    blob_name    NVARCHAR(1024) COLLATE Latin1_General_100_BIN2 NOT NULL,
    status       NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    rows_total   BIGINT NOT NULL CONSTRAINT df_ingest_runs_rows_total DEFAULT 0,
    rejected     BIGINT NOT NULL CONSTRAINT df_ingest_runs_rejected DEFAULT 0,
    error        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    report_blob  NVARCHAR(1024) COLLATE Latin1_General_100_BIN2 NULL,
    started_at   DATETIME2(3) NOT NULL,
    finished_at  DATETIME2(3) NULL,
    CONSTRAINT pk_ingest_runs PRIMARY KEY (id),
    CONSTRAINT fk_ingest_runs_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT uq_ingest_runs_run_key UNIQUE (tenant_id, run_key),
    CONSTRAINT ck_ingest_runs_status CHECK (status IN ('running', 'succeeded', 'failed'))
);
GO

-- Products a run inserted or changed, written in the same transaction as the change, so a
-- run redone after a crash still sends every enrichment message it owes.
CREATE TABLE ingest_run_changes (
    run_id        NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sku           NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    content_hash  NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    change        NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT pk_ingest_run_changes PRIMARY KEY (run_id, sku),
    CONSTRAINT fk_ingest_run_changes_run FOREIGN KEY (run_id) REFERENCES ingest_runs (id),
    CONSTRAINT ck_ingest_run_changes_change CHECK (change IN ('inserted', 'updated'))
);
GO

CREATE TABLE ingest_errors (
    run_id       NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    line         BIGINT NOT NULL,
    column_name  NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    value        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    reason       NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    CONSTRAINT pk_ingest_errors PRIMARY KEY (run_id, line, column_name),
    CONSTRAINT fk_ingest_errors_run FOREIGN KEY (run_id) REFERENCES ingest_runs (id)
);
