-- Enrichment fields a person edited by hand: locked, so every later enrichment of the product
-- (new content, a new prompt version, a budget resume) keeps the person's value for them.
-- `fields` is a JSON object, field → value in the enrichment's own shape. The merchant's
-- original product fields are never changed.

CREATE TABLE enrichment_edits (
    tenant_id  TEXT NOT NULL,
    sku        TEXT NOT NULL,
    fields     TEXT NOT NULL CHECK (json_valid(fields)),
    edited_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, sku),
    FOREIGN KEY (tenant_id, sku) REFERENCES products (tenant_id, sku) ON DELETE CASCADE
) WITHOUT ROWID;
