//! JSON: an array of objects, or a stream of objects (concatenated or pretty-printed one after
//! another), read element by element, never whole.
//!
//! A small scanner finds where each top-level element ends (tracking nesting, strings and
//! escapes over whole buffered chunks) and collects its bytes into one reused buffer, capped at
//! [`Limits::max_record_bytes`]; `serde_json` then parses just that element. So one malformed or
//! oversized element is a row error and the next one is still read; only text that ends inside
//! an element (a truncated file) ends the rows, with a file error.

use std::io;

use super::decode::human_size;
use super::objects::{self, ObjectTexts};
use super::{Limits, Numbered, Probe, Rows, SourceError, Text};

/// Reads up to the first object (its keys are the header); the rest is left to the rows.
pub(super) fn open(
    text: Text,
    head: &[u8],
    probe: &Probe,
    limits: &Limits,
) -> Result<(Vec<String>, Rows), SourceError> {
    let array = match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => true,
        Some(b'{') => false,
        Some(_) => {
            return Err(SourceError::File(
                "the file is not JSON that holds objects: it should be an array of objects \
                 (`[{…}, {…}]`) or one object after another"
                    .into(),
            ));
        }
        None => return Err(SourceError::File("the file is empty".into())),
    };
    let elements = Elements {
        text,
        buffer: Vec::new(),
        max: limits.max_record_bytes,
        index: 0,
        state: if array {
            State::BeforeArray
        } else {
            State::Between
        },
        array,
        probe: probe.clone(),
    };
    objects::open(elements)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    BeforeArray,
    /// Between elements, at nesting depth 0.
    Between,
    /// Inside an element.
    Inside {
        depth: u32,
        in_string: bool,
        escaped: bool,
    },
    /// After the closing `]`.
    Closed,
}

/// Why the scanner stopped for good.
enum Stop {
    Io(io::Error),
    Truncated,
    Junk(u8),
}

impl From<io::Error> for Stop {
    fn from(error: io::Error) -> Self {
        Stop::Io(error)
    }
}

/// The top-level elements of a JSON array or object stream.
struct Elements {
    text: Text,
    buffer: Vec<u8>,
    max: usize,
    /// 1-based index of the element last returned.
    index: u64,
    state: State,
    array: bool,
    probe: Probe,
}

impl ObjectTexts for Elements {
    const UNIT: &'static str = "element";

    fn next_text(&mut self) -> Result<Option<Numbered<'_>>, SourceError> {
        match self.scan() {
            Ok(Some(too_long)) => Ok(Some(self.element(too_long))),
            Ok(None) => Ok(None),
            Err(stop) => Err(self.failure(stop)),
        }
    }
}

impl Elements {
    /// The element just scanned, numbered.
    fn element(&mut self, too_long: bool) -> Numbered<'_> {
        self.index += 1;
        if too_long {
            let reason = format!(
                "the element is longer than {}, more than a row may be",
                human_size(self.max as u64)
            );
            return (self.index, Err(reason));
        }
        let text =
            std::str::from_utf8(&self.buffer).map_err(|_| "the element is not valid text".into());
        (self.index, text)
    }

    /// Collects the next element's bytes: `Some(too_long)` for an element, `None` at the end.
    fn scan(&mut self) -> Result<Option<bool>, Stop> {
        self.buffer.clear();
        let mut too_long = false;
        loop {
            let chunk = self.text.fill_buf()?;
            if chunk.is_empty() {
                return match self.state {
                    State::Closed => Ok(None),
                    State::Between if !self.array => Ok(None),
                    _ => Err(Stop::Truncated),
                };
            }
            let (kept, used, complete) = step(&mut self.state, chunk, self.array)?;
            let piece = &chunk[..kept];
            if self.buffer.len() + piece.len() > self.max {
                too_long = true;
                self.buffer.clear();
            } else if !too_long {
                self.buffer.extend_from_slice(piece);
            }
            self.text.consume(used);
            if complete {
                let empty = self.buffer.trim_ascii().is_empty();
                match (empty, self.state) {
                    (true, State::Closed) if !too_long => return Ok(None),
                    (true, _) if !too_long => continue,
                    _ => return Ok(Some(too_long)),
                }
            }
        }
    }

    fn failure(&self, stop: Stop) -> SourceError {
        match stop {
            Stop::Io(error) => self.probe.classify(error),
            Stop::Truncated => SourceError::File(format!(
                "the JSON ends in the middle of element {}: the file is cut short",
                self.index + 1
            )),
            Stop::Junk(byte) => SourceError::File(format!(
                "the JSON has `{}` where element {} should start",
                char::from(byte).escape_default(),
                self.index + 1
            )),
        }
    }
}

/// Advances the scanner over `chunk`: how many bytes belong to the current element, how many
/// are used up (a `,` or `]` after it too), and whether the element ended there.
fn step(state: &mut State, chunk: &[u8], array: bool) -> Result<(usize, usize, bool), Stop> {
    for (i, &byte) in chunk.iter().enumerate() {
        let cut = if matches!(state, State::Inside { .. }) {
            inside(state, byte, array)
        } else {
            outside(state, byte, array)?
        };
        match cut {
            None => {}
            Some(Cut::Drop) => return Ok((0, i + 1, false)),
            Some(Cut::Before) => return Ok((i, i + 1, true)),
            Some(Cut::After) => return Ok((i + 1, i + 1, true)),
        }
    }
    Ok((chunk.len(), chunk.len(), false))
}

/// What one byte does to the element being collected.
enum Cut {
    /// Drop it and what came before it in the chunk (`[`, a comma between streamed objects).
    Drop,
    /// The element ended just before it (a `,` or `]` in an array).
    Before,
    /// The element ends with it (the `}` of a streamed object).
    After,
}

/// A byte between elements (or around the array).
fn outside(state: &mut State, byte: u8, array: bool) -> Result<Option<Cut>, Stop> {
    match (*state, byte) {
        (State::BeforeArray, b'[') => {
            *state = State::Between;
            return Ok(Some(Cut::Drop));
        }
        (_, b) if b.is_ascii_whitespace() => {}
        (State::BeforeArray | State::Closed, b) => return Err(Stop::Junk(b)),
        (State::Between, b']') if array => {
            *state = State::Closed;
            return Ok(Some(Cut::Before));
        }
        (State::Between, b',') if array => return Ok(Some(Cut::Before)),
        // Commas between streamed objects are tolerated, and left out.
        (State::Between, b',') => return Ok(Some(Cut::Drop)),
        (State::Between | State::Inside { .. }, b) => {
            *state = State::Inside {
                depth: u32::from(matches!(b, b'{' | b'[')),
                in_string: b == b'"',
                escaped: false,
            };
        }
    }
    Ok(None)
}

/// A byte inside an element: strings, escapes and nesting decide where it ends.
fn inside(state: &mut State, byte: u8, array: bool) -> Option<Cut> {
    let State::Inside {
        depth,
        in_string,
        escaped,
    } = state
    else {
        return None;
    };
    if *in_string {
        match byte {
            _ if *escaped => *escaped = false,
            b'\\' => *escaped = true,
            b'"' => *in_string = false,
            _ => {}
        }
        return None;
    }
    match byte {
        b'"' => *in_string = true,
        b'{' | b'[' => *depth += 1,
        b'}' | b']' if *depth > 1 => *depth -= 1,
        b'}' | b']' if *depth == 1 && !array => {
            *state = State::Between;
            return Some(Cut::After);
        }
        b'}' | b']' if *depth == 1 => *depth = 0,
        b']' if array => {
            *state = State::Closed;
            return Some(Cut::Before);
        }
        b',' if *depth == 0 && array => {
            *state = State::Between;
            return Some(Cut::Before);
        }
        _ => {}
    }
    None
}
