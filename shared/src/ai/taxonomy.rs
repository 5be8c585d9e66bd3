//! The product taxonomy shipped as data: a subset of Shopify's Standard Product
//! Taxonomy (MIT licensed, see `shared/data/taxonomy/LICENSE`).
//!
//! The data file `shared/data/taxonomy/categories.txt` holds every category of depth
//! three or less plus the deeper categories the offline rule table maps to, one
//! `{gid} : {A} > {B} > {C}` line each. It is compiled in and parsed once, on first use.

use std::collections::HashMap;
use std::sync::LazyLock;

/// The data file, compiled in.
const DATA: &str = include_str!("../../data/taxonomy/categories.txt");

/// The prefix every full category id carries.
pub const GID_PREFIX: &str = "gid://shopify/TaxonomyCategory/";

/// The separator between the segments of a category path.
const SEPARATOR: &str = " > ";

/// One category of the taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    /// The full id, e.g. `gid://shopify/TaxonomyCategory/aa-1-13-8`.
    pub id: &'static str,
    /// The full path, e.g. `Apparel & Accessories > Clothing > Clothing Tops > T-Shirts`.
    pub path: &'static str,
}

impl Category {
    /// The id without the `gid://shopify/TaxonomyCategory/` prefix, e.g. `aa-1-13-8`.
    pub fn short_id(&self) -> &'static str {
        self.id.strip_prefix(GID_PREFIX).unwrap_or(self.id)
    }

    /// The number of segments in the path (a top-level vertical has depth 1).
    pub fn depth(&self) -> usize {
        self.path.split(SEPARATOR).count()
    }

    /// The last segment of the path, e.g. `T-Shirts`.
    pub fn name(&self) -> &'static str {
        leaf_name(self.path)
    }
}

/// The parsed taxonomy, with lookups by path and by id.
#[derive(Debug)]
pub struct Taxonomy {
    categories: Vec<Category>,
    by_path: HashMap<String, usize>,
    by_id: HashMap<&'static str, usize>,
}

/// The taxonomy, parsed from the compiled-in data on first use.
pub fn taxonomy() -> &'static Taxonomy {
    static TAXONOMY: LazyLock<Taxonomy> = LazyLock::new(|| Taxonomy::parse(DATA));
    &TAXONOMY
}

/// The last segment of a `A > B > C` path, trimmed.
pub fn leaf_name(path: &str) -> &str {
    path.rsplit('>').next().unwrap_or(path).trim()
}

/// The lookup key of a path: segments trimmed, joined by `" > "`, ASCII lowercase.
fn path_key(path: &str) -> String {
    let segments: Vec<String> = path
        .split('>')
        .map(|segment| segment.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    segments.join(SEPARATOR).to_ascii_lowercase()
}

impl Taxonomy {
    /// Parses `{gid} : {path}` lines; blank lines and `#` comments are skipped. A malformed
    /// line, or a repeated id or path, is skipped too: the data is compiled in, and the tests
    /// check that every line of it becomes exactly one category.
    fn parse(data: &'static str) -> Taxonomy {
        let mut taxonomy = Taxonomy {
            categories: Vec::new(),
            by_path: HashMap::new(),
            by_id: HashMap::new(),
        };
        for line in data.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((id, path)) = line.split_once(" : ") else {
                continue;
            };
            let (id, path) = (id.trim(), path.trim());
            let key = path_key(path);
            if !id.starts_with(GID_PREFIX)
                || id.len() == GID_PREFIX.len()
                || path.is_empty()
                || taxonomy.by_id.contains_key(id)
                || taxonomy.by_path.contains_key(&key)
            {
                continue;
            }
            let index = taxonomy.categories.len();
            taxonomy.by_id.insert(id, index);
            taxonomy.by_path.insert(key, index);
            taxonomy.categories.push(Category { id, path });
        }
        taxonomy
    }

    /// The number of categories.
    pub fn len(&self) -> usize {
        self.categories.len()
    }

    /// Whether the taxonomy holds no category (never, for the compiled-in data).
    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
    }

    /// Every category, in file order (sorted by path).
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The category at exactly `path`, ignoring surrounding and repeated whitespace,
    /// whitespace around `>`, and ASCII case.
    pub fn by_path(&self, path: &str) -> Option<&Category> {
        self.by_path
            .get(&path_key(path))
            .map(|&index| &self.categories[index])
    }

    /// The category with this id: the full gid or the short id (e.g. `aa-1-13-8`).
    pub fn by_id(&self, id: &str) -> Option<&Category> {
        let id = id.trim();
        let short = id.strip_prefix(GID_PREFIX).unwrap_or(id);
        let full = format!("{GID_PREFIX}{short}");
        self.by_id
            .get(full.as_str())
            .map(|&index| &self.categories[index])
    }

    /// The category at `path`, else its deepest known ancestor, with the number of
    /// trailing segments dropped to reach it (0 for an exact match). `None` when not
    /// even the first segment is a known vertical.
    pub fn nearest(&self, path: &str) -> Option<(&Category, usize)> {
        let segments: Vec<&str> = path.split('>').collect();
        (1..=segments.len()).rev().find_map(|keep| {
            self.by_path(&segments[..keep].join(">"))
                .map(|category| (category, segments.len() - keep))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_data_parses_completely_and_is_a_sizeable_tree() {
        let taxonomy = taxonomy();
        let lines = DATA
            .lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
            .count();
        assert_eq!(taxonomy.len(), lines);
        assert!(taxonomy.len() > 500, "only {} categories", taxonomy.len());
        assert!(!taxonomy.is_empty());
        let ids: HashSet<_> = taxonomy.categories().iter().map(|c| c.id).collect();
        let paths: HashSet<_> = taxonomy.categories().iter().map(|c| c.path).collect();
        assert_eq!(ids.len(), taxonomy.len());
        assert_eq!(paths.len(), taxonomy.len());
    }

    #[test]
    fn every_category_has_its_parent_and_every_shallow_level_is_present() {
        let taxonomy = taxonomy();
        for category in taxonomy.categories() {
            if let Some((parent, _)) = category.path.rsplit_once(SEPARATOR) {
                let parent = taxonomy.by_path(parent);
                assert!(parent.is_some(), "no parent for {}", category.path);
                if let Some(parent) = parent {
                    assert!(
                        category
                            .short_id()
                            .starts_with(&format!("{}-", parent.short_id())),
                        "{} is not under {}",
                        category.id,
                        parent.id
                    );
                }
            }
        }
        let depth = |d: usize| {
            taxonomy
                .categories()
                .iter()
                .filter(|c| c.depth() == d)
                .count()
        };
        assert!(depth(1) >= 20);
        assert!(depth(3) > depth(2));
    }

    #[test]
    fn looks_up_by_path_in_odd_casing_and_spacing() {
        let taxonomy = taxonomy();
        let tees = taxonomy
            .by_path("  apparel & ACCESSORIES>clothing >  Clothing Tops  >   t-shirts ")
            .map(|c| c.id);
        assert_eq!(tees, Some("gid://shopify/TaxonomyCategory/aa-1-13-8"));
        let vertical = taxonomy.by_path("ELECTRONICS").map(|c| c.path);
        assert_eq!(vertical, Some("Electronics"));
        assert!(
            taxonomy
                .by_path("Apparel & Accessories > Spacesuits")
                .is_none()
        );
        assert!(taxonomy.by_path("").is_none());
    }

    #[test]
    fn looks_up_by_full_and_short_id() {
        let taxonomy = taxonomy();
        let full = taxonomy.by_id("gid://shopify/TaxonomyCategory/aa-1-13-8");
        let short = taxonomy.by_id(" aa-1-13-8 ");
        assert_eq!(full, short);
        let category = full.map(|c| (c.path, c.short_id(), c.name(), c.depth()));
        assert_eq!(
            category,
            Some((
                "Apparel & Accessories > Clothing > Clothing Tops > T-Shirts",
                "aa-1-13-8",
                "T-Shirts",
                4
            ))
        );
        assert!(taxonomy.by_id("zz-99").is_none());
        assert!(taxonomy.by_id(GID_PREFIX).is_none());
    }

    #[test]
    fn nearest_falls_back_to_the_deepest_known_ancestor() {
        let taxonomy = taxonomy();
        let exact = taxonomy
            .nearest("Apparel & Accessories > Clothing")
            .map(|(c, dropped)| (c.path, dropped));
        assert_eq!(exact, Some(("Apparel & Accessories > Clothing", 0)));
        let deeper = taxonomy
            .nearest("apparel & accessories > clothing > Moon Boots > Left Boot")
            .map(|(c, dropped)| (c.path, dropped));
        assert_eq!(deeper, Some(("Apparel & Accessories > Clothing", 2)));
        assert!(taxonomy.nearest("Spaceships > Rockets").is_none());
    }

    #[test]
    fn parse_skips_comments_malformed_lines_and_repeats() {
        let parsed = Taxonomy::parse(
            "# comment\n\ngid://shopify/TaxonomyCategory/a : A\nno separator\n\
             gid://shopify/TaxonomyCategory/a : B\ngid://shopify/TaxonomyCategory/b :  a \n\
             other : C\ngid://shopify/TaxonomyCategory/ : D\n",
        );
        let paths: Vec<_> = parsed.categories().iter().map(|c| c.path).collect();
        assert_eq!(paths, ["A"]);
    }

    #[test]
    fn leaf_name_is_the_trimmed_last_segment() {
        assert_eq!(leaf_name("Home & Garden > Lighting > Lamps"), "Lamps");
        assert_eq!(leaf_name(" Electronics "), "Electronics");
        assert_eq!(leaf_name("A>B "), "B");
    }
}
