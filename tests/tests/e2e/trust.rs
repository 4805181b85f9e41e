//! The trusted merge end to end: changes forged with automerge directly (as a broken or hostile
//! client could) and uploaded through the sync protocol are refused and quarantined, a real
//! device resets and replays its honest work, other documents in the same sync are applied, and
//! honest work that conflicts only after merging is merged with an exception for the office.

use crate::fixtures::metered_premise;
use fieldline_core::document::automerge::transaction::{Transactable, Transaction};
use fieldline_core::document::automerge::{ActorId, Automerge, ObjId, ROOT, ReadDoc};
use fieldline_core::reference::ReferenceData;
use fieldline_core::sync::wire::{self, CONTENT_TYPE, WireLimits};
use fieldline_core::sync::{DocChanges, PROTOCOL_VERSION, SyncRequest, SyncResponse};
use fieldline_core::{
    ActionContext, FieldAction, ReadMethod, ReadingInput, Role, Timestamp, WorkOrderDoc,
};
use fieldline_tests::{Handheld, PASSWORD, TestServer};
use serde_json::{Value, json};
use uuid::Uuid;

async fn create_read(server: &TestServer, assignee: &str) -> String {
    let (_, meter) = metered_premise(server, &server.utility).await;
    let token = server.login("dispatcher", PASSWORD).await;
    let response = server
        .post_json(
            "/api/v1/orders",
            Some(&token),
            &json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": assignee}),
        )
        .await;
    assert_eq!(response.status, 201, "{}", response.text);
    response.json()["id"].as_str().expect("id").to_string()
}

/// One change written with automerge directly onto a copy of `doc`, as `actor`.
fn forge(doc: &WorkOrderDoc, actor: &ActorId, write: impl FnOnce(&mut Transaction<'_>)) -> Vec<u8> {
    let mut raw = Automerge::load(&doc.save()).expect("load raw");
    raw.set_actor(actor.clone());
    let mut tx = raw.transaction();
    write(&mut tx);
    tx.commit();
    raw.get_last_local_change()
        .expect("a change was made")
        .raw_bytes()
        .to_vec()
}

fn obj(tx: &impl ReadDoc, parent: &ObjId, key: &str) -> ObjId {
    match tx.get(parent, key).expect("get") {
        Some((_, id)) => id,
        None => panic!("no {key}"),
    }
}

fn write_office(tx: &mut Transaction<'_>) {
    let office = obj(tx, &ROOT, "office");
    let data = obj(tx, &office, "data");
    tx.put(&data, "instructions", "forged by a device")
        .expect("put");
}

/// Posts a sync request; returns the decoded answer.
async fn post_sync(server: &TestServer, token: &str, request: &SyncRequest) -> SyncResponse {
    let response = server
        .client
        .post(format!("{}/api/v1/sync", server.base_url))
        .header("content-type", CONTENT_TYPE)
        .bearer_auth(token)
        .body(wire::encode_request(request))
        .send()
        .await
        .expect("sync sent");
    let status = response.status().as_u16();
    let body = response.bytes().await.expect("body").to_vec();
    assert_eq!(status, 200, "sync: {}", String::from_utf8_lossy(&body));
    wire::decode_response(&body, &WireLimits::default()).expect("a response frame")
}

async fn detail(server: &TestServer, id: &str) -> Value {
    let token = server.login("dispatcher", PASSWORD).await;
    let response = server
        .get(&format!("/api/v1/orders/{id}"), Some(&token))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn actions(detail: &Value) -> Vec<String> {
    let mut names: Vec<String> = detail["field"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .filter_map(|e| e["action"]["action"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

async fn quarantine(server: &TestServer, user: &str) -> (u16, Value) {
    let token = server.login(user, PASSWORD).await;
    let response = server
        .get("/api/v1/admin/quarantine?limit=100", Some(&token))
        .await;
    (response.status, response.json())
}

fn codes_for(page: &Value, order: &str) -> Vec<String> {
    let mut codes: Vec<String> = page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|q| q["order_id"] == order)
                .filter_map(|q| q["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    codes.sort();
    codes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_office_write_is_quarantined_and_the_device_replays_its_honest_work() {
    let server = TestServer::start().await;
    let forged_order = create_read(&server, "reader1").await;
    let other_order = create_read(&server, "reader1").await;
    let device = Handheld::sign_in(&server, "reader1").await;
    device.sync().await;
    let heads_forged = device.doc(&forged_order).await.heads();
    let heads_other = device.doc(&other_order).await.heads();

    // Honest work, then a forged office write under the device's own (bound) actor, then more
    // honest work on top of it, and honest work on another order.
    let id = forged_order.clone();
    device.run(move |c| c.start(&id)).await.expect("start");
    let doc = device.doc(&forged_order).await;
    let actor: ActorId = doc.change_infos(&heads_forged)[0]
        .actor
        .as_str()
        .try_into()
        .expect("the device's actor");
    let forged = forge(&doc, &actor, write_office);
    let cursor = device
        .run(|c| c.status())
        .await
        .expect("status")
        .cursor
        .unwrap_or(0);
    let inject = SyncResponse {
        changes: vec![DocChanges {
            order_id: forged_order.clone(),
            changes: vec![forged],
        }],
        ..SyncResponse::empty(cursor)
    };
    device
        .run(move |c| c.apply_sync_response(&inject).map(|_| ()))
        .await
        .expect("the injected change applies");
    let (a, b) = (forged_order.clone(), other_order.clone());
    device
        .run(move |c| {
            c.reading(&a, 1, "1050", None)?;
            c.reading(&b, 1, "1042", None)
        })
        .await
        .expect("readings");

    // The hostile client uploads all of it.
    let account = device
        .run(|c| c.account())
        .await
        .expect("account")
        .expect("signed in");
    let request = SyncRequest {
        app_version: device.client().app_version().to_string(),
        device_id: account.device_id.clone(),
        cursor: Some(cursor),
        uploads: vec![
            DocChanges {
                order_id: forged_order.clone(),
                changes: device.doc(&forged_order).await.changes_since(&heads_forged),
            },
            DocChanges {
                order_id: other_order.clone(),
                changes: device.doc(&other_order).await.changes_since(&heads_other),
            },
        ],
        holdings: vec![],
    };
    let token = server.login("reader1", PASSWORD).await;
    let answer = post_sync(&server, &token, &request).await;

    let mut codes: Vec<&str> = answer.rejected.iter().map(|r| r.code.as_str()).collect();
    codes.sort();
    assert_eq!(codes, ["depends_on_quarantined", "office_write"]);
    assert!(answer.rejected.iter().all(|r| r.order_id == forged_order));
    let resets: Vec<&str> = answer.resets.iter().map(|r| r.order_id.as_str()).collect();
    assert_eq!(resets, [forged_order.as_str()]);
    // The other order's work in the same sync is applied; the forged order keeps the honest
    // start made before the forgery, and nothing of the forgery.
    assert_eq!(actions(&detail(&server, &other_order).await), ["reading"]);
    let stored = detail(&server, &forged_order).await;
    assert_eq!(actions(&stored), ["start"]);
    assert_ne!(stored["office"]["instructions"], "forged by a device");

    // The device resets the order and replays the reading under a new actor.
    let report = device
        .run(move |c| c.apply_sync_response(&answer))
        .await
        .expect("the answer applies");
    assert_eq!(report.reset, std::slice::from_ref(&forged_order));
    assert_eq!(report.replayed, 1);
    let report = device.sync().await;
    assert!(report.rejected == 0, "{report:?}");
    let stored = detail(&server, &forged_order).await;
    assert_eq!(actions(&stored), ["reading", "start"]);
    assert_ne!(stored["office"]["instructions"], "forged by a device");
    let status = device.run(|c| c.status()).await.expect("status");
    assert_eq!(status.pending_changes, 0, "{status:?}");
    assert!(
        status.rejections.iter().any(|r| r.code == "office_write"),
        "the user sees what was refused: {status:?}"
    );

    // The office sees both quarantined changes with the device and the user.
    let (code, page) = quarantine(&server, "supervisor").await;
    assert_eq!(code, 200, "{page}");
    assert_eq!(
        codes_for(&page, &forged_order),
        ["depends_on_quarantined", "office_write"]
    );
    let reader = server
        .store()
        .get_user_by_username(server.utility.id, "reader1")
        .await
        .expect("reader1");
    for item in page["items"].as_array().expect("items") {
        assert_eq!(item["device_id"], account.device_id);
        assert_eq!(item["user_id"], reader.id.to_string());
    }
    let (code, _) = quarantine(&server, "reader1").await;
    assert_eq!(code, 403);
    let (code, _) = quarantine(&server, "dispatcher").await;
    assert_eq!(code, 403);
    let (code, _) = quarantine(&server, "admin").await;
    assert_eq!(code, 200);
    server.stop().await;
}

/// A handheld registered with a raw request, writing with its own bound actor.
struct Raw {
    id: Uuid,
    actor: ActorId,
    token: String,
}

async fn register_raw(server: &TestServer, user: &str) -> Raw {
    let token = server.login(user, PASSWORD).await;
    let actor = ActorId::random();
    let id = Uuid::new_v4();
    let response = server
        .post_json(
            "/api/v1/devices",
            Some(&token),
            &json!({
                "device_id": id, "name": "raw", "app_version": "1.0.0",
                "protocol_version": PROTOCOL_VERSION, "actors": [actor.to_hex_string()],
            }),
        )
        .await;
    assert_eq!(response.status, 200, "register: {}", response.text);
    Raw { id, actor, token }
}

async fn upload(
    server: &TestServer,
    raw: &Raw,
    order: &str,
    changes: Vec<Vec<u8>>,
) -> SyncResponse {
    let request = SyncRequest {
        app_version: "1.0.0".into(),
        device_id: raw.id.to_string(),
        cursor: None,
        uploads: vec![DocChanges {
            order_id: order.to_string(),
            changes,
        }],
        holdings: vec![],
    };
    post_sync(server, &raw.token, &request).await
}

/// The server's document of `order`, as a device receives it.
async fn server_doc(server: &TestServer, raw: &Raw, order: &str) -> WorkOrderDoc {
    let request = SyncRequest {
        app_version: "1.0.0".into(),
        device_id: raw.id.to_string(),
        cursor: None,
        uploads: vec![],
        holdings: vec![],
    };
    let answer = post_sync(server, &raw.token, &request).await;
    let snapshot = answer
        .documents
        .iter()
        .find(|d| d.order_id == order)
        .expect("the order is delivered");
    WorkOrderDoc::load(&snapshot.doc).expect("a document")
}

fn honest_reading(doc: &mut WorkOrderDoc, actor: &ActorId) -> Vec<u8> {
    let before = doc.heads();
    doc.set_actor(actor.clone());
    let action = FieldAction::Reading {
        readings: vec![ReadingInput {
            register: 1,
            value: "1050".into(),
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
        device_time: Timestamp(chrono::Utc::now().timestamp_millis()),
        gps: None,
    };
    doc.record_field_action(action, context, &ReferenceData::default())
        .expect("the rules accept the reading");
    doc.changes_since(&before).remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_of_field_entries_foreign_orders_and_foreign_actors_are_quarantined() {
    let server = TestServer::start().await;
    server
        .add_user(&server.utility, "reader2", Role::Reader)
        .await;
    let own = create_read(&server, "reader1").await;
    let foreign = create_read(&server, "reader2").await;
    let raw = register_raw(&server, "reader1").await;

    // An honest reading is accepted; editing it afterwards is not (the field is append-only).
    let mut doc = server_doc(&server, &raw, &own).await;
    let reading = honest_reading(&mut doc, &raw.actor);
    let answer = upload(&server, &raw, &own, vec![reading]).await;
    assert!(answer.rejected.is_empty(), "{:?}", answer.rejected);
    let edit = forge(&doc, &raw.actor, |tx| {
        let field = obj(tx, &ROOT, "field");
        let readings = obj(tx, &field, "readings");
        let (_, entry) = tx.get(&readings, 0).expect("get").expect("the entry");
        tx.put(&entry, "rules_version", 99u64).expect("put");
    });
    let answer = upload(&server, &raw, &own, vec![edit]).await;
    assert_eq!(answer.rejected.len(), 1, "{:?}", answer.rejected);
    assert_eq!(answer.rejected[0].code, "field_edit");
    assert_eq!(answer.resets.len(), 1, "the device is told to reset");

    // A change written by an actor bound to no device of this user.
    let stranger = ActorId::random();
    let mut doc = server_doc(&server, &raw, &own).await;
    let stolen = honest_reading(&mut doc, &stranger);
    let answer = upload(&server, &raw, &own, vec![stolen]).await;
    assert_eq!(answer.rejected[0].code, "actor_not_bound");

    // Another crew's order: refused and kept, and its document is never sent back.
    let token = server.login("dispatcher", PASSWORD).await;
    let other = server
        .get(&format!("/api/v1/orders/{foreign}"), Some(&token))
        .await;
    assert_eq!(other.status, 200);
    let office_doc = {
        let raw2 = register_raw(&server, "reader2").await;
        server_doc(&server, &raw2, &foreign).await
    };
    let intrusion = forge(&office_doc, &raw.actor, |tx| {
        let field = obj(tx, &ROOT, "field");
        let notes = obj(tx, &field, "notes");
        let entry = tx
            .insert_object(&notes, 0, fieldline_core::document::automerge::ObjType::Map)
            .expect("insert");
        tx.put(&entry, "text", "was here").expect("put");
    });
    let answer = upload(&server, &raw, &foreign, vec![intrusion]).await;
    assert_eq!(answer.rejected[0].code, "not_assigned");
    assert!(
        answer.resets.is_empty(),
        "another crew's order is never sent"
    );
    assert!(actions(&detail(&server, &foreign).await).is_empty());

    let (code, page) = quarantine(&server, "admin").await;
    assert_eq!(code, 200, "{page}");
    assert_eq!(codes_for(&page, &own), ["actor_not_bound", "field_edit"]);
    assert_eq!(codes_for(&page, &foreign), ["not_assigned"]);
    assert_eq!(page["total"], 3);
    // The stored order holds only the honest reading.
    assert_eq!(actions(&detail(&server, &own).await), ["reading"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_work_that_fails_a_rule_only_after_merging_is_merged_with_an_exception() {
    let server = TestServer::start().await;
    let order = create_read(&server, "reader1").await;
    // The same reader carries two handhelds; both start the order offline.
    let phone = Handheld::sign_in(&server, "reader1").await;
    let tablet = Handheld::sign_in(&server, "reader1").await;
    phone.sync().await;
    tablet.sync().await;
    let id = order.clone();
    phone.run(move |c| c.start(&id)).await.expect("start");
    let id = order.clone();
    tablet.run(move |c| c.start(&id)).await.expect("start");
    let first = phone.sync().await;
    let second = tablet.sync().await;
    assert_eq!((first.rejected, second.rejected), (0, 0));

    let stored = detail(&server, &order).await;
    assert_eq!(
        actions(&stored),
        ["start", "start"],
        "both starts are merged"
    );
    assert!(
        stored.to_string().contains("rule_after_merge"),
        "the office sees the conflict: {stored}"
    );
    let (_, page) = quarantine(&server, "supervisor").await;
    assert_eq!(page["total"], 0, "nothing is quarantined: {page}");
    server.stop().await;
}
