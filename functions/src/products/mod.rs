//! `Products` — the tenant's catalogue over HTTP:
//! - `GET /api/products`: a page of products, sorted and filtered ([`listing`]);
//! - `GET /api/products/{sku}`: one product with its enrichment and its `ETag`
//!   (`If-None-Match` → 304);
//! - `PUT`, `PATCH` (merge patch) and `DELETE /api/products/{sku}`: the merchant's own writes,
//!   with optimistic concurrency ([`writes`]); a changed product is queued for enrichment
//!   on the `enrich` output binding.
//!
//! Reads need the `read` scope, writes `write`. Another tenant's SKU is simply not found.
//! Fields a person edited (`PATCH /api/products/{sku}/enrichment`) show in the enrichment at
//! once.

mod listing;
mod preconditions;
mod writes;

use chrono::{DateTime, Utc};
use serde::Serialize;
use shared::ai::schema::edited_payload;
use shared::auth::Scope;
use shared::domain::{ProductContent, Sku, TenantId};
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::{EnrichmentEdits, EnrichmentRecord, ProductView, Provenance};

use self::preconditions::{etag, not_modified};
use self::writes::Answer;
use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond, scope_for};
use crate::paging::json;
use crate::problem::ApiError;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    let (result, enrich) = match handle(state, &http).await {
        Ok((response, enrich)) => (Ok(response), enrich),
        Err(error) => (Err(error), Vec::new()),
    };
    respond(result)
        .with_messages("enrich", &enrich)
        .map_err(|e| FunctionError::Internal(e.to_string()))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<Answer, ApiError> {
    let tenant = authenticate(state, http, scope_for(http, Scope::Write))
        .await?
        .tenant;
    let method = http.method.to_ascii_uppercase();
    let Some(raw_sku) = http.param("sku").filter(|s| !s.is_empty()) else {
        return match method.as_str() {
            "GET" => Ok((listing::list(state, &tenant, http).await?, Vec::new())),
            "PUT" | "PATCH" | "DELETE" => Err(ApiError::method_not_allowed(&format!(
                "{method} without a SKU (use /api/products/{{sku}})"
            ))),
            other => Err(ApiError::method_not_allowed(other)),
        };
    };
    let sku = Sku::parse(raw_sku);
    match method.as_str() {
        "GET" => {
            let sku = sku.map_err(|_| not_found(raw_sku))?;
            Ok((get_one(state, &tenant, http, &sku).await?, Vec::new()))
        }
        "PUT" | "PATCH" | "DELETE" => {
            let sku = sku.map_err(|e| ApiError::bad_request(format!("the SKU in the URL: {e}")))?;
            match method.as_str() {
                "PUT" => writes::put(state, &tenant, http, &sku).await,
                "PATCH" => writes::patch(state, &tenant, http, &sku).await,
                _ => writes::delete(state, &tenant, http, &sku).await,
            }
        }
        other => Err(ApiError::method_not_allowed(other)),
    }
}

async fn get_one(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
    sku: &Sku,
) -> Result<HttpResponse, ApiError> {
    let product = state
        .store
        .get_product(tenant, sku)
        .await?
        .ok_or_else(|| not_found(sku.as_str()))?;
    let tag = etag(product.version);
    if not_modified(http, &tag) {
        return Ok(HttpResponse::new(304, "application/json", "").with_header("ETag", tag));
    }
    product_response(200, product)
}

/// `product` as JSON with `status` and its `ETag`.
fn product_response(status: u16, product: ProductView) -> Result<HttpResponse, ApiError> {
    let tag = etag(product.version);
    Ok(json(status, &ProductBody::from(product))?.with_header("ETag", tag))
}

fn not_found(raw_sku: &str) -> ApiError {
    ApiError::not_found(format!("no product with SKU `{raw_sku}`"))
}

/// A product as the API shows it: the merchant's content, its enrichment with the fields a
/// person locked laid over it, and those locked fields.
#[derive(Serialize)]
pub(crate) struct ProductBody {
    #[serde(flatten)]
    content: ProductContent,
    source: String,
    source_updated_at: Option<DateTime<Utc>>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    enrichment: Option<EnrichmentBody>,
    edits: Option<EnrichmentEdits>,
}

/// The enrichment beside the merchant's originals, saying whether it is for the current content,
/// who made it, what it cost, and whether it waits for the tenant's token budget.
#[derive(Serialize)]
struct EnrichmentBody {
    current: bool,
    generated_by: String,
    prompt_version: String,
    created_at: DateTime<Utc>,
    provenance: Provenance,
    waiting_for_budget: bool,
    #[serde(flatten)]
    content: serde_json::Value,
}

impl From<ProductView> for ProductBody {
    fn from(p: ProductView) -> Self {
        let enrichment = p
            .enrichment
            .clone()
            .map(|e: EnrichmentRecord| EnrichmentBody {
                current: e.content_hash == p.content_hash,
                generated_by: e.generated_by,
                prompt_version: e.prompt_version,
                created_at: e.created_at,
                provenance: e.provenance,
                waiting_for_budget: e.waiting_for_budget,
                content: shown_payload(e.payload, p.edits.as_ref()),
            });
        Self {
            content: p.content,
            source: p.source,
            source_updated_at: p.source_updated_at,
            version: p.version,
            created_at: p.created_at,
            updated_at: p.updated_at,
            enrichment,
            edits: p.edits,
        }
    }
}

/// The stored payload with the fields a person locked since it was made laid over it, so an
/// edit shows at once; a payload of a shape older than the schema is shown as stored.
fn shown_payload(payload: serde_json::Value, edits: Option<&EnrichmentEdits>) -> serde_json::Value {
    let none = serde_json::Map::new();
    let fields = edits.map_or(&none, |e| &e.fields);
    edited_payload(&payload, fields).unwrap_or(payload)
}
