//! Applying sync answers on the device: the outbox is what the server has not acknowledged,
//! acking by heads clears it, answers are idempotent, revoked orders leave once acked,
//! rejections are kept for `status`.

use crate::support::{FakeServer, delivering, device_dir, order, signed_in, wire_heads};
use fieldline_core::document::automerge::ChangeHash;
use fieldline_core::sync::{DocChanges, Rejection, SyncResponse};
use fieldline_core::*;

#[test]
fn pending_changes_are_those_not_acked_and_acking_by_heads_clears_them() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let office = order("order-1", "rita");
    client
        .apply_sync_response(&delivering(1, &[&office]))
        .expect("deliver");
    assert!(
        client
            .sync_request(false)
            .expect("request")
            .uploads
            .is_empty()
    );

    client.en_route("order-1").expect("en route");
    client.arrive("order-1").expect("arrive");
    let request = client.sync_request(false).expect("request");
    assert_eq!(request.cursor, Some(1));
    assert_eq!(request.uploads.len(), 1);
    assert_eq!(request.uploads[0].changes.len(), 2);

    // The server applies only the first change (say), and acks its heads.
    let mut server_doc = office.clone();
    server_doc
        .apply_changes(&request.uploads[0].changes[..1])
        .expect("apply");
    let mut ack = SyncResponse::empty(2);
    ack.acked = vec![wire_heads("order-1", &server_doc.heads())];
    client.apply_sync_response(&ack).expect("ack one");
    let request = client.sync_request(false).expect("request");
    assert_eq!(
        request.uploads[0].changes,
        request.uploads[0].changes[..1].to_vec()
    );
    assert_eq!(client.status().expect("status").pending_changes, 1);

    server_doc
        .apply_changes(&request.uploads[0].changes)
        .expect("apply");
    ack.acked = vec![wire_heads("order-1", &server_doc.heads())];
    ack.cursor = 3;
    client.apply_sync_response(&ack).expect("ack all");
    let status = client.status().expect("status");
    assert_eq!(status.pending_changes, 0);
    assert_eq!(status.cursor, Some(3));
    assert!(
        client
            .sync_request(false)
            .expect("request")
            .uploads
            .is_empty()
    );
}

#[test]
fn office_changes_received_are_not_uploaded_back() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let mut office = order("order-1", "rita");
    client
        .apply_sync_response(&delivering(1, &[&office]))
        .expect("deliver");
    let before = office.heads();
    office
        .apply_office_action(
            OfficeAction::Note {
                text: "beware of the dog".into(),
                review: None,
            },
            "dispatcher",
            Timestamp(crate::common::CREATED.0 + 5),
        )
        .expect("note");
    let mut response = SyncResponse::empty(2);
    response.changes = vec![DocChanges {
        order_id: "order-1".into(),
        changes: office.changes_since(&before),
    }];
    let report = client.apply_sync_response(&response).expect("changes");
    assert_eq!(report.received_changes, 1);
    assert_eq!(report.changed_orders, vec!["order-1".to_string()]);
    assert!(
        client
            .sync_request(false)
            .expect("request")
            .uploads
            .is_empty()
    );
    assert_eq!(client.order("order-1").expect("order").office_log.len(), 2);
}

#[test]
fn applying_the_same_answer_twice_is_harmless() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let first = order("order-1", "rita");
    client
        .apply_sync_response(&delivering(1, &[&first]))
        .expect("deliver");
    client.en_route("order-1").expect("en route");
    let upload = client.sync_request(false).expect("request").uploads;
    let mut server_doc = first.clone();
    server_doc.apply_changes(&upload[0].changes).expect("apply");

    let mut answer = delivering(7, &[&order("order-2", "rita")]);
    answer.acked = vec![wire_heads("order-1", &server_doc.heads())];
    answer.rejected = vec![Rejection {
        order_id: "order-1".into(),
        hashes: vec![[9; 32]],
        code: "actor_not_bound".into(),
        message: "test".into(),
    }];
    let once = client.apply_sync_response(&answer).expect("once");
    let orders_once = client.orders().expect("orders");
    let status_once = client.status().expect("status");
    let docs_once: Vec<_> = ["order-1", "order-2"]
        .iter()
        .map(|id| client.order(id).expect("order"))
        .collect();

    let twice = client.apply_sync_response(&answer).expect("twice");
    assert_eq!(once.new_orders, 1);
    assert!(
        twice.changed_orders.iter().all(|id| id == "order-1"),
        "only the rejection is re-noted"
    );
    assert_eq!(client.orders().expect("orders"), orders_once);
    let status_twice = client.status().expect("status");
    assert_eq!(status_twice.rejections.len(), 1);
    assert_eq!(status_twice.pending_changes, status_once.pending_changes);
    assert_eq!(status_twice.cursor, Some(7));
    let docs_twice: Vec<_> = ["order-1", "order-2"]
        .iter()
        .map(|id| client.order(id).expect("order"))
        .collect();
    assert_eq!(docs_twice, docs_once);
}

#[test]
fn a_held_order_delivered_again_is_merged_not_replaced() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let office = order("order-1", "rita");
    client
        .apply_sync_response(&delivering(1, &[&office]))
        .expect("deliver");
    client.en_route("order-1").expect("en route");
    client
        .apply_sync_response(&delivering(2, &[&office]))
        .expect("deliver again");
    assert_eq!(client.order("order-1").expect("order").field.len(), 1);
    assert_eq!(client.status().expect("status").pending_changes, 1);
}

#[test]
fn a_revoked_order_uploads_its_work_then_leaves() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let office = order("order-1", "rita");
    client
        .apply_sync_response(&delivering(1, &[&office]))
        .expect("deliver");
    client.en_route("order-1").expect("en route");

    let mut revoke = SyncResponse::empty(2);
    revoke.revoked = vec!["order-1".into()];
    let report = client.apply_sync_response(&revoke).expect("revoke");
    assert_eq!(report.revoked, vec!["order-1".to_string()]);
    assert!(
        report.dropped.is_empty(),
        "its work is not on the server yet"
    );
    assert!(client.orders().expect("orders").is_empty());
    assert!(
        client.arrive("order-1").is_err(),
        "no more work on a revoked order"
    );
    let upload = client.sync_request(false).expect("request").uploads;
    assert_eq!(upload.len(), 1);

    let mut server_doc = office.clone();
    server_doc.apply_changes(&upload[0].changes).expect("apply");
    let mut ack = SyncResponse::empty(3);
    ack.acked = vec![wire_heads("order-1", &server_doc.heads())];
    let report = client.apply_sync_response(&ack).expect("ack");
    assert_eq!(report.dropped, vec!["order-1".to_string()]);
    assert!(client.order("order-1").is_err());
    assert_eq!(client.status().expect("status").pending_changes, 0);
}

#[test]
fn reconciling_sends_the_heads_of_every_held_order() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let office = order("order-1", "rita");
    client
        .apply_sync_response(&delivering(1, &[&office]))
        .expect("deliver");
    let request = client.sync_request(true).expect("request");
    assert_eq!(request.holdings.len(), 1);
    let mut heads: Vec<[u8; 32]> = office.heads().iter().map(|h: &ChangeHash| h.0).collect();
    heads.sort();
    assert_eq!(request.holdings[0].heads, heads);
}

#[test]
fn a_malformed_answer_changes_nothing() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    let mut answer = delivering(5, &[&order("order-1", "rita")]);
    answer.changes = vec![DocChanges {
        order_id: "order-1".into(),
        changes: vec![b"not a change".to_vec()],
    }];
    assert!(client.apply_sync_response(&answer).is_err());
    assert!(client.orders().expect("orders").is_empty());
    assert_eq!(client.status().expect("status").cursor, None);
}

/// The office's replica after `n` notes to the crew, with the heads before them.
fn office_with_notes(n: usize) -> (WorkOrderDoc, Vec<ChangeHash>, Vec<Vec<u8>>) {
    let mut office = order("order-1", "rita");
    let before = office.heads();
    for i in 0..n {
        office
            .apply_office_action(
                OfficeAction::Note {
                    text: format!("note {i}"),
                    review: None,
                },
                "dispatcher",
                Timestamp(crate::common::CREATED.0 + 10 + i as i64),
            )
            .expect("note");
    }
    let changes = office.changes_since(&before);
    (office, before, changes)
}

#[test]
fn a_change_without_its_dependencies_asks_for_reconciliation_and_is_not_counted() {
    let server = FakeServer::start(&[("rita", "reader")]);
    let dir = device_dir();
    let client = signed_in(&server, &dir, "rita");
    client
        .apply_sync_response(&delivering(1, &[&order("order-1", "rita")]))
        .expect("deliver");
    let (_, _, changes) = office_with_notes(2);
    let mut response = SyncResponse::empty(2);
    response.changes = vec![DocChanges {
        order_id: "order-1".into(),
        changes: vec![changes[1].clone()],
    }];
    let report = client.apply_sync_response(&response).expect("apply");
    assert!(report.reconcile_needed);
    assert_eq!(report.received_changes, 0);
    assert!(
        client
            .sync_request(false)
            .expect("request")
            .uploads
            .is_empty()
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(12))]

    /// However the server's changes are batched, repeated and interleaved with the device's own
    /// work, the device ends with every change, uploads only its own, and derives one status.
    #[test]
    fn applying_answers_in_any_batching_and_repetition_converges(
        notes in 1usize..5,
        cuts in proptest::collection::vec(0usize..5, 0..4),
        repeat in proptest::collection::vec(proptest::bool::ANY, 5),
    ) {
        let server = FakeServer::start(&[("rita", "reader")]);
        let dir = device_dir();
        let client = signed_in(&server, &dir, "rita");
        let (office, _, changes) = office_with_notes(notes);
        client
            .apply_sync_response(&delivering(1, &[&order("order-1", "rita")]))
            .expect("deliver");
        client.en_route("order-1").expect("own work");

        let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(changes.len())).collect();
        bounds.push(0);
        bounds.push(changes.len());
        bounds.sort();
        bounds.dedup();
        for (i, window) in bounds.windows(2).enumerate() {
            let mut response = SyncResponse::empty(2 + i as u64);
            response.changes = vec![DocChanges {
                order_id: "order-1".into(),
                changes: changes[window[0]..window[1]].to_vec(),
            }];
            client.apply_sync_response(&response).expect("apply");
            if repeat.get(i).copied().unwrap_or(false) {
                client.apply_sync_response(&response).expect("apply again");
            }
        }

        let view = client.order("order-1").expect("order");
        proptest::prop_assert_eq!(view.office_log.len(), 1 + notes);
        let request = client.sync_request(false).expect("request");
        proptest::prop_assert_eq!(request.uploads.len(), 1);
        proptest::prop_assert_eq!(request.uploads[0].changes.len(), 1, "only the device's own change");

        let mut server_doc = office.clone();
        server_doc.apply_changes(&request.uploads[0].changes).expect("server applies");
        proptest::prop_assert_eq!(server_doc.derive().expect("derive").status, view.status);
    }
}
