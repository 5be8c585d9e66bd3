-- Sales analytics: the tenant's time zone (its sales days are local calendar days), each
-- order's sales channel, and the daily rollups order ingestion keeps in the same transaction
-- as the orders (and the RollupAnalytics timer rebuilds). Days are 'YYYY-MM-DD' text.
-- An order without a channel is counted under channel 'unknown'.

ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE orders ADD COLUMN channel TEXT;

-- Order grain: orders that day, their units and lines' value, and their totals.
CREATE TABLE daily_sales (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    day          TEXT NOT NULL,
    channel      TEXT NOT NULL,
    currency     TEXT NOT NULL,
    orders       INTEGER NOT NULL,
    units        INTEGER NOT NULL,
    items_minor  INTEGER NOT NULL,
    sales_minor  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, channel, currency)
) WITHOUT ROWID;

-- Line grain: per SKU, the orders with at least one of its lines, its units and their value.
CREATE TABLE daily_product_sales (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    day          TEXT NOT NULL,
    sku          TEXT NOT NULL,
    channel      TEXT NOT NULL,
    currency     TEXT NOT NULL,
    orders       INTEGER NOT NULL,
    units        INTEGER NOT NULL,
    items_minor  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day, sku, channel, currency)
) WITHOUT ROWID;

-- Every tenant is in UTC now, so the UTC date of placed_at is the day; no order has a channel.
INSERT INTO daily_sales (tenant_id, day, channel, currency, orders, units, items_minor,
    sales_minor)
SELECT o.tenant_id, substr(o.placed_at, 1, 10), 'unknown', o.currency, COUNT(*),
    SUM(COALESCE(l.units, 0)), SUM(COALESCE(l.items_minor, 0)), SUM(o.total_minor)
FROM orders o
LEFT JOIN (
    SELECT tenant_id, order_id, SUM(quantity) AS units,
        SUM(quantity * unit_price_minor) AS items_minor
    FROM order_lines GROUP BY tenant_id, order_id
) l ON l.tenant_id = o.tenant_id AND l.order_id = o.order_id
GROUP BY o.tenant_id, substr(o.placed_at, 1, 10), o.currency;

INSERT INTO daily_product_sales (tenant_id, day, sku, channel, currency, orders, units,
    items_minor)
SELECT o.tenant_id, substr(o.placed_at, 1, 10), l.sku, 'unknown', o.currency,
    COUNT(DISTINCT o.order_id), SUM(l.quantity), SUM(l.quantity * l.unit_price_minor)
FROM orders o
JOIN order_lines l ON l.tenant_id = o.tenant_id AND l.order_id = o.order_id
GROUP BY o.tenant_id, substr(o.placed_at, 1, 10), l.sku, o.currency;
