//! A pass over a workbook's XML before calamine reads it: every cell reference (the `r`,
//! `ref`, `sqref`, `topLeftCell` and `activeCell` attributes) must be one calamine's
//! arithmetic takes safely. calamine 0.38 computes positions without bounds
//! (tafia/calamine#694): a column of seven or more letters or a row number of more than ten
//! digits overflows, and a range that ends before it starts underflows. Overflow panics where
//! overflow checks are on and silently puts a cell in the wrong place where they are not. All
//! three were found by the `feed_xlsx` fuzz target.
//!
//! The pass reads each part with the XML tokenizer calamine uses, configured as calamine
//! configures it, and reads attributes as calamine does (`calamine::attrs`), so it sees the
//! references calamine would see. It reads every part of the archive, not only
//! `xl/worksheets/`: calamine finds a sheet through the workbook's relationships, which may
//! point anywhere, and matches part names without regard to case.

use std::io::{BufReader, Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::SourceError;

/// The attributes that hold cell references, matched exactly (as calamine matches them).
const REFERENCES: [&[u8]; 5] = [b"r", b"ref", b"sqref", b"topLeftCell", b"activeCell"];

/// Excel's last row; its last column, XFD, has three letters.
const LAST_ROW: u32 = 1_048_576;
const MOST_COLUMN_LETTERS: usize = 3;

/// Refuses a workbook with a cell reference outside Excel's grid.
pub(super) fn check_cell_references(workbook: &[u8]) -> Result<(), SourceError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(workbook))
        .map_err(|e| SourceError::File(format!("the Excel workbook cannot be read: {e}")))?;
    for index in 0..archive.len() {
        // A part that cannot be opened is left to calamine, which fails if it needs it.
        let Ok(part) = archive.by_index(index) else {
            continue;
        };
        if let Some(reference) = first_reference_outside_grid(part) {
            let shown: String = reference.chars().take(40).collect();
            return Err(SourceError::File(format!(
                "the workbook has a cell reference outside Excel's sheet (`{shown}`; the last \
                 cell is XFD{LAST_ROW}, and a range cannot end before it starts); save it from \
                 Excel again or upload it as CSV"
            )));
        }
    }
    Ok(())
}

/// The first reference attribute in the XML read from `part` that is outside the grid. XML
/// calamine's tokenizer cannot read ends the pass there: calamine stops at the same place.
fn first_reference_outside_grid(part: impl Read) -> Option<String> {
    let mut reader = Reader::from_reader(BufReader::new(part));
    let config = reader.config_mut();
    config.check_end_names = false;
    config.check_comments = false;
    config.expand_empty_elements = true;
    config.trim_text(false);
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        match reader.read_event_into(&mut buffer) {
            Ok(Event::Start(element)) => {
                let outside = raw_attributes(element.attributes_raw().as_bytes())
                    .find(|(key, value)| REFERENCES.contains(key) && !within_grid(value));
                if let Some((_, value)) = outside {
                    return Some(String::from_utf8_lossy(value).into_owned());
                }
            }
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

/// An element's attributes read as calamine reads them: `key = "value"` or `'value'`, the key
/// everything up to `=`, no entity decoding. A malformed attribute ends the list (calamine
/// fails the element there).
fn raw_attributes(raw: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut rest = raw;
    std::iter::from_fn(move || {
        let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        let tail = &rest[start..];
        let equals = tail.iter().position(|&b| b == b'=')?;
        let key = tail[..equals].trim_ascii_end();
        let (&quote, value) = tail[equals + 1..].trim_ascii_start().split_first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let end = value
            .iter()
            .position(|&b| b == quote)
            .unwrap_or(value.len());
        rest = value.get(end + 1..).unwrap_or_default();
        Some((key, &value[..end]))
    })
}

/// Whether every reference in `value` (a cell, a range `A1:B2`, or a list of them separated
/// by spaces) keeps calamine's arithmetic in bounds.
fn within_grid(value: &[u8]) -> bool {
    value.split(u8::is_ascii_whitespace).all(|range| {
        let cells: Vec<Cell> = range.split(|&b| b == b':').map(Cell::read).collect();
        match cells.as_slice() {
            [Cell::At(start), Cell::At(end)] => end.0 >= start.0 && end.1 >= start.1,
            cells => !cells.contains(&Cell::Outside),
        }
    })
}

/// One cell reference, read as calamine reads it: letters, then digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// A complete reference: (row, column), both from 1.
    At((u32, u32)),
    /// More letters than Excel's columns have, or a row past Excel's last: calamine's
    /// arithmetic would run past its bounds.
    Outside,
    /// Anything else (no column, no row, other characters): calamine refuses it, having
    /// computed nothing out of bounds.
    Other,
}

impl Cell {
    fn read(text: &[u8]) -> Self {
        let letters = text.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if letters > MOST_COLUMN_LETTERS {
            return Cell::Outside;
        }
        let digits = text[letters..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let mut row: u32 = 0;
        for &digit in &text[letters..letters + digits] {
            row = row * 10 + u32::from(digit - b'0');
            if row > LAST_ROW {
                return Cell::Outside;
            }
        }
        if letters == 0 || digits == 0 || letters + digits < text.len() {
            return Cell::Other;
        }
        let column = text[..letters].iter().fold(0, |column, letter| {
            column * 26 + u32::from(letter.to_ascii_uppercase() - b'A') + 1
        });
        Cell::At((row, column))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use super::*;

    fn outside(xml: &str) -> Option<String> {
        first_reference_outside_grid(xml.as_bytes())
    }

    #[test]
    fn references_within_excel_s_grid_pass() {
        for xml in [
            r#"<row r="1" spans="1:2"><c r="XFD1048576" t="s"><v>0</v></c></row>"#,
            r#"<dimension ref="A1:XFD1048576"/><c r="b2" s="1" t="inlineStr"/>"#,
            r#"<selection activeCell="A1" sqref="A1 B2:C3 $A$1"/><f t="shared" ref="A1:A1"/>"#,
            r##"<c r="#REF!"/><mergeCell ref="A:C"/><c r=""/><row r="0"/>"##,
        ] {
            assert_eq!(outside(xml), None, "{xml}");
        }
    }

    #[test]
    fn references_past_calamine_s_bounds_are_found() {
        for (xml, found) in [
            (r#"<c r="ABCDEFGH1" t="inlineStr"/>"#, "ABCDEFGH1"),
            (r#"<c r="AAAA"/>"#, "AAAA"),
            (r#"<dimension ref="A1:AAAA2"/>"#, "A1:AAAA2"),
            (
                r#"<selection activeCell="A1" sqref="A1 ZZZZZZZ9"/>"#,
                "A1 ZZZZZZZ9",
            ),
            (r#"<row r="99999999999"/>"#, "99999999999"),
            (r#"<c r="A1048577"/>"#, "A1048577"),
            (r#"<dimension ref="B5:A9"/>"#, "B5:A9"),
            (r#"<mergeCell ref="A9:B5"/>"#, "A9:B5"),
            // As calamine reads attributes: single quotes, spaces around `=`.
            (r#"<c r = 'ABCDEFGH1'/>"#, "ABCDEFGH1"),
        ] {
            assert_eq!(outside(xml).as_deref(), Some(found), "{xml}");
        }
    }

    #[test]
    fn other_attributes_and_text_are_not_references() {
        // A GUID's hex letters before digits, a code name, a namespace named `r`, a prefixed
        // `r` (calamine matches names exactly), cell text.
        assert_eq!(
            outside(
                r#"<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheetPr codeName="ABCDE1"/><x xr:uid="{ABCDEF12-0000}" x:r="ABCDEFG1"/><t>ABCDEFG123</t></worksheet>"#
            ),
            None
        );
    }

    #[test]
    fn every_part_is_read_whatever_its_name() {
        // calamine matches part names without regard to case, and a relationship may point
        // anywhere: found by the fuzz target as `xl/worksheeTs/sheet2.xml`.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
        zip.write_all(br#"<worksheet><c r="A1"/></worksheet>"#)
            .unwrap();
        zip.start_file("XL/WorkSheets/elsewhere.bin", options)
            .unwrap();
        zip.write_all(br#"<worksheet><row r="warehouseA1"/></worksheet>"#)
            .unwrap();
        let workbook = zip.finish().unwrap().into_inner();
        let refused = check_cell_references(&workbook).unwrap_err().to_string();
        assert!(refused.contains("(`warehouseA1`;"), "{refused}");
    }
}
