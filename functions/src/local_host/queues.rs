//! The durable queue ([`super::queue::QueueStore`], blocking SQLite) made async, with a wake-up
//! per queue so a dispatcher learns of a new message at once instead of polling for it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::queue::{LockedMessage, NewMessage, QueueDepth, QueueError, QueueStore};

/// The local Service Bus namespace.
#[derive(Debug)]
pub struct Queues {
    store: Arc<QueueStore>,
    wakers: Mutex<HashMap<String, Arc<Notify>>>,
}

impl Queues {
    /// Opens the queue database at `path`.
    pub fn open(path: &Path) -> Result<Self, QueueError> {
        Ok(Self {
            store: Arc::new(QueueStore::open(path)?),
            wakers: Mutex::new(HashMap::new()),
        })
    }

    /// The notifier woken when `queue` gets a message.
    pub fn waker(&self, queue: &str) -> Arc<Notify> {
        let mut wakers = self.wakers.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(wakers.entry(queue.to_owned()).or_default())
    }

    /// Sets the queue's MaxDeliveryCount.
    pub async fn set_max_delivery_count(&self, queue: &str, max: u32) -> Result<(), QueueError> {
        let queue = queue.to_owned();
        self.blocking(move |s| s.set_max_delivery_count(&queue, max))
            .await
    }

    /// Sends `messages` to `queue` atomically.
    pub async fn send_batch(
        &self,
        queue: &str,
        messages: Vec<NewMessage>,
    ) -> Result<Vec<i64>, QueueError> {
        let name = queue.to_owned();
        let sequence = self
            .blocking(move |s| s.send_batch(&name, messages, Utc::now()))
            .await?;
        self.waker(queue).notify_one();
        Ok(sequence)
    }

    /// Peek-locks the next message of `queue`.
    pub async fn receive(
        &self,
        queue: &str,
        lock_for: Duration,
    ) -> Result<Option<LockedMessage>, QueueError> {
        let queue = queue.to_owned();
        self.blocking(move |s| s.receive(&queue, lock_for, Utc::now()))
            .await
    }

    /// When the earliest lock on `queue` expires.
    pub async fn next_wake(&self, queue: &str) -> Result<Option<DateTime<Utc>>, QueueError> {
        let queue = queue.to_owned();
        self.blocking(move |s| s.next_wake(&queue, Utc::now()))
            .await
    }

    /// Extends a lock; `None` if it was lost.
    pub async fn renew_lock(
        &self,
        token: &str,
        lock_for: Duration,
    ) -> Result<Option<DateTime<Utc>>, QueueError> {
        let token = token.to_owned();
        self.blocking(move |s| s.renew_lock(&token, lock_for, Utc::now()))
            .await
    }

    /// Settles a delivery as done; `false` if the lock was lost.
    pub async fn complete(&self, token: &str) -> Result<bool, QueueError> {
        let token = token.to_owned();
        self.blocking(move |s| s.complete(&token, Utc::now())).await
    }

    /// Gives a delivery back for redelivery (or the dead-letter queue).
    pub async fn abandon(&self, queue: &str, token: &str) -> Result<bool, QueueError> {
        let token = token.to_owned();
        let abandoned = self
            .blocking(move |s| s.abandon(&token, Utc::now()))
            .await?;
        self.waker(queue).notify_one();
        Ok(abandoned)
    }

    /// Every queue's depth.
    pub async fn depths(&self) -> Result<Vec<QueueDepth>, QueueError> {
        self.blocking(|s| s.depths(Utc::now())).await
    }

    /// Puts `queue`'s dead letters back on it; returns how many.
    pub async fn replay_dead_letters(&self, queue: &str) -> Result<u64, QueueError> {
        let name = queue.to_owned();
        let replayed = self
            .blocking(move |s| s.replay_dead_letters(&name, Utc::now()))
            .await?;
        self.waker(queue).notify_one();
        Ok(replayed)
    }

    async fn blocking<T, F>(&self, work: F) -> Result<T, QueueError>
    where
        T: Send + 'static,
        F: FnOnce(&QueueStore) -> Result<T, QueueError> + Send + 'static,
    {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .unwrap_or_else(|join| Err(QueueError::Panicked(join.to_string())))
    }
}
