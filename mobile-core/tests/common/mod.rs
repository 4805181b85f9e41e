//! Fixtures shared by the core's integration tests: a cycle-read order and actors.

#![allow(dead_code)]

use fieldline_core::document::automerge::ActorId;
use fieldline_core::reference::ReferenceData;
use fieldline_core::*;

/// The order's creation time.
pub const CREATED: Timestamp = Timestamp(1_790_000_000_000);

/// A one-register cycle read at a residential premise, previous read 1000, limits 1010..1100.
pub fn cycle_read_office() -> OfficeData {
    OfficeData {
        order_type: OrderType::CycleRead,
        reason: None,
        priority: Priority::Normal,
        source: Source::Cycle,
        created_by: "dispatcher".into(),
        created_at: CREATED,
        due_at: Some(Timestamp(CREATED.0 + Timestamp::DAY_MS)),
        appointment_start: None,
        appointment_end: None,
        route: Some("R-01".into()),
        sequence: Some(7),
        premise: Some(PremiseSnapshot {
            id: "P-100".into(),
            address: "12 Elm St".into(),
            location: Some(GeoPoint {
                lat: 44.9778,
                lon: -93.2650,
            }),
            access_notes: Some("gate code 1234".into()),
            hazards: vec![Hazard {
                description: "dog".into(),
                level: "caution".into(),
            }],
        }),
        account: Some(AccountSnapshot {
            id: "A-100".into(),
            number: "100-2000".into(),
            customer_name: "J. Smith".into(),
            status: AccountStatus::Active,
            balance_cents: 0,
            past_due_cents: 0,
            notice_served_at: None,
            medical_hold: false,
            life_support: false,
            payment_plan: false,
            as_of: CREATED,
        }),
        meter: Some(MeterSnapshot {
            id: "M-100".into(),
            serial: "SN123456".into(),
            size: "5/8\"".into(),
            location_code: Some("curb".into()),
            registers: vec![Register {
                number: 1,
                dials_left: 5,
                dials_right: 0,
                multiplier: 1,
                unit: "CCF".into(),
                previous_read: Some(1000.0),
                previous_read_at: Some(Timestamp(CREATED.0 - 30 * Timestamp::DAY_MS)),
                low_limit: Some(1010.0),
                high_limit: Some(1100.0),
            }],
        }),
        instructions: None,
        details: Default::default(),
    }
}

/// A deterministic actor id for replica `n`.
pub fn actor(n: u8) -> ActorId {
    ActorId::from(vec![n; 16])
}

/// Reference data for the tests.
pub fn reference() -> ReferenceData {
    ReferenceData::default()
}

/// A device context for `user` at `offset_ms` after creation.
pub fn ctx(user: &str, offset_ms: i64) -> ActionContext {
    ActionContext {
        user: user.into(),
        device_time: Timestamp(CREATED.0 + offset_ms),
        gps: Some(GpsFix {
            point: GeoPoint {
                lat: 44.9778,
                lon: -93.2650,
            },
            accuracy_m: 5.0,
        }),
    }
}

/// A keyed, in-range reading of register 1.
pub fn normal_reading() -> FieldAction {
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
    }
}

/// A fresh order created by the office replica and assigned to `assignee`.
pub fn assigned_order(assignee: &str) -> WorkOrderDoc {
    let mut doc = WorkOrderDoc::create("order-1", &cycle_read_office(), actor(0), CREATED)
        .expect("create the order document");
    doc.apply_office_action(
        OfficeAction::Assign {
            assignee: assignee.into(),
            reason: None,
        },
        "dispatcher",
        Timestamp(CREATED.0 + 1),
    )
    .expect("assign");
    doc
}

/// A replica of `doc` that writes as `actor`.
pub fn replica(doc: &WorkOrderDoc, actor: ActorId) -> WorkOrderDoc {
    let mut copy = WorkOrderDoc::load(&doc.save()).expect("load a replica");
    copy.set_actor(actor);
    copy
}
