//! Delivers Service Bus messages to their functions, as the host's Service Bus trigger does:
//! peek-lock, invoke, complete on success and abandon on failure, with the lock renewed while
//! the invocation runs (up to `maxAutoLockRenewalDuration`) and at most `maxConcurrentCalls`
//! invocations at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use shared::protocol::host::{self, ServiceBusDelivery, Sys};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::definitions::FunctionDef;
use super::invoker::Invoker;
use super::queue::LockedMessage;
use super::queues::Queues;

/// How the dispatcher paces itself.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryTiming {
    /// The queue's lock duration (Service Bus default: one minute).
    pub lock_duration: Duration,
    /// How long the host keeps renewing a lock.
    pub max_lock_renewal: Duration,
    /// How often an idle dispatcher looks for expired locks.
    pub idle_poll: Duration,
}

/// One function's delivery loop.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    /// The function.
    pub function: Arc<FunctionDef>,
    /// Its trigger binding name.
    pub binding: String,
    /// Its queue.
    pub queue: String,
    /// The local namespace.
    pub queues: Arc<Queues>,
    /// The handler.
    pub invoker: Invoker,
    /// Pacing.
    pub timing: DeliveryTiming,
    /// Concurrent invocations allowed.
    pub concurrency: usize,
}

impl Dispatcher {
    /// Runs until `shutdown`; deliveries already started run to their end (tracked by `tasks`).
    pub async fn run(self, shutdown: CancellationToken, tasks: TaskTracker) {
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let waker = self.queues.waker(&self.queue);
        let this = Arc::new(self);
        loop {
            let permit = tokio::select! {
                _ = shutdown.cancelled() => return,
                permit = Arc::clone(&permits).acquire_owned() => match permit { Ok(p) => p, Err(_) => return },
            };
            match this
                .queues
                .receive(&this.queue, this.timing.lock_duration)
                .await
            {
                Ok(Some(message)) => {
                    let delivery = Arc::clone(&this);
                    let span = tracing::info_span!("delivery", function = %this.function.name,
                        sequence = message.sequence_number, delivery = message.delivery_count);
                    tasks.spawn(
                        async move {
                            delivery.deliver(message).await;
                            drop(permit);
                        }
                        .instrument(span),
                    );
                }
                Ok(None) => {
                    drop(permit);
                    let wait = this.idle_wait().await;
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = waker.notified() => {}
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
                Err(error) => {
                    drop(permit);
                    tracing::error!(queue = %this.queue, %error, "receive failed");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(this.timing.idle_poll) => {}
                    }
                }
            }
        }
    }

    /// Until the earliest lock expires, or the idle poll, whichever is sooner.
    async fn idle_wait(&self) -> Duration {
        let until_lock_expiry = match self.queues.next_wake(&self.queue).await {
            Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or_default(),
            _ => self.timing.idle_poll,
        };
        until_lock_expiry.min(self.timing.idle_poll)
    }

    async fn deliver(&self, message: LockedMessage) {
        let token = message.lock_token.clone();
        let request = host::service_bus_invocation(
            &self.binding,
            &as_delivery(&message),
            &Sys::now(&self.function.name),
        );
        let invocation = self.invoker.invoke(&self.function, &request);
        tokio::pin!(invocation);
        let outcome = tokio::select! {
            outcome = &mut invocation => outcome,
            // The lock was lost: the invocation still runs to its end, as under the real host,
            // and its settlement will fail.
            () = self.renew_while_running(&token) => invocation.await,
        };
        let settled = match &outcome {
            Ok(_) => self.queues.complete(&token).await,
            Err(error) => {
                tracing::warn!(function = %self.function.name, sequence = message.sequence_number,
                    delivery = message.delivery_count, %error, "invocation failed; message abandoned");
                self.queues.abandon(&self.queue, &token).await
            }
        };
        match settled {
            Ok(true) => {}
            Ok(false) => tracing::warn!(
                sequence = message.sequence_number,
                "lock lost before settlement; the message will be delivered again"
            ),
            Err(error) => tracing::error!(%error, "settlement failed"),
        }
    }

    /// Renews the lock every half lock duration; completes only when the lock is lost or the
    /// renewal budget is spent (then the lock lapses, as it does under the real host).
    async fn renew_while_running(&self, token: &str) {
        let started = tokio::time::Instant::now();
        let every = self.timing.lock_duration / 2;
        loop {
            tokio::time::sleep(every).await;
            if started.elapsed() + every > self.timing.max_lock_renewal {
                std::future::pending::<()>().await;
            }
            match self
                .queues
                .renew_lock(token, self.timing.lock_duration)
                .await
            {
                Ok(Some(_)) => {}
                Ok(None) => {
                    tracing::warn!(function = %self.function.name, "message lock lost while the invocation ran");
                    return;
                }
                Err(error) => tracing::error!(%error, "lock renewal failed"),
            }
        }
    }
}

/// The broker's view of a delivery, for building the invocation.
fn as_delivery(message: &LockedMessage) -> ServiceBusDelivery {
    ServiceBusDelivery {
        body: message.body.clone(),
        message_id: message.message_id.clone(),
        delivery_count: message.delivery_count,
        sequence_number: message.sequence_number,
        lock_token: message.lock_token.clone(),
        content_type: message.content_type.clone(),
        enqueued_time: message.enqueued_at,
        expires_at: message.expires_at,
        application_properties: message.application_properties.clone(),
        namespace: "local.servicebus.emulator".into(),
    }
}
