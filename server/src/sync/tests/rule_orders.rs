//! Orders of every type carrying the office data the rule tables need, the crew's timeline on
//! them, and a forger: a field entry written straight into the automerge document with the
//! handheld's bound actor, skipping the rules the honest client runs before writing (what a
//! broken or hostile app can do). Shared by the forged-change and after-merge tables.

use super::*;
use crate::orders::build_order;
use crate::store::Account;
use chrono::DateTime;
use fieldline_core::document::automerge::transaction::Transactable;
use fieldline_core::document::automerge::{Automerge, ChangeHash, ObjId, ObjType, ROOT, ReadDoc};
use fieldline_core::outcome::Assessment;
use fieldline_core::rules::RULES_VERSION;
use fieldline_core::{
    AccountSnapshot, AccountStatus, Capture, GeoPoint, GpsFix, MeterSnapshot, OfficeData,
    PhotoKind, PhotoRef, PremiseSnapshot, Priority, Register,
};
use serde_json::Value;

/// When every order of the tables is created: a Monday, 08:13 in the default utility's time
/// zone, so a cut a few minutes later is inside the allowed hours.
pub(super) const CREATED: Timestamp = Timestamp(1_790_000_000_000);
/// One hour, in milliseconds.
pub(super) const HOUR: i64 = 3_600_000;
/// Where every premise is.
pub(super) const PREMISE: GeoPoint = GeoPoint {
    lat: 44.9778,
    lon: -93.2650,
};
/// The assignee (the fixture's first reader).
pub(super) const READER: &str = "reader1";
/// The service area of the published reference data's weather moratorium.
pub(super) const MORATORIUM_AREA: &str = "storm-zone";
/// The serial of the order's meter.
pub(super) const SERIAL: &str = "SN1";

/// The premise, account and meter every order of a table is for (the projection of an order
/// refers to their rows).
pub(super) struct Site {
    premise: Uuid,
    account: Uuid,
    meter: Uuid,
}

/// A new metered premise with its account.
pub(super) async fn site(f: &Fixture) -> Site {
    let (premise, account, meter) =
        crate::store::testing::metered_premise(f.store.as_ref(), f.utility)
            .await
            .expect("metered premise");
    // The account row says what the order's snapshot says (see [`office`]): a sync refreshes
    // an open disconnect's snapshot from the row, and the tables' cases must stay eligible.
    let owing = Account {
        id: Uuid::new_v4(),
        number: format!("{}-owing", account.number),
        balance_cents: 12_000,
        past_due_cents: 10_000,
        notice_served_at: DateTime::from_timestamp_millis(CREATED.0 - 20 * Timestamp::DAY_MS),
        medical_hold: false,
        life_support: false,
        payment_plan: false,
        status: AccountStatus::Active,
        ..account
    };
    f.store
        .insert_accounts(f.utility, std::slice::from_ref(&owing))
        .await
        .expect("the owing account");
    Site {
        premise: premise.id,
        account: owing.id,
        meter: meter.id,
    }
}

/// An order of `order_type` at the site's premise: one 5-dial register read 1000
/// last time (no read limits), on an account eligible for disconnect (past due $100, notice
/// served 20 days ago, snapshot taken at creation) in service area `north`. A cycle read gets
/// the read limits 1010..1100 and its route; a re-read is blind, as the office makes it.
pub(super) fn office(site: &Site, order_type: OrderType) -> OfficeData {
    let cycle = order_type == OrderType::CycleRead;
    let register = Register {
        number: 1,
        dials_left: 5,
        dials_right: 0,
        multiplier: 1,
        unit: "CCF".into(),
        previous_read: Some(1000.0),
        previous_read_at: Some(Timestamp(CREATED.0 - 30 * Timestamp::DAY_MS)),
        low_limit: cycle.then_some(1010.0),
        high_limit: cycle.then_some(1100.0),
    };
    let data = OfficeData {
        order_type,
        reason: None,
        priority: Priority::Normal,
        source: match order_type {
            OrderType::CycleRead => Source::Cycle,
            OrderType::FieldFound => Source::FieldFound,
            _ => Source::CallCenter,
        },
        created_by: "dispatcher".into(),
        created_at: CREATED,
        due_at: None,
        appointment_start: None,
        appointment_end: None,
        route: None,
        sequence: None,
        premise: Some(PremiseSnapshot {
            id: site.premise.to_string(),
            address: "12 Elm St, Riverton".into(),
            location: Some(PREMISE),
            access_notes: None,
            hazards: vec![],
        }),
        account: Some(AccountSnapshot {
            id: site.account.to_string(),
            number: "100-1".into(),
            customer_name: "J. Smith".into(),
            status: AccountStatus::Active,
            balance_cents: 12_000,
            past_due_cents: 10_000,
            notice_served_at: Some(Timestamp(CREATED.0 - 20 * Timestamp::DAY_MS)),
            medical_hold: false,
            life_support: false,
            payment_plan: false,
            as_of: CREATED,
        }),
        meter: Some(MeterSnapshot {
            id: site.meter.to_string(),
            serial: SERIAL.into(),
            size: "5/8\"".into(),
            location_code: None,
            registers: vec![register],
        }),
        instructions: None,
        details: fieldline_core::OrderDetails {
            service_area: Some("north".into()),
            ..Default::default()
        },
    };
    if order_type == OrderType::ReRead {
        data.blind()
    } else {
        data
    }
}

/// Publishes reference data version 2: the default's, with a weather moratorium declared for
/// [`MORATORIUM_AREA`]. Returns it (what devices check with and entries record).
pub(super) async fn publish_reference(f: &Fixture) -> ReferenceData {
    let mut data = ReferenceData::default();
    data.version += 1;
    data.policy.disconnect.moratorium_areas = vec![MORATORIUM_AREA.into()];
    crate::reference::publish(f.store.as_ref(), f.utility, &f.dispatcher, data, Utc::now())
        .await
        .expect("reference data published")
}

/// Stores a new order of `office`, assigned to the fixture's first reader, created at
/// [`CREATED`] by the office.
pub(super) async fn create(f: &Fixture, office: &OfficeData) -> Uuid {
    let now = DateTime::from_timestamp_millis(CREATED.0).expect("a valid creation time");
    let new = build_order(
        Uuid::new_v4(),
        office,
        Some(&f.readers[0]),
        &f.dispatcher,
        None,
        now,
    )
    .expect("the order is built");
    f.store
        .insert_order(f.utility, &new)
        .await
        .expect("the order is stored");
    new.id
}

/// The server's version of `order`, as a device receives it, writing as `actor`.
pub(super) async fn stored_doc(f: &Fixture, order: Uuid, actor: &ActorId) -> WorkOrderDoc {
    let stored = f.store.get_order(f.utility, order).await.expect("stored");
    let mut doc = WorkOrderDoc::load(&stored.doc).expect("a document");
    doc.set_actor(actor.clone());
    doc
}

/// [`READER`] at the premise, `offset_ms` after the order was created.
pub(super) fn ctx(offset_ms: i64) -> ActionContext {
    ActionContext {
        user: READER.into(),
        device_time: Timestamp(CREATED.0 + offset_ms),
        gps: Some(GpsFix {
            point: PREMISE,
            accuracy_m: 5.0,
        }),
    }
}

/// Records `actions` honestly (the client's rules accept each) at one-second steps from +1 s.
pub(super) fn record_all(
    doc: &mut WorkOrderDoc,
    actions: &[FieldAction],
    reference: &ReferenceData,
) {
    for (i, action) in actions.iter().enumerate() {
        let at = 1_000 * (i as i64 + 1);
        if let Err(e) = doc.record_field_action(action.clone(), ctx(at), reference) {
            panic!("the honest step {action:?} is refused: {e}");
        }
    }
}

/// A field entry for `action` written straight into the automerge document as `actor`, without
/// running the rules: its assessment is empty, as a client that skipped the check would leave
/// it. Returns the change's hash and bytes.
pub(super) fn forge(
    doc: &WorkOrderDoc,
    actor: &ActorId,
    action: &FieldAction,
    context: &ActionContext,
    reference_version: u32,
) -> (ChangeHash, Vec<u8>) {
    forge_assessed(
        doc,
        actor,
        action,
        context,
        reference_version,
        RULES_VERSION,
        &Assessment::default(),
    )
}

/// [`forge`], storing `assessment` as the entry's and claiming `rules_version`.
pub(super) fn forge_assessed(
    doc: &WorkOrderDoc,
    actor: &ActorId,
    action: &FieldAction,
    context: &ActionContext,
    reference_version: u32,
    rules_version: u32,
    assessment: &Assessment,
) -> (ChangeHash, Vec<u8>) {
    let list = match action {
        FieldAction::Reading { .. } | FieldAction::Skip { .. } => "readings",
        FieldAction::Note { .. } => "notes",
        FieldAction::Photo { .. } => "photos",
        _ => "events",
    };
    let entry = serde_json::json!({
        "action": action,
        "context": context,
        "assessment": assessment,
        "rules_version": rules_version,
        "reference_version": reference_version,
    });
    let mut raw = Automerge::load(&doc.save()).expect("load raw");
    raw.set_actor(actor.clone());
    let mut tx = raw.transaction();
    let field = child(&tx, &ROOT, "field");
    let list = child(&tx, &field, list);
    let at = tx.length(&list);
    let obj = tx
        .insert_object(&list, at, ObjType::Map)
        .expect("insert the entry");
    write_map(&mut tx, &obj, &entry);
    tx.commit();
    let change = raw.get_last_local_change().expect("a change was made");
    (change.hash(), change.raw_bytes().to_vec())
}

fn child(doc: &impl ReadDoc, parent: &ObjId, key: &str) -> ObjId {
    match doc.get(parent, key).expect("get") {
        Some((_, id)) => id,
        None => panic!("the document has no {key}"),
    }
}

/// Writes the fields of the JSON object `value` into the map `obj`, as the client's JSON layout.
fn write_map(tx: &mut impl Transactable, obj: &ObjId, value: &Value) {
    let Value::Object(fields) = value else {
        panic!("{value} is not an object");
    };
    for (key, v) in fields {
        match v {
            Value::Object(_) => {
                let inner = tx.put_object(obj, key.as_str(), ObjType::Map).expect("put");
                write_map(tx, &inner, v);
            }
            Value::Array(items) => {
                let inner = tx
                    .put_object(obj, key.as_str(), ObjType::List)
                    .expect("put");
                write_list(tx, &inner, items);
            }
            scalar => tx.put(obj, key.as_str(), scalar_of(scalar)).expect("put"),
        }
    }
}

fn write_list(tx: &mut impl Transactable, list: &ObjId, items: &[Value]) {
    for (i, v) in items.iter().enumerate() {
        match v {
            Value::Object(_) => {
                let inner = tx.insert_object(list, i, ObjType::Map).expect("insert");
                write_map(tx, &inner, v);
            }
            Value::Array(nested) => {
                let inner = tx.insert_object(list, i, ObjType::List).expect("insert");
                write_list(tx, &inner, nested);
            }
            scalar => tx.insert(list, i, scalar_of(scalar)).expect("insert"),
        }
    }
}

fn scalar_of(value: &Value) -> fieldline_core::document::automerge::ScalarValue {
    use fieldline_core::document::automerge::ScalarValue;
    match value {
        Value::Null => ScalarValue::Null,
        Value::Bool(b) => ScalarValue::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => ScalarValue::Int(i),
            (None, Some(u)) => ScalarValue::Uint(u),
            _ => ScalarValue::F64(n.as_f64().expect("a finite number")),
        },
        Value::String(s) => ScalarValue::Str(s.as_str().into()),
        Value::Array(_) | Value::Object(_) => unreachable!("containers are written as objects"),
    }
}

// --- actions ---

/// A keyed reading of register 1, with `photos` register photos.
pub(super) fn reading(value: &str, photos: usize) -> FieldAction {
    read_full(value, None, photos)
}

/// A keyed reading of register 1 with an optional re-key.
pub(super) fn read_full(value: &str, confirmation: Option<&str>, photos: usize) -> FieldAction {
    FieldAction::Reading {
        readings: vec![ReadingInput {
            register: 1,
            value: value.into(),
            confirmation: confirmation.map(str::to_string),
            method: ReadMethod::Keyed,
        }],
        reader_codes: vec![],
        trouble_code: None,
        note: None,
        photos: photo_list(PhotoKind::Register, photos),
    }
}

/// `n` distinct photos of `kind`.
pub(super) fn photo_list(kind: PhotoKind, n: usize) -> Vec<PhotoRef> {
    (0..n)
        .map(|i| PhotoRef {
            sha256: format!("{:064x}", i + 1),
            kind,
        })
        .collect()
}

/// A capture with no photo or note.
pub(super) fn cap(capture: Capture) -> FieldAction {
    cap_photos(capture, vec![])
}

/// A capture with `photos`.
pub(super) fn cap_photos(capture: Capture, photos: Vec<PhotoRef>) -> FieldAction {
    FieldAction::Capture {
        capture,
        photos,
        note: None,
    }
}

/// Completion with `code` and `photos`.
pub(super) fn complete(code: Option<&str>, photos: Vec<PhotoRef>) -> FieldAction {
    FieldAction::Complete {
        code: code.map(str::to_string),
        photos,
    }
}

/// A seal put on.
pub(super) fn seal_on(number: &str) -> FieldAction {
    cap(Capture::SealInstalled {
        number: number.into(),
    })
}

/// The valve shut at the curb stop: a step of a cut.
pub(super) fn cut() -> FieldAction {
    cap(Capture::Valve {
        position: fieldline_core::ValvePosition::Off,
        point: Some(fieldline_core::DisconnectPoint::CurbStop),
    })
}
