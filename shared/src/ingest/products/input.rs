//! A product as a JSON object — the body of the API's `PUT` and `PATCH` — to a
//! [`ProductContent`], by the rules a feed row's cells follow (the same [`super::values`]
//! functions, the same domain types), so a product is valid or not whichever way it arrives.
//!
//! Differences a JSON body allows: a price is an object `{"amount": "12.50", "currency":
//! "EUR"}` (the shape `GET` shows; the amount is a string so no float touches it), the quantity
//! a JSON integer, options and attributes are structured. Every problem is reported in one
//! pass, unknown fields included, so a client fixes a body at once.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value};

use super::fields::Field;
use super::values;
use crate::domain::{Currency, Gtin, MAX_OPTIONS, Money, ProductContent, ProductOption, Sku};

/// The fields a client may send; everything else (version, source, timestamps, tenant) is the
/// store's to set.
pub const INPUT_FIELDS: [&str; 12] = [
    "sku",
    "title",
    "description",
    "price",
    "quantity",
    "brand",
    "category",
    "gtin",
    "image_url",
    "parent",
    "options",
    "attributes",
];

/// One problem with one field of a product body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct InputError {
    /// The field, as the body names it.
    pub field: String,
    /// What is wrong, worded for the client.
    pub reason: String,
}

/// The product `sku` as `body` describes it, or every problem found. `sku` in the body is
/// optional and must then name the same product.
pub fn content_from_json(
    sku: &Sku,
    body: &Map<String, Value>,
) -> Result<ProductContent, Vec<InputError>> {
    let mut reader = Reader {
        body,
        errors: Vec::new(),
    };
    for name in body.keys().filter(|k| !INPUT_FIELDS.contains(&k.as_str())) {
        reader.reject(name, "is not a field of a product a client may set");
    }
    if let Some(given) = reader.text("sku", |v| Sku::parse(v).map_err(|e| e.to_string()))
        && given != *sku
    {
        reader.reject(
            "sku",
            &format!("names `{given}`, not `{sku}` as the URL does"),
        );
    }
    let title = reader.text("title", values::title);
    if title.is_none() && !reader.errors.iter().any(|e| e.field == "title") {
        reader.reject("title", "is required");
    }
    let content = ProductContent {
        sku: sku.clone(),
        title: title.unwrap_or_default(),
        description: reader.text("description", values::description),
        price: reader.price(),
        quantity: reader.quantity(),
        brand: reader.text("brand", |v| values::single_line(Field::Brand, v)),
        category: reader.text("category", |v| values::single_line(Field::Category, v)),
        gtin: reader.text("gtin", |v| Gtin::parse(v).map_err(|e| e.to_string())),
        image_url: reader.text("image_url", values::image_url),
        parent: reader.text("parent", |v| values::single_line(Field::Parent, v)),
        options: reader.options(),
        attributes: reader.attributes(),
    };
    match reader.errors.is_empty() {
        true => Ok(content),
        false => Err(reader.errors),
    }
}

/// A body being read; problems pile up in `errors`.
struct Reader<'a> {
    body: &'a Map<String, Value>,
    errors: Vec<InputError>,
}

impl Reader<'_> {
    fn reject(&mut self, field: &str, reason: &str) {
        self.errors.push(InputError {
            field: field.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// A string field, trimmed, through `parse`; absent, `null` and blank are `None`.
    fn text<T>(&mut self, field: &str, parse: impl FnOnce(&str) -> Result<T, String>) -> Option<T> {
        let value = match self.body.get(field) {
            None | Some(Value::Null) => return None,
            Some(Value::String(text)) => text.trim(),
            Some(_) => {
                self.reject(field, "must be a string");
                return None;
            }
        };
        if value.is_empty() {
            return None;
        }
        parse(value)
            .map_err(|reason| self.reject(field, &reason))
            .ok()
    }

    fn quantity(&mut self) -> Option<i64> {
        match self.body.get("quantity") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(_) => {
                self.reject(
                    "quantity",
                    "must be a whole number (negative when oversold), like 12",
                );
                None
            }
        }
    }

    /// `{"amount": "12.50", "currency": "EUR"}`.
    fn price(&mut self) -> Option<Money> {
        const SHAPE: &str = r#"must be an object like {"amount": "12.50", "currency": "EUR"}"#;
        let price = match self.body.get("price") {
            None | Some(Value::Null) => return None,
            Some(Value::Object(price)) => price,
            Some(_) => {
                self.reject("price", SHAPE);
                return None;
            }
        };
        let text = |key: &str| price.get(key).and_then(Value::as_str).map(str::trim);
        let (Some(amount), Some(code)) = (text("amount"), text("currency")) else {
            self.reject("price", SHAPE);
            return None;
        };
        if price.len() != 2 {
            self.reject("price", SHAPE);
            return None;
        }
        let parsed = Currency::parse(code).and_then(|currency| Money::parse(amount, currency));
        parsed
            .map_err(|e| self.reject("price", &e.to_string()))
            .ok()
    }

    /// At most [`MAX_OPTIONS`] `{"name", "value"}` pairs with distinct names, each one line.
    fn options(&mut self) -> Vec<ProductOption> {
        const SHAPE: &str = r#"must be a list like [{"name": "Size", "value": "M"}]"#;
        let items = match self.body.get("options") {
            None | Some(Value::Null) => return Vec::new(),
            Some(Value::Array(items)) => items,
            Some(_) => {
                self.reject("options", SHAPE);
                return Vec::new();
            }
        };
        let parsed: Result<Vec<ProductOption>, _> = items
            .iter()
            .map(|item| serde_json::from_value::<ProductOption>(item.clone()))
            .collect();
        let Ok(options) = parsed else {
            self.reject("options", SHAPE);
            return Vec::new();
        };
        let options: Vec<ProductOption> = options
            .into_iter()
            .map(|o| ProductOption {
                name: o.name.trim().to_owned(),
                value: o.value.trim().to_owned(),
            })
            .collect();
        let mut names = HashSet::new();
        let problem = if options.len() > MAX_OPTIONS {
            Some(format!(
                "has {} options; at most {MAX_OPTIONS} are allowed",
                options.len()
            ))
        } else if options
            .iter()
            .any(|o| o.name.is_empty() || o.value.is_empty())
        {
            Some("every option needs a name and a value".to_owned())
        } else if !options.iter().all(|o| names.insert(o.name.clone())) {
            Some("names an option twice".to_owned())
        } else {
            options
                .iter()
                .flat_map(|o| [&o.name, &o.value])
                .find_map(|text| values::single_line(Field::OPTIONS[0].0, text).err())
                .map(|_| "options must be one line without tabs or control characters".to_owned())
        };
        match problem {
            Some(reason) => {
                self.reject("options", &reason);
                Vec::new()
            }
            None => options,
        }
    }

    /// Extra attributes, name → text; blank values are dropped, as a feed's empty cells are.
    fn attributes(&mut self) -> BTreeMap<String, String> {
        let map = match self.body.get("attributes") {
            None | Some(Value::Null) => return BTreeMap::new(),
            Some(Value::Object(map)) => map,
            Some(_) => {
                self.reject(
                    "attributes",
                    r#"must be an object like {"Material": "Oak"}"#,
                );
                return BTreeMap::new();
            }
        };
        let mut attributes = BTreeMap::new();
        for (name, value) in map {
            let value = match value {
                Value::Null => continue,
                Value::String(text) => text.trim(),
                _ => {
                    self.reject("attributes", &format!("`{name}` must be a string"));
                    continue;
                }
            };
            if name.trim().is_empty() || name.chars().any(char::is_control) {
                self.reject("attributes", "names must be one line of text, not blank");
            } else if value.contains('\0') {
                self.reject("attributes", &format!("`{name}` contains a NUL character"));
            } else if !value.is_empty() {
                attributes.insert(name.clone(), value.to_owned());
            }
        }
        attributes
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn read(body: Value) -> Result<ProductContent, Vec<InputError>> {
        let Value::Object(map) = body else {
            panic!("a test body is an object")
        };
        content_from_json(&Sku::parse("MUG-1").unwrap(), &map)
    }

    fn fields(errors: Vec<InputError>) -> Vec<String> {
        errors.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_full_body_reads_as_the_product_get_shows() {
        let body = json!({
            "sku": "MUG-1", "title": " Mug ", "description": "Line\r\nbreak",
            "price": {"amount": "12.50", "currency": "eur"}, "quantity": -2,
            "brand": "Oak", "category": "Home > Mugs", "gtin": "4006381333931",
            "image_url": "https://cdn.example.com/mug.jpg", "parent": "mug",
            "options": [{"name": "Colour", "value": "Sage"}],
            "attributes": {"Material": "Stoneware", "Empty": " "}
        });
        let content = read(body).unwrap();
        assert_eq!(content.title, "Mug");
        assert_eq!(content.description.as_deref(), Some("Line\nbreak"));
        assert_eq!(content.price.unwrap().minor(), 1250);
        assert_eq!(content.quantity, Some(-2));
        assert_eq!(content.options.len(), 1);
        assert_eq!(content.attributes.len(), 1, "blank attributes are dropped");
        let shown = serde_json::to_value(&content).unwrap();
        let Value::Object(shown) = shown else {
            panic!()
        };
        assert_eq!(content_from_json(&content.sku, &shown), Ok(content));
    }

    #[test]
    fn unknown_fields_are_all_named_with_the_other_problems() {
        let body = json!({"title": "Mug", "version": 9, "source": "x", "quantity": 1.5});
        let mut named = fields(read(body).unwrap_err());
        named.sort();
        assert_eq!(named, ["quantity", "source", "version"]);
    }

    #[test]
    fn a_title_is_required_and_checked_as_a_feed_checks_it() {
        assert_eq!(
            fields(read(json!({"brand": "Oak"})).unwrap_err()),
            ["title"]
        );
        let long = "x".repeat(501);
        let errors = read(json!({"title": long})).unwrap_err();
        assert!(errors[0].reason.contains("at most 500"), "{errors:?}");
    }

    #[test]
    fn bad_prices_gtins_urls_and_skus_are_refused() {
        let body = json!({
            "sku": "OTHER", "title": "Mug", "price": {"amount": "1.234", "currency": "EUR"},
            "gtin": "4006381333932", "image_url": "ftp://x/y.jpg",
            "options": [{"name": "Size", "value": "M"}, {"name": "Size", "value": "L"}]
        });
        assert_eq!(
            fields(read(body).unwrap_err()),
            ["sku", "price", "gtin", "image_url", "options"]
        );
        let no_currency = json!({"title": "Mug", "price": {"amount": "1.00"}});
        assert_eq!(fields(read(no_currency).unwrap_err()), ["price"]);
    }
}
