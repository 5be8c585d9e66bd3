//! The word lists the offline engine reads, kept as plain const data so they can be reviewed
//! and extended without touching the rules that use them.
//!
//! Entries are lower-case. In a multi-word entry a space or hyphen matches either ("off white"
//! matches "Off-White"); a "/" or "'" must appear as written ("s/m", "chef's knife").

/// When a dictionary word may be taken at face value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Always: the word has no common other meaning in product text ("navy blue", "XL").
    None,
    /// Only after a label ("Colour: cream", "Size M") or alone in a title segment
    /// ("Linen Shirt - Cream", "Tee (M)"): the word also has an everyday meaning.
    LabelOrSegment,
    /// Only after a label: the word is also a common flavour or scent ("Candle - Lavender").
    LabelOnly,
    /// Only when the next word is one of these ("check shirt", not "check out").
    Before(&'static [&'static str]),
}

/// A dictionary entry: the text to look for and the value it stands for.
#[derive(Debug, Clone, Copy)]
pub struct Term {
    /// The entry as it appears in product text, lower-case.
    pub text: &'static str,
    /// The canonical value reported when it is found.
    pub canonical: &'static str,
    /// What else must be true before the match counts.
    pub context: Context,
}

const fn term(text: &'static str, canonical: &'static str) -> Term {
    Term {
        text,
        canonical,
        context: Context::None,
    }
}

const fn seg(text: &'static str, canonical: &'static str) -> Term {
    Term {
        text,
        canonical,
        context: Context::LabelOrSegment,
    }
}

const fn label(text: &'static str, canonical: &'static str) -> Term {
    Term {
        text,
        canonical,
        context: Context::LabelOnly,
    }
}

/// Colour names with British canonical spelling ("grey", "multicolour").
#[rustfmt::skip]
pub const COLOURS: &[Term] = &[
    term("black", "black"), term("jet black", "black"), term("white", "white"),
    term("off white", "off-white"), term("ivory", "ivory"), seg("cream", "cream"),
    term("beige", "beige"), seg("tan", "tan"), seg("camel", "camel"), term("khaki", "khaki"),
    term("brown", "brown"), term("dark brown", "dark brown"), term("light brown", "light brown"),
    term("chocolate brown", "chocolate brown"), label("chocolate", "chocolate brown"),
    term("grey", "grey"), term("gray", "grey"), term("light grey", "light grey"),
    term("light gray", "light grey"), term("dark grey", "dark grey"),
    term("dark gray", "dark grey"), seg("charcoal", "charcoal"), term("charcoal grey", "charcoal"),
    term("charcoal gray", "charcoal"), seg("silver", "silver"), seg("gold", "gold"),
    term("rose gold", "rose gold"), term("red", "red"), term("dark red", "dark red"),
    term("burgundy", "burgundy"), term("maroon", "maroon"), term("wine red", "wine red"),
    label("wine", "wine red"), term("pink", "pink"), term("light pink", "light pink"),
    term("hot pink", "hot pink"), term("blush pink", "blush pink"), label("rose", "rose"),
    seg("coral", "coral"), label("peach", "peach"), term("orange", "orange"), seg("rust", "rust"),
    term("yellow", "yellow"), term("mustard yellow", "mustard"), seg("mustard", "mustard"),
    term("green", "green"), term("dark green", "dark green"), term("light green", "light green"),
    term("forest green", "forest green"), term("bottle green", "bottle green"),
    term("olive green", "olive"), seg("olive", "olive"), term("mint green", "mint"),
    label("mint", "mint"), term("sage green", "sage"), label("sage", "sage"),
    term("emerald green", "emerald"), seg("emerald", "emerald"), term("lime green", "lime"),
    label("lime", "lime"), term("teal", "teal"), term("turquoise", "turquoise"),
    seg("aqua", "aqua"), term("cyan", "cyan"), term("blue", "blue"),
    term("light blue", "light blue"), term("dark blue", "dark blue"), term("sky blue", "sky blue"),
    term("baby blue", "baby blue"), term("royal blue", "royal blue"),
    term("cobalt blue", "cobalt blue"), term("navy", "navy blue"), term("navy blue", "navy blue"),
    term("indigo", "indigo"), term("purple", "purple"), term("lilac", "lilac"),
    label("lavender", "lavender"), term("violet", "violet"), label("plum", "plum"),
    term("magenta", "magenta"), term("fuchsia", "fuchsia"), seg("nude", "nude"),
    term("taupe", "taupe"), seg("stone", "stone"), seg("sand", "sand"), seg("champagne", "champagne"),
    term("multicolour", "multicolour"), term("multicolor", "multicolour"),
    term("multicoloured", "multicolour"), term("multicolored", "multicolour"),
    term("multi colour", "multicolour"), term("multi color", "multicolour"),
];

/// Words right after a colour word that show it names a food, drink or scent instead
/// ("white wine", "green tea", "black pepper", "orange scented").
#[rustfmt::skip]
pub const COLOUR_NOT_BEFORE: &[&str] = &[
    "wine", "wines", "tea", "teas", "pepper", "peppers", "peppercorns", "sugar", "rice", "bread",
    "chocolate", "onion", "onions", "beans", "lentils", "cabbage", "currant", "currants", "grapes",
    "salt", "juice", "zest", "peel", "marmalade", "cheese", "sauce", "vinegar", "pudding", "label",
    "friday", "noise", "goods", "gin", "ale", "beer", "lager", "scented", "scent", "flavour",
    "flavor", "flavoured", "flavored", "fragrance",
];

/// Words that label a colour ("Colour: olive").
#[rustfmt::skip]
pub const COLOUR_LABELS: &[&str] = &[
    "colour", "color", "colours", "colors", "colourway", "colorway", "shade",
];

/// Materials, canonical lower-case except acronyms ("aluminum" is reported as "aluminium").
#[rustfmt::skip]
pub const MATERIALS: &[Term] = &[
    term("cotton", "cotton"), term("organic cotton", "organic cotton"),
    term("egyptian cotton", "egyptian cotton"), term("linen", "linen"), term("hemp", "hemp"),
    term("wool", "wool"), term("merino", "merino wool"), term("merino wool", "merino wool"),
    term("lambswool", "lambswool"), term("cashmere", "cashmere"), term("alpaca", "alpaca"),
    term("mohair", "mohair"), term("silk", "silk"), term("satin", "satin"),
    term("velvet", "velvet"), term("chiffon", "chiffon"), seg("lace", "lace"),
    term("tweed", "tweed"), term("corduroy", "corduroy"), term("denim", "denim"),
    term("fleece", "fleece"), label("jersey", "jersey"), term("polyester", "polyester"),
    term("recycled polyester", "recycled polyester"), term("nylon", "nylon"),
    term("elastane", "elastane"), term("spandex", "elastane"), term("lycra", "elastane"),
    term("viscose", "viscose"), term("modal", "modal"), term("lyocell", "lyocell"),
    term("tencel", "lyocell"), term("acrylic", "acrylic"), term("microfibre", "microfibre"),
    term("microfiber", "microfibre"), term("leather", "leather"),
    term("genuine leather", "leather"), term("full grain leather", "full-grain leather"),
    term("patent leather", "patent leather"), term("faux leather", "faux leather"),
    term("vegan leather", "faux leather"), term("pu leather", "faux leather"),
    term("synthetic leather", "faux leather"), term("suede", "suede"),
    term("faux suede", "faux suede"), term("nubuck", "nubuck"), term("faux fur", "faux fur"),
    term("sheepskin", "sheepskin"), term("bamboo", "bamboo"), term("cork", "cork"),
    term("jute", "jute"), term("rattan", "rattan"), term("wicker", "wicker"), term("wood", "wood"),
    term("wooden", "wood"), term("solid wood", "solid wood"), term("oak", "oak"),
    term("solid oak", "oak"), seg("walnut", "walnut"), term("solid walnut", "walnut"),
    label("pine", "pine"), term("solid pine", "pine"), term("pine wood", "pine"),
    term("teak", "teak"), term("acacia", "acacia"), term("mango wood", "mango wood"),
    term("beech", "beech"), term("plywood", "plywood"), term("mdf", "MDF"),
    term("marble", "marble"), term("granite", "granite"), term("concrete", "concrete"),
    term("terracotta", "terracotta"), term("ceramic", "ceramic"), term("porcelain", "porcelain"),
    term("stoneware", "stoneware"), term("earthenware", "earthenware"), term("glass", "glass"),
    term("tempered glass", "tempered glass"), term("borosilicate glass", "borosilicate glass"),
    term("stainless steel", "stainless steel"), term("steel", "steel"),
    term("carbon steel", "carbon steel"), term("cast iron", "cast iron"), label("iron", "iron"),
    term("aluminium", "aluminium"), term("aluminum", "aluminium"), term("copper", "copper"),
    term("brass", "brass"), term("titanium", "titanium"),
    term("sterling silver", "sterling silver"), term("925 silver", "sterling silver"),
    term("gold plated", "gold-plated"), term("silver plated", "silver-plated"),
    term("solid gold", "gold"), term("rubber", "rubber"), term("silicone", "silicone"),
    term("latex", "latex"), term("neoprene", "neoprene"), term("plastic", "plastic"),
    term("pvc", "PVC"), term("canvas", "canvas"), term("canvas print", "canvas"),
    term("memory foam", "memory foam"),
];

/// Words right after a material that show the product is not made of it
/// ("leather-free", "wood effect", "gold tone", "leather cleaner").
#[rustfmt::skip]
pub const MATERIAL_NOT_BEFORE: &[&str] = &[
    "free", "look", "effect", "style", "finish", "print", "printed", "pattern", "tone", "toned",
    "coloured", "colored", "care", "cleaner", "conditioner", "polish", "repair", "protector",
    "balm", "remover", "scent", "scented",
];

/// Words right before a material that negate it ("imitation suede", "non-leather").
#[rustfmt::skip]
pub const MATERIAL_NOT_AFTER: &[&str] = &[
    "faux", "imitation", "fake", "artificial", "synthetic", "non", "no", "without",
];

/// Words that label a material ("Material: walnut").
pub const MATERIAL_LABELS: &[&str] = &["material", "materials", "fabric", "composition", "wood"];

/// Letter sizes as single tokens; the clean-up upper-cases them in titles.
#[rustfmt::skip]
pub const LETTER_SIZES: &[&str] = &[
    "xxs", "xs", "s", "m", "l", "xl", "xxl", "xxxl", "xxxxl", "2xl", "3xl", "4xl", "5xl", "s/m",
    "m/l", "l/xl", "xs/s", "xl/xxl",
];

/// Sizes by name. Lone "S", "M", "L" and the words small/medium/large need a label or a
/// segment of their own ("Tee - M", "(L)"): they are too common in ordinary text.
#[rustfmt::skip]
pub const SIZES: &[Term] = &[
    term("xxs", "XXS"), term("xs", "XS"), seg("s", "S"), seg("m", "M"), seg("l", "L"),
    term("xl", "XL"), term("xxl", "XXL"), term("xxxl", "3XL"), term("xxxxl", "4XL"),
    term("2xl", "XXL"), term("3xl", "3XL"), term("4xl", "4XL"), term("5xl", "5XL"),
    term("xs/s", "XS/S"), term("s/m", "S/M"), term("m/l", "M/L"), term("l/xl", "L/XL"),
    term("xl/xxl", "XL/XXL"), term("x-small", "XS"), term("x-large", "XL"), term("xx-large", "XXL"),
    seg("extra small", "XS"), seg("extra large", "XL"), seg("small", "S"), seg("medium", "M"),
    seg("large", "L"), term("one size", "One Size"), term("king size", "King"),
    term("super king size", "Super King"), term("super king", "Super King"),
    term("queen size", "Queen"),
];

/// Words that label a size ("Size: M", "Sizes S").
pub const SIZE_LABELS: &[&str] = &["size", "sizes"];

/// Size systems written before a number ("Size UK 8", "EU size 42").
pub const SIZE_REGIONS: &[&str] = &["uk", "us", "eu", "fr", "it", "au", "jp"];

/// Acronyms and brand-style spellings kept exactly like this when a title is re-cased.
#[rustfmt::skip]
pub const ACRONYMS: &[&str] = &[
    "USB", "USB-C", "USB-A", "Type-C", "LED", "LCD", "OLED", "QLED", "HDMI", "HD", "UHD", "FHD",
    "HDR", "TV", "PC", "GPS", "NFC", "SIM", "SD", "microSD", "SSD", "HDD", "RAM", "CPU", "GPU",
    "DVD", "CD", "VR", "AI", "RGB", "AC", "DC", "AA", "AAA", "LTE", "3G", "4G", "5G", "4K", "8K",
    "Wi-Fi", "WiFi", "Qi", "DAB", "FM", "UV", "UPF", "SPF", "BPA", "PVC", "PU", "MDF", "DIY", "BBQ",
    "ID", "UK", "US", "USA", "EU", "iPhone", "iPad", "iPod", "iMac", "MacBook", "AirPods",
];

/// Small words kept lower-case inside a re-cased title.
#[rustfmt::skip]
pub const SMALL_WORDS: &[&str] = &[
    "a", "an", "and", "or", "nor", "of", "the", "for", "with", "in", "on", "to", "at", "by", "per",
    "vs",
];

/// Units written after a number, with their canonical spelling. The flag says whether the unit
/// may also stand as its own word after the number ("2.5 kg"); single letters that are also
/// sizes or words ("10 M") only count glued to the number ("10m").
#[rustfmt::skip]
pub const UNITS: &[(&str, &str, bool)] = &[
    ("ml", "ml", true), ("cl", "cl", true), ("l", "L", true), ("ltr", "L", true), ("g", "g", true),
    ("kg", "kg", true), ("mg", "mg", true), ("oz", "oz", true), ("fl", "fl", true),
    ("lb", "lb", true), ("lbs", "lbs", true), ("mm", "mm", true), ("cm", "cm", true),
    ("m", "m", false), ("km", "km", true), ("in", "in", false), ("ft", "ft", true),
    ("kb", "KB", true), ("mb", "MB", true), ("gb", "GB", true), ("tb", "TB", true),
    ("w", "W", true), ("kw", "kW", true), ("v", "V", true), ("mah", "mAh", true),
    ("ah", "Ah", true), ("wh", "Wh", true), ("hz", "Hz", true), ("khz", "kHz", true),
    ("mhz", "MHz", true), ("ghz", "GHz", true), ("db", "dB", true), ("mp", "MP", true),
    ("lm", "lm", true), ("p", "p", false), ("k", "K", false), ("x", "x", true),
    ("pcs", "pcs", true), ("pc", "pc", false), ("pk", "pk", false), ("st", "st", false),
    ("nd", "nd", false), ("rd", "rd", false), ("th", "th", false),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn all_terms() -> impl Iterator<Item = &'static Term> {
        COLOURS.iter().chain(MATERIALS).chain(SIZES)
    }

    #[test]
    fn entries_are_lower_case_trimmed_and_unique_within_their_list() {
        for list in [COLOURS, MATERIALS, SIZES] {
            let mut texts: Vec<&str> = list.iter().map(|t| t.text).collect();
            assert!(
                texts
                    .iter()
                    .all(|t| *t == t.trim() && *t == t.to_lowercase())
            );
            texts.sort_unstable();
            texts.dedup();
            assert_eq!(texts.len(), list.len());
        }
        let words = [
            COLOUR_NOT_BEFORE,
            COLOUR_LABELS,
            MATERIAL_NOT_BEFORE,
            MATERIAL_NOT_AFTER,
            MATERIAL_LABELS,
            LETTER_SIZES,
            SIZE_LABELS,
            SIZE_REGIONS,
            SMALL_WORDS,
        ];
        assert!(words.concat().iter().all(|w| *w == w.to_lowercase()));
    }

    #[test]
    fn every_term_has_a_canonical_value() {
        assert!(all_terms().all(|t| !t.canonical.trim().is_empty()));
    }

    #[test]
    fn grey_and_gray_and_both_aluminiums_share_a_canonical_spelling() {
        let canonical =
            |list: &[Term], text: &str| list.iter().find(|t| t.text == text).map(|t| t.canonical);
        assert_eq!(canonical(COLOURS, "gray"), Some("grey"));
        assert_eq!(canonical(MATERIALS, "aluminum"), Some("aluminium"));
    }

    #[test]
    fn units_map_from_lower_case_and_acronyms_are_unique() {
        assert!(UNITS.iter().all(|(u, _, _)| *u == u.to_lowercase()));
        let mut acronyms: Vec<String> = ACRONYMS.iter().map(|a| a.to_lowercase()).collect();
        acronyms.sort_unstable();
        acronyms.dedup();
        assert_eq!(acronyms.len(), ACRONYMS.len());
    }
}
