//! Enrichment cost per product: `cargo bench -p shared --bench enrich [-- PRODUCTS]`.
//!
//! Measures, over PRODUCTS synthetic products (default 20,000):
//!
//! - **offline**: the offline engine alone (normalise, clean, attributes, units, category rules,
//!   SEO, quality), in the one schema;
//! - **check**: checking a model's answer on return (JSON parse against the schema, taxonomy,
//!   attribute sources, HTML sanitising) — the CPU the app adds to every provider call;
//! - **pipeline**: `enrich_product` end to end on SQLite with the offline engine (read the
//!   product, enrich, save in a transaction) — what one queue message's products cost when no
//!   network is involved.
//!
//! It prints products/s and microseconds per product for each. No target is asserted: the
//! figures size the `enrich` queue's throughput and show that, with a provider, the model's
//! latency (hundreds of milliseconds) is all that matters.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use shared::ai::AiEngine;
use shared::ai::schema::{ProductFacts, check_answer};
use shared::domain::{ProductContent, Sku, TenantId};
use shared::enrich::enrich_product;
use shared::ingest::record::FeedKind;
use shared::store::sqlite::SqliteStore;
use shared::store::{IngestRunStart, ProductUpsert, ProductView, Store};

const DEFAULT_PRODUCTS: usize = 20_000;

const TITLES: [&str; 6] = [
    "ACME ORGANIC COTTON T-SHIRT - NAVY BLUE, XL",
    "Stoneware Coffee Mug 350ml, Matte Black",
    "Men's Merino Wool Crew Neck Sweater – Charcoal Grey, Size M",
    "Kids Waterproof Rain Jacket, Yellow, Age 4-5",
    "LED Desk Lamp with USB Charging Port 5W",
    "Floral Print Midi Dress in Viscose, Women's UK 12",
];

const DESCRIPTION: &str = "<p>A soft, breathable piece made from 100% organic cotton, \
    finished by hand.</p><ul><li>Machine wash at 30&deg;C</li><li>Fits true to size</li>\
    <li>Parcel weight 0,25 kg</li></ul>";

fn content(i: usize) -> ProductContent {
    ProductContent {
        sku: Sku::parse(&format!("SKU-{i:07}")).unwrap(),
        title: format!("{} #{i}", TITLES[i % TITLES.len()]),
        description: Some(DESCRIPTION.into()),
        price: None,
        quantity: Some(3),
        brand: Some("Acme".into()),
        category: None,
        gtin: None,
        image_url: Some(format!("https://img.example/{i}.jpg")),
        parent: None,
        options: Vec::new(),
        attributes: Default::default(),
    }
}

fn view(content: ProductContent) -> ProductView {
    ProductView {
        content_hash: content.content_hash(),
        content,
        source: "bench".into(),
        source_updated_at: None,
        version: 1,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        enrichment: None,
        edits: None,
    }
}

fn report(name: &str, products: usize, seconds: f64) {
    println!(
        "{name:<9} {:>10.0} products/s  {:>8.1} µs/product",
        products as f64 / seconds,
        seconds * 1e6 / products as f64
    );
}

fn bench_offline(products: usize) {
    let views: Vec<ProductView> = (0..products).map(|i| view(content(i))).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let engine = AiEngine::Offline;
    let start = Instant::now();
    for product in &views {
        let enrichment = runtime.block_on(engine.enrich(product)).unwrap();
        std::hint::black_box(enrichment);
    }
    report("offline", products, start.elapsed().as_secs_f64());
}

fn bench_check(products: usize) {
    let answer = serde_json::json!({
        "title": "Acme Organic Cotton T-Shirt – Navy Blue, XL",
        "description_html": "<p>A soft, breathable tee in organic cotton.</p><ul><li>Machine wash at 30°C</li></ul>",
        "category": {"path": "Apparel & Accessories > Clothing > Clothing Tops > T-Shirts", "confidence": 0.93},
        "attributes": [
            {"name": "color", "value": "navy blue", "source": "NAVY BLUE"},
            {"name": "size", "value": "XL", "source": "XL"},
            {"name": "material", "value": "organic cotton", "source": "ORGANIC COTTON"}
        ],
        "tags": ["t-shirt", "organic cotton", "navy"],
        "seo_title": "Acme Organic Cotton T-Shirt in Navy Blue",
        "meta_description": "A soft, breathable tee in organic cotton.",
        "quality": {"score": 88, "reasons": [{"code": "gtin_missing", "message": "Add a GTIN."}]},
        "flags": [{"code": "missing_gtin", "reason": "none given"}]
    })
    .to_string();
    let facts = ProductFacts {
        text: vec![TITLES[0].into(), DESCRIPTION.into(), "Acme".into()],
        has_image: true,
        has_gtin: false,
        units: Vec::new(),
        improve: Vec::new(),
    };
    let start = Instant::now();
    for _ in 0..products {
        std::hint::black_box(check_answer(&answer, &facts).unwrap());
    }
    report("check", products, start.elapsed().as_secs_f64());
}

fn bench_pipeline(products: usize) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = SqliteStore::open(&dir.path().join("bench.db")).unwrap();
        store.migrate().await.unwrap();
        let tenant = TenantId::parse("bench").unwrap();
        store.ensure_tenant(&tenant, "Bench").await.unwrap();
        let run = store
            .begin_ingest_run(&IngestRunStart {
                tenant: tenant.clone(),
                run_key: "bench".into(),
                blob_name: "bench/products.csv".into(),
                kind: FeedKind::Products,
            })
            .await
            .unwrap();
        let all: Vec<ProductUpsert> = (0..products)
            .map(|i| ProductUpsert::new(content(i), None, "bench"))
            .collect();
        for batch in all.chunks(2000) {
            store.apply_ingest_batch(&run, batch, &[]).await.unwrap();
        }
        let engine = AiEngine::Offline;
        let start = Instant::now();
        for i in 0..products {
            let sku = Sku::parse(&format!("SKU-{i:07}")).unwrap();
            enrich_product(&store, &engine, &tenant, &sku)
                .await
                .unwrap();
        }
        report("pipeline", products, start.elapsed().as_secs_f64());
    });
}

fn main() {
    let products = std::env::args()
        .skip(1)
        .find_map(|a| a.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PRODUCTS);
    println!("{products} products");
    bench_offline(products);
    bench_check(products);
    bench_pipeline(products);
}
