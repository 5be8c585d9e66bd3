-- The T-SQL twin of migrations/sqlite/0002_feeds.sql: variants, options and raw attributes on
-- products; run kinds, formats, counts and the `rejected` status; mapping profiles; inventory
-- levels; orders and their lines. One statement per batch: a batch that adds a column cannot
-- also use it.

-- The parent SKU of a variant (bounded like sku, because it is indexed), its options as a
-- JSON array of {name, value} and the feed's extra columns as a JSON object; NULL when none.
ALTER TABLE products ADD parent NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NULL;
GO

ALTER TABLE products ADD options NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL
    CONSTRAINT ck_products_options_is_json CHECK (ISJSON(options) = 1);
GO

ALTER TABLE products ADD attributes NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL
    CONSTRAINT ck_products_attributes_is_json CHECK (ISJSON(attributes) = 1);
GO

CREATE INDEX products_by_parent ON products (tenant_id, parent);
GO

ALTER TABLE ingest_runs ADD kind NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL
    CONSTRAINT df_ingest_runs_kind DEFAULT 'products'
    CONSTRAINT ck_ingest_runs_kind CHECK (kind IN ('products', 'inventory', 'orders'));
GO

-- How the file was read, e.g. "csv (;)".
ALTER TABLE ingest_runs ADD format NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL;
GO

ALTER TABLE ingest_runs ADD inserted BIGINT NOT NULL CONSTRAINT df_ingest_runs_inserted DEFAULT 0;
GO

ALTER TABLE ingest_runs ADD updated BIGINT NOT NULL CONSTRAINT df_ingest_runs_updated DEFAULT 0;
GO

ALTER TABLE ingest_runs ADD unchanged BIGINT NOT NULL
    CONSTRAINT df_ingest_runs_unchanged DEFAULT 0;
GO

-- 'rejected': the whole file refused by the bad-row threshold.
ALTER TABLE ingest_runs DROP CONSTRAINT ck_ingest_runs_status;
GO

ALTER TABLE ingest_runs ADD CONSTRAINT ck_ingest_runs_status
    CHECK (status IN ('running', 'succeeded', 'failed', 'rejected'));
GO

-- The runs API lists a tenant's runs newest first.
CREATE INDEX ingest_runs_by_started_at ON ingest_runs (tenant_id, started_at, id);
GO

-- A tenant's saved column mappings, by name; body is the profile as JSON.
CREATE TABLE mapping_profiles (
    tenant_id   NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    name        NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    body        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    updated_at  DATETIME2(3) NOT NULL,
    CONSTRAINT pk_mapping_profiles PRIMARY KEY (tenant_id, name),
    CONSTRAINT fk_mapping_profiles_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT ck_mapping_profiles_body_is_json CHECK (ISJSON(body) = 1)
);
GO

-- The latest stock level per SKU and location; as_of orders levels, so a late-delivered older
-- file never overwrites a newer level.
CREATE TABLE inventory_levels (
    tenant_id   NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sku         NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    location    NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    quantity    BIGINT NOT NULL,
    as_of       DATETIME2(3) NULL,
    source_run  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    updated_at  DATETIME2(3) NOT NULL,
    CONSTRAINT pk_inventory_levels PRIMARY KEY (tenant_id, sku, location),
    CONSTRAINT fk_inventory_levels_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
GO

-- Orders as feeds give them; content_hash covers the order and its lines, so a replayed file
-- writes nothing.
CREATE TABLE orders (
    tenant_id       NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    order_id        NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    placed_at       DATETIME2(3) NOT NULL,
    currency        NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NOT NULL,
    total_minor     BIGINT NOT NULL,
    tax_minor       BIGINT NULL,
    shipping_minor  BIGINT NULL,
    customer_ref    NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    content_hash    NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    source_run      NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at      DATETIME2(3) NOT NULL,
    updated_at      DATETIME2(3) NOT NULL,
    CONSTRAINT pk_orders PRIMARY KEY (tenant_id, order_id),
    CONSTRAINT fk_orders_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
GO

CREATE INDEX orders_by_placed_at ON orders (tenant_id, placed_at);
GO

-- An order's lines, numbered from 1 in feed order; replaced whole when the order changes.
CREATE TABLE order_lines (
    tenant_id         NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    order_id          NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    line_no           BIGINT NOT NULL,
    sku               NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    quantity          BIGINT NOT NULL,
    unit_price_minor  BIGINT NOT NULL,
    CONSTRAINT pk_order_lines PRIMARY KEY (tenant_id, order_id, line_no),
    CONSTRAINT fk_order_lines_order FOREIGN KEY (tenant_id, order_id)
        REFERENCES orders (tenant_id, order_id) ON DELETE CASCADE
);
