//! API10 unsafe consumption of APIs: a shop or an AI provider that answers malformed JSON, or
//! JSON of the wrong shape, is an error the caller is told about (or an offline fallback), never
//! a crash, a hang or data taken on trust.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use reqwest::Method;
use serde_json::json;

use super::{DEV, call, put_shopify, test_shopify};
use crate::helpers::TestApp;

/// A server on loopback answering every request `200 application/json` with `body`.
async fn answering(body: &'static str) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async move {
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, hits)
}

#[tokio::test]
async fn api10_a_shop_answering_malformed_or_mistyped_json_fails_the_check_with_the_reason() {
    let app = TestApp::spawn().await;
    for (round, (body, said)) in [
        (
            r#"{"data": {"shop": {"currencyCode": "EU"#,
            "EOF while parsing a string at line 1 column 38",
        ),
        (
            "<html>Service Unavailable</html>",
            "expected value at line 1 column 1",
        ),
        (
            r#"{"data": {"shop": {"currencyCode": 12, "ianaTimezone": []}}}"#,
            "shop.currencyCode: invalid type: integer `12`, expected a string",
        ),
        (
            r#"{"data": {"shop": {"currencyCode": "EURO", "ianaTimezone": "UTC"}}}"#,
            r#"shop currency: "EURO" is not a currency code (use a 3-letter code like EUR, USD or GBP)"#,
        ),
        (
            r#"{"data": {"shop": {"currencyCode": "EUR", "ianaTimezone": "Mars/Olympus"}}}"#,
            r#"shop time zone "Mars/Olympus""#,
        ),
        (r#"{"data": null}"#, "no data and no errors"),
    ]
    .into_iter()
    .enumerate()
    {
        let (shop, hits) = answering(body).await;
        let connection = json!({"shop_domain": "acme.myshopify.com",
            "access_token": "shpat_0123456789abcdef", "base_url": shop});
        let put = put_shopify(&app, &connection).await;
        let made_or_replaced = if round == 0 { 201 } else { 200 };
        assert_eq!(put.status, made_or_replaced, "{}", put.text);
        let tested = test_shopify(&app).await;
        assert_eq!(tested.status, 200, "{body}: {}", tested.text);
        let answer = tested.json();
        assert_eq!(answer["ok"], false, "{body}: {answer}");
        assert_eq!(answer["credentials_refused"], false, "{body}: {answer}");
        assert_eq!(
            answer["message"],
            format!("shopify: unexpected Shopify response: {said}"),
            "{body}"
        );
        assert_eq!(
            hits.load(Ordering::SeqCst),
            1,
            "{body}: a bad answer is not retried"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn api10_an_ai_provider_answering_malformed_json_leaves_ask_to_the_offline_reader() {
    let (provider, hits) =
        answering(r#"{"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"#).await;
    let base = format!("{provider}/v1");
    let app = TestApp::spawn_with(&[
        ("OPENAI_BASE_URL", base.as_str()),
        ("OPENAI_API_KEY", "sk-test"),
        ("ADVISOR_AI_MAX_RETRIES", "0"),
    ])
    .await;
    let question = json!({"question": "What were our sales in Q2?"}).to_string();
    let answer = call(&app, Method::POST, "/ask", Some(DEV), Some(question)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body["engine"], "offline", "{body}");
    assert_eq!(body["intent"], "total_sales", "{body}");
    assert_eq!(
        body["notes"],
        json!([
            "answered offline because the AI provider is unavailable: the response is not a \
             chat completion: EOF while parsing an object at line 1 column 63"
        ]),
        "{body}"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1, "asked once, no retry");
    app.stop().await;
}
