-- The T-SQL twin of migrations/sqlite/0006_api_keys.sql: scoped API keys managed over the API.
-- `scopes` is a space-separated list of lowercase scope names; keys made before scopes get
-- every scope but `admin`. One column per batch, as SQL Server wants a column to exist
-- before a later statement of the batch reads it.

ALTER TABLE api_keys ADD scopes NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL
    CONSTRAINT df_api_keys_scopes DEFAULT 'read write ingest';
GO

ALTER TABLE api_keys ADD prefix NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL
    CONSTRAINT df_api_keys_prefix DEFAULT '';
GO

ALTER TABLE api_keys ADD last_used_at DATETIME2(3) NULL;
GO

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at, id);
GO
