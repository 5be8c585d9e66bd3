-- A tenant's connections to its shop and ERP platforms, one per platform. `settings` is the
-- non-secret configuration as JSON (shop domain, site URL, account id, base_url override,
-- directions and schedules per object kind, concurrency); `secrets` is the credentials'
-- ciphertext (`v1:` + base64 of nonce, AES-256-GCM ciphertext and tag), never plaintext.
-- `version` counts the times the row was stored.

CREATE TABLE platform_connections (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    platform    TEXT NOT NULL CHECK (platform IN ('shopify', 'woocommerce', 'netsuite')),
    settings    TEXT NOT NULL,
    secrets     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (tenant_id, platform)
) WITHOUT ROWID;
