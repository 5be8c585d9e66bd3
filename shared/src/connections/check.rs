//! The PUT request checked per platform: only the platform's fields, each in its shape, into
//! the settings to store and the secrets to seal.

use super::config::*;
use super::{AddressRules, ConnectionError, Platform, check_url};

/// The body's field names that `platform` does not accept, sorted.
pub fn unknown_fields(
    platform: Platform,
    body: &serde_json::Map<String, serde_json::Value>,
) -> Vec<String> {
    let allowed = allowed_fields(platform);
    let mut unknown: Vec<String> = body
        .keys()
        .filter(|k| !allowed.contains(&k.as_str()))
        .cloned()
        .collect();
    unknown.sort();
    unknown
}

/// `request` checked for `platform`: the settings to store, and the secrets it carries
/// merged over `stored` (a secret left out keeps the stored one; with nothing stored, every
/// secret is required).
pub fn check_request(
    platform: Platform,
    request: ConnectionRequest,
    stored: Option<&ConnectionSecrets>,
    rules: AddressRules,
) -> Result<(ConnectionSettings, ConnectionSecrets), ConnectionError> {
    let invalid = |m: String| ConnectionError::Invalid(m);
    let base_url = request
        .base_url
        .as_deref()
        .map(|u| check_url(u, rules, true).map(|u| u.to_string()))
        .transpose()
        .map_err(|e| invalid(format!("`base_url`: {e}")))?;
    let mut settings = ConnectionSettings {
        shop_domain: None,
        site_url: None,
        account_id: None,
        max_concurrency: None,
        time_zone: None,
        currency: None,
        default_customer_id: None,
        base_url,
        objects: objects(platform, request.objects.unwrap_or_default())?,
        webhooks: false,
    };
    let given = [
        ("access_token", request.access_token),
        ("consumer_key", request.consumer_key),
        ("consumer_secret", request.consumer_secret),
        ("token_id", request.token_id),
        ("token_secret", request.token_secret),
        ("webhook_secret", request.webhook_secret),
    ];
    match platform {
        Platform::Shopify => {
            settings.shop_domain =
                Some(shop_domain(required(request.shop_domain, "shop_domain")?)?);
        }
        Platform::WooCommerce => {
            let site = required(request.site_url, "site_url")?;
            let url =
                check_url(&site, rules, false).map_err(|e| invalid(format!("`site_url`: {e}")))?;
            settings.site_url = Some(url.to_string());
        }
        Platform::NetSuite => {
            settings.account_id = Some(account_id(required(request.account_id, "account_id")?)?);
            let limit = request.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY);
            if !(1..=MAX_CONCURRENCY).contains(&limit) {
                return Err(invalid(format!(
                    "`max_concurrency`: 1 to {MAX_CONCURRENCY}, not {limit}"
                )));
            }
            settings.max_concurrency = Some(limit);
            settings.time_zone = Some(match request.time_zone {
                Some(zone) => zone
                    .trim()
                    .parse::<chrono_tz::Tz>()
                    .map_err(|_| {
                        invalid(format!("`time_zone`: `{zone}` is not an IANA time zone"))
                    })?
                    .name()
                    .to_owned(),
                None => "UTC".to_owned(),
            });
            settings.currency = request
                .currency
                .map(|code| {
                    crate::domain::Currency::parse(code.trim())
                        .map(|c| c.as_str().to_owned())
                        .map_err(|e| invalid(format!("`currency`: {e}")))
                })
                .transpose()?;
            settings.default_customer_id = request
                .default_customer_id
                .map(|id| {
                    let id = id.trim().to_owned();
                    let ok =
                        !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit());
                    ok.then_some(id).ok_or_else(|| {
                        invalid("`default_customer_id`: a NetSuite internal id, digits only".into())
                    })
                })
                .transpose()?;
        }
    }
    let mut secrets = stored.cloned().unwrap_or_default();
    secrets.0.retain(|k, _| {
        secret_fields(platform).contains(&k.as_str())
            || optional_secret_fields(platform).contains(&k.as_str())
    });
    for (name, value) in given {
        if let Some(value) = value {
            check_secret(platform, name, &value)?;
            secrets.0.insert(name.to_owned(), value);
        }
    }
    settings.webhooks = secrets.0.contains_key("webhook_secret");
    let missing: Vec<&str> = secret_fields(platform)
        .iter()
        .copied()
        .filter(|name| !secrets.0.contains_key(*name))
        .collect();
    if !missing.is_empty() {
        return Err(invalid(format!(
            "{platform} needs {}",
            missing
                .iter()
                .map(|m| format!("`{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok((settings, secrets))
}

fn required(value: Option<String>, name: &str) -> Result<String, ConnectionError> {
    value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ConnectionError::Invalid(format!("`{name}` is required")))
}

fn objects(platform: Platform, request: ObjectsRequest) -> Result<Objects, ConnectionError> {
    let defaults = Objects::defaults(platform);
    let kind = |name: &str, given: Option<ObjectSyncRequest>, default: ObjectSync| {
        let given = given.unwrap_or_default();
        let every = given.every_minutes.unwrap_or(default.every_minutes);
        if !(MIN_EVERY_MINUTES..=MAX_EVERY_MINUTES).contains(&every) {
            return Err(ConnectionError::Invalid(format!(
                "`objects.{name}.every_minutes`: {MIN_EVERY_MINUTES} to {MAX_EVERY_MINUTES}, not {every}"
            )));
        }
        Ok(ObjectSync {
            direction: given.direction.unwrap_or(default.direction),
            every_minutes: every,
        })
    };
    let objects = Objects {
        products: kind("products", request.products, defaults.products)?,
        inventory: kind("inventory", request.inventory, defaults.inventory)?,
        orders: kind("orders", request.orders, defaults.orders)?,
    };
    // A stock job could only fail every time it is scheduled.
    if platform == Platform::WooCommerce && objects.inventory.direction != Direction::Off {
        return Err(ConnectionError::Invalid(
            "`objects.inventory.direction`: WooCommerce stock comes with its products \
             (`stock_quantity`), so inventory is `off`: sync products"
                .into(),
        ));
    }
    Ok(objects)
}

/// `acme.myshopify.com`, lower-cased; a scheme or path is refused rather than guessed away.
fn shop_domain(text: String) -> Result<String, ConnectionError> {
    let domain = text.to_ascii_lowercase();
    let shop = domain.strip_suffix(".myshopify.com").unwrap_or("");
    let label_ok = !shop.is_empty()
        && shop.len() <= 63
        && !shop.starts_with('-')
        && shop.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if label_ok {
        Ok(domain)
    } else {
        Err(ConnectionError::Invalid(format!(
            "`shop_domain`: `{text}` is not a shop domain like acme.myshopify.com"
        )))
    }
}

/// `1234567` or `1234567_SB1`, upper-cased (NetSuite's realm is case-sensitive; the URL
/// host's `1234567-sb1` spelling is derived from it by the client).
fn account_id(text: String) -> Result<String, ConnectionError> {
    let id = text.to_ascii_uppercase().replace('-', "_");
    let (number, suffix) = id
        .split_once('_')
        .map_or((id.as_str(), None), |(n, s)| (n, Some(s)));
    let ok = !number.is_empty()
        && number.len() <= 20
        && number.chars().all(|c| c.is_ascii_digit())
        && suffix.is_none_or(|s| {
            !s.is_empty() && s.len() <= 10 && s.chars().all(|c| c.is_ascii_alphanumeric())
        });
    if ok {
        Ok(id)
    } else {
        Err(ConnectionError::Invalid(format!(
            "`account_id`: `{text}` is not an account id like 1234567 or 1234567_SB1"
        )))
    }
}

/// A secret's shape (never its validity, which only the platform can tell): printable
/// ASCII without spaces, 8 to 512 characters, WooCommerce's keys with their `ck_`/`cs_`.
/// The message never repeats the value.
fn check_secret(platform: Platform, name: &str, value: &str) -> Result<(), ConnectionError> {
    let printable = value.chars().all(|c| c.is_ascii_graphic());
    let length = (8..=512).contains(&value.len());
    let prefix = match (platform, name) {
        (Platform::WooCommerce, "consumer_key") => Some("ck_"),
        (Platform::WooCommerce, "consumer_secret") => Some("cs_"),
        _ => None,
    };
    if !printable || !length {
        return Err(ConnectionError::Invalid(format!(
            "`{name}`: 8 to 512 printable characters without spaces"
        )));
    }
    if let Some(prefix) = prefix
        && !value.starts_with(prefix)
    {
        return Err(ConnectionError::Invalid(format!(
            "`{name}`: a WooCommerce {name} starts with `{prefix}`"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn shopify(domain: &str, token: Option<&str>) -> ConnectionRequest {
        ConnectionRequest {
            shop_domain: Some(domain.into()),
            access_token: token.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn a_shopify_request_becomes_settings_and_a_secret_with_defaults() {
        let (settings, secrets) = check_request(
            Platform::Shopify,
            shopify("Acme.myshopify.com", Some("shpat_0123456789")),
            None,
            AddressRules::Hosted,
        )
        .unwrap();
        assert_eq!(settings.shop_domain.as_deref(), Some("acme.myshopify.com"));
        assert_eq!(settings.objects, Objects::defaults(Platform::Shopify));
        assert_eq!(secrets.get("access_token"), Some("shpat_0123456789"));
        assert!(!format!("{secrets:?}").contains("shpat_0123456789"));
    }

    #[test]
    fn a_replace_without_secrets_keeps_the_stored_ones_and_a_create_needs_them() {
        let stored = ConnectionSecrets(BTreeMap::from([(
            "access_token".into(),
            "shpat_old_token".into(),
        )]));
        let (_, secrets) = check_request(
            Platform::Shopify,
            shopify("acme.myshopify.com", None),
            Some(&stored),
            AddressRules::Local,
        )
        .unwrap();
        assert_eq!(secrets, stored);
        let error = check_request(
            Platform::Shopify,
            shopify("acme.myshopify.com", None),
            None,
            AddressRules::Local,
        )
        .unwrap_err();
        assert!(error.to_string().contains("access_token"), "{error}");
    }

    #[test]
    fn a_woocommerce_connection_has_no_stock_kind_of_its_own() {
        let woo = |inventory: Option<Direction>| ConnectionRequest {
            site_url: Some("https://shop.example.com".into()),
            consumer_key: Some("ck_0123456789".into()),
            consumer_secret: Some("cs_0123456789".into()),
            objects: Some(ObjectsRequest {
                inventory: inventory.map(|direction| ObjectSyncRequest {
                    direction: Some(direction),
                    every_minutes: None,
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        let (settings, _) =
            check_request(Platform::WooCommerce, woo(None), None, AddressRules::Local).unwrap();
        assert_eq!(settings.objects.inventory.direction, Direction::Off);
        assert_eq!(settings.objects.products.direction, Direction::Both);
        let error = check_request(
            Platform::WooCommerce,
            woo(Some(Direction::Pull)),
            None,
            AddressRules::Local,
        )
        .unwrap_err();
        assert!(error.to_string().contains("objects.inventory"), "{error}");
    }

    #[test]
    fn shapes_are_checked_per_platform() {
        assert!(
            check_request(
                Platform::Shopify,
                shopify("acme.example.com", Some("shpat_0123456789")),
                None,
                AddressRules::Local
            )
            .is_err()
        );
        let woo = ConnectionRequest {
            site_url: Some("https://shop.example.com".into()),
            consumer_key: Some("xx_0123456789".into()),
            consumer_secret: Some("cs_0123456789".into()),
            ..Default::default()
        };
        let error =
            check_request(Platform::WooCommerce, woo, None, AddressRules::Local).unwrap_err();
        assert!(error.to_string().contains("ck_"), "{error}");
        let netsuite = |account: &str, limit| ConnectionRequest {
            account_id: Some(account.into()),
            max_concurrency: limit,
            consumer_key: Some("ck_ns_4f1c9a7e2b6d".into()),
            consumer_secret: Some("cs_ns_8e3b5d0f7a21".into()),
            token_id: Some("tk_ns_1a2b3c4d5e6f".into()),
            token_secret: Some("ts_ns_9f8e7d6c5b4a".into()),
            ..Default::default()
        };
        let (settings, _) = check_request(
            Platform::NetSuite,
            netsuite("1234567_sb1", None),
            None,
            AddressRules::Local,
        )
        .unwrap();
        assert_eq!(settings.account_id.as_deref(), Some("1234567_SB1"));
        assert_eq!(settings.max_concurrency, Some(5));
        assert!(
            check_request(
                Platform::NetSuite,
                netsuite("acme", None),
                None,
                AddressRules::Local
            )
            .is_err()
        );
        assert!(
            check_request(
                Platform::NetSuite,
                netsuite("1234567", Some(51)),
                None,
                AddressRules::Local
            )
            .is_err()
        );
    }

    #[test]
    fn schedules_outside_5_to_1440_minutes_are_refused() {
        let mut request = shopify("acme.myshopify.com", Some("shpat_0123456789"));
        request.objects = Some(ObjectsRequest {
            orders: Some(ObjectSyncRequest {
                direction: None,
                every_minutes: Some(1),
            }),
            ..Default::default()
        });
        let error =
            check_request(Platform::Shopify, request, None, AddressRules::Local).unwrap_err();
        assert!(
            error.to_string().contains("objects.orders.every_minutes"),
            "{error}"
        );
    }

    #[test]
    fn a_base_url_follows_the_address_rules() {
        let mut request = shopify("acme.myshopify.com", Some("shpat_0123456789"));
        request.base_url = Some("http://127.0.0.1:9000".into());
        assert!(
            check_request(
                Platform::Shopify,
                request.clone(),
                None,
                AddressRules::Local
            )
            .is_ok()
        );
        assert!(check_request(Platform::Shopify, request, None, AddressRules::Hosted).is_err());
    }

    #[test]
    fn unknown_fields_are_named() {
        let body = serde_json::json!({"shop_domain": "a", "site_url": "b", "colour": 1});
        let unknown = unknown_fields(Platform::Shopify, body.as_object().unwrap());
        assert_eq!(unknown, ["colour", "site_url"]);
    }
}
