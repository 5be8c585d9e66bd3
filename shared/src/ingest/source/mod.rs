//! Feed formats: a partner's file in whatever shape it comes — CSV or TSV with any common
//! delimiter, JSON (an array or a stream of objects), NDJSON, or an Excel workbook, gzipped or
//! not, in UTF-8, UTF-16 or Windows-1252 — out as one header and a stream of [`Row`]s.
//!
//! Everything streams from a blocking [`Read`]: the file is peeked at, never loaded, except an
//! XLSX workbook, which needs random access and is buffered up to [`Limits::max_xlsx_bytes`],
//! and its sheet's filled cells (see `xlsx`).
//! Every other allocation is bounded too: gzip output by [`Limits::max_decompressed_bytes`],
//! one CSV record, NDJSON line or JSON element by [`Limits::max_record_bytes`].
//!
//! Layers, outermost first: `decode` (gzip by magic bytes, then the text encoding),
//! `detect` (which format, which delimiter), then one reader per format (`delimited`,
//! `ndjson`, `json`, `xlsx`), with `objects` and `flatten` turning JSON objects into cells.
//!
//! Encoding is decided on the first [`SNIFF_BYTES`] of the (decompressed) file: a BOM wins,
//! then NUL patterns (BOM-less UTF-16), then the mapping profile's label, then UTF-8 when that
//! prefix is valid UTF-8, else Windows-1252. A file that turns out not to be valid UTF-8 only
//! after the prefix is decoded lossily: each row that holds a replaced byte becomes a
//! [`SourceError::Row`] naming the problem, and every other row goes on.

mod decode;
mod delimited;
mod detect;
mod flatten;
mod json;
mod lines;
mod ndjson;
mod objects;
mod xlsx;
mod xlsx_refs;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io::{self, BufRead, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::record::Row;

/// How many bytes of the (decompressed) file decide its encoding and format.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// What the pipeline knows about a file besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceHint<'a> {
    /// The blob's name; its extension (under a `.gz`) names the format.
    pub file_name: &'a str,
    /// The blob's content type, when it has a useful one.
    pub content_type: Option<&'a str>,
    /// A WHATWG encoding label from the partner's mapping profile (`windows-1252`, `utf-16le`…).
    /// A byte-order mark in the file still wins.
    pub encoding: Option<&'a str>,
    /// The workbook sheet to read; the first one when `None`.
    pub sheet: Option<&'a str>,
}

/// A feed format, as found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text; `delimiter` is `,`, `;`, tab or `|`.
    Csv {
        /// The field separator.
        delimiter: u8,
    },
    /// A JSON array of objects, or a stream of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// An Excel workbook (Office Open XML).
    Xlsx,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Csv { delimiter: b'\t' } => f.write_str("csv (tab)"),
            Format::Csv { delimiter } => write!(f, "csv ({})", char::from(*delimiter)),
            Format::Json => f.write_str("json"),
            Format::Ndjson => f.write_str("ndjson"),
            Format::Xlsx => f.write_str("xlsx"),
        }
    }
}

/// The rows of a feed, in file order.
pub type Rows = Box<dyn Iterator<Item = Result<Row, SourceError>> + Send>;

/// An opened feed: what it is, its header, and its rows still to be read.
pub struct Table {
    /// The format found.
    pub format: Format,
    /// The text encoding's WHATWG name (`UTF-8`, `UTF-16LE`, `windows-1252`); `binary` for XLSX.
    pub encoding: &'static str,
    /// Whether the file was gzipped.
    pub compressed: bool,
    /// Column names, trimmed, duplicates kept: the CSV header row, the first JSON object's
    /// flattened keys, the sheet's first row.
    pub header: Vec<String>,
    /// The data rows.
    pub rows: Rows,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("format", &self.format)
            .field("encoding", &self.encoding)
            .field("compressed", &self.compressed)
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// Why a file, or one of its rows, could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The underlying reader (storage) failed: trying again may succeed.
    #[error("the file could not be read from storage: {0}")]
    Io(io::Error),
    /// One row is bad; the rows after it are still read.
    #[error("line {line}: {reason}")]
    Row {
        /// The row's [`Row::line`].
        line: u64,
        /// What is wrong, for the partner.
        reason: String,
    },
    /// The file as a whole cannot be read (any further): a sentence for the partner's report.
    /// No row follows it.
    #[error("{0}")]
    File(String),
}

impl SourceError {
    /// Whether trying again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, SourceError::Io(_))
    }
}

/// Size bounds, so that no file can take unbounded memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes a gzipped file may expand to (a gzip bomb stops here).
    pub max_decompressed_bytes: u64,
    /// The largest XLSX workbook accepted: it is held in memory while it is read.
    pub max_xlsx_bytes: u64,
    /// The most an XLSX workbook's parts may unpack to, as its archive declares them (a zip
    /// bomb stops here; calamine holds the shared strings in memory).
    pub max_xlsx_unpacked_bytes: u64,
    /// The most non-empty cells an XLSX sheet may have: they are held in memory (as their
    /// text, plus about 32 bytes each) while the rows are handed out.
    pub max_xlsx_cells: u64,
    /// The longest CSV record, NDJSON line or JSON array element.
    pub max_record_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_decompressed_bytes: 16 << 30,
            max_xlsx_bytes: 64 << 20,
            max_xlsx_unpacked_bytes: 1 << 30,
            max_xlsx_cells: 10_000_000,
            max_record_bytes: 16 << 20,
        }
    }
}

/// Opens a feed with the default [`Limits`]; see [`open_with_limits`].
pub fn open(reader: Box<dyn Read + Send>, hint: &SourceHint) -> Result<Table, SourceError> {
    open_with_limits(reader, hint, &Limits::default())
}

/// Finds the compression, encoding and format of `reader`'s bytes, reads the header, and
/// returns the rows still to be read. Blocking: run it where blocking is allowed.
pub fn open_with_limits(
    reader: Box<dyn Read + Send>,
    hint: &SourceHint,
    limits: &Limits,
) -> Result<Table, SourceError> {
    let probe = Probe::default();
    let (bytes, compressed) = decode::decompress(reader, &probe, limits)?;
    let probe = Probe {
        compressed,
        ..probe
    };
    let (bytes, head) = peek(bytes, SNIFF_BYTES).map_err(|e| probe.classify(e))?;
    let hinted = detect::format_from_hint(hint);
    if detect::is_zip(&head) || hinted == Some(detect::Hinted::Xlsx) {
        return xlsx::open(bytes, &head, hint, limits, &probe, compressed);
    }
    let (text, encoding) = decode::decode_text(bytes, &head, hint.encoding, &probe)?;
    let (text, head) = peek(text, SNIFF_BYTES).map_err(|e| probe.classify(e))?;
    if head.is_empty() {
        return Err(SourceError::File("the file is empty".into()));
    }
    detect::refuse_binary(&head)?;
    let format = detect::choose_format(hinted, &head);
    let (header, rows) = match format {
        Format::Csv { delimiter } => delimited::open(text, delimiter, &probe, limits)?,
        Format::Ndjson => ndjson::open(text, &probe, limits)?,
        Format::Json => json::open(text, &head, &probe, limits)?,
        // `choose_format` gives text formats only; a workbook was dealt with above.
        Format::Xlsx => return Err(SourceError::File("the file is text, not a workbook".into())),
    };
    let rows = guard_replacements(rows, probe, encoding);
    Ok(Table {
        format,
        encoding: encoding.name(),
        compressed,
        header,
        rows,
    })
}

/// A reader that can be read line by line or chunk by chunk.
type Text = Box<dyn BufRead + Send>;

/// One NDJSON line or JSON element: its number, and its text or why it has none.
type Numbered<'a> = (u64, Result<&'a str, String>);

/// What the layers found out while reading, shared with the rows iterator so that an error
/// deep in a format parser can be told for what it is.
#[derive(Debug, Clone, Default)]
struct Probe {
    /// Set when the caller's reader failed: such errors are [`SourceError::Io`].
    upstream_failed: Arc<AtomicBool>,
    /// Set when the decoder replaced a malformed byte sequence.
    malformed: Arc<AtomicBool>,
    compressed: bool,
}

/// A problem with the file that is found while reading bytes (a size cap passed), carried
/// inside an `io::Error` through parsers that only pass I/O errors on.
#[derive(Debug)]
struct FileProblem(String);

impl fmt::Display for FileProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FileProblem {}

fn file_problem(message: String) -> io::Error {
    io::Error::other(FileProblem(message))
}

impl Probe {
    /// What an I/O error from any layer means.
    fn classify(&self, error: io::Error) -> SourceError {
        if self.upstream_failed.load(Ordering::Relaxed) {
            return SourceError::Io(error);
        }
        if let Some(problem) = error
            .get_ref()
            .and_then(|e| e.downcast_ref::<FileProblem>())
        {
            return SourceError::File(problem.0.clone());
        }
        if self.compressed {
            return SourceError::File(format!(
                "the gzip data is damaged or cut short ({error}); compress and upload the file again"
            ));
        }
        SourceError::File(format!("the file could not be read: {error}"))
    }
}

/// Reads up to `n` bytes without losing them: returns a reader that yields them again first.
fn peek<R: BufRead + Send + 'static>(
    mut reader: R,
    n: usize,
) -> io::Result<(Box<dyn BufRead + Send>, Vec<u8>)> {
    let mut head = Vec::with_capacity(n.min(SNIFF_BYTES));
    (&mut reader).take(n as u64).read_to_end(&mut head)?;
    let replay = io::Cursor::new(head.clone()).chain(reader);
    Ok((Box::new(replay), head))
}

/// Turns rows that hold a replacement character into row errors once the decoder has had to
/// replace something (a legitimate U+FFFD in a clean file passes).
fn guard_replacements(rows: Rows, probe: Probe, encoding: &'static encoding_rs::Encoding) -> Rows {
    Box::new(rows.map(move |item| {
        let row = item?;
        if probe.malformed.load(Ordering::Relaxed) && holds_replacement(&row) {
            return Err(SourceError::Row {
                line: row.line,
                reason: format!(
                    "the row has bytes that are not valid {}: the file was read as {} from its \
                     first {} KiB; save it as UTF-8 or name its encoding in the mapping profile",
                    encoding.name(),
                    encoding.name(),
                    SNIFF_BYTES / 1024
                ),
            });
        }
        Ok(row)
    }))
}

fn holds_replacement(row: &Row) -> bool {
    let has = |s: &String| s.contains('\u{FFFD}');
    row.values.iter().any(has) || row.extra.iter().any(|(k, v)| has(k) || has(v))
}
