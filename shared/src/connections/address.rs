//! Where a connection may point: the rules that keep a tenant-supplied URL (`base_url`,
//! WooCommerce's `site_url`) from turning our outbound calls against our own network (SSRF).
//!
//! Under a host only public names and addresses are accepted: never `localhost`, nor an IP
//! literal that is loopback, private, shared (CGNAT), link-local (169.254.x.x, the cloud
//! metadata endpoint) or unique-local. Locally a mock server on loopback may stand in, over
//! plain HTTP. Link-local is refused in both modes: nothing legitimate lives there.
//!
//! These rules judge the URL as written. A public name that resolves to a private address is
//! the platform client's to refuse when it connects (it sees the resolved address).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressRules {
    /// `cargo run` and the tests: loopback and plain HTTP allowed.
    Local,
    /// Under a Functions host: public HTTPS destinations only (see the module's doc).
    Hosted,
}

/// `text` as a base URL under `rules`; `https_only` for URLs that carry credentials (under a
/// host). The error is a sentence for the API's answer.
pub fn check_url(text: &str, rules: AddressRules, https_only: bool) -> Result<Url, String> {
    let shown = shown(text);
    let text = shown.as_str();
    let url = Url::parse(text.trim()).map_err(|e| format!("`{text}` is not a URL: {e}"))?;
    let hosted = rules == AddressRules::Hosted;
    match url.scheme() {
        "https" => {}
        "http" if !hosted || !https_only => {}
        other => {
            return Err(format!(
                "`{text}`: the scheme must be https{}, not {other}",
                if hosted { "" } else { " or http" }
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "`{text}`: credentials go in their own fields, not in the URL"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("`{text}`: a base URL has no query or fragment"));
    }
    match url.host() {
        None => Err(format!("`{text}` names no host")),
        Some(Host::Domain(name)) => check_name(name, rules).map(|()| url.clone()),
        Some(Host::Ipv4(ip)) => check_ip(IpAddr::V4(ip), rules).map(|()| url.clone()),
        Some(Host::Ipv6(ip)) => check_ip(IpAddr::V6(ip), rules).map(|()| url.clone()),
    }
    .map_err(|why| format!("`{text}`: {why}"))
}

/// `text` as error messages may repeat it: without a user name or password, which may be
/// credentials sent in the wrong place (and must never reach an answer or a log).
fn shown(text: &str) -> String {
    match Url::parse(text.trim()) {
        Ok(mut url) if !url.username().is_empty() || url.password().is_some() => {
            let _ = url.set_username("***");
            let _ = url.set_password(None);
            url.to_string()
        }
        Ok(_) => text.to_owned(),
        Err(_) if text.contains('@') => "(a URL with credentials)".to_owned(),
        Err(_) => text.chars().take(200).collect(),
    }
}

fn check_name(name: &str, rules: AddressRules) -> Result<(), String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let local_name = name == "localhost" || name.ends_with(".localhost");
    if rules == AddressRules::Hosted && local_name {
        return Err("`localhost` is not reachable from a hosted app".into());
    }
    Ok(())
}

fn check_ip(ip: IpAddr, rules: AddressRules) -> Result<(), String> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    if is_link_local(ip) {
        return Err("link-local addresses (169.254.x.x, fe80::/10) are never allowed".into());
    }
    if rules == AddressRules::Hosted && !is_public(ip) {
        return Err(format!(
            "{ip} is a loopback, private or reserved address; name a public host"
        ));
    }
    Ok(())
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    }
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b);
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || shared
        || a == 0
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let unique_local = (ip.segments()[0] & 0xfe00) == 0xfc00;
    !(ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() || unique_local)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTED: AddressRules = AddressRules::Hosted;
    const LOCAL: AddressRules = AddressRules::Local;

    #[test]
    fn hosted_rules_accept_public_https_hosts() {
        assert!(check_url("https://acme.myshopify.com", HOSTED, true).is_ok());
        assert!(check_url("https://93.184.216.34/api", HOSTED, true).is_ok());
    }

    #[test]
    fn hosted_rules_refuse_internal_destinations() {
        for url in [
            "https://localhost",
            "https://api.localhost:8443",
            "https://127.0.0.1",
            "https://10.1.2.3",
            "https://172.16.0.1",
            "https://192.168.1.1",
            "https://100.64.0.1",
            "https://0.0.0.0",
            "https://169.254.169.254/metadata",
            "https://[::1]",
            "https://[fd00::1]",
            "https://[fe80::1]",
            "https://[::ffff:10.0.0.1]",
        ] {
            assert!(
                check_url(url, HOSTED, true).is_err(),
                "{url} should be refused"
            );
        }
    }

    #[test]
    fn hosted_rules_refuse_plain_http_for_credentials_and_other_schemes() {
        assert!(check_url("http://acme.example.com", HOSTED, true).is_err());
        assert!(check_url("http://acme.example.com", HOSTED, false).is_ok());
        assert!(check_url("file:///etc/passwd", HOSTED, false).is_err());
        assert!(check_url("ftp://acme.example.com", LOCAL, false).is_err());
    }

    #[test]
    fn local_rules_let_a_loopback_mock_stand_in_but_never_link_local() {
        assert!(check_url("http://127.0.0.1:8080", LOCAL, true).is_ok());
        assert!(check_url("http://localhost:8080", LOCAL, true).is_ok());
        assert!(check_url("http://169.254.169.254", LOCAL, true).is_err());
    }

    #[test]
    fn urls_with_credentials_query_or_fragment_are_refused() {
        let error = check_url("https://u:pass1234@acme.example.com", HOSTED, true).unwrap_err();
        assert!(!error.contains("pass1234"), "{error}");
        assert!(check_url("https://acme.example.com/?x=1", HOSTED, true).is_err());
        assert!(check_url("https://acme.example.com/#x", HOSTED, true).is_err());
        assert!(check_url("not a url", LOCAL, true).is_err());
    }
}
