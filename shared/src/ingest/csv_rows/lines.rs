//! Physical line numbers for records, which the csv crate does not give reliably.
//!
//! `csv::Position::line` is taken before the reader skips the rest of the previous record's
//! terminator and any blank lines, so after a CRLF or a blank line it lags behind the line the
//! record is actually on. A partner fixing a rejected row needs the line their editor shows, so
//! [`LineTracker`] sits under the csv reader, counts `\n` bytes as they stream past, and
//! remembers where each run of content after a line break starts. A record's real start is the
//! first such content at or after the byte offset csv reports for it.
//!
//! Memory stays bounded: entries are dropped as soon as the reader has moved past them, so only
//! the lines in csv's read-ahead buffer and in the current record are ever held.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A [`Read`] adapter that records the line of every content start it passes through.
#[derive(Debug)]
pub(crate) struct LineTracker<R> {
    inner: R,
    /// Bytes passed through so far: the offset of the next byte.
    offset: u64,
    /// 1-based line of the next byte.
    line: u64,
    /// Whether the previous byte was `\r` or `\n` (true at the start of the input).
    after_break: bool,
    /// `(offset, line)` of each byte that starts content after a line break, oldest first.
    starts: VecDeque<(u64, u64)>,
}

impl<R> LineTracker<R> {
    /// Wraps `inner`, which must be at the start of the file.
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            line: 1,
            after_break: true,
            starts: VecDeque::new(),
        }
    }

    /// The line of the first content at or after byte `offset`: where a record that csv says
    /// begins at `offset` really begins. Forgets everything before `offset`, so offsets must be
    /// asked in increasing order.
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        while self
            .starts
            .front()
            .is_some_and(|(start, _)| *start < offset)
        {
            self.starts.pop_front();
        }
        self.starts.front().map_or(self.line, |(_, line)| *line)
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
        let mut tracker = LineTracker::new(text);
        io::copy(&mut tracker, &mut io::sink()).unwrap();
        tracker
    }

    #[test]
    fn the_first_content_is_on_line_one() {
        assert_eq!(tracked(b"a,b\nc,d\n").line_at(0), 1);
    }

    #[test]
    fn an_offset_inside_a_line_break_resolves_to_the_next_content() {
        let mut tracker = tracked(b"a\r\nb\r\n\r\n\nc\n");
        assert_eq!(tracker.line_at(1), 2);
        assert_eq!(tracker.line_at(4), 5);
    }

    #[test]
    fn past_the_last_content_the_current_line_is_returned() {
        let mut tracker = tracked(b"a\nb\n");
        assert_eq!(tracker.line_at(4), 3);
    }

    #[test]
    fn entries_behind_the_asked_offset_are_forgotten() {
        let mut tracker = tracked(b"a\nb\nc\nd\n");
        assert_eq!(tracker.starts.len(), 4);
        assert_eq!(tracker.line_at(4), 3);
        assert_eq!(tracker.starts.len(), 2);
    }
}
