//! Every order type's field work end to end (issue 6): the office creates the order, a handheld
//! syncs once, then does the type's whole work offline through the core client (each refusal
//! the type's rules make named by rule and field, writing nothing), and the office sees nothing
//! of it until the handheld syncs; after the sync the office API shows the derived status,
//! completion code, exceptions, follow-ups and captured values.

use crate::fixtures::{cap, create_order, metered_premise, office_view};
use chrono::DateTime;
use fieldline_core::client::{ClientError, FieldClient};
use fieldline_core::field_found::FieldReport;
use fieldline_core::{
    Answer, Capture, ChecklistAnswer, FieldAction, FieldCorrection, GeoPoint, GpsFix,
    LeakResolution, MeterField, NewMeter, NoticeMethod, OldMeter, PhotoKind, PhotoRef,
    ProblemSeverity, ReadMethod, ReadingInput, Status, ValvePosition,
};
use fieldline_server::store::Meter;
use fieldline_tests::{Handheld, PASSWORD, TestServer};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Helpers: the office side.

/// What the crew recorded, as the office sees it: one name per field entry (`capture:<step>`
/// for captures), leaving out the device's receipt of the order, sorted (the document keeps
/// entries in one list per kind of action, not in the order they were made).
fn work_log(shown: &Value) -> Vec<String> {
    let mut names: Vec<String> = shown["field"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|e| e["action"]["action"] != "received")
        .map(|e| match e["action"]["action"].as_str() {
            Some("capture") => format!(
                "capture:{}",
                e["action"]["capture"]["step"].as_str().unwrap_or("?")
            ),
            other => other.unwrap_or("?").to_string(),
        })
        .collect();
    names.sort();
    names
}

/// Asserts the office sees exactly these entries (in any order): the work done, and nothing
/// of what the rules refused.
fn assert_work(shown: &Value, expected: &[&str]) {
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(work_log(shown), expected, "{shown}");
}

/// The first field entry that captured `step`.
fn captured<'a>(shown: &'a Value, step: &str) -> &'a Value {
    shown["field"]
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e["action"]["capture"]["step"] == step)
        })
        .unwrap_or_else(|| panic!("no {step} capture in {shown}"))
}

/// The codes of the order's exceptions, sorted and deduplicated.
fn exception_codes(shown: &Value) -> Vec<String> {
    let mut codes: Vec<String> = shown["derived"]["exceptions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e["code"].as_str().map(str::to_string))
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Asserts the office sees the order dispatched and none of the crew's work yet.
async fn office_sees_no_work(server: &TestServer, office: &str, order: &str) {
    let shown = office_view(server, office, order).await;
    assert_eq!(shown["derived"]["status"], "assigned", "{shown}");
    assert_eq!(work_log(&shown), Vec::<String>::new(), "{shown}");
}

/// Publishes the next reference data version, edited by `edit`, as the admin.
async fn publish_reference(server: &TestServer, edit: impl FnOnce(&mut Value)) {
    let admin = server.login("admin", PASSWORD).await;
    let mut next = server.get("/api/v1/reference", Some(&admin)).await.json();
    next["version"] = json!(next["version"].as_u64().expect("a version") + 1);
    edit(&mut next);
    let published = server
        .put_json("/api/v1/reference", Some(&admin), &next)
        .await;
    assert_eq!(published.status, 200, "{}", published.text);
}

// ---------------------------------------------------------------------------------------------
// Helpers: the device side.

/// Asserts the client refused the action with `rule`, naming `field`.
fn refused<T: std::fmt::Debug>(result: Result<T, ClientError>, rule: &str, field: &str) {
    match result {
        Err(ClientError::Refused(refusal)) => {
            assert_eq!(
                (refusal.rule.as_str(), refusal.field.as_str()),
                (rule, field),
                "{refusal:?}"
            );
        }
        other => panic!("expected {rule} to refuse {field}, got {other:?}"),
    }
}

fn photo(kind: PhotoKind, n: u8) -> PhotoRef {
    PhotoRef {
        sha256: format!("{:064x}", u32::from(n) * 16 + kind as u32),
        kind,
    }
}

fn keyed(register: u32, value: &str) -> ReadingInput {
    ReadingInput {
        register,
        value: value.into(),
        confirmation: None,
        method: ReadMethod::Keyed,
    }
}

/// A reading of register 1 with these photos.
fn reading(value: &str, photos: Vec<PhotoRef>) -> FieldAction {
    FieldAction::Reading {
        readings: vec![keyed(1, value)],
        reader_codes: vec![],
        trouble_code: None,
        note: None,
        photos,
    }
}

/// A fix at the fixture premise (`metered_premise` puts it at 44.97, -93.26).
fn at_premise() -> GpsFix {
    GpsFix {
        point: GeoPoint {
            lat: 44.97,
            lon: -93.26,
        },
        accuracy_m: 4.0,
    }
}

/// The flag codes of an entry the client accepted.
fn flags(entry: &fieldline_core::FieldEntry) -> Vec<&str> {
    entry
        .assessment
        .flags
        .iter()
        .map(|f| f.code.as_str())
        .collect()
}

/// Signs `user` in and syncs once: from here on the handheld works offline.
async fn handheld_with_orders(server: &TestServer, user: &str) -> Handheld {
    let device = Handheld::sign_in(server, user).await;
    device.sync().await;
    device
}

/// Runs `work` on the handheld (offline: the client makes no server call for field actions).
async fn offline(device: &Handheld, work: impl FnOnce(&FieldClient) + Send + 'static) {
    device
        .run(move |c| {
            work(c);
            Ok(())
        })
        .await
        .expect("device work");
}

// ---------------------------------------------------------------------------------------------
// 1. Special reads.

#[tokio::test]
async fn special_reads_move_in_move_out_and_control_are_read_offline_and_reach_the_office() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let unnamed = server
        .post_json(
            "/api/v1/orders",
            Some(&office),
            &json!({"order_type": "special_read", "meter_id": meter.id, "assignee": "reader1"}),
        )
        .await;
    assert_eq!(unnamed.status, 422, "{}", unnamed.text);
    assert_eq!(unnamed.json()["error"]["field"], "details.special_read");
    let mut orders = Vec::new();
    for kind in ["move_in", "move_out", "control"] {
        orders.push(
            create_order(
                &server,
                &office,
                json!({"order_type": "special_read", "reason": kind, "meter_id": meter.id,
                       "assignee": "reader1", "details": {"special_read": kind}}),
            )
            .await,
        );
    }
    let [move_in, move_out, control] = <[String; 3]>::try_from(orders).expect("three orders");

    let reader = handheld_with_orders(&server, "reader1").await;
    let (i, o, c) = (move_in.clone(), move_out.clone(), control.clone());
    offline(&reader, move |client| {
        // Move-out: the final read may not go below the last actual read (1000).
        client.start(&o).expect("start");
        refused(
            client.record(&o, reading("990", vec![photo(PhotoKind::Register, 1)])),
            "special_read.final_not_below",
            "readings[0].value",
        );
        refused(
            client.record(&o, reading("1050", vec![])),
            "special_read.photo",
            "photos",
        );
        let read = client
            .record(&o, reading("1050", vec![photo(PhotoKind::Register, 2)]))
            .expect("the final read");
        assert_eq!(read.assessment.readings[0].consumption, Some(50.0));
        refused(
            client.complete(&o, Some("completed")),
            "special_read.completion",
            "customer",
        );
        for (order, present) in [(&o, false), (&i, true), (&c, false)] {
            if order != &o {
                client.start(order).expect("start");
                refused(
                    client.complete(order, Some("completed")),
                    "special_read.completion",
                    "readings",
                );
                let value = if order == &i { "1020" } else { "1040" };
                client
                    .record(order, reading(value, vec![photo(PhotoKind::Register, 3)]))
                    .expect("the read");
            }
            client
                .record(
                    order,
                    cap(
                        Capture::Customer {
                            present,
                            notified: present,
                            door_hanger: !present,
                        },
                        vec![],
                    ),
                )
                .expect("customer presence");
            client
                .complete(order, Some("completed"))
                .expect("completed");
        }
    })
    .await;
    for order in [&move_in, &move_out, &control] {
        office_sees_no_work(&server, &office, order).await;
    }

    reader.sync().await;
    for (order, kind, value) in [
        (&move_in, "move_in", 1020.0),
        (&move_out, "move_out", 1050.0),
        (&control, "control", 1040.0),
    ] {
        let shown = office_view(&server, &office, order).await;
        assert_eq!(shown["derived"]["status"], "completed", "{shown}");
        assert_eq!(shown["derived"]["completion_code"], "completed");
        assert_eq!(shown["office"]["details"]["special_read"], kind);
        assert_work(
            &shown,
            &["start", "reading", "capture:customer", "complete"],
        );
        let read = &shown["field"]
            .as_array()
            .expect("entries")
            .iter()
            .find(|e| e["action"]["action"] == "reading")
            .expect("the reading")["assessment"]["readings"][0];
        assert_eq!(read["value"], value, "{read}");
        assert_eq!(read["validation"], "normal", "{read}");
        assert_eq!(exception_codes(&shown), Vec::<String>::new());
    }
    assert_eq!(
        captured(&office_view(&server, &office, &move_in).await, "customer")["action"]["capture"]["present"],
        true
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 2. Turn-on.

#[tokio::test]
async fn a_turn_on_with_use_while_off_and_a_moving_leak_indicator_reaches_the_office_flagged() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "turn_on", "reason": "move_in", "meter_id": meter.id,
               "assignee": "inspector1", "details": {"recorded_seal": "FL001234"}}),
    )
    .await;
    let inspector = handheld_with_orders(&server, "inspector1").await;
    let (id, serial) = (order.clone(), meter.serial.clone());
    offline(&inspector, move |c| {
        c.start(&id).expect("start");
        refused(
            c.complete(&id, Some("completed")),
            "turn_on.completion",
            "meter_verified",
        );
        refused(
            c.record(
                &id,
                cap(
                    Capture::MeterVerified {
                        serial: "SN-WRONG".into(),
                    },
                    vec![],
                ),
            ),
            "service.serial",
            "capture.serial",
        );
        c.record(&id, cap(Capture::MeterVerified { serial }, vec![]))
            .expect("serial verified");
        // 50 units since the read taken when service was shut off.
        let opening = c
            .record(&id, reading("1050", vec![photo(PhotoKind::Register, 1)]))
            .expect("opening read");
        assert_eq!(flags(&opening), ["usage_while_off"], "{opening:?}");
        c.record(
            &id,
            cap(
                Capture::Valve {
                    position: ValvePosition::On,
                    point: None,
                },
                vec![],
            ),
        )
        .expect("valve on");
        // The default policy leaves service off when the indicator moves.
        refused(
            c.record(
                &id,
                cap(
                    Capture::LeakCheck {
                        indicator_moving: true,
                        resolution: Some(LeakResolution::CustomerNotified),
                    },
                    vec![],
                ),
            ),
            "service.leak_check",
            "capture.resolution",
        );
        let leak = c
            .record(
                &id,
                cap(
                    Capture::LeakCheck {
                        indicator_moving: true,
                        resolution: Some(LeakResolution::LeftOff),
                    },
                    vec![photo(PhotoKind::Leak, 2)],
                ),
            )
            .expect("leak check");
        assert_eq!(flags(&leak), ["leak"]);
        refused(
            c.complete(&id, Some("completed_with_issue")),
            "turn_on.completion",
            "seal_removed",
        );
        refused(
            c.record(
                &id,
                cap(Capture::SealRemoved { number: " ".into() }, vec![]),
            ),
            "seal.removed",
            "capture.number",
        );
        let seal = c
            .record(
                &id,
                cap(
                    Capture::SealRemoved {
                        number: "fl001234".into(),
                    },
                    vec![],
                ),
            )
            .expect("the recorded seal");
        assert!(flags(&seal).is_empty(), "{seal:?}");
        c.record(
            &id,
            cap(
                Capture::Customer {
                    present: true,
                    notified: true,
                    door_hanger: false,
                },
                vec![photo(PhotoKind::Meter, 3)],
            ),
        )
        .expect("customer told");
        c.complete(&id, Some("completed_with_issue"))
            .expect("completed");
    })
    .await;
    office_sees_no_work(&server, &office, &order).await;

    inspector.sync().await;
    let shown = office_view(&server, &office, &order).await;
    assert_eq!(shown["derived"]["status"], "completed", "{shown}");
    assert_eq!(shown["derived"]["completion_code"], "completed_with_issue");
    assert_eq!(shown["office"]["details"]["recorded_seal"], "FL001234");
    assert_work(
        &shown,
        &[
            "start",
            "capture:meter_verified",
            "reading",
            "capture:valve",
            "capture:leak_check",
            "capture:seal_removed",
            "capture:customer",
            "complete",
        ],
    );
    assert_eq!(exception_codes(&shown), ["leak", "usage_while_off"]);
    assert_eq!(
        captured(&shown, "leak_check")["action"]["capture"]["resolution"],
        "left_off"
    );
    let links = server
        .get(&format!("/api/v1/orders/{order}/follow-ups"), Some(&office))
        .await
        .json();
    assert_eq!(
        links["follow_ups"],
        json!([]),
        "the recorded seal: no tamper"
    );
    assert_eq!(inspector.status(&order).await, Status::Completed);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 3. Disconnect notice delivery.

#[tokio::test]
async fn notices_posted_handed_to_an_adult_or_refused_offline_start_the_accounts_notice_period() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let mut premises = Vec::new();
    let mut orders = Vec::new();
    for _ in 0..3 {
        let (premise, meter) = metered_premise(&server, &server.utility).await;
        orders.push(
            create_order(
                &server,
                &office,
                json!({"order_type": "disconnect_notice", "premise_id": premise.id,
                       "assignee": "inspector1"}),
            )
            .await,
        );
        premises.push((premise, meter));
    }
    let inspector = handheld_with_orders(&server, "inspector1").await;
    let ids = orders.clone();
    let served: Vec<i64> = inspector
        .run(move |c| {
            let deliver = |method, recipient: Option<&str>, photos| {
                cap(
                    Capture::NoticeDelivered {
                        method,
                        recipient: recipient.map(str::to_string),
                    },
                    photos,
                )
            };
            let notice = || vec![photo(PhotoKind::Notice, 1)];
            let mut served = Vec::new();
            for (id, method, recipient) in [
                (&ids[0], NoticeMethod::Posted, None),
                (&ids[1], NoticeMethod::HandedToAdult, Some("P. Adult")),
                (&ids[2], NoticeMethod::Refused, None),
            ] {
                c.start(id)?;
                refused(
                    c.complete(id, Some("completed")),
                    "notice.completion",
                    "notice_delivered",
                );
                refused(
                    c.record_with(id, deliver(method, recipient, vec![]), Some(at_premise())),
                    "notice.photo",
                    "photos",
                );
                refused(
                    c.record_with(id, deliver(method, recipient, notice()), None),
                    "notice.gps",
                    "gps",
                );
                if method == NoticeMethod::HandedToAdult {
                    refused(
                        c.record_with(
                            id,
                            deliver(method, Some("  "), notice()),
                            Some(at_premise()),
                        ),
                        "notice.recipient",
                        "capture.recipient",
                    );
                }
                let entry =
                    c.record_with(id, deliver(method, recipient, notice()), Some(at_premise()))?;
                served.push(entry.context.device_time.0);
                c.complete(id, Some("completed"))?;
            }
            Ok(served)
        })
        .await
        .expect("the deliveries are accepted");
    for (order, (premise, _)) in orders.iter().zip(&premises) {
        office_sees_no_work(&server, &office, order).await;
        let account = server
            .get(&format!("/api/v1/premises/{}", premise.id), Some(&office))
            .await
            .json();
        assert_eq!(account["accounts"][0]["notice_served_at"], Value::Null);
    }

    inspector.sync().await;
    for ((order, (premise, meter)), served_ms) in orders.iter().zip(&premises).zip(&served) {
        let shown = office_view(&server, &office, order).await;
        assert_eq!(shown["derived"]["status"], "completed", "{shown}");
        assert_work(&shown, &["start", "capture:notice_delivered", "complete"]);
        let delivery = captured(&shown, "notice_delivered");
        assert_eq!(delivery["context"]["gps"]["point"]["lat"], 44.97);
        assert_eq!(delivery["context"]["device_time"], *served_ms);
        // The account's notice period starts at the delivery.
        let detail = server
            .get(&format!("/api/v1/premises/{}", premise.id), Some(&office))
            .await
            .json();
        let at = detail["accounts"][0]["notice_served_at"]
            .as_str()
            .unwrap_or_else(|| panic!("no notice time on the account: {detail}"));
        let at = DateTime::parse_from_rfc3339(at).expect("a time");
        assert_eq!(at.timestamp_millis(), *served_ms);
        // A disconnect dispatched now carries the served notice to its crew.
        let cut = create_order(
            &server,
            &office,
            json!({"order_type": "disconnect", "meter_id": meter.id}),
        )
        .await;
        let cut = office_view(&server, &office, &cut).await;
        assert_eq!(cut["office"]["account"]["notice_served_at"], *served_ms);
    }
    assert_eq!(
        captured(
            &office_view(&server, &office, &orders[1]).await,
            "notice_delivered"
        )["action"]["capture"]["recipient"],
        "P. Adult"
    );
    assert_eq!(
        captured(
            &office_view(&server, &office, &orders[2]).await,
            "notice_delivered"
        )["action"]["capture"]["method"],
        "refused"
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 4. Meter exchange.

fn exchange(meter: &Meter, old_read: &str, new_serial: &str, reason: &str) -> Capture {
    Capture::Exchange {
        reason: reason.into(),
        old: OldMeter {
            serial: meter.serial.clone(),
            readings: vec![keyed(1, old_read)],
        },
        new: NewMeter {
            serial: new_serial.into(),
            initial_readings: vec!["0000.12".into()],
            radio_id: Some("RF-5521".into()),
        },
    }
}

#[tokio::test]
async fn a_meter_exchange_records_both_meters_as_one_unit_and_the_meter_records_follow() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (premise, meter) = metered_premise(&server, &server.utility).await;
    publish_reference(&server, |r| {
        r["meter_stock"] = json!([{"serial": "NM-20001", "size": "5/8\"", "dials_left": 4,
                                   "dials_right": 2, "registers": 1}]);
    })
    .await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "meter_exchange", "reason": "age", "meter_id": meter.id,
               "assignee": "inspector1"}),
    )
    .await;
    let inspector = handheld_with_orders(&server, "inspector1").await;
    let (id, m) = (order.clone(), meter.clone());
    offline(&inspector, move |c| {
        let both = || vec![photo(PhotoKind::Meter, 1), photo(PhotoKind::Meter, 2)];
        c.start(&id).expect("start");
        refused(
            c.complete(&id, Some("completed")),
            "meter_exchange.completion",
            "exchange",
        );
        refused(
            c.record(&id, cap(exchange(&m, "1050", "NM-20001", "whim"), both())),
            "meter_exchange.reason",
            "capture.reason",
        );
        let mut wrong_old = m.clone();
        wrong_old.serial = "SN-OTHER".into();
        refused(
            c.record(
                &id,
                cap(exchange(&wrong_old, "1050", "NM-20001", "age"), both()),
            ),
            "meter_exchange.old_meter",
            "old.serial",
        );
        refused(
            c.record(&id, cap(exchange(&m, "1050", "NM-99999", "age"), both())),
            "meter_exchange.new_meter",
            "new.serial",
        );
        refused(
            c.record(&id, cap(exchange(&m, "1050", &m.serial, "age"), both())),
            "meter_exchange.new_meter",
            "new.serial",
        );
        // The old meter's final read passes the cycle-read rules: 6 digits on 5 dials is not.
        refused(
            c.record(&id, cap(exchange(&m, "105000", "NM-20001", "age"), both())),
            "cycle_read.full_scale",
            "old.readings[0].value",
        );
        refused(
            c.record(
                &id,
                cap(
                    exchange(&m, "1050", "NM-20001", "age"),
                    vec![photo(PhotoKind::Meter, 1)],
                ),
            ),
            "meter_exchange.photos",
            "photos",
        );
        let unit = c
            .record(&id, cap(exchange(&m, "1050", "nm-20001", "age"), both()))
            .expect("the exchange");
        assert_eq!(unit.assessment.readings[0].value, 1050.0);
        assert_eq!(unit.assessment.readings[0].consumption, Some(50.0));
        c.complete(&id, Some("completed")).expect("completed");
    })
    .await;
    office_sees_no_work(&server, &office, &order).await;
    let old_meter = format!("/api/v1/meters/{}", meter.id);
    let before = server.get(&old_meter, Some(&office)).await.json();
    assert_eq!(before["status"], "active", "{before}");

    inspector.sync().await;
    let shown = office_view(&server, &office, &order).await;
    assert_eq!(shown["derived"]["status"], "completed", "{shown}");
    assert_eq!(shown["derived"]["completion_code"], "completed");
    assert_work(&shown, &["start", "capture:exchange", "complete"]);
    // The meter records follow: the old meter is out with its final read, the stock meter in.
    let removed = server.get(&old_meter, Some(&office)).await.json();
    assert_eq!(removed["status"], "removed", "{removed}");
    assert_eq!(removed["premise_id"], Value::Null);
    assert_eq!(removed["registers"][0]["last_read"], "1050");
    let premise = server
        .get(&format!("/api/v1/premises/{}", premise.id), Some(&office))
        .await
        .json();
    let installed = &premise["meters"];
    assert_eq!(installed.as_array().map(Vec::len), Some(1), "{premise}");
    assert_eq!(installed[0]["serial"], "NM-20001");
    assert_eq!(installed[0]["status"], "active");
    assert_eq!(installed[0]["size"], "5/8\"");
    assert_eq!(installed[0]["registers"][0]["dials_left"], 4);
    assert_eq!(installed[0]["registers"][0]["dials_right"], 2);
    assert_eq!(installed[0]["registers"][0]["last_read"], "0000.12");
    // The next order at the premise is for the new meter.
    let next = create_order(
        &server,
        &office,
        json!({"order_type": "cycle_read", "premise_id": premise["id"]}),
    )
    .await;
    let next = office_view(&server, &office, &next).await;
    assert_eq!(next["office"]["meter"]["serial"], "NM-20001");
    assert_eq!(
        next["office"]["meter"]["registers"][0]["previous_read"],
        0.12
    );
    let unit = captured(&shown, "exchange");
    let capture = &unit["action"]["capture"];
    assert_eq!(capture["old"]["serial"], meter.serial.as_str());
    assert_eq!(capture["old"]["readings"][0]["value"], "1050");
    assert_eq!(capture["new"]["serial"], "nm-20001");
    assert_eq!(capture["new"]["initial_readings"], json!(["0000.12"]));
    assert_eq!(capture["new"]["radio_id"], "RF-5521");
    assert_eq!(unit["assessment"]["readings"][0]["billed"], 50.0);
    assert_eq!(unit["action"]["photos"].as_array().map(Vec::len), Some(2));
    assert_eq!(unit["reference_version"], 2, "checked against the stock");
    assert_eq!(exception_codes(&shown), Vec::<String>::new());
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 5. Inspection with a versioned checklist.

fn yes_no(question: &str, value: bool) -> ChecklistAnswer {
    ChecklistAnswer {
        question: question.into(),
        answer: Answer::YesNo(value),
    }
}

fn checklist(version: u32, answers: Vec<ChecklistAnswer>) -> Capture {
    Capture::Checklist {
        template: "tamper".into(),
        version,
        answers,
    }
}

#[tokio::test]
async fn an_inspection_answers_the_checklist_version_the_office_named_and_confirms_tamper() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    // Version 2 of the tamper checklist adds a required question.
    publish_reference(&server, |r| {
        let mut v2 = r["checklists"][0].clone();
        v2["version"] = json!(2);
        v2["questions"].as_array_mut().expect("questions").push(
            json!({"id": "seal_number_found", "label": "Seal number found",
                   "kind": {"kind": "text"}, "required": true}),
        );
        r["checklists"].as_array_mut().expect("checklists").push(v2);
    })
    .await;
    let unknown = server
        .post_json(
            "/api/v1/orders",
            Some(&office),
            &json!({"order_type": "inspection", "meter_id": meter.id,
                    "details": {"checklist": {"template": "tamper", "version": 3}}}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert_eq!(unknown.json()["error"]["field"], "details.checklist");
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "inspection", "reason": "tamper", "meter_id": meter.id,
               "assignee": "inspector1",
               "details": {"checklist": {"template": "tamper", "version": 2}}}),
    )
    .await;
    let inspector = handheld_with_orders(&server, "inspector1").await;
    let id = order.clone();
    offline(&inspector, move |c| {
        let v1_answers = || {
            vec![
                yes_no("seal_intact", false),
                yes_no("meter_present", true),
                yes_no("bypass_found", true),
                ChecklistAnswer {
                    question: "service_condition".into(),
                    answer: Answer::Choice("poor".into()),
                },
            ]
        };
        c.start(&id).expect("start");
        refused(
            c.complete(&id, Some("no_violation")),
            "inspection.completion",
            "checklist",
        );
        refused(
            c.record(&id, cap(checklist(1, v1_answers()), vec![])),
            "inspection.template",
            "capture.template",
        );
        // Version 2's answers without its new required question.
        refused(
            c.record(&id, cap(checklist(2, v1_answers()), vec![])),
            "inspection.answers",
            "capture.answers",
        );
        let mut off_list = v1_answers();
        off_list[3].answer = Answer::Choice("awful".into());
        refused(
            c.record(&id, cap(checklist(2, off_list), vec![])),
            "inspection.answers",
            "capture.answers[3]",
        );
        let mut answers = v1_answers();
        answers.push(ChecklistAnswer {
            question: "seal_number_found".into(),
            answer: Answer::Text("none".into()),
        });
        c.record(&id, cap(checklist(2, answers), vec![]))
            .expect("the checklist");
        refused(
            c.complete(&id, Some("tamper_confirmed")),
            "inspection.completion",
            "photos",
        );
        c.record(
            &id,
            FieldAction::Photo {
                photo: photo(PhotoKind::Evidence, 1),
            },
        )
        .expect("evidence");
        let done = c
            .complete(&id, Some("tamper_confirmed"))
            .expect("completed");
        assert_eq!(flags(&done), ["tamper"]);
    })
    .await;
    office_sees_no_work(&server, &office, &order).await;

    inspector.sync().await;
    let shown = office_view(&server, &office, &order).await;
    assert_eq!(shown["derived"]["status"], "completed", "{shown}");
    assert_eq!(shown["derived"]["completion_code"], "tamper_confirmed");
    assert_work(&shown, &["start", "capture:checklist", "photo", "complete"]);
    assert_eq!(exception_codes(&shown), ["tamper"]);
    let answered = &captured(&shown, "checklist")["action"]["capture"];
    assert_eq!(answered["version"], 2);
    assert_eq!(answered["answers"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        answered["answers"][4],
        json!({"question": "seal_number_found", "answer": {"kind": "text", "value": "none"}})
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 6. Field-found order.

#[tokio::test]
async fn a_field_found_order_created_offline_reaches_the_office_with_its_finder_and_type() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let inspector = handheld_with_orders(&server, "inspector1").await;
    let report = |code: &str, photos: Vec<PhotoRef>, note: Option<&str>| FieldReport {
        code: code.into(),
        severity: ProblemSeverity::High,
        address: "in front of 40 Elm St".into(),
        photos,
        note: note.map(str::to_string),
    };
    let leak = || vec![photo(PhotoKind::Leak, 1)];
    let (order, first) = inspector
        .run(move |c| {
            refused(
                c.create_field_found(report("leak", leak(), None), None),
                "field_found.problem",
                "gps",
            );
            refused(
                c.create_field_found(report("sinkhole", leak(), None), Some(at_premise())),
                "field_found.problem",
                "capture.code",
            );
            refused(
                c.create_field_found(report("leak", vec![], None), Some(at_premise())),
                "field_found.problem",
                "photos",
            );
            refused(
                c.create_field_found(report("other", leak(), None), Some(at_premise())),
                "field_found.problem",
                "note",
            );
            assert!(c.orders()?.is_empty(), "a refused report creates no order");
            let (order, first) = c.create_field_found(
                report("leak", leak(), Some("water running in the gutter")),
                Some(at_premise()),
            )?;
            refused(c.start(&order), "common.sequence", "action");
            c.complete(&order, Some("completed"))?;
            Ok((order, first))
        })
        .await
        .expect("the report is accepted");
    assert_eq!(flags(&first), ["leak"]);
    let unseen = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await;
    assert_eq!(unseen.status, 404, "not synced yet: {}", unseen.text);

    inspector.sync().await;
    let shown = office_view(&server, &office, &order).await;
    assert_eq!(shown["office"]["order_type"], "field_found", "{shown}");
    assert_eq!(shown["office"]["source"], "field_found");
    assert_eq!(shown["office"]["created_by"], "inspector1");
    assert_eq!(shown["office"]["reason"], "leak");
    assert_eq!(shown["office"]["priority"], "urgent");
    assert_eq!(
        shown["office"]["premise"]["address"],
        "in front of 40 Elm St"
    );
    assert!(shown["number"].as_i64().is_some_and(|n| n > 0), "{shown}");
    assert_eq!(shown["derived"]["status"], "completed");
    assert_work(&shown, &["capture:problem", "complete"]);
    assert_eq!(
        captured(&shown, "problem")["action"]["capture"]["severity"],
        "high"
    );
    assert_eq!(exception_codes(&shown), ["leak"]);
    let listed = server
        .get("/api/v1/orders?type=field_found", Some(&office))
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert!(listed.text.contains(&order), "{}", listed.text);
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 7. Cycle read with reader and trouble codes.

fn coded(codes: &[&str], trouble: Option<&str>, photos: Vec<PhotoRef>) -> FieldAction {
    FieldAction::Reading {
        readings: vec![keyed(1, "1050")],
        reader_codes: codes.iter().map(|c| c.to_string()).collect(),
        trouble_code: trouble.map(str::to_string),
        note: Some("indicator spinning, seal cut".into()),
        photos,
    }
}

#[tokio::test]
async fn a_cycle_read_with_reader_and_trouble_codes_reaches_the_office_with_their_flags() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let (_, skipped_meter) = metered_premise(&server, &server.utility).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": "reader1"}),
    )
    .await;
    let skipped = create_order(
        &server,
        &office,
        json!({"order_type": "cycle_read", "meter_id": skipped_meter.id, "assignee": "reader1"}),
    )
    .await;
    let reader = handheld_with_orders(&server, "reader1").await;
    let (id, skip_id) = (order.clone(), skipped.clone());
    offline(&reader, move |c| {
        let register = || vec![photo(PhotoKind::Register, 1)];
        refused(
            c.record(
                &id,
                coded(
                    &["lid_broken", "box_flooded", "dirty_register", "dog_present"],
                    None,
                    vec![],
                ),
            ),
            "cycle_read.reader_codes",
            "reader_codes",
        );
        refused(
            c.record(&id, coded(&["lid_broken", "moon_phase"], None, vec![])),
            "cycle_read.reader_codes",
            "reader_codes[1]",
        );
        refused(
            c.record(&id, coded(&["lid_broken", "lid_broken"], None, vec![])),
            "cycle_read.reader_codes",
            "reader_codes[1]",
        );
        refused(
            c.record(&id, coded(&[], Some("gremlins"), register())),
            "cycle_read.trouble_code",
            "trouble_code",
        );
        refused(
            c.record(&id, coded(&[], Some("tamper_suspected"), vec![])),
            "cycle_read.trouble_code",
            "photos",
        );
        let read = c
            .record(
                &id,
                coded(
                    &["leak_indicator_moving", "dirty_register"],
                    Some("tamper_suspected"),
                    register(),
                ),
            )
            .expect("the coded read");
        assert_eq!(flags(&read), ["leak", "tamper"]);
        c.complete(&id, Some("read")).expect("completed");

        // A skip code that needs a note.
        refused(
            c.skip(&skip_id, "meter_not_found"),
            "cycle_read.skip_note",
            "note",
        );
        c.record(
            &skip_id,
            FieldAction::Skip {
                code: "meter_not_found".into(),
                note: Some("no box at the address on file".into()),
                photos: vec![],
            },
        )
        .expect("the skip");
        c.complete(&skip_id, Some("skipped")).expect("completed");
    })
    .await;
    office_sees_no_work(&server, &office, &order).await;
    office_sees_no_work(&server, &office, &skipped).await;

    reader.sync().await;
    let shown = office_view(&server, &office, &order).await;
    assert_eq!(shown["derived"]["status"], "completed", "{shown}");
    assert_eq!(shown["derived"]["completion_code"], "read");
    assert_work(&shown, &["reading", "complete"]);
    let entry = shown["field"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["action"]["action"] == "reading")
        .expect("the reading");
    assert_eq!(
        entry["action"]["reader_codes"],
        json!(["leak_indicator_moving", "dirty_register"])
    );
    assert_eq!(entry["action"]["trouble_code"], "tamper_suspected");
    assert_eq!(entry["assessment"]["readings"][0]["validation"], "normal");
    assert_eq!(exception_codes(&shown), ["leak", "tamper"]);

    let shown = office_view(&server, &office, &skipped).await;
    assert_eq!(shown["derived"]["status"], "completed", "{shown}");
    assert_eq!(shown["derived"]["completion_code"], "skipped");
    assert_work(&shown, &["skip", "complete"]);
    assert_eq!(
        shown["field"]
            .as_array()
            .and_then(|f| f.iter().find(|e| e["action"]["action"] == "skip"))
            .map(|e| e["action"]["code"].clone()),
        Some(json!("meter_not_found"))
    );
    server.stop().await;
}

// ---------------------------------------------------------------------------------------------
// 8. Cycle read: endpoint flags, meter-record corrections and a meter found.

fn correction(field: MeterField, register: Option<u32>, value: &str) -> FieldCorrection {
    FieldCorrection {
        field,
        register,
        value: value.into(),
    }
}

fn meter_found(serial: &str, photos: Vec<PhotoRef>) -> FieldAction {
    cap(
        Capture::MeterFound {
            serial: serial.into(),
            reading: "00412".into(),
            location: "side yard, behind the shed".into(),
        },
        photos,
    )
}

/// The details of the order's exceptions with `code`, sorted.
fn exception_details(shown: &Value, code: &str) -> Vec<String> {
    let mut details: Vec<String> = shown["derived"]["exceptions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|e| e["code"] == code)
        .filter_map(|e| e["detail"].as_str().map(str::to_string))
        .collect();
    details.sort();
    details
}

#[tokio::test]
async fn a_cycle_reads_endpoint_flags_meter_corrections_and_meter_found_reach_the_office_for_review()
 {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    // The utility adds an endpoint flag of its own through the reference API.
    publish_reference(&server, |r| {
        r["endpoint_flags"]
            .as_array_mut()
            .expect("endpoint flags")
            .push(json!({"code": "antenna_bent", "label": "Antenna bent",
                         "photo_required": true, "flag": "endpoint_problem"}));
    })
    .await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": "reader1"}),
    )
    .await;
    let reader = handheld_with_orders(&server, "reader1").await;
    let (id, serial) = (order.clone(), meter.serial.clone());
    offline(&reader, move |c| {
        let badge = || vec![photo(PhotoKind::Meter, 7)];
        let flags_of = |codes: &[&str]| Capture::EndpointFlags {
            flags: codes.iter().map(|c| c.to_string()).collect(),
        };
        let corrections =
            |list: Vec<FieldCorrection>| Capture::MeterCorrection { corrections: list };

        // Endpoint flags from the published list, with the photo the utility's flag needs.
        refused(
            c.record(&id, cap(flags_of(&["haunted"]), vec![])),
            "cycle_read.endpoint_flags",
            "capture.flags[0]",
        );
        refused(
            c.record(&id, cap(flags_of(&["tamper", "antenna_bent"]), vec![])),
            "cycle_read.endpoint_flags",
            "photos",
        );
        let endpoint = c
            .record(&id, cap(flags_of(&["tamper", "antenna_bent"]), badge()))
            .expect("the endpoint flags");
        assert_eq!(flags(&endpoint), ["tamper", "endpoint_problem"]);
        assert_eq!(endpoint.assessment.follow_ups.len(), 1);

        // Corrections of the meter record: a known field, a new value, a badge photo for a serial.
        refused(
            c.record(
                &id,
                cap(
                    corrections(vec![correction(MeterField::Serial, None, "SN-NEW-77")]),
                    vec![],
                ),
            ),
            "cycle_read.correction_photo",
            "photos",
        );
        refused(
            c.record(
                &id,
                cap(
                    corrections(vec![correction(MeterField::Serial, None, &serial)]),
                    badge(),
                ),
            ),
            "cycle_read.correction_value",
            "capture.corrections[0].value",
        );
        refused(
            c.record(
                &id,
                cap(
                    corrections(vec![correction(MeterField::DialsLeft, None, "6")]),
                    vec![],
                ),
            ),
            "cycle_read.correction_field",
            "capture.corrections[0].register",
        );
        let corrected = c
            .record(
                &id,
                cap(
                    corrections(vec![
                        correction(MeterField::Serial, None, "SN-NEW-77"),
                        correction(MeterField::AccessNotes, None, "gate code 4471, dog in yard"),
                        correction(MeterField::DialsLeft, Some(1), "6"),
                    ]),
                    badge(),
                ),
            )
            .expect("the corrections");
        assert_eq!(flags(&corrected), ["meter_info_correction"; 3]);

        // A second meter at the premise.
        refused(
            c.record(&id, meter_found(&serial, badge())),
            "cycle_read.meter_found",
            "capture.serial",
        );
        refused(
            c.record(&id, meter_found("SN-EXTRA-1", vec![])),
            "cycle_read.meter_found",
            "photos",
        );
        let found = c
            .record(&id, meter_found("SN-EXTRA-1", badge()))
            .expect("the meter found");
        assert_eq!(flags(&found), ["meter_found"]);

        c.record(&id, reading("1050", vec![])).expect("the reading");
        c.complete(&id, Some("read")).expect("completed");
    })
    .await;
    office_sees_no_work(&server, &office, &order).await;

    reader.sync().await;
    let shown = office_view(&server, &office, &order).await;
    assert_eq!(shown["derived"]["status"], "completed", "{shown}");
    assert_work(
        &shown,
        &[
            "capture:endpoint_flags",
            "capture:meter_correction",
            "capture:meter_found",
            "reading",
            "complete",
        ],
    );
    assert_eq!(
        exception_codes(&shown),
        [
            "endpoint_problem",
            "meter_found",
            "meter_info_correction",
            "tamper"
        ]
    );
    assert_eq!(
        exception_details(&shown, "meter_info_correction"),
        [
            "access_notes: differs from the record".to_string(),
            "dials_left: 5 on record, 6 found".to_string(),
            format!("serial: {} on record, SN-NEW-77 found", meter.serial),
        ]
    );
    let proposed = &captured(&shown, "meter_correction")["action"];
    assert_eq!(
        proposed["capture"]["corrections"][1],
        json!({"field": "access_notes", "register": null, "value": "gate code 4471, dog in yard"})
    );
    assert_eq!(proposed["photos"].as_array().map(Vec::len), Some(1));
    let extra = &captured(&shown, "meter_found")["action"]["capture"];
    assert_eq!(extra["serial"], "SN-EXTRA-1");
    assert_eq!(extra["reading"], "00412");
    assert_eq!(
        captured(&shown, "endpoint_flags")["action"]["capture"]["flags"],
        json!(["tamper", "antenna_bent"])
    );

    // Tamper and the meter found each call for an inspection; the corrections wait for a
    // dispatcher: the meter record is unchanged.
    let links = server
        .get(&format!("/api/v1/orders/{order}/follow-ups"), Some(&office))
        .await
        .json();
    let mut reasons: Vec<(String, String)> = links["follow_ups"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap_or("?").to_string(),
                l["reason"].as_str().unwrap_or("?").to_string(),
            )
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            ("inspection".to_string(), "endpoint_tamper".to_string()),
            ("inspection".to_string(), "meter_found".to_string()),
        ],
        "{links}"
    );
    let record = server
        .get(&format!("/api/v1/meters/{}", meter.id), Some(&office))
        .await
        .json();
    assert_eq!(record["serial"], meter.serial.as_str(), "{record}");
    assert_eq!(record["registers"][0]["dials_left"], 5, "{record}");
    server.stop().await;
}
