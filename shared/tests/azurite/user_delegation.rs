//! The production path: bearer tokens from an [`AzureCredential`], and upload and read URLs
//! signed with a user delegation key, against Azurite over HTTPS with `--oauth basic`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::time::{Duration as TokenDuration, OffsetDateTime};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use shared::azure::{AzureCredential, STORAGE_SCOPE};
use shared::blobs::{AZURITE_ACCOUNT, Blobs, Container};

use crate::support::{
    Azurite, assert_read_url_reads_only_its_blob, assert_upload_url_writes_only_its_blob,
};

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OBJECT_ID: &str = "0b9e1b54-4a43-4e4a-8f3c-8f0d6b1e2c3d";

/// Hands out unsigned JWTs with the claims Azurite checks (issuer, audience, lifetime) and the
/// object and tenant ids a user delegation key is issued to.
#[derive(Debug)]
struct FakeEntraId;

#[async_trait::async_trait]
impl TokenCredential for FakeEntraId {
    async fn get_token(
        &self,
        scopes: &[&str],
        _: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        assert_eq!(scopes, [STORAGE_SCOPE]);
        let now = OffsetDateTime::now_utc();
        let expires_on = now + TokenDuration::hours(1);
        let claims = serde_json::json!({
            "aud": "https://storage.azure.com",
            "iss": format!("https://sts.windows.net/{TENANT}/"),
            "iat": now.unix_timestamp() - 60,
            "nbf": now.unix_timestamp() - 60,
            "exp": expires_on.unix_timestamp(),
            "oid": OBJECT_ID,
            "tid": TENANT,
        });
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signature = URL_SAFE_NO_PAD.encode(b"unchecked");
        Ok(AccessToken::new(
            format!("{header}.{payload}.{signature}"),
            expires_on,
        ))
    }
}

/// The adapter over `azurite` with bearer tokens from [`FakeEntraId`], every container created.
async fn bearer_blobs(azurite: &Azurite) -> Blobs {
    azurite.create_containers().await;
    let credential = AzureCredential::from_token_credential(Arc::new(FakeEntraId), "fake Entra ID");
    Blobs::azure_with_endpoint(
        &azurite.endpoint(),
        AZURITE_ACCOUNT,
        Arc::new(credential),
        azurite.ca_pem().map(str::as_bytes),
    )
    .unwrap()
}

#[tokio::test]
async fn with_a_bearer_token_the_upload_url_is_a_user_delegation_sas_for_that_blob_only() {
    let azurite = Azurite::start_with_oauth();
    let blobs = bearer_blobs(&azurite).await;

    // Reads and writes go with the bearer token.
    blobs
        .write(
            Container::IngestReports,
            "demo/r.json",
            Bytes::from_static(b"{}"),
        )
        .await
        .unwrap();
    assert_eq!(
        blobs
            .size(Container::IngestReports, "demo/r.json")
            .await
            .unwrap(),
        2
    );

    let url = blobs
        .upload_url(Container::Ingest, "demo/feed.csv", Duration::from_secs(900))
        .await
        .unwrap();
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(
        query["skoid"], OBJECT_ID,
        "signed with a user delegation key"
    );
    assert_eq!(query["sktid"], TENANT);
    assert_eq!(query["sp"], "w");
    assert_eq!(query["sr"], "b");
    assert_eq!(url.scheme(), "https");

    assert_upload_url_writes_only_its_blob(&azurite.client(), &blobs, &url).await;
}

#[tokio::test]
async fn with_a_bearer_token_the_read_url_is_a_read_only_user_delegation_sas_for_that_blob() {
    let azurite = Azurite::start_with_oauth();
    let blobs = bearer_blobs(&azurite).await;
    let url = blobs
        .read_url(
            Container::VideoFrames,
            "demo/clip/frame-0001.jpg",
            Duration::from_secs(900),
        )
        .await
        .unwrap();
    let query: HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(
        query["skoid"], OBJECT_ID,
        "signed with a user delegation key"
    );
    assert_eq!(query["sp"], "r");
    assert_eq!(query["sr"], "b");
    assert_eq!(url.scheme(), "https");

    assert_read_url_reads_only_its_blob(&azurite.client(), &blobs, &url).await;
}
