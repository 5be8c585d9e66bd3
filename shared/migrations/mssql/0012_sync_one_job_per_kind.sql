-- The T-SQL twin of migrations/sqlite/0012_sync_one_job_per_kind.sql: the index a claim's
-- check for another running job of the same connection and kind, and the search for the next
-- queued one, read. The claim also takes its range locks on this index (UPDLOCK, HOLDLOCK),
-- so they cover one connection's jobs of one kind, not the tenant's.
CREATE INDEX ix_sync_jobs_by_kind ON sync_jobs (tenant_id, platform, kind, status, created_at, id);
