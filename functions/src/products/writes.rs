//! `PUT`, `PATCH` and `DELETE /api/products/{sku}`: the merchant writes a product's content
//! over the API, with optimistic concurrency. A change to an existing product needs the ETag
//! it was read at in `If-Match` (428 without, 412 when stale), and the store checks that
//! version in the same statement that writes, so a lost update cannot happen.

use chrono::Utc;
use serde_json::{Map, Value};
use shared::domain::{Sku, TenantId};
use shared::enrich::{EnrichRequest, ProductRef};
use shared::ingest::products::{INPUT_FIELDS, content_from_json};
use shared::protocol::{HttpRequest, HttpResponse};
use shared::store::{ProductUpsert, ProductView, ProductWrite, WriteChange, WriteCondition};

use super::preconditions::{create_only, etag, if_match};
use super::{ProductBody, product_response};
use crate::app::AppState;
use crate::http::body;
use crate::problem::ApiError;

/// The largest body: a product is a few kilobytes even with a long description.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// Where the content of products written over the API comes from.
pub(super) const API_SOURCE: &str = "api";

/// A write's answer and the enrichment it owes.
pub(super) type Answer = (HttpResponse, Vec<EnrichRequest>);

/// `PUT`: creates, restores or replaces the product with the body's content.
pub(super) async fn put(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
    sku: &Sku,
) -> Result<Answer, ApiError> {
    let expected = if_match(http)?;
    let create_only = create_only(http)?;
    if expected.is_some() && create_only {
        return Err(ApiError::bad_request(
            "send If-Match (replace) or If-None-Match: * (create), not both",
        ));
    }
    require_type(http, "application/json")?;
    let content = content_from_json(sku, &json_object(http)?).map_err(invalid)?;
    let upsert = ProductUpsert::new(content, None, API_SOURCE);
    let condition = expected.map_or(WriteCondition::Absent, WriteCondition::Version);
    let write = state
        .store
        .put_product(tenant, &upsert, condition, Utc::now())
        .await?;
    match write {
        ProductWrite::Done { change, product } => done(tenant, change, product),
        // RFC 9110 §13.1.1: a retried write whose change is already there succeeds.
        ProductWrite::ConditionFailed { current: Some(_) } if expected.is_some() => {
            match state.store.get_product(tenant, sku).await? {
                Some(live) if live.content_hash == upsert.content_hash => {
                    already_there(tenant, live)
                }
                live => Err(stale(sku).with_etag(live.map(|p| etag(p.version)))),
            }
        }
        ProductWrite::ConditionFailed { current } => Err(match (expected, current) {
            (None, Some(_)) if !create_only => ApiError::precondition_required(format!(
                "product `{sku}` exists: send If-Match with the ETag you read to replace it"
            )),
            (None, _) => ApiError::precondition_failed(format!("product `{sku}` exists")),
            (Some(_), None) => ApiError::precondition_failed(format!(
                "If-Match names a version of `{sku}`, which does not exist"
            )),
            (Some(_), Some(_)) => stale(sku),
        }
        .with_etag(current.map(etag))),
    }
}

/// `PATCH`: an RFC 7396 merge patch on the product's merchant fields (`null` clears one).
pub(super) async fn patch(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
    sku: &Sku,
) -> Result<Answer, ApiError> {
    let current = state
        .store
        .get_product(tenant, sku)
        .await?
        .ok_or_else(|| not_found(sku))?;
    let expected = required_if_match(http, sku, &current)?;
    require_type(http, "application/merge-patch+json")?;
    let patch = json_object(http)?;
    let mut merged = editable(&current)?;
    merge_patch(&mut merged, &Value::Object(patch));
    let Value::Object(merged) = merged else {
        return Err(ApiError::internal());
    };
    let content = content_from_json(sku, &merged).map_err(invalid)?;
    let upsert = ProductUpsert::new(content, None, API_SOURCE);
    if expected != current.version {
        // A merge patch is idempotent: one that changes nothing of the current product was
        // applied already (a retry whose first answer was lost), so it succeeds (RFC 9110
        // §13.1.1); any other is a stale write.
        return match current.content_hash == upsert.content_hash {
            true => already_there(tenant, current),
            false => Err(stale(sku).with_etag(Some(etag(current.version)))),
        };
    }
    let write = state
        .store
        .put_product(
            tenant,
            &upsert,
            WriteCondition::Version(expected),
            Utc::now(),
        )
        .await?;
    match write {
        ProductWrite::Done { change, product } => done(tenant, change, product),
        ProductWrite::ConditionFailed { current: None } => Err(not_found(sku)),
        ProductWrite::ConditionFailed { current } => Err(stale(sku).with_etag(current.map(etag))),
    }
}

/// `DELETE`: soft-deletes the product; its enrichment is kept and a `PUT` restores it.
pub(super) async fn delete(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
    sku: &Sku,
) -> Result<Answer, ApiError> {
    let current = state
        .store
        .get_product(tenant, sku)
        .await?
        .ok_or_else(|| not_found(sku))?;
    let expected = required_if_match(http, sku, &current)?;
    if expected != current.version {
        return Err(stale(sku).with_etag(Some(etag(current.version))));
    }
    let write = state
        .store
        .delete_product(tenant, sku, expected, Utc::now())
        .await?;
    match write {
        ProductWrite::Done { .. } => Ok((HttpResponse::new(204, "text/plain", ""), Vec::new())),
        ProductWrite::ConditionFailed { current: None } => Err(not_found(sku)),
        ProductWrite::ConditionFailed { current } => Err(stale(sku).with_etag(current.map(etag))),
    }
}

/// The version `If-Match` expects of the live `current`: 428 (with the current ETag) without
/// one.
fn required_if_match(
    http: &HttpRequest,
    sku: &Sku,
    current: &ProductView,
) -> Result<i64, ApiError> {
    let expected = if_match(http)?.ok_or_else(|| {
        ApiError::precondition_required(format!(
            "send If-Match with the ETag you read of `{sku}`, so no one else's change is lost"
        ))
        .with_etag(Some(etag(current.version)))
    })?;
    Ok(expected)
}

/// The answer to a write that was done: the product with its ETag, 201 with `Location` when
/// it came into being (created or restored), and its enrichment when the content changed.
fn done(
    tenant: &TenantId,
    change: WriteChange,
    product: Option<Box<ProductView>>,
) -> Result<Answer, ApiError> {
    let product = product.ok_or_else(|| {
        tracing::error!(?change, "a written product could not be read back");
        ApiError::internal()
    })?;
    let enrich = owed_enrichment(tenant, &product);
    let sku = product.content.sku.clone();
    let created = matches!(change, WriteChange::Created | WriteChange::Restored);
    let mut response = product_response(if created { 201 } else { 200 }, *product)?;
    if created {
        response = response.with_header("Location", location(&sku));
    }
    Ok((response, enrich))
}

/// The answer to a write whose change the product already has: `200` with it as it is.
fn already_there(tenant: &TenantId, product: ProductView) -> Result<Answer, ApiError> {
    let enrich = owed_enrichment(tenant, &product);
    Ok((product_response(200, product)?, enrich))
}

/// The enrichment a written product is owed: one while its content has none. That is every
/// change, and also a write that changed nothing when the content is still waiting: the first
/// write may have been stored by a process that died before it could queue the enrichment, and
/// this is its caller's retry (a second message for the same content is a no-op).
fn owed_enrichment(tenant: &TenantId, product: &ProductView) -> Vec<EnrichRequest> {
    let enriched = product
        .enrichment
        .as_ref()
        .is_some_and(|e| e.content_hash == product.content_hash);
    match enriched {
        true => Vec::new(),
        false => vec![EnrichRequest::Product(ProductRef {
            tenant: tenant.clone(),
            sku: product.content.sku.clone(),
            content_hash: product.content_hash.clone(),
        })],
    }
}

/// The product's URL path, its SKU percent-encoded as one segment (every byte but the
/// unreserved characters of RFC 3986).
fn location(sku: &Sku) -> String {
    let mut path = String::from("/api/products/");
    for byte in sku.as_str().bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            path.push(char::from(byte));
        } else {
            path.push_str(&format!("%{byte:02X}"));
        }
    }
    path
}

/// The merchant fields of `product` as a body would give them, for a merge patch to apply to.
fn editable(product: &ProductView) -> Result<Value, ApiError> {
    let shown = serde_json::to_value(ProductBody::from(product.clone())).map_err(|e| {
        tracing::error!(error = %e, "a product could not be serialised");
        ApiError::internal()
    })?;
    let Value::Object(shown) = shown else {
        return Err(ApiError::internal());
    };
    let fields: Map<String, Value> = shown
        .into_iter()
        .filter(|(k, _)| INPUT_FIELDS.contains(&k.as_str()))
        .collect();
    Ok(Value::Object(fields))
}

/// RFC 7396: objects merge member by member, `null` removes, anything else replaces.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// 415 unless the body is `expected` (a missing `Content-Type` is taken to be it).
fn require_type(http: &HttpRequest, expected: &str) -> Result<(), ApiError> {
    let given = http.header("content-type").unwrap_or(expected);
    let essence = given.split(';').next().unwrap_or_default().trim();
    match essence.eq_ignore_ascii_case(expected) {
        true => Ok(()),
        false => Err(ApiError::unsupported_media_type(format!(
            "send the body as {expected}, not {given}"
        ))),
    }
}

/// The body as a JSON object of at most [`MAX_BODY_BYTES`].
fn json_object(http: &HttpRequest) -> Result<Map<String, Value>, ApiError> {
    let bytes = body(
        http,
        MAX_BODY_BYTES,
        "a JSON object with the product's fields",
        "a product body is at most 64 KiB",
    )?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("the body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(format!(
            "the body is not valid JSON: {e}"
        ))),
    }
}

fn invalid(errors: Vec<shared::ingest::products::InputError>) -> ApiError {
    let problems: Vec<String> = errors.iter().map(ToString::to_string).collect();
    ApiError::bad_request(format!("the product is not valid: {}", problems.join("; ")))
}

fn not_found(sku: &Sku) -> ApiError {
    ApiError::not_found(format!("no product with SKU `{sku}`"))
}

fn stale(sku: &Sku) -> ApiError {
    ApiError::precondition_failed(format!(
        "product `{sku}` changed since that ETag: read it again, then send its ETag"
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_merge_patch_merges_objects_removes_nulls_and_replaces_the_rest() {
        let mut target = json!({"title": "Mug", "brand": "Oak",
            "price": {"amount": "3.00", "currency": "EUR"}, "attributes": {"A": "1", "B": "2"}});
        let patch = json!({"brand": null, "price": {"amount": "4.00"},
            "attributes": {"A": null, "C": "3"}, "options": [{"name": "Size", "value": "M"}]});
        merge_patch(&mut target, &patch);
        assert_eq!(
            target,
            json!({"title": "Mug", "price": {"amount": "4.00", "currency": "EUR"},
                "attributes": {"B": "2", "C": "3"}, "options": [{"name": "Size", "value": "M"}]})
        );
    }

    #[test]
    fn a_location_encodes_the_sku_as_one_path_segment() {
        assert_eq!(
            location(&Sku::parse("MUG-1").unwrap()),
            "/api/products/MUG-1"
        );
        assert_eq!(
            location(&Sku::parse("A/B ?#").unwrap()),
            "/api/products/A%2FB%20%3F%23"
        );
    }
}
