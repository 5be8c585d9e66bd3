//! The real SQLite store with another connection holding the database (`BEGIN EXCLUSIVE`,
//! longer than the store's busy timeout): writes answer 503 problem+json with `Retry-After`
//! and queue deliveries ask the host to retry, nothing is half-written, reads are still
//! served (WAL lets readers past a writer), and the same calls succeed once it is released.

use rusqlite::Connection;
use serde_json::{Value, json};

use super::{Handler, blob_created, body_json, products_feed, request, service_bus};

/// Another process's connection holding the write lock until dropped or released.
struct Locker(Connection);

impl Locker {
    fn hold(handler: &Handler) -> Self {
        let connection = Connection::open(handler.database()).unwrap();
        connection.execute_batch("BEGIN EXCLUSIVE").unwrap();
        Self(connection)
    }

    fn release(self) {
        self.0.execute_batch("ROLLBACK").unwrap();
    }
}

fn put_mug() -> shared::protocol::HttpRequest {
    let mut put = request(
        "PUT",
        "products/MUG-1",
        Some(json!({"title": "Blue mug", "price": {"amount": "12.50", "currency": "EUR"}})),
    );
    put.params.insert("sku".into(), "MUG-1".into());
    put
}

#[tokio::test]
async fn a_write_during_a_lock_answers_503_with_retry_after_and_the_same_write_lands_after_it() {
    let h = Handler::start(&[]).await;
    let lock = Locker::hold(&h);

    let res = h.http("Products", &put_mug()).await;
    assert_eq!(res["statusCode"], "503", "{res}");
    assert_eq!(res["headers"]["Content-Type"], "application/problem+json");
    assert_eq!(res["headers"]["Retry-After"], "2");
    assert_eq!(body_json(&res)["status"], 503);
    // Reads are still served while a writer holds the database.
    assert_eq!(h.product("MUG-1").await, None, "nothing was written");

    lock.release();
    let res = h.http("Products", &put_mug()).await;
    assert_eq!(res["statusCode"], "201", "{res}");
    let mug = h.product("MUG-1").await.unwrap();
    assert_eq!(
        (mug["title"].clone(), mug["price"]["amount"].clone()),
        (json!("Blue mug"), json!("12.50"))
    );
    h.assert_healthy().await;
}

#[tokio::test]
async fn queue_deliveries_during_a_lock_are_retried_and_each_lands_once_after_it() {
    let h = Handler::start(&[]).await;
    assert_eq!(h.http("Products", &put_mug()).await["statusCode"], "201");
    let feed = products_feed(30);
    let path = h.data.path().join("blobs/ingest/demo/feed.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &feed).unwrap();
    let ingest = blob_created(
        "IngestPartnerFile",
        "ingest",
        "demo/feed.csv",
        "\"0x1\"",
        feed.len() as u64,
        "event-1",
    );
    let enrich_body = json!({"tenant": "demo", "sku": "MUG-1", "content_hash": "x"}).to_string();
    let enrich = service_bus("EnrichProduct", &enrich_body, "enrich-1", 1);

    let lock = Locker::hold(&h);
    let (status, _) = h.invoke("IngestPartnerFile", &ingest).await;
    assert_eq!(status, 503, "the host retries the feed");
    let (status, _) = h.invoke("EnrichProduct", &enrich).await;
    assert_eq!(status, 503, "the host retries the enrichment");
    assert_eq!(h.skus().await, ["MUG-1"], "no row of the feed landed");
    assert_eq!(h.product("MUG-1").await.unwrap()["enrichment"], Value::Null);
    let runs = body_json(
        &h.http("IngestRuns", &request("GET", "ingest/runs", None))
            .await,
    );
    assert_eq!(runs["items"], json!([]), "no run was left half-made");

    lock.release();
    let (status, result) = h.invoke("IngestPartnerFile", &ingest).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(h.skus().await.len(), 31);
    // Delivered once more, the finished run is not redone; its enrichment messages go again
    // (the host may have lost them), the same ones.
    let (status, again) = h.invoke("IngestPartnerFile", &ingest).await;
    assert_eq!(status, 200);
    assert!(
        again["Logs"][0]
            .as_str()
            .unwrap()
            .ends_with("(already handled)"),
        "{again}"
    );
    assert_eq!(again["Outputs"]["enrich"], result["Outputs"]["enrich"]);
    assert_eq!(h.skus().await.len(), 31);
    let runs = body_json(
        &h.http("IngestRuns", &request("GET", "ingest/runs", None))
            .await,
    );
    let runs = runs["items"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(
        (runs[0]["status"].clone(), runs[0]["rows_total"].clone()),
        (json!("succeeded"), json!(30))
    );

    let (status, _) = h.invoke("EnrichProduct", &enrich).await;
    assert_eq!(status, 200);
    let mug = h.product("MUG-1").await.unwrap();
    assert_eq!(mug["enrichment"]["generated_by"], "offline", "{mug}");
    h.assert_healthy().await;
}

#[tokio::test]
async fn a_read_with_a_tenant_key_during_a_lock_does_not_wait_out_the_busy_timeout() {
    let h = Handler::start(&[]).await;
    let create = request(
        "POST",
        "keys",
        Some(json!({"name": "reader", "scopes": ["read"]})),
    );
    let created = h.http("ApiKeys", &create).await;
    assert_eq!(created["statusCode"], "201", "{created}");
    let key = body_json(&created)["key"].as_str().unwrap().to_owned();
    let mut get = request("GET", "products", None);
    get.headers.insert("x-api-key".into(), vec![key]);

    let lock = Locker::hold(&h);
    let started = std::time::Instant::now();
    let res = h.http("Products", &get).await;
    assert_eq!(res["statusCode"], "200", "{res}");
    // Not a speed check: recording the key's use is the only write of this read, and before
    // it gave up at once the read waited out the store's whole busy timeout (5 s) behind the
    // lock. SQLite's busy handler sleeps in real time, so no paused clock can stand in.
    assert!(
        started.elapsed() < std::time::Duration::from_millis(2_500),
        "the read waited {:?} for the lock",
        started.elapsed()
    );
    lock.release();
    let res = h.http("Products", &get).await;
    assert_eq!(res["statusCode"], "200", "{res}");
    let keys = body_json(&h.http("ApiKeys", &request("GET", "keys", None)).await);
    let reader = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "reader")
        .unwrap()
        .clone();
    assert!(
        reader["last_used_at"].is_string(),
        "recorded once the lock is gone: {reader}"
    );
}
