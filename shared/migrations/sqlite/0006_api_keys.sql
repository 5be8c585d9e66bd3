-- Scoped API keys managed over the API. `scopes` is a space-separated list of lowercase scope
-- names ("read write ingest admin"); `prefix` is the key's first 8 characters, so a person can
-- recognise a key in a listing without the key itself being stored; `last_used_at` is written
-- at most once a minute per key. Keys made before scopes get every scope but `admin`, so no
-- existing key can start managing keys.

ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read write ingest';
ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at, id);
