//! A local server that speaks the OpenAI chat-completions wire format (and Azure OpenAI's
//! deployment-scoped path): it records every request and answers from a script, then with a
//! default answer. Replies follow the documented shapes: a `chat.completion` object with
//! `choices[].message.{content, refusal}`, `finish_reason` and `usage`; errors as
//! `{"error": {"message", "type", "param", "code"}}`.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path_and_query: String,
    pub headers: HeaderMap,
    pub body: Value,
    pub at: Instant,
}

/// What the server answers.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A completion whose message content is `content` serialised.
    Answer(Value),
    /// A completion whose message is a refusal.
    Refusal(String),
    /// An error status with extra headers.
    Error(u16, Vec<(&'static str, String)>),
    /// A 400 with this error `code`, as OpenAI and Azure send for a request they refuse.
    BadRequest(&'static str),
    /// Waits, then answers as the next reply would.
    Stall(Duration),
    /// A completion whose message content is this plain text.
    Text(String),
    /// A completion cut off at the token limit: this partial content, `finish_reason: length`.
    Truncated(String),
    /// A 200 whose body is this HTML page, not a completion (a proxy's or a website's).
    Page(&'static str),
    /// A completion that calls function tools: (call id, tool name, arguments as sent).
    ToolCalls(Vec<(&'static str, &'static str, String)>),
}

#[derive(Default)]
struct Script {
    seen: Vec<Seen>,
    replies: VecDeque<Reply>,
    default: Option<Value>,
}

/// The running mock.
#[derive(Clone)]
pub struct MockOpenAi {
    pub url: String,
    script: Arc<Mutex<Script>>,
}

impl MockOpenAi {
    /// Starts on a free port; unscripted requests get `default` as the answer.
    pub async fn start(default: Value) -> Self {
        let script = Arc::new(Mutex::new(Script {
            default: Some(default),
            ..Script::default()
        }));
        let app = Router::new()
            .route("/{*path}", post(handle))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind mock");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, script }
    }

    /// Answers the next requests with `replies`, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.script.lock().unwrap().replies.extend(replies);
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }
}

async fn handle(
    State(script): State<Arc<Mutex<Script>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let mut stall = Duration::ZERO;
    let reply = loop {
        let mut script = script.lock().unwrap();
        if stall == Duration::ZERO {
            script.seen.push(Seen {
                path_and_query: uri.to_string(),
                headers: headers.clone(),
                body: body.clone(),
                at: Instant::now(),
            });
        }
        match script.replies.pop_front() {
            Some(Reply::Stall(d)) => stall += d,
            Some(reply) => break reply,
            None => break Reply::Answer(script.default.clone().unwrap_or(Value::Null)),
        }
    };
    if stall > Duration::ZERO {
        tokio::time::sleep(stall).await;
    }
    let model = body["model"].as_str().unwrap_or("unknown").to_owned();
    match reply {
        Reply::Answer(content) => completion(&model, Some(content.to_string()), None),
        Reply::Refusal(text) => completion(&model, None, Some(text)),
        Reply::Text(text) => completion(&model, Some(text), None),
        Reply::Truncated(text) => truncated(&model, text),
        Reply::Page(html) => ([("content-type", "text/html")], html).into_response(),
        Reply::ToolCalls(calls) => tool_calls(&model, &calls),
        Reply::Error(status, extra) => {
            let status = StatusCode::from_u16(status).expect("status");
            let kind = if status.as_u16() == 429 {
                "rate_limit_error"
            } else {
                "server_error"
            };
            let mut response = (
                status,
                axum::Json(json!({"error": {
                    "message": format!("mock says {status}"),
                    "type": kind, "param": null, "code": null}})),
            )
                .into_response();
            for (name, value) in extra {
                response
                    .headers_mut()
                    .insert(name, value.parse().expect("header value"));
            }
            response
        }
        Reply::BadRequest(code) => (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": {
                "message": format!("mock refuses: {code}"),
                "type": "invalid_request_error", "param": null, "code": code}})),
        )
            .into_response(),
        Reply::Stall(_) => unreachable!("stalls are consumed above"),
    }
}

fn completion(model: &str, content: Option<String>, refusal: Option<String>) -> Response {
    axum::Json(json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1_733_000_000,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": refusal},
            "finish_reason": "stop",
            "logprobs": null
        }],
        "usage": {"prompt_tokens": 600, "completion_tokens": 250, "total_tokens": 850}
    }))
    .into_response()
}

/// A completion the token limit cut off, as OpenAI sends it: the partial content and
/// `finish_reason` `length`.
fn truncated(model: &str, content: String) -> Response {
    axum::Json(json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1_733_000_000,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "finish_reason": "length",
            "logprobs": null
        }],
        "usage": {"prompt_tokens": 600, "completion_tokens": 1200, "total_tokens": 1800}
    }))
    .into_response()
}

/// A completion whose assistant message calls tools, as OpenAI sends it: no content,
/// `tool_calls[].function.arguments` as a JSON string, `finish_reason` `tool_calls`.
fn tool_calls(model: &str, calls: &[(&'static str, &'static str, String)]) -> Response {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, arguments)| {
            json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}})
        })
        .collect();
    axum::Json(json!({
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": 1_733_000_000,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": null, "refusal": null, "tool_calls": calls},
            "finish_reason": "tool_calls",
            "logprobs": null
        }],
        "usage": {"prompt_tokens": 600, "completion_tokens": 250, "total_tokens": 850}
    }))
    .into_response()
}

/// A good answer for the product "ACME ORGANIC COTTON TEE - NAVY BLUE".
pub fn good_answer() -> Value {
    json!({
        "title": "Acme Organic Cotton Tee – Navy Blue",
        "description_html": "<p>A soft tee in organic cotton.</p>",
        "category": {"path": "Apparel & Accessories > Clothing > Clothing Tops", "confidence": 0.92},
        "attributes": [
            {"name": "color", "value": "navy blue", "source": "NAVY BLUE"},
            {"name": "material", "value": "organic cotton", "source": "ORGANIC COTTON"}
        ],
        "tags": ["tee", "organic cotton", "navy"],
        "seo_title": "Acme Organic Cotton Tee in Navy Blue",
        "meta_description": "A soft tee in organic cotton, in navy blue.",
        "quality": {"score": 72, "reasons": [{"code": "description_short", "message": "Say more."}]},
        "flags": []
    })
}
