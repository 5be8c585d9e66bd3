//! Reading a feed, on a blocking thread: bytes → table ([`source`](super::source)) → the feed's
//! kind ([`kind`](super::kind)) → its mapper → validated records in batches, sent to the async
//! side over a bounded channel (so a slow store slows the reader, and memory stays flat).
//!
//! A feed is read twice. The *check* pass validates every row, counts the bad ones, records
//! their problems and writes the rejected-rows CSV, but lands nothing; the *apply* pass, run
//! only when the bad rows stay within the tenant's threshold, sends the good records. So a file
//! with too many bad rows changes nothing, whatever order its rows come in.

use std::collections::{BTreeSet, VecDeque};
use std::io::Read;

use tokio::sync::mpsc;

use super::inventory::InventoryMapper;
use super::kind::detect_kind;
use super::orders::OrderMapper;
use super::products::{ProductMapper, RowError};
use super::profile::MappingProfile;
use super::record::{FeedKind, Row};
use super::rejected::RejectedCsv;
use super::report::Opened;
use super::source::{self, SourceError, SourceHint};
use crate::store::{InventoryUpsert, OrderUpsert, ProductUpsert, RejectedRow};

/// Records per store transaction: large enough to amortise the commit (2000 rather than 500
/// made the ingestion benchmark's apply pass a fifth faster on SQLite), small enough to keep
/// memory flat (a few MiB in flight) and a redone batch cheap.
pub const BATCH_RECORDS: usize = 2000;

/// Order rows remembered for the rejected-rows CSV: an order's problems are known only once
/// its last line has been read. A longer order's earliest rows are missing from the CSV (its
/// problems are still all reported).
const RECENT_ORDER_ROWS: usize = 1000;

/// What to read and how.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The file's name (its extension names the format).
    pub file_name: String,
    /// The kind the path names, if it names one.
    pub path_kind: Option<String>,
    /// The tenant's mapping profile for this file.
    pub profile: Option<MappingProfile>,
    /// Where the records came from, stored with products.
    pub source: String,
}

/// Which pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Validate and report, land nothing.
    Check,
    /// Land the good records.
    Apply,
}

/// Valid records of one kind.
#[derive(Debug)]
pub enum Records {
    /// Products.
    Products(Vec<ProductUpsert>),
    /// Stock levels.
    Inventory(Vec<InventoryUpsert>),
    /// Orders.
    Orders(Vec<OrderUpsert>),
}

impl Records {
    fn new(kind: FeedKind) -> Self {
        match kind {
            FeedKind::Products => Records::Products(Vec::new()),
            FeedKind::Inventory => Records::Inventory(Vec::new()),
            FeedKind::Orders => Records::Orders(Vec::new()),
        }
    }

    fn len(&self) -> usize {
        match self {
            Records::Products(v) => v.len(),
            Records::Inventory(v) => v.len(),
            Records::Orders(v) => v.len(),
        }
    }

    fn take(&mut self) -> Self {
        match self {
            Records::Products(v) => Records::Products(std::mem::take(v)),
            Records::Inventory(v) => Records::Inventory(std::mem::take(v)),
            Records::Orders(v) => Records::Orders(std::mem::take(v)),
        }
    }
}

/// What the reader tells the async side.
#[derive(Debug)]
pub enum Event {
    /// The file opened and its header was understood.
    Opened(Opened),
    /// A batch: `rows` more rows read, `bad_rows` of them rejected with `problems` (check
    /// pass), and the valid `records` (apply pass).
    Batch {
        /// Rows read since the last batch.
        rows: u64,
        /// Of those, rows rejected.
        bad_rows: u64,
        /// Their problems.
        problems: Vec<RejectedRow>,
        /// Valid records.
        records: Records,
    },
    /// The file as a whole cannot be ingested; a sentence for the partner.
    Failed(String),
    /// Reading the bytes failed: a storage problem, retried.
    Io(std::io::Error),
}

/// One mapped row's outcomes: records, or the problems that reject it.
type Mapped = Vec<Result<Record, Vec<RowError>>>;

enum Record {
    Product(Box<ProductUpsert>),
    Level(InventoryUpsert),
    Order(OrderUpsert),
}

enum Mapper {
    Products(Box<ProductMapper>),
    Inventory(InventoryMapper),
    Orders(Box<OrderMapper>),
}

impl Mapper {
    fn new(
        kind: FeedKind,
        header: &[String],
        profile: Option<&MappingProfile>,
    ) -> Result<Self, String> {
        Ok(match kind {
            FeedKind::Products => Mapper::Products(Box::new(
                ProductMapper::new(header, profile).map_err(|e| e.to_string())?,
            )),
            FeedKind::Inventory => {
                Mapper::Inventory(InventoryMapper::new(header, profile).map_err(|e| e.to_string())?)
            }
            FeedKind::Orders => Mapper::Orders(Box::new(
                OrderMapper::new(header, profile).map_err(|e| e.to_string())?,
            )),
        })
    }

    /// `(recognised, kept as attributes)` headers, for the report.
    fn columns(&self) -> (Vec<(String, String)>, Vec<String>) {
        match self {
            Mapper::Products(m) => (
                m.columns()
                    .iter()
                    .filter_map(|c| c.field.map(|f| (c.header.clone(), f.to_string())))
                    .collect(),
                m.unknown_columns(),
            ),
            Mapper::Inventory(m) => (
                m.location_columns()
                    .into_iter()
                    .map(|l| (l.to_owned(), "quantity at this location".to_owned()))
                    .collect(),
                Vec::new(),
            ),
            // The order mapper does not say column by column how it read the header.
            Mapper::Orders(_) => (Vec::new(), Vec::new()),
        }
    }

    /// The row's records and problems; a check pass needs only the problems, so its products
    /// are not hashed.
    fn map(&mut self, row: &Row, source: &str, pass: Pass) -> Mapped {
        match self {
            Mapper::Products(m) => match m.map(row) {
                Ok(Some(_)) if pass == Pass::Check => Vec::new(),
                Ok(Some(p)) => vec![Ok(Record::Product(Box::new(ProductUpsert::new(
                    p.content,
                    p.updated_at,
                    source,
                ))))],
                Ok(None) => Vec::new(),
                Err(errors) => vec![Err(errors)],
            },
            Mapper::Inventory(m) => match m.map(row) {
                Ok(levels) => levels.into_iter().map(|l| Ok(Record::Level(l))).collect(),
                Err(errors) => vec![Err(errors)],
            },
            Mapper::Orders(m) => m
                .push(row)
                .into_iter()
                .map(|r| r.map(Record::Order))
                .collect(),
        }
    }

    fn finish(&mut self) -> Mapped {
        match self {
            Mapper::Orders(m) => m
                .finish()
                .into_iter()
                .map(|r| r.map(Record::Order))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Reads `reader` for `pass`, sending events; returns the rejected-rows CSV of a check pass.
pub fn read(
    reader: Box<dyn Read + Send>,
    plan: &Plan,
    pass: Pass,
    events: &mpsc::Sender<Event>,
) -> Option<RejectedCsv> {
    let send = |event: Event| events.blocking_send(event).is_ok();
    let profile = plan.profile.as_ref();
    let hint = SourceHint {
        file_name: &plan.file_name,
        content_type: None,
        encoding: profile.and_then(|p| p.encoding.as_deref()),
        sheet: profile.and_then(|p| p.sheet.as_deref()),
    };
    let table = match source::open(reader, &hint) {
        Ok(table) => table,
        Err(SourceError::Io(error)) => {
            send(Event::Io(error));
            return None;
        }
        Err(error) => {
            send(Event::Failed(error.to_string()));
            return None;
        }
    };
    let kind = match detect_kind(plan.path_kind.as_deref(), &table.header) {
        Ok(kind) => kind,
        Err(reason) => {
            send(Event::Failed(reason));
            return None;
        }
    };
    let mut mapper = match Mapper::new(kind, &table.header, profile) {
        Ok(mapper) => mapper,
        Err(reason) => {
            send(Event::Failed(reason));
            return None;
        }
    };
    let (columns, unknown) = mapper.columns();
    let opened = Opened {
        kind,
        format: table.format.to_string(),
        encoding: table.encoding.to_owned(),
        columns,
        unknown,
    };
    if !send(Event::Opened(opened)) {
        return None;
    }
    let mut rejected_csv = match pass {
        Pass::Check => match RejectedCsv::create(&table.header) {
            Ok(csv) => Some(csv),
            Err(error) => {
                send(Event::Io(error));
                return None;
            }
        },
        Pass::Apply => None,
    };
    let mut batch = Batch::new(kind, pass);
    let mut recent: VecDeque<Row> = VecDeque::new();
    for item in table.rows {
        batch.rows += 1;
        match item {
            Ok(row) => {
                let mapped = mapper.map(&row, &plan.source, pass);
                if kind == FeedKind::Orders && pass == Pass::Check {
                    if recent.len() == RECENT_ORDER_ROWS {
                        recent.pop_front();
                    }
                    recent.push_back(row.clone());
                }
                let rows_by_line = RowsByLine {
                    current: &row,
                    recent: &recent,
                };
                if let Err(error) = batch.add(mapped, &rows_by_line, rejected_csv.as_mut()) {
                    send(Event::Io(error));
                    return None;
                }
            }
            Err(SourceError::Row { line, reason }) => {
                let problem = RejectedRow {
                    line,
                    column: String::new(),
                    value: String::new(),
                    reason,
                };
                if let Err(error) = batch.reject_row(
                    &Row {
                        line,
                        ..Row::default()
                    },
                    vec![problem],
                    rejected_csv.as_mut(),
                ) {
                    send(Event::Io(error));
                    return None;
                }
            }
            Err(SourceError::Io(error)) => {
                send(Event::Io(error));
                return None;
            }
            Err(SourceError::File(reason)) => {
                send(Event::Failed(reason));
                return None;
            }
        }
        if batch.full() && !send(batch.take()) {
            return None;
        }
    }
    let last = mapper.finish();
    let rows_by_line = RowsByLine {
        current: &Row::default(),
        recent: &recent,
    };
    if let Err(error) = batch.add(last, &rows_by_line, rejected_csv.as_mut()) {
        send(Event::Io(error));
        return None;
    }
    send(batch.take());
    rejected_csv
}

/// Finds the rows a rejected record came from, for the CSV.
struct RowsByLine<'a> {
    current: &'a Row,
    recent: &'a VecDeque<Row>,
}

impl RowsByLine<'_> {
    fn get(&self, line: u64) -> Option<&Row> {
        if self.current.line == line {
            return Some(self.current);
        }
        self.recent.iter().rev().find(|row| row.line == line)
    }
}

/// The batch being filled.
struct Batch {
    pass: Pass,
    rows: u64,
    bad_rows: u64,
    problems: Vec<RejectedRow>,
    records: Records,
}

impl Batch {
    fn new(kind: FeedKind, pass: Pass) -> Self {
        Self {
            pass,
            rows: 0,
            bad_rows: 0,
            problems: Vec::new(),
            records: Records::new(kind),
        }
    }

    fn full(&self) -> bool {
        self.records.len() + self.problems.len() >= BATCH_RECORDS
            || self.rows >= BATCH_RECORDS as u64 * 4
    }

    fn take(&mut self) -> Event {
        let event = Event::Batch {
            rows: self.rows,
            bad_rows: self.bad_rows,
            problems: std::mem::take(&mut self.problems),
            records: self.records.take(),
        };
        self.rows = 0;
        self.bad_rows = 0;
        event
    }

    fn add(
        &mut self,
        mapped: Mapped,
        rows: &RowsByLine<'_>,
        mut csv: Option<&mut RejectedCsv>,
    ) -> std::io::Result<()> {
        for result in mapped {
            match (result, self.pass) {
                (Ok(record), Pass::Apply) => match (&mut self.records, record) {
                    (Records::Products(v), Record::Product(p)) => v.push(*p),
                    (Records::Inventory(v), Record::Level(l)) => v.push(l),
                    (Records::Orders(v), Record::Order(o)) => v.push(o),
                    _ => {}
                },
                (Ok(_), Pass::Check) => {}
                (Err(errors), _) => {
                    let problems: Vec<RejectedRow> = errors.into_iter().map(rejected).collect();
                    // An order's problems can span several rows: each is a bad row.
                    let lines: BTreeSet<u64> = problems.iter().map(|p| p.line).collect();
                    for line in lines {
                        let of_line: Vec<RejectedRow> = problems
                            .iter()
                            .filter(|p| p.line == line)
                            .cloned()
                            .collect();
                        let row = rows.get(line).cloned().unwrap_or(Row {
                            line,
                            ..Row::default()
                        });
                        self.reject_row(&row, of_line, csv.as_deref_mut())?;
                    }
                }
            }
        }
        Ok(())
    }

    fn reject_row(
        &mut self,
        row: &Row,
        problems: Vec<RejectedRow>,
        csv: Option<&mut RejectedCsv>,
    ) -> std::io::Result<()> {
        if self.pass == Pass::Apply {
            return Ok(());
        }
        self.bad_rows += 1;
        if let Some(csv) = csv {
            csv.add(row, &problems)?;
        }
        self.problems.extend(problems);
        Ok(())
    }
}

fn rejected(error: RowError) -> RejectedRow {
    RejectedRow {
        line: error.line,
        column: error.column,
        value: error.value,
        reason: error.reason,
    }
}
