//! Harness for crash tests: the server and the handheld as real OS processes (the package's
//! `fieldline-e2e` binary), so a test can `kill -9` them and start them again on the same data.
//!
//! - [`ProcessData`]: a fresh, migrated store for server processes (SQLite in a temp dir, or a
//!   fresh PostgreSQL database when `FIELDLINE_TEST_POSTGRES_URL` is set) with one utility and its
//!   users, plus a connection of the test's own for setting up rows and reading results.
//! - [`ServerProcess`]: `fieldline-e2e serve` on 127.0.0.1; the first start takes a free port
//!   (`127.0.0.1:0`, the bound address read from the server's banner), restarts reuse it so the
//!   devices' stored server URL stays valid. [`ServerProcess::kill_9`] is SIGKILL.
//! - [`ActionLoop`]: `fieldline-e2e action-loop`, a device process recording notes until killed;
//!   it collects every complete line the process printed.
//!
//! Every child is owned by a [`ChildGuard`] that kills and reaps it when dropped, also when the
//! test panics; temp dirs and PostgreSQL databases are removed by [`ProcessData`]'s drop.

use crate::{PASSWORD, TestResponse, UTILITY_A};
use fieldline_core::model::Role;
use fieldline_server::config::PasswordHashConfig;
use fieldline_server::store::testing::postgres_test_url;
use fieldline_server::store::{NewUser, NewUtility, PgStore, SqliteStore, Store, Utility};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a server process may take to print its address and answer `/readyz`.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A child process that is killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub struct ChildGuard {
    child: Option<Child>,
}

impl ChildGuard {
    /// Owns `child`.
    pub fn new(child: Child) -> ChildGuard {
        ChildGuard { child: Some(child) }
    }

    /// The process id, while it has not been reaped.
    pub fn id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `kill -9` (on Unix `Child::kill` is SIGKILL), then waits for the process to be gone.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the process has exited on its own (it is reaped then).
    pub fn exited(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(_))) | Some(Err(_)) | None => {
                self.child = None;
                true
            }
            Some(Ok(None)) => false,
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// Which store the server processes serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// `fieldline.db` in the temp dir.
    Sqlite,
    /// A fresh database `fl_crash_<random>` on the server named by `FIELDLINE_TEST_POSTGRES_URL`.
    Postgres {
        /// The URL the database was created through (dropped through it too).
        admin_url: String,
        /// The database name.
        name: String,
    },
}

/// A fresh store for server processes, with [`UTILITY_A`] and users, and a temp dir for the
/// server's data dir, logs and device homes. Removed when dropped (call [`ProcessData::cleanup`]
/// at the end of a test to do it without blocking a thread).
pub struct ProcessData {
    /// The URL the server processes open (`FIELDLINE_DATABASE_URL`).
    pub database_url: String,
    /// The test's own connection to the same store (SQLite allows it beside the server's: WAL).
    pub store: Arc<dyn Store>,
    /// The utility.
    pub utility: Utility,
    /// SQLite or PostgreSQL.
    pub backend: Backend,
    /// Temp dir: `data/` (the server's data dir), `server.log`, device homes.
    pub dir: PathBuf,
    pg: Option<PgStore>,
    cleaned: bool,
}

impl ProcessData {
    /// A fresh store with [`UTILITY_A`] and `users` (password [`PASSWORD`]). Prints the backend
    /// on stderr (uncaptured) so a test run says which one it exercised.
    pub async fn create(users: &[(&str, Role)]) -> ProcessData {
        let dir = std::env::temp_dir().join(format!("fieldline-crash-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("data"))
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let (database_url, store, backend, pg): (String, Arc<dyn Store>, Backend, _) =
            match postgres_test_url() {
                Some(admin_url) => {
                    let name = format!("fl_crash_{}", uuid::Uuid::new_v4().simple());
                    admin_sql(&admin_url, &format!("CREATE DATABASE {name}")).await;
                    let url = with_database(&admin_url, &name);
                    let pg = PgStore::connect(&url)
                        .await
                        .unwrap_or_else(|e| panic!("cannot connect to {name}: {e}"));
                    (
                        url,
                        Arc::new(pg.clone()),
                        Backend::Postgres { admin_url, name },
                        Some(pg),
                    )
                }
                None => {
                    let url = dir
                        .join("data")
                        .join("fieldline.db")
                        .to_string_lossy()
                        .into_owned();
                    let store = SqliteStore::open(&url)
                        .await
                        .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
                    (url, Arc::new(store), Backend::Sqlite, None)
                }
            };
        let line = match &backend {
            Backend::Sqlite => "crash: SQLite store in a temp dir (set FIELDLINE_TEST_POSTGRES_URL for PostgreSQL)\n".to_string(),
            Backend::Postgres { name, .. } => format!("crash: PostgreSQL store (database {name})\n"),
        };
        let _ = std::io::stderr().write_all(line.as_bytes());
        store
            .migrate()
            .await
            .unwrap_or_else(|e| panic!("cannot migrate: {e}"));
        let utility = store
            .create_utility(&NewUtility {
                slug: UTILITY_A.to_string(),
                name: format!("{UTILITY_A} water"),
            })
            .await
            .unwrap_or_else(|e| panic!("cannot create the utility: {e}"));
        let password_hash = fieldline_server::auth::password::hash_password_blocking(
            PASSWORD,
            &PasswordHashConfig::insecure_fast_for_tests(),
        )
        .unwrap_or_else(|e| panic!("cannot hash: {e}"));
        for (username, role) in users {
            store
                .create_user(
                    utility.id,
                    &NewUser {
                        username: username.to_string(),
                        display_name: username.to_string(),
                        role: *role,
                        password_hash: password_hash.clone(),
                    },
                )
                .await
                .unwrap_or_else(|e| panic!("cannot create user {username}: {e}"));
        }
        ProcessData {
            database_url,
            store,
            utility,
            backend,
            dir,
            pg,
            cleaned: false,
        }
    }

    /// The server's data dir.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Where the server processes write their stderr.
    pub fn server_log(&self) -> PathBuf {
        self.dir.join("server.log")
    }

    /// A fresh directory for a device's home inside the temp dir.
    pub fn device_home(&self, name: &str) -> PathBuf {
        self.dir.join(format!("device-{name}"))
    }

    /// Closes the test's connection, drops a PostgreSQL database and removes the temp dir.
    pub async fn cleanup(mut self) {
        self.cleaned = true;
        if let Some(pg) = self.pg.take() {
            pg.close().await;
        }
        if let Backend::Postgres { admin_url, name } = &self.backend {
            admin_sql(
                admin_url,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for ProcessData {
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Backend::Postgres { admin_url, name } = &self.backend {
            // Drop may run inside the test's runtime, which cannot be blocked on.
            let (admin_url, sql) = (
                admin_url.clone(),
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
            let dropper = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(admin_sql(&admin_url, &sql));
                }
            });
            let _ = dropper.join();
        }
    }
}

/// Runs one administrative statement (no parameters) on the admin database; best effort for
/// `DROP`, a panic for anything else that fails.
async fn admin_sql(admin_url: &str, sql: &str) {
    use sqlx::Connection;
    let result = async {
        let mut conn = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut conn)
            .await?;
        conn.close().await
    }
    .await;
    if let Err(e) = result
        && !sql.starts_with("DROP")
    {
        panic!("{sql}: {e}");
    }
}

/// `url` with its database name replaced by `name` (query string kept).
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A `fieldline-e2e serve` process on [`ProcessData`]'s store.
pub struct ServerProcess {
    bin: PathBuf,
    data_dir: PathBuf,
    database_url: String,
    log: PathBuf,
    /// `127.0.0.1:PORT`, fixed after the first start.
    listen: String,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// An HTTP client for the office API.
    pub client: reqwest::Client,
    child: Option<ChildGuard>,
    /// How many times a process was started.
    pub starts: u32,
}

impl ServerProcess {
    /// Starts `bin serve` (the `fieldline-e2e` binary) on a free port of 127.0.0.1 and waits
    /// until it is ready.
    pub async fn start(bin: &Path, data: &ProcessData) -> ServerProcess {
        let mut server = ServerProcess {
            bin: bin.to_path_buf(),
            data_dir: data.data_dir(),
            database_url: data.database_url.clone(),
            log: data.server_log(),
            listen: "127.0.0.1:0".to_string(),
            base_url: String::new(),
            client: reqwest::Client::new(),
            child: None,
            starts: 0,
        };
        server.spawn_ready().await;
        server
    }

    /// `kill -9` the server process (no-op when it is not running).
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill_9();
        }
    }

    /// Kills the process if it still runs, then starts a new one on the same port and data.
    pub async fn restart(&mut self) {
        self.kill_9();
        // Pooled connections went with the old process.
        self.client = reqwest::Client::new();
        self.spawn_ready().await;
    }

    /// Spawns a process and waits for its banner and `/readyz`. The port may still be held for
    /// a moment after a kill: a process that exits before its banner is retried.
    async fn spawn_ready(&mut self) {
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            match self.spawn_once().await {
                Ok(url) => {
                    self.base_url = url;
                    break;
                }
                Err(why) if tokio::time::Instant::now() < deadline => {
                    let _ = std::io::stderr()
                        .write_all(format!("crash: server start retried: {why}\n").as_bytes());
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(why) => panic!(
                    "the server process did not start: {why}\n{}",
                    self.log_tail()
                ),
            }
        }
        if self.listen.ends_with(":0") {
            self.listen = self.base_url.trim_start_matches("http://").to_string();
        }
        let ready = format!("{}/readyz", self.base_url);
        let client = self.client.clone();
        let outcome = tokio::time::timeout(START_TIMEOUT, async {
            loop {
                if let Ok(r) = client.get(&ready).send().await
                    && r.status().is_success()
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        if outcome.is_err() {
            panic!(
                "{ready} did not answer 200 within {START_TIMEOUT:?}\n{}",
                self.log_tail()
            );
        }
    }

    /// One process: its base URL once the banner names it, or why it exited without one.
    async fn spawn_once(&mut self) -> Result<String, String> {
        self.starts += 1;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("cannot open {}: {e}", self.log.display()))?;
        let mut child = Command::new(&self.bin)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["serve", "--listen", &self.listen])
            .env("FIELDLINE_DATABASE_URL", &self.database_url)
            .env("FIELDLINE_LOGIN_RATE_LIMIT", "0")
            .env("FIELDLINE_LOG", "warn")
            .env_remove("FIELDLINE_CONFIG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.bin.display()))?;
        let stdout = child.stdout.take();
        let guard = ChildGuard::new(child);
        let (tx, rx) = tokio::sync::oneshot::channel::<String>();
        // Reads the banner, then drains stdout until the process is gone.
        std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("listening on http://")
                    && let Some(tx) = tx.take()
                {
                    let url = line[at + "listening on ".len()..].trim().to_string();
                    let _ = tx.send(url);
                }
            }
        });
        match tokio::time::timeout(START_TIMEOUT, rx).await {
            Ok(Ok(url)) => {
                self.child = Some(guard);
                Ok(url)
            }
            Ok(Err(_)) => Err("the process exited without printing its address".to_string()),
            Err(_) => Err(format!("no address printed within {START_TIMEOUT:?}")),
        }
    }

    /// The last lines of the servers' stderr, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(40);
        format!("--- server log tail ---\n{}", lines[from..].join("\n"))
    }

    /// Signs in and returns the access token; panics unless the sign-in succeeds.
    pub async fn login(&self, username: &str) -> String {
        let response = self
            .post_json(
                "/api/v1/auth/login",
                None,
                &serde_json::json!({ "username": username, "password": PASSWORD }),
            )
            .await;
        assert_eq!(response.status, 200, "sign-in failed: {}", response.text);
        response.json()["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {}", response.text))
            .to_string()
    }

    /// `GET path` with a bearer token.
    pub async fn get(&self, path: &str, token: &str) -> TestResponse {
        read(
            self.client
                .get(format!("{}{path}", self.base_url))
                .bearer_auth(token),
        )
        .await
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

/// A `fieldline-e2e action-loop` device process recording notes on one order until killed.
pub struct ActionLoop {
    child: ChildGuard,
    lines: Arc<Mutex<Vec<String>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl ActionLoop {
    /// Starts the loop on the signed-in device store in `home`; `run` makes its note texts
    /// unique; with `sync_every` it also syncs after every that many actions.
    pub fn spawn(
        bin: &Path,
        home: &Path,
        order: &str,
        run: u32,
        sync_every: Option<u32>,
        stderr_log: &Path,
    ) -> ActionLoop {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(stderr_log)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", stderr_log.display()));
        let mut command = Command::new(bin);
        command.arg("action-loop").arg("--home").arg(home).args([
            "--order",
            order,
            "--run",
            &run.to_string(),
        ]);
        if let Some(every) = sync_every {
            command.args(["--sync-every", &every.to_string()]);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
        let stdout = child.stdout.take();
        let child = ChildGuard::new(child);
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        let reader = std::thread::spawn(move || {
            let Some(stdout) = stdout else { return };
            let mut stdout = BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match stdout.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    // Only a whole line is an action whose call returned and was reported;
                    // a line cut by the kill is not counted.
                    Ok(_) if line.ends_with('\n') => {
                        if let Ok(mut lines) = sink.lock() {
                            lines.push(line.trim_end().to_string());
                        }
                    }
                    Ok(_) => break,
                }
            }
        });
        ActionLoop {
            child,
            lines,
            reader: Some(reader),
        }
    }

    /// Complete lines printed so far.
    pub fn printed(&self) -> usize {
        self.lines.lock().map_or(0, |l| l.len())
    }

    /// Whether the process has exited on its own (an error: it loops until killed).
    pub fn exited(&mut self) -> bool {
        self.child.exited()
    }

    /// `kill -9`, then every complete line the process printed.
    pub fn kill_9(mut self) -> Vec<String> {
        self.child.kill_9();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::ChildGuard;
    use std::process::Command;

    /// Whether process `pid` still exists (zombies included: a reaped process is gone).
    fn alive(pid: u32) -> bool {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }

    #[test]
    fn a_guard_kills_and_reaps_its_child_even_when_the_test_panics() {
        let child = Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let pid = child.id();
        assert!(alive(pid));
        let outcome = std::thread::spawn(move || {
            let _guard = ChildGuard::new(child);
            panic!("a failing test");
        })
        .join();
        assert!(outcome.is_err(), "the thread panicked");
        assert!(!alive(pid), "process {pid} outlived its guard");
    }

    #[test]
    fn kill_9_is_immediate_and_idempotent() {
        let mut guard = ChildGuard::new(Command::new("sleep").arg("30").spawn().expect("spawn"));
        let pid = guard.id().expect("running");
        guard.kill_9();
        assert!(!alive(pid));
        assert!(guard.exited());
        guard.kill_9();
    }
}
