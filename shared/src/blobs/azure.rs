//! The Azure Blob Storage side of the blob port: one object_store `MicrosoftAzure` per
//! container (a `MicrosoftAzure` is bound to one container), authorised by a bearer token
//! from [`AzureCredential`] in Azure or by an account key against Azurite.

use std::sync::Arc;
use std::time::Duration;

use object_store::azure::{
    AzureCredential as StoreCredential, AzureCredentialProvider, MicrosoftAzure,
    MicrosoftAzureBuilder,
};
use object_store::{Certificate, ClientOptions, CredentialProvider};
use url::Url;

use super::{BlobError, Container};
use crate::azure::{AzureCredential, STORAGE_SCOPE};
use crate::settings::Secret;

/// Azurite's well-known development account.
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// Azurite's well-known development account key (public, documented by Microsoft; it opens
/// nothing but a local emulator).
pub const AZURITE_ACCOUNT_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// A reader that receives nothing for this long gives up; the retry then resumes the read.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How a store proves who it is.
pub(super) enum Authorization<'a> {
    /// An Entra ID bearer token (managed identity in Azure, the developer's sign-in locally).
    Bearer(Arc<AzureCredential>),
    /// The storage account key (Azurite).
    AccountKey(&'a Secret),
}

/// One store per container of the account.
#[derive(Debug)]
pub(super) struct AzureContainers {
    stores: [Arc<MicrosoftAzure>; Container::ALL.len()],
}

impl AzureContainers {
    /// The stores for every container of `account` at `endpoint` (its blob service URL,
    /// e.g. `https://{account}.blob.core.windows.net`), trusting `extra_root_pem` (a PEM CA
    /// certificate) besides the system's roots if given.
    pub(super) fn connect(
        account: &str,
        endpoint: &Url,
        authorization: &Authorization<'_>,
        extra_root_pem: Option<&[u8]>,
    ) -> Result<Self, BlobError> {
        let mut options = client_options(endpoint);
        if let Some(pem) = extra_root_pem {
            let root = Certificate::from_pem(pem).map_err(BlobError::Configure)?;
            options = options.with_root_certificate(root);
        }
        let build = |container: Container| -> Result<Arc<MicrosoftAzure>, BlobError> {
            let builder = MicrosoftAzureBuilder::new()
                .with_account(account)
                .with_endpoint(endpoint.as_str().trim_end_matches('/').to_owned())
                .with_container_name(container.name())
                .with_client_options(options.clone());
            let builder = match authorization {
                Authorization::Bearer(credential) => {
                    builder.with_credentials(storage_credentials(credential.clone()))
                }
                Authorization::AccountKey(key) => builder.with_access_key(key.expose()),
            };
            builder.build().map(Arc::new).map_err(BlobError::Configure)
        };
        let [a, b, c, d] = Container::ALL;
        Ok(Self {
            stores: [build(a)?, build(b)?, build(c)?, build(d)?],
        })
    }

    /// The store of `container`.
    pub(super) fn get(&self, container: Container) -> &Arc<MicrosoftAzure> {
        &self.stores[container.index()]
    }
}

/// Long uploads and downloads must not hit a whole-request deadline: a stalled read times
/// out instead, and object_store's retry picks up from there.
fn client_options(endpoint: &Url) -> ClientOptions {
    ClientOptions::new()
        .with_allow_http(endpoint.scheme() == "http")
        .with_timeout_disabled()
        .with_connect_timeout(CONNECT_TIMEOUT)
        .with_read_timeout(READ_TIMEOUT)
}

/// `credential` as object_store's credential provider for Blob Storage.
fn storage_credentials(credential: Arc<AzureCredential>) -> AzureCredentialProvider {
    Arc::new(StorageTokenProvider { credential })
}

/// Hands object_store a bearer token for [`STORAGE_SCOPE`]; [`AzureCredential`] caches it.
/// With a bearer token, object_store signs upload URLs with a user delegation key.
#[derive(Debug)]
struct StorageTokenProvider {
    credential: Arc<AzureCredential>,
}

#[async_trait::async_trait]
impl CredentialProvider for StorageTokenProvider {
    type Credential = StoreCredential;

    async fn get_credential(&self) -> object_store::Result<Arc<StoreCredential>> {
        let token = self.credential.token(STORAGE_SCOPE).await.map_err(|e| {
            object_store::Error::Generic {
                store: "MicrosoftAzure",
                source: Box::new(e),
            }
        })?;
        Ok(Arc::new(StoreCredential::BearerToken(
            token.secret.expose().to_owned(),
        )))
    }
}
