//! Header matching on wide files: `cargo bench -p shared --bench header [-- COLUMNS...]`.
//!
//! A feed's header is matched once per file, but a file's first record may be as large as
//! `Limits::max_record_bytes` (16 MiB), so a hostile or broken export can carry hundreds of
//! thousands of columns. For each width (default 1,000, 10,000, 100,000 and 1,000,000 columns:
//! `sku`, `title`, `price`, `quantity`, then `extra_column_N`) this times what ingestion does
//! with a header before the first row: feed-kind detection, then the product, inventory and
//! order mappers' header resolution. It prints the time of each, their total and the total
//! per column.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use shared::ingest::inventory::InventoryMapper;
use shared::ingest::kind::detect_kind;
use shared::ingest::orders::OrderMapper;
use shared::ingest::products::ProductMapper;

const DEFAULT_WIDTHS: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];

fn main() {
    let widths: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let widths = if widths.is_empty() {
        DEFAULT_WIDTHS.to_vec()
    } else {
        widths
    };
    println!(
        "{:>10} {:>11} {:>11} {:>11} {:>11} {:>11} {:>12}",
        "columns", "detect", "products", "inventory", "orders", "total", "per column"
    );
    for width in widths {
        let header = header(width);
        let mut stages = Vec::new();
        let mut time = |run: &dyn Fn() -> bool| {
            let started = Instant::now();
            // The result is checked, so nothing is optimised away.
            assert!(run());
            stages.push(started.elapsed().as_secs_f64());
        };
        time(&|| detect_kind(None, &header).is_ok());
        time(&|| ProductMapper::new(&header, None).is_ok());
        time(&|| InventoryMapper::new(&header, None).is_ok());
        time(&|| OrderMapper::new(&header, None).is_err());
        let total: f64 = stages.iter().sum();
        let ms: Vec<String> = stages
            .iter()
            .map(|s| format!("{:>8.1} ms", s * 1e3))
            .collect();
        println!(
            "{width:>10} {} {:>8.1} ms {:>9.0} ns",
            ms.join(" "),
            total * 1e3,
            total * 1e9 / width as f64
        );
    }
}

/// A products header `width` columns wide: the four a feed needs, then unknown ones.
fn header(width: usize) -> Vec<String> {
    ["sku", "title", "price", "quantity"]
        .into_iter()
        .map(str::to_owned)
        .chain((4..width).map(|i| format!("extra_column_{i}")))
        .collect()
}
