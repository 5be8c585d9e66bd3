//! Platform connections: a tenant's link to its Shopify shop, WooCommerce site or NetSuite
//! account. Non-secret settings (where, which object kinds flow which way and how often) are
//! stored as JSON; the credentials are sealed with [`CredentialsKey`] and never leave this
//! module in clear except to the platform client that needs them.

mod address;
mod check;
mod config;
mod crypto;

pub use address::{
    AddressError, AddressRules, GuardedResolver, allowed_addresses, check_url, platform_http_client,
};
pub use check::{check_request, unknown_fields};
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

/// A stored connection, opened: what a platform client needs to call the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// The platform.
    pub platform: Platform,
    /// Where and how often.
    pub settings: ConnectionSettings,
    /// The credentials, in clear (their `Debug` prints only their names).
    pub secrets: ConnectionSecrets,
}

impl Connection {
    /// `record`'s settings parsed and its secrets opened with `key`.
    pub fn open(
        key: &CredentialsKey,
        record: &crate::store::ConnectionRecord,
    ) -> Result<Self, ConnectionError> {
        Ok(Self {
            platform: record.platform,
            settings: serde_json::from_value(record.settings.clone())
                .map_err(|e| ConnectionError::Invalid(format!("stored settings: {e}")))?,
            secrets: open_secrets(key, record)?,
        })
    }
}

/// `record`'s secrets, opened with `key`.
pub fn open_secrets(
    key: &CredentialsKey,
    record: &crate::store::ConnectionRecord,
) -> Result<ConnectionSecrets, ConnectionError> {
    let plain = key.open(&record.tenant, record.platform, &record.secrets)?;
    serde_json::from_slice(&plain).map_err(|_| ConnectionError::Unreadable)
}

/// `secrets` sealed with `key` for the tenant's `platform` row.
pub fn seal_secrets(
    key: &CredentialsKey,
    tenant: &crate::domain::TenantId,
    platform: Platform,
    secrets: &ConnectionSecrets,
) -> Result<String, ConnectionError> {
    let plain = serde_json::to_vec(secrets).map_err(|e| ConnectionError::Crypto(e.to_string()))?;
    key.seal(tenant, platform, &plain)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::domain::TenantId;
    use crate::store::ConnectionRecord;

    #[test]
    fn a_sealed_record_opens_into_its_settings_and_secrets() {
        let key = CredentialsKey::from_bytes(&[9; KEY_LEN]).unwrap();
        let tenant = TenantId::parse("acme").unwrap();
        let secrets =
            ConnectionSecrets(BTreeMap::from([("access_token".into(), "shpat_x".into())]));
        let settings = ConnectionSettings {
            shop_domain: Some("acme.myshopify.com".into()),
            site_url: None,
            account_id: None,
            max_concurrency: None,
            time_zone: None,
            currency: None,
            default_customer_id: None,
            base_url: None,
            objects: Objects::defaults(Platform::Shopify),
            webhooks: false,
        };
        let now = chrono::Utc::now();
        let record = ConnectionRecord {
            tenant: tenant.clone(),
            platform: Platform::Shopify,
            settings: serde_json::to_value(&settings).unwrap(),
            secrets: seal_secrets(&key, &tenant, Platform::Shopify, &secrets).unwrap(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let opened = Connection::open(&key, &record).unwrap();
        assert_eq!(opened.settings, settings);
        assert_eq!(opened.secrets.get("access_token"), Some("shpat_x"));
        assert!(!format!("{opened:?}").contains("shpat_x"));
        let other = CredentialsKey::from_bytes(&[8; KEY_LEN]).unwrap();
        assert!(matches!(
            Connection::open(&other, &record),
            Err(ConnectionError::Unreadable)
        ));
    }
}
