//! The API's OpenAPI 3.1 description, built from the code: each HTTP function's module says
//! which operations it serves ([`Operation`]), and the bodies' schemas are derived (schemars,
//! JSON Schema 2020-12, OpenAPI 3.1's own dialect) from the very types it serialises and reads.
//! `OpenApi` serves it at `GET /api/openapi.json`; a test holds it to the `function.json` files,
//! so an endpoint cannot exist undescribed, nor a description without its endpoint.

use std::sync::OnceLock;

use schemars::JsonSchema;
use schemars::generate::{SchemaGenerator, SchemaSettings};
use serde_json::{Map, Value, json};
use shared::auth::Scope;
use shared::protocol::{InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::respond;
use crate::paging::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::problem::{ApiError, ProblemBody};

/// Where the shared schemas live in the document.
const COMPONENTS: &str = "/components/schemas";

/// Runs the function: the document, the same for every caller (it holds no tenant's data).
pub async fn run(
    _state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    let answer = if http.method.eq_ignore_ascii_case("GET") {
        crate::paging::json(200, document())
    } else {
        Err(ApiError::method_not_allowed(&http.method))
    };
    Ok(respond(answer))
}

/// The document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build)
}

fn build() -> Value {
    let mut api = Api::new();
    // Every HTTP function, in the order a reader meets them.
    crate::health::describe(&mut api);
    crate::products::describe(&mut api);
    crate::product_enrichment::describe(&mut api);
    crate::ingest::describe(&mut api);
    crate::uploads::describe(&mut api);
    crate::ingest_runs::describe(&mut api);
    crate::ingest_mappings::describe(&mut api);
    crate::enrichment_runs::describe(&mut api);
    crate::enrichment_budget::describe(&mut api);
    crate::api_keys::describe(&mut api);
    crate::tenant_settings::describe(&mut api);
    crate::analytics::describe(&mut api);
    crate::ask::describe(&mut api);
    crate::connections::describe(&mut api);
    crate::sync_jobs::describe(&mut api);
    crate::webhooks::describe(&mut api);
    crate::videos::describe(&mut api);
    describe(&mut api);
    api.finish()
}

/// Describes this endpoint.
fn describe(api: &mut Api) {
    api.add(
        Operation::new(
            "GET",
            "openapi.json",
            "getOpenApi",
            "Meta",
            "This description of the API",
            None,
        )
        .answer(200, "The OpenAPI 3.1 document", json!({"type": "object"})),
    );
}

/// The document being built: the operations so far, and the schemas they refer to.
#[derive(Debug)]
pub struct Api {
    responses: SchemaGenerator,
    paths: Map<String, Value>,
}

impl Api {
    fn new() -> Self {
        let settings = SchemaSettings::draft2020_12().with(|s| {
            s.definitions_path = COMPONENTS.into();
            s.meta_schema = None;
        });
        Self {
            responses: settings.for_serialize().into_generator(),
            paths: Map::new(),
        }
    }

    /// The schema of what the API sends as `T` (a reference to a shared component).
    pub fn sends<T: JsonSchema>(&mut self) -> Value {
        self.responses.subschema_for::<T>().to_value()
    }

    /// The schema of what the API reads as `T`, inline: what a client may send can differ from
    /// what the API would send for the same type (defaults make fields optional).
    pub fn reads<T: JsonSchema>() -> Value {
        let settings = SchemaSettings::draft2020_12().with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        });
        settings
            .for_deserialize()
            .into_generator()
            .into_root_schema_for::<T>()
            .to_value()
    }

    /// Adds `operation`.
    pub fn add(&mut self, operation: Operation) {
        let problem = self.sends::<ProblemBody>();
        let item = self
            .paths
            .entry(format!("/api/{}", operation.path))
            .or_insert_with(|| json!({}));
        let mut value = json!({
            "operationId": operation.id,
            "summary": operation.summary,
            "tags": [operation.tag],
            "security": match operation.scope {
                Some(_) => json!([{"apiKey": []}, {"bearer": []}]),
                None => json!([]),
            },
            "responses": operation.responses(&problem),
        });
        if let Some(description) = &operation.description {
            value["description"] = json!(description);
        }
        if !operation.parameters.is_empty() {
            value["parameters"] = Value::Array(operation.parameters.clone());
        }
        if let Some(body) = &operation.body {
            value["requestBody"] = body.clone();
        }
        item[operation.method.to_ascii_lowercase()] = value;
    }

    fn finish(mut self) -> Value {
        let schemas = self.responses.take_definitions(true);
        json!({
            "openapi": "3.1.0",
            "info": {
                "title": "Retail AI Advisor",
                "version": env!("CARGO_PKG_VERSION"),
                "description": "Products, their AI enrichment, feed ingestion and sales analytics for one merchant (tenant) per credential. Every error is RFC 9457 application/problem+json. Every answer carries X-Request-Id, which the logs carry too.",
            },
            "paths": self.paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "apiKey": {
                        "type": "apiKey",
                        "in": "header",
                        "name": "x-api-key",
                        "description": "A tenant API key, with scopes read, write, ingest, admin.",
                    },
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": "A JWT from the configured issuer (Microsoft Entra ID in Azure), naming the tenant in a claim; roles user or admin.",
                    },
                },
            },
        })
    }
}

/// One operation: a method on a path, what it takes and what it answers.
#[derive(Debug, Clone)]
pub struct Operation {
    method: &'static str,
    path: String,
    id: &'static str,
    summary: &'static str,
    description: Option<String>,
    tag: &'static str,
    scope: Option<Scope>,
    parameters: Vec<Value>,
    body: Option<Value>,
    answers: Vec<(u16, String, Option<Value>, &'static str)>,
    errors: Vec<(u16, String)>,
}

impl Operation {
    /// `method` on `path` (under `/api/`, with `{name}` parameters), answered for callers with
    /// `scope` (or anyone, when `None`).
    pub fn new(
        method: &'static str,
        path: &str,
        id: &'static str,
        tag: &'static str,
        summary: &'static str,
        scope: Option<Scope>,
    ) -> Self {
        let mut operation = Self {
            method,
            path: path.to_owned(),
            id,
            summary,
            description: None,
            tag,
            scope,
            parameters: Vec::new(),
            body: None,
            answers: Vec::new(),
            errors: Vec::new(),
        };
        if let Some(scope) = scope {
            operation = operation
                .error(400, "Both an API key and a Bearer token were sent")
                .error(
                    401,
                    "No credentials, or ones that are not valid (unknown, revoked, expired)",
                )
                .error(
                    403,
                    &format!("The credentials lack the `{scope}` scope (or role)"),
                )
                .error(
                    429,
                    "Too many requests from this tenant or credential: wait `Retry-After` seconds",
                );
        }
        operation
            .error(500, "A failure of ours; the logs carry the request id")
            .error(
                503,
                "A dependency is unavailable for now: try again after `Retry-After` seconds",
            )
    }

    /// A longer description.
    pub fn describe(mut self, text: &str) -> Self {
        self.description = Some(text.to_owned());
        self
    }

    /// A required path parameter.
    pub fn path_param(mut self, name: &str, description: &str) -> Self {
        self.parameters.push(json!({
            "name": name, "in": "path", "required": true, "description": description,
            "schema": {"type": "string", "minLength": 1},
        }));
        self
    }

    /// An optional query parameter with `schema`.
    pub fn query(mut self, name: &str, schema: Value, description: &str) -> Self {
        self.parameters.push(json!({
            "name": name, "in": "query", "required": false, "description": description,
            "schema": schema,
        }));
        self
    }

    /// A request header.
    pub fn header(mut self, name: &str, required: bool, description: &str) -> Self {
        self.parameters.push(json!({
            "name": name, "in": "header", "required": required, "description": description,
            "schema": {"type": "string", "minLength": 1},
        }));
        self
    }

    /// `limit` and `cursor`, as every listing takes them.
    pub fn paged(self) -> Self {
        self.query(
            "limit",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
            "Items per page.",
        )
        .query(
            "cursor",
            json!({"type": "string"}),
            "The `next_cursor` of the previous page, as it was given.",
        )
        .error(400, "A parameter is not valid (the detail names it)")
    }

    /// A body read as `schema` in each of `content_types`.
    pub fn body(mut self, content_types: &[&str], schema: Value, required: bool) -> Self {
        let content: Map<String, Value> = content_types
            .iter()
            .map(|t| ((*t).to_owned(), json!({"schema": schema.clone()})))
            .collect();
        self.body = Some(json!({"required": required, "content": content}));
        self
    }

    /// A JSON body read as `T`.
    pub fn json_body<T: JsonSchema>(self) -> Self {
        self.body(&["application/json"], Api::reads::<T>(), true)
            .error(400, "The body is not valid (the detail says where)")
            .error(413, "The body is over the endpoint's size limit")
    }

    /// A successful answer with a JSON body of `schema`.
    pub fn answer(mut self, status: u16, description: &str, schema: Value) -> Self {
        self.answers.push((
            status,
            description.to_owned(),
            Some(schema),
            "application/json",
        ));
        self
    }

    /// A successful answer with no body.
    pub fn empty(mut self, status: u16, description: &str) -> Self {
        self.answers
            .push((status, description.to_owned(), None, ""));
        self
    }

    /// An error answer (problem+json); a status given again adds its case to the wording.
    pub fn error(mut self, status: u16, description: &str) -> Self {
        match self.errors.iter_mut().find(|(s, _)| *s == status) {
            Some((_, wording)) => *wording = format!("{wording}; or: {description}"),
            None => self.errors.push((status, description.to_owned())),
        }
        self
    }

    fn responses(&self, problem: &Value) -> Value {
        let mut responses = Map::new();
        for (status, description, schema, content_type) in &self.answers {
            let mut response = json!({"description": description});
            if let Some(schema) = schema {
                response["content"] = json!({*content_type: {"schema": schema}});
            }
            if matches!(status, 201 | 202) {
                response["headers"] = json!({"Location": {
                    "description": "Where the created resource can be read",
                    "schema": {"type": "string"},
                }});
            }
            responses.insert(status.to_string(), response);
        }
        let mut errors = self.errors.clone();
        errors.sort();
        for (status, description) in errors {
            let mut response = json!({
                "description": description,
                "content": {"application/problem+json": {"schema": problem}},
            });
            if matches!(status, 429 | 503) {
                response["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before trying again",
                    "schema": {"type": "string"},
                }});
            }
            responses.insert(status.to_string(), response);
        }
        Value::Object(responses)
    }
}

/// `{"type": "string", "enum": [...]}`.
pub fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}
