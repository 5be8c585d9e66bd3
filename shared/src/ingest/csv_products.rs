//! The CSV product feed reader: partners' files in, validated [`ProductRecord`]s and precise
//! [`RowError`]s out, one record at a time.
//!
//! Feeds can be several gigabytes read from a network stream on a blocking thread, so nothing
//! is collected: [`ProductFeed`] reuses one `csv::ByteRecord` and yields each row as soon as it
//! is parsed. Problems with the file as a whole (no header, required columns missing, a header
//! that cannot be read against) stop the run with a [`FeedError`]; problems with a row are
//! reported for that row, all at once, and the run goes on.
//!
//! Module map: `fields` names the canonical fields and their header aliases, `columns` maps a
//! header onto them, `lines` finds each record's physical line, `row` turns a record into a
//! product using the per-field rules in `values`, and `errors` words what went wrong.

mod columns;
mod errors;
mod fields;
mod lines;
mod row;
mod values;

use std::io::Read;

use chrono::{DateTime, Utc};
use csv::{ByteRecord, ReaderBuilder};

use crate::domain::ProductContent;
pub use columns::ColumnMapping;
use columns::Layout;
pub use errors::{FeedError, RowError};
pub use fields::Field;
use lines::LineTracker;

/// One product as the feed describes it, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductRecord {
    /// 1-based physical line where the record starts (the header is line 1).
    pub line: u64,
    /// What the row says about the product.
    pub content: ProductContent,
    /// When the partner last changed the product.
    pub updated_at: Option<DateTime<Utc>>,
}

/// A streaming reader of validated products from a CSV feed.
pub struct ProductFeed<R: Read> {
    reader: csv::Reader<LineTracker<R>>,
    record: ByteRecord,
    columns: Vec<ColumnMapping>,
    layout: Layout,
    finished: bool,
}

impl<R: Read> ProductFeed<R> {
    /// Reads and maps the header row; fails when the file cannot be read against it.
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
        let (columns, layout) = columns::map_header(&record)?;
        Ok(Self {
            reader,
            record,
            columns,
            layout,
            finished: false,
        })
    }

    /// How each header column was understood, in file order.
    pub fn columns(&self) -> &[ColumnMapping] {
        &self.columns
    }

    /// Headers of the columns that feed no field (blank headers left out), for telling the
    /// partner what was ignored.
    pub fn unknown_columns(&self) -> Vec<String> {
        self.columns
            .iter()
            .filter(|c| c.field.is_none() && !c.header.is_empty())
            .map(|c| c.header.clone())
            .collect()
    }

    /// The current record's result; a row with the wrong field count is one whole-row error,
    /// since its cells cannot be trusted to be under the right headers.
    fn parse_current(&self, line: u64) -> Result<ProductRecord, Vec<RowError>> {
        let (found, expected) = (self.record.len(), self.columns.len());
        if found != expected {
            let raw: Vec<_> = self.record.iter().map(String::from_utf8_lossy).collect();
            let reason = format!(
                "row has {found} {}, header has {expected}",
                if found == 1 { "field" } else { "fields" }
            );
            return Err(vec![RowError::new(line, "", &raw.join(","), reason)]);
        }
        row::parse_row(&self.record, &self.layout, line)
    }
}

impl<R: Read> Iterator for ProductFeed<R> {
    type Item = Result<ProductRecord, Vec<RowError>>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.finished {
            let start = self.reader.position().byte();
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {
                    // Asked even for a skipped row: asking is what frees the line bookkeeping.
                    let line = self.reader.get_mut().line_at(start);
                    if !row::is_blank(&self.record) {
                        return Some(self.parse_current(line));
                    }
                }
                Ok(false) => self.finished = true,
                Err(source) => {
                    // A reader that failed once is not trusted to resume mid-record.
                    self.finished = true;
                    let line = self.reader.get_mut().line_at(start);
                    let reason = FeedError::Read { line, source }.to_string();
                    return Some(Err(vec![RowError::new(line, "", "", reason)]));
                }
            }
        }
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io;

    use super::*;

    const HEADER: &str =
        "sku,title,description,price,currency,quantity,brand,category,gtin,image_url,updated_at";

    fn read_all(bytes: &[u8]) -> Vec<Result<ProductRecord, Vec<RowError>>> {
        ProductFeed::new(bytes).unwrap().collect()
    }

    fn lines(results: &[Result<ProductRecord, Vec<RowError>>]) -> Vec<u64> {
        let line = |r: &Result<ProductRecord, Vec<RowError>>| match r {
            Ok(record) => record.line,
            Err(errors) => errors[0].line,
        };
        results.iter().map(line).collect()
    }

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
    fn a_full_row_yields_a_record_with_every_field_parsed() {
        let csv = format!(
            "{HEADER}\nAB-1,Mug,<p>Blue</p>,12.5,eur,3,Kettle & Oak,Home,4006381333931,\
             https://cdn.example-shop.com/a.jpg,2024-05-01\n"
        );
        let record = read_all(csv.as_bytes()).remove(0).unwrap();
        assert_eq!(
            (
                record.line,
                record.content.sku.as_str(),
                record.content.title.as_str()
            ),
            (2, "AB-1", "Mug")
        );
        assert_eq!(record.content.description.as_deref(), Some("<p>Blue</p>"));
        assert_eq!(
            record.content.price.map(|p| p.to_string()).as_deref(),
            Some("12.50 EUR")
        );
        assert_eq!(
            (record.content.quantity, record.content.brand.as_deref()),
            (Some(3), Some("Kettle & Oak"))
        );
        assert_eq!(record.content.category.as_deref(), Some("Home"));
        assert_eq!(
            record.content.gtin.map(|g| g.to_string()).as_deref(),
            Some("4006381333931")
        );
        assert_eq!(
            record.content.image_url.as_deref(),
            Some("https://cdn.example-shop.com/a.jpg")
        );
        assert_eq!(
            record.updated_at.unwrap().to_rfc3339(),
            "2024-05-01T00:00:00+00:00"
        );
    }

    #[test]
    fn a_record_after_a_three_line_quoted_field_starts_on_the_right_line() {
        let csv = "sku,title,description\nA,One,\"first\nsecond\nthird\"\nB,Two,x\nC,Three,\n";
        let results = read_all(csv.as_bytes());
        assert_eq!(lines(&results), [2, 5, 6]);
        let first = results[0].as_ref().unwrap();
        assert_eq!(
            first.content.description.as_deref(),
            Some("first\nsecond\nthird")
        );
    }

    #[test]
    fn crlf_line_endings_keep_line_numbers_right() {
        let csv = "sku,title,description\r\nA,One,\"a\r\nb\"\r\nB,Two,\r\nC,Three,\r\n";
        let results = read_all(csv.as_bytes());
        assert_eq!(lines(&results), [2, 4, 5]);
        let first = results[0].as_ref().unwrap();
        assert_eq!(first.content.description.as_deref(), Some("a\nb"));
        assert_eq!(results[2].as_ref().unwrap().content.title, "Three");
    }

    #[test]
    fn blank_lines_and_rows_of_empty_cells_are_skipped_without_shifting_lines() {
        let csv = "sku,title\n\nA,One\n,\n\r\n   \nB,Two\n";
        assert_eq!(lines(&read_all(csv.as_bytes())), [3, 7]);
    }

    #[test]
    fn a_utf8_bom_is_stripped_from_the_first_header() {
        let csv = "\u{FEFF}sku,title\nA,One\n";
        let feed = ProductFeed::new(csv.as_bytes()).unwrap();
        assert_eq!(feed.columns()[0].header, "sku");
        assert_eq!(lines(&feed.collect::<Vec<_>>()), [2]);
    }

    #[test]
    fn a_file_arriving_one_byte_at_a_time_reads_the_same() {
        let csv = "\u{FEFF}sku,title,description\r\nA,One,\"x\ny\"\r\n\r\nB,Two,\r\n";
        let trickle = Trickle {
            bytes: csv.as_bytes(),
            chunk: 1,
            fail_at_end: false,
        };
        let feed = ProductFeed::new(trickle).unwrap();
        assert_eq!(feed.columns()[0].field, Some(Field::Sku));
        assert_eq!(lines(&feed.collect::<Vec<_>>()), [2, 5]);
    }

    #[test]
    fn a_row_with_missing_fields_is_one_whole_row_error() {
        let csv = format!("{HEADER}\nA,One,,1,EUR,2,B,C,,\n");
        let errors = read_all(csv.as_bytes()).remove(0).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].line, errors[0].column.as_str()), (2, ""));
        assert_eq!(errors[0].reason, "row has 10 fields, header has 11");
        assert_eq!(errors[0].value, "A,One,,1,EUR,2,B,C,,");
    }

    #[test]
    fn a_row_with_extra_fields_is_an_error_and_the_next_row_still_reads() {
        let csv = "sku,title\nA,One,oops\nB\nC,Three\n";
        let results = read_all(csv.as_bytes());
        assert_eq!(
            results[0].as_ref().unwrap_err()[0].reason,
            "row has 3 fields, header has 2"
        );
        assert_eq!(
            results[1].as_ref().unwrap_err()[0].reason,
            "row has 1 field, header has 2"
        );
        assert_eq!(results[2].as_ref().unwrap().content.sku.as_str(), "C");
    }

    #[test]
    fn bytes_that_are_not_utf8_fail_only_the_cell_they_are_in() {
        let csv = b"sku,title,notes\nA,Caf\xE9,ok\nB,Two,\xFF\xFE\n";
        let results = read_all(csv);
        let errors = results[0].as_ref().unwrap_err();
        assert_eq!((errors[0].line, errors[0].column.as_str()), (2, "title"));
        assert!(errors[0].reason.contains("not valid UTF-8"));
        assert!(results[1].is_ok(), "an ignored column is never decoded");
    }

    #[test]
    fn every_problem_in_a_row_is_reported_at_once() {
        let csv = format!("{HEADER}\nA,,,-1,EUR,ten,,,123,ftp://x/a.jpg,yesterday\n");
        let errors = read_all(csv.as_bytes()).remove(0).unwrap_err();
        let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(
            columns,
            [
                "title",
                "price",
                "quantity",
                "gtin",
                "image_url",
                "updated_at"
            ]
        );
        assert!(errors.iter().all(|e| e.line == 2));
    }

    #[test]
    fn an_empty_file_is_a_feed_error_and_a_header_alone_yields_nothing() {
        assert!(matches!(ProductFeed::new(&b""[..]), Err(FeedError::Empty)));
        assert!(matches!(
            ProductFeed::new(&b"\n\n"[..]),
            Err(FeedError::Empty)
        ));
        assert_eq!(read_all(b"sku,title\n").len(), 0);
    }

    #[test]
    fn header_problems_stop_the_run_before_any_row() {
        let missing = ProductFeed::new(&b"name,price,currency\nx,1,EUR\n"[..]);
        assert!(matches!(missing, Err(FeedError::MissingColumns { .. })));
        let duplicate = ProductFeed::new(&b"sku,title,Variant SKU\n"[..]);
        assert!(matches!(duplicate, Err(FeedError::DuplicateColumn { .. })));
    }

    #[test]
    fn a_read_failure_mid_file_is_one_last_whole_row_error() {
        let csv = b"sku,title\nA,One\nB,Two\n";
        let trickle = Trickle {
            bytes: csv,
            chunk: 4,
            fail_at_end: true,
        };
        let results: Vec<_> = ProductFeed::new(trickle).unwrap().collect();
        assert_eq!(results.len(), 3);
        let errors = results[2].as_ref().unwrap_err();
        assert_eq!((errors[0].line, errors[0].column.as_str()), (4, ""));
        assert_eq!(
            errors[0].reason,
            "the file could not be read past line 4: connection reset"
        );
    }

    #[test]
    fn unknown_columns_are_listed_and_every_column_is_described() {
        let feed = ProductFeed::new(&b"Variant SKU,Title,Colour,,mpn\n"[..]).unwrap();
        assert_eq!(feed.unknown_columns(), ["Colour", "mpn"]);
        let fields: Vec<_> = feed.columns().iter().map(|c| c.field).collect();
        assert_eq!(
            fields,
            [Some(Field::Sku), Some(Field::Title), None, None, None]
        );
        assert_eq!(feed.columns()[0].header, "Variant SKU");
    }

    #[test]
    fn the_sample_feed_has_234_good_rows_and_exactly_the_6_deliberate_bad_ones() {
        let sample = include_str!("../../../samples/products.csv");
        let feed = ProductFeed::new(sample.as_bytes()).unwrap();
        assert!(feed.unknown_columns().is_empty());
        let (good, bad): (Vec<_>, Vec<_>) = feed.partition(Result::is_ok);
        assert_eq!(good.len(), 234);
        let bad: Vec<(u64, String, String)> = bad
            .into_iter()
            .flat_map(|r| r.unwrap_err())
            .map(|e| (e.line, e.column, e.reason))
            .collect();
        let expected = [
            (30, "price", "price must not be negative"),
            (78, "gtin", "check digit should be 3, found 7"),
            (132, "title", "title is required"),
            (204, "price", "price must be a plain number like 12.50"),
            (250, "quantity", "quantity must be a whole number ≥ 0"),
            (
                296,
                "image_url",
                "image_url must be an absolute http or https URL like https://example.com/a.jpg",
            ),
        ];
        let expected: Vec<_> = expected
            .map(|(line, column, reason)| (line, column.to_owned(), reason.to_owned()))
            .into();
        assert_eq!(bad, expected);
    }
}
