//! The rejected-rows CSV: every rejected row as the partner sent it, plus its line and what is
//! wrong with it, so they can fix the rows and drop the file again. Written row by row to a
//! temporary file while the feed streams (memory stays flat whatever the count), then uploaded
//! beside the report.
//!
//! Spreadsheet programs run a cell that starts with `=`, `+`, `-`, `@`, tab or carriage return
//! as a formula (OWASP "CSV injection"), and a feed is untrusted: such cells are written with a
//! leading `'`, which spreadsheets show as text.

use std::fs::File;
use std::io::{self, BufWriter};

use super::record::Row;
use crate::store::RejectedRow;

/// The columns added after the partner's own.
const LINE_COLUMN: &str = "rejected_line";
const REASON_COLUMN: &str = "rejected_because";

/// A rejected-rows CSV being written.
pub struct RejectedCsv {
    file: tempfile::NamedTempFile,
    writer: csv::Writer<BufWriter<File>>,
    rows: u64,
}

impl RejectedCsv {
    /// A new file whose header is the feed's `header` plus the line and the reasons.
    pub fn create(header: &[String]) -> io::Result<Self> {
        let file = tempfile::NamedTempFile::new()?;
        // Flexible: a ragged row is written as the partner sent it, however many cells.
        let mut writer = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(BufWriter::new(file.reopen()?));
        let columns = header
            .iter()
            .map(|h| neutralise(h))
            .chain([LINE_COLUMN.into(), REASON_COLUMN.into()]);
        writer.write_record(columns).map_err(io::Error::other)?;
        Ok(Self {
            file,
            writer,
            rows: 0,
        })
    }

    /// Appends `row` with every problem `errors` found in it.
    pub fn add(&mut self, row: &Row, errors: &[RejectedRow]) -> io::Result<()> {
        let reasons = errors
            .iter()
            .map(|e| match e.column.as_str() {
                "" => e.reason.clone(),
                column => format!("{column}: {}", e.reason),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let cells = row
            .values
            .iter()
            .map(|v| neutralise(v))
            .chain([row.line.to_string(), neutralise(&reasons)]);
        self.writer.write_record(cells).map_err(io::Error::other)?;
        self.rows += 1;
        Ok(())
    }

    /// How many rows it holds.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes it; the file stays until the returned handle is dropped.
    pub fn finish(mut self) -> io::Result<tempfile::NamedTempFile> {
        self.writer.flush()?;
        Ok(self.file)
    }
}

/// `cell`, made safe to open in a spreadsheet.
pub fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_plain_number(cell) => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// `-12.5` is a number, not a formula; keep it as it is so the partner sees their value.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && digits.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text_and_numbers_are_left_alone() {
        assert_eq!(
            neutralise("=HYPERLINK(\"http://evil\",\"x\")"),
            "'=HYPERLINK(\"http://evil\",\"x\")"
        );
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(neutralise("-2+3"), "'-2+3");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("-12.50"), "-12.50");
        assert_eq!(neutralise("19,99"), "19,99");
        assert_eq!(neutralise("Skillet = pan"), "Skillet = pan");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn the_file_holds_the_partners_row_its_line_and_every_reason() {
        let header = vec!["sku".to_owned(), "price".to_owned()];
        let mut csv = RejectedCsv::create(&header).unwrap();
        let row = Row {
            line: 7,
            values: vec!["A-1".into(), "=1+1".into()],
            extra: vec![],
        };
        let errors = [
            RejectedRow {
                line: 7,
                column: "price".into(),
                value: "=1+1".into(),
                reason: "not a number".into(),
            },
            RejectedRow {
                line: 7,
                column: "title".into(),
                value: String::new(),
                reason: "required".into(),
            },
        ];
        csv.add(&row, &errors).unwrap();
        assert_eq!(csv.rows(), 1);
        let file = csv.finish().unwrap();
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert_eq!(
            text,
            "sku,price,rejected_line,rejected_because\n\
             A-1,'=1+1,7,price: not a number; title: required\n"
        );
    }
}
