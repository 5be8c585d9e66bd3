//! The work of each trigger kind: its setup, how it is delivered (and delivered again), the
//! crash points that matter to it, when it is done, and the mocks whose calls are counted.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use shared::sync::shopify::mock::{MockShopify, MockShopifyOptions, ProductEdit};

use super::advisor::{Advisor, Launch};
use super::state;
use crate::helpers::app_root;
use crate::mock_openai::{MockOpenAi, good_answer};

const KEY: &str = "local-dev-key";
const TENANT: &str = "demo";
/// Feed and video files get this modification time, so their ETags (made of it) are the same
/// in every run and the runs' states compare.
const FILE_TIME: Duration = Duration::from_secs(1_767_225_600);
/// The tenant's daily token budget; the timer kind's setup spends it all first.
const DAILY_TOKENS: u64 = 1_000_000;

/// A trigger kind under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Two feeds dropped in the blob folder (products, and stock over three batches), with
    /// the enrichment messages the products fan out.
    FeedUpload,
    /// Product PUTs, each retried until answered, and the enrichment they queue.
    HttpWrite,
    /// A Shopify products job over the shop the setup pulled, after the merchant renamed 40 of
    /// its products: a pull of three pages that updates them, then the push of the setup's
    /// enrichment of all 130.
    SyncJob,
    /// A clip dropped in the blob folder: facts, thumbnails, AI review.
    VideoUpload,
    /// The timers, fired again and again: `ResumeEnrichment` once the tenant's spent token
    /// budget has room again (it queues every waiting product), and the analytics rollup.
    Timer,
}

/// Outbound calls seen by the mocks, per item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calls {
    /// AI requests by what they were about (a hash of the masked prompt).
    pub ai: BTreeMap<String, u32>,
    /// Shopify `productUpdate`s by product.
    pub pushes: BTreeMap<String, u32>,
}

impl Calls {
    /// These calls less an earlier count (the setup's).
    pub fn minus(&self, before: &Calls) -> Calls {
        let less = |now: &BTreeMap<String, u32>, then: &BTreeMap<String, u32>| {
            now.iter()
                .map(|(k, n)| (k.clone(), n - then.get(k).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        Calls {
            ai: less(&self.ai, &before.ai),
            pushes: less(&self.pushes, &before.pushes),
        }
    }
}

/// The outside world of one run: an OpenAI-compatible provider and, for sync, a shop.
pub struct Mocks {
    openai: MockOpenAi,
    shopify: Option<MockShopify>,
}

impl Mocks {
    /// Fresh mocks with the same content for every run of `kind`.
    pub async fn start(kind: Kind) -> Self {
        let openai = MockOpenAi::start(good_answer()).await;
        let shopify = match kind {
            Kind::SyncJob => {
                let shop = MockShopify::start(MockShopifyOptions::default()).await;
                shop.seed_products(130, 1);
                Some(shop)
            }
            _ => None,
        };
        Self { openai, shopify }
    }

    /// How the app reaches them. `ScheduleSync` is off: it fires on the wall clock's
    /// five-minute marks, so whether a run made a scheduled job beside the work's (and what that
    /// job pulled before the work's pull, or pushed before its push) would depend on when the
    /// run happened, not on what it was given. A sync job's redelivery is the work's own.
    pub fn launch(&self) -> Launch {
        let env = [
            ("OPENAI_BASE_URL", format!("{}/v1", self.openai.url)),
            ("OPENAI_API_KEY", "sk-test".to_owned()),
            ("OPENAI_MODEL", "gpt-4o-mini".to_owned()),
            ("ADVISOR_AI_DAILY_TOKENS", DAILY_TOKENS.to_string()),
            ("AzureWebJobs.ScheduleSync.Disabled", "true".to_owned()),
        ];
        Launch {
            env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
        }
    }

    /// Every call so far.
    pub fn calls(&self) -> Calls {
        let mut calls = Calls::default();
        for seen in self.openai.seen() {
            let prompt = state::masked(&seen.body["messages"].to_string());
            let mut hasher = DefaultHasher::new();
            prompt.hash(&mut hasher);
            *calls
                .ai
                .entry(format!("{:016x}", hasher.finish()))
                .or_default() += 1;
        }
        if let Some(shop) = &self.shopify {
            for update in shop.updates() {
                let id = update["id"].as_str().unwrap_or_default().to_owned();
                *calls.pushes.entry(id).or_default() += 1;
            }
        }
        calls
    }
}

impl Kind {
    /// Crash points at which this kind's work is left pending.
    pub fn first_crashes(self) -> &'static [&'static str] {
        match self {
            Kind::FeedUpload => &[
                "watcher.raised",
                "ingest.batch_committed",
                "host.after_handler/IngestPartnerFile",
                "host.after_outputs/IngestPartnerFile",
            ],
            Kind::HttpWrite => &["host.after_handler/Products", "host.after_outputs/Products"],
            Kind::SyncJob => &[
                "host.after_outputs/ConnectionActions",
                "sync.page_committed",
                "sync.pushed",
                "host.after_handler/SyncPlatform",
            ],
            Kind::VideoUpload => &[
                "watcher.raised",
                "video.thumbnails_written",
                "host.after_handler/AnalyzeVideo",
            ],
            Kind::Timer => &[
                "host.after_handler/ResumeEnrichment",
                "host.after_outputs/ResumeEnrichment",
                "host.after_handler/RollupAnalytics",
            ],
        }
    }

    /// Every crash point this kind's work passes.
    pub fn crashes(self) -> &'static [&'static str] {
        match self {
            Kind::FeedUpload => &[
                "ingest.batch_committed",
                "host.after_outputs/IngestPartnerFile",
                "enrich.answered",
                "host.after_handler/EnrichProduct",
                "host.after_outputs/EnrichProduct",
            ],
            Kind::HttpWrite => &[
                "host.after_handler/Products",
                "host.after_outputs/Products",
                "enrich.answered",
                "host.after_outputs/EnrichProduct",
            ],
            Kind::SyncJob => &[
                "sync.page_committed",
                "sync.pushed",
                "host.after_handler/SyncPlatform",
                "host.after_outputs/SyncPlatform",
            ],
            Kind::VideoUpload => &[
                "video.thumbnails_written",
                "video.reviewed",
                "host.after_handler/AnalyzeVideo",
                "host.after_outputs/AnalyzeVideo",
            ],
            Kind::Timer => &[
                "host.after_handler/ResumeEnrichment",
                "host.after_outputs/ResumeEnrichment",
                "enrich.answered",
                "host.after_outputs/EnrichProduct",
                "host.after_handler/RollupAnalytics",
            ],
        }
    }

    /// About how long the work keeps the process busy (random kills fall within it).
    pub fn busy_ms(self) -> u64 {
        match self {
            Kind::FeedUpload | Kind::SyncJob => 3000,
            Kind::VideoUpload => 4000,
            Kind::HttpWrite | Kind::Timer => 1000,
        }
    }

    /// Puts the app in the state the work starts from (the process runs, nothing crashes).
    pub async fn setup(self, app: &Advisor, mocks: &Mocks) {
        match self {
            Kind::SyncJob => {
                let shop = mocks.shopify.as_ref().expect("a shop");
                let body = json!({
                    "shop_domain": shop.shop_domain(),
                    "access_token": shop.token(),
                    "webhook_secret": "whsec-redelivery",
                    "base_url": shop.base_url(),
                    "objects": {
                        "products": {"direction": "both"},
                        "inventory": {"direction": "off"},
                        "orders": {"direction": "off"},
                    },
                });
                let put = request(
                    app,
                    reqwest::Method::PUT,
                    "/connections/shopify",
                    Some(body),
                );
                let put = put.await;
                let status = put.status();
                assert!(
                    status.is_success(),
                    "{status}: {}",
                    put.text().await.unwrap()
                );
                // The first pull brings the products in; their enrichment follows.
                start_products_sync(&app.api(), "setup").await;
            }
            Kind::Timer => {
                // Today's budget is spent: every product of the feed waits for it.
                state::execute(
                    &app.data_dir(),
                    &format!(
                        "INSERT INTO ai_token_usage (tenant_id, day, tokens) \
                         VALUES ('{TENANT}', date('now'), {DAILY_TOKENS})"
                    ),
                );
                drop_file(&app.blob_root(), "ingest", "products.csv", &products_feed());
                let orders = std::fs::read(app_root().join("samples/shopify-orders.csv"))
                    .expect("orders sample");
                drop_file(&app.blob_root(), "ingest", "orders.csv", &orders);
            }
            Kind::FeedUpload | Kind::HttpWrite | Kind::VideoUpload => {}
        }
    }

    /// With the process down: puts the work's files in place and raises their events
    /// `deliveries − 1` more times than the watcher will; for sync, the merchant's edits.
    pub fn stage(self, app: &Advisor, mocks: &Mocks, deliveries: u32) {
        // Only the sync kind has a shop.
        if let Some(shop) = &mocks.shopify {
            for (n, id) in shop.product_ids().iter().step_by(3).take(40).enumerate() {
                let edit = ProductEdit {
                    title: Some(format!("Renamed by the merchant {n}")),
                    ..ProductEdit::default()
                };
                shop.edit_product(id, edit).expect("a seeded product");
            }
        }
        let files: Vec<(&str, &str, Vec<u8>)> = match self {
            Kind::FeedUpload => vec![
                ("ingest", "products.csv", products_feed()),
                ("ingest", "stock.csv", stock_feed()),
            ],
            Kind::VideoUpload => vec![(
                "videos",
                "clip.mp4",
                std::fs::read(
                    app_root().join("shared/tests/fixtures/video/h264_1080x1920_aac.mp4"),
                )
                .expect("clip"),
            )],
            // An operator raises the budget (or the UTC day turns): the waiting products can go.
            Kind::Timer => {
                state::execute(&app.data_dir(), "UPDATE ai_token_usage SET tokens = 0");
                Vec::new()
            }
            _ => Vec::new(),
        };
        let root = app.blob_root();
        for (container, name, content) in files {
            drop_file(&root, container, name, &content);
            let blob = format!("{TENANT}/{name}");
            let (queue, message) =
                advisor::local_host::blob_created_message(&root, container, &blob).expect("event");
            let queues = advisor::local_host::queue::QueueStore::open(
                &advisor::local_host::queue_db_path(&app.data_dir()),
            )
            .expect("queues");
            let copies = (1..deliveries).map(|_| message.clone()).collect();
            queues
                .send_batch(queue, copies, chrono::Utc::now())
                .expect("send");
        }
    }

    /// The callers' side of the work, retried until answered, delivered `deliveries` times.
    pub fn spawn_work(self, app: &Advisor, deliveries: u32) -> tokio::task::JoinHandle<()> {
        let (api, base) = (app.api(), app.base());
        tokio::spawn(async move {
            for _ in 0..deliveries {
                match self {
                    Kind::HttpWrite => {
                        for n in 1..=8 {
                            put_product(&api, &format!("HW-{n}"), n).await;
                        }
                    }
                    Kind::SyncJob => start_products_sync(&api, "work").await,
                    Kind::Timer => fire_timers(&base).await,
                    Kind::FeedUpload | Kind::VideoUpload => {}
                }
            }
        })
    }

    /// After a restart: a timer run cut short is run again, as the schedule monitor runs a
    /// missed occurrence when the host comes back.
    pub fn after_restart(self, app: &Advisor) -> Option<tokio::task::JoinHandle<()>> {
        let base = app.base();
        (self == Kind::Timer).then(|| tokio::spawn(async move { fire_timers(&base).await }))
    }

    /// Whether the setup (`setup`) or the work has reached its end (besides empty queues).
    pub fn done(self, app: &Advisor, setup: bool) -> bool {
        let dir = app.data_dir();
        match self {
            Kind::FeedUpload | Kind::VideoUpload if setup => true,
            // The watcher's own event too, not only the copies sent before it.
            Kind::FeedUpload => {
                state::watcher_raised(&dir, "demo/stock.csv")
                    && state::watcher_raised(&dir, "demo/products.csv")
                    && state::count(
                        &dir,
                        "SELECT COUNT(*) FROM ingest_runs WHERE status != 'running'",
                    ) == 2
            }
            Kind::SyncJob => {
                state::count(
                    &dir,
                    "SELECT COUNT(*) FROM sync_jobs WHERE status NOT IN ('succeeded', 'failed')",
                ) == 0
            }
            Kind::VideoUpload => {
                state::watcher_raised(&dir, "demo/clip.mp4")
                    && state::count(
                        &dir,
                        "SELECT COUNT(*) FROM video_insights WHERE status != 'analyzing'",
                    ) == 1
            }
            Kind::Timer => {
                let waiting = state::count(
                    &dir,
                    "SELECT COUNT(*) FROM products AS p WHERE NOT EXISTS (SELECT 1 FROM \
                     enrichments AS e WHERE e.tenant_id = p.tenant_id AND e.sku = p.sku AND \
                     e.waiting_for_budget = 0)",
                );
                let products = state::count(&dir, "SELECT COUNT(*) FROM products");
                let runs = "SELECT COUNT(*) FROM ingest_runs WHERE status != 'running'";
                state::count(&dir, runs) == 2
                    && products > 0
                    && (if setup {
                        waiting == products
                    } else {
                        waiting == 0
                    })
            }
            Kind::HttpWrite => true,
        }
    }
}

/// Writes `ingest|videos/demo/{name}` beside and moves it in, with the fixed file time.
fn drop_file(root: &Path, container: &str, name: &str, content: &[u8]) {
    let target = root.join(container).join(TENANT).join(name);
    std::fs::create_dir_all(target.parent().expect("folder")).expect("folder");
    let staging = root.join(format!(".staging-{name}"));
    std::fs::write(&staging, content).expect("write");
    let file = std::fs::File::options()
        .write(true)
        .open(&staging)
        .expect("open");
    file.set_modified(SystemTime::UNIX_EPOCH + FILE_TIME)
        .expect("file time");
    drop(file);
    std::fs::rename(&staging, &target).expect("move");
}

/// The sample catalogue's first 24 products.
fn products_feed() -> Vec<u8> {
    let text = std::fs::read_to_string(app_root().join("samples/products.csv")).expect("sample");
    let lines: Vec<&str> = text.lines().take(25).collect();
    format!("{}\n", lines.join("\n")).into_bytes()
}

/// 4,500 stock levels (three batches of the ingest reader): 25 warehouses × 180 SKUs.
fn stock_feed() -> Vec<u8> {
    let mut text = String::from("SKU,Warehouse,Available,Updated At\n");
    for sku in 0..180 {
        for warehouse in 0..25 {
            let available = (sku * 7 + warehouse * 3) % 50;
            text.push_str(&format!(
                "STK-{sku:03},WH-{warehouse:02},{available},2026-01-01T06:00:00Z\n"
            ));
        }
    }
    text.into_bytes()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

fn request(
    app: &Advisor,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> impl std::future::Future<Output = reqwest::Response> {
    let mut builder = client()
        .request(method, format!("{}{path}", app.api()))
        .header("x-api-key", KEY);
    if let Some(body) = body {
        builder = builder.json(&body);
    }
    async move { builder.send().await.expect("request") }
}

/// Sends a request built by `build` until the app answers with anything but a 5xx (a dead
/// process answers nothing; one restarting may answer 503), as a careful client would.
async fn until_answered<F>(what: &str, mut build: F) -> reqwest::Response
where
    F: FnMut() -> reqwest::RequestBuilder,
{
    for _ in 0..600 {
        match build().send().await {
            Ok(response) if !response.status().is_server_error() => return response,
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("{what}: no answer in a minute");
}

/// Creates or rewrites product `sku` with the same content every time: a PUT made
/// conditional on the version the product has, if it has one (as the API asks).
async fn put_product(api: &str, sku: &str, n: u32) {
    let url = format!("{api}/products/{sku}");
    let body = json!({
        "title": format!("Harness Tee {n}"),
        "description": "A plain cotton tee.",
        "price": {"amount": format!("{n}.50"), "currency": "EUR"},
        "quantity": n * 3,
    });
    loop {
        let current = until_answered("GET product", || {
            client().get(&url).header("x-api-key", KEY)
        })
        .await;
        let etag = current
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let answer = until_answered("PUT product", || {
            let put = client().put(&url).header("x-api-key", KEY).json(&body);
            match &etag {
                Some(etag) => put.header("if-match", etag),
                None => put,
            }
        })
        .await;
        match answer.status().as_u16() {
            200 | 201 => return,
            // Another attempt's write got there between our GET and PUT: read and go again.
            412 | 428 => continue,
            other => panic!(
                "PUT {sku}: {other} {}",
                answer.text().await.unwrap_or_default()
            ),
        }
    }
}

/// Starts a products sync, the same request (same Idempotency-Key) until answered.
async fn start_products_sync(api: &str, key: &str) {
    let url = format!("{api}/connections/shopify/sync");
    let answer = until_answered("POST sync", || {
        client()
            .post(&url)
            .header("x-api-key", KEY)
            .header("idempotency-key", key)
            .json(&json!({"kinds": ["products"]}))
    })
    .await;
    assert!(
        answer.status().is_success(),
        "sync: {}",
        answer.text().await.unwrap_or_default()
    );
}

/// Runs the timer functions now through the host's admin call, each until it is accepted.
async fn fire_timers(base: &str) {
    for name in ["ResumeEnrichment", "RollupAnalytics"] {
        let url = format!("{base}/admin/functions/{name}");
        let answer = until_answered("admin run", || {
            client().post(&url).json(&json!({"input": ""}))
        })
        .await;
        assert_eq!(answer.status(), 202);
    }
}
