//! The order service against a real store (PostgreSQL when `FIELDLINE_TEST_POSTGRES_URL` is set,
//! SQLite otherwise): validation, office actions through the documents, the audit trail,
//! concurrent writers, and field work merged with office edits.

use super::*;
use crate::store::testing::{TestDbGuard, fresh_test_store};
use crate::store::{Meter, NewUser, NewUtility, OrderFilter, PageRequest, Premise, Route};
use fieldline_core::reference::ReferenceData;
use fieldline_core::status::COMPLETED_AFTER_CANCEL;
use fieldline_core::{
    ActionContext, FieldAction, OrderType, ReadMethod, ReadingInput, Role, Status,
};
use std::sync::Arc;

struct Fixture {
    store: Arc<dyn Store>,
    guard: TestDbGuard,
    utility: UtilityId,
    dispatcher: User,
    premise: Premise,
    meter: Meter,
}

async fn fixture() -> Fixture {
    let (store, guard) = fresh_test_store().await.expect("a fresh test store");
    let utility = store
        .create_utility(&NewUtility {
            slug: "riverton".into(),
            name: "Riverton Water".into(),
        })
        .await
        .expect("utility")
        .id;
    let mut users = Vec::new();
    for (name, role) in [
        ("dispatcher", Role::Dispatcher),
        ("supervisor", Role::Supervisor),
        ("reader1", Role::Reader),
        ("reader2", Role::Reader),
    ] {
        let user = store
            .create_user(
                utility,
                &NewUser {
                    username: name.into(),
                    display_name: name.into(),
                    role,
                    password_hash: "not-used".into(),
                },
            )
            .await
            .expect("user");
        users.push(user);
    }
    let (premise, _, meter) = crate::store::testing::metered_premise(store.as_ref(), utility)
        .await
        .expect("metered premise");
    store
        .insert_routes(
            utility,
            &[Route {
                id: Uuid::new_v4(),
                utility_id: utility,
                code: "R-01".into(),
                name: "North 1".into(),
                cycle: None,
                book: None,
                scheduled_day: None,
                default_assignee: None,
            }],
        )
        .await
        .expect("route");
    Fixture {
        dispatcher: users[0].clone(),
        store,
        guard,
        utility,
        premise,
        meter,
    }
}

fn request(order_type: OrderType) -> NewOrderRequest {
    NewOrderRequest {
        order_type,
        priority: None,
        reason: None,
        source: None,
        premise_id: None,
        meter_id: None,
        account_id: None,
        due_at: None,
        appointment_start: None,
        appointment_end: None,
        route: None,
        sequence: None,
        instructions: None,
        assignee: None,
        details: None,
    }
}

#[tokio::test]
async fn creating_an_order_snapshots_its_targets_and_assigns_it() {
    let f = fixture().await;
    let mut req = request(OrderType::CycleRead);
    req.meter_id = Some(f.meter.id);
    req.route = Some("R-01".into());
    req.sequence = Some(3);
    req.assignee = Some("reader1".into());
    let detail = create_order(f.store.as_ref(), f.utility, &f.dispatcher, req, Utc::now())
        .await
        .expect("created");
    assert_eq!(detail.derived.status, Status::Assigned);
    assert_eq!(detail.assignee.as_deref(), Some("reader1"));
    let meter = detail.office.meter.as_ref().expect("meter snapshot");
    assert_eq!(meter.serial, f.meter.serial);
    assert_eq!(meter.registers[0].previous_read, Some(1000.0));
    assert_eq!(
        detail.office.premise.as_ref().map(|p| p.id.clone()),
        Some(f.premise.id.to_string())
    );
    assert!(
        detail.office.account.is_some(),
        "the premise's account is snapshotted"
    );
    assert!(detail.summary.projection.route_id.is_some());
    assert!(detail.summary.number >= 1);

    let history = f
        .store
        .order_history(f.utility, detail.summary.id)
        .await
        .unwrap();
    let summaries: Vec<&str> = history.iter().map(|h| h.change.summary.as_str()).collect();
    assert_eq!(summaries, vec!["create", "office:assign"]);
    assert!(
        history
            .iter()
            .all(|h| h.change.user_id == Some(f.dispatcher.id))
    );
    f.guard.cleanup().await;
}

#[tokio::test]
async fn invalid_orders_are_refused_and_nothing_is_stored() {
    let f = fixture().await;
    let cases = [
        (
            {
                let mut r = request(OrderType::TurnOn);
                r.premise_id = Some(Uuid::new_v4());
                r
            },
            "premise_id",
        ),
        (request(OrderType::CycleRead), "meter_id"),
        (
            {
                let mut r = request(OrderType::TurnOn);
                r.meter_id = Some(f.meter.id);
                r.assignee = Some("supervisor".into());
                r
            },
            "assignee",
        ),
        (
            {
                let mut r = request(OrderType::TurnOn);
                r.meter_id = Some(f.meter.id);
                r.assignee = Some("nobody".into());
                r
            },
            "assignee",
        ),
        (
            {
                let mut r = request(OrderType::FieldFound);
                r.premise_id = Some(f.premise.id);
                r
            },
            "order_type",
        ),
        (
            {
                let mut r = request(OrderType::TurnOn);
                r.meter_id = Some(f.meter.id);
                r.sequence = Some(1);
                r
            },
            "sequence",
        ),
        (
            {
                let mut r = request(OrderType::TurnOn);
                r.meter_id = Some(f.meter.id);
                r.route = Some("NOPE".into());
                r
            },
            "route",
        ),
    ];
    for (req, field) in cases {
        let err = create_order(f.store.as_ref(), f.utility, &f.dispatcher, req, Utc::now())
            .await
            .expect_err("refused");
        match err {
            OrderError::Invalid { field: got, .. } => assert_eq!(got, field),
            other => panic!("expected an invalid {field}, got {other:?}"),
        }
    }
    let all = f
        .store
        .list_orders(f.utility, &OrderFilter::default(), PageRequest::default())
        .await
        .unwrap();
    assert_eq!(all.total, 0);
    f.guard.cleanup().await;
}

#[tokio::test]
async fn refused_office_actions_change_nothing() {
    let f = fixture().await;
    let mut req = request(OrderType::TurnOff);
    req.meter_id = Some(f.meter.id);
    let created = create_order(f.store.as_ref(), f.utility, &f.dispatcher, req, Utc::now())
        .await
        .unwrap();
    let id = created.summary.id;
    let cancel = OfficeAction::Cancel {
        reason: "customer called back".into(),
    };
    let cancelled = apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        id,
        cancel.clone(),
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(cancelled.derived.status, Status::Cancelled);
    let again = apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        id,
        cancel,
        Utc::now(),
    )
    .await;
    assert!(
        matches!(&again, Err(OrderError::Refused(r)) if r.rule == "office.cancel_finished"),
        "{again:?}"
    );
    let assign = apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        id,
        OfficeAction::Assign {
            assignee: "reader1".into(),
            reason: None,
        },
        Utc::now(),
    )
    .await;
    assert!(matches!(&assign, Err(OrderError::Refused(r)) if r.rule == "office.assign_finished"));
    let after = f.store.get_order(f.utility, id).await.unwrap();
    assert_eq!(
        after.summary.version, cancelled.summary.version,
        "nothing was written"
    );
    f.guard.cleanup().await;
}

#[tokio::test]
async fn concurrent_office_edits_are_all_kept() {
    let f = fixture().await;
    let mut req = request(OrderType::TurnOn);
    req.meter_id = Some(f.meter.id);
    let id = create_order(f.store.as_ref(), f.utility, &f.dispatcher, req, Utc::now())
        .await
        .unwrap()
        .summary
        .id;
    let mut tasks = Vec::new();
    for n in 0..6 {
        let store = f.store.clone();
        let by = f.dispatcher.clone();
        let utility = f.utility;
        tasks.push(tokio::spawn(async move {
            let note = OfficeAction::Note {
                text: format!("note {n}"),
                review: None,
            };
            apply_office_action(store.as_ref(), utility, &by, id, note, Utc::now()).await
        }));
    }
    for task in tasks {
        task.await.expect("task").expect("every note lands");
    }
    let detail = detail(f.store.as_ref(), f.utility, id).await.unwrap();
    assert_eq!(detail.office_log.len(), 6);
    let history = f.store.order_history(f.utility, id).await.unwrap();
    assert_eq!(history.len(), 7, "create + six notes");
    f.guard.cleanup().await;
}

#[tokio::test]
async fn work_completed_offline_survives_an_office_cancel() {
    let f = fixture().await;
    let mut req = request(OrderType::CycleRead);
    req.meter_id = Some(f.meter.id);
    req.assignee = Some("reader1".into());
    let id = create_order(f.store.as_ref(), f.utility, &f.dispatcher, req, Utc::now())
        .await
        .unwrap()
        .summary
        .id;

    // The reader's device took the order, then went offline and did the work.
    let stored = f.store.get_order(f.utility, id).await.unwrap();
    let mut device = WorkOrderDoc::load(&stored.doc).unwrap();
    device.set_actor(ActorId::random());
    let reference = ReferenceData::default();
    let now = Timestamp(Utc::now().timestamp_millis());
    let context = ActionContext {
        user: "reader1".into(),
        device_time: now,
        gps: None,
    };
    let reading = FieldAction::Reading {
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
    let before = device.heads();
    device
        .record_field_action(reading, context.clone(), &reference)
        .unwrap();
    device
        .record_field_action(
            FieldAction::Complete {
                code: None,
                photos: vec![],
            },
            context,
            &reference,
        )
        .unwrap();

    // Meanwhile the office cancelled it.
    let cancelled = apply_office_action(
        f.store.as_ref(),
        f.utility,
        &f.dispatcher,
        id,
        OfficeAction::Cancel {
            reason: "account closed".into(),
        },
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(cancelled.derived.status, Status::Cancelled);

    // The device reconnects: its changes merge into the server's document.
    let stored = f.store.get_order(f.utility, id).await.unwrap();
    let mut server = WorkOrderDoc::load(&stored.doc).unwrap();
    server
        .apply_changes(&device.changes_since(&before))
        .unwrap();
    let projection = project(f.store.as_ref(), f.utility, &server).await.unwrap();
    f.store
        .update_order(
            f.utility,
            id,
            stored.summary.version,
            &OrderUpdate {
                doc: server.save(),
                projection,
                changes: vec![],
                updated_at: Utc::now(),
            },
        )
        .await
        .unwrap();

    let merged = detail(f.store.as_ref(), f.utility, id).await.unwrap();
    assert_eq!(merged.derived.status, Status::Completed);
    assert_eq!(merged.summary.projection.status, Status::Completed);
    let codes: Vec<&str> = merged
        .derived
        .exceptions
        .iter()
        .map(|e| e.code.as_str())
        .collect();
    assert!(codes.contains(&COMPLETED_AFTER_CANCEL), "{codes:?}");
    assert_eq!(merged.field.len(), 2, "the field work is all there");
    f.guard.cleanup().await;
}

mod corrections;
mod field_timeline;
mod seal_history;
