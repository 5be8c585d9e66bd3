//! The handler as the Functions host meets it: every function folder served, malformed
//! payloads refused with their JSON path, and the executable started alone under
//! `FUNCTIONS_CUSTOMHANDLER_PORT`.

use std::collections::BTreeSet;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use advisor::app::FUNCTIONS;
use serde_json::Value;

use crate::helpers::{TestApp, app_root, eventually};

#[test]
fn every_function_folder_has_a_handler_and_every_handler_a_folder() {
    let folders: BTreeSet<String> = std::fs::read_dir(app_root().join("functions"))
        .expect("functions dir")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.join("function.json").is_file())
        .filter_map(|path| path.file_name().and_then(|n| n.to_str()).map(str::to_owned))
        .collect();
    let handlers: BTreeSet<String> = FUNCTIONS.iter().map(|f| (*f).to_owned()).collect();
    assert_eq!(folders, handlers);
}

#[tokio::test]
async fn every_listed_function_is_routed_and_an_unknown_one_is_404() {
    let app = TestApp::spawn().await;
    for function in FUNCTIONS {
        let response = app
            .client
            .post(format!("{}/{function}", app.handler_url))
            .body(r#"{"Data":{},"Metadata":{}}"#)
            .send()
            .await
            .expect("request");
        assert_eq!(
            response.status(),
            400,
            "{function} is routed and names its missing binding"
        );
    }
    let response = app
        .client
        .post(format!("{}/Nope", app.handler_url))
        .body("{}")
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 404);
    app.stop().await;
}

#[tokio::test]
async fn a_malformed_invocation_gets_a_clear_400_and_the_process_lives_on() {
    let app = TestApp::spawn().await;
    for (body, path) in [
        ("not json", "$"),
        (r#"{"Data": [], "Metadata": {}}"#, "Data"),
        (
            r#"{"Data": {"req": {"Url": 5}}, "Metadata": {}}"#,
            "Data.req.Url",
        ),
        (
            r#"{"Data": {"req": {"Url": "u", "Method": "GET", "Headers": {"a": "not-an-array"}}}, "Metadata": {}}"#,
            "Data.req.Headers.a",
        ),
    ] {
        let response = app
            .client
            .post(format!("{}/Products", app.handler_url))
            .body(body)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(response.headers()["content-type"], "application/json");
        let error: Value = response.json().await.expect("json");
        assert!(
            error["error"]
                .as_str()
                .unwrap_or_default()
                .contains(&format!("`{path}`")),
            "{body}: {error}"
        );
    }
    let ready = app
        .client
        .get(format!("{}/", app.handler_url))
        .send()
        .await
        .expect("request");
    assert!(ready.status().is_success());
    app.stop().await;
}

/// The executable, started as the Functions host starts it.
struct Handler {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Handler {
    fn start(env: &[(&str, String)]) -> Child {
        let mut command = Command::new(env!("CARGO_BIN_EXE_advisor"));
        command
            .current_dir(app_root())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env_remove("RUST_LOG");
        for (name, value) in env {
            command.env(name, value);
        }
        command.spawn().expect("spawn advisor")
    }

    async fn spawn() -> Self {
        let data = tempfile::tempdir().expect("temp");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("port")
            .local_addr()
            .expect("addr")
            .port();
        let child = Self::start(&[
            ("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string()),
            (
                "ADVISOR_SQLITE_PATH",
                data.path().join("advisor.db").display().to_string(),
            ),
            (
                "ADVISOR_BLOB_DIR",
                data.path().join("blobs").display().to_string(),
            ),
        ]);
        let url = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        eventually(30, "the readiness probe", || async {
            client.get(format!("{url}/")).send().await.ok().map(|_| ())
        })
        .await;
        Self {
            child,
            url,
            _data: data,
        }
    }

    async fn invoke(&self, function: &str, fixture: &str) -> (u16, Value) {
        let body = std::fs::read_to_string(app_root().join("tests/fixtures").join(fixture))
            .expect("fixture");
        let response = reqwest::Client::new()
            .post(format!("{}/{function}", self.url))
            .header("content-type", "application/json; charset=utf-8")
            .body(body)
            .send()
            .await
            .expect("invoke");
        (
            response.status().as_u16(),
            response.json().await.expect("json"),
        )
    }
}

#[tokio::test]
async fn the_handler_alone_answers_the_host_s_payloads_and_has_no_dev_key() {
    let mut handler = Handler::spawn().await;
    let (status, products) = handler.invoke("Products", "http-get-products.json").await;
    assert_eq!(status, 200);
    assert_eq!(
        products["Outputs"]["res"]["statusCode"], "401",
        "the well-known key exists only in local mode"
    );
    let (status, enrich) = handler
        .invoke("EnrichProduct", "service-bus-enrich.json")
        .await;
    assert_eq!(status, 200, "{enrich}");
    let (status, ingest) = handler
        .invoke("IngestPartnerFile", "service-bus-blob-created.json")
        .await;
    assert_eq!(
        status, 200,
        "an unknown tenant's file is not retried: {ingest}"
    );
    assert!(
        ingest["Logs"][0]
            .as_str()
            .unwrap_or_default()
            .contains("unknown tenant")
    );

    // SIGTERM: the process stops cleanly.
    let pid = handler.child.id().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    let status = tokio::task::spawn_blocking(move || handler.child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn under_the_host_a_missing_setting_stops_start_up_and_is_named() {
    let child = Handler::start(&[("FUNCTIONS_CUSTOMHANDLER_PORT", "1".to_owned())]);
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await
    .expect("exits")
    .expect("join")
    .expect("output");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ADVISOR_SQLITE_PATH"), "{stderr}");
}

#[test]
fn advisor_queues_shows_dead_letters_and_replays_them() {
    use advisor::local_host::queue::{NewMessage, QueueStore};
    let data = tempfile::tempdir().unwrap();
    let store = QueueStore::open(&advisor::local_host::queue_db_path(data.path())).unwrap();
    store.set_max_delivery_count("enrich", 1).unwrap();
    store
        .send(
            "enrich",
            NewMessage::new("{\"sku\":\"A\"}"),
            chrono::Utc::now(),
        )
        .unwrap();
    let message = store
        .receive("enrich", Duration::from_secs(60), chrono::Utc::now())
        .unwrap()
        .unwrap();
    assert!(
        store
            .abandon(&message.lock_token, chrono::Utc::now())
            .unwrap()
    );

    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_advisor"))
            .args(args)
            .arg("--data-dir")
            .arg(data.path())
            .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let listing = run(&["queues"]);
    assert!(
        listing
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["enrich", "0", "0", "1"]),
        "{listing}"
    );
    assert!(listing.contains("MaxDeliveryCountExceeded"), "{listing}");
    assert!(
        run(&["queues", "replay", "enrich"]).starts_with("1 dead-lettered message(s) put back")
    );
    let depth = store
        .depths(chrono::Utc::now())
        .unwrap()
        .into_iter()
        .find(|d| d.queue == "enrich")
        .unwrap();
    assert_eq!((depth.active, depth.dead_lettered), (1, 0));
}

#[test]
fn advisor_migrate_applies_each_migration_once() {
    let data = tempfile::tempdir().unwrap();
    let migrate = || {
        let output = Command::new(env!("CARGO_BIN_EXE_advisor"))
            .args(["migrate", "--data-dir"])
            .arg(data.path())
            .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    assert!(migrate().contains(": 12 migration(s) applied"));
    assert!(migrate().contains(": 0 migration(s) applied"));
    assert!(data.path().join("advisor.db").exists());
}

#[tokio::test]
async fn advisor_keys_create_makes_the_tenant_and_a_key_shown_once_with_its_scopes() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_advisor"))
        .args(["keys", "create", "--tenant", "acme", "--name", "bootstrap"])
        .args(["--scopes", "admin,read", "--data-dir"])
        .arg(data.path())
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let key = stdout
        .split_whitespace()
        .find(|word| word.starts_with("adv_"))
        .unwrap();
    let store = shared::store::sqlite::SqliteStore::open(&data.path().join("advisor.db")).unwrap();
    let hash = shared::auth::hash_api_key(key);
    let found = shared::store::Store::key_for_hash(&store, &hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.tenant.as_str(), "acme");
    assert_eq!(
        found.scopes,
        [shared::auth::Scope::Read, shared::auth::Scope::Admin]
    );
}

#[test]
fn advisor_ingest_runs_a_file_through_the_pipeline_once_and_queues_its_enrichment() {
    let data = tempfile::tempdir().unwrap();
    let feed = concat!(env!("CARGO_MANIFEST_DIR"), "/../samples/products.csv");
    let ingest = || {
        let output = Command::new(env!("CARGO_BIN_EXE_advisor"))
            .args(["ingest", feed, "--tenant", "demo", "--data-dir"])
            .arg(data.path())
            .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let first = ingest();
    assert!(first.contains("succeeded 240 rows"), "{first}");
    assert!(first.contains("234 inserted"), "{first}");
    assert!(first.contains("6 rejected"), "{first}");
    assert!(
        first.contains("1 enrichment message(s) queued"),
        "234 products in one range of up to 1000: {first}"
    );
    assert!(
        data.path()
            .join("blobs/ingest-reports/demo/products.rejected.csv")
            .exists()
    );
    let again = ingest();
    assert!(again.contains("ingested before"), "{again}");
    let unknown = Command::new(env!("CARGO_BIN_EXE_advisor"))
        .args(["ingest", feed, "--tenant", "nobody", "--data-dir"])
        .arg(data.path())
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("unknown tenant"));
}
