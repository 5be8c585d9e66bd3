//! Platform connections: put inserts then replaces, per tenant and platform.

use chrono::Duration;
use serde_json::json;

use super::*;
use crate::connections::Platform;

fn connection(tenant_id: &TenantId, platform: Platform, secrets: &str) -> ConnectionRecord {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    ConnectionRecord {
        tenant: tenant_id.clone(),
        platform,
        settings: json!({"shop_domain": "acme.myshopify.com"}),
        secrets: secrets.into(),
        created_at: at,
        updated_at: at,
        version: 0,
    }
}

pub(super) async fn connections_are_put_replaced_listed_and_deleted_per_tenant(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let first = store
        .put_connection(&connection(&demo, Platform::Shopify, "v1:first"))
        .await
        .unwrap();
    assert!(first.created());
    assert_eq!(first.secrets, "v1:first");
    let mut replace = connection(&demo, Platform::Shopify, "v1:second");
    replace.settings = json!({"shop_domain": "other.myshopify.com"});
    replace.created_at = first.created_at + Duration::days(9);
    replace.updated_at = first.updated_at + Duration::hours(1);
    let second = store.put_connection(&replace).await.unwrap();
    assert!(!second.created());
    assert_eq!(second.version, 2);
    assert_eq!(
        second.created_at, first.created_at,
        "a replace keeps created_at"
    );
    assert_eq!(second.updated_at, replace.updated_at);
    assert_eq!(second.settings, replace.settings);
    assert_eq!(
        store
            .get_connection(&demo, Platform::Shopify)
            .await
            .unwrap(),
        Some(second.clone())
    );
    store
        .put_connection(&connection(&demo, Platform::NetSuite, "v1:ns"))
        .await
        .unwrap();
    let platforms: Vec<Platform> = store
        .list_connections(&demo)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.platform)
        .collect();
    assert_eq!(platforms, [Platform::NetSuite, Platform::Shopify]);
    assert_eq!(
        store
            .get_connection(&acme, Platform::Shopify)
            .await
            .unwrap(),
        None
    );
    assert!(store.list_connections(&acme).await.unwrap().is_empty());
    assert!(
        !store
            .delete_connection(&acme, Platform::Shopify)
            .await
            .unwrap()
    );
    assert!(
        store
            .delete_connection(&demo, Platform::Shopify)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_connection(&demo, Platform::Shopify)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .get_connection(&demo, Platform::Shopify)
            .await
            .unwrap(),
        None
    );
}

pub(super) async fn every_tenants_connections_are_listed_by_tenant_then_platform(
    store: &dyn Store,
) {
    assert!(store.all_connections().await.unwrap().is_empty());
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    for (tenant_id, platform) in [
        (&demo, Platform::Shopify),
        (&acme, Platform::WooCommerce),
        (&demo, Platform::NetSuite),
    ] {
        store
            .put_connection(&connection(tenant_id, platform, "v1:x"))
            .await
            .unwrap();
    }
    let all: Vec<(String, Platform)> = store
        .all_connections()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.tenant.as_str().to_owned(), c.platform))
        .collect();
    let expected = [
        ("acme".to_owned(), Platform::WooCommerce),
        ("demo".to_owned(), Platform::NetSuite),
        ("demo".to_owned(), Platform::Shopify),
    ];
    assert_eq!(all, expected);
}
