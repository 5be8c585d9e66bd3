-- The sync engine's state (issue 7).
--
-- sync_jobs: one unit of sync work with one platform and object kind. `id` is chosen by the
-- producer so a repeated trigger finds the job it already made: a schedule slot
-- (`s-{platform}-{kind}-{slot}`), a webhook delivery (`w-{platform}-{delivery id}`), or a
-- random id for a job a person started. `targets` (JSON) names the remote records of targeted
-- work (webhooks, retries); NULL is an incremental run. `progress` (JSON) holds the counters,
-- the page to resume from after a crash, the cursors and the failure. `version` guards every
-- update (compare-and-set), which is also how one delivery claims a job.
CREATE TABLE sync_jobs (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    id           TEXT NOT NULL,
    platform     TEXT NOT NULL CHECK (platform IN ('shopify', 'woocommerce', 'netsuite')),
    kind         TEXT NOT NULL CHECK (kind IN ('products', 'inventory', 'orders')),
    trigger      TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual', 'webhook', 'retry')),
    targets      TEXT,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    progress     TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    lease_until  TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE INDEX sync_jobs_newest ON sync_jobs (tenant_id, created_at DESC, id DESC);

-- Where each incremental pull stands, per connection and object kind: `position` is the
-- platform's cursor as JSON (times in UTC). It moves only after the page it follows is stored.
-- (Not named `cursor`: CURSOR is reserved in T-SQL, and both migrations keep one schema.)
CREATE TABLE sync_cursors (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    platform    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    position    TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, platform, kind)
) WITHOUT ROWID;

-- Which remote record each SKU is on a platform, and what the enrichment-owned fields were
-- there: `remote_hash` as the platform last showed them, `pushed_hash` as we last pushed them.
-- The two differing after a push means someone edited them on the platform. `is_primary`
-- marks the SKU whose enrichment speaks for a remote product with several variants.
CREATE TABLE sync_links (
    tenant_id          TEXT NOT NULL REFERENCES tenants(id),
    platform           TEXT NOT NULL,
    sku                TEXT NOT NULL,
    remote_id          TEXT NOT NULL,
    remote_variant_id  TEXT,
    is_primary         INTEGER NOT NULL DEFAULT 0,
    remote_hash        TEXT,
    pushed_hash        TEXT,
    pushed_at          TEXT,
    updated_at         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, platform, sku)
) WITHOUT ROWID;

CREATE INDEX sync_links_remote ON sync_links (tenant_id, platform, remote_id);

-- The error inbox: one entry per connection, object kind, record and problem, however often
-- it recurs (`occurrences` counts the jobs that met it). `id` is derived from that key.
CREATE TABLE sync_issues (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    id           TEXT NOT NULL,
    platform     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    record       TEXT NOT NULL,
    code         TEXT NOT NULL,
    message      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    occurrences  INTEGER NOT NULL,
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    last_job     TEXT NOT NULL,
    resolved_at  TEXT,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;

CREATE INDEX sync_issues_newest ON sync_issues (tenant_id, last_seen DESC, id DESC);

-- An ERP push reads orders by their last change.
CREATE INDEX orders_by_change ON orders (tenant_id, updated_at, order_id);
