//! Round trips over the captured-shape payloads in `tests/fixtures/`: each decodes into the
//! typed view a handler uses, and the host-side encoder rebuilds the very same JSON from it.
//! Together they pin the wire format in both directions.

// Helpers outside #[test] functions unwrap too: a panic is a failed test with its backtrace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Map, Value};
use shared::protocol::host::{self, ServiceBusDelivery, Sys};
use shared::protocol::{
    BlobCreatedEvent, HttpResponse, InvocationRequest, InvocationResponse, parse_host_time,
};

fn fixture_text(name: &str) -> String {
    let path = format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fixture(name: &str) -> (Value, InvocationRequest) {
    let text = fixture_text(name);
    let value: Value = serde_json::from_str(&text).unwrap();
    let request = InvocationRequest::from_slice(text.as_bytes()).unwrap();
    (value, request)
}

fn sys_of(request: &InvocationRequest) -> Sys {
    let sys = request.metadata["sys"].as_object().unwrap();
    Sys {
        method_name: sys["MethodName"].as_str().unwrap().to_owned(),
        utc_now: parse_host_time(sys["UtcNow"].as_str().unwrap()).unwrap(),
        rand_guid: sys["RandGuid"].as_str().unwrap().to_owned(),
    }
}

fn as_value(request: &InvocationRequest) -> Value {
    serde_json::to_value(request).unwrap()
}

#[test]
fn an_http_get_decodes_to_its_request_and_encodes_back_identically() {
    let (raw, request) = fixture("http-get-products.json");
    let http = request.http("req").unwrap();
    assert_eq!(http.method, "GET");
    assert_eq!(http.param("sku"), Some("TS-001"));
    assert_eq!(http.query("limit"), Some("2"));
    assert_eq!(http.header("X-API-KEY"), Some("local-dev-key"));
    assert_eq!(
        http.body, None,
        "a GET without Content-Length has no Body key"
    );
    let rebuilt = host::http_invocation("req", &http, &sys_of(&request));
    assert_eq!(as_value(&rebuilt), raw);
}

#[test]
fn an_http_post_puts_body_query_and_route_values_into_metadata_double_encoded() {
    let (raw, request) = fixture("http-post-json.json");
    let http = request.http("req").unwrap();
    assert!(http.body.as_deref().unwrap().starts_with("{\"kind\""));
    assert_eq!(
        request.metadata["kind"],
        Value::String("\"products\"".into())
    );
    assert!(
        !request.metadata.contains_key("items"),
        "arrays are not binding data"
    );
    let rebuilt = host::http_invocation("req", &http, &sys_of(&request));
    assert_eq!(as_value(&rebuilt), raw);
}

#[test]
fn an_octet_stream_body_arrives_as_base64() {
    let (raw, request) = fixture("http-post-octet-stream.json");
    let http = request.http("req").unwrap();
    assert_eq!(http.body_bytes().unwrap().unwrap(), b"hello");
    let rebuilt = host::http_invocation("req", &http, &sys_of(&request));
    assert_eq!(as_value(&rebuilt), raw);
}

#[test]
fn timer_infos_with_and_without_a_monitor_round_trip() {
    for name in ["timer.json", "timer-without-monitor.json"] {
        let (raw, request) = fixture(name);
        let timer = request.timer("timer").unwrap();
        assert!(timer.schedule.adjust_for_dst);
        let rebuilt = host::timer_invocation("timer", &timer, &sys_of(&request));
        assert_eq!(as_value(&rebuilt), raw, "{name}");
    }
    let (_, request) = fixture("timer-without-monitor.json");
    assert!(request.timer("timer").unwrap().schedule_status.is_none());
}

fn delivery_of(request: &InvocationRequest) -> ServiceBusDelivery {
    let message = request.service_bus("message").unwrap();
    let client = request.metadata["Client"].as_object().unwrap();
    ServiceBusDelivery {
        body: message.body.clone(),
        message_id: message.message_id.clone().unwrap(),
        delivery_count: message.delivery_count,
        sequence_number: message.sequence_number.unwrap(),
        lock_token: message.lock_token.clone().unwrap(),
        content_type: message.content_type.clone(),
        enqueued_time: message.enqueued_time.unwrap(),
        expires_at: message.expires_at.unwrap(),
        application_properties: message.application_properties.clone(),
        namespace: client["FullyQualifiedNamespace"]
            .as_str()
            .unwrap()
            .to_owned(),
    }
}

#[test]
fn a_service_bus_message_decodes_its_double_encoded_body_and_encodes_back_identically() {
    let (raw, request) = fixture("service-bus-enrich.json");
    let message = request.service_bus("message").unwrap();
    assert_eq!(
        message.body,
        r#"{"tenant":"demo","sku":"TS-001","content_hash":"9f2c"}"#
    );
    assert_eq!(message.delivery_count, 1);
    assert_eq!(message.sequence_number, Some(5));
    let rebuilt =
        host::service_bus_invocation("message", &delivery_of(&request), &sys_of(&request));
    assert_eq!(as_value(&rebuilt), raw);
}

#[test]
fn a_single_encoded_service_bus_body_reads_the_same_as_a_double_encoded_one() {
    let (_, double) = fixture("service-bus-enrich.json");
    let (_, single) = fixture("service-bus-single-encoded.json");
    let a = double.service_bus("message").unwrap();
    let b = single.service_bus("message").unwrap();
    assert_eq!(a.body, b.body);
    assert_eq!(b.delivery_count, 3);
}

#[test]
fn a_blob_created_event_travels_inside_a_service_bus_message() {
    let (raw, request) = fixture("service-bus-blob-created.json");
    let message = request.service_bus("message").unwrap();
    let event = BlobCreatedEvent::from_message(&message, "message").unwrap();
    assert_eq!(event.location(), Some(("ingest", "demo/products.csv")));
    assert_eq!(event.data.e_tag, "\"0x8D4BCC2E4835CD0\"");
    assert_eq!(event.data.content_length, 52428);
    let body: Value = serde_json::from_str(&message.body).unwrap();
    assert_eq!(serde_json::to_value(&event).unwrap(), body);
    let rebuilt =
        host::service_bus_invocation("message", &delivery_of(&request), &sys_of(&request));
    assert_eq!(as_value(&rebuilt), raw);
}

#[test]
fn a_response_with_an_http_output_and_several_messages_has_the_host_shape() {
    let raw: Value =
        serde_json::from_str(&fixture_text("response-http-and-messages.json")).unwrap();
    let parsed: InvocationResponse = serde_json::from_value(raw.clone()).unwrap();
    let http: HttpResponse = serde_json::from_value(parsed.outputs["res"].clone()).unwrap();
    let messages: Vec<Map<String, Value>> =
        serde_json::from_value(parsed.outputs["enrich"].clone()).unwrap();
    let rebuilt = InvocationResponse::empty()
        .with_http("res", http)
        .with_messages("enrich", &messages)
        .unwrap()
        .log("accepted 2 products");
    assert_eq!(serde_json::to_value(rebuilt).unwrap(), raw);
}
