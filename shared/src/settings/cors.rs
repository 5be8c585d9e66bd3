//! Which browser origins may call the API (`ADVISOR_CORS_ORIGINS`): none unless named.
//!
//! The handler answers CORS itself rather than through the platform's CORS setting, so the
//! same rule holds under `cargo run`, in the tests and in Azure (the platform's CORS must then
//! stay unset, which is its default: when set, it answers before the handler does).

use super::{Environment, SettingsError};

/// Comma-separated origins (`https://shop.example.com`), or `*` for any origin.
pub const ADVISOR_CORS_ORIGINS: &str = "ADVISOR_CORS_ORIGINS";

/// The origins browsers may call from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsOrigins {
    /// No browser origin: cross-origin calls are refused (the default).
    #[default]
    None,
    /// Any origin. Safe only because the API takes no cookies: a page must hold a credential.
    Any,
    /// These origins, serialised as browsers send them (`scheme://host[:port]`, lower case).
    Only(Vec<String>),
}

impl CorsOrigins {
    /// Whether a request from `origin` (its `Origin` header) may read the answer.
    pub fn allows(&self, origin: &str) -> bool {
        match self {
            CorsOrigins::None => false,
            CorsOrigins::Any => true,
            CorsOrigins::Only(origins) => origins.iter().any(|o| o.eq_ignore_ascii_case(origin)),
        }
    }
}

/// Reads [`ADVISOR_CORS_ORIGINS`].
pub(super) fn cors_origins(env: &Environment) -> Result<CorsOrigins, SettingsError> {
    let Some(raw) = env.get(ADVISOR_CORS_ORIGINS) else {
        return Ok(CorsOrigins::None);
    };
    parse(raw).map_err(|reason| SettingsError::Invalid {
        name: ADVISOR_CORS_ORIGINS,
        value: raw.to_owned(),
        reason,
    })
}

fn parse(raw: &str) -> Result<CorsOrigins, String> {
    let entries: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return Ok(CorsOrigins::None);
    }
    if entries.contains(&"*") {
        return if entries.len() == 1 {
            Ok(CorsOrigins::Any)
        } else {
            Err("`*` allows every origin, so it stands alone".into())
        };
    }
    entries
        .into_iter()
        .map(origin)
        .collect::<Result<Vec<_>, _>>()
        .map(CorsOrigins::Only)
}

/// `entry` as the origin a browser would send, if it is one.
fn origin(entry: &str) -> Result<String, String> {
    let not_origin = || format!("`{entry}` is not an origin like https://shop.example.com");
    let url = url::Url::parse(entry).map_err(|_| not_origin())?;
    let bare = matches!(url.path(), "" | "/") && url.query().is_none() && url.fragment().is_none();
    let credentials = !url.username().is_empty() || url.password().is_some();
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || !bare || credentials {
        return Err(not_origin());
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_set_allows_no_origin() {
        assert_eq!(parse(""), Ok(CorsOrigins::None));
        assert!(!CorsOrigins::None.allows("https://shop.example.com"));
    }

    #[test]
    fn origins_are_kept_as_browsers_send_them() {
        let origins = parse("https://Shop.Example.com/, http://localhost:5173").unwrap();
        assert_eq!(
            origins,
            CorsOrigins::Only(vec![
                "https://shop.example.com".into(),
                "http://localhost:5173".into()
            ])
        );
        assert!(origins.allows("https://shop.example.com"));
        assert!(origins.allows("http://localhost:5173"));
        assert!(!origins.allows("http://localhost:5174"));
        assert!(!origins.allows("https://shop.example.com.evil.test"));
        assert!(!origins.allows("null"));
    }

    #[test]
    fn a_star_allows_any_origin_but_only_alone() {
        assert_eq!(parse("*"), Ok(CorsOrigins::Any));
        assert!(parse("*, https://a.example").is_err());
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for bad in [
            "shop.example.com",
            "https://shop.example.com/app",
            "https://shop.example.com?x=1",
            "ftp://shop.example.com",
            "https://user:pw@shop.example.com",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
