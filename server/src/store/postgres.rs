//! The PostgreSQL store, for production and several server instances: one ordinary pool;
//! row locks (the version check, the utility's order counter) serialize conflicting writers.

use super::StoreResult;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{SqlSafeStr, Transaction};
use std::time::Duration;

/// The database type the shared query code in `sql/` is compiled for in this module.
type Db = sqlx::Postgres;
/// The store type the shared query code implements [`Store`](super::Store) for.
type Backend = PgStore;

// Deliberately loaded by both backends: one body of SQL, compiled once per `Db`.
#[allow(clippy::duplicate_mod)]
#[path = "sql/mod.rs"]
mod sql;

/// Connections per server instance.
const MAX_CONNECTIONS: u32 = 16;
/// How long a request waits for a free connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The PostgreSQL implementation of [`Store`](super::Store).
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at a `postgres://` URL.
    pub async fn connect(url: &str) -> StoreResult<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        Ok(PgStore { pool })
    }

    /// Closes the pool's connections (tests drop their database afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs one administrative statement built from trusted text (test databases'
    /// `CREATE DATABASE` / `DROP DATABASE`, which take no bind parameters).
    pub(crate) async fn execute_admin(&self, sql: &str) -> StoreResult<()> {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<Transaction<'static, Db>, sqlx::Error> {
        self.pool.begin().await
    }

    async fn run_migrations(&self) -> StoreResult<()> {
        migrator().run(&self.pool).await?;
        Ok(())
    }

    const NAME: &'static str = "postgres";
}

/// The PostgreSQL migrations, embedded in the binary.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        Migration::new(
            1,
            "init".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/postgres/0001_init.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            2,
            "sync".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/postgres/0002_sync.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            3,
            "tokens".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/postgres/0003_tokens.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            4,
            "quarantine".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/postgres/0004_quarantine.sql").into_sql_str(),
            false,
        ),
        // 0005 was reserved and never used; sqlx applies the migrations it finds, in order.
        Migration::new(
            6,
            "workflows".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/postgres/0006_workflows.sql").into_sql_str(),
            false,
        ),
        Migration::new(
            7,
            "installed_equipment".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/postgres/0007_installed_equipment.sql")
                .into_sql_str(),
            false,
        ),
        Migration::new(
            10,
            "orders_by_place".into(),
            MigrationType::Simple,
            include_str!("../../../migrations/postgres/0010_orders_by_place.sql").into_sql_str(),
            false,
        ),
    ])
}
