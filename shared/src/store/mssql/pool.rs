//! A small pool of signed-in connections. A connection goes back to the pool only after a unit
//! of work succeeded on it; after any failure (or if the work is cancelled) it is dropped,
//! which closes it and makes the server roll back whatever transaction it had open.
//!
//! Idle connections go stale (Azure SQL closes sessions idle for about 30 minutes, a failover
//! drops them all), so one idle too long is not handed out, and a transient failure empties
//! the pool before the retry.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

use super::config::{Connection, MssqlConfig};
use crate::store::StoreError;

/// A connection idle longer than this is closed rather than reused.
const MAX_IDLE: Duration = Duration::from_secs(5 * 60);

/// Connections to one database.
pub(super) struct Pool {
    config: MssqlConfig,
    /// Each with the time it was returned.
    idle: Mutex<Vec<(Connection, Instant)>>,
    permits: Semaphore,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("config", &self.config)
            .finish()
    }
}

impl Pool {
    /// A pool of at most `config.max_connections` connections, opened as needed.
    pub(super) fn new(config: MssqlConfig) -> Self {
        Self {
            permits: Semaphore::new(config.pool_size()),
            idle: Mutex::new(Vec::new()),
            config,
        }
    }

    pub(super) fn config(&self) -> &MssqlConfig {
        &self.config
    }

    /// Closes every idle connection: after a failover or a dropped connection they are likely
    /// dead too, and a retry should not spend its attempts finding that out one by one.
    pub(super) fn discard_idle(&self) {
        self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// A connection of the pool, opened if none is idle; waits while all are in use.
    pub(super) async fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("the store is shutting down".into()))?;
        let idle = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            idle.retain(|(_, since)| since.elapsed() < MAX_IDLE);
            idle.pop()
        };
        let connection = match idle {
            Some((connection, _)) => connection,
            None => self.config.connect().await?,
        };
        Ok(Lease {
            pool: self,
            _permit: permit,
            connection,
        })
    }
}

/// A connection on loan from the pool. Dropping it (a failed or cancelled unit of work) closes
/// the connection; [`Lease::release`] returns a healthy one.
pub(super) struct Lease<'p> {
    pool: &'p Pool,
    _permit: SemaphorePermit<'p>,
    /// The connection itself.
    pub(super) connection: Connection,
}

impl Lease<'_> {
    /// Gives the connection back for reuse when the work on it succeeded; closes it otherwise.
    pub(super) fn release(self, healthy: bool) {
        if healthy {
            self.pool
                .idle
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((self.connection, Instant::now()));
        }
    }
}
