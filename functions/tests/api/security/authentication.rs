//! API2 broken authentication, the variants `auth_matrix.rs` and `keys.rs` leave out: a key
//! counts only in `x-api-key` (never in the URL, a cookie, Basic or another header), and only
//! the whole key, exactly (not its prefix, its stored hash or another case).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use shared::auth::hash_api_key;

use super::{Answer, DEV};
use crate::helpers::TestApp;

/// GET /products with these headers and query.
async fn products(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = app.client.get(format!("{}/products{query}", app.api));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

/// Asserts a 401 with the plain challenge that does not repeat `presented`.
fn refused(answer: &Answer, presented: &str, what: &str) {
    let detail = answer.problem(401);
    assert!(answer.headers.contains_key("www-authenticate"), "{what}");
    assert!(!answer.text.contains(presented), "{what}: {detail}");
}

#[tokio::test]
async fn api2_a_key_anywhere_but_x_api_key_is_no_credential() {
    let app = TestApp::spawn().await;
    let basic = format!("Basic {}", STANDARD.encode(format!("demo:{DEV}")));
    let cookie = format!("x-api-key={DEV}");
    for (query, headers) in [
        (format!("?x-api-key={DEV}"), vec![]),
        (format!("?code={DEV}"), vec![]),
        (format!("?api_key={DEV}"), vec![]),
        (String::new(), vec![("api-key", DEV)]),
        (String::new(), vec![("x-functions-key", DEV)]),
        (String::new(), vec![("ocp-apim-subscription-key", DEV)]),
        (String::new(), vec![("authorization", basic.as_str())]),
        (String::new(), vec![("authorization", DEV)]),
        (String::new(), vec![("cookie", cookie.as_str())]),
    ] {
        let answer = products(&app, &query, &headers).await;
        let what = format!("{query} {headers:?}");
        assert_eq!(answer.status, 401, "{what}: {}", answer.text);
        assert_eq!(
            answer.headers["www-authenticate"], r#"Bearer realm="advisor""#,
            "{what}"
        );
        answer.problem(401);
    }
    // A key sent as a Bearer token is a token, and this deployment takes none.
    let bearer = format!("Bearer {DEV}");
    let answer = products(&app, "", &[("authorization", bearer.as_str())]).await;
    assert_eq!(
        answer.headers["www-authenticate"],
        r#"Bearer realm="advisor", error="invalid_token""#
    );
    let detail = answer.problem(401);
    assert!(detail.contains("API keys only"), "{detail}");
    refused(&answer, DEV, "bearer");
    app.stop().await;
}

#[tokio::test]
async fn api2_only_the_whole_key_exactly_authenticates() {
    let app = TestApp::spawn().await;
    let made = app
        .client
        .post(format!("{}/keys", app.api))
        .header("x-api-key", DEV)
        .json(&json!({"name": "exact", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    let key = made["key"].as_str().unwrap().to_owned();
    assert_eq!(products(&app, "", &[("x-api-key", &key)]).await.status, 200);
    let shortened = &key[..key.len() - 1];
    let near_misses = [
        key.to_uppercase(),
        key[..8].to_owned(),
        shortened.to_owned(),
        format!("{key}x"),
        hash_api_key(&key),
        DEV.to_uppercase(),
        format!("{DEV}-"),
    ];
    for presented in &near_misses {
        let answer = products(&app, "", &[("x-api-key", presented)]).await;
        refused(&answer, presented, presented);
    }
    app.stop().await;
}
