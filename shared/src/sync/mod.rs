//! Keeping the catalogue, stock and orders in step with the merchants' platforms.
//!
//! - [`engine`]: sync jobs (scheduled, started by a person, by a webhook or an inbox retry)
//!   run a time slice at a time from the `sync` queue, with cursors, field ownership, archives
//!   for deletions and the error inbox.
//! - The platform clients, which know nothing of our store: [`shopify`] (GraphQL Admin API),
//!   [`woocommerce`] (REST v3) and [`netsuite`] (SuiteTalk REST: SuiteQL and the record API),
//!   on the shared retry bounds and clocks of [`retry`] and the OAuth 1.0a signer [`oauth1`].
//! - [`webhooks`]: platform deliveries verified over the raw body and turned into sync work.

pub mod engine;
pub mod netsuite;
pub mod oauth1;
pub mod retry;
pub mod shopify;
pub mod webhooks;
pub mod woocommerce;

/// `text` trimmed, or `None` when absent or blank: platforms send `""` and `null` alike.
pub(crate) fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}
