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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io;

    use super::*;

    /// Hands out its bytes a few at a time, then fails, like a dropped network stream.
    struct Trickle<'a> {
        bytes: &'a [u8],
        chunk: usize,
        fail_at_end: bool,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.bytes.is_empty() && self.fail_at_end {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "connection reset",
                ));
            }
            let n = self.chunk.min(buf.len()).min(self.bytes.len());
            let (now, later) = self.bytes.split_at(n);
            buf[..n].copy_from_slice(now);
            self.bytes = later;
            Ok(n)
        }
    }

    #[test]
    fn a_file_arriving_one_byte_at_a_time_reads_the_same_with_its_bom_stripped() {
        let csv = "\u{FEFF}sku,title,description\r\nA,One,\"x\ny\"\r\n\r\nB,Two,\r\n";
        let trickle = Trickle {
            bytes: csv.as_bytes(),
            chunk: 1,
            fail_at_end: false,
        };
        let rows = CsvRows::new(trickle).unwrap();
        assert_eq!(rows.header(), ["sku", "title", "description"]);
        let lines: Vec<u64> = rows.map(|r| r.unwrap().line).collect();
        assert_eq!(lines, [2, 5]);
    }

    #[test]
    fn a_read_failure_mid_file_is_one_last_error_with_its_line() {
        let trickle = Trickle {
            bytes: b"sku,title\nA,One\nB,Two\n",
            chunk: 4,
            fail_at_end: true,
        };
        let results: Vec<_> = CsvRows::new(trickle).unwrap().collect();
        assert_eq!(results.len(), 3);
        let error = results[2].as_ref().unwrap_err();
        assert_eq!(
            error.to_string(),
            "the file could not be read past line 4: connection reset"
        );
    }

    #[test]
    fn an_empty_file_or_a_header_that_is_not_utf8_is_a_feed_error() {
        assert!(matches!(CsvRows::new(&b""[..]), Err(FeedError::Empty)));
        assert!(matches!(
            CsvRows::new(&b"\xFF\xFEs\0k\0u\0,title\n"[..]),
            Err(FeedError::HeaderNotUtf8)
        ));
        assert_eq!(CsvRows::new(&b"sku,title\n"[..]).unwrap().count(), 0);
    }
}
