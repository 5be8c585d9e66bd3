#![allow(clippy::unwrap_used)]

use super::*;

const FIELDS: [FieldSpec; 2] = [
    FieldSpec {
        name: "sku",
        aliases: &["item"],
    },
    FieldSpec {
        name: "quantity",
        aliases: &["available", "on hand"],
    },
];

fn header(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_better_ranked_of_two_columns_for_one_field_is_read() {
    let layout = Layout::resolve(&header(&["On Hand", "SKU", "Available"]), &FIELDS, None);
    let layout = layout.unwrap();
    assert_eq!((layout.column(0), layout.column(1)), (Some(1), Some(2)));
    assert!(!layout.is_used(0));
}

#[test]
fn the_same_name_twice_is_a_duplicate_column() {
    let err = Layout::resolve(&header(&["sku", "Qty", "SKU"]), &FIELDS, None).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"columns "sku" and "SKU" both mean sku; keep only one of them"#
    );
}

#[test]
fn header_names_compare_without_case_spaces_underscores_hyphens_dots_or_a_bom() {
    let names = [
        "Variant SKU",
        "variant_sku",
        "\u{FEFF}VARIANT-SKU",
        "variant.sku\u{0B}",
        "Größe",
        "GRÖSSE",
        "İtem",
        "",
    ];
    assert_eq!(normalize_name(names[2]), "variantsku");
    assert_eq!(normalize_name(names[3]), "variantsku");
    assert_eq!(normalize_name("Größe"), "größe");
    // The comparison that builds no key agrees with the key, ASCII or not.
    for name in names {
        for other in names {
            assert_eq!(
                name_has_key(name, &normalize_name(other)),
                normalize_name(name) == normalize_name(other),
                "{name:?} against {other:?}"
            );
        }
    }
}

#[test]
fn a_name_two_fields_accept_names_the_first_listed() {
    const SHARED: [FieldSpec; 2] = [
        FieldSpec {
            name: "sku",
            aliases: &["code", "id"],
        },
        FieldSpec {
            name: "location",
            aliases: &["id"],
        },
    ];
    let layout = Layout::resolve(&header(&["ID", "Location"]), &SHARED, None).unwrap();
    assert_eq!((layout.column(0), layout.column(1)), (Some(0), Some(1)));
    assert!(layout.names_a_field("i-d") && !layout.names_a_field("warehouse"));
    assert_eq!(recognised(&header(&["Code", "id", "bin"]), &SHARED), 2);
}

#[test]
fn a_profile_mapping_wins_and_its_defaults_fill_blank_cells() {
    let mut profile = MappingProfile::default();
    profile.columns.insert("Artikel-Nr".into(), "sku".into());
    profile.columns.insert("Item".into(), "title".into());
    profile.defaults.insert("Quantity".into(), "0".into());
    let layout =
        Layout::resolve(&header(&["Item", "artikel nr"]), &FIELDS, Some(&profile)).unwrap();
    assert_eq!((layout.column(0), layout.column(1)), (Some(1), None));
    let row = Row {
        line: 2,
        values: vec!["x".into(), " A-1 ".into()],
        extra: vec![],
    };
    assert_eq!(layout.value(&row, 0), Some("A-1"));
    assert_eq!(layout.value(&row, 1), Some("0"));
}

#[test]
fn a_field_without_a_column_is_found_among_the_rows_extra_cells() {
    let layout = Layout::resolve(&header(&["sku"]), &FIELDS, None).unwrap();
    let row = Row {
        line: 3,
        values: vec!["A-1".into()],
        extra: vec![
            ("colour".into(), "red".into()),
            ("Available".into(), " 4 ".into()),
        ],
    };
    assert_eq!(layout.cell(&row, 1), Some("4"));
    assert!(!layout.provides(1));
}

#[test]
fn whole_numbers_accept_signs_and_zero_fractions_only() {
    assert_eq!(parse_whole("-3", false), Some(-3));
    assert_eq!(parse_whole("12.0", false), Some(12));
    assert_eq!(parse_whole("12,00", true), Some(12));
    for bad in ["12.5", "1,000", "ten", "", "-", "1e3"] {
        assert_eq!(parse_whole(bad, false), None, "{bad:?}");
    }
}

#[test]
fn amounts_with_a_decimal_comma_become_minor_units() {
    let eur = Currency::parse("EUR").unwrap();
    assert_eq!(parse_money("1.234,50", eur, true).unwrap().minor(), 123_450);
    assert_eq!(parse_money("1234.50", eur, false).unwrap().minor(), 123_450);
    let err = parse_money("-1", eur, false).unwrap_err();
    assert_eq!(money_reason("tax", &err), "tax must not be negative");
}

#[test]
fn every_partner_timestamp_format_is_read_and_ambiguous_ones_are_not() {
    let at = |s: &str| parse_timestamp(s).map(|t| t.to_rfc3339());
    let ten_utc = Some("2024-05-01T10:00:00+00:00".to_owned());
    assert_eq!(at("2024-05-01T12:00:00+02:00"), ten_utc);
    assert_eq!(at("2024-05-01 12:00:00 +0200"), ten_utc);
    assert_eq!(at("2024-05-01 10:00:00"), ten_utc);
    assert_eq!(at("2024-05-01T10:00:00"), ten_utc);
    assert_eq!(at("2024-05-01"), Some("2024-05-01T00:00:00+00:00".into()));
    for bad in ["01/05/2024", "24-05-01", "2024-5-1", "yesterday", ""] {
        assert_eq!(at(bad), None, "{bad:?}");
    }
}
