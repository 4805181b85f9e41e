//! Crash tests with real processes (`fieldline-e2e`, this package's binary): the server is
//! killed with SIGKILL in the middle of devices' syncs and restarted on the same data; a device
//! process recording actions in a loop is killed with SIGKILL and restarted. Afterwards no edit a
//! device recorded is missing and none is applied twice: every entry is in the server's
//! document exactly once, the audit trail has no change twice, and device and server documents
//! are identical.
//!
//! The kill moments come from a seeded generator; the seed is printed (stderr, uncaptured) and
//! named in every assertion message. Rerun one with `FIELDLINE_CRASH_SEED=<seed>`.

use crate::fixtures::metered_premise_in;
use fieldline_core::WorkOrderDoc;
use fieldline_core::action::FieldAction;
use fieldline_core::client::ClientError;
use fieldline_core::model::Role;
use fieldline_tests::Handheld;
use fieldline_tests::process::{ActionLoop, ProcessData, ServerProcess};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The server and handheld binary.
const BIN: &str = env!("CARGO_BIN_EXE_fieldline-e2e");

/// Server crash rounds, and the wall-clock budget after which no new round starts.
const SERVER_ROUNDS: u32 = 30;
const SERVER_BUDGET: Duration = Duration::from_secs(25);

/// Device process kills, and their wall-clock budget.
const DEVICE_RUNS: u32 = 8;
const DEVICE_BUDGET: Duration = Duration::from_secs(20);

/// A small deterministic generator (SplitMix64): the kill moments of one seed repeat.
struct Rng(u64);

impl Rng {
    /// From `FIELDLINE_CRASH_SEED`, or the clock. Announces the seed on stderr.
    fn from_env(test: &str) -> (Rng, u64) {
        let seed = std::env::var("FIELDLINE_CRASH_SEED")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        say(&format!("{test}: FIELDLINE_CRASH_SEED={seed}"));
        (Rng(seed), seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One line on stderr, written directly: the test harness would capture `eprintln!`.
fn say(line: &str) {
    let _ = std::io::stderr().write_all(format!("crash: {line}\n").as_bytes());
}

/// A cycle read assigned to `assignee`, created through the office API of the server process.
async fn create_read(
    server: &ServerProcess,
    data: &ProcessData,
    token: &str,
    assignee: &str,
) -> String {
    let (_, meter) = metered_premise_in(data.store.as_ref(), &data.utility).await;
    let response = server
        .post_json(
            "/api/v1/orders",
            Some(token),
            &json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": assignee}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    response.json()["id"].as_str().expect("id").to_string()
}

/// An in-process handheld on `home` (kept across restarts), signed in as `user` to the server
/// process.
async fn sign_in(server: &ServerProcess, home: &Path, user: &str) -> Handheld {
    let device = Handheld::open_at(home).await;
    device.sign_in_to(&server.base_url, user).await;
    device
}

/// Syncs until nothing is pending (a few attempts; a network error, such as a connection
/// pooled before the last kill, is retried like a handheld would).
async fn sync_to_completion(device: &Handheld, context: &str) {
    for _ in 0..5 {
        let report = match device.try_sync().await {
            Ok(report) => report,
            Err(ClientError::Network(e)) => {
                say(&format!("{context}: final sync retried after: {e}"));
                continue;
            }
            Err(e) => panic!("{context}: final sync failed: {e}"),
        };
        assert_eq!(report.rejected, 0, "{context}: {report:?}");
        let status = device.run(|c| c.status()).await.expect("status");
        assert!(status.rejections.is_empty(), "{context}: {status:?}");
        if !report.incomplete && status.pending_changes == 0 {
            return;
        }
    }
    let status = device.run(|c| c.status()).await.expect("status");
    panic!("{context}: changes still pending after 5 syncs: {status:?}");
}

/// The field entries of a document: (entry id, note text for notes).
fn field_entries(doc: &WorkOrderDoc) -> Vec<(String, Option<String>)> {
    doc.record()
        .expect("a readable document")
        .field
        .into_iter()
        .map(|entry| {
            let text = match entry.action {
                FieldAction::Note { text, .. } => Some(text),
                _ => None,
            };
            (entry.id, text)
        })
        .collect()
}

fn duplicates(items: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter(|i| !seen.insert(i.clone()))
        .collect()
}

/// What the checks need: the seed (in every message), the server, the store, an office token.
#[derive(Clone, Copy)]
struct Scene<'a> {
    context: &'a str,
    server: &'a ServerProcess,
    data: &'a ProcessData,
    office: &'a str,
}

/// Checks one order after the crashes: the device's and the server's documents are identical;
/// every id in `returned` is there exactly once (with `exact`, nothing else is there); the
/// office view lists the same entries; the audit trail holds no change twice and one device
/// change per field entry.
async fn check_order(
    at: &Scene<'_>,
    device: &Handheld,
    id: &str,
    returned: &[String],
    exact: bool,
) {
    let Scene {
        context,
        server,
        data,
        office,
    } = *at;
    let stored = data
        .store
        .get_order(data.utility.id, id.parse().expect("uuid"))
        .await
        .expect("stored order");
    let server_doc = WorkOrderDoc::load(&stored.doc).expect("server document");
    let device_doc = device.doc(id).await;
    assert_eq!(
        device_doc.to_json().expect("device JSON"),
        server_doc.to_json().expect("server JSON"),
        "{context}: order {id}: device and server documents differ"
    );

    let entries = field_entries(&server_doc);
    let ids: Vec<String> = entries.iter().map(|(id, _)| id.clone()).collect();
    let twice = duplicates(ids.clone());
    assert!(
        twice.is_empty(),
        "{context}: order {id}: entries applied twice: {twice:?}"
    );
    // Every note text is unique: a replayed intent would be a new entry with an old text.
    let twice = duplicates(entries.iter().filter_map(|(_, text)| text.clone()));
    assert!(
        twice.is_empty(),
        "{context}: order {id}: actions recorded twice: {twice:?}"
    );
    let held: HashSet<&String> = ids.iter().collect();
    let lost: Vec<&String> = returned.iter().filter(|e| !held.contains(e)).collect();
    assert!(
        lost.is_empty(),
        "{context}: order {id}: recorded entries lost: {lost:?}"
    );
    if exact {
        assert_eq!(
            ids.len(),
            returned.len(),
            "{context}: order {id}: unexpected entries"
        );
    }

    let view = server.get(&format!("/api/v1/orders/{id}"), office).await;
    assert_eq!(view.status, 200, "{}", view.text);
    let mut office_ids: Vec<String> = view.json()["field"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    office_ids.sort();
    let mut doc_ids = ids.clone();
    doc_ids.sort();
    assert_eq!(
        office_ids, doc_ids,
        "{context}: order {id}: the office view's entries"
    );

    let history = server
        .get(&format!("/api/v1/orders/{id}/history"), office)
        .await;
    assert_eq!(history.status, 200, "{}", history.text);
    let history = history.json();
    let changes = history.as_array().expect("history list");
    let hashes = changes
        .iter()
        .filter_map(|c| c["hash"].as_str().map(str::to_string));
    let twice = duplicates(hashes);
    assert!(
        twice.is_empty(),
        "{context}: order {id}: changes logged twice: {twice:?}"
    );
    let device_changes = changes.iter().filter(|c| !c["device_id"].is_null()).count();
    assert_eq!(
        device_changes,
        ids.len(),
        "{context}: order {id}: one logged device change per field entry"
    );
}

/// Device changes in the server's change log for `orders`, read through the test's own store
/// connection (works while the server process is down).
async fn logged_device_changes(data: &ProcessData, orders: &[String]) -> usize {
    let mut count = 0;
    for id in orders {
        let history = data
            .store
            .order_history(data.utility.id, id.parse().expect("uuid"))
            .await
            .expect("order history");
        count += history
            .iter()
            .filter(|r| r.change.device_id.is_some())
            .count();
    }
    count
}

/// Records three actions on `route` for round `round`: a reading the first time an order is
/// touched, notes after that. Returns (order, entry id) of each call that returned. On `moved`
/// (reassigned away by the office) the device may refuse once it has learned of it.
async fn work_offline(
    context: &str,
    device: &Handheld,
    user: &str,
    route: &[String],
    round: u32,
    read_done: &mut HashSet<String>,
    moved: Option<&str>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for k in 0..3 {
        let order = route[(round as usize * 3 + k) % route.len()].clone();
        let first = read_done.insert(order.clone());
        let (o, text) = (order.clone(), format!("{user} round {round} #{k}"));
        let entry = device
            .run(move |c| {
                if first {
                    c.reading(&o, 1, "1050", None)
                } else {
                    c.note(&o, &text)
                }
            })
            .await;
        match entry {
            Ok(entry) => out.push((order, entry.id)),
            Err(ClientError::Refused(_) | ClientError::NotFound(_))
                if moved == Some(order.as_str()) => {}
            Err(e) => panic!("{context}: action refused: {e}"),
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_killed_mid_sync_loses_no_edit_and_applies_none_twice() {
    let (mut rng, seed) = Rng::from_env("server_killed_mid_sync");
    let context = format!("FIELDLINE_CRASH_SEED={seed}");
    let data = ProcessData::create(&[
        ("dispatcher", Role::Dispatcher),
        ("reader1", Role::Reader),
        ("reader2", Role::Reader),
    ])
    .await;
    let mut server = ServerProcess::start(Path::new(BIN), &data).await;
    let office = server.login("dispatcher").await;

    let users = ["reader1", "reader2"];
    let mut routes: Vec<Vec<String>> = Vec::new();
    for user in users {
        let mut route = Vec::new();
        for _ in 0..3 {
            route.push(create_read(&server, &data, &office, user).await);
        }
        routes.push(route);
    }
    let mut devices = Vec::new();
    for (user, route) in users.iter().zip(&routes) {
        let device = sign_in(&server, &data.device_home(user), user).await;
        let report = device.run(|c| c.sync()).await.expect("first sync");
        assert_eq!(report.new_orders, route.len(), "{report:?}");
        devices.push(device);
    }

    // What each device recorded (calls that returned), per order.
    let mut returned: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut read_done: HashSet<String> = HashSet::new();

    // A warm-up round without a kill measures how long the two concurrent syncs take, so the
    // kill moments spread over a whole sync (before, during and after the server's commit).
    for ((device, route), user) in devices.iter().zip(&routes).zip(users) {
        for (order, id) in
            work_offline(&context, device, user, route, 0, &mut read_done, None).await
        {
            returned.entry(order).or_default().push(id);
        }
    }
    let timer = Instant::now();
    let syncs: Vec<_> = devices.iter().map(|d| d.spawn(|c| c.sync())).collect();
    for sync in syncs {
        sync.await.expect("sync task").expect("warm-up sync");
    }
    let span_ms = (timer.elapsed().as_millis() as u64).max(5);
    let mut max_delay_ms = span_ms + span_ms / 2;
    let (mut shortest, mut longest) = (u64::MAX, 0u64);

    // Per device sync: failed before the server committed / the server committed but the
    // answer was lost / finished before the kill.
    let (mut cut, mut answer_lost, mut finished) = (0u32, 0u32, 0u32);
    let mut rounds = 0u32;
    // A third of the way in, the office gives one of reader1's orders to reader2: the
    // revocation (upload what it holds, then drop the order) is cut by kills too.
    let mut moved: Option<&str> = None;
    let started = Instant::now();
    while rounds < SERVER_ROUNDS && started.elapsed() < SERVER_BUDGET {
        rounds += 1;
        if rounds == SERVER_ROUNDS / 3 {
            let id = &routes[0][0];
            let response = server
                .post_json(
                    &format!("/api/v1/orders/{id}/assign"),
                    Some(&office),
                    &json!({"assignee": users[1], "reason": "crash test"}),
                )
                .await;
            assert_eq!(response.status, 200, "{}", response.text);
            moved = Some(id);
        }
        for ((device, route), user) in devices.iter().zip(&routes).zip(users) {
            for (order, id) in
                work_offline(&context, device, user, route, rounds, &mut read_done, moved).await
            {
                returned.entry(order).or_default().push(id);
            }
        }
        // The office writes too, so the answers the kills cut carry changes for the devices.
        for route in &routes {
            let id = &route[rounds as usize % route.len()];
            let response = server
                .post_json(
                    &format!("/api/v1/orders/{id}/notes"),
                    Some(&office),
                    &json!({"text": format!("office round {rounds}")}),
                )
                .await;
            assert!(response.status < 300, "{}", response.text);
        }
        let mut before = Vec::new();
        for route in &routes {
            before.push(logged_device_changes(&data, route).await);
        }
        // Both devices sync; the server dies under them.
        let syncs: Vec<_> = devices.iter().map(|d| d.spawn(|c| c.sync())).collect();
        let delay = rng.below(max_delay_ms + 1);
        (shortest, longest) = (shortest.min(delay), longest.max(delay));
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill_9();
        let mut finished_now = 0;
        for ((sync, route), before) in syncs.into_iter().zip(&routes).zip(before) {
            match sync.await.expect("sync task") {
                Ok(_) => finished_now += 1,
                Err(ClientError::Network(_) | ClientError::Protocol(_)) => {
                    let recorded: usize = route
                        .iter()
                        .map(|id| returned.get(id).map_or(0, Vec::len))
                        .sum();
                    let after = logged_device_changes(&data, route).await;
                    if after == before {
                        cut += 1;
                    } else {
                        assert_eq!(
                            after, recorded,
                            "{context}: round {rounds}: an upload was applied in part"
                        );
                        answer_lost += 1;
                    }
                }
                Err(e) => panic!("{context}: round {rounds}: a sync failed unexpectedly: {e}"),
            }
        }
        // Keep the kills inside the syncs when the machine gets slower or faster.
        match finished_now {
            0 => max_delay_ms += max_delay_ms / 4 + 1,
            2 => max_delay_ms = (max_delay_ms * 4 / 5).max(5),
            _ => {}
        }
        finished += finished_now;
        server.restart().await;
    }

    for (device, user) in devices.iter().zip(users) {
        sync_to_completion(device, &format!("{context}: {user}")).await;
    }
    if let Some(id) = moved {
        let held = devices[0].run(|c| c.orders()).await.expect("orders");
        assert!(
            held.iter().all(|o| o.order_id != id),
            "{context}: the reassigned order {id} is still on reader1's device"
        );
    }
    for (device, route) in devices.iter().zip(&routes) {
        for id in route {
            let recorded = returned.get(id).cloned().unwrap_or_default();
            // The reassigned order is checked against its new holder.
            let device = if moved == Some(id.as_str()) {
                &devices[1]
            } else {
                device
            };
            let scene = Scene {
                context: &context,
                server: &server,
                data: &data,
                office: &office,
            };
            check_order(&scene, device, id, &recorded, true).await;
        }
    }
    let actions: usize = returned.values().map(Vec::len).sum();
    say(&format!(
        "server_killed_mid_sync: two syncs took {span_ms} ms together before any kill; {rounds} \
         kills ({shortest}..={longest} ms into the syncs), {actions} \
         actions; syncs cut before the commit {cut}, committed but answer lost {answer_lost}, \
         finished {finished}; {} server starts, {:.1?}",
        server.starts,
        started.elapsed()
    ));
    drop(devices);
    server.kill_9();
    data.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_killed_while_recording_keeps_every_returned_action() {
    let (mut rng, seed) = Rng::from_env("device_killed_while_recording");
    let context = format!("FIELDLINE_CRASH_SEED={seed}");
    let data =
        ProcessData::create(&[("dispatcher", Role::Dispatcher), ("reader1", Role::Reader)]).await;
    let server = ServerProcess::start(Path::new(BIN), &data).await;
    let office = server.login("dispatcher").await;
    let order = create_read(&server, &data, &office, "reader1").await;
    let home: PathBuf = data.device_home("reader1");
    {
        let device = sign_in(&server, &home, "reader1").await;
        let report = device.run(|c| c.sync()).await.expect("first sync");
        assert_eq!(report.new_orders, 1, "{report:?}");
    }

    let log = data.dir.join("device.log");
    let mut printed: Vec<String> = Vec::new();
    let mut runs = 0u32;
    let started = Instant::now();
    while runs < DEVICE_RUNS && started.elapsed() < DEVICE_BUDGET {
        // Every other run also syncs every few actions, so some kills land inside a sync.
        let sync_every = (runs % 2 == 1).then_some(5);
        let mut device = ActionLoop::spawn(Path::new(BIN), &home, &order, runs, sync_every, &log);
        let want = 1 + rng.below(30) as usize;
        let deadline = Instant::now() + Duration::from_secs(30);
        while device.printed() < want {
            assert!(
                !device.exited(),
                "{context}: the action loop exited by itself:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            assert!(Instant::now() < deadline, "{context}: no progress in 30 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Then a random moment in the middle of the next actions.
        tokio::time::sleep(Duration::from_millis(rng.below(15))).await;
        printed.extend(device.kill_9());
        runs += 1;
    }

    let syncs = printed.iter().filter(|l| l.starts_with("synced ")).count();
    let failed_syncs: Vec<&String> = printed
        .iter()
        .filter(|l| l.starts_with("sync-failed "))
        .collect();
    assert!(
        failed_syncs.is_empty(),
        "{context}: the device's syncs failed: {failed_syncs:?}"
    );
    let recorded: Vec<String> = printed
        .iter()
        .filter(|line| line.starts_with("entry "))
        .map(|line| {
            line.split_whitespace()
                .nth(1)
                .unwrap_or_else(|| panic!("unexpected line {line:?}"))
                .to_string()
        })
        .collect();
    let twice = duplicates(recorded.clone());
    assert!(twice.is_empty(), "{context}: ids printed twice: {twice:?}");

    // The device restarts: what it printed is in its store before any sync.
    let device = Handheld::open_at(&home).await;
    let local: Vec<String> = field_entries(&device.doc(&order).await)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let local: HashSet<&String> = local.iter().collect();
    let missing: Vec<&String> = recorded.iter().filter(|e| !local.contains(e)).collect();
    assert!(
        missing.is_empty(),
        "{context}: lost on the device: {missing:?}"
    );
    sync_to_completion(&device, &context).await;
    let scene = Scene {
        context: &context,
        server: &server,
        data: &data,
        office: &office,
    };
    check_order(&scene, &device, &order, &recorded, false).await;
    let extra = local.len() - recorded.len().min(local.len());
    say(&format!(
        "device_killed_while_recording: {runs} kills, {} actions reported, {extra} more committed \
         but cut before their line, {syncs} syncs finished by the loop, {:.1?}",
        recorded.len(),
        started.elapsed()
    ));
    drop(device);
    drop(server);
    data.cleanup().await;
}
