//! Ingestion throughput and memory: `cargo bench -p shared --bench ingest [-- ROWS]`.
//!
//! Generates a product CSV of ROWS rows (default 1,000,000), then measures, each in a fresh
//! child process so that peak RSS belongs to it alone:
//!
//! - **pipeline**: the whole ingestion pipeline (`ingest_partner_file`: stream from the blob
//!   folder, decode, map, validate, hash, batched upserts into SQLite with change records,
//!   the report);
//! - **floor**: the least any CSV-to-SQLite load can do — the `csv` crate and one prepared
//!   `INSERT` in one transaction, no validation, no hashing.
//!
//! - **schema floor**: the floor's loop, but into the app's own `products` table (its primary
//!   key and three secondary indexes, which the API's filters need) — what the data model alone
//!   costs, with no validation, hashing, upsert or change records.
//!
//! It prints rows/s and peak RSS (VmHWM) for each, and the ratios. Targets (issue 4): the
//! pipeline reaches at least half the floor's rows/s, and its peak RSS stays within 64 MiB at
//! 1M rows and does not grow at 5M.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use shared::blobs::{Blobs, Container};
use shared::domain::TenantId;
use shared::ingest::{PartnerFile, ingest_partner_file};
use shared::store::Store;
use shared::store::sqlite::SqliteStore;

const DEFAULT_ROWS: u64 = 1_000_000;
const TENANT: &str = "bench";
const BLOB: &str = "bench/products.csv";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // A child run: `--child <generate|pipeline|floor|schema> <dir> <rows>`.
    if let [flag, mode, dir, rows] = args.as_slice()
        && flag == "--child"
    {
        let dir = PathBuf::from(dir);
        let rows: u64 = rows.parse().unwrap();
        let seconds = match mode.as_str() {
            // Only writes the feed, for profiling a child run on its own.
            "generate" => {
                generate(&dir.join("blobs").join("ingest").join(BLOB), rows);
                0.0
            }
            "pipeline" => run_pipeline(&dir, rows),
            "floor" => run_floor(&dir, rows),
            "schema" => run_schema_floor(&dir, rows),
            other => panic!("unknown mode {other}"),
        };
        println!("{seconds} {}", peak_rss_kib());
        return;
    }
    // `cargo bench` passes `--bench`; the first number given is the row count.
    let rows = args
        .iter()
        .find_map(|a| a.replace('_', "").parse::<u64>().ok())
        .unwrap_or(DEFAULT_ROWS);

    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("blobs").join("ingest").join(BLOB);
    let started = Instant::now();
    let bytes = generate(&feed, rows);
    println!(
        "generated {rows} rows ({:.1} MiB) in {:.1} s",
        bytes as f64 / 1048576.0,
        started.elapsed().as_secs_f64()
    );

    let pipeline = child("pipeline", dir.path(), rows);
    let floor = child("floor", dir.path(), rows);
    let schema = child("schema", dir.path(), rows);
    println!();
    println!("{:<14} {:>12} {:>14}", "", "rows/s", "peak RSS");
    for (name, (seconds, rss_kib)) in [
        ("pipeline", pipeline),
        ("floor", floor),
        ("schema floor", schema),
    ] {
        println!(
            "{name:<14} {:>12.0} {:>10.1} MiB",
            rows as f64 / seconds,
            rss_kib as f64 / 1024.0
        );
    }
    println!(
        "\npipeline / floor = {:.2} (target ≥ 0.50); pipeline peak RSS {:.1} MiB (target ≤ 64)",
        floor.0 / pipeline.0,
        pipeline.1 as f64 / 1024.0
    );
    println!(
        "schema floor / floor = {:.2}; pipeline / schema floor = {:.2}",
        floor.0 / schema.0,
        schema.0 / pipeline.0
    );
}

/// Runs one measurement in a fresh process; returns (seconds, peak RSS in KiB).
fn child(mode: &str, dir: &Path, rows: u64) -> (f64, u64) {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--child", mode, dir.to_str().unwrap(), &rows.to_string()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{mode} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut fields = stdout.split_whitespace();
    let seconds = fields.next().unwrap().parse().unwrap();
    let rss = fields.next().unwrap().parse().unwrap();
    (seconds, rss)
}

/// Writes a realistic feed: every row valid, varied text, prices, GTINs and categories.
fn generate(path: &Path, rows: u64) -> u64 {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        out,
        "sku,title,description,price,currency,quantity,brand,category,gtin,image_url,updated_at"
    )
    .unwrap();
    let brands = [
        "Kettle & Oak",
        "Alba & Co",
        "Fjell Outdoor",
        "Northwind",
        "Lumen",
    ];
    let categories = [
        "Home & Kitchen > Cookware > Pans",
        "Apparel > Bottoms > Trousers",
        "Apparel > Accessories > Hats",
        "Electronics > Audio > Headphones",
        "Garden > Tools",
    ];
    let nouns = [
        "Skillet",
        "Chino Trousers",
        "Beanie",
        "Headphones",
        "Trowel",
    ];
    let colours = ["Sage", "Navy", "Charcoal", "Rust", "Sand"];
    for i in 0..rows {
        let k = (i % 5) as usize;
        let c = ((i / 5) % 5) as usize;
        let gtin = gtin13(400_000_000_000 + i);
        writeln!(
            out,
            "SKU-{i:08},{} {} {},\"<p>{} in {}, made to last. Batch {}.</p>\",{}.{:02},EUR,{},{},{},{},https://cdn.example.com/p/{i}.jpg,2025-03-{:02}T10:00:00Z",
            brands[k],
            nouns[k],
            colours[c],
            nouns[k],
            colours[c],
            i / 1000,
            5 + i % 200,
            i % 100,
            i % 500,
            brands[k],
            categories[k],
            gtin,
            1 + i % 28,
        )
        .unwrap();
    }
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// A GTIN-13 with a valid check digit from a 12-digit body.
fn gtin13(body: u64) -> String {
    let digits: Vec<u32> = format!("{body:012}")
        .chars()
        .map(|c| c.to_digit(10).unwrap())
        .collect();
    let sum: u32 = digits
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    format!("{body:012}{}", (10 - sum % 10) % 10)
}

fn run_pipeline(dir: &Path, rows: u64) -> f64 {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&dir.join("pipeline.db")).unwrap();
        store.migrate().await.unwrap();
        let tenant = TenantId::parse(TENANT).unwrap();
        store.ensure_tenant(&tenant, "Bench").await.unwrap();
        let blobs = Blobs::local_folder(&dir.join("blobs")).unwrap();
        let started = Instant::now();
        let file = PartnerFile::locate(&store, Container::Ingest.name(), BLOB, "bench-event")
            .await
            .unwrap();
        let outcome = ingest_partner_file(&store, &blobs, &file).await.unwrap();
        let seconds = started.elapsed().as_secs_f64();
        assert_eq!(outcome.run.rows_total, rows);
        assert_eq!(outcome.run.rejected, 0);
        seconds
    })
}

fn run_floor(dir: &Path, rows: u64) -> f64 {
    let started = Instant::now();
    let mut db = rusqlite::Connection::open(dir.join("floor.db")).unwrap();
    db.execute_batch(
        "PRAGMA journal_mode = WAL;
         CREATE TABLE products (sku TEXT PRIMARY KEY, title TEXT, description TEXT, price TEXT,
           currency TEXT, quantity TEXT, brand TEXT, category TEXT, gtin TEXT, image_url TEXT,
           updated_at TEXT) WITHOUT ROWID;",
    )
    .unwrap();
    let tx = db.transaction().unwrap();
    let mut count = 0u64;
    {
        let mut insert = tx
            .prepare("INSERT INTO products VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
            .unwrap();
        let path = dir.join("blobs").join("ingest").join(BLOB);
        let mut reader = csv::Reader::from_path(path).unwrap();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).unwrap() {
            insert
                .execute(rusqlite::params_from_iter(record.iter()))
                .unwrap();
            count += 1;
        }
    }
    tx.commit().unwrap();
    assert_eq!(count, rows);
    started.elapsed().as_secs_f64()
}

fn run_schema_floor(dir: &Path, rows: u64) -> f64 {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let path = dir.join("schema.db");
    runtime.block_on(async {
        let store = SqliteStore::open(&path).unwrap();
        store.migrate().await.unwrap();
        let tenant = TenantId::parse(TENANT).unwrap();
        store.ensure_tenant(&tenant, "Bench").await.unwrap();
    });
    let started = Instant::now();
    let mut db = rusqlite::Connection::open(&path).unwrap();
    db.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .unwrap();
    let tx = db.transaction().unwrap();
    let mut count = 0u64;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO products (tenant_id, sku, title, description, price_minor, currency,
                     quantity, brand, category, gtin, image_url, source_updated_at, source,
                     content_hash, version, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?15, 1, ?14, ?14)",
            )
            .unwrap();
        let now = "2026-12-01T00:00:00.000Z";
        // A content hash is 64 hex digits; the row's size is what matters here.
        let hash = "0".repeat(64);
        let path = dir.join("blobs").join("ingest").join(BLOB);
        let mut reader = csv::Reader::from_path(path).unwrap();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).unwrap() {
            insert
                .execute(rusqlite::params_from_iter(
                    [TENANT]
                        .into_iter()
                        .chain(record.iter())
                        .chain([BLOB, now, hash.as_str()]),
                ))
                .unwrap();
            count += 1;
        }
    }
    tx.commit().unwrap();
    assert_eq!(count, rows);
    started.elapsed().as_secs_f64()
}

/// The process's peak resident set size so far, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
