//! Read URLs for thumbnails (`Blobs::read_url`), served locally by the local host's signed
//! `GET /blobs/video-frames/…`: exactly one blob, only while the URL lives, never with a write
//! URL, never a hidden staging file.

use std::time::Duration;

use bytes::Bytes;
use shared::blobs::Container;

use crate::helpers::TestApp;
use crate::ingest::problem;

const FRAME: &str = "demo/clip-1/frame-0002.jpg";

/// A JPEG's start and end markers around a few bytes: enough to tell it from anything else.
fn thumbnail() -> Bytes {
    Bytes::from_static(&[
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0xFF, 0xD9,
    ])
}

async fn app_with_frame() -> TestApp {
    let app = TestApp::spawn().await;
    app.state
        .blobs
        .write(Container::VideoFrames, FRAME, thumbnail())
        .await
        .unwrap();
    app
}

async fn read_url(app: &TestApp, name: &str, seconds: u64) -> String {
    app.state
        .blobs
        .read_url(Container::VideoFrames, name, Duration::from_secs(seconds))
        .await
        .unwrap()
        .to_string()
}

async fn get(app: &TestApp, url: &str) -> reqwest::Response {
    app.client.get(url).send().await.expect("request")
}

#[tokio::test]
async fn a_read_url_gets_exactly_its_thumbnail_as_a_jpeg_cached_privately_until_it_expires() {
    let app = app_with_frame().await;
    let url = read_url(&app, FRAME, 600).await;
    let local_host = app.api.trim_end_matches("/api");
    assert!(
        url.starts_with(&format!(
            "{local_host}/blobs/video-frames/demo/clip-1/frame-0002.jpg?se="
        )),
        "{url}"
    );
    let response = get(&app, &url).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["content-length"], "12");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    // The URL's expiry is in whole seconds, so a second may have turned since it was signed.
    let cache = headers["cache-control"].to_str().unwrap();
    assert!(
        ["private, max-age=600", "private, max-age=599"].contains(&cache),
        "{cache}"
    );
    assert_eq!(response.bytes().await.unwrap(), thumbnail());

    // A URL for a thumbnail that was never written finds nothing.
    let missing = read_url(&app, "demo/clip-1/frame-0099.jpg", 600).await;
    let detail = problem(get(&app, &missing).await, 404).await;
    assert_eq!(detail, "the blob does not exist");
    app.stop().await;
}

#[tokio::test]
async fn a_read_url_cannot_write_and_a_write_url_cannot_read() {
    let app = app_with_frame().await;
    let url = read_url(&app, FRAME, 600).await;
    let put = app
        .client
        .put(&url)
        .header("x-ms-blob-type", "BlockBlob")
        .body("overwritten")
        .send()
        .await
        .unwrap();
    let detail = problem(put, 403).await;
    assert_eq!(detail, "this container is not open to this kind of URL");
    let stored = std::fs::read(app.blob_root().join("video-frames").join(FRAME)).unwrap();
    assert_eq!(stored, thumbnail());

    // A video's upload URL, once the video is there, does not read it back…
    let video = "demo/clip-1.mp4";
    let upload = app
        .state
        .blobs
        .upload_url(Container::Videos, video, Duration::from_secs(600))
        .await
        .unwrap();
    std::fs::create_dir_all(app.blob_root().join("videos/demo")).unwrap();
    std::fs::write(app.blob_root().join("videos").join(video), b"mp4").unwrap();
    let detail = problem(get(&app, upload.as_str()).await, 403).await;
    assert_eq!(detail, "this container is not open to this kind of URL");
    // …nor, pointed at a thumbnail, that thumbnail: the signature covers the method.
    let redirected = upload.as_str().replace(
        "/blobs/videos/demo/clip-1.mp4",
        &format!("/blobs/video-frames/{FRAME}"),
    );
    let detail = problem(get(&app, &redirected).await, 403).await;
    assert_eq!(detail, "the URL's signature is not valid");
    app.stop().await;
}

#[tokio::test]
async fn a_tampered_redirected_or_expired_read_url_is_refused_with_403() {
    let app = app_with_frame().await;
    app.state
        .blobs
        .write(
            Container::VideoFrames,
            "demo/clip-1/frame-0003.jpg",
            thumbnail(),
        )
        .await
        .unwrap();
    let url = read_url(&app, FRAME, 600).await;
    let (head, sig) = url.split_once("sig=").unwrap();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    let tampered = format!("{head}sig={flipped}{}", &sig[1..]);
    let later = url.replacen("se=", "se=9", 1);
    let other_frame = url.replace("frame-0002.jpg", "frame-0003.jpg");
    let other_tenant = url.replace("/video-frames/demo/", "/video-frames/acme/");
    let unsigned = head.trim_end_matches('&').to_owned();
    for bad in [&tampered, &later, &other_frame, &other_tenant, &unsigned] {
        let detail = problem(get(&app, bad).await, 403).await;
        assert_eq!(detail, "the URL's signature is not valid", "{bad}");
    }

    let short = read_url(&app, FRAME, 1).await;
    assert_eq!(get(&app, &short).await.status(), 200);
    // The URL's expiry is in whole seconds of the wall clock the local host reads.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let detail = problem(get(&app, &short).await, 403).await;
    assert_eq!(detail, "the URL has expired");
    app.stop().await;
}

#[tokio::test]
async fn a_read_url_never_serves_a_hidden_staging_file() {
    let app = TestApp::spawn().await;
    let staging = "demo/clip-1/.upload-1.tmp";
    let folder = app.blob_root().join("video-frames/demo/clip-1");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(".upload-1.tmp"), b"half a frame").unwrap();
    let url = read_url(&app, staging, 600).await;
    let detail = problem(get(&app, &url).await, 400).await;
    assert_eq!(detail, "the blob name is not a clean path");
    // A folder is not a blob either.
    let folder_url = read_url(&app, "demo/clip-1", 600).await;
    problem(get(&app, &folder_url).await, 404).await;
    app.stop().await;
}
