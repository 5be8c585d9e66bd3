-- The T-SQL twin of migrations/sqlite/0007_analytics.sql: the tenant's time zone, each
-- order's sales channel, and the daily rollups order ingestion keeps (RollupAnalytics
-- rebuilds them). An order without a channel is counted under channel 'unknown'. One
-- statement per batch: a batch that adds a column cannot also use it.

ALTER TABLE tenants ADD time_zone NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL
    CONSTRAINT df_tenants_time_zone DEFAULT 'UTC';
GO

ALTER TABLE orders ADD channel NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL;
GO

-- Order grain: orders that day, their units and lines' value, and their totals.
CREATE TABLE daily_sales (
    tenant_id    NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    day          DATE NOT NULL,
    channel      NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    currency     NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NOT NULL,
    orders       BIGINT NOT NULL,
    units        BIGINT NOT NULL,
    items_minor  BIGINT NOT NULL,
    sales_minor  BIGINT NOT NULL,
    CONSTRAINT pk_daily_sales PRIMARY KEY (tenant_id, day, channel, currency),
    CONSTRAINT fk_daily_sales_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
GO

-- Line grain: per SKU, the orders with at least one of its lines, its units and their value.
CREATE TABLE daily_product_sales (
    tenant_id    NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    day          DATE NOT NULL,
    sku          NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    channel      NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    currency     NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NOT NULL,
    orders       BIGINT NOT NULL,
    units        BIGINT NOT NULL,
    items_minor  BIGINT NOT NULL,
    CONSTRAINT pk_daily_product_sales PRIMARY KEY (tenant_id, day, sku, channel, currency),
    CONSTRAINT fk_daily_product_sales_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
GO

-- Every tenant is in UTC now, so the UTC date of placed_at is the day; no order has a channel.
INSERT INTO daily_sales (tenant_id, day, channel, currency, orders, units, items_minor,
    sales_minor)
SELECT o.tenant_id, CAST(o.placed_at AS DATE), N'unknown', o.currency, COUNT_BIG(*),
    SUM(COALESCE(l.units, 0)), SUM(COALESCE(l.items_minor, 0)), SUM(o.total_minor)
FROM orders AS o
LEFT JOIN (
    SELECT tenant_id, order_id, SUM(quantity) AS units,
        SUM(quantity * unit_price_minor) AS items_minor
    FROM order_lines GROUP BY tenant_id, order_id
) AS l ON l.tenant_id = o.tenant_id AND l.order_id = o.order_id
GROUP BY o.tenant_id, CAST(o.placed_at AS DATE), o.currency;
GO

INSERT INTO daily_product_sales (tenant_id, day, sku, channel, currency, orders, units,
    items_minor)
SELECT o.tenant_id, CAST(o.placed_at AS DATE), l.sku, N'unknown', o.currency,
    COUNT_BIG(DISTINCT o.order_id), SUM(l.quantity), SUM(l.quantity * l.unit_price_minor)
FROM orders AS o
JOIN order_lines AS l ON l.tenant_id = o.tenant_id AND l.order_id = o.order_id
GROUP BY o.tenant_id, CAST(o.placed_at AS DATE), l.sku, o.currency;
GO
