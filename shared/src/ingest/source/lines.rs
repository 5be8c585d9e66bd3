//! Physical line numbers for CSV records, which the csv crate does not give reliably, and the
//! cap on a record's size, which it does not have.
//!
//! `csv::Position::line` is taken before the reader skips the rest of the previous record's
//! terminator and any blank lines, so after a CRLF or a blank line it lags behind the line the
//! record is actually on. [`LineTracker`] sits under the csv reader, counts `\n` bytes as they
//! stream past, and remembers where each run of content after a line break starts. A record's
//! real start is the first such content at or after the byte offset csv reports for it.
//!
//! Memory stays bounded: entries are dropped as soon as the reader has moved past them, and a
//! record (an unclosed quote swallows the rest of the file into one) may not grow beyond
//! `max_record` bytes: reading fails with a [`super::FileProblem`] instead.

use std::collections::VecDeque;
use std::io::{self, Read};

use super::decode::human_size;
use super::file_problem;

/// A [`Read`] adapter that records the line of every content start it passes through.
#[derive(Debug)]
pub(super) struct LineTracker<R> {
    inner: R,
    /// Bytes passed through so far: the offset of the next byte.
    offset: u64,
    /// 1-based line of the next byte.
    line: u64,
    /// Whether the previous byte was `\r` or `\n` (true at the start of the input).
    after_break: bool,
    /// `(offset, line)` of each byte that starts content after a line break, oldest first.
    starts: VecDeque<(u64, u64)>,
    /// Offset of the record being read, as told by [`Self::begin`].
    record_start: u64,
    max_record: u64,
}

impl<R> LineTracker<R> {
    /// Wraps `inner`, which must be at the start of the file.
    pub(super) fn new(inner: R, max_record: usize) -> Self {
        Self {
            inner,
            offset: 0,
            line: 1,
            after_break: true,
            starts: VecDeque::new(),
            record_start: 0,
            max_record: max_record as u64,
        }
    }

    /// The line of the first content at or after byte `offset`: where a record that csv says
    /// begins at `offset` really begins. Forgets everything before `offset`, so offsets must be
    /// asked in increasing order.
    pub(super) fn line_at(&mut self, offset: u64) -> u64 {
        while self
            .starts
            .front()
            .is_some_and(|(start, _)| *start < offset)
        {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |(_, line)| *line)
    }

    /// Says that a record starts at `offset`: the size cap counts from there.
    pub(super) fn begin(&mut self, offset: u64) {
        self.record_start = offset;
    }

    fn observe(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            match byte {
                b'\n' => {
                    self.line += 1;
                    self.after_break = true;
                }
                b'\r' => self.after_break = true,
                _ if self.after_break => {
                    self.starts.push_back((self.offset, self.line));
                    self.after_break = false;
                }
                _ => {}
            }
            self.offset += 1;
        }
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.offset.saturating_sub(self.record_start) > self.max_record {
            let start = self.record_start;
            let line = self
                .starts
                .iter()
                .find(|(offset, _)| *offset >= start)
                .map_or(self.line, |(_, line)| *line);
            return Err(file_problem(format!(
                "the record that starts on line {line} is longer than {}: is a quote left open?",
                human_size(self.max_record)
            )));
        }
        let n = self.inner.read(buf)?;
        self.observe(buf.get(..n).unwrap_or_default());
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn tracked(text: &[u8]) -> LineTracker<&[u8]> {
        let mut tracker = LineTracker::new(text, usize::MAX >> 1);
        io::copy(&mut tracker, &mut io::sink()).unwrap();
        tracker
    }

    #[test]
    fn an_offset_inside_a_line_break_resolves_to_the_next_content() {
        let mut tracker = tracked(b"a\r\nb\r\n\r\n\nc\n");
        assert_eq!(tracker.line_at(0), 1);
        assert_eq!(tracker.line_at(1), 2);
        assert_eq!(tracker.line_at(4), 5);
    }

    #[test]
    fn entries_behind_the_asked_offset_are_forgotten() {
        let mut tracker = tracked(b"a\nb\nc\nd\n");
        assert_eq!(tracker.starts.len(), 4);
        assert_eq!(tracker.line_at(4), 3);
        assert_eq!(tracker.starts.len(), 2);
    }

    #[test]
    fn a_record_beyond_the_cap_fails_the_read() {
        let text = [b'x'; 100];
        let mut tracker = LineTracker::new(&text[..], 10);
        let mut buf = [0; 16];
        assert_eq!(tracker.read(&mut buf).unwrap(), 16);
        assert!(tracker.read(&mut buf).is_err());
    }
}
