//! SQL text and the statements the store runs, on a connection or inside a
//! transaction the caller has begun.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeDelta, Utc};
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, named_params, params};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{
    DEFAULT_MAX_DELIVERY_COUNT, DEFAULT_TIME_TO_LIVE, DeadLetter, LockedMessage,
    MAX_DELIVERY_COUNT_EXCEEDED, MAX_MESSAGE_ID_LEN, NewMessage, QueueDepth, QueueError,
    TTL_EXPIRED,
};

/// Bumped whenever [`SCHEMA`] changes; kept in `PRAGMA user_version`.
pub(super) const SCHEMA_VERSION: i64 = 1;
/// How long a write waits for the other process's transaction to finish.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Fixed width (for years 0000–9999), so text order is time order.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queues (
    name               TEXT PRIMARY KEY NOT NULL,
    -- NULL: the default, so a later change of the default applies.
    max_delivery_count INTEGER CHECK (max_delivery_count >= 1)
) STRICT;
CREATE TABLE IF NOT EXISTS messages (
    -- AUTOINCREMENT: a number is never reused, even after the newest row goes.
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    queue            TEXT NOT NULL REFERENCES queues (name),
    state            TEXT NOT NULL CHECK (state IN ('ready', 'locked', 'dead')),
    message_id       TEXT NOT NULL,
    body             TEXT NOT NULL,
    content_type     TEXT,
    properties       TEXT NOT NULL, -- JSON object
    delivery_count   INTEGER NOT NULL,
    enqueued_at      TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    lock_token       TEXT,
    locked_until     TEXT,
    dead_reason      TEXT,
    dead_description TEXT,
    dead_lettered_at TEXT,
    CHECK ((state = 'locked') = (lock_token IS NOT NULL AND locked_until IS NOT NULL)),
    CHECK ((state = 'dead') = (dead_reason IS NOT NULL AND dead_lettered_at IS NOT NULL))
) STRICT;
-- receive: the oldest ready message is the first entry of (queue, 'ready').
CREATE INDEX IF NOT EXISTS messages_by_state ON messages (queue, state, seq);
-- lock expiry and next_wake look only at locked rows.
CREATE INDEX IF NOT EXISTS messages_lock_expiry ON messages (queue, locked_until)
    WHERE state = 'locked';
-- time-to-live expiry looks only at ready rows.
CREATE INDEX IF NOT EXISTS messages_ttl ON messages (queue, expires_at)
    WHERE state = 'ready';
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_lock_token ON messages (lock_token)
    WHERE lock_token IS NOT NULL;
";

/// Selects the message a lock token still holds; a lapsed or unknown token
/// matches nothing, which is Service Bus's MessageLockLost.
macro_rules! held {
    () => {
        " WHERE lock_token = :token AND state = 'locked' AND locked_until > :now"
    };
}

/// Moves rows into the dead-letter sub-queue.
macro_rules! to_dead {
    () => {
        "UPDATE messages SET state = 'dead', lock_token = NULL, locked_until = NULL,
         dead_reason = :reason, dead_description = :description, dead_lettered_at = :now"
    };
}

/// Columns read by [`StoredMessage::from_row`], in its order.
macro_rules! message_columns {
    () => {
        " seq, message_id, body, content_type, properties, delivery_count, enqueued_at, expires_at "
    };
}

/// Locks the oldest ready message of a queue and counts the delivery.
pub(super) const LOCK_HEAD: &str = concat!(
    "UPDATE messages SET state = 'locked', lock_token = :token, locked_until = :until,
     delivery_count = delivery_count + 1
     WHERE seq = (SELECT seq FROM messages WHERE queue = :queue AND state = 'ready'
                  ORDER BY seq LIMIT 1)
     RETURNING",
    message_columns!()
);
/// Lapsed locks on messages with no deliveries left go to the dead-letter queue.
pub(super) const EXHAUSTED_LOCKS: &str = concat!(
    to_dead!(),
    " WHERE queue = :queue AND state = 'locked' AND locked_until <= :now
      AND delivery_count >= :max"
);
/// Other lapsed locks free their message (run after [`EXHAUSTED_LOCKS`]).
pub(super) const LAPSED_LOCKS: &str = "UPDATE messages SET state = 'ready',
    lock_token = NULL, locked_until = NULL
    WHERE queue = :queue AND state = 'locked' AND locked_until <= :now";
/// Ready messages past their time-to-live go to the dead-letter queue.
pub(super) const TTL_LAPSED: &str = concat!(
    to_dead!(),
    " WHERE queue = :queue AND state = 'ready' AND expires_at <= :now"
);
pub(super) const RENEW_HELD: &str = concat!("UPDATE messages SET locked_until = :until", held!());
pub(super) const DELETE_HELD: &str = concat!("DELETE FROM messages", held!());
pub(super) const FIND_HELD: &str = concat!("SELECT queue, delivery_count FROM messages", held!());
pub(super) const RELEASE_HELD: &str = concat!(
    "UPDATE messages SET state = 'ready', lock_token = NULL, locked_until = NULL",
    held!()
);
pub(super) const DEAD_LETTER_HELD: &str = concat!(to_dead!(), held!());
pub(super) const SET_MAX_DELIVERY_COUNT: &str = "INSERT INTO queues (name, max_delivery_count)
    VALUES (?1, ?2)
    ON CONFLICT (name) DO UPDATE SET max_delivery_count = excluded.max_delivery_count";
pub(super) const EARLIEST_LOCK: &str =
    "SELECT MIN(locked_until) FROM messages WHERE queue = ?1 AND state = 'locked'";
const MAX_DELIVERY_COUNT: &str = "SELECT max_delivery_count FROM queues WHERE name = ?1";
const REGISTER_QUEUE: &str = "INSERT OR IGNORE INTO queues (name) VALUES (?1)";
const INSERT_MESSAGE: &str = "INSERT INTO messages (queue, state, message_id, body,
    content_type, properties, delivery_count, enqueued_at, expires_at)
    VALUES (?1, 'ready', ?2, ?3, ?4, ?5, 0, ?6, ?7)";
pub(super) const QUEUE_NAMES: &str = "SELECT name FROM queues ORDER BY name";
pub(super) const COUNT_BY_STATE: &str = "SELECT
    COUNT(*) FILTER (WHERE state = 'ready'),
    COUNT(*) FILTER (WHERE state = 'locked'),
    COUNT(*) FILTER (WHERE state = 'dead')
    FROM messages WHERE queue = ?1";
/// Columns read by [`DeadRow::from_row`], in its order.
pub(super) const DEAD_LETTERS: &str = "SELECT seq, message_id, body, delivery_count,
    dead_reason, COALESCE(dead_description, ''), dead_lettered_at
    FROM messages WHERE queue = ?1 AND state = 'dead' ORDER BY seq LIMIT ?2";
pub(super) const DEAD_MESSAGES: &str = concat!(
    "SELECT",
    message_columns!(),
    "FROM messages WHERE queue = ?1 AND state = 'dead' ORDER BY seq"
);
pub(super) const DELETE_DEAD: &str = "DELETE FROM messages WHERE queue = ?1 AND state = 'dead'";

/// Creates or checks the schema, in a transaction so two first opens cannot race.
pub(super) fn migrate(conn: &mut Connection) -> Result<(), QueueError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .context("begin schema setup")?;
    let found: i64 = tx
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .context("read schema version")?;
    if found > SCHEMA_VERSION {
        return Err(QueueError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    if found < SCHEMA_VERSION {
        tx.execute_batch(SCHEMA).context("create schema")?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)
            .context("write schema version")?;
    }
    tx.commit().context("commit schema")
}

/// Inserts one message (registering its queue) and returns its sequence number.
pub(super) fn insert(
    db: &Connection,
    queue: &str,
    message: NewMessage,
    now: DateTime<Utc>,
) -> Result<i64, QueueError> {
    let message_id = message
        .message_id
        .unwrap_or_else(|| Uuid::new_v4().simple().to_string());
    if message_id.is_empty() || message_id.len() > MAX_MESSAGE_ID_LEN {
        return Err(QueueError::InvalidMessage(format!(
            "message id must have 1 to {MAX_MESSAGE_ID_LEN} characters, not {}",
            message_id.len()
        )));
    }
    let properties = serde_json::to_string(&message.application_properties).map_err(|source| {
        QueueError::Properties {
            message_id: message_id.clone(),
            source,
        }
    })?;
    let expires = later(now, message.time_to_live.unwrap_or(DEFAULT_TIME_TO_LIVE));
    db.execute(REGISTER_QUEUE, [queue])
        .context("register queue")?;
    db.execute(
        INSERT_MESSAGE,
        params![
            queue,
            message_id,
            message.body,
            message.content_type,
            properties,
            fmt_time(now),
            fmt_time(expires)
        ],
    )
    .context("insert message")?;
    Ok(db.last_insert_rowid())
}

/// Does lazily what Service Bus does in the background: a lapsed lock on a
/// message with no deliveries left dead-letters it, other lapsed locks free
/// their message, and ready messages past their time-to-live are dead-lettered.
pub(super) fn expire(db: &Connection, queue: &str, now: DateTime<Utc>) -> Result<(), QueueError> {
    let max = max_delivery_count(db, queue)?;
    let now = fmt_time(now);
    db.execute(
        EXHAUSTED_LOCKS,
        named_params! {":queue": queue, ":now": now, ":max": max,
        ":reason": MAX_DELIVERY_COUNT_EXCEEDED, ":description": exhausted(max)},
    )
    .context("dead-letter exhausted messages")?;
    db.execute(LAPSED_LOCKS, named_params! {":queue": queue, ":now": now})
        .context("release lapsed locks")?;
    db.execute(
        TTL_LAPSED,
        named_params! {":queue": queue, ":now": now, ":reason": TTL_EXPIRED,
        ":description": "The message expired and was dead lettered."},
    )
    .context("dead-letter expired messages")?;
    Ok(())
}

/// Dead-letters the message `lock_token` holds; `false` if the lock is lost.
pub(super) fn settle_dead(
    db: &Connection,
    lock_token: &str,
    reason: &str,
    description: &str,
    now: DateTime<Utc>,
) -> Result<bool, QueueError> {
    let changed = db
        .execute(
            DEAD_LETTER_HELD,
            named_params! {":token": lock_token, ":now": fmt_time(now),
            ":reason": reason, ":description": description},
        )
        .context("dead-letter message")?;
    Ok(changed == 1)
}

/// The queue's max delivery count, or the default if it has none.
pub(super) fn max_delivery_count(db: &Connection, queue: &str) -> Result<u32, QueueError> {
    let max: Option<Option<u32>> = db
        .query_row(MAX_DELIVERY_COUNT, [queue], |row| row.get(0))
        .optional()
        .context("read max delivery count")?;
    Ok(max.flatten().unwrap_or(DEFAULT_MAX_DELIVERY_COUNT))
}

/// Service Bus's description for [`MAX_DELIVERY_COUNT_EXCEEDED`].
pub(super) fn exhausted(max: u32) -> String {
    format!("Message could not be consumed after {max} delivery attempts.")
}

/// One queue's counts, after settling what has lapsed.
pub(super) fn depth(
    db: &Connection,
    queue: String,
    now: DateTime<Utc>,
) -> Result<QueueDepth, QueueError> {
    expire(db, &queue, now)?;
    let (active, locked, dead_lettered) = db
        .query_row(COUNT_BY_STATE, [&queue], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .context("count messages")?;
    Ok(QueueDepth {
        queue,
        active,
        locked,
        dead_lettered,
    })
}

/// A message row as stored.
pub(super) struct StoredMessage {
    seq: i64,
    message_id: String,
    body: String,
    content_type: Option<String>,
    properties: String,
    delivery_count: u32,
    enqueued_at: String,
    expires_at: String,
}

impl StoredMessage {
    /// Reads the columns of `message_columns!`.
    pub(super) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            seq: row.get(0)?,
            message_id: row.get(1)?,
            body: row.get(2)?,
            content_type: row.get(3)?,
            properties: row.get(4)?,
            delivery_count: row.get(5)?,
            enqueued_at: row.get(6)?,
            expires_at: row.get(7)?,
        })
    }

    fn application_properties(&self) -> Result<Map<String, Value>, QueueError> {
        serde_json::from_str(&self.properties).map_err(|source| QueueError::Properties {
            message_id: self.message_id.clone(),
            source,
        })
    }

    pub(super) fn into_locked(
        self,
        queue: &str,
        lock_token: String,
        locked_until: DateTime<Utc>,
    ) -> Result<LockedMessage, QueueError> {
        Ok(LockedMessage {
            queue: queue.to_owned(),
            sequence_number: self.seq,
            application_properties: self.application_properties()?,
            enqueued_at: parse_time(&self.enqueued_at)?,
            expires_at: parse_time(&self.expires_at)?,
            message_id: self.message_id,
            body: self.body,
            content_type: self.content_type,
            delivery_count: self.delivery_count,
            lock_token,
            locked_until,
        })
    }

    /// The message as sent again by a replay, keeping its time-to-live.
    pub(super) fn into_resend(self) -> Result<NewMessage, QueueError> {
        let ttl = parse_time(&self.expires_at)? - parse_time(&self.enqueued_at)?;
        Ok(NewMessage {
            application_properties: self.application_properties()?,
            body: self.body,
            message_id: Some(self.message_id),
            content_type: self.content_type,
            time_to_live: Some(ttl.to_std().unwrap_or(Duration::ZERO)),
        })
    }
}

/// A row of [`DEAD_LETTERS`].
pub(super) struct DeadRow {
    seq: i64,
    message_id: String,
    body: String,
    delivery_count: u32,
    reason: String,
    description: String,
    dead_lettered_at: String,
}

impl DeadRow {
    pub(super) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            seq: row.get(0)?,
            message_id: row.get(1)?,
            body: row.get(2)?,
            delivery_count: row.get(3)?,
            reason: row.get(4)?,
            description: row.get(5)?,
            dead_lettered_at: row.get(6)?,
        })
    }

    pub(super) fn into_dead_letter(self, queue: &str) -> Result<DeadLetter, QueueError> {
        Ok(DeadLetter {
            queue: queue.to_owned(),
            sequence_number: self.seq,
            message_id: self.message_id,
            body: self.body,
            delivery_count: self.delivery_count,
            reason: self.reason,
            description: self.description,
            dead_lettered_at: parse_time(&self.dead_lettered_at)?,
        })
    }
}

/// A time as the store keeps it.
pub(super) fn fmt_time(t: DateTime<Utc>) -> String {
    t.format(TIME_FORMAT).to_string()
}

/// Reads a time written by [`fmt_time`].
pub(super) fn parse_time(text: &str) -> Result<DateTime<Utc>, QueueError> {
    NaiveDateTime::parse_from_str(text, TIME_FORMAT)
        .map(|t| t.and_utc())
        .map_err(|_| QueueError::BadTime(text.to_owned()))
}

/// `start + span` at the stored millisecond precision, capped at the end of
/// year 9999 so a huge lock or time-to-live neither overflows nor breaks the
/// fixed-width text order.
pub(super) fn later(start: DateTime<Utc>, span: Duration) -> DateTime<Utc> {
    let last = DateTime::<Utc>::UNIX_EPOCH + TimeDelta::milliseconds(253_402_300_799_999);
    TimeDelta::from_std(span)
        .ok()
        .and_then(|span| start.checked_add_signed(span))
        .map_or(last, |end| end.min(last))
        .trunc_subsecs(3)
}

/// Adds the failing operation to SQLite errors.
pub(super) trait Context<T> {
    fn context(self, what: &'static str) -> Result<T, QueueError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, what: &'static str) -> Result<T, QueueError> {
        self.map_err(|source| QueueError::Sqlite {
            context: what,
            source,
        })
    }
}
