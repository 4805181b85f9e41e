//! The seal a crew puts on at a disconnect is the one the reconnect expects: the office creates
//! the reconnect without keying the seal, the server fills it in from what the disconnect
//! synced, and the crew that finds that seal intact raises nothing, while a different seal is
//! flagged as tamper as before.

use crate::fixtures::{cap, create_order_detail, metered_premise};
use crate::workflows::{FixedClock, MONDAY_MORNING_MS, photo};
use chrono::Duration;
use fieldline_core::client::Platform;
use fieldline_core::{
    AccountStatus, Capture, DisconnectPoint, FieldAction, PhotoKind, ReadMethod, ReadingInput,
    SealCondition, ValvePosition,
};
use fieldline_server::store::{Account, Meter};
use fieldline_tests::{Handheld, PASSWORD, TestServer};
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

/// The seal the disconnect crew puts on.
const SEAL: &str = "FL004521";

/// An account at the meter's premise owing enough to be cut on [`MONDAY_MORNING_MS`], its
/// snapshot taken half an hour before and its notice served three weeks before.
async fn owing_account(server: &TestServer, meter: &Meter) -> Account {
    let snapshot_at = chrono::DateTime::from_timestamp_millis(MONDAY_MORNING_MS - 1_800_000)
        .expect("a valid time");
    let account = Account {
        id: Uuid::new_v4(),
        utility_id: server.utility.id,
        number: format!("A-{}", &Uuid::new_v4().simple().to_string()[..8]),
        premise_id: meter.premise_id.expect("the meter is installed"),
        customer_name: "R. Jones".into(),
        status: AccountStatus::Active,
        balance_cents: 20_000,
        past_due_cents: 20_000,
        notice_served_at: Some(snapshot_at - Duration::days(20)),
        medical_hold: false,
        life_support: false,
        payment_plan: false,
        as_of: snapshot_at,
    };
    server
        .store()
        .insert_accounts(server.utility.id, std::slice::from_ref(&account))
        .await
        .expect("account");
    account
}

/// Starts `order` on `device` and records the seal it finds there, offline, then syncs.
async fn find_seal(device: &Handheld, order: &str, number: &str) {
    device.sync().await;
    let (id, number) = (order.to_string(), number.to_string());
    device
        .run(move |c| {
            c.start(&id)?;
            c.record(
                &id,
                cap(
                    Capture::SealFound {
                        number: Some(number),
                        condition: SealCondition::Intact,
                    },
                    vec![],
                ),
            )
        })
        .await
        .expect("the seal found is recorded");
    device.sync().await;
}

/// The office's view of an order: the flags on its `seal_found` entry, and its exception codes.
async fn seal_found_review(
    server: &TestServer,
    office: &str,
    order: &str,
) -> (Vec<String>, String) {
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(office))
        .await
        .json();
    let entry = shown["field"]
        .as_array()
        .and_then(|entries| {
            entries
                .iter()
                .find(|e| e["action"]["capture"]["step"] == "seal_found")
        })
        .unwrap_or_else(|| panic!("no seal_found entry reached the office: {shown}"));
    let mut flags: Vec<String> = entry["assessment"]["flags"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f["code"].as_str().map(str::to_string))
        .collect();
    flags.sort();
    (flags, shown["projection"]["exceptions"].to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_expects_the_seal_the_disconnect_put_on_without_the_office_keying_it() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let owing = owing_account(&server, &meter).await;
    let disconnect = create_order_detail(
        &server,
        &office,
        &json!({"order_type": "disconnect", "reason": "non_payment", "meter_id": meter.id,
               "account_id": owing.id, "assignee": "inspector1"}),
    )
    .await["id"]
        .as_str()
        .expect("id")
        .to_string();

    // The cut, offline, on a Monday morning; then the crew syncs.
    let inspector = Handheld::sign_in_with(
        &server,
        "inspector1",
        Platform {
            clock: Arc::new(FixedClock(MONDAY_MORNING_MS)),
            ..Platform::default()
        },
    )
    .await;
    inspector.sync().await;
    let (id, serial) = (disconnect.clone(), meter.serial.clone());
    inspector
        .run(move |c| {
            c.start(&id)?;
            c.record(&id, cap(Capture::MeterVerified { serial }, vec![]))?;
            c.record(
                &id,
                FieldAction::Reading {
                    readings: vec![ReadingInput {
                        register: 1,
                        value: "1050".into(),
                        confirmation: None,
                        method: ReadMethod::Keyed,
                    }],
                    reader_codes: vec![],
                    trouble_code: None,
                    note: None,
                    photos: vec![photo(PhotoKind::Register)],
                },
            )?;
            let off = Capture::Valve {
                position: ValvePosition::Off,
                point: Some(DisconnectPoint::CurbStop),
            };
            c.record(&id, cap(off, vec![]))?;
            let seal = Capture::SealInstalled {
                number: SEAL.into(),
            };
            c.record(&id, cap(seal, vec![photo(PhotoKind::Lock)]))?;
            let hanger = Capture::Customer {
                present: false,
                notified: false,
                door_hanger: true,
            };
            c.record(&id, cap(hanger, vec![]))?;
            c.complete(&id, Some("locked"))
        })
        .await
        .expect("the cut is accepted on the device");
    inspector.sync().await;
    // Its clock stopped on the day of the cut; the reconnect crew works on today's.
    inspector.cleanup();

    // The customer pays; the office creates the reconnect without naming a seal.
    let reconnect = create_order_detail(
        &server,
        &office,
        &json!({"order_type": "reconnect", "meter_id": meter.id, "account_id": owing.id,
               "assignee": "inspector1"}),
    )
    .await;
    assert_eq!(
        reconnect["office"]["details"]["recorded_seal"], SEAL,
        "{reconnect}"
    );
    let reconnect = reconnect["id"].as_str().expect("id").to_string();

    // The crew finds that seal intact: nothing to flag.
    let inspector = Handheld::sign_in(&server, "inspector1").await;
    find_seal(&inspector, &reconnect, SEAL).await;
    let (flags, exceptions) = seal_found_review(&server, &office, &reconnect).await;
    assert!(flags.is_empty(), "the recorded seal was found: {flags:?}");
    assert!(
        !exceptions.contains("tamper") && !exceptions.contains("seal_mismatch"),
        "{exceptions}"
    );

    // Another crew on another device, sent on a second reconnect, finds a different seal.
    let second = create_order_detail(
        &server,
        &office,
        &json!({"order_type": "reconnect", "meter_id": meter.id, "account_id": owing.id,
               "assignee": "reader1"}),
    )
    .await;
    assert_eq!(
        second["office"]["details"]["recorded_seal"], SEAL,
        "{second}"
    );
    let second = second["id"].as_str().expect("id").to_string();
    let reader = Handheld::sign_in(&server, "reader1").await;
    find_seal(&reader, &second, "FL009999").await;
    let (flags, exceptions) = seal_found_review(&server, &office, &second).await;
    assert_eq!(flags, ["seal_mismatch", "tamper"]);
    assert!(exceptions.contains("seal_mismatch"), "{exceptions}");

    // A seal the office names itself wins over the one on record.
    let named = create_order_detail(
        &server,
        &office,
        &json!({"order_type": "turn_on", "meter_id": meter.id,
               "details": {"recorded_seal": "FL000042"}}),
    )
    .await;
    assert_eq!(named["office"]["details"]["recorded_seal"], "FL000042");
    // And a new turn-off at the premise must not put the same seal on again.
    let turn_off = create_order_detail(
        &server,
        &office,
        &json!({"order_type": "turn_off", "meter_id": meter.id}),
    )
    .await;
    assert_eq!(
        turn_off["office"]["details"]["used_seals"],
        json!([SEAL]),
        "{turn_off}"
    );
    inspector.cleanup();
    reader.cleanup();
    server.stop().await;
}
