//! Field workflows end to end, through the device client against a real server: follow-up
//! orders a field outcome calls for, and payments that cancel disconnects the crew holds.

use crate::fixtures::{cap, create_order, metered_premise};
use chrono::{Duration, Utc};
use fieldline_core::client::{ClientError, Clock, Platform};
use fieldline_core::{
    AccountStatus, Capture, DisconnectPoint, FieldAction, Findings, HouseValveResult, LeakSide,
    MeterCondition, PhotoKind, PhotoRef, ReadMethod, ReadingInput, Recommendation, Role,
    SealCondition, Status, ValvePosition,
};
use fieldline_server::ServerClock;
use fieldline_server::store::{Account, Meter};
use fieldline_tests::{Handheld, PASSWORD, TestOptions, TestServer};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use uuid::Uuid;

/// An account at the meter's premise with these billing facts, stored as billing loaded it.
async fn account_at(
    server: &TestServer,
    meter: &Meter,
    status: AccountStatus,
    past_due: i64,
) -> Account {
    let account = Account {
        id: Uuid::new_v4(),
        utility_id: server.utility.id,
        number: format!("A-{}", &Uuid::new_v4().simple().to_string()[..8]),
        premise_id: meter.premise_id.expect("the meter is installed"),
        customer_name: "R. Jones".into(),
        status,
        balance_cents: past_due,
        past_due_cents: past_due,
        notice_served_at: Some(Utc::now() - Duration::days(20)),
        medical_hold: false,
        life_support: false,
        payment_plan: false,
        as_of: Utc::now(),
    };
    server
        .store()
        .insert_accounts(server.utility.id, std::slice::from_ref(&account))
        .await
        .expect("account");
    account
}

#[tokio::test]
async fn a_reading_showing_use_on_an_inactive_account_creates_one_inspection_the_office_sees() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let inactive = account_at(&server, &meter, AccountStatus::Inactive, 0).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "cycle_read", "meter_id": meter.id, "account_id": inactive.id,
               "assignee": "reader1"}),
    )
    .await;
    let reader = Handheld::sign_in(&server, "reader1").await;
    reader.sync().await;
    let id = order.clone();
    let entry = reader
        .run(move |c| c.reading(&id, 1, "1050", None))
        .await
        .expect("the reading is accepted");
    assert!(
        entry
            .assessment
            .flags
            .iter()
            .any(|f| f.code == "unauthorized_use"),
        "{:?}",
        entry.assessment
    );
    reader.sync().await;
    reader.sync().await;

    let links = server
        .get(&format!("/api/v1/orders/{order}/follow-ups"), Some(&office))
        .await;
    assert_eq!(links.status, 200, "{}", links.text);
    let follow_ups = links.json()["follow_ups"].clone();
    let follow_ups = follow_ups.as_array().expect("a list");
    assert_eq!(follow_ups.len(), 1, "{follow_ups:?}");
    assert_eq!(follow_ups[0]["kind"], "inspection");
    assert_eq!(follow_ups[0]["reason"], "unauthorized_use");
    assert_eq!(follow_ups[0]["origin_entry_id"], entry.id.as_str());
    let follow_up = follow_ups[0]["order_id"].as_str().expect("order id");

    let shown = server
        .get(&format!("/api/v1/orders/{follow_up}"), Some(&office))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    let shown = shown.json();
    assert_eq!(shown["office"]["order_type"], "inspection");
    assert_eq!(shown["office"]["priority"], "high");
    assert_eq!(shown["office"]["account"]["id"], inactive.id.to_string());
    assert_eq!(shown["office"]["meter"]["id"], meter.id.to_string());
    assert_eq!(shown["derived"]["status"], "unassigned");
    let back = server
        .get(
            &format!("/api/v1/orders/{follow_up}/follow-ups"),
            Some(&office),
        )
        .await;
    assert_eq!(back.json()["origin"]["origin_order_id"], order.as_str());
    reader.cleanup();
    server.stop().await;
}

#[tokio::test]
async fn a_payment_after_dispatch_cancels_the_disconnect_and_the_device_learns_it_on_its_next_sync()
{
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let owing = account_at(&server, &meter, AccountStatus::Active, 20_000).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "disconnect", "reason": "non_payment", "meter_id": meter.id,
               "account_id": owing.id, "assignee": "inspector1"}),
    )
    .await;
    let inspector = Handheld::sign_in(&server, "inspector1").await;
    inspector.sync().await;
    assert_eq!(inspector.status(&order).await, Status::Assigned);

    let paid = server
        .post_json(
            &format!("/api/v1/accounts/{}/payments", owing.id),
            Some(&office),
            &json!({"amount_cents": 20_000, "reference": "R-1001"}),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    let paid = paid.json();
    assert_eq!(paid["account"]["past_due_cents"], 0);
    assert_eq!(paid["account"]["balance_cents"], 0);
    assert_eq!(paid["cancelled_orders"], json!([order]));

    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert_eq!(shown["derived"]["status"], "cancelled");
    let log = shown["office_log"].to_string();
    assert!(log.contains("customer_paid"), "{log}");

    inspector.sync().await;
    assert_eq!(inspector.status(&order).await, Status::Cancelled);
    inspector.cleanup();
    server.stop().await;
}

#[tokio::test]
async fn a_partial_payment_that_leaves_the_account_past_due_keeps_the_disconnect() {
    let server = TestServer::start().await;
    let office = server.login("supervisor", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let owing = account_at(&server, &meter, AccountStatus::Active, 20_000).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "disconnect", "meter_id": meter.id, "account_id": owing.id,
               "assignee": "inspector1"}),
    )
    .await;
    let paid = server
        .post_json(
            &format!("/api/v1/accounts/{}/payments", owing.id),
            Some(&office),
            &json!({"amount_cents": 1_000}),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    assert_eq!(paid.json()["account"]["past_due_cents"], 19_000);
    assert_eq!(paid.json()["cancelled_orders"], json!([]));
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert_eq!(shown["derived"]["status"], "assigned");
    server.stop().await;
}

#[tokio::test]
async fn payments_out_of_range_unknown_accounts_and_repeated_references_are_refused() {
    let server = TestServer::start().await;
    let office = server.login("admin", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let owing = account_at(&server, &meter, AccountStatus::Active, 20_000).await;
    let path = format!("/api/v1/accounts/{}/payments", owing.id);
    for (body, field) in [
        (json!({"amount_cents": 0}), "amount_cents"),
        (json!({"amount_cents": -5}), "amount_cents"),
        (json!({"amount_cents": 1_000_000_001}), "amount_cents"),
        (
            json!({"amount_cents": 100, "reference": "x".repeat(65)}),
            "reference",
        ),
    ] {
        let refused = server.post_json(&path, Some(&office), &body).await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.text);
        assert_eq!(refused.json()["error"]["field"], field, "{}", refused.text);
    }
    let unknown = server
        .post_json(
            &format!("/api/v1/accounts/{}/payments", Uuid::new_v4()),
            Some(&office),
            &json!({"amount_cents": 100}),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.text);
    let not_an_id = server
        .post_json(
            "/api/v1/accounts/nope/payments",
            Some(&office),
            &json!({"amount_cents": 100}),
        )
        .await;
    assert_eq!(not_an_id.status, 400, "{}", not_an_id.text);
    let body = json!({"amount_cents": 100, "reference": "R-7"});
    let first = server.post_json(&path, Some(&office), &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = server.post_json(&path, Some(&office), &body).await;
    assert_eq!(again.status, 409, "{}", again.text);
    let account = server
        .store()
        .get_account(server.utility.id, owing.id)
        .await
        .expect("account");
    assert_eq!(account.past_due_cents, 19_900, "the repeat was not counted");
    server.stop().await;
}

/// A device clock stopped at one instant.
pub(crate) struct FixedClock(pub(crate) i64);

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0
    }
}

/// A Monday, 09:13 in the default utility's time zone: inside the allowed cut hours whatever
/// the wall clock says when the test runs.
pub(crate) const MONDAY_MORNING_MS: i64 = 1_790_000_000_000 + 3_600_000;

#[tokio::test]
async fn a_cut_made_offline_before_the_payment_reached_the_device_is_kept_with_an_exception() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    // Billing refreshed the account half an hour before the crew's cut.
    let snapshot_at = chrono::DateTime::from_timestamp_millis(MONDAY_MORNING_MS - 1_800_000)
        .expect("a valid time");
    let mut owing = account_at(&server, &meter, AccountStatus::Active, 20_000).await;
    owing.id = Uuid::new_v4();
    owing.number = format!("{}-2", owing.number);
    owing.as_of = snapshot_at;
    owing.notice_served_at = Some(snapshot_at - Duration::days(20));
    server
        .store()
        .insert_accounts(server.utility.id, std::slice::from_ref(&owing))
        .await
        .expect("account");
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "disconnect", "reason": "non_payment", "meter_id": meter.id,
               "account_id": owing.id, "assignee": "inspector1"}),
    )
    .await;

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

    // Offline: the whole cut, completed as `locked`.
    let serial = meter.serial.clone();
    let id = order.clone();
    inspector
        .run(move |c| {
            c.start(&id)?;
            let capture = |capture: Capture, photos: Vec<PhotoRef>| FieldAction::Capture {
                capture,
                photos,
                note: None,
            };
            c.record(&id, capture(Capture::MeterVerified { serial }, vec![]))?;
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
            c.record(
                &id,
                capture(
                    Capture::Valve {
                        position: ValvePosition::Off,
                        point: Some(DisconnectPoint::CurbStop),
                    },
                    vec![],
                ),
            )?;
            c.record(
                &id,
                capture(
                    Capture::SealInstalled {
                        number: "FL004521".into(),
                    },
                    vec![photo(PhotoKind::Lock)],
                ),
            )?;
            c.record(
                &id,
                capture(
                    Capture::Customer {
                        present: false,
                        notified: false,
                        door_hanger: true,
                    },
                    vec![],
                ),
            )?;
            c.complete(&id, Some("locked"))
        })
        .await
        .expect("the cut is accepted on the device");

    // Meanwhile the customer pays; the office cancels the order it thinks is still open.
    let paid = server
        .post_json(
            &format!("/api/v1/accounts/{}/payments", owing.id),
            Some(&office),
            &json!({"amount_cents": 20_000}),
        )
        .await;
    assert_eq!(paid.status, 201, "{}", paid.text);
    assert_eq!(paid.json()["cancelled_orders"], json!([order]));

    // The device comes back: the cut merges, is kept, and the office sees the exception.
    inspector.sync().await;
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert_eq!(shown["derived"]["status"], "completed", "{shown}");
    assert_eq!(shown["derived"]["completion_code"], "locked");
    let exceptions = shown["derived"]["exceptions"].to_string();
    assert!(
        exceptions.contains("completed_after_cancel"),
        "{exceptions}"
    );
    let field = shown["field"].as_array().map(Vec::len).unwrap_or_default();
    assert_eq!(field, 7, "every step of the cut was kept");
    assert_eq!(inspector.status(&order).await, Status::Completed);
    inspector.cleanup();
    server.stop().await;
}

pub(crate) fn photo(kind: PhotoKind) -> PhotoRef {
    PhotoRef {
        sha256: format!("{:064x}", kind as u8 + 1),
        kind,
    }
}

/// One clock for the server and a handheld in a story that spans a night: both read the same
/// instant, which the test moves forward.
#[derive(Clone)]
struct StoryClock(Arc<AtomicI64>);

impl StoryClock {
    fn at(ms: i64) -> StoryClock {
        StoryClock(Arc::new(AtomicI64::new(ms)))
    }

    fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    fn server(&self) -> ServerClock {
        let now = Arc::clone(&self.0);
        ServerClock::from_fn(move || {
            chrono::DateTime::from_timestamp_millis(now.load(Ordering::SeqCst))
                .expect("a valid time")
        })
    }
}

impl Clock for StoryClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// An order's audit trail, as the office reads it.
async fn history(server: &TestServer, office: &str, order: &str) -> Value {
    server
        .get(&format!("/api/v1/orders/{order}/history"), Some(office))
        .await
        .json()
}

/// The valve-off capture of a cut at the curb stop.
fn valve_off() -> FieldAction {
    FieldAction::Capture {
        capture: Capture::Valve {
            position: ValvePosition::Off,
            point: Some(DisconnectPoint::CurbStop),
        },
        photos: vec![],
        note: None,
    }
}

#[tokio::test]
async fn a_stale_account_snapshot_refuses_the_cut_offline_and_the_next_sync_refreshes_it() {
    const HOUR_MS: i64 = 3_600_000;
    // Sunday evening: the crew syncs its Monday work before going home.
    let evening = MONDAY_MORNING_MS - 13 * HOUR_MS;
    let clock = StoryClock::at(evening);
    let server = TestServer::start_with(TestOptions {
        clock: Some(clock.server()),
        ..TestOptions::default()
    })
    .await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    // Billing loaded the account an hour before dispatch.
    let loaded_at =
        chrono::DateTime::from_timestamp_millis(evening - HOUR_MS).expect("a valid time");
    let mut owing = account_at(&server, &meter, AccountStatus::Active, 20_000).await;
    owing.id = Uuid::new_v4();
    owing.number = format!("{}-2", owing.number);
    owing.as_of = loaded_at;
    owing.notice_served_at = Some(loaded_at - Duration::days(20));
    server
        .store()
        .insert_accounts(server.utility.id, std::slice::from_ref(&owing))
        .await
        .expect("account");
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "disconnect", "meter_id": meter.id, "account_id": owing.id,
               "assignee": "inspector1"}),
    )
    .await;
    let inspector = Handheld::sign_in_with(
        &server,
        "inspector1",
        Platform {
            clock: Arc::new(clock.clone()),
            ..Platform::default()
        },
    )
    .await;
    inspector.sync().await;
    let refreshes = |history: &Value| {
        history
            .as_array()
            .expect("a list")
            .iter()
            .filter(|c| c["summary"] == "office:account")
            .count()
    };
    assert_eq!(
        refreshes(&history(&server, &office, &order).await),
        0,
        "an hour-old snapshot that says what the account says is not rewritten"
    );

    // Monday morning, offline: the snapshot is 14 hours old (the policy allows 12).
    clock.set(MONDAY_MORNING_MS);
    let id = order.clone();
    let refused = inspector
        .run(move |c| {
            c.start(&id)?;
            c.record(&id, valve_off())
        })
        .await;
    match refused {
        Err(ClientError::Refused(refusal)) => {
            assert_eq!(refusal.rule, "disconnect.snapshot_fresh", "{refusal:?}");
            assert_eq!(refusal.field, "account.as_of", "{refusal:?}");
        }
        other => panic!("the cut must be refused on a stale snapshot, got {other:?}"),
    }

    // The crew syncs as told: the same answer brings the account as the server holds it now.
    inspector.sync().await;
    let id = order.clone();
    inspector
        .run(move |c| c.record(&id, valve_off()))
        .await
        .expect("the cut is allowed on the refreshed snapshot");
    inspector.sync().await;

    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert_eq!(shown["derived"]["status"], "in_progress", "{shown}");
    assert_eq!(
        shown["office"]["account"]["as_of"],
        json!(MONDAY_MORNING_MS),
        "the snapshot is the server's reading of the account at the sync: {shown}"
    );
    let field = shown["field"].to_string();
    assert!(
        field.contains("valve"),
        "the cut reached the office: {field}"
    );
    let trail = history(&server, &office, &order).await;
    assert_eq!(
        refreshes(&trail),
        1,
        "one refresh, however often the device syncs: {trail}"
    );
    let version = shown["version"].clone();
    inspector.sync().await;
    let again = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert_eq!(
        again["version"], version,
        "a sync with nothing new writes nothing"
    );
    inspector.cleanup();
    server.stop().await;
}

/// Creates a blind re-read of `meter` disputing `disputed` on register 1.
async fn re_read(server: &TestServer, office: &str, body: Value) -> String {
    let created = server
        .post_json("/api/v1/re-reads", Some(office), &body)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.json()["id"].as_str().expect("id").to_string()
}

/// A re-read's reading of register 1, with the photo re-reads need.
fn re_reading(value: &str) -> FieldAction {
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
        photos: vec![photo(PhotoKind::Register)],
    }
}

#[tokio::test]
async fn a_blind_re_read_never_reaches_the_device_with_the_hidden_values_and_a_misread_is_judged() {
    let server = TestServer::start().await;
    let office = server.login("supervisor", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let order = re_read(
        &server,
        &office,
        json!({"meter_id": meter.id, "disputed": [{"register": 1, "value": "1450.5"}],
               "reason": "billing_dispute", "assignee": "reader1"}),
    )
    .await;
    let reader = Handheld::sign_in(&server, "reader1").await;
    reader.sync().await;
    let id = order.clone();
    let synced = reader
        .run(move |c| {
            c.document(&id)?
                .to_json()
                .map_err(|e| ClientError::Other(e.to_string()))
        })
        .await
        .expect("the device holds the re-read");
    let text = synced.to_string();
    assert!(
        !text.contains("1450.5"),
        "the disputed read reached the device: {text}"
    );
    let register = &synced["office"]["meter"]["registers"][0];
    for hidden in [
        "previous_read",
        "previous_read_at",
        "low_limit",
        "high_limit",
    ] {
        assert!(
            register.get(hidden).is_none_or(Value::is_null),
            "{hidden} reached the device: {register}"
        );
    }
    let kept = server
        .get(&format!("/api/v1/orders/{order}/re-read"), Some(&office))
        .await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    let kept = kept.json();
    assert_eq!(kept["hidden"][0]["disputed"], "1450.5");
    assert_eq!(kept["hidden"][0]["previous"], "1000");
    assert_eq!(kept["hidden"][0]["high_limit"], 1100.0);
    assert!(kept["outcome"].is_null(), "nothing read yet");

    let id = order.clone();
    reader
        .run(move |c| {
            c.start(&id)?;
            c.record(&id, re_reading("1045"))
        })
        .await
        .expect("the re-read is accepted");
    reader.sync().await;
    reader.sync().await;
    let judged = server
        .get(&format!("/api/v1/orders/{order}/re-read"), Some(&office))
        .await
        .json();
    assert_eq!(judged["outcome"]["outcome"], "original_misread", "{judged}");
    let links = server
        .get(&format!("/api/v1/orders/{order}/follow-ups"), Some(&office))
        .await
        .json();
    let follow_ups = links["follow_ups"].as_array().cloned().unwrap_or_default();
    assert_eq!(follow_ups.len(), 1, "{links}");
    assert_eq!(follow_ups[0]["reason"], "original_misread");
    assert_eq!(follow_ups[0]["kind"], "inspection");
    reader.cleanup();
    server.stop().await;
}

#[tokio::test]
async fn a_re_read_at_the_disputed_value_confirms_it_without_a_follow_up() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let order = re_read(
        &server,
        &office,
        json!({"meter_id": meter.id, "disputed": [{"register": 1, "value": "1050"}],
               "assignee": "reader1"}),
    )
    .await;
    let reader = Handheld::sign_in(&server, "reader1").await;
    reader.sync().await;
    let id = order.clone();
    reader
        .run(move |c| {
            c.start(&id)?;
            c.record(&id, re_reading("1052"))
        })
        .await
        .expect("the re-read is accepted");
    reader.sync().await;
    let judged = server
        .get(&format!("/api/v1/orders/{order}/re-read"), Some(&office))
        .await
        .json();
    assert_eq!(
        judged["outcome"]["outcome"], "original_confirmed",
        "{judged}"
    );
    let links = server
        .get(&format!("/api/v1/orders/{order}/follow-ups"), Some(&office))
        .await
        .json();
    assert_eq!(links["follow_ups"], json!([]));
    reader.cleanup();
    server.stop().await;
}

#[tokio::test]
async fn an_audit_re_read_is_refused_to_the_reader_it_audits() {
    let server = TestServer::start().await;
    let office = server.login("supervisor", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    server
        .add_user(&server.utility, "reader2", Role::Reader)
        .await;
    let audit = json!({"meter_id": meter.id, "disputed": [{"register": 1, "value": "1050"}],
                       "audit": true, "original_reader": "reader1", "assignee": "reader1"});
    let refused = server
        .post_json("/api/v1/re-reads", Some(&office), &audit)
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.json()["error"]["rule"], "re_read.other_reader");
    assert_eq!(refused.json()["error"]["field"], "assignee");

    let order = re_read(
        &server,
        &office,
        json!({"meter_id": meter.id, "disputed": [{"register": 1, "value": "1050"}],
               "audit": true, "original_reader": "reader1"}),
    )
    .await;
    let to_original = server
        .post_json(
            &format!("/api/v1/orders/{order}/assign"),
            Some(&office),
            &json!({"assignee": "reader1"}),
        )
        .await;
    assert_eq!(to_original.status, 422, "{}", to_original.text);
    assert_eq!(to_original.json()["error"]["rule"], "re_read.other_reader");
    let to_other = server
        .post_json(
            &format!("/api/v1/orders/{order}/assign"),
            Some(&office),
            &json!({"assignee": "reader2"}),
        )
        .await;
    assert_eq!(to_other.status, 200, "{}", to_other.text);
    server.stop().await;
}

#[tokio::test]
async fn re_reads_with_bad_disputed_reads_or_unknown_readers_are_refused() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    for (body, field) in [
        (json!({"meter_id": meter.id, "disputed": []}), "disputed"),
        (
            json!({"meter_id": meter.id, "disputed": [{"register": 2, "value": "1"}]}),
            "disputed",
        ),
        (
            json!({"meter_id": meter.id, "disputed": [{"register": 1, "value": "-4"}]}),
            "disputed",
        ),
        (
            json!({"meter_id": meter.id, "disputed": [{"register": 1, "value": "9".repeat(33)}]}),
            "disputed",
        ),
        (
            json!({"meter_id": meter.id, "disputed": [{"register": 1, "value": "1"},
                                                      {"register": 1, "value": "2"}]}),
            "disputed",
        ),
        (
            json!({"meter_id": meter.id, "disputed": [{"register": 1, "value": "1"}], "audit": true}),
            "original_reader",
        ),
        (
            json!({"meter_id": meter.id, "disputed": [{"register": 1, "value": "1"}],
                   "original_reader": "nobody"}),
            "original_reader",
        ),
        (
            json!({"meter_id": Uuid::new_v4(), "disputed": [{"register": 1, "value": "1"}]}),
            "meter_id",
        ),
    ] {
        let refused = server
            .post_json("/api/v1/re-reads", Some(&office), &body)
            .await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.text);
        assert_eq!(refused.json()["error"]["field"], field, "{}", refused.text);
    }
    server.stop().await;
}

#[tokio::test]
async fn admins_publish_reference_data_in_versions_and_the_office_uses_the_current_policy() {
    let server = TestServer::start().await;
    let admin = server.login("admin", PASSWORD).await;
    let office = server.login("dispatcher", PASSWORD).await;
    let reader = server.login("reader1", PASSWORD).await;
    let current = server.get("/api/v1/reference", Some(&reader)).await;
    assert_eq!(current.status, 200, "{}", current.text);
    let mut next = current.json();
    assert_eq!(next["version"], 1, "the default until an admin publishes");

    next["version"] = json!(2);
    next["policy"]["disconnect"]["min_past_due_cents"] = json!(25_000);
    let by_dispatcher = server
        .put_json("/api/v1/reference", Some(&office), &next)
        .await;
    assert_eq!(by_dispatcher.status, 403, "{}", by_dispatcher.text);
    let published = server
        .put_json("/api/v1/reference", Some(&admin), &next)
        .await;
    assert_eq!(published.status, 200, "{}", published.text);
    let again = server
        .put_json("/api/v1/reference", Some(&admin), &next)
        .await;
    assert_eq!(again.status, 409, "the same version twice: {}", again.text);
    let shown = server.get("/api/v1/reference", Some(&reader)).await.json();
    assert_eq!(shown["version"], 2);
    assert_eq!(shown["policy"]["disconnect"]["min_past_due_cents"], 25_000);
    let kept = server
        .store()
        .reference_version(server.utility.id, Some(2))
        .await
        .expect("stored");
    assert!(kept.is_some(), "every version is kept");

    // The office's payment uses the published threshold: 19,000 past due is now under it.
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let owing = account_at(&server, &meter, AccountStatus::Active, 20_000).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "disconnect", "meter_id": meter.id, "account_id": owing.id,
               "assignee": "inspector1"}),
    )
    .await;
    let paid = server
        .post_json(
            &format!("/api/v1/accounts/{}/payments", owing.id),
            Some(&office),
            &json!({"amount_cents": 1_000}),
        )
        .await;
    assert_eq!(
        paid.json()["cancelled_orders"],
        json!([order]),
        "{}",
        paid.text
    );
    server.stop().await;
}

#[tokio::test]
async fn reference_data_that_breaks_the_rules_or_the_size_limit_is_refused_naming_the_field() {
    let server = TestServer::start().await;
    let admin = server.login("admin", PASSWORD).await;
    let base = server.get("/api/v1/reference", Some(&admin)).await.json();
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = base.clone();
        v["version"] = json!(2);
        f(&mut v);
        v
    };
    let duplicate = edit(&|v| {
        let first = v["skip_codes"][0].clone();
        v["skip_codes"].as_array_mut().expect("codes").push(first);
    });
    let hours = edit(&|v| v["policy"]["disconnect"]["start_hour"] = json!(20));
    let huge = edit(&|v| {
        let codes = v["reader_codes"].as_array_mut().expect("codes");
        for i in 0..9_000 {
            codes.push(json!({"code": format!("code_{i:05}"), "label": "x".repeat(40)}));
        }
    });
    for (body, field) in [
        (duplicate, "skip_codes"),
        (hours, "policy.disconnect.cutoff_hour"),
        (huge, "reference"),
    ] {
        let refused = server
            .put_json("/api/v1/reference", Some(&admin), &body)
            .await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert_eq!(refused.json()["error"]["field"], field, "{}", refused.text);
    }
    let not_reference = server
        .put_json("/api/v1/reference", Some(&admin), &json!({"version": 2}))
        .await;
    assert!(
        (400..500).contains(&not_reference.status),
        "{}",
        not_reference.text
    );
    assert!(
        not_reference.text.contains("skip_codes"),
        "the refusal names what is missing: {}",
        not_reference.text
    );
    let shown = server.get("/api/v1/reference", Some(&admin)).await.json();
    assert_eq!(shown["version"], 1, "nothing refused was published");
    server.stop().await;
}

#[tokio::test]
async fn a_device_fetches_a_newer_reference_version_during_sync_and_records_it_on_its_entries() {
    let server = TestServer::start().await;
    let admin = server.login("admin", PASSWORD).await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "cycle_read", "meter_id": meter.id, "assignee": "reader1"}),
    )
    .await;
    let reader = Handheld::sign_in(&server, "reader1").await;
    reader.sync().await;
    assert_eq!(
        reader.run(|c| Ok(c.reference().version)).await.ok(),
        Some(1)
    );
    let id = order.clone();
    let unknown = reader.run(move |c| c.skip(&id, "flooded")).await;
    assert!(
        matches!(unknown, Err(ClientError::Refused(_))),
        "version 1 has no `flooded` skip code: {unknown:?}"
    );

    let mut next = server.get("/api/v1/reference", Some(&admin)).await.json();
    next["version"] = json!(2);
    next["skip_codes"]
        .as_array_mut()
        .expect("codes")
        .push(json!({"code": "flooded", "label": "Meter box flooded"}));
    let published = server
        .put_json("/api/v1/reference", Some(&admin), &next)
        .await;
    assert_eq!(published.status, 200, "{}", published.text);

    reader.sync().await;
    assert_eq!(
        reader.run(|c| Ok(c.reference().version)).await.ok(),
        Some(2)
    );
    let id = order.clone();
    let entry = reader
        .run(move |c| c.skip(&id, "flooded"))
        .await
        .expect("version 2 knows the code");
    assert_eq!(entry.reference_version, 2);
    reader.sync().await;
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert_eq!(shown["field"][0]["reference_version"], 2, "{shown}");

    // The device keeps the version it has across restarts.
    let reopened = Handheld::open_at(reader.dir()).await;
    assert_eq!(
        reopened.run(|c| Ok(c.reference().version)).await.ok(),
        Some(2)
    );
    drop(reopened);

    // A device that has the current version is told so without the data.
    let reader_token = server.login("reader1", PASSWORD).await;
    let unchanged = reqwest::Client::new()
        .get(format!("{}/api/v1/reference", server.base_url))
        .bearer_auth(&reader_token)
        .header("If-None-Match", "\"2\"")
        .send()
        .await
        .expect("request");
    assert_eq!(unchanged.status().as_u16(), 304);
    reader.cleanup();
    server.stop().await;
}

/// Starts `order` on the device and records `steps`, offline.
async fn work(device: &Handheld, order: &str, steps: Vec<FieldAction>) {
    let id = order.to_string();
    device
        .run(move |c| {
            c.start(&id)?;
            for step in steps {
                c.record(&id, step)?;
            }
            Ok(())
        })
        .await
        .expect("every step is accepted on the device");
}

/// Follow-ups of an order as the office sees them: `(kind, reason)`, sorted.
async fn follow_ups_of(server: &TestServer, office: &str, order: &str) -> Vec<(String, String)> {
    let links = server
        .get(&format!("/api/v1/orders/{order}/follow-ups"), Some(office))
        .await
        .json();
    let mut out: Vec<(String, String)> = links["follow_ups"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap_or_default().to_string(),
                l["reason"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_high_bill_investigation_finding_a_utility_leak_creates_a_repair_and_a_meter_test() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "high_bill_investigation", "meter_id": meter.id,
               "assignee": "inspector1"}),
    )
    .await;
    let inspector = Handheld::sign_in(&server, "inspector1").await;
    inspector.sync().await;
    work(
        &inspector,
        &order,
        vec![cap(
            Capture::Investigation(Findings {
                leak_indicator_moving: true,
                house_valve: Some(HouseValveResult::IndicatorStopped),
                dye_test_leak: Some(false),
                irrigation: false,
                visible_leak: LeakSide::Utility,
                meter_condition: MeterCondition::Good,
                advice: None,
                recommendation: Recommendation::MeterTest,
            }),
            vec![],
        )],
    )
    .await;
    inspector.sync().await;
    inspector.sync().await;
    assert_eq!(
        follow_ups_of(&server, &office, &order).await,
        vec![
            (
                "meter_test".to_string(),
                "meter_test_recommended".to_string()
            ),
            (
                "utility_repair".to_string(),
                "utility_side_leak".to_string()
            ),
        ]
    );
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert_eq!(shown["derived"]["status"], "in_progress");
    assert!(
        shown["derived"]["exceptions"].to_string().contains("leak"),
        "{shown}"
    );
    inspector.cleanup();
    server.stop().await;
}

#[tokio::test]
async fn a_reconnect_finding_a_broken_seal_flags_tamper_and_creates_an_inspection() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "reconnect", "meter_id": meter.id, "assignee": "inspector1"}),
    )
    .await;
    let inspector = Handheld::sign_in(&server, "inspector1").await;
    inspector.sync().await;
    work(
        &inspector,
        &order,
        vec![cap(
            Capture::SealFound {
                number: None,
                condition: SealCondition::Broken,
            },
            vec![],
        )],
    )
    .await;
    inspector.sync().await;
    assert_eq!(
        follow_ups_of(&server, &office, &order).await,
        vec![("inspection".to_string(), "seal_broken".to_string())]
    );
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert!(
        shown["derived"]["exceptions"]
            .to_string()
            .contains("tamper"),
        "{shown}"
    );
    inspector.cleanup();
    server.stop().await;
}

#[tokio::test]
async fn a_turn_off_worked_offline_reaches_the_office_completed() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let (_, meter) = metered_premise(&server, &server.utility).await;
    let order = create_order(
        &server,
        &office,
        json!({"order_type": "turn_off", "meter_id": meter.id, "assignee": "inspector1"}),
    )
    .await;
    let inspector = Handheld::sign_in(&server, "inspector1").await;
    inspector.sync().await;
    work(
        &inspector,
        &order,
        vec![
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
                photos: vec![],
            },
            cap(
                Capture::Valve {
                    position: ValvePosition::Off,
                    point: Some(DisconnectPoint::AngleValve),
                },
                vec![],
            ),
            cap(
                Capture::SealInstalled {
                    number: "FL000777".into(),
                },
                vec![],
            ),
            FieldAction::Capture {
                capture: Capture::Customer {
                    present: false,
                    notified: false,
                    door_hanger: true,
                },
                photos: vec![photo(PhotoKind::Meter)],
                note: None,
            },
        ],
    )
    .await;
    let id = order.clone();
    inspector
        .run(move |c| c.complete(&id, None))
        .await
        .expect("complete");
    inspector.sync().await;
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(&office))
        .await
        .json();
    assert_eq!(shown["derived"]["status"], "completed", "{shown}");
    assert_eq!(shown["field"].as_array().map(Vec::len), Some(6));
    assert_eq!(follow_ups_of(&server, &office, &order).await, vec![]);
    inspector.cleanup();
    server.stop().await;
}

/// The codes of the exceptions an order's row carries, as the office API shows them.
async fn exception_codes(server: &TestServer, office: &str, order: &str) -> Vec<String> {
    let shown = server
        .get(&format!("/api/v1/orders/{order}"), Some(office))
        .await
        .json();
    shown["projection"]["exceptions"]
        .as_array()
        .unwrap_or_else(|| panic!("the order's exceptions: {shown}"))
        .iter()
        .map(|e| e["code"].as_str().expect("a code").to_string())
        .collect()
}

#[tokio::test]
async fn one_seal_installed_offline_by_two_crews_merges_both_and_flags_both_orders_once() {
    let server = TestServer::start().await;
    let office = server.login("dispatcher", PASSWORD).await;
    let mut orders = Vec::new();
    for crew in ["inspector1", "reader1"] {
        let (_, meter) = metered_premise(&server, &server.utility).await;
        let order = create_order(
            &server,
            &office,
            json!({"order_type": "turn_off", "meter_id": meter.id, "assignee": crew}),
        )
        .await;
        let device = Handheld::sign_in(&server, crew).await;
        device.sync().await;
        orders.push((order, device));
    }
    // Both crews, offline, lock their valve with the same seal number (one keyed it wrong, or
    // a seal was handed out twice): each device knows only its own order.
    for (order, device) in &orders {
        work(
            device,
            order,
            vec![
                cap(
                    Capture::Valve {
                        position: ValvePosition::Off,
                        point: Some(DisconnectPoint::AngleValve),
                    },
                    vec![],
                ),
                cap(
                    Capture::SealInstalled {
                        number: "FL000777".into(),
                    },
                    vec![],
                ),
            ],
        )
        .await;
    }
    for (_, device) in &orders {
        device.sync().await;
    }
    for (order, _) in &orders {
        let shown = server
            .get(&format!("/api/v1/orders/{order}"), Some(&office))
            .await
            .json();
        assert!(
            shown["field"].to_string().contains("FL000777"),
            "the seal was merged: {shown}"
        );
        let codes = exception_codes(&server, &office, order).await;
        assert_eq!(
            codes.iter().filter(|c| *c == "seal_in_use").count(),
            1,
            "{codes:?}"
        );
    }
    // Syncing again, and more work on one of the orders, raise nothing twice.
    let (first, first_device) = &orders[0];
    let id = first.clone();
    first_device
        .run(move |c| {
            c.record(
                &id,
                FieldAction::Note {
                    code: None,
                    text: "seal checked".into(),
                },
            )
        })
        .await
        .expect("note");
    for _ in 0..2 {
        for (_, device) in &orders {
            device.sync().await;
        }
    }
    for (order, _) in &orders {
        let codes = exception_codes(&server, &office, order).await;
        assert_eq!(
            codes.iter().filter(|c| *c == "seal_in_use").count(),
            1,
            "{codes:?}"
        );
    }
    for (_, device) in orders {
        device.cleanup();
    }
    server.stop().await;
}
