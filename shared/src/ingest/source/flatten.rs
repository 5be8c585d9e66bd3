//! A JSON object as cells: nested objects become `parent.child` keys, arrays of scalars are
//! joined with `, `, arrays holding objects or arrays (order lines, variants) keep their JSON
//! text, `null` is empty, numbers keep their exact text, booleans are `true`/`false`.
//!
//! Values are read as borrowed [`RawValue`]s, so a number is never reformatted and a row costs
//! its own strings and little else; keys in file order are matched against the header with a
//! positional fast path (most objects repeat the first one's keys in the same order).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::Row;

/// A flattened key and its cell.
pub(super) type Cell<'a> = (Cow<'a, str>, String);

/// Flattens the object `text` into `out` (cleared first); an error says why `text` is not one
/// object.
pub(super) fn flatten<'a>(text: &'a str, out: &mut Vec<Cell<'a>>) -> Result<(), String> {
    out.clear();
    let object = serde_json::from_str::<Object>(text).map_err(|e| describe(&e))?;
    push_object(None, object, out).map_err(|e| describe(&e))
}

fn describe(error: &serde_json::Error) -> String {
    let message = error.to_string();
    // serde_json appends a position within the row's own text, which means nothing to a partner.
    match message.rsplit_once(" at line ") {
        Some((what, _)) => format!("not a JSON object: {what}"),
        None => format!("not a JSON object: {message}"),
    }
}

fn push_object<'a>(
    prefix: Option<&str>,
    object: Object<'a>,
    out: &mut Vec<Cell<'a>>,
) -> Result<(), serde_json::Error> {
    for (key, raw) in object.0 {
        let key = match prefix {
            None => key,
            Some(prefix) => Cow::Owned(format!("{prefix}.{key}")),
        };
        let text = raw.get();
        match text.as_bytes().first() {
            Some(b'{') => {
                let nested: Object<'a> = serde_json::from_str(text)?;
                if nested.0.is_empty() {
                    out.push((key, String::new()));
                } else {
                    push_object(Some(&*key), nested, out)?;
                }
            }
            Some(b'[') => {
                let cell = array_cell(text)?;
                out.push((key, cell));
            }
            _ => {
                let cell = scalar_cell(text)?;
                out.push((key, cell));
            }
        }
    }
    Ok(())
}

fn array_cell(text: &str) -> Result<String, serde_json::Error> {
    let items: Vec<&RawValue> = serde_json::from_str(text)?;
    if items
        .iter()
        .any(|item| matches!(item.get().as_bytes().first(), Some(b'{' | b'[')))
    {
        return Ok(text.to_owned());
    }
    let mut cell = String::new();
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            cell.push_str(", ");
        }
        cell.push_str(&scalar_cell(item.get())?);
    }
    Ok(cell)
}

fn scalar_cell(text: &str) -> Result<String, serde_json::Error> {
    Ok(match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(text)?,
        Some(b'n') => String::new(),
        // Numbers and booleans are their JSON text.
        _ => text.to_owned(),
    })
}

/// An object's entries in file order, values unparsed.
struct Object<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Object<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Object<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(16));
        while let Some((key, value)) = map.next_entry::<Key<'de>, &'de RawValue>()? {
            entries.push((key.0, value));
        }
        Ok(Object(entries))
    }
}

/// A key borrowed from the text unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Key(Cow::Owned(v)))
    }
}

/// Places flattened cells under the header the first object set.
pub(super) struct Placer {
    header: Vec<String>,
    index: HashMap<String, usize>,
}

impl Placer {
    /// The header is the first object's keys.
    pub(super) fn new(first: &[Cell]) -> Self {
        let header: Vec<String> = first.iter().map(|(k, _)| k.clone().into_owned()).collect();
        let mut index = HashMap::with_capacity(header.len());
        for (i, key) in header.iter().enumerate() {
            index.entry(key.clone()).or_insert(i);
        }
        Self { header, index }
    }

    /// The header, in the first object's order.
    pub(super) fn header(&self) -> &[String] {
        &self.header
    }

    /// One row: cells by key, keys the header lacks in `extra`.
    pub(super) fn place(&self, line: u64, cells: &mut Vec<Cell>) -> Row {
        let mut values = vec![String::new(); self.header.len()];
        let mut extra = Vec::new();
        for (position, (key, value)) in cells.drain(..).enumerate() {
            let slot = match self.header.get(position) {
                Some(name) if *name == key => Some(position),
                _ => self.index.get(key.as_ref()).copied(),
            };
            match slot.and_then(|i| values.get_mut(i)) {
                Some(cell) => *cell = value,
                None => extra.push((key.into_owned(), value)),
            }
        }
        Row {
            line,
            values,
            extra,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn flat(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        flatten(text, &mut out).unwrap();
        out.into_iter().map(|(k, v)| (k.into_owned(), v)).collect()
    }

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn nested_objects_become_dotted_keys_in_file_order() {
        let got = flat(r#"{"z":1,"price":{"amount":"9.90","currency":"EUR"},"a":true}"#);
        let want = [
            ("z", "1"),
            ("price.amount", "9.90"),
            ("price.currency", "EUR"),
            ("a", "true"),
        ];
        assert_eq!(got, pairs(&want));
    }

    #[test]
    fn numbers_keep_their_exact_text_and_null_is_empty() {
        let got = flat(r#"{"p":1.10,"big":12345678901234567890,"e":1e3,"n":null,"f":false}"#);
        let want = [
            ("p", "1.10"),
            ("big", "12345678901234567890"),
            ("e", "1e3"),
            ("n", ""),
            ("f", "false"),
        ];
        assert_eq!(got, pairs(&want));
    }

    #[test]
    fn arrays_of_scalars_are_joined_and_arrays_of_objects_kept_as_json() {
        let got = flat(r#"{"tags":["a","b\"c",3],"lines":[{"sku":"x","qty":2}],"none":[]}"#);
        let want = [
            ("tags", "a, b\"c, 3"),
            ("lines", r#"[{"sku":"x","qty":2}]"#),
            ("none", ""),
        ];
        assert_eq!(got, pairs(&want));
    }

    #[test]
    fn escaped_keys_and_unicode_values_come_through() {
        let got = flat(r#"{"k\u00e9y":"caf\u00e9 ☕"}"#);
        assert_eq!(got, pairs(&[("kéy", "café ☕")]));
    }

    #[test]
    fn a_non_object_is_refused_with_a_reason() {
        let mut out = Vec::new();
        let error = flatten("[1,2]", &mut out).unwrap_err();
        assert!(error.starts_with("not a JSON object"), "{error}");
        assert!(flatten(r#"{"a":"#, &mut out).is_err());
    }

    #[test]
    fn later_objects_are_placed_by_key_and_unknown_keys_go_to_extra() {
        let mut first = Vec::new();
        flatten(r#"{"a":1,"b":2}"#, &mut first).unwrap();
        let placer = Placer::new(&first);
        let mut cells = Vec::new();
        flatten(r#"{"b":3,"c":4}"#, &mut cells).unwrap();
        let row = placer.place(2, &mut cells);
        assert_eq!(row.values, vec!["".to_owned(), "3".to_owned()]);
        assert_eq!(row.extra, pairs(&[("c", "4")]));
    }
}
