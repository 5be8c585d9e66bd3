//! The order feed mapper: rows in, whole [`OrderUpsert`]s out.
//!
//! Shops export one row per order *line* with the order's columns repeated (Shopify writes
//! them on the first line only, WooCommerce on every line), so [`OrderMapper`] groups
//! consecutive rows of one order id and emits the order when a row of another id arrives, or
//! at [`OrderMapper::finish`]. A JSON feed may instead give one row per order whose `lines`
//! (or `line_items`) cell is a JSON array of `{sku, quantity, unit_price | price}` objects.
//!
//! Only one order is ever open, so memory does not grow with the file. An order id that comes
//! back after other orders (its rows not consecutive) is emitted again as a separate upsert of
//! the same id: the store keeps the last one. Exports sort by order, so this only happens in
//! hand-made files, and holding every id seen to catch it would make memory grow.
//!
//! An order is all-or-nothing: any bad line rejects the whole order, with one [`RowError`] per
//! problem and one for each of the order's other lines, so every row is accounted for.
//!
//! Personal data: a customer id is kept as the customer reference; an e-mail address never is.
//! When an order has no customer id, its e-mail (trimmed, lower-cased) is stored only as its
//! SHA-256 hex digest, enough to tell repeat customers apart and nothing more.

mod assemble;
#[cfg(test)]
mod tests;

use crate::store::OrderUpsert;

use self::assemble::OpenOrder;
use super::cells::{self, FieldSpec, HeaderError, Layout, RowError};
use super::profile::MappingProfile;
use super::record::Row;

const ORDER_ID: usize = 0;
const PLACED_AT: usize = 1;
const CURRENCY: usize = 2;
const TOTAL: usize = 3;
const TAX: usize = 4;
const SHIPPING: usize = 5;
const CUSTOMER: usize = 6;
const EMAIL: usize = 7;
const CHANNEL: usize = 8;
const LINES: usize = 9;
const SKU: usize = 10;
const QUANTITY: usize = 11;
const UNIT_PRICE: usize = 12;

/// The longest sales channel name, in UTF-16 units (characters, for any real channel name):
/// it is a key of the daily rollups, stored as `NVARCHAR(64)` on Azure SQL.
pub const MAX_CHANNEL_CHARS: usize = 64;

/// Fields given once per order, which every row of an order must agree on (`lines` and the
/// line fields are per row).
const ORDER_FIELDS: std::ops::Range<usize> = PLACED_AT..LINES;

/// The order fields and their header aliases, most preferred first (Shopify's order export,
/// WooCommerce order exports and the generic names).
pub const FIELDS: [FieldSpec; 13] = [
    FieldSpec {
        name: "order_id",
        aliases: &["order number", "order no", "order name", "order", "name"],
    },
    FieldSpec {
        name: "placed_at",
        aliases: &[
            "created at",
            "order date",
            "date created",
            "order created",
            "purchase date",
            "created",
            "date",
        ],
    },
    FieldSpec {
        name: "currency",
        aliases: &["order currency", "currency code"],
    },
    FieldSpec {
        name: "total",
        aliases: &["order total", "total price", "grand total", "total amount"],
    },
    FieldSpec {
        name: "tax",
        aliases: &["taxes", "order tax", "total tax", "tax total", "tax amount"],
    },
    FieldSpec {
        name: "shipping",
        aliases: &[
            "order shipping",
            "shipping total",
            "shipping cost",
            "shipping amount",
        ],
    },
    FieldSpec {
        name: "customer_ref",
        aliases: &[
            "customer id",
            "customer number",
            "customer user",
            "customer",
        ],
    },
    FieldSpec {
        name: "email",
        aliases: &[
            "customer email",
            "billing email",
            "buyer email",
            "email address",
        ],
    },
    FieldSpec {
        name: "channel",
        aliases: &[
            "sales channel",
            "source name",
            "order channel",
            "order source",
            "created via",
            "source",
        ],
    },
    FieldSpec {
        name: "lines",
        aliases: &["line items", "order lines", "items"],
    },
    FieldSpec {
        name: "sku",
        aliases: &["lineitem sku", "item sku", "variant sku", "product sku"],
    },
    FieldSpec {
        name: "quantity",
        aliases: &[
            "lineitem quantity",
            "item quantity",
            "quantity ordered",
            "qty",
        ],
    },
    FieldSpec {
        name: "unit_price",
        aliases: &[
            "lineitem price",
            "item price",
            "item cost",
            "unit cost",
            "price",
        ],
    },
];

/// What [`OrderMapper::push`] and [`OrderMapper::finish`] emit: a whole order, or every
/// problem that rejected it.
pub type OrderResult = Result<OrderUpsert, Vec<RowError>>;

/// Groups the rows of one order feed into orders. Feed it every row in file order with
/// [`OrderMapper::push`], then call [`OrderMapper::finish`] once.
#[derive(Debug)]
pub struct OrderMapper {
    layout: Layout,
    open: Option<OpenOrder>,
}

impl OrderMapper {
    /// Reads `header` (with the tenant's `profile`, if any); fails without an order id,
    /// placed-at or currency (column or profile default), or without line columns (`lines`,
    /// or `sku`, `quantity` and `unit_price`).
    pub fn new(header: &[String], profile: Option<&MappingProfile>) -> Result<Self, HeaderError> {
        let layout = Layout::resolve(header, &FIELDS, profile)?;
        let mut required = vec![ORDER_ID, PLACED_AT, CURRENCY];
        if layout.column(LINES).is_none() {
            required.extend([SKU, QUANTITY, UNIT_PRICE]);
        }
        if let Some(&field) = required.iter().find(|&&f| !layout.provides(f)) {
            return Err(HeaderError::Missing {
                field: FIELDS[field].name,
                accepted: FIELDS[field].accepted(),
            });
        }
        Ok(Self { layout, open: None })
    }

    /// How many of `header`'s columns are order fields.
    pub fn recognised(header: &[String]) -> usize {
        cells::recognised(header, &FIELDS)
    }

    /// Whether `header` is plausibly an order feed, for kind detection: an order id and lines
    /// (a `lines` column, or `sku` and `quantity`). A bare `Name` column counts as the order id
    /// only next to Shopify's `Lineitem …` columns: elsewhere it names a product.
    pub fn plausible(header: &[String]) -> bool {
        let Ok(layout) = Layout::resolve(header, &FIELDS, None) else {
            return false;
        };
        let has = |f| layout.column(f).is_some();
        let shopify = header
            .iter()
            .any(|h| cells::normalize_name(h).starts_with("lineitem"));
        let id_is_name = layout
            .column(ORDER_ID)
            .is_some_and(|i| cells::normalize_name(&header[i]) == "name");
        has(ORDER_ID) && (shopify || !id_is_name) && (has(LINES) || (has(SKU) && has(QUANTITY)))
    }

    /// Takes the next row; returns the orders it closes (the open one, when this row starts
    /// another) and rows rejected on their own (no order id, or a ragged row of another order).
    pub fn push(&mut self, row: &Row) -> Vec<OrderResult> {
        let mut out = Vec::new();
        let id = self.layout.cell(row, ORDER_ID);
        if let Err(error) = self.layout.check_width(row) {
            match &mut self.open {
                // Same id where the id should be: most likely a line of the open order.
                Some(open) if id == Some(open.id()) => open.reject_row(row.line, error),
                _ => out.push(Err(vec![error])),
            }
            return out;
        }
        let Some(id) = id else {
            let reason = "order_id is required on every line of an order";
            out.push(Err(vec![RowError::new(row.line, "order_id", "", reason)]));
            return out;
        };
        if self.open.as_ref().is_some_and(|open| open.id() != id) {
            out.extend(self.finish());
        }
        match &mut self.open {
            Some(open) => open.add_row(row, &self.layout),
            None => self.open = Some(OpenOrder::start(id, row, &self.layout)),
        }
        out
    }

    /// Emits the open order, if any; call once after the last row.
    pub fn finish(&mut self) -> Option<OrderResult> {
        self.open.take().map(|open| open.close(&self.layout))
    }
}
