//! The category rule table (which head nouns point to which taxonomy path) and the word lists
//! that decide what counts as a title's head noun.
//!
//! Paths are categories of Shopify's Standard Product Taxonomy, as shipped in
//! `shared/data/taxonomy/categories.txt` (see [`crate::ai::taxonomy`]).
//! Keywords are product head nouns, singular where the plural only adds "s"/"es" (the matcher
//! accepts both); irregular plurals are listed. Words that name many different products
//! ("case", "bag", "set", "top", "cap", "purse") are deliberately absent: a rule must be able to
//! say what the product is on its own. Hints only support a rule when they appear in the
//! partner's own category text ("Footwear", "Kitchen").

use super::dictionaries::{COLOURS, MATERIALS, SIZES, Term, UNITS};

/// One row of the rule table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// The taxonomy path this rule assigns.
    pub path: &'static str,
    /// Head nouns, separated by "|".
    pub keywords: &'static str,
    /// Department words that support the rule in a partner category, separated by "|".
    pub hints: &'static str,
}

const fn rule(path: &'static str, keywords: &'static str, hints: &'static str) -> Rule {
    Rule {
        path,
        keywords,
        hints,
    }
}

/// The rules, one per taxonomy path.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    rule("Apparel & Accessories > Clothing > Clothing Tops > T-Shirts",
        "t-shirt|tshirt|tee",
        "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops > Shirts", "shirt", "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops > Blouses", "blouse", "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops > Polos", "polo shirt", "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops > Tank Tops",
        "tank top|vest top",
        "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops > Tunics", "tunic", "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops", "crop top|camisole", "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops > Hoodies",
        "hoodie",
        "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops > Sweatshirts",
        "sweatshirt",
        "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops > Sweaters",
        "jumper|sweater|pullover",
        "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Clothing Tops > Cardigans",
        "cardigan",
        "tops|clothing|apparel|menswear|womenswear|knitwear"),
    rule("Apparel & Accessories > Clothing > Outerwear > Coats & Jackets",
        "jacket|coat|parka|anorak|gilet|raincoat|blazer|puffer|windbreaker|overcoat",
        "outerwear|clothing"),
    rule("Apparel & Accessories > Clothing > Pants",
        "trousers|jeans|chinos|joggers|leggings|sweatpants|tracksuit bottoms|cargo pants",
        "bottoms|pants|denim|clothing"),
    rule("Apparel & Accessories > Clothing > Shorts", "shorts", "bottoms|clothing"),
    rule("Apparel & Accessories > Clothing > Dresses",
        "dress|gown|sundress|maxi dress|midi dress|mini dress",
        "clothing|womenswear"),
    rule("Apparel & Accessories > Clothing > Skirts", "skirt|miniskirt", "clothing"),
    rule("Apparel & Accessories > Clothing > Socks",
        "sock",
        "hosiery|underwear"),
    rule("Apparel & Accessories > Clothing > Men's Undergarments > Men's Underwear",
        "underwear|boxers|boxer shorts|boxer briefs|briefs",
        "lingerie|nightwear"),
    rule("Apparel & Accessories > Clothing > Lingerie > Women's Underpants",
        "knickers|panties|thong",
        "lingerie|nightwear"),
    rule("Apparel & Accessories > Clothing > Swimwear",
        "swimsuit|swimming costume|swim suit|bikini|tankini|swim shorts|swim trunks|swimwear",
        "swim|beachwear"),
    rule("Apparel & Accessories > Clothing > Sleepwear & Loungewear",
        "pyjamas|pajamas|nightie|nightdress|nightgown|dressing gown|bathrobe",
        "nightwear|sleepwear|loungewear"),
    rule("Apparel & Accessories > Clothing Accessories > Hats",
        "hat|beanie|baseball cap|bucket hat|flat cap|sun hat|fedora|beret|trucker cap",
        "headwear|accessories"),
    rule("Apparel & Accessories > Clothing Accessories > Scarves & Shawls",
        "scarf|scarves|shawl|snood|pashmina",
        "accessories"),
    rule("Apparel & Accessories > Clothing Accessories > Sunglasses",
        "sunglasses",
        "eyewear|accessories"),
    rule("Apparel & Accessories > Shoes",
        "shoe|sneaker|trainers|boots|ankle boots|sandal|slipper|loafer|heels|stilettos|\
         flip flops|espadrilles|brogues|wellies|wellington boots|clogs",
        "footwear"),
    rule("Apparel & Accessories > Handbags, Wallets & Cases > Handbags",
        "handbag|tote bag|tote|shoulder bag|crossbody bag|cross body bag|clutch bag|satchel|\
         bucket bag",
        "bags|accessories"),
    rule("Apparel & Accessories > Handbags, Wallets & Cases > Wallets & Money Clips",
        "wallet|card holder|cardholder|money clip",
        "accessories|leather goods"),
    rule("Luggage & Bags > Backpacks", "backpack|rucksack|daypack|school bag", "bags|luggage"),
    rule("Luggage & Bags > Suitcases", "suitcase|cabin case|trolley case", "luggage|travel"),
    rule("Apparel & Accessories > Jewelry > Necklaces", "necklace|choker", "jewellery|jewelry"),
    rule("Apparel & Accessories > Jewelry > Earrings", "earring|ear studs", "jewellery|jewelry"),
    rule("Apparel & Accessories > Jewelry > Rings",
        "ring|engagement ring|wedding ring|wedding band|signet ring|eternity ring",
        "jewellery|jewelry"),
    rule("Apparel & Accessories > Jewelry > Bracelets", "bracelet|bangle", "jewellery|jewelry"),
    rule("Apparel & Accessories > Jewelry > Watches",
        "watch|wristwatch|wrist watch",
        "jewellery|jewelry|accessories"),
    rule("Home & Garden > Kitchen & Dining > Cookware & Bakeware > Cookware > Skillets & Frying Pans",
        "frying pan|fry pan|frypan|skillet",
        "cookware|pans|kitchen"),
    rule("Home & Garden > Kitchen & Dining > Cookware & Bakeware > Bakeware",
        "baking tray|baking sheet|cake tin|loaf tin|muffin tin|muffin tray|roasting tin|\
         baking dish|cake pan",
        "bakeware|baking|kitchen"),
    rule("Home & Garden > Kitchen & Dining > Kitchen Tools & Utensils > Kitchen Knives",
        "kitchen knife|kitchen knives|chef knife|chef's knife|chefs knife|paring knife|\
         bread knife|carving knife|santoku|knife set|knife block",
        "knives|cutlery|kitchen"),
    rule("Home & Garden > Kitchen & Dining > Tableware > Drinkware > Mugs",
        "mug|coffee mug|travel mug",
        "drinkware|kitchen"),
    rule("Home & Garden > Kitchen & Dining > Tableware > Drinkware > Stemware",
        "wine glass|champagne flute|champagne glass|gin glass|cocktail glass",
        "glassware|drinkware"),
    rule("Home & Garden > Kitchen & Dining > Food & Beverage Carriers > Water Bottles",
        "water bottle|drinks bottle|sports bottle|drinking bottle",
        "drinkware|bottles"),
    rule("Home & Garden > Linens & Bedding > Bedding",
        "duvet|duvet cover|bed sheet|fitted sheet|flat sheet|pillowcase|pillow case|bedding set|\
         bedspread|quilt|comforter|pillow",
        "bedding|bedroom|linens"),
    rule("Home & Garden > Linens & Bedding > Towels > Bath Towels & Washcloths",
        "towel|bath towel|hand towel|bath sheet|washcloth|face cloth",
        "towels|bathroom|linens"),
    rule("Home & Garden > Decor > Home Fragrances > Candles",
        "candle|tealight|tea light|scented candle",
        "home fragrance|decor"),
    rule("Home & Garden > Lighting > Lamps",
        "lamp|table lamp|floor lamp|desk lamp|bedside lamp",
        "lighting"),
    rule("Home & Garden > Lawn & Garden > Gardening > Pots & Planters",
        "planter|plant pot|flower pot",
        "garden|gardening"),
    rule("Home & Garden > Lawn & Garden > Watering & Irrigation > Garden Hoses",
        "garden hose|hose pipe|hosepipe",
        "garden|gardening|watering"),
    rule("Electronics > Communications > Telephony > Mobile & Smart Phone Accessories > Mobile Phone Cases",
        "phone case|phone cover|iphone case|mobile case|mobile phone case",
        "phone accessories|mobile accessories"),
    rule("Electronics > Audio > Audio Components > Headphones & Headsets",
        "headphones|headphone|earbuds|earphones|headset",
        "audio|electronics"),
    rule("Electronics > Audio > Audio Components > Speakers",
        "speaker|bluetooth speaker|soundbar|sound bar",
        "audio|electronics"),
    rule("Electronics > Electronics Accessories > Power > Power Adapters & Chargers",
        "charger|wall charger|power adapter|charging plug",
        "power|electronics"),
    rule("Electronics > Electronics Accessories > Cables",
        "cable|usb cable|hdmi cable|charging cable",
        "cables|electronics"),
    rule("Electronics > Computers > Laptops", "laptop", "computers|computing"),
    rule("Electronics > Video > Televisions",
        "tv|television|smart tv",
        "tvs|televisions|electronics"),
    rule("Health & Beauty > Personal Care > Cosmetics > Skin Care > Lotions & Moisturizers",
        "moisturiser|moisturizer|face cream|night cream|day cream|body lotion|hand cream|lotion|\
         body butter",
        "skincare|skin care|beauty"),
    rule("Health & Beauty > Personal Care > Hair Care > Shampoo & Conditioner",
        "shampoo|conditioner",
        "hair care|haircare|beauty"),
    rule("Health & Beauty > Personal Care > Cosmetics > Perfumes & Colognes",
        "perfume|eau de parfum|eau de toilette|cologne|parfum",
        "fragrance|fragrances|beauty"),
    rule("Health & Beauty > Personal Care > Cosmetics > Skin Care > Sunscreen",
        "sunscreen|sun cream|suncream|sunblock|sun lotion",
        "sun care|suncare|beauty"),
    rule("Health & Beauty > Personal Care > Cosmetics > Makeup > Lip Makeup > Lipsticks",
        "lipstick",
        "makeup|make-up|cosmetics|beauty"),
    rule("Toys & Games > Puzzles > Jigsaw Puzzles",
        "jigsaw|jigsaw puzzle|puzzle",
        "puzzles|toys|games"),
    rule("Toys & Games > Games > Board Games", "board game|boardgame", "games|toys"),
    rule("Toys & Games > Toys > Dolls, Playsets & Toy Figures > Stuffed Animals",
        "teddy bear|teddy|soft toy|plush toy|plushie|stuffed animal|cuddly toy",
        "toys"),
    rule("Sporting Goods > Fitness & General Exercise Equipment > Yoga & Pilates > Yoga & Pilates Mats",
        "yoga mat|pilates mat",
        "yoga|fitness"),
    rule("Sporting Goods > Fitness & General Exercise Equipment > Weight Lifting > Free Weights, Dumbbells & Kettlebells",
        "dumbbell|kettlebell|barbell|weight plate",
        "fitness|weights|gym"),
    rule("Sporting Goods > Outdoor Recreation > Camping & Hiking > Tents",
        "tent",
        "camping|outdoor"),
    rule("Animals & Pet Supplies > Pet Supplies > Pet Beds",
        "dog bed|dog basket",
        "dog|pet"),
    rule("Animals & Pet Supplies > Pet Supplies > Dog Supplies > Dog Toys",
        "dog toy|chew toy",
        "dog|pet"),
    rule("Animals & Pet Supplies > Pet Supplies > Pet Collars & Harnesses",
        "dog collar|cat collar|pet collar|dog harness|pet harness",
        "pet|dog|cat"),
    rule("Animals & Pet Supplies > Pet Supplies > Pet Leashes",
        "dog lead|dog leash|pet lead|leash",
        "pet|dog"),
    rule("Animals & Pet Supplies > Pet Supplies > Dog Supplies > Dog Food",
        "dog food|puppy food",
        "dog|pet food"),
    rule("Animals & Pet Supplies > Pet Supplies > Cat Supplies > Cat Food",
        "cat food|kitten food",
        "cat|pet food"),
    rule("Animals & Pet Supplies > Pet Supplies > Cat Supplies > Cat Litter",
        "cat litter|kitty litter",
        "cat|pet"),
    rule("Food, Beverages & Tobacco > Beverages > Coffee",
        "coffee|coffee beans|ground coffee|instant coffee|coffee pods",
        "beverages|drinks|hot drinks"),
    rule("Food, Beverages & Tobacco > Beverages > Tea & Infusions",
        "tea|tea bags|green tea|herbal tea|loose leaf tea",
        "beverages|drinks|hot drinks"),
    rule("Food, Beverages & Tobacco > Food Items > Candy & Chocolate",
        "chocolate|chocolate bar|chocolates|fudge",
        "confectionery|sweets"),
    rule("Food, Beverages & Tobacco > Food Items > Cooking & Baking Ingredients > Cooking Oils",
        "olive oil|cooking oil|sunflower oil|rapeseed oil",
        "oils|pantry|grocery"),
    rule("Food, Beverages & Tobacco > Beverages > Alcoholic Beverages > Wine",
        "wine|red wine|white wine|prosecco|champagne",
        "wines|alcohol"),
    rule("Office Supplies > General Office Supplies > Paper Products > Notebooks & Notepads",
        "notebook|notepad|journal|jotter",
        "stationery"),
    rule("Office Supplies > Office Instruments > Writing & Drawing Instruments > Pens & Pencils > Pens",
        "pen|ballpoint pen|fountain pen|gel pen|rollerball pen",
        "stationery"),
    rule("Furniture > Office Furniture > Office Chairs",
        "office chair|desk chair|computer chair",
        "furniture|office"),
];

/// Phrases that contain a rule keyword but are not that product ("key ring", "tea towel").
/// They take their words out of play, so nothing is guessed from them.
pub const BLOCKED: &str = "key ring|ring light|ring binder|onion rings|napkin ring|teething ring|\
     towel ring|tea towel|paper towel|cable knit|cable tie|jumper cables|air conditioner|\
     fabric conditioner|leather conditioner|golf tee|top coat|base coat|cat eye|hot dog|\
     boxing gloves|dog tag|pen drive|pen knife|hot water bottle|tea set|coffee set|wine set";

/// Words that mean the product is for an animal: a non-pet head noun next to them ("Dog Coat",
/// "Shampoo for Cats") is not trusted, because the human category would be wrong.
pub const PET_WORDS: &[&str] = &[
    "dog", "dogs", "cat", "cats", "puppy", "puppies", "kitten", "kittens", "pet", "pets",
];

/// Words that may follow a head noun without making it a modifier: colours, materials and
/// sizes (checked separately), audiences and descriptive adjectives. Never nouns, so "TV Stand"
/// and "Laptop Sleeve" do not count as a TV or a laptop.
pub const TRAILING_WORDS: &str = "men|mens|women|womens|ladies|lady|kids|kid|boys|boy|girls|girl|\
     unisex|adult|adults|baby|toddler|junior|youth|teen|teens|pack|pair|pairs|pcs|piece|pieces|\
     new|non|anti|stick|slip|waterproof|water|resistant|wireless|rechargeable|portable|\
     adjustable|foldable|reusable|organic|vegan|handmade|personalised|personalized|premium|\
     luxury|deluxe|classic|vintage|mini|heavy|duty|lightweight|breathable|stretch|slim|regular|\
     fit|long|short|sleeved|sleeveless|crew|hooded|zip|up|insulated|induction|dishwasher|safe|\
     free|pro|plus|max|ultra|edition|printed|striped|plain|graphic|oversized|cropped|fitted|\
     high|waisted|low|rise|dual|double|single|quick|dry|fast|extra|soft|warm|thermal|washable|\
     clear|transparent|compact|smart|electric|digital|natural|eco|friendly|recycled|inch|\
     inches|litre|litres|liter|liters|metre|metres|meter|meters|lined|ruled|dotted|braided|\
     expandable|retractable|of|scented|unscented|set|sets|crystal|age|ages|years|months";

/// Words that end the main phrase of a title segment: what follows qualifies the product
/// ("Frying Pan with Lid", "Case for iPhone"), so its nouns are not the product.
#[rustfmt::skip]
pub const SUBORDINATORS: &[&str] = &[
    "for", "with", "without", "featuring", "including", "incl", "from", "by", "in", "compatible",
    "suitable", "fits", "ideal",
];

/// Materials that are also product nouns ("Wine Glass", "Canvas"), so they cannot trail a
/// head noun unnoticed.
pub const NOUN_MATERIALS: &[&str] = &["glass", "canvas", "cork", "rubber"];

/// Words that can follow a head noun without being the real head: numbers, single letters,
/// colours, sizes, most materials, units and descriptive words ("T-Shirt Navy XL").
pub fn is_trailing(word: &str) -> bool {
    let in_terms = |terms: &[Term]| {
        terms
            .iter()
            .any(|t| t.text.split([' ', '-', '/']).any(|p| p == word))
    };
    word.chars().any(|c| c.is_ascii_digit())
        || word.chars().count() == 1
        || TRAILING_WORDS.split('|').any(|t| t.trim() == word)
        || UNITS.iter().any(|(u, _, _)| *u == word)
        || in_terms(COLOURS)
        || in_terms(SIZES)
        || (in_terms(MATERIALS) && !NOUN_MATERIALS.contains(&word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_table_has_one_row_per_path_and_lower_case_keywords() {
        let mut paths: Vec<&str> = RULES.iter().map(|r| r.path).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), RULES.len());
        let entries = RULES
            .iter()
            .flat_map(|r| r.keywords.split('|').chain(r.hints.split('|')))
            .chain(BLOCKED.split('|'))
            .chain(TRAILING_WORDS.split('|'))
            .chain(SUBORDINATORS.iter().copied());
        for entry in entries {
            let entry = entry.trim();
            assert!(
                !entry.is_empty() && entry == entry.to_lowercase(),
                "{entry:?}"
            );
        }
    }

    #[test]
    fn every_rule_path_is_a_real_taxonomy_category() {
        let taxonomy = crate::ai::taxonomy::taxonomy();
        for rule in RULES {
            let found = taxonomy.by_path(rule.path).map(|c| c.path);
            assert_eq!(found, Some(rule.path), "not in the taxonomy: {}", rule.path);
        }
    }
}
