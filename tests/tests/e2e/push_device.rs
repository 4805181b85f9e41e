//! Devices that listen for pokes (the core's `FieldClient::listen`) against real servers: office
//! edits reach the device's store without anyone calling sync; stopping is prompt; a server
//! restart is survived and what changed meanwhile arrives on reconnect; a revoked device stops
//! with "sign in again"; on PostgreSQL a device listening on one instance gets an edit made
//! through another.

use crate::fixtures::metered_premise_in;
use fieldline_core::client::{
    ClientError, FieldClient, PushEvent, PushListener, PushSettings, SyncCause,
};
use fieldline_core::model::Role;
use fieldline_core::status::Status;
use fieldline_server::store::{Store, Utility};
use fieldline_tests::process::{ProcessData, ServerProcess};
use fieldline_tests::{PASSWORD, SharedDatabase, TestServer, wait_until};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Longest wait for something that is due; reaching it fails the test.
const DUE: Duration = Duration::from_secs(20);

/// The server and handheld binary, for the restart test.
const BIN: &str = env!("CARGO_BIN_EXE_fieldline-e2e");

/// Quick retries: a restarted server is found within a second.
fn quick() -> PushSettings {
    PushSettings {
        first_retry: Duration::from_millis(100),
        max_retry: Duration::from_millis(800),
        ..PushSettings::default()
    }
}

/// A handheld that listens: its client, its listener, what the listener and the change
/// observer reported.
struct Device {
    client: Arc<FieldClient>,
    dir: PathBuf,
    events: Arc<Mutex<Vec<PushEvent>>>,
    changed: Arc<Mutex<Vec<String>>>,
    listener: Option<PushListener>,
    _subscription: fieldline_core::client::Subscription,
}

impl Device {
    /// Signs `user` in to `url` and starts listening.
    async fn listening(url: &str, user: &str, settings: PushSettings) -> Device {
        let dir = std::env::temp_dir().join(format!("fieldline-push-device-{}", Uuid::new_v4()));
        let (url, user) = (url.to_string(), user.to_string());
        let events = Arc::new(Mutex::new(Vec::new()));
        let changed = Arc::new(Mutex::new(Vec::new()));
        let (sink, changes) = (Arc::clone(&events), Arc::clone(&changed));
        let open_dir = dir.clone();
        let (client, listener, subscription) = tokio::task::spawn_blocking(move || {
            let client = Arc::new(FieldClient::open(&open_dir).expect("open the device store"));
            client
                .sign_in(&url, &user, PASSWORD, "listening handheld")
                .expect("sign in");
            let subscription = client.subscribe(move |ids: Vec<String>| {
                changes.lock().expect("changes").extend(ids);
            });
            let listener = client
                .listen_with(
                    settings,
                    Arc::new(move |event: PushEvent| {
                        sink.lock().expect("events").push(event);
                    }),
                )
                .expect("start listening");
            (client, listener, subscription)
        })
        .await
        .expect("device task");
        Device {
            client,
            dir,
            events,
            changed,
            listener: Some(listener),
            _subscription: subscription,
        }
    }

    /// Runs blocking client calls off the async runtime.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&FieldClient) -> Result<T, ClientError> + Send + 'static,
    ) -> Result<T, ClientError> {
        let client = Arc::clone(&self.client);
        tokio::task::spawn_blocking(move || f(&client))
            .await
            .expect("device task")
    }

    /// The order's status and office log (as JSON) on the device, if it holds it.
    async fn order(&self, id: &str) -> Option<(Status, String)> {
        let id = id.to_string();
        self.run(move |c| c.order(&id)).await.ok().map(|view| {
            let log = serde_json::to_string(&view.office_log).unwrap_or_default();
            (view.status, log)
        })
    }

    /// Waits until the device's copy of `id` satisfies `check`.
    async fn wait_for(&self, id: &str, what: &str, check: impl Fn(&Status, &str) -> bool) {
        let deadline = Instant::now() + DUE;
        loop {
            if let Some((status, log)) = self.order(id).await
                && check(&status, &log)
            {
                return;
            }
            if Instant::now() >= deadline {
                panic!(
                    "the device never showed {what} for order {id}; it holds {:?}; events: {:?}",
                    self.order(id).await,
                    self.events()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn events(&self) -> Vec<PushEvent> {
        self.events.lock().expect("events").clone()
    }

    fn count(&self, pick: impl Fn(&PushEvent) -> bool) -> usize {
        self.events().iter().filter(|e| pick(e)).count()
    }

    async fn wait_for_event(&self, what: &str, pick: impl Fn(&PushEvent) -> bool + Copy) {
        let events = Arc::clone(&self.events);
        let seen = tokio::time::timeout(DUE, async move {
            loop {
                if events.lock().expect("events").iter().any(pick) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        assert!(
            seen.is_ok(),
            "no {what} within {DUE:?}: {:?}",
            self.events()
        );
    }

    /// Stops the listener and returns how long that took.
    async fn stop(&mut self) -> Duration {
        let listener = self.listener.take().expect("listening");
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            listener.stop();
            assert!(!listener.is_running());
            started.elapsed()
        })
        .await
        .expect("stop task")
    }
}

impl Drop for Device {
    fn drop(&mut self) {
        // Stopped before the store goes: no thread outlives the test's device.
        if let Some(listener) = self.listener.take() {
            listener.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn stopped(event: &PushEvent) -> bool {
    matches!(event, PushEvent::Stopped { .. })
}

async fn create_read(
    base_url: &str,
    client: &reqwest::Client,
    store: &dyn Store,
    utility: &Utility,
    token: &str,
    assignee: &str,
) -> String {
    let (_, meter) = metered_premise_in(store, utility).await;
    let response = client
        .post(format!("{base_url}/api/v1/orders"))
        .bearer_auth(token)
        .json(&json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": assignee}))
        .send()
        .await
        .expect("create");
    assert_eq!(response.status().as_u16(), 201, "create an order");
    let body: Value = response.json().await.expect("JSON");
    body["id"].as_str().expect("id").to_string()
}

async fn office(base_url: &str, client: &reqwest::Client, token: &str, path: String, body: Value) {
    let response = client
        .post(format!("{base_url}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("office call");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{path}: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_edits_reach_a_listening_device_without_a_sync_call() {
    let server = TestServer::start().await;
    let url = server.base_url.clone();
    let http = server.client.clone();
    let dispatcher = server.login("dispatcher", PASSWORD).await;
    let cancelled = create_read(
        &url,
        &http,
        server.store(),
        &server.utility,
        &dispatcher,
        "reader1",
    )
    .await;
    let noted = create_read(
        &url,
        &http,
        server.store(),
        &server.utility,
        &dispatcher,
        "reader1",
    )
    .await;

    let mut device = Device::listening(&url, "reader1", quick()).await;
    // The connect syncs once: the route arrives without a sync call.
    device
        .wait_for(&cancelled, "the route", |s, _| *s != Status::Cancelled)
        .await;
    device.wait_for(&noted, "the route", |_, _| true).await;

    office(
        &url,
        &http,
        &dispatcher,
        format!("/api/v1/orders/{cancelled}/cancel"),
        json!({"reason": "account closed"}),
    )
    .await;
    office(
        &url,
        &http,
        &dispatcher,
        format!("/api/v1/orders/{noted}/notes"),
        json!({"text": "dog in the yard, use the side gate"}),
    )
    .await;
    device
        .wait_for(&cancelled, "the cancellation", |s, _| {
            *s == Status::Cancelled
        })
        .await;
    device
        .wait_for(&noted, "the office note", |_, log| {
            log.contains("use the side gate")
        })
        .await;

    // The syncs were the listener's (its event may trail the store by a moment), and the
    // change observer heard of both orders.
    device
        .wait_for_event("a sync because of a poke", |e| {
            matches!(
                e,
                PushEvent::Synced {
                    cause: SyncCause::Poked,
                    ..
                }
            )
        })
        .await;
    let changed = device.changed.lock().expect("changed").clone();
    assert!(
        changed.contains(&cancelled) && changed.contains(&noted),
        "{changed:?}"
    );

    let took = device.stop().await;
    assert!(took < Duration::from_secs(2), "stopping took {took:?}");
    let events = device.events();
    assert_eq!(
        events.last(),
        Some(&PushEvent::Stopped { error: None }),
        "{events:?}"
    );
    assert_eq!(device.count(stopped), 1);
    // Stopped means stopped: a poke now runs no sync.
    let syncs = device.count(|e| matches!(e, PushEvent::Syncing { .. }));
    office(
        &url,
        &http,
        &dispatcher,
        format!("/api/v1/orders/{noted}/notes"),
        json!({"text": "after the stop"}),
    )
    .await;
    let user = server
        .store()
        .get_user_by_username(server.utility.id, "reader1")
        .await
        .expect("reader1")
        .id;
    let push = Arc::clone(&server.state.push);
    let utility = server.utility.id;
    wait_until(DUE, || {
        let push = Arc::clone(&push);
        async move { push.connections(utility, user) == 0 }
    })
    .await;
    assert_eq!(
        device.count(|e| matches!(e, PushEvent::Syncing { .. })),
        syncs
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_stops_listening_with_sign_in_again() {
    let server = TestServer::start().await;
    let url = server.base_url.clone();
    let http = server.client.clone();
    let dispatcher = server.login("dispatcher", PASSWORD).await;
    let order = create_read(
        &url,
        &http,
        server.store(),
        &server.utility,
        &dispatcher,
        "reader1",
    )
    .await;
    let device = Device::listening(&url, "reader1", quick()).await;
    device.wait_for(&order, "the route", |_, _| true).await;
    let device_id = device
        .run(|c| c.account())
        .await
        .expect("account")
        .expect("signed in")
        .device_id;

    let admin = server.login("admin", PASSWORD).await;
    office(
        &url,
        &http,
        &admin,
        format!("/api/v1/devices/{device_id}/revoke"),
        json!({}),
    )
    .await;
    // The next poke's sync is refused: the listener stops by itself and says why.
    office(
        &url,
        &http,
        &dispatcher,
        format!("/api/v1/orders/{order}/notes"),
        json!({"text": "poke"}),
    )
    .await;
    device.wait_for_event("a stop", stopped).await;
    let last = device.events().last().cloned();
    assert!(
        matches!(&last, Some(PushEvent::Stopped { error: Some(ClientError::Unauthorized(m)) })
            if m.contains("revoked")),
        "{last:?}"
    );
    let listener = device.listener.as_ref().expect("handle");
    let finished = tokio::time::timeout(DUE, async {
        while listener.is_running() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(finished.is_ok(), "the listener's threads did not end");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_server_restart_the_listener_reconnects_and_gets_what_changed_meanwhile() {
    let data =
        ProcessData::create(&[("dispatcher", Role::Dispatcher), ("reader1", Role::Reader)]).await;
    let mut server = ServerProcess::start(Path::new(BIN), &data).await;
    let dispatcher = server.login("dispatcher").await;
    let order = create_read(
        &server.base_url,
        &server.client,
        data.store.as_ref(),
        &data.utility,
        &dispatcher,
        "reader1",
    )
    .await;
    let mut device = Device::listening(&server.base_url, "reader1", quick()).await;
    device
        .wait_for(&order, "the route", |s, _| *s != Status::Cancelled)
        .await;
    device
        .wait_for_event("a connect", |e| matches!(e, PushEvent::Connected))
        .await;

    // The server dies; the listener notices and keeps trying.
    server.kill_9();
    device
        .wait_for_event("a disconnect", |e| {
            matches!(e, PushEvent::Disconnected { .. })
        })
        .await;

    // Meanwhile the office cancels the order through another server process on the same data.
    let other = ServerProcess::start(Path::new(BIN), &data).await;
    let token = other.login("dispatcher").await;
    office(
        &other.base_url,
        &other.client,
        &token,
        format!("/api/v1/orders/{order}/cancel"),
        json!({"reason": "moved out"}),
    )
    .await;
    drop(other);
    let (status, _) = device.order(&order).await.expect("held");
    assert_ne!(
        status,
        Status::Cancelled,
        "nothing could have told the device yet"
    );

    // The server comes back on the same address: the listener reconnects and syncs.
    server.restart().await;
    device
        .wait_for(&order, "the cancellation made while it was away", |s, _| {
            *s == Status::Cancelled
        })
        .await;
    assert!(
        device.count(|e| matches!(e, PushEvent::Connected)) >= 2,
        "{:?}",
        device.events()
    );
    assert_eq!(device.count(stopped), 0, "{:?}", device.events());
    let took = device.stop().await;
    assert!(took < Duration::from_secs(2), "stopping took {took:?}");
    drop(server);
    data.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_listening_on_one_instance_gets_an_edit_made_through_another() {
    let Some(db) = SharedDatabase::postgres().await else {
        eprintln!("skipped: set FIELDLINE_TEST_POSTGRES_URL to test pokes across server instances");
        return;
    };
    let a = db.start_instance().await;
    let b = db.start_instance().await;
    for instance in [&a, &b] {
        let push = Arc::clone(&instance.state.push);
        wait_until(DUE, move || {
            let push = Arc::clone(&push);
            async move { push.is_listening() }
        })
        .await;
    }
    let dispatcher = b.login("dispatcher", PASSWORD).await;
    let order = create_read(
        &b.base_url,
        &b.client,
        db.store(),
        &db.utility,
        &dispatcher,
        "reader1",
    )
    .await;
    let mut device = Device::listening(&a.base_url, "reader1", quick()).await;
    device.wait_for(&order, "the route", |_, _| true).await;

    office(
        &b.base_url,
        &b.client,
        &dispatcher,
        format!("/api/v1/orders/{order}/notes"),
        json!({"text": "through instance B"}),
    )
    .await;
    device
        .wait_for(&order, "the note made through instance B", |_, log| {
            log.contains("through instance B")
        })
        .await;
    let took = device.stop().await;
    assert!(took < Duration::from_secs(2), "stopping took {took:?}");
    a.stop().await;
    b.stop().await;
    db.cleanup().await;
}

/// A child process killed when dropped (also when the test panics).
struct Child(Option<std::process::Child>);

impl Child {
    /// Waits for the process to exit by itself.
    async fn exit_code(&mut self) -> Option<i32> {
        let mut child = self.0.take().expect("running");
        let waited = tokio::time::timeout(DUE, async {
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    return status.code();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
        if waited.is_err() {
            let _ = child.kill();
            let _ = child.wait();
        }
        waited.expect("the watch process did not exit in time")
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `fieldline device --home HOME watch ARGS...`, its stdout lines collected.
fn spawn_watch(home: &Path, args: &[&str]) -> (Child, Arc<Mutex<Vec<String>>>) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(BIN)
        .arg("device")
        .arg("--home")
        .arg(home)
        .arg("watch")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run fieldline-e2e device watch");
    let stdout = child.stdout.take().expect("stdout");
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            sink.lock().expect("lines").push(line);
        }
    });
    (Child(Some(child)), lines)
}

async fn wait_for_line(lines: &Arc<Mutex<Vec<String>>>, what: &str, pick: impl Fn(&Value) -> bool) {
    let found = tokio::time::timeout(DUE, async {
        loop {
            let seen = lines.lock().expect("lines").clone();
            if seen
                .iter()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .any(|v| pick(&v))
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "no {what} line within {DUE:?}: {:?}",
        lines.lock().expect("lines")
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_watch_prints_a_line_per_sync_and_exits_0_on_ctrl_c_or_when_its_time_is_up() {
    let server = TestServer::start().await;
    let url = server.base_url.clone();
    let http = server.client.clone();
    let dispatcher = server.login("dispatcher", PASSWORD).await;
    let order = create_read(
        &url,
        &http,
        server.store(),
        &server.utility,
        &dispatcher,
        "reader1",
    )
    .await;
    let home = std::env::temp_dir().join(format!("fieldline-watch-{}", Uuid::new_v4()));
    let (sign_in_home, sign_in_url) = (home.clone(), url.clone());
    tokio::task::spawn_blocking(move || {
        FieldClient::open(&sign_in_home)
            .and_then(|c| c.sign_in(&sign_in_url, "reader1", PASSWORD, "watching handheld"))
    })
    .await
    .expect("sign-in task")
    .expect("sign in");

    let (mut watch, lines) = spawn_watch(&home, &["--json"]);
    wait_for_line(&lines, "connect sync", |v| {
        v["event"] == "synced" && v["cause"] == "connected" && v["report"]["new_orders"] == 1
    })
    .await;
    office(
        &url,
        &http,
        &dispatcher,
        format!("/api/v1/orders/{order}/notes"),
        json!({"text": "gate code 4512"}),
    )
    .await;
    wait_for_line(&lines, "poke sync", |v| {
        v["cause"] == "poked" && v["report"]["changed_orders"][0] == order.as_str()
    })
    .await;
    let pid = watch.0.as_ref().expect("running").id().to_string();
    let signalled = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(signalled.success());
    assert_eq!(watch.exit_code().await, Some(0), "Ctrl-C is a normal end");

    let (mut timed, _) = spawn_watch(&home, &["--for", "1"]);
    assert_eq!(
        timed.exit_code().await,
        Some(0),
        "--for elapsed is a normal end"
    );
    let _ = std::fs::remove_dir_all(&home);
    server.stop().await;
}
