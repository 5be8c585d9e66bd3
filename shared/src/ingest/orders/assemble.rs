//! One order being gathered from its rows, and the checks that turn it into an
//! [`OrderUpsert`] once all its rows are in.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::domain::{Currency, Money, Sku};
use crate::ingest::cells::{
    Layout, RowError, money_reason, normalize_name, parse_money, parse_timestamp, parse_whole,
    timestamp_reason,
};
use crate::ingest::record::Row;
use crate::store::{OrderLineUpsert, OrderUpsert};

use super::{
    CHANNEL, CURRENCY, CUSTOMER, EMAIL, FIELDS, LINES, MAX_CHANNEL_CHARS, ORDER_FIELDS,
    OrderResult, PLACED_AT, QUANTITY, SHIPPING, SKU, TAX, TOTAL, UNIT_PRICE,
};

/// A line's cells as given, and where to point a partner when one is wrong.
#[derive(Debug)]
struct RawLine {
    line: u64,
    /// `""` for a CSV line, `lines[2].` for the second object of a JSON `lines` cell.
    prefix: String,
    sku: Option<String>,
    quantity: Option<String>,
    unit_price: Option<String>,
}

/// The order whose rows are being read.
#[derive(Debug)]
pub(super) struct OpenOrder {
    id: String,
    first_line: u64,
    /// Field index → the first non-blank cell of an order-level field, and its line.
    cells: Vec<Option<(String, u64)>>,
    lines: Vec<RawLine>,
    /// The line of every row of the order, so a rejection accounts for each.
    rows: Vec<u64>,
    errors: Vec<RowError>,
}

impl OpenOrder {
    /// An order opened by its first row.
    pub(super) fn start(id: &str, row: &Row, layout: &Layout) -> Self {
        let mut order = Self {
            id: id.to_owned(),
            first_line: row.line,
            cells: vec![None; FIELDS.len()],
            lines: Vec::new(),
            rows: Vec::new(),
            errors: Vec::new(),
        };
        order.add_row(row, layout);
        order
    }

    /// The order id.
    pub(super) fn id(&self) -> &str {
        &self.id
    }

    /// Counts a row that is wrong as a whole against this order.
    pub(super) fn reject_row(&mut self, line: u64, error: RowError) {
        self.rows.push(line);
        self.errors.push(error);
    }

    /// Adds a row of this order: its order-level cells (which must agree with earlier rows)
    /// and its line, or the lines of its JSON `lines` cell.
    pub(super) fn add_row(&mut self, row: &Row, layout: &Layout) {
        self.rows.push(row.line);
        for field in ORDER_FIELDS {
            let Some(cell) = layout.cell(row, field) else {
                continue;
            };
            match &self.cells[field] {
                None => self.cells[field] = Some((cell.to_owned(), row.line)),
                Some((first, line)) if first != cell => {
                    let name = FIELDS[field].name;
                    let reason =
                        format!("{name} differs from line {line} of the same order ({first})");
                    self.errors
                        .push(RowError::new(row.line, name, cell, reason));
                }
                Some(_) => {}
            }
        }
        match layout.cell(row, LINES) {
            Some(json) => self.add_json_lines(row.line, json),
            None if layout.column(SKU).is_some() || layout.default(SKU).is_some() => {
                let text = |field| layout.value(row, field).map(str::to_owned);
                self.lines.push(RawLine {
                    line: row.line,
                    prefix: String::new(),
                    sku: text(SKU),
                    quantity: text(QUANTITY),
                    unit_price: text(UNIT_PRICE),
                });
            }
            None => {}
        }
    }

    fn add_json_lines(&mut self, line: u64, json: &str) {
        let items: Vec<serde_json::Map<String, Value>> = match serde_json::from_str(json) {
            Ok(items) => items,
            Err(error) => {
                let reason = format!(
                    "lines must be a JSON array of objects like \
                     {{\"sku\": \"A-1\", \"quantity\": 2, \"unit_price\": \"9.99\"}} ({error})"
                );
                self.errors.push(RowError::new(line, "lines", json, reason));
                return;
            }
        };
        for (index, item) in items.iter().enumerate() {
            let prefix = format!("lines[{}].", index + 1);
            let mut get = |names: &[&str], field: &str| {
                let value = item
                    .iter()
                    .find(|(key, _)| names.contains(&normalize_name(key).as_str()))
                    .map(|(_, value)| value);
                match value {
                    None | Some(Value::Null) => None,
                    Some(Value::String(text)) => Some(text.trim().to_owned()),
                    Some(Value::Number(number)) => Some(number.to_string()),
                    Some(other) => {
                        let reason = format!("{field} must be text or a number");
                        let column = format!("{prefix}{field}");
                        let error = RowError::new(line, &column, &other.to_string(), reason);
                        self.errors.push(error);
                        None
                    }
                }
            };
            let sku = get(&["sku"], "sku");
            let quantity = get(&["quantity", "qty"], "quantity");
            let unit_price = get(&["unitprice", "price"], "unit_price");
            self.lines.push(RawLine {
                line,
                prefix,
                sku,
                quantity,
                unit_price,
            });
        }
    }

    /// The order, or every problem with it plus a note for each of its rows without one.
    pub(super) fn close(mut self, layout: &Layout) -> OrderResult {
        let mut errors = std::mem::take(&mut self.errors);
        let first_line = self.first_line;
        let value = |field: usize| {
            let cell = self.cells[field].as_ref().map(|(v, l)| (v.as_str(), *l));
            cell.or_else(|| layout.default(field).map(|d| (d, first_line)))
        };
        let mut error = |line, field: usize, raw: &str, reason: String| {
            errors.push(RowError::new(line, FIELDS[field].name, raw, reason));
        };
        let placed_at = match value(PLACED_AT) {
            None => {
                error(first_line, PLACED_AT, "", "placed_at is required".into());
                None
            }
            Some((raw, line)) => parse_timestamp(raw).or_else(|| {
                error(line, PLACED_AT, raw, timestamp_reason("placed_at"));
                None
            }),
        };
        let currency = match value(CURRENCY) {
            None => {
                error(first_line, CURRENCY, "", "currency is required".into());
                None
            }
            Some((raw, line)) => Currency::parse(raw)
                .map_err(|e| error(line, CURRENCY, raw, e.to_string()))
                .ok(),
        };
        let mut amount = |field: usize| -> Result<Option<i64>, ()> {
            let (Some((raw, line)), Some(currency)) = (value(field), currency) else {
                return Ok(None);
            };
            match parse_money(raw, currency, layout.decimal_comma()) {
                Ok(money) => Ok(Some(money.minor())),
                Err(e) => {
                    error(line, field, raw, money_reason(FIELDS[field].name, &e));
                    Err(())
                }
            }
        };
        let (total, tax, shipping) = (amount(TOTAL), amount(TAX), amount(SHIPPING));
        let customer_ref = customer_ref(value(CUSTOMER), value(EMAIL));
        // Counted in UTF-16 units after lower-casing, as Azure SQL's NVARCHAR(64) stores it.
        let channel = match value(CHANNEL).map(|(raw, line)| (raw, raw.trim().to_lowercase(), line))
        {
            Some((raw, lower, line)) if lower.encode_utf16().count() > MAX_CHANNEL_CHARS => {
                let reason = format!("channel is at most {MAX_CHANNEL_CHARS} characters");
                error(line, CHANNEL, raw, reason);
                None
            }
            Some((_, lower, _)) => Some(lower).filter(|c| !c.is_empty()),
            None => None,
        };
        let mut lines = Vec::new();
        for raw in &self.lines {
            if let Some(line) = check_line(raw, currency, layout.decimal_comma(), &mut errors) {
                lines.push(line);
            }
        }
        if self.lines.is_empty() && !errors.iter().any(|e| e.column.starts_with("lines")) {
            errors.push(RowError::new(
                first_line,
                "lines",
                "",
                "the order has no lines",
            ));
        }
        let computed = match (tax, shipping) {
            (Ok(tax), Ok(shipping)) => sum_order(&lines, tax, shipping),
            _ => None,
        };
        let (Some(placed_at), Some(currency), Ok(total), Ok(tax), Ok(shipping), true) =
            (placed_at, currency, total, tax, shipping, errors.is_empty())
        else {
            return Err(self.rejection(errors));
        };
        let Some(total_minor) = total.or(computed) else {
            let reason = "the order's amounts add up to more than can be stored";
            return Err(self.rejection(vec![RowError::new(first_line, "total", "", reason)]));
        };
        Ok(OrderUpsert {
            order_id: self.id,
            placed_at,
            currency,
            total_minor,
            tax_minor: tax,
            shipping_minor: shipping,
            customer_ref,
            channel,
            lines,
        })
    }

    /// `errors` in line order, plus a note for each row of the order that has none.
    fn rejection(&self, mut errors: Vec<RowError>) -> Vec<RowError> {
        let mut bad: Vec<u64> = errors.iter().map(|e| e.line).collect();
        bad.sort_unstable();
        bad.dedup();
        let list = bad
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let noun = if bad.len() == 1 { "line" } else { "lines" };
        let mut clean: Vec<u64> = self
            .rows
            .iter()
            .copied()
            .filter(|l| !bad.contains(l))
            .collect();
        clean.dedup();
        for line in clean {
            let reason = format!(
                "order {} was rejected because of the errors on {noun} {list}",
                self.id
            );
            errors.push(RowError::new(line, "", "", reason));
        }
        errors.sort_by_key(|e| e.line);
        errors
    }
}

/// A customer id when there is one (WooCommerce's `0` means a guest), else the SHA-256 hex
/// digest of the trimmed, lower-cased e-mail: a raw address is never kept.
fn customer_ref(id: Option<(&str, u64)>, email: Option<(&str, u64)>) -> Option<String> {
    if let Some((id, _)) = id.filter(|(id, _)| *id != "0") {
        return Some(id.to_owned());
    }
    let (email, _) = email?;
    let digest = Sha256::digest(email.trim().to_lowercase().as_bytes());
    Some(hex::encode(digest))
}

/// A checked line, or `None` with its problems added to `errors`. Prices are only checked
/// when the order's currency is known, since their minor units depend on it.
fn check_line(
    raw: &RawLine,
    currency: Option<Currency>,
    decimal_comma: bool,
    errors: &mut Vec<RowError>,
) -> Option<OrderLineUpsert> {
    let before = errors.len();
    let mut fail = |field: &str, value: &str, reason: String| {
        let column = format!("{}{field}", raw.prefix);
        errors.push(RowError::new(raw.line, &column, value, reason));
    };
    let sku = match raw.sku.as_deref() {
        None => {
            fail("sku", "", "sku is required".into());
            None
        }
        Some(text) => Sku::parse(text)
            .map_err(|e| fail("sku", text, e.to_string()))
            .ok(),
    };
    let quantity = match raw.quantity.as_deref() {
        None => {
            fail("quantity", "", "quantity is required".into());
            None
        }
        Some(text) => match parse_whole(text, decimal_comma) {
            Some(quantity) if quantity > 0 => Some(quantity),
            _ => {
                fail(
                    "quantity",
                    text,
                    "quantity must be a whole number greater than 0".into(),
                );
                None
            }
        },
    };
    let unit_price = match (raw.unit_price.as_deref(), currency) {
        (None, _) => {
            fail("unit_price", "", "unit_price is required".into());
            None
        }
        (Some(_), None) => None,
        (Some(text), Some(currency)) => parse_money(text, currency, decimal_comma)
            .map_err(|e| fail("unit_price", text, money_reason("unit_price", &e)))
            .ok()
            .map(|m: Money| m.minor()),
    };
    match (sku, quantity, unit_price) {
        (Some(sku), Some(quantity), Some(unit_price_minor)) if errors.len() == before => {
            Some(OrderLineUpsert {
                sku,
                quantity,
                unit_price_minor,
            })
        }
        _ => None,
    }
}

/// Σ quantity × unit price + tax + shipping, `None` on overflow.
fn sum_order(lines: &[OrderLineUpsert], tax: Option<i64>, shipping: Option<i64>) -> Option<i64> {
    let extras = tax.unwrap_or(0).checked_add(shipping.unwrap_or(0))?;
    lines.iter().try_fold(extras, |sum, line| {
        line.quantity
            .checked_mul(line.unit_price_minor)
            .and_then(|amount| sum.checked_add(amount))
    })
}
