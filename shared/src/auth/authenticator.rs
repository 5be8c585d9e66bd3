//! One place that turns a request's credentials into a [`Caller`]: an API key or a Bearer
//! token (never both), and the rate limits the caller is then held to.

use std::time::Instant;

use super::jwt::{JwtVerifier, TokenError};
use super::rate_limit::{RateLimited, RateLimiter};
use super::{AuthError, Caller, Credential, authenticate_api_key, scopes_for_roles};
use crate::domain::TenantId;
use crate::settings::Settings;
use crate::store::Store;

/// The credentials a request presents, as its headers carry them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Presented<'a> {
    /// The `x-api-key` header.
    pub api_key: Option<&'a str>,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
}

impl<'a> Presented<'a> {
    /// The Bearer token of `Authorization`, if that is what it carries (the scheme is
    /// case-insensitive). Another scheme is not ours to read, and counts as no token.
    fn bearer(&self) -> Option<&'a str> {
        let value = self.authorization?.trim();
        let (scheme, token) = value.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then_some(token.trim())
    }
}

/// Authenticates callers and holds them to this instance's rate limits.
#[derive(Debug)]
pub struct Authenticator {
    jwt: Option<JwtVerifier>,
    limits: RateLimiter,
}

/// The Bearer verifier could not be set up (its HTTP client).
#[derive(Debug, thiserror::Error)]
#[error("the JWKS client could not be set up: {0}")]
pub struct AuthSetupError(#[from] reqwest::Error);

impl Authenticator {
    /// What `settings` ask for: Bearer tokens when the JWT settings are there, and the limits.
    pub fn from_settings(settings: &Settings) -> Result<Self, AuthSetupError> {
        let jwt = settings.jwt.clone().map(JwtVerifier::new).transpose()?;
        Ok(Self {
            jwt,
            limits: RateLimiter::new(&settings.rate_limits),
        })
    }

    /// The caller whose credentials `presented` are. A token for a tenant we do not have is
    /// refused like any invalid token, so answers never tell which tenants exist.
    pub async fn authenticate(
        &self,
        store: &dyn Store,
        settings: &Settings,
        presented: Presented<'_>,
    ) -> Result<Caller, AuthError> {
        let api_key = presented.api_key.filter(|k| !k.trim().is_empty());
        match (api_key, presented.bearer()) {
            (Some(_), Some(_)) => Err(AuthError::Ambiguous),
            (_, Some(token)) => self.authenticate_token(store, token).await,
            (key, None) => {
                authenticate_api_key(store, settings.dev_credentials.as_ref(), key).await
            }
        }
    }

    async fn authenticate_token(
        &self,
        store: &dyn Store,
        token: &str,
    ) -> Result<Caller, AuthError> {
        let Some(verifier) = &self.jwt else {
            return Err(AuthError::InvalidToken(
                "this deployment accepts API keys only".into(),
            ));
        };
        let claims = verifier.verify(token).await.map_err(|e| match e {
            TokenError::KeysUnavailable => AuthError::KeysUnavailable,
            TokenError::Invalid(why) => AuthError::InvalidToken(why),
        })?;
        let unknown = || AuthError::InvalidToken("the token's tenant is not known here".into());
        let tenant = TenantId::parse(&claims.tenant).map_err(|_| unknown())?;
        if !store.tenant_exists(&tenant).await? {
            return Err(unknown());
        }
        let scopes = scopes_for_roles(&claims.roles);
        if scopes.is_empty() {
            return Err(AuthError::NoRole);
        }
        Ok(Caller {
            tenant,
            credential: Credential::Token {
                subject: claims.subject,
            },
            scopes,
        })
    }

    /// Admits one request of `caller` at `now`, or says how long to wait.
    pub fn admit(&self, caller: &Caller, now: Instant) -> Result<(), RateLimited> {
        self.limits
            .check(caller.tenant.as_str(), &caller.credential_id(), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(authorization: &str) -> Option<&str> {
        Presented {
            api_key: None,
            authorization: Some(authorization),
        }
        .bearer()
    }

    #[test]
    fn only_the_bearer_scheme_yields_a_token_whatever_its_case() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
