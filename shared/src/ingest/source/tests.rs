//! Every format × encoding × gzip through [`open`], and a corpus of hostile files, generated
//! here rather than committed: each must end in rows and/or a clear error, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, Cursor, Read, Write};

use encoding_rs::WINDOWS_1252;
use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;

const NAME: &str = "Café, \"crème\"";

fn open_as(file_name: &str, bytes: Vec<u8>) -> Result<Table, SourceError> {
    open_limited(file_name, bytes, Limits::default())
}

fn open_limited(file_name: &str, bytes: Vec<u8>, limits: Limits) -> Result<Table, SourceError> {
    let hint = SourceHint {
        file_name,
        ..SourceHint::default()
    };
    open_with_limits(Box::new(Cursor::new(bytes)), &hint, &limits)
}

/// Every item of the rows, split into rows and errors.
fn drain(table: Table) -> (Vec<Row>, Vec<SourceError>) {
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for item in table.rows {
        match item {
            Ok(row) => rows.push(row),
            Err(error) => errors.push(error),
        }
    }
    (rows, errors)
}

fn file_error(result: Result<Table, SourceError>) -> String {
    let errors = match result {
        Err(error) => vec![error],
        Ok(table) => drain(table).1,
    };
    match errors.last() {
        Some(SourceError::File(message)) => message.clone(),
        other => panic!("expected a file error, got {other:?}"),
    }
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = bom.then_some('\u{FEFF}' as u16).into_iter();
    for unit in units.chain(text.encode_utf16()) {
        out.extend(if little {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Enc {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Utf16LeNoBom,
    Windows1252,
}

const ENCODINGS: [Enc; 6] = [
    Enc::Utf8,
    Enc::Utf8Bom,
    Enc::Utf16Le,
    Enc::Utf16Be,
    Enc::Utf16LeNoBom,
    Enc::Windows1252,
];

fn encode(text: &str, enc: Enc) -> (Vec<u8>, &'static str) {
    match enc {
        Enc::Utf8 => (text.as_bytes().to_vec(), "UTF-8"),
        Enc::Utf8Bom => ([b"\xEF\xBB\xBF", text.as_bytes()].concat(), "UTF-8"),
        Enc::Utf16Le => (utf16(text, true, true), "UTF-16LE"),
        Enc::Utf16Be => (utf16(text, false, true), "UTF-16BE"),
        Enc::Utf16LeNoBom => (utf16(text, true, false), "UTF-16LE"),
        Enc::Windows1252 => (WINDOWS_1252.encode(text).0.into_owned(), "windows-1252"),
    }
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn check_products(file_name: &str, bytes: Vec<u8>, lines: [u64; 2]) {
    let table = open_as(file_name, bytes).unwrap();
    assert_eq!(
        table.header,
        strings(&["sku", "name", "price"]),
        "{file_name}"
    );
    let summary = format!("{file_name}: {table:?}");
    let (rows, errors) = drain(table);
    assert!(errors.is_empty(), "{summary}: {errors:?}");
    assert_eq!(rows.len(), 2, "{summary}");
    assert_eq!(rows[0].values, strings(&["A1", NAME, "9.90"]), "{summary}");
    assert_eq!(
        rows[1].values,
        strings(&["B2", "Line\nbreak", "10"]),
        "{summary}"
    );
    assert_eq!([rows[0].line, rows[1].line], lines, "{summary}");
}

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

/// A small workbook: sheets `Products` and `Other`, a date style, inline strings.
fn workbook() -> Vec<u8> {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const PKG: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    let text = |r: &str, s: &str| format!(r#"<c r="{r}" t="inlineStr"><is><t>{s}</t></is></c>"#);
    let sheet1 = format!(
        r#"<worksheet xmlns="{MAIN}"><sheetData><row r="1">{}{}{}{}{}</row><row r="2">{}{}<c r="C2"><v>9.9</v></c><c r="D2" s="1"><v>45292</v></c><c r="E2"><v>0.30000000000000004</v></c></row><row r="4">{}{}<c r="C4"><v>10</v></c><c r="D4" t="b"><v>1</v></c></row></sheetData></worksheet>"#,
        text("A1", " sku "),
        text("B1", "name"),
        text("C1", "price"),
        text("D1", "since"),
        text("E1", "ratio"),
        text("A2", "A1"),
        text("B2", "Café, &quot;crème&quot;"),
        text("A4", "B2"),
        text("B4", "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)"),
    );
    let sheet2 = format!(
        r#"<worksheet xmlns="{MAIN}"><sheetData><row r="1">{}</row><row r="2">{}</row></sheetData></worksheet>"#,
        text("A1", "other"),
        text("A2", "x")
    );
    let ct = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    let files = [
        (
            "[Content_Types].xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="{ct}.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/></Types>"#
            ),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets><sheet name="Products" sheetId="1" r:id="rId1"/><sheet name="Other" sheetId="2" r:id="rId2"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<Relationships xmlns="{PKG}"><Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{REL}/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/styles.xml",
            format!(
                r#"<styleSheet xmlns="{MAIN}"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#
            ),
        ),
        ("xl/worksheets/sheet1.xml", sheet1),
        ("xl/worksheets/sheet2.xml", sheet2),
    ];
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
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
    assert!(file_error(open_as("f.json", b"[]".to_vec())).contains("no objects"));
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
