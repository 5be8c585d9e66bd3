-- Issue 4: variants, options and raw attributes on products; run kinds, formats, counts and
-- the `rejected` status; mapping profiles; inventory levels; orders and their lines.
-- The adapter runs this with foreign keys off (SQLite cannot change a CHECK in place, so
-- ingest_runs is rebuilt, and its children must keep pointing at it) and checks them after.

-- The parent SKU of a variant, its options as a JSON array of {name, value} and the feed's
-- extra columns as a JSON object; NULL when there are none.
ALTER TABLE products ADD COLUMN parent TEXT;
ALTER TABLE products ADD COLUMN options TEXT;
ALTER TABLE products ADD COLUMN attributes TEXT;

CREATE INDEX products_by_parent ON products (tenant_id, parent);

CREATE TABLE ingest_runs_new (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    run_key      TEXT NOT NULL,
    blob_name    TEXT NOT NULL,
    kind         TEXT NOT NULL DEFAULT 'products'
                 CHECK (kind IN ('products', 'inventory', 'orders')),
    -- How the file was read, e.g. "csv (;)".
    format       TEXT,
    -- 'rejected': the whole file refused by the bad-row threshold.
    status       TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'rejected')),
    rows_total   INTEGER NOT NULL DEFAULT 0,
    rejected     INTEGER NOT NULL DEFAULT 0,
    inserted     INTEGER NOT NULL DEFAULT 0,
    updated      INTEGER NOT NULL DEFAULT 0,
    unchanged    INTEGER NOT NULL DEFAULT 0,
    error        TEXT,
    report_blob  TEXT,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    UNIQUE (tenant_id, run_key)
) WITHOUT ROWID;

INSERT INTO ingest_runs_new (id, tenant_id, run_key, blob_name, status, rows_total, rejected,
    error, report_blob, started_at, finished_at)
SELECT id, tenant_id, run_key, blob_name, status, rows_total, rejected, error, report_blob,
    started_at, finished_at
FROM ingest_runs;

DROP TABLE ingest_runs;
ALTER TABLE ingest_runs_new RENAME TO ingest_runs;

-- The runs API lists a tenant's runs newest first.
CREATE INDEX ingest_runs_by_started_at ON ingest_runs (tenant_id, started_at, id);

-- A tenant's saved column mappings, by name; body is the profile as JSON.
CREATE TABLE mapping_profiles (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
) WITHOUT ROWID;

-- The latest stock level per SKU and location; as_of orders levels, so a late-delivered older
-- file never overwrites a newer level.
CREATE TABLE inventory_levels (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    sku         TEXT NOT NULL,
    location    TEXT NOT NULL,
    quantity    INTEGER NOT NULL,
    as_of       TEXT,
    source_run  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, sku, location)
) WITHOUT ROWID;

-- Orders as feeds give them; content_hash covers the order and its lines, so a replayed file
-- writes nothing.
CREATE TABLE orders (
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    order_id        TEXT NOT NULL,
    placed_at       TEXT NOT NULL,
    currency        TEXT NOT NULL,
    total_minor     INTEGER NOT NULL,
    tax_minor       INTEGER,
    shipping_minor  INTEGER,
    customer_ref    TEXT,
    content_hash    TEXT NOT NULL,
    source_run      TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, order_id)
) WITHOUT ROWID;

CREATE INDEX orders_by_placed_at ON orders (tenant_id, placed_at);

-- An order's lines, numbered from 1 in feed order; replaced whole when the order changes.
CREATE TABLE order_lines (
    tenant_id         TEXT NOT NULL,
    order_id          TEXT NOT NULL,
    line_no           INTEGER NOT NULL,
    sku               TEXT NOT NULL,
    quantity          INTEGER NOT NULL,
    unit_price_minor  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, order_id, line_no),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, order_id) ON DELETE CASCADE
) WITHOUT ROWID;
