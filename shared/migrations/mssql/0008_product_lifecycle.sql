-- The T-SQL twin of migrations/sqlite/0008_product_lifecycle.sql: a soft delete for products
-- and an index for the listing sorted by last change. `title` is NVARCHAR(MAX), which SQL
-- Server cannot index, so a listing sorted by title scans the tenant's products.

ALTER TABLE products ADD deleted_at DATETIME2(3) NULL;
GO

CREATE INDEX products_by_updated_at_sku ON products (tenant_id, updated_at, sku);
GO
