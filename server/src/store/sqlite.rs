//! The embedded SQLite store: WAL, foreign keys on, fsync on commit, one writer. Writes go through a pool of a
//! single connection and start with `BEGIN IMMEDIATE`, so concurrent requests queue for the
//! write lock instead of failing with `SQLITE_BUSY`; reads use a separate pool.

use super::StoreResult;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{SqlSafeStr, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The database type the shared query code in `sql/` is compiled for in this module.
type Db = sqlx::Sqlite;
/// The store type the shared query code implements [`Store`](super::Store) for.
type Backend = SqliteStore;

// Deliberately loaded by both backends: one body of SQL, compiled once per `Db`.
#[allow(clippy::duplicate_mod)]
#[path = "sql/mod.rs"]
mod sql;

/// How long a connection waits for a lock another process holds before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections of the read pool.
const READERS: u32 = 4;

/// The SQLite implementation of [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    read: SqlitePool,
    write: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at a `sqlite:` URL or a plain file path.
    pub async fn open(url: &str) -> StoreResult<SqliteStore> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)?
        } else {
            SqliteConnectOptions::new().filename(url)
        };
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL, not NORMAL: a device forgets a change once the server acknowledged it, so
            // an acknowledged commit must survive a power cut.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let path = options.get_filename();
        if !in_memory
            && let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        // The writer first: it creates the file and switches it to WAL before readers open it.
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        // An in-memory database exists once per connection: there, the writer reads too.
        let read = if in_memory {
            write.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(READERS)
                .connect_with(options)
                .await?
        };
        Ok(SqliteStore { read, write })
    }

    fn reader(&self) -> &SqlitePool {
        &self.read
    }

    /// A write transaction on the one writer connection. `IMMEDIATE` takes the write lock up
    /// front, so a transaction never fails half-way upgrading a read lock (and another process,
    /// such as `fieldline user add` beside a running server, waits `BUSY_TIMEOUT`). A store
    /// method must never call another write method while holding one: it would wait for its
    /// own connection.
    async fn begin_write(&self) -> Result<Transaction<'static, Db>, sqlx::Error> {
        self.write.begin_with("BEGIN IMMEDIATE").await
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        migrator().run(&self.write).await?;
        Ok(())
    }

    const NAME: &'static str = "sqlite";
}

/// The SQLite migrations, embedded in the binary so `fieldline` needs no files beside it.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "init".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0001_init.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "sync".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0002_sync.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            "tokens".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0003_tokens.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "quarantine".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0004_quarantine.sql").into_sql_str(),
            false,
        ),
        // 0005 was reserved and never used; sqlx applies the migrations it finds, in order.
        Migration::new(
            6,
            "workflows".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0006_workflows.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            7,
            "installed_equipment".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0007_installed_equipment.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            10,
            "orders_by_place".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/sqlite/0010_orders_by_place.sql").into_sql_str(),
            false,
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::SqliteStore;
    use crate::store::{NewUtility, Store, open};

    #[tokio::test]
    async fn opening_creates_missing_directories_and_reopening_keeps_data() {
        let dir = std::env::temp_dir().join(format!("fieldline-open-{}", uuid::Uuid::new_v4()));
        let path = dir.join("nested").join("fieldline.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        {
            let store = open(&url).await.expect("open url");
            store.migrate().await.expect("migrate");
            store.migrate().await.expect("migrating again is a no-op");
            store
                .create_utility(&NewUtility {
                    slug: "kept".into(),
                    name: "Kept".into(),
                })
                .await
                .expect("utility");
        }
        let again = SqliteStore::open(&path.to_string_lossy())
            .await
            .expect("open plain path");
        again.migrate().await.expect("migrate");
        assert_eq!(
            again.get_utility_by_slug("kept").await.expect("kept").name,
            "Kept"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn unknown_schemes_are_refused_and_passwords_redacted() {
        let err = open("mysql://root:secret@localhost/db").await.err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.contains("unsupported") && !text.contains("secret"),
            "{text}"
        );
    }
}
