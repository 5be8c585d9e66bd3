//! A stored platform connection: its settings in clear, its credentials as ciphertext.

use chrono::{DateTime, Utc};

use crate::connections::Platform;
use crate::domain::TenantId;

/// One row of `platform_connections`. `secrets` is ciphertext from
/// [`crate::connections::CredentialsKey::seal`]; the store never sees plaintext credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// The tenant.
    pub tenant: TenantId,
    /// The platform: a tenant has at most one connection to each.
    pub platform: Platform,
    /// The non-secret settings, as JSON.
    pub settings: serde_json::Value,
    /// The sealed credentials.
    pub secrets: String,
    /// When the connection was first stored (kept by a replace).
    pub created_at: DateTime<Utc>,
    /// When it was last stored.
    pub updated_at: DateTime<Utc>,
    /// How many times it has been stored: 1 after the first put.
    pub version: i64,
}

impl ConnectionRecord {
    /// Whether the put that answered this record made the connection (rather than replaced it).
    pub fn created(&self) -> bool {
        self.version == 1
    }
}
