-- Batch enrichment runs: a tenant re-enriches a filtered part of its catalogue. A run scans the
-- catalogue a page at a time (the cursor is the last SKU scanned) and hands slices of at most
-- 50 products to the `enrich` queue; each slice records its tally once, keyed by its last SKU,
-- so a redelivered slice never counts twice.

CREATE TABLE enrichment_runs (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    -- JSON: {"category", "q", "updated_since", "generated_by"}, each optional.
    filter      TEXT NOT NULL,
    -- 1: re-enrich products even when their enrichment is current.
    force       INTEGER NOT NULL CHECK (force IN (0, 1)),
    status      TEXT NOT NULL CHECK (status IN ('scanning', 'queued')),
    cursor      TEXT,
    matched     INTEGER NOT NULL DEFAULT 0,
    slices      INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    queued_at   TEXT
) WITHOUT ROWID;

CREATE INDEX enrichment_runs_by_created_at ON enrichment_runs (tenant_id, created_at, id);

CREATE TABLE enrichment_run_slices (
    run_id           TEXT NOT NULL REFERENCES enrichment_runs(id),
    through          TEXT NOT NULL,
    enriched         INTEGER NOT NULL,
    already_current  INTEGER NOT NULL,
    gone             INTEGER NOT NULL,
    PRIMARY KEY (run_id, through)
) WITHOUT ROWID;
