//! HTTP route templates as the Functions host (ASP.NET routing) reads them: literal segments
//! matched case-insensitively, `{name}`, `{name?}` (last segment), `{*name}` (the rest) and
//! constraints such as `{id:int}`.

use std::collections::BTreeMap;

/// A parsed route template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTemplate {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param {
        name: String,
        optional: bool,
        constraint: Option<String>,
    },
    CatchAll {
        name: String,
    },
}

impl RouteTemplate {
    /// Parses `template` (no leading slash, no route prefix).
    pub fn parse(template: &str) -> Result<Self, String> {
        let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
        let mut segments = Vec::with_capacity(parts.len());
        for (index, part) in parts.iter().enumerate() {
            let last = index + 1 == parts.len();
            segments
                .push(parse_segment(part, last).map_err(|e| format!("route `{template}`: {e}"))?);
        }
        Ok(Self { segments })
    }

    /// The route values if `path` (the part after the route prefix) matches.
    pub fn matches(&self, path: &str) -> Option<BTreeMap<String, String>> {
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut values = BTreeMap::new();
        for (index, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(literal) => {
                    if !parts.get(index)?.eq_ignore_ascii_case(literal) {
                        return None;
                    }
                }
                Segment::Param {
                    name,
                    optional,
                    constraint,
                } => match parts.get(index) {
                    Some(raw) => {
                        let value = percent_decode(raw)?;
                        if !satisfies(constraint.as_deref(), &value) {
                            return None;
                        }
                        values.insert(name.clone(), value);
                    }
                    None if *optional => {}
                    None => return None,
                },
                Segment::CatchAll { name } => {
                    let rest: Vec<&str> = parts.get(index..).unwrap_or_default().to_vec();
                    values.insert(name.clone(), percent_decode(&rest.join("/"))?);
                    return Some(values);
                }
            }
        }
        (parts.len() <= self.segments.len()).then_some(values)
    }
}

fn parse_segment(part: &str, last: bool) -> Result<Segment, String> {
    let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) else {
        if part.contains(['{', '}']) {
            return Err(format!(
                "segment `{part}` mixes text and parameters, which is not supported"
            ));
        }
        return Ok(Segment::Literal(part.to_owned()));
    };
    if let Some(name) = inner.strip_prefix('*') {
        return if last {
            Ok(Segment::CatchAll {
                name: name.trim_start_matches('*').to_owned(),
            })
        } else {
            Err("a catch-all must be the last segment".into())
        };
    }
    let (inner, optional) = match inner.strip_suffix('?') {
        Some(inner) => (inner, true),
        None => (inner, false),
    };
    if optional && !last {
        return Err("only the last parameter may be optional".into());
    }
    let (name, constraint) = match inner.split_once(':') {
        Some((name, constraint)) => (name, Some(constraint.to_owned())),
        None => (inner, None),
    };
    if name.is_empty() {
        return Err(format!("segment `{part}` has no parameter name"));
    }
    Ok(Segment::Param {
        name: name.to_owned(),
        optional,
        constraint,
    })
}

fn satisfies(constraint: Option<&str>, value: &str) -> bool {
    match constraint {
        None => true,
        Some("int" | "long") => value.parse::<i64>().is_ok(),
        Some("alpha") => value.chars().all(|c| c.is_ascii_alphabetic()),
        Some("bool") => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
        Some("guid") => uuid::Uuid::parse_str(value).is_ok(),
        Some(_) => true,
    }
}

/// Decodes `%XX` escapes; `None` if the result is not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(t: &str) -> RouteTemplate {
        RouteTemplate::parse(t).unwrap()
    }

    #[test]
    fn an_optional_last_parameter_matches_with_and_without_it() {
        let products = route("products/{sku?}");
        assert_eq!(products.matches("products").unwrap().len(), 0);
        assert_eq!(products.matches("Products/AB%2F1").unwrap()["sku"], "AB/1");
        assert!(products.matches("products/a/b").is_none());
        assert!(products.matches("orders").is_none());
    }

    #[test]
    fn constraints_and_catch_alls_behave_like_asp_net_routing() {
        assert!(route("runs/{id:int}").matches("runs/x").is_none());
        assert_eq!(
            route("runs/{id:int}").matches("runs/42").unwrap()["id"],
            "42"
        );
        assert_eq!(
            route("files/{*path}").matches("files/a/b.csv").unwrap()["path"],
            "a/b.csv"
        );
        assert!(RouteTemplate::parse("a/{x?}/b").is_err());
    }
}
