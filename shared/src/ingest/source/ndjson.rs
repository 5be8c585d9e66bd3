//! NDJSON: one object per line, read a line at a time into one reused buffer. A line longer
//! than [`Limits::max_record_bytes`] is skipped without being held, and reported as a row error.

use std::io::{self, BufRead};

use super::decode::human_size;
use super::objects::{self, ObjectTexts};
use super::{Limits, Numbered, Probe, Rows, SourceError, Text};

/// Reads up to the first object (its keys are the header); the rest is left to the rows.
pub(super) fn open(
    text: Text,
    probe: &Probe,
    limits: &Limits,
) -> Result<(Vec<String>, Rows), SourceError> {
    objects::open(Lines {
        text,
        buffer: Vec::new(),
        line: 0,
        max: limits.max_record_bytes,
        probe: probe.clone(),
    })
}

/// Non-blank lines, each at most `max` bytes.
struct Lines {
    text: Text,
    buffer: Vec<u8>,
    /// The 1-based number of the line last returned.
    line: u64,
    max: usize,
    probe: Probe,
}

impl ObjectTexts for Lines {
    const UNIT: &'static str = "line";

    fn next_text(&mut self) -> Result<Option<Numbered<'_>>, SourceError> {
        match self.advance() {
            Ok(Some(too_long)) => Ok(Some(self.current(too_long))),
            Ok(None) => Ok(None),
            Err(error) => Err(self.probe.classify(error)),
        }
    }
}

impl Lines {
    /// Moves to the next non-blank line: `Some(too_long)`, or `None` at the end.
    fn advance(&mut self) -> io::Result<Option<bool>> {
        loop {
            let Some(too_long) = self.read_line()? else {
                return Ok(None);
            };
            self.line += 1;
            if too_long || !self.buffer.trim_ascii().is_empty() {
                return Ok(Some(too_long));
            }
        }
    }

    /// The line [`Self::advance`] moved to, numbered.
    fn current(&self, too_long: bool) -> Numbered<'_> {
        if too_long {
            let reason = format!(
                "the line is longer than {}, more than a row may be",
                human_size(self.max as u64)
            );
            return (self.line, Err(reason));
        }
        let text = std::str::from_utf8(self.buffer.trim_ascii())
            .map_err(|_| "the line is not valid text".to_owned());
        (self.line, text)
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
