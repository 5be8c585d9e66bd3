//! Entra ID tokens for Azure services (Blob Storage, Azure SQL): a thin wrapper over
//! `azure_identity` that picks the managed identity in Azure and the developer's own sign-in
//! (Azure CLI, then Azure Developer CLI) on a laptop, and keeps each scope's token until
//! shortly before it expires.
//!
//! Only this module names `azure_identity`; adapters take an [`AzureCredential`].

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_identity::{
    DeveloperToolsCredential, ManagedIdentityCredential, ManagedIdentityCredentialOptions,
    UserAssignedId,
};
use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Mutex;

use crate::settings::{AzureIdentity, Secret};

/// The scope of a token for Blob Storage's data plane.
pub const STORAGE_SCOPE: &str = "https://storage.azure.com/.default";

/// How long before its expiry a cached token is replaced. Five minutes leaves room for a
/// request that starts with the token and for clock skew, as the Azure SDKs do.
const REFRESH_MARGIN: TimeDelta = TimeDelta::minutes(5);

/// A failure to obtain a token.
#[derive(Debug, thiserror::Error)]
pub enum AzureAuthError {
    /// The credential cannot be set up (e.g. a managed identity without its endpoint).
    #[error("cannot set up the {source_name} credential: {source}")]
    Configure {
        /// Which credential.
        source_name: &'static str,
        /// Why.
        #[source]
        source: Box<azure_core::Error>,
    },
    /// The identity endpoint or the developer tool did not give a token.
    #[error("cannot get a token for {scope} from the {source_name} credential: {source}")]
    Token {
        /// The scope asked for.
        scope: String,
        /// Which credential.
        source_name: &'static str,
        /// Why.
        #[source]
        source: Box<azure_core::Error>,
    },
}

impl AzureAuthError {
    /// Whether trying again may succeed. A token request can fail for a moment (the identity
    /// endpoint restarts, the network blips), so it counts as transient; a misconfigured
    /// identity then ends in a dead-letter queue after the host's retries, where a person
    /// sees it. A credential that cannot even be set up will not mend itself.
    pub fn is_transient(&self) -> bool {
        matches!(self, AzureAuthError::Token { .. })
    }
}

/// An access token: the bearer secret and when it stops being accepted.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// The bearer token; `Debug` does not print it.
    pub secret: Secret,
    /// When it expires.
    pub expires_on: DateTime<Utc>,
}

impl AccessToken {
    /// Whether it is still good for at least the refresh margin at `now`.
    fn is_fresh_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_on - REFRESH_MARGIN > now
    }
}

/// An Entra ID identity that hands out tokens per scope, cached until shortly before expiry.
/// Cheap to share behind an `Arc`; concurrent callers wait for one refresh instead of each
/// asking the identity endpoint.
pub struct AzureCredential {
    source: Arc<dyn TokenCredential>,
    source_name: &'static str,
    cache: Mutex<HashMap<String, AccessToken>>,
}

impl fmt::Debug for AzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureCredential")
            .field("source", &self.source_name)
            .finish_non_exhaustive()
    }
}

impl AzureCredential {
    /// The app's managed identity in Azure: the system-assigned one, or the user-assigned one
    /// with `user_assigned_client_id`. On App Service and Functions `azure_identity` finds the
    /// identity endpoint in `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`; elsewhere it asks IMDS.
    pub fn managed_identity(user_assigned_client_id: Option<&str>) -> Result<Self, AzureAuthError> {
        const NAME: &str = "managed identity";
        let options = ManagedIdentityCredentialOptions {
            user_assigned_id: user_assigned_client_id
                .map(|id| UserAssignedId::ClientId(id.to_owned())),
            ..Default::default()
        };
        let source = ManagedIdentityCredential::new(Some(options)).map_err(|source| {
            AzureAuthError::Configure {
                source_name: NAME,
                source: Box::new(source),
            }
        })?;
        Ok(Self::from_source(source, NAME))
    }

    /// The credential the settings choose: the managed identity under the host, the
    /// developer's own sign-in locally.
    pub fn for_identity(identity: &AzureIdentity) -> Result<Self, AzureAuthError> {
        match identity {
            AzureIdentity::ManagedIdentity { client_id } => {
                Self::managed_identity(client_id.as_deref())
            }
            AzureIdentity::Developer => Self::developer_tools(),
        }
    }

    /// The developer's own sign-in on a laptop: `az login`, else `azd auth login`.
    pub fn developer_tools() -> Result<Self, AzureAuthError> {
        const NAME: &str = "developer tools";
        let source =
            DeveloperToolsCredential::new(None).map_err(|source| AzureAuthError::Configure {
                source_name: NAME,
                source: Box::new(source),
            })?;
        Ok(Self::from_source(source, NAME))
    }

    /// Any other `azure_identity` credential (workload identity, client secret), or a stand-in
    /// that hands out tokens in tests; `name` says which in errors and `Debug`.
    pub fn from_token_credential(credential: Arc<dyn TokenCredential>, name: &'static str) -> Self {
        Self::from_source(credential, name)
    }

    fn from_source(source: Arc<dyn TokenCredential>, source_name: &'static str) -> Self {
        Self {
            source,
            source_name,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// A token for `scope` (e.g. [`STORAGE_SCOPE`]): the cached one while it has more than a
    /// few minutes left, else a new one. The cache stays locked during a fetch, so callers
    /// waiting for the same refresh share its result.
    pub async fn token(&self, scope: &str) -> Result<AccessToken, AzureAuthError> {
        let mut cache = self.cache.lock().await;
        if let Some(token) = cache.get(scope).filter(|t| t.is_fresh_at(Utc::now())) {
            return Ok(token.clone());
        }
        let fresh = self
            .source
            .get_token(&[scope], None)
            .await
            .map_err(|source| AzureAuthError::Token {
                scope: scope.to_owned(),
                source_name: self.source_name,
                source: Box::new(source),
            })?;
        let expires_on = DateTime::from_timestamp(
            fresh.expires_on.unix_timestamp(),
            fresh.expires_on.nanosecond(),
        )
        // Out of chrono's range only if the endpoint sent nonsense: then it counts as expired,
        // is used once and asked for again next time.
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let token = AccessToken {
            secret: Secret::new(fresh.token.secret()),
            expires_on,
        };
        cache.insert(scope.to_owned(), token.clone());
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::credentials::TokenRequestOptions;
    use azure_core::time::{Duration, OffsetDateTime};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Hands out `token-<n>` valid for `lifetime`, counting calls.
    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: Duration,
    }

    #[async_trait::async_trait]
    impl TokenCredential for Counting {
        async fn get_token(
            &self,
            scopes: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(azure_core::credentials::AccessToken::new(
                format!("{}-token-{n}", scopes.join(",")),
                OffsetDateTime::now_utc() + self.lifetime,
            ))
        }
    }

    fn counting(lifetime: Duration) -> (Arc<Counting>, AzureCredential) {
        let source = Arc::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime,
        });
        let credential = AzureCredential::from_source(source.clone(), "counting");
        (source, credential)
    }

    #[tokio::test]
    async fn a_token_is_reused_until_shortly_before_it_expires() {
        let (source, credential) = counting(Duration::hours(1));
        let first = credential.token(STORAGE_SCOPE).await.unwrap();
        let second = credential.token(STORAGE_SCOPE).await.unwrap();
        assert_eq!(first.secret, second.secret);
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        assert!(first.expires_on > Utc::now() + TimeDelta::minutes(59));
    }

    #[tokio::test]
    async fn a_token_about_to_expire_is_replaced() {
        let (source, credential) = counting(Duration::minutes(4));
        let first = credential.token(STORAGE_SCOPE).await.unwrap();
        let second = credential.token(STORAGE_SCOPE).await.unwrap();
        assert_ne!(first.secret, second.secret);
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn each_scope_has_its_own_token() {
        let (source, credential) = counting(Duration::hours(1));
        let storage = credential.token(STORAGE_SCOPE).await.unwrap();
        let sql = credential
            .token("https://database.windows.net/.default")
            .await
            .unwrap();
        assert_ne!(storage.secret, sql.secret);
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_token_secret_never_reaches_debug_output() {
        let token = AccessToken {
            secret: Secret::new("eyJ0eXAiOiJKV1Qi"),
            expires_on: Utc::now(),
        };
        assert!(!format!("{token:?}").contains("eyJ0"));
    }
}
