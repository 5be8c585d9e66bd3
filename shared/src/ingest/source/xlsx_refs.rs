//! A pass over a workbook's sheet XML before calamine reads it: every cell reference (the
//! `r`, `ref`, `sqref`, `topLeftCell` and `activeCell` attributes) must name a column Excel
//! has, at most three letters. calamine 0.38 computes a column from the letters without a
//! bound (tafia/calamine#694): seven or more letters overflow, which panics where overflow
//! checks are on and silently puts the cell in a wrong column where they are not. Found by the
//! `feed_xlsx` fuzz target.

use std::io::{BufRead, BufReader, Cursor, Read};

use super::SourceError;

/// The attributes that hold cell references.
const REFERENCES: [&[u8]; 5] = [b"r", b"ref", b"sqref", b"topLeftCell", b"activeCell"];

/// Refuses a workbook whose sheets name a cell past column XFD.
pub(super) fn check_cell_references(workbook: &[u8]) -> Result<(), SourceError> {
    let unreadable =
        |e: String| SourceError::File(format!("the Excel workbook cannot be read: {e}"));
    let mut archive =
        zip::ZipArchive::new(Cursor::new(workbook)).map_err(|e| unreadable(e.to_string()))?;
    for index in 0..archive.len() {
        let part = archive
            .by_index(index)
            .map_err(|e| unreadable(e.to_string()))?;
        let name = part.name().map_err(|e| unreadable(e.to_string()))?;
        if !name.starts_with("xl/worksheets/") || !name.ends_with(".xml") {
            continue;
        }
        if has_far_reference(part).map_err(|e| unreadable(e.to_string()))? {
            return Err(SourceError::File(
                "the workbook has a cell past column XFD, the last one Excel has; save it from \
                 Excel again or upload it as CSV"
                    .into(),
            ));
        }
    }
    Ok(())
}

/// Whether the XML read from `part` has a cell reference of four or more letters.
fn has_far_reference(part: impl Read) -> std::io::Result<bool> {
    let mut reader = BufReader::with_capacity(64 * 1024, part);
    let mut scan = Scan::default();
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(false);
        }
        if chunk.iter().any(|&b| scan.step(b)) {
            return Ok(true);
        }
        let read = chunk.len();
        reader.consume(read);
    }
}

/// A byte-at-a-time reading of attributes: `name="value"`.
#[derive(Default)]
struct Scan {
    /// The attribute name being read (its local part), while it is short enough to matter.
    name: Vec<u8>,
    /// An `=` followed the name.
    equals: bool,
    /// Inside a value; `Some(letters)` when it is a reference, counting the letters so far.
    value: Option<Option<u32>>,
}

impl Scan {
    /// Takes one byte; true when a reference with more than three letters before its row
    /// number was seen.
    fn step(&mut self, byte: u8) -> bool {
        if let Some(reference) = &mut self.value {
            match (byte, reference) {
                (b'"', _) => {
                    self.value = None;
                    self.name.clear();
                }
                (b'0'..=b'9', Some(letters)) => {
                    let far = *letters > 3;
                    *letters = 0;
                    return far;
                }
                (b'A'..=b'Z' | b'a'..=b'z', Some(letters)) => *letters += 1,
                (_, Some(letters)) => *letters = 0,
                (_, None) => {}
            }
            return false;
        }
        match byte {
            b'"' if self.equals => {
                let local = match self.name.iter().rposition(|&b| b == b':') {
                    Some(colon) => &self.name[colon + 1..],
                    None => &self.name[..],
                };
                self.value = Some(REFERENCES.contains(&local).then_some(0));
                self.equals = false;
            }
            b'=' => self.equals = !self.name.is_empty(),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b':' | b'_' if !self.equals => {
                if self.name.len() < 32 {
                    self.name.push(byte);
                }
            }
            _ => {
                self.name.clear();
                self.equals = false;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far(xml: &str) -> bool {
        has_far_reference(xml.as_bytes()).unwrap()
    }

    #[test]
    fn references_within_excel_s_columns_pass_and_longer_ones_are_found() {
        assert!(!far(
            r#"<row r="1" spans="1:2"><c r="XFD1" t="s"><v>0</v></c></row>"#
        ));
        assert!(!far(
            r#"<dimension ref="A1:XFD1048576"/><c r="B2" s="1" t="inlineStr"/>"#
        ));
        assert!(far(r#"<c r="ABCDEFGH1" t="inlineStr"/>"#));
        assert!(far(r#"<dimension ref="A1:AAAA2"/>"#));
        assert!(far(r#"<selection activeCell="A1" sqref="A1 ZZZZZZZ9"/>"#));
    }

    #[test]
    fn other_attributes_and_text_are_not_references() {
        // A GUID's hex letters before digits, a code name, cell text.
        assert!(!far(
            r#"<sheetPr codeName="ABCDE1"/><x xr:uid="{ABCDEF12-0000}"/><t>ABCDEFG123</t>"#
        ));
        // A prefixed `r` is still the reference attribute.
        assert!(far(r#"<c x:r="ABCDEFG1"/>"#));
    }
}
