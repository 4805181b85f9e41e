//! Harness for Fieldline's end-to-end tests: start a real server on 127.0.0.1:0 with a fresh
//! store (SQLite in a temp dir, or a fresh PostgreSQL database when `FIELDLINE_TEST_POSTGRES_URL`
//! is set) and talk to it over HTTP.
//!
//! The server runs in-process on a tokio task and stops when the [`TestServer`] is dropped; call
//! [`TestServer::stop`] at the end of a test to also drop a PostgreSQL test database.

pub mod handheld;
pub mod process;

mod instances;

pub use handheld::Handheld;
pub use instances::SharedDatabase;

use fieldline_core::model::Role;
use fieldline_server::config::{Config, PasswordHashConfig};
use fieldline_server::store::testing::{TestDbGuard, fresh_test_store, postgres_test_url};
use fieldline_server::store::{NewUser, NewUtility, Store, User, Utility};
use fieldline_server::{AppState, ServerClock, serve};
use serde_json::Value;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password of every user the harness creates.
pub const PASSWORD: &str = "correct horse battery staple";

/// The slug of the utility every test server starts with.
pub const UTILITY_A: &str = "alpha";

/// The users every test server starts with in [`UTILITY_A`]: (username, role).
pub const USERS: &[(&str, Role)] = &[
    ("admin", Role::Admin),
    ("dispatcher", Role::Dispatcher),
    ("supervisor", Role::Supervisor),
    ("reader1", Role::Reader),
    ("inspector1", Role::Inspector),
];

/// How to start a test server.
#[derive(Debug, Clone)]
pub struct TestOptions {
    /// Failed sign-ins per minute per username and IP (0: no limit, the test default, since
    /// every test signs in from 127.0.0.1).
    pub login_rate_limit: u32,
    /// Largest request body, bytes.
    pub body_limit_bytes: usize,
    /// The server's business clock (receipt times, snapshots); the wall clock when `None`.
    /// Tests that pin a device's clock pin this one to the same day.
    pub clock: Option<ServerClock>,
}

impl Default for TestOptions {
    fn default() -> Self {
        let config = Config::default();
        TestOptions {
            login_rate_limit: 0,
            body_limit_bytes: config.body_limit_bytes,
            clock: None,
        }
    }
}

/// A running server with a fresh store, one utility ([`UTILITY_A`]) and its [`USERS`].
pub struct TestServer {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The server's state (store, token keys, metrics), for setting up data and forging tokens.
    pub state: AppState,
    /// The utility the server starts with.
    pub utility: Utility,
    /// An HTTP client.
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    guard: Option<TestDbGuard>,
}

/// An HTTP answer read whole, for assertions.
#[derive(Debug, Clone)]
pub struct TestResponse {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body text.
    pub text: String,
}

impl TestResponse {
    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text))
    }

    /// `error.code` of a JSON error body.
    pub fn error_code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("not an error body: {}", self.text))
            .to_string()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

static ANNOUNCED: AtomicBool = AtomicBool::new(false);

impl TestServer {
    /// Starts a server with the default [`TestOptions`].
    pub async fn start() -> TestServer {
        TestServer::start_with(TestOptions::default()).await
    }

    /// Starts a server with `options`. Panics (failing the test) when setup fails.
    pub async fn start_with(options: TestOptions) -> TestServer {
        if !ANNOUNCED.swap(true, Ordering::Relaxed) {
            let line = match postgres_test_url() {
                Some(_) => "e2e: PostgreSQL store (FIELDLINE_TEST_POSTGRES_URL is set)\n",
                None => {
                    "e2e: SQLite store in a temp dir (set FIELDLINE_TEST_POSTGRES_URL for PostgreSQL)\n"
                }
            };
            // Written to stderr directly: the test harness would capture `eprintln!`.
            let _ = std::io::stderr().write_all(line.as_bytes());
        }
        let (store, guard) = fresh_test_store()
            .await
            .unwrap_or_else(|e| panic!("cannot create the test store: {e}"));
        let config = Config {
            listen: "127.0.0.1:0".to_string(),
            login_rate_limit: options.login_rate_limit,
            body_limit_bytes: options.body_limit_bytes,
            password_hash: PasswordHashConfig::insecure_fast_for_tests(),
            ..Config::default()
        };
        let state = AppState::new(Arc::clone(&store), config)
            .await
            .unwrap_or_else(|e| panic!("cannot build the server state: {e}"));
        let state = match options.clock {
            Some(clock) => state.with_clock(clock),
            None => state,
        };
        let utility = create_utility(store.as_ref(), UTILITY_A).await;
        for (username, role) in USERS {
            create_user(store.as_ref(), &utility, username, *role).await;
        }
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
            utility,
            client: reqwest::Client::new(),
            shutdown: Some(tx),
            task: Some(task),
            guard: Some(guard),
        }
    }

    /// The server's store.
    pub fn store(&self) -> &dyn Store {
        self.state.store.as_ref()
    }

    /// Creates another utility.
    pub async fn add_utility(&self, slug: &str) -> Utility {
        create_utility(self.store(), slug).await
    }

    /// Creates a user with [`PASSWORD`].
    pub async fn add_user(&self, utility: &Utility, username: &str, role: Role) -> User {
        create_user(self.store(), utility, username, role).await
    }

    /// Signs in and returns the access token; panics unless the sign-in succeeds.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let response = self
            .post_json(
                "/api/v1/auth/login",
                None,
                &serde_json::json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(response.status, 200, "sign-in failed: {}", response.text);
        response.json()["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {}", response.text))
            .to_string()
    }

    /// `GET path` with an optional bearer token.
    pub async fn get(&self, path: &str, token: Option<&str>) -> TestResponse {
        let mut request = self.client.get(format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request).await
    }

    /// `POST path` with a JSON body and an optional bearer token.
    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request).await
    }

    /// `PUT path` with a JSON body.
    pub async fn put_json(&self, path: &str, token: Option<&str>, body: &Value) -> TestResponse {
        let mut request = self
            .client
            .put(format!("{}{path}", self.base_url))
            .json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request).await
    }

    /// `POST path` with raw bytes and a content type (for malformed bodies).
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> TestResponse {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request).await
    }

    /// Stops the server and removes its test database (PostgreSQL included).
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(guard) = self.guard.take() {
            guard.cleanup().await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn read(request: reqwest::RequestBuilder) -> TestResponse {
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("request failed: {e}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response
        .text()
        .await
        .unwrap_or_else(|e| panic!("cannot read the body: {e}"));
    TestResponse {
        status,
        headers,
        text,
    }
}

async fn create_utility(store: &dyn Store, slug: &str) -> Utility {
    store
        .create_utility(&NewUtility {
            slug: slug.to_string(),
            name: format!("{slug} water"),
        })
        .await
        .unwrap_or_else(|e| panic!("cannot create utility {slug}: {e}"))
}

async fn create_user(store: &dyn Store, utility: &Utility, username: &str, role: Role) -> User {
    let password_hash = fieldline_server::auth::password::hash_password_blocking(
        PASSWORD,
        &PasswordHashConfig::insecure_fast_for_tests(),
    )
    .unwrap_or_else(|e| panic!("cannot hash: {e}"));
    store
        .create_user(
            utility.id,
            &NewUser {
                username: username.to_string(),
                display_name: username.to_string(),
                role,
                password_hash,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("cannot create user {username}: {e}"))
}

/// Waits until `check` holds, polling every 10 ms, or panics after `timeout`.
pub async fn wait_until<F, Fut>(timeout: std::time::Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("condition not met within {timeout:?}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}
