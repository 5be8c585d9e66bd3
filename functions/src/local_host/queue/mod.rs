//! Durable embedded queue that behaves like an Azure Service Bus queue read in
//! peek-lock mode, so the local host can run queue-triggered functions with the
//! delivery guarantees they get in Azure.
//!
//! Every message is one row in SQLite, in one of three states:
//! `ready` (available), `locked` (handed to a receiver until `locked_until`) and
//! `dead` (in the queue's dead-letter sub-queue). Service Bus expires locks and
//! time-to-live in the background; here that happens lazily at the start of
//! [`QueueStore::receive`] (and of [`QueueStore::depths`] and
//! [`QueueStore::replay_dead_letters`]), which gives the same observable result
//! without a timer thread. [`QueueStore::next_wake`] tells a dispatcher when a
//! lock will lapse, so it knows when to look again.
//!
//! Time is always passed in, never read here, so tests control it. Times are
//! stored as fixed-width RFC 3339 UTC text with milliseconds, so text order is
//! time order and SQL can compare them directly.
//!
//! Two stores may be opened on the same file (the running app and the queue
//! CLI): the file is in WAL mode with a 5 s busy timeout, and every operation
//! of more than one statement runs in one `BEGIN IMMEDIATE` transaction, so
//! two receivers can never lock the same message.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

mod sql;
mod store;

pub use store::QueueStore;

/// Deliveries a message gets before it is dead-lettered, for a queue with no
/// setting of its own (Service Bus's default).
pub const DEFAULT_MAX_DELIVERY_COUNT: u32 = 10;
/// Time-to-live of a message that sets none.
pub const DEFAULT_TIME_TO_LIVE: Duration = Duration::from_secs(14 * 24 * 60 * 60);
/// Dead-letter reason of a message whose deliveries ran out (Service Bus's code).
pub const MAX_DELIVERY_COUNT_EXCEEDED: &str = "MaxDeliveryCountExceeded";
/// Dead-letter reason of a message whose time-to-live passed (Service Bus's code).
pub const TTL_EXPIRED: &str = "TTLExpiredException";
/// Longest message id Service Bus accepts.
pub const MAX_MESSAGE_ID_LEN: usize = 128;

/// A message to send.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewMessage {
    /// Payload, as the output binding produced it.
    pub body: String,
    /// `None` gets a new UUID v4 in simple form (32 hex digits).
    pub message_id: Option<String>,
    /// MIME type of the body, if the sender set one.
    pub content_type: Option<String>,
    /// Application (user) properties, any JSON values.
    pub application_properties: Map<String, Value>,
    /// How long the message may wait before it is dead-lettered unreceived;
    /// `None` means [`DEFAULT_TIME_TO_LIVE`].
    pub time_to_live: Option<Duration>,
}

impl NewMessage {
    /// A message with this body and everything else defaulted.
    pub fn new(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            ..Self::default()
        }
    }
}

/// A message handed to a receiver under a peek-lock.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedMessage {
    /// Queue it came from.
    pub queue: String,
    /// Unique, increasing position in the queue.
    pub sequence_number: i64,
    /// Sender's (or generated) message id.
    pub message_id: String,
    /// Payload.
    pub body: String,
    /// MIME type of the body.
    pub content_type: Option<String>,
    /// User properties.
    pub application_properties: Map<String, Value>,
    /// Deliveries so far, this one included (the first is 1).
    pub delivery_count: u32,
    /// When it was sent (or replayed).
    pub enqueued_at: DateTime<Utc>,
    /// Enqueued time plus time-to-live.
    pub expires_at: DateTime<Utc>,
    /// Settles this delivery; new for every delivery.
    pub lock_token: String,
    /// Settle or renew before this, or the lock is lost.
    pub locked_until: DateTime<Utc>,
}

/// Message counts of one queue at one time.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct QueueDepth {
    /// Queue name.
    pub queue: String,
    /// Available to a receiver now.
    pub active: u64,
    /// Held by a receiver.
    pub locked: u64,
    /// In the dead-letter sub-queue.
    pub dead_lettered: u64,
}

/// A message in a queue's dead-letter sub-queue.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DeadLetter {
    /// Queue whose sub-queue holds it.
    pub queue: String,
    /// Its sequence number in the queue.
    pub sequence_number: i64,
    /// Message id.
    pub message_id: String,
    /// Payload.
    pub body: String,
    /// Deliveries it had.
    pub delivery_count: u32,
    /// Why: a Service Bus reason code or the receiver's own.
    pub reason: String,
    /// Human-readable detail.
    pub description: String,
    /// When it moved to the sub-queue.
    pub dead_lettered_at: DateTime<Utc>,
}

/// What can go wrong in the queue store.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// A queue operation panicked on its blocking thread (a bug); the queue itself is intact.
    #[error("a queue operation panicked: {0}")]
    Panicked(String),
    /// The folder for the database file could not be made.
    #[error("cannot create folder {path} for the queue store: {source}")]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// SQLite failed while doing `context`.
    #[error("queue store: {context}: {source}")]
    Sqlite {
        /// The operation that failed.
        context: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// Application properties could not be encoded, or stored ones are not a JSON object.
    #[error("queue store: properties of message {message_id}: {source}")]
    Properties {
        /// The message.
        message_id: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A stored time is not in the store's format.
    #[error("queue store holds an unreadable time {0:?}")]
    BadTime(String),
    /// The file was written by a newer build.
    #[error("queue store schema version {found} is newer than this build's {supported}")]
    NewerSchema {
        /// Version in the file.
        found: i64,
        /// Version this build writes.
        supported: i64,
    },
    /// Service Bus would reject the message; nothing was sent.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// Service Bus's minimum max delivery count is 1.
    #[error("max delivery count of queue {0} must be at least 1")]
    ZeroMaxDeliveryCount(String),
}

#[cfg(test)]
// A failed unwrap is a failed test, which is what a test should do.
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use std::collections::BTreeSet;
    use std::path::Path;
    use tempfile::TempDir;

    const LOCK: Duration = Duration::from_secs(30);
    const Q: &str = "orders";

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        t0() + TimeDelta::seconds(seconds)
    }

    fn open() -> (TempDir, QueueStore) {
        let dir = TempDir::new().unwrap();
        let store = QueueStore::open(&db_path(dir.path())).unwrap();
        (dir, store)
    }

    fn db_path(dir: &Path) -> PathBuf {
        dir.join("nested").join("queues.db")
    }

    fn send(store: &QueueStore, body: &str) -> i64 {
        store.send(Q, NewMessage::new(body), t0()).unwrap()
    }

    fn receive(store: &QueueStore, now: DateTime<Utc>) -> Option<LockedMessage> {
        store.receive(Q, LOCK, now).unwrap()
    }

    fn depth(store: &QueueStore, now: DateTime<Utc>) -> (u64, u64, u64) {
        let depths = store.depths(now).unwrap();
        let d = depths.iter().find(|d| d.queue == Q).unwrap();
        (d.active, d.locked, d.dead_lettered)
    }

    #[test]
    fn messages_are_received_in_the_order_they_were_sent() {
        let (_dir, store) = open();
        let sent: Vec<i64> = ["a", "b", "c"].iter().map(|b| send(&store, b)).collect();
        assert!(sent.windows(2).all(|w| w[0] < w[1]));
        for (body, seq) in ["a", "b", "c"].iter().zip(&sent) {
            let m = receive(&store, at(1)).unwrap();
            assert_eq!((m.body.as_str(), m.sequence_number), (*body, *seq));
            assert_eq!(m.delivery_count, 1);
            assert!(store.complete(&m.lock_token, at(2)).unwrap());
        }
        assert_eq!(receive(&store, at(3)), None);
    }

    #[test]
    fn a_received_message_carries_what_was_sent() {
        let (_dir, store) = open();
        let mut props = Map::new();
        props.insert("tenant".into(), Value::from("contoso"));
        props.insert("attempt".into(), Value::from(3));
        let message = NewMessage {
            body: "{\"id\":1}".into(),
            message_id: Some("order-1".into()),
            content_type: Some("application/json".into()),
            application_properties: props.clone(),
            time_to_live: Some(Duration::from_secs(60)),
        };
        store.send(Q, message, t0()).unwrap();
        let m = receive(&store, at(1)).unwrap();
        assert_eq!(m.queue, Q);
        assert_eq!(m.message_id, "order-1");
        assert_eq!(m.content_type.as_deref(), Some("application/json"));
        assert_eq!(m.application_properties, props);
        assert_eq!((m.enqueued_at, m.expires_at), (t0(), at(60)));
        assert_eq!(m.locked_until, at(31));
        assert!(uuid::Uuid::parse_str(&m.lock_token).is_ok());
    }

    #[test]
    fn a_message_without_an_id_gets_a_simple_uuid() {
        let (_dir, store) = open();
        send(&store, "x");
        let id = receive(&store, at(1)).unwrap().message_id;
        assert_eq!(id.len(), 32);
        assert!(uuid::Uuid::parse_str(&id).is_ok());
    }

    #[test]
    fn a_locked_message_is_not_received_twice() {
        let (_dir, store) = open();
        send(&store, "only");
        assert!(receive(&store, at(1)).is_some());
        assert_eq!(receive(&store, at(2)), None);
        assert_eq!(receive(&store, at(30)), None);
    }

    #[test]
    fn abandon_makes_a_message_available_at_once_with_one_more_delivery() {
        let (_dir, store) = open();
        send(&store, "retry me");
        let first = receive(&store, at(1)).unwrap();
        assert!(store.abandon(&first.lock_token, at(2)).unwrap());
        let second = receive(&store, at(2)).unwrap();
        assert_eq!(second.sequence_number, first.sequence_number);
        assert_eq!(second.delivery_count, 2);
        assert_ne!(second.lock_token, first.lock_token);
    }

    #[test]
    fn an_expired_lock_makes_the_message_available_again() {
        let (_dir, store) = open();
        send(&store, "slow");
        let first = receive(&store, at(0)).unwrap();
        assert_eq!(receive(&store, at(29)), None);
        let again = receive(&store, at(30)).unwrap();
        assert_eq!(again.sequence_number, first.sequence_number);
        assert_eq!(again.delivery_count, 2);
    }

    #[test]
    fn the_tenth_failed_delivery_dead_letters_the_message() {
        let (_dir, store) = open();
        send(&store, "poison");
        for attempt in 1..=10 {
            let m = receive(&store, at(attempt)).unwrap();
            assert_eq!(m.delivery_count, attempt as u32);
            assert!(store.abandon(&m.lock_token, at(attempt)).unwrap());
        }
        assert_eq!(receive(&store, at(11)), None);
        let dead = store.dead_letters(Q, 10).unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].delivery_count, 10);
        assert_eq!(dead[0].reason, MAX_DELIVERY_COUNT_EXCEEDED);
        assert_eq!(dead[0].dead_lettered_at, at(10));
        assert_eq!(depth(&store, at(12)), (0, 0, 1));
    }

    #[test]
    fn a_per_queue_max_delivery_count_of_three_is_honoured_when_locks_expire() {
        let (_dir, store) = open();
        store.set_max_delivery_count(Q, 3).unwrap();
        send(&store, "crashes the worker");
        for delivery in 1..=3 {
            let m = receive(&store, at(100 * delivery)).unwrap();
            assert_eq!(m.delivery_count, delivery as u32);
        }
        assert_eq!(receive(&store, at(400)), None);
        let dead = store.dead_letters(Q, 10).unwrap();
        assert_eq!((dead.len(), dead[0].delivery_count), (1, 3));
        assert_eq!(dead[0].reason, MAX_DELIVERY_COUNT_EXCEEDED);
        assert_eq!(
            dead[0].description,
            "Message could not be consumed after 3 delivery attempts."
        );
        // The lock lapsed at 330 s; dead-lettering happened when it was noticed.
        assert_eq!(dead[0].dead_lettered_at, at(400));
    }

    #[test]
    fn a_max_delivery_count_of_zero_is_rejected() {
        let (_dir, store) = open();
        let err = store.set_max_delivery_count(Q, 0).unwrap_err();
        assert!(matches!(err, QueueError::ZeroMaxDeliveryCount(q) if q == Q));
    }

    #[test]
    fn settling_with_a_stale_lock_token_reports_the_lock_lost() {
        let (_dir, store) = open();
        send(&store, "late");
        let first = receive(&store, at(0)).unwrap();
        // The lock lapsed: every settlement fails, even before anyone re-receives.
        assert!(!store.complete(&first.lock_token, at(30)).unwrap());
        assert!(!store.abandon(&first.lock_token, at(31)).unwrap());
        assert!(
            !store
                .dead_letter(&first.lock_token, "r", "d", at(31))
                .unwrap()
        );
        assert_eq!(
            store.renew_lock(&first.lock_token, LOCK, at(31)).unwrap(),
            None
        );
        // A new delivery's token works; the old one still does not.
        let second = receive(&store, at(32)).unwrap();
        assert!(!store.complete(&first.lock_token, at(33)).unwrap());
        assert!(store.complete(&second.lock_token, at(33)).unwrap());
        // Settled already, or never issued.
        assert!(!store.complete(&second.lock_token, at(34)).unwrap());
        assert!(!store.abandon("not-a-token", at(34)).unwrap());
    }

    #[test]
    fn renewing_a_lock_extends_it() {
        let (_dir, store) = open();
        send(&store, "long job");
        let m = receive(&store, at(0)).unwrap();
        let until = store.renew_lock(&m.lock_token, LOCK, at(25)).unwrap();
        assert_eq!(until, Some(at(55)));
        assert_eq!(receive(&store, at(40)), None);
        assert!(store.complete(&m.lock_token, at(54)).unwrap());
        assert_eq!(depth(&store, at(60)), (0, 0, 0));
    }

    #[test]
    fn send_batch_stores_all_messages_or_none() {
        let (_dir, store) = open();
        let good = vec![NewMessage::new("1"), NewMessage::new("2")];
        let seqs = store.send_batch(Q, good, t0()).unwrap();
        assert_eq!(seqs.len(), 2);
        let bad = NewMessage {
            message_id: Some("x".repeat(MAX_MESSAGE_ID_LEN + 1)),
            ..NewMessage::new("3")
        };
        let batch = vec![NewMessage::new("ok"), NewMessage::new("ok too"), bad];
        let err = store.send_batch(Q, batch, t0()).unwrap_err();
        assert!(matches!(err, QueueError::InvalidMessage(_)));
        assert_eq!(depth(&store, at(1)), (2, 0, 0));
    }

    #[test]
    fn dead_letter_settles_a_message_into_the_dlq_with_reason_and_description() {
        let (_dir, store) = open();
        send(&store, "bad schema");
        let m = receive(&store, at(1)).unwrap();
        assert!(
            store
                .dead_letter(&m.lock_token, "Schema", "field x missing", at(2))
                .unwrap()
        );
        let dead = store.dead_letters(Q, 10).unwrap();
        let expected = DeadLetter {
            queue: Q.into(),
            sequence_number: m.sequence_number,
            message_id: m.message_id,
            body: "bad schema".into(),
            delivery_count: 1,
            reason: "Schema".into(),
            description: "field x missing".into(),
            dead_lettered_at: at(2),
        };
        assert_eq!(dead, vec![expected]);
        assert_eq!(receive(&store, at(3)), None);
    }

    #[test]
    fn replay_puts_dead_letters_back_at_the_end_with_the_count_reset() {
        let (_dir, store) = open();
        store.set_max_delivery_count(Q, 1).unwrap();
        let mut props = Map::new();
        props.insert("k".into(), Value::from("v"));
        let message = NewMessage {
            message_id: Some("m-1".into()),
            application_properties: props.clone(),
            ..NewMessage::new("replay me")
        };
        let old_seq = store.send(Q, message, t0()).unwrap();
        let m = receive(&store, at(1)).unwrap();
        assert!(store.abandon(&m.lock_token, at(2)).unwrap());
        let later_seq = send(&store, "sent after");
        assert_eq!(store.replay_dead_letters(Q, at(3)).unwrap(), 1);
        assert!(store.dead_letters(Q, 10).unwrap().is_empty());
        let first = receive(&store, at(4)).unwrap();
        assert_eq!(first.sequence_number, later_seq);
        let replayed = receive(&store, at(4)).unwrap();
        assert!(replayed.sequence_number > later_seq && old_seq < later_seq);
        assert_eq!(
            (replayed.message_id.as_str(), replayed.body.as_str()),
            ("m-1", "replay me")
        );
        assert_eq!(replayed.application_properties, props);
        assert_eq!(replayed.delivery_count, 1);
        assert_eq!(replayed.enqueued_at, at(3));
        assert_eq!(replayed.expires_at, at(3) + TimeDelta::days(14));
    }

    #[test]
    fn depths_count_active_locked_and_dead_messages_for_every_known_queue() {
        let (_dir, store) = open();
        store.set_max_delivery_count("configured-only", 5).unwrap();
        for body in ["1", "2", "3", "4"] {
            send(&store, body);
        }
        store.send("other", NewMessage::new("x"), t0()).unwrap();
        let a = receive(&store, at(1)).unwrap();
        receive(&store, at(1)).unwrap();
        assert!(store.dead_letter(&a.lock_token, "r", "d", at(2)).unwrap());
        let depths = store.depths(at(3)).unwrap();
        let names: Vec<&str> = depths.iter().map(|d| d.queue.as_str()).collect();
        assert_eq!(names, ["configured-only", "orders", "other"]);
        assert_eq!(depth(&store, at(3)), (2, 1, 1));
        // Once the second lock lapses, its message counts as active again.
        assert_eq!(depth(&store, at(31)), (3, 0, 1));
        assert_eq!(
            (depths[0].active, depths[0].locked, depths[0].dead_lettered),
            (0, 0, 0)
        );
    }

    #[test]
    fn a_message_past_its_time_to_live_is_dead_lettered_instead_of_delivered() {
        let (_dir, store) = open();
        let short = NewMessage {
            time_to_live: Some(Duration::from_secs(10)),
            ..NewMessage::new("short-lived")
        };
        store.send(Q, short, t0()).unwrap();
        send(&store, "default ttl");
        let m = receive(&store, at(10)).unwrap();
        assert_eq!(m.body, "default ttl");
        let dead = store.dead_letters(Q, 10).unwrap();
        assert_eq!(
            (dead[0].body.as_str(), dead[0].reason.as_str()),
            ("short-lived", TTL_EXPIRED)
        );
        assert_eq!(dead[0].delivery_count, 0);
        // The default time-to-live is 14 days.
        assert!(store.abandon(&m.lock_token, at(11)).unwrap());
        assert_eq!(receive(&store, t0() + TimeDelta::days(14)), None);
        assert_eq!(depth(&store, t0() + TimeDelta::days(14)), (0, 0, 2));
    }

    #[test]
    fn next_wake_is_when_the_earliest_lock_lapses() {
        let (_dir, store) = open();
        assert_eq!(store.next_wake(Q, at(0)).unwrap(), None);
        send(&store, "a");
        send(&store, "b");
        receive(&store, at(0)).unwrap();
        store.receive(Q, Duration::from_secs(5), at(2)).unwrap();
        assert_eq!(store.next_wake(Q, at(3)).unwrap(), Some(at(7)));
        assert_eq!(store.next_wake(Q, at(9)).unwrap(), Some(at(9)));
    }

    #[test]
    fn two_handles_on_one_file_see_each_others_messages() {
        let dir = TempDir::new().unwrap();
        let app = QueueStore::open(&db_path(dir.path())).unwrap();
        let cli = QueueStore::open(&db_path(dir.path())).unwrap();
        app.send(Q, NewMessage::new("from app"), t0()).unwrap();
        let m = cli.receive(Q, LOCK, at(1)).unwrap().unwrap();
        assert_eq!(m.body, "from app");
        assert_eq!(app.receive(Q, LOCK, at(2)).unwrap(), None);
        assert!(app.complete(&m.lock_token, at(3)).unwrap());
        assert_eq!(depth(&cli, at(4)), (0, 0, 0));
    }

    #[test]
    fn two_handles_receiving_at_once_never_get_the_same_message() {
        let dir = TempDir::new().unwrap();
        let path = db_path(dir.path());
        let sender = QueueStore::open(&path).unwrap();
        let batch = (0..40).map(|i| NewMessage::new(i.to_string())).collect();
        let sent: BTreeSet<i64> = sender
            .send_batch(Q, batch, t0())
            .unwrap()
            .into_iter()
            .collect();
        let workers: Vec<_> = (0..2)
            .map(|_| {
                let store = QueueStore::open(&path).unwrap();
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    while let Some(m) = store.receive(Q, LOCK, at(1)).unwrap() {
                        assert!(store.complete(&m.lock_token, at(1)).unwrap());
                        got.push(m.sequence_number);
                    }
                    got
                })
            })
            .collect();
        let got: Vec<i64> = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect();
        assert_eq!(got.len(), sent.len());
        assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), sent);
    }

    #[test]
    fn a_message_locked_when_the_process_died_is_redelivered_after_its_lock_expires() {
        let dir = TempDir::new().unwrap();
        let path = db_path(dir.path());
        let seq = {
            let store = QueueStore::open(&path).unwrap();
            let seq = send(&store, "in flight");
            assert_eq!(receive(&store, at(1)).unwrap().sequence_number, seq);
            seq
        };
        let store = QueueStore::open(&path).unwrap();
        assert_eq!(receive(&store, at(10)), None);
        let m = receive(&store, at(31)).unwrap();
        assert_eq!((m.sequence_number, m.delivery_count), (seq, 2));
    }

    #[test]
    fn opening_twice_keeps_the_data_and_a_newer_schema_is_refused() {
        let dir = TempDir::new().unwrap();
        let path = db_path(dir.path());
        send(&QueueStore::open(&path).unwrap(), "kept");
        assert_eq!(
            receive(&QueueStore::open(&path).unwrap(), at(1))
                .unwrap()
                .body,
            "kept"
        );
        let raw = rusqlite::Connection::open(&path).unwrap();
        raw.pragma_update(None, "user_version", 99).unwrap();
        let err = QueueStore::open(&path).err().unwrap();
        assert!(matches!(err, QueueError::NewerSchema { found: 99, .. }));
    }

    #[test]
    fn receive_and_expiry_statements_are_index_seeks() {
        let (dir, store) = open();
        drop(store);
        let raw = rusqlite::Connection::open(db_path(dir.path())).unwrap();
        for statement in [
            sql::LOCK_HEAD,
            sql::EXHAUSTED_LOCKS,
            sql::LAPSED_LOCKS,
            sql::TTL_LAPSED,
            sql::EARLIEST_LOCK,
            sql::COUNT_BY_STATE,
            sql::DEAD_LETTERS,
        ] {
            let mut stmt = raw
                .prepare(&format!("EXPLAIN QUERY PLAN {statement}"))
                .unwrap();
            let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter(nulls), |row| row.get(3))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let plan = plan.join("; ");
            assert!(plan.contains("USING"), "{statement}\n=> {plan}");
            assert!(!plan.contains("SCAN messages"), "{statement}\n=> {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{statement}\n=> {plan}");
        }
    }
}
