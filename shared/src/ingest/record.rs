//! What every feed format turns into, and what every feed kind's mapper reads: a header and
//! rows of text cells. A CSV row is its cells; a JSON object is flattened into them (see
//! [`crate::ingest::source`]); a sheet row is its cells as displayed.

use std::fmt;

/// One data row of a feed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// 1-based position of the row in the file, as a partner would find it: the physical line
    /// where a CSV record starts (header = line 1), the line of an NDJSON object, the index of
    /// an object in a JSON array (first = 1), the sheet row number in XLSX.
    pub line: u64,
    /// Cells in header order. May be shorter or longer than the header (a ragged CSV row): the
    /// mapper reports that, it is not the source's business.
    pub values: Vec<String>,
    /// Cells whose column is not in the header: keys a JSON object has that the first object
    /// did not. Kept, never dropped.
    pub extra: Vec<(String, String)>,
}

/// What a feed holds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FeedKind {
    /// Products, variants included.
    Products,
    /// Stock levels per SKU and location.
    Inventory,
    /// Orders with their lines.
    Orders,
}

impl FeedKind {
    /// The folder for a file whose kind its header tells (`ingest/{tenant}/auto/…`): it names
    /// no kind, so detection decides, and a profile folder can still follow it.
    pub const AUTO_SEGMENT: &'static str = "auto";

    /// Every kind, in the order they are tried.
    pub const ALL: [FeedKind; 3] = [FeedKind::Products, FeedKind::Inventory, FeedKind::Orders];

    /// The kind a path segment names (`ingest/{tenant}/{kind}/…`): `products`, `inventory`,
    /// `orders` (singular accepted too).
    pub fn from_path_segment(segment: &str) -> Option<Self> {
        match segment.to_ascii_lowercase().as_str() {
            "products" | "product" | "catalog" | "catalogue" => Some(FeedKind::Products),
            "inventory" | "stock" => Some(FeedKind::Inventory),
            "orders" | "order" => Some(FeedKind::Orders),
            _ => None,
        }
    }

    /// The name used in paths, reports and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedKind::Products => "products",
            FeedKind::Inventory => "inventory",
            FeedKind::Orders => "orders",
        }
    }
}

impl fmt::Display for FeedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
