-- The T-SQL twin of migrations/sqlite/0009_connections.sql: a tenant's connections to its
-- shop and ERP platforms. `secrets` holds only ciphertext (`v1:` + base64).

CREATE TABLE platform_connections (
    tenant_id   NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    platform    NVARCHAR(16) COLLATE Latin1_General_100_BIN2 NOT NULL,
    settings    NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    secrets     NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at  DATETIME2(3) NOT NULL,
    updated_at  DATETIME2(3) NOT NULL,
    version     BIGINT NOT NULL CONSTRAINT df_platform_connections_version DEFAULT 1,
    CONSTRAINT pk_platform_connections PRIMARY KEY (tenant_id, platform),
    CONSTRAINT fk_platform_connections_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id),
    CONSTRAINT ck_platform_connections_platform
        CHECK (platform IN ('shopify', 'woocommerce', 'netsuite')),
    CONSTRAINT ck_platform_connections_settings_is_json CHECK (ISJSON(settings) = 1)
);
GO
