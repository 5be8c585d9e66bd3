//! CSV and TSV: the `csv` crate over a [`LineTracker`], one reused record, a [`Row`] per
//! non-blank record with the physical line it starts on.
//!
//! The csv crate is lenient, and so is this: a stray quote inside an unquoted field is data, and
//! a ragged row is the mapper's to report. An unclosed quote swallows what follows into one
//! record, which stops at [`Limits::max_record_bytes`] with a file error naming the line it
//! starts on (in a short file it reaches the mapper as a ragged row).

use csv::{ByteRecord, ErrorKind, ReaderBuilder};

use super::lines::LineTracker;
use super::{Limits, Probe, Row, Rows, SourceError, Text};

type Reader = csv::Reader<LineTracker<Text>>;

/// Reads the header row; the rest is left to the returned rows.
pub(super) fn open(
    text: Text,
    delimiter: u8,
    probe: &Probe,
    limits: &Limits,
) -> Result<(Vec<String>, Rows), SourceError> {
    let reader = ReaderBuilder::new()
        .has_headers(false)
        // A ragged row is the mapper's to report, not the end of the file.
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(64 * 1024)
        .from_reader(LineTracker::new(text, limits.max_record_bytes));
    let mut rows = DelimitedRows {
        reader,
        record: ByteRecord::new(),
        probe: probe.clone(),
        done: false,
    };
    // Only empty lines (which csv skips) may come before the header: a row of empty cells is
    // an empty header.
    let header = match rows.reader.read_byte_record(&mut rows.record) {
        Ok(true) => header_cells(&rows.record)?,
        Ok(false) => return Err(SourceError::File("the file is empty".into())),
        Err(error) => {
            return Err(match rows.error(error, 1) {
                SourceError::Row { reason, .. } => {
                    SourceError::File(format!("the header row cannot be read: {reason}"))
                }
                other => other,
            });
        }
    };
    Ok((header, Box::new(rows)))
}

fn header_cells(record: &ByteRecord) -> Result<Vec<String>, SourceError> {
    let header: Vec<String> = record
        .iter()
        .map(|cell| String::from_utf8_lossy(cell).trim().to_owned())
        .collect();
    if header.iter().all(String::is_empty) {
        return Err(SourceError::File("the header row is empty".into()));
    }
    Ok(header)
}

/// A row of nothing but whitespace, as spreadsheets leave behind.
fn is_blank(record: &ByteRecord) -> bool {
    record
        .iter()
        .all(|cell| cell.iter().all(u8::is_ascii_whitespace))
}

struct DelimitedRows {
    reader: Reader,
    record: ByteRecord,
    probe: Probe,
    done: bool,
}

impl DelimitedRows {
    fn error(&mut self, error: csv::Error, line: u64) -> SourceError {
        if !error.is_io_error() {
            let reason = error.to_string();
            return SourceError::Row { line, reason };
        }
        self.done = true;
        match error.into_kind() {
            ErrorKind::Io(error) => self.probe.classify(error),
            other => SourceError::File(format!("the file could not be read: {other:?}")),
        }
    }

    fn to_row(&self, line: u64) -> Row {
        let values = self
            .record
            .iter()
            .map(|cell| match std::str::from_utf8(cell) {
                Ok(text) => text.to_owned(),
                Err(_) => String::from_utf8_lossy(cell).into_owned(),
            })
            .collect();
        Row {
            line,
            values,
            extra: Vec::new(),
        }
    }
}

impl Iterator for DelimitedRows {
    type Item = Result<Row, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let start = self.reader.position().byte();
            self.reader.get_mut().begin(start);
            let read = self.reader.read_byte_record(&mut self.record);
            // Asked even for a skipped row or an error: asking is what frees the bookkeeping.
            let line = self.reader.get_mut().line_at(start);
            match read {
                Ok(true) if is_blank(&self.record) => {}
                Ok(true) => return Some(Ok(self.to_row(line))),
                Ok(false) => self.done = true,
                Err(error) => return Some(Err(self.error(error, line))),
            }
        }
        None
    }
}
