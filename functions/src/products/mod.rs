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
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;
use shared::ai::schema::edited_payload;
use shared::auth::Scope;
use shared::domain::{ProductContent, Sku, TenantId};
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::{EnrichmentEdits, EnrichmentRecord, ProductView, Provenance};

use self::preconditions::{etag, not_modified};
use self::writes::Answer;
use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond, scope_for};
use crate::openapi::{Api, Operation, one_of};
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

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let list = api.sends::<listing::ListBody>();
    let one = api.sends::<ProductBody>();
    let tag = "Products";
    let text = |max: u32| json!({"type": "string", "maxLength": max});
    let sorts: Vec<&str> = listing::SORTS.iter().map(|(name, _, _)| *name).collect();
    api.add(
        Operation::new("GET", "products", "listProducts", tag, "The tenant's products, sorted and filtered", Some(Scope::Read))
            .describe("Keyset pagination: a page never repeats or skips a product, whatever is written meanwhile. A cursor holds its sort and filters; reusing it with others is a 400.")
            .paged()
            .query("sort", one_of(&sorts), "The order (`-` for descending), ties broken by SKU; default sku.")
            .query("q", text(200), "Text in the SKU, title or brand.")
            .query("category", text(200), "Only this category.")
            .query("brand", text(200), "Only this brand.")
            .query("updated_since", json!({"type": "string", "format": "date-time"}), "Only products changed at or after this RFC 3339 time.")
            .query("in_stock", one_of(&["true", "false"]), "Quantity above zero (true) or zero and below (false).")
            .query("currency", json!({"type": "string", "pattern": "^[A-Za-z]{3}$"}), "Only products priced in this currency; needed by min_price and max_price.")
            .query("min_price", json!({"type": "string"}), "The lowest price, e.g. 9.99.")
            .query("max_price", json!({"type": "string"}), "The highest price.")
            .answer(200, "A page of products", list),
    );
    let sku = |operation: Operation| operation.path_param("sku", "The product's SKU");
    let if_match =
        "The ETag you read: the write happens only if the product is still that version.";
    api.add(
        sku(Operation::new(
            "GET",
            "products/{sku}",
            "getProduct",
            tag,
            "One product with its enrichment",
            Some(Scope::Read),
        ))
        .header(
            "If-None-Match",
            false,
            "An ETag you hold: 304 if the product is still that version.",
        )
        .answer(200, "The product, with its ETag", one.clone())
        .empty(304, "The product is the version you hold")
        .error(404, "No such product for this tenant"),
    );
    api.add(
        sku(Operation::new("PUT", "products/{sku}", "putProduct", tag, "Create, restore or replace a product", Some(Scope::Write)))
            .describe("The merchant's own content, checked as a feed row is. A new or deleted SKU needs no precondition (or `If-None-Match: *` to only create); an existing one needs `If-Match`. A change queues the product for enrichment; an unchanged body changes nothing.")
            .header("If-Match", false, if_match)
            .header("If-None-Match", false, "`*`: create only.")
            .body(&["application/json"], Api::reads::<ProductContent>(), true)
            .error(400, "The body is not a product (every problem named) or the preconditions conflict")
            .error(412, "The product is not the version If-Match names (or exists, with If-None-Match: *)")
            .error(413, "The body is over 64 KiB")
            .error(415, "The body is not application/json")
            .error(428, "The product exists: send If-Match")
            .answer(200, "Replaced (or unchanged)", one.clone())
            .answer(201, "Created or restored", one.clone()),
    );
    api.add(
        sku(Operation::new(
            "PATCH",
            "products/{sku}",
            "patchProduct",
            tag,
            "Change some of a product's fields (JSON merge patch)",
            Some(Scope::Write),
        ))
        .describe("RFC 7396: the fields sent replace the product's, `null` clears an optional one.")
        .header("If-Match", true, if_match)
        .body(
            &["application/merge-patch+json"],
            json!({"type": "object"}),
            true,
        )
        .error(400, "The patch is not valid (every problem named)")
        .error(404, "No such product for this tenant")
        .error(412, "The product is not the version If-Match names")
        .error(413, "The body is over 64 KiB")
        .error(415, "The body is not application/merge-patch+json")
        .error(428, "If-Match is missing")
        .answer(200, "The product", one),
    );
    api.add(
        sku(Operation::new(
            "DELETE",
            "products/{sku}",
            "deleteProduct",
            tag,
            "Delete a product (kept, hidden, restorable by PUT)",
            Some(Scope::Write),
        ))
        .header("If-Match", true, if_match)
        .error(400, "A precondition is not valid")
        .error(404, "No such product for this tenant")
        .error(412, "The product is not the version If-Match names")
        .error(428, "If-Match is missing")
        .empty(204, "Deleted"),
    );
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
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Product")]
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
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ProductEnrichment")]
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
/// edit shows at once; a payload of a shape older than the schema is shown as stored. Without
/// edits it is shown as stored: reading it into the schema and back (a sixth of a product
/// page's time) would change nothing.
fn shown_payload(payload: serde_json::Value, edits: Option<&EnrichmentEdits>) -> serde_json::Value {
    match edits.filter(|e| !e.fields.is_empty()) {
        Some(edits) => edited_payload(&payload, &edits.fields).unwrap_or(payload),
        None => payload,
    }
}
