//! Tests of the mapper as a whole: rows in, records or errors out.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::ingest::profile::UnitConversion;
use crate::ingest::source::{SourceHint, open};

pub(super) type Mapped = Result<ProductRecord, Vec<RowError>>;

/// Maps a CSV text with `profile`, leaving out skipped rows.
pub(super) fn map_csv(csv: &str, profile: Option<&MappingProfile>) -> (ProductMapper, Vec<Mapped>) {
    let (header, rows) = table(csv.as_bytes());
    let mut mapper = ProductMapper::new(&header, profile).unwrap();
    let mut results = Vec::new();
    for row in rows {
        match mapper.map(&row) {
            Ok(None) => {}
            Ok(Some(record)) => results.push(Ok(record)),
            Err(errors) => results.push(Err(errors)),
        }
    }
    (mapper, results)
}

fn read_all(csv: &str) -> Vec<Mapped> {
    map_csv(csv, None).1
}

fn lines(results: &[Mapped]) -> Vec<u64> {
    let line = |r: &Mapped| match r {
        Ok(record) => record.line,
        Err(errors) => errors[0].line,
    };
    results.iter().map(line).collect()
}

const HEADER: &str =
    "sku,title,description,price,currency,quantity,brand,category,gtin,image_url,updated_at";

#[test]
fn a_full_row_yields_a_record_with_every_field_parsed() {
    let csv = format!(
        "{HEADER}\nAB-1,Mug,<p>Blue</p>,12.5,eur,3,Kettle & Oak,Home,4006381333931,\
         https://cdn.example-shop.com/a.jpg,2024-05-01\n"
    );
    let record = read_all(&csv).remove(0).unwrap();
    let content = &record.content;
    assert_eq!(
        (record.line, content.sku.as_str(), content.title.as_str()),
        (2, "AB-1", "Mug")
    );
    assert_eq!(content.description.as_deref(), Some("<p>Blue</p>"));
    assert_eq!(
        content.price.map(|p| p.to_string()).as_deref(),
        Some("12.50 EUR")
    );
    assert_eq!(
        (content.quantity, content.brand.as_deref()),
        (Some(3), Some("Kettle & Oak"))
    );
    assert_eq!(
        content.gtin.as_ref().map(|g| g.as_str()),
        Some("4006381333931")
    );
    assert_eq!(
        record.updated_at.unwrap().to_rfc3339(),
        "2024-05-01T00:00:00+00:00"
    );
    assert!(content.attributes.is_empty() && content.options.is_empty());
}

#[test]
fn a_record_after_a_three_line_quoted_field_starts_on_the_right_line() {
    let csv = "sku,title,description\nA,One,\"first\nsecond\nthird\"\nB,Two,x\nC,Three,\n";
    let results = read_all(csv);
    assert_eq!(lines(&results), [2, 5, 6]);
    let first = results[0].as_ref().unwrap();
    assert_eq!(
        first.content.description.as_deref(),
        Some("first\nsecond\nthird")
    );
}

#[test]
fn crlf_line_endings_keep_line_numbers_right() {
    let csv = "sku,title,description\r\nA,One,\"a\r\nb\"\r\nB,Two,\r\nC,Three,\r\n";
    let results = read_all(csv);
    assert_eq!(lines(&results), [2, 4, 5]);
    assert_eq!(
        results[0].as_ref().unwrap().content.description.as_deref(),
        Some("a\nb")
    );
}

#[test]
fn blank_lines_and_rows_of_empty_cells_are_skipped_without_shifting_lines() {
    let (mapper, results) = map_csv("sku,title\n\nA,One\n,\n\r\n   \nB,Two\n", None);
    assert_eq!(lines(&results), [3, 7]);
    // The format layer drops blank rows and rows of empty cells before the mapper sees them.
    assert_eq!(mapper.skipped(), 0);
}

#[test]
fn a_ragged_row_is_one_whole_row_error_and_the_next_row_still_reads() {
    let results = read_all("sku,title\nA,One,oops\nB\nC,Three\n");
    let first = results[0].as_ref().unwrap_err();
    assert_eq!((first[0].line, first[0].column.as_str()), (2, ""));
    assert_eq!(first[0].reason, "row has 3 fields, header has 2");
    assert_eq!(first[0].value, "A,One,oops");
    assert_eq!(
        results[1].as_ref().unwrap_err()[0].reason,
        "row has 1 field, header has 2"
    );
    assert_eq!(results[2].as_ref().unwrap().content.sku.as_str(), "C");
}

/// The header and rows of a CSV file, read by the format layer as the pipeline reads it.
fn table(bytes: &[u8]) -> (Vec<String>, Vec<crate::ingest::record::Row>) {
    let hint = SourceHint {
        file_name: "feed.csv",
        ..SourceHint::default()
    };
    let table = open(Box::new(std::io::Cursor::new(bytes.to_vec())), &hint).unwrap();
    let rows = table.rows.map(Result::unwrap).collect();
    (table.header, rows)
}

#[test]
fn a_latin1_export_is_decoded_before_it_is_mapped() {
    let (header, rows) = table(b"sku,title,notes\nA,Caf\xE9,ok\nB,Two,\xFF\n");
    let mut mapper = ProductMapper::new(&header, None).unwrap();
    let results: Vec<_> = rows.iter().map(|r| mapper.map(r)).collect();
    let first = results[0].as_ref().unwrap().as_ref().unwrap();
    assert_eq!(first.content.title, "Café");
    let second = results[1].as_ref().unwrap().as_ref().unwrap();
    assert_eq!(second.content.attributes["notes"], "ÿ");
}

#[test]
fn every_problem_in_a_row_is_reported_at_once() {
    let csv = format!("{HEADER}\nA,,,-1,EUR,ten,,,123,ftp://x/a.jpg,yesterday\n");
    let errors = read_all(&csv).remove(0).unwrap_err();
    let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(
        columns,
        [
            "title",
            "price",
            "quantity",
            "gtin",
            "image_url",
            "updated_at"
        ]
    );
    assert!(errors.iter().all(|e| e.line == 2));
}

#[test]
fn a_missing_sku_and_title_are_both_reported_with_the_raw_cells() {
    let errors = read_all("sku,title,brand\n  ,,Oak\n")
        .remove(0)
        .unwrap_err();
    let got: Vec<_> = errors
        .iter()
        .map(|e| (e.column.as_str(), e.value.as_str(), e.reason.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("sku", "  ", "sku is required"),
            ("title", "", "title is required")
        ]
    );
}

#[test]
fn validation_rules_each_give_their_reason() {
    let cases = [
        ("price", "-1", "price must not be negative"),
        ("price", "12,50", "price must be a plain number like 12.50"),
        (
            "currency",
            "EURO",
            r#""EURO" is not a currency code (use a 3-letter code like EUR, USD or GBP)"#,
        ),
        ("gtin", "4006381333933", "check digit should be 1, found 3"),
        ("gtin", "40063813", "check digit should be 2, found 3"),
        (
            "image_url",
            "https://u:p@cdn.example.com/a.jpg",
            "image_url must not contain a user name or password",
        ),
        (
            "quantity",
            "10.5",
            "quantity must be a whole number (negative when oversold)",
        ),
        (
            "updated_at",
            "03/04/2024",
            r#"updated_at "03/04/2024" could be month/day or day/month; write it as YYYY-MM-DD"#,
        ),
    ];
    for (column, value, reason) in cases {
        let csv = format!("sku,title,currency,{column}\nA,Mug,EUR,\"{value}\"\n");
        let csv = if column == "currency" {
            format!("sku,title,currency\nA,Mug,{value}\n")
        } else {
            csv
        };
        let errors = read_all(&csv).remove(0).unwrap_err();
        assert_eq!(
            (
                errors[0].column.as_str(),
                errors[0].value.as_str(),
                errors[0].reason.as_str()
            ),
            (column, value, reason)
        );
    }
}

#[test]
fn valid_gtins_of_every_length_and_whole_quantities_are_accepted() {
    for (gtin, quantity) in [
        ("96385074", "10.0"),
        ("036000291452", "0"),
        ("4006381333931", "7"),
        ("14006381333938", "12"),
    ] {
        let csv = format!("sku,title,gtin,quantity\nA,Mug,{gtin},{quantity}\n");
        assert!(read_all(&csv)[0].is_ok(), "{gtin}");
    }
}

#[test]
fn a_price_with_an_empty_currency_cell_is_an_error_on_currency() {
    let errors = read_all("sku,title,price,currency\nA,Mug,12.50,\n")
        .remove(0)
        .unwrap_err();
    assert_eq!(
        (errors[0].column.as_str(), errors[0].reason.as_str()),
        ("currency", "currency is required when a price is given")
    );
}

#[test]
fn a_price_without_any_currency_is_kept_as_an_attribute_and_the_product_lands() {
    let record = read_all("sku,title,Variant Price\nA,Mug,12.50\n")
        .remove(0)
        .unwrap();
    assert_eq!(record.content.price, None);
    assert_eq!(
        record
            .content
            .attributes
            .get("Variant Price")
            .map(String::as_str),
        Some("12.50")
    );
    let errors = read_all("sku,title,price\nA,Mug,$12\n")
        .remove(0)
        .unwrap_err();
    assert_eq!(errors[0].reason, "price must be a plain number like 12.50");
}

#[test]
fn unknown_columns_and_extra_cells_are_kept_as_attributes_without_empty_values() {
    let header: Vec<String> = ["sku", "title", "Colour", "mpn", ""]
        .map(String::from)
        .into();
    let mut mapper = ProductMapper::new(&header, None).unwrap();
    assert_eq!(mapper.unknown_columns(), ["Colour", "mpn"]);
    let row = Row {
        line: 4,
        values: ["A", "Mug", "Navy", " ", "x"].map(String::from).into(),
        extra: vec![
            ("Material".into(), "Stoneware".into()),
            ("Empty".into(), String::new()),
        ],
    };
    let record = mapper.map(&row).unwrap().unwrap();
    let attributes: Vec<_> = record
        .content
        .attributes
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(attributes, [("Colour", "Navy"), ("Material", "Stoneware")]);
}

#[test]
fn a_profile_renames_fills_defaults_and_converts_units() {
    let mut profile = MappingProfile::default();
    profile.columns.insert("Artikelnummer".into(), "sku".into());
    profile.columns.insert("Bezeichnung".into(), "title".into());
    profile.columns.insert("Preis".into(), "price".into());
    profile.columns.insert("Bestand".into(), "quantity".into());
    profile.defaults.insert("currency".into(), "EUR".into());
    profile
        .defaults
        .insert("brand".into(), "Kettle & Oak".into());
    profile.decimal_comma = true;
    profile
        .units
        .insert("quantity".into(), UnitConversion::Multiply(12.0));
    let csv = "Artikelnummer,Bezeichnung,Preis,Bestand,Marke\nA-1,Becher,\"1.234,50\",\"2,5\",\nA-2,Teller,\"3,00\",1,Eigenmarke\n";
    let (_, results) = map_csv(csv, Some(&profile));
    let first = results[0].as_ref().unwrap();
    assert_eq!(
        first.content.price.map(|p| p.to_string()).as_deref(),
        Some("1234.50 EUR")
    );
    assert_eq!(first.content.quantity, Some(30));
    assert_eq!(first.content.brand.as_deref(), Some("Kettle & Oak"));
    assert_eq!(
        results[1]
            .as_ref()
            .unwrap()
            .content
            .attributes
            .get("Marke")
            .map(String::as_str),
        Some("Eigenmarke")
    );
}

#[test]
fn a_profile_may_say_prices_are_in_minor_units() {
    let mut profile = MappingProfile::default();
    profile
        .units
        .insert("price".into(), UnitConversion::MinorUnits);
    let (_, results) = map_csv(
        "sku,title,price,currency\nA,Mug,1250,EUR\nB,Cup,12.5,EUR\n",
        Some(&profile),
    );
    assert_eq!(
        results[0]
            .as_ref()
            .unwrap()
            .content
            .price
            .map(|p| p.to_string())
            .as_deref(),
        Some("12.50 EUR")
    );
    assert_eq!(
        results[1].as_ref().unwrap_err()[0].reason,
        "price in minor units must be a whole number like 1250"
    );
}

#[test]
fn header_problems_stop_the_mapper_before_any_row() {
    let header = |cells: &[&str]| cells.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    assert!(matches!(
        ProductMapper::new(&header(&["name", "price"]), None),
        Err(FeedError::MissingColumns { .. })
    ));
    assert!(matches!(
        ProductMapper::new(&header(&["sku", "title", "SKU"]), None),
        Err(FeedError::DuplicateColumn { .. })
    ));
    assert!(matches!(
        ProductMapper::new(&header(&[""]), None),
        Err(FeedError::Empty)
    ));
}

#[test]
fn recognised_counts_the_header_cells_that_name_product_fields() {
    let header: Vec<String> = ["Handle", "Title", "Variant SKU", "Tags", "Location"]
        .map(String::from)
        .into();
    assert_eq!(ProductMapper::recognised(&header), 3);
    let inventory: Vec<String> = ["location", "on hand"].map(String::from).into();
    assert_eq!(ProductMapper::recognised(&inventory), 1);
}

#[test]
fn the_sample_feed_has_234_good_rows_and_exactly_the_6_deliberate_bad_ones() {
    let (mapper, results) = map_csv(include_str!("../../../../samples/products.csv"), None);
    assert!(mapper.unknown_columns().is_empty());
    let (good, bad): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    assert_eq!(good.len(), 234);
    let bad: Vec<(u64, String, String)> = bad
        .into_iter()
        .flat_map(|r| r.unwrap_err())
        .map(|e| (e.line, e.column, e.reason))
        .collect();
    let expected = [
        (30, "price", "price must not be negative"),
        (78, "gtin", "check digit should be 3, found 7"),
        (132, "title", "title is required"),
        (204, "price", "price must be a plain number like 12.50"),
        (
            250,
            "quantity",
            "quantity must be a whole number (negative when oversold)",
        ),
        (
            296,
            "image_url",
            "image_url must be an absolute http or https URL like https://example.com/a.jpg",
        ),
    ];
    let expected: Vec<_> = expected
        .map(|(l, c, r)| (l, c.to_owned(), r.to_owned()))
        .into();
    assert_eq!(bad, expected);
}

#[test]
fn a_profile_factor_applies_to_prices_and_a_decimal_comma_refuses_a_point() {
    let mut profile = MappingProfile::default();
    profile
        .units
        .insert("price".into(), UnitConversion::Multiply(0.01));
    let (_, results) = map_csv("sku,title,price,currency\nA,Mug,1999,EUR\n", Some(&profile));
    let price = results[0].as_ref().unwrap().content.price;
    assert_eq!(price.map(|p| p.to_string()).as_deref(), Some("19.99 EUR"));
    let profile = MappingProfile {
        decimal_comma: true,
        ..MappingProfile::default()
    };
    let (_, results) = map_csv(
        "sku,title,price,currency\nA,Mug,12.50,EUR\n",
        Some(&profile),
    );
    let errors = results[0].as_ref().unwrap_err();
    assert!(errors[0].reason.contains("decimal comma"), "{errors:?}");
}
