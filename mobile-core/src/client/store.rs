//! The device database: one SQLite file in WAL mode with exactly one connection, which is the one
//! writer. Every read and write goes through a closure that runs in one transaction; a write
//! commits only when its closure returns `Ok`, and with `synchronous=FULL` the commit is on disk
//! (fsync'd) before [`Store::write`] returns.

use super::error::ClientError;
use super::schema;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

/// The device database.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating or upgrading) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, ClientError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(ClientError::Storage(format!(
                "the device database cannot use WAL (journal mode {mode})"
            )));
        }
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")?;
        let store = Store {
            conn: Mutex::new(conn),
        };
        store.write(|tx| {
            let version = schema::version(tx)?;
            schema::upgrade_from(tx, version)
        })?;
        Ok(store)
    }

    /// Runs `f` in a read transaction (a consistent snapshot).
    pub fn read<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        self.run(TransactionBehavior::Deferred, f)
    }

    /// Runs `f` in a write transaction that commits (durably) when `f` returns `Ok` and rolls
    /// back otherwise.
    pub fn write<T>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        self.run(TransactionBehavior::Immediate, f)
    }

    fn run<T>(
        &self,
        behavior: TransactionBehavior,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, ClientError>,
    ) -> Result<T, ClientError> {
        // A panic inside an earlier closure rolled its transaction back (the transaction is
        // dropped), so a poisoned lock still guards a consistent connection.
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(behavior)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }
}
