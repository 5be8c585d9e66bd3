//! Products: pulled page by page under the field ownership rules, deletions archived, and
//! enriched description and SEO pushed back without overwriting an edit made on the platform.
//!
//! Ownership:
//! - **Price and stock** belong to the ERP when the tenant pulls products or stock from
//!   NetSuite: a shop's pull then keeps the stored price and quantity of a known product.
//! - **Description and SEO** belong to enrichment once we have pushed them: a pull that finds
//!   the platform still showing what we pushed keeps the stored (source) description, so our
//!   own text never comes back as new source content. If the platform shows something else,
//!   someone edited it there: the pull takes it as the new source, and the push records a
//!   conflict in the inbox instead of overwriting it (an inbox retry pushes anyway).
//! - Everything else (title, options, images, barcode) comes from the shop.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::remote::{shopify_error, woo_error};
use super::to_json;
use super::{ErpOwns, Remote, Step, SyncError, TimeCursor, Work};
use crate::ai::schema::{EnrichmentOutput, edited_payload};
use crate::connections::{Direction, ObjectKind, Platform};
use crate::domain::{Currency, ProductContent, Sku};
use crate::store::{ProductUpsert, ProductView, SyncLink, SyncTargets, owned_fields_hash};
use crate::sync::netsuite::NetSuiteItem;
use crate::sync::netsuite::map::item_rows;
use crate::sync::shopify::map::{ProblemKind, VariantProblem};
use crate::sync::shopify::{self, ShopifyClient, ShopifyProduct};
use crate::sync::woocommerce::{self, Pull, WooClient, WooCursor, WooProduct};

/// Primary links read per push page.
const PUSH_PAGE: u32 = 50;

/// The fields enrichment owns, as a platform holds them (or as we want them there).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedFields {
    /// Description (HTML).
    pub description: Option<String>,
    /// SEO title.
    pub seo_title: Option<String>,
    /// SEO (meta) description.
    pub seo_description: Option<String>,
}

impl OwnedFields {
    /// Their hash, to tell whether they changed.
    pub fn hash(&self) -> String {
        owned_fields_hash(
            self.description.as_deref(),
            self.seo_title.as_deref(),
            self.seo_description.as_deref(),
        )
    }

    /// `self` with the fields `wanted` sets written over it: what the platform holds after a
    /// push of `wanted`.
    fn overlaid(&self, wanted: &OwnedFields) -> OwnedFields {
        OwnedFields {
            description: wanted.description.clone().or(self.description.clone()),
            seo_title: wanted.seo_title.clone().or(self.seo_title.clone()),
            seo_description: wanted
                .seo_description
                .clone()
                .or(self.seo_description.clone()),
        }
    }

    fn of_shopify(product: &ShopifyProduct) -> Self {
        OwnedFields {
            description: Some(product.description_html.clone()),
            seo_title: product.seo.title.clone(),
            seo_description: product.seo.description.clone(),
        }
    }

    fn of_woo(product: &WooProduct) -> Self {
        OwnedFields {
            description: Some(product.description.clone()),
            seo_title: None,
            seo_description: None,
        }
    }

    /// What the product's enrichment (with a person's locked edits over it) wants on the
    /// platform; `None` while it has no enrichment of its current content.
    fn wanted(product: &ProductView, platform: Platform) -> Option<Self> {
        let enrichment = product.enrichment.as_ref()?;
        if enrichment.content_hash != product.content_hash || enrichment.waiting_for_budget {
            return None;
        }
        // The payload with a person's locked edits laid over it, as the API shows it; a payload
        // older than the schema has nothing we would push.
        let none = serde_json::Map::new();
        let edits = product.edits.as_ref().map_or(&none, |e| &e.fields);
        let output: EnrichmentOutput =
            serde_json::from_value(edited_payload(&enrichment.payload, edits)?).ok()?;
        let text =
            |value: Option<String>| value.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let fields = match platform {
            Platform::Shopify => OwnedFields {
                description: text(output.description_html),
                seo_title: text(Some(output.seo_title)),
                seo_description: text(output.meta_description),
            },
            // WooCommerce core has no SEO fields: only the description goes.
            _ => OwnedFields {
                description: text(output.description_html),
                ..OwnedFields::default()
            },
        };
        (fields != OwnedFields::default()).then_some(fields)
    }
}

/// One remote product, mapped: its rows (one per variant SKU) and what could not be mapped.
#[derive(Debug, Clone)]
pub struct RemoteProduct {
    /// The remote product id.
    pub remote_id: String,
    /// When the platform last changed it.
    pub updated_at: Option<DateTime<Utc>>,
    /// Its description and SEO fields as the platform holds them.
    pub owned: OwnedFields,
    /// Its rows with their remote variant ids, first variant first.
    pub rows: Vec<(Option<String>, ProductContent)>,
    /// Variants left out or only partly read.
    pub problems: Vec<VariantProblem>,
}

impl RemoteProduct {
    /// An ERP item: one row, nothing of it pushed back.
    pub(super) fn from_netsuite(item: &NetSuiteItem, currency: Currency) -> Self {
        let mapped = item_rows(item, currency);
        RemoteProduct {
            remote_id: item.id.to_string(),
            updated_at: Some(item.modified),
            owned: OwnedFields::default(),
            rows: mapped.rows.into_iter().map(|row| (None, row)).collect(),
            problems: mapped.problems,
        }
    }

    fn from_shopify(product: &ShopifyProduct, currency: Currency) -> Self {
        let mapped = shopify::map::product_rows(product, currency);
        let variant_of = |sku: &Sku| {
            product
                .variants
                .nodes
                .iter()
                .find(|v| v.sku.as_deref().map(str::trim) == Some(sku.as_str()))
                .map(|v| v.id.clone())
        };
        RemoteProduct {
            remote_id: product.id.clone(),
            updated_at: Some(product.updated_at),
            owned: OwnedFields::of_shopify(product),
            rows: mapped
                .rows
                .into_iter()
                .map(|row| (variant_of(&row.sku), row))
                .collect(),
            problems: mapped.problems,
        }
    }

    fn from_woo(
        product: &WooProduct,
        variations: &[woocommerce::WooVariation],
        currency: Currency,
    ) -> Self {
        let mapped = woocommerce::map::product_rows(product, variations, currency);
        let variant_of = |sku: &Sku| {
            variations
                .iter()
                .find(|v| v.sku.trim() == sku.as_str())
                .map(|v| v.id.to_string())
        };
        RemoteProduct {
            remote_id: product.id.to_string(),
            updated_at: Some(product.date_modified_gmt.and_utc()),
            owned: OwnedFields::of_woo(product),
            rows: mapped
                .rows
                .into_iter()
                .map(|row| (variant_of(&row.sku), row))
                .collect(),
            problems: mapped.problems,
        }
    }
}

/// The stages of an incremental products job, in order.
const PULL: &str = "pull";
const DELETIONS: &str = "deletions";
const PUSH: &str = "push";

/// A platform client for the products passes.
enum Shop<'a> {
    Shopify(&'a ShopifyClient),
    Woo(&'a WooClient),
}

impl Work<'_> {
    /// A products job: targeted work, or the incremental stages the direction allows.
    pub(super) async fn products(
        &mut self,
        remote: &Remote,
        direction: Direction,
    ) -> Result<Step, SyncError> {
        let shop = match remote {
            Remote::Shopify(client) => Shop::Shopify(client),
            Remote::WooCommerce(client) => Shop::Woo(client),
            Remote::NetSuite(client) => return self.netsuite_items(client, direction).await,
        };
        let currency = self.shop_currency(&shop).await?;
        let erp = self.erp_owns().await?;
        if let Some(targets) = self.job.targets.clone() {
            return self
                .targeted(&shop, currency, erp, direction, &targets)
                .await;
        }
        let mut stages = Vec::new();
        if direction.pulls() {
            stages.push(PULL);
            if matches!(shop, Shop::Shopify(_)) {
                stages.push(DELETIONS);
            }
        }
        if direction.pushes() {
            stages.push(PUSH);
        }
        let start = match self.job.progress.stage.as_deref() {
            Some(saved) => stages.iter().position(|s| *s == saved).unwrap_or(0),
            None => 0,
        };
        for stage in &stages[start..] {
            if self.job.progress.stage.as_deref() != Some(stage) {
                self.job.progress.stage = Some((*stage).to_owned());
                self.job.progress.resume = None;
                self.checkpoint().await?;
            }
            let step = match (*stage, &shop) {
                (PULL, Shop::Shopify(client)) => self.shopify_pull(client, currency, erp).await?,
                (PULL, Shop::Woo(client)) => self.woo_pull(client, currency, erp).await?,
                (DELETIONS, Shop::Shopify(client)) => self.shopify_deletions(client).await?,
                _ => self.push_pass(&shop).await?,
            };
            if step == Step::More {
                return Ok(Step::More);
            }
        }
        Ok(Step::Done)
    }

    async fn shop_currency(&self, shop: &Shop<'_>) -> Result<Currency, SyncError> {
        match shop {
            Shop::Shopify(client) => Ok(client.shop().await.map_err(shopify_error)?.currency),
            Shop::Woo(client) => client.currency().await.map_err(woo_error),
        }
    }

    async fn shopify_pull(
        &mut self,
        client: &ShopifyClient,
        currency: Currency,
        erp: ErpOwns,
    ) -> Result<Step, SyncError> {
        // Every page of one pull uses the filter it started with: a page cursor is only valid
        // for the query that made it.
        let since = self.starting_cursor::<TimeCursor>().updated_at;
        let mut cursor: TimeCursor = self.stored_cursor().await?;
        loop {
            let page = client
                .products_page(since, self.job.progress.resume.as_deref())
                .await
                .map_err(shopify_error)?;
            let products: Vec<RemoteProduct> = page
                .products
                .iter()
                .map(|p| RemoteProduct::from_shopify(p, currency))
                .collect();
            self.store_products(products, erp).await?;
            if cursor.advance(page.products.iter().map(|p| p.updated_at).max()) {
                self.cursor_moves(to_json(&cursor));
            }
            if let Some(step) = self
                .page_stored(page.next.clone(), page.next.is_none())
                .await?
            {
                return Ok(step);
            }
        }
    }

    async fn shopify_deletions(&mut self, client: &ShopifyClient) -> Result<Step, SyncError> {
        let from = self.starting_cursor::<TimeCursor>();
        let mut cursor: TimeCursor = self.stored_cursor().await?;
        // A shop's first pull has nothing to archive: deletions count from this job on.
        let Some(since) = from.deleted_at.or(from.updated_at) else {
            cursor.deleted_at = Some(self.job.created_at);
            self.move_cursor(to_json(&cursor)).await?;
            return Ok(Step::Done);
        };
        // Shopify stamps events to the second and the filter is strict (`>`): asked from the
        // cursor itself, a deletion in the cursor's second (one just after this job started,
        // or after the newest event we read) would never be seen. Ask from the second before:
        // the events re-read are archived already, which does nothing.
        let since = DateTime::from_timestamp(since.timestamp() - 1, 0).unwrap_or(since);
        loop {
            let page = client
                .deletion_events_page(Some(since), self.job.progress.resume.as_deref())
                .await
                .map_err(shopify_error)?;
            for event in &page.events {
                self.archive(&event.subject_id).await?;
            }
            if let Some(newest) = page.events.iter().map(|e| e.occurred_at).max()
                && cursor.deleted_at.is_none_or(|c| c < newest)
            {
                cursor.deleted_at = Some(newest);
                self.cursor_moves(to_json(&cursor));
            }
            if let Some(step) = self
                .page_stored(page.next.clone(), page.next.is_none())
                .await?
            {
                return Ok(step);
            }
        }
    }

    async fn woo_pull(
        &mut self,
        client: &WooClient,
        currency: Currency,
        erp: ErpOwns,
    ) -> Result<Step, SyncError> {
        let since: Option<WooCursor> = self.starting_cursor();
        let mut pull = match self.job.progress.resume.as_deref() {
            Some(saved) => serde_json::from_str(saved).unwrap_or_else(|_| Pull::new(since)),
            None => Pull::new(since),
        };
        loop {
            let Some(page) = client.next_products(&mut pull).await.map_err(woo_error)? else {
                return Ok(Step::Done);
            };
            let mut products = Vec::with_capacity(page.products.len());
            for product in &page.products {
                let variations = if product.is_variable() {
                    client.variations(product.id).await.map_err(woo_error)?
                } else {
                    Vec::new()
                };
                products.push(RemoteProduct::from_woo(product, &variations, currency));
            }
            self.store_products(products, erp).await?;
            // Pages go by id, not time: the cursor is safe to store only once the pull is over.
            if pull.is_done()
                && let Some(cursor) = pull.cursor()
            {
                self.cursor_moves(to_json(&cursor));
            }
            if let Some(step) = self
                .page_stored(Some(to_json(&pull)), pull.is_done())
                .await?
            {
                return Ok(step);
            }
        }
    }

    /// Work a webhook or an inbox retry named: each remote product read again (or archived
    /// when deleted), then pushed when the direction (or a forced retry) says so.
    async fn targeted(
        &mut self,
        shop: &Shop<'_>,
        currency: Currency,
        erp: ErpOwns,
        direction: Direction,
        targets: &SyncTargets,
    ) -> Result<Step, SyncError> {
        for id in &targets.ids {
            if targets.deleted {
                self.archive(id).await?;
                continue;
            }
            let product = match shop {
                Shop::Shopify(client) => client
                    .product(id)
                    .await
                    .map_err(shopify_error)?
                    .map(|p| RemoteProduct::from_shopify(&p, currency)),
                Shop::Woo(client) => {
                    let Ok(number) = id.parse::<u64>() else {
                        self.problem(
                            id.clone(),
                            "bad_id",
                            format!("`{id}` is not a WooCommerce product id"),
                            json!({}),
                        );
                        continue;
                    };
                    match client.product(number).await.map_err(woo_error)? {
                        // A trashed product is still shown, with its status: it is gone.
                        Some(p) if p.status == "trash" => None,
                        Some(p) => {
                            let variations = if p.is_variable() {
                                client.variations(p.id).await.map_err(woo_error)?
                            } else {
                                Vec::new()
                            };
                            Some(RemoteProduct::from_woo(&p, &variations, currency))
                        }
                        None => None,
                    }
                }
            };
            let Some(product) = product else {
                self.archive(id).await?;
                continue;
            };
            if direction.pulls() {
                self.store_products(vec![product], erp).await?;
            }
            if direction.pushes() || targets.force_push {
                let links = self
                    .store
                    .sync_links_for_remote(&self.job.tenant, self.job.platform, id)
                    .await?;
                if let Some(link) = links.into_iter().find(|l| l.primary) {
                    self.push_one(shop, link, targets.force_push).await?;
                }
            }
        }
        self.job.progress.pages += 1;
        Ok(Step::Done)
    }

    /// Stores one page of remote products under the ownership rules, with their links.
    pub(super) async fn store_products(
        &mut self,
        products: Vec<RemoteProduct>,
        erp: ErpOwns,
    ) -> Result<(), SyncError> {
        let skus: Vec<Sku> = products
            .iter()
            .flat_map(|p| p.rows.iter().map(|(_, row)| row.sku.clone()))
            .collect();
        let links: BTreeMap<Sku, SyncLink> = self
            .store
            .sync_links(&self.job.tenant, self.job.platform, &skus)
            .await?
            .into_iter()
            .map(|l| (l.sku.clone(), l))
            .collect();
        let now = Utc::now();
        let source = self.job.platform.as_str();
        let (mut upserts, mut new_links) = (Vec::new(), Vec::new());
        for product in products {
            self.job.progress.read += 1;
            for problem in &product.problems {
                let (code, message) = variant_problem(problem);
                let record = problem
                    .variant_id
                    .clone()
                    .unwrap_or_else(|| problem.product_id.clone());
                self.problem(
                    record,
                    code,
                    message,
                    json!({"product_id": problem.product_id, "variant_id": problem.variant_id}),
                );
            }
            let remote_hash = product.owned.hash();
            for (position, (variant, mut content)) in product.rows.into_iter().enumerate() {
                let link = links.get(&content.sku);
                let echo = link.and_then(|l| l.pushed_hash.as_deref()) == Some(&remote_hash);
                let from_erp = self.job.platform == Platform::NetSuite;
                if echo || erp.price || erp.stock || from_erp {
                    let existing = self
                        .store
                        .get_product(&self.job.tenant, &content.sku)
                        .await?;
                    if let Some(existing) = existing {
                        content = owned_content(content, existing.content, echo, erp, from_erp);
                    }
                }
                new_links.push(SyncLink {
                    tenant: self.job.tenant.clone(),
                    platform: self.job.platform,
                    sku: content.sku.clone(),
                    remote_id: product.remote_id.clone(),
                    remote_variant_id: variant,
                    primary: position == 0,
                    remote_hash: Some(remote_hash.clone()),
                    pushed_hash: link.and_then(|l| l.pushed_hash.clone()),
                    pushed_at: link.and_then(|l| l.pushed_at),
                    updated_at: now,
                });
                upserts.push(ProductUpsert::new(content, product.updated_at, source));
            }
        }
        let outcome = self
            .store
            .apply_ingest_batch(&self.run, &upserts, &[])
            .await?;
        self.job.progress.inserted += outcome.inserted;
        self.job.progress.updated += outcome.updated;
        self.job.progress.unchanged += outcome.unchanged;
        self.store.put_sync_links(&new_links).await?;
        Ok(())
    }

    /// Archives (soft-deletes) the products linked to remote product `remote_id`.
    pub(super) async fn archive(&mut self, remote_id: &str) -> Result<(), SyncError> {
        let links = self
            .store
            .sync_links_for_remote(&self.job.tenant, self.job.platform, remote_id)
            .await?;
        for link in links {
            let Some(product) = self.store.get_product(&self.job.tenant, &link.sku).await? else {
                continue;
            };
            let write = self
                .store
                .delete_product(&self.job.tenant, &link.sku, product.version, Utc::now())
                .await?;
            if matches!(write, crate::store::ProductWrite::Done { .. }) {
                self.job.progress.archived += 1;
            }
        }
        Ok(())
    }

    /// Pushes every linked product's enriched fields that changed since our last push.
    async fn push_pass(&mut self, shop: &Shop<'_>) -> Result<Step, SyncError> {
        loop {
            let after = self
                .job
                .progress
                .resume
                .as_deref()
                .and_then(|s| Sku::parse(s).ok());
            let links = self
                .store
                .primary_sync_links(
                    &self.job.tenant,
                    self.job.platform,
                    after.as_ref(),
                    PUSH_PAGE,
                )
                .await?;
            let full = links.len() as u32 == PUSH_PAGE;
            for link in links {
                let sku = link.sku.to_string();
                self.push_one(shop, link, false).await?;
                self.job.progress.resume = Some(sku);
            }
            self.checkpoint().await?;
            if !full {
                return Ok(Step::Done);
            }
            if self.out_of_time() {
                return Ok(Step::More);
            }
        }
    }

    /// Pushes one product's enriched fields, only those that differ on the platform, unless
    /// the platform's copy was edited after our last push (a conflict, unless `force`).
    async fn push_one(
        &mut self,
        shop: &Shop<'_>,
        mut link: SyncLink,
        force: bool,
    ) -> Result<(), SyncError> {
        let Some(product) = self.store.get_product(&self.job.tenant, &link.sku).await? else {
            return Ok(());
        };
        let Some(wanted) = OwnedFields::wanted(&product, self.job.platform) else {
            return Ok(());
        };
        // What we pushed last is still what enrichment wants: nothing new to push. (When the
        // enrichment leaves a field empty, the hashes differ and the platform is read to find
        // out, which costs a read and pushes nothing.)
        if !force && link.pushed_hash.as_deref() == Some(wanted.hash().as_str()) {
            return Ok(());
        }
        let (current, pushed) = match shop {
            Shop::Shopify(client) => {
                let Some(remote) = client
                    .product(&link.remote_id)
                    .await
                    .map_err(shopify_error)?
                else {
                    return Ok(());
                };
                let current = OwnedFields::of_shopify(&remote);
                if self.conflicted(&link, &current, &wanted, force).await? {
                    return Ok(());
                }
                let changes = shopify::ProductChanges::between(
                    &remote,
                    &shopify::EnrichedFields {
                        description_html: wanted.description.clone(),
                        seo_title: wanted.seo_title.clone(),
                        seo_description: wanted.seo_description.clone(),
                    },
                );
                let pushed = match changes {
                    Some(changes) => match client.update_product(&changes).await {
                        Ok(_) => true,
                        Err(e) if e.is_retriable() || e.is_auth() => return Err(shopify_error(e)),
                        Err(e) => {
                            self.push_refused(&link, e.to_string());
                            return Ok(());
                        }
                    },
                    None => false,
                };
                (current, pushed)
            }
            Shop::Woo(client) => {
                let Ok(id) = link.remote_id.parse::<u64>() else {
                    return Ok(());
                };
                let Some(remote) = client
                    .product(id)
                    .await
                    .map_err(woo_error)?
                    .filter(|p| p.status != "trash")
                else {
                    return Ok(());
                };
                let current = OwnedFields::of_woo(&remote);
                if self.conflicted(&link, &current, &wanted, force).await? {
                    return Ok(());
                }
                let changes = woocommerce::ProductChanges::between(
                    &remote,
                    &woocommerce::EnrichedFields {
                        description: wanted.description.clone(),
                        short_description: None,
                    },
                );
                let pushed = match changes {
                    Some(changes) => match client.update_product(id, &changes).await {
                        Ok(_) => true,
                        Err(e) if e.is_retriable() || e.is_auth() => return Err(woo_error(e)),
                        Err(e) => {
                            self.push_refused(&link, e.to_string());
                            return Ok(());
                        }
                    },
                    None => false,
                };
                (current, pushed)
            }
        };
        if pushed {
            crate::crash::point("sync.pushed");
            self.job.progress.pushed += 1;
        }
        let after = current.overlaid(&wanted).hash();
        link.pushed_hash = Some(after.clone());
        link.remote_hash = Some(after);
        link.pushed_at = Some(Utc::now());
        link.updated_at = Utc::now();
        self.store.put_sync_links(&[link]).await?;
        Ok(())
    }

    /// Whether `current` on the platform was edited since our last push: then the edit is
    /// kept and a conflict recorded, unless `force`. A conflict a person resolved (keeping
    /// the edit) stays quiet while the platform still shows that edit.
    async fn conflicted(
        &mut self,
        link: &SyncLink,
        current: &OwnedFields,
        wanted: &OwnedFields,
        force: bool,
    ) -> Result<bool, SyncError> {
        let Some(pushed) = link.pushed_hash.as_deref() else {
            return Ok(false);
        };
        if force || current.hash() == pushed || current.overlaid(wanted) == *current {
            return Ok(false);
        }
        let platform = self.job.platform;
        let problem = crate::store::SyncProblem {
            kind: ObjectKind::Products,
            record: link.remote_id.clone(),
            code: "conflict".into(),
            message: format!(
                "{} was edited on {platform} after our last push, so the enriched description \
                 and SEO were not pushed over it. Retry this entry to push ours anyway, or \
                 resolve it to keep the edit.",
                link.sku
            ),
            detail: json!({
                "sku": link.sku,
                "remote_id": link.remote_id,
                "remote_hash": current.hash(),
            }),
        };
        let kept = self
            .store
            .get_sync_issue(&self.job.tenant, &problem.issue_id(platform))
            .await?
            .is_some_and(|issue| {
                issue.status == crate::store::IssueStatus::Resolved
                    && issue.detail.get("remote_hash") == problem.detail.get("remote_hash")
            });
        if !kept {
            self.job.progress.conflicts += 1;
            self.problems.push(problem);
        }
        Ok(true)
    }

    fn push_refused(&mut self, link: &SyncLink, message: String) {
        self.problem(
            link.remote_id.clone(),
            "push_refused",
            format!(
                "pushing {}'s enriched fields was refused: {message}",
                link.sku
            ),
            json!({ "sku": link.sku }),
        );
    }
}

/// The row to store for `pulled` when `stored` exists, under the ownership rules: the ERP
/// owns price and stock (and a pull from it changes nothing else); a shop owns the rest, but
/// its description is ours when it only echoes our push (`echo`).
fn owned_content(
    pulled: ProductContent,
    stored: ProductContent,
    echo: bool,
    erp: ErpOwns,
    from_erp: bool,
) -> ProductContent {
    if from_erp {
        return ProductContent {
            price: pulled.price,
            quantity: pulled.quantity.or(stored.quantity),
            ..stored
        };
    }
    let mut content = pulled;
    if echo {
        // Everything we push comes back on the next pull; none of it is the merchant's.
        content.description = stored.description;
        for pushed in ["seo_title", "seo_description"] {
            match stored.attributes.get(pushed) {
                Some(value) => content.attributes.insert(pushed.to_owned(), value.clone()),
                None => content.attributes.remove(pushed),
            };
        }
    }
    if erp.price {
        content.price = stored.price;
    }
    if erp.stock {
        content.quantity = stored.quantity;
    }
    content
}

/// The inbox code and message of a variant problem.
fn variant_problem(problem: &VariantProblem) -> (&'static str, String) {
    let what = problem.variant_id.as_deref().unwrap_or(&problem.product_id);
    match &problem.kind {
        ProblemKind::MissingSku => (
            "missing_sku",
            format!("{what} has no SKU, so it cannot be synced: give it one on the platform"),
        ),
        ProblemKind::BadSku(e) => ("bad_sku", format!("{what}: the SKU is not usable: {e}")),
        ProblemKind::BadPrice(e) => ("bad_price", format!("{what}: the price is not usable: {e}")),
        ProblemKind::BadBarcode(e) => (
            "bad_barcode",
            format!("{what}: the barcode is not a valid GTIN ({e}); it is kept as an attribute"),
        ),
        ProblemKind::VariantsTruncated => (
            "variants_truncated",
            format!("{what} has more variants than one read takes; the rest are not synced"),
        ),
    }
}
