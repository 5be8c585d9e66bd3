//! Bearer JWTs as Microsoft Entra ID (or any OpenID provider with a JWKS) issues them: the
//! signature against the provider's key named by `kid`, with a fixed list of asymmetric
//! algorithms (never `none`, never an HMAC a public key could be passed off as the secret
//! of); then `iss`, `aud` (a string or a list), a required `exp` and `nbf`, with a minute's
//! leeway for clock skew. What the token says about the caller comes out as [`TokenClaims`].

use jsonwebtoken::{Algorithm, Validation, decode, decode_header, errors::ErrorKind};
use serde_json::Value;

use super::jwks::{JwksCache, JwksError};
use crate::settings::JwtSettings;

/// The only algorithms a token may be signed with.
pub const ALLOWED_ALGORITHMS: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
];
/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 60;

/// Why a token was refused.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The token cannot be trusted; the message says why, without echoing it.
    #[error("{0}")]
    Invalid(String),
    /// The keys to check it with cannot be fetched now.
    #[error("the issuer's signing keys cannot be fetched right now; try again shortly")]
    KeysUnavailable,
}

/// What a verified token says about its bearer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenClaims {
    /// `sub`: who the bearer is, for the issuer.
    pub subject: String,
    /// The tenant claim's value, unchecked: whether the tenant exists is the caller's question.
    pub tenant: String,
    /// The roles claim's values (a list, or one string of space-separated names).
    pub roles: Vec<String>,
}

/// Checks tokens against one issuer's settings and keys.
#[derive(Debug)]
pub struct JwtVerifier {
    settings: JwtSettings,
    keys: JwksCache,
}

impl JwtVerifier {
    /// A verifier for `settings`; keys are fetched when the first token needs one.
    pub fn new(settings: JwtSettings) -> Result<Self, reqwest::Error> {
        let keys = JwksCache::new(settings.jwks_url.clone())?;
        Ok(Self { settings, keys })
    }

    /// The claims of `token` once it has passed every check.
    pub async fn verify(&self, token: &str) -> Result<TokenClaims, TokenError> {
        let invalid = |why: &str| TokenError::Invalid(why.to_owned());
        let header =
            decode_header(token).map_err(|_| invalid("the token is not a well-formed JWT"))?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(invalid("the token's algorithm is not accepted"));
        }
        let kid = header
            .kid
            .ok_or_else(|| invalid("the token names no signing key (kid)"))?;
        let key = self.keys.key(&kid).await.map_err(|e| match e {
            JwksError::Unavailable => TokenError::KeysUnavailable,
            JwksError::UnknownKey(_) => invalid("the token's signing key is not the issuer's"),
        })?;
        // The key decides the algorithm, not the token: an RSA key never checks an ES256
        // signature, and a key published for RS256 checks nothing else.
        if !key.algorithms.contains(&header.alg) {
            return Err(invalid("the token's algorithm does not match its key"));
        }
        let claims = decode::<Value>(token, &key.key, &self.validation(header.alg))
            .map_err(|e| TokenError::Invalid(reason(e.kind()).to_owned()))?
            .claims;
        self.claims(&claims)
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut validation = Validation::new(alg);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation
    }

    fn claims(&self, claims: &Value) -> Result<TokenClaims, TokenError> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let subject = text("sub")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| TokenError::Invalid("the token has no subject (sub)".into()))?;
        let tenant = text(&self.settings.tenant_claim).ok_or_else(|| {
            TokenError::Invalid(format!(
                "the token has no `{}` claim naming a tenant",
                self.settings.tenant_claim
            ))
        })?;
        let roles = match claims.get(&self.settings.roles_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(names)) => names.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        Ok(TokenClaims {
            subject,
            tenant,
            roles,
        })
    }
}

/// A sentence for each way `decode` refuses a token; nothing of the token is repeated.
fn reason(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)",
        ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
        ErrorKind::InvalidAudience => "the token is not meant for this API (aud)",
        ErrorKind::InvalidSignature => "the token's signature is not valid",
        ErrorKind::MissingRequiredClaim(_) => {
            "the token lacks a required claim (exp, iss, aud, sub)"
        }
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted",
        _ => "the token is not valid",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn verifier(tenant_claim: &str) -> JwtVerifier {
        JwtVerifier::new(JwtSettings {
            jwks_url: "https://login.example/keys".parse().unwrap(),
            issuer: "https://login.example/v2.0".into(),
            audience: "api://advisor".into(),
            tenant_claim: tenant_claim.into(),
            roles_claim: "roles".into(),
        })
        .unwrap()
    }

    #[test]
    fn roles_come_as_a_list_or_as_space_separated_names() {
        let v = verifier("tenant");
        let listed = v
            .claims(&json!({"sub": "s", "tenant": "demo", "roles": ["user", 7, "admin"]}))
            .unwrap();
        assert_eq!(listed.roles, ["user", "admin"]);
        let spaced = v
            .claims(&json!({"sub": "s", "tenant": "demo", "roles": "user  admin"}))
            .unwrap();
        assert_eq!(spaced.roles, ["user", "admin"]);
        let none = v.claims(&json!({"sub": "s", "tenant": "demo"})).unwrap();
        assert!(none.roles.is_empty());
    }

    #[test]
    fn a_token_without_the_configured_tenant_claim_or_a_subject_is_invalid() {
        let v = verifier("extn.advisorTenant");
        let err = v
            .claims(&json!({"sub": "s", "tenant": "demo"}))
            .unwrap_err();
        assert!(err.to_string().contains("extn.advisorTenant"), "{err}");
        let ok = v
            .claims(&json!({"sub": "s", "extn.advisorTenant": "demo"}))
            .unwrap();
        assert_eq!(ok.tenant, "demo");
        assert!(
            v.claims(&json!({"sub": "", "extn.advisorTenant": "demo"}))
                .is_err()
        );
    }

    #[tokio::test]
    async fn tokens_with_none_or_hmac_algorithms_are_refused_before_any_key_is_fetched() {
        let v = verifier("tenant");
        let part = |value: serde_json::Value| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
        };
        let claims = part(json!({"sub": "s", "exp": 4_000_000_000u64}));
        for alg in ["none", "HS256", "PS256"] {
            let token = format!("{}.{claims}.c2ln", part(json!({"alg": alg, "kid": "k"})));
            let err = v.verify(&token).await.unwrap_err();
            assert!(matches!(err, TokenError::Invalid(_)), "{alg}: {err}");
        }
    }
}
