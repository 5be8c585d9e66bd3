-- AI enrichment: an enrichment is current for its content hash *and* the prompt version it was
-- made with; it records where it came from (model, tokens, cost, why the offline engine stood
-- in); one made while the tenant's token budget was spent waits to be redone. Tokens spent are
-- tallied per tenant and UTC day.

ALTER TABLE enrichments ADD COLUMN prompt_version TEXT NOT NULL DEFAULT '';
ALTER TABLE enrichments ADD COLUMN provenance TEXT NOT NULL DEFAULT '{}';
ALTER TABLE enrichments ADD COLUMN waiting_for_budget INTEGER NOT NULL DEFAULT 0
    CHECK (waiting_for_budget IN (0, 1));

CREATE INDEX enrichments_waiting_for_budget ON enrichments (tenant_id, created_at)
    WHERE waiting_for_budget = 1;

CREATE TABLE ai_token_usage (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    -- UTC day, "2024-05-01".
    day        TEXT NOT NULL,
    tokens     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day)
) WITHOUT ROWID;
