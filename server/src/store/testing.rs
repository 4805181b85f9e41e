//! Fresh, migrated, throw-away stores for tests (the conformance suite here, the end-to-end
//! tests in `tests/`): PostgreSQL when `FIELDLINE_TEST_POSTGRES_URL` is set, SQLite otherwise.

use super::{
    Account, Meter, MeterRegister, PgStore, Premise, SqliteStore, Store, StoreError, StoreResult,
    UtilityId,
};
use chrono::{Duration, Utc};
use fieldline_core::AccountStatus;
use rand::Rng;
use std::path::PathBuf;
use std::sync::Arc;
use uuid::Uuid;

/// The variable naming a PostgreSQL server for tests (`postgres://root@127.0.0.1:5432/test`).
pub const POSTGRES_URL_VAR: &str = "FIELDLINE_TEST_POSTGRES_URL";

/// The PostgreSQL URL tests should use, if any.
pub fn postgres_test_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// Removes a test database: at [`TestDbGuard::cleanup`], or when dropped (also when the test
/// panicked).
#[derive(Debug)]
pub struct TestDbGuard {
    kind: GuardKind,
    cleaned: bool,
}

#[derive(Debug)]
enum GuardKind {
    Sqlite {
        dir: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
        store: PgStore,
    },
}

impl TestDbGuard {
    /// Drops the test database now, closing the store's connections first. Prefer this at the
    /// end of a test: dropping the guard has to block a thread to reach PostgreSQL.
    pub async fn cleanup(mut self) {
        self.cleaned = true;
        match &self.kind {
            GuardKind::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            GuardKind::Postgres {
                admin_url,
                name,
                store,
            } => {
                store.close().await;
                drop_postgres_database(admin_url, name).await;
            }
        }
    }
}

impl Drop for TestDbGuard {
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        match &self.kind {
            GuardKind::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            GuardKind::Postgres {
                admin_url, name, ..
            } => {
                // Drop may run inside the test's runtime, which cannot be blocked on: use a
                // thread with a runtime of its own.
                let (admin_url, name) = (admin_url.clone(), name.clone());
                let dropper = std::thread::spawn(move || {
                    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        rt.block_on(drop_postgres_database(&admin_url, &name));
                    }
                });
                let _ = dropper.join();
            }
        }
    }
}

/// Drops a test database, disconnecting whoever still uses it (best effort: a leftover
/// `fl_*` database is harmless).
async fn drop_postgres_database(admin_url: &str, name: &str) {
    if let Ok(admin) = PgStore::connect(admin_url).await {
        let _ = admin
            .execute_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        admin.close().await;
    }
}

fn random_suffix() -> String {
    let n: u64 = rand::thread_rng().r#gen();
    format!("{n:016x}")
}

/// A fresh migrated SQLite store in a temporary directory.
pub async fn fresh_sqlite_store() -> StoreResult<(Arc<dyn Store>, TestDbGuard)> {
    let dir = std::env::temp_dir().join(format!("fieldline-test-{}", random_suffix()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("fieldline.db");
    let store = SqliteStore::open(&path.to_string_lossy()).await?;
    store.migrate().await?;
    Ok((
        Arc::new(store),
        TestDbGuard {
            kind: GuardKind::Sqlite { dir },
            cleaned: false,
        },
    ))
}

/// A fresh migrated PostgreSQL database (`fl_<random>`) created through `admin_url`.
pub async fn fresh_postgres_store(admin_url: &str) -> StoreResult<(Arc<dyn Store>, TestDbGuard)> {
    let name = format!("fl_{}", random_suffix());
    let admin = PgStore::connect(admin_url).await?;
    admin
        .execute_admin(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await;
    let url = with_database(admin_url, &name)?;
    let store = PgStore::connect(&url).await?;
    store.migrate().await?;
    let guard = TestDbGuard {
        kind: GuardKind::Postgres {
            admin_url: admin_url.to_string(),
            name,
            store: store.clone(),
        },
        cleaned: false,
    };
    Ok((Arc::new(store), guard))
}

/// A fresh migrated store: PostgreSQL when [`POSTGRES_URL_VAR`] is set, SQLite otherwise.
pub async fn fresh_test_store() -> StoreResult<(Arc<dyn Store>, TestDbGuard)> {
    match postgres_test_url() {
        Some(url) => fresh_postgres_store(&url).await,
        None => fresh_sqlite_store().await,
    }
}

/// `url` with its database name replaced by `name` (query string kept).
fn with_database(url: &str, name: &str) -> StoreResult<String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base
        .find("://")
        .map(|i| i + 3)
        .ok_or_else(|| StoreError::UnsupportedUrl(super::redact_url(url)))?;
    let host_end = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Ok(out)
}

/// Stores a premise with an active account and a one-register meter in `utility`, as billing
/// would have loaded them: 5 dials, previous read 1000 thirty days ago, limits 1010..1100. The
/// order, service, sync and end-to-end tests all start from it.
pub async fn metered_premise(
    store: &dyn Store,
    utility: UtilityId,
) -> StoreResult<(Premise, Account, Meter)> {
    let unique = Uuid::new_v4().simple().to_string();
    let premise = Premise {
        id: Uuid::new_v4(),
        utility_id: utility,
        address: "12 Elm St".into(),
        city: "Riverton".into(),
        lat: Some(44.97),
        lon: Some(-93.26),
        access_notes: Some("gate code 1234".into()),
        hazards: vec![],
        service_area: None,
        book: None,
    };
    store
        .insert_premises(utility, std::slice::from_ref(&premise))
        .await?;
    let account = Account {
        id: Uuid::new_v4(),
        utility_id: utility,
        number: format!("100-{}", &unique[..8]),
        premise_id: premise.id,
        customer_name: "J. Smith".into(),
        status: AccountStatus::Active,
        balance_cents: 0,
        past_due_cents: 0,
        notice_served_at: None,
        medical_hold: false,
        life_support: false,
        payment_plan: false,
        as_of: Utc::now(),
    };
    store
        .insert_accounts(utility, std::slice::from_ref(&account))
        .await?;
    let meter = Meter {
        id: Uuid::new_v4(),
        utility_id: utility,
        serial: format!("SN-{}", &unique[8..16]),
        premise_id: Some(premise.id),
        size: "5/8\"".into(),
        location_code: Some("curb".into()),
        status: "active".into(),
        installed_at: None,
        registers: vec![MeterRegister {
            number: 1,
            dials_left: 5,
            dials_right: 0,
            multiplier: 1,
            unit: "CCF".into(),
            last_read: Some("1000".into()),
            last_read_at: Some(Utc::now() - Duration::days(30)),
            low_limit: Some(1010.0),
            high_limit: Some(1100.0),
        }],
    };
    store
        .insert_meters(utility, std::slice::from_ref(&meter))
        .await?;
    Ok((premise, account, meter))
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_name_is_replaced_and_query_kept() {
        assert_eq!(
            with_database("postgres://root@127.0.0.1:5432/test", "fl_x").ok(),
            Some("postgres://root@127.0.0.1:5432/fl_x".to_string())
        );
        assert_eq!(
            with_database("postgres://root@h/test?sslmode=disable", "fl_x").ok(),
            Some("postgres://root@h/fl_x?sslmode=disable".to_string())
        );
        assert_eq!(
            with_database("postgres://root@h", "fl_x").ok(),
            Some("postgres://root@h/fl_x".to_string())
        );
    }
}
