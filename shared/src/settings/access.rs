//! Who may call, and how often: Bearer JWTs from an identity provider (Microsoft Entra ID or any
//! issuer that publishes a JWKS), and the per-instance rate limits every caller is held to.

use super::{Environment, SettingsError};

/// The identity provider's JSON Web Key Set, e.g.
/// `https://login.microsoftonline.com/{directory}/discovery/v2.0/keys`. With the issuer and
/// the audience it turns Bearer JWTs on; all three or none.
pub const ADVISOR_JWT_JWKS_URL: &str = "ADVISOR_JWT_JWKS_URL";
/// The `iss` tokens must carry, e.g. `https://login.microsoftonline.com/{directory}/v2.0`.
pub const ADVISOR_JWT_ISSUER: &str = "ADVISOR_JWT_ISSUER";
/// The `aud` tokens must carry: the API's application id URI or client id.
pub const ADVISOR_JWT_AUDIENCE: &str = "ADVISOR_JWT_AUDIENCE";
/// The claim that names the caller's tenant (ours, not the Entra directory).
pub const ADVISOR_JWT_TENANT_CLAIM: &str = "ADVISOR_JWT_TENANT_CLAIM";
/// The claim that carries the caller's roles (Entra app roles arrive in `roles`).
pub const ADVISOR_JWT_ROLES_CLAIM: &str = "ADVISOR_JWT_ROLES_CLAIM";
/// Requests per second one tenant may make, per instance; `0` turns the limit off.
pub const ADVISOR_RATE_LIMIT_TENANT_PER_SECOND: &str = "ADVISOR_RATE_LIMIT_TENANT_PER_SECOND";
/// Requests one tenant may make at once above its rate, per instance.
pub const ADVISOR_RATE_LIMIT_TENANT_BURST: &str = "ADVISOR_RATE_LIMIT_TENANT_BURST";
/// Requests per second one credential (API key or token subject) may make, per instance; `0`
/// turns the limit off.
pub const ADVISOR_RATE_LIMIT_KEY_PER_SECOND: &str = "ADVISOR_RATE_LIMIT_KEY_PER_SECOND";
/// Requests one credential may make at once above its rate, per instance.
pub const ADVISOR_RATE_LIMIT_KEY_BURST: &str = "ADVISOR_RATE_LIMIT_KEY_BURST";

/// The default tenant claim: an optional claim (or a claims-mapping policy) in Entra ID.
pub const DEFAULT_TENANT_CLAIM: &str = "tenant";
/// The default roles claim: where Entra ID puts app roles.
pub const DEFAULT_ROLES_CLAIM: &str = "roles";

const DEFAULT_TENANT_PER_SECOND: u32 = 50;
const DEFAULT_TENANT_BURST: u32 = 100;
const DEFAULT_KEY_PER_SECOND: u32 = 20;
const DEFAULT_KEY_BURST: u32 = 40;

/// How Bearer JWTs are checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtSettings {
    /// Where the signing keys are published.
    pub jwks_url: url::Url,
    /// The one accepted `iss`.
    pub issuer: String,
    /// The one accepted `aud` (a token may list others beside it).
    pub audience: String,
    /// The claim naming our tenant.
    pub tenant_claim: String,
    /// The claim listing the caller's roles.
    pub roles_claim: String,
}

/// One token bucket's shape: `per_second` tokens come back each second, up to `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second; `0` means no limit.
    pub per_second: u32,
    /// Requests allowed at once; at least 1 when the limit is on.
    pub burst: u32,
}

impl RateLimit {
    /// Whether the limit applies at all.
    pub fn is_on(&self) -> bool {
        self.per_second > 0
    }
}

/// The per-instance rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// Per tenant, over all its credentials.
    pub tenant: RateLimit,
    /// Per credential: one API key, or one token subject.
    pub credential: RateLimit,
}

/// Reads the JWT settings: `None` when none of the three required ones is set.
pub(super) fn jwt_settings(env: &Environment) -> Result<Option<JwtSettings>, SettingsError> {
    let jwks_url = env.get(ADVISOR_JWT_JWKS_URL).map(str::trim);
    let issuer = env.get(ADVISOR_JWT_ISSUER).map(str::trim);
    let audience = env.get(ADVISOR_JWT_AUDIENCE).map(str::trim);
    let tenant_claim = env.get(ADVISOR_JWT_TENANT_CLAIM).map(str::trim);
    let roles_claim = env.get(ADVISOR_JWT_ROLES_CLAIM).map(str::trim);
    let (jwks_url, issuer, audience) = match (jwks_url, issuer, audience) {
        (None, None, None) => return Ok(None),
        (Some(url), Some(issuer), Some(audience)) => (url, issuer, audience),
        (url, issuer, _) => {
            let (name, hint) = if url.is_none() {
                (
                    ADVISOR_JWT_JWKS_URL,
                    "the identity provider's JWKS (signing keys) URL",
                )
            } else if issuer.is_none() {
                (ADVISOR_JWT_ISSUER, "the `iss` the tokens carry")
            } else {
                (ADVISOR_JWT_AUDIENCE, "the `aud` the tokens carry")
            };
            return Err(SettingsError::Missing { name, hint });
        }
    };
    let parsed = url::Url::parse(jwks_url)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .ok_or_else(|| SettingsError::Invalid {
            name: ADVISOR_JWT_JWKS_URL,
            value: jwks_url.to_owned(),
            reason: "an absolute URL (https:// outside tests)".into(),
        })?;
    Ok(Some(JwtSettings {
        jwks_url: parsed,
        issuer: issuer.to_owned(),
        audience: audience.to_owned(),
        tenant_claim: tenant_claim.unwrap_or(DEFAULT_TENANT_CLAIM).to_owned(),
        roles_claim: roles_claim.unwrap_or(DEFAULT_ROLES_CLAIM).to_owned(),
    }))
}

/// Reads the rate limits; unset ones take their defaults under a host. Locally (`local`) an
/// unset rate is off: one developer on one machine has no one to be protected from.
pub(super) fn rate_limit_settings(
    env: &Environment,
    local: bool,
) -> Result<RateLimitSettings, SettingsError> {
    let limit = |rate: &'static str, rate_default, burst: &'static str, burst_default| {
        let per_second = whole(env, rate, if local { 0 } else { rate_default })?;
        let burst = whole(env, burst, burst_default)?;
        Ok::<_, SettingsError>(RateLimit {
            per_second,
            // A bucket that holds nothing would refuse everything: at least one request.
            burst: burst.max(1),
        })
    };
    Ok(RateLimitSettings {
        tenant: limit(
            ADVISOR_RATE_LIMIT_TENANT_PER_SECOND,
            DEFAULT_TENANT_PER_SECOND,
            ADVISOR_RATE_LIMIT_TENANT_BURST,
            DEFAULT_TENANT_BURST,
        )?,
        credential: limit(
            ADVISOR_RATE_LIMIT_KEY_PER_SECOND,
            DEFAULT_KEY_PER_SECOND,
            ADVISOR_RATE_LIMIT_KEY_BURST,
            DEFAULT_KEY_BURST,
        )?,
    })
}

fn whole(env: &Environment, name: &'static str, default: u32) -> Result<u32, SettingsError> {
    let Some(raw) = env.get(name) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<u32>()
        .map_err(|_| SettingsError::Invalid {
            name,
            value: raw.to_owned(),
            reason: "a whole number (0 turns the limit off)".into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(pairs: &[(&str, &str)]) -> Result<Option<JwtSettings>, SettingsError> {
        jwt_settings(&Environment::from_pairs(pairs.iter().copied()))
    }

    const ALL: [(&str, &str); 3] = [
        (ADVISOR_JWT_JWKS_URL, "https://login.example/keys"),
        (ADVISOR_JWT_ISSUER, "https://login.example/v2.0"),
        (ADVISOR_JWT_AUDIENCE, "api://advisor"),
    ];

    #[test]
    fn no_jwt_settings_turn_bearer_tokens_off() {
        assert_eq!(jwt(&[]).unwrap(), None);
    }

    #[test]
    fn all_three_turn_bearer_tokens_on_with_the_default_claims() {
        let settings = jwt(&ALL).unwrap().unwrap();
        assert_eq!(settings.jwks_url.as_str(), "https://login.example/keys");
        assert_eq!(settings.audience, "api://advisor");
        assert_eq!(settings.tenant_claim, "tenant");
        assert_eq!(settings.roles_claim, "roles");
        let mut custom = ALL.to_vec();
        custom.push((ADVISOR_JWT_TENANT_CLAIM, "extn.advisorTenant"));
        assert_eq!(
            jwt(&custom).unwrap().unwrap().tenant_claim,
            "extn.advisorTenant"
        );
    }

    #[test]
    fn a_partial_set_stops_start_up_naming_the_missing_one() {
        for (missing, (name, _)) in ALL.iter().enumerate() {
            let pairs: Vec<_> = ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != missing)
                .map(|(_, p)| *p)
                .collect();
            let err = jwt(&pairs).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
        let err = jwt(&[(ADVISOR_JWT_JWKS_URL, "keys.json"), ALL[1], ALL[2]]).unwrap_err();
        assert!(err.to_string().contains("keys.json"), "{err}");
    }

    #[test]
    fn rate_limits_have_defaults_zero_turns_one_off_and_words_are_refused() {
        let read = |pairs: &[(&str, &str)]| {
            rate_limit_settings(&Environment::from_pairs(pairs.iter().copied()), false)
        };
        let defaults = read(&[]).unwrap();
        assert!(defaults.tenant.is_on() && defaults.credential.is_on());
        assert_eq!(
            defaults.tenant,
            RateLimit {
                per_second: 50,
                burst: 100
            }
        );
        let off = read(&[(ADVISOR_RATE_LIMIT_KEY_PER_SECOND, "0")]).unwrap();
        assert!(!off.credential.is_on());
        let min = read(&[(ADVISOR_RATE_LIMIT_TENANT_BURST, "0")]).unwrap();
        assert_eq!(min.tenant.burst, 1);
        let local = rate_limit_settings(&Environment::default(), true).unwrap();
        assert!(!local.tenant.is_on() && !local.credential.is_on());
        let err = read(&[(ADVISOR_RATE_LIMIT_TENANT_PER_SECOND, "lots")]).unwrap_err();
        assert!(
            err.to_string()
                .contains(ADVISOR_RATE_LIMIT_TENANT_PER_SECOND)
        );
    }
}
