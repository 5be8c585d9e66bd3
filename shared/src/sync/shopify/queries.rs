//! The GraphQL documents the client sends and the typed shapes of their answers.
//!
//! Field names follow the GraphQL Admin API reference for the pinned version
//! ([`super::API_VERSION`]). Every knob (page size, cursor, search filter) travels as a
//! variable so a document is the same text on every call.

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Variants read per product. Shopify's new product model allows up to 2,048 variants, but
/// retail catalogues rarely exceed this; a product with more is reported by
/// [`ShopifyProduct::variants_truncated`] rather than silently cut.
pub const VARIANTS_PER_PRODUCT: u32 = 50;

/// The shop's currency and time zone, read once per sync.
pub(super) const SHOP: &str = "query SyncShop { shop { currencyCode ianaTimezone } }";

/// The product fields every product read asks for (a macro so `concat!` can share them).
macro_rules! product_fields {
    () => {
        "id title handle descriptionHtml vendor productType status tags updatedAt
      category { fullName }
      seo { title description }
      featuredMedia { preview { image { url } } }
      variants(first: $variantsFirst) {
        nodes { id sku barcode price inventoryQuantity selectedOptions { name value } }
        pageInfo { hasNextPage }
      }"
    };
}

/// One page of products, oldest change first, `id` breaking ties (Shopify's order for
/// `sortKey: UPDATED_AT`).
pub(super) const PRODUCTS: &str = concat!(
    "query SyncProducts($first: Int!, $after: String, $query: String, $variantsFirst: Int!) {
  products(first: $first, after: $after, sortKey: UPDATED_AT, query: $query) {
    nodes {
      ",
    product_fields!(),
    "
    }
    pageInfo { hasNextPage endCursor }
  }
}"
);

/// One product by GID, with the same fields as a products page; `product` is `null` when no
/// product has that id (deleted, or never existed).
pub(super) const PRODUCT: &str = concat!(
    "query SyncProduct($id: ID!, $variantsFirst: Int!) {
  product(id: $id) {
    ",
    product_fields!(),
    "
  }
}"
);

/// Updates description and SEO of one product; only the fields present in `$product` change.
pub(super) const PRODUCT_UPDATE: &str =
    "mutation SyncProductUpdate($product: ProductUpdateInput!) {
  productUpdate(product: $product) {
    product { id updatedAt }
    userErrors { field message }
  }
}";

/// One page of product deletions after a moment.
pub(super) const DELETION_EVENTS: &str = "query SyncDeletionEvents($first: Int!, $after: String, $query: String) {
  deletionEvents(first: $first, after: $after, subjectTypes: [PRODUCT], sortKey: CREATED_AT, query: $query) {
    nodes { subjectId subjectType occurredAt }
    pageInfo { hasNextPage endCursor }
  }
}";

/// `data` of [`SHOP`].
#[derive(Debug, Deserialize)]
pub(super) struct ShopData {
    pub(super) shop: ShopFields,
}

/// The shop fields the sync needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShopFields {
    pub(super) currency_code: String,
    pub(super) iana_timezone: String,
}

/// `data` of [`PRODUCTS`].
#[derive(Debug, Deserialize)]
pub(super) struct ProductsData {
    pub(super) products: Connection<ShopifyProduct>,
}

/// `data` of [`PRODUCT`].
#[derive(Debug, Deserialize)]
pub(super) struct ProductData {
    pub(super) product: Option<ShopifyProduct>,
}

/// `data` of [`DELETION_EVENTS`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeletionEventsData {
    pub(super) deletion_events: Connection<DeletionEvent>,
}

/// `data` of [`PRODUCT_UPDATE`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProductUpdateData {
    pub(super) product_update: ProductUpdatePayload,
}

/// `productUpdate`'s payload.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProductUpdatePayload {
    pub(super) product: Option<UpdatedProduct>,
    pub(super) user_errors: Vec<UserError>,
}

/// The product as `productUpdate` returns it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdatedProduct {
    pub(super) updated_at: DateTime<Utc>,
}

/// A validation failure of a mutation (HTTP 200, `userErrors` not empty).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserError {
    /// Path of the offending input field, e.g. `["product", "seo", "title"]`.
    pub field: Option<Vec<String>>,
    /// Shopify's message.
    pub message: String,
}

/// A GraphQL connection page.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Connection<T> {
    pub(super) nodes: Vec<T>,
    pub(super) page_info: PageInfo,
}

/// Where a connection page ends.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PageInfo {
    pub(super) has_next_page: bool,
    #[serde(default)]
    pub(super) end_cursor: Option<String>,
}

/// A product as the products query returns it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopifyProduct {
    /// GID, e.g. `gid://shopify/Product/632910392`.
    pub id: String,
    /// Title.
    pub title: String,
    /// URL handle, shared by all variants: it becomes their `parent`.
    pub handle: String,
    /// Description as HTML; empty when the merchant wrote none.
    #[serde(default)]
    pub description_html: String,
    /// Vendor (our brand).
    #[serde(default)]
    pub vendor: Option<String>,
    /// The merchant's free-text product type.
    #[serde(default)]
    pub product_type: Option<String>,
    /// The Shopify taxonomy category, preferred over `product_type` when set.
    #[serde(default)]
    pub category: Option<Category>,
    /// `ACTIVE`, `DRAFT`, `ARCHIVED` (or `UNLISTED` in newer versions).
    pub status: String,
    /// Tags, a list in GraphQL (one comma-separated string in REST).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Last change, parsed to UTC whatever offset the text carried.
    pub updated_at: DateTime<Utc>,
    /// SEO title and description; `null` fields fall back to title and description on the shop.
    #[serde(default)]
    pub seo: Seo,
    /// The first image.
    #[serde(default)]
    pub featured_media: Option<FeaturedMedia>,
    /// The variants read (at most [`VARIANTS_PER_PRODUCT`]).
    pub variants: Variants,
}

/// A Shopify taxonomy category.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// Its full path, e.g. `Home & Garden > Kitchen & Dining > Tableware > Drinkware > Mugs`.
    pub full_name: String,
}

/// SEO fields of a product.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Seo {
    /// SEO title.
    pub title: Option<String>,
    /// SEO (meta) description.
    pub description: Option<String>,
}

/// `featuredMedia { preview { image { url } } }`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FeaturedMedia {
    /// The preview; absent while media is still processing.
    pub preview: Option<MediaPreview>,
}

/// A media preview.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MediaPreview {
    /// Its image.
    pub image: Option<Image>,
}

/// An image.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Image {
    /// CDN URL.
    pub url: String,
}

/// The variants page of a product.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Variants {
    /// The variants read.
    pub nodes: Vec<ShopifyVariant>,
    /// Whether the product has more variants than were read.
    #[serde(rename = "pageInfo", deserialize_with = "has_next")]
    pub truncated: bool,
}

pub(super) fn has_next<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct HasNext {
        has_next_page: bool,
    }
    HasNext::deserialize(d).map(|p| p.has_next_page)
}

/// A variant: one sellable SKU.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopifyVariant {
    /// GID, e.g. `gid://shopify/ProductVariant/808950810`.
    pub id: String,
    /// SKU; `null` or empty when the merchant gave none.
    #[serde(default)]
    pub sku: Option<String>,
    /// Barcode (GTIN, UPC, ISBN …) as typed by the merchant.
    #[serde(default)]
    pub barcode: Option<String>,
    /// Price in the shop currency, a decimal string (`"199.00"`).
    pub price: String,
    /// Units in stock across locations; `null` when inventory is not tracked.
    #[serde(default)]
    pub inventory_quantity: Option<i64>,
    /// Option values, e.g. `Size` = `M`.
    #[serde(default)]
    pub selected_options: Vec<SelectedOption>,
}

/// One option of a variant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SelectedOption {
    /// Option name.
    pub name: String,
    /// This variant's value.
    pub value: String,
}

/// A deletion event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeletionEvent {
    /// GID of the deleted product.
    pub subject_id: String,
    /// `PRODUCT` (the only kind asked for).
    pub subject_type: String,
    /// When it was deleted, in UTC.
    pub occurred_at: DateTime<Utc>,
}

impl ShopifyProduct {
    /// Whether the product has more variants than were read.
    pub fn variants_truncated(&self) -> bool {
        self.variants.truncated
    }

    /// The first image's URL.
    pub fn image_url(&self) -> Option<&str> {
        self.featured_media
            .as_ref()?
            .preview
            .as_ref()?
            .image
            .as_ref()
            .map(|i| i.url.as_str())
    }
}
