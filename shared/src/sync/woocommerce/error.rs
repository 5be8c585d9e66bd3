//! What can go wrong talking to WooCommerce, and whether trying again later helps.

use std::time::Duration;

/// A failed WooCommerce call. The engine stops a connection on [`WooError::is_auth`], retries
/// a job later when [`WooError::is_retriable`], and records everything else for a person.
#[derive(Debug, thiserror::Error)]
pub enum WooError {
    /// The site URL or base URL cannot make an endpoint.
    #[error("invalid WooCommerce connection: {0}")]
    Config(String),
    /// 401 or 403: wrong key or secret, a key without the scope, a stripped `Authorization`
    /// header or a rejected signature. Never retried.
    #[error("WooCommerce refused the credentials (HTTP {status}, {code}): {message}")]
    Auth {
        /// HTTP status.
        status: u16,
        /// The WP error `code`, e.g. `woocommerce_rest_authentication_error`.
        code: String,
        /// What the store said.
        message: String,
    },
    /// Another 4xx with a WP error body `{code, message, data.status}`.
    #[error("WooCommerce error {code} (HTTP {status}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The WP error `code`, e.g. `woocommerce_rest_product_invalid_id`.
        code: String,
        /// What the store said.
        message: String,
    },
    /// Any other HTTP status whose body is not a WP error (a host's HTML page …).
    #[error("WooCommerce answered HTTP {status}: {body}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// 429s outlasted the retry bounds; the job can resume from its cursor later.
    #[error("WooCommerce kept throttling after {attempts} attempts and {waited:?} of waiting")]
    Throttled {
        /// Attempts made.
        attempts: u32,
        /// Time spent waiting.
        waited: Duration,
    },
    /// 5xx, timeouts or dropped connections outlasted the retry bounds.
    #[error("WooCommerce unavailable after {attempts} attempts: {last}")]
    Unavailable {
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// A 2xx body or header that is not what the v3 API documents.
    #[error("unexpected WooCommerce response: {0}")]
    Decode(String),
}

impl WooError {
    /// Whether the same call may succeed later without anyone changing anything.
    pub fn is_retriable(&self) -> bool {
        matches!(self, Self::Throttled { .. } | Self::Unavailable { .. })
    }

    /// Whether the merchant's credentials are the problem: stop the connection, record it.
    pub fn is_auth(&self) -> bool {
        matches!(self, Self::Auth { .. })
    }
}
