//! Fixtures for the rule tables: an order record and its derived status built directly (no
//! document), so each row states exactly the order the rules see.

use fieldline_core::reference::ReferenceData;
use fieldline_core::*;

/// The order's creation time.
pub const CREATED: Timestamp = Timestamp(1_790_000_000_000);
/// The assignee.
pub const READER: &str = "reader1";
/// Where the premise is.
pub const PREMISE: GeoPoint = GeoPoint {
    lat: 44.9778,
    lon: -93.2650,
};

/// A register with `dials_left`/`dials_right`, previous read and limits.
pub fn register(
    number: u32,
    dials: (u32, u32),
    previous: Option<f64>,
    limits: (Option<f64>, Option<f64>),
) -> Register {
    Register {
        number,
        dials_left: dials.0,
        dials_right: dials.1,
        multiplier: 1,
        unit: "CCF".into(),
        previous_read: previous,
        previous_read_at: previous.map(|_| Timestamp(CREATED.0 - 30 * Timestamp::DAY_MS)),
        low_limit: limits.0,
        high_limit: limits.1,
    }
}

/// The usual register: 5 dials, previous 1000, limits 1010..1100 (expected use 10..100).
pub fn usual_register() -> Register {
    register(1, (5, 0), Some(1000.0), (Some(1010.0), Some(1100.0)))
}

/// A cycle-read order for a meter with `registers` on an account with `status`.
pub fn office(registers: Vec<Register>, status: AccountStatus) -> OfficeData {
    OfficeData {
        order_type: OrderType::CycleRead,
        reason: None,
        priority: Priority::Normal,
        source: Source::Cycle,
        created_by: "dispatcher".into(),
        created_at: CREATED,
        due_at: None,
        appointment_start: None,
        appointment_end: None,
        route: Some("R-01".into()),
        sequence: Some(1),
        premise: Some(PremiseSnapshot {
            id: "P-1".into(),
            address: "12 Elm St".into(),
            location: Some(PREMISE),
            access_notes: None,
            hazards: vec![],
        }),
        account: Some(AccountSnapshot {
            id: "A-1".into(),
            number: "100-1".into(),
            customer_name: "J. Smith".into(),
            status,
            balance_cents: 0,
            past_due_cents: 0,
            notice_served_at: None,
            medical_hold: false,
            life_support: false,
            payment_plan: false,
            as_of: CREATED,
        }),
        meter: Some(MeterSnapshot {
            id: "M-1".into(),
            serial: "SN1".into(),
            size: "5/8\"".into(),
            location_code: None,
            registers,
        }),
        instructions: None,
        details: Default::default(),
    }
}

/// A record of `office` with `field` entries (actions by `user`, in order).
pub fn record(office: OfficeData, field: Vec<(FieldAction, &str)>) -> OrderRecord {
    let field = field
        .into_iter()
        .enumerate()
        .map(|(i, (action, user))| FieldEntry {
            id: format!("f{i}"),
            action,
            context: context(user, 100 + i as i64),
            assessment: Assessment::default(),
            rules_version: rules::RULES_VERSION,
            reference_version: 1,
            origin: Origin {
                change: format!("c{i}"),
                actor: "01".into(),
                counter: i as u64,
            },
        })
        .collect();
    OrderRecord {
        order_id: "order-1".into(),
        schema_version: 1,
        office,
        office_log: vec![],
        field,
        causality: Causality::default(),
    }
}

/// What the device derived: `status`, assigned to [`READER`], started at `started_ms` after
/// creation. The rest comes from deriving an empty order, so new fields of `Derived` need no
/// change here.
pub fn derived(status: Status, started_ms: Option<i64>) -> Derived {
    let empty = record(office(vec![], AccountStatus::Active), vec![]);
    Derived {
        status,
        assignee: Some(READER.into()),
        started_at: started_ms.map(|ms| Timestamp(CREATED.0 + ms)),
        ..derive(&empty)
    }
}

/// `user` acting `offset_ms` after creation, at the premise.
pub fn context(user: &str, offset_ms: i64) -> ActionContext {
    ActionContext {
        user: user.into(),
        device_time: Timestamp(CREATED.0 + offset_ms),
        gps: Some(GpsFix {
            point: PREMISE,
            accuracy_m: 5.0,
        }),
    }
}

/// `n` register photos.
pub fn photos(n: usize) -> Vec<PhotoRef> {
    (0..n)
        .map(|i| PhotoRef {
            sha256: format!("{i:064x}"),
            kind: PhotoKind::Register,
        })
        .collect()
}

/// A keyed reading of one register.
pub fn input(register: u32, value: &str, confirmation: Option<&str>) -> ReadingInput {
    ReadingInput {
        register,
        value: value.into(),
        confirmation: confirmation.map(str::to_string),
        method: ReadMethod::Keyed,
    }
}

/// A reading action.
pub fn reading(readings: Vec<ReadingInput>, photo_count: usize, note: Option<&str>) -> FieldAction {
    FieldAction::Reading {
        readings,
        reader_codes: vec![],
        trouble_code: None,
        note: note.map(str::to_string),
        photos: photos(photo_count),
    }
}

/// Checks `action` by [`READER`] at +1000 ms on an order `status` started at +500 ms.
pub fn check_on(
    record: &OrderRecord,
    status: Status,
    action: &FieldAction,
    reference: &ReferenceData,
) -> Result<Assessment, Refusal> {
    rules::check(
        record,
        &derived(status, Some(500)),
        action,
        &context(READER, 1_000),
        reference,
    )
}

/// Flag codes of an assessment, in order.
pub fn flag_codes(assessment: &Assessment) -> Vec<&str> {
    assessment.flags.iter().map(|f| f.code.as_str()).collect()
}

/// A service order of `order_type` on a meter (serial `SN1`, previous read 1000, no limits), for an
/// account that is eligible for disconnect (past due $100, notice served 20 days ago) in
/// service area `north`. Created on a Monday at 08:13 in the default utility's time zone.
pub fn service_office(order_type: OrderType) -> OfficeData {
    // Service orders carry no read limits.
    let register = register(1, (5, 0), Some(1000.0), (None, None));
    let mut data = office(vec![register], AccountStatus::Active);
    data.order_type = order_type;
    data.source = Source::CallCenter;
    data.route = None;
    data.sequence = None;
    if let Some(account) = data.account.as_mut() {
        account.balance_cents = 12_000;
        account.past_due_cents = 10_000;
        account.notice_served_at = Some(Timestamp(CREATED.0 - 20 * Timestamp::DAY_MS));
    }
    data.details.service_area = Some("north".into());
    data
}
