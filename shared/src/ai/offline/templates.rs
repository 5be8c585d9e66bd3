//! Which attributes a product's category is expected to have (Akeneo-style completeness), by
//! taxonomy vertical: the first segment of the category path. Handles are Shopify taxonomy
//! attribute handles, as in `Attribute::name`.

use super::Attribute;

/// Expected attributes per vertical; anything else (or no category) expects [`DEFAULT`].
#[rustfmt::skip]
pub const TEMPLATES: &[(&str, &[&str])] = &[
    ("Apparel & Accessories", &["color", "size", "material", "target_gender"]),
    ("Home & Garden", &["color", "material"]),
    ("Furniture", &["color", "material"]),
    ("Health & Beauty", &[]),
    ("Sporting Goods", &["color", "size"]),
];

/// What a product in any other vertical, or with no category, is expected to name.
pub const DEFAULT: &[&str] = &["color"];

/// The attributes expected for `category_path`, by its vertical.
pub fn expected(category_path: Option<&str>) -> &'static [&'static str] {
    let vertical = category_path
        .and_then(|p| p.split('>').next())
        .map(str::trim);
    TEMPLATES
        .iter()
        .find(|(name, _)| Some(*name) == vertical)
        .map_or(DEFAULT, |(_, handles)| handles)
}

/// The expected attribute handles missing from `attributes`, in template order.
pub fn improve(category_path: Option<&str>, attributes: &[Attribute]) -> Vec<String> {
    expected(category_path)
        .iter()
        .filter(|handle| !attributes.iter().any(|a| a.name == **handle))
        .map(|handle| (*handle).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(name: &str) -> Attribute {
        Attribute {
            name: name.into(),
            value: "v".into(),
            source: "v".into(),
        }
    }

    #[test]
    fn apparel_expects_color_size_material_and_target_gender() {
        let path = Some("Apparel & Accessories > Clothing > Shirts & Tops");
        assert_eq!(
            improve(path, &[attr("color"), attr("material")]),
            ["size", "target_gender"]
        );
    }

    #[test]
    fn the_vertical_decides_and_unknown_or_missing_categories_expect_color() {
        assert_eq!(expected(Some("Furniture > Tables")), ["color", "material"]);
        assert!(improve(Some("Health & Beauty > Skin Care"), &[]).is_empty());
        assert_eq!(expected(Some("Toys & Games > Puzzles")), DEFAULT);
        assert_eq!(improve(None, &[]), ["color"]);
        assert!(improve(None, &[attr("color")]).is_empty());
    }

    #[test]
    fn template_handles_are_attribute_names_the_engine_reports() {
        let known = [
            "color",
            "size",
            "material",
            "pattern",
            "target_gender",
            "age_group",
        ];
        let all = TEMPLATES.iter().flat_map(|(_, h)| h.iter()).chain(DEFAULT);
        assert!(all.into_iter().all(|h| known.contains(h)));
    }
}
