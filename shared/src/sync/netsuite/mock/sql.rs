//! The mock's reading of the SuiteQL the client sends. It is not a SQL engine: it knows
//! the client's four queries by their shape and extracts their parameters, and refuses any
//! other query as NetSuite refuses an invalid one.

use chrono::NaiveDateTime;

/// A query the mock answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Query {
    /// The credential check: item ids.
    Check,
    /// Inventory items after an optional `(local time, id)` bound; `ordered` when the query
    /// orders by `(lastmodifieddate, id)`.
    Items {
        bound: Option<(NaiveDateTime, u64)>,
        ordered: bool,
    },
    /// Stock summed per item for these ids.
    Stock(Vec<u64>),
    /// Items by `itemid`.
    Skus(Vec<String>),
}

/// What the mock makes of `q`, or why it refuses it.
pub(super) fn parse(q: &str) -> Result<Query, String> {
    if q.contains("FROM inventoryitemlocations") {
        let list = between(q, "inventoryitemlocations.item IN (", ")").ok_or("no item list")?;
        let ids = list
            .split(',')
            .map(|s| {
                s.trim()
                    .parse::<u64>()
                    .map_err(|e| format!("id `{s}`: {e}"))
            })
            .collect::<Result<_, _>>()?;
        return Ok(Query::Stock(ids));
    }
    if q.contains("WHERE item.itemid IN (") {
        let list = between(q, "item.itemid IN (", ") ORDER BY").ok_or("no SKU list")?;
        return Ok(Query::Skus(literals(list)?));
    }
    if q.contains("item.itemtype = 'InvtPart'") {
        let ordered = q.contains("ORDER BY item.lastmodifieddate ASC, item.id ASC");
        let bound = match between(q, "TO_TIMESTAMP('", "'") {
            None => None,
            Some(at) => {
                let at = NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S")
                    .map_err(|e| format!("TO_TIMESTAMP `{at}`: {e}"))?;
                let id = between(q, "AND item.id > ", ")")
                    .ok_or("a time bound without its id tie-break")?
                    .trim()
                    .parse::<u64>()
                    .map_err(|e| e.to_string())?;
                Some((at, id))
            }
        };
        return Ok(Query::Items { bound, ordered });
    }
    if q.starts_with("SELECT item.id AS id FROM item") {
        return Ok(Query::Check);
    }
    Err(format!("the mock does not know the query `{q}`"))
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// `'a', 'b''c'` as `["a", "b'c"]`.
fn literals(list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = list.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        match chars.next() {
            None => return Ok(out),
            Some('\'') => {}
            Some(other) => return Err(format!("unexpected `{other}` in a literal list")),
        }
        let mut literal = String::new();
        loop {
            match chars.next() {
                None => return Err("unterminated literal".into()),
                Some('\'') if chars.peek() == Some(&'\'') => {
                    chars.next();
                    literal.push('\'');
                }
                Some('\'') => break,
                Some(c) => literal.push(c),
            }
        }
        out.push(literal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::netsuite::suiteql;

    #[test]
    fn the_clients_queries_are_understood() {
        assert_eq!(parse(&suiteql::check_query()), Ok(Query::Check));
        let at = NaiveDateTime::parse_from_str("2026-03-08 06:00:05", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            parse(&suiteql::items_query(Some((at, 42)))),
            Ok(Query::Items {
                bound: Some((at, 42)),
                ordered: true
            })
        );
        assert_eq!(
            parse(&suiteql::stock_query(&[1, 2])),
            Ok(Query::Stock(vec![1, 2]))
        );
        assert_eq!(
            parse(&suiteql::skus_query(&["A'B", "C"])),
            Ok(Query::Skus(vec!["A'B".into(), "C".into()]))
        );
        assert!(parse("SELECT * FROM transaction").is_err());
    }
}
