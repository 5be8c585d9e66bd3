//! The AI settings: which provider enriches products, and the limits that keep its cost and
//! load in bounds. The names are the ones people already know from OpenAI's and Azure's own
//! tools (`OPENAI_API_KEY`, `AZURE_OPENAI_ENDPOINT`, …).

use std::time::Duration;

use super::{Environment, Secret, SettingsError};

/// Which AI engine enriches products: `auto` (the default: a provider when one is configured,
/// else offline), `offline`, `openai` or `azure-openai`.
pub const ADVISOR_AI_ENGINE: &str = "ADVISOR_AI_ENGINE";
/// OpenAI's API key; with no base URL it chooses OpenAI itself.
pub const OPENAI_API_KEY: &str = "OPENAI_API_KEY";
/// An OpenAI-compatible server (Ollama, vLLM, llama.cpp, a proxy), e.g. `http://host:11434/v1`.
pub const OPENAI_BASE_URL: &str = "OPENAI_BASE_URL";
/// The model asked for on OpenAI or an OpenAI-compatible server.
pub const OPENAI_MODEL: &str = "OPENAI_MODEL";
/// The Azure OpenAI resource, e.g. `https://my-resource.openai.azure.com` (chooses Azure).
pub const AZURE_OPENAI_ENDPOINT: &str = "AZURE_OPENAI_ENDPOINT";
/// The Azure OpenAI key; unset → the managed identity (Entra ID) is used.
pub const AZURE_OPENAI_API_KEY: &str = "AZURE_OPENAI_API_KEY";
/// The Azure OpenAI deployment that serves the requests.
pub const AZURE_OPENAI_DEPLOYMENT: &str = "AZURE_OPENAI_DEPLOYMENT";
/// The Azure OpenAI data-plane API version.
pub const AZURE_OPENAI_API_VERSION: &str = "AZURE_OPENAI_API_VERSION";
/// Tokens one tenant may spend per UTC day; once spent, enrichment waits for the next day.
pub const ADVISOR_AI_DAILY_TOKENS: &str = "ADVISOR_AI_DAILY_TOKENS";
/// Requests to the provider in flight at once, per instance.
pub const ADVISOR_AI_CONCURRENCY: &str = "ADVISOR_AI_CONCURRENCY";
/// How long one request to the provider may take before it is abandoned and retried.
pub const ADVISOR_AI_TIMEOUT_SECONDS: &str = "ADVISOR_AI_TIMEOUT_SECONDS";
/// Retries of one request after a rate limit, server error, timeout or lost connection.
pub const ADVISOR_AI_MAX_RETRIES: &str = "ADVISOR_AI_MAX_RETRIES";

/// OpenAI's own endpoint, when only a key is set.
pub const OPENAI_DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// A small, cheap model that supports structured outputs.
pub const OPENAI_DEFAULT_MODEL: &str = "gpt-4o-mini";
/// The newest generally available Azure OpenAI data-plane version with structured outputs.
pub const AZURE_OPENAI_DEFAULT_API_VERSION: &str = "2024-10-21";

/// The AI engine and, for a provider, its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AiSettings {
    /// Rules, dictionaries and statistics; no network.
    Offline,
    /// A hosted model.
    Provider(ProviderSettings),
}

/// A provider and the limits it runs under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// Where the requests go.
    pub endpoint: ProviderEndpoint,
    /// Tokens per tenant per UTC day.
    pub daily_tokens: u64,
    /// Requests in flight at once, per instance.
    pub concurrency: usize,
    /// One request's time limit.
    pub timeout: Duration,
    /// Retries of one request.
    pub max_retries: u32,
}

/// Where chat-completion requests go, and how they authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderEndpoint {
    /// OpenAI, or any server that speaks its API, with a Bearer key (none for a local server).
    OpenAi {
        /// The API base, ending before `/chat/completions`.
        base_url: String,
        /// The Bearer key; a local server may need none.
        api_key: Option<Secret>,
        /// The model.
        model: String,
    },
    /// An Azure OpenAI deployment.
    Azure {
        /// The resource endpoint.
        endpoint: String,
        /// The deployment.
        deployment: String,
        /// The data-plane API version.
        api_version: String,
        /// The `api-key`; `None` → an Entra ID token from the app's identity.
        api_key: Option<Secret>,
    },
}

const DEFAULT_DAILY_TOKENS: u64 = 2_000_000;
const DEFAULT_CONCURRENCY: usize = 4;
const DEFAULT_TIMEOUT_SECONDS: u64 = 60;
const DEFAULT_MAX_RETRIES: u64 = 4;

/// Reads the AI settings.
pub(super) fn ai_settings(env: &Environment) -> Result<AiSettings, SettingsError> {
    let engine = env.get(ADVISOR_AI_ENGINE).map(str::trim).unwrap_or("auto");
    let openai = openai_endpoint(env);
    let azure = azure_endpoint(env)?;
    let endpoint = match (engine, openai, azure) {
        ("offline", _, _) => return Ok(AiSettings::Offline),
        ("auto", None, None) => return Ok(AiSettings::Offline),
        ("auto" | "azure-openai", _, Some(azure)) => azure,
        ("auto" | "openai", Some(openai), _) => openai,
        ("openai", None, _) => {
            return Err(SettingsError::Missing {
                name: OPENAI_API_KEY,
                hint: "OpenAI's API key, or OPENAI_BASE_URL for an OpenAI-compatible server",
            });
        }
        ("azure-openai", _, None) => {
            return Err(SettingsError::Missing {
                name: AZURE_OPENAI_ENDPOINT,
                hint: "the Azure OpenAI resource, e.g. https://my-resource.openai.azure.com",
            });
        }
        (other, _, _) => {
            return Err(SettingsError::Invalid {
                name: ADVISOR_AI_ENGINE,
                value: other.to_owned(),
                reason: "the engines are: auto, offline, openai, azure-openai".into(),
            });
        }
    };
    Ok(AiSettings::Provider(ProviderSettings {
        endpoint,
        daily_tokens: number(env, ADVISOR_AI_DAILY_TOKENS, DEFAULT_DAILY_TOKENS, 1)?,
        concurrency: number(env, ADVISOR_AI_CONCURRENCY, DEFAULT_CONCURRENCY as u64, 1)? as usize,
        timeout: Duration::from_secs(number(
            env,
            ADVISOR_AI_TIMEOUT_SECONDS,
            DEFAULT_TIMEOUT_SECONDS,
            1,
        )?),
        max_retries: number(env, ADVISOR_AI_MAX_RETRIES, DEFAULT_MAX_RETRIES, 0)?.min(10) as u32,
    }))
}

fn openai_endpoint(env: &Environment) -> Option<ProviderEndpoint> {
    let api_key = env.get(OPENAI_API_KEY).map(|k| Secret::new(k.trim()));
    let base_url = env
        .get(OPENAI_BASE_URL)
        .map(|u| u.trim().trim_end_matches('/'));
    let model = env.get(OPENAI_MODEL).map(str::trim);
    if api_key.is_none() && base_url.is_none() {
        return None;
    }
    Some(ProviderEndpoint::OpenAi {
        base_url: base_url.unwrap_or(OPENAI_DEFAULT_BASE_URL).to_owned(),
        api_key,
        model: model.unwrap_or(OPENAI_DEFAULT_MODEL).to_owned(),
    })
}

fn azure_endpoint(env: &Environment) -> Result<Option<ProviderEndpoint>, SettingsError> {
    let api_key = env.get(AZURE_OPENAI_API_KEY).map(|k| Secret::new(k.trim()));
    let deployment = env.get(AZURE_OPENAI_DEPLOYMENT).map(str::trim);
    let api_version = env.get(AZURE_OPENAI_API_VERSION).map(str::trim);
    let Some(endpoint) = env.get(AZURE_OPENAI_ENDPOINT) else {
        return Ok(None);
    };
    let deployment = deployment.ok_or(SettingsError::Missing {
        name: AZURE_OPENAI_DEPLOYMENT,
        hint: "the Azure OpenAI deployment that serves the requests",
    })?;
    Ok(Some(ProviderEndpoint::Azure {
        endpoint: endpoint.trim().trim_end_matches('/').to_owned(),
        deployment: deployment.to_owned(),
        api_version: api_version
            .unwrap_or(AZURE_OPENAI_DEFAULT_API_VERSION)
            .to_owned(),
        api_key,
    }))
}

fn number(
    env: &Environment,
    name: &'static str,
    default: u64,
    min: u64,
) -> Result<u64, SettingsError> {
    let Some(raw) = env.get(name) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| SettingsError::Invalid {
            name,
            value: raw.to_owned(),
            reason: format!("a whole number of at least {min}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(pairs: &[(&str, &str)]) -> Result<AiSettings, SettingsError> {
        ai_settings(&Environment::from_pairs(pairs.iter().copied()))
    }

    fn endpoint(pairs: &[(&str, &str)]) -> ProviderEndpoint {
        match read(pairs) {
            Ok(AiSettings::Provider(p)) => p.endpoint,
            other => panic!("expected a provider, got {other:?}"),
        }
    }

    #[test]
    fn nothing_set_or_offline_chosen_means_the_offline_engine() {
        assert_eq!(read(&[]).unwrap(), AiSettings::Offline);
        assert_eq!(
            read(&[(ADVISOR_AI_ENGINE, "offline"), (OPENAI_API_KEY, "sk-1")]).unwrap(),
            AiSettings::Offline
        );
    }

    #[test]
    fn an_openai_key_alone_chooses_openai_with_its_default_model() {
        assert_eq!(
            endpoint(&[(OPENAI_API_KEY, "sk-1")]),
            ProviderEndpoint::OpenAi {
                base_url: OPENAI_DEFAULT_BASE_URL.into(),
                api_key: Some(Secret::new("sk-1")),
                model: OPENAI_DEFAULT_MODEL.into(),
            }
        );
    }

    #[test]
    fn a_base_url_alone_chooses_a_compatible_server_without_a_key() {
        assert_eq!(
            endpoint(&[
                (OPENAI_BASE_URL, "http://127.0.0.1:11434/v1/"),
                (OPENAI_MODEL, "llama3.1")
            ]),
            ProviderEndpoint::OpenAi {
                base_url: "http://127.0.0.1:11434/v1".into(),
                api_key: None,
                model: "llama3.1".into(),
            }
        );
    }

    #[test]
    fn azure_wins_in_auto_mode_and_needs_a_deployment() {
        let pairs = [
            (AZURE_OPENAI_ENDPOINT, "https://r.openai.azure.com/"),
            (AZURE_OPENAI_DEPLOYMENT, "gpt4o"),
            (OPENAI_API_KEY, "sk-1"),
        ];
        assert_eq!(
            endpoint(&pairs),
            ProviderEndpoint::Azure {
                endpoint: "https://r.openai.azure.com".into(),
                deployment: "gpt4o".into(),
                api_version: AZURE_OPENAI_DEFAULT_API_VERSION.into(),
                api_key: None,
            }
        );
        let mut openai = pairs.to_vec();
        openai.push((ADVISOR_AI_ENGINE, "openai"));
        assert!(matches!(endpoint(&openai), ProviderEndpoint::OpenAi { .. }));
        let err = read(&[(AZURE_OPENAI_ENDPOINT, "https://r.openai.azure.com")]).unwrap_err();
        assert!(err.to_string().contains(AZURE_OPENAI_DEPLOYMENT), "{err}");
    }

    #[test]
    fn a_chosen_provider_without_its_settings_or_an_unknown_engine_stops_start_up() {
        let err = read(&[(ADVISOR_AI_ENGINE, "openai")]).unwrap_err();
        assert!(err.to_string().contains(OPENAI_API_KEY), "{err}");
        let err = read(&[(ADVISOR_AI_ENGINE, "azure-openai")]).unwrap_err();
        assert!(err.to_string().contains(AZURE_OPENAI_ENDPOINT), "{err}");
        let err = read(&[(ADVISOR_AI_ENGINE, "gpt")]).unwrap_err();
        assert!(err.to_string().contains("auto, offline"), "{err}");
    }

    #[test]
    fn limits_have_defaults_and_refuse_nonsense() {
        let Ok(AiSettings::Provider(p)) = read(&[(OPENAI_API_KEY, "k")]) else {
            panic!("a provider")
        };
        assert_eq!(
            (p.daily_tokens, p.concurrency, p.timeout, p.max_retries),
            (2_000_000, 4, Duration::from_secs(60), 4)
        );
        let err = read(&[(OPENAI_API_KEY, "k"), (ADVISOR_AI_CONCURRENCY, "0")]).unwrap_err();
        assert!(err.to_string().contains(ADVISOR_AI_CONCURRENCY), "{err}");
        let err = read(&[(OPENAI_API_KEY, "k"), (ADVISOR_AI_DAILY_TOKENS, "lots")]).unwrap_err();
        assert!(err.to_string().contains("whole number"), "{err}");
    }
}
