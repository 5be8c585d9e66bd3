//! Ingestion of the feeds partners really send, end to end through the local host: exports of
//! other platforms with no mapping profile, every feed kind, the bad-row threshold, and hostile
//! files — each ends in a report.

use serde_json::Value;

use crate::helpers::{TestApp, eventually};

/// Waits for the report of `ingest/demo/{stem}.{ext}`.
async fn report(app: &TestApp, stem: &str) -> Value {
    eventually(30, "the ingestion report", || async {
        app.report("demo", stem)
    })
    .await
}

/// Every product the API lists.
async fn all_products(app: &TestApp) -> Vec<Value> {
    let page = app.get_json("/products?limit=200").await;
    page["items"].as_array().cloned().unwrap_or_default()
}

fn sku_of(product: &Value) -> &str {
    product["sku"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_shopify_product_export_lands_with_its_variants_without_a_mapping_profile() {
    let app = TestApp::spawn().await;
    app.drop_feed(
        "demo",
        "shopify-products.csv",
        include_bytes!("../../../samples/shopify-products.csv"),
    );
    let report = report(&app, "shopify-products").await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["kind"], "products");
    assert_eq!(report["counts"]["rejected"], 0, "{report}");
    let products = all_products(&app).await;
    let navy = products
        .iter()
        .find(|p| sku_of(p) == "ALB-BEANIE-NAVY")
        .expect("the first beanie variant");
    assert_eq!(navy["title"], "Merino Wool Beanie");
    assert_eq!(navy["parent"], "merino-beanie");
    assert_eq!(navy["options"][0]["name"], "Color");
    assert_eq!(navy["options"][0]["value"], "Navy");
    let charcoal = products
        .iter()
        .find(|p| sku_of(p) == "ALB-BEANIE-CHAR")
        .expect("a later variant");
    assert_eq!(
        charcoal["title"], "Merino Wool Beanie",
        "a variant row inherits its product's title"
    );
    assert_eq!(charcoal["brand"], "Alba & Co");
    // Shopify's export has no currency: the amount is kept, never guessed.
    assert_eq!(charcoal["attributes"]["Variant Price"], "24.00");
    app.stop().await;
}

#[tokio::test]
async fn a_woocommerce_product_export_lands_with_its_variations_without_a_mapping_profile() {
    let app = TestApp::spawn().await;
    app.drop_feed(
        "demo",
        "woocommerce-products.csv",
        include_bytes!("../../../samples/woocommerce-products.csv"),
    );
    let report = report(&app, "woocommerce-products").await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["counts"]["rejected"], 0, "{report}");
    let products = all_products(&app).await;
    let variation = products
        .iter()
        .find(|p| sku_of(p) == "WOO-HOODIE-B-S")
        .expect("a variation");
    assert_eq!(variation["parent"], "WOO-HOODIE");
    let options: Vec<(&str, &str)> = variation["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| (o["name"].as_str().unwrap(), o["value"].as_str().unwrap()))
        .collect();
    assert_eq!(options, [("Color", "Blue"), ("Size", "S")]);
    assert!(products.iter().any(|p| sku_of(p) == "WOO-TOTE-NAT"));
    app.stop().await;
}

#[tokio::test]
async fn inventory_and_order_feeds_are_recognised_and_land() {
    let app = TestApp::spawn().await;
    app.drop_feed(
        "demo",
        "inventory/levels.csv",
        include_bytes!("../../../samples/inventory.csv"),
    );
    app.drop_feed(
        "demo",
        "shopify-orders.csv",
        include_bytes!("../../../samples/shopify-orders.csv"),
    );
    let levels = report(&app, "inventory/levels").await;
    assert_eq!(levels["status"], "succeeded", "{levels}");
    assert_eq!(levels["kind"], "inventory");
    assert_eq!(levels["counts"]["inserted"], 20, "{levels}");
    let orders = report(&app, "shopify-orders").await;
    assert_eq!(orders["status"], "succeeded", "{orders}");
    assert_eq!(
        orders["kind"], "orders",
        "the header tells an orders export"
    );
    assert_eq!(orders["counts"]["inserted"], 4, "{orders}");
    app.stop().await;
}

#[tokio::test]
async fn more_than_a_fifth_of_bad_rows_rejects_the_whole_file_and_lists_them_safely() {
    let app = TestApp::spawn().await;
    let mut feed = String::from("sku,title,price,currency\n");
    for i in 0..7 {
        feed.push_str(&format!("GOOD-{i},Mug {i},9.99,EUR\n"));
    }
    feed.push_str("BAD-1,=HYPERLINK(\"http://evil.example\",\"x\"),-1,EUR\n");
    feed.push_str("BAD-2,Cup,ten,EUR\n");
    feed.push_str("BAD-3,,1.00,EUR\n");
    app.drop_feed("demo", "mostly-bad.csv", feed.as_bytes());
    let report = report(&app, "mostly-bad").await;
    assert_eq!(report["status"], "rejected", "{report}");
    assert_eq!(report["counts"]["rows"], 10);
    assert_eq!(report["counts"]["rejected"], 3);
    assert!(
        report["error"]
            .as_str()
            .unwrap_or_default()
            .contains("nothing from this file was ingested"),
        "{report}"
    );
    assert!(all_products(&app).await.is_empty(), "no good row landed");
    let csv = std::fs::read_to_string(
        app.blob_root()
            .join("ingest-reports/demo/mostly-bad.rejected.csv"),
    )
    .expect("the rejected-rows CSV");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[0].ends_with("rejected_line,rejected_because"));
    assert!(
        lines[1].starts_with("BAD-1,\"'=HYPERLINK("),
        "a formula is written as text: {csv}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_few_bad_rows_are_reported_while_the_good_ones_land() {
    let app = TestApp::spawn().await;
    let mut feed = String::from("sku;title;price;currency\n");
    for i in 0..9 {
        feed.push_str(&format!("OK-{i};Plate {i};4.50;EUR\n"));
    }
    feed.push_str("OOPS;Bowl;-3;EUR\n");
    app.drop_feed("demo", "semicolons.csv", feed.as_bytes());
    let report = report(&app, "semicolons").await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["format"], "csv (;)");
    assert_eq!(report["counts"]["rejected"], 1);
    assert_eq!(
        report["rejected_csv"],
        "ingest-reports/demo/semicolons.rejected.csv"
    );
    assert_eq!(all_products(&app).await.len(), 9);
    app.stop().await;
}

#[tokio::test]
async fn hostile_files_each_end_in_a_report_and_the_app_keeps_working() {
    let app = TestApp::spawn().await;
    let mut gzip_cut = {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(b"sku,title\nA-1,Mug\nA-2,Cup\n".repeat(100).as_slice())
            .unwrap();
        encoder.finish().unwrap()
    };
    gzip_cut.truncate(gzip_cut.len() / 2);
    let mut long_line = b"sku,title\nLONG-1,".to_vec();
    long_line.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    long_line.push(b'\n');
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "junk.csv",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00".repeat(50),
        ),
        ("cut.csv.gz", gzip_cut),
        ("empty.csv", Vec::new()),
        ("header-only.csv", b"sku,title\n".to_vec()),
        (
            "cut.json",
            b"[{\"sku\": \"A-1\", \"title\": \"Mug\"}, {\"sku\": \"A-2\", \"ti".to_vec(),
        ),
        (
            "latin1.csv",
            b"sku,title\nLAT-1,Caf\xe9 cr\xe8me\n".to_vec(),
        ),
        ("long-line.csv", long_line),
        ("not-a-workbook.xlsx", b"sku,title\nX-1,Mug\n".to_vec()),
    ];
    for (name, bytes) in &cases {
        app.drop_feed("demo", name, bytes);
    }
    for (name, _) in &cases {
        let stem = name.split('.').next().unwrap();
        let report = report(&app, stem).await;
        let status = report["status"].as_str().unwrap_or_default();
        assert!(
            ["failed", "succeeded", "rejected"].contains(&status),
            "{name}: {report}"
        );
        if status == "failed" {
            assert!(
                !report["error"].as_str().unwrap_or_default().is_empty(),
                "{name}: a failed file says why: {report}"
            );
        }
    }
    let latin1 = app.report("demo", "latin1").unwrap();
    assert_eq!(latin1["status"], "succeeded", "{latin1}");
    assert_eq!(latin1["encoding"], "windows-1252");
    let product = app.get_json("/products/LAT-1").await;
    assert_eq!(product["title"], "Café crème");
    let health = app.get("/health", None).await;
    assert_eq!(health.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn the_runs_api_lists_runs_newest_first_and_pages_a_runs_rejected_rows() {
    let app = TestApp::spawn().await;
    app.drop_feed(
        "demo",
        "products.csv",
        include_bytes!("../../../samples/products.csv"),
    );
    report(&app, "products").await;
    let mut bad = String::from("sku,title,price,currency\n");
    for i in 0..5 {
        bad.push_str(&format!("B-{i},Bowl,-1,EUR\n"));
    }
    app.drop_feed("demo", "all-bad.csv", bad.as_bytes());
    report(&app, "all-bad").await;

    // The report is written just before the run is marked finished: wait for the mark.
    let page = crate::helpers::eventually(10, "the run finished", || async {
        let page = app.get_json("/ingest/runs?limit=1").await;
        (page["items"][0]["status"] != "running").then_some(page)
    })
    .await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["blob_name"], "demo/all-bad.csv", "newest first");
    assert_eq!(items[0]["status"], "rejected");
    assert!(items[0]["duration_ms"].as_i64().is_some());
    let cursor = page["next_cursor"].as_str().expect("a second page");
    let next = app
        .get_json(&format!("/ingest/runs?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(next["items"][0]["blob_name"], "demo/products.csv");
    assert_eq!(next["items"][0]["inserted"], 234);
    assert!(next["next_cursor"].is_null());
    let rejected = app.get_json("/ingest/runs?status=rejected").await;
    assert_eq!(rejected["items"].as_array().map(Vec::len), Some(1));

    let id = items[0]["id"].as_str().unwrap();
    let run = app.get_json(&format!("/ingest/runs/{id}?limit=2")).await;
    assert_eq!(run["run"]["rejected"], 5);
    let lines: Vec<u64> = run["errors"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3]);
    let cursor = run["errors"]["next_cursor"].as_str().expect("more errors");
    let more = app
        .get_json(&format!("/ingest/runs/{id}?limit=2&errors_cursor={cursor}"))
        .await;
    assert_eq!(more["errors"]["items"][0]["line"], 4);

    let missing = app
        .get("/ingest/runs/no-such-run", Some("local-dev-key"))
        .await;
    assert_eq!(missing.status(), 404);
    let anonymous = app.get("/ingest/runs", None).await;
    assert_eq!(anonymous.status(), 401);
    let bad_limit = app.get("/ingest/runs?limit=0", Some("local-dev-key")).await;
    assert_eq!(bad_limit.status(), 400);
    app.stop().await;
}
