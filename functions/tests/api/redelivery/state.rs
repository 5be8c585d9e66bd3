//! What the harness reads and touches in a data directory while the process is down: the
//! database as comparable rows, the blob folder's names, the queues' depths, and the two things
//! that only time would otherwise do — lapse the message locks and the work leases a killed
//! process held (as they would lapse while it stayed down) — and redelivering pending messages.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{Connection, OpenFlags, types::ValueRef};

/// Columns whose values differ between two clean runs of the same work, by design: when
/// something happened, random ids (runs, jobs, keys) and the rows that point at them, and
/// leases. A doubled row still shows (as a second row), and so does a lost one.
const VOLATILE: &[&str] = &[
    "id",
    "run_id",
    "source_run",
    "lease_until",
    "key_hash",
    "version",
];

/// Columns of one table left out of the comparison, with why. Each is a known gap, not a
/// property of the design: the harness found them, and the closing note of issue 9 says so.
const KNOWN_GAPS: &[(&str, &str)] = &[
    // An inventory or order feed's run redone after a crash (or by a duplicate delivery at the
    // same time) counts the rows the earlier attempt landed as `unchanged`: the rows are exact,
    // the report's split is not. (Products, by feed or sync, take it from the run's changes.)
    ("ingest_runs", "inserted"),
    ("ingest_runs", "updated"),
    ("ingest_runs", "unchanged"),
];

/// Keys of a JSON column left out, with why (known gaps as above).
const KNOWN_GAPS_IN_JSON: &[(&str, &str, &str)] = &[
    // A push whose job died before its checkpoint is found done by the redo, which does not
    // count it: the pushes are exact (the shop's own count is compared), the counter is not.
    ("sync_jobs", "progress", "pushed"),
];

/// Columns of one table that differ between runs by design: the mocks' ports (each run has its
/// own) and secrets encrypted under a fresh nonce.
const PER_RUN: &[(&str, &str)] = &[("platform_connections", "secrets")];

/// Tables left out: schema bookkeeping, and token counts (checked as outbound calls).
const SKIPPED: &[&str] = &["schema_migrations", "ai_token_usage", "sqlite_sequence"];

/// Every table's rows, volatile columns masked, each row as one line, sorted.
pub type Snapshot = BTreeMap<String, Vec<String>>;

fn open(path: &Path) -> Connection {
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    db.busy_timeout(std::time::Duration::from_secs(10))
        .expect("busy timeout");
    db
}

/// The app database's rows (the process must be stopped).
pub fn snapshot(data_dir: &Path) -> Snapshot {
    let db = open(&data_dir.join("advisor.db"));
    let tables: Vec<String> = {
        let mut statement = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("tables");
        statement
            .query_map([], |row| row.get(0))
            .expect("tables")
            .map(|name| name.expect("name"))
            .filter(|name: &String| !SKIPPED.contains(&name.as_str()))
            .collect()
    };
    tables
        .into_iter()
        .map(|table| {
            let rows = rows_of(&db, &table);
            (table, rows)
        })
        .collect()
}

fn rows_of(db: &Connection, table: &str) -> Vec<String> {
    let mut statement = db
        .prepare(&format!("SELECT * FROM \"{table}\""))
        .expect("select");
    let columns: Vec<String> = statement
        .column_names()
        .iter()
        .map(|c| (*c).to_owned())
        .collect();
    let mut rows: Vec<String> = statement
        .query_map([], |row| {
            let mut line = Vec::with_capacity(columns.len());
            for (index, column) in columns.iter().enumerate() {
                let pair = (table, column.as_str());
                if is_volatile(column) || KNOWN_GAPS.contains(&pair) || PER_RUN.contains(&pair) {
                    continue;
                }
                let value = match row.get_ref(index)? {
                    ValueRef::Null => "null".to_owned(),
                    ValueRef::Integer(i) => i.to_string(),
                    ValueRef::Real(f) => f.to_string(),
                    ValueRef::Text(t) => {
                        masked(&without_gaps(table, column, &String::from_utf8_lossy(t)))
                    }
                    ValueRef::Blob(b) => format!("<{} bytes>", b.len()),
                };
                line.push(format!("{column}={value}"));
            }
            Ok(line.join(" | "))
        })
        .expect("rows")
        .map(|row| row.expect("row"))
        .collect();
    rows.sort();
    rows
}

/// `text` without the JSON keys [`KNOWN_GAPS_IN_JSON`] names for this column.
fn without_gaps(table: &str, column: &str, text: &str) -> String {
    let keys: Vec<&str> = KNOWN_GAPS_IN_JSON
        .iter()
        .filter(|(t, c, _)| *t == table && *c == column)
        .map(|(_, _, key)| *key)
        .collect();
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(mut object)) if !keys.is_empty() => {
            for key in keys {
                object.remove(key);
            }
            serde_json::Value::Object(object).to_string()
        }
        _ => text.to_owned(),
    }
}

fn is_volatile(column: &str) -> bool {
    VOLATILE.contains(&column) || column.ends_with("_at")
}

/// Text with the times, UUIDs and loopback ports inside it (JSON payloads) replaced by
/// placeholders.
pub fn masked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"127.0.0.1:") {
            let digits = bytes[i + 10..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .count();
            out.push_str("127.0.0.1:<port>");
            i += 10 + digits;
        } else if let Some(len) = time_at(&bytes[i..]) {
            out.push_str("<time>");
            i += len;
        } else if let Some(len) = uuid_at(&bytes[i..]) {
            out.push_str("<uuid>");
            i += len;
        } else {
            let c = text[i..].chars().next().expect("a char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// `YYYY-MM-DDTHH:MM:SS` and its fraction and zone, at the start of `b`.
fn time_at(b: &[u8]) -> Option<usize> {
    let shape = b"dddd-dd-ddTdd:dd:dd";
    if b.len() < shape.len() {
        return None;
    }
    for (c, s) in b.iter().zip(shape) {
        let ok = match s {
            b'd' => c.is_ascii_digit(),
            b'T' => *c == b'T' || *c == b' ',
            other => c == other,
        };
        if !ok {
            return None;
        }
    }
    let rest = &b[shape.len()..];
    let tail = rest
        .iter()
        .take_while(|c| c.is_ascii_digit() || matches!(c, b'.' | b'Z' | b'+' | b':'))
        .count();
    Some(shape.len() + tail)
}

/// A hyphenated UUID at the start of `b`.
fn uuid_at(b: &[u8]) -> Option<usize> {
    let groups = [8, 4, 4, 4, 12];
    let mut i = 0;
    for (n, len) in groups.iter().enumerate() {
        if b.len() < i + len || !b[i..i + len].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        i += len;
        if n < 4 {
            if b.get(i) != Some(&b'-') {
                return None;
            }
            i += 1;
        }
    }
    Some(i)
}

/// Every file under the blob root, by relative name, with times and UUIDs masked.
pub fn blob_names(root: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                names.push(masked(&relative.to_string_lossy()));
            }
        }
    }
    names.sort();
    names
}

/// Messages still to be delivered (ready or locked) and dead-lettered, over all queues.
pub fn queue_depths(data_dir: &Path) -> (u64, u64) {
    let path = data_dir.join("queues.db");
    if !path.exists() {
        return (0, 0);
    }
    let db = open(&path);
    db.query_row(
        "SELECT COALESCE(SUM(state IN ('ready', 'locked')), 0), COALESCE(SUM(state = 'dead'), 0)
         FROM messages",
        [],
        |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
    )
    .expect("depths")
}

/// The dead letters, for a failure message.
pub fn dead_letters(data_dir: &Path) -> Vec<String> {
    let db = open(&data_dir.join("queues.db"));
    let mut statement = db
        .prepare(
            "SELECT queue, dead_reason, COALESCE(dead_description, ''), body FROM messages
             WHERE state = 'dead'",
        )
        .expect("dead letters");
    statement
        .query_map([], |row| {
            Ok(format!(
                "{}: {} {} {}",
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?
            ))
        })
        .expect("dead letters")
        .map(|r| r.expect("row"))
        .collect()
}

/// The single number `sql` answers from the app database (it may be running).
pub fn count(data_dir: &Path, sql: &str) -> i64 {
    let path = data_dir.join("advisor.db");
    if !path.exists() {
        return 0;
    }
    open(&path)
        .query_row(sql, [], |row| row.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Runs `sql` on the app database (the process may be running).
pub fn execute(data_dir: &Path, sql: &str) {
    open(&data_dir.join("advisor.db"))
        .execute(sql, [])
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Whether the local host's blob watcher has raised (and recorded) an event for `blob`.
pub fn watcher_raised(data_dir: &Path, blob: &str) -> bool {
    let path = data_dir.join("local-host").join("blob-versions.json");
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(&format!("\"{blob}\"")))
}

/// While the process is down: the locks and leases it held lapse, as they would in time.
pub fn let_time_pass(data_dir: &Path) {
    let queues = data_dir.join("queues.db");
    if queues.exists() {
        open(&queues)
            .execute(
                "UPDATE messages SET locked_until = '2000-01-01T00:00:00.000Z'
                 WHERE state = 'locked'",
                [],
            )
            .expect("lapse locks");
    }
    let app = open(&data_dir.join("advisor.db"));
    for table in ["sync_jobs", "video_insights"] {
        app.execute(
            &format!(
                "UPDATE {table} SET lease_until = '2000-01-01T00:00:00.000Z'
                 WHERE lease_until IS NOT NULL"
            ),
            [],
        )
        .expect("lapse leases");
    }
}

/// While the process is down: every message waiting or in flight is sent `copies` more times,
/// as a sender retrying a send it could not confirm would. Returns how many were copied.
pub fn duplicate_pending(data_dir: &Path, copies: u32) -> u64 {
    let path = data_dir.join("queues.db");
    if !path.exists() || copies == 0 {
        return 0;
    }
    open(&path)
        .execute(
            "INSERT INTO messages (queue, state, message_id, body, content_type, properties,
                 delivery_count, enqueued_at, expires_at)
             SELECT m.queue, 'ready', lower(hex(randomblob(16))), m.body, m.content_type,
                 m.properties, 0, m.enqueued_at, m.expires_at
             FROM messages AS m,
                 (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
                  SELECT i FROM n)
             WHERE m.state IN ('ready', 'locked')",
            [copies],
        )
        .expect("duplicate") as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_uuids_inside_text_are_masked() {
        assert_eq!(
            masked(
                r#"{"at":"2026-12-02T17:40:01.123Z","run":"0f8fad5b-d9cb-469f-a165-70867728950e","n":2}"#
            ),
            r#"{"at":"<time>","run":"<uuid>","n":2}"#
        );
        assert_eq!(masked("SKU-2026-1"), "SKU-2026-1");
    }
}
