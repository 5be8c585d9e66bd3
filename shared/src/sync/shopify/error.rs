//! What can go wrong talking to Shopify, and whether trying again later helps.

use std::time::Duration;

use super::queries::UserError;

/// A failed Shopify call. The engine stops a connection on [`ShopifyError::Auth`], retries a
/// job later when [`ShopifyError::is_retriable`], and records everything else as an error
/// a person must look at.
#[derive(Debug, thiserror::Error)]
pub enum ShopifyError {
    /// The shop domain, API version or base URL cannot make an endpoint.
    #[error("invalid Shopify connection: {0}")]
    Config(String),
    /// Shopify refused the access token (401, 403 or an `ACCESS_DENIED` GraphQL error): the
    /// merchant must reconnect or grant the missing scope. Never retried.
    #[error("Shopify refused the access token (HTTP {status}): {message}")]
    Auth {
        /// HTTP status (200 for a GraphQL `ACCESS_DENIED`).
        status: u16,
        /// What Shopify said.
        message: String,
    },
    /// Still throttled after the retry bounds; the job can resume from its cursor later.
    #[error("Shopify kept throttling after {attempts} attempts and {waited:?} of waiting")]
    Throttled {
        /// Attempts made.
        attempts: u32,
        /// Time spent waiting.
        waited: Duration,
    },
    /// Server errors (5xx) or timeouts outlasted the retry bounds.
    #[error("Shopify unavailable after {attempts} attempts: {last}")]
    Unavailable {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// Any other HTTP status (400, 404, 422 …).
    #[error("Shopify answered HTTP {status}: {body}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// GraphQL `errors` other than throttling and access, e.g. `MAX_COST_EXCEEDED` or a
    /// schema mismatch after a version change.
    #[error("Shopify GraphQL error {code}: {message}")]
    GraphQl {
        /// `extensions.code`, or `UNKNOWN`.
        code: String,
        /// The messages, joined.
        message: String,
    },
    /// A mutation's `userErrors`: the input was refused, nothing changed.
    #[error("Shopify refused the update: {}", describe(.0))]
    UserErrors(Vec<UserError>),
    /// The body is not the shape the pinned API version documents.
    #[error("unexpected Shopify response: {0}")]
    Decode(String),
}

fn describe(errors: &[UserError]) -> String {
    errors
        .iter()
        .map(|e| match &e.field {
            Some(path) => format!("{}: {}", path.join("."), e.message),
            None => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl ShopifyError {
    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_retriable(&self) -> bool {
        matches!(self, Self::Throttled { .. } | Self::Unavailable { .. })
    }

    /// Whether the merchant's credentials are the problem: stop the connection, record it.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth { .. })
    }
}
