//! `ProductEnrichment` — `PATCH /api/products/{sku}/enrichment`: a merchant edits enrichment
//! fields by hand. Body `{"set": {field: value, …}, "unlock": [field, …]}`. An edited field is
//! locked: every later enrichment (new content, a new prompt version, a budget resume) keeps
//! the person's value until the field is unlocked. The merchant's own product fields are never
//! changed. Answers with the product as `GET /api/products/{sku}` shows it.

use chrono::Utc;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};
use shared::ai::schema::{EDITABLE_FIELDS, check_edit};
use shared::auth::Scope;
use shared::domain::{Sku, TenantId};
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond};
use crate::openapi::{Api, Operation};
use crate::paging::json;
use crate::problem::ApiError;
use crate::products::ProductBody;

/// The largest edit accepted: a few fields of text.
const MAX_EDIT_BYTES: usize = 64 * 1024;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, Scope::Write).await?.tenant;
    if !http.method.eq_ignore_ascii_case("PATCH") {
        return Err(ApiError::method_not_allowed(&http.method));
    }
    let raw_sku = http.param("sku").unwrap_or_default();
    let edit = parse_edit(http)?;
    edit_product(state, &tenant, raw_sku, &edit).await
}

async fn edit_product(
    state: &AppState,
    tenant: &TenantId,
    raw_sku: &str,
    edit: &Edit,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found(format!("no product with SKU `{raw_sku}`"));
    let sku = Sku::parse(raw_sku).map_err(|_| not_found())?;
    let edits = state
        .store
        .edit_enrichment(tenant, &sku, &edit.set, &edit.unlock, Utc::now())
        .await?
        .ok_or_else(not_found)?;
    tracing::info!(
        sku = sku.as_str(),
        locked = ?edits.fields.keys().collect::<Vec<_>>(),
        "enrichment fields edited"
    );
    let product = state
        .store
        .get_product(tenant, &sku)
        .await?
        .ok_or_else(not_found)?;
    json(200, &ProductBody::from(product))
}

/// Describes the endpoint.
pub fn describe(api: &mut Api) {
    let product = api.sends::<ProductBody>();
    api.add(
        Operation::new("PATCH", "products/{sku}/enrichment", "editEnrichment", "Products", "Edit enrichment fields by hand, locking them", Some(Scope::Write))
            .describe("An edited field is locked: every later enrichment keeps the person's value until the field is unlocked. The merchant's own product fields are never changed.")
            .path_param("sku", "The product's SKU")
            .json_body::<EditBody>()
            .error(404, "No such product for this tenant")
            .answer(200, "The product as GET /api/products/{sku} shows it", product),
    );
}

/// The body as sent.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EnrichmentEdit")]
struct EditBody {
    /// Fields to set and lock: title, description_html, category (a taxonomy path or id),
    /// attributes, tags, seo_title, meta_description.
    #[serde(default)]
    set: Map<String, Value>,
    /// Fields to unlock, so the next enrichment may change them again.
    #[serde(default)]
    unlock: Vec<String>,
}

/// A checked edit: every value canonical, every field one of [`EDITABLE_FIELDS`].
#[derive(Debug)]
struct Edit {
    set: Map<String, Value>,
    unlock: Vec<String>,
}

/// The body as a checked edit: unknown keys, unknown fields and bad values are refused with a
/// message naming them.
fn parse_edit(http: &HttpRequest) -> Result<Edit, ApiError> {
    let bytes = crate::http::body(
        http,
        MAX_EDIT_BYTES,
        r#"a JSON object like {"set": {"title": "…"}, "unlock": ["tags"]}"#,
        &format!("an edit is at most {} KiB", MAX_EDIT_BYTES / 1024),
    )?;
    let body: EditBody = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("the edit is not valid: {e}")))?;
    check_body(body).map_err(ApiError::bad_request)
}

fn check_body(body: EditBody) -> Result<Edit, String> {
    if body.set.is_empty() && body.unlock.is_empty() {
        return Err("the edit is empty: send fields to `set`, or to `unlock`, or both".into());
    }
    let mut set = Map::new();
    for (field, value) in &body.set {
        set.insert(field.clone(), check_edit(field, value)?);
    }
    for field in &body.unlock {
        if !EDITABLE_FIELDS.contains(&field.as_str()) {
            return Err(format!(
                "`unlock`: `{field}` cannot be edited; the fields that can are {}",
                EDITABLE_FIELDS.join(", ")
            ));
        }
        if set.contains_key(field) {
            return Err(format!("`{field}` is both set and unlocked"));
        }
    }
    Ok(Edit {
        set,
        unlock: body.unlock,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn check(body: Value) -> Result<Edit, String> {
        check_body(serde_json::from_value(body).map_err(|e| e.to_string())?)
    }

    #[test]
    fn an_edit_sets_canonical_values_and_unlocks_known_fields() {
        let edit = check(json!({"set": {"title": " Lamp "}, "unlock": ["tags"]})).unwrap();
        assert_eq!(edit.set["title"], "Lamp");
        assert_eq!(edit.unlock, ["tags"]);
    }

    #[test]
    fn an_edit_naming_an_unknown_field_or_nothing_at_all_is_refused() {
        for (body, says) in [
            (json!({}), "empty"),
            (json!({"set": {}, "unlock": []}), "empty"),
            (json!({"set": {"price": 3}}), "`price`"),
            (json!({"unlock": ["price"]}), "`price`"),
            (json!({"lock": ["title"]}), "unknown field `lock`"),
            (json!({"set": {"title": "A"}, "unlock": ["title"]}), "both"),
        ] {
            let error = check(body.clone()).unwrap_err();
            assert!(error.contains(says), "{body}: {error}");
        }
    }
}
