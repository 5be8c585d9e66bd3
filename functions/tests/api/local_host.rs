//! The local host's delivery semantics, against a test handler that speaks the protocol:
//! redelivery, dead-lettering and replay, timers on an injected clock, HTTP routes and output
//! bindings.

use std::path::Path;
use std::sync::{Arc, Mutex};

use advisor::local_host::LocalHost;
use advisor::local_host::clock::{Clock, ManualClock, SystemClock};
use advisor::local_host::queue::NewMessage;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use shared::protocol::InvocationRequest;

use crate::helpers::{eventually, start_local_host};

type Behaviour = Arc<dyn Fn(u32, &InvocationRequest) -> (StatusCode, Value) + Send + Sync>;

/// A handler that records every invocation and answers as `behaviour` says.
#[derive(Clone)]
struct TestHandler {
    calls: Arc<Mutex<Vec<(String, InvocationRequest)>>>,
    behaviour: Behaviour,
}

impl TestHandler {
    async fn spawn(behaviour: Behaviour) -> (Self, String) {
        let handler = Self {
            calls: Arc::default(),
            behaviour,
        };
        let app = Router::new()
            .route("/{function}", post(invoke))
            .with_state(handler.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (handler, url)
    }

    fn calls(&self) -> Vec<(String, InvocationRequest)> {
        self.calls.lock().expect("calls").clone()
    }
}

async fn invoke(
    State(handler): State<TestHandler>,
    UrlPath(function): UrlPath<String>,
    body: axum::body::Bytes,
) -> impl IntoResponse {
    let request = InvocationRequest::from_slice(&body).expect("the local host sends the protocol");
    let count = {
        let mut calls = handler.calls.lock().expect("calls");
        calls.push((function, request.clone()));
        calls.len() as u32
    };
    let (status, body) = (handler.behaviour)(count, &request);
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
}

/// An app root with `host.json` and the given `functions/<Name>/function.json` files.
fn app_root(functions: &[(&str, Value)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("temp");
    std::fs::write(root.path().join("host.json"), r#"{"version": "2.0"}"#).expect("host.json");
    for (name, json) in functions {
        let dir = root.path().join("functions").join(name);
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("function.json"), json.to_string()).expect("function.json");
    }
    root
}

fn queue_function(queue: &str) -> Value {
    json!({"bindings": [{"type": "serviceBusTrigger", "direction": "in", "name": "message", "queueName": queue}]})
}

async fn host_for(root: &Path, data: &Path, url: &str, clock: Arc<dyn Clock>) -> LocalHost {
    start_local_host(root, data, url, clock).await
}

fn delivery_count(request: &InvocationRequest) -> u32 {
    request
        .service_bus("message")
        .expect("a Service Bus invocation")
        .delivery_count
}

#[tokio::test]
async fn a_handler_that_fails_transiently_gets_the_message_again_and_succeeds() {
    let root = app_root(&[("Flaky", queue_function("work"))]);
    let data = tempfile::tempdir().expect("temp");
    let (handler, url) = TestHandler::spawn(Arc::new(|count, _| {
        if count < 3 {
            (StatusCode::SERVICE_UNAVAILABLE, json!({}))
        } else {
            (StatusCode::OK, json!({}))
        }
    }))
    .await;
    let host = host_for(root.path(), data.path(), &url, Arc::new(SystemClock)).await;
    host.queues()
        .send_batch("work", vec![NewMessage::new(r#"{"job":1}"#)])
        .await
        .expect("send");
    eventually(20, "three deliveries", || async {
        (handler.calls().len() >= 3).then_some(())
    })
    .await;
    eventually(20, "the message completed", || async {
        let depth = host
            .queues()
            .depths()
            .await
            .ok()?
            .into_iter()
            .find(|d| d.queue == "work")?;
        (depth.active + depth.locked + depth.dead_lettered == 0).then_some(())
    })
    .await;
    let counts: Vec<u32> = handler
        .calls()
        .iter()
        .map(|(_, r)| delivery_count(r))
        .collect();
    assert_eq!(counts, vec![1, 2, 3]);
    let message = handler.calls()[0]
        .1
        .service_bus("message")
        .expect("message");
    assert_eq!(
        message.body, r#"{"job":1}"#,
        "the body arrives double-encoded and decodes back"
    );
    host.shutdown().await;
}

#[tokio::test]
async fn a_handler_that_always_fails_gets_its_message_dead_lettered_after_ten_deliveries_and_replay_brings_it_back()
 {
    let root = app_root(&[("Doomed", queue_function("doomed"))]);
    let data = tempfile::tempdir().expect("temp");
    let healed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&healed);
    let (handler, url) = TestHandler::spawn(Arc::new(move |_, _| {
        if flag.load(std::sync::atomic::Ordering::SeqCst) {
            (StatusCode::OK, json!({}))
        } else {
            (StatusCode::INTERNAL_SERVER_ERROR, json!({"error": "boom"}))
        }
    }))
    .await;
    let host = host_for(root.path(), data.path(), &url, Arc::new(SystemClock)).await;
    host.queues()
        .send_batch("doomed", vec![NewMessage::new("poison")])
        .await
        .expect("send");
    let depth = eventually(30, "the message dead-lettered", || async {
        let depth = host
            .queues()
            .depths()
            .await
            .ok()?
            .into_iter()
            .find(|d| d.queue == "doomed")?;
        (depth.dead_lettered == 1).then_some(depth)
    })
    .await;
    assert_eq!((depth.active, depth.locked), (0, 0));
    let counts: Vec<u32> = handler
        .calls()
        .iter()
        .map(|(_, r)| delivery_count(r))
        .collect();
    assert_eq!(
        counts,
        (1..=10).collect::<Vec<u32>>(),
        "delivered exactly MaxDeliveryCount times"
    );

    healed.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        host.queues()
            .replay_dead_letters("doomed")
            .await
            .expect("replay"),
        1
    );
    eventually(
        20,
        "the replayed message delivered and completed",
        || async {
            let depth = host
                .queues()
                .depths()
                .await
                .ok()?
                .into_iter()
                .find(|d| d.queue == "doomed")?;
            (handler.calls().len() == 11 && depth.active + depth.locked + depth.dead_lettered == 0)
                .then_some(())
        },
    )
    .await;
    assert_eq!(
        delivery_count(&handler.calls()[10].1),
        1,
        "a replayed message starts counting again"
    );
    host.shutdown().await;
}

/// 2024-05-01 at `h:m:s` UTC.
fn at(h: u32, m: u32, s: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, h, m, s)
        .single()
        .expect("time")
}

#[tokio::test]
async fn a_timer_fires_on_its_schedule_with_the_host_s_timer_info() {
    let root = app_root(&[(
        "Tick",
        json!({"bindings": [{"type": "timerTrigger", "direction": "in", "name": "timer", "schedule": "0 */5 * * * *"}]}),
    )]);
    let data = tempfile::tempdir().expect("temp");
    let (handler, url) = TestHandler::spawn(Arc::new(|_, _| (StatusCode::OK, json!({})))).await;
    let clock = Arc::new(ManualClock::new(at(10, 2, 30)));
    let host = host_for(root.path(), data.path(), &url, clock.clone()).await;

    eventually(10, "the timer waiting", || async {
        (clock.sleepers() == 1).then_some(())
    })
    .await;
    assert!(handler.calls().is_empty(), "nothing fires before its time");
    clock.set(at(10, 5, 0));
    eventually(10, "the first occurrence", || async {
        (handler.calls().len() == 1).then_some(())
    })
    .await;
    eventually(10, "the timer waiting again", || async {
        (clock.sleepers() == 1).then_some(())
    })
    .await;
    clock.set(at(10, 10, 0));
    eventually(10, "the second occurrence", || async {
        (handler.calls().len() == 2).then_some(())
    })
    .await;

    let calls = handler.calls();
    assert!(calls.iter().all(|(function, _)| function == "Tick"));
    let first = calls[0].1.timer("timer").expect("timer info");
    let second = calls[1].1.timer("timer").expect("timer info");
    let status = second
        .schedule_status
        .expect("the monitor is on for a five-minute schedule");
    assert_eq!(status.last, at(10, 5, 0));
    assert_eq!(status.next, at(10, 15, 0));
    assert!(first.schedule.adjust_for_dst && !first.is_past_due);
    host.shutdown().await;
}

#[tokio::test]
async fn the_admin_call_runs_a_timer_function_now_and_refuses_any_other() {
    let root = app_root(&[
        (
            "Tick",
            json!({"bindings": [{"type": "timerTrigger", "direction": "in", "name": "timer", "schedule": "0 0 3 * * *"}]}),
        ),
        ("Work", queue_function("work")),
    ]);
    let data = tempfile::tempdir().expect("temp");
    let (handler, url) = TestHandler::spawn(Arc::new(|_, _| (StatusCode::OK, json!({})))).await;
    let clock = Arc::new(ManualClock::new(at(10, 2, 30)));
    let host = host_for(root.path(), data.path(), &url, clock.clone()).await;
    let admin = |name: &str| {
        reqwest::Client::new()
            .post(format!("http://{}/admin/functions/{name}", host.addr()))
            .json(&json!({"input": ""}))
            .send()
    };
    let accepted = admin("tick").await.expect("answer");
    assert_eq!(accepted.status(), 202);
    eventually(10, "the timer run", || async {
        (handler.calls().len() == 1).then_some(())
    })
    .await;
    let (function, request) = &handler.calls()[0];
    assert_eq!(function, "Tick");
    assert!(!request.timer("timer").expect("timer info").is_past_due);
    let refused = admin("Work").await.expect("answer");
    assert_eq!(refused.status(), 404);
    let problem: serde_json::Value = refused.json().await.expect("problem");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("queue-triggered"),
        "{problem}"
    );
    assert_eq!(handler.calls().len(), 1, "nothing else ran");
    host.shutdown().await;
}

#[tokio::test]
async fn a_disabled_function_s_trigger_never_starts_yet_the_admin_call_runs_it() {
    let timer = |schedule: &str| json!({"bindings": [{"type": "timerTrigger", "direction": "in", "name": "timer", "schedule": schedule}]});
    let http = json!({"bindings": [
        {"type": "httpTrigger", "direction": "in", "name": "req", "methods": ["get"], "route": "hello"},
        {"type": "http", "direction": "out", "name": "res"}
    ]});
    // Each disabled function has an enabled twin, so "nothing happened" is measured against
    // something that did.
    let root = app_root(&[
        ("Tick", timer("0 */5 * * * *")),
        ("Tock", timer("0 */5 * * * *")),
        ("Work", queue_function("work")),
        ("Other", queue_function("other")),
        ("Hello", http),
    ]);
    let data = tempfile::tempdir().expect("temp");
    let (handler, url) = TestHandler::spawn(Arc::new(|_, _| {
        (
            StatusCode::OK,
            json!({"Outputs": {"res": {"statusCode": "200", "body": "hi"}}}),
        )
    }))
    .await;
    let clock = Arc::new(ManualClock::new(at(10, 2, 30)));
    let mut config =
        crate::helpers::local_host_config(root.path(), data.path(), &url, clock.clone());
    config.disabled = ["Tick", "Work", "Hello"].map(str::to_owned).into();
    let host = LocalHost::start(config).await.expect("local host");
    let ran = |name: &str| handler.calls().iter().filter(|(f, _)| f == name).count();

    eventually(10, "Tock's timer waiting, and only it", || async {
        (clock.sleepers() == 1).then_some(())
    })
    .await;
    clock.set(at(10, 5, 0));
    for queue in ["work", "other"] {
        host.queues()
            .send_batch(queue, vec![NewMessage::new("{}")])
            .await
            .expect("send");
    }
    eventually(10, "Tock fired and Other delivered", || async {
        (ran("Tock") == 1 && ran("Other") == 1).then_some(())
    })
    .await;
    let hello = reqwest::get(format!("http://{}/api/hello", host.addr()))
        .await
        .expect("answer");
    assert_eq!(
        hello.status(),
        404,
        "a disabled HTTP function is not routed"
    );
    let depths = host.queues().depths().await.expect("depths");
    let work = depths.iter().find(|d| d.queue == "work").expect("work");
    assert_eq!(work.active, 1, "Work's message waits for it: {depths:?}");
    assert_eq!((ran("Tick"), ran("Work"), ran("Hello")), (0, 0, 0));

    let accepted = reqwest::Client::new()
        .post(format!("http://{}/admin/functions/Tick", host.addr()))
        .json(&json!({"input": ""}))
        .send()
        .await
        .expect("answer");
    assert_eq!(accepted.status(), 202);
    eventually(10, "the admin call ran Tick", || async {
        (ran("Tick") == 1).then_some(())
    })
    .await;
    host.shutdown().await;
}

#[tokio::test]
async fn an_http_trigger_gets_the_host_s_request_shape_and_its_outputs_are_carried_out() {
    let root = app_root(&[(
        "Echo",
        json!({"bindings": [
            {"type": "httpTrigger", "direction": "in", "name": "req", "methods": ["post"], "route": "echo/{id}"},
            {"type": "http", "direction": "out", "name": "res"},
            {"type": "serviceBus", "direction": "out", "name": "out", "queueName": "echoed"},
            {"type": "blob", "direction": "out", "name": "copy", "path": "ingest-reports/echo/{id}.json"}
        ]}),
    )]);
    let data = tempfile::tempdir().expect("temp");
    let (handler, url) = TestHandler::spawn(Arc::new(|_, _| {
        (StatusCode::OK, json!({"Outputs": {
            "res": {"statusCode": "201", "headers": {"Content-Type": "application/json"}, "body": "{\"ok\":true}"},
            "out": [{"n": 1}, {"n": 2}],
            "copy": {"saved": true}
        }}))
    }))
    .await;
    let host = host_for(root.path(), data.path(), &url, Arc::new(SystemClock)).await;
    let client = reqwest::Client::new();
    let response = client
        .post(format!("http://{}/api/echo/42?x=1&x=2", host.addr()))
        .header("content-type", "application/json")
        .body(r#"{"hello":"world"}"#)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 201);
    assert_eq!(response.text().await.expect("body"), "{\"ok\":true}");

    let (function, request) = handler.calls().remove(0);
    assert_eq!(function, "Echo");
    let http = request.http("req").expect("http");
    assert_eq!(http.param("id"), Some("42"));
    assert_eq!(http.query("x"), Some("1,2"));
    assert_eq!(http.body.as_deref(), Some(r#"{"hello":"world"}"#));
    assert_eq!(
        request.metadata["hello"],
        json!("\"world\""),
        "body properties arrive double-encoded"
    );
    assert_eq!(request.metadata["id"], json!("\"42\""));
    let depth = host
        .queues()
        .depths()
        .await
        .expect("depths")
        .into_iter()
        .find(|d| d.queue == "echoed")
        .expect("queue");
    assert_eq!(
        depth.active, 2,
        "an array output is one message per element"
    );
    let copy = std::fs::read_to_string(data.path().join("blobs/ingest-reports/echo/42.json"))
        .expect("blob output");
    assert_eq!(copy, r#"{"saved":true}"#);

    let wrong_method = client
        .get(format!("http://{}/api/echo/42", host.addr()))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_method.status(), 405);
    let no_route = client
        .get(format!("http://{}/api/nothing", host.addr()))
        .send()
        .await
        .expect("request");
    assert_eq!(no_route.status(), 404);
    host.shutdown().await;
}

#[tokio::test]
async fn an_unknown_binding_stops_the_local_host_at_start_naming_it() {
    let root = app_root(&[(
        "Odd",
        json!({"bindings": [{"type": "cosmosDBTrigger", "direction": "in", "name": "docs"}]}),
    )]);
    let data = tempfile::tempdir().expect("temp");
    let error = advisor::local_host::LocalHost::start(advisor::local_host::LocalHostConfig {
        app_root: root.path().to_owned(),
        data_dir: data.path().to_owned(),
        blob_root: data.path().join("blobs"),
        listen: "127.0.0.1:0".parse().expect("addr"),
        handler_url: "http://127.0.0.1:1".into(),
        clock: Arc::new(SystemClock),
        timing: crate::helpers::fast_timing(),
        upload_signer: None,
        disabled: Default::default(),
    })
    .await
    .expect_err("an unknown binding is refused");
    assert!(error.to_string().contains("cosmosDBTrigger"), "{error}");
}
