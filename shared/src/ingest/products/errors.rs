//! What can go wrong: [`RowError`] for one row (the run goes on) and [`FeedError`] for the
//! file (the run stops). Both are worded for the partner reading the rejected-rows report.

use std::fmt;

use super::Field;
use super::columns::missing_columns_message;

/// Longest raw value copied into a [`RowError`], in characters.
const VALUE_MAX_CHARS: usize = 200;

/// One reason a row was rejected, as listed in the partner's report.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RowError {
    /// 1-based physical line where the row starts.
    pub line: u64,
    /// Canonical column name (`price`), or `""` when the whole row is at fault.
    pub column: String,
    /// The offending raw value, cut to 200 characters.
    pub value: String,
    /// What is wrong, in words for the partner.
    pub reason: String,
}

impl RowError {
    /// An error for `column` at `line`; `value` is cut to 200 characters.
    pub fn new(line: u64, column: &str, value: &str, reason: impl Into<String>) -> Self {
        Self {
            line,
            column: column.to_owned(),
            value: value.chars().take(VALUE_MAX_CHARS).collect(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column.as_str() {
            "" => write!(f, "line {}: {}", self.line, self.reason),
            column => write!(f, "line {}, {column}: {}", self.line, self.reason),
        }
    }
}

/// A problem with the file as a whole: the run stops.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Nothing but blank lines: not even a header.
    #[error("the file is empty: its first line must be a header row naming the columns")]
    Empty,
    /// The header row is not UTF-8 (typically a UTF-16 or Latin-1 export).
    #[error("the header row is not UTF-8 text; export the file as \"CSV UTF-8\"")]
    HeaderNotUtf8,
    /// The header is one column holding another separator: not a comma-separated file.
    #[error(
        "the header row is one column containing {separator:?}: columns must be separated by commas"
    )]
    WrongSeparator {
        /// The separator found instead.
        separator: char,
    },
    /// `sku` and/or `title` have no column and no profile default.
    #[error("{}", missing_columns_message(missing))]
    MissingColumns {
        /// The required fields without a column.
        missing: Vec<Field>,
    },
    /// Two header columns mean the same field equally well, so it is unclear which to read.
    #[error("columns {first:?} and {second:?} both mean {field}; keep only one of them")]
    DuplicateColumn {
        /// The field both map to.
        field: Field,
        /// The first column's header.
        first: String,
        /// The second column's header.
        second: String,
    },
    /// The mapping profile names something that does not exist.
    #[error("the mapping profile {0}")]
    Profile(String),
    /// Reading the file failed (network, storage).
    #[error("the file could not be read past line {line}: {source}")]
    Read {
        /// The line reading stopped at.
        line: u64,
        /// What the reader reported.
        #[source]
        source: csv::Error,
    },
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn row_errors_cut_long_values_and_serialize_for_the_report() {
        let error = RowError::new(9, "title", &"x".repeat(300), "title is too long");
        assert_eq!(error.value.chars().count(), 200);
        assert_eq!(error.to_string(), "line 9, title: title is too long");
        let json = serde_json::to_value(RowError::new(3, "", "", "row has 1 field")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"line": 3, "column": "", "value": "", "reason": "row has 1 field"})
        );
    }
}
