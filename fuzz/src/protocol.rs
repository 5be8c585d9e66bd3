//! Target `host_protocol`: a request body as the Functions host POSTs it, decoded the way the
//! handlers decode it — the invocation envelope, then the HTTP trigger (headers, route values,
//! query, base64 or text body), the timer payload, and the Service Bus message with the bodies
//! the queue handlers read out of it (enrichment requests, sync jobs, Event Grid blob events).

use serde_json::Value;
use shared::enrich::EnrichRequest;
use shared::protocol::{
    BlobCreatedEvent, InvocationRequest, decode_scalar, from_slice_at, parse_host_time,
};
use shared::sync::engine::SyncMessage;

/// Decodes `data` as an invocation request, every trigger the handlers read.
pub fn invocation(data: &[u8]) {
    let Ok(request) = InvocationRequest::from_slice(data) else {
        return;
    };
    for value in request.metadata.values() {
        if let Some(text) = decode_scalar(value) {
            let _ = parse_host_time(&text);
        }
    }
    http(&request);
    let _ = request.timer("timer");
    service_bus(&request);
}

/// The `req` binding as the HTTP handlers read it.
fn http(request: &InvocationRequest) {
    let Ok(http) = request.http("req") else {
        return;
    };
    let _ = http.header("content-type");
    let _ = http.header("authorization");
    let _ = http.param("tenant");
    let _ = http.query("cursor");
    let _ = http.body_is_base64();
    if let Ok(Some(body)) = http.body_bytes() {
        let _ = from_slice_at::<Value>(&body, "Data.req.Body");
    }
}

/// The `message` binding as the Service Bus handlers read it.
fn service_bus(request: &InvocationRequest) {
    let Ok(message) = request.service_bus("message") else {
        return;
    };
    if let Ok(event) = BlobCreatedEvent::from_message(&message, "message") {
        let _ = event.location();
    }
    let Ok(body) = message.json::<Value>("message") else {
        return;
    };
    if let Ok(work) = EnrichRequest::from_body(body.clone(), "Data.message(body)") {
        let _ = work.tenant();
        let _ = work.describe();
    }
    let _ = serde_json::from_value::<SyncMessage>(body);
}
