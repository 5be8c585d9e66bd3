//! The exports merchants really have, mapped with no profile: Shopify and WooCommerce product
//! CSVs (the sample files, in their exact column layout), a NetSuite item saved search and a
//! Google Merchant Center feed.

#![allow(clippy::unwrap_used)]

use super::tests::{Mapped, map_csv};
use super::*;

fn products(results: Vec<Mapped>) -> Vec<ProductRecord> {
    results.into_iter().map(|r| r.unwrap()).collect()
}

fn find<'a>(records: &'a [ProductRecord], sku: &str) -> &'a ProductContent {
    &records
        .iter()
        .find(|r| r.content.sku.as_str() == sku)
        .unwrap()
        .content
}

fn options(content: &ProductContent) -> Vec<(&str, &str)> {
    content
        .options
        .iter()
        .map(|o| (o.name.as_str(), o.value.as_str()))
        .collect()
}

fn attribute<'a>(content: &'a ProductContent, name: &str) -> Option<&'a str> {
    content.attributes.get(name).map(String::as_str)
}

const SHOPIFY: &str = include_str!("../../../../samples/shopify-products.csv");
const WOOCOMMERCE: &str = include_str!("../../../../samples/woocommerce-products.csv");

#[test]
fn a_shopify_export_maps_every_variant_and_skips_image_only_rows() {
    let (mapper, results) = map_csv(SHOPIFY, None);
    assert_eq!(mapper.skipped(), 7);
    let records = products(results);
    assert_eq!(records.len(), 12);
    let navy = find(&records, "ALB-BEANIE-NAVY");
    assert_eq!(navy.parent.as_deref(), Some("merino-beanie"));
    assert_eq!(options(navy), [("Color", "Navy")]);
    let rust = find(&records, "ALB-BEANIE-RUST");
    assert_eq!(
        rust.title, "Merino Wool Beanie",
        "inherited from the handle's first row"
    );
    assert_eq!(rust.brand.as_deref(), Some("Alba & Co"));
    assert_eq!(rust.description, navy.description);
    assert_eq!(options(rust), [("Color", "Rust")], "option name inherited");
    assert_eq!(
        (rust.quantity, rust.parent.as_deref()),
        (Some(0), Some("merino-beanie"))
    );
    let shirt = find(&records, "ALB-LINEN-S-L");
    assert_eq!(options(shirt), [("Size", "L"), ("Color", "Sand")]);
    assert_eq!(
        shirt.category.as_deref(),
        Some("Apparel & Accessories > Clothing > Shirts & Tops")
    );
    assert_eq!(attribute(shirt, "Variant Grams"), Some("240"));
    let mug = find(&records, "KO-MUG-350");
    assert_eq!(
        (mug.parent.as_deref(), mug.options.len()),
        (None, 0),
        "Default Title is no option"
    );
    assert_eq!(mug.gtin.as_ref().map(|g| g.as_str()), Some("4006381333931"));
    let board = find(&records, "KO-BOARD-L");
    assert_eq!(
        (board.parent.as_deref(), options(board)),
        (Some("oak-serving-board"), vec![("Size", "Large")])
    );
    assert_eq!(
        attribute(board, "Status"),
        None,
        "a variant row's empty cells are not kept"
    );
}

#[test]
fn a_shopify_export_without_a_currency_keeps_prices_as_attributes_until_a_profile_names_one() {
    let (_, results) = map_csv(SHOPIFY, None);
    let records = products(results);
    let navy = find(&records, "ALB-BEANIE-NAVY");
    assert_eq!(
        (navy.price, attribute(navy, "Variant Price")),
        (None, Some("24.00"))
    );
    let mut profile = MappingProfile::default();
    profile.defaults.insert("currency".into(), "EUR".into());
    let (_, results) = map_csv(SHOPIFY, Some(&profile));
    let records = products(results);
    let navy = find(&records, "ALB-BEANIE-NAVY");
    assert_eq!(
        navy.price.map(|p| p.to_string()).as_deref(),
        Some("24.00 EUR")
    );
    assert_eq!(attribute(navy, "Variant Price"), None);
}

#[test]
fn a_shopify_header_is_recognised_column_by_column() {
    let (mapper, _) = map_csv(SHOPIFY, None);
    let field = |header: &str| {
        mapper
            .columns()
            .iter()
            .find(|c| c.header == header)
            .unwrap()
            .field
    };
    assert_eq!(field("Handle"), Some(Field::GroupId));
    assert_eq!(field("Variant SKU"), Some(Field::Sku));
    assert_eq!(field("Body (HTML)"), Some(Field::Description));
    assert_eq!(field("Variant Inventory Qty"), Some(Field::Quantity));
    assert_eq!(field("Variant Barcode"), Some(Field::Gtin));
    assert_eq!(field("Image Src"), Some(Field::ImageUrl));
    assert_eq!(field("Option2 Value"), Some(Field::Option2Value));
    assert!(
        mapper
            .unknown_columns()
            .contains(&"Variant Compare At Price".to_owned())
    );
}

#[test]
fn a_woocommerce_export_maps_variable_products_and_their_variations() {
    let (mapper, results) = map_csv(WOOCOMMERCE, None);
    for header in ["ID", "Type", "Sale price", "Attribute 1 visible"] {
        assert!(
            mapper.unknown_columns().contains(&header.to_owned()),
            "{header}"
        );
    }
    let records = products(results);
    assert_eq!(records.len(), 14);
    let hoodie = find(&records, "WOO-HOODIE");
    assert_eq!((hoodie.parent.as_deref(), hoodie.options.len()), (None, 0));
    assert_eq!(attribute(hoodie, "Color"), Some("Blue, Grey"));
    assert_eq!(hoodie.category.as_deref(), Some("Clothing > Hoodies"));
    let blue_m = find(&records, "WOO-HOODIE-B-M");
    assert_eq!(
        blue_m.parent.as_deref(),
        Some("WOO-HOODIE"),
        "id:210 named by its SKU"
    );
    assert_eq!(options(blue_m), [("Color", "Blue"), ("Size", "M")]);
    assert_eq!(blue_m.description, hoodie.description);
    assert_eq!(blue_m.category.as_deref(), Some("Clothing > Hoodies"));
    assert_eq!(blue_m.image_url, hoodie.image_url);
    let grey_s = find(&records, "WOO-HOODIE-G-S");
    assert_eq!(
        grey_s.image_url.as_deref(),
        Some("https://shop.example-store.com/wp-content/uploads/2024/09/hoodie-grey.jpg")
    );
    assert_eq!(
        (
            attribute(grey_s, "Regular price"),
            attribute(grey_s, "Sale price")
        ),
        (Some("59.00"), Some("49.00"))
    );
    assert_eq!(attribute(grey_s, "Type"), Some("variation"));
    let fig = find(&records, "WOO-CANDLE-FIG");
    assert_eq!(
        (fig.parent.as_deref(), options(fig)),
        (Some("WOO-CANDLE"), vec![("Scent", "Fig")])
    );
    let tote = find(&records, "WOO-TOTE-NAT");
    assert_eq!(tote.category.as_deref(), Some("Bags > Totes"));
    assert_eq!(
        tote.image_url.as_deref(),
        Some("https://shop.example-store.com/wp-content/uploads/2024/09/tote-1.jpg")
    );
    assert_eq!(
        find(&records, "WOO-MUG-ENM").category.as_deref(),
        Some("Home > Kitchen, Dining")
    );
    assert_eq!(
        attribute(find(&records, "WOO-SCARF-GRY"), "Material"),
        Some("Lambswool")
    );
}

#[test]
fn a_netsuite_item_search_maps_name_to_sku_and_display_name_to_title() {
    let csv = "Internal ID,Name,Display Name,Description,Base Price,Currency,UPC Code,Vendor,Class,Quantity Available,Last Modified\n\
        1042,KO-KETTLE-15,Stovetop Kettle 1.5 l,Brushed steel kettle,64.00,USD,036000291452,Kettle & Oak,Kitchen,17,5/21/2024\n\
        1043,KO-KETTLE-20,,Brushed steel kettle,74.00,USD,,Kettle & Oak,Kitchen,3,21.05.2024\n\
        1044,KO-TRIVET,Cork Trivet,,9.5,USD,036000291453,Kettle & Oak,Kitchen,,2024-05-21 08:30:00\n";
    let (mapper, results) = map_csv(csv, None);
    assert_eq!(mapper.unknown_columns(), ["Internal ID", "Class"]);
    let kettle = results[0].as_ref().unwrap();
    assert_eq!(
        (kettle.content.sku.as_str(), kettle.content.title.as_str()),
        ("KO-KETTLE-15", "Stovetop Kettle 1.5 l")
    );
    assert_eq!(
        kettle.content.price.map(|p| p.to_string()).as_deref(),
        Some("64.00 USD")
    );
    assert_eq!(kettle.content.quantity, Some(17));
    assert_eq!(
        kettle.updated_at.unwrap().to_rfc3339(),
        "2024-05-21T00:00:00+00:00"
    );
    assert_eq!(attribute(&kettle.content, "Internal ID"), Some("1042"));
    let untitled = results[1].as_ref().unwrap_err();
    assert_eq!(
        (untitled[0].line, untitled[0].column.as_str()),
        (3, "title")
    );
    let trivet = results[2].as_ref().unwrap_err();
    assert_eq!(
        (trivet[0].column.as_str(), trivet[0].reason.as_str()),
        ("gtin", "check digit should be 2, found 3")
    );
}

#[test]
fn a_merchant_center_feed_groups_variants_and_reads_the_currency_inside_the_price() {
    let csv = "id,title,description,link,image_link,availability,price,sale_price,brand,gtin,mpn,google_product_category,product_type,item_group_id,color,size,material,gender,age_group,condition\n\
        TEE-BLK-M,Organic Tee,Heavy cotton tee,https://shop.example.com/tee,https://shop.example.com/tee-black.jpg,in_stock,19.99 EUR,14.99 EUR,Fieldhouse,,FH-TEE,212,Clothing > Tops,TEE,Black,M,cotton,unisex,adult,new\n\
        TEE-BLK-L,Organic Tee,Heavy cotton tee,https://shop.example.com/tee,https://shop.example.com/tee-black.jpg,in_stock,19.99 EUR,,Fieldhouse,,FH-TEE,212,Clothing > Tops,TEE,Black,L,cotton,unisex,adult,new\n\
        CAP-1,Canvas Cap,Six panels,https://shop.example.com/cap,https://shop.example.com/cap.jpg,out_of_stock,12 USD,,Fieldhouse,,,173,Accessories,,Sand,,,unisex,adult,new\n\
        CAP-2,Canvas Cap,Six panels,https://shop.example.com/cap,https://shop.example.com/cap.jpg,in_stock,12 EURO,,Fieldhouse,,,173,Accessories,,,,,unisex,adult,new\n";
    let (_, results) = map_csv(csv, None);
    let tee = &results[1].as_ref().unwrap().content;
    assert_eq!(tee.parent.as_deref(), Some("TEE"));
    assert_eq!(
        options(tee),
        [("color", "Black"), ("size", "L"), ("material", "cotton")]
    );
    assert_eq!(
        tee.price.map(|p| p.to_string()).as_deref(),
        Some("19.99 EUR")
    );
    assert_eq!(tee.category.as_deref(), Some("Clothing > Tops"));
    assert_eq!(attribute(tee, "google_product_category"), Some("212"));
    assert_eq!(attribute(tee, "mpn"), Some("FH-TEE"));
    let cap = &results[2].as_ref().unwrap().content;
    assert_eq!((cap.parent.as_deref(), cap.options.len()), (None, 0));
    assert_eq!(
        attribute(cap, "color"),
        Some("Sand"),
        "no group: colour is a plain attribute"
    );
    assert_eq!(
        cap.price.map(|p| p.to_string()).as_deref(),
        Some("12.00 USD")
    );
    let bad = results[3].as_ref().unwrap_err();
    assert_eq!(
        (bad[0].column.as_str(), bad[0].value.as_str()),
        ("price", "12 EURO")
    );
}

#[test]
fn a_woocommerce_variation_listed_away_from_its_product_still_names_it_by_sku() {
    let csv = "ID,Type,SKU,Name,Description,Parent,Attribute 1 name,Attribute 1 value(s)\n\
        310,variable,LAMP,Desk Lamp,<p>Brass.</p>,,Finish,\"Brass, Black\"\n\
        320,simple,BULB,LED Bulb,,,,\n\
        311,variation,LAMP-BLACK,Desk Lamp - Black,,id:310,Finish,Black\n\
        312,variation,LAMP-GOLD,Desk Lamp - Gold,,id:399,Finish,Gold\n";
    let (_, results) = map_csv(csv, None);
    let black = &results[2].as_ref().unwrap().content;
    assert_eq!(black.parent.as_deref(), Some("LAMP"));
    assert_eq!(
        black.description, None,
        "away from its product: nothing inherited"
    );
    assert_eq!(options(black), [("Finish", "Black")]);
    let orphan = &results[3].as_ref().unwrap().content;
    assert_eq!(
        orphan.parent.as_deref(),
        Some("id:399"),
        "unknown parent kept as given"
    );
}
