//! Platform webhooks: their signatures checked over the raw body, and their topics turned into
//! the sync work they ask for.
//!
//! Both platforms sign the exact bytes they send with HMAC-SHA256 and send the digest in
//! base64: Shopify in `X-Shopify-Hmac-Sha256` with the app's client secret, WooCommerce in
//! `X-WC-Webhook-Signature` with the webhook's secret. The check compares in constant time
//! and never parses the body first (a re-serialised body has other bytes).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::connections::{ObjectKind, Platform};
use crate::store::SyncTargets;

/// Whether `signature` (base64, as the header carries it) is the HMAC-SHA256 of `body` under
/// `secret`. A signature that is not base64 or not 32 bytes is simply wrong.
pub fn signature_matches(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected).is_ok()
}

/// The base64 HMAC-SHA256 of `body` under `secret`: what a platform sends (and what tests
/// and mocks sign with).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// What a verified delivery asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookWork {
    /// Sync these records of `kind` now (or, without targets, run `kind` incrementally).
    Sync {
        /// The object kind.
        kind: ObjectKind,
        /// The records; `None` runs the kind incrementally.
        targets: Option<SyncTargets>,
    },
    /// Nothing to do (a topic we do not follow, a ping): answered 200 so the platform keeps
    /// the subscription.
    Ignore(String),
}

/// The work a `platform` delivery of `topic` with JSON `body` asks for. A body without the
/// record id a topic needs is an error (the message says what is missing).
pub fn work_for(platform: Platform, topic: &str, body: &[u8]) -> Result<WebhookWork, String> {
    let json = || -> Result<Value, String> {
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))
    };
    let targets = |ids: Vec<String>, deleted: bool| {
        Some(SyncTargets {
            ids,
            deleted,
            force_push: false,
        })
    };
    match (platform, topic) {
        (Platform::Shopify, "products/create" | "products/update") => {
            let body = json()?;
            let id = shopify_product_gid(&body)?;
            Ok(WebhookWork::Sync {
                kind: ObjectKind::Products,
                targets: targets(vec![id], false),
            })
        }
        (Platform::Shopify, "products/delete") => {
            let body = json()?;
            let id = shopify_product_gid(&body)?;
            Ok(WebhookWork::Sync {
                kind: ObjectKind::Products,
                targets: targets(vec![id], true),
            })
        }
        (Platform::Shopify, "orders/create" | "orders/updated" | "orders/cancelled") => {
            Ok(WebhookWork::Sync {
                kind: ObjectKind::Orders,
                targets: None,
            })
        }
        (Platform::Shopify, "inventory_levels/update") => Ok(WebhookWork::Sync {
            kind: ObjectKind::Inventory,
            targets: None,
        }),
        (Platform::WooCommerce, "product.created" | "product.updated" | "product.restored") => {
            let id = woo_id(&json()?)?;
            Ok(WebhookWork::Sync {
                kind: ObjectKind::Products,
                targets: targets(vec![id], false),
            })
        }
        (Platform::WooCommerce, "product.deleted") => {
            let id = woo_id(&json()?)?;
            Ok(WebhookWork::Sync {
                kind: ObjectKind::Products,
                targets: targets(vec![id], true),
            })
        }
        (Platform::WooCommerce, "order.created" | "order.updated" | "order.deleted") => {
            Ok(WebhookWork::Sync {
                kind: ObjectKind::Orders,
                targets: None,
            })
        }
        (_, other) => Ok(WebhookWork::Ignore(format!(
            "topic `{other}` is not one the sync follows"
        ))),
    }
}

/// The product's GID from a Shopify product payload: `admin_graphql_api_id`, or built from
/// the numeric `id` (a `products/delete` payload carries only that).
fn shopify_product_gid(body: &Value) -> Result<String, String> {
    if let Some(gid) = body.get("admin_graphql_api_id").and_then(Value::as_str)
        && gid.starts_with("gid://shopify/Product/")
    {
        return Ok(gid.to_owned());
    }
    body.get("id")
        .and_then(Value::as_u64)
        .map(|id| format!("gid://shopify/Product/{id}"))
        .ok_or_else(|| "the body has no product `id`".to_owned())
}

/// The record's numeric `id` from a WooCommerce payload.
fn woo_id(body: &Value) -> Result<String, String> {
    body.get("id")
        .and_then(Value::as_u64)
        .map(|id| id.to_string())
        .ok_or_else(|| "the body has no numeric `id`".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Computed independently with Python: base64(hmac.new(b"whsec_test", body, sha256).digest()).
    const SECRET: &str = "whsec_test";
    const BODY: &[u8] = br#"{"id":632910392,"title":"IPod Nano - 8GB"}"#;
    const SIGNATURE: &str = "BZAAzIxcKfZw9B5YxrDbfSK61ydl53EHK1tWdm8ec6c=";

    #[test]
    fn the_signature_of_the_exact_bytes_matches() {
        assert_eq!(sign(SECRET, BODY), SIGNATURE);
        assert!(signature_matches(SECRET, BODY, SIGNATURE));
    }

    #[test]
    fn other_bytes_another_secret_or_another_encoding_do_not_match() {
        let mut spaced = BODY.to_vec();
        spaced.push(b' ');
        assert!(!signature_matches(SECRET, &spaced, SIGNATURE));
        assert!(!signature_matches("whsec_other", BODY, SIGNATURE));
        let digest = STANDARD.decode(SIGNATURE).unwrap();
        assert!(!signature_matches(SECRET, BODY, &hex::encode(digest)));
        assert!(!signature_matches(SECRET, BODY, ""));
        assert!(!signature_matches(SECRET, BODY, "not base64!"));
    }

    #[test]
    fn topics_become_targeted_or_incremental_work() {
        let update = work_for(Platform::Shopify, "products/update", BODY).unwrap();
        assert_eq!(
            update,
            WebhookWork::Sync {
                kind: ObjectKind::Products,
                targets: Some(SyncTargets {
                    ids: vec!["gid://shopify/Product/632910392".into()],
                    deleted: false,
                    force_push: false,
                }),
            }
        );
        let deleted = work_for(Platform::WooCommerce, "product.deleted", br#"{"id":799}"#);
        assert!(matches!(
            deleted,
            Ok(WebhookWork::Sync { targets: Some(SyncTargets { deleted: true, ref ids, .. }), .. }) if ids == &["799"]
        ));
        assert!(matches!(
            work_for(Platform::Shopify, "orders/create", b"{}"),
            Ok(WebhookWork::Sync {
                kind: ObjectKind::Orders,
                targets: None
            })
        ));
        assert!(matches!(
            work_for(Platform::Shopify, "app/uninstalled", b"{}"),
            Ok(WebhookWork::Ignore(_))
        ));
        assert!(work_for(Platform::Shopify, "products/update", b"{}").is_err());
        assert!(work_for(Platform::WooCommerce, "product.updated", b"webhook_id=3").is_err());
    }
}
