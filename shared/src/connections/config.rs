//! A connection's configuration: the PUT request as sent, the settings stored in clear
//! ([`ConnectionSettings`]) and the secrets sealed apart ([`ConnectionSecrets`]).

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Platform;

/// The fewest minutes between two scheduled runs of one object kind.
pub const MIN_EVERY_MINUTES: u32 = 5;
/// The most minutes between two scheduled runs (a day).
pub const MAX_EVERY_MINUTES: u32 = 1440;
/// NetSuite's concurrency limit when none is given (its smallest account tier allows 5).
pub const DEFAULT_MAX_CONCURRENCY: u32 = 5;
/// The highest NetSuite concurrency limit accepted.
pub const MAX_CONCURRENCY: u32 = 50;

/// Which way one object kind flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// From the platform into the advisor.
    Pull,
    /// From the advisor to the platform.
    Push,
    /// Both ways, under the field ownership rules.
    Both,
    /// Not synchronised.
    Off,
}

impl Direction {
    /// Whether the platform's records come in.
    pub fn pulls(self) -> bool {
        matches!(self, Direction::Pull | Direction::Both)
    }

    /// Whether ours go out.
    pub fn pushes(self) -> bool {
        matches!(self, Direction::Push | Direction::Both)
    }
}

/// One object kind's direction and schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ObjectSync {
    /// Which way it flows.
    pub direction: Direction,
    /// Minutes between scheduled runs, 5 to 1440.
    pub every_minutes: u32,
}

/// The object kinds' directions and schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Objects {
    /// Products (with variants and media).
    pub products: ObjectSync,
    /// Stock levels.
    pub inventory: ObjectSync,
    /// Orders.
    pub orders: ObjectSync,
}

/// One kind of object a connection synchronises.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ObjectKind {
    /// Products (with variants and media).
    Products,
    /// Stock levels.
    Inventory,
    /// Orders.
    Orders,
}

impl ObjectKind {
    /// Every kind, in the order a connection's jobs are scheduled.
    pub const ALL: [ObjectKind; 3] = [
        ObjectKind::Products,
        ObjectKind::Inventory,
        ObjectKind::Orders,
    ];

    /// The name in URLs, messages and rows.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Products => "products",
            ObjectKind::Inventory => "inventory",
            ObjectKind::Orders => "orders",
        }
    }
}

impl std::str::FromStr for ObjectKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObjectKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("no object kind `{s}`: products, inventory or orders"))
    }
}

impl Objects {
    /// The direction and schedule of `kind`.
    pub fn get(&self, kind: ObjectKind) -> ObjectSync {
        match kind {
            ObjectKind::Products => self.products,
            ObjectKind::Inventory => self.inventory,
            ObjectKind::Orders => self.orders,
        }
    }

    /// The defaults for `platform`: a shop owns its orders and takes enriched content back;
    /// an ERP owns items, price and stock, and receives the shops' orders.
    pub fn defaults(platform: Platform) -> Self {
        let every = |direction, every_minutes| ObjectSync {
            direction,
            every_minutes,
        };
        match platform {
            Platform::Shopify => Objects {
                products: every(Direction::Both, 60),
                inventory: every(Direction::Pull, 30),
                orders: every(Direction::Pull, 15),
            },
            // WooCommerce's stock is its products' `stock_quantity`: it comes with them.
            Platform::WooCommerce => Objects {
                products: every(Direction::Both, 60),
                inventory: every(Direction::Off, 30),
                orders: every(Direction::Pull, 15),
            },
            Platform::NetSuite => Objects {
                products: every(Direction::Pull, 360),
                inventory: every(Direction::Pull, 30),
                orders: every(Direction::Push, 15),
            },
        }
    }
}

/// A kind's part of the request: each field optional, the platform's default standing in.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectSyncRequest {
    /// `pull`, `push`, `both` or `off`.
    pub direction: Option<Direction>,
    /// Minutes between scheduled runs, 5 to 1440.
    #[schemars(range(min = 5, max = 1440))]
    pub every_minutes: Option<u32>,
}

/// The request's `objects`: kinds left out keep the platform's defaults.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectsRequest {
    /// Products.
    pub products: Option<ObjectSyncRequest>,
    /// Stock levels.
    pub inventory: Option<ObjectSyncRequest>,
    /// Orders.
    pub orders: Option<ObjectSyncRequest>,
}

/// `PUT /api/connections/{platform}`: the fields of the path's platform only. Shopify:
/// `shop_domain`, `access_token`. WooCommerce: `site_url`, `consumer_key`, `consumer_secret`.
/// NetSuite: `account_id`, `consumer_key`, `consumer_secret`, `token_id`, `token_secret`,
/// `max_concurrency`. Every platform: `base_url`, `objects`. A secret left out of a replace
/// keeps the stored one.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[schemars(rename = "ConnectionRequest")]
pub struct ConnectionRequest {
    /// Shopify: the shop's `x.myshopify.com` domain.
    pub shop_domain: Option<String>,
    /// Shopify: the Admin API access token (`shpat_…`).
    pub access_token: Option<String>,
    /// WooCommerce: the site's URL.
    pub site_url: Option<String>,
    /// WooCommerce (`ck_…`) and NetSuite: the consumer key.
    pub consumer_key: Option<String>,
    /// WooCommerce (`cs_…`) and NetSuite: the consumer secret.
    pub consumer_secret: Option<String>,
    /// NetSuite: the account id, e.g. `1234567` or `1234567_SB1`.
    pub account_id: Option<String>,
    /// NetSuite: the token id.
    pub token_id: Option<String>,
    /// NetSuite: the token secret.
    pub token_secret: Option<String>,
    /// NetSuite: the account's concurrency limit, 1 to 50 (default 5).
    #[schemars(range(min = 1, max = 50))]
    pub max_concurrency: Option<u32>,
    /// NetSuite: the integration user's time zone preference (IANA, default `UTC`): SuiteQL
    /// shows and reads times in it.
    pub time_zone: Option<String>,
    /// NetSuite: the currency of item prices (ISO 4217); items are pulled only with it.
    pub currency: Option<String>,
    /// NetSuite: the internal id of the customer sales orders are entered under; orders are
    /// pushed only with it.
    pub default_customer_id: Option<String>,
    /// Shopify: the app's client secret; WooCommerce: the webhooks' secret. Optional: the
    /// webhook endpoints verify deliveries with it and refuse them without it.
    pub webhook_secret: Option<String>,
    /// Overrides the platform's API base URL (a local mock can stand in).
    pub base_url: Option<String>,
    /// Directions and schedules per object kind.
    pub objects: Option<ObjectsRequest>,
}

/// A connection's settings, stored in clear: nothing here is a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectionSettings {
    /// Shopify: the shop's domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop_domain: Option<String>,
    /// WooCommerce: the site's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    /// NetSuite: the account id (upper case, as the OAuth realm wants it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// NetSuite: the concurrency limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
    /// NetSuite: the integration user's time zone (IANA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// NetSuite: the currency of item prices.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// NetSuite: the customer sales orders are entered under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_customer_id: Option<String>,
    /// The API base URL override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Directions and schedules.
    pub objects: Objects,
    /// A webhook secret is stored: the platform's webhooks are accepted.
    #[serde(default)]
    pub webhooks: bool,
}

/// A connection's credentials by field name. `Debug` never prints the values.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionSecrets(pub BTreeMap<String, String>);

impl fmt::Debug for ConnectionSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl ConnectionSecrets {
    /// The secret `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

/// The fields `platform` accepts in a request, secrets last.
pub fn allowed_fields(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::Shopify => &[
            "shop_domain",
            "base_url",
            "objects",
            "access_token",
            "webhook_secret",
        ],
        Platform::WooCommerce => &[
            "site_url",
            "base_url",
            "objects",
            "consumer_key",
            "consumer_secret",
            "webhook_secret",
        ],
        Platform::NetSuite => &[
            "account_id",
            "max_concurrency",
            "time_zone",
            "currency",
            "default_customer_id",
            "base_url",
            "objects",
            "consumer_key",
            "consumer_secret",
            "token_id",
            "token_secret",
        ],
    }
}

/// The secrets `platform` may be given but does not need: the webhook secret.
pub fn optional_secret_fields(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::Shopify | Platform::WooCommerce => &["webhook_secret"],
        Platform::NetSuite => &[],
    }
}

/// The secret fields `platform` needs.
pub fn secret_fields(platform: Platform) -> &'static [&'static str] {
    match platform {
        Platform::Shopify => &["access_token"],
        Platform::WooCommerce => &["consumer_key", "consumer_secret"],
        Platform::NetSuite => &[
            "consumer_key",
            "consumer_secret",
            "token_id",
            "token_secret",
        ],
    }
}
