//! A stop-gap CSV reader that turns a CSV stream into a header and [`Row`]s for the mappers,
//! until the format layer (CSV, JSON, XLSX) takes over.
//!
//! Nothing is collected: one `csv::ByteRecord` is reused and each row is yielded as soon as
//! it is parsed. Cells that are not UTF-8 are decoded lossily; the mapper rejects a mapped cell
//! holding U+FFFD, so only the cells that matter fail.

mod lines;

use std::io::Read;

use csv::{ByteRecord, ReaderBuilder};

use super::products::FeedError;
use super::record::Row;
use lines::LineTracker;

/// A streaming CSV reader of [`Row`]s.
pub struct CsvRows<R: Read> {
    reader: csv::Reader<LineTracker<R>>,
    record: ByteRecord,
    header: Vec<String>,
    finished: bool,
}

impl<R: Read> CsvRows<R> {
    /// Reads the header row.
    pub fn new(reader: R) -> Result<Self, FeedError> {
        let mut reader = ReaderBuilder::new()
            .has_headers(false)
            // Rows with the wrong field count are row errors, not the end of the run.
            .flexible(true)
            .from_reader(LineTracker::new(reader));
        let mut record = ByteRecord::new();
        let read = reader
            .read_byte_record(&mut record)
            .map_err(|source| FeedError::Read { line: 1, source })?;
        if !read {
            return Err(FeedError::Empty);
        }
        let header = record
            .iter()
            .enumerate()
            .map(|(index, cell)| {
                // The csv crate strips a BOM only when one read delivers all three bytes.
                let cell = match index {
                    0 => cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell),
                    _ => cell,
                };
                std::str::from_utf8(cell)
                    .map(|text| text.trim().to_owned())
                    .map_err(|_| FeedError::HeaderNotUtf8)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            reader,
            record,
            header,
            finished: false,
        })
    }

    /// The header cells, trimmed.
    pub fn header(&self) -> &[String] {
        &self.header
    }
}

impl<R: Read> Iterator for CsvRows<R> {
    /// A row, or why the file could not be read further (the last item then).
    type Item = Result<Row, FeedError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.finished {
            return None;
        }
        let start = self.reader.position().byte();
        match self.reader.read_byte_record(&mut self.record) {
            Ok(true) => {
                let line = self.reader.get_mut().line_at(start);
                let values = self
                    .record
                    .iter()
                    .map(|cell| String::from_utf8_lossy(cell).into_owned())
                    .collect();
                Some(Ok(Row {
                    line,
                    values,
                    extra: Vec::new(),
                }))
            }
            Ok(false) => {
                self.finished = true;
                None
            }
            Err(source) => {
                // A reader that failed once is not trusted to resume mid-record.
                self.finished = true;
                let line = self.reader.get_mut().line_at(start);
                Some(Err(FeedError::Read { line, source }))
            }
        }
    }
}
