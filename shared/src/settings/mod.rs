//! One typed [`Settings`], read once at start-up. This is the only module that reads the
//! process environment.
//!
//! Locally (no `FUNCTIONS_CUSTOMHANDLER_PORT`) everything falls back to embedded defaults under
//! the data directory. Under the Functions host a missing required setting stops start-up with
//! a message naming it — unless the settings choose the embedded adapters explicitly, which is
//! how the tests drive the bare handler with raw host payloads.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use crate::domain::TenantId;

mod access;
mod ai;
mod cors;
mod credentials;

pub use access::*;
pub use ai::*;
pub use cors::{ADVISOR_CORS_ORIGINS, CorsOrigins};
pub use credentials::{
    ADVISOR_CREDENTIALS_KEY, CredentialsKeySettings, LOCAL_CREDENTIALS_KEY_FILE,
};

/// The port the Functions host tells the handler to listen on (§1.2).
pub const FUNCTIONS_CUSTOMHANDLER_PORT: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";
/// Path of the embedded SQLite store (explicitly chooses it).
pub const ADVISOR_SQLITE_PATH: &str = "ADVISOR_SQLITE_PATH";
/// Folder of the embedded blob store (explicitly chooses it).
pub const ADVISOR_BLOB_DIR: &str = "ADVISOR_BLOB_DIR";
/// `tracing` filter directives, e.g. `info,shared=debug`.
pub const RUST_LOG: &str = "RUST_LOG";

/// Azure SQL logical server, e.g. `advisor-prod.database.windows.net` (chooses Azure SQL).
pub const ADVISOR_SQL_SERVER: &str = "ADVISOR_SQL_SERVER";
/// The Azure SQL database on [`ADVISOR_SQL_SERVER`].
pub const ADVISOR_SQL_DATABASE: &str = "ADVISOR_SQL_DATABASE";
/// Storage account name for blobs (chooses Azure Blob Storage).
pub const ADVISOR_STORAGE_ACCOUNT: &str = "ADVISOR_STORAGE_ACCOUNT";
/// Client id of the user-assigned managed identity the code authenticates as in Azure.
pub const AZURE_CLIENT_ID: &str = "AZURE_CLIENT_ID";
/// Where OpenTelemetry sends traces, logs and metrics; unset → no export.
pub const APPLICATIONINSIGHTS_CONNECTION_STRING: &str = "APPLICATIONINSIGHTS_CONNECTION_STRING";

/// Who reads a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBy {
    /// This code, in [`Settings::from_environment`].
    Code,
    /// The Functions host (its storage and Service Bus connections).
    Host,
    /// Deployed already, read by a capability still to come; named so the deployment and the
    /// code cannot drift apart unnoticed.
    Reserved,
}

/// One app setting, and where it must appear.
#[derive(Debug, Clone, Copy)]
pub struct KnownSetting {
    /// The name.
    pub name: &'static str,
    /// Who reads it.
    pub read_by: ReadBy,
    /// Whether `local.settings.sample.json` names it.
    pub local: bool,
    /// Whether the Bicep's app settings name it.
    pub azure: bool,
    /// Why it is missing from one of the two, when it is.
    pub note: &'static str,
}

const fn setting(
    name: &'static str,
    read_by: ReadBy,
    local: bool,
    azure: bool,
    note: &'static str,
) -> KnownSetting {
    KnownSetting {
        name,
        read_by,
        local,
        azure,
        note,
    }
}

/// Every app setting there is: the one list that the code, `local.settings.sample.json` and the
/// Bicep's app settings are checked against.
pub const KNOWN_SETTINGS: &[KnownSetting] = &[
    setting(
        FUNCTIONS_CUSTOMHANDLER_PORT,
        ReadBy::Code,
        false,
        false,
        "set by the host itself",
    ),
    setting(
        ADVISOR_SQLITE_PATH,
        ReadBy::Code,
        true,
        false,
        "embedded store only",
    ),
    setting(
        ADVISOR_BLOB_DIR,
        ReadBy::Code,
        true,
        false,
        "embedded store only",
    ),
    setting(ADVISOR_SQL_SERVER, ReadBy::Code, true, true, ""),
    setting(ADVISOR_SQL_DATABASE, ReadBy::Code, true, true, ""),
    setting(ADVISOR_STORAGE_ACCOUNT, ReadBy::Code, true, true, ""),
    setting(AZURE_CLIENT_ID, ReadBy::Code, true, true, ""),
    setting(
        APPLICATIONINSIGHTS_CONNECTION_STRING,
        ReadBy::Code,
        true,
        true,
        "",
    ),
    setting(ADVISOR_AI_ENGINE, ReadBy::Code, true, true, ""),
    setting(OPENAI_API_KEY, ReadBy::Code, true, true, ""),
    setting(OPENAI_BASE_URL, ReadBy::Code, true, true, ""),
    setting(OPENAI_MODEL, ReadBy::Code, true, true, ""),
    setting(AZURE_OPENAI_ENDPOINT, ReadBy::Code, true, true, ""),
    setting(AZURE_OPENAI_API_KEY, ReadBy::Code, true, true, ""),
    setting(AZURE_OPENAI_DEPLOYMENT, ReadBy::Code, true, true, ""),
    setting(AZURE_OPENAI_API_VERSION, ReadBy::Code, true, true, ""),
    setting(ADVISOR_AI_DAILY_TOKENS, ReadBy::Code, true, true, ""),
    setting(ADVISOR_AI_CONCURRENCY, ReadBy::Code, true, true, ""),
    setting(ADVISOR_AI_TIMEOUT_SECONDS, ReadBy::Code, true, true, ""),
    setting(ADVISOR_AI_MAX_RETRIES, ReadBy::Code, true, true, ""),
    setting(ADVISOR_CORS_ORIGINS, ReadBy::Code, true, true, ""),
    setting(RUST_LOG, ReadBy::Code, true, true, ""),
    setting(ADVISOR_JWT_JWKS_URL, ReadBy::Code, true, true, ""),
    setting(ADVISOR_JWT_ISSUER, ReadBy::Code, true, true, ""),
    setting(ADVISOR_JWT_AUDIENCE, ReadBy::Code, true, true, ""),
    setting(ADVISOR_JWT_TENANT_CLAIM, ReadBy::Code, true, true, ""),
    setting(ADVISOR_JWT_ROLES_CLAIM, ReadBy::Code, true, true, ""),
    setting(
        ADVISOR_RATE_LIMIT_TENANT_PER_SECOND,
        ReadBy::Code,
        true,
        true,
        "",
    ),
    setting(
        ADVISOR_RATE_LIMIT_TENANT_BURST,
        ReadBy::Code,
        true,
        true,
        "",
    ),
    setting(
        ADVISOR_RATE_LIMIT_KEY_PER_SECOND,
        ReadBy::Code,
        true,
        true,
        "",
    ),
    setting(ADVISOR_RATE_LIMIT_KEY_BURST, ReadBy::Code, true, true, ""),
    setting(
        "FUNCTIONS_WORKER_RUNTIME",
        ReadBy::Host,
        true,
        false,
        "Flex Consumption takes the runtime from functionAppConfig and refuses this setting",
    ),
    setting(
        "AzureWebJobsStorage",
        ReadBy::Host,
        true,
        false,
        "a connection string (Azurite) locally; identity-based __ settings in Azure",
    ),
    setting(
        "AzureWebJobsStorage__accountName",
        ReadBy::Host,
        false,
        true,
        "identity-based, Azure only",
    ),
    setting(
        "AzureWebJobsStorage__credential",
        ReadBy::Host,
        false,
        true,
        "identity-based, Azure only",
    ),
    setting(
        "AzureWebJobsStorage__clientId",
        ReadBy::Host,
        false,
        true,
        "identity-based, Azure only",
    ),
    setting(
        "ServiceBusConnection__fullyQualifiedNamespace",
        ReadBy::Host,
        true,
        true,
        "",
    ),
    setting(
        "ServiceBusConnection__credential",
        ReadBy::Host,
        false,
        true,
        "locally `func start` uses the developer's own identity",
    ),
    setting(
        "ServiceBusConnection__clientId",
        ReadBy::Host,
        false,
        true,
        "locally `func start` uses the developer's own identity",
    ),
    setting(
        ADVISOR_CREDENTIALS_KEY,
        ReadBy::Code,
        false,
        true,
        "a Key Vault reference in Azure; locally a key is generated into the data directory",
    ),
];

/// The well-known local tenant, as Azurite has its well-known account.
pub const DEV_TENANT: &str = "demo";
/// The well-known local API key; accepted only in local mode.
pub const DEV_API_KEY: &str = "local-dev-key";

/// A value that must never reach a log: `Debug` and `Display` print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A missing or malformed setting; start-up stops with this message.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A required setting is not set.
    #[error("setting {name} is not set: {hint}")]
    Missing {
        /// The setting's name.
        name: &'static str,
        /// What to set it to.
        hint: &'static str,
    },
    /// A setting has a value the code cannot use.
    #[error("setting {name} has an invalid value `{value}`: {reason}")]
    Invalid {
        /// The setting's name.
        name: &'static str,
        /// The value found.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `local.settings.json` exists but cannot be read.
    #[error("cannot read {path}: {reason}")]
    LocalSettingsFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// Where the process runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `cargo run`: the local host plays the Functions host.
    Local,
    /// Under a Functions host (the real one, or a test speaking the protocol) on this port.
    Hosted {
        /// The port to listen on, on 127.0.0.1.
        port: u16,
    },
}

/// The SQL store adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSettings {
    /// The embedded SQLite file.
    Sqlite {
        /// The database file.
        path: PathBuf,
    },
    /// Azure SQL, reached with an Entra ID token (no passwords in settings).
    AzureSql {
        /// The logical server's host name.
        server: String,
        /// The database.
        database: String,
    },
}

/// The blob store adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobSettings {
    /// A local folder with one sub-folder per container.
    LocalFolder {
        /// The folder.
        root: PathBuf,
    },
    /// Azure Blob Storage, reached with an Entra ID token.
    Azure {
        /// The storage account's name.
        account: String,
    },
}

/// How the code proves who it is to Azure services (SQL, Storage).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AzureIdentity {
    /// Under the host: the app's managed identity; the user-assigned one with this client id,
    /// or the system-assigned one.
    ManagedIdentity {
        /// The user-assigned identity's client id.
        client_id: Option<String>,
    },
    /// Locally: the developer's own sign-in (`az login`, `azd auth login`).
    Developer,
}

/// Credentials that exist only in local mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevCredentials {
    /// The tenant they authenticate as.
    pub tenant: TenantId,
    /// The API key.
    pub api_key: Secret,
}

/// Everything the code reads from its environment, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Local or under a host.
    pub mode: Mode,
    /// The SQL store.
    pub store: StoreSettings,
    /// The blob store.
    pub blobs: BlobSettings,
    /// The AI engine.
    pub ai: AiSettings,
    /// Bearer JWTs; `None` → only API keys authenticate.
    pub jwt: Option<JwtSettings>,
    /// The per-instance rate limits.
    pub rate_limits: RateLimitSettings,
    /// The well-known local tenant's key; `None` under a host, always.
    pub dev_credentials: Option<DevCredentials>,
    /// How Azure adapters authenticate; used only when one is chosen.
    pub identity: AzureIdentity,
    /// Application Insights' connection string; `None` → no OpenTelemetry export.
    pub app_insights: Option<Secret>,
    /// `tracing` filter directives.
    pub log_filter: Option<String>,
    /// The browser origins that may call the API.
    pub cors_origins: CorsOrigins,
    /// The key that encrypts platform credentials at rest.
    pub credentials_key: CredentialsKeySettings,
    /// Functions switched off by `AzureWebJobs.<name>.Disabled`: the Functions host does not
    /// start their triggers (its admin call still runs them), and nor does the local host.
    pub disabled_functions: BTreeSet<String>,
}

/// The raw settings: process environment over the `Values` of `local.settings.json`. Remembers
/// which names were asked for, so a test can hold the code to [`KNOWN_SETTINGS`].
#[derive(Debug, Default)]
pub struct Environment {
    values: BTreeMap<String, String>,
    asked: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

impl Environment {
    /// The process environment, over `local.settings.json`'s `Values` if `local_settings` names
    /// an existing file (as `func start` does; a variable already set wins).
    pub fn load(local_settings: Option<&Path>) -> Result<Self, SettingsError> {
        let mut values = match local_settings {
            Some(path) if path.exists() => read_local_settings(path)?,
            _ => BTreeMap::new(),
        };
        values.extend(std::env::vars());
        Ok(Self::from_pairs(values))
    }

    /// The process environment; in local mode (no `FUNCTIONS_CUSTOMHANDLER_PORT`) over the
    /// `Values` of `app_root/local.settings.json`. Under a host, the host's app settings are the
    /// whole truth and the file is not read.
    pub fn load_for_app(app_root: &Path) -> Result<Self, SettingsError> {
        let hosted = std::env::var_os(FUNCTIONS_CUSTOMHANDLER_PORT).is_some();
        let file = app_root.join("local.settings.json");
        Self::load((!hosted).then_some(file.as_path()))
    }

    /// An environment with exactly these values (tests).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            values: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            asked: Default::default(),
        }
    }

    /// The non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.insert(name.to_owned());
        }
        self.values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// The functions whose `AzureWebJobs.<name>.Disabled` is `true` or `1`, as the Functions
    /// host reads that setting.
    pub fn disabled_functions(&self) -> BTreeSet<String> {
        self.values
            .iter()
            .filter_map(|(key, value)| {
                let name = key
                    .strip_prefix("AzureWebJobs.")?
                    .strip_suffix(".Disabled")?;
                let value = value.trim();
                let on = value.eq_ignore_ascii_case("true") || value == "1";
                (on && !name.is_empty()).then(|| name.to_owned())
            })
            .collect()
    }

    /// Every name [`Environment::get`] has been asked for.
    pub fn asked(&self) -> Vec<String> {
        self.asked
            .lock()
            .map(|asked| asked.iter().cloned().collect())
            .unwrap_or_default()
    }
}

fn read_local_settings(path: &Path) -> Result<BTreeMap<String, String>, SettingsError> {
    let error = |reason: String| SettingsError::LocalSettingsFile {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(e.to_string()))?;
    let file: serde_json::Value = serde_json::from_str(&text).map_err(|e| error(e.to_string()))?;
    let values = file
        .get("Values")
        .and_then(|v| v.as_object())
        .ok_or_else(|| error("no `Values` object".into()))?;
    Ok(values
        .iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k.clone(), s.clone())),
            serde_json::Value::Number(n) => Some((k.clone(), n.to_string())),
            serde_json::Value::Bool(b) => Some((k.clone(), b.to_string())),
            _ => None,
        })
        .collect())
}

impl Settings {
    /// Reads settings from `env`. `data_dir` is where local mode keeps its state.
    pub fn from_environment(env: &Environment, data_dir: &Path) -> Result<Self, SettingsError> {
        let mode = match env.get(FUNCTIONS_CUSTOMHANDLER_PORT) {
            None => Mode::Local,
            Some(raw) => Mode::Hosted {
                port: raw.trim().parse().map_err(|_| SettingsError::Invalid {
                    name: FUNCTIONS_CUSTOMHANDLER_PORT,
                    value: raw.to_owned(),
                    reason: "not a TCP port".into(),
                })?,
            },
        };
        let local = mode == Mode::Local;
        let store = store_settings(env, local, data_dir)?;
        let blobs = blob_settings(env, local, data_dir)?;
        let ai = ai::ai_settings(env)?;
        let jwt = access::jwt_settings(env)?;
        let rate_limits = access::rate_limit_settings(env, local)?;
        let dev_credentials = local.then(|| DevCredentials {
            tenant: TenantId::parse(DEV_TENANT).unwrap_or_else(|_| unreachable!("valid literal")),
            api_key: Secret::new(DEV_API_KEY),
        });
        Ok(Self {
            mode,
            store,
            blobs,
            ai,
            jwt,
            rate_limits,
            dev_credentials,
            identity: match env.get(AZURE_CLIENT_ID) {
                Some(id) => AzureIdentity::ManagedIdentity {
                    client_id: Some(id.trim().to_owned()),
                },
                None if local => AzureIdentity::Developer,
                None => AzureIdentity::ManagedIdentity { client_id: None },
            },
            app_insights: env
                .get(APPLICATIONINSIGHTS_CONNECTION_STRING)
                .map(Secret::new),
            log_filter: env.get(RUST_LOG).map(str::to_owned),
            cors_origins: cors::cors_origins(env)?,
            credentials_key: credentials::credentials_key(env, local, data_dir)?,
            disabled_functions: env.disabled_functions(),
        })
    }
}

/// Azure SQL when its server is set, else SQLite: named explicitly, or the local default.
fn store_settings(
    env: &Environment,
    local: bool,
    data_dir: &Path,
) -> Result<StoreSettings, SettingsError> {
    let server = env.get(ADVISOR_SQL_SERVER);
    let sqlite = env.get(ADVISOR_SQLITE_PATH);
    match (server, sqlite) {
        (Some(server), None) => {
            let database = env
                .get(ADVISOR_SQL_DATABASE)
                .ok_or(SettingsError::Missing {
                    name: ADVISOR_SQL_DATABASE,
                    hint: "the Azure SQL database on ADVISOR_SQL_SERVER",
                })?;
            Ok(StoreSettings::AzureSql {
                server: server.trim().to_owned(),
                database: database.trim().to_owned(),
            })
        }
        (Some(server), Some(_)) => Err(SettingsError::Invalid {
            name: ADVISOR_SQL_SERVER,
            value: server.to_owned(),
            reason: "ADVISOR_SQLITE_PATH is set too; choose one store".into(),
        }),
        (None, Some(path)) => Ok(StoreSettings::Sqlite { path: path.into() }),
        (None, None) if local => Ok(StoreSettings::Sqlite {
            path: data_dir.join("advisor.db"),
        }),
        (None, None) => Err(SettingsError::Missing {
            name: ADVISOR_SQL_SERVER,
            hint: "the Azure SQL server (with ADVISOR_SQL_DATABASE), or ADVISOR_SQLITE_PATH for \
                   the embedded SQLite store",
        }),
    }
}

/// Azure Blob Storage when its account is set, else a local folder.
fn blob_settings(
    env: &Environment,
    local: bool,
    data_dir: &Path,
) -> Result<BlobSettings, SettingsError> {
    match (env.get(ADVISOR_STORAGE_ACCOUNT), env.get(ADVISOR_BLOB_DIR)) {
        (Some(account), None) => Ok(BlobSettings::Azure {
            account: account.trim().to_owned(),
        }),
        (Some(account), Some(_)) => Err(SettingsError::Invalid {
            name: ADVISOR_STORAGE_ACCOUNT,
            value: account.to_owned(),
            reason: "ADVISOR_BLOB_DIR is set too; choose one blob store".into(),
        }),
        (None, Some(root)) => Ok(BlobSettings::LocalFolder { root: root.into() }),
        (None, None) if local => Ok(BlobSettings::LocalFolder {
            root: data_dir.join("blobs"),
        }),
        (None, None) => Err(SettingsError::Missing {
            name: ADVISOR_STORAGE_ACCOUNT,
            hint: "the storage account for blobs, or ADVISOR_BLOB_DIR for a local folder",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_mode_falls_back_to_embedded_defaults_under_the_data_dir() {
        let settings =
            Settings::from_environment(&Environment::default(), Path::new(".local")).unwrap();
        assert_eq!(settings.mode, Mode::Local);
        assert_eq!(
            settings.store,
            StoreSettings::Sqlite {
                path: ".local/advisor.db".into()
            }
        );
        assert!(settings.dev_credentials.is_some());
    }

    #[test]
    fn under_the_host_a_missing_store_setting_is_named() {
        let env = Environment::from_pairs([(FUNCTIONS_CUSTOMHANDLER_PORT, "7000")]);
        let err = Settings::from_environment(&env, Path::new(".local")).unwrap_err();
        assert!(err.to_string().contains(ADVISOR_SQL_SERVER), "{err}");
        assert!(err.to_string().contains(ADVISOR_SQLITE_PATH), "{err}");
    }

    #[test]
    fn under_the_host_explicit_embedded_settings_work_and_the_dev_key_does_not_exist() {
        let env = Environment::from_pairs([
            (FUNCTIONS_CUSTOMHANDLER_PORT, "7000"),
            (ADVISOR_SQLITE_PATH, "/tmp/a.db"),
            (ADVISOR_BLOB_DIR, "/tmp/blobs"),
        ]);
        let settings = Settings::from_environment(&env, Path::new(".local")).unwrap();
        assert_eq!(settings.mode, Mode::Hosted { port: 7000 });
        assert_eq!(settings.dev_credentials, None);
    }

    #[test]
    fn a_bad_port_or_engine_is_refused_with_its_value() {
        let env = Environment::from_pairs([(FUNCTIONS_CUSTOMHANDLER_PORT, "seventy")]);
        let err = Settings::from_environment(&env, Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("seventy"));
        let env = Environment::from_pairs([(ADVISOR_AI_ENGINE, "gpt")]);
        let err = Settings::from_environment(&env, Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("gpt"));
    }

    #[test]
    fn under_the_host_azure_settings_choose_azure_sql_blob_storage_and_the_managed_identity() {
        let env = Environment::from_pairs([
            (FUNCTIONS_CUSTOMHANDLER_PORT, "7000"),
            (ADVISOR_SQL_SERVER, "advisor.database.windows.net"),
            (ADVISOR_SQL_DATABASE, "advisor"),
            (ADVISOR_STORAGE_ACCOUNT, "advisorprod"),
            (AZURE_CLIENT_ID, "00000000-0000-0000-0000-000000000001"),
            (
                APPLICATIONINSIGHTS_CONNECTION_STRING,
                "InstrumentationKey=x",
            ),
        ]);
        let settings = Settings::from_environment(&env, Path::new(".local")).unwrap();
        assert_eq!(
            settings.store,
            StoreSettings::AzureSql {
                server: "advisor.database.windows.net".into(),
                database: "advisor".into()
            }
        );
        assert_eq!(
            settings.blobs,
            BlobSettings::Azure {
                account: "advisorprod".into()
            }
        );
        assert_eq!(
            settings.identity,
            AzureIdentity::ManagedIdentity {
                client_id: Some("00000000-0000-0000-0000-000000000001".into())
            }
        );
        assert!(settings.app_insights.is_some());
    }

    #[test]
    fn a_server_without_a_database_or_two_stores_at_once_are_refused_by_name() {
        let env = Environment::from_pairs([(ADVISOR_SQL_SERVER, "s.database.windows.net")]);
        let err = Settings::from_environment(&env, Path::new(".")).unwrap_err();
        assert!(err.to_string().contains(ADVISOR_SQL_DATABASE), "{err}");
        let env = Environment::from_pairs([
            (ADVISOR_SQL_SERVER, "s.database.windows.net"),
            (ADVISOR_SQL_DATABASE, "d"),
            (ADVISOR_SQLITE_PATH, "a.db"),
        ]);
        let err = Settings::from_environment(&env, Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("choose one store"), "{err}");
        let env =
            Environment::from_pairs([(ADVISOR_STORAGE_ACCOUNT, "a"), (ADVISOR_BLOB_DIR, "b")]);
        let err = Settings::from_environment(&env, Path::new(".")).unwrap_err();
        assert!(err.to_string().contains("choose one blob store"), "{err}");
    }

    #[test]
    fn locally_azure_adapters_authenticate_as_the_developer() {
        let settings =
            Settings::from_environment(&Environment::default(), Path::new(".local")).unwrap();
        assert_eq!(settings.identity, AzureIdentity::Developer);
        assert_eq!(settings.app_insights, None);
    }

    #[test]
    fn a_function_is_disabled_by_its_setting_set_to_true_or_1_and_by_nothing_else() {
        let env = Environment::from_pairs([
            ("AzureWebJobs.ScheduleSync.Disabled", "true"),
            ("AzureWebJobs.RollupAnalytics.Disabled", " 1 "),
            ("AzureWebJobs.EnrichProduct.Disabled", "false"),
            ("AzureWebJobs.Ask.Disabled", "yes"),
            ("AzureWebJobs..Disabled", "true"),
            ("AzureWebJobs.Products", "true"),
        ]);
        let settings = Settings::from_environment(&env, Path::new(".")).unwrap();
        assert_eq!(
            settings.disabled_functions,
            BTreeSet::from(["RollupAnalytics".to_owned(), "ScheduleSync".to_owned()])
        );
    }

    fn names(filter: impl Fn(&KnownSetting) -> bool) -> BTreeSet<String> {
        KNOWN_SETTINGS
            .iter()
            .filter(|s| filter(s))
            .map(|s| s.name.to_owned())
            .collect()
    }

    #[test]
    fn the_code_reads_exactly_the_settings_the_list_says_it_reads() {
        // Every path through `from_environment`: local, hosted embedded, hosted Azure.
        let mut asked = BTreeSet::new();
        for pairs in [
            vec![],
            vec![
                (FUNCTIONS_CUSTOMHANDLER_PORT, "7000"),
                (ADVISOR_SQLITE_PATH, "a.db"),
                (ADVISOR_BLOB_DIR, "b"),
            ],
            vec![
                (FUNCTIONS_CUSTOMHANDLER_PORT, "7000"),
                (ADVISOR_SQL_SERVER, "s"),
                (ADVISOR_SQL_DATABASE, "d"),
                (ADVISOR_STORAGE_ACCOUNT, "a"),
            ],
            vec![(OPENAI_API_KEY, "k")],
        ] {
            let env = Environment::from_pairs(pairs);
            Settings::from_environment(&env, Path::new(".")).unwrap();
            asked.extend(env.asked());
        }
        assert_eq!(asked, names(|s| s.read_by == ReadBy::Code));
    }

    #[test]
    fn the_sample_settings_file_names_exactly_the_local_settings() {
        let sample: serde_json::Value =
            serde_json::from_str(include_str!("../../../local.settings.sample.json")).unwrap();
        let in_sample: BTreeSet<String> = sample["Values"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(in_sample, names(|s| s.local));
    }

    #[test]
    fn the_bicep_app_settings_name_exactly_the_azure_settings() {
        let bicep = include_str!("../../../infra/bicep/modules/functionApp.bicep");
        assert_eq!(bicep_app_settings(bicep), names(|s| s.azure));
    }

    #[test]
    fn every_setting_left_out_somewhere_says_why() {
        for s in KNOWN_SETTINGS {
            let everywhere = s.local && s.azure;
            assert_eq!(
                everywhere,
                s.note.is_empty(),
                "{}: note `{}`",
                s.name,
                s.note
            );
        }
    }

    /// The `name: '…'` entries of the `appSettings: [ … ]` array.
    fn bicep_app_settings(bicep: &str) -> BTreeSet<String> {
        let start = bicep.find("appSettings: [").expect("an appSettings array");
        let mut depth = 0;
        let mut end = start;
        for (i, c) in bicep[start..].char_indices() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = start + i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let block = &bicep[start..end];
        let names: BTreeSet<String> = block
            .split("name: '")
            .skip(1)
            .filter_map(|rest| rest.split('\'').next())
            .map(str::to_owned)
            .collect();
        assert!(!names.is_empty(), "no app settings found in {block}");
        names
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }
}
