//! Where a connection may point: the rules that keep a tenant-supplied URL (`base_url`,
//! WooCommerce's `site_url`) from turning our outbound calls against our own network (SSRF).
//!
//! Under a host only public names and addresses are accepted: never `localhost`, nor an IP
//! literal that is loopback, private, shared (CGNAT), link-local (169.254.x.x, the cloud
//! metadata endpoint) or unique-local. Locally a mock server on loopback may stand in, over
//! plain HTTP. Link-local is refused in both modes: nothing legitimate lives there.
//!
//! These rules judge the URL as written. What a name resolves to is judged when a platform
//! client connects: [`platform_http_client`] resolves through [`GuardedResolver`], which refuses
//! a name with a link-local address among its answers, and any name but `localhost` with an
//! answer that is not public (so `metadata.attacker.example` pointing at 169.254.169.254, or
//! `127.0.0.1.nip.io`, is refused in both modes: locally only loopback literals and `localhost`
//! stand in, and under a host those are refused before any lookup). It follows no redirects,
//! so a public server cannot send the client (and its credentials) on to an address these
//! rules refuse.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// Why a platform client may not connect to a resolved name.
#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    /// The name resolves to a link-local address (the cloud metadata endpoint lives there).
    #[error("`{host}` resolves to {ip}, a link-local address, which is never allowed")]
    LinkLocal {
        /// The name as the URL wrote it.
        host: String,
        /// The refused address.
        ip: IpAddr,
    },
    /// A public name resolves to a loopback, private or reserved address.
    #[error(
        "`{host}` resolves to {ip}, a loopback, private or reserved address; name a public host"
    )]
    NotPublic {
        /// The name as the URL wrote it.
        host: String,
        /// The refused address.
        ip: IpAddr,
    },
    /// The name could not be resolved.
    #[error("`{host}` could not be resolved: {source}")]
    Lookup {
        /// The name as the URL wrote it.
        host: String,
        /// What the system resolver said.
        source: std::io::Error,
    },
}

impl AddressError {
    /// Whether trying again may help: a failed lookup may pass, a refused address never.
    pub fn is_retriable(&self) -> bool {
        matches!(self, AddressError::Lookup { .. })
    }
}

/// The platform clients' DNS resolver: the system's, with every answer checked (see the
/// module's doc).
#[derive(Debug, Clone, Copy, Default)]
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|source| AddressError::Lookup {
                    host: host.clone(),
                    source,
                })?;
            let allowed = allowed_addresses(&host, found)?;
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// `found`, the addresses `host` resolved to, if none is link-local and, unless `host` is
/// `localhost`, all are public.
pub fn allowed_addresses(
    host: &str,
    found: impl IntoIterator<Item = SocketAddr>,
) -> Result<Vec<SocketAddr>, AddressError> {
    let found: Vec<SocketAddr> = found.into_iter().collect();
    let local_name = is_local_name(host);
    for addr in &found {
        let ip = unmapped(addr.ip());
        if is_link_local(ip) {
            return Err(AddressError::LinkLocal {
                host: host.to_owned(),
                ip: addr.ip(),
            });
        }
        if !local_name && !is_public(ip) {
            return Err(AddressError::NotPublic {
                host: host.to_owned(),
                ip: addr.ip(),
            });
        }
    }
    Ok(found)
}

/// The HTTP client a platform (Shopify, WooCommerce, NetSuite) is called with: names resolved
/// through [`GuardedResolver`], no redirects followed, and these time limits.
pub fn platform_http_client(
    timeout: Duration,
    connect_timeout: Duration,
) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .dns_resolver(GuardedResolver)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(connect_timeout)
        .build()
}

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

/// `localhost` or a name under it (RFC 6761), with or without the root's dot.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

fn check_name(name: &str, rules: AddressRules) -> Result<(), String> {
    if rules == AddressRules::Hosted && is_local_name(name) {
        return Err("`localhost` is not reachable from a hosted app".into());
    }
    Ok(())
}

/// `ip`, or the IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) stands for.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

fn check_ip(ip: IpAddr, rules: AddressRules) -> Result<(), String> {
    let ip = unmapped(ip);
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
            // Other spellings of the same addresses, as URL parsers accept them.
            "https://2130706433",
            "https://0x7f000001",
            "https://0177.0.0.1",
            "https://127.1",
            "https://0x0a.0x01.0x02.0x03",
            "https://167772161",
            "https://%31%30.0.0.1",
            "https://[::ffff:7f00:1]",
            "https://[::]",
            "https://localhost.",
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
    fn a_name_resolving_to_link_local_or_internal_is_refused_but_localhost_may_be_loopback() {
        let at = |ip: &str| SocketAddr::new(ip.parse().unwrap(), 0);
        let public = [at("93.184.216.34"), at("2606:2800:220:1::1")];
        assert_eq!(allowed_addresses("shop.example", public).unwrap(), public);
        let loopback = [at("127.0.0.1"), at("::1")];
        assert_eq!(allowed_addresses("localhost", loopback).unwrap(), loopback);
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            let error =
                allowed_addresses("127.0.0.1.nip.io", [at("93.184.216.34"), at(bad)]).unwrap_err();
            assert!(!error.is_retriable());
            assert!(
                matches!(error, AddressError::NotPublic { .. }),
                "{bad}: {error}"
            );
        }
        assert!(allowed_addresses("localhost", [at("169.254.169.254")]).is_err());
        for bad in ["169.254.169.254", "fe80::1", "::ffff:169.254.169.254"] {
            let error =
                allowed_addresses("meta.example", [at("93.184.216.34"), at(bad)]).unwrap_err();
            assert!(!error.is_retriable());
            assert_eq!(
                error.to_string(),
                format!(
                    "`meta.example` resolves to {bad}, a link-local address, which is never allowed"
                )
            );
        }
    }

    #[tokio::test]
    async fn the_guarded_resolver_resolves_localhost_to_loopback() {
        let name: Name = "localhost".parse().unwrap();
        let addrs: Vec<SocketAddr> = GuardedResolver.resolve(name).await.unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
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
