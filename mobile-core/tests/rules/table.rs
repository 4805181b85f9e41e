//! A table runner for the per-order-type rule tests: each row is an order (the fixture order of
//! a type, tweaked), the crew's earlier entries, one action and what the rules must answer.

use crate::fixtures::*;
use fieldline_core::reference::ReferenceData;
use fieldline_core::*;

/// What a row expects.
pub enum Expect {
    /// Accepted, raising exactly these flags (in order).
    Accepted(&'static [&'static str]),
    /// Refused by this rule on this field.
    Refused(&'static str, &'static str),
}

pub use Expect::{Accepted, Refused};

/// One row of a rule table.
pub struct Row {
    name: &'static str,
    status: Status,
    history: Vec<(FieldAction, &'static str)>,
    action: FieldAction,
    user: &'static str,
    at_ms: i64,
    gps: bool,
    far: bool,
    office: fn(&mut OfficeData),
    reference: fn(&mut ReferenceData),
    follow_ups: Option<&'static [FollowUpKind]>,
    expect: Expect,
}

/// A row: `action` by [`READER`] on an order in progress, 1 s after creation, at the premise.
pub fn row(name: &'static str, action: FieldAction, expect: Expect) -> Row {
    Row {
        name,
        status: Status::InProgress,
        history: vec![],
        action,
        user: READER,
        at_ms: 1_000,
        gps: true,
        far: false,
        office: |_| {},
        reference: |_| {},
        follow_ups: None,
        expect,
    }
}

impl Row {
    /// The order's derived status.
    pub fn status(mut self, status: Status) -> Self {
        self.status = status;
        self
    }
    /// Earlier entries, all by [`READER`].
    pub fn after(mut self, history: Vec<FieldAction>) -> Self {
        self.history = history.into_iter().map(|a| (a, READER)).collect();
        self
    }
    /// Acted by someone else.
    pub fn by(mut self, user: &'static str) -> Self {
        self.user = user;
        self
    }
    /// Device time after creation.
    pub fn at(mut self, ms: i64) -> Self {
        self.at_ms = ms;
        self
    }
    /// No GPS fix.
    pub fn no_gps(mut self) -> Self {
        self.gps = false;
        self
    }
    /// Captured about 1.1 km from the premise.
    pub fn far(mut self) -> Self {
        self.far = true;
        self
    }
    /// Changes the fixture order.
    pub fn office(mut self, tweak: fn(&mut OfficeData)) -> Self {
        self.office = tweak;
        self
    }
    /// Changes the reference data.
    pub fn reference(mut self, tweak: fn(&mut ReferenceData)) -> Self {
        self.reference = tweak;
        self
    }
    /// Also expects exactly these follow-up proposals.
    pub fn follow_ups(mut self, kinds: &'static [FollowUpKind]) -> Self {
        self.follow_ups = Some(kinds);
        self
    }
}

/// Runs every row on an order of `order_type` and fails listing every row that disagreed.
pub fn run(order_type: OrderType, rows: Vec<Row>) {
    let mut failures = Vec::new();
    for row in rows {
        let mut data = service_office(order_type);
        (row.office)(&mut data);
        let order = record(data, row.history);
        let mut reference = ReferenceData::default();
        (row.reference)(&mut reference);
        let mut ctx = context(row.user, row.at_ms);
        if !row.gps {
            ctx.gps = None;
        } else if row.far
            && let Some(fix) = ctx.gps.as_mut()
        {
            fix.point.lat += 0.01;
        }
        let got = rules::check(
            &order,
            &derived(row.status, Some(500)),
            &row.action,
            &ctx,
            &reference,
        );
        let problem = match (&row.expect, &got) {
            (Accepted(flags), Ok(assessment)) => {
                let actual = flag_codes(assessment);
                let kinds: Vec<FollowUpKind> =
                    assessment.follow_ups.iter().map(|f| f.kind).collect();
                if actual != *flags {
                    Some(format!("expected flags {flags:?}, got {actual:?}"))
                } else {
                    row.follow_ups
                        .filter(|want| kinds != *want)
                        .map(|want| format!("expected follow-ups {want:?}, got {kinds:?}"))
                }
            }
            (Refused(rule, field), Err(refusal)) => {
                let actual = (refusal.rule.as_str(), refusal.field.as_str());
                (actual != (*rule, *field))
                    .then(|| format!("expected {:?}, got {refusal:?}", (rule, field)))
            }
            (_, got) => Some(format!("unexpected {got:?}")),
        };
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", row.name));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// A capture with no photo or note.
pub fn cap(capture: Capture) -> FieldAction {
    FieldAction::Capture {
        capture,
        photos: vec![],
        note: None,
    }
}

/// A capture with one photo of `kind`.
pub fn cap_photo(capture: Capture, kind: PhotoKind) -> FieldAction {
    FieldAction::Capture {
        capture,
        photos: vec![photo(kind)],
        note: None,
    }
}

/// One photo of `kind`.
pub fn photo(kind: PhotoKind) -> PhotoRef {
    PhotoRef {
        sha256: format!("{:064x}", kind as u8 + 1),
        kind,
    }
}

/// Completion with `code` (and no photo).
pub fn complete(code: Option<&str>) -> FieldAction {
    FieldAction::Complete {
        code: code.map(str::to_string),
        photos: vec![],
    }
}

/// Completion with `code` and one photo of `kind`.
pub fn complete_photo(code: Option<&str>, kind: PhotoKind) -> FieldAction {
    FieldAction::Complete {
        code: code.map(str::to_string),
        photos: vec![photo(kind)],
    }
}

/// A reading of register 1 (`value`), with `photo_count` register photos.
pub fn read(value: &str, photo_count: usize) -> FieldAction {
    reading(vec![input(1, value, None)], photo_count, None)
}

/// The order's meter verified.
pub fn verified() -> FieldAction {
    cap(Capture::MeterVerified {
        serial: "SN1".into(),
    })
}

/// A valve operated.
pub fn valve(position: ValvePosition, point: Option<DisconnectPoint>) -> FieldAction {
    cap(Capture::Valve { position, point })
}

/// Customer contact.
pub fn customer(present: bool, notified: bool, door_hanger: bool) -> FieldAction {
    cap(Capture::Customer {
        present,
        notified,
        door_hanger,
    })
}

/// A seal put on.
pub fn seal_on(number: &str) -> FieldAction {
    cap(Capture::SealInstalled {
        number: number.into(),
    })
}

/// A leak check.
pub fn leak_check(moving: bool, resolution: Option<LeakResolution>) -> FieldAction {
    cap(Capture::LeakCheck {
        indicator_moving: moving,
        resolution,
    })
}
