-- Products written over the API: a soft delete, and the orders the listing sorts by.
-- `deleted_at` set means the merchant deleted the product: it is gone from reads and lists,
-- its enrichment and edits are kept, and a PUT restores it. The version keeps counting across
-- a delete and a restore, so an ETag from before the delete never matches again.

ALTER TABLE products ADD COLUMN deleted_at TEXT;

CREATE INDEX products_by_title ON products (tenant_id, title, sku);
CREATE INDEX products_by_updated_at_sku ON products (tenant_id, updated_at, sku);
