//! Real devices (the core's `FieldClient`, each with its own store) against a real server: a
//! shift worked offline while the office cancels and reassigns, then every replica converges.

use crate::fixtures::metered_premise;
use fieldline_core::{Role, Status};
use fieldline_tests::{Handheld, PASSWORD, TestServer};
use serde_json::{Value, json};

async fn create_read(server: &TestServer, token: &str, assignee: &str) -> String {
    let (_, meter) = metered_premise(server, &server.utility).await;
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

/// The server's view of an order: document JSON is not exposed, so compare what it derives and
/// the field entries it holds.
async fn office_view(server: &TestServer, token: &str, id: &str) -> Value {
    let response = server
        .get(&format!("/api/v1/orders/{id}"), Some(token))
        .await;
    assert_eq!(response.status, 200, "{}", response.text);
    response.json()
}

fn entry_ids(entries: &Value) -> Vec<String> {
    let mut ids: Vec<String> = entries
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shift_worked_offline_converges_with_the_office() {
    let server = TestServer::start().await;
    server
        .add_user(&server.utility, "reader2", Role::Reader)
        .await;
    server
        .add_user(&server.utility, "reader3", Role::Reader)
        .await;
    let office = server.login("dispatcher", PASSWORD).await;

    let cancelled = create_read(&server, &office, "reader1").await;
    let kept = create_read(&server, &office, "reader1").await;
    let reassigned = create_read(&server, &office, "reader2").await;
    let skipped = create_read(&server, &office, "reader3").await;

    let r1 = Handheld::sign_in(&server, "reader1").await;
    let r2 = Handheld::sign_in(&server, "reader2").await;
    let r3 = Handheld::sign_in(&server, "reader3").await;
    for (device, expected) in [(&r1, 2), (&r2, 1), (&r3, 1)] {
        let report = device.sync().await;
        assert_eq!(report.round_trips, 1, "a route arrives in one round trip");
        assert_eq!(device.order_ids().await.len(), expected);
    }

    // Offline: the crews work their routes.
    let (c, k) = (cancelled.clone(), kept.clone());
    r1.run(move |client| {
        client.arrive(&c)?;
        client.reading(&c, 1, "1050", None)?;
        client.complete(&c, None)?;
        client.reading(&k, 1, "1042", None)?;
        client.note(&k, "meter box lid cracked")?;
        client.complete(&k, None)
    })
    .await
    .expect("reader1's work");
    let r = reassigned.clone();
    r2.run(move |client| {
        client.arrive(&r)?;
        client.reading(&r, 1, "1060", None)
    })
    .await
    .expect("reader2's work");
    let s = skipped.clone();
    r3.run(move |client| client.skip(&s, "no_access"))
        .await
        .expect("reader3's work");

    // Meanwhile the office cancels one of reader1's orders and gives reader2's to reader3.
    let cancel = server
        .post_json(
            &format!("/api/v1/orders/{cancelled}/cancel"),
            Some(&office),
            &json!({"reason": "account closed"}),
        )
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.text);
    let reassign = server
        .post_json(
            &format!("/api/v1/orders/{reassigned}/assign"),
            Some(&office),
            &json!({"assignee": "reader3", "reason": "reader2 went home sick"}),
        )
        .await;
    assert_eq!(reassign.status, 200, "{}", reassign.text);

    // Back in coverage: everyone syncs, then syncs once more to pick up the others' work.
    for _ in 0..2 {
        for device in [&r1, &r2, &r3] {
            let report = device.sync().await;
            assert!(!report.incomplete, "{report:?}");
            assert_eq!(report.rejected, 0, "{report:?}");
        }
    }

    let cancelled_view = office_view(&server, &office, &cancelled).await;
    assert_eq!(cancelled_view["derived"]["status"], "completed");
    assert_eq!(
        cancelled_view["derived"]["exceptions"][0]["code"],
        "completed_after_cancel"
    );
    assert_eq!(
        office_view(&server, &office, &kept).await["derived"]["status"],
        "completed"
    );
    let reassigned_view = office_view(&server, &office, &reassigned).await;
    assert_eq!(reassigned_view["assignee"], "reader3");
    assert_eq!(
        reassigned_view["derived"]["exceptions"][0]["code"],
        "worked_after_reassign"
    );
    assert_eq!(
        entry_ids(&reassigned_view["field"]).len(),
        2,
        "reader2's work is kept"
    );
    assert_eq!(
        office_view(&server, &office, &skipped).await["derived"]["status"],
        Status::InProgress.as_str()
    );

    // The order moved: off reader2's handheld, onto reader3's.
    assert!(!r2.order_ids().await.contains(&reassigned));
    assert!(r3.order_ids().await.contains(&reassigned));

    // Every replica holds the same document and derives the same status as the office.
    for (device, ids) in [
        (&r1, vec![&cancelled, &kept]),
        (&r3, vec![&reassigned, &skipped]),
    ] {
        for id in ids {
            let (doc, derived) = device.replica(id).await;
            let view = office_view(&server, &office, id).await;
            assert_eq!(derived, view["derived"], "derived status of {id}");
            let device_entries: usize = ["events", "readings", "notes", "photos"]
                .iter()
                .map(|list| doc["field"][list].as_array().map_or(0, Vec::len))
                .sum();
            assert_eq!(
                device_entries,
                entry_ids(&view["field"]).len(),
                "field entries of {id}"
            );
        }
    }
    let r3_copy = r3.replica(&reassigned).await.0;
    let stored = server
        .store()
        .get_order(server.utility.id, reassigned.parse().expect("uuid"))
        .await
        .expect("stored order");
    let server_copy = fieldline_core::WorkOrderDoc::load(&stored.doc)
        .and_then(|d| d.to_json())
        .expect("server document");
    assert_eq!(r3_copy, server_copy, "identical documents");

    // Nothing new: a sync is one small round trip.
    let report = r1.sync().await;
    assert_eq!(report.round_trips, 1);
    assert!(report.bytes_sent < 1024, "sent {} bytes", report.bytes_sent);
    assert!(
        report.bytes_received < 1024,
        "received {} bytes",
        report.bytes_received
    );
    server.stop().await;
}
