//! `IngestPartnerFile`, end to end: a feed dropped into the local blob folder becomes products
//! with their enrichment, and a report a partner can act on.

use std::collections::BTreeSet;

use advisor::local_host::queue::NewMessage;
use serde_json::Value;

use crate::helpers::{TestApp, eventually, sample_feed};

/// Waits for the report of `ingest/demo/{stem}.csv` from a run other than `previous_run`.
async fn wait_for_report(app: &TestApp, stem: &str, previous_run: Option<&str>) -> Value {
    eventually(30, "the ingestion report", || async {
        let report = app.report("demo", stem)?;
        let run = report["run_id"].as_str()?;
        (Some(run) != previous_run).then_some(report)
    })
    .await
}

/// Waits until every listed product carries an enrichment of its current content.
async fn wait_until_all_enriched(app: &TestApp) -> Vec<Value> {
    eventually(30, "every product enriched", || async {
        let mut items = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = app.get_json(&format!("/products?limit=200{cursor}")).await;
            items.extend(page["items"].as_array()?.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        items
            .iter()
            .all(|p| p["enrichment"]["current"] == true)
            .then_some(items)
    })
    .await
}

/// A probe message's sequence number. Sequence numbers are unique and increasing across the
/// local namespace, so the gap between two probes counts every message sent in between.
fn probe(app: &TestApp) -> i64 {
    app.queues()
        .send("probe", NewMessage::new("{}"), chrono::Utc::now())
        .expect("probe")
}

#[tokio::test]
async fn a_dropped_feed_becomes_enriched_products_and_a_report() {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "products.csv", &sample_feed());
    let report = wait_for_report(&app, "products", None).await;
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["file"], "ingest/demo/products.csv");
    assert_eq!(report["counts"]["rows"], 240);
    assert_eq!(report["counts"]["inserted"], 234);
    assert_eq!(report["counts"]["rejected"], 6);
    let products = wait_until_all_enriched(&app).await;
    assert_eq!(products.len(), 234);
    for product in &products {
        assert_eq!(product["enrichment"]["generated_by"], "offline");
        let score = product["enrichment"]["quality"]["score"]
            .as_u64()
            .expect("score");
        assert!(score <= 100);
    }
    app.stop().await;
}

#[tokio::test]
async fn the_same_feed_dropped_again_changes_nothing_and_sends_no_message() {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "products.csv", &sample_feed());
    let first = wait_for_report(&app, "products", None).await;
    let before = wait_until_all_enriched(&app).await;
    let probe_before = probe(&app);

    app.drop_feed("demo", "products.csv", &sample_feed());
    let second = wait_for_report(&app, "products", first["run_id"].as_str()).await;
    assert_eq!(second["counts"]["inserted"], 0);
    assert_eq!(second["counts"]["updated"], 0);
    assert_eq!(second["counts"]["unchanged"], 234);
    // The only message between the probes is the file's own BlobCreated event.
    assert_eq!(
        probe(&app) - probe_before,
        2,
        "an unchanged feed must send no enrichment message"
    );
    let after = wait_until_all_enriched(&app).await;
    let versions = |items: &[Value]| -> Vec<(Value, Value, Value)> {
        items
            .iter()
            .map(|p| {
                (
                    p["sku"].clone(),
                    p["version"].clone(),
                    p["enrichment"]["created_at"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(versions(&before), versions(&after));
    app.stop().await;
}

#[tokio::test]
async fn every_bad_row_is_reported_with_line_column_value_and_reason() {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "products.csv", &sample_feed());
    let report = wait_for_report(&app, "products", None).await;
    let rejected = report["rejected_rows"].as_array().expect("rejected rows");
    let lines: BTreeSet<u64> = rejected
        .iter()
        .map(|r| r["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines.len(), 6, "{rejected:#?}");
    assert!(lines.iter().all(|line| *line > 1), "the header is line 1");
    let columns: BTreeSet<&str> = rejected
        .iter()
        .map(|r| r["column"].as_str().expect("column"))
        .collect();
    for column in ["price", "gtin", "title", "quantity", "image_url"] {
        assert!(
            columns.contains(column),
            "no rejected {column}: {rejected:#?}"
        );
    }
    for row in rejected {
        assert!(!row["reason"].as_str().unwrap_or_default().is_empty());
        assert!(row.get("value").is_some());
    }
    // A rejected SKU is not stored; the report's SKUs are all that is missing.
    let page = app.get_json("/products?limit=200").await;
    assert!(page["next_cursor"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn a_changed_row_updates_the_product_and_it_is_enriched_again() {
    let app = TestApp::spawn().await;
    let header = "sku,title,description,price,currency,quantity\n";
    app.drop_feed(
        "demo",
        "small.csv",
        format!(
            "{header}A-1,PLAIN COTTON TEE,Soft tee,10.00,EUR,3\nA-2,Mug,Stoneware mug,8.50,EUR,9\n"
        )
        .as_bytes(),
    );
    let first = wait_for_report(&app, "small", None).await;
    assert_eq!(first["counts"]["inserted"], 2);
    wait_until_all_enriched(&app).await;

    app.drop_feed(
        "demo",
        "small.csv",
        format!(
            "{header}A-1,PLAIN COTTON TEE,Soft tee,12.00,EUR,3\nA-2,Mug,Stoneware mug,8.50,EUR,9\n"
        )
        .as_bytes(),
    );
    let second = wait_for_report(&app, "small", first["run_id"].as_str()).await;
    assert_eq!(
        (
            second["counts"]["updated"].as_u64(),
            second["counts"]["unchanged"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let products = wait_until_all_enriched(&app).await;
    let tee = products.iter().find(|p| p["sku"] == "A-1").expect("A-1");
    assert_eq!(tee["version"], 2);
    assert_eq!(tee["price"]["amount"], "12.00");
    assert_eq!(tee["enrichment"]["title"], "Plain Cotton Tee");
    app.stop().await;
}

#[tokio::test]
async fn a_feed_without_a_sku_column_fails_whole_with_a_clear_report() {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "nosku.csv", b"name,price\nMug,3.00\n");
    let report = wait_for_report(&app, "nosku", None).await;
    assert_eq!(report["status"], "failed");
    assert!(
        report["error"].as_str().unwrap_or_default().contains("sku"),
        "{report}"
    );
    let page = app.get_json("/products").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    app.stop().await;
}

#[tokio::test]
async fn a_file_that_is_not_csv_gets_a_report_saying_so() {
    let app = TestApp::spawn().await;
    app.drop_feed("demo", "feed.xml", b"<products/>");
    let report = eventually(30, "the report", || async { app.report("demo", "feed") }).await;
    assert_eq!(report["status"], "failed");
    assert!(
        report["error"].as_str().unwrap_or_default().contains("CSV"),
        "{report}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_file_of_an_unknown_tenant_is_consumed_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.drop_feed("nobody", "products.csv", &sample_feed());
    eventually(30, "the event consumed", || async {
        let depths = app.queues().depths(chrono::Utc::now()).ok()?;
        let ingest = depths.into_iter().find(|d| d.queue == "ingest-files")?;
        (ingest.active == 0 && ingest.locked == 0 && ingest.dead_lettered == 0).then_some(())
    })
    .await;
    assert!(app.report("nobody", "products").is_none());
    let page = app.get_json("/products").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0));
    app.stop().await;
}
