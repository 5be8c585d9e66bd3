//! Every T-SQL statement the Azure SQL adapter can send, in one place, so that one test can parse
//! them all (the migrations' batches included) with a T-SQL parser. Parameters are tiberius's
//! `@P1`, `@P2`, … in the order the caller binds them.
//!
//! Text columns are collated `Latin1_General_100_BIN2` (see the migration), so `=`, `>` and
//! `ORDER BY` compare code points as SQLite does; the staging tables say so too, because a
//! `#temp` table would otherwise take tempdb's collation and refuse to compare.

use crate::store::{ProductSort, SortField};

/// Migrations in order; the number is the version recorded in `schema_migrations`.
pub(super) const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/mssql/0001_init.sql"),
    ),
    (
        2,
        "feeds",
        include_str!("../../../migrations/mssql/0002_feeds.sql"),
    ),
    (
        3,
        "ai",
        include_str!("../../../migrations/mssql/0003_ai.sql"),
    ),
    (
        4,
        "edits",
        include_str!("../../../migrations/mssql/0004_edits.sql"),
    ),
    (
        5,
        "enrichment_runs",
        include_str!("../../../migrations/mssql/0005_enrichment_runs.sql"),
    ),
    (
        6,
        "api_keys",
        include_str!("../../../migrations/mssql/0006_api_keys.sql"),
    ),
    (
        7,
        "analytics",
        include_str!("../../../migrations/mssql/0007_analytics.sql"),
    ),
    (
        8,
        "product_lifecycle",
        include_str!("../../../migrations/mssql/0008_product_lifecycle.sql"),
    ),
    (
        9,
        "connections",
        include_str!("../../../migrations/mssql/0009_connections.sql"),
    ),
    (
        10,
        "sync",
        include_str!("../../../migrations/mssql/0010_sync.sql"),
    ),
    (
        11,
        "video_insights",
        include_str!("../../../migrations/mssql/0011_video_insights.sql"),
    ),
    (
        12,
        "sync_one_job_per_kind",
        include_str!("../../../migrations/mssql/0012_sync_one_job_per_kind.sql"),
    ),
];

/// The batches of a migration: the text between lines holding only `GO`, blank ones dropped.
pub(super) fn migration_batches(script: &str) -> Vec<String> {
    let mut batches = Vec::new();
    let mut current = String::new();
    for line in script.lines() {
        if line.trim().eq_ignore_ascii_case("GO") {
            batches.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    batches.push(current);
    batches
        .into_iter()
        .filter(|batch| batch.lines().any(|l| !is_blank_or_comment(l)))
        .collect()
}

fn is_blank_or_comment(line: &str) -> bool {
    let line = line.trim();
    line.is_empty() || line.starts_with("--")
}

/// Serialises migrations across instances: an exclusive application lock owned by the current
/// transaction, so its commit or rollback releases it. Waits up to a minute for another
/// instance's migration; a lock not granted shows in [`MIGRATION_LOCK_MODE`].
pub(super) const LOCK_MIGRATIONS: &str =
    "EXEC sp_getapplock @Resource = N'advisor:schema_migrations',
    @LockMode = N'Exclusive', @LockOwner = N'Transaction', @LockTimeout = 60000";

/// `Exclusive` when [`LOCK_MIGRATIONS`] got the lock. (Its return code would say so too, but
/// `EXEC @result = …` is beyond the parser the statements are checked with.)
pub(super) const MIGRATION_LOCK_MODE: &str =
    "SELECT APPLOCK_MODE(N'public', N'advisor:schema_migrations', N'Transaction') AS mode";

/// Creates the migrations table when missing; run under [`LOCK_MIGRATIONS`].
pub(super) const CREATE_MIGRATIONS_TABLE: &str =
    "IF OBJECT_ID(N'dbo.schema_migrations', N'U') IS NULL
    CREATE TABLE dbo.schema_migrations (
        version BIGINT NOT NULL CONSTRAINT pk_schema_migrations PRIMARY KEY,
        name NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
        applied_at DATETIME2(3) NOT NULL
    );";

/// `@P1` version.
pub(super) const MIGRATION_APPLIED: &str =
    "SELECT version FROM dbo.schema_migrations WHERE version = @P1";

/// `@P1` version, `@P2` name, `@P3` now.
pub(super) const RECORD_MIGRATION: &str =
    "INSERT INTO dbo.schema_migrations (version, name, applied_at) VALUES (@P1, @P2, @P3)";

/// The cheap round trip.
pub(super) const CHECK: &str = "SELECT 1 AS ok";

/// `@P1` id, `@P2` name, `@P3` now. `HOLDLOCK` makes the match and the insert one atomic step,
/// so two instances ensuring the same tenant do not both insert.
pub(super) const ENSURE_TENANT: &str = "MERGE INTO tenants WITH (HOLDLOCK)
USING (SELECT @P1 AS id, @P2 AS name, @P3 AS created_at) AS s
ON tenants.id = s.id
WHEN NOT MATCHED THEN INSERT (id, name, created_at) VALUES (s.id, s.name, s.created_at);";

/// `@P1` id.
pub(super) const TENANT_EXISTS: &str = "SELECT 1 AS found FROM tenants WHERE id = @P1";

/// `@P1` id, `@P2` tenant, `@P3` key hash, `@P4` name, `@P5` created at, `@P6` scopes,
/// `@P7` prefix.
pub(super) const ADD_API_KEY: &str =
    "INSERT INTO api_keys (id, tenant_id, key_hash, name, created_at, scopes, prefix)
VALUES (@P1, @P2, @P3, @P4, @P5, @P6, @P7)";

/// `@P1` key hash. Revoked keys too, so the caller can tell them apart.
pub(super) const KEY_FOR_HASH: &str =
    "SELECT id, tenant_id, scopes, revoked_at FROM api_keys WHERE key_hash = @P1";

/// `@P1` tenant.
pub(super) const LIST_API_KEYS: &str =
    "SELECT id, name, prefix, scopes, created_at, last_used_at, revoked_at
FROM api_keys WHERE tenant_id = @P1 ORDER BY created_at, id";

/// `@P1` tenant, `@P2` id, `@P3` now. A revoked key keeps its first revocation time.
pub(super) const REVOKE_API_KEY: &str = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, @P3)
WHERE tenant_id = @P1 AND id = @P2";

/// `@P1` id, `@P2` now, `@P3` the time before which a recorded use is stale.
pub(super) const TOUCH_API_KEY: &str = "UPDATE api_keys SET last_used_at = @P2
WHERE id = @P1 AND (last_used_at IS NULL OR last_used_at <= @P3)";

/// `@P1` id, `@P2` tenant, `@P3` run key, `@P4` blob name, `@P5` now, `@P6` kind. Does nothing
/// when the tenant already has a run for the key.
pub(super) const INSERT_RUN: &str = "MERGE INTO ingest_runs WITH (HOLDLOCK)
USING (SELECT @P1 AS id, @P2 AS tenant_id, @P3 AS run_key, @P4 AS blob_name, @P5 AS started_at,
    @P6 AS kind) AS s
ON ingest_runs.tenant_id = s.tenant_id AND ingest_runs.run_key = s.run_key
WHEN NOT MATCHED THEN INSERT (id, tenant_id, run_key, blob_name, kind, status, started_at)
    VALUES (s.id, s.tenant_id, s.run_key, s.blob_name, s.kind, 'running', s.started_at);";

/// The run columns, in [`RUN_COLUMNS_ORDER`]; a macro so statements can `concat!` it.
macro_rules! run_columns {
    () => {
        "id, tenant_id, blob_name, status, rows_total, rejected, error, report_blob, started_at,
    finished_at, kind, format, inserted, updated, unchanged"
    };
}

/// `@P1` tenant, `@P2` run key. Columns as [`RUN_COLUMNS_ORDER`].
pub(super) const RUN_BY_KEY: &str = concat!(
    "SELECT ",
    run_columns!(),
    "\nFROM ingest_runs WHERE tenant_id = @P1 AND run_key = @P2"
);

/// `@P1` run id. Columns as [`RUN_COLUMNS_ORDER`].
pub(super) const RUN_BY_ID: &str = concat!(
    "SELECT ",
    run_columns!(),
    "\nFROM ingest_runs WHERE id = @P1"
);

/// `@P1` tenant, `@P2` run id: the tenant's run, or none. Columns as [`RUN_COLUMNS_ORDER`].
pub(super) const RUN_OF_TENANT: &str = concat!(
    "SELECT ",
    run_columns!(),
    "\nFROM ingest_runs WHERE tenant_id = @P1 AND id = @P2"
);

/// The order of the columns the run statements return, for the reader.
pub(super) const RUN_COLUMNS_ORDER: [&str; 15] = [
    "id",
    "tenant_id",
    "blob_name",
    "status",
    "rows_total",
    "rejected",
    "error",
    "report_blob",
    "started_at",
    "finished_at",
    "kind",
    "format",
    "inserted",
    "updated",
    "unchanged",
];

/// The run listing, newest first: `@P1` tenant; with `after`, `@P2` started at and `@P3` id of
/// the last run of the page before; with `status`, the next parameter; the limit last.
pub(super) fn list_runs(after: bool, status: bool) -> String {
    let mut next = 1;
    let mut param = || {
        next += 1;
        format!("@P{next}")
    };
    let mut sql = String::from("WHERE tenant_id = @P1");
    if after {
        let (at, id) = (param(), param());
        sql.push_str(&format!(
            "\n    AND (started_at < {at} OR (started_at = {at} AND id < {id}))"
        ));
    }
    if status {
        sql.push_str(&format!("\n    AND status = {}", param()));
    }
    let limit = param();
    format!(
        "SELECT TOP ({limit}) {}\nFROM ingest_runs\n{sql}\nORDER BY started_at DESC, id DESC",
        run_columns!()
    )
}

/// `@P1` tenant, `@P2` run id, `@P3` limit: the first rejected rows of the tenant's run.
pub(super) const LIST_ERRORS: &str = "SELECT TOP (@P3) e.line, e.column_name, e.value, e.reason
FROM ingest_errors AS e
JOIN ingest_runs AS r ON r.id = e.run_id
WHERE r.tenant_id = @P1 AND e.run_id = @P2
ORDER BY e.line, e.column_name";

/// As [`LIST_ERRORS`], after `@P4` line and `@P5` column.
pub(super) const LIST_ERRORS_AFTER: &str = "SELECT TOP (@P3) e.line, e.column_name, e.value,
    e.reason
FROM ingest_errors AS e
JOIN ingest_runs AS r ON r.id = e.run_id
WHERE r.tenant_id = @P1 AND e.run_id = @P2
    AND (e.line > @P4 OR (e.line = @P4 AND e.column_name > @P5))
ORDER BY e.line, e.column_name";

/// `@P1` run id, `@P2` rows, `@P3` rejected, `@P4` inserted, `@P5` updated, `@P6` unchanged:
/// a running run's progress (a finished run is left as it is).
pub(super) const RECORD_RUN_PROGRESS: &str = "UPDATE ingest_runs SET rows_total = @P2,
    rejected = @P3, inserted = @P4, updated = @P5, unchanged = @P6
WHERE id = @P1 AND status = 'running'";

/// `@P1` run id: a redone run records its rejected rows afresh.
pub(super) const CLEAR_RUN_ERRORS: &str = "DELETE FROM ingest_errors WHERE run_id = @P1";

/// `@P1` run id, `@P2` status, `@P3` rows, `@P4` rejected, `@P5` error, `@P6` report blob,
/// `@P7` now, `@P8` format, `@P9` inserted, `@P10` updated, `@P11` unchanged.
pub(super) const FINISH_RUN: &str = "UPDATE ingest_runs SET status = @P2, rows_total = @P3,
    rejected = @P4, error = @P5, report_blob = @P6, finished_at = @P7, format = @P8,
    inserted = @P9, updated = @P10, unchanged = @P11, kind = @P12
WHERE id = @P1";

/// `@P1` run id, `@P2` unused (NULL), `@P3` the page size: the first page of a run's changes.
pub(super) const RUN_CHANGES: &str = "SELECT TOP (@P3) sku, content_hash, change
FROM ingest_run_changes WHERE run_id = @P1 AND @P2 IS NULL ORDER BY sku";

/// `@P1` run id, `@P2` the SKU to start after, `@P3` the page size. Separate from
/// [`RUN_CHANGES`] so the key is sought, not scanned.
pub(super) const RUN_CHANGES_AFTER: &str = "SELECT TOP (@P3) sku, content_hash, change
FROM ingest_run_changes WHERE run_id = @P1 AND sku > @P2 ORDER BY sku";

/// Session staging tables for a batch, dropped first in case an earlier batch on this
/// connection left them behind.
pub(super) const DROP_STAGING: [&str; 3] = [
    "DROP TABLE IF EXISTS #batch",
    "DROP TABLE IF EXISTS #changes",
    "DROP TABLE IF EXISTS #rejected",
];

/// The staging table the batch is bulk-copied into; its columns are in the order
/// [`BATCH_TABLE`] rows are sent.
pub(super) const CREATE_BATCH: &str = "CREATE TABLE #batch (
    sku                NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    title              NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    description        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    price_minor        BIGINT NULL,
    currency           NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NULL,
    quantity           BIGINT NULL,
    brand              NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    category           NVARCHAR(400) COLLATE Latin1_General_100_BIN2 NULL,
    gtin               NVARCHAR(14) COLLATE Latin1_General_100_BIN2 NULL,
    image_url          NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    source             NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    source_updated_at  DATETIME2(3) NULL,
    content_hash       NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    parent             NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NULL,
    options            NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    attributes         NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL
)";

/// What the products `MERGE` did, one row per written product.
pub(super) const CREATE_CHANGES: &str = "CREATE TABLE #changes (
    action        NVARCHAR(10) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sku           NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    content_hash  NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL
)";

/// The batch's rejected rows, one per (line, column).
pub(super) const CREATE_REJECTED: &str = "CREATE TABLE #rejected (
    line         BIGINT NOT NULL,
    column_name  NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    value        NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    reason       NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NOT NULL,
    PRIMARY KEY (line, column_name)
)";

/// Bulk-copy targets (identifiers: tiberius interpolates them).
pub(super) const BATCH_TABLE: &str = "#batch";
/// See [`BATCH_TABLE`].
pub(super) const REJECTED_TABLE: &str = "#rejected";

/// Empties the staging tables between rounds of one batch.
pub(super) const CLEAR_ROUND: [&str; 2] = ["DELETE FROM #batch", "DELETE FROM #changes"];

/// `@P1` tenant, `@P2` now. Writes every staged product whose content differs from what is
/// stored (a new one is inserted at version 1, a changed one bumps its version) and leaves an
/// unchanged one alone, as SQLite's per-row upsert does, and so it does a row the partner last
/// changed before the stored one (older rows never overwrite newer ones), and a product the
/// merchant deleted (it stays deleted); what it wrote lands in `#changes`.
/// `HOLDLOCK` holds the key ranges it read until the transaction ends, so a concurrent batch
/// cannot insert the same SKU between the match and the insert.
pub(super) const MERGE_PRODUCTS: &str = "MERGE INTO products WITH (HOLDLOCK)
USING #batch AS s
ON products.tenant_id = @P1 AND products.sku = s.sku
WHEN MATCHED AND products.content_hash <> s.content_hash AND products.deleted_at IS NULL
    AND (products.source_updated_at IS NULL OR s.source_updated_at IS NULL
        OR s.source_updated_at >= products.source_updated_at) THEN UPDATE SET
    title = s.title, description = s.description, price_minor = s.price_minor,
    currency = s.currency, quantity = s.quantity, brand = s.brand, category = s.category,
    gtin = s.gtin, image_url = s.image_url, source = s.source,
    source_updated_at = s.source_updated_at, content_hash = s.content_hash,
    parent = s.parent, options = s.options, attributes = s.attributes,
    version = products.version + 1, updated_at = @P2
WHEN NOT MATCHED BY TARGET THEN INSERT (tenant_id, sku, title, description, price_minor,
    currency, quantity, brand, category, gtin, image_url, source, source_updated_at,
    content_hash, version, created_at, updated_at, parent, options, attributes)
    VALUES (@P1, s.sku, s.title, s.description, s.price_minor, s.currency, s.quantity,
    s.brand, s.category, s.gtin, s.image_url, s.source, s.source_updated_at, s.content_hash,
    1, @P2, @P2, s.parent, s.options, s.attributes)
OUTPUT $action, inserted.sku, inserted.content_hash INTO #changes (action, sku, content_hash);";

/// How many staged products the `MERGE` inserted and updated.
pub(super) const COUNT_CHANGES: &str = "SELECT
    COUNT_BIG(CASE WHEN action = N'INSERT' THEN 1 END) AS inserted,
    COUNT_BIG(CASE WHEN action = N'UPDATE' THEN 1 END) AS updated
FROM #changes";

/// `@P1` run id. Records the round's changes as the run's; a product the run already changed
/// keeps its kind of change and takes the new content hash, as in SQLite.
pub(super) const RECORD_CHANGES: &str = "MERGE INTO ingest_run_changes WITH (HOLDLOCK)
USING (SELECT sku, content_hash,
        CASE WHEN action = N'INSERT' THEN N'inserted' ELSE N'updated' END AS change
    FROM #changes) AS s
ON ingest_run_changes.run_id = @P1 AND ingest_run_changes.sku = s.sku
WHEN MATCHED THEN UPDATE SET content_hash = s.content_hash
WHEN NOT MATCHED BY TARGET THEN INSERT (run_id, sku, content_hash, change)
    VALUES (@P1, s.sku, s.content_hash, s.change);";

/// `@P1` run id. Records the staged rejected rows the run has not recorded yet (SQLite's
/// `INSERT OR IGNORE`).
pub(super) const RECORD_REJECTED: &str =
    "INSERT INTO ingest_errors (run_id, line, column_name, value, reason)
SELECT @P1, r.line, r.column_name, r.value, r.reason
FROM #rejected AS r
WHERE NOT EXISTS (SELECT 1 FROM ingest_errors AS e WITH (UPDLOCK, HOLDLOCK)
    WHERE e.run_id = @P1 AND e.line = r.line AND e.column_name = r.column_name)";

/// The product columns, then the enrichment's; [`PRODUCT_COLUMNS`] numbers them.
const SELECT_PRODUCT: &str = "SELECT p.sku, p.title, p.description, p.price_minor, p.currency,
    p.quantity, p.brand, p.category, p.gtin, p.image_url, p.source, p.source_updated_at,
    p.content_hash, p.version, p.created_at, p.updated_at,
    e.content_hash AS enrichment_hash, e.generated_by, e.payload, e.created_at AS enriched_at,
    p.parent, p.options, p.attributes,
    e.prompt_version, e.provenance, e.waiting_for_budget,
    x.fields AS edited_fields, x.edited_at
FROM products AS p
LEFT JOIN enrichments AS e ON e.tenant_id = p.tenant_id AND e.sku = p.sku
LEFT JOIN enrichment_edits AS x ON x.tenant_id = p.tenant_id AND x.sku = p.sku";

/// How many columns [`SELECT_PRODUCT`] returns.
pub(super) const PRODUCT_COLUMNS: usize = 28;

/// `@P1` tenant, `@P2` SKU.
pub(super) fn get_product() -> String {
    format!("{SELECT_PRODUCT}\nWHERE p.tenant_id = @P1 AND p.sku = @P2 AND p.deleted_at IS NULL")
}

/// Which filters a product listing uses; each present one takes the next parameter(s).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ListFilters {
    /// The order.
    pub sort: ProductSort,
    /// Strictly after a position: its sort key (unless sorted by SKU), then its SKU.
    pub after: bool,
    /// One LIKE pattern, matched case-insensitively against SKU, title and brand.
    pub text: bool,
    /// The partner's category or the enrichment's category path.
    pub category: bool,
    /// `p.updated_at >= @Pn`.
    pub updated_since: bool,
    /// `p.brand = @Pn`.
    pub brand: bool,
    /// In stock (`true`) or not (`false`); takes no parameter.
    pub in_stock: Option<bool>,
    /// A price range: its currency, then the lower and upper bounds that are given.
    pub price: Option<(bool, bool)>,
}

/// The column `sort` orders by and its direction.
fn order_of(sort: ProductSort) -> (&'static str, &'static str) {
    let column = match sort.field {
        SortField::Sku => "p.sku",
        SortField::Title => "p.title",
        SortField::UpdatedAt => "p.updated_at",
    };
    (column, if sort.descending { "DESC" } else { "ASC" })
}

/// The product listing for `filters`: `@P1` tenant, then one parameter per present filter in
/// field order, then the limit. `ESCAPE '\'` pairs with [`escape_like`].
pub(super) fn list_products(filters: ListFilters) -> String {
    let mut next = 1;
    let mut param = || {
        next += 1;
        format!("@P{next}")
    };
    let mut sql = format!("{SELECT_PRODUCT}\nWHERE p.tenant_id = @P1 AND p.deleted_at IS NULL");
    let (column, direction) = order_of(filters.sort);
    if filters.after {
        let beyond = if filters.sort.descending { "<" } else { ">" };
        if filters.sort.field == SortField::Sku {
            sql.push_str(&format!("\n    AND p.sku {beyond} {}", param()));
        } else {
            let (key, sku) = (param(), param());
            sql.push_str(&format!(
                "\n    AND ({column} {beyond} {key} OR ({column} = {key} AND p.sku {beyond} {sku}))"
            ));
        }
    }
    if filters.text {
        let p = param();
        // SQLite's LIKE ignores ASCII case; the columns are binary-collated, so ask for a
        // case-insensitive comparison here.
        sql.push_str(&format!(
            "\n    AND (p.sku COLLATE Latin1_General_100_CI_AS LIKE {p} ESCAPE '\\'\
             \n        OR p.title COLLATE Latin1_General_100_CI_AS LIKE {p} ESCAPE '\\'\
             \n        OR p.brand COLLATE Latin1_General_100_CI_AS LIKE {p} ESCAPE '\\')"
        ));
    }
    if filters.category {
        let p = param();
        sql.push_str(&format!(
            "\n    AND (p.category = {p} OR COALESCE(JSON_VALUE(x.fields, '$.category.path'),\
             \n        JSON_VALUE(e.payload, '$.category.path')) = {p})"
        ));
    }
    if filters.updated_since {
        sql.push_str(&format!("\n    AND p.updated_at >= {}", param()));
    }
    if filters.brand {
        sql.push_str(&format!("\n    AND p.brand = {}", param()));
    }
    match filters.in_stock {
        Some(true) => sql.push_str("\n    AND p.quantity > 0"),
        Some(false) => sql.push_str("\n    AND p.quantity <= 0"),
        None => {}
    }
    if let Some((min, max)) = filters.price {
        sql.push_str(&format!("\n    AND p.currency = {}", param()));
        if min {
            sql.push_str(&format!("\n    AND p.price_minor >= {}", param()));
        }
        if max {
            sql.push_str(&format!("\n    AND p.price_minor <= {}", param()));
        }
    }
    let limit = param();
    sql.push_str(&format!(
        "\nORDER BY {column} {direction}, p.sku {direction}"
    ));
    // The limit is bound last but read first: TOP, because the parser the statements are
    // checked with takes no parameter in FETCH NEXT.
    sql.replacen("SELECT ", &format!("SELECT TOP ({limit}) "), 1)
}

/// The content columns a product write sets: `@P1` tenant, `@P2` SKU, `@P3` title,
/// `@P4` description, `@P5` price minor, `@P6` currency, `@P7` quantity, `@P8` brand,
/// `@P9` category, `@P10` GTIN, `@P11` image URL, `@P12` source, `@P13` source updated at,
/// `@P14` content hash, `@P15` now, `@P16` parent, `@P17` options, `@P18` attributes.
const SET_PRODUCT_CONTENT: &str = "title = @P3, description = @P4, price_minor = @P5,
    currency = @P6, quantity = @P7, brand = @P8, category = @P9, gtin = @P10,
    image_url = @P11, source = @P12, source_updated_at = @P13, content_hash = @P14,
    updated_at = @P15, parent = @P16, options = @P17, attributes = @P18,
    version = version + 1, deleted_at = NULL";

/// The content parameters (see [`SET_PRODUCT_CONTENT`]): brings a deleted product back with
/// this content, its version counting on.
pub(super) fn restore_product() -> String {
    format!(
        "UPDATE products SET {SET_PRODUCT_CONTENT}
WHERE tenant_id = @P1 AND sku = @P2 AND deleted_at IS NOT NULL"
    )
}

/// The content parameters (see [`SET_PRODUCT_CONTENT`]) and `@P19` the expected version:
/// replaces the live product's content only if it is at that version and the content differs.
pub(super) fn replace_product() -> String {
    format!(
        "UPDATE products SET {SET_PRODUCT_CONTENT}
WHERE tenant_id = @P1 AND sku = @P2 AND version = @P19 AND deleted_at IS NULL
    AND content_hash <> @P14"
    )
}

/// The content parameters (see [`SET_PRODUCT_CONTENT`]): inserts the product at version 1
/// unless the tenant has the SKU. `HOLDLOCK` keeps the key range locked until the transaction
/// ends, so a concurrent insert of the SKU waits instead of failing on the key.
pub(super) const INSERT_PRODUCT: &str = "INSERT INTO products (tenant_id, sku, title,
    description, price_minor, currency, quantity, brand, category, gtin, image_url, source,
    source_updated_at, content_hash, version, created_at, updated_at, parent, options,
    attributes)
SELECT @P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14, 1, @P15,
    @P15, @P16, @P17, @P18
WHERE NOT EXISTS (SELECT 1 FROM products WITH (UPDLOCK, HOLDLOCK)
    WHERE tenant_id = @P1 AND sku = @P2)";

/// `@P1` tenant, `@P2` SKU: the live product's version and content hash.
pub(super) const LIVE_PRODUCT: &str = "SELECT version, content_hash FROM products
WHERE tenant_id = @P1 AND sku = @P2 AND deleted_at IS NULL";

/// `@P1` tenant, `@P2` SKU, `@P3` expected version, `@P4` now: soft-deletes the live product
/// only if it is at that version.
pub(super) const DELETE_PRODUCT: &str = "UPDATE products SET deleted_at = @P4,
    updated_at = @P4, version = version + 1
WHERE tenant_id = @P1 AND sku = @P2 AND version = @P3 AND deleted_at IS NULL";

/// `text` as a LIKE pattern that matches it literally, under `ESCAPE '\'`. T-SQL also treats
/// `[` as special, unlike SQLite.
pub(super) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    escaped.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_' | '[') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped.push('%');
    escaped
}

/// `@P1` tenant, `@P2` SKU: the product's content hash and its enrichment's hash, prompt
/// version and budget wait, locked until the transaction ends so the check and the write see
/// the same product.
pub(super) const ENRICHMENT_STATE: &str =
    "SELECT p.content_hash, e.content_hash AS enrichment_hash,
    e.prompt_version, e.waiting_for_budget, e.created_at
FROM products AS p WITH (UPDLOCK, HOLDLOCK)
LEFT JOIN enrichments AS e WITH (UPDLOCK, HOLDLOCK) ON e.tenant_id = p.tenant_id AND e.sku = p.sku
WHERE p.tenant_id = @P1 AND p.sku = @P2";

/// `@P1` tenant, `@P2` SKU, `@P3` content hash, `@P4` generated by, `@P5` payload,
/// `@P6` created at, `@P7` prompt version, `@P8` provenance, `@P9` waiting for budget.
pub(super) const SAVE_ENRICHMENT: &str = "MERGE INTO enrichments WITH (HOLDLOCK)
USING (SELECT @P1 AS tenant_id, @P2 AS sku, @P3 AS content_hash, @P4 AS generated_by,
    @P5 AS payload, @P6 AS created_at, @P7 AS prompt_version, @P8 AS provenance,
    @P9 AS waiting_for_budget) AS s
ON enrichments.tenant_id = s.tenant_id AND enrichments.sku = s.sku
WHEN MATCHED THEN UPDATE SET content_hash = s.content_hash, generated_by = s.generated_by,
    payload = s.payload, created_at = s.created_at, prompt_version = s.prompt_version,
    provenance = s.provenance, waiting_for_budget = s.waiting_for_budget
WHEN NOT MATCHED THEN INSERT (tenant_id, sku, content_hash, generated_by, payload, created_at,
        prompt_version, provenance, waiting_for_budget)
    VALUES (s.tenant_id, s.sku, s.content_hash, s.generated_by, s.payload, s.created_at,
        s.prompt_version, s.provenance, s.waiting_for_budget);";

/// `@P1` tenant, `@P2` day.
pub(super) const AI_TOKENS_SPENT: &str =
    "SELECT tokens FROM ai_token_usage WHERE tenant_id = @P1 AND day = @P2";

/// `@P1` tenant, `@P2` day, `@P3` tokens to add.
pub(super) const ADD_AI_TOKENS: &str = "MERGE INTO ai_token_usage WITH (HOLDLOCK)
USING (SELECT @P1 AS tenant_id, @P2 AS day, @P3 AS tokens) AS s
ON ai_token_usage.tenant_id = s.tenant_id AND ai_token_usage.day = s.day
WHEN MATCHED THEN UPDATE SET tokens = ai_token_usage.tokens + s.tokens
WHEN NOT MATCHED THEN INSERT (tenant_id, day, tokens) VALUES (s.tenant_id, s.day, s.tokens);";

/// `@P1` limit, `@P2` tenant: the tenant's enrichments waiting for budget, the longest waiting
/// first.
pub(super) const ENRICHMENTS_WAITING_FOR_BUDGET: &str =
    "SELECT TOP (@P1) tenant_id, sku, content_hash FROM enrichments
WHERE tenant_id = @P2 AND waiting_for_budget = 1
ORDER BY created_at, sku";

/// `@P1` limit, `@P2` after, `@P3` before: live products changed in `(after, before]` with no
/// enrichment for their current content, the longest waiting first.
pub(super) const PRODUCTS_MISSING_ENRICHMENT: &str =
    "SELECT TOP (@P1) p.tenant_id, p.sku, p.content_hash FROM tenants AS t
JOIN products AS p ON p.tenant_id = t.id
WHERE p.updated_at > @P2 AND p.updated_at <= @P3 AND p.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM enrichments AS e WHERE e.tenant_id = p.tenant_id
      AND e.sku = p.sku AND e.content_hash = p.content_hash)
ORDER BY p.updated_at, p.tenant_id, p.sku";

/// The tenants with enrichments waiting for budget.
pub(super) const TENANTS_WAITING_FOR_BUDGET: &str =
    "SELECT DISTINCT tenant_id FROM enrichments WHERE waiting_for_budget = 1 ORDER BY tenant_id";

/// `@P1` tenant, `@P2` name, `@P3` body, `@P4` now.
pub(super) const PUT_PROFILE: &str = "MERGE INTO mapping_profiles WITH (HOLDLOCK)
USING (SELECT @P1 AS tenant_id, @P2 AS name, @P3 AS body, @P4 AS updated_at) AS s
ON mapping_profiles.tenant_id = s.tenant_id AND mapping_profiles.name = s.name
WHEN MATCHED THEN UPDATE SET body = s.body, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (tenant_id, name, body, updated_at)
    VALUES (s.tenant_id, s.name, s.body, s.updated_at);";

/// `@P1` tenant, `@P2` platform, `@P3` settings, `@P4` sealed secrets, `@P5` now: a replace
/// keeps `created_at` and counts `version` up.
pub(super) const PUT_CONNECTION: &str = "MERGE INTO platform_connections WITH (HOLDLOCK)
USING (SELECT @P1 AS tenant_id, @P2 AS platform, @P3 AS settings, @P4 AS secrets,
    @P5 AS at) AS s
ON platform_connections.tenant_id = s.tenant_id AND platform_connections.platform = s.platform
WHEN MATCHED THEN UPDATE SET settings = s.settings, secrets = s.secrets, updated_at = s.at,
    version = platform_connections.version + 1
WHEN NOT MATCHED THEN INSERT (tenant_id, platform, settings, secrets, created_at, updated_at,
    version)
    VALUES (s.tenant_id, s.platform, s.settings, s.secrets, s.at, s.at, 1);";

/// `@P1` tenant, `@P2` platform.
pub(super) const GET_CONNECTION: &str = "SELECT tenant_id, platform, settings, secrets,
    created_at, updated_at, version
FROM platform_connections WHERE tenant_id = @P1 AND platform = @P2";

/// `@P1` tenant.
pub(super) const LIST_CONNECTIONS: &str = "SELECT tenant_id, platform, settings, secrets,
    created_at, updated_at, version
FROM platform_connections WHERE tenant_id = @P1 ORDER BY platform";

/// `@P1` tenant, `@P2` platform.
pub(super) const DELETE_CONNECTION: &str =
    "DELETE FROM platform_connections WHERE tenant_id = @P1 AND platform = @P2";

/// Every tenant's connections, by tenant then platform (for the scheduler).
pub(super) const ALL_CONNECTIONS: &str = "SELECT tenant_id, platform, settings, secrets,
    created_at, updated_at, version
FROM platform_connections ORDER BY tenant_id, platform";

/// `@P1` tenant, `@P2` id, `@P3` platform, `@P4` kind, `@P5` trigger, `@P6` targets (JSON or
/// NULL), `@P7` status, `@P8` progress (JSON), `@P9` created, `@P10` started, `@P11` finished,
/// `@P12` lease until, `@P13` version: the job, unless the tenant has one with its id.
/// `UPDLOCK, HOLDLOCK` holds the key range from the check to the insert, so two deliveries of
/// one trigger make one job.
pub(super) const CREATE_SYNC_JOB: &str = "INSERT INTO sync_jobs (tenant_id, id, platform, kind,
    [trigger], targets, status, progress, created_at, started_at, finished_at, lease_until,
    version)
SELECT @P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13
WHERE NOT EXISTS (SELECT 1 FROM sync_jobs WITH (UPDLOCK, HOLDLOCK)
    WHERE tenant_id = @P1 AND id = @P2)";

/// `@P1` tenant, `@P2` id: one job.
pub(super) const GET_SYNC_JOB: &str = "SELECT tenant_id, id, platform, kind, [trigger], targets,
    status, progress, created_at, started_at, finished_at, lease_until, version
FROM sync_jobs WHERE tenant_id = @P1 AND id = @P2";

/// `@P1` limit, `@P2` tenant, `@P3` platform (NULL: all), `@P4` the cursor's creation (NULL:
/// from the newest) and `@P5` its id: the tenant's jobs, newest first.
pub(super) const LIST_SYNC_JOBS: &str = "SELECT TOP (@P1) tenant_id, id, platform, kind,
    [trigger], targets, status, progress, created_at, started_at, finished_at, lease_until,
    version
FROM sync_jobs
WHERE tenant_id = @P2 AND (@P3 IS NULL OR platform = @P3)
    AND (@P4 IS NULL OR created_at < @P4 OR (created_at = @P4 AND id < @P5))
ORDER BY created_at DESC, id DESC";

/// `@P1` limit, `@P2` tenant, `@P3`/`@P4` the last order's change and id (NULL: from the
/// first): the tenant's orders by last change, for an ERP push.
pub(super) const ORDERS_CHANGED_SINCE: &str = "SELECT TOP (@P1) order_id, placed_at, currency,
    total_minor, tax_minor, shipping_minor, customer_ref, channel, updated_at
FROM orders
WHERE tenant_id = @P2
    AND (@P3 IS NULL OR updated_at > @P3 OR (updated_at = @P3 AND order_id > @P4))
ORDER BY updated_at, order_id";

/// `@P1` tenant, `@P2` a JSON array of order ids: their lines, by order and line number.
pub(super) const LINES_OF_ORDERS: &str = "SELECT l.order_id, l.sku, l.quantity,
    l.unit_price_minor
FROM OPENJSON(@P2) AS j
JOIN order_lines AS l ON l.tenant_id = @P1
    AND l.order_id = j.value COLLATE Latin1_General_100_BIN2
ORDER BY l.order_id, l.line_no";

/// `@P1` tenant, `@P2` id, `@P3` status, `@P4` progress (JSON), `@P5` started, `@P6` finished,
/// `@P7` lease until, `@P8` the version the writer read: writes nothing when another writer
/// moved the version on (compare-and-set).
pub(super) const SAVE_SYNC_JOB: &str = "UPDATE sync_jobs
SET status = @P3, progress = @P4, started_at = @P5, finished_at = @P6, lease_until = @P7,
    version = version + 1
WHERE tenant_id = @P1 AND id = @P2 AND version = @P8";

/// `SAVE_SYNC_JOB`'s parameters, then `@P9` platform and `@P10` kind: writes the job only if no
/// other job of its connection and kind runs. The check's range locks (UPDLOCK, HOLDLOCK on
/// `ix_sync_jobs_by_kind`) are held until the statement commits, so of two claims at once the
/// second waits for the first and then sees its job running.
pub(super) const CLAIM_SYNC_JOB: &str = "UPDATE sync_jobs
SET status = @P3, progress = @P4, started_at = @P5, finished_at = @P6, lease_until = @P7,
    version = version + 1
WHERE tenant_id = @P1 AND id = @P2 AND version = @P8
    AND NOT EXISTS (SELECT 1 FROM sync_jobs AS other WITH (UPDLOCK, HOLDLOCK)
                    WHERE other.tenant_id = @P1 AND other.platform = @P9
                        AND other.kind = @P10 AND other.status = 'running'
                        AND other.id <> @P2)";

/// `@P1` tenant, `@P2` platform, `@P3` kind: the oldest queued job.
pub(super) const NEXT_QUEUED_SYNC_JOB: &str = "SELECT TOP (1) id FROM sync_jobs
WHERE tenant_id = @P1 AND platform = @P2 AND kind = @P3 AND status = 'queued'
ORDER BY created_at, id";

/// `@P1` tenant, `@P2` platform, `@P3` kind: the stored cursor.
pub(super) const GET_SYNC_CURSOR: &str = "SELECT position FROM sync_cursors
WHERE tenant_id = @P1 AND platform = @P2 AND kind = @P3";

/// `@P1` tenant, `@P2` platform, `@P3` kind, `@P4` position, `@P5` now: inserts or replaces the
/// cursor.
pub(super) const PUT_SYNC_CURSOR: &str = "MERGE INTO sync_cursors WITH (HOLDLOCK)
USING (SELECT @P1 AS tenant_id, @P2 AS platform, @P3 AS kind, @P4 AS position,
    @P5 AS updated_at) AS s
ON sync_cursors.tenant_id = s.tenant_id AND sync_cursors.platform = s.platform
    AND sync_cursors.kind = s.kind
WHEN MATCHED THEN UPDATE SET position = s.position, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (tenant_id, platform, kind, position, updated_at)
    VALUES (s.tenant_id, s.platform, s.kind, s.position, s.updated_at);";

/// The columns of a link, from `sync_links AS l`, in the order `mssql::sync` reads them.
const SYNC_LINK_COLUMNS: &str = "l.tenant_id, l.platform, l.sku, l.remote_id, l.remote_variant_id,
    l.is_primary, l.remote_hash, l.pushed_hash, l.pushed_at, l.updated_at";

/// `@P1` tenant, `@P2` platform, `@P3` SKUs (a JSON array of strings): their links, in the
/// order the SKUs were given, one round trip for the lot. The SKU from the array takes the
/// column's collation, which the array's text (the database default) would otherwise clash
/// with.
pub(super) fn sync_links_for_skus() -> String {
    format!(
        "SELECT {SYNC_LINK_COLUMNS}
FROM OPENJSON(@P3) AS j
JOIN sync_links AS l ON l.tenant_id = @P1 AND l.platform = @P2
    AND l.sku = j.value COLLATE Latin1_General_100_BIN2
ORDER BY CAST(j.[key] AS INT)"
    )
}

/// `@P1` tenant, `@P2` platform, `@P3` remote id: the links to one remote record, by SKU.
pub(super) fn sync_links_for_remote() -> String {
    format!(
        "SELECT {SYNC_LINK_COLUMNS} FROM sync_links AS l
WHERE l.tenant_id = @P1 AND l.platform = @P2 AND l.remote_id = @P3
ORDER BY l.sku"
    )
}

/// `@P1` limit, `@P2` tenant, `@P3` platform, `@P4` the SKU to go on after (NULL: from the
/// start): a page of primary links by SKU.
pub(super) fn primary_sync_links() -> String {
    format!(
        "SELECT TOP (@P1) {SYNC_LINK_COLUMNS} FROM sync_links AS l
WHERE l.tenant_id = @P2 AND l.platform = @P3 AND l.is_primary = 1
    AND (@P4 IS NULL OR l.sku > @P4)
ORDER BY l.sku"
    )
}

/// `@P1` tenant, `@P2` platform, `@P3` SKU, `@P4` remote id, `@P5` remote variant id, `@P6`
/// primary, `@P7` remote hash, `@P8` pushed hash, `@P9` pushed at, `@P10` updated at: inserts
/// or replaces the link.
pub(super) const PUT_SYNC_LINK: &str = "MERGE INTO sync_links WITH (HOLDLOCK)
USING (SELECT @P1 AS tenant_id, @P2 AS platform, @P3 AS sku, @P4 AS remote_id,
    @P5 AS remote_variant_id, @P6 AS is_primary, @P7 AS remote_hash, @P8 AS pushed_hash,
    @P9 AS pushed_at, @P10 AS updated_at) AS s
ON sync_links.tenant_id = s.tenant_id AND sync_links.platform = s.platform
    AND sync_links.sku = s.sku
WHEN MATCHED THEN UPDATE SET remote_id = s.remote_id, remote_variant_id = s.remote_variant_id,
    is_primary = s.is_primary, remote_hash = s.remote_hash, pushed_hash = s.pushed_hash,
    pushed_at = s.pushed_at, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (tenant_id, platform, sku, remote_id, remote_variant_id,
    is_primary, remote_hash, pushed_hash, pushed_at, updated_at)
    VALUES (s.tenant_id, s.platform, s.sku, s.remote_id, s.remote_variant_id, s.is_primary,
        s.remote_hash, s.pushed_hash, s.pushed_at, s.updated_at);";

/// `@P1` tenant, `@P2` entry id, `@P3` platform, `@P4` kind, `@P5` record, `@P6` code, `@P7`
/// message, `@P8` detail (JSON), `@P9` now, `@P10` job: a new open entry, or the existing one
/// reopened with the latest message, one more occurrence unless this job already counted.
pub(super) const RECORD_SYNC_PROBLEM: &str = "MERGE INTO sync_issues WITH (HOLDLOCK)
USING (SELECT @P1 AS tenant_id, @P2 AS id, @P3 AS platform, @P4 AS kind, @P5 AS record,
    @P6 AS code, @P7 AS message, @P8 AS detail, @P9 AS seen, @P10 AS job) AS s
ON sync_issues.tenant_id = s.tenant_id AND sync_issues.id = s.id
WHEN MATCHED THEN UPDATE SET message = s.message, detail = s.detail, status = 'open',
    resolved_at = NULL,
    occurrences = sync_issues.occurrences
        + CASE WHEN sync_issues.last_job = s.job THEN 0 ELSE 1 END,
    last_seen = s.seen, last_job = s.job
WHEN NOT MATCHED THEN INSERT (tenant_id, id, platform, kind, record, code, message, detail,
    status, occurrences, first_seen, last_seen, last_job, resolved_at)
    VALUES (s.tenant_id, s.id, s.platform, s.kind, s.record, s.code, s.message, s.detail,
        'open', 1, s.seen, s.seen, s.job, NULL);";

/// The columns of an inbox entry, in the order `mssql::sync` reads them.
const SYNC_ISSUE_COLUMNS: &str = "id, platform, kind, record, code, message, detail, status,
    occurrences, first_seen, last_seen, last_job, resolved_at";

/// `@P1` limit, `@P2` tenant, `@P3` platform (NULL: all), `@P4` status (NULL: all), `@P5` the
/// cursor's last seen (NULL: from the newest) and `@P6` its id: a page of the inbox, most
/// recently met first.
pub(super) fn list_sync_issues() -> String {
    format!(
        "SELECT TOP (@P1) {SYNC_ISSUE_COLUMNS} FROM sync_issues
WHERE tenant_id = @P2 AND (@P3 IS NULL OR platform = @P3) AND (@P4 IS NULL OR status = @P4)
    AND (@P5 IS NULL OR last_seen < @P5 OR (last_seen = @P5 AND id < @P6))
ORDER BY last_seen DESC, id DESC"
    )
}

/// `@P1` tenant, `@P2` id: one inbox entry.
pub(super) fn get_sync_issue() -> String {
    format!("SELECT {SYNC_ISSUE_COLUMNS} FROM sync_issues WHERE tenant_id = @P1 AND id = @P2")
}

/// `@P1` tenant, `@P2` id, `@P3` status, `@P4` resolved at (NULL when reopened).
pub(super) const SET_SYNC_ISSUE_STATUS: &str = "UPDATE sync_issues SET status = @P3,
    resolved_at = @P4
WHERE tenant_id = @P1 AND id = @P2";

/// The columns of a video, in the order `mssql::videos` reads them.
const VIDEO_COLUMNS: &str = "tenant_id, id, blob_name, etag, size, sku, status, error, analysis,
    created_at, updated_at, analyzed_at, lease_until, version";

/// `@P1` tenant, `@P2` id, `@P3` blob name, `@P4` etag, `@P5` size, `@P6` SKU (or NULL), `@P7`
/// status, `@P8` error (or NULL), `@P9` analysis (JSON or NULL), `@P10` created, `@P11`
/// updated, `@P12` analysed at, `@P13` lease until, `@P14` version: the video, unless the
/// tenant has one with its id. `UPDLOCK, HOLDLOCK` holds the key range from the check to the
/// insert, so two deliveries of one upload make one row.
pub(super) const CREATE_VIDEO: &str = "INSERT INTO video_insights (tenant_id, id, blob_name, etag,
    size, sku, status, error, analysis, created_at, updated_at, analyzed_at, lease_until,
    version)
SELECT @P1, @P2, @P3, @P4, @P5, @P6, @P7, @P8, @P9, @P10, @P11, @P12, @P13, @P14
WHERE NOT EXISTS (SELECT 1 FROM video_insights WITH (UPDLOCK, HOLDLOCK)
    WHERE tenant_id = @P1 AND id = @P2)";

/// `@P1` tenant, `@P2` id: one video.
pub(super) fn get_video() -> String {
    format!("SELECT {VIDEO_COLUMNS} FROM video_insights WHERE tenant_id = @P1 AND id = @P2")
}

/// `@P1` limit, `@P2` tenant, `@P3` SKU (NULL: all), `@P4` status (NULL: all), `@P5` the
/// cursor's creation (NULL: from the newest) and `@P6` its id: the tenant's videos, newest
/// first.
pub(super) fn list_videos() -> String {
    format!(
        "SELECT TOP (@P1) {VIDEO_COLUMNS} FROM video_insights
WHERE tenant_id = @P2 AND (@P3 IS NULL OR sku = @P3) AND (@P4 IS NULL OR status = @P4)
    AND (@P5 IS NULL OR created_at < @P5 OR (created_at = @P5 AND id < @P6))
ORDER BY created_at DESC, id DESC"
    )
}

/// `@P1` tenant, `@P2` id, `@P3` blob name, `@P4` etag, `@P5` size, `@P6` SKU, `@P7` status,
/// `@P8` error, `@P9` analysis (JSON), `@P10` updated, `@P11` analysed at, `@P12` lease until,
/// `@P13` the version the writer read: writes nothing when another writer moved the version
/// on (compare-and-set).
pub(super) const SAVE_VIDEO: &str = "UPDATE video_insights
SET blob_name = @P3, etag = @P4, size = @P5, sku = @P6, status = @P7, error = @P8,
    analysis = @P9, updated_at = @P10, analyzed_at = @P11, lease_until = @P12,
    version = version + 1
WHERE tenant_id = @P1 AND id = @P2 AND version = @P13";

/// `@P1` tenant, `@P2` name.
pub(super) const GET_PROFILE: &str =
    "SELECT body FROM mapping_profiles WHERE tenant_id = @P1 AND name = @P2";

/// `@P1` tenant, `@P2` name.
/// A batch enrichment run with the tally of its slices done, before its `WHERE`;
/// [`ENRICHMENT_RUN_COLUMNS`] columns.
const SELECT_ENRICHMENT_RUN: &str = "SELECT r.id, r.tenant_id, r.filter, r.force, r.status,
    r.[cursor], r.matched, r.slices, r.created_at, r.queued_at,
    COUNT_BIG(s.through) AS slices_done, COALESCE(SUM(s.enriched), 0) AS enriched,
    COALESCE(SUM(s.already_current), 0) AS already_current,
    COALESCE(SUM(s.gone), 0) AS gone
FROM enrichment_runs AS r
LEFT JOIN enrichment_run_slices AS s ON s.run_id = r.id";

/// What [`SELECT_ENRICHMENT_RUN`] tallies by, after its `WHERE`.
const GROUP_ENRICHMENT_RUN: &str = "GROUP BY r.id, r.tenant_id, r.filter, r.force, r.status,
    r.[cursor], r.matched, r.slices, r.created_at, r.queued_at";

/// How many columns [`SELECT_ENRICHMENT_RUN`] returns.
pub(super) const ENRICHMENT_RUN_COLUMNS: usize = 14;

/// `@P1` tenant, `@P2` id: one run.
pub(super) fn get_enrichment_run() -> String {
    format!(
        "{SELECT_ENRICHMENT_RUN}\nWHERE r.tenant_id = @P1 AND r.id = @P2\n{GROUP_ENRICHMENT_RUN}"
    )
}

/// `@P1` limit, `@P2` tenant, `@P3` the cursor's start (NULL: from the newest) and `@P4` its
/// id: the tenant's runs, newest first.
pub(super) fn list_enrichment_runs() -> String {
    let sql = format!(
        "{SELECT_ENRICHMENT_RUN}\nWHERE r.tenant_id = @P2\n    AND (@P3 IS NULL OR r.created_at < @P3 OR (r.created_at = @P3 AND r.id < @P4))\n{GROUP_ENRICHMENT_RUN}\nORDER BY r.created_at DESC, r.id DESC"
    );
    sql.replacen("SELECT ", "SELECT TOP (@P1) ", 1)
}

/// `@P1` id, `@P2` tenant, `@P3` filter, `@P4` force, `@P5` created at: the run, unless its id
/// exists.
pub(super) const START_ENRICHMENT_RUN: &str = "INSERT INTO enrichment_runs
    (id, tenant_id, filter, force, status, created_at)
SELECT @P1, @P2, @P3, @P4, 'scanning', @P5
WHERE NOT EXISTS (SELECT 1 FROM enrichment_runs WITH (UPDLOCK, HOLDLOCK) WHERE id = @P1)";

/// `@P1` id, `@P2` scan position expected (NULL: the start), `@P3` new position (NULL: the scan
/// is over), `@P4` products found, `@P5` slices queued, `@P6` now.
pub(super) const ADVANCE_ENRICHMENT_RUN: &str = "UPDATE enrichment_runs
SET [cursor] = @P3, matched = matched + @P4, slices = slices + @P5,
    status = CASE WHEN @P3 IS NULL THEN 'queued' ELSE 'scanning' END,
    queued_at = CASE WHEN @P3 IS NULL THEN @P6 ELSE NULL END
WHERE id = @P1 AND status = 'scanning'
    AND ([cursor] = @P2 OR ([cursor] IS NULL AND @P2 IS NULL))";

/// `@P1` id, `@P2` through, `@P3` enriched, `@P4` already current, `@P5` gone: once.
pub(super) const RECORD_ENRICHMENT_SLICE: &str = "INSERT INTO enrichment_run_slices
    (run_id, through, enriched, already_current, gone)
SELECT @P1, @P2, @P3, @P4, @P5
WHERE NOT EXISTS (SELECT 1 FROM enrichment_run_slices WITH (UPDLOCK, HOLDLOCK)
    WHERE run_id = @P1 AND through = @P2)";

pub(super) const DELETE_PROFILE: &str =
    "DELETE FROM mapping_profiles WHERE tenant_id = @P1 AND name = @P2";

/// `@P1` tenant.
pub(super) const LIST_PROFILES: &str =
    "SELECT name, updated_at FROM mapping_profiles WHERE tenant_id = @P1 ORDER BY name";

/// Session staging tables for a stock-level batch, dropped first in case an earlier batch on
/// this connection left them behind.
pub(super) const DROP_LEVEL_STAGING: [&str; 3] = [
    "DROP TABLE IF EXISTS #levels",
    "DROP TABLE IF EXISTS #level_changes",
    "DROP TABLE IF EXISTS #rejected",
];

/// The staging table stock levels are bulk-copied into, columns in the order they are sent.
pub(super) const CREATE_LEVELS: &str = "CREATE TABLE #levels (
    sku       NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    location  NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    quantity  BIGINT NOT NULL,
    as_of     DATETIME2(3) NULL,
    PRIMARY KEY (sku, location)
)";

/// What the levels `MERGE` did, one row per written level.
pub(super) const CREATE_LEVEL_CHANGES: &str = "CREATE TABLE #level_changes (
    action  NVARCHAR(10) COLLATE Latin1_General_100_BIN2 NOT NULL
)";

/// Bulk-copy target for stock levels.
pub(super) const LEVELS_TABLE: &str = "#levels";

/// Empties the level staging tables between rounds of one batch.
pub(super) const CLEAR_LEVEL_ROUND: [&str; 2] =
    ["DELETE FROM #levels", "DELETE FROM #level_changes"];

/// `@P1` tenant, `@P2` run id, `@P3` now. Writes every staged level that is new, or differs
/// from the stored one (quantity or as_of) without being older than it (both dated), as
/// SQLite's per-row upsert does. Every comparison is spelled out for NULLs: a condition that
/// is UNKNOWN would skip the row.
pub(super) const MERGE_LEVELS: &str = "MERGE INTO inventory_levels WITH (HOLDLOCK)
USING #levels AS s
ON inventory_levels.tenant_id = @P1 AND inventory_levels.sku = s.sku
    AND inventory_levels.location = s.location
WHEN MATCHED
    AND (s.as_of IS NULL OR inventory_levels.as_of IS NULL OR s.as_of >= inventory_levels.as_of)
    AND (s.quantity <> inventory_levels.quantity
        OR (s.as_of IS NULL AND inventory_levels.as_of IS NOT NULL)
        OR (s.as_of IS NOT NULL AND inventory_levels.as_of IS NULL)
        OR s.as_of <> inventory_levels.as_of)
    THEN UPDATE SET quantity = s.quantity, as_of = s.as_of, source_run = @P2, updated_at = @P3
WHEN NOT MATCHED BY TARGET THEN INSERT (tenant_id, sku, location, quantity, as_of, source_run,
    updated_at)
    VALUES (@P1, s.sku, s.location, s.quantity, s.as_of, @P2, @P3)
OUTPUT $action INTO #level_changes (action);";

/// How many staged levels the `MERGE` inserted and updated.
pub(super) const COUNT_LEVEL_CHANGES: &str = "SELECT
    COUNT_BIG(CASE WHEN action = N'INSERT' THEN 1 END) AS inserted,
    COUNT_BIG(CASE WHEN action = N'UPDATE' THEN 1 END) AS updated
FROM #level_changes";

/// Session staging tables for an order batch, dropped first in case an earlier batch on this
/// connection left them behind.
pub(super) const DROP_ORDER_STAGING: [&str; 7] = [
    "DROP TABLE IF EXISTS #orders",
    "DROP TABLE IF EXISTS #order_lines",
    "DROP TABLE IF EXISTS #order_changes",
    "DROP TABLE IF EXISTS #rejected",
    "DROP TABLE IF EXISTS #zone_periods",
    "DROP TABLE IF EXISTS #sales_delta",
    "DROP TABLE IF EXISTS #items_delta",
];

/// The staging table orders are bulk-copied into, columns in the order they are sent.
pub(super) const CREATE_ORDERS: &str = "CREATE TABLE #orders (
    order_id        NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    placed_at       DATETIME2(3) NOT NULL,
    currency        NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NOT NULL,
    total_minor     BIGINT NOT NULL,
    tax_minor       BIGINT NULL,
    shipping_minor  BIGINT NULL,
    customer_ref    NVARCHAR(MAX) COLLATE Latin1_General_100_BIN2 NULL,
    content_hash    NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    channel         NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NULL
)";

/// The staged orders' lines, columns in the order they are sent.
pub(super) const CREATE_ORDER_LINES: &str = "CREATE TABLE #order_lines (
    order_id          NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    line_no           BIGINT NOT NULL,
    sku               NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    quantity          BIGINT NOT NULL,
    unit_price_minor  BIGINT NOT NULL,
    PRIMARY KEY (order_id, line_no)
)";

/// What the orders `MERGE` did, one row per written order.
pub(super) const CREATE_ORDER_CHANGES: &str = "CREATE TABLE #order_changes (
    action    NVARCHAR(10) COLLATE Latin1_General_100_BIN2 NOT NULL,
    order_id  NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL
)";

/// Bulk-copy target for orders.
pub(super) const ORDERS_TABLE: &str = "#orders";
/// Bulk-copy target for order lines.
pub(super) const ORDER_LINES_TABLE: &str = "#order_lines";

/// Empties the order staging tables between rounds of one batch.
pub(super) const CLEAR_ORDER_ROUND: [&str; 3] = [
    "DELETE FROM #orders",
    "DELETE FROM #order_lines",
    "DELETE FROM #order_changes",
];

/// `@P1` tenant, `@P2` run id, `@P3` now. Writes every staged order that is new or whose
/// content hash differs from the stored one; what it wrote lands in `#order_changes`.
pub(super) const MERGE_ORDERS: &str = "MERGE INTO orders WITH (HOLDLOCK)
USING #orders AS s
ON orders.tenant_id = @P1 AND orders.order_id = s.order_id
WHEN MATCHED AND orders.content_hash <> s.content_hash THEN UPDATE SET
    placed_at = s.placed_at, currency = s.currency, total_minor = s.total_minor,
    tax_minor = s.tax_minor, shipping_minor = s.shipping_minor, customer_ref = s.customer_ref,
    content_hash = s.content_hash, source_run = @P2, updated_at = @P3, channel = s.channel
WHEN NOT MATCHED BY TARGET THEN INSERT (tenant_id, order_id, placed_at, currency, total_minor,
    tax_minor, shipping_minor, customer_ref, content_hash, source_run, created_at, updated_at,
    channel)
    VALUES (@P1, s.order_id, s.placed_at, s.currency, s.total_minor, s.tax_minor,
    s.shipping_minor, s.customer_ref, s.content_hash, @P2, @P3, @P3, s.channel)
OUTPUT $action, inserted.order_id INTO #order_changes (action, order_id);";

/// `@P1` tenant: the lines of the orders the `MERGE` wrote go, to be replaced.
pub(super) const DELETE_CHANGED_LINES: &str = "DELETE FROM order_lines
WHERE tenant_id = @P1 AND order_id IN (SELECT order_id FROM #order_changes)";

/// `@P1` tenant: the staged lines of the orders the `MERGE` wrote.
pub(super) const INSERT_CHANGED_LINES: &str = "INSERT INTO order_lines (tenant_id, order_id,
    line_no, sku, quantity, unit_price_minor)
SELECT @P1, l.order_id, l.line_no, l.sku, l.quantity, l.unit_price_minor
FROM #order_lines AS l
WHERE l.order_id IN (SELECT order_id FROM #order_changes)";

/// How many staged orders the `MERGE` inserted and updated.
pub(super) const COUNT_ORDER_CHANGES: &str = "SELECT
    COUNT_BIG(CASE WHEN action = N'INSERT' THEN 1 END) AS inserted,
    COUNT_BIG(CASE WHEN action = N'UPDATE' THEN 1 END) AS updated
FROM #order_changes";

/// The rollups' channel for an order row `o`: `unknown` when it has none.
macro_rules! channel_of {
    () => {
        "COALESCE(NULLIF(o.channel, N''), N'unknown')"
    };
}

/// The order row `o`'s local day, from the `#zone_periods` row `z` it falls in.
macro_rules! day_of {
    () => {
        "CAST(DATEADD(SECOND, z.offset_seconds, o.placed_at) AS DATE)"
    };
}

/// The tenant's UTC offsets, bulk-copied from [`crate::analytics::offset_periods`]: SQL Server's
/// `AT TIME ZONE` knows Windows zone names, not the IANA ones tenants set.
pub(super) const CREATE_ZONE_PERIODS: &str = "CREATE TABLE #zone_periods (
    starts_at       DATETIME2(3) NOT NULL PRIMARY KEY,
    ends_at         DATETIME2(3) NOT NULL,
    offset_seconds  INT NOT NULL
)";

/// Bulk-copy target for zone periods.
pub(super) const ZONE_PERIODS_TABLE: &str = "#zone_periods";

/// Signed changes to `daily_sales` an order batch makes, added up at its end.
pub(super) const CREATE_SALES_DELTA: &str = "CREATE TABLE #sales_delta (
    day          DATE NOT NULL,
    channel      NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    currency     NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NOT NULL,
    orders       BIGINT NOT NULL,
    units        BIGINT NOT NULL,
    items_minor  BIGINT NOT NULL,
    sales_minor  BIGINT NOT NULL
)";

/// Signed changes to `daily_product_sales` an order batch makes.
pub(super) const CREATE_ITEMS_DELTA: &str = "CREATE TABLE #items_delta (
    day          DATE NOT NULL,
    sku          NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    channel      NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    currency     NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NOT NULL,
    orders       BIGINT NOT NULL,
    units        BIGINT NOT NULL,
    items_minor  BIGINT NOT NULL
)";

/// `@P1` tenant: its time zone, its row locked until the transaction ends, so that order
/// batches, rebuilds and zone changes of one tenant take turns (each writes the rollups from
/// what it read).
pub(super) const LOCK_TENANT_ZONE: &str =
    "SELECT time_zone FROM tenants WITH (UPDLOCK, HOLDLOCK) WHERE id = @P1";

/// `@P1` tenant: takes out of the rollups the stored version of every staged order that is
/// about to change (run before [`MERGE_ORDERS`]).
pub(super) const TAKE_OLD_SALES: &str = concat!(
    "INSERT INTO #sales_delta (day, channel, currency, orders, units, items_minor, sales_minor)
SELECT ",
    day_of!(),
    ", ",
    channel_of!(),
    ", o.currency, -1, -COALESCE(l.units, 0), -COALESCE(l.items_minor, 0), -o.total_minor
FROM orders AS o
JOIN #orders AS s ON s.order_id = o.order_id AND s.content_hash <> o.content_hash
JOIN #zone_periods AS z ON o.placed_at >= z.starts_at AND o.placed_at < z.ends_at
LEFT JOIN (
    SELECT ol.order_id, SUM(ol.quantity) AS units,
        SUM(ol.quantity * ol.unit_price_minor) AS items_minor
    FROM order_lines AS ol
    WHERE ol.tenant_id = @P1 AND ol.order_id IN (SELECT order_id FROM #orders)
    GROUP BY ol.order_id
) AS l ON l.order_id = o.order_id
WHERE o.tenant_id = @P1"
);

/// `@P1` tenant: as [`TAKE_OLD_SALES`], per SKU.
pub(super) const TAKE_OLD_ITEMS: &str = concat!(
    "INSERT INTO #items_delta (day, sku, channel, currency, orders, units, items_minor)
SELECT ",
    day_of!(),
    ", ol.sku, ",
    channel_of!(),
    ", o.currency, -1, -SUM(ol.quantity), -SUM(ol.quantity * ol.unit_price_minor)
FROM orders AS o
JOIN #orders AS s ON s.order_id = o.order_id AND s.content_hash <> o.content_hash
JOIN #zone_periods AS z ON o.placed_at >= z.starts_at AND o.placed_at < z.ends_at
JOIN order_lines AS ol ON ol.tenant_id = o.tenant_id AND ol.order_id = o.order_id
WHERE o.tenant_id = @P1
GROUP BY o.order_id, o.placed_at, z.offset_seconds, o.channel, o.currency, ol.sku"
);

/// `@P1` tenant: adds to the rollups every order the `MERGE` wrote, lines included (run after
/// [`INSERT_CHANGED_LINES`]).
pub(super) const ADD_NEW_SALES: &str = concat!(
    "INSERT INTO #sales_delta (day, channel, currency, orders, units, items_minor, sales_minor)
SELECT ",
    day_of!(),
    ", ",
    channel_of!(),
    ", o.currency, 1, COALESCE(l.units, 0), COALESCE(l.items_minor, 0), o.total_minor
FROM orders AS o
JOIN #order_changes AS c ON c.order_id = o.order_id
JOIN #zone_periods AS z ON o.placed_at >= z.starts_at AND o.placed_at < z.ends_at
LEFT JOIN (
    SELECT ol.order_id, SUM(ol.quantity) AS units,
        SUM(ol.quantity * ol.unit_price_minor) AS items_minor
    FROM order_lines AS ol
    WHERE ol.tenant_id = @P1 AND ol.order_id IN (SELECT order_id FROM #order_changes)
    GROUP BY ol.order_id
) AS l ON l.order_id = o.order_id
WHERE o.tenant_id = @P1"
);

/// `@P1` tenant: as [`ADD_NEW_SALES`], per SKU.
pub(super) const ADD_NEW_ITEMS: &str = concat!(
    "INSERT INTO #items_delta (day, sku, channel, currency, orders, units, items_minor)
SELECT ",
    day_of!(),
    ", ol.sku, ",
    channel_of!(),
    ", o.currency, 1, SUM(ol.quantity), SUM(ol.quantity * ol.unit_price_minor)
FROM orders AS o
JOIN #order_changes AS c ON c.order_id = o.order_id
JOIN #zone_periods AS z ON o.placed_at >= z.starts_at AND o.placed_at < z.ends_at
JOIN order_lines AS ol ON ol.tenant_id = o.tenant_id AND ol.order_id = o.order_id
WHERE o.tenant_id = @P1
GROUP BY o.order_id, o.placed_at, z.offset_seconds, o.channel, o.currency, ol.sku"
);

/// `@P1` tenant: adds the batch's summed changes to `daily_sales`.
pub(super) const APPLY_SALES_DELTA: &str = "MERGE INTO daily_sales WITH (HOLDLOCK)
USING (
    SELECT day, channel, currency, SUM(orders) AS orders, SUM(units) AS units,
        SUM(items_minor) AS items_minor, SUM(sales_minor) AS sales_minor
    FROM #sales_delta GROUP BY day, channel, currency
) AS s
ON daily_sales.tenant_id = @P1 AND daily_sales.day = s.day AND daily_sales.channel = s.channel
    AND daily_sales.currency = s.currency
WHEN MATCHED THEN UPDATE SET orders = daily_sales.orders + s.orders,
    units = daily_sales.units + s.units, items_minor = daily_sales.items_minor + s.items_minor,
    sales_minor = daily_sales.sales_minor + s.sales_minor
WHEN NOT MATCHED BY TARGET THEN INSERT (tenant_id, day, channel, currency, orders, units,
    items_minor, sales_minor)
    VALUES (@P1, s.day, s.channel, s.currency, s.orders, s.units, s.items_minor, s.sales_minor);";

/// `@P1` tenant: the `daily_sales` rows the batch left without orders go.
pub(super) const DELETE_EMPTY_SALES: &str = "DELETE FROM daily_sales
WHERE tenant_id = @P1 AND orders <= 0 AND EXISTS (
    SELECT 1 FROM #sales_delta AS s
    WHERE s.day = daily_sales.day AND s.channel = daily_sales.channel
        AND s.currency = daily_sales.currency)";

/// `@P1` tenant: adds the batch's summed changes to `daily_product_sales`.
pub(super) const APPLY_ITEMS_DELTA: &str = "MERGE INTO daily_product_sales WITH (HOLDLOCK)
USING (
    SELECT day, sku, channel, currency, SUM(orders) AS orders, SUM(units) AS units,
        SUM(items_minor) AS items_minor
    FROM #items_delta GROUP BY day, sku, channel, currency
) AS s
ON daily_product_sales.tenant_id = @P1 AND daily_product_sales.day = s.day
    AND daily_product_sales.sku = s.sku AND daily_product_sales.channel = s.channel
    AND daily_product_sales.currency = s.currency
WHEN MATCHED THEN UPDATE SET orders = daily_product_sales.orders + s.orders,
    units = daily_product_sales.units + s.units,
    items_minor = daily_product_sales.items_minor + s.items_minor
WHEN NOT MATCHED BY TARGET THEN INSERT (tenant_id, day, sku, channel, currency, orders, units,
    items_minor)
    VALUES (@P1, s.day, s.sku, s.channel, s.currency, s.orders, s.units, s.items_minor);";

/// `@P1` tenant: the `daily_product_sales` rows the batch left without orders go.
pub(super) const DELETE_EMPTY_ITEMS: &str = "DELETE FROM daily_product_sales
WHERE tenant_id = @P1 AND orders <= 0 AND EXISTS (
    SELECT 1 FROM #items_delta AS s
    WHERE s.day = daily_product_sales.day AND s.sku = daily_product_sales.sku
        AND s.channel = daily_product_sales.channel
        AND s.currency = daily_product_sales.currency)";

/// Session staging tables for a rebuild, dropped first in case an earlier one on this
/// connection left them behind.
pub(super) const DROP_REBUILD_STAGING: [&str; 3] = [
    "DROP TABLE IF EXISTS #zone_periods",
    "DROP TABLE IF EXISTS #rebuilt_sales",
    "DROP TABLE IF EXISTS #rebuilt_items",
];

/// `daily_sales` as the tenant's orders make it.
pub(super) const CREATE_REBUILT_SALES: &str = "CREATE TABLE #rebuilt_sales (
    day          DATE NOT NULL,
    channel      NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    currency     NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NOT NULL,
    orders       BIGINT NOT NULL,
    units        BIGINT NOT NULL,
    items_minor  BIGINT NOT NULL,
    sales_minor  BIGINT NOT NULL,
    PRIMARY KEY (day, channel, currency)
)";

/// `daily_product_sales` as the tenant's orders make it.
pub(super) const CREATE_REBUILT_ITEMS: &str = "CREATE TABLE #rebuilt_items (
    day          DATE NOT NULL,
    sku          NVARCHAR(128) COLLATE Latin1_General_100_BIN2 NOT NULL,
    channel      NVARCHAR(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    currency     NVARCHAR(3) COLLATE Latin1_General_100_BIN2 NOT NULL,
    orders       BIGINT NOT NULL,
    units        BIGINT NOT NULL,
    items_minor  BIGINT NOT NULL,
    PRIMARY KEY (day, sku, channel, currency)
)";

/// `@P1` tenant: fills `#rebuilt_sales` from its orders.
pub(super) const REBUILD_SALES: &str = concat!(
    "INSERT INTO #rebuilt_sales (day, channel, currency, orders, units, items_minor, sales_minor)
SELECT x.day, x.channel, x.currency, COUNT_BIG(*), SUM(x.units), SUM(x.items_minor),
    SUM(x.total_minor)
FROM (
    SELECT ",
    day_of!(),
    " AS day, ",
    channel_of!(),
    " AS channel, o.currency, COALESCE(l.units, 0) AS units,
        COALESCE(l.items_minor, 0) AS items_minor, o.total_minor
    FROM orders AS o
    JOIN #zone_periods AS z ON o.placed_at >= z.starts_at AND o.placed_at < z.ends_at
    LEFT JOIN (
        SELECT order_id, SUM(quantity) AS units, SUM(quantity * unit_price_minor) AS items_minor
        FROM order_lines WHERE tenant_id = @P1 GROUP BY order_id
    ) AS l ON l.order_id = o.order_id
    WHERE o.tenant_id = @P1
) AS x
GROUP BY x.day, x.channel, x.currency"
);

/// `@P1` tenant: fills `#rebuilt_items` from its orders' lines, an order counted once per SKU.
pub(super) const REBUILD_ITEMS: &str = concat!(
    "INSERT INTO #rebuilt_items (day, sku, channel, currency, orders, units, items_minor)
SELECT x.day, x.sku, x.channel, x.currency, COUNT_BIG(*), SUM(x.units), SUM(x.items_minor)
FROM (
    SELECT ",
    day_of!(),
    " AS day, ol.sku, ",
    channel_of!(),
    " AS channel, o.currency, SUM(ol.quantity) AS units,
        SUM(ol.quantity * ol.unit_price_minor) AS items_minor
    FROM orders AS o
    JOIN #zone_periods AS z ON o.placed_at >= z.starts_at AND o.placed_at < z.ends_at
    JOIN order_lines AS ol ON ol.tenant_id = o.tenant_id AND ol.order_id = o.order_id
    WHERE o.tenant_id = @P1
    GROUP BY o.order_id, o.placed_at, z.offset_seconds, o.channel, o.currency, ol.sku
) AS x
GROUP BY x.day, x.sku, x.channel, x.currency"
);

/// `@P1` tenant: how many rows the rebuild has, and how many stored rows differ from them
/// (missing, extra, or other figures), over both tables.
pub(super) const COUNT_REBUILD_DIFFERENCES: &str = "SELECT
    (SELECT COUNT_BIG(*) FROM #rebuilt_sales) + (SELECT COUNT_BIG(*) FROM #rebuilt_items)
        AS rebuilt_rows,
    (SELECT COUNT_BIG(*)
     FROM #rebuilt_sales AS r
     FULL OUTER JOIN (
         SELECT day, channel, currency, orders, units, items_minor, sales_minor
         FROM daily_sales WHERE tenant_id = @P1
     ) AS d ON d.day = r.day AND d.channel = r.channel AND d.currency = r.currency
     WHERE r.day IS NULL OR d.day IS NULL OR r.orders <> d.orders OR r.units <> d.units
         OR r.items_minor <> d.items_minor OR r.sales_minor <> d.sales_minor)
    + (SELECT COUNT_BIG(*)
     FROM #rebuilt_items AS r
     FULL OUTER JOIN (
         SELECT day, sku, channel, currency, orders, units, items_minor
         FROM daily_product_sales WHERE tenant_id = @P1
     ) AS d ON d.day = r.day AND d.sku = r.sku AND d.channel = r.channel
         AND d.currency = r.currency
     WHERE r.day IS NULL OR d.day IS NULL OR r.orders <> d.orders OR r.units <> d.units
         OR r.items_minor <> d.items_minor) AS corrected";

/// `@P1` tenant: replaces its rollups with the rebuilt ones (only run when they differ).
pub(super) const REPLACE_ROLLUPS: [&str; 4] = [
    "DELETE FROM daily_sales WHERE tenant_id = @P1",
    "INSERT INTO daily_sales (tenant_id, day, channel, currency, orders, units, items_minor,
    sales_minor)
SELECT @P1, day, channel, currency, orders, units, items_minor, sales_minor FROM #rebuilt_sales",
    "DELETE FROM daily_product_sales WHERE tenant_id = @P1",
    "INSERT INTO daily_product_sales (tenant_id, day, sku, channel, currency, orders, units,
    items_minor)
SELECT @P1, day, sku, channel, currency, orders, units, items_minor FROM #rebuilt_items",
];

/// `@P1` tenant: its name and time zone.
pub(super) const GET_TENANT: &str = "SELECT name, time_zone FROM tenants WHERE id = @P1";

/// `@P1` tenant, `@P2` IANA zone name.
pub(super) const SET_TENANT_ZONE: &str = "UPDATE tenants SET time_zone = @P2 WHERE id = @P1";

/// Every tenant with at least one order.
pub(super) const TENANTS_WITH_ORDERS: &str = "SELECT t.id FROM tenants AS t
WHERE EXISTS (SELECT 1 FROM orders AS o WHERE o.tenant_id = t.id)
ORDER BY t.id";

/// `@P1` tenant, `@P2` first day, `@P3` last day: its `daily_sales` rows in the range.
pub(super) const SALES_ROWS: &str = "SELECT day, channel, currency, orders, units, items_minor,
    sales_minor
FROM daily_sales WHERE tenant_id = @P1 AND day BETWEEN @P2 AND @P3";

/// `@P1` tenant, `@P2` first day, `@P3` last day: each SKU's sales per day and currency (its
/// channels summed), with its product's current category.
pub(super) const ITEM_ROWS: &str = "SELECT d.day, d.sku, COALESCE(p.category, N'') AS category,
    d.currency, SUM(d.orders) AS orders, SUM(d.units) AS units, SUM(d.items_minor) AS items_minor
FROM daily_product_sales AS d
LEFT JOIN products AS p ON p.tenant_id = d.tenant_id AND p.sku = d.sku
WHERE d.tenant_id = @P1 AND d.day BETWEEN @P2 AND @P3
GROUP BY d.day, d.sku, d.currency, p.category";

/// `@P1` tenant, `@P2` first day, `@P3` last day: each SKU's sales over the range per
/// currency, with its title and current category.
pub(super) const ITEM_TOTALS: &str = "SELECT d.sku, p.title, COALESCE(p.category, N'') AS category,
    d.currency, SUM(d.orders) AS orders, SUM(d.units) AS units, SUM(d.items_minor) AS items_minor
FROM daily_product_sales AS d
LEFT JOIN products AS p ON p.tenant_id = d.tenant_id AND p.sku = d.sku
WHERE d.tenant_id = @P1 AND d.day BETWEEN @P2 AND @P3
GROUP BY d.sku, d.currency, p.title, p.category";

/// `@P1` tenant: every stocked SKU's units on hand over its locations, with its title.
pub(super) const STOCK_ROWS: &str = "SELECT i.sku, p.title, SUM(i.quantity) AS on_hand
FROM inventory_levels AS i
LEFT JOIN products AS p ON p.tenant_id = i.tenant_id AND p.sku = i.sku
WHERE i.tenant_id = @P1
GROUP BY i.sku, p.title";

/// `@P1` tenant, `@P2` first day, `@P3` last day: units each SKU sold in the range.
pub(super) const UNITS_SOLD: &str = "SELECT sku, SUM(units) AS units FROM daily_product_sales
WHERE tenant_id = @P1 AND day BETWEEN @P2 AND @P3
GROUP BY sku";

/// `@P1` tenant: its time zone.
pub(super) const TENANT_ZONE: &str = "SELECT time_zone FROM tenants WHERE id = @P1";

/// Test databases: `name` is built by the test from a UUID, never from input.
#[cfg(test)]
pub(super) fn create_database(name: &str) -> String {
    format!("CREATE DATABASE [{name}]")
}

/// `@P1` tenant, `@P2` SKU: the product and its locked fields, locked until the transaction
/// ends so that two edits at once merge one after the other.
pub(super) const EDITS_STATE: &str = "SELECT p.sku, x.fields
FROM products AS p WITH (UPDLOCK, HOLDLOCK)
LEFT JOIN enrichment_edits AS x WITH (UPDLOCK, HOLDLOCK)
    ON x.tenant_id = p.tenant_id AND x.sku = p.sku
WHERE p.tenant_id = @P1 AND p.sku = @P2 AND p.deleted_at IS NULL";

/// `@P1` tenant, `@P2` SKU, `@P3` fields (JSON), `@P4` edited at.
pub(super) const SAVE_EDITS: &str = "MERGE INTO enrichment_edits WITH (HOLDLOCK)
USING (SELECT @P1 AS tenant_id, @P2 AS sku, @P3 AS fields, @P4 AS edited_at) AS s
ON enrichment_edits.tenant_id = s.tenant_id AND enrichment_edits.sku = s.sku
WHEN MATCHED THEN UPDATE SET fields = s.fields, edited_at = s.edited_at
WHEN NOT MATCHED THEN INSERT (tenant_id, sku, fields, edited_at)
    VALUES (s.tenant_id, s.sku, s.fields, s.edited_at);";

/// Drops a test database, first closing sessions the pool may still hold open on it.
#[cfg(test)]
pub(super) fn drop_database(name: &str) -> [String; 2] {
    [
        format!("ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE"),
        format!("DROP DATABASE [{name}]"),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use sqlparser::ast::{AlterTableOperation, Statement};
    use sqlparser::dialect::MsSqlDialect;
    use sqlparser::parser::Parser;
    use sqlparser::tokenizer::{Token, Tokenizer};

    use super::*;

    /// Statements sqlparser's T-SQL dialect cannot read although SQL Server runs them, each
    /// with the reason. Keep this list short: rewrite a statement into a form it parses first.
    const PARSER_EXCEPTIONS: &[(&str, &str)] = &[(
        "drop_database 0",
        "sqlparser has no ALTER DATABASE; test-only, it ends the sessions a dropped test \
         database may still have",
    )];

    /// Every sort order with and without a position, each with no filter and with all of
    /// them, and each filter alone.
    fn every_listing() -> Vec<ListFilters> {
        let all = ListFilters {
            text: true,
            category: true,
            updated_since: true,
            brand: true,
            in_stock: Some(true),
            price: Some((true, true)),
            ..ListFilters::default()
        };
        let mut listings = Vec::new();
        for field in [SortField::Sku, SortField::Title, SortField::UpdatedAt] {
            for descending in [false, true] {
                for after in [false, true] {
                    let sort = ProductSort { field, descending };
                    let base = ListFilters {
                        sort,
                        after,
                        ..ListFilters::default()
                    };
                    listings.push(base);
                    listings.push(ListFilters { sort, after, ..all });
                }
            }
        }
        let base = ListFilters::default();
        listings.extend([
            ListFilters { text: true, ..base },
            ListFilters {
                category: true,
                ..base
            },
            ListFilters {
                updated_since: true,
                ..base
            },
            ListFilters {
                brand: true,
                ..base
            },
            ListFilters {
                in_stock: Some(false),
                ..base
            },
            ListFilters {
                price: Some((false, false)),
                ..base
            },
            ListFilters {
                price: Some((true, false)),
                ..base
            },
            ListFilters {
                price: Some((false, true)),
                ..base
            },
        ]);
        listings
    }

    fn every_statement() -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = [
            ("LOCK_MIGRATIONS", LOCK_MIGRATIONS),
            ("MIGRATION_LOCK_MODE", MIGRATION_LOCK_MODE),
            ("CREATE_MIGRATIONS_TABLE", CREATE_MIGRATIONS_TABLE),
            ("MIGRATION_APPLIED", MIGRATION_APPLIED),
            ("RECORD_MIGRATION", RECORD_MIGRATION),
            ("CHECK", CHECK),
            ("ENSURE_TENANT", ENSURE_TENANT),
            ("TENANT_EXISTS", TENANT_EXISTS),
            ("ADD_API_KEY", ADD_API_KEY),
            ("KEY_FOR_HASH", KEY_FOR_HASH),
            ("LIST_API_KEYS", LIST_API_KEYS),
            ("REVOKE_API_KEY", REVOKE_API_KEY),
            ("TOUCH_API_KEY", TOUCH_API_KEY),
            ("INSERT_RUN", INSERT_RUN),
            ("RUN_BY_KEY", RUN_BY_KEY),
            ("RUN_BY_ID", RUN_BY_ID),
            ("CLEAR_RUN_ERRORS", CLEAR_RUN_ERRORS),
            ("FINISH_RUN", FINISH_RUN),
            ("RECORD_RUN_PROGRESS", RECORD_RUN_PROGRESS),
            ("RUN_CHANGES", RUN_CHANGES),
            ("RUN_CHANGES_AFTER", RUN_CHANGES_AFTER),
            ("CREATE_BATCH", CREATE_BATCH),
            ("CREATE_CHANGES", CREATE_CHANGES),
            ("CREATE_REJECTED", CREATE_REJECTED),
            ("MERGE_PRODUCTS", MERGE_PRODUCTS),
            ("COUNT_CHANGES", COUNT_CHANGES),
            ("RECORD_CHANGES", RECORD_CHANGES),
            ("RECORD_REJECTED", RECORD_REJECTED),
            ("ENRICHMENT_STATE", ENRICHMENT_STATE),
            ("SAVE_ENRICHMENT", SAVE_ENRICHMENT),
            ("AI_TOKENS_SPENT", AI_TOKENS_SPENT),
            ("ADD_AI_TOKENS", ADD_AI_TOKENS),
            (
                "ENRICHMENTS_WAITING_FOR_BUDGET",
                ENRICHMENTS_WAITING_FOR_BUDGET,
            ),
            ("TENANTS_WAITING_FOR_BUDGET", TENANTS_WAITING_FOR_BUDGET),
            ("PRODUCTS_MISSING_ENRICHMENT", PRODUCTS_MISSING_ENRICHMENT),
            ("RUN_OF_TENANT", RUN_OF_TENANT),
            ("LIST_ERRORS", LIST_ERRORS),
            ("LIST_ERRORS_AFTER", LIST_ERRORS_AFTER),
            ("PUT_PROFILE", PUT_PROFILE),
            ("GET_PROFILE", GET_PROFILE),
            ("LIST_PROFILES", LIST_PROFILES),
            ("DELETE_PROFILE", DELETE_PROFILE),
            ("CREATE_LEVELS", CREATE_LEVELS),
            ("CREATE_LEVEL_CHANGES", CREATE_LEVEL_CHANGES),
            ("MERGE_LEVELS", MERGE_LEVELS),
            ("COUNT_LEVEL_CHANGES", COUNT_LEVEL_CHANGES),
            ("CREATE_ORDERS", CREATE_ORDERS),
            ("CREATE_ORDER_LINES", CREATE_ORDER_LINES),
            ("CREATE_ORDER_CHANGES", CREATE_ORDER_CHANGES),
            ("MERGE_ORDERS", MERGE_ORDERS),
            ("DELETE_CHANGED_LINES", DELETE_CHANGED_LINES),
            ("INSERT_CHANGED_LINES", INSERT_CHANGED_LINES),
            ("COUNT_ORDER_CHANGES", COUNT_ORDER_CHANGES),
            ("EDITS_STATE", EDITS_STATE),
            ("SAVE_EDITS", SAVE_EDITS),
            ("START_ENRICHMENT_RUN", START_ENRICHMENT_RUN),
            ("ADVANCE_ENRICHMENT_RUN", ADVANCE_ENRICHMENT_RUN),
            ("RECORD_ENRICHMENT_SLICE", RECORD_ENRICHMENT_SLICE),
            ("CREATE_ZONE_PERIODS", CREATE_ZONE_PERIODS),
            ("CREATE_SALES_DELTA", CREATE_SALES_DELTA),
            ("CREATE_ITEMS_DELTA", CREATE_ITEMS_DELTA),
            ("LOCK_TENANT_ZONE", LOCK_TENANT_ZONE),
            ("TAKE_OLD_SALES", TAKE_OLD_SALES),
            ("TAKE_OLD_ITEMS", TAKE_OLD_ITEMS),
            ("ADD_NEW_SALES", ADD_NEW_SALES),
            ("ADD_NEW_ITEMS", ADD_NEW_ITEMS),
            ("APPLY_SALES_DELTA", APPLY_SALES_DELTA),
            ("DELETE_EMPTY_SALES", DELETE_EMPTY_SALES),
            ("APPLY_ITEMS_DELTA", APPLY_ITEMS_DELTA),
            ("DELETE_EMPTY_ITEMS", DELETE_EMPTY_ITEMS),
            ("CREATE_REBUILT_SALES", CREATE_REBUILT_SALES),
            ("CREATE_REBUILT_ITEMS", CREATE_REBUILT_ITEMS),
            ("REBUILD_SALES", REBUILD_SALES),
            ("REBUILD_ITEMS", REBUILD_ITEMS),
            ("COUNT_REBUILD_DIFFERENCES", COUNT_REBUILD_DIFFERENCES),
            ("GET_TENANT", GET_TENANT),
            ("SET_TENANT_ZONE", SET_TENANT_ZONE),
            ("TENANTS_WITH_ORDERS", TENANTS_WITH_ORDERS),
            ("SALES_ROWS", SALES_ROWS),
            ("ITEM_ROWS", ITEM_ROWS),
            ("ITEM_TOTALS", ITEM_TOTALS),
            ("STOCK_ROWS", STOCK_ROWS),
            ("UNITS_SOLD", UNITS_SOLD),
            ("TENANT_ZONE", TENANT_ZONE),
            ("INSERT_PRODUCT", INSERT_PRODUCT),
            ("LIVE_PRODUCT", LIVE_PRODUCT),
            ("DELETE_PRODUCT", DELETE_PRODUCT),
            ("PUT_CONNECTION", PUT_CONNECTION),
            ("GET_CONNECTION", GET_CONNECTION),
            ("LIST_CONNECTIONS", LIST_CONNECTIONS),
            ("DELETE_CONNECTION", DELETE_CONNECTION),
            ("ALL_CONNECTIONS", ALL_CONNECTIONS),
            ("CREATE_SYNC_JOB", CREATE_SYNC_JOB),
            ("GET_SYNC_JOB", GET_SYNC_JOB),
            ("LIST_SYNC_JOBS", LIST_SYNC_JOBS),
            ("ORDERS_CHANGED_SINCE", ORDERS_CHANGED_SINCE),
            ("LINES_OF_ORDERS", LINES_OF_ORDERS),
            ("SAVE_SYNC_JOB", SAVE_SYNC_JOB),
            ("CLAIM_SYNC_JOB", CLAIM_SYNC_JOB),
            ("NEXT_QUEUED_SYNC_JOB", NEXT_QUEUED_SYNC_JOB),
            ("GET_SYNC_CURSOR", GET_SYNC_CURSOR),
            ("PUT_SYNC_CURSOR", PUT_SYNC_CURSOR),
            ("PUT_SYNC_LINK", PUT_SYNC_LINK),
            ("RECORD_SYNC_PROBLEM", RECORD_SYNC_PROBLEM),
            ("SET_SYNC_ISSUE_STATUS", SET_SYNC_ISSUE_STATUS),
            ("CREATE_VIDEO", CREATE_VIDEO),
            ("SAVE_VIDEO", SAVE_VIDEO),
        ]
        .into_iter()
        .map(|(name, sql)| (name.to_owned(), sql.to_owned()))
        .collect();
        let staging = DROP_STAGING.iter().chain(&CLEAR_ROUND);
        let staging = staging.chain(&DROP_LEVEL_STAGING).chain(&CLEAR_LEVEL_ROUND);
        let staging = staging.chain(&DROP_ORDER_STAGING).chain(&CLEAR_ORDER_ROUND);
        let staging = staging.chain(&DROP_REBUILD_STAGING).chain(&REPLACE_ROLLUPS);
        for (i, sql) in staging.enumerate() {
            all.push((format!("staging statement {i}"), (*sql).to_owned()));
        }
        all.push(("get_product".into(), get_product()));
        all.push(("get_enrichment_run".into(), get_enrichment_run()));
        all.push(("list_enrichment_runs".into(), list_enrichment_runs()));
        all.push(("sync_links_for_skus".into(), sync_links_for_skus()));
        all.push(("sync_links_for_remote".into(), sync_links_for_remote()));
        all.push(("primary_sync_links".into(), primary_sync_links()));
        all.push(("list_sync_issues".into(), list_sync_issues()));
        all.push(("get_sync_issue".into(), get_sync_issue()));
        all.push(("get_video".into(), get_video()));
        all.push(("list_videos".into(), list_videos()));
        all.push(("restore_product".into(), restore_product()));
        all.push(("replace_product".into(), replace_product()));
        for filters in every_listing() {
            all.push((format!("list_products {filters:?}"), list_products(filters)));
        }
        for (after, status) in [(false, false), (true, false), (false, true), (true, true)] {
            all.push((
                format!("list_runs after={after} status={status}"),
                list_runs(after, status),
            ));
        }
        for (version, name, script) in MIGRATIONS {
            for (i, batch) in migration_batches(script).into_iter().enumerate() {
                all.push((format!("migration {version} {name} batch {i}"), batch));
            }
        }
        all.push(("create_database".into(), create_database("advisor_test_x")));
        for (i, sql) in drop_database("advisor_test_x").into_iter().enumerate() {
            all.push((format!("drop_database {i}"), sql));
        }
        all
    }

    #[test]
    fn every_statement_the_adapter_sends_parses_as_t_sql() {
        let mut failures = Vec::new();
        for (name, sql) in every_statement() {
            if PARSER_EXCEPTIONS.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Err(e) = Parser::parse_sql(&MsSqlDialect {}, &sql) {
                failures.push(format!("{name}: {e}\n{sql}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    #[test]
    fn every_parser_exception_names_a_statement_that_still_fails_to_parse() {
        let all = every_statement();
        for (name, reason) in PARSER_EXCEPTIONS {
            let (_, sql) = all
                .iter()
                .find(|(n, _)| n == name)
                .unwrap_or_else(|| panic!("exception `{name}` names no statement"));
            assert!(
                Parser::parse_sql(&MsSqlDialect {}, sql).is_err(),
                "`{name}` parses now ({reason}): drop its exception"
            );
        }
    }

    /// Table → column names, as the SQLite migrations leave an empty database.
    fn sqlite_schema() -> BTreeMap<String, BTreeSet<String>> {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        for (_, _, script) in crate::store::sqlite::MIGRATIONS {
            db.execute_batch(script).unwrap();
        }
        let mut tables = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
            .unwrap();
        let names: Vec<String> = tables
            .query_map([], |row| row.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        names
            .into_iter()
            .map(|table| {
                let mut columns = db
                    .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
                    .unwrap();
                let columns = columns
                    .query_map([], |row| row.get(0))
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                (table, columns)
            })
            .collect()
    }

    /// Table → column names, as the T-SQL migrations' `CREATE TABLE`s declare them and their
    /// `ALTER TABLE`s change them.
    fn t_sql_schema() -> BTreeMap<String, BTreeSet<String>> {
        let mut schema: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (_, _, script) in MIGRATIONS {
            for batch in migration_batches(script) {
                for statement in Parser::parse_sql(&MsSqlDialect {}, &batch).unwrap() {
                    match statement {
                        Statement::CreateTable(table) => {
                            let columns = table.columns.iter().map(|c| c.name.value.clone());
                            schema.insert(table.name.to_string(), columns.collect());
                        }
                        Statement::AlterTable(alter) => {
                            let table = schema.entry(alter.name.to_string()).or_default();
                            for operation in alter.operations {
                                match operation {
                                    AlterTableOperation::AddColumn { column_def, .. } => {
                                        table.insert(column_def.name.value);
                                    }
                                    AlterTableOperation::DropColumn { column_names, .. } => {
                                        for name in column_names {
                                            table.remove(&name.value);
                                        }
                                    }
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        schema
    }

    #[test]
    fn the_t_sql_schema_has_the_tables_and_columns_of_the_sqlite_one() {
        assert_eq!(t_sql_schema(), sqlite_schema());
    }

    #[test]
    fn the_migration_splits_into_one_batch_per_go() {
        let (_, _, script) = MIGRATIONS[0];
        let batches = migration_batches(script);
        assert_eq!(batches.len(), 9);
        assert!(batches.iter().all(|b| !b.contains("\nGO\n")));
    }

    #[test]
    fn list_queries_number_their_parameters_in_order() {
        let all = ListFilters {
            sort: ProductSort {
                field: SortField::Title,
                descending: true,
            },
            after: true,
            text: true,
            category: true,
            updated_since: true,
            brand: true,
            in_stock: Some(true),
            price: Some((true, true)),
        };
        let sql = list_products(all);
        assert!(
            sql.contains("p.title < @P2 OR (p.title = @P2 AND p.sku < @P3)"),
            "{sql}"
        );
        assert!(sql.contains("LIKE @P4"));
        assert!(sql.contains("p.category = @P5"));
        assert!(sql.contains("p.updated_at >= @P6"));
        assert!(sql.contains("p.brand = @P7"));
        assert!(sql.contains("p.quantity > 0"));
        assert!(sql.contains("p.currency = @P8"));
        assert!(sql.contains("p.price_minor >= @P9"));
        assert!(sql.contains("p.price_minor <= @P10"));
        assert!(sql.starts_with("SELECT TOP (@P11) p.sku"));
        assert!(sql.ends_with("ORDER BY p.title DESC, p.sku DESC"));
        let by_sku = ListFilters {
            after: true,
            ..ListFilters::default()
        };
        assert!(list_products(by_sku).contains("p.sku > @P2"));
        assert!(list_products(ListFilters::default()).starts_with("SELECT TOP (@P2) p.sku"));
    }

    #[test]
    fn run_listings_number_their_parameters_in_order() {
        let sql = list_runs(true, true);
        assert!(sql.starts_with("SELECT TOP (@P5) id,"), "{sql}");
        assert!(sql.contains("started_at < @P2 OR (started_at = @P2 AND id < @P3)"));
        assert!(sql.contains("status = @P4"));
        assert!(list_runs(false, true).contains("status = @P2"));
        assert!(list_runs(false, false).starts_with("SELECT TOP (@P2) id,"));
        assert!(sql.ends_with("ORDER BY started_at DESC, id DESC"));
    }

    /// T-SQL's reserved keywords (SQL Server 2022) that the statements never use as keywords:
    /// as an identifier each must be bracketed (`[cursor]`, `[trigger]`), or the server
    /// refuses the statement, which the parser above does not.
    #[rustfmt::skip]
    const RESERVED_UNUSED: &[&str] = &[
        "AUTHORIZATION", "BACKUP", "BEGIN", "BREAK", "BROWSE", "BULK", "CHECKPOINT", "CLOSE",
        "CLUSTERED", "COMMIT", "COMPUTE", "CONTAINS", "CONTAINSTABLE", "CONTINUE", "CONVERT",
        "CROSS", "CURRENT", "CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "CURRENT_USER",
        "CURSOR", "DBCC", "DEALLOCATE", "DECLARE", "DENY", "DISK", "DISTRIBUTED", "DOUBLE", "DUMP",
        "ERRLVL", "EXCEPT", "EXECUTE", "EXIT", "EXTERNAL", "FETCH", "FILE", "FILLFACTOR",
        "FREETEXT", "FREETEXTTABLE", "FUNCTION", "GOTO", "GRANT", "HAVING", "IDENTITY",
        "IDENTITY_INSERT", "IDENTITYCOL", "INNER", "INTERSECT", "KILL", "LINENO", "LOAD",
        "NATIONAL", "NOCHECK", "NONCLUSTERED", "OF", "OFF", "OFFSETS", "OPEN", "OPENDATASOURCE",
        "OPENQUERY", "OPENROWSET", "OPENXML", "OVER", "PERCENT", "PIVOT", "PLAN", "PRECISION",
        "PRINT", "PROC", "PROCEDURE", "PUBLIC", "RAISERROR", "READ", "READTEXT", "RECONFIGURE",
        "REPLICATION", "RESTORE", "RESTRICT", "RETURN", "REVERT", "REVOKE", "RIGHT", "ROWCOUNT",
        "ROWGUIDCOL", "RULE", "SAVE", "SCHEMA", "SECURITYAUDIT", "SESSION_USER", "SETUSER",
        "SHUTDOWN", "STATISTICS", "SYSTEM_USER", "TABLESAMPLE", "TEXTSIZE", "TO", "TRAN",
        "TRANSACTION", "TRIGGER", "TRUNCATE", "TRY_CONVERT", "TSEQUAL", "UNION", "UNPIVOT",
        "UPDATETEXT", "USER", "VARYING", "VIEW", "WAITFOR", "WHILE", "WITHIN", "WRITETEXT",
    ];

    #[test]
    fn no_statement_names_a_column_with_an_unbracketed_reserved_keyword() {
        let mut failures = Vec::new();
        for (name, sql) in every_statement() {
            let tokens = Tokenizer::new(&MsSqlDialect {}, &sql).tokenize().unwrap();
            for token in tokens {
                if let Token::Word(word) = token {
                    let upper = word.value.to_ascii_uppercase();
                    if word.quote_style.is_none() && RESERVED_UNUSED.contains(&upper.as_str()) {
                        failures.push(format!("{name}: `{}`", word.value));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn like_patterns_match_their_text_literally() {
        assert_eq!(escape_like(r"50%_off [x]\"), r"%50\%\_off \[x]\\%");
    }
}
