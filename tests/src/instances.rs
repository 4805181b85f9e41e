//! Several server instances over one PostgreSQL database, as behind a load balancer: for
//! cross-instance behaviour (pokes over `LISTEN`/`NOTIFY`). Each instance has its own
//! `AppState` (own poke hub and listener) and knows the database URL, as `fieldline serve` does.

use super::{TestServer, USERS, UTILITY_A, create_user, create_utility};
use fieldline_server::config::{Config, PasswordHashConfig};
use fieldline_server::store::testing::postgres_test_url;
use fieldline_server::store::{Store, Utility};
use fieldline_server::{AppState, serve};
use std::sync::Arc;
use tokio::sync::oneshot;

/// A fresh migrated PostgreSQL database holding [`UTILITY_A`] and its [`USERS`] (password
/// [`PASSWORD`](crate::PASSWORD)), on which any number of instances can be started.
pub struct SharedDatabase {
    /// The database URL every instance is configured with.
    pub url: String,
    /// The utility the database starts with.
    pub utility: Utility,
    store: Arc<dyn Store>,
    admin_url: String,
    name: String,
}

impl SharedDatabase {
    /// Creates the database through `FIELDLINE_TEST_POSTGRES_URL`; `None` when it is unset.
    /// Panics (failing the test) when PostgreSQL refuses.
    pub async fn postgres() -> Option<SharedDatabase> {
        let admin_url = postgres_test_url()?;
        let name = format!("fl_multi_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        admin.close().await;
        let url = with_database(&admin_url, &name);
        let store = fieldline_server::store::open(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {name}: {e}"));
        store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("cannot migrate {name}: {e}"));
        let utility = create_utility(store.as_ref(), UTILITY_A).await;
        for (username, role) in USERS {
            create_user(store.as_ref(), &utility, username, *role).await;
        }
        Some(SharedDatabase {
            url,
            utility,
            store,
            admin_url,
            name,
        })
    }

    /// Starts one more instance on 127.0.0.1:0 over this database. Stop it with
    /// [`TestServer::stop`] (it leaves the database alone) before [`SharedDatabase::cleanup`].
    pub async fn start_instance(&self) -> TestServer {
        let config = Config {
            database_url: Some(self.url.clone()),
            listen: "127.0.0.1:0".to_string(),
            login_rate_limit: 0,
            password_hash: PasswordHashConfig::insecure_fast_for_tests(),
            ..Config::default()
        };
        let store = fieldline_server::store::open(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", self.name));
        let state = AppState::new(store, config)
            .await
            .unwrap_or_else(|e| panic!("cannot build the server state: {e}"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("cannot bind 127.0.0.1:0: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("no local address: {e}"));
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state.clone(), async move {
            let _ = rx.await;
        }));
        TestServer {
            base_url: format!("http://{addr}"),
            state,
            utility: self.utility.clone(),
            client: reqwest::Client::new(),
            shutdown: Some(tx),
            task: Some(task),
            guard: None,
        }
    }

    /// The database's store (for setting up data).
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// Drops the database (disconnecting whoever still uses it).
    pub async fn cleanup(self) {
        if let Ok(admin) = sqlx::PgPool::connect(&self.admin_url).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            )))
            .execute(&admin)
            .await;
            admin.close().await;
        }
    }
}

/// `url` with its database name replaced by `name` (query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[authority..]
        .find('/')
        .map(|i| authority + i)
        .unwrap_or(base.len());
    match query {
        Some(q) => format!("{}/{name}?{q}", &base[..host_end]),
        None => format!("{}/{name}", &base[..host_end]),
    }
}
