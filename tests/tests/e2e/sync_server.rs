//! The server side of device sync over HTTP with raw frames: device registration, a first sync
//! that delivers the route, an upload the office sees with its audit row, office edits reaching
//! the device, an idle sync under 1 KB, and every refusal as JSON with a stable code.

use crate::fixtures::metered_premise;
use chrono::Utc;
use fieldline_core::document::automerge::ActorId;
use fieldline_core::reference::ReferenceData;
use fieldline_core::sync::wire::{self, CONTENT_TYPE, WireLimits};
use fieldline_core::sync::{DocChanges, PROTOCOL_VERSION, SyncRequest, SyncResponse};
use fieldline_core::{
    ActionContext, FieldAction, ReadMethod, ReadingInput, Timestamp, WorkOrderDoc,
};
use fieldline_tests::{PASSWORD, TestServer};
use serde_json::{Value, json};
use uuid::Uuid;

/// A handheld as the server sees it: its id, its bound actor, its feed cursor.
struct Handheld {
    id: Uuid,
    actor: ActorId,
    token: String,
    cursor: Option<u64>,
}

async fn register(server: &TestServer, user: &str) -> Handheld {
    let token = server.login(user, PASSWORD).await;
    let actor = ActorId::random();
    let id = Uuid::new_v4();
    let response = server
        .post_json(
            "/api/v1/devices",
            Some(&token),
            &json!({
                "device_id": id, "name": "Truck 4", "app_version": "1.0.0",
                "protocol_version": PROTOCOL_VERSION, "actors": [actor.to_hex_string()],
            }),
        )
        .await;
    assert_eq!(response.status, 200, "register: {}", response.text);
    assert_eq!(response.json()["device_id"], id.to_string());
    Handheld {
        id,
        actor,
        token,
        cursor: None,
    }
}

/// Posts a raw frame; returns the status, the content type and the body bytes.
async fn post_frame(
    server: &TestServer,
    token: Option<&str>,
    content_type: &str,
    frame: Vec<u8>,
) -> (u16, String, Vec<u8>) {
    let mut request = server
        .client
        .post(format!("{}/api/v1/sync", server.base_url))
        .header("content-type", content_type)
        .body(frame);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.bytes().await.expect("body").to_vec();
    (status, content_type, body)
}

fn request_of(h: &Handheld, uploads: Vec<DocChanges>) -> SyncRequest {
    SyncRequest {
        app_version: "1.0.0".into(),
        device_id: h.id.to_string(),
        cursor: h.cursor,
        uploads,
        holdings: vec![],
    }
}

/// One sync; returns the answer and the bytes each way.
async fn sync(
    server: &TestServer,
    h: &mut Handheld,
    uploads: Vec<DocChanges>,
) -> (SyncResponse, usize, usize) {
    let frame = wire::encode_request(&request_of(h, uploads));
    let up = frame.len();
    let (status, content_type, body) =
        post_frame(server, Some(&h.token), CONTENT_TYPE, frame).await;
    assert_eq!(status, 200, "sync: {}", String::from_utf8_lossy(&body));
    assert_eq!(content_type, CONTENT_TYPE);
    let response = wire::decode_response(&body, &WireLimits::default()).expect("a response frame");
    h.cursor = Some(response.cursor);
    (response, up, body.len())
}

fn error_of(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or(Value::Null)
}

async fn order_for(server: &TestServer, assignee: &str) -> String {
    let (_, meter) = metered_premise(server, &server.utility).await;
    let token = server.login("dispatcher", PASSWORD).await;
    let created = server
        .post_json(
            "/api/v1/orders",
            Some(&token),
            &json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": assignee}),
        )
        .await;
    assert_eq!(created.status, 201, "create: {}", created.text);
    created.json()["id"].as_str().expect("id").to_string()
}

fn reading(doc: &mut WorkOrderDoc, value: &str) {
    let action = FieldAction::Reading {
        readings: vec![ReadingInput {
            register: 1,
            value: value.into(),
            confirmation: None,
            method: ReadMethod::Keyed,
        }],
        reader_codes: vec![],
        trouble_code: None,
        note: None,
        photos: vec![],
    };
    let context = ActionContext {
        user: "reader1".into(),
        device_time: Timestamp(Utc::now().timestamp_millis()),
        gps: None,
    };
    doc.record_field_action(action, context, &ReferenceData::default())
        .expect("reading recorded");
}

#[tokio::test]
async fn a_reading_synced_from_a_device_reaches_the_office_with_its_audit_row() {
    let server = TestServer::start().await;
    let order = order_for(&server, "reader1").await;
    let mut h = register(&server, "reader1").await;
    let (first, _, _) = sync(&server, &mut h, vec![]).await;
    assert_eq!(first.documents.len(), 1);
    assert_eq!(first.documents[0].order_id, order);

    let mut doc = WorkOrderDoc::load(&first.documents[0].doc).expect("document");
    doc.set_actor(h.actor.clone());
    let acked = doc.heads();
    reading(&mut doc, "1050");
    let changes = doc.changes_since(&acked);
    let upload = vec![DocChanges {
        order_id: order.clone(),
        changes,
    }];
    let (answer, _, _) = sync(&server, &mut h, upload.clone()).await;
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    assert_eq!(answer.acked.len(), 1);
    let heads: Vec<[u8; 32]> = doc.heads().iter().map(|x| x.0).collect();
    assert_eq!(answer.acked[0].heads, heads);

    let office = server.login("dispatcher", PASSWORD).await;
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.json()["field"].as_array().map(Vec::len), Some(1));
    let history = server
        .get(&format!("/api/v1/orders/{order}/history"), Some(&office))
        .await
        .json();
    let last = history
        .as_array()
        .and_then(|rows| rows.last().cloned())
        .unwrap_or(Value::Null);
    assert_eq!(last["summary"], "field:reading");
    assert_eq!(last["user"], "reader1");
    assert_eq!(last["device_id"], h.id.to_string());
    assert!(last["device_time"].is_string() && last["received_at"].is_string());

    // Sending it again (an interrupted sync retried) changes nothing.
    let rows = history.as_array().map(Vec::len);
    let (again, _, _) = sync(&server, &mut h, upload).await;
    assert_eq!(again.acked, answer.acked);
    let history = server
        .get(&format!("/api/v1/orders/{order}/history"), Some(&office))
        .await
        .json();
    assert_eq!(history.as_array().map(Vec::len), rows);
    server.stop().await;
}

#[tokio::test]
async fn office_edits_reach_the_device_and_an_idle_sync_is_under_a_kilobyte() {
    let server = TestServer::start().await;
    let order = order_for(&server, "reader1").await;
    let mut h = register(&server, "reader1").await;
    let (first, _, _) = sync(&server, &mut h, vec![]).await;
    let mut doc = WorkOrderDoc::load(&first.documents[0].doc).expect("document");

    let office = server.login("dispatcher", PASSWORD).await;
    let cancelled = server
        .post_json(
            &format!("/api/v1/orders/{order}/cancel"),
            Some(&office),
            &json!({"reason": "account closed"}),
        )
        .await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    let (answer, _, _) = sync(&server, &mut h, vec![]).await;
    assert_eq!(answer.changes.len(), 1);
    doc.apply_changes(&answer.changes[0].changes)
        .expect("applies");
    assert_eq!(
        doc.derive().expect("derive").status,
        fieldline_core::Status::Cancelled
    );

    let (idle, up, down) = sync(&server, &mut h, vec![]).await;
    assert_eq!(idle, SyncResponse::empty(answer.cursor));
    assert!(
        up < 1024 && down < 1024,
        "idle sync: {up} B up, {down} B down"
    );
    server.stop().await;
}

#[tokio::test]
async fn device_registration_refuses_taken_ids_and_bad_input() {
    let server = TestServer::start().await;
    let h = register(&server, "reader1").await;
    let again = server
        .post_json(
            "/api/v1/devices",
            Some(&h.token),
            &json!({"device_id": h.id, "name": "Truck 4", "app_version": "1.0.1",
                    "protocol_version": 1, "actors": [h.actor.to_hex_string()]}),
        )
        .await;
    assert_eq!(again.status, 200, "idempotent: {}", again.text);

    let inspector = server.login("inspector1", PASSWORD).await;
    let cases = [
        (
            json!({"device_id": Uuid::new_v4(), "name": "x", "app_version": "1", "protocol_version": 1,
                   "actors": [h.actor.to_hex_string()]}),
            409,
            "actor_taken",
        ),
        (
            json!({"device_id": h.id, "name": "x", "app_version": "1", "protocol_version": 1, "actors": []}),
            409,
            "device_taken",
        ),
        (
            json!({"device_id": Uuid::new_v4(), "name": "x", "app_version": "1", "protocol_version": 1,
                   "actors": ["not hex"]}),
            422,
            "validation_failed",
        ),
        (
            json!({"device_id": Uuid::new_v4(), "name": "x", "app_version": "1", "protocol_version": 1,
                   "actors": vec!["ab"; 17]}),
            422,
            "validation_failed",
        ),
        (
            json!({"device_id": Uuid::new_v4(), "name": "n".repeat(101), "app_version": "1",
                   "protocol_version": 1, "actors": []}),
            422,
            "validation_failed",
        ),
    ];
    for (body, status, code) in cases {
        let response = server
            .post_json("/api/v1/devices", Some(&inspector), &body)
            .await;
        assert_eq!(response.status, status, "{body}: {}", response.text);
        assert_eq!(response.error_code(), code, "{body}");
    }
    let unknown_field = server
        .post_json(
            "/api/v1/devices",
            Some(&inspector),
            &json!({"device_id": Uuid::new_v4(), "name": "x", "app_version": "1",
                    "protocol_version": 1, "actors": [], "color": "red"}),
        )
        .await;
    assert!(unknown_field.status == 400 || unknown_field.status == 422);
    let anonymous = server.post_json("/api/v1/devices", None, &json!({})).await;
    assert_eq!(anonymous.status, 401);
    server.stop().await;
}

#[tokio::test]
async fn sync_refusals_are_json_with_stable_codes_and_store_nothing() {
    let server = TestServer::start().await;
    let order = order_for(&server, "reader1").await;
    let mut h = register(&server, "reader1").await;
    let (first, _, _) = sync(&server, &mut h, vec![]).await;
    let head = first.cursor;
    let ok_frame = wire::encode_request(&request_of(&h, vec![]));

    let (status, _, _) = post_frame(&server, None, CONTENT_TYPE, ok_frame.clone()).await;
    assert_eq!(status, 401);
    let (status, _, body) = post_frame(
        &server,
        Some(&h.token),
        "application/json",
        ok_frame.clone(),
    )
    .await;
    assert_eq!(status, 415, "{}", String::from_utf8_lossy(&body));

    let (status, content_type, body) = post_frame(
        &server,
        Some(&h.token),
        CONTENT_TYPE,
        b"not a frame".to_vec(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(content_type.starts_with("application/json"));
    assert_eq!(error_of(&body)["error"]["code"], "invalid_sync_frame");

    // An app speaking an older protocol is told to update, from the header alone.
    let mut old = ok_frame.clone();
    old[5..9].copy_from_slice(&0u32.to_be_bytes());
    let (status, _, body) = post_frame(&server, Some(&h.token), CONTENT_TYPE, old).await;
    assert_eq!(status, 426);
    let error = error_of(&body);
    assert_eq!(error["error"]["code"], "update_required");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("update the app"))
    );

    // One change over the per-change limit (1 MiB by default): refused before any merge.
    let mut doc = WorkOrderDoc::load(&first.documents[0].doc).expect("document");
    doc.set_actor(h.actor.clone());
    let before = doc.heads();
    reading(&mut doc, "1050");
    let mut changes = doc.changes_since(&before);
    changes.push(vec![0; 1024 * 1024 + 1]);
    let big = wire::encode_request(&request_of(
        &h,
        vec![DocChanges {
            order_id: order.clone(),
            changes,
        }],
    ));
    let (status, _, body) = post_frame(&server, Some(&h.token), CONTENT_TYPE, big).await;
    assert_eq!(status, 413);
    let error = error_of(&body);
    assert_eq!(error["error"]["code"], "sync_too_large");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("sync.max_change_bytes"))
    );

    // A device that is not registered to this user.
    let stranger = SyncRequest {
        device_id: Uuid::new_v4().to_string(),
        ..request_of(&h, vec![])
    };
    let (status, _, body) = post_frame(
        &server,
        Some(&h.token),
        CONTENT_TYPE,
        wire::encode_request(&stranger),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(error_of(&body)["error"]["code"], "device_not_registered");

    let (idle, _, _) = sync(&server, &mut h, vec![]).await;
    assert_eq!(idle.cursor, head, "nothing was stored by any refused sync");
    let office = server.login("dispatcher", PASSWORD).await;
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert_eq!(shown["field"].as_array().map(Vec::len), Some(0));
    server.stop().await;
}

#[tokio::test]
async fn reassigning_moves_the_order_between_devices() {
    let server = TestServer::start().await;
    let order = order_for(&server, "reader1").await;
    let mut old = register(&server, "reader1").await;
    let mut new = register(&server, "inspector1").await;
    sync(&server, &mut old, vec![]).await;
    sync(&server, &mut new, vec![]).await;
    let office = server.login("dispatcher", PASSWORD).await;
    let moved = server
        .post_json(
            &format!("/api/v1/orders/{order}/assign"),
            Some(&office),
            &json!({"assignee": "inspector1"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let (to_old, _, _) = sync(&server, &mut old, vec![]).await;
    assert_eq!(to_old.revoked, vec![order.clone()]);
    let (to_new, _, _) = sync(&server, &mut new, vec![]).await;
    assert_eq!(to_new.documents.len(), 1);
    assert_eq!(to_new.documents[0].order_id, order);
    server.stop().await;
}

#[tokio::test]
async fn a_field_found_order_travels_up_and_a_restored_server_reconciles_by_heads() {
    let server = TestServer::start().await;
    let template = order_for(&server, "reader1").await;
    let mut h = register(&server, "reader1").await;
    let (first, _, _) = sync(&server, &mut h, vec![]).await;
    let held = WorkOrderDoc::load(&first.documents[0].doc).expect("document");
    let mut office = held.office().expect("office data");
    office.order_type = fieldline_core::OrderType::FieldFound;
    office.source = fieldline_core::Source::FieldFound;
    office.created_by = "reader1".into();
    let found = Uuid::new_v4().to_string();
    let doc = WorkOrderDoc::create(
        &found,
        &office,
        h.actor.clone(),
        Timestamp(Utc::now().timestamp_millis()),
    )
    .expect("field-found document");
    let upload = vec![DocChanges {
        order_id: found.clone(),
        changes: doc.changes_since(&[]),
    }];
    let (answer, _, _) = sync(&server, &mut h, upload).await;
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    let office_token = server.login("dispatcher", PASSWORD).await;
    let shown = server
        .get(&format!("/api/v1/orders/{found}"), Some(&office_token))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert_eq!(shown.json()["office"]["source"], "field_found");
    assert!(shown.json()["number"].as_i64().is_some_and(|n| n > 0));

    // The device's cursor is ahead of the server's feed (a restore from backup).
    h.cursor = answer.cursor.checked_add(100);
    let (ahead, _, _) = sync(&server, &mut h, vec![]).await;
    assert!(ahead.reconcile);
    let mut request = request_of(&h, vec![]);
    request.holdings = vec![fieldline_core::sync::DocHeads {
        order_id: template.clone(),
        heads: held.heads().iter().map(|x| x.0).collect(),
    }];
    let (status, _, body) = post_frame(
        &server,
        Some(&h.token),
        CONTENT_TYPE,
        wire::encode_request(&request),
    )
    .await;
    assert_eq!(status, 200);
    let reconciled = wire::decode_response(&body, &WireLimits::default()).expect("response");
    assert!(!reconciled.reconcile);
    assert_eq!(reconciled.cursor, ahead.cursor);
    assert!(reconciled.changes.is_empty() && reconciled.documents.is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_sync_frame_larger_than_the_json_body_limit_is_accepted() {
    let server = TestServer::start().await;
    let order = order_for(&server, "reader1").await;
    let mut h = register(&server, "reader1").await;
    sync(&server, &mut h, vec![]).await;
    // Three incompressible "changes" of ~1 MiB each: a 3 MiB frame, over the 2 MiB JSON limit.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut noise = || {
        (0..1_000_000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect::<Vec<u8>>()
    };
    let changes = vec![noise(), noise(), noise()];
    let (answer, up, _) = sync(
        &server,
        &mut h,
        vec![DocChanges {
            order_id: order,
            changes,
        }],
    )
    .await;
    assert!(up > 2 * 1024 * 1024, "the frame is {up} bytes");
    assert_eq!(answer.rejected.len(), 1);
    assert_eq!(answer.rejected[0].code, "malformed_change");
    server.stop().await;
}
