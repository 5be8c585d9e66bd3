//! `GET /api/openapi.json`: served to anyone, OpenAPI 3.1, and exactly the HTTP functions —
//! every method of every HTTP trigger described, and nothing described that no trigger serves.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::TestApp;

/// Every `(METHOD, /api/path)` the `function.json` files serve, one set per function and
/// method (a route with an optional parameter serves two paths), CORS preflights aside.
fn served() -> Vec<(String, String, BTreeSet<String>)> {
    let mut served = Vec::new();
    for entry in std::fs::read_dir(env!("CARGO_MANIFEST_DIR")).unwrap() {
        let path = entry.unwrap().path().join("function.json");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let definition: Value = serde_json::from_str(&text).unwrap();
        let Some(trigger) = definition["bindings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "httpTrigger")
        else {
            continue;
        };
        let route = trigger["route"].as_str().unwrap();
        let paths = expand(route);
        for method in trigger["methods"].as_array().unwrap() {
            let method = method.as_str().unwrap().to_ascii_uppercase();
            if method != "OPTIONS" {
                served.push((path.display().to_string(), method, paths.clone()));
            }
        }
    }
    served
}

/// `products/{sku?}` → `/api/products` and `/api/products/{sku}`.
fn expand(route: &str) -> BTreeSet<String> {
    let mut paths = vec![String::from("/api")];
    for segment in route.split('/') {
        let optional = segment.starts_with('{') && segment.ends_with("?}");
        let segment = segment.replace("?}", "}");
        let mut next: Vec<String> = paths.iter().map(|p| format!("{p}/{segment}")).collect();
        if optional {
            next.extend(paths.iter().cloned());
        }
        paths = next;
    }
    paths.into_iter().collect()
}

#[tokio::test]
async fn the_description_is_served_to_anyone_and_covers_every_http_function_and_nothing_more() {
    let app = TestApp::spawn().await;
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    app.stop().await;

    assert_eq!(document["openapi"], "3.1.0");
    let mut described = BTreeSet::new();
    let mut ids = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            described.insert((method.to_ascii_uppercase(), path.clone()));
            let id = operation["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            assert!(
                operation["responses"]
                    .as_object()
                    .is_some_and(|r| !r.is_empty()),
                "{method} {path} has no responses"
            );
        }
    }

    let served = served();
    assert!(served.len() > 10, "{served:?}");
    for (function, method, templates) in &served {
        assert!(
            described
                .iter()
                .any(|(m, p)| m == method && templates.iter().any(|t| serves(t, p))),
            "{function}: {method} {templates:?} is served but not described"
        );
    }
    for (method, path) in &described {
        assert!(
            served
                .iter()
                .any(|(_, m, templates)| m == method && templates.iter().any(|t| serves(t, path))),
            "{method} {path} is described but no function serves it"
        );
    }
}

/// Whether the route `template` serves `path`: the same segments, a `{parameter}` of the
/// route standing for any one segment (`analytics/{report}` serves `analytics/sales`).
fn serves(template: &str, path: &str) -> bool {
    let (template, path): (Vec<&str>, Vec<&str>) =
        (template.split('/').collect(), path.split('/').collect());
    template.len() == path.len()
        && template
            .iter()
            .zip(&path)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

#[tokio::test]
async fn every_reference_resolves_and_every_error_is_problem_json() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    app.stop().await;

    // schemars numbers a second type of the same name (`Product2`): two types would share a
    // name and a reader could not tell them apart.
    for name in document["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(
            !name.ends_with(|c: char| c.is_ascii_digit()),
            "schema {name}: a name clash"
        );
    }
    let mut references = Vec::new();
    collect_refs(&document, &mut references);
    assert!(!references.is_empty());
    for reference in references {
        let pointer = reference.strip_prefix('#').unwrap();
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} does not resolve"
        );
    }
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status == "500" {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status}"
                    );
                }
            }
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            if secured {
                assert!(
                    operation["responses"]["401"].is_object(),
                    "{method} {path} lacks 401"
                );
            }
        }
    }
}

fn collect_refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                into.push(r.clone());
            }
            map.values().for_each(|v| collect_refs(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, into)),
        _ => {}
    }
}
