//! Checks of tenant API keys: found by hash (revoked ones too, marked), listed per tenant
//! without secrets, revoked only by their own tenant, touched at most once a minute.

use chrono::Duration;

use super::*;
use crate::auth::Scope;

fn key(tenant: &TenantId, id: &str, hash: &str, scopes: Vec<Scope>, minute: u32) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.into(),
        tenant: tenant.clone(),
        name: format!("key {id}"),
        key_hash: hash.into(),
        prefix: format!("adv_{id}"),
        scopes,
        created_at: Utc.with_ymd_and_hms(2024, 5, 1, 10, minute, 0).unwrap(),
    }
}

pub(super) async fn api_keys_are_found_listed_and_revoked_per_tenant(store: &dyn Store) {
    let (demo, acme) = (tenant("demo"), tenant("acme"));
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store.ensure_tenant(&acme, "Acme").await.unwrap();
    let reader = key(&demo, "k1", "hash-1", vec![Scope::Read], 1);
    let admin = key(&demo, "k2", "hash-2", vec![Scope::Read, Scope::Admin], 2);
    let other = key(&acme, "k3", "hash-3", vec![Scope::Ingest], 3);
    for k in [&reader, &admin, &other] {
        store.add_api_key(k).await.unwrap();
    }
    let found = store.key_for_hash("hash-2").await.unwrap().unwrap();
    assert_eq!(
        found,
        ApiKeyMatch {
            id: "k2".into(),
            tenant: demo.clone(),
            scopes: vec![Scope::Read, Scope::Admin],
            revoked: false,
        }
    );
    assert_eq!(store.key_for_hash("unknown").await.unwrap(), None);

    let listed = store.list_api_keys(&demo).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, ["k1", "k2"], "oldest first, this tenant's only");
    assert_eq!(listed[0].prefix, "adv_k1");
    assert_eq!(listed[0].scopes, vec![Scope::Read]);
    assert_eq!(listed[0].created_at, reader.created_at);
    assert_eq!(listed[0].last_used_at, None);
    assert_eq!(listed[0].revoked_at, None);

    let at = Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 0).unwrap();
    assert!(
        !store.revoke_api_key(&acme, "k1", at).await.unwrap(),
        "another tenant's key"
    );
    assert!(!store.revoke_api_key(&demo, "nope", at).await.unwrap());
    assert!(store.revoke_api_key(&demo, "k1", at).await.unwrap());
    let later = at + Duration::hours(1);
    assert!(
        store.revoke_api_key(&demo, "k1", later).await.unwrap(),
        "revoking twice is fine"
    );
    let revoked = store.key_for_hash("hash-1").await.unwrap().unwrap();
    assert!(revoked.revoked);
    assert_eq!(store.tenant_for_key_hash("hash-1").await.unwrap(), None);
    assert_eq!(
        store.tenant_for_key_hash("hash-2").await.unwrap(),
        Some(demo.clone())
    );
    let listed = store.list_api_keys(&demo).await.unwrap();
    assert_eq!(
        listed[0].revoked_at,
        Some(at),
        "the first revocation stands"
    );
    assert_eq!(store.list_api_keys(&acme).await.unwrap().len(), 1);
}

pub(super) async fn a_key_use_is_recorded_at_most_once_a_minute(store: &dyn Store) {
    let demo = tenant("demo");
    store.ensure_tenant(&demo, "Demo").await.unwrap();
    store
        .add_api_key(&key(&demo, "k1", "hash-1", vec![Scope::Read], 1))
        .await
        .unwrap();
    let last_used = || async { store.list_api_keys(&demo).await.unwrap()[0].last_used_at };
    let first = Utc.with_ymd_and_hms(2024, 5, 2, 9, 0, 0).unwrap();
    store.touch_api_key("k1", first).await.unwrap();
    assert_eq!(last_used().await, Some(first));
    store
        .touch_api_key("k1", first + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(
        last_used().await,
        Some(first),
        "a busy key is not rewritten"
    );
    let minute_on = first + Duration::seconds(61);
    store.touch_api_key("k1", minute_on).await.unwrap();
    assert_eq!(last_used().await, Some(minute_on));
    store.touch_api_key("unknown", minute_on).await.unwrap();
}
