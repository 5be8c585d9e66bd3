//! Every format × encoding × gzip through [`open`](super::open) (`formats`), and a corpus of
//! hostile files (`hostile`), generated here rather than committed: each must end in rows and/or
//! a clear error, never a panic or unbounded memory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod formats;
mod hostile;

use std::io::{Cursor, Write};

use encoding_rs::WINDOWS_1252;
use flate2::Compression;
use flate2::write::GzEncoder;

use super::*;

pub(super) const NAME: &str = "Café, \"crème\"";

pub(super) fn open_as(file_name: &str, bytes: Vec<u8>) -> Result<Table, SourceError> {
    open_limited(file_name, bytes, Limits::default())
}

pub(super) fn open_limited(
    file_name: &str,
    bytes: Vec<u8>,
    limits: Limits,
) -> Result<Table, SourceError> {
    let hint = SourceHint {
        file_name,
        ..SourceHint::default()
    };
    open_with_limits(Box::new(Cursor::new(bytes)), &hint, &limits)
}

/// Every item of the rows, split into rows and errors.
pub(super) fn drain(table: Table) -> (Vec<Row>, Vec<SourceError>) {
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    for item in table.rows {
        match item {
            Ok(row) => rows.push(row),
            Err(error) => errors.push(error),
        }
    }
    (rows, errors)
}

pub(super) fn file_error(result: Result<Table, SourceError>) -> String {
    let errors = match result {
        Err(error) => vec![error],
        Ok(table) => drain(table).1,
    };
    match errors.last() {
        Some(SourceError::File(message)) => message.clone(),
        other => panic!("expected a file error, got {other:?}"),
    }
}

pub(super) fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

pub(super) fn utf16(text: &str, little: bool, bom: bool) -> Vec<u8> {
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
pub(super) enum Enc {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Utf16LeNoBom,
    Windows1252,
}

pub(super) const ENCODINGS: [Enc; 6] = [
    Enc::Utf8,
    Enc::Utf8Bom,
    Enc::Utf16Le,
    Enc::Utf16Be,
    Enc::Utf16LeNoBom,
    Enc::Windows1252,
];

pub(super) fn encode(text: &str, enc: Enc) -> (Vec<u8>, &'static str) {
    match enc {
        Enc::Utf8 => (text.as_bytes().to_vec(), "UTF-8"),
        Enc::Utf8Bom => ([b"\xEF\xBB\xBF", text.as_bytes()].concat(), "UTF-8"),
        Enc::Utf16Le => (utf16(text, true, true), "UTF-16LE"),
        Enc::Utf16Be => (utf16(text, false, true), "UTF-16BE"),
        Enc::Utf16LeNoBom => (utf16(text, true, false), "UTF-16LE"),
        Enc::Windows1252 => (WINDOWS_1252.encode(text).0.into_owned(), "windows-1252"),
    }
}

pub(super) fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

pub(super) fn check_products(file_name: &str, bytes: Vec<u8>, lines: [u64; 2]) {
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

/// A small workbook: sheets `Products` and `Other`, a date style, inline strings.
pub(super) fn workbook() -> Vec<u8> {
    workbook_with(None)
}

/// [`workbook`], with `sheet_data` (the `<row>`s) in place of the first sheet's rows.
pub(super) fn workbook_with(sheet_data: Option<&str>) -> Vec<u8> {
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
        (
            "xl/worksheets/sheet1.xml",
            match sheet_data {
                Some(rows) => format!(
                    r#"<worksheet xmlns="{MAIN}"><sheetData>{rows}</sheetData></worksheet>"#
                ),
                None => sheet1,
            },
        ),
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
