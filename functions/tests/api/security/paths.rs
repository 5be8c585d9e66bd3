//! Path traversal in blob names: `../`, `..%2F`, absolute paths and backslashes, in upload
//! file names, in feed profiles and mapping names, and in the local host's signed blob routes
//! (sent raw, so no client tidies the path first). Every one is refused and nothing is
//! written outside the tenant's folder or read from outside the blob root.

use std::path::Path;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use serde_json::json;
use shared::blobs::Container;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{DEV, call, call_as};
use crate::helpers::TestApp;

/// Every file under `root`, relative to it.
fn files_under(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else {
                found.push(
                    path.strip_prefix(root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn traversal_in_upload_names_profiles_and_mapping_names_is_refused() {
    let app = TestApp::spawn().await;
    let before = files_under(&app.blob_root());
    for filename in [
        "..",
        "../../advisor.db",
        "..%2F..%2Fescape.csv",
        "/etc/passwd",
        "C:\\escape.csv",
        "..\\..\\escape.csv",
        "x.csv/..",
        "escape.csv\u{0}.mp4",
    ] {
        for kind in ["products", "video"] {
            let body = json!({"filename": filename, "kind": kind}).to_string();
            let answer = call(&app, Method::POST, "/uploads", Some(DEV), Some(body)).await;
            let detail = answer.problem(400);
            assert!(detail.contains("filename"), "{filename:?}: {detail}");
        }
    }
    let profile = "a mapping profile name is 1 to 64 lowercase letters";
    for (query, said) in [
        ("kind=products&profile=..%2F..%2Facme", profile),
        ("kind=products&profile=%2Fetc", profile),
        ("kind=products&profile=..%5C..%5Cacme", profile),
        (
            "kind=..%2F..%2Facme",
            "kind must be products, inventory or orders",
        ),
    ] {
        let path = format!("/ingest?{query}");
        let answer = call_as(
            &app,
            Method::POST,
            &path,
            Some(DEV),
            "text/csv",
            Some("sku,title\nX-1,X\n".into()),
        )
        .await;
        let detail = answer.problem(400);
        assert!(detail.starts_with(said), "{query}: {detail}");
    }
    for name in [
        "..%2F..%2Fescape",
        "..%5Cescape",
        "%2Fetc%2Fpasswd",
        "UPPER",
    ] {
        let path = format!("/ingest/mappings/{name}");
        let answer = call(&app, Method::PUT, &path, Some(DEV), Some("{}".into())).await;
        let detail = answer.problem(400);
        assert!(detail.contains("name"), "{name}: {detail}");
    }
    assert_eq!(files_under(&app.blob_root()), before, "nothing was written");
    assert!(!app.blob_root().join("acme").exists());
    assert!(!app.blob_root().join("ingest/acme").exists());
    app.stop().await;
}

/// What the local host answers a URL whose path is not the one signed.
const SIGNATURE: &str = r#"{"detail":"the URL's signature is not valid","status":403,"title":"Forbidden","type":"about:blank"}"#;

/// Sends `method target` raw to the local host (no URL normalisation) with a small body;
/// returns the status and the body.
async fn raw(app: &TestApp, method: &str, target: &str) -> (u16, String) {
    let authority = app
        .api
        .trim_start_matches("http://")
        .trim_end_matches("/api");
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {authority}\r\nx-ms-blob-type: BlockBlob\r\n\
         content-length: 7\r\nconnection: close\r\n\r\nescaped"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn traversal_in_the_local_blob_routes_is_refused_and_nothing_escapes() {
    let app = TestApp::spawn().await;
    let frame = "demo/clip/frame-0001.jpg";
    let jpeg = Bytes::from_static(&[0xFF, 0xD8, 0xFF, 0xD9]);
    app.state
        .blobs
        .write(Container::VideoFrames, frame, jpeg)
        .await
        .unwrap();
    let ttl = Duration::from_secs(600);
    // The app never signs a name that climbs, nor writes one.
    for name in [
        "demo/../../advisor.db",
        "../escape.csv",
        "/etc/passwd",
        "demo/./x.csv",
    ] {
        assert!(
            app.state
                .blobs
                .upload_url(Container::Ingest, name, ttl)
                .await
                .is_err(),
            "{name}"
        );
        assert!(
            app.state
                .blobs
                .read_url(Container::VideoFrames, name, ttl)
                .await
                .is_err(),
            "{name}"
        );
        let written = app
            .state
            .blobs
            .write(Container::Ingest, name, Bytes::from_static(b"x"))
            .await;
        assert!(written.is_err(), "{name}");
    }
    let upload = app
        .state
        .blobs
        .upload_url(Container::Ingest, "demo/products/a.csv", ttl)
        .await
        .unwrap();
    let read = app
        .state
        .blobs
        .read_url(Container::VideoFrames, frame, ttl)
        .await
        .unwrap();
    let (upload_query, read_query) = (upload.query().unwrap(), read.query().unwrap());
    let before = files_under(&app.blob_root());
    for blob in [
        "demo/products/../../../advisor.db",
        "demo/products/..%2F..%2F..%2Fadvisor.db",
        "demo%2Fproducts%2F..%2F..%2F..%2Fescape.csv",
        "%2Fetc%2Fpasswd",
        "demo/products/..%5C..%5C..%5Cescape.csv",
        "demo/products/%2e%2e/%2e%2e/escape.csv",
    ] {
        let (status, body) =
            raw(&app, "PUT", &format!("/blobs/ingest/{blob}?{upload_query}")).await;
        assert_eq!((status, body.as_str()), (403, SIGNATURE), "PUT {blob}");
        let (status, body) = raw(
            &app,
            "GET",
            &format!("/blobs/video-frames/{blob}?{read_query}"),
        )
        .await;
        assert_eq!((status, body.as_str()), (403, SIGNATURE), "GET {blob}");
        assert!(
            !body.contains("SQLite format"),
            "GET {blob} read the database"
        );
    }
    assert_eq!(files_under(&app.blob_root()), before, "nothing was written");
    for escaped in ["escape.csv", "blobs/escape.csv", "blobs/ingest/escape.csv"] {
        assert!(!app.data_dir.path().join(escaped).exists(), "{escaped}");
    }
    let database = std::fs::read(app.data_dir.path().join("advisor.db")).unwrap();
    assert!(
        !database.starts_with(b"escaped"),
        "the database was overwritten"
    );
    app.stop().await;
}
