#![allow(clippy::unwrap_used)]

use super::*;
use crate::ingest::cells::read_csv;

fn header(names: &str) -> Vec<String> {
    names.split(',').map(str::to_owned).collect()
}

fn row(line: u64, cells: &str) -> Row {
    Row {
        line,
        values: cells.split(',').map(str::to_owned).collect(),
        extra: Vec::new(),
    }
}

fn levels(mapper: &InventoryMapper, cells: &str) -> Vec<(String, String, i64)> {
    let upserts = mapper.map(&row(2, cells)).unwrap();
    upserts
        .into_iter()
        .map(|u| (u.sku.to_string(), u.location, u.quantity))
        .collect()
}

#[test]
fn every_alias_family_of_the_long_shape_is_recognised() {
    for names in [
        "sku,location,quantity,as_of",
        "Variant SKU,Location Name,Qty,Updated At",
        "Item Number,Warehouse,Available,Timestamp",
        "article,Inventory Location,On Hand,Snapshot Date",
        "Item,Store,Stock,Counted At",
        "ITEM-NO,site,quantity_available,date",
    ] {
        let mapper = InventoryMapper::new(&header(names), None).unwrap();
        assert_eq!(InventoryMapper::recognised(&header(names)), 4, "{names}");
        let upsert = mapper.map(&row(2, "A-1,Berlin,-3,2024-05-01")).unwrap();
        assert_eq!(upsert[0].sku.as_str(), "A-1", "{names}");
        assert_eq!(
            (upsert[0].location.as_str(), upsert[0].quantity),
            ("Berlin", -3)
        );
        let as_of = upsert[0].as_of.unwrap().to_rfc3339();
        assert_eq!(as_of, "2024-05-01T00:00:00+00:00");
    }
}

#[test]
fn a_feed_without_a_location_stocks_the_default_location() {
    let mapper = InventoryMapper::new(&header("sku,qty"), None).unwrap();
    assert_eq!(
        levels(&mapper, "A-1,5"),
        [(String::from("A-1"), String::from("default"), 5)]
    );
    assert!(mapper.location_columns().is_empty());
}

#[test]
fn shopifys_current_export_reads_available_not_on_hand() {
    let names = "Handle,Title,Option1 Name,Option1 Value,SKU,HS Code,COO,Location,\
                 Incoming,Unavailable,Committed,Available,On hand";
    let mapper = InventoryMapper::new(&header(names), None).unwrap();
    let cells = "mug,Mug,Colour,Blue,MUG-1,,,Berlin Shop,10,1,2,5,8";
    assert_eq!(
        levels(&mapper, cells),
        [(String::from("MUG-1"), String::from("Berlin Shop"), 5)]
    );
}

#[test]
fn shopifys_wide_export_gives_one_level_per_location_column() {
    let names = "Handle,Title,Option1 Name,Option1 Value,Option2 Name,Option2 Value,\
                 Option3 Name,Option3 Value,SKU,Berlin Shop,Hamburg Warehouse,Pop-up";
    let mapper = InventoryMapper::new(&header(names), None).unwrap();
    assert_eq!(
        mapper.location_columns(),
        ["Berlin Shop", "Hamburg Warehouse", "Pop-up"]
    );
    let cells = "mug,Mug,Colour,Blue,Size,L,,,MUG-1,4,-1,not stocked";
    assert_eq!(
        levels(&mapper, cells),
        [
            (String::from("MUG-1"), String::from("Berlin Shop"), 4),
            (String::from("MUG-1"), String::from("Hamburg Warehouse"), -1)
        ]
    );
    assert!(InventoryMapper::plausible(&header(names)));
    assert!(InventoryMapper::recognised(&header(names)) >= 9);
}

#[test]
fn a_wide_cell_that_is_not_a_number_names_its_location() {
    let mapper = InventoryMapper::new(&header("Handle,SKU,Berlin,Hamburg"), None).unwrap();
    let errors = mapper.map(&row(7, "mug,MUG-1,lots,3")).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].line, errors[0].column.as_str()), (7, "Berlin"));
    assert_eq!(
        errors[0].reason,
        "stock at Berlin must be a whole number, blank or \"not stocked\""
    );
}

#[test]
fn every_problem_of_a_row_is_reported_at_once() {
    let mapper = InventoryMapper::new(&header("sku,location,quantity,as_of"), None).unwrap();
    let errors = mapper.map(&row(3, ",Berlin,1.5,01/05/2024")).unwrap_err();
    let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(columns, ["sku", "as_of", "quantity"]);
    assert_eq!(errors[0].reason, "sku is required");
    assert_eq!(
        errors[2].reason,
        "quantity must be a whole number (negative when oversold)"
    );
    let errors = mapper.map(&row(4, "A,Berlin,,")).unwrap_err();
    assert_eq!(errors[0].reason, "quantity is required");
}

#[test]
fn a_ragged_row_is_one_whole_row_error() {
    let mapper = InventoryMapper::new(&header("sku,quantity"), None).unwrap();
    let errors = mapper.map(&row(5, "A,1,extra")).unwrap_err();
    assert_eq!(errors[0].reason, "row has 3 fields, header has 2");
    assert_eq!(errors[0].column, "");
}

#[test]
fn a_profile_maps_odd_columns_and_reads_decimal_commas() {
    let mut profile = MappingProfile::default();
    profile.columns.insert("Artikelnummer".into(), "sku".into());
    profile.columns.insert("Bestand".into(), "quantity".into());
    profile
        .defaults
        .insert("location".into(), "Lager Köln".into());
    profile.decimal_comma = true;
    let mapper = InventoryMapper::new(&header("Artikelnummer,Bestand"), Some(&profile)).unwrap();
    let good = Row {
        line: 2,
        values: vec!["A-1".into(), "12,0".into()],
        extra: Vec::new(),
    };
    let upsert = mapper.map(&good).unwrap().remove(0);
    assert_eq!(
        (upsert.location.as_str(), upsert.quantity),
        ("Lager Köln", 12)
    );
}

#[test]
fn headers_without_sku_or_any_stock_column_are_refused() {
    let err = InventoryMapper::new(&header("location,quantity"), None).unwrap_err();
    assert!(
        err.to_string().starts_with("missing the sku column"),
        "{err}"
    );
    let err = InventoryMapper::new(&header("sku,location"), None).unwrap_err();
    assert!(err.to_string().contains("one column per location"), "{err}");
    assert!(!InventoryMapper::plausible(&header("sku,colour")));
}

#[test]
fn the_sample_feed_gives_twenty_levels_at_two_locations() {
    let (header, rows) = read_csv(include_str!("../../../../samples/inventory.csv"));
    let mapper = InventoryMapper::new(&header, None).unwrap();
    let upserts: Vec<InventoryUpsert> = rows
        .iter()
        .flat_map(|row| mapper.map(row).unwrap())
        .collect();
    assert_eq!(upserts.len(), 20);
    let mut locations: Vec<&str> = upserts.iter().map(|u| u.location.as_str()).collect();
    locations.dedup();
    locations.sort_unstable();
    locations.dedup();
    assert_eq!(locations, ["Berlin DC", "Hamburg Store"]);
    assert_eq!(upserts.iter().map(|u| u.quantity).sum::<i64>(), 762);
    assert_eq!(upserts.iter().filter(|u| u.as_of.is_none()).count(), 2);
    assert_eq!(rows[19].line, 21);
}
