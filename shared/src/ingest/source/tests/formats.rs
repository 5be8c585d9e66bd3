//! Every format, encoding and compression, read right.

use super::*;

#[test]
fn csv_reads_in_every_delimiter_encoding_and_compression() {
    for (delimiter, shown) in [
        (",", "csv (,)"),
        (";", "csv (;)"),
        ("\t", "csv (tab)"),
        ("|", "csv (|)"),
    ] {
        let text = format!(
            "sku{d}name{d}price\r\nA1{d}\"Café, \"\"crème\"\"\"{d}9.90\r\n\r\nB2{d}\"Line\nbreak\"{d}10\r\n",
            d = delimiter
        );
        for enc in ENCODINGS {
            let (bytes, encoding) = encode(&text, enc);
            for compressed in [false, true] {
                let (name, bytes) = if compressed {
                    ("feed.csv.gz", gz(&bytes))
                } else {
                    ("feed.csv", bytes.clone())
                };
                let table = open_as(name, bytes.clone()).unwrap();
                let context = format!("{shown} {enc:?} gz={compressed}");
                assert_eq!(table.format.to_string(), shown, "{context}");
                assert_eq!(table.encoding, encoding, "{context}");
                assert_eq!(table.compressed, compressed, "{context}");
                check_products(name, bytes, [2, 4]);
            }
        }
    }
}

#[test]
fn json_arrays_and_ndjson_read_in_every_encoding_and_compression() {
    let q = |s: &str| serde_json::to_string(s).unwrap();
    let object = |sku: &str, name: &str, price: &str| {
        format!(
            r#"{{"sku":{},"name":{},"price":{}}}"#,
            q(sku),
            q(name),
            q(price)
        )
    };
    let (a, b) = (
        object("A1", NAME, "9.90"),
        object("B2", "Line\nbreak", "10"),
    );
    let array = format!("[\n  {a},\n  {b}\n]\n");
    let ndjson = format!("{a}\r\n\n{b}\n");
    for enc in ENCODINGS {
        for (name, text, format, lines) in [
            ("feed.json", &array, Format::Json, [1, 2]),
            ("feed.ndjson", &ndjson, Format::Ndjson, [1, 3]),
            ("feed", &array, Format::Json, [1, 2]),
            ("feed", &ndjson, Format::Ndjson, [1, 3]),
        ] {
            let (bytes, encoding) = encode(text, enc);
            for (name, bytes) in [
                (name.to_owned(), bytes.clone()),
                (format!("{name}.gz"), gz(&bytes)),
            ] {
                let table = open_as(&name, bytes.clone()).unwrap();
                assert_eq!(
                    (table.format, table.encoding),
                    (format, encoding),
                    "{name} {enc:?}"
                );
                check_products(&name, bytes, lines);
            }
        }
    }
}

#[test]
fn a_json_stream_of_pretty_printed_objects_is_read_object_by_object() {
    let text = "{\n \"sku\": \"A\",\n \"qty\": 1\n}\n{\n \"sku\": \"B\",\n \"qty\": 2.50\n}\n";
    let table = open_as("feed.json", text.into()).unwrap();
    let (rows, errors) = drain(table);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows[1].values, strings(&["B", "2.50"]));
    assert_eq!(rows[1].line, 2);
}

#[test]
fn later_json_objects_are_placed_by_key_with_unknown_keys_kept_aside() {
    let text =
        r#"[{"sku":"A","price":{"amount":1}},{"price":{"amount":2},"sku":"B","ean":"4006"}]"#;
    let table = open_as("feed.json", text.into()).unwrap();
    assert_eq!(table.header, strings(&["sku", "price.amount"]));
    let (rows, _) = drain(table);
    assert_eq!(rows[1].values, strings(&["B", "2"]));
    assert_eq!(rows[1].extra, vec![("ean".to_owned(), "4006".to_owned())]);
}

#[test]
fn xlsx_cells_read_as_displayed_with_sheet_row_numbers() {
    for (name, bytes) in [
        ("feed.xlsx", workbook()),
        ("feed.xlsx.gz", gz(&workbook())),
        ("feed.bin", workbook()),
    ] {
        let table = open_as(name, bytes).unwrap();
        assert_eq!(table.format, Format::Xlsx);
        assert_eq!(table.compressed, name.ends_with(".gz"));
        assert_eq!(
            table.header,
            strings(&["sku", "name", "price", "since", "ratio"])
        );
        let (rows, errors) = drain(table);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            rows[0].values,
            strings(&["A1", NAME, "9.9", "2024-01-01", "0.3"])
        );
        assert_eq!(
            rows[1].values[..4],
            strings(&["B2", "=HYPERLINK(\"http://x\",\"y\")", "10", "TRUE"])
        );
        assert_eq!([rows[0].line, rows[1].line], [2, 4]);
    }
}

#[test]
fn xlsx_reads_the_named_sheet_and_names_the_sheets_when_it_is_missing() {
    let open_sheet = |sheet| {
        let hint = SourceHint {
            file_name: "f.xlsx",
            sheet: Some(sheet),
            ..SourceHint::default()
        };
        open(Box::new(Cursor::new(workbook())), &hint)
    };
    assert_eq!(open_sheet("Other").unwrap().header, strings(&["other"]));
    let message = file_error(open_sheet("Stock"));
    assert!(message.contains("`Products`, `Other`"), "{message}");
}

#[test]
fn an_xlsx_over_the_size_cap_is_refused() {
    let limits = Limits {
        max_xlsx_bytes: 100,
        ..Limits::default()
    };
    let message = file_error(open_limited("f.xlsx", workbook(), limits));
    assert!(message.contains("larger than 100 bytes"), "{message}");
}

#[test]
fn the_content_type_names_the_format_when_the_name_does_not() {
    let hint = SourceHint {
        file_name: "upload",
        content_type: Some("text/tab-separated-values"),
        ..SourceHint::default()
    };
    let table = open(Box::new(Cursor::new(b"a;b\tc\n1;2\t3\n".to_vec())), &hint).unwrap();
    assert_eq!(table.format, Format::Csv { delimiter: b'\t' });
    assert_eq!(table.header, strings(&["a;b", "c"]));
}

#[test]
fn utf16_big_endian_without_a_bom_is_read() {
    let table = open_as("f.txt", utf16("sku|name\n1|Crème\n", false, false)).unwrap();
    assert_eq!(
        (table.encoding, table.format.to_string()),
        ("UTF-16BE", "csv (|)".into())
    );
    assert_eq!(drain(table).0[0].values, strings(&["1", "Crème"]));
}

#[test]
fn a_bad_ndjson_line_fails_only_itself() {
    let text = "{\"a\":1}\n{\"a\":\n[1]\n{\"a\":4,\"b\":true}\n";
    let (rows, errors) = drain(open_as("f.jsonl", text.into()).unwrap());
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 4]);
    assert_eq!(rows[1].extra, vec![("b".to_owned(), "true".to_owned())]);
    let lines: Vec<u64> = errors
        .iter()
        .filter_map(|e| match e {
            SourceError::Row { line, .. } => Some(*line),
            _ => None,
        })
        .collect();
    assert_eq!(lines, [2, 3]);
}

#[test]
fn formats_display_with_their_delimiter() {
    let shown: Vec<String> = [
        Format::Csv { delimiter: b';' },
        Format::Csv { delimiter: b'\t' },
        Format::Json,
        Format::Ndjson,
        Format::Xlsx,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(shown, ["csv (;)", "csv (tab)", "json", "ndjson", "xlsx"]);
}

#[test]
fn brackets_commas_and_escaped_quotes_inside_json_strings_do_not_split_elements() {
    let text = r#"[{"a":"x]\"},{\\","n":{"b":[1,{"c":"]"}]}} ,{"a":"y"}]"#;
    let table = open_as("f.json", text.into()).unwrap();
    assert_eq!(table.header, strings(&["a", "n.b"]));
    let (rows, errors) = drain(table);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rows[0].values, strings(&["x]\"},{\\", r#"[1,{"c":"]"}]"#]));
    assert_eq!((rows[1].line, rows[1].values[0].as_str()), (2, "y"));
}
