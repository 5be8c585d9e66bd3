-- The T-SQL twin of migrations/sqlite/0004_edits.sql: enrichment fields a person edited by
-- hand, locked against later enrichments. One statement per batch.

CREATE TABLE enrichment_edits (
    tenant_id  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sku        NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    fields     NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    edited_at  DATETIME2(3) NOT NULL,
    CONSTRAINT pk_enrichment_edits PRIMARY KEY (tenant_id, sku),
    CONSTRAINT fk_enrichment_edits_product FOREIGN KEY (tenant_id, sku)
        REFERENCES products (tenant_id, sku) ON DELETE CASCADE,
    CONSTRAINT ck_enrichment_edits_fields_is_json CHECK (ISJSON(fields) = 1)
);
GO
