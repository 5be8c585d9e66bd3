//! A person's edits of an enrichment: each edited field is checked and made canonical on the
//! way in ([`check_edit`]), then laid over every enrichment shown or stored afterwards
//! ([`apply_edits`]), so the person's value wins over whatever an engine writes later.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::{
    ATTRIBUTE_NAMES, EDITABLE_FIELDS, EnrichmentOutput, MAX_META_DESCRIPTION_CHARS,
    MAX_SEO_TITLE_CHARS, MAX_TAGS, MAX_TITLE_CHARS, clean_tags, within,
};
use crate::ai::safe_html;
use crate::ai::taxonomy::taxonomy;

/// Where an edited attribute came from, in place of the product text an engine quotes.
pub const EDITED_SOURCE: &str = "edited";

/// The canonical value to lock for `field`, or why `value` cannot be: titles trimmed and within
/// their limits, HTML sanitized, tags folded as the engines fold them, a category resolved in
/// the taxonomy (stored with its id and full confidence), attributes named in the schema and
/// marked as edited. Every message names the field.
pub fn check_edit(field: &str, value: &Value) -> Result<Value, String> {
    let checked = match field {
        "title" => required_text(value, MAX_TITLE_CHARS).map(Value::String),
        "seo_title" => required_text(value, MAX_SEO_TITLE_CHARS).map(Value::String),
        "description_html" => match value {
            Value::Null => Ok(Value::Null),
            Value::String(html) => {
                let clean = safe_html::sanitize(html.trim());
                Ok(match clean.trim().is_empty() {
                    true => Value::Null,
                    false => Value::String(clean),
                })
            }
            _ => Err("must be HTML text or null".to_owned()),
        },
        "meta_description" => match value {
            Value::Null => Ok(Value::Null),
            Value::String(text) if text.trim().is_empty() => Ok(Value::Null),
            _ => required_text(value, MAX_META_DESCRIPTION_CHARS).map(Value::String),
        },
        "tags" => check_tags(value),
        "category" => check_category(value),
        "attributes" => check_attributes(value),
        _ => {
            return Err(format!(
                "`{field}` cannot be edited; the fields that can are {}",
                EDITABLE_FIELDS.join(", ")
            ));
        }
    };
    checked.map_err(|reason| format!("`{field}` {reason}"))
}

fn required_text(value: &Value, max: usize) -> Result<String, String> {
    let Value::String(text) = value else {
        return Err("must be text".to_owned());
    };
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty".to_owned());
    }
    within("it", text, max).map_err(|reason| format!("is too long: {reason}"))?;
    Ok(text.to_owned())
}

fn check_tags(value: &Value) -> Result<Value, String> {
    let Value::Array(items) = value else {
        return Err("must be a list of tags".to_owned());
    };
    if items.len() > MAX_TAGS {
        return Err(format!("has {} tags, more than {MAX_TAGS}", items.len()));
    }
    let tags = items
        .iter()
        .map(|item| match item {
            Value::String(tag) if tag.chars().count() <= 40 => Ok(tag.clone()),
            Value::String(_) => Err("has a tag longer than 40 characters".to_owned()),
            _ => Err("must hold text only".to_owned()),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!(clean_tags(tags)))
}

/// `{path}` or `{id, path}`: the path must be a category of the taxonomy, and an id given must
/// be that category's.
fn check_category(value: &Value) -> Result<Value, String> {
    let object = value
        .as_object()
        .ok_or("must be an object with the category's `path`")?;
    if let Some(key) = object
        .keys()
        .find(|k| !["id", "path"].contains(&k.as_str()))
    {
        return Err(format!(
            "has an unknown key `{key}`; it takes `id` and `path`"
        ));
    }
    let path = object
        .get("path")
        .and_then(Value::as_str)
        .ok_or("must have the category's `path` as text")?;
    let category = taxonomy()
        .by_path(path)
        .ok_or_else(|| format!("`{path}` is not a category of the taxonomy"))?;
    match object.get("id") {
        None | Some(Value::Null) => {}
        Some(Value::String(id)) if taxonomy().by_id(id).is_some_and(|c| c == category) => {}
        Some(id) => return Err(format!("id {id} is not the id of `{}`", category.path)),
    }
    Ok(json!({"id": category.id, "path": category.path, "confidence": 1.0}))
}

fn check_attributes(value: &Value) -> Result<Value, String> {
    let Value::Array(items) = value else {
        return Err("must be a list of {name, value} objects".to_owned());
    };
    let mut kept: Vec<Value> = Vec::new();
    for item in items {
        let object = item
            .as_object()
            .ok_or("must hold {name, value} objects only")?;
        if let Some(key) = object
            .keys()
            .find(|k| !["name", "value"].contains(&k.as_str()))
        {
            return Err(format!(
                "has an unknown key `{key}`; each takes `name` and `value`"
            ));
        }
        let name = object.get("name").and_then(Value::as_str).unwrap_or("");
        if !ATTRIBUTE_NAMES.contains(&name) {
            return Err(format!(
                "names `{name}`, not one of {}",
                ATTRIBUTE_NAMES.join(", ")
            ));
        }
        let value = object
            .get("value")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| format!("{name} needs a `value` as text"))?;
        let attribute = json!({"name": name, "value": value, "source": EDITED_SOURCE});
        if !kept.contains(&attribute) {
            kept.push(attribute);
        }
    }
    Ok(Value::Array(kept))
}

/// Overwrites `output`'s locked fields with the person's values in `edits` and lists them in
/// [`EnrichmentOutput::locked`], in [`EDITABLE_FIELDS`] order. `edits` were checked by
/// [`check_edit`] on the way in; a value that no longer fits its field is left out.
pub fn apply_edits(output: &mut EnrichmentOutput, edits: &Map<String, Value>) {
    let mut locked = Vec::new();
    for field in EDITABLE_FIELDS {
        let Some(value) = edits.get(field) else {
            continue;
        };
        let applied = match field {
            "title" => set(&mut output.title, value),
            "description_html" => set(&mut output.description_html, value),
            "seo_title" => set(&mut output.seo_title, value),
            "meta_description" => set(&mut output.meta_description, value),
            "tags" => set(&mut output.tags, value),
            "category" => set(&mut output.category, value),
            "attributes" => set(&mut output.attributes, value),
            _ => false,
        };
        if applied {
            locked.push(field.to_owned());
        }
    }
    output.locked = locked;
}

fn set<T: DeserializeOwned>(slot: &mut T, value: &Value) -> bool {
    match T::deserialize(value) {
        Ok(v) => {
            *slot = v;
            true
        }
        Err(_) => false,
    }
}

/// A stored enrichment `payload` with `edits` laid over it by [`apply_edits`]: how an
/// enrichment made before the latest edit shows them at once. `None` when the payload is not
/// an [`EnrichmentOutput`] (a shape older than the schema), which is then shown as stored.
pub fn edited_payload(payload: &Value, edits: &Map<String, Value>) -> Option<Value> {
    let mut output = EnrichmentOutput::deserialize(payload).ok()?;
    apply_edits(&mut output, edits);
    serde_json::to_value(output).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output() -> EnrichmentOutput {
        let answer = json!({
            "title": "Engine Title",
            "description_html": "<p>Engine text.</p>",
            "category": null,
            "attributes": [],
            "tags": ["engine"],
            "seo_title": "Engine SEO",
            "meta_description": null,
            "quality": {"score": 80, "reasons": []},
            "flags": []
        });
        let facts = super::super::ProductFacts {
            text: vec!["Engine".into()],
            has_image: true,
            has_gtin: true,
            units: Vec::new(),
            improve: Vec::new(),
        };
        super::super::check_answer(&answer.to_string(), &facts).unwrap()
    }

    #[test]
    fn a_title_is_trimmed_and_held_to_150_characters() {
        assert_eq!(
            check_edit("title", &json!("  Lamp ")).unwrap(),
            json!("Lamp")
        );
        let long = "x".repeat(151);
        let error = check_edit("title", &json!(long)).unwrap_err();
        assert!(error.starts_with("`title` is too long"), "{error}");
        assert!(check_edit("title", &json!("  ")).is_err());
        assert!(check_edit("title", &json!(7)).is_err());
    }

    #[test]
    fn a_description_is_sanitized_and_may_be_cleared() {
        assert_eq!(
            check_edit("description_html", &json!("<p onclick=x>Hi</p><script>")).unwrap(),
            json!("&lt;p onclick=x&gt;Hi</p>&lt;script&gt;")
        );
        assert_eq!(
            check_edit("description_html", &json!("<p>Hi</p>")).unwrap(),
            json!("<p>Hi</p>")
        );
        assert_eq!(
            check_edit("description_html", &Value::Null).unwrap(),
            Value::Null
        );
        assert!(check_edit("description_html", &json!(["<p>"])).is_err());
    }

    #[test]
    fn seo_title_and_meta_description_keep_their_limits() {
        assert_eq!(
            check_edit("seo_title", &json!("Brass lamp")).unwrap(),
            json!("Brass lamp")
        );
        assert!(check_edit("seo_title", &json!("x".repeat(61))).is_err());
        assert!(check_edit("seo_title", &Value::Null).is_err());
        assert_eq!(
            check_edit("meta_description", &json!("A lamp.")).unwrap(),
            json!("A lamp.")
        );
        assert_eq!(
            check_edit("meta_description", &Value::Null).unwrap(),
            Value::Null
        );
        assert_eq!(
            check_edit("meta_description", &json!(" ")).unwrap(),
            Value::Null
        );
        let error = check_edit("meta_description", &json!("x".repeat(156))).unwrap_err();
        assert!(error.starts_with("`meta_description`"), "{error}");
    }

    #[test]
    fn tags_are_folded_and_at_most_ten() {
        assert_eq!(
            check_edit("tags", &json!(["Desk  Lamp", "desk lamp", "", "brass"])).unwrap(),
            json!(["desk lamp", "brass"])
        );
        let eleven: Vec<String> = (0..11).map(|i| format!("t{i}")).collect();
        assert!(check_edit("tags", &json!(eleven)).is_err());
        assert!(check_edit("tags", &json!([1])).is_err());
        assert!(check_edit("tags", &json!("lamp")).is_err());
    }

    #[test]
    fn a_category_must_be_in_the_taxonomy_and_is_stored_whole() {
        let path = "Apparel & Accessories > Clothing > Clothing Tops";
        let expected = json!({"id": "gid://shopify/TaxonomyCategory/aa-1-13", "path": path,
                              "confidence": 1.0});
        let spaced = "apparel & accessories>clothing > clothing tops";
        assert_eq!(
            check_edit("category", &json!({"path": spaced})).unwrap(),
            expected
        );
        assert_eq!(
            check_edit("category", &json!({"id": "aa-1-13", "path": path})).unwrap(),
            expected
        );
        let error = check_edit("category", &json!({"path": "Toys > Robots > Lasers"})).unwrap_err();
        assert!(error.contains("not a category of the taxonomy"), "{error}");
        assert!(check_edit("category", &json!({"id": "aa-1", "path": path})).is_err());
        assert!(check_edit("category", &json!({"path": path, "confidence": 1})).is_err());
        assert!(check_edit("category", &json!(path)).is_err());
    }

    #[test]
    fn attributes_are_named_in_the_schema_and_marked_as_edited() {
        assert_eq!(
            check_edit(
                "attributes",
                &json!([{"name": "color", "value": " brass "}])
            )
            .unwrap(),
            json!([{"name": "color", "value": "brass", "source": "edited"}])
        );
        assert!(check_edit("attributes", &json!([{"name": "wattage", "value": "40"}])).is_err());
        assert!(check_edit("attributes", &json!([{"name": "color", "value": ""}])).is_err());
        assert!(
            check_edit(
                "attributes",
                &json!([{"name": "color", "value": "x", "source": "y"}])
            )
            .is_err()
        );
        assert!(check_edit("attributes", &json!({"color": "brass"})).is_err());
    }

    #[test]
    fn a_field_outside_the_list_cannot_be_edited() {
        let error = check_edit("quality", &json!({})).unwrap_err();
        assert!(error.starts_with("`quality` cannot be edited"), "{error}");
    }

    #[test]
    fn edits_overwrite_their_fields_and_are_listed_as_locked() {
        let mut edited = output();
        let edits = json!({
            "tags": ["mine"],
            "title": "My Title",
            "category": check_edit("category", &json!({"path": "Apparel & Accessories"})).unwrap(),
            "unknown": 1,
        });
        apply_edits(&mut edited, edits.as_object().unwrap());
        assert_eq!(edited.title, "My Title");
        assert_eq!(edited.tags, ["mine"]);
        assert_eq!(edited.category.as_ref().unwrap().confidence, 1.0);
        assert_eq!(edited.locked, ["title", "tags", "category"]);
        assert_eq!(
            edited.seo_title,
            output().seo_title,
            "other fields are kept"
        );

        // Without edits nothing is locked any more.
        apply_edits(&mut edited, &Map::new());
        assert!(edited.locked.is_empty());
    }

    #[test]
    fn a_stored_payload_shows_the_edits_and_an_older_shape_is_left_alone() {
        let payload = serde_json::to_value(output()).unwrap();
        let edits = json!({"title": "My Title"});
        let shown = edited_payload(&payload, edits.as_object().unwrap()).unwrap();
        assert_eq!(shown["title"], "My Title");
        assert_eq!(shown["locked"], json!(["title"]));
        assert_eq!(shown["seo_title"], payload["seo_title"]);
        assert!(edited_payload(&json!({"title": "Mug"}), edits.as_object().unwrap()).is_none());
    }
}
