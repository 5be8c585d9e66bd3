//! Excel workbooks through calamine: one sheet, cells as a person sees them.
//!
//! calamine needs `Read + Seek`, so the workbook is buffered — refused beyond
//! [`Limits::max_xlsx_bytes`]. Its archive directory is checked before anything is unpacked
//! (a zip bomb is refused beyond [`Limits::max_xlsx_unpacked_bytes`]), and the sheet is read
//! cell by cell into sparse rows, at most [`Limits::max_xlsx_cells`] non-empty cells: never as
//! calamine's dense `Range`, whose size is the bounding box of the cells, so that two cells at
//! `A1` and `XFD1048576` cannot ask for 17 billion of them.

use std::io::{Cursor, Read};

use calamine::{DataRef, Reader, Xlsx};

use super::decode::human_size;
use super::{Format, Limits, Probe, Row, SourceError, SourceHint, Table, Text};

/// Excel's columns, `A` to `XFD`. A row is made as wide as its last cell, so a cell named past
/// them (`ZZZZZZ1`, which no Excel writes) would cost a row of hundreds of millions of cells.
const EXCEL_COLUMNS: u32 = 16_384;

/// A sheet row: its number and its non-empty cells by column.
type SparseRow = (u64, Vec<(u32, String)>);

/// Buffers the workbook, picks the sheet and reads its first non-blank row as the header.
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
    let workbook = buffer(bytes, limits, probe)?;
    check_unpacked_size(&workbook, limits)?;
    super::xlsx_refs::check_cell_references(&workbook)?;
    let mut workbook = Xlsx::new(Cursor::new(workbook))
        .map_err(|e| SourceError::File(format!("the Excel workbook cannot be read: {e}")))?;
    let name = choose_sheet(&workbook.sheet_names(), hint.sheet)?;
    let (rows, first_column) = read_sheet(&mut workbook, &name, limits)?;
    let mut rows = SheetRows {
        rows: rows.into_iter(),
        first_column,
    };
    let header = match rows.next() {
        Some(Ok(row)) => row
            .values
            .into_iter()
            .map(|c| c.trim().to_owned())
            .collect(),
        _ => return Err(SourceError::File(format!("the sheet `{name}` is empty"))),
    };
    Ok(Table {
        format: Format::Xlsx,
        encoding: "binary",
        compressed,
        header,
        rows: Box::new(rows),
    })
}

fn buffer(bytes: Text, limits: &Limits, probe: &Probe) -> Result<Vec<u8>, SourceError> {
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
    Ok(workbook)
}

/// Sums the sizes the archive declares for its parts (the zip reader holds each part to its
/// declared size, so the sum is a bound).
fn check_unpacked_size(workbook: &[u8], limits: &Limits) -> Result<(), SourceError> {
    let unreadable = |e: zip::result::ZipError| {
        SourceError::File(format!("the Excel workbook cannot be read: {e}"))
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(workbook)).map_err(unreadable)?;
    let mut total = 0u64;
    for index in 0..archive.len() {
        let size = archive.by_index_raw(index).map_err(unreadable)?.size();
        total = total.saturating_add(size);
    }
    if total > limits.max_xlsx_unpacked_bytes {
        return Err(SourceError::File(format!(
            "the Excel workbook unpacks to more than {}; save the sheet as CSV (UTF-8) and upload \
             that",
            human_size(limits.max_xlsx_unpacked_bytes)
        )));
    }
    Ok(())
}

fn choose_sheet(names: &[String], wanted: Option<&str>) -> Result<String, SourceError> {
    let found = match wanted {
        Some(wanted) => names.iter().find(|n| n.as_str() == wanted).ok_or_else(|| {
            let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            SourceError::File(format!(
                "the workbook has no sheet named `{wanted}`; its sheets are: {}",
                quoted.join(", ")
            ))
        })?,
        None => names
            .first()
            .ok_or_else(|| SourceError::File("the workbook has no sheets".into()))?,
    };
    Ok(found.clone())
}

/// The sheet's non-empty cells grouped by row, and the leftmost column used.
fn read_sheet<R: Read + std::io::Seek>(
    workbook: &mut Xlsx<R>,
    name: &str,
    limits: &Limits,
) -> Result<(Vec<SparseRow>, u32), SourceError> {
    let unreadable = |e: calamine::XlsxError| {
        SourceError::File(format!("the sheet `{name}` cannot be read: {e}"))
    };
    let mut cells = workbook.worksheet_cells_reader(name).map_err(unreadable)?;
    let (mut rows, mut count, mut first_column) = (Vec::<SparseRow>::new(), 0u64, u32::MAX);
    while let Some(cell) = cells.next_cell().map_err(unreadable)? {
        let text = cell_text(cell.get_value());
        if text.is_empty() {
            continue;
        }
        count += 1;
        if count > limits.max_xlsx_cells {
            return Err(SourceError::File(format!(
                "the sheet `{name}` has more than {} filled cells; save it as CSV (UTF-8) and \
                 upload that",
                limits.max_xlsx_cells
            )));
        }
        let (row, column) = cell.get_position();
        if column >= EXCEL_COLUMNS {
            return Err(SourceError::File(format!(
                "the sheet `{name}` has a cell past column XFD, the last one Excel has; save it \
                 from Excel again or upload it as CSV"
            )));
        }
        first_column = first_column.min(column);
        let line = u64::from(row) + 1;
        match rows.last_mut() {
            Some((last, cells)) if *last == line => cells.push((column, text)),
            _ => rows.push((line, vec![(column, text)])),
        }
    }
    Ok((rows, first_column))
}

/// Sheet rows made dense one at a time, from the leftmost used column to the row's last cell.
struct SheetRows {
    rows: std::vec::IntoIter<SparseRow>,
    first_column: u32,
}

impl Iterator for SheetRows {
    type Item = Result<Row, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (line, cells) = self.rows.next()?;
        let offset = |column: u32| (column - self.first_column) as usize;
        let width = cells.iter().map(|(c, _)| offset(*c) + 1).max().unwrap_or(0);
        let mut values = vec![String::new(); width];
        for (column, text) in cells {
            if let Some(slot) = values.get_mut(offset(column)) {
                *slot = text;
            }
        }
        Some(Ok(Row {
            line,
            values,
            extra: Vec::new(),
        }))
    }
}

/// A cell as Excel shows it, near enough: integers without `.0`, no binary float noise, dates
/// in ISO 8601.
fn cell_text(cell: &DataRef) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_owned(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => number_text(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        DataRef::Error(e) => e.to_string(),
        DataRef::DateTime(dt) if dt.is_datetime() => match dt.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.format("%Y-%m-%d").to_string(),
            Some(dt) => dt.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => number_text(dt.as_f64()),
        },
        DataRef::DateTime(dt) => number_text(dt.as_f64()),
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
