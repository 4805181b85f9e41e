//! Field actions on the device: durable once the call returns, refused ones write nothing,
//! limits shown as the role may see them, observers told.

use crate::support::{FakeServer, delivering, device_dir, order, signed_in};
use fieldline_core::client::{ClientError, FieldClient};
use fieldline_core::*;
use std::sync::{Arc, Mutex};

#[test]
fn an_action_is_durable_with_its_intent_once_the_call_returns() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client
        .apply_sync_response(&delivering(1, &[&order("order-1", "rita")]))
        .expect("deliver");
    client.en_route("order-1").expect("en route");
    client.arrive("order-1").expect("arrive");
    let entry = client
        .reading("order-1", 1, "1050", None)
        .expect("an in-range reading");
    drop(client);

    let reopened = FieldClient::open(dir.path()).expect("reopen");
    let view = reopened.order("order-1").expect("order");
    assert_eq!(view.field.len(), 3);
    assert_eq!(view.field[2].id, entry.id);
    let status = reopened.status().expect("status");
    assert_eq!(status.actions_logged, 3);
    assert_eq!(status.pending_changes, 3);
}

#[test]
fn a_refused_action_names_the_rule_and_field_and_writes_nothing() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client
        .apply_sync_response(&delivering(1, &[&order("order-1", "rita")]))
        .expect("deliver");
    let before = client.sync_request(false).expect("request");

    let err = client
        .reading("order-1", 1, "12x4", None)
        .expect_err("not a number");
    let ClientError::Refused(refusal) = err else {
        panic!("expected a refusal, got {err:?}");
    };
    assert!(!refusal.rule.is_empty() && !refusal.field.is_empty());

    let status = client.status().expect("status");
    assert_eq!(status.actions_logged, 0);
    assert_eq!(status.pending_changes, 0);
    assert!(client.order("order-1").expect("order").field.is_empty());
    assert_eq!(client.sync_request(false).expect("request"), before);
}

#[test]
fn unknown_orders_are_not_found() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    assert!(matches!(
        client.arrive("nope"),
        Err(ClientError::NotFound(_))
    ));
    assert!(matches!(
        client.order("nope"),
        Err(ClientError::NotFound(_))
    ));
}

#[test]
fn readers_do_not_see_hidden_limits_but_inspectors_do() {
    let server = FakeServer::start(&[("rita", "reader"), ("ivan", "inspector")]);
    let doc = order("order-1", "rita");

    let reader_dir = device_dir();
    let reader = signed_in(&server, &reader_dir, "rita");
    reader
        .apply_sync_response(&delivering(1, &[&doc]))
        .expect("deliver");
    let view = reader.order("order-1").expect("order");
    assert_eq!(view.registers[0].limits, None);
    let register = &view.office.meter.as_ref().expect("meter").registers[0];
    assert_eq!((register.low_limit, register.high_limit), (None, None));

    let inspector_dir = device_dir();
    let inspector = signed_in(&server, &inspector_dir, "ivan");
    inspector
        .apply_sync_response(&delivering(1, &[&doc]))
        .expect("deliver");
    let view = inspector.order("order-1").expect("order");
    assert_eq!(view.registers[0].limits, Some((1010.0, 1100.0)));
}

#[test]
fn orders_come_in_walk_order() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let mut docs = Vec::new();
    for (id, sequence) in [("b", 3), ("a", 9), ("c", 1)] {
        let mut office = crate::common::cycle_read_office();
        office.sequence = Some(sequence);
        let mut doc =
            WorkOrderDoc::create(id, &office, crate::common::actor(0), crate::common::CREATED)
                .expect("create");
        doc.apply_office_action(
            OfficeAction::Assign {
                assignee: "rita".into(),
                reason: None,
            },
            "dispatcher",
            crate::common::CREATED,
        )
        .expect("assign");
        docs.push(doc);
    }
    let refs: Vec<&WorkOrderDoc> = docs.iter().collect();
    client
        .apply_sync_response(&delivering(1, &refs))
        .expect("deliver");
    let orders = client.orders().expect("orders");
    let ids: Vec<(u32, &str)> = orders
        .iter()
        .map(|o| (o.position, o.order_id.as_str()))
        .collect();
    assert_eq!(ids, vec![(1, "c"), (2, "b"), (3, "a")]);
    assert_eq!(orders[0].status, Status::Assigned);
}

#[test]
fn observers_hear_of_actions_and_syncs_until_dropped() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let heard: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let sink = heard.clone();
    let subscription = client.subscribe(move |ids: Vec<String>| {
        sink.lock().expect("heard").push(ids);
    });

    client
        .apply_sync_response(&delivering(1, &[&order("order-1", "rita")]))
        .expect("deliver");
    client.en_route("order-1").expect("en route");
    let _ = client.complete("order-1", None);
    assert_eq!(
        *heard.lock().expect("heard"),
        vec![vec!["order-1".to_string()], vec!["order-1".to_string()]],
        "a sync and an action are heard; a refused action is not"
    );

    drop(subscription);
    client.arrive("order-1").expect("arrive");
    assert_eq!(heard.lock().expect("heard").len(), 2);
}

#[test]
fn the_client_can_be_shared_between_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<FieldClient>();
    shareable::<fieldline_core::client::Subscription>();
}

#[test]
fn signing_in_as_another_user_tells_observers_both_routes_changed() {
    let server = FakeServer::start(&[("rita", "reader"), ("bob", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client
        .apply_sync_response(&delivering(1, &[&order("order-1", "rita")]))
        .expect("deliver");
    let heard: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let sink = heard.clone();
    let _subscription = client.subscribe(move |ids: Vec<String>| {
        sink.lock().expect("heard").push(ids);
    });
    client
        .sign_in(&server.url, "bob", "pw", "test handheld")
        .expect("bob");
    assert_eq!(
        *heard.lock().expect("heard"),
        vec![vec!["order-1".to_string()]]
    );
}
