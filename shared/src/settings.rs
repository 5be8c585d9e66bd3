//! One typed [`Settings`], read once at start-up. This is the only module that reads the
//! process environment.
//!
//! Locally (no `FUNCTIONS_CUSTOMHANDLER_PORT`) everything falls back to embedded defaults under
//! the data directory. Under the Functions host a missing required setting stops start-up with
//! a message naming it — unless the settings choose the embedded adapters explicitly, which is
//! how the tests drive the bare handler with raw host payloads.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::domain::TenantId;

/// The port the Functions host tells the handler to listen on (§1.2).
pub const FUNCTIONS_CUSTOMHANDLER_PORT: &str = "FUNCTIONS_CUSTOMHANDLER_PORT";
/// Path of the embedded SQLite store (explicitly chooses it).
pub const ADVISOR_SQLITE_PATH: &str = "ADVISOR_SQLITE_PATH";
/// Folder of the embedded blob store (explicitly chooses it).
pub const ADVISOR_BLOB_DIR: &str = "ADVISOR_BLOB_DIR";
/// Which AI engine enriches products: `offline` (the default).
pub const ADVISOR_AI_ENGINE: &str = "ADVISOR_AI_ENGINE";
/// `tracing` filter directives, e.g. `info,shared=debug`.
pub const RUST_LOG: &str = "RUST_LOG";

/// Every setting the code reads, for the check that the sample settings file, the code and the
/// deployment name the same set.
pub const SETTING_NAMES: &[&str] = &[
    FUNCTIONS_CUSTOMHANDLER_PORT,
    ADVISOR_SQLITE_PATH,
    ADVISOR_BLOB_DIR,
    ADVISOR_AI_ENGINE,
    RUST_LOG,
];

/// Settings in `local.settings.sample.json` that the Functions host reads, not this code.
pub const HOST_SETTINGS: &[&str] = &[
    "FUNCTIONS_WORKER_RUNTIME",
    "AzureWebJobsStorage",
    "ServiceBusConnection__fullyQualifiedNamespace",
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
}

/// The blob store adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlobSettings {
    /// A local folder with one sub-folder per container.
    LocalFolder {
        /// The folder.
        root: PathBuf,
    },
}

/// The AI engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AiSettings {
    /// Rules, dictionaries and statistics; no network.
    Offline,
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
    /// The well-known local tenant's key; `None` under a host, always.
    pub dev_credentials: Option<DevCredentials>,
    /// `tracing` filter directives.
    pub log_filter: Option<String>,
}

/// The raw settings: process environment over the `Values` of `local.settings.json`.
#[derive(Debug, Clone, Default)]
pub struct Environment(BTreeMap<String, String>);

impl Environment {
    /// The process environment, over `local.settings.json`'s `Values` if `local_settings` names
    /// an existing file (as `func start` does; a variable already set wins).
    pub fn load(local_settings: Option<&Path>) -> Result<Self, SettingsError> {
        let mut values = match local_settings {
            Some(path) if path.exists() => read_local_settings(path)?,
            _ => BTreeMap::new(),
        };
        values.extend(std::env::vars());
        Ok(Self(values))
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
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// The non-empty value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
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
        let store = match env.get(ADVISOR_SQLITE_PATH) {
            Some(path) => StoreSettings::Sqlite { path: path.into() },
            None if local => StoreSettings::Sqlite {
                path: data_dir.join("advisor.db"),
            },
            None => {
                return Err(SettingsError::Missing {
                    name: ADVISOR_SQLITE_PATH,
                    hint: "the path of the SQLite database file the handler should use",
                });
            }
        };
        let blobs = match env.get(ADVISOR_BLOB_DIR) {
            Some(root) => BlobSettings::LocalFolder { root: root.into() },
            None if local => BlobSettings::LocalFolder {
                root: data_dir.join("blobs"),
            },
            None => {
                return Err(SettingsError::Missing {
                    name: ADVISOR_BLOB_DIR,
                    hint: "the folder that holds one sub-folder per blob container",
                });
            }
        };
        let ai = match env.get(ADVISOR_AI_ENGINE).map(str::trim) {
            None | Some("offline") => AiSettings::Offline,
            Some(other) => {
                return Err(SettingsError::Invalid {
                    name: ADVISOR_AI_ENGINE,
                    value: other.to_owned(),
                    reason: "the engines available are: offline".into(),
                });
            }
        };
        let dev_credentials = local.then(|| DevCredentials {
            tenant: TenantId::parse(DEV_TENANT).unwrap_or_else(|_| unreachable!("valid literal")),
            api_key: Secret::new(DEV_API_KEY),
        });
        Ok(Self {
            mode,
            store,
            blobs,
            ai,
            dev_credentials,
            log_filter: env.get(RUST_LOG).map(str::to_owned),
        })
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
    fn the_sample_settings_file_names_exactly_the_settings_read_here_and_by_the_host() {
        let sample: serde_json::Value =
            serde_json::from_str(include_str!("../../local.settings.sample.json")).unwrap();
        let in_sample: std::collections::BTreeSet<&str> = sample["Values"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        // The host sets the port itself; it never belongs in a settings file.
        let expected: std::collections::BTreeSet<&str> = SETTING_NAMES
            .iter()
            .chain(HOST_SETTINGS)
            .copied()
            .filter(|name| *name != FUNCTIONS_CUSTOMHANDLER_PORT)
            .collect();
        assert_eq!(in_sample, expected);
    }

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "Secret(***)");
    }
}
