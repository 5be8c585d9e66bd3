//! `Products` — `GET /api/products` (cursor pagination, `limit`, filters `q`, `category`,
//! `updated_since`) and `GET /api/products/{sku}`, each product with its enrichment. The caller
//! authenticates with a tenant API key; another tenant's SKU is simply not found. Fields a
//! person edited (`PATCH /api/products/{sku}/enrichment`) show in the enrichment at once.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::json;
use shared::ai::schema::edited_payload;
use shared::auth::Scope;
use shared::domain::{ProductContent, Sku, TenantId};
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};
use shared::store::{EnrichmentEdits, EnrichmentRecord, ProductQuery, ProductView, Provenance};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond};
use crate::openapi::{Api, Operation};
use crate::paging::{decode_cursor, encode_cursor, json, limit, split_page};
use crate::problem::ApiError;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, Scope::Read).await?.tenant;
    if !http.method.eq_ignore_ascii_case("GET") {
        return Err(ApiError::method_not_allowed(&http.method));
    }
    match http.param("sku").filter(|s| !s.is_empty()) {
        Some(sku) => get_one(state, &tenant, sku).await,
        None => list(state, &tenant, http).await,
    }
}

async fn get_one(
    state: &AppState,
    tenant: &TenantId,
    raw_sku: &str,
) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::not_found(format!("no product with SKU `{raw_sku}`"));
    let sku = Sku::parse(raw_sku).map_err(|_| not_found())?;
    let product = state
        .store
        .get_product(tenant, &sku)
        .await?
        .ok_or_else(not_found)?;
    json(200, &ProductBody::from(product))
}

async fn list(
    state: &AppState,
    tenant: &TenantId,
    http: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = parse_query(http)?;
    let page = state
        .store
        .list_products(
            tenant,
            &ProductQuery {
                limit: query.limit + 1,
                ..query.clone()
            },
        )
        .await?;
    let (page, next_cursor) = split_page(page, query.limit as usize, |p| {
        encode_cursor(p.content.sku.as_str())
    });
    let items: Vec<ProductBody> = page.into_iter().map(ProductBody::from).collect();
    json(200, &ListBody { items, next_cursor })
}

fn parse_query(http: &HttpRequest) -> Result<ProductQuery, ApiError> {
    let limit = limit(http)?;
    let after_sku = http.query("cursor").map(decode_cursor).transpose()?;
    let updated_since = http
        .query("updated_since")
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::bad_request(format!("updated_since must be an RFC 3339 time like 2024-05-01T00:00:00Z, not `{raw}`")))
        })
        .transpose()?;
    let text_filter = |name: &str| {
        http.query(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let text = text_filter("q");
    if text.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::bad_request("q must be at most 200 characters"));
    }
    Ok(ProductQuery {
        after_sku,
        limit,
        text,
        category: text_filter("category"),
        updated_since,
    })
}

/// Describes the endpoints.
pub fn describe(api: &mut Api) {
    let list = api.sends::<ListBody>();
    let one = api.sends::<ProductBody>();
    api.add(
        Operation::new(
            "GET",
            "products",
            "listProducts",
            "Products",
            "The tenant's products, by SKU",
            Some(Scope::Read),
        )
        .paged()
        .query(
            "q",
            json!({"type": "string", "maxLength": 200}),
            "Text in the SKU, title or brand.",
        )
        .query("category", json!({"type": "string"}), "Only this category.")
        .query(
            "updated_since",
            json!({"type": "string", "format": "date-time"}),
            "Only products changed at or after this RFC 3339 time.",
        )
        .answer(200, "A page of products", list),
    );
    api.add(
        Operation::new(
            "GET",
            "products/{sku}",
            "getProduct",
            "Products",
            "One product with its enrichment",
            Some(Scope::Read),
        )
        .path_param("sku", "The product's SKU")
        .error(404, "No such product for this tenant")
        .answer(200, "The product", one),
    );
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "ProductList")]
struct ListBody {
    items: Vec<ProductBody>,
    next_cursor: Option<String>,
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
/// edit shows at once; a payload of a shape older than the schema is shown as stored.
fn shown_payload(payload: serde_json::Value, edits: Option<&EnrichmentEdits>) -> serde_json::Value {
    let none = serde_json::Map::new();
    let fields = edits.map_or(&none, |e| &e.fields);
    edited_payload(&payload, fields).unwrap_or(payload)
}
