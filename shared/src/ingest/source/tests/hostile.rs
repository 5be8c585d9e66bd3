//! Files that try to break the reader: each ends in rows and/or a clear error.

use std::io::{self, Cursor, Read};

use encoding_rs::WINDOWS_1252;

use super::*;

#[test]
fn truncated_gzip_ends_in_a_file_error() {
    let text: String = (0..5000).map(|i| format!("{i},name {i}\n")).collect();
    let full = gz(format!("sku,name\n{text}").as_bytes());
    let message = file_error(open_as("f.csv.gz", full[..full.len() / 2].to_vec()));
    assert!(message.contains("gzip"), "{message}");
}

#[test]
fn truncated_json_yields_the_whole_elements_then_a_file_error() {
    let table = open_as("f.json", br#"[{"a":1},{"a":2},{"a":"#.to_vec()).unwrap();
    let (rows, errors) = drain(table);
    assert_eq!(rows.len(), 2);
    assert!(
        matches!(&errors[..], [SourceError::File(m)] if m.contains("cut short")),
        "{errors:?}"
    );
}

#[test]
fn binary_junk_is_refused_as_not_text() {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let mut state = 0x2545_f491_u32;
    bytes.extend((0..100_000).map(|_| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state.to_le_bytes()[0]
    }));
    for name in ["photo.csv", "photo.json", "photo"] {
        let message = file_error(open_as(name, bytes.clone()));
        assert!(
            message.contains("not text") || message.contains("JSON"),
            "{name}: {message}"
        );
    }
}

#[test]
fn a_ten_megabyte_line_is_a_row_under_the_cap_and_an_error_over_it() {
    let long = "x".repeat(10 << 20);
    let csv = format!("sku,name\n1,{long}\n2,b\n");
    let (rows, errors) = drain(open_as("f.csv", csv.clone().into()).unwrap());
    assert!(errors.is_empty());
    assert_eq!((rows[0].values[1].len(), rows[1].line), (10 << 20, 3));
    let small = Limits {
        max_record_bytes: 1 << 20,
        ..Limits::default()
    };
    let message = file_error(open_limited("f.csv", csv.into(), small));
    assert!(message.contains("line 2 is longer than 1 MiB"), "{message}");

    let ndjson = format!("{{\"sku\":\"0\"}}\n{{\"sku\":\"{long}\"}}\n{{\"sku\":\"2\"}}\n");
    let (rows, errors) = drain(open_as("f.ndjson", ndjson.clone().into()).unwrap());
    assert!(errors.is_empty());
    assert_eq!(rows[1].values[0].len(), 10 << 20);
    let (rows, errors) = drain(open_limited("f.ndjson", ndjson.into(), small).unwrap());
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3]);
    assert!(
        matches!(&errors[..], [SourceError::Row { line: 2, reason }] if reason.contains("1 MiB"))
    );
}

#[test]
fn an_oversized_json_element_is_a_row_error_and_the_next_is_read() {
    let long = "x".repeat(2000);
    let text = format!(r#"[{{"a":"1"}},{{"a":"{long}"}},{{"a":"3"}}]"#);
    let limits = Limits {
        max_record_bytes: 1000,
        ..Limits::default()
    };
    let (rows, errors) = drain(open_limited("f.json", text.into(), limits).unwrap());
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3]);
    assert!(
        matches!(&errors[..], [SourceError::Row { line: 2, .. }]),
        "{errors:?}"
    );
}

#[test]
fn a_file_that_claims_utf8_but_is_windows_1252_reads_as_windows_1252() {
    let bytes = WINDOWS_1252.encode("sku,name\n1,Café\n").0.into_owned();
    let hint = SourceHint {
        file_name: "f.csv",
        encoding: Some("utf-8"),
        ..SourceHint::default()
    };
    let table = open(Box::new(Cursor::new(bytes)), &hint).unwrap();
    assert_eq!(table.encoding, "windows-1252");
    assert_eq!(drain(table).0[0].values[1], "Café");
}

#[test]
fn a_byte_that_is_not_utf8_after_the_sniffed_prefix_fails_only_its_row() {
    let mut bytes = b"sku,name\n".to_vec();
    for i in 0..10_000 {
        bytes.extend(format!("{i},plain\n").as_bytes());
    }
    bytes.extend(b"x,caf\xe9\ny,ok \xe2\x9c\x93\n");
    assert!(bytes.len() > SNIFF_BYTES);
    let (rows, errors) = drain(open_as("f.csv", bytes).unwrap());
    assert_eq!(rows.len(), 10_001);
    assert_eq!(rows[10_000].values[1], "ok ✓");
    assert!(
        matches!(&errors[..], [SourceError::Row { line: 10_002, reason }] if reason.contains("not valid UTF-8")),
        "{errors:?}"
    );
}

#[test]
fn a_profile_encoding_is_used_when_there_is_no_bom() {
    let bytes = WINDOWS_1252.encode("sku;name\n1;Crème\n").0.into_owned();
    let hint = SourceHint {
        file_name: "f.txt",
        encoding: Some("latin1"),
        ..SourceHint::default()
    };
    let table = open(Box::new(Cursor::new(bytes)), &hint).unwrap();
    assert_eq!(drain(table).0[0].values, strings(&["1", "Crème"]));
}

#[test]
fn a_gzip_bomb_stops_at_the_cap() {
    let bytes = gz(&[b"sku\n".as_slice(), &b"1\n".repeat(4 << 20)].concat());
    assert!(bytes.len() < 100 << 10);
    let limits = Limits {
        max_decompressed_bytes: 1 << 20,
        ..Limits::default()
    };
    let (rows, errors) = drain(open_limited("f.csv.gz", bytes, limits).unwrap());
    assert!(rows.len() < 1 << 20);
    assert!(
        matches!(&errors[..], [SourceError::File(m)] if m.contains("expands beyond 1 MiB")),
        "{errors:?}"
    );
}

#[test]
fn an_empty_file_is_a_file_error_in_every_format() {
    for name in ["f.csv", "f.json", "f.ndjson", "f", "f.csv.gz"] {
        let bytes = if name.ends_with(".gz") {
            gz(b"")
        } else {
            Vec::new()
        };
        assert!(file_error(open_as(name, bytes)).contains("empty"), "{name}");
    }
    assert!(file_error(open_as("f.csv", b"\n\r\n  \n".to_vec())).contains("empty"));
    assert!(file_error(open_as("f.json", b"[]".to_vec())).contains("no JSON objects"));
    assert!(file_error(open_as("f.xlsx", Vec::new())).contains("not one"));
}

#[test]
fn a_header_only_file_has_a_header_and_no_rows() {
    let table = open_as("f.csv", b"sku,name\r\n".to_vec()).unwrap();
    assert_eq!(table.header, strings(&["sku", "name"]));
    assert_eq!(drain(table).0.len(), 0);
}

#[test]
fn an_empty_header_row_is_a_file_error() {
    assert!(file_error(open_as("f.csv", b" , ,\n1,2,3\n".to_vec())).contains("header"));
}

#[test]
fn a_formula_cell_comes_through_verbatim() {
    let text = "sku,link\n1,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\n2,=1+2\n";
    let (rows, _) = drain(open_as("f.csv", text.into()).unwrap());
    assert_eq!(rows[0].values[1], "=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(rows[1].values[1], "=1+2");
}

#[test]
fn mixed_line_endings_keep_physical_line_numbers() {
    let text = "sku,name\r\n1,a\n2,\"b\r\nc\"\r\n\n3,d\r4,e\n";
    let (rows, errors) = drain(open_as("f.csv", text.into()).unwrap());
    assert!(errors.is_empty());
    let lines: Vec<u64> = rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 6, 6]);
    assert_eq!(rows[1].values[1], "b\r\nc");
}

#[test]
fn a_json_array_with_a_non_object_element_fails_only_that_element() {
    let text = r#"[{"a":1}, 2, "x", {"a":"3"}, [1]]"#;
    let (rows, errors) = drain(open_as("f.json", text.into()).unwrap());
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 4]);
    let lines: Vec<u64> = errors
        .iter()
        .map(|e| match e {
            SourceError::Row { line, reason } if reason.contains("not a JSON object") => *line,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(lines, [2, 3, 5]);
}

#[test]
fn json_that_holds_no_objects_at_the_top_is_a_file_error() {
    assert!(
        file_error(open_as("f.json", br#""just a string""#.to_vec())).contains("array of objects")
    );
    assert!(file_error(open_as("f.json", b"[1, 2]".to_vec())).contains("no element"));
    assert!(file_error(open_as("f.json", br#"[{"a":1}] junk"#.to_vec())).contains("where element"));
}

/// A reader that fails after `good` bytes, as a dropped blob connection does.
struct Failing {
    inner: Cursor<Vec<u8>>,
    good: u64,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inner.position() >= self.good {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "blob stream reset",
            ));
        }
        let room = (self.good - self.inner.position()).min(buf.len() as u64) as usize;
        self.inner.read(&mut buf[..room])
    }
}

#[test]
fn a_failing_reader_is_an_io_error_to_retry_in_every_format() {
    let csv: String = (0..20_000).map(|i| format!("{i},x\n")).collect();
    let ndjson: String = (0..20_000).map(|i| format!("{{\"n\":{i}}}\n")).collect();
    let json = format!(
        "[{}]",
        (0..20_000)
            .map(|i| format!("{{\"n\":{i}}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    for (name, bytes) in [
        ("f.csv", format!("sku,name\n{csv}").into_bytes()),
        ("f.csv.gz", gz(format!("sku,name\n{csv}").as_bytes())),
        ("f.ndjson", ndjson.into_bytes()),
        ("f.json", json.into_bytes()),
        ("f.xlsx", workbook()),
    ] {
        let good = bytes.len() as u64 / 2;
        let reader = Failing {
            inner: Cursor::new(bytes),
            good,
        };
        let hint = SourceHint {
            file_name: name,
            ..SourceHint::default()
        };
        let last = match open(Box::new(reader), &hint) {
            Err(error) => error,
            Ok(table) => drain(table).1.pop().expect(name),
        };
        assert!(last.is_transient(), "{name}: {last:?}");
    }
}

#[test]
fn an_unclosed_quote_runs_to_the_record_cap_and_stops_there() {
    let mut text = b"sku,name\n1,\"open\n".to_vec();
    text.extend(b"2,b\n".repeat(1000));
    let limits = Limits {
        max_record_bytes: 1000,
        ..Limits::default()
    };
    let message = file_error(open_limited("f.csv", text, limits));
    assert!(
        message.contains("line 2") && message.contains("quote"),
        "{message}"
    );
}

#[test]
fn a_file_named_xlsx_that_is_not_a_workbook_is_refused() {
    let message = file_error(open_as("f.xlsx", b"sku,name\n1,a\n".to_vec()));
    assert!(message.contains("not one"), "{message}");
    let mut broken = workbook();
    broken.truncate(broken.len() / 2);
    let message = file_error(open_as("f.xlsx", broken));
    assert!(message.contains("workbook"), "{message}");
}

#[test]
fn xlsx_cells_far_apart_do_not_ask_for_the_box_between_them() {
    let rows = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row>"#;
    let table = open_as("f.xlsx", workbook_with(Some(rows))).unwrap();
    assert_eq!(table.header, strings(&["sku"]));
    let (rows, _) = drain(table);
    assert_eq!((rows[0].line, rows[0].values.len()), (1_048_576, 16_384));
    assert_eq!(rows[0].values[16_383], "far");
}

#[test]
fn xlsx_cells_past_the_last_excel_column_are_refused_before_a_row_is_made_that_wide() {
    // Found while writing the `feed_xlsx` fuzz target: a cell named `ZZZZZZ1` made its row 321
    // million cells wide (7.7 GB of empty strings) from a workbook of a few hundred bytes.
    // Seven letters and more overflow calamine's column arithmetic (tafia/calamine#694): a
    // panic with overflow checks on, a wrong column without. They are refused before calamine
    // reads the sheet, as is any reference longer than Excel's three letters.
    for far in ["XFE1", "AAAA1", "ZZZZZZ1", "ABCDEFGH1", "ZZZZZZZZZZZZZ1"] {
        let rows = format!(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c><c r="{far}" t="inlineStr"><is><t>far</t></is></c></row>"#
        );
        let message = file_error(open_as("f.xlsx", workbook_with(Some(&rows))));
        let expected = match far {
            "XFE1" => {
                "the sheet `Products` has a cell past column XFD, the last one Excel has".to_owned()
            }
            _ => format!(
                "the workbook has a cell reference outside Excel's sheet (`{far}`; the last cell \
                 is XFD1048576, and a range cannot end before it starts)"
            ),
        };
        assert_eq!(
            message,
            format!("{expected}; save it from Excel again or upload it as CSV"),
            "{far}"
        );
    }
}

#[test]
fn xlsx_rows_past_the_last_excel_row_and_backward_ranges_are_refused() {
    // Found by the `feed_xlsx` fuzz target: more than ten digits overflow calamine's row
    // arithmetic, and a dimension that ends before it starts underflows it.
    for (rows, reference) in [
        (
            r#"<row r="99999999999"><c t="inlineStr"><is><t>sku</t></is></c></row>"#,
            "99999999999",
        ),
        (
            r#"<row r="1"><c r="A1048577" t="inlineStr"><is><t>sku</t></is></c></row>"#,
            "A1048577",
        ),
        (
            r#"<mergeCells><mergeCell ref="C3:A1"/></mergeCells>"#,
            "C3:A1",
        ),
    ] {
        let message = file_error(open_as("f.xlsx", workbook_with(Some(rows))));
        assert!(message.contains(&format!("(`{reference}`;")), "{message}");
    }
}

#[test]
fn xlsx_over_the_cell_or_unpacked_size_caps_is_refused() {
    let cells = Limits {
        max_xlsx_cells: 5,
        ..Limits::default()
    };
    let message = file_error(open_limited("f.xlsx", workbook(), cells));
    assert!(message.contains("more than 5 filled cells"), "{message}");
    let unpacked = Limits {
        max_xlsx_unpacked_bytes: 1000,
        ..Limits::default()
    };
    let message = file_error(open_limited("f.xlsx", workbook(), unpacked));
    assert!(
        message.contains("unpacks to more than 1000 bytes"),
        "{message}"
    );
}
