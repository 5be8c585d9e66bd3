//! The key that encrypts platform credentials at rest (`ADVISOR_CREDENTIALS_KEY`).
//!
//! Under a host the Bicep sets it to a Key Vault reference. A deployment that never set the
//! secret leaves the reference unresolved, and the app receives the reference's own text: the
//! app then starts without connections (their endpoints answer 503 naming this setting) rather
//! than not at all, since everything else works without them. A value that is neither
//! unresolved nor a valid key is a mistake someone made on purpose, and stops start-up.
//! Locally, without the setting, a key is generated once into the data directory.

use std::path::{Path, PathBuf};

use super::{Environment, Secret, SettingsError};
use crate::connections::CredentialsKey;

/// Base64 of 32 random bytes (`openssl rand -base64 32`).
pub const ADVISOR_CREDENTIALS_KEY: &str = "ADVISOR_CREDENTIALS_KEY";

/// The local key file's name under the data directory.
pub const LOCAL_CREDENTIALS_KEY_FILE: &str = "credentials.key";

/// Where the credentials key comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsKeySettings {
    /// The setting's value, checked to be base64 of 32 bytes.
    Key(Secret),
    /// Local mode without the setting: this file, made on first use (mode 0600).
    LocalFile(PathBuf),
    /// Under a host without a usable key: connections are off, and say why.
    Unavailable {
        /// The sentence their 503s carry.
        reason: String,
    },
}

/// Reads [`ADVISOR_CREDENTIALS_KEY`].
pub(super) fn credentials_key(
    env: &Environment,
    local: bool,
    data_dir: &Path,
) -> Result<CredentialsKeySettings, SettingsError> {
    let raw = env.get(ADVISOR_CREDENTIALS_KEY).map(str::trim);
    match raw {
        None if local => Ok(CredentialsKeySettings::LocalFile(
            data_dir.join(LOCAL_CREDENTIALS_KEY_FILE),
        )),
        None => Ok(CredentialsKeySettings::Unavailable {
            reason: format!("{ADVISOR_CREDENTIALS_KEY} is not set"),
        }),
        Some(value) if !local && value.starts_with("@Microsoft.KeyVault(") => {
            Ok(CredentialsKeySettings::Unavailable {
                reason: format!(
                    "{ADVISOR_CREDENTIALS_KEY} is an unresolved Key Vault reference: set the \
                     vault's secret `credentials-encryption-key` (base64 of 32 random bytes) \
                     and restart the app"
                ),
            })
        }
        Some(value) => match CredentialsKey::from_base64(value) {
            Ok(_) => Ok(CredentialsKeySettings::Key(Secret::new(value))),
            // The value is a secret: never echo it, not even in the start-up error.
            Err(reason) => Err(SettingsError::Invalid {
                name: ADVISOR_CREDENTIALS_KEY,
                value: "***".into(),
                reason,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    fn read(pairs: &[(&str, &str)], local: bool) -> Result<CredentialsKeySettings, SettingsError> {
        credentials_key(
            &Environment::from_pairs(pairs.iter().copied()),
            local,
            Path::new("d"),
        )
    }

    #[test]
    fn locally_without_the_setting_a_key_file_in_the_data_dir_is_used() {
        assert_eq!(
            read(&[], true).unwrap(),
            CredentialsKeySettings::LocalFile("d/credentials.key".into())
        );
    }

    #[test]
    fn a_valid_key_is_taken_in_either_mode() {
        let expected = CredentialsKeySettings::Key(Secret::new(KEY));
        assert_eq!(
            read(&[(ADVISOR_CREDENTIALS_KEY, KEY)], true).unwrap(),
            expected
        );
        assert_eq!(
            read(&[(ADVISOR_CREDENTIALS_KEY, KEY)], false).unwrap(),
            expected
        );
    }

    #[test]
    fn under_a_host_an_unresolved_reference_or_no_key_turns_connections_off() {
        let reference = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/x)";
        let off = read(&[(ADVISOR_CREDENTIALS_KEY, reference)], false).unwrap();
        assert!(
            matches!(off, CredentialsKeySettings::Unavailable { reason } if reason.contains("credentials-encryption-key"))
        );
        assert!(matches!(
            read(&[], false).unwrap(),
            CredentialsKeySettings::Unavailable { .. }
        ));
    }

    #[test]
    fn a_malformed_key_stops_start_up_naming_the_setting_but_not_the_value() {
        let error = read(&[(ADVISOR_CREDENTIALS_KEY, "c2hvcnQ=")], false).unwrap_err();
        let text = error.to_string();
        assert!(text.contains(ADVISOR_CREDENTIALS_KEY), "{text}");
        assert!(!text.contains("c2hvcnQ="), "{text}");
    }
}
