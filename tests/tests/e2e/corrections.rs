//! A reader's correction of the meter record, decided by the office: the reader corrects the
//! record offline on a cycle read, syncs, and a dispatcher accepts it over HTTP. The meter record
//! (`GET /api/v1/meters/{id}`) and the next order at that meter then carry the corrected data,
//! the order's exception is resolved and the decision is in its office log and on the handheld.
//! A second decision, a field user and another utility's dispatcher are refused.

use crate::fixtures::{create_order, metered_premise, office_view};
use fieldline_core::{
    Capture, FieldAction, FieldCorrection, MeterField, PhotoKind, PhotoRef, Role,
};
use fieldline_tests::{Handheld, PASSWORD, TestServer};
use serde_json::{Value, json};

fn correction(field: MeterField, register: Option<u32>, value: &str) -> FieldCorrection {
    FieldCorrection {
        field,
        register,
        value: value.into(),
    }
}

async fn create_cycle_read(server: &TestServer, office: &str, meter: uuid::Uuid) -> String {
    create_order(
        server,
        office,
        json!({"order_type": "cycle_read", "meter_id": meter, "assignee": "reader1"}),
    )
    .await
}

/// The `meter_info_correction` exceptions of an order as the office sees it.
fn open_corrections(shown: &Value) -> Vec<Value> {
    shown["derived"]["exceptions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["code"] == "meter_info_correction")
        .collect()
}

#[tokio::test]
async fn a_dispatcher_accepts_a_readers_meter_correction_and_the_record_and_next_order_follow() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let order = create_cycle_read(&server, &office, meter.id).await;

    // Offline on the handheld: a new serial (with the badge photo), size and register-1 dials.
    let reader = Handheld::sign_in(&server, "reader1").await;
    reader.sync().await;
    let id = order.clone();
    reader
        .run(move |c| {
            c.record(
                &id,
                FieldAction::Capture {
                    capture: Capture::MeterCorrection {
                        corrections: vec![
                            correction(MeterField::Serial, None, "SN-FOUND-77"),
                            correction(MeterField::Size, None, "1\""),
                            correction(MeterField::DialsLeft, Some(1), "6"),
                        ],
                    },
                    photos: vec![PhotoRef {
                        sha256: "cd".repeat(32),
                        kind: PhotoKind::Meter,
                    }],
                    note: None,
                },
            )?;
            Ok(())
        })
        .await
        .expect("the correction, offline");
    reader.sync().await;

    let shown = office_view(&server, &office, &order).await;
    let flagged = open_corrections(&shown);
    assert_eq!(flagged.len(), 3, "{shown}");
    let entry = flagged[0]["entries"][0]
        .as_str()
        .expect("entry id")
        .to_string();
    let decide = format!("/api/v1/orders/{order}/corrections/{entry}");
    let unchanged = server
        .get(&format!("/api/v1/meters/{}", meter.id), Some(&office))
        .await
        .json();
    assert_eq!(
        unchanged["serial"],
        meter.serial.as_str(),
        "the sync changed no record"
    );

    // A reader cannot decide; another utility's dispatcher does not see the order.
    let reader_token = server.login("reader1", PASSWORD).await;
    let by_reader = server
        .post_json(&decide, Some(&reader_token), &json!({"decision": "accept"}))
        .await;
    assert_eq!(by_reader.status, 403, "{}", by_reader.text);
    let other = server.add_utility("lakeside").await;
    server
        .add_user(&other, "lake_dispatcher", Role::Dispatcher)
        .await;
    let foreign = server.login("lake_dispatcher", PASSWORD).await;
    let by_foreign = server
        .post_json(&decide, Some(&foreign), &json!({"decision": "accept"}))
        .await;
    assert_eq!(by_foreign.status, 404, "{}", by_foreign.text);
    let unknown = server
        .post_json(&decide, Some(&office), &json!({"decision": "approve"}))
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);

    // The dispatcher accepts: the record is corrected, the exception resolved.
    let accepted = server
        .post_json(
            &decide,
            Some(&office),
            &json!({"decision": "accept", "note": "badge photo matches"}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let decided = accepted.json();
    assert_eq!(open_corrections(&decided), Vec::<Value>::new(), "{decided}");
    let log = decided["office_log"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let note = log.last().expect("the decision");
    assert_eq!(note["by"], "dispatcher");
    assert_eq!(note["action"]["action"], "note");
    assert_eq!(
        note["action"]["review"],
        json!({"entry": entry, "flag": "meter_info_correction", "decision": "accepted"})
    );

    let corrected = server
        .get(&format!("/api/v1/meters/{}", meter.id), Some(&office))
        .await;
    assert_eq!(corrected.status, 200, "{}", corrected.text);
    let corrected = corrected.json();
    assert_eq!(corrected["serial"], "SN-FOUND-77");
    assert_eq!(corrected["size"], "1\"");
    assert_eq!(corrected["registers"][0]["dials_left"], 6);

    // Deciding again is refused, and changes nothing.
    let again = server
        .post_json(&decide, Some(&office), &json!({"decision": "dismiss"}))
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(again.text.contains("already accepted"), "{}", again.text);

    // The audit trail has the dispatcher's note; the handheld gets it and no open exception.
    let history = server
        .get(&format!("/api/v1/orders/{order}/history"), Some(&office))
        .await
        .json();
    assert!(history.to_string().contains("office:note"), "{history}");
    reader.sync().await;
    let id = order.clone();
    reader
        .run(move |c| {
            let view = c.order(&id)?;
            assert!(
                view.exceptions
                    .iter()
                    .all(|e| e.code != "meter_info_correction"),
                "{:?}",
                view.exceptions
            );
            assert!(view.office_log.iter().any(|e| e.action.review().is_some()));
            Ok(())
        })
        .await
        .expect("the handheld's view");

    // The next order at that meter carries the corrected record.
    let next = create_cycle_read(&server, &office, meter.id).await;
    let next = office_view(&server, &office, &next).await;
    assert_eq!(next["office"]["meter"]["serial"], "SN-FOUND-77", "{next}");
    assert_eq!(next["office"]["meter"]["size"], "1\"");
    assert_eq!(next["office"]["meter"]["registers"][0]["dials_left"], 6);
}

#[tokio::test]
async fn a_dismissed_correction_leaves_the_record_and_a_stale_one_is_refused_naming_the_field() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let first = create_cycle_read(&server, &office, meter.id).await;
    let second = create_cycle_read(&server, &office, meter.id).await;

    // Two readings of the same meter each propose a size.
    let reader = Handheld::sign_in(&server, "reader1").await;
    reader.sync().await;
    let ids = (first.clone(), second.clone());
    reader
        .run(move |c| {
            for (id, size) in [(&ids.0, "1\""), (&ids.1, "2\"")] {
                c.record(
                    id,
                    FieldAction::Capture {
                        capture: Capture::MeterCorrection {
                            corrections: vec![correction(MeterField::Size, None, size)],
                        },
                        photos: vec![],
                        note: None,
                    },
                )?;
            }
            Ok(())
        })
        .await
        .expect("the corrections, offline");
    reader.sync().await;

    let entry_of = |shown: &Value| {
        open_corrections(shown)[0]["entries"][0]
            .as_str()
            .expect("entry id")
            .to_string()
    };
    let first_entry = entry_of(&office_view(&server, &office, &first).await);
    let second_entry = entry_of(&office_view(&server, &office, &second).await);

    let dismissed = server
        .post_json(
            &format!("/api/v1/orders/{second}/corrections/{second_entry}"),
            Some(&office),
            &json!({"decision": "dismiss"}),
        )
        .await;
    assert_eq!(dismissed.status, 200, "{}", dismissed.text);
    assert_eq!(open_corrections(&dismissed.json()), Vec::<Value>::new());
    let accepted = server
        .post_json(
            &format!("/api/v1/orders/{first}/corrections/{first_entry}"),
            Some(&office),
            &json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    let record = server
        .get(&format!("/api/v1/meters/{}", meter.id), Some(&office))
        .await
        .json();
    assert_eq!(record["size"], "1\"", "the dismissed size was not applied");

    // A third reading proposed against the old size: the record has changed since.
    let third = create_cycle_read(&server, &office, meter.id).await;
    reader.sync().await;
    let id = third.clone();
    reader
        .run(move |c| {
            c.record(
                &id,
                FieldAction::Capture {
                    capture: Capture::MeterCorrection {
                        corrections: vec![correction(MeterField::Size, None, "3/4\"")],
                    },
                    photos: vec![],
                    note: None,
                },
            )?;
            Ok(())
        })
        .await
        .expect("the correction, offline");
    reader.sync().await;
    // Billing changes the size again before the office decides.
    let mut changed = server
        .store()
        .get_meter(server.utility.id, meter.id)
        .await
        .expect("meter");
    let before = changed.clone();
    changed.size = "1 1/2\"".into();
    server
        .store()
        .correct_meter(
            server.utility.id,
            &fieldline_server::store::MeterCorrection {
                before,
                after: changed,
                access_notes: None,
            },
        )
        .await
        .expect("billing's change");
    let third_entry = entry_of(&office_view(&server, &office, &third).await);
    let stale = server
        .post_json(
            &format!("/api/v1/orders/{third}/corrections/{third_entry}"),
            Some(&office),
            &json!({"decision": "accept"}),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert!(stale.text.contains("size"), "{}", stale.text);
    assert_eq!(
        open_corrections(&office_view(&server, &office, &third).await).len(),
        1,
        "still open"
    );
}
