//! What a test does with a [`MockWoo`]: start it, fill the store, change it the way a
//! merchant would, queue storms, and read what the client did.

use std::sync::MutexGuard;

use chrono::{Duration, NaiveDateTime, Utc};
use serde_json::Value;

use super::{MockOrder, MockProduct, MockWoo, StoreState, Storm};
use crate::settings::Secret;
use crate::sync::woocommerce::WooClient;

/// How a [`MockWoo`] authenticates.
#[derive(Debug, Clone)]
pub struct MockWooOptions {
    /// The REST API consumer key it accepts.
    pub consumer_key: String,
    /// The consumer secret it accepts (Basic auth, or the OAuth 1.0a signing key).
    pub consumer_secret: String,
}

impl Default for MockWooOptions {
    fn default() -> Self {
        Self {
            consumer_key: "ck_mock0000000000000000000000000000000000".into(),
            consumer_secret: "cs_mock0000000000000000000000000000000000".into(),
        }
    }
}

impl MockWoo {
    /// Starts an empty store on `127.0.0.1:0`, serving in the background for as long as the
    /// test's runtime lives; changes are stamped with the wall clock.
    pub async fn start(options: MockWooOptions) -> Self {
        let state = StoreState::new(&options.consumer_key, &options.consumer_secret, true);
        Self::serve(state).await
    }

    /// `http://127.0.0.1:{port}`: the `base_url` of a connection that should talk to it.
    pub fn base_url(&self) -> &str {
        &self.url
    }

    /// A site URL a connection can name: HTTPS, so clients use Basic auth. Name an `http://`
    /// site instead to make them sign with OAuth 1.0a; the mock checks both.
    pub fn site_url(&self) -> &'static str {
        "https://mock-woo.example"
    }

    /// The consumer key it accepts.
    pub fn consumer_key(&self) -> &str {
        &self.key
    }

    /// The consumer secret it accepts.
    pub fn consumer_secret(&self) -> &str {
        &self.secret
    }

    /// A client for this store (Basic auth) on the real clock.
    pub fn client(&self) -> WooClient {
        WooClient::new(
            self.site_url(),
            &self.key,
            Secret::new(self.secret.clone()),
            Some(&self.url),
        )
        .expect("the mock's endpoint is valid")
    }

    fn lock(&self) -> MutexGuard<'_, StoreState> {
        self.state.lock().expect("mock WooCommerce state")
    }

    /// Adds `count` products and returns their ids. With `variations == 0` product `n`
    /// (counting across calls) is simple with SKU `WOO-{n}`; otherwise variable with SKUs
    /// `WOO-{n}-1` … `WOO-{n}-{variations}`. Their modification times are a minute apart and
    /// end an hour before now.
    pub fn seed_products(&self, count: u64, variations: u64) -> Vec<u64> {
        let mut store = self.lock();
        let span = i64::try_from(count).unwrap_or(i64::MAX);
        let start = Utc::now().naive_utc() - Duration::minutes(60 + span);
        let start =
            start - Duration::nanoseconds(i64::from(start.and_utc().timestamp_subsec_nanos()));
        let first = store.products.iter().map(|p| p.id).max().unwrap_or(99) + 1;
        let mut ids = Vec::new();
        for i in 0..count {
            let id = first + i;
            let n = id - 99;
            let step = i64::try_from(i + 1).unwrap_or(i64::MAX);
            store.products.push(MockProduct {
                id,
                sku: if variations == 0 {
                    format!("WOO-{n}")
                } else {
                    String::new()
                },
                description: format!("<p>Product {n} as the merchant wrote it.</p>"),
                short_description: String::new(),
                modified_gmt: start + Duration::minutes(step),
                variations: (1..=variations)
                    .map(|v| (1_000_000 + n * 100 + v, format!("WOO-{n}-{v}")))
                    .collect(),
            });
            ids.push(id);
        }
        ids
    }

    /// The ids of every product the store lists now.
    pub fn product_ids(&self) -> Vec<u64> {
        self.lock().products.iter().map(|p| p.id).collect()
    }

    /// A merchant's edit of product `id`'s description, moving its `date_modified_gmt` to
    /// now; returns that moment, or `None` when there is no such product.
    pub fn edit_product(&self, id: u64, description: &str) -> Option<NaiveDateTime> {
        let mut store = self.lock();
        let previous = store.products.iter().find(|p| p.id == id)?.modified_gmt;
        let at = store.stamp(previous);
        let product = store.products.iter_mut().find(|p| p.id == id)?;
        product.description = description.to_owned();
        product.modified_gmt = at;
        Some(at)
    }

    /// A bulk edit (wp-admin saves many products within one second): every product in `ids`
    /// gets one new `date_modified_gmt`, which is returned. Ids the store does not hold are
    /// left out.
    pub fn touch_products(&self, ids: &[u64]) -> NaiveDateTime {
        let mut store = self.lock();
        let previous = store
            .products
            .iter()
            .filter(|p| ids.contains(&p.id))
            .map(|p| p.modified_gmt)
            .max()
            .unwrap_or_default();
        let at = store.stamp(previous);
        for product in store.products.iter_mut().filter(|p| ids.contains(&p.id)) {
            product.modified_gmt = at;
        }
        at
    }

    /// Moves product `id` to the trash: it leaves every list, and `GET /products/{id}` shows
    /// it with status `trash`, as WooCommerce does. `false` when there was none.
    pub fn delete_product(&self, id: u64) -> bool {
        let mut store = self.lock();
        let Some(at) = store.products.iter().position(|p| p.id == id) else {
            return false;
        };
        let product = store.products.remove(at);
        store.trashed.push(product);
        true
    }

    /// The ids of the products moved to the trash, in order.
    pub fn trashed(&self) -> Vec<u64> {
        self.lock().trashed.iter().map(|p| p.id).collect()
    }

    /// Adds orders.
    pub fn seed_orders(&self, orders: impl IntoIterator<Item = MockOrder>) {
        self.lock().orders.extend(orders);
    }

    /// Queues forced answers for the next requests, in order.
    pub fn queue_storm(&self, storms: impl IntoIterator<Item = Storm>) {
        self.lock().storm.extend(storms);
    }

    /// `(product id, body)` of every PUT, exactly as sent.
    pub fn updates(&self) -> Vec<(u64, Value)> {
        self.lock().updates.clone()
    }

    /// Requests received, answered or not.
    pub fn requests(&self) -> u32 {
        self.lock().requests
    }
}
