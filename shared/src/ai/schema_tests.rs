use serde_json::json;

use super::*;

fn facts() -> ProductFacts {
    ProductFacts {
        text: vec![
            "ACME organic cotton tee, NAVY BLUE".into(),
            "Soft tee in 100% organic cotton. Machine wash.".into(),
            "Acme".into(),
        ],
        has_image: true,
        has_gtin: false,
        units: Vec::new(),
        improve: vec!["size".into()],
    }
}

fn answer() -> serde_json::Value {
    json!({
        "title": "Acme Organic Cotton Tee – Navy Blue",
        "description_html": "<p>Soft tee in 100% organic cotton.</p><ul><li>Machine wash</li></ul>",
        "category": {"path": "Apparel & Accessories > Clothing > Clothing Tops", "confidence": 0.9},
        "attributes": [
            {"name": "color", "value": "navy blue", "source": "NAVY   BLUE"},
            {"name": "material", "value": "organic cotton", "source": "organic cotton"}
        ],
        "tags": ["Tee", "organic cotton", "tee", ""],
        "seo_title": "Acme Organic Cotton Tee, Navy Blue",
        "meta_description": "A soft tee in 100% organic cotton.",
        "quality": {"score": 84, "reasons": [{"code": "size_missing", "message": "Add sizes."}]},
        "flags": [{"code": "missing_image", "reason": "no image seen"},
                  {"code": "price_looks_wrong", "reason": "0.01 is too cheap for a tee"}]
    })
}

fn check(value: &serde_json::Value) -> Result<EnrichmentOutput, String> {
    check_answer(&value.to_string(), &facts())
}

#[test]
fn a_good_answer_is_kept_with_grade_tags_and_flags_settled_by_facts() {
    let out = check(&answer()).unwrap();
    assert_eq!(out.title, "Acme Organic Cotton Tee – Navy Blue");
    assert_eq!(out.quality.score, 84);
    assert_eq!(out.quality.grade, "B");
    assert_eq!(out.quality.improve, ["size"]);
    assert_eq!(out.tags, ["tee", "organic cotton"]);
    assert_eq!(out.attributes.len(), 2);
    let category = out.category.unwrap();
    assert_eq!(
        category.path,
        "Apparel & Accessories > Clothing > Clothing Tops"
    );
    assert!(
        category
            .id
            .starts_with("gid://shopify/TaxonomyCategory/aa-"),
        "{}",
        category.id
    );
    // The product has an image: the model's flag is overruled; the missing GTIN is a fact.
    let codes: Vec<&str> = out.flags.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["missing_gtin", "price_looks_wrong"]);
    assert!(out.checks.is_empty(), "{:?}", out.checks);
}

#[test]
fn an_attribute_whose_source_is_not_in_the_product_is_dropped_and_noted() {
    let mut value = answer();
    value["attributes"] = json!([
        {"name": "color", "value": "navy blue", "source": "NAVY BLUE"},
        {"name": "material", "value": "silk", "source": "pure silk"},
        {"name": "size", "value": "XL", "source": ""}
    ]);
    let out = check(&value).unwrap();
    let kept: Vec<&str> = out.attributes.iter().map(|a| a.value.as_str()).collect();
    assert_eq!(kept, ["navy blue"]);
    assert_eq!(out.checks.len(), 2, "{:?}", out.checks);
    assert!(out.checks[0].contains("pure silk"), "{:?}", out.checks);
}

#[test]
fn a_category_outside_the_taxonomy_is_dropped_or_cut_to_a_known_ancestor() {
    let mut value = answer();
    value["category"] = json!({"path": "Gadgets > Widgets", "confidence": 0.8});
    let out = check(&value).unwrap();
    assert_eq!(out.category, None);
    assert!(
        out.checks[0].contains("not in the taxonomy"),
        "{:?}",
        out.checks
    );

    value["category"] = json!({
        "path": "Apparel & Accessories > Clothing > Clothing Tops > Imaginary Tees",
        "confidence": 0.9
    });
    let out = check(&value).unwrap();
    let category = out.category.unwrap();
    assert_eq!(
        category.path,
        "Apparel & Accessories > Clothing > Clothing Tops"
    );
    assert_eq!(category.confidence, 0.72);
}

#[test]
fn schema_violations_reject_the_whole_answer() {
    let cases: Vec<(serde_json::Value, &str)> = vec![
        (json!({"title": "x"}), "does not match the schema"),
        (
            with(answer(), "extra", json!(1)),
            "does not match the schema",
        ),
        (with(answer(), "title", json!("   ")), "title is empty"),
        (
            with(answer(), "title", json!("x".repeat(151))),
            "more than 150",
        ),
        (
            with(answer(), "seo_title", json!("x".repeat(61))),
            "more than 60",
        ),
        (
            with(answer(), "meta_description", json!("x".repeat(156))),
            "more than 155",
        ),
        (
            with(answer(), "quality", json!({"score": 101, "reasons": []})),
            "outside 0–100",
        ),
        (
            with(
                answer(),
                "category",
                json!({"path": "Apparel & Accessories", "confidence": 7}),
            ),
            "confidence 7",
        ),
        (
            with(
                answer(),
                "attributes",
                json!([{"name": "mood", "value": "x", "source": "tee"}]),
            ),
            "not in the schema",
        ),
        (
            with(answer(), "flags", json!([{"code": "ugly", "reason": "x"}])),
            "not in the schema",
        ),
    ];
    for (value, expected) in cases {
        let err = check(&value).unwrap_err();
        assert!(err.contains(expected), "{expected}: {err}");
    }
    assert!(check_answer("not json", &facts()).is_err());
}

#[test]
fn the_description_is_made_html_safe() {
    let value = with(
        answer(),
        "description_html",
        json!("<p onclick=\"steal()\">Soft</p><script>alert(1)</script>"),
    );
    let out = check(&value).unwrap();
    let html = out.description_html.unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<p onclick"),
        "{html}"
    );
}

#[test]
fn the_schema_is_strict_every_property_required_and_closed() {
    let schema = answer_schema();
    fn walk(node: &serde_json::Value) {
        if let Some(props) = node.get("properties").and_then(|p| p.as_object()) {
            assert_eq!(node["additionalProperties"], false, "{node}");
            let required: Vec<&str> = node["required"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            for (name, child) in props {
                assert!(required.contains(&name.as_str()), "{name} not required");
                walk(child);
            }
        }
        if let Some(items) = node.get("items") {
            walk(items);
        }
    }
    walk(&schema);
    let good = answer();
    assert!(check(&good).is_ok());
}

#[test]
fn grades_follow_akeneos_thresholds() {
    let grades: Vec<String> = [100, 90, 89, 80, 79, 70, 69, 60, 59, 0]
        .into_iter()
        .map(grade)
        .collect();
    assert_eq!(grades, ["A", "A", "B", "B", "C", "C", "D", "D", "E", "E"]);
}

fn with(mut value: serde_json::Value, key: &str, new: serde_json::Value) -> serde_json::Value {
    value[key] = new;
    value
}
