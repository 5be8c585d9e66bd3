//! Platform connections: a tenant's link to its Shopify shop, WooCommerce site or NetSuite
//! account. Non-secret settings (where, which object kinds flow which way and how often) are
//! stored as JSON; the credentials are sealed with [`CredentialsKey`] and never leave this
//! module in clear except to the platform client that needs them.

mod address;
mod config;
mod crypto;

pub use address::{AddressRules, check_url};
pub use config::*;
pub use crypto::{CredentialsKey, KEY_LEN};

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A failed connection operation.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The request is not a valid connection: the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// A stored secret does not open with the configured key (another key, or tampering).
    #[error("the stored credentials cannot be decrypted with the configured key")]
    Unreadable,
    /// The key file cannot be read or made.
    #[error("the credentials key file: {0}")]
    KeyFile(String),
    /// The cryptography library failed.
    #[error("encryption failed: {0}")]
    Crypto(String),
}

impl ConnectionError {
    /// Whether trying again may succeed: never, these are configuration or data problems.
    pub fn is_transient(&self) -> bool {
        false
    }
}

/// A platform a tenant can connect.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Shopify, through the GraphQL Admin API.
    Shopify,
    /// WooCommerce, through its REST API v3.
    #[serde(rename = "woocommerce")]
    WooCommerce,
    /// NetSuite, through SuiteTalk REST.
    #[serde(rename = "netsuite")]
    NetSuite,
}

impl Platform {
    /// Every platform, in listing order.
    pub const ALL: [Platform; 3] = [Platform::Shopify, Platform::WooCommerce, Platform::NetSuite];

    /// The name in URLs and rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Shopify => "shopify",
            Platform::WooCommerce => "woocommerce",
            Platform::NetSuite => "netsuite",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("no platform `{s}`: shopify, woocommerce or netsuite"))
    }
}
