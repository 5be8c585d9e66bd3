//! What NDJSON and JSON share: numbered object texts become a header (the first object's
//! flattened keys) and rows placed under it.
//!
//! Texts that are not objects before the first object are kept as row errors and handed out
//! first, so the header never depends on the first item being good.

use std::collections::VecDeque;

use super::flatten::{Placer, flatten};
use super::{Numbered, Row, Rows, SourceError};

/// Items that may fail before the first object before the file is given up on.
const MAX_LEADING_ERRORS: usize = 100;

/// A source of object texts: NDJSON lines, JSON elements.
pub(super) trait ObjectTexts: Send + 'static {
    /// What one item is called in messages: `line`, `element`.
    const UNIT: &'static str;

    /// The next item: `Ok(None)` after the last one; an error ends the rows.
    fn next_text(&mut self) -> Result<Option<Numbered<'_>>, SourceError>;
}

/// Reads up to the first object; the rest is left to the rows.
pub(super) fn open<S: ObjectTexts>(mut texts: S) -> Result<(Vec<String>, Rows), SourceError> {
    let unit = S::UNIT;
    let mut early = VecDeque::new();
    loop {
        let Some((number, text)) = texts.next_text()? else {
            return Err(SourceError::File(if early.is_empty() {
                "the file holds no JSON objects".into()
            } else {
                format!("no {unit} of the file is a JSON object")
            }));
        };
        let mut cells = Vec::new();
        match text.and_then(|text| flatten(text, &mut cells)) {
            Ok(()) => {
                let placer = Placer::new(&cells);
                early.push_back(Ok(placer.place(number, &mut cells)));
                let header = placer.header().to_vec();
                let rows = ObjectRows {
                    texts,
                    placer,
                    early,
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
                    "none of the first {MAX_LEADING_ERRORS} {unit}s is a JSON object \
                     ({unit} {number}: {reason})"
                )));
            }
        }
    }
}

struct ObjectRows<S> {
    texts: S,
    placer: Placer,
    /// Rows read while looking for the header, still to be handed out.
    early: VecDeque<Result<Row, SourceError>>,
    done: bool,
}

impl<S: ObjectTexts> Iterator for ObjectRows<S> {
    type Item = Result<Row, SourceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(row) = self.early.pop_front() {
            return Some(row);
        }
        if self.done {
            return None;
        }
        let (line, text) = match self.texts.next_text() {
            Ok(Some(item)) => item,
            Ok(None) => {
                self.done = true;
                return None;
            }
            Err(error) => {
                self.done = true;
                return Some(Err(error));
            }
        };
        let mut cells = Vec::new();
        Some(
            text.and_then(|text| flatten(text, &mut cells))
                .map(|()| self.placer.place(line, &mut cells))
                .map_err(|reason| SourceError::Row { line, reason }),
        )
    }
}
