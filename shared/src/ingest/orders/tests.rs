#![allow(clippy::unwrap_used)]

use sha2::{Digest, Sha256};

use super::*;
use crate::ingest::cells::read_csv;
use crate::ingest::kind::detect_kind;
use crate::ingest::record::FeedKind;

const GENERIC: &str = "order_id,placed_at,currency,total,tax,shipping,sku,quantity,unit_price";

fn run(csv: &str, profile: Option<&MappingProfile>) -> Vec<OrderResult> {
    let (header, rows) = read_csv(csv);
    let mut mapper = OrderMapper::new(&header, profile).unwrap();
    let mut results: Vec<OrderResult> = rows.iter().flat_map(|row| mapper.push(row)).collect();
    results.extend(mapper.finish());
    results
}

fn one_order(csv: &str) -> OrderUpsert {
    let mut results = run(csv, None);
    assert_eq!(results.len(), 1, "{results:?}");
    results.remove(0).unwrap()
}

fn errors_of(csv: &str) -> Vec<(u64, String, String)> {
    let results = run(csv, None);
    let errors = results.into_iter().find_map(Result::err).unwrap();
    errors
        .into_iter()
        .map(|e| (e.line, e.column, e.reason))
        .collect()
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn lines(order: &OrderUpsert) -> Vec<(&str, i64, i64)> {
    order
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), l.quantity, l.unit_price_minor))
        .collect()
}

#[test]
fn the_shopify_sample_gives_four_orders_with_their_lines_and_totals() {
    let sample = include_str!("../../../../samples/shopify-orders.csv");
    let (header, _) = read_csv(sample);
    assert_eq!(detect_kind(None, &header), Ok(FeedKind::Orders));
    let orders: Vec<OrderUpsert> = run(sample, None).into_iter().map(Result::unwrap).collect();
    let summary: Vec<(&str, usize, i64)> = orders
        .iter()
        .map(|o| (o.order_id.as_str(), o.lines.len(), o.total_minor))
        .collect();
    assert_eq!(
        summary,
        [
            ("#1001", 2, 3680),
            ("#1002", 3, 8000),
            ("#1003", 1, 3480),
            ("#1004", 5, 8424)
        ]
    );
    let first = &orders[0];
    assert_eq!(first.placed_at.to_rfc3339(), "2024-05-01T08:02:11+00:00");
    assert_eq!(
        (first.tax_minor, first.shipping_minor),
        (Some(588), Some(490))
    );
    assert_eq!(first.currency.as_str(), "EUR");
    assert_eq!(
        lines(first),
        [("MUG-BLU-350", 2, 1250), ("TEA-EARL-100", 1, 690)]
    );
    let hashed = sha256_hex("anna.schmidt@example.com");
    assert_eq!(first.customer_ref.as_deref(), Some(hashed.as_str()));
    assert!(
        orders
            .iter()
            .flat_map(|o| &o.customer_ref)
            .all(|r| !r.contains('@'))
    );
    assert_eq!(orders[2].customer_ref, None);
}

#[test]
fn a_woocommerce_export_reads_with_a_hashed_email_for_guests() {
    let csv = "Order ID,Order Number,Order Date,Order Currency,Order Total,Order Tax,Shipping,\
               Customer ID,Billing Email,SKU,Quantity,Item Cost\n\
               501,1001,2024-05-01 10:00:00,USD,25.00,2.00,3.00,17,a@example.com,A-1,2,10.00\n\
               502,1002,2024-05-01 11:00:00,USD,5.00,0,0,0, B@Example.com ,B-1,1,5\n";
    let results = run(csv, None);
    let orders: Vec<OrderUpsert> = results.into_iter().map(Result::unwrap).collect();
    assert_eq!(orders[0].order_id, "501");
    assert_eq!(orders[0].customer_ref.as_deref(), Some("17"));
    assert_eq!(
        (orders[0].total_minor, orders[0].tax_minor),
        (2500, Some(200))
    );
    assert_eq!(lines(&orders[0]), [("A-1", 2, 1000)]);
    let hashed = sha256_hex("b@example.com");
    assert_eq!(orders[1].customer_ref.as_deref(), Some(hashed.as_str()));
}

#[test]
fn a_generic_feed_without_a_total_sums_lines_tax_and_shipping() {
    let csv = "order_id,placed_at,currency,tax,shipping,customer_ref,sku,quantity,unit_price\n\
               O-1,2024-05-01T10:00:00Z,eur,1.10,4.90,C-9,A,2,12.50\n\
               O-1,2024-05-01T10:00:00Z,eur,1.10,4.90,C-9,B,1,0\n";
    let order = one_order(csv);
    assert_eq!(order.total_minor, 2500 + 110 + 490);
    assert_eq!(order.customer_ref.as_deref(), Some("C-9"));
    assert_eq!(lines(&order), [("A", 2, 1250), ("B", 1, 0)]);
}

#[test]
fn a_json_row_carries_the_whole_order_in_its_lines_cell() {
    let header: Vec<String> = ["order_id", "placed_at", "currency", "line_items"]
        .map(str::to_owned)
        .into();
    let items = r#"[{"sku":"A","quantity":2,"price":"1.50"},{"SKU":"B","qty":"1","unit_price":3}]"#;
    let row = Row {
        line: 1,
        values: vec![
            "O-7".into(),
            "2024-05-01".into(),
            "EUR".into(),
            items.into(),
        ],
        extra: Vec::new(),
    };
    let mut mapper = OrderMapper::new(&header, None).unwrap();
    assert!(mapper.push(&row).is_empty());
    let order = mapper.finish().unwrap().unwrap();
    assert_eq!(lines(&order), [("A", 2, 150), ("B", 1, 300)]);
    assert_eq!(order.total_minor, 600);
    assert!(mapper.finish().is_none());
}

#[test]
fn bad_json_lines_are_reported_by_position() {
    let header: Vec<String> = ["order_id", "placed_at", "currency", "lines"]
        .map(str::to_owned)
        .into();
    let row = |line, items: &str| Row {
        line,
        values: vec![
            format!("O-{line}"),
            "2024-05-01".into(),
            "EUR".into(),
            items.into(),
        ],
        extra: Vec::new(),
    };
    let mut mapper = OrderMapper::new(&header, None).unwrap();
    mapper.push(&row(1, "not json"));
    let first = mapper.push(&row(2, r#"[{"sku":"A","quantity":0,"price":true}]"#));
    let errors = first[0].as_ref().unwrap_err();
    assert_eq!(errors[0].column, "lines");
    assert!(errors[0].reason.starts_with("lines must be a JSON array"));
    let errors = mapper.finish().unwrap().unwrap_err();
    let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(
        columns,
        [
            "lines[1].unit_price",
            "lines[1].quantity",
            "lines[1].unit_price"
        ]
    );
}

#[test]
fn consecutive_rows_are_grouped_and_a_returning_id_is_a_second_upsert() {
    let csv = format!(
        "{GENERIC}\nA,2024-05-01,EUR,,,,X,1,1\nA,2024-05-01,EUR,,,,Y,1,1\n\
         B,2024-05-01,EUR,,,,X,1,1\nA,2024-05-02,EUR,,,,Z,3,1\n"
    );
    let (header, rows) = read_csv(&csv);
    let mut mapper = OrderMapper::new(&header, None).unwrap();
    let emitted: Vec<usize> = rows.iter().map(|row| mapper.push(row).len()).collect();
    assert_eq!(emitted, [0, 0, 1, 1]);
    let last = mapper.finish().unwrap().unwrap();
    assert_eq!(
        (last.order_id.as_str(), lines(&last)),
        ("A", vec![("Z", 3, 100)])
    );
}

#[test]
fn a_bad_line_rejects_the_whole_order_and_names_every_line() {
    let csv = format!(
        "{GENERIC}\nA,2024-05-01,EUR,,,,X,1,1\nA,2024-05-01,EUR,,,,Y,0,-2\nA,2024-05-01,EUR,,,,Z,1,1\n"
    );
    let errors = errors_of(&csv);
    let note = "order A was rejected because of the errors on line 3";
    assert_eq!(
        errors,
        [
            (2, String::new(), note.to_owned()),
            (
                3,
                "quantity".into(),
                "quantity must be a whole number greater than 0".into()
            ),
            (
                3,
                "unit_price".into(),
                "unit_price must not be negative".into()
            ),
            (4, String::new(), note.to_owned()),
        ]
    );
}

#[test]
fn every_validation_rule_has_its_own_reason() {
    let cases = [
        ("A,,EUR,,,,X,1,1", "placed_at", "placed_at is required"),
        (
            "A,01/05/2024,EUR,,,,X,1,1",
            "placed_at",
            "placed_at must be a date like 2024-05-01 or a time like 2024-05-01T10:00:00Z",
        ),
        (
            "A,2024-05-01,EURO,,,,X,1,1",
            "currency",
            r#""EURO" is not a currency code (use a 3-letter code like EUR, USD or GBP)"#,
        ),
        ("A,2024-05-01,,,,,X,1,1", "currency", "currency is required"),
        ("A,2024-05-01,EUR,,,,,1,1", "sku", "sku is required"),
        (
            "A,2024-05-01,EUR,,,,X,1.5,1",
            "quantity",
            "quantity must be a whole number greater than 0",
        ),
        (
            "A,2024-05-01,EUR,,,,X,1,",
            "unit_price",
            "unit_price is required",
        ),
        (
            "A,2024-05-01,JPY,,,,X,1,12.5",
            "unit_price",
            "unit_price: 12.5 has more decimals than JPY allows (0)",
        ),
        (
            "A,2024-05-01,EUR,ten,,,X,1,1",
            "total",
            "total must be a plain number like 12.50",
        ),
        (
            "A,2024-05-01,EUR,,-1,,X,1,1",
            "tax",
            "tax must not be negative",
        ),
    ];
    for (cells, column, reason) in cases {
        let errors = errors_of(&format!("{GENERIC}\n{cells}\n"));
        assert_eq!(
            errors,
            [(2, column.to_owned(), reason.to_owned())],
            "{cells}"
        );
    }
}

#[test]
fn a_row_without_an_order_id_is_rejected_alone() {
    let csv = format!("{GENERIC}\nA,2024-05-01,EUR,,,,X,1,1\n,2024-05-01,EUR,,,,Y,1,1\n");
    let results = run(&csv, None);
    assert_eq!(
        results[0].as_ref().unwrap_err()[0].reason,
        "order_id is required on every line of an order"
    );
    assert_eq!(results[1].as_ref().unwrap().lines.len(), 1);
}

#[test]
fn rows_of_one_order_that_disagree_reject_it() {
    let csv = format!("{GENERIC}\nA,2024-05-01,EUR,,,,X,1,1\nA,2024-05-01,USD,,,,Y,1,1\n");
    let errors = errors_of(&csv);
    assert_eq!(
        errors[1],
        (
            3,
            "currency".into(),
            "currency differs from line 2 of the same order (EUR)".into()
        )
    );
}

#[test]
fn a_ragged_row_of_the_open_order_rejects_it() {
    let csv = format!("{GENERIC}\nA,2024-05-01,EUR,,,,X,1,1\nA,2024-05-01,EUR,,,,Y,1\n");
    let errors = errors_of(&csv);
    assert_eq!(errors[1].2, "row has 8 fields, header has 9");
}

#[test]
fn a_profile_supplies_the_currency_and_decimal_commas() {
    let mut profile = MappingProfile::default();
    profile.defaults.insert("currency".into(), "EUR".into());
    for (column, field) in [
        ("Bestellnummer", "order_id"),
        ("Datum", "placed_at"),
        ("Menge", "quantity"),
        ("Preis", "unit_price"),
    ] {
        profile.columns.insert(column.into(), field.into());
    }
    profile.decimal_comma = true;
    let csv = "Bestellnummer,Datum,SKU,Menge,Preis\nB-1,2024-05-01,A,2,\"1.234,50\"\n";
    let results = run(csv, Some(&profile));
    let order = results[0].as_ref().unwrap();
    assert_eq!(
        (order.order_id.as_str(), order.total_minor),
        ("B-1", 246_900)
    );
}

#[test]
fn headers_missing_required_columns_are_refused() {
    let header = |names: &str| names.split(',').map(str::to_owned).collect::<Vec<_>>();
    let err =
        OrderMapper::new(&header("order_id,placed_at,sku,quantity,unit_price"), None).unwrap_err();
    assert!(
        err.to_string().starts_with("missing the currency column"),
        "{err}"
    );
    let err =
        OrderMapper::new(&header("order_id,placed_at,currency,sku,quantity"), None).unwrap_err();
    assert!(
        err.to_string().starts_with("missing the unit_price column"),
        "{err}"
    );
    assert!(!OrderMapper::plausible(&header(
        "sku,name,price,currency,quantity"
    )));
}

#[test]
fn the_rejection_note_lists_every_bad_line() {
    let csv = format!(
        "{GENERIC}\nA,2024-05-01,EUR,,,,X,0,1\nA,2024-05-01,EUR,,,,Y,1,1\nA,2024-05-01,EUR,,,,,1,1\n"
    );
    let errors = errors_of(&csv);
    assert_eq!(
        errors[1],
        (
            3,
            String::new(),
            "order A was rejected because of the errors on lines 2, 4".to_owned()
        )
    );
}

#[test]
fn a_sales_channel_is_read_trimmed_and_lower_cased_under_its_aliases() {
    for header in ["channel", "Sales Channel", "Source Name", "created_via"] {
        let csv = format!(
            "order_id,placed_at,currency,sku,quantity,unit_price,{header}\n\
             O-1,2024-05-01T10:00:00Z,EUR,A,1,3.00, Web \n"
        );
        assert_eq!(one_order(&csv).channel.as_deref(), Some("web"), "{header}");
    }
    let csv = "order_id,placed_at,currency,sku,quantity,unit_price\n\
               O-1,2024-05-01T10:00:00Z,EUR,A,1,3.00\n";
    let order = one_order(csv);
    assert_eq!(order.channel, None);
    let mut with_channel = order.clone();
    with_channel.channel = Some("web".into());
    assert_ne!(
        order.content_hash(),
        with_channel.content_hash(),
        "a changed channel is a changed order"
    );
}

#[test]
fn a_channel_longer_than_the_bound_rejects_the_order() {
    let long = "x".repeat(MAX_CHANNEL_CHARS + 1);
    let csv = format!(
        "order_id,placed_at,currency,sku,quantity,unit_price,channel\n\
         O-1,2024-05-01T10:00:00Z,EUR,A,1,3.00,{long}\n"
    );
    let errors = errors_of(&csv);
    assert_eq!(
        errors,
        vec![(
            2,
            "channel".to_owned(),
            format!("channel is at most {MAX_CHANNEL_CHARS} characters")
        )]
    );
}
