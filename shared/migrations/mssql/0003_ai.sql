-- The T-SQL twin of migrations/sqlite/0003_ai.sql: an enrichment's prompt version, provenance
-- and budget wait; tokens spent per tenant and UTC day. One statement per batch.

ALTER TABLE enrichments ADD prompt_version NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL
    CONSTRAINT df_enrichments_prompt_version DEFAULT N'';
GO

ALTER TABLE enrichments ADD provenance NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL
    CONSTRAINT df_enrichments_provenance DEFAULT N'{}'
    CONSTRAINT ck_enrichments_provenance_is_json CHECK (ISJSON(provenance) = 1);
GO

ALTER TABLE enrichments ADD waiting_for_budget BIT NOT NULL
    CONSTRAINT df_enrichments_waiting_for_budget DEFAULT 0;
GO

CREATE INDEX enrichments_waiting_for_budget ON enrichments (tenant_id, created_at)
    WHERE waiting_for_budget = 1;
GO

CREATE TABLE ai_token_usage (
    tenant_id  NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    day        DATE NOT NULL,
    tokens     BIGINT NOT NULL,
    CONSTRAINT pk_ai_token_usage PRIMARY KEY (tenant_id, day),
    CONSTRAINT fk_ai_token_usage_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id)
);
