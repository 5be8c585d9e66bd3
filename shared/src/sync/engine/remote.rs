//! A connected platform's client, made from a stored connection.

use crate::connections::{Connection, Platform};
use crate::settings::Secret;
use crate::sync::netsuite::{NetSuiteClient, NetSuiteConfig, NetSuiteError};
use crate::sync::shopify::{API_VERSION, ShopifyClient, ShopifyError};
use crate::sync::woocommerce::{WooClient, WooError};

use super::SyncError;

/// The client of a connection's platform.
#[derive(Debug)]
pub enum Remote {
    /// Shopify's GraphQL Admin API.
    Shopify(ShopifyClient),
    /// WooCommerce's REST API.
    WooCommerce(WooClient),
    /// NetSuite's SuiteTalk REST web services.
    NetSuite(NetSuiteClient),
}

impl Remote {
    /// The client `connection` describes.
    pub fn connect(connection: &Connection) -> Result<Self, SyncError> {
        let settings = &connection.settings;
        let secret = |name: &str| {
            connection
                .secrets
                .get(name)
                .map(Secret::new)
                .ok_or_else(|| {
                    SyncError::Unrunnable(format!("the connection has no `{name}`: store it again"))
                })
        };
        let setting = |value: &Option<String>, name: &str| {
            value.clone().ok_or_else(|| {
                SyncError::Unrunnable(format!("the connection has no `{name}`: store it again"))
            })
        };
        match connection.platform {
            Platform::Shopify => ShopifyClient::new(
                &setting(&settings.shop_domain, "shop_domain")?,
                secret("access_token")?,
                API_VERSION,
                settings.base_url.as_deref(),
            )
            .map(Remote::Shopify)
            .map_err(shopify_error),
            Platform::WooCommerce => WooClient::new(
                &setting(&settings.site_url, "site_url")?,
                secret("consumer_key")?.expose(),
                secret("consumer_secret")?,
                settings.base_url.as_deref(),
            )
            .map(Remote::WooCommerce)
            .map_err(woo_error),
            Platform::NetSuite => {
                let mut config = NetSuiteConfig::new(
                    setting(&settings.account_id, "account_id")?,
                    secret("consumer_key")?.expose(),
                    secret("consumer_secret")?,
                    secret("token_id")?.expose(),
                    secret("token_secret")?,
                );
                if let Some(limit) = settings.max_concurrency {
                    config.max_concurrency = limit;
                }
                config.base_url = settings.base_url.clone();
                if let Some(zone) = &settings.time_zone {
                    config.time_zone = zone.parse().map_err(|_| {
                        SyncError::Unrunnable(format!("the connection's time zone `{zone}`"))
                    })?;
                }
                NetSuiteClient::new(config)
                    .map(Remote::NetSuite)
                    .map_err(netsuite_error)
            }
        }
    }

    /// Checks the credentials with a cheap authenticated call; says what it found.
    pub async fn check(&self) -> Result<String, SyncError> {
        match self {
            Remote::Shopify(client) => {
                let shop = client.shop().await.map_err(shopify_error)?;
                Ok(format!(
                    "the shop answered: currency {}, time zone {}",
                    shop.currency, shop.time_zone
                ))
            }
            Remote::WooCommerce(client) => {
                let currency = client.currency().await.map_err(woo_error)?;
                Ok(format!("the store answered: currency {currency}"))
            }
            Remote::NetSuite(client) => {
                client.check().await.map_err(netsuite_error)?;
                Ok("the account answered a SuiteQL query on items".into())
            }
        }
    }
}

/// A Shopify failure as the engine sees it.
pub(super) fn shopify_error(e: ShopifyError) -> SyncError {
    SyncError::Platform {
        platform: Platform::Shopify,
        auth: e.is_auth(),
        retriable: e.is_retriable(),
        message: e.to_string(),
    }
}

/// A WooCommerce failure as the engine sees it.
pub(super) fn woo_error(e: WooError) -> SyncError {
    SyncError::Platform {
        platform: Platform::WooCommerce,
        auth: e.is_auth(),
        retriable: e.is_retriable(),
        message: e.to_string(),
    }
}

/// A NetSuite failure as the engine sees it.
pub(super) fn netsuite_error(e: NetSuiteError) -> SyncError {
    SyncError::Platform {
        platform: Platform::NetSuite,
        auth: e.is_auth(),
        retriable: e.is_retriable(),
        message: e.to_string(),
    }
}
