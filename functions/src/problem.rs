//! HTTP API errors as RFC 9457 `application/problem+json`. Client errors keep their message;
//! internal ones say "internal error" and the cause is logged once, here.

use serde_json::json;
use shared::auth::AuthError;
use shared::blobs::BlobError;
use shared::protocol::HttpResponse;
use shared::store::StoreError;

/// An error an HTTP function answers with.
#[derive(Debug)]
pub struct ApiError {
    status: u16,
    title: &'static str,
    detail: String,
    retry_after: Option<u32>,
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
            etag: None,
        }
    }

    /// The response.
    pub fn into_response(self) -> HttpResponse {
        let body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        });
        let mut response =
            HttpResponse::new(self.status, "application/problem+json", body.to_string());
        if let Some(seconds) = self.retry_after {
            response = response.with_header("Retry-After", seconds.to_string());
        }
        if let Some(etag) = self.etag {
            response = response.with_header("ETag", etag);
        }
        response
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Store(e) => e.into(),
            AuthError::Missing | AuthError::Invalid => Self {
                status: 401,
                title: "Unauthorized",
                detail: error.to_string(),
                retry_after: None,
                etag: None,
            },
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
