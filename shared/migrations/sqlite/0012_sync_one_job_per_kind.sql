-- One job per connection and object kind runs at a time (issue 9): a claim looks for another
-- running job of the same tenant, platform and kind, and a job that ends looks for the oldest
-- queued one to hand on to. This index answers both without reading the tenant's history.
CREATE INDEX sync_jobs_by_kind ON sync_jobs (tenant_id, platform, kind, status, created_at, id);
