//! The Azure Blob Storage adapter against Azurite, the Blob Storage emulator. Each test starts
//! its own Azurite (`npm ci` at the repository root installs it; Node.js 20+ runs it) on a free
//! port with its data in a temporary folder, creates the containers, and stops it when done.
//! These tests authorise with the account key; `user_delegation` has the bearer-token path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
mod user_delegation;

use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;
use shared::blobs::{AZURITE_ACCOUNT, BlobError, Container};

use support::{
    Azurite, assert_read_url_reads_only_its_blob, assert_upload_url_writes_only_its_blob, sample,
};

#[tokio::test]
async fn a_blob_written_to_azurite_streams_back_whole() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let content = sample(3 * 1024 * 1024 + 17);
    blobs
        .write(Container::Videos, "demo/clip.mp4", content.clone())
        .await
        .unwrap();

    let (size, stream) = blobs
        .read(Container::Videos, "demo/clip.mp4")
        .await
        .unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    assert_eq!(size, content.len() as u64);
    assert_eq!(chunks.concat(), content);
    assert_eq!(
        blobs
            .size(Container::Videos, "demo/clip.mp4")
            .await
            .unwrap(),
        size
    );
    // Containers are separate: the same name elsewhere is not there.
    assert!(matches!(
        blobs.size(Container::VideoFrames, "demo/clip.mp4").await,
        Err(BlobError::NotFound { .. })
    ));
    blobs.check().await.unwrap();
}

#[tokio::test]
async fn a_byte_range_reads_only_those_bytes() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let content = sample(10_000);
    blobs
        .write(Container::Videos, "demo/clip.mp4", content.clone())
        .await
        .unwrap();

    let middle = blobs
        .read_range(Container::Videos, "demo/clip.mp4", 4_000..4_100)
        .await
        .unwrap();
    assert_eq!(middle, content.slice(4_000..4_100));
    let tail = blobs
        .read_range(Container::Videos, "demo/clip.mp4", 9_990..20_000)
        .await
        .unwrap();
    assert_eq!(tail, content.slice(9_990..));
    let err = blobs
        .read_range(Container::Videos, "demo/clip.mp4", 50..50)
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::InvalidRange { .. }), "{err}");
}

#[tokio::test]
async fn a_missing_blob_in_azurite_is_not_found_and_not_transient() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let read = blobs.read(Container::Ingest, "demo/none.csv").await.err();
    let range = blobs
        .read_range(Container::Ingest, "demo/none.csv", 0..10)
        .await
        .err();
    let size = blobs.size(Container::Ingest, "demo/none.csv").await.err();
    for err in [read, range, size] {
        let err = err.unwrap();
        assert!(matches!(err, BlobError::NotFound { .. }), "{err}");
        assert!(!err.is_transient());
    }
}

#[tokio::test]
async fn a_partner_feed_in_azurite_is_streamed_through_the_whole_pipeline() {
    use shared::domain::{Sku, TenantId};
    use shared::ingest::{PartnerFile, ingest_partner_file};
    use shared::store::Store;
    use shared::store::sqlite::SqliteStore;

    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    // Big enough to arrive in several chunks, with one bad row among them.
    let mut feed = String::from("sku,title,price,currency,quantity\n");
    for i in 0..20_000 {
        feed.push_str(&format!(
            "SKU-{i:05},Mug {i},{}.50,EUR,{}\n",
            3 + i % 7,
            i % 40
        ));
    }
    feed.push_str("SKU-BAD,Broken mug,-1,EUR,1\n");
    blobs
        .write(
            Container::Ingest,
            "demo/products/feed.csv",
            Bytes::from(feed.into_bytes()),
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("advisor.db")).unwrap();
    store.migrate().await.unwrap();
    let demo = TenantId::parse("demo").unwrap();
    store.ensure_tenant(&demo, "Demo").await.unwrap();

    let file = PartnerFile::locate(&store, "ingest", "demo/products/feed.csv", "event-1")
        .await
        .unwrap();
    let outcome = ingest_partner_file(&store, &blobs, &file).await.unwrap();
    assert_eq!(
        (
            outcome.run.rows_total,
            outcome.run.rejected,
            outcome.run.inserted
        ),
        (20_001, 1, 20_000)
    );
    let last = store
        .get_product(&demo, &Sku::parse("SKU-19999").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.content.title, "Mug 19999");
    // The report and the rejected rows went back to Azurite.
    let report = outcome.run.report_blob.unwrap();
    assert!(blobs.size(Container::IngestReports, &report).await.unwrap() > 0);
}

#[tokio::test]
async fn names_that_could_escape_a_container_are_refused_before_azurite_is_asked() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    for name in [
        "../x",
        "demo/../../x",
        "",
        "a//b",
        "a/./b",
        "demo/\u{7}bell",
    ] {
        let err = blobs.read(Container::Ingest, name).await.err().unwrap();
        assert!(
            matches!(err, BlobError::InvalidName { .. }),
            "{name}: {err}"
        );
        let err = blobs
            .upload_url(Container::Ingest, name, Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlobError::InvalidName { .. }),
            "{name}: {err}"
        );
    }
}

#[tokio::test]
async fn an_upload_url_lets_its_holder_put_exactly_that_blob_and_nothing_else() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let url = blobs
        .upload_url(Container::Ingest, "demo/feed.csv", Duration::from_secs(600))
        .await
        .unwrap();
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["sp"], "w", "write permission only");
    assert_eq!(query["sr"], "b", "one blob, not the container");
    let client = azurite.client();
    assert_upload_url_writes_only_its_blob(&client, &blobs, &url).await;

    let mut listing = url.clone();
    listing.set_path(&format!("/{AZURITE_ACCOUNT}/ingest"));
    listing
        .query_pairs_mut()
        .append_pair("restype", "container")
        .append_pair("comp", "list");
    let list = client.get(listing).send().await.unwrap();
    assert_eq!(list.status(), 403, "the URL must not list the container");
}

#[tokio::test]
async fn an_upload_url_lives_at_most_an_hour() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let url = blobs
        .upload_url(
            Container::Videos,
            "demo/clip.mp4",
            Duration::from_secs(3600),
        )
        .await
        .unwrap();
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let start = chrono::DateTime::parse_from_rfc3339(&query["st"]).unwrap();
    let expiry = chrono::DateTime::parse_from_rfc3339(&query["se"]).unwrap();
    assert!(expiry - start <= chrono::TimeDelta::hours(1));

    for ttl in [Duration::from_secs(3601), Duration::ZERO] {
        let err = blobs
            .upload_url(Container::Videos, "demo/clip.mp4", ttl)
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::InvalidTtl { .. }), "{err}");
        assert!(!err.is_transient());
    }
}

#[tokio::test]
async fn a_read_url_lets_its_holder_get_exactly_that_thumbnail_and_nothing_else() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let url = blobs
        .read_url(
            Container::VideoFrames,
            "demo/clip/frame-0001.jpg",
            Duration::from_secs(600),
        )
        .await
        .unwrap();
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(query["sp"], "r", "read permission only");
    assert_eq!(query["sr"], "b", "one blob, not the container");
    assert_eq!(
        url.path(),
        format!("/{AZURITE_ACCOUNT}/video-frames/demo/clip/frame-0001.jpg")
    );
    assert_read_url_reads_only_its_blob(&azurite.client(), &blobs, &url).await;
}

#[tokio::test]
async fn read_urls_reach_thumbnails_only_and_live_at_most_an_hour() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    for container in [
        Container::Ingest,
        Container::IngestReports,
        Container::Videos,
    ] {
        let err = blobs
            .read_url(container, "demo/a.bin", Duration::from_secs(60))
            .await
            .unwrap_err();
        assert!(
            matches!(err, BlobError::AccessNotGranted { .. }),
            "{container:?}: {err}"
        );
    }
    let frame = "demo/clip/frame-0001.jpg";
    let url = blobs
        .read_url(Container::VideoFrames, frame, Duration::from_secs(3600))
        .await
        .unwrap();
    let query: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    let start = chrono::DateTime::parse_from_rfc3339(&query["st"]).unwrap();
    let expiry = chrono::DateTime::parse_from_rfc3339(&query["se"]).unwrap();
    assert_eq!(expiry - start, chrono::TimeDelta::hours(1));
    let err = blobs
        .read_url(Container::VideoFrames, frame, Duration::from_secs(3601))
        .await
        .unwrap_err();
    assert!(matches!(err, BlobError::InvalidTtl { .. }), "{err}");
}

#[tokio::test]
async fn metadata_set_on_an_upload_s_put_is_read_back_and_a_blob_without_it_has_none() {
    let azurite = Azurite::start();
    let blobs = azurite.blobs().await;
    let url = blobs
        .upload_url(Container::Videos, "demo/spin.mp4", Duration::from_secs(60))
        .await
        .unwrap();
    let put = azurite
        .client()
        .put(url)
        .header("x-ms-blob-type", "BlockBlob")
        .header("x-ms-meta-sku", "MUG-1")
        .body("not really a video")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 201, "{}", put.text().await.unwrap());
    let sku = blobs
        .metadata(Container::Videos, "demo/spin.mp4", "sku")
        .await
        .unwrap();
    assert_eq!(sku.as_deref(), Some("MUG-1"));
    blobs
        .write(Container::Videos, "demo/plain.mp4", sample(10))
        .await
        .unwrap();
    let none = blobs
        .metadata(Container::Videos, "demo/plain.mp4", "sku")
        .await
        .unwrap();
    assert_eq!(none, None);
    let missing = blobs
        .metadata(Container::Videos, "demo/gone.mp4", "sku")
        .await
        .unwrap_err();
    assert!(matches!(missing, BlobError::NotFound { .. }), "{missing}");
}
