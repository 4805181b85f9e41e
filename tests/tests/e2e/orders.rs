//! Orders through the office API: create, list, assign, cancel, history; refusals that change
//! nothing; a crew sees only its own orders; field work merged with office edits shows the core's
//! derived status and exceptions.

use crate::fixtures::metered_premise;
use chrono::Utc;
use fieldline_core::document::automerge::ActorId;
use fieldline_core::reference::ReferenceData;
use fieldline_core::{
    ActionContext, FieldAction, ReadMethod, ReadingInput, Role, Timestamp, WorkOrderDoc,
};
use fieldline_server::orders::project;
use fieldline_server::store::{OrderUpdate, Utility};
use fieldline_tests::{PASSWORD, TestServer};
use serde_json::{Value, json};
use uuid::Uuid;

async fn create(server: &TestServer, token: &str, body: Value) -> Value {
    let response = server.post_json("/api/v1/orders", Some(token), &body).await;
    assert_eq!(response.status, 201, "create: {}", response.text);
    response.json()
}

#[tokio::test]
async fn a_dispatcher_creates_assigns_and_cancels_an_order() {
    let server = TestServer::start().await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let token = server.login("dispatcher", PASSWORD).await;

    let order = create(
        &server,
        &token,
        json!({"order_type": "turn_on", "meter_id": meter.id, "reason": "move_in", "priority": "high"}),
    )
    .await;
    let id = order["id"].as_str().expect("id").to_string();
    assert_eq!(order["derived"]["status"], "unassigned");
    assert_eq!(order["office"]["meter"]["serial"], meter.serial);
    assert_eq!(order["office"]["premise"]["access_notes"], "gate code 1234");

    let list = server
        .get("/api/v1/orders?status=unassigned", Some(&token))
        .await
        .json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], id.as_str());

    let assigned = server
        .post_json(
            &format!("/api/v1/orders/{id}/assign"),
            Some(&token),
            &json!({"assignee": "reader1", "reason": "nearest crew"}),
        )
        .await;
    assert_eq!(assigned.status, 200, "{}", assigned.text);
    assert_eq!(assigned.json()["derived"]["status"], "assigned");
    assert_eq!(assigned.json()["assignee"], "reader1");

    // The reader sees it in their list; the office filter by assignee finds it too.
    let reader = server.login("reader1", PASSWORD).await;
    let mine = server.get("/api/v1/orders", Some(&reader)).await.json();
    assert_eq!(mine["total"], 1);
    let by_assignee = server
        .get("/api/v1/orders?assignee=reader1", Some(&token))
        .await
        .json();
    assert_eq!(by_assignee["items"][0]["assignee"], "reader1");

    let cancelled = server
        .post_json(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&token),
            &json!({"reason": "customer moved in already"}),
        )
        .await;
    assert_eq!(cancelled.json()["derived"]["status"], "cancelled");

    let history = server
        .get(&format!("/api/v1/orders/{id}/history"), Some(&token))
        .await;
    assert_eq!(history.status, 200, "{}", history.text);
    let summaries: Vec<String> = history
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|h| {
            format!(
                "{} by {}",
                h["summary"].as_str().unwrap_or(""),
                h["user"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        summaries,
        vec![
            "create by dispatcher",
            "office:assign by dispatcher",
            "office:cancel by dispatcher"
        ]
    );
    // The office number works in place of the id.
    let number = order["number"].as_i64().expect("number");
    let by_number = server
        .get(&format!("/api/v1/orders/{number}"), Some(&token))
        .await;
    assert_eq!(by_number.json()["id"], id.as_str());
    server.stop().await;
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let server = TestServer::start().await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let token = server.login("dispatcher", PASSWORD).await;
    let order = create(
        &server,
        &token,
        json!({"order_type": "turn_off", "meter_id": meter.id}),
    )
    .await;
    let id = order["id"].as_str().expect("id").to_string();
    let version = order["version"].clone();
    let assign = format!("/api/v1/orders/{id}/assign");

    let bad_json = server
        .post_raw(
            &assign,
            Some(&token),
            Some("application/json"),
            b"{\"assignee\": ".to_vec(),
        )
        .await;
    assert_eq!(bad_json.status, 400, "{}", bad_json.text);
    assert_eq!(bad_json.error_code(), "invalid_json");

    let wrong_type = server
        .post_json(&assign, Some(&token), &json!({"assignee": 5}))
        .await;
    assert_eq!(wrong_type.status, 422, "{}", wrong_type.text);

    let unknown_field = server
        .post_json(
            &assign,
            Some(&token),
            &json!({"assignee": "reader1", "priorty": "high"}),
        )
        .await;
    assert_eq!(unknown_field.status, 422, "{}", unknown_field.text);
    assert!(
        unknown_field.text.contains("priorty"),
        "{}",
        unknown_field.text
    );

    let not_field_user = server
        .post_json(&assign, Some(&token), &json!({"assignee": "supervisor"}))
        .await;
    assert_eq!(not_field_user.status, 422);
    assert_eq!(not_field_user.json()["error"]["field"], "assignee");

    let no_such_user = server
        .post_json(&assign, Some(&token), &json!({"assignee": "nobody"}))
        .await;
    assert_eq!(no_such_user.status, 422);

    let no_reason = server
        .post_json(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&token),
            &json!({}),
        )
        .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.text);
    assert_eq!(no_reason.json()["error"]["rule"], "office.cancel_reason");

    let unknown_order = server
        .post_json(
            &format!("/api/v1/orders/{}/assign", Uuid::new_v4()),
            Some(&token),
            &json!({"assignee": "reader1"}),
        )
        .await;
    assert_eq!(unknown_order.status, 404, "{}", unknown_order.text);
    assert_eq!(unknown_order.error_code(), "not_found");

    let not_an_id = server.get("/api/v1/orders/elm-street", Some(&token)).await;
    assert_eq!(not_an_id.status, 400, "{}", not_an_id.text);

    let bad_filter = server.get("/api/v1/orders?status=done", Some(&token)).await;
    assert_eq!(bad_filter.status, 400);
    assert_eq!(bad_filter.json()["error"]["field"], "status");

    let bad_create = server
        .post_json(
            "/api/v1/orders",
            Some(&token),
            &json!({"order_type": "turn_on", "premise_id": Uuid::new_v4()}),
        )
        .await;
    assert_eq!(bad_create.status, 422);
    assert_eq!(bad_create.json()["error"]["field"], "premise_id");
    let unknown_type = server
        .post_json(
            "/api/v1/orders",
            Some(&token),
            &json!({"order_type": "teleport"}),
        )
        .await;
    assert_eq!(unknown_type.status, 422, "{}", unknown_type.text);

    let after = server
        .get(&format!("/api/v1/orders/{id}"), Some(&token))
        .await
        .json();
    assert_eq!(
        after["version"], version,
        "no refused request wrote anything"
    );
    assert_eq!(after["derived"]["status"], "unassigned");
    let all = server.get("/api/v1/orders", Some(&token)).await.json();
    assert_eq!(all["total"], 1, "no half-created order");
    server.stop().await;
}

#[tokio::test]
async fn crews_see_only_their_own_orders_and_cannot_act_as_the_office() {
    let server = TestServer::start().await;
    server
        .add_user(&server.utility, "reader2", Role::Reader)
        .await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let token = server.login("dispatcher", PASSWORD).await;
    let order = create(
        &server,
        &token,
        json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": "reader1"}),
    )
    .await;
    let id = order["id"].as_str().expect("id");

    let reader2 = server.login("reader2", PASSWORD).await;
    assert_eq!(
        server.get("/api/v1/orders", Some(&reader2)).await.json()["total"],
        0
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/orders/{id}"), Some(&reader2))
            .await
            .status,
        404
    );

    let reader1 = server.login("reader1", PASSWORD).await;
    assert_eq!(
        server
            .get(&format!("/api/v1/orders/{id}"), Some(&reader1))
            .await
            .status,
        200
    );
    let forbidden = server
        .post_json(
            &format!("/api/v1/orders/{id}/assign"),
            Some(&reader1),
            &json!({"assignee": "reader1"}),
        )
        .await;
    assert_eq!(forbidden.status, 403, "{}", forbidden.text);
    let create_forbidden = server
        .post_json(
            "/api/v1/orders",
            Some(&reader1),
            &json!({"order_type": "turn_on", "meter_id": meter.id}),
        )
        .await;
    assert_eq!(create_forbidden.status, 403);
    assert_eq!(
        server
            .get(&format!("/api/v1/orders/{id}/history"), Some(&reader1))
            .await
            .status,
        403
    );
    assert_eq!(
        server
            .get(&format!("/api/v1/orders/{id}"), None)
            .await
            .status,
        401
    );

    // Another utility's dispatcher does not see it at all.
    let beta = server.add_utility("beta").await;
    server
        .add_user(&beta, "beta-dispatcher", Role::Dispatcher)
        .await;
    let beta_token = server.login("beta-dispatcher", PASSWORD).await;
    assert_eq!(
        server
            .get(&format!("/api/v1/orders/{id}"), Some(&beta_token))
            .await
            .status,
        404
    );
    assert_eq!(
        server.get("/api/v1/orders", Some(&beta_token)).await.json()["total"],
        0
    );
    server.stop().await;
}

/// The reader's handheld: a replica of the order's document that works offline.
struct Handheld {
    doc: WorkOrderDoc,
    base: Vec<fieldline_core::document::automerge::ChangeHash>,
}

impl Handheld {
    async fn take(server: &TestServer, utility: &Utility, id: Uuid) -> Handheld {
        let stored = server
            .store()
            .get_order(utility.id, id)
            .await
            .expect("order");
        let mut doc = WorkOrderDoc::load(&stored.doc).expect("document");
        doc.set_actor(ActorId::random());
        let base = doc.heads();
        Handheld { doc, base }
    }

    fn act(&mut self, user: &str, action: FieldAction) {
        let context = ActionContext {
            user: user.into(),
            device_time: Timestamp(Utc::now().timestamp_millis()),
            gps: None,
        };
        self.doc
            .record_field_action(action, context, &ReferenceData::default())
            .expect("the rules accept it on the device");
    }

    /// Merges the handheld's changes into the server's copy (what sync will do).
    async fn upload(&self, server: &TestServer, utility: &Utility, id: Uuid) {
        let stored = server
            .store()
            .get_order(utility.id, id)
            .await
            .expect("order");
        let mut merged = WorkOrderDoc::load(&stored.doc).expect("document");
        merged
            .apply_changes(&self.doc.changes_since(&self.base))
            .expect("changes apply");
        let projection = project(server.store(), utility.id, &merged)
            .await
            .expect("projection");
        server
            .store()
            .update_order(
                utility.id,
                id,
                stored.summary.version,
                &OrderUpdate {
                    doc: merged.save(),
                    projection,
                    changes: vec![],
                    updated_at: Utc::now(),
                },
            )
            .await
            .expect("stored");
    }
}

fn reading(value: &str) -> FieldAction {
    FieldAction::Reading {
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
    }
}

#[tokio::test]
async fn office_edits_and_offline_field_work_derive_the_cores_exceptions() {
    let server = TestServer::start().await;
    server
        .add_user(&server.utility, "reader2", Role::Reader)
        .await;
    let utility = server.utility.clone();
    let token = server.login("dispatcher", PASSWORD).await;

    // Completed offline while the office cancelled it.
    let (_, meter) = metered_premise(&server, &utility).await;
    let order = create(
        &server,
        &token,
        json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": "reader1"}),
    )
    .await;
    let id: Uuid = order["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let mut handheld = Handheld::take(&server, &utility, id).await;
    handheld.act("reader1", reading("1050"));
    handheld.act(
        "reader1",
        FieldAction::Complete {
            code: None,
            photos: vec![],
        },
    );
    let cancel = server
        .post_json(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&token),
            &json!({"reason": "closed account"}),
        )
        .await;
    assert_eq!(cancel.json()["derived"]["status"], "cancelled");
    handheld.upload(&server, &utility, id).await;
    let merged = server
        .get(&format!("/api/v1/orders/{id}"), Some(&token))
        .await
        .json();
    assert_eq!(merged["derived"]["status"], "completed");
    assert_eq!(
        merged["derived"]["exceptions"][0]["code"],
        "completed_after_cancel"
    );
    let listed = server
        .get("/api/v1/orders?status=completed", Some(&token))
        .await
        .json();
    assert_eq!(
        listed["items"][0]["exceptions"],
        json!(["completed_after_cancel"])
    );

    // Worked offline while the office reassigned it: the work stays, the order moves on.
    let (_, meter) = metered_premise(&server, &utility).await;
    let order = create(
        &server,
        &token,
        json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": "reader1"}),
    )
    .await;
    let id: Uuid = order["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("id");
    let mut handheld = Handheld::take(&server, &utility, id).await;
    handheld.act("reader1", FieldAction::Arrive);
    handheld.act("reader1", reading("1040"));
    let reassigned = server
        .post_json(
            &format!("/api/v1/orders/{id}/assign"),
            Some(&token),
            &json!({"assignee": "reader2"}),
        )
        .await;
    assert_eq!(reassigned.status, 200, "{}", reassigned.text);
    handheld.upload(&server, &utility, id).await;
    let merged = server
        .get(&format!("/api/v1/orders/{id}"), Some(&token))
        .await
        .json();
    assert_eq!(merged["derived"]["status"], "assigned");
    assert_eq!(merged["assignee"], "reader2");
    assert_eq!(
        merged["derived"]["exceptions"][0]["code"],
        "worked_after_reassign"
    );
    assert_eq!(
        merged["field"].as_array().map(Vec::len),
        Some(2),
        "the first crew's work is kept"
    );
    server.stop().await;
}
