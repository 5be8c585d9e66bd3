//! A small pool of signed-in connections. A connection goes back to the pool only after a unit
//! of work succeeded on it; after any failure (or if the work is cancelled) it is dropped,
//! which closes it and makes the server roll back whatever transaction it had open.

use std::sync::Mutex;

use tokio::sync::{Semaphore, SemaphorePermit};

use super::config::{Connection, MssqlConfig};
use crate::store::StoreError;

/// Connections to one database.
pub(super) struct Pool {
    config: MssqlConfig,
    idle: Mutex<Vec<Connection>>,
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

    /// A connection of the pool, opened if none is idle; waits while all are in use.
    pub(super) async fn lease(&self) -> Result<Lease<'_>, StoreError> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("the store is shutting down".into()))?;
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let connection = match idle {
            Some(connection) => connection,
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
                .push(self.connection);
        }
    }
}
