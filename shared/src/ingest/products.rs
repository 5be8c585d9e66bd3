//! The product mapper: a feed's header and [`Row`]s in, validated [`ProductRecord`]s and
//! precise [`RowError`]s out, whatever the file format was.
//!
//! [`ProductMapper::new`] understands the header once (built-in aliases for the Shopify,
//! WooCommerce, NetSuite and Merchant Center exports, then a tenant's [`MappingProfile`]);
//! [`ProductMapper::map`] reads one row at a time, so memory stays flat for any file size.
//! Problems with the header stop the run with a [`FeedError`]; problems with a row are all
//! reported for that row, which is rejected whole, and the run goes on.
//!
//! Decisions partners see:
//! - Columns no field takes are kept as `attributes` (header → value) and listed as unknown.
//! - A price needs a currency (in the cell, a currency column, or the profile's
//!   `defaults.currency`). A file with neither (a Shopify export) is not refused: its products
//!   are kept without a price and the checked amount is kept as an attribute under the price
//!   column's header, until a profile names the currency.
//! - Variant rows inherit title, description, brand, category, image and option names from
//!   their product's first row (see [`variants`]).
//!
//! Module map: `fields` names the canonical fields and their aliases, `columns` maps a header
//! onto them, `row` reads a row's cells by the rules in `values`, `variants` places a row in
//! its product, and `errors` words what went wrong.

mod columns;
mod dates;
mod errors;
mod fields;
mod input;
mod row;
mod values;
mod variants;

#[cfg(test)]
mod exports_tests;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use crate::domain::ProductContent;
use crate::ingest::profile::MappingProfile;
use crate::ingest::record::Row;
pub use columns::ColumnMapping;
use columns::Layout;
pub use errors::{FeedError, RowError};
pub use fields::Field;
pub use input::{INPUT_FIELDS, InputError, content_from_json};
use variants::Families;

/// One product as the feed describes it, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRecord {
    /// 1-based position of the row in the file (see [`Row::line`]).
    pub line: u64,
    /// What the row says about the product.
    pub content: ProductContent,
    /// When the partner last changed the product.
    pub updated_at: Option<DateTime<Utc>>,
}

/// Maps rows of one product feed, remembering the current product for its variant rows.
#[derive(Debug)]
pub struct ProductMapper {
    columns: Vec<ColumnMapping>,
    layout: Layout,
    profile: Option<MappingProfile>,
    /// The first row of the product being read (only one: exports group a product's rows),
    /// and the SKUs of WooCommerce variable products by id.
    families: Families,
    skipped: u64,
}

impl ProductMapper {
    /// Understands `header`, applying `profile`'s renames; fails when rows could not be read
    /// against it (required columns missing, a name twice, a profile naming no field).
    pub fn new(header: &[String], profile: Option<&MappingProfile>) -> Result<Self, FeedError> {
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(FeedError::Empty);
        }
        let (columns, layout) = columns::map_header(header, profile)?;
        Ok(Self {
            columns,
            layout,
            profile: profile.cloned(),
            families: Families::default(),
            skipped: 0,
        })
    }

    /// How each header column was understood, in file order.
    pub fn columns(&self) -> &[ColumnMapping] {
        &self.columns
    }

    /// Headers of the columns that feed no field and are kept as attributes (blank headers
    /// left out), for telling the partner.
    pub fn unknown_columns(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.field.is_none() && !c.header.is_empty())
            .map(|c| c.header.clone())
            .collect()
    }

    /// How many cells of `header` name a product field, for telling feed kinds apart.
    pub fn recognised(header: &[String]) -> usize {
        columns::map_header(header, None)
            .map(|(columns, _)| columns.iter().filter(|c| c.field.is_some()).count())
            .unwrap_or_else(|_| {
                header
                    .iter()
                    .filter(|h| Field::from_header(h).is_some())
                    .count()
            })
    }

    /// Rows that describe no product and were skipped: blank rows and Shopify image-only rows.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Maps one row: `Ok(None)` for a row that describes no product (blank, or a Shopify
    /// image-only row), else the product or every problem the row has.
    pub fn map(&mut self, row: &Row) -> Result<Option<ProductRecord>, Vec<RowError>> {
        if row.values.iter().all(|v| v.trim().is_empty()) && row.extra.is_empty() {
            self.skipped += 1;
            return Ok(None);
        }
        let (found, expected) = (row.values.len(), self.columns.len());
        if found != expected {
            // Its cells cannot be trusted to be under the right headers.
            let reason = format!(
                "row has {found} {}, header has {expected}",
                if found == 1 { "field" } else { "fields" }
            );
            return Err(vec![RowError::new(
                row.line,
                "",
                &row.values.join(","),
                reason,
            )]);
        }
        let reader = row::Reader {
            columns: &self.columns,
            layout: &self.layout,
            profile: self.profile.as_ref(),
        };
        let mut draft = reader.read(row);
        if variants::is_image_only(&draft) {
            self.skipped += 1;
            return Ok(None);
        }
        let options = variants::place(&mut self.families, &mut draft);
        if draft.sku.is_none() && draft.errors.iter().all(|e| e.column != Field::Sku.name()) {
            let reason = format!("{} is required", Field::Sku);
            draft
                .errors
                .push(RowError::new(0, "sku", &draft.raw_sku, reason));
        }
        if draft.title.is_none() && draft.errors.iter().all(|e| e.column != Field::Title.name()) {
            let reason = format!("{} is required", Field::Title);
            draft
                .errors
                .push(RowError::new(0, "title", &draft.raw_title, reason));
        }
        let (Some(sku), Some(title), true) = (draft.sku, draft.title, draft.errors.is_empty())
        else {
            let mut errors = draft.errors;
            errors.iter_mut().for_each(|e| e.line = row.line);
            errors.sort_by_key(|e| column_order(&e.column));
            return Err(errors);
        };
        let content = ProductContent {
            sku,
            title,
            description: draft.description,
            price: draft.price,
            quantity: draft.quantity,
            brand: draft.brand,
            category: draft.category,
            gtin: draft.gtin,
            image_url: draft.image_url,
            parent: draft.parent,
            options,
            attributes: draft.attributes,
        };
        Ok(Some(ProductRecord {
            line: row.line,
            content,
            updated_at: draft.updated_at,
        }))
    }
}

/// Errors are listed in field order, so a report reads left to right like the canonical row.
fn column_order(column: &str) -> usize {
    Field::from_name(column).map_or(usize::MAX, Field::index)
}
