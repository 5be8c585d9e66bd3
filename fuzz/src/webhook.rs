//! Target `webhook`: a platform delivery's raw body checked against signatures
//! ([`signature_matches`]) and turned into sync work ([`work_for`]) for every platform and
//! every topic the sync follows, plus a topic taken from the input.
//!
//! Input layout: up to the first newline is a topic (and, as is, a signature to check); the
//! rest is the body.

use shared::connections::Platform;
use shared::sync::webhooks::{WebhookWork, sign, signature_matches, work_for};

/// Every topic `work_for` knows, and one it does not.
const TOPICS: [&str; 15] = [
    "products/create",
    "products/update",
    "products/delete",
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "inventory_levels/update",
    "product.created",
    "product.updated",
    "product.restored",
    "product.deleted",
    "order.created",
    "order.updated",
    "order.deleted",
    "app/uninstalled",
];

/// The platforms that deliver webhooks (and NetSuite, which delivers none).
const PLATFORMS: [Platform; 3] = [Platform::Shopify, Platform::WooCommerce, Platform::NetSuite];

/// The secret the target signs with.
const SECRET: &str = "fuzz-webhook-secret";

/// Checks `data`'s signatures and asks every platform what work each topic means.
pub fn delivery(data: &[u8]) {
    let (head, body) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&[][..], data),
    };
    let head = String::from_utf8_lossy(head);
    let _ = signature_matches(SECRET, body, &head);
    let _ = signature_matches(&head, body, &head);
    let signature = sign(SECRET, body);
    assert!(
        signature_matches(SECRET, body, &signature),
        "a body's own signature does not match"
    );
    assert!(
        head.trim() == signature || !signature_matches(SECRET, body, &head),
        "a signature other than the body's own matches"
    );
    for platform in PLATFORMS {
        for topic in TOPICS.iter().copied().chain([head.as_ref()]) {
            if let Ok(WebhookWork::Sync {
                targets: Some(targets),
                ..
            }) = work_for(platform, topic, body)
            {
                assert!(!targets.ids.is_empty(), "{topic}: sync targets without ids");
            }
        }
    }
}
