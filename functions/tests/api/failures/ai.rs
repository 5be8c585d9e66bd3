//! The AI provider stalling past its timeout or answering nonsense, through `EnrichProduct`
//! and `AnalyzeVideo`: a stall is transient (the delivery fails, nothing is saved, the next
//! delivery gets the answer); a 200 that is not a usable answer (plain text, an answer cut
//! off at the token limit, the wrong shape) is a permanent outcome recorded with its reason,
//! answered 2xx and never asked again.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Handler, blob_created, body_json, request, service_bus};
use crate::mock_openai::{MockOpenAi, Reply, good_answer};
use crate::videos::{fixture, review_answer};

const TITLE: &str = "ACME ORGANIC COTTON TEE - NAVY BLUE";

/// The handler with `mock` as its provider: one attempt per request, a one-second timeout.
async fn with_provider(mock: &MockOpenAi) -> Handler {
    let base = format!("{}/v1", mock.url);
    Handler::start(&[
        ("OPENAI_BASE_URL", base.as_str()),
        ("OPENAI_MODEL", "gpt-4o-mini"),
        ("ADVISOR_AI_MAX_RETRIES", "0"),
        ("ADVISOR_AI_TIMEOUT_SECONDS", "1"),
    ])
    .await
}

async fn put_tee(h: &Handler, sku: &str) {
    let body =
        json!({"title": TITLE, "description": "Soft tee in organic cotton.", "brand": "Acme"});
    let mut put = request("PUT", &format!("products/{sku}"), Some(body));
    put.params.insert("sku".into(), sku.into());
    let res = h.http("Products", &put).await;
    assert_eq!(res["statusCode"], "201", "{res}");
}

fn enrich(sku: &str, delivery: u32) -> Value {
    let body = json!({"tenant": "demo", "sku": sku, "content_hash": "x"}).to_string();
    service_bus("EnrichProduct", &body, &format!("enrich-{sku}"), delivery)
}

#[tokio::test]
async fn an_enrichment_whose_provider_stalls_past_the_timeout_is_retried_and_saved_once_answered() {
    let mock = MockOpenAi::start(good_answer()).await;
    mock.script([Reply::Stall(Duration::from_secs(3))]);
    let h = with_provider(&mock).await;
    put_tee(&h, "TEE-1").await;

    let (status, _) = h.invoke("EnrichProduct", &enrich("TEE-1", 1)).await;
    assert_eq!(status, 503, "the host retries the message");
    assert_eq!(h.product("TEE-1").await.unwrap()["enrichment"], Value::Null);
    h.assert_healthy().await;

    let (status, _) = h.invoke("EnrichProduct", &enrich("TEE-1", 2)).await;
    assert_eq!(status, 200);
    let tee = h.product("TEE-1").await.unwrap();
    assert_eq!(tee["enrichment"]["generated_by"], "openai", "{tee}");
    assert_eq!(
        tee["enrichment"]["title"],
        "Acme Organic Cotton Tee – Navy Blue"
    );
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn nonsense_answers_are_kept_as_offline_fallbacks_with_the_reason_and_never_asked_again() {
    let mock = MockOpenAi::start(good_answer()).await;
    mock.script([
        Reply::Text("Sure! A better title would be: Acme Tee".into()),
        Reply::Truncated(r#"{"title": "Acme Organic Cotton Tee – Navy Bl"#.into()),
        Reply::Answer(json!({"title": 42, "tags": "tee"})),
    ]);
    let h = with_provider(&mock).await;
    let skus = ["TEE-1", "TEE-2", "TEE-3"];
    let mut reasons = Vec::new();
    for sku in skus {
        put_tee(&h, sku).await;
        let (status, result) = h.invoke("EnrichProduct", &enrich(sku, 1)).await;
        assert_eq!(
            status, 200,
            "{sku}: a permanent outcome is not retried: {result}"
        );
        let enrichment = h.product(sku).await.unwrap()["enrichment"].clone();
        assert_eq!(enrichment["generated_by"], "offline", "{enrichment}");
        assert_eq!(enrichment["title"], "Acme Organic Cotton Tee - Navy Blue");
        reasons.push(
            enrichment["provenance"]["fallback_reason"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert_eq!(
        reasons,
        [
            "the answer does not match the schema: expected value at line 1 column 1",
            "the answer was cut off at the token limit",
            "the answer does not match the schema: invalid type: string \"tee\", expected a sequence at line 1 column 13",
        ]
    );

    // Delivered again (the host or a person replaying them), they ask the model nothing.
    for sku in skus {
        let (status, _) = h.invoke("EnrichProduct", &enrich(sku, 2)).await;
        assert_eq!(status, 200);
    }
    assert_eq!(mock.seen().len(), 3);
    h.assert_healthy().await;
}

#[tokio::test]
async fn a_200_that_is_not_a_completion_fails_the_message_like_a_misconfigured_endpoint() {
    let mock = MockOpenAi::start(good_answer()).await;
    mock.script([Reply::Page("<html><body>Sign in to continue</body></html>")]);
    let h = with_provider(&mock).await;
    put_tee(&h, "TEE-1").await;

    // Not this product's fault and not worth an offline stand-in cached for every product:
    // the message fails, so the queue retries it and in the end dead-letters it where an
    // operator looks, as for a request the provider rejects.
    let (status, _) = h.invoke("EnrichProduct", &enrich("TEE-1", 1)).await;
    assert_eq!(status, 503);
    assert_eq!(h.product("TEE-1").await.unwrap()["enrichment"], Value::Null);
    h.assert_healthy().await;

    let (status, _) = h.invoke("EnrichProduct", &enrich("TEE-1", 2)).await;
    assert_eq!(status, 200);
    let tee = h.product("TEE-1").await.unwrap();
    assert_eq!(tee["enrichment"]["generated_by"], "openai", "{tee}");
}

/// Drops the fixture clip as `videos/demo/clip.mp4`; its BlobCreated invocation.
fn drop_clip(h: &Handler) -> Value {
    let clip = fixture("h264_1080x1920_aac.mp4");
    let path = h.data.path().join("blobs/videos/demo/clip.mp4");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, &clip).unwrap();
    blob_created(
        "AnalyzeVideo",
        "videos",
        "demo/clip.mp4",
        "\"0x1\"",
        clip.len() as u64,
        "video-1",
    )
}

/// The dev tenant's only video, in full.
async fn the_video(h: &Handler) -> Value {
    let mut list = request("GET", "videos", None);
    list.query.insert("limit".into(), "200".into());
    let page = body_json(&h.http("Videos", &list).await);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    let id = items[0]["id"].as_str().unwrap();
    let mut get = request("GET", &format!("videos/{id}"), None);
    get.params.insert("id".into(), id.into());
    body_json(&h.http("Videos", &get).await)
}

#[tokio::test]
async fn a_video_review_that_stalls_past_the_timeout_is_retried_and_the_video_reviewed_once_answered()
 {
    let mock = MockOpenAi::start(review_answer()).await;
    mock.script([Reply::Stall(Duration::from_secs(3))]);
    let h = with_provider(&mock).await;
    let event = drop_clip(&h);

    let (status, _) = h.invoke("AnalyzeVideo", &event).await;
    assert_eq!(status, 503, "the host retries the video");
    let video = the_video(&h).await;
    assert_eq!(
        video["status"], "analyzing",
        "not recorded as reviewed or failed: {video}"
    );
    h.assert_healthy().await;

    let (status, _) = h.invoke("AnalyzeVideo", &event).await;
    assert_eq!(status, 200);
    let video = the_video(&h).await;
    assert_eq!(video["status"], "analyzed");
    assert_eq!(video["review"]["status"], "reviewed", "{}", video["review"]);
    assert_eq!(video["keyframes"].as_array().unwrap().len(), 3);
    assert_eq!(mock.seen().len(), 2);
}

#[tokio::test]
async fn a_video_whose_review_still_stalls_on_its_last_waiting_delivery_keeps_its_analysis_without_one()
 {
    let mock = MockOpenAi::start(review_answer()).await;
    mock.script([Reply::Stall(Duration::from_secs(3))]);
    let h = with_provider(&mock).await;
    let mut event = drop_clip(&h);
    let last = shared::video::analyze::REVIEW_DELIVERIES;
    event["Metadata"]["DeliveryCount"] = json!(last.to_string());

    let (status, _) = h.invoke("AnalyzeVideo", &event).await;
    assert_eq!(
        status, 200,
        "not dead-lettered without its technical analysis"
    );
    let video = the_video(&h).await;
    assert_eq!(video["status"], "analyzed");
    assert_eq!(
        (
            video["review"]["status"].clone(),
            video["review"]["reason"].clone()
        ),
        (
            json!("not_reviewed"),
            json!("the AI provider is unavailable: the request timed out")
        )
    );
    assert_eq!(video["keyframes"].as_array().unwrap().len(), 3);
    h.assert_healthy().await;
}

#[tokio::test]
async fn a_video_review_cut_off_at_the_token_limit_is_recorded_as_not_reviewed_and_not_asked_again()
{
    let mock = MockOpenAi::start(review_answer()).await;
    mock.script([Reply::Truncated(
        r#"{"shown": {"value": "A test pat"#.into(),
    )]);
    let h = with_provider(&mock).await;
    let event = drop_clip(&h);

    let (status, _) = h.invoke("AnalyzeVideo", &event).await;
    assert_eq!(status, 200, "a permanent outcome is not retried");
    let video = the_video(&h).await;
    assert_eq!(video["status"], "analyzed");
    assert_eq!(video["review"]["status"], "not_reviewed");
    assert_eq!(
        video["review"]["reason"],
        "the model's answer was cut off at the token limit"
    );
    assert_eq!(
        video["keyframes"].as_array().unwrap().len(),
        3,
        "the technical analysis is kept"
    );

    let (status, _) = h.invoke("AnalyzeVideo", &event).await;
    assert_eq!(status, 200);
    assert_eq!(mock.seen().len(), 1, "the same video is not reviewed again");
    h.assert_healthy().await;
}

/// `POST /api/ask` with `question`: the answer's body.
async fn ask(h: &Handler, question: &str) -> Value {
    let post = request("POST", "ask", Some(json!({"question": question})));
    let res = h.http("Ask", &post).await;
    assert_eq!(res["statusCode"], "200", "{res}");
    body_json(&res)
}

#[tokio::test]
async fn ask_answers_offline_saying_why_when_the_provider_stalls_or_is_cut_off() {
    let mock = MockOpenAi::start(good_answer()).await;
    // The stalled request's own answer comes too late to be read.
    mock.script([
        Reply::Stall(Duration::from_secs(3)),
        Reply::Text("too late".into()),
        Reply::Truncated("In Q2 you sold EUR".into()),
    ]);
    let h = with_provider(&mock).await;
    let mut notes = Vec::new();
    for _ in 0..2 {
        let answer = ask(&h, "What were our sales in Q2?").await;
        assert_eq!(
            (answer["engine"].clone(), answer["answered"].clone()),
            (json!("offline"), json!(true)),
            "{answer}"
        );
        notes.push(answer["notes"][0].clone());
    }
    assert_eq!(
        notes,
        [
            "answered offline because the AI provider is unavailable: the request timed out",
            "answered offline because the model's answer was cut off at the token limit"
        ]
    );
    assert_eq!(mock.seen().len(), 2);
    h.assert_healthy().await;
}
