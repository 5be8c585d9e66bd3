//! `Uploads` — `POST /api/uploads {filename, kind, ttl_seconds?}`: a short-lived URL that lets
//! its holder PUT exactly one blob under the caller's tenant, for files too big to push: a feed
//! (`kind` products, inventory or orders) to `ingest/{tenant}/{kind}/{filename}`, a video
//! (`kind` video) to `videos/{tenant}/{filename}`. In Azure the URL is a write-only SAS; locally
//! it points at the local host, signed with a key only this process holds. The file name is a
//! plain name, so the URL can never reach outside the tenant's own folder.

use std::time::Duration;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::auth::Scope;
use shared::blobs::{BlobError, Container, MAX_UPLOAD_URL_TTL};
use shared::domain::TenantId;
use shared::ingest::PUSH_FILE_PREFIX;
use shared::ingest::record::FeedKind;
use shared::protocol::{HttpRequest, HttpResponse, InvocationRequest, InvocationResponse};

use crate::app::{AppState, FunctionError};
use crate::http::{authenticate, respond};
use crate::openapi::{Api, Operation};
use crate::paging::json;
use crate::problem::ApiError;

/// How long a URL lives when the caller names no `ttl_seconds`.
const DEFAULT_TTL: Duration = Duration::from_secs(15 * 60);

/// The largest request body: a file name, a kind and a lifetime.
const MAX_REQUEST_BYTES: usize = 4 * 1024;

/// The longest file name accepted.
const MAX_FILENAME_CHARS: usize = 200;

/// Runs the function.
pub async fn run(
    state: &AppState,
    request: InvocationRequest,
) -> Result<InvocationResponse, FunctionError> {
    let http = request.http("req")?;
    Ok(respond(handle(state, &http).await))
}

/// Describes the endpoint.
pub fn describe(api: &mut Api) {
    let body = api.sends::<UploadBody>();
    api.add(
        Operation::new("POST", "uploads", "createUploadUrl", "Ingestion", "A short-lived URL to PUT one big file to", Some(Scope::Ingest))
            .describe("For a feed (kind products, inventory or orders) or a video too big to push. PUT the file to `url` with `headers`; in Azure it is a write-only SAS URL.")
            .json_body::<UploadRequest>()
            .answer(201, "The URL, for one blob, until `expires_at`", body)
            .error(503, "This deployment cannot issue upload URLs"),
    );
}

/// The request body.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UploadRequest {
    /// A plain file name (no folders, not starting with `.`, no `#`), at most 200 characters.
    #[schemars(
        length(min = 1, max = 200),
        regex(pattern = r"^[^./\\#\x00-\x1f\x7f-\x9f][^/\\#\x00-\x1f\x7f-\x9f]*$")
    )]
    filename: String,
    /// `products`, `inventory`, `orders` or `video`.
    #[schemars(extend("enum" = ["products", "inventory", "orders", "video"]))]
    kind: String,
    /// How long the URL lives, in seconds (default 900, at most 3600).
    #[serde(default)]
    #[schemars(range(min = 1, max = 3600))]
    ttl_seconds: Option<u64>,
}

#[derive(Serialize, JsonSchema)]
#[schemars(rename = "UploadUrl")]
struct UploadBody {
    url: String,
    method: &'static str,
    headers: UploadHeaders,
    container: &'static str,
    blob: String,
    expires_at: DateTime<Utc>,
}

/// The headers the PUT must carry.
#[derive(Serialize, JsonSchema)]
struct UploadHeaders {
    #[serde(rename = "x-ms-blob-type")]
    blob_type: &'static str,
}

async fn handle(state: &AppState, http: &HttpRequest) -> Result<HttpResponse, ApiError> {
    let tenant = authenticate(state, http, Scope::Ingest).await?.tenant;
    if !http.method.eq_ignore_ascii_case("POST") {
        return Err(ApiError::method_not_allowed(&http.method));
    }
    let request = parse_request(http)?;
    let (container, blob) = destination(&tenant, &request)?;
    let ttl = match request.ttl_seconds {
        None => DEFAULT_TTL,
        Some(seconds) if (1..=MAX_UPLOAD_URL_TTL.as_secs()).contains(&seconds) => {
            Duration::from_secs(seconds)
        }
        Some(seconds) => {
            return Err(ApiError::bad_request(format!(
                "ttl_seconds is 1 to {}, not {seconds}",
                MAX_UPLOAD_URL_TTL.as_secs()
            )));
        }
    };
    let url = match state.blobs.upload_url(container, &blob, ttl).await {
        Ok(url) => url,
        Err(BlobError::UploadUrlUnavailable { .. }) => {
            return Err(ApiError::service_unavailable(
                "upload URLs need Azure Blob Storage or the local host (`cargo run`)",
            ));
        }
        Err(error) => return Err(error.into()),
    };
    let expires_at = Utc::now() + ttl;
    tracing::info!(tenant = %tenant, container = container.name(), blob, "upload URL issued");
    json(
        201,
        &UploadBody {
            url: url.to_string(),
            method: "PUT",
            headers: UploadHeaders {
                blob_type: "BlockBlob",
            },
            container: container.name(),
            blob,
            expires_at,
        },
    )
}

fn parse_request(http: &HttpRequest) -> Result<UploadRequest, ApiError> {
    let bytes = crate::http::body(
        http,
        MAX_REQUEST_BYTES,
        "{\"filename\": …, \"kind\": …}",
        "an upload request is at most 4 KiB",
    )?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("the body is not an upload request: {e}")))
}

/// The container and blob name the URL is for.
fn destination(
    tenant: &TenantId,
    request: &UploadRequest,
) -> Result<(Container, String), ApiError> {
    check_filename(&request.filename).map_err(ApiError::bad_request)?;
    let kind = request.kind.trim().to_ascii_lowercase();
    if kind == "video" || kind == "videos" {
        return Ok((Container::Videos, format!("{tenant}/{}", request.filename)));
    }
    let feed = FeedKind::from_path_segment(&kind).ok_or_else(|| {
        ApiError::bad_request(format!(
            "kind must be products, inventory, orders or video, not `{}`",
            request.kind
        ))
    })?;
    if request.filename.starts_with(PUSH_FILE_PREFIX) {
        return Err(ApiError::bad_request(format!(
            "file names starting with `{PUSH_FILE_PREFIX}` are kept for POST /api/ingest"
        )));
    }
    Ok((
        Container::Ingest,
        format!("{tenant}/{feed}/{}", request.filename),
    ))
}

/// A plain file name: no folders, nothing hidden, nothing that could climb out of the tenant's
/// folder. `Err` says what is wrong.
fn check_filename(name: &str) -> Result<(), String> {
    let problem = if name.is_empty() {
        Some("is empty")
    } else if name.chars().count() > MAX_FILENAME_CHARS {
        Some("is longer than 200 characters")
    } else if name.contains(['/', '\\']) {
        Some("contains a `/` or `\\`: give a file name, not a path")
    } else if name.starts_with('.') {
        Some("starts with `.`")
    } else if name.chars().any(char::is_control) {
        Some("contains control characters")
    } else if name.contains('#') {
        Some("contains `#`")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(format!("filename {problem}")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_are_accepted() {
        assert!(check_filename("feed 2024-05.csv").is_ok());
        for name in ["", "a/b.csv", "..\\x", "..", ".env", "a\nb", "a#b"] {
            assert!(check_filename(name).is_err(), "{name:?}");
        }
        assert!(check_filename(&"x".repeat(201)).is_err());
    }
}
