//! Targets `feed_csv`, `feed_json` and `feed_xlsx`: a partner's feed file read the way
//! ingestion reads it — [`shared::ingest::source`] finds its compression, encoding and format
//! and hands out a header and rows, [`detect_kind`] picks the feed kind, and each kind's mapper
//! (products, inventory, orders) checks every row.
//!
//! The size limits are smaller than production's so that a gzip or zip bomb ends quickly
//! instead of timing out the fuzzer; the code paths that enforce them are the same.

use std::io::Cursor;

use shared::ingest::inventory::InventoryMapper;
use shared::ingest::kind::detect_kind;
use shared::ingest::orders::OrderMapper;
use shared::ingest::products::ProductMapper;
use shared::ingest::record::Row;
use shared::ingest::source::{Limits, SourceHint, open_with_limits};

/// The limits the targets read under: a few MiB at most, so an input cannot take seconds.
pub const LIMITS: Limits = Limits {
    max_decompressed_bytes: 4 << 20,
    max_xlsx_bytes: 4 << 20,
    max_xlsx_unpacked_bytes: 16 << 20,
    max_xlsx_cells: 100_000,
    max_record_bytes: 256 << 10,
};

/// The most rows one input is read for: enough for every mapper's cross-row checks (an
/// order's lines, duplicate SKUs), few enough to keep an iteration fast.
const MAX_ROWS: usize = 2_000;

/// Feed `data` as the CSV files partners upload: named `.csv` and `.tsv` (the delimiter
/// still sniffed), and as a file whose mapping profile names Windows-1252.
pub fn csv(data: &[u8]) {
    read_feed(data, "feed.csv", None);
    read_feed(data, "feed.tsv", Some("windows-1252"));
}

/// Feed `data` as a JSON file and as an NDJSON file.
pub fn json(data: &[u8]) {
    read_feed(data, "feed.json", None);
    read_feed(data, "feed.ndjson", None);
}

/// Feed `data` as an Excel workbook (its first sheet).
pub fn xlsx(data: &[u8]) {
    read_feed(data, "feed.xlsx", None);
}

/// Opens `data` as the file `file_name`, reads its rows and maps them as every feed kind.
pub fn read_feed(data: &[u8], file_name: &str, encoding: Option<&str>) {
    let hint = SourceHint {
        file_name,
        content_type: None,
        encoding,
        sheet: None,
    };
    let reader = Box::new(Cursor::new(data.to_vec()));
    let Ok(table) = open_with_limits(reader, &hint, &LIMITS) else {
        return;
    };
    let header = table.header;
    let rows: Vec<Row> = table.rows.take(MAX_ROWS).filter_map(Result::ok).collect();
    let _ = detect_kind(None, &header);
    map_rows(&header, &rows);
}

/// Maps `rows` under `header` as products, stock levels and orders, as far as the header
/// allows each.
fn map_rows(header: &[String], rows: &[Row]) {
    if let Ok(mut products) = ProductMapper::new(header, None) {
        let _ = products.columns();
        let _ = products.unknown_columns();
        for row in rows {
            let _ = products.map(row);
        }
    }
    if let Ok(levels) = InventoryMapper::new(header, None) {
        let _ = levels.location_columns();
        for row in rows {
            let _ = levels.map(row);
        }
    }
    if let Ok(mut orders) = OrderMapper::new(header, None) {
        for row in rows {
            let _ = orders.push(row);
        }
        let _ = orders.finish();
    }
}
