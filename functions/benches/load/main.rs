//! Start-up and load: `cargo bench -p functions --bench load [-- OPTIONS]`.
//!
//! Runs the release `advisor` executable, as the Functions host and as apps meet it:
//!
//! - **start-to-ready**: starts it `--starts` times (default 20), each on a fresh data
//!   directory, and times spawn → first answer: the handler alone as the Functions host starts
//!   it (`FUNCTIONS_CUSTOMHANDLER_PORT`, the embedded adapters, `GET /` — the port the host
//!   waits for), then the whole local app (`advisor serve`, `GET /api/health` through the local
//!   host), and the handler again on one data directory that its first start migrated (what
//!   the migrations cost). Target (issue 9): handler median ≤ 20 ms.
//! - **load**: one local app with `samples/products.csv` dropped into its ingest folder, its
//!   ingestion and enrichment finished, then `GET /api/products` (a page of 50) and
//!   `GET /api/products/{sku}` (every SKU in turn) through the local host, each at `--rate`
//!   requests/s (default 500) for `--seconds` (default 30) after `--warmup` seconds (default 5)
//!   at the same rate. Target: p99 ≤ 5 ms.
//!
//! The load is open-loop: a pacer thread schedules request *i* at `start + i / rate` whatever
//! the answers do, and each latency runs from that scheduled time, so a stall delays every
//! request scheduled behind it and shows in the percentiles instead of silently lowering the
//! rate (coordinated omission). The pacer's own worst lateness is printed: if it is large, the
//! driver, not the app, was the bottleneck. Client and app share the machine's cores.
//!
//! `--only startup` or `--only load` runs one part; e.g. a quick run:
//! `cargo bench -p functions --bench load -- --starts 5 --seconds 3 --warmup 1`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a benchmark: any failure should stop it loudly, with its cause"
)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use advisor::local_host::queue::QueueStore;
use advisor::local_host::queue_db_path;
use serde_json::Value;

mod driver;

/// The key that exists in local mode only.
const KEY: &str = "local-dev-key";
/// The sample feed: 240 rows, 234 of them good.
const SAMPLE_PRODUCTS: usize = 234;

fn main() {
    let options = Options::parse(std::env::args().skip(1));
    let app_root = app_root_copy();
    if options.only.as_deref() != Some("load") {
        startup(&options, app_root.path());
    }
    if options.only.as_deref() != Some("startup") {
        load(&options, app_root.path());
    }
}

/// What to run, from the command line (`cargo bench` adds `--bench`, which is ignored).
struct Options {
    starts: usize,
    rate: u32,
    seconds: u64,
    warmup: u64,
    only: Option<String>,
}

impl Options {
    fn parse(mut args: impl Iterator<Item = String>) -> Self {
        let mut options = Options {
            starts: 20,
            rate: 500,
            seconds: 30,
            warmup: 5,
            only: None,
        };
        while let Some(arg) = args.next() {
            let mut value = || args.next().unwrap_or_else(|| panic!("{arg} needs a value"));
            match arg.as_str() {
                "--starts" => options.starts = value().parse().unwrap(),
                "--rate" => options.rate = value().parse().unwrap(),
                "--seconds" => options.seconds = value().parse().unwrap(),
                "--warmup" => options.warmup = value().parse().unwrap(),
                "--only" => options.only = Some(value()),
                "--bench" => {}
                other => panic!(
                    "unknown argument {other}: use --starts N, --rate R, --seconds S, \
                     --warmup S, --only startup|load"
                ),
            }
        }
        assert!(options.rate > 0 && options.starts > 0 && options.seconds > 0);
        if let Some(only) = &options.only {
            assert!(only == "startup" || only == "load", "--only startup|load");
        }
        options
    }
}

/// A throwaway app root with `host.json` and every `function.json`, and nothing else: no
/// developer's `local.settings.json` can point the measured app at Azure.
fn app_root_copy() -> tempfile::TempDir {
    let repo = repo_root();
    let root = tempfile::tempdir().unwrap();
    std::fs::copy(repo.join("host.json"), root.path().join("host.json")).unwrap();
    for entry in std::fs::read_dir(repo.join("functions")).unwrap() {
        let definition = entry.unwrap().path().join("function.json");
        if definition.is_file() {
            let name = definition.parent().unwrap().file_name().unwrap();
            let folder = root.path().join("functions").join(name);
            std::fs::create_dir_all(&folder).unwrap();
            std::fs::copy(&definition, folder.join("function.json")).unwrap();
        }
    }
    root
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .into()
}

/// The executable under test, with nothing from this process's environment: only what a
/// measurement sets reaches it.
fn advisor(app_root: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_advisor"));
    command
        .env_clear()
        .current_dir(app_root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The handler alone, as the Functions host starts it, on a fresh data directory.
fn handler_command(app_root: &Path, data: &Path, port: u16) -> Command {
    let mut command = advisor(app_root);
    command
        .env("FUNCTIONS_CUSTOMHANDLER_PORT", port.to_string())
        .env("ADVISOR_SQLITE_PATH", data.join("advisor.db"))
        .env("ADVISOR_BLOB_DIR", data.join("blobs"));
    command
}

/// The whole local app (`advisor serve`) on a fresh data directory.
fn local_app_command(app_root: &Path, data: &Path, port: u16) -> Command {
    let mut command = advisor(app_root);
    command
        .arg("serve")
        .arg("--port")
        .arg(port.to_string())
        .arg("--data-dir")
        .arg(data)
        .arg("--app-root")
        .arg(app_root);
    command
}

fn startup(options: &Options, app_root: &Path) {
    println!(
        "start-to-ready, {} starts each on a fresh data dir:",
        options.starts
    );
    println!(
        "  {:<48} {:>8} {:>8} {:>8} {:>8}",
        "", "median", "p95", "min", "max"
    );
    let handler = time_starts(options.starts, 0, "/", |data, port| {
        handler_command(app_root, data, port)
    });
    print_starts("handler alone (host's port, GET /)", &handler);
    // The same, on one data dir migrated by the first start: what the migrations cost.
    let migrated = tempfile::tempdir().unwrap();
    let again = time_starts(options.starts, 1, "/", |_, port| {
        handler_command(app_root, migrated.path(), port)
    });
    print_starts("  the same, store already migrated", &again);
    let local = time_starts(options.starts, 0, "/api/health", |data, port| {
        local_app_command(app_root, data, port)
    });
    print_starts("local app (advisor serve, GET /api/health)", &local);
    println!(
        "  handler median {:.1} ms (target ≤ 20)\n",
        millis(percentile(&handler, 50.0))
    );
}

fn print_starts(name: &str, times: &[Duration]) {
    println!(
        "  {name:<48} {:>5.1} ms {:>5.1} ms {:>5.1} ms {:>5.1} ms",
        millis(percentile(times, 50.0)),
        millis(percentile(times, 95.0)),
        millis(times[0]),
        millis(times[times.len() - 1]),
    );
}

/// Starts `count` processes one after another; returns their spawn → first 200 times, sorted
/// after leaving out the first `skip`.
fn time_starts(
    count: usize,
    skip: usize,
    path: &str,
    command: impl Fn(&Path, u16) -> Command,
) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..count + skip)
        .map(|_| {
            let data = tempfile::tempdir().unwrap();
            let port = free_port();
            let mut command = command(data.path(), port);
            let started = Instant::now();
            let mut child = command.spawn().unwrap();
            let ready = wait_ready(&mut child, port, path, started);
            child.kill().unwrap();
            child.wait().unwrap();
            ready
        })
        .skip(skip)
        .collect();
    times.sort();
    times
}

/// Polls `path` every 200 µs until it answers 200; the time since `started`.
fn wait_ready(child: &mut Child, port: u16, path: &str, started: Instant) -> Duration {
    loop {
        if raw_get_status(port, path) == Some(200) {
            return started.elapsed();
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("advisor exited before it was ready: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not ready in 30 s"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// One HTTP/1.1 GET on a fresh connection, with no client library to warm up: the status.
fn raw_get_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// A port free a moment ago (the app binds it itself, as under the Functions host).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile of sorted `values`.
fn percentile(values: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * values.len() as f64).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

fn load(options: &Options, app_root: &Path) {
    let data = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut app = local_app_command(app_root, data.path(), port)
        .stderr(std::fs::File::create(data.path().join("app.log")).unwrap())
        .spawn()
        .unwrap();
    wait_ready(&mut app, port, "/api/health", Instant::now());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let api = format!("http://127.0.0.1:{port}/api");
    let skus = runtime.block_on(seed(&client, &api, data.path()));
    let list = vec![format!("{api}/products")];
    let gets: Vec<String> = skus.iter().map(|s| format!("{api}/products/{s}")).collect();
    println!(
        "load through the local host, {} req/s for {} s after {} s warm-up ({} products):",
        options.rate,
        options.seconds,
        options.warmup,
        skus.len()
    );
    for (name, urls) in [
        ("GET /api/products (page of 50)", &list),
        ("GET /api/products/{sku}", &gets),
    ] {
        let pacer = driver::Pacer::new(&runtime, &client, KEY);
        pacer.run(urls, options.rate, options.warmup);
        let phase = pacer.run(urls, options.rate, options.seconds);
        phase.print(name);
    }
    app.kill().unwrap();
    app.wait().unwrap();
}

/// Drops the sample feed into the app's ingest folder and waits until it has landed, every
/// product is enriched and the queues are empty, so that only the load runs. The SKUs.
async fn seed(client: &reqwest::Client, api: &str, data: &Path) -> Vec<String> {
    let drop = data.join("blobs").join("ingest").join("demo");
    std::fs::create_dir_all(&drop).unwrap();
    std::fs::copy(
        repo_root().join("samples").join("products.csv"),
        drop.join("products.csv"),
    )
    .unwrap();
    let started = Instant::now();
    loop {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the sample feed did not land and enrich in 2 minutes"
        );
        let products = list_all(client, api).await;
        let enriched = products
            .iter()
            .filter(|p| !p["enrichment"].is_null())
            .count();
        if products.len() == SAMPLE_PRODUCTS && enriched == SAMPLE_PRODUCTS && queues_empty(data) {
            return products
                .iter()
                .map(|p| p["sku"].as_str().unwrap().to_owned())
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every product of the demo tenant, page by page.
async fn list_all(client: &reqwest::Client, api: &str) -> Vec<Value> {
    let mut products = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut request = client
            .get(format!("{api}/products"))
            .header("x-api-key", KEY)
            .query(&[("limit", "200")]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let page: Value = request.send().await.unwrap().json().await.unwrap();
        products.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return products,
        }
    }
}

/// Whether no queue holds a message, delivered or waiting.
fn queues_empty(data: &Path) -> bool {
    let queues = QueueStore::open(&queue_db_path(data)).unwrap();
    queues
        .depths(chrono::Utc::now())
        .unwrap()
        .iter()
        .all(|d| d.active == 0 && d.locked == 0)
}
