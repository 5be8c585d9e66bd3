//! A small pool of SQLite connections, each used on a blocking thread. SQLite in WAL mode lets
//! readers run beside one writer; writers queue on the busy timeout.
//!
//! Reads and writes take separate slots, so a read never waits for a slot behind writers that
//! are themselves waiting for a lock (another process's transaction, a long feed batch): with
//! one shared set of slots, a health check once waited 9.7 s behind eight such writers. Read
//! connections are `query_only`, so work sent down the read path that writes fails at once.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::map_error;
use crate::store::StoreError;

/// How long a writer waits for another to finish before the store reports itself busy.
pub(super) const BUSY_TIMEOUT_MS: u32 = 5_000;

/// Connections to one database file.
#[derive(Debug)]
pub(crate) struct Pool {
    path: PathBuf,
    readers: Slots,
    writers: Slots,
}

/// One kind of connection: the idle ones, and a permit per connection that may be in use. Read
/// connections are opened `query_only`.
#[derive(Debug)]
struct Slots {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Pool {
    /// A pool of at most `readers` read and `writers` write connections to `path`; opens one
    /// now, so a bad path fails early.
    pub(crate) fn open(
        path: &Path,
        readers: usize,
        writers: usize,
    ) -> Result<Arc<Self>, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| StoreError::Unavailable(format!("{}: {e}", parent.display())))?;
        }
        let first = open_connection(path, false)?;
        Ok(Arc::new(Self {
            path: path.to_owned(),
            readers: Slots::new(readers, Vec::new()),
            writers: Slots::new(writers, vec![first]),
        }))
    }

    /// Runs `work`, which only reads, with a read connection on a blocking thread.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self.readers.permits.acquire().await.map_err(closed)?;
        self.run(Access::Read, work).await
    }

    /// Runs `work` with a write connection on a blocking thread.
    pub(crate) async fn write<T, F>(self: &Arc<Self>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self.writers.permits.acquire().await.map_err(closed)?;
        self.run(Access::Write, work).await
    }

    /// Runs `work` with a write connection if one is free now, else answers `Unavailable` at
    /// once: for bookkeeping a read does, which must not queue behind other writers.
    pub(crate) async fn try_write<T, F>(self: &Arc<Self>, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self
            .writers
            .permits
            .try_acquire()
            .map_err(|_| StoreError::Unavailable("every write connection is busy".into()))?;
        self.run(Access::Write, work).await
    }

    /// Runs `work` on a blocking thread with a connection of `access`, its permit held.
    async fn run<T, F>(self: &Arc<Self>, access: Access, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let slots = pool.slots(access);
            let idle = slots.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let mut connection = match idle {
                Some(connection) => connection,
                None => open_connection(&pool.path, matches!(access, Access::Read))?,
            };
            let result = work(&mut connection);
            // A connection left inside a transaction by a failed step is not reused.
            if connection.is_autocommit() {
                slots
                    .idle
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(connection);
            }
            result
        })
        .await
        .map_err(|e| StoreError::Database(format!("a store task failed: {e}")))?
    }

    fn slots(&self, access: Access) -> &Slots {
        match access {
            Access::Read => &self.readers,
            Access::Write => &self.writers,
        }
    }
}

fn closed(_: tokio::sync::AcquireError) -> StoreError {
    StoreError::Unavailable("the store is shutting down".into())
}

#[derive(Debug, Clone, Copy)]
enum Access {
    Read,
    Write,
}

impl Slots {
    fn new(size: usize, idle: Vec<Connection>) -> Self {
        Self {
            idle: Mutex::new(idle),
            permits: Semaphore::new(size.max(1)),
        }
    }
}

fn open_connection(path: &Path, query_only: bool) -> Result<Connection, StoreError> {
    let connection = Connection::open(path)
        .map_err(|e| StoreError::Unavailable(format!("{}: {e}", path.display())))?;
    connection
        .busy_timeout(std::time::Duration::from_millis(BUSY_TIMEOUT_MS.into()))
        .map_err(map_error)?;
    // An 8 MiB page cache per connection (SQLite's default is 2 MiB): a large feed's upserts
    // then hit memory rather than the file for the indexes' upper levels (+20% rows/s on the
    // ingestion benchmark), and peak memory stays well within budget. Temporary storage in
    // memory: an upsert's statement journal (a few pages per statement) otherwise spills to a
    // temporary file, which cost four writes per ingested product.
    connection
        .execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -8192; PRAGMA temp_store = MEMORY;",
        )
        .map_err(map_error)?;
    if query_only {
        connection
            .pragma_update(None, "query_only", true)
            .map_err(map_error)?;
    }
    Ok(connection)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn pool(dir: &tempfile::TempDir) -> Arc<Pool> {
        Pool::open(&dir.path().join("store.db"), 2, 2).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_do_not_queue_behind_writers_waiting_for_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&dir);
        pool.write(|c| {
            c.execute_batch("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (1)")
                .map_err(map_error)
        })
        .await
        .unwrap();
        // Another process holds the write lock.
        let holder = Connection::open(dir.path().join("store.db")).unwrap();
        holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
        // More writers than write slots: every slot is taken by a writer waiting on the lock.
        let writers: Vec<_> = (0..4)
            .map(|n| {
                let pool = Arc::clone(&pool);
                tokio::spawn(async move {
                    pool.write(move |c| {
                        c.execute("INSERT INTO t VALUES (?1)", [n])
                            .map_err(map_error)
                    })
                    .await
                })
            })
            .collect();
        while pool.writers.permits.available_permits() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Reads still get their own connections, and see the committed row.
        for _ in 0..4 {
            let count: i64 = pool
                .read(|c| {
                    c.query_row("SELECT count(*) FROM t", [], |row| row.get(0))
                        .map_err(map_error)
                })
                .await
                .unwrap();
            assert_eq!(count, 1);
        }
        // Bookkeeping that must not queue is turned away at once.
        let bookkeeping = pool
            .try_write(|c| c.execute("INSERT INTO t VALUES (0)", []).map_err(map_error))
            .await;
        assert!(
            matches!(&bookkeeping, Err(StoreError::Unavailable(m)) if m.contains("busy")),
            "{bookkeeping:?}"
        );
        // Every writer was still waiting while the reads ran (each waits up to 5 s).
        assert!(writers.iter().all(|w| !w.is_finished()));
        holder.execute_batch("COMMIT").unwrap();
        for writer in writers {
            writer.await.unwrap().unwrap();
        }
        let count: i64 = pool
            .read(|c| {
                c.query_row("SELECT count(*) FROM t", [], |row| row.get(0))
                    .map_err(map_error)
            })
            .await
            .unwrap();
        assert_eq!(count, 5);
    }

    #[tokio::test]
    async fn work_sent_down_the_read_path_cannot_write() {
        let dir = tempfile::tempdir().unwrap();
        let pool = pool(&dir);
        pool.write(|c| {
            c.execute_batch("CREATE TABLE t (n INTEGER)")
                .map_err(map_error)
        })
        .await
        .unwrap();
        let written = pool
            .read(|c| c.execute("INSERT INTO t VALUES (1)", []).map_err(map_error))
            .await;
        assert!(
            matches!(&written, Err(StoreError::Database(m)) if m.contains("readonly")),
            "{written:?}"
        );
    }
}
