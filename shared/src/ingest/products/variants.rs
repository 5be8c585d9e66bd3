//! Variants: which product a row belongs to, what it inherits from that product's first row,
//! and what sets it apart.
//!
//! Exports list a product's rows together: Shopify writes every row of a handle one after the
//! other (the first carries title, body, vendor and option names; the rest leave them blank),
//! WooCommerce writes a `variable` product and then its `variation`s, Merchant Center repeats
//! an `item_group_id`. So the mapper keeps only the current product's first row, a
//! [`Family`], and memory stays bounded however long the file is. A variant listed away from
//! its product still maps, it just inherits nothing; a WooCommerce variation's `id:N` parent is
//! still named by SKU, since every `variable` product's id and SKU are remembered (a few bytes
//! per variable product, never per row).

use std::collections::HashMap;

use super::row::Draft;
use crate::domain::{MAX_OPTIONS, ProductOption};

/// Shopify's placeholder option of a product without variants.
const DEFAULT_OPTION: (&str, &str) = ("Title", "Default Title");
/// Merchant Center attributes that tell a group's variants apart, in Google's order.
const GROUP_ATTRIBUTES: [&str; 4] = ["color", "size", "material", "pattern"];

/// The first row of the product being read, for its variants to inherit from.
#[derive(Debug, Default)]
pub(super) struct Family {
    /// The `group_id` (Shopify handle, Merchant Center item group) its rows share.
    group: Option<String>,
    /// What a variant's `parent` cell may say to name it: its SKU and WooCommerce `id:N`.
    keys: Vec<String>,
    sku: Option<String>,
    title: Option<String>,
    description: Option<String>,
    brand: Option<String>,
    category: Option<String>,
    image_url: Option<String>,
    option_names: [Option<String>; MAX_OPTIONS],
}

impl Family {
    /// Whether `draft` is a row of this family.
    fn includes(&self, draft: &Draft) -> bool {
        match (&draft.group, &draft.parent) {
            (Some(group), _) => self.group.as_ref() == Some(group),
            (None, Some(parent)) => self.keys.contains(parent),
            (None, None) => false,
        }
    }

    /// The family `draft` starts.
    fn start(draft: &Draft) -> Self {
        let sku = draft.sku.as_ref().map(|s| s.as_str().to_owned());
        let mut keys: Vec<String> = sku.iter().cloned().collect();
        // WooCommerce's `ID` column loses to `SKU` and is kept as an attribute; a variation's
        // `Parent` may name the product by it as `id:123`.
        if let Some(id) = draft.attributes.get("ID") {
            keys.push(format!("id:{id}"));
        }
        Self {
            group: draft.group.clone(),
            keys,
            sku,
            title: draft.title.clone(),
            description: draft.description.clone(),
            brand: draft.brand.clone(),
            category: draft.category.clone(),
            image_url: draft.image_url.clone(),
            option_names: draft.options.clone().map(|(name, _)| name),
        }
    }
}

/// Whether `draft` is a Shopify image-only row: a handle and an image but no variant (no SKU,
/// no option values, no title). It describes no product and is skipped.
pub(super) fn is_image_only(draft: &Draft) -> bool {
    draft.group.is_some()
        && draft.sku.is_none()
        && draft.raw_sku.trim().is_empty()
        && draft.title.is_none()
        && draft.options.iter().all(|(_, value)| value.is_none())
        && draft.errors.is_empty()
}

/// What the mapper remembers about products already read.
#[derive(Debug, Default)]
pub(super) struct Families {
    /// The product being read.
    current: Option<Family>,
    /// WooCommerce `id:N` → SKU of every `variable` product seen.
    variable_ids: HashMap<String, String>,
}

/// Places `draft` in its family: fills what it leaves blank from the family's first row,
/// resolves its parent and options, and starts a new family when it belongs to none.
pub(super) fn place(families: &mut Families, draft: &mut Draft) -> Vec<ProductOption> {
    let Families {
        current: family,
        variable_ids,
    } = families;
    let current = family.as_ref().filter(|f| f.includes(draft));
    if let Some(first) = current {
        inherit(first, draft);
    }
    let mut options = options(draft);
    if draft.group.is_some() && options.is_empty() {
        options = group_attributes(draft);
    }
    let is_variant = draft.parent.is_some() || (draft.group.is_some() && !options.is_empty());
    if is_variant {
        if let Some(parent) = &draft.parent {
            // `id:123` names the product by WooCommerce id: name it by its SKU instead.
            let sku = current
                .and_then(|f| f.sku.clone())
                .or_else(|| variable_ids.get(parent).cloned());
            if let Some(sku) = sku
                && *parent != sku
            {
                draft.parent = Some(sku);
            }
        } else {
            draft.parent = draft.group.clone();
        }
    } else {
        // A simple or variable product's options describe it: `Color` = `Blue, Red`.
        for (name, value) in std::mem::take(&mut options) {
            draft.attributes.insert(name, value);
        }
    }
    if current.is_none() && (draft.group.is_some() || draft.parent.is_none()) {
        let started = Family::start(draft);
        if draft
            .attributes
            .get("Type")
            .is_some_and(|t| t == "variable")
            && let (Some(id), Some(sku)) = (started.keys.get(1), &started.sku)
        {
            variable_ids.insert(id.clone(), sku.clone());
        }
        *family = Some(started);
    }
    options
        .into_iter()
        .map(|(name, value)| ProductOption { name, value })
        .collect()
}

fn inherit(first: &Family, draft: &mut Draft) {
    let fill = |slot: &mut Option<String>, from: &Option<String>| {
        if slot.is_none() {
            slot.clone_from(from);
        }
    };
    fill(&mut draft.title, &first.title);
    fill(&mut draft.description, &first.description);
    fill(&mut draft.brand, &first.brand);
    fill(&mut draft.category, &first.category);
    fill(&mut draft.image_url, &first.image_url);
    for ((name, value), inherited) in draft.options.iter_mut().zip(&first.option_names) {
        if value.is_some() {
            fill(name, inherited);
        }
    }
}

/// The row's `(name, value)` options, Shopify's placeholder left out. A value without a name
/// is an error recorded on the draft.
fn options(draft: &mut Draft) -> Vec<(String, String)> {
    let mut options = Vec::new();
    for (index, (name, value)) in draft.options.iter().enumerate() {
        let Some(value) = value else { continue };
        match name {
            Some(name) => options.push((name.clone(), value.clone())),
            None => {
                let column = format!("option{}_name", index + 1);
                let reason = format!(
                    "{column} is required when option{}_value is given",
                    index + 1
                );
                draft
                    .errors
                    .push(super::RowError::new(0, &column, "", reason));
            }
        }
    }
    if let [(name, value)] = options.as_slice()
        && (name.as_str(), value.as_str()) == DEFAULT_OPTION
    {
        options.clear();
    }
    options
}

/// A Merchant Center variant's options: its `color`, `size`, `material` and `pattern` cells,
/// moved out of the attributes.
fn group_attributes(draft: &mut Draft) -> Vec<(String, String)> {
    let mut options = Vec::new();
    for wanted in GROUP_ATTRIBUTES {
        let key = draft
            .attributes
            .keys()
            .find(|k| k.eq_ignore_ascii_case(wanted))
            .cloned();
        if let Some(key) = key
            && options.len() < MAX_OPTIONS
            && let Some(value) = draft.attributes.remove(&key)
        {
            options.push((key, value));
        }
    }
    options
}
