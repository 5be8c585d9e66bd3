-- The first schema: tenants and their keys, products with their enrichment, ingestion runs.
-- Times are RFC 3339 UTC text with milliseconds ("2024-05-01T10:00:00.000Z") so that text
-- order is time order. Every table carries tenant_id and every query filters by it.

CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Keys are stored as SHA-256 hex of the key; the key itself is shown once and never stored.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    key_hash    TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
) WITHOUT ROWID;

CREATE TABLE products (
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    sku                TEXT NOT NULL,
    title              TEXT NOT NULL,
    description        TEXT,
    price_minor        INTEGER,
    currency           TEXT,
    quantity           INTEGER,
    brand              TEXT,
    category           TEXT,
    gtin               TEXT,
    image_url          TEXT,
    -- Where the current version came from, e.g. "ingest:demo/products.csv".
    source             TEXT NOT NULL,
    -- The partner's own last-modified time, when the feed gives one; older rows never
    -- overwrite newer ones.
    source_updated_at  TEXT,
    -- SHA-256 of the canonical content: an unchanged row is a no-op.
    content_hash       TEXT NOT NULL,
    version            INTEGER NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, sku)
) WITHOUT ROWID;

CREATE INDEX products_by_updated_at ON products (tenant_id, updated_at);
CREATE INDEX products_by_category ON products (tenant_id, category, sku);

-- One enrichment per product, for the content it was made from (content_hash).
CREATE TABLE enrichments (
    tenant_id     TEXT NOT NULL,
    sku           TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    generated_by  TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, sku),
    FOREIGN KEY (tenant_id, sku) REFERENCES products (tenant_id, sku) ON DELETE CASCADE
) WITHOUT ROWID;

-- One run per delivered file event; run_key (the event id) makes a redelivery find its run.
CREATE TABLE ingest_runs (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    run_key      TEXT NOT NULL,
    blob_name    TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    rows_total   INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    report_blob  TEXT,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    UNIQUE (tenant_id, run_key)
) WITHOUT ROWID;

-- Products a run inserted or changed, written in the same transaction as the change, so a
-- run redone after a crash still sends every enrichment message it owes.
CREATE TABLE ingest_run_changes (
    run_id        TEXT NOT NULL REFERENCES ingest_runs(id),
    sku           TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    change        TEXT NOT NULL CHECK (change IN ('inserted', 'updated')),
    PRIMARY KEY (run_id, sku)
) WITHOUT ROWID;

CREATE TABLE ingest_errors (
    run_id       TEXT NOT NULL REFERENCES ingest_runs(id),
    line         INTEGER NOT NULL,
    column_name  TEXT NOT NULL,
    value        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    PRIMARY KEY (run_id, line, column_name)
) WITHOUT ROWID;
