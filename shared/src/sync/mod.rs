//! Keeping the catalogue in step with the merchants' platforms (issue 7).
//!
//! So far this holds the Shopify GraphQL Admin API client ([`shopify`]): pulling products
//! incrementally, pushing enriched description and SEO back, reading deletion events, and
//! both kinds of Shopify throttling; the WooCommerce REST v3 client ([`woocommerce`]):
//! products with variations and orders by `modified_after` with an id tie-break, description
//! push-back; and the OAuth 1.0a signer ([`oauth1`]) WooCommerce over HTTP and NetSuite use. The engine that schedules jobs, stores cursors and
//! applies field-ownership rules is built on top of it later.

pub mod netsuite;
pub mod oauth1;
pub mod retry;
pub mod shopify;
pub mod woocommerce;

/// `text` trimmed, or `None` when absent or blank: platforms send `""` and `null` alike.
pub(crate) fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}
