//! The HTTP side against a fake of the server's contract: sign-in registers the device and its
//! actor, a sync round trip delivers and acknowledges, an expired token keeps all work, an old
//! app is told to update, and a server that is down is a network error.

use crate::support::{FakeServer, device_dir, signed_in};
use fieldline_core::client::{ClientError, FieldClient};

#[test]
fn sign_in_registers_the_device_and_its_actor() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let account = client.account().expect("account").expect("signed in");
    assert_eq!(account.role, "reader");
    let state = server.state.lock().expect("state");
    let registration = state.registrations.last().expect("registered");
    assert_eq!(registration["device_id"], account.device_id.as_str());
    assert_eq!(registration["name"], "test handheld");
    assert_eq!(registration["protocol_version"], 1);
    assert_eq!(registration["actors"].as_array().map(Vec::len), Some(1));
}

#[test]
fn wrong_password_is_unauthorized_and_signs_nobody_in() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = FieldClient::open(dir.path()).expect("open");
    assert!(matches!(
        client.sign_in(&server.url, "rita", "nope", "h"),
        Err(ClientError::Unauthorized(_))
    ));
    assert!(client.account().expect("account").is_none());
}

#[test]
fn a_sync_round_trip_delivers_orders_and_acknowledges_work() {
    let server = FakeServer::start(&[("rita", "reader")]);
    server.dispatch("order-1", "rita");
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");

    let report = client.sync().expect("first sync");
    assert_eq!(report.round_trips, 1);
    assert_eq!(report.new_orders, 1);
    client.en_route("order-1").expect("en route");
    client.arrive("order-1").expect("arrive");
    assert_eq!(client.status().expect("status").pending_changes, 2);

    let report = client.sync().expect("second sync");
    assert_eq!(report.uploaded_changes, 2);
    assert_eq!(report.acked_orders, 1);
    let status = client.status().expect("status");
    assert_eq!(status.pending_changes, 0);
    assert!(status.last_sync_at.is_some());
    assert_eq!(status.last_error, None);

    let report = client.sync().expect("idle sync");
    assert_eq!(report.uploaded_changes, 0);
    assert!(report.bytes_sent < 1024 && report.bytes_received < 1024);
    let state = server.state.lock().expect("state");
    let server_doc = state.docs.get("order-1").expect("server doc");
    assert_eq!(server_doc.record().expect("record").field.len(), 2);
}

#[test]
fn an_expired_token_keeps_the_work_until_the_same_user_signs_in_again() {
    let server = FakeServer::start(&[("rita", "reader")]);
    server.dispatch("order-1", "rita");
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client.sync().expect("sync");
    client.en_route("order-1").expect("offline work");

    {
        let mut state = server.state.lock().expect("state");
        state.fail_next_sync = Some((401, "token_expired"));
        // The refresh token has expired too: only a password sign-in helps now.
        state.refuse_refresh = true;
    }
    assert!(matches!(client.sync(), Err(ClientError::Unauthorized(_))));
    let status = client.status().expect("status");
    assert!(status.sign_in_needed);
    assert_eq!(status.pending_changes, 1);
    assert!(status.last_error.is_some());
    client.arrive("order-1").expect("work goes on offline");
    assert!(
        matches!(client.sync(), Err(ClientError::Unauthorized(_))),
        "no token, no sync"
    );

    server.state.lock().expect("state").refuse_refresh = false;
    client
        .sign_in(&server.url, "rita", "pw", "test handheld")
        .expect("sign in again");
    let report = client.sync().expect("sync after sign-in");
    assert_eq!(report.uploaded_changes, 2);
    assert_eq!(client.status().expect("status").pending_changes, 0);
}

#[test]
fn a_token_the_server_calls_expired_is_refreshed_once_and_the_sync_retried() {
    let server = FakeServer::start(&[("rita", "reader")]);
    server.dispatch("order-1", "rita");
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client.sync().expect("sync");
    client.en_route("order-1").expect("offline work");

    server.state.lock().expect("state").fail_next_sync = Some((401, "token_expired"));
    let report = client.sync().expect("refreshed and retried");
    assert_eq!(report.uploaded_changes, 1);
    let state = server.state.lock().expect("state");
    assert_eq!(state.refreshes, 1, "one refresh");
    assert_eq!(
        state.refresh_tokens.get("rita").map(String::as_str),
        Some("refresh-rita-r1"),
        "the device keeps the rotated refresh token"
    );
    drop(state);
    assert!(!client.status().expect("status").sign_in_needed);
}

#[test]
fn an_access_token_about_to_expire_is_refreshed_before_the_sync() {
    let server = FakeServer::start(&[("rita", "reader")]);
    // Every access token the fake hands out is already at its end.
    server.state.lock().expect("state").expires_in = 0;
    server.dispatch("order-1", "rita");
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    assert!(
        !client.status().expect("status").sign_in_needed,
        "an expired access token with a refresh token needs no sign-in"
    );
    client.sync().expect("sync");
    client.en_route("order-1").expect("work");
    client.sync().expect("second sync");
    let state = server.state.lock().expect("state");
    assert_eq!(state.refreshes, 2, "one refresh before each sync");
    assert_eq!(state.syncs.len(), 2, "no refused sync on the way");
}

#[test]
fn a_refused_refresh_is_sign_in_again_and_keeps_every_edit() {
    let server = FakeServer::start(&[("rita", "reader")]);
    server.state.lock().expect("state").expires_in = 0;
    server.dispatch("order-1", "rita");
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client.sync().expect("sync");
    client.en_route("order-1").expect("work");
    server.state.lock().expect("state").refuse_refresh = true;
    assert!(matches!(client.sync(), Err(ClientError::Unauthorized(_))));
    let status = client.status().expect("status");
    assert!(status.sign_in_needed);
    assert_eq!(status.pending_changes, 1, "the edit is kept");
    assert_eq!(server.state.lock().expect("state").syncs.len(), 1);
}

#[test]
fn an_old_app_is_told_to_update_and_keeps_its_work() {
    let server = FakeServer::start(&[("rita", "reader")]);
    server.dispatch("order-1", "rita");
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client.sync().expect("sync");
    client.en_route("order-1").expect("work");
    server.state.lock().expect("state").fail_next_sync = Some((426, "update_required"));
    assert!(matches!(client.sync(), Err(ClientError::UpdateRequired(_))));
    assert_eq!(client.status().expect("status").pending_changes, 1);
}

#[test]
fn a_server_that_is_down_is_a_network_error_and_offline_work_goes_on() {
    let server = FakeServer::start(&[("rita", "reader")]);
    server.dispatch("order-1", "rita");
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client.sync().expect("sync");
    drop(client);

    // The same store, pointed at a port nobody listens on.
    let conn = rusqlite::Connection::open(dir.path().join(fieldline_core::client::DATABASE_FILE))
        .expect("open");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    conn.execute("UPDATE accounts SET server_url = ?1", [&dead_url])
        .expect("repoint");
    drop(conn);

    let client = FieldClient::open(dir.path()).expect("reopen");
    client.en_route("order-1").expect("offline work");
    assert!(matches!(client.sync(), Err(ClientError::Network(_))));
    assert!(matches!(
        client.sign_in(&dead_url, "rita", "pw", "h"),
        Err(ClientError::Network(_))
    ));
    assert_eq!(client.status().expect("status").pending_changes, 1);
    assert_eq!(client.orders().expect("orders").len(), 1);
}

#[test]
fn a_lost_answer_loses_nothing_and_the_next_sync_finishes() {
    let server = FakeServer::start(&[("rita", "reader")]);
    server.dispatch("order-1", "rita");
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client.sync().expect("sync");
    client.en_route("order-1").expect("work");

    server.state.lock().expect("state").lose_next_answer = true;
    assert!(matches!(client.sync(), Err(ClientError::Network(_))));
    assert_eq!(client.status().expect("status").pending_changes, 1);

    let report = client.sync().expect("the next sync");
    assert_eq!(
        report.uploaded_changes, 1,
        "sent again: the server takes it once"
    );
    assert_eq!(client.status().expect("status").pending_changes, 0);
    let state = server.state.lock().expect("state");
    let doc = state.docs.get("order-1").expect("server doc");
    assert_eq!(doc.record().expect("record").field.len(), 1);
}

#[test]
fn a_paged_answer_is_followed_until_the_server_has_no_more() {
    let server = FakeServer::start(&[("rita", "reader")]);
    for n in 0..5 {
        server.dispatch(&format!("order-{n}"), "rita");
    }
    server.state.lock().expect("state").page_size = 2;
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let report = client.sync().expect("sync");
    assert_eq!(report.round_trips, 3);
    assert_eq!(report.new_orders, 5);
    assert_eq!(client.orders().expect("orders").len(), 5);
}

#[test]
fn a_server_behind_the_cursor_gets_the_devices_holdings() {
    let server = FakeServer::start(&[("rita", "reader")]);
    server.dispatch("order-1", "rita");
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client.sync().expect("sync");
    server.state.lock().expect("state").demand_reconcile = true;
    let report = client.sync().expect("sync");
    assert_eq!(report.round_trips, 2);
    let state = server.state.lock().expect("state");
    let (_, last) = state.syncs.last().expect("a sync");
    assert_eq!(last.holdings.len(), 1);
    assert_eq!(last.holdings[0].order_id, "order-1");
}

#[test]
fn a_field_found_order_travels_like_any_other_change() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let mut office = crate::common::cycle_read_office();
    office.order_type = fieldline_core::OrderType::FieldFound;
    let order_id = client.create_order(&office).expect("create");
    let orders = client.orders().expect("orders");
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].order_id, order_id);
    assert_eq!(orders[0].status, fieldline_core::Status::Assigned);
    client.arrive(&order_id).expect("work on it");

    let report = client.sync().expect("sync");
    assert_eq!(report.uploaded_changes, 3, "create, assign, arrive");
    assert_eq!(client.status().expect("status").pending_changes, 0);
    let state = server.state.lock().expect("state");
    let server_doc = state.docs.get(&order_id).expect("on the server");
    assert_eq!(
        server_doc.to_json().expect("json"),
        client
            .document(&order_id)
            .expect("doc")
            .to_json()
            .expect("json")
    );
}

#[test]
fn a_field_found_report_becomes_an_order_that_syncs_and_a_refused_one_writes_nothing() {
    use fieldline_core::action::{FieldAction, PhotoKind, PhotoRef};
    use fieldline_core::capture::{Capture, ProblemSeverity};
    use fieldline_core::field_found::FieldReport;
    use fieldline_core::model::{GeoPoint, GpsFix, Source};

    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let report = FieldReport {
        code: "leak".into(),
        severity: ProblemSeverity::High,
        address: "12 Elm St".into(),
        photos: vec![PhotoRef {
            sha256: "ab".repeat(32),
            kind: PhotoKind::Leak,
        }],
        note: None,
    };
    match client.create_field_found(report.clone(), None) {
        Err(ClientError::Refused(refusal)) => {
            assert_eq!(
                (refusal.rule.as_str(), refusal.field.as_str()),
                ("field_found.problem", "gps")
            );
        }
        other => panic!("a report without a fix must be refused: {other:?}"),
    }
    assert!(
        client.orders().expect("orders").is_empty(),
        "nothing written"
    );

    let fix = GpsFix {
        point: GeoPoint {
            lat: 45.5,
            lon: -122.6,
        },
        accuracy_m: 5.0,
    };
    let (order_id, entry) = client
        .create_field_found(report, Some(fix))
        .expect("created");
    assert!(matches!(
        entry.action,
        FieldAction::Capture { capture: Capture::Problem { ref code, severity: ProblemSeverity::High }, .. } if code == "leak"
    ));
    let view = client.order(&order_id).expect("view");
    assert_eq!(view.office.source, Source::FieldFound);
    assert_eq!(view.field.len(), 1);
    assert!(
        view.exceptions.iter().any(|e| e.code == "leak"),
        "{:?}",
        view.exceptions
    );
    assert!(client.status().expect("status").pending_changes > 0);

    client.sync().expect("sync");
    assert_eq!(client.status().expect("status").pending_changes, 0);
    let state = server.state.lock().expect("state");
    let server_doc = state.docs.get(&order_id).expect("on the server");
    assert_eq!(
        server_doc.to_json().expect("json"),
        client
            .document(&order_id)
            .expect("doc")
            .to_json()
            .expect("json")
    );
}
