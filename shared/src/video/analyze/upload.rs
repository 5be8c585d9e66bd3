//! The upload an event announces: whose video it is, and the product it shows.

use super::AnalyzeError;
use crate::blobs::{Blobs, Container};
use crate::domain::{Sku, TenantId};
use crate::store::Store;

/// The blob metadata that names a video's SKU (`x-ms-meta-sku` on the upload's PUT).
pub const SKU_METADATA: &str = "sku";

/// A video blob a BlobCreated event announced.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoUpload {
    /// The tenant whose folder it is in.
    pub tenant: TenantId,
    /// Its name in the `videos` container, tenant folder included.
    pub blob_name: String,
    /// The version the event announced.
    pub etag: String,
    /// Its size in bytes.
    pub size: u64,
    /// The SKU of the tenant's product its metadata or name carries.
    pub sku: Option<Sku>,
}

impl VideoUpload {
    /// The upload `container`/`blob_name` names, checked against the store's tenants, with
    /// the SKU its `sku` metadata or its name carries ([`sku_candidates`]).
    pub async fn locate(
        (store, blobs): (&dyn Store, &Blobs),
        (container, blob_name): (&str, &str),
        etag: &str,
        size: u64,
    ) -> Result<Self, AnalyzeError> {
        let refuse = |why: String| Err(AnalyzeError::NotAVideoUpload(why));
        if container != Container::Videos.name() {
            return refuse(format!("container `{container}` is not `videos`"));
        }
        let Some((tenant, rest)) = blob_name.split_once('/') else {
            return refuse(format!("`{blob_name}` is not under a tenant folder"));
        };
        let tenant = match TenantId::parse(tenant) {
            Ok(t) => t,
            Err(e) => return refuse(format!("`{blob_name}`: {e}")),
        };
        if !store.tenant_exists(&tenant).await? {
            return refuse(format!("unknown tenant `{tenant}`"));
        }
        let mut candidates = sku_candidates(rest);
        match blobs
            .metadata(Container::Videos, blob_name, SKU_METADATA)
            .await
        {
            Ok(Some(value)) => {
                if let Ok(sku) = Sku::parse(&value) {
                    candidates.insert(0, sku);
                }
            }
            Ok(None) => {}
            Err(e) if e.is_transient() => return Err(e.into()),
            // Gone or unreadable: the analysis says so; the name may still link it.
            Err(e) => tracing::warn!(blob = blob_name, error = %e, "no metadata"),
        }
        let mut sku = None;
        for candidate in candidates {
            if store.get_product(&tenant, &candidate).await?.is_some() {
                sku = Some(candidate);
                break;
            }
        }
        Ok(Self {
            sku,
            tenant,
            blob_name: blob_name.to_owned(),
            etag: etag.to_owned(),
            size,
        })
    }
}

/// The SKUs a video's name (below the tenant folder) may carry, most explicit first: the
/// first folder (`MUG-1/turntable.mp4`), then the file's stem up to `--` or `__`
/// (`MUG-1--unboxing.mp4`, `MUG-1.mp4`). SKUs may hold almost any text, so a candidate links
/// the video only when the tenant has a product with it ([`VideoUpload::locate`]).
pub fn sku_candidates(rest: &str) -> Vec<Sku> {
    let mut names = Vec::new();
    let file = match rest.split_once('/') {
        Some((folder, _)) => {
            names.push(folder);
            rest.rsplit('/').next().unwrap_or(rest)
        }
        None => rest,
    };
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let cut = [stem.find("--"), stem.find("__")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(stem.len());
    names.push(&stem[..cut]);
    names
        .into_iter()
        .filter_map(|n| Sku::parse(n).ok())
        .collect()
}
