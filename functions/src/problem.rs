//! HTTP API errors as RFC 9457 `application/problem+json`. Client errors keep their message;
//! internal ones say "internal error" and the cause is logged once, here.

use schemars::JsonSchema;
use serde::Serialize;
use shared::auth::AuthError;
use shared::blobs::BlobError;
use shared::protocol::HttpResponse;
use shared::store::StoreError;

/// The body of every error answer (RFC 9457).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Problem")]
pub struct ProblemBody {
    /// Always `about:blank`: the status says what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The status's phrase.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, for a person to read.
    pub detail: String,
}

/// The realm named in `WWW-Authenticate` challenges.
const REALM: &str = "advisor";

/// An error an HTTP function answers with.
#[derive(Debug)]
pub struct ApiError {
    status: u16,
    title: &'static str,
    detail: String,
    retry_after: Option<u32>,
    /// The `WWW-Authenticate` challenge: on every 401 (RFC 9110 §11.6.1), and on the 403 of a
    /// Bearer token that lacks a scope (RFC 6750 §3.1).
    www_authenticate: Option<String>,
    /// The resource's current ETag, for a failed precondition.
    etag: Option<String>,
}

impl ApiError {
    /// 400 with `detail`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self {
            status: 400,
            title: "Bad request",
            detail: detail.into(),
            retry_after: None,
            www_authenticate: None,
            etag: None,
        }
    }

    /// 404 with `detail`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self {
            status: 404,
            title: "Not found",
            detail: detail.into(),
            retry_after: None,
            www_authenticate: None,
            etag: None,
        }
    }

    /// 403 with `detail`: the caller is known but may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::client(403, "Forbidden", detail)
    }

    /// 409 with `detail`: the request clashes with what is stored.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::client(409, "Conflict", detail)
    }

    /// 413 with `detail`: the body is over the endpoint's limit.
    pub fn payload_too_large(detail: impl Into<String>) -> Self {
        Self::client(413, "Payload too large", detail)
    }

    /// 415 with `detail`: the body's content type is not one the endpoint reads.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::client(415, "Unsupported media type", detail)
    }

    /// 503 with `detail`, for a feature this deployment cannot serve right now.
    pub fn service_unavailable(detail: impl Into<String>) -> Self {
        Self::client(503, "Service unavailable", detail)
    }

    /// 412 with `detail`: a precondition (`If-Match`, `If-None-Match`) did not hold.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::client(412, "Precondition failed", detail)
    }

    /// 428 with `detail`: the change needs a precondition so it cannot overwrite another.
    pub fn precondition_required(detail: impl Into<String>) -> Self {
        Self::client(428, "Precondition required", detail)
    }

    /// The error with the resource's current `etag` in an `ETag` header.
    pub fn with_etag(mut self, etag: Option<String>) -> Self {
        self.etag = etag;
        self
    }

    fn client(status: u16, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
            retry_after: None,
            www_authenticate: None,
            etag: None,
        }
    }

    /// 405 for a method the route does not serve.
    pub fn method_not_allowed(method: &str) -> Self {
        Self {
            status: 405,
            title: "Method not allowed",
            detail: format!("{method} is not served here"),
            retry_after: None,
            www_authenticate: None,
            etag: None,
        }
    }

    /// 500, for a failure that is ours; the caller sees no detail.
    pub fn internal() -> Self {
        Self {
            status: 500,
            title: "Internal server error",
            detail: "internal error".into(),
            retry_after: None,
            www_authenticate: None,
            etag: None,
        }
    }

    /// The response.
    pub fn into_response(self) -> HttpResponse {
        let body = ProblemBody {
            kind: "about:blank",
            title: self.title,
            status: self.status,
            detail: self.detail,
        };
        let text = serde_json::to_string(&body).unwrap_or_default();
        let mut response = HttpResponse::new(self.status, "application/problem+json", text);
        if let Some(seconds) = self.retry_after {
            response = response.with_header("Retry-After", seconds.to_string());
        }
        if let Some(challenge) = self.www_authenticate {
            response = response.with_header("WWW-Authenticate", challenge);
        }
        if let Some(etag) = self.etag {
            response = response.with_header("ETag", etag);
        }
        response
    }

    /// 401 with `detail` and its challenge: RFC 6750's `invalid_token` when a Bearer token
    /// was refused, a bare challenge when credentials were missing or an API key was wrong.
    pub fn unauthorized(detail: impl Into<String>, invalid_token: bool) -> Self {
        let challenge = if invalid_token {
            format!(r#"Bearer realm="{REALM}", error="invalid_token""#)
        } else {
            format!(r#"Bearer realm="{REALM}""#)
        };
        Self {
            status: 401,
            title: "Unauthorized",
            detail: detail.into(),
            retry_after: None,
            www_authenticate: Some(challenge),
            etag: None,
        }
    }

    /// 403 for a Bearer token whose roles lack what the request needs, with RFC 6750's
    /// `insufficient_scope` challenge.
    pub fn insufficient_scope(detail: impl Into<String>) -> Self {
        Self {
            www_authenticate: Some(format!(
                r#"Bearer realm="{REALM}", error="insufficient_scope""#
            )),
            ..Self::forbidden(detail)
        }
    }

    /// 429 with `Retry-After`: the caller is over its rate limit.
    pub fn too_many_requests(retry_after_seconds: u32) -> Self {
        Self {
            status: 429,
            title: "Too many requests",
            detail: format!("the rate limit is reached; try again in {retry_after_seconds} s"),
            retry_after: Some(retry_after_seconds),
            www_authenticate: None,
            etag: None,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(e) => e.into(),
            AuthError::Missing | AuthError::Invalid => Self::unauthorized(error.to_string(), false),
            AuthError::InvalidToken(_) => Self::unauthorized(error.to_string(), true),
            AuthError::Ambiguous => Self::bad_request(error.to_string()),
            AuthError::NoRole => Self::forbidden(error.to_string()),
            AuthError::KeysUnavailable => {
                tracing::warn!(%error, "Bearer tokens cannot be checked");
                Self {
                    retry_after: Some(5),
                    ..Self::client(503, "Service unavailable", error.to_string())
                }
            }
        }
    }
}

impl From<BlobError> for ApiError {
    fn from(error: BlobError) -> Self {
        if error.is_transient() {
            tracing::warn!(%error, "blob storage unavailable");
            Self::unavailable()
        } else {
            tracing::error!(%error, "blob storage failed");
            Self::internal()
        }
    }
}

impl ApiError {
    /// 503 with `Retry-After`, for a dependency that may come back.
    fn unavailable() -> Self {
        Self {
            status: 503,
            title: "Service unavailable",
            detail: "the service is busy; try again shortly".into(),
            retry_after: Some(2),
            www_authenticate: None,
            etag: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        if error.is_transient() {
            tracing::warn!(%error, "store unavailable");
            Self::unavailable()
        } else {
            tracing::error!(%error, "store failed");
            Self::internal()
        }
    }
}
