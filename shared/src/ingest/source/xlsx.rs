//! Excel workbooks through calamine: one sheet, cells as a person sees them.
//!
//! calamine needs `Read + Seek` and reads a whole sheet into memory, so the workbook is
//! buffered — refused beyond [`Limits::max_xlsx_bytes`] — and the sheet is held while its rows
//! are handed out.

use std::io::{Cursor, Read};

use calamine::{Data, Range, Reader, Xlsx};

use super::decode::human_size;
use super::{Format, Limits, Probe, Row, SourceError, SourceHint, Table, Text};

/// Buffers the workbook, picks the sheet and reads its first row as the header.
pub(super) fn open(
    bytes: Text,
    head: &[u8],
    hint: &SourceHint,
    limits: &Limits,
    probe: &Probe,
    compressed: bool,
) -> Result<Table, SourceError> {
    if !super::detect::is_zip(head) {
        return Err(SourceError::File(
            "the file is named as an Excel workbook (.xlsx) but is not one; save it from Excel \
             again or upload it as CSV"
                .into(),
        ));
    }
    let mut workbook = Vec::new();
    bytes
        .take(limits.max_xlsx_bytes + 1)
        .read_to_end(&mut workbook)
        .map_err(|e| probe.classify(e))?;
    if workbook.len() as u64 > limits.max_xlsx_bytes {
        return Err(SourceError::File(format!(
            "the Excel workbook is larger than {}, more than can be read at once; save the sheet \
             as CSV (UTF-8) and upload that",
            human_size(limits.max_xlsx_bytes)
        )));
    }
    let mut workbook = Xlsx::new(Cursor::new(workbook))
        .map_err(|e| SourceError::File(format!("the Excel workbook cannot be read: {e}")))?;
    let names = workbook.sheet_names();
    let name = match hint.sheet {
        Some(wanted) => names.iter().find(|n| n.as_str() == wanted).ok_or_else(|| {
            SourceError::File(format!(
                "the workbook has no sheet named `{wanted}`; its sheets are: {}",
                quoted_list(&names)
            ))
        })?,
        None => names
            .first()
            .ok_or_else(|| SourceError::File("the workbook has no sheets".into()))?,
    };
    let range = workbook
        .worksheet_range(name)
        .map_err(|e| SourceError::File(format!("the sheet `{name}` cannot be read: {e}")))?;
    let mut rows = SheetRows {
        first_line: range.start().map_or(1, |(row, _)| u64::from(row) + 1),
        range,
        next: 0,
    };
    let header = loop {
        match rows.next_cells() {
            Some((_, cells)) if cells.iter().all(String::is_empty) => {}
            Some((_, cells)) => break cells.into_iter().map(|c| c.trim().to_owned()).collect(),
            None => return Err(SourceError::File(format!("the sheet `{name}` is empty"))),
        }
    };
    Ok(Table {
        format: Format::Xlsx,
        encoding: "binary",
        compressed,
        header,
        rows: Box::new(rows),
    })
}

fn quoted_list(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    quoted.join(", ")
}

struct SheetRows {
    range: Range<Data>,
    /// The sheet row number of the range's first row.
    first_line: u64,
    /// Index within the range of the next row.
    next: usize,
}

impl SheetRows {
    fn next_cells(&mut self) -> Option<(u64, Vec<String>)> {
        let row = self.range.rows().nth(self.next)?;
        let line = self.first_line + self.next as u64;
        self.next += 1;
        Some((line, row.iter().map(cell_text).collect()))
    }
}

impl Iterator for SheetRows {
    type Item = Result<Row, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (line, values) = self.next_cells()?;
            if values.iter().all(|v| v.trim().is_empty()) {
                continue;
            }
            return Some(Ok(Row {
                line,
                values,
                extra: Vec::new(),
            }));
        }
    }
}

/// A cell as Excel shows it, near enough: integers without `.0`, no binary float noise, dates
/// in ISO 8601.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::Error(e) => e.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => match dt.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.format("%Y-%m-%d").to_string(),
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => number_text(dt.as_f64()),
        },
        Data::DateTime(dt) => number_text(dt.as_f64()),
    }
}

/// Excel keeps 15 significant digits: `0.1 + 0.2` shows as `0.3`, `12.0` as `12`.
fn number_text(value: f64) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    let rounded: f64 = format!("{value:.14e}").parse().unwrap_or(value);
    if rounded.fract() == 0.0 && rounded.abs() < 1e15 {
        return format!("{rounded:.0}");
    }
    rounded.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_excel_shows_them() {
        assert_eq!(number_text(12.0), "12");
        assert_eq!(number_text(0.1 + 0.2), "0.3");
        assert_eq!(number_text(-3.5), "-3.5");
        assert_eq!(number_text(1234567.891), "1234567.891");
    }
}
