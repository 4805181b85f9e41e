//! Shift-end sync of a 500-order route, five field actions per order, against a real server on
//! 127.0.0.1 with its embedded SQLite store: bytes on the wire against the compact JSON of the
//! field entries added, round trips, device and server CPU time, the server's apply rate, and the
//! same edits synced with automerge's own per-document sync protocol, side by side.
//!
//! Run with `cargo bench -p fieldline-tests --bench sync_route` (results in BENCHMARKS.md).
//! `FIELDLINE_BENCH_ORDERS` changes the route size, `FIELDLINE_BENCH_ROUNDS` the number of rounds
//! (default 5; each starts from scratch, the summary gives the median and the best), and
//! `FIELDLINE_BENCH_PAUSE` makes each round wait for a line on stdin before and after its sync
//! (to attach a profiler; use one round).

use chrono::{Duration, Utc};
use fieldline_core::client::FieldClient;
use fieldline_core::document::automerge::Automerge;
use fieldline_core::document::automerge::sync::{State, SyncDoc};
use fieldline_core::{
    AccountStatus, FieldAction, OfficeData, OrderType, PhotoKind, PhotoRef, Priority, ReadMethod,
    ReadingInput, Source, Timestamp,
};
use fieldline_server::orders::{
    PreparedOrder, account_snapshot, insert_prepared, meter_snapshot, premise_snapshot,
};
use fieldline_server::store::{Account, Meter, MeterRegister, Premise, UtilityId};
use fieldline_tests::{PASSWORD, TestServer};
use serde_json::json;
use std::fs;
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

/// CPU time of every thread of this process, in nanoseconds (Linux `schedstat`).
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|t| fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| {
            s.split_whitespace()
                .next()
                .and_then(|n| n.parse::<u64>().ok())
        })
        .sum()
}

/// CPU time of the calling thread, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// One premise with its account and one-register meter, as billing would have loaded them.
fn network(utility: UtilityId, i: usize) -> (Premise, Account, Meter) {
    let premise = Premise {
        id: Uuid::new_v4(),
        utility_id: utility,
        address: format!("{} Elm St", 100 + 2 * i),
        city: "Riverton".into(),
        lat: Some(43.02 + i as f64 * 1e-4),
        lon: Some(-108.39),
        access_notes: None,
        hazards: vec![],
        service_area: None,
        book: None,
    };
    let account = Account {
        id: Uuid::new_v4(),
        utility_id: utility,
        number: format!("100-{i:05}"),
        premise_id: premise.id,
        customer_name: format!("Customer {i}"),
        status: AccountStatus::Active,
        balance_cents: 0,
        past_due_cents: 0,
        notice_served_at: None,
        medical_hold: false,
        life_support: false,
        payment_plan: false,
        as_of: Utc::now(),
    };
    let previous = 1_000 + (i % 97);
    let meter = Meter {
        id: Uuid::new_v4(),
        utility_id: utility,
        serial: format!("SN{i:07}"),
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
            last_read: Some(previous.to_string()),
            last_read_at: Some(Utc::now() - Duration::days(30)),
            low_limit: Some(previous as f64 + 2.0),
            high_limit: Some(previous as f64 + 40.0),
        }],
    };
    (premise, account, meter)
}

fn office(
    i: usize,
    now: Timestamp,
    premise: &Premise,
    account: &Account,
    meter: &Meter,
) -> OfficeData {
    OfficeData {
        order_type: OrderType::CycleRead,
        reason: None,
        priority: Priority::Normal,
        source: Source::Cycle,
        created_by: "dispatcher".into(),
        created_at: now,
        due_at: Some(Timestamp(now.0 + Timestamp::DAY_MS)),
        appointment_start: None,
        appointment_end: None,
        route: None,
        sequence: Some(i as u32 + 1),
        premise: Some(premise_snapshot(premise)),
        account: Some(account_snapshot(account)),
        meter: Some(meter_snapshot(meter)),
        instructions: None,
        details: Default::default(),
    }
}

/// The five actions a reader records at one meter.
fn shift_actions(i: usize) -> Vec<FieldAction> {
    let value = format!("{}", 1_000 + (i % 97) + 15);
    vec![
        FieldAction::Arrive,
        FieldAction::Reading {
            readings: vec![ReadingInput {
                register: 1,
                value,
                confirmation: None,
                method: ReadMethod::Keyed,
            }],
            reader_codes: vec![],
            trouble_code: None,
            note: None,
            photos: vec![],
        },
        FieldAction::Photo {
            photo: PhotoRef {
                sha256: format!("{:064x}", i as u128 * 0x9e37_79b9_7f4a_7c15),
                kind: PhotoKind::Register,
            },
        },
        FieldAction::Note {
            code: None,
            text: format!("meter {i}: lid replaced"),
        },
        FieldAction::Complete {
            code: None,
            photos: vec![],
        },
    ]
}

/// Bytes and message exchanges for automerge's sync protocol to bring `server` up to `device`.
fn automerge_sync(device: &Automerge, server: &Automerge) -> (usize, usize) {
    let (mut device, mut server) = (device.clone(), server.clone());
    let (mut ds, mut ss) = (State::new(), State::new());
    let (mut bytes, mut messages) = (0, 0);
    for _ in 0..16 {
        let mut progressed = false;
        if let Some(message) = device.generate_sync_message(&mut ds) {
            let encoded = message.encode();
            bytes += encoded.len();
            messages += 1;
            let decoded = fieldline_core::document::automerge::sync::Message::decode(&encoded)
                .expect("automerge decodes its own message");
            server
                .receive_sync_message(&mut ss, decoded)
                .expect("server receives");
            progressed = true;
        }
        if let Some(message) = server.generate_sync_message(&mut ss) {
            let encoded = message.encode();
            bytes += encoded.len();
            messages += 1;
            let decoded = fieldline_core::document::automerge::sync::Message::decode(&encoded)
                .expect("automerge decodes its own message");
            device
                .receive_sync_message(&mut ds, decoded)
                .expect("device receives");
            progressed = true;
        }
        if !progressed {
            break;
        }
    }
    assert_eq!(
        device.get_heads(),
        server.get_heads(),
        "automerge sync converged"
    );
    (bytes, messages)
}

/// Prints `what` with this process's id and waits for a line on stdin (profiling pauses).
fn wait_for_line(what: &str) {
    println!("{what} (pid {}): press enter", std::process::id());
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

fn main() {
    let orders: usize = std::env::var("FIELDLINE_BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    // CPU time only grows when other work shares the cores, so each round starts from scratch
    // (a new server, route and device) and the summary gives the median and the best round.
    let rounds: usize = std::env::var("FIELDLINE_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5)
        .max(1);
    let mut results = Vec::with_capacity(rounds);
    for round in 0..rounds {
        results.push(runtime.block_on(run(orders, round == 0)));
    }
    summarize(&results);
}

/// What one round measured.
struct Round {
    changes: usize,
    server_cpu_ns: u64,
    device_cpu_ns: u64,
    wall_ms: f64,
}

impl Round {
    fn rate(&self) -> f64 {
        self.changes as f64 / (self.server_cpu_ns as f64 / 1e9)
    }
}

fn summarize(results: &[Round]) {
    let ms = |ns: u64| ns as f64 / 1e6;
    let mut cpu: Vec<u64> = results.iter().map(|r| r.server_cpu_ns).collect();
    cpu.sort_unstable();
    let median = cpu[cpu.len() / 2];
    let best = cpu[0];
    let changes = results[0].changes as f64;
    println!(
        "{} rounds: server CPU per round {}",
        results.len(),
        results
            .iter()
            .map(|r| format!("{:.1}", ms(r.server_cpu_ns)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "  server CPU, median (best):               {:>10.1} ms  ({:.1} ms)",
        ms(median),
        ms(best)
    );
    println!(
        "  server apply rate, median (best):        {:>10.0} changes/s per core  ({:.0})",
        changes / (median as f64 / 1e9),
        changes / (best as f64 / 1e9)
    );
    let mut device: Vec<u64> = results.iter().map(|r| r.device_cpu_ns).collect();
    device.sort_unstable();
    let mut wall: Vec<f64> = results.iter().map(|r| r.wall_ms).collect();
    wall.sort_by(f64::total_cmp);
    println!(
        "  device CPU, median:                      {:>10.1} ms",
        ms(device[device.len() / 2])
    );
    println!(
        "  wall time of the sync, median:           {:>10.1} ms",
        wall[wall.len() / 2]
    );
}

/// One round: a new server and route, a shift offline, the shift-end sync. The first round also
/// prints the wire comparison and runs automerge's per-document protocol on the same edits.
async fn run(orders: usize, compare: bool) -> Round {
    let server = TestServer::start().await;
    let now = Timestamp(Utc::now().timestamp_millis());
    let utility = server.utility.id;
    let rows: Vec<(Premise, Account, Meter)> = (0..orders).map(|i| network(utility, i)).collect();
    let store = server.store();
    let premises: Vec<Premise> = rows.iter().map(|r| r.0.clone()).collect();
    let accounts: Vec<Account> = rows.iter().map(|r| r.1.clone()).collect();
    let meters: Vec<Meter> = rows.iter().map(|r| r.2.clone()).collect();
    store
        .insert_premises(utility, &premises)
        .await
        .expect("premises");
    store
        .insert_accounts(utility, &accounts)
        .await
        .expect("accounts");
    store.insert_meters(utility, &meters).await.expect("meters");
    let prepared: Vec<PreparedOrder> = rows
        .iter()
        .enumerate()
        .map(|(i, (p, a, m))| PreparedOrder {
            id: Uuid::new_v4(),
            office: office(i, now, p, a, m),
            assignee: Some("reader1".into()),
            route_id: None,
        })
        .collect();
    insert_prepared(
        server.store(),
        server.utility.id,
        "dispatcher",
        &prepared,
        Utc::now() - Duration::hours(1),
    )
    .await
    .expect("route created");

    let dir = std::env::temp_dir().join(format!("fieldline-bench-{}", Uuid::new_v4()));
    let url = server.base_url.clone();
    let client = tokio::task::spawn_blocking(move || {
        let client = FieldClient::open(&dir).expect("device store");
        client
            .sign_in(&url, "reader1", PASSWORD, "bench handheld")
            .expect("sign in");
        (Arc::new(client), dir)
    })
    .await
    .expect("device task");
    let (client, dir) = client;

    // Start of shift: the route arrives.
    let c = Arc::clone(&client);
    let start = tokio::task::spawn_blocking(move || c.sync().expect("first sync"))
        .await
        .expect("device task");
    assert_eq!(start.new_orders, orders);

    // The shift, offline: five actions per order; keep the start-of-shift documents for the
    // automerge comparison.
    let c = Arc::clone(&client);
    let (json_bytes, before, after, actions) = tokio::task::spawn_blocking(move || {
        let ids: Vec<String> = c
            .orders()
            .expect("orders")
            .into_iter()
            .map(|o| o.order_id)
            .collect();
        let mut json_bytes = 0;
        let mut before = Vec::new();
        let mut after = Vec::new();
        let mut actions = 0;
        for (i, id) in ids.iter().enumerate() {
            before.push(c.document(id).expect("doc").save());
            for action in shift_actions(i) {
                let entry = c.record(id, action).expect("the rules accept it");
                // What a plain REST client would upload for this entry.
                let body =
                    json!({"order_id": id, "action": entry.action, "context": entry.context});
                json_bytes += serde_json::to_vec(&body).map_or(0, |v| v.len());
                actions += 1;
            }
            after.push(c.document(id).expect("doc").save());
        }
        (json_bytes, before, after, actions)
    })
    .await
    .expect("device task");

    // End of shift: one sync. With FIELDLINE_BENCH_PAUSE set, the bench says so and waits for a
    // line on stdin before and after it, so a profiler can attach to exactly the sync.
    let pause = std::env::var_os("FIELDLINE_BENCH_PAUSE").is_some();
    if pause {
        wait_for_line("about to sync");
    }
    let c = Arc::clone(&client);
    let cpu_before = process_cpu_ns();
    let wall = Instant::now();
    let (report, device_cpu) = tokio::task::spawn_blocking(move || {
        let t0 = thread_cpu_ns();
        let report = c.sync().expect("shift-end sync");
        (report, thread_cpu_ns() - t0)
    })
    .await
    .expect("device task");
    let wall = wall.elapsed();
    let total_cpu = process_cpu_ns() - cpu_before;
    let server_cpu = total_cpu.saturating_sub(device_cpu);
    assert_eq!(report.uploaded_changes, actions, "{report:?}");
    if pause {
        wait_for_line("synced");
    }

    let round = Round {
        changes: report.uploaded_changes,
        server_cpu_ns: server_cpu,
        device_cpu_ns: device_cpu,
        wall_ms: wall.as_secs_f64() * 1e3,
    };
    let ms = |ns: u64| ns as f64 / 1e6;
    if !compare {
        println!(
            "round: server CPU {:.1} ms ({:.0} changes/s per core), device CPU {:.1} ms, wall {:.1} ms",
            ms(server_cpu),
            round.rate(),
            ms(device_cpu),
            round.wall_ms
        );
        let _ = std::fs::remove_dir_all(&dir);
        drop(client);
        server.stop().await;
        return round;
    }

    // The same edits with automerge's per-document sync protocol.
    let (mut am_bytes, mut am_messages, mut am_max) = (0, 0, 0);
    let am_start = Instant::now();
    for (b, a) in before.iter().zip(&after) {
        let server_doc = Automerge::load(b).expect("start-of-shift doc");
        let device_doc = Automerge::load(a).expect("end-of-shift doc");
        let (bytes, messages) = automerge_sync(&device_doc, &server_doc);
        am_bytes += bytes;
        am_messages += messages;
        am_max = am_max.max(messages);
    }
    let am_cpu = am_start.elapsed();

    let wire = report.bytes_sent + report.bytes_received;
    println!(
        "shift-end sync of a {orders}-order route, {actions} actions ({} changes)",
        report.uploaded_changes
    );
    println!("  compact JSON of the entries added:      {json_bytes:>10} bytes");
    println!(
        "  fieldline sync, both directions:         {wire:>10} bytes  ({:.2}x JSON; {} up, {} down)",
        wire as f64 / json_bytes as f64,
        report.bytes_sent,
        report.bytes_received
    );
    println!(
        "  fieldline round trips:                   {:>10}",
        report.round_trips
    );
    println!(
        "  automerge sync protocol, per document:   {am_bytes:>10} bytes  ({:.2}x JSON), {am_messages} messages ({:.1} per document, up to {am_max}), {:.0} ms CPU",
        am_bytes as f64 / json_bytes as f64,
        am_messages as f64 / orders as f64,
        am_cpu.as_secs_f64() * 1e3
    );
    println!(
        "  wall time of the sync:                   {:>10.1} ms",
        wall.as_secs_f64() * 1e3
    );
    println!(
        "  device CPU:                              {:>10.1} ms",
        ms(device_cpu)
    );
    println!(
        "  server CPU (process minus device):       {:>10.1} ms",
        ms(server_cpu)
    );
    println!(
        "  server apply rate:                       {:>10.0} changes/s per core (checked, durably committed on SQLite)",
        report.uploaded_changes as f64 / (server_cpu as f64 / 1e9)
    );
    let _ = std::fs::remove_dir_all(&dir);
    drop(client);
    server.stop().await;
    round
}
