//! NDJSON: one object per line, read a line at a time into one reused buffer. A line longer
//! than [`Limits::max_record_bytes`] is skipped without being held, and reported as a row error.

use std::collections::VecDeque;
use std::io::{self, BufRead};

use super::decode::human_size;
use super::flatten::{Placer, flatten};
use super::{Limits, Numbered, Probe, Row, Rows, SourceError, Text};

/// Lines that may fail before the first object before the file is judged not NDJSON at all.
const MAX_LEADING_ERRORS: usize = 100;

/// Reads up to the first object (its keys are the header); the rest is left to the rows.
pub(super) fn open(
    text: Text,
    probe: &Probe,
    limits: &Limits,
) -> Result<(Vec<String>, Rows), SourceError> {
    let mut lines = Lines {
        text,
        buffer: Vec::new(),
        line: 0,
        max: limits.max_record_bytes,
    };
    let mut early = VecDeque::new();
    loop {
        let Some((number, line)) = lines.next_line().map_err(|e| probe.classify(e))? else {
            return Err(SourceError::File(if early.is_empty() {
                "the file is empty".into()
            } else {
                "no line of the file is a JSON object".into()
            }));
        };
        let mut cells = Vec::new();
        match line.and_then(|text| flatten(text, &mut cells)) {
            Ok(()) => {
                let placer = Placer::new(&cells);
                let first = placer.place(number, &mut cells);
                early.push_back(Ok(first));
                let header = placer.header().to_vec();
                let rows = NdjsonRows {
                    lines,
                    placer,
                    early,
                    probe: probe.clone(),
                    done: false,
                };
                return Ok((header, Box::new(rows)));
            }
            Err(reason) if early.len() < MAX_LEADING_ERRORS => {
                early.push_back(Err(SourceError::Row {
                    line: number,
                    reason,
                }));
            }
            Err(reason) => {
                return Err(SourceError::File(format!(
                    "none of the first {MAX_LEADING_ERRORS} lines is a JSON object \
                     (line {number}: {reason})"
                )));
            }
        }
    }
}

/// Non-blank lines, each at most `max` bytes.
struct Lines {
    text: Text,
    buffer: Vec<u8>,
    /// The 1-based number of the line last returned.
    line: u64,
    max: usize,
}

impl Lines {
    /// The next non-blank line and its number: `Ok(None)` at the end, an `Err` inside for a
    /// line too long or not UTF-8.
    fn next_line(&mut self) -> io::Result<Option<Numbered<'_>>> {
        loop {
            let Some(too_long) = self.read_line()? else {
                return Ok(None);
            };
            self.line += 1;
            if too_long {
                let reason = format!(
                    "the line is longer than {}, more than a row may be",
                    human_size(self.max as u64)
                );
                return Ok(Some((self.line, Err(reason))));
            }
            if !self.buffer.trim_ascii().is_empty() {
                break;
            }
        }
        let text = std::str::from_utf8(self.buffer.trim_ascii())
            .map_err(|_| "the line is not valid text".to_owned());
        Ok(Some((self.line, text)))
    }

    /// Reads one line into `buffer`, keeping at most `max` bytes: `Some(true)` when it was
    /// longer, `None` at the end of the text.
    fn read_line(&mut self) -> io::Result<Option<bool>> {
        self.buffer.clear();
        let (mut any, mut too_long) = (false, false);
        loop {
            let chunk = self.text.fill_buf()?;
            if chunk.is_empty() {
                return Ok(any.then_some(too_long));
            }
            any = true;
            let (piece, used, end) = match chunk.iter().position(|&b| b == b'\n') {
                Some(i) => (&chunk[..i], i + 1, true),
                None => (chunk, chunk.len(), false),
            };
            if self.buffer.len() + piece.len() > self.max {
                too_long = true;
                self.buffer.clear();
            } else if !too_long {
                self.buffer.extend_from_slice(piece);
            }
            self.text.consume(used);
            if end {
                return Ok(Some(too_long));
            }
        }
    }
}

struct NdjsonRows {
    lines: Lines,
    placer: Placer,
    /// Rows read while looking for the header, still to be handed out.
    early: VecDeque<Result<Row, SourceError>>,
    probe: Probe,
    done: bool,
}

impl Iterator for NdjsonRows {
    type Item = Result<Row, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.early.pop_front() {
            return Some(row);
        }
        if self.done {
            return None;
        }
        let mut cells = Vec::new();
        let (number, line) = match self.lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(error) => {
                self.done = true;
                return Some(Err(self.probe.classify(error)));
            }
        };
        Some(
            line.and_then(|text| flatten(text, &mut cells))
                .map(|()| self.placer.place(number, &mut cells))
                .map_err(|reason| SourceError::Row {
                    line: number,
                    reason,
                }),
        )
    }
}
