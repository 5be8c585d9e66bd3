//! Blob reads failing half-way: the handler's blob store is Azurite behind a [`CutProxy`]
//! that closes the socket part-way through a GET's body. A single cut is resumed by the
//! storage client (a ranged re-read) and changes nothing; a path that stays down fails the
//! delivery as transient — no `failed` record, what was stored stays consistent — and the same
//! delivery, once the path is back, finishes the work with every row landed once.

use std::net::SocketAddr;

use bytes::Bytes;
use rusqlite::Connection;
use serde_json::{Value, json};
use shared::blobs::{AZURITE_ACCOUNT, AZURITE_ACCOUNT_KEY, BlobError, Blobs, Container};
use shared::settings::Secret;

use super::cut_proxy::CutProxy;
use super::{Handler, blob_created, body_json, products_feed, request};
use crate::videos::fixture;

#[allow(
    dead_code,
    reason = "shared with the shared crate's Azurite tests; some helpers unused here"
)]
#[path = "../../../../shared/tests/azurite/support.rs"]
mod azurite;

/// Azurite, the proxy in front of it, the handler reading through the proxy, and a direct
/// client to Azurite for the test's own uploads and checks.
struct Rig {
    _azurite: azurite::Azurite,
    proxy: CutProxy,
    direct: Blobs,
    h: Handler,
}

async fn rig() -> Rig {
    let azurite = azurite::Azurite::start();
    let direct = azurite.blobs().await;
    let port = azurite.endpoint().port().unwrap();
    let proxy = CutProxy::start(SocketAddr::from(([127, 0, 0, 1], port))).await;
    let endpoint = url::Url::parse(&format!("http://{}/{AZURITE_ACCOUNT}", proxy.addr)).unwrap();
    let key = Secret::new(AZURITE_ACCOUNT_KEY);
    let proxied = Blobs::azure_with_account_key(&endpoint, AZURITE_ACCOUNT, &key).unwrap();
    let h = Handler::start_adjusted(&[], move |state| state.blobs = proxied).await;
    Rig {
        _azurite: azurite,
        proxy,
        direct,
        h,
    }
}

/// Products of the dev tenant and distinct SKUs among them, read from the database itself.
fn product_count(h: &Handler) -> (i64, i64) {
    let db = Connection::open(h.database()).unwrap();
    db.query_row(
        "SELECT count(*), count(DISTINCT sku) FROM products WHERE tenant_id = 'demo'",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .unwrap()
}

async fn runs(h: &Handler) -> Vec<Value> {
    let res = h
        .http("IngestRuns", &request("GET", "ingest/runs", None))
        .await;
    body_json(&res)["items"].as_array().unwrap().clone()
}

const ROWS: usize = 5_000;

/// Uploads the big feed and returns its invocation and size.
async fn upload_feed(rig: &Rig) -> (Value, u64) {
    let feed = products_feed(ROWS);
    let size = feed.len() as u64;
    rig.direct
        .write(Container::Ingest, "demo/big.csv", Bytes::from(feed))
        .await
        .unwrap();
    let event = blob_created(
        "IngestPartnerFile",
        "ingest",
        "demo/big.csv",
        "\"0x1\"",
        size,
        "event-big",
    );
    (event, size)
}

#[tokio::test]
async fn a_feed_read_cut_once_half_way_is_resumed_and_every_row_lands_once() {
    let rig = rig().await;
    let (event, size) = upload_feed(&rig).await;
    // Half-way through the apply pass (the check pass reads the file whole first).
    rig.proxy.cut_once_after(size + size / 2);

    let (status, result) = rig.h.invoke("IngestPartnerFile", &event).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(rig.proxy.cuts(), 1, "the socket was cut");
    assert_eq!(product_count(&rig.h), (ROWS as i64, ROWS as i64));
    let runs = runs(&rig.h).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(
        (
            runs[0]["status"].clone(),
            runs[0]["rows_total"].clone(),
            runs[0]["inserted"].clone()
        ),
        (json!("succeeded"), json!(ROWS), json!(ROWS))
    );
    rig.h.assert_healthy().await;
}

#[tokio::test]
async fn a_feed_read_that_stays_cut_is_retried_without_a_failed_record_and_lands_once_when_redelivered()
 {
    let rig = rig().await;
    let (event, size) = upload_feed(&rig).await;
    // 60% into the apply pass: after its first batch of 2,000 rows is stored.
    rig.proxy.fail_after(size + size * 6 / 10);

    let (status, _) = rig.h.invoke("IngestPartnerFile", &event).await;
    assert_eq!(status, 503, "the host retries a network fault");
    assert_eq!(rig.proxy.cuts(), 1);
    let (landed, distinct) = product_count(&rig.h);
    assert_eq!(landed, distinct);
    assert!(
        (2_000..ROWS as i64).contains(&landed),
        "{landed} rows landed before the cut"
    );
    rig.proxy.heal();
    let before = runs(&rig.h).await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0]["status"], "running", "not failed: {}", before[0]);
    assert!(
        matches!(
            rig.direct
                .size(Container::IngestReports, "demo/big.report.json")
                .await,
            Err(BlobError::NotFound { .. })
        ),
        "no report for a run that did not finish"
    );
    rig.h.assert_healthy().await;

    let (status, result) = rig.h.invoke("IngestPartnerFile", &event).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(product_count(&rig.h), (ROWS as i64, ROWS as i64));
    let after = runs(&rig.h).await;
    assert_eq!(after.len(), 1, "the same run, redone");
    assert_eq!(
        (
            after[0]["id"].clone(),
            after[0]["status"].clone(),
            after[0]["rows_total"].clone()
        ),
        (before[0]["id"].clone(), json!("succeeded"), json!(ROWS))
    );
    let (status, again) = rig.h.invoke("IngestPartnerFile", &event).await;
    assert_eq!(status, 200);
    assert!(
        again["Logs"].to_string().contains("already handled"),
        "{again}"
    );
}

#[tokio::test]
async fn a_video_read_that_stays_cut_is_retried_without_a_failed_record_and_analysed_when_redelivered()
 {
    let rig = rig().await;
    let clip = fixture("h264_1080x1920_aac.mp4");
    let size = clip.len() as u64;
    rig.direct
        .write(Container::Videos, "demo/clip.mp4", Bytes::from(clip))
        .await
        .unwrap();
    let event = blob_created(
        "AnalyzeVideo",
        "videos",
        "demo/clip.mp4",
        "\"0x1\"",
        size,
        "video-1",
    );
    rig.proxy.fail_after(size / 3);

    let (status, _) = rig.h.invoke("AnalyzeVideo", &event).await;
    assert_eq!(status, 503, "the host retries a network fault");
    assert_eq!(rig.proxy.cuts(), 1);
    rig.proxy.heal();
    let listing = body_json(&rig.h.http("Videos", &request("GET", "videos", None)).await);
    let items = listing["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["status"], "analyzing", "not failed: {}", items[0]);
    rig.h.assert_healthy().await;

    let (status, result) = rig.h.invoke("AnalyzeVideo", &event).await;
    assert_eq!(status, 200, "{result}");
    let listing = body_json(&rig.h.http("Videos", &request("GET", "videos", None)).await);
    let items = listing["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "one record for the video");
    assert_eq!(items[0]["status"], "analyzed", "{}", items[0]);
}
