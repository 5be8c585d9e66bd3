//! The public operations of [`QueueStore`].

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, named_params, params};
use uuid::Uuid;

use super::sql::{self, Context, StoredMessage, fmt_time, later, parse_time};
use super::{
    DeadLetter, LockedMessage, MAX_DELIVERY_COUNT_EXCEEDED, NewMessage, QueueDepth, QueueError,
};

/// A durable set of peek-lock queues in one SQLite file.
#[derive(Debug)]
pub struct QueueStore {
    conn: Mutex<Connection>,
}

impl QueueStore {
    /// Opens the store at `path`, creating the file, its parent folders and
    /// the schema as needed.
    pub fn open(path: &Path) -> Result<Self, QueueError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| QueueError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let mut conn = Connection::open(path).context("open database")?;
        conn.busy_timeout(sql::BUSY_TIMEOUT)
            .context("set busy timeout")?;
        // WAL lets the CLI read while the app writes; the mode lives in the
        // file, so after the first open this is a no-op.
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .context("enable WAL")?;
        sql::migrate(&mut conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Sets how many deliveries a message of `queue` gets before it is
    /// dead-lettered (at least 1; [`super::DEFAULT_MAX_DELIVERY_COUNT`] if never set).
    pub fn set_max_delivery_count(&self, queue: &str, max: u32) -> Result<(), QueueError> {
        if max == 0 {
            return Err(QueueError::ZeroMaxDeliveryCount(queue.to_owned()));
        }
        self.conn()
            .execute(sql::SET_MAX_DELIVERY_COUNT, params![queue, max])
            .context("set max delivery count")?;
        Ok(())
    }

    /// Appends a message to `queue`; returns its sequence number.
    pub fn send(
        &self,
        queue: &str,
        message: NewMessage,
        now: DateTime<Utc>,
    ) -> Result<i64, QueueError> {
        self.write("send", |db| sql::insert(db, queue, message, now))
    }

    /// Appends all of `messages` or, on any error, none of them (like an
    /// output binding given an array); returns their sequence numbers.
    pub fn send_batch(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
        now: DateTime<Utc>,
    ) -> Result<Vec<i64>, QueueError> {
        self.write("send batch", |db| {
            messages
                .into_iter()
                .map(|m| sql::insert(db, queue, m, now))
                .collect()
        })
    }

    /// Locks the oldest available message of `queue` until `now + lock_for`
    /// and counts the delivery; `None` if none is available. First settles
    /// what has lapsed: a lapsed lock on a message with no deliveries left
    /// dead-letters it (`MaxDeliveryCountExceeded`), other lapsed locks free
    /// their message, and ready messages past their time-to-live are
    /// dead-lettered (`TTLExpiredException`).
    pub fn receive(
        &self,
        queue: &str,
        lock_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<LockedMessage>, QueueError> {
        self.write("receive", |db| {
            sql::expire(db, queue, now)?;
            let lock_token = Uuid::new_v4().to_string();
            let until = later(now, lock_for);
            let stored = db
                .query_row(
                    sql::LOCK_HEAD,
                    named_params! {
                        ":queue": queue, ":token": lock_token, ":until": fmt_time(until),
                    },
                    StoredMessage::from_row,
                )
                .optional()
                .context("lock oldest message")?;
            stored
                .map(|m| m.into_locked(queue, lock_token, until))
                .transpose()
        })
    }

    /// Extends a held lock to `now + lock_for`; `None` if the lock is lost.
    pub fn renew_lock(
        &self,
        lock_token: &str,
        lock_for: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, QueueError> {
        let until = later(now, lock_for);
        let changed = self
            .conn()
            .execute(
                sql::RENEW_HELD,
                named_params! {
                    ":until": fmt_time(until), ":token": lock_token, ":now": fmt_time(now),
                },
            )
            .context("renew lock")?;
        Ok((changed == 1).then_some(until))
    }

    /// Deletes a processed message; `false` if the lock is lost.
    pub fn complete(&self, lock_token: &str, now: DateTime<Utc>) -> Result<bool, QueueError> {
        let changed = self
            .conn()
            .execute(
                sql::DELETE_HELD,
                named_params! {":token": lock_token, ":now": fmt_time(now)},
            )
            .context("complete")?;
        Ok(changed == 1)
    }

    /// Releases a lock so the message is available at once or, if that was
    /// its last allowed delivery, dead-letters it; `false` if the lock is lost.
    pub fn abandon(&self, lock_token: &str, now: DateTime<Utc>) -> Result<bool, QueueError> {
        self.write("abandon", |db| {
            let held = db
                .query_row(
                    sql::FIND_HELD,
                    named_params! {":token": lock_token, ":now": fmt_time(now)},
                    |row| Ok((row.get::<_, String>(0)?, row.get::<_, u32>(1)?)),
                )
                .optional()
                .context("find locked message")?;
            let Some((queue, deliveries)) = held else {
                return Ok(false);
            };
            let max = sql::max_delivery_count(db, &queue)?;
            if deliveries >= max {
                let why = sql::exhausted(max);
                return sql::settle_dead(db, lock_token, MAX_DELIVERY_COUNT_EXCEEDED, &why, now);
            }
            let changed = db
                .execute(
                    sql::RELEASE_HELD,
                    named_params! {":token": lock_token, ":now": fmt_time(now)},
                )
                .context("release lock")?;
            Ok(changed == 1)
        })
    }

    /// Moves a locked message to the dead-letter sub-queue with the
    /// receiver's reason; `false` if the lock is lost.
    pub fn dead_letter(
        &self,
        lock_token: &str,
        reason: &str,
        description: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, QueueError> {
        sql::settle_dead(&self.conn(), lock_token, reason, description, now)
    }

    /// When the earliest lock on `queue` lapses (`now` if one already has), so
    /// a dispatcher knows when to look again; `None` if nothing is locked.
    pub fn next_wake(
        &self,
        queue: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, QueueError> {
        let earliest: Option<String> = self
            .conn()
            .query_row(sql::EARLIEST_LOCK, [queue], |row| row.get(0))
            .context("find earliest lock")?;
        earliest
            .map(|t| parse_time(&t).map(|t| t.max(now)))
            .transpose()
    }

    /// Counts for every queue that has or had messages or a setting, sorted
    /// by name. Settles what has lapsed first, so the counts are what a
    /// receiver would find.
    pub fn depths(&self, now: DateTime<Utc>) -> Result<Vec<QueueDepth>, QueueError> {
        self.write("depths", |db| {
            let names = db
                .prepare(sql::QUEUE_NAMES)
                .and_then(|mut stmt| {
                    stmt.query_map([], |row| row.get::<_, String>(0))?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .context("list queues")?;
            names
                .into_iter()
                .map(|queue| sql::depth(db, queue, now))
                .collect()
        })
    }

    /// Up to `limit` messages of `queue`'s dead-letter sub-queue, oldest first.
    pub fn dead_letters(&self, queue: &str, limit: u32) -> Result<Vec<DeadLetter>, QueueError> {
        let conn = self.conn();
        let rows = conn
            .prepare(sql::DEAD_LETTERS)
            .and_then(|mut stmt| {
                stmt.query_map(params![queue, limit], sql::DeadRow::from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .context("list dead letters")?;
        rows.into_iter()
            .map(|row| row.into_dead_letter(queue))
            .collect()
    }

    /// Sends `queue`'s dead letters again, oldest first, to the end of the
    /// queue: same body, message id, content type, properties and
    /// time-to-live; new sequence numbers, delivery count 0, enqueued `now`.
    /// Returns how many.
    pub fn replay_dead_letters(&self, queue: &str, now: DateTime<Utc>) -> Result<u64, QueueError> {
        self.write("replay dead letters", |db| {
            // Messages that ran out while nobody looked belong to the replay too.
            sql::expire(db, queue, now)?;
            let dead = db
                .prepare(sql::DEAD_MESSAGES)
                .and_then(|mut stmt| {
                    stmt.query_map([queue], StoredMessage::from_row)?
                        .collect::<rusqlite::Result<Vec<_>>>()
                })
                .context("read dead letters")?;
            for message in dead {
                sql::insert(db, queue, message.into_resend()?, now)?;
            }
            let replayed = db
                .execute(sql::DELETE_DEAD, [queue])
                .context("remove replayed dead letters")?;
            Ok(replayed as u64)
        })
    }

    /// The connection. A thread that panicked while holding it left no
    /// half-done work (its transaction rolled back as it unwound), so a
    /// poisoned lock is safe to take over.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `work` in one IMMEDIATE transaction: it takes the write lock at
    /// the start, so the other process cannot slip in between a read and a
    /// write (a deferred one could also fail with SQLITE_BUSY on upgrade,
    /// which busy_timeout does not retry).
    fn write<T>(
        &self,
        what: &'static str,
        work: impl FnOnce(&Connection) -> Result<T, QueueError>,
    ) -> Result<T, QueueError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .context(what)?;
        let out = work(&tx)?;
        tx.commit().context(what)?;
        Ok(out)
    }
}
