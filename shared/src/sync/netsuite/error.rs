//! What can go wrong talking to NetSuite, and whether trying again later helps.

use std::time::Duration;

use serde::Deserialize;

/// One entry of NetSuite's `o:errorDetails` array.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ErrorDetail {
    /// Human-readable description.
    #[serde(default)]
    pub detail: String,
    /// The machine-friendly category, e.g. `INVALID_LOGIN`, `INVALID_PARAMETER`.
    #[serde(rename = "o:errorCode", default)]
    pub code: String,
    /// JSON path into the request body where the error is, when given.
    #[serde(rename = "o:errorPath", default)]
    pub path: Option<String>,
    /// The query parameter at fault, when given.
    #[serde(rename = "o:errorQueryParam", default)]
    pub query_param: Option<String>,
    /// The request header at fault, when given.
    #[serde(rename = "o:errorHeader", default)]
    pub header: Option<String>,
}

/// NetSuite's REST error body: `{type, title, status, o:errorDetails: [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct ErrorBody {
    #[serde(default)]
    pub(super) title: String,
    #[serde(rename = "o:errorDetails", default)]
    pub(super) details: Vec<ErrorDetail>,
}

/// A failed NetSuite call. The engine stops a connection on [`NetSuiteError::is_auth`],
/// retries a job later when [`NetSuiteError::is_retriable`], and records everything else for
/// a person.
#[derive(Debug, thiserror::Error)]
pub enum NetSuiteError {
    /// The account id or base URL cannot make an endpoint, or a setting is out of range.
    #[error("invalid NetSuite connection: {0}")]
    Config(String),
    /// 401 or 403: a wrong key, token or secret, a realm in the wrong case, a role without
    /// REST web services permission, or a revoked token. NetSuite only says `INVALID_LOGIN`;
    /// the reason is in its Login Audit Trail. Never retried.
    #[error("NetSuite refused the credentials (HTTP {status}, {code}): {message}")]
    Auth {
        /// HTTP status.
        status: u16,
        /// The first `o:errorCode`, e.g. `INVALID_LOGIN`.
        code: String,
        /// The first `detail`.
        message: String,
    },
    /// Another 4xx with NetSuite's error body.
    #[error("NetSuite error {} (HTTP {status}): {}", first_code(.details), describe(.details))]
    Api {
        /// HTTP status.
        status: u16,
        /// The `o:errorDetails`, as sent.
        details: Vec<ErrorDetail>,
    },
    /// Any other status whose body is not NetSuite's error shape (a proxy's HTML page …).
    #[error("NetSuite answered HTTP {status}: {body}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// 429s or concurrency-limit errors outlasted the retry bounds: the account's
    /// concurrency is used up (other integrations share it). The job resumes later.
    #[error(
        "NetSuite kept refusing for concurrency after {attempts} attempts and {waited:?} of waiting"
    )]
    Throttled {
        /// Attempts made.
        attempts: u32,
        /// Time spent waiting.
        waited: Duration,
    },
    /// 5xx, timeouts or dropped connections outlasted the retry bounds.
    #[error("NetSuite unavailable after {attempts} attempts: {last}")]
    Unavailable {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// A sales order names SKUs NetSuite has no item for: nothing was sent, since an order
    /// without some of its lines would be wrong in the ERP.
    #[error("sales order {external_id}: NetSuite has no item for SKU {}", .skus.join(", "))]
    UnknownSkus {
        /// The order's external id.
        external_id: String,
        /// The SKUs NetSuite does not know, in line order.
        skus: Vec<String>,
    },
    /// A sales order that cannot be a NetSuite order (no lines, an amount that does not
    /// fit its currency): nothing was sent.
    #[error("sales order {external_id}: {message}")]
    InvalidOrder {
        /// The order's external id.
        external_id: String,
        /// What is wrong.
        message: String,
    },
    /// A 2xx body or header that is not what SuiteTalk REST documents.
    #[error("unexpected NetSuite response: {0}")]
    Decode(String),
}

fn first_code(details: &[ErrorDetail]) -> &str {
    details.first().map_or("UNKNOWN", |d| d.code.as_str())
}

fn describe(details: &[ErrorDetail]) -> String {
    details
        .iter()
        .map(|d| {
            let at = d
                .path
                .as_deref()
                .or(d.query_param.as_deref())
                .or(d.header.as_deref());
            match at {
                Some(at) => format!("{} ({at})", d.detail),
                None => d.detail.clone(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl NetSuiteError {
    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_retriable(&self) -> bool {
        matches!(self, Self::Throttled { .. } | Self::Unavailable { .. })
    }

    /// Whether the merchant's credentials are the problem: stop the connection, record it.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth { .. })
    }

    /// The `o:errorCode`s of an API error (empty for other kinds).
    pub fn codes(&self) -> Vec<&str> {
        match self {
            Self::Api { details, .. } => details.iter().map(|d| d.code.as_str()).collect(),
            Self::Auth { code, .. } => vec![code.as_str()],
            _ => Vec::new(),
        }
    }
}

/// Error codes that mean "the account's concurrency limit is reached": REST answers 429,
/// but SOAP's and RESTlets' codes are known to arrive too (a 400 with one of these), and
/// all of them are worth waiting out.
pub(super) const CONCURRENCY_CODES: [&str; 4] = [
    "CONCURRENCY_LIMIT_EXCEEDED",
    "SSS_REQUEST_LIMIT_EXCEEDED",
    "WS_REQUEST_BLOCKED",
    "ExceededConcurrentRequestLimitFault",
];
