//! Every rule the core declares, broken by a forged change: the handheld writes the violating
//! field entry straight into the document with its bound actor (skipping the client's check) and
//! uploads it through the sync path the HTTP handler calls. The server must quarantine it naming
//! the same rule and field the device's own check names for the same action on the same order;
//! the honest steps uploaded with it are stored. A rule id with neither a row nor a commented
//! exclusion below fails the table, so a new rule cannot ship without its server-side proof.

use super::rule_orders::*;
use super::*;
use crate::store::PageRequest;
use fieldline_core::reference::ReferenceData;
use fieldline_core::{
    Answer, Capture, ChecklistAnswer, ChecklistRef, FieldCorrection, FlowSample, MeterField,
    NewMeter, NoticeMethod, OfficeAction, OfficeData, OldMeter, PhotoKind, ProblemSeverity,
    SealCondition, SpecialReadKind, ValvePosition, rules,
};
use std::collections::BTreeSet;

/// Rules no field entry can make refuse: they only add flags or computed outcomes to an
/// accepted entry (DOMAIN.md: implausible device time and off-site captures "flag, never
/// reject"; unusual use is for the office to look at). What they add cannot be forged either:
/// `assessments.rs` has a row per rule here, refusing an entry that leaves it out.
pub(super) const NEVER_REFUSE: [&str; 6] = [
    // Flags a device clock before the order's creation.
    "common.device_time",
    // Flags a capture far from the premise.
    "common.off_site",
    // Flags use on an inactive or locked account and proposes an inspection.
    "cycle_read.unauthorized_use",
    // Computes each reading's validation, consumption and billed quantity, with their flags.
    "cycle_read.outcome",
    // Flags a leak and proposes the follow-ups the findings recommend.
    "high_bill.findings",
    // Flags a register that moved while service was off.
    "service.usage_while_off",
];

/// One forged change: the order it is made on, what the crew honestly did first, and the action
/// that breaks `rule`.
struct Forged {
    rule: &'static str,
    order_type: OrderType,
    office: fn(&mut OfficeData),
    /// Office actions on the order before the device takes it (it has seen them).
    log: Vec<OfficeAction>,
    /// Honest steps, recorded through the client's rules and uploaded with the forgery.
    before: Vec<FieldAction>,
    action: FieldAction,
    /// Device time of the forged entry, after creation.
    at: i64,
    gps: bool,
}

fn forged(rule: &'static str, order_type: OrderType, action: FieldAction) -> Forged {
    Forged {
        rule,
        order_type,
        office: |_| {},
        log: vec![],
        before: vec![],
        action,
        at: 60_000,
        gps: true,
    }
}

impl Forged {
    fn after(mut self, before: Vec<FieldAction>) -> Self {
        self.before = before;
        self
    }
    fn office(mut self, tweak: fn(&mut OfficeData)) -> Self {
        self.office = tweak;
        self
    }
    fn log(mut self, log: Vec<OfficeAction>) -> Self {
        self.log = log;
        self
    }
    fn at(mut self, ms: i64) -> Self {
        self.at = ms;
        self
    }
    fn no_gps(mut self) -> Self {
        self.gps = false;
        self
    }
}

fn account(o: &mut OfficeData) -> &mut fieldline_core::AccountSnapshot {
    o.account.as_mut().expect("the order has an account")
}

fn skip(code: &str) -> FieldAction {
    FieldAction::Skip {
        code: code.into(),
        note: None,
        photos: vec![],
    }
}

fn with_codes(reader_codes: &[&str], trouble_code: Option<&str>) -> FieldAction {
    FieldAction::Reading {
        readings: vec![ReadingInput {
            register: 1,
            value: "1050".into(),
            confirmation: None,
            method: ReadMethod::Keyed,
        }],
        reader_codes: reader_codes.iter().map(|c| c.to_string()).collect(),
        trouble_code: trouble_code.map(str::to_string),
        note: None,
        photos: vec![],
    }
}

fn register_reading(register: u32) -> FieldAction {
    FieldAction::Reading {
        readings: vec![ReadingInput {
            register,
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

fn verified(serial: &str) -> FieldAction {
    cap(Capture::MeterVerified {
        serial: serial.into(),
    })
}

fn customer() -> FieldAction {
    cap(Capture::Customer {
        present: true,
        notified: true,
        door_hanger: false,
    })
}

fn exchange(reason: &str, old_serial: &str, new_serial: &str, photos: usize) -> FieldAction {
    cap_photos(
        Capture::Exchange {
            reason: reason.into(),
            old: OldMeter {
                serial: old_serial.into(),
                readings: vec![ReadingInput {
                    register: 1,
                    value: "1050".into(),
                    confirmation: None,
                    method: ReadMethod::Keyed,
                }],
            },
            new: NewMeter {
                serial: new_serial.into(),
                initial_readings: vec!["00000".into()],
                radio_id: None,
            },
        },
        photo_list(PhotoKind::Meter, photos),
    )
}

fn issued(o: &mut OfficeData) {
    o.details.issued_meters = vec!["ISSUED9".into()];
}

fn checklist(version: u32, answers: Vec<(&str, Answer)>) -> FieldAction {
    cap(Capture::Checklist {
        template: "tamper".into(),
        version,
        answers: answers
            .into_iter()
            .map(|(question, answer)| ChecklistAnswer {
                question: question.into(),
                answer,
            })
            .collect(),
    })
}

fn tamper_answers() -> Vec<(&'static str, Answer)> {
    vec![
        ("seal_intact", Answer::YesNo(false)),
        ("meter_present", Answer::YesNo(true)),
        ("bypass_found", Answer::YesNo(true)),
        ("service_condition", Answer::Choice("poor".into())),
    ]
}

fn notice(recipient: Option<&str>, photos: usize) -> FieldAction {
    cap_photos(
        Capture::NoticeDelivered {
            method: if recipient.is_some() {
                NoticeMethod::HandedToAdult
            } else {
                NoticeMethod::Posted
            },
            recipient: recipient.map(str::to_string),
        },
        photo_list(PhotoKind::Notice, photos),
    )
}

fn problem(code: &str, photos: usize) -> FieldAction {
    cap_photos(
        Capture::Problem {
            code: code.into(),
            severity: ProblemSeverity::High,
        },
        photo_list(PhotoKind::Leak, photos),
    )
}

fn correction(field: MeterField, register: Option<u32>, value: &str) -> FieldAction {
    cap(Capture::MeterCorrection {
        corrections: vec![FieldCorrection {
            field,
            register,
            value: value.into(),
        }],
    })
}

fn meter_found(serial: &str) -> FieldAction {
    cap_photos(
        Capture::MeterFound {
            serial: serial.into(),
            reading: "00412".into(),
            location: "side yard".into(),
        },
        photo_list(PhotoKind::Meter, 1),
    )
}

fn flow_test(v0: &str, v1: &str) -> FieldAction {
    let t0 = Timestamp(CREATED.0 + 1_000);
    cap(Capture::LowFlowTest {
        register: 1,
        start: FlowSample {
            value: v0.into(),
            at: t0,
        },
        end: FlowSample {
            value: v1.into(),
            at: Timestamp(t0.0 + 10 * 60_000),
        },
    })
}

/// One row per rule that a field entry can break.
#[rustfmt::skip]
fn rows() -> Vec<Forged> {
    use OrderType::*;
    let start = || FieldAction::Start;
    vec![
        // Shared by every order type.
        forged("common.size", TurnOn, verified(&"9".repeat(rules::MAX_ID_BYTES + 1))),
        forged("common.not_assignee", CycleRead, reading("1050", 0))
            .log(vec![OfficeAction::Assign { assignee: "reader2".into(), reason: None }]),
        forged("common.order_closed", CycleRead, reading("1050", 0))
            .log(vec![OfficeAction::Cancel { reason: "duplicate".into() }]),
        forged("common.sequence", TurnOn, start()).after(vec![start()]),
        forged("common.started_before_complete", TurnOn, complete(None, vec![])),
        forged("common.completion_time", CycleRead, complete(None, vec![])).after(vec![reading("1050", 0)]).at(500),
        forged("common.step", TurnOn, checklist(1, tamper_answers())),
        forged("common.not_done_reason", CycleRead, FieldAction::NotDone { reason: "gremlins".into(), note: None }),
        forged("common.completion_code", CycleRead, complete(Some("bogus"), vec![])).after(vec![reading("1050", 0)]),
        // Route reads.
        forged("cycle_read.register", CycleRead, register_reading(2)),
        forged("cycle_read.full_scale", CycleRead, reading("100000", 0)),
        forged("cycle_read.dials", CycleRead, reading("10a0", 0)),
        forged("cycle_read.blind_rekey_mismatch", CycleRead, read_full("1050", Some("1005"), 0)),
        forged("cycle_read.negative", CycleRead, reading("0990", 0)),
        forged("cycle_read.rollover", CycleRead, reading("00030", 0)).office(|o| {
            let register = &mut o.meter.as_mut().expect("meter").registers[0];
            register.previous_read = Some(99_950.0);
            (register.low_limit, register.high_limit) = (None, None);
        }),
        forged("cycle_read.limits", CycleRead, reading("1150", 0)),
        forged("cycle_read.zero_consumption", CycleRead, reading("1000", 0)).office(|o| {
            let register = &mut o.meter.as_mut().expect("meter").registers[0];
            (register.low_limit, register.high_limit) = (None, None);
        }),
        forged("cycle_read.out_of_range_photo", CycleRead, read_full("1150", Some("1150"), 0)),
        forged("cycle_read.reader_codes", CycleRead, with_codes(&["lid_broken", "purple"], None)),
        forged("cycle_read.trouble_code", CycleRead, with_codes(&[], Some("gremlins"))),
        forged("cycle_read.skip_code", CycleRead, skip("raining")),
        forged("cycle_read.skip_photo", CycleRead, skip("locked_gate")),
        forged("cycle_read.skip_note", CycleRead, skip("meter_not_found")),
        forged("cycle_read.reading_or_skip", CycleRead, complete(None, vec![])).after(vec![start()]),
        forged("cycle_read.endpoint_flags", CycleRead, cap(Capture::EndpointFlags { flags: vec!["haunted".into()] })),
        forged("cycle_read.correction_field", CycleRead, correction(MeterField::DialsLeft, None, "6")),
        forged("cycle_read.correction_value", CycleRead, correction(MeterField::Size, None, "5/8\"")),
        forged("cycle_read.correction_photo", CycleRead, correction(MeterField::Serial, None, "SN9")),
        forged("cycle_read.meter_found", CycleRead, meter_found(SERIAL)),
        // Re-reads and special reads.
        forged("re_read.other_reader", ReRead, reading("1050", 1)).office(|o| {
            o.details.audit = true;
            o.details.original_reader = Some(READER.into());
        }),
        forged("re_read.photo", ReRead, reading("1050", 0)),
        forged("re_read.completion", ReRead, complete(None, vec![])).after(vec![start()]),
        forged("special_read.final_not_below", SpecialRead, reading("0990", 1))
            .office(|o| o.details.special_read = Some(SpecialReadKind::MoveOut)),
        forged("special_read.photo", SpecialRead, reading("1050", 0))
            .office(|o| o.details.special_read = Some(SpecialReadKind::MoveOut)),
        forged("special_read.completion", SpecialRead, complete(None, vec![])).after(vec![start(), customer()]),
        // Service orders.
        forged("service.serial", TurnOn, verified("SN2")),
        forged("service.leak_check", TurnOn, cap(Capture::LeakCheck { indicator_moving: true, resolution: None })),
        forged("seal.format", TurnOff, seal_on("FL77")),
        forged("seal.unique", TurnOff, seal_on("FL004521")).after(vec![seal_on("FL004521")]),
        forged("seal.found", Reconnect, cap(Capture::SealFound { number: None, condition: SealCondition::Intact }))
            .office(|o| o.details.recorded_seal = Some("FL000123".into())),
        forged("seal.removed", TurnOn, cap(Capture::SealRemoved { number: " ".into() })),
        forged("turn_on.completion", TurnOn, complete(None, vec![])).after(vec![start()]),
        forged("turn_off.completion", TurnOff, complete(None, vec![])).after(vec![start()]),
        forged("reconnect.completion", Reconnect, complete(None, vec![])).after(vec![start()]),
        // Disconnect notices and disconnects.
        forged("notice.recipient", DisconnectNotice, notice(Some(" "), 1)),
        forged("notice.photo", DisconnectNotice, notice(None, 0)),
        forged("notice.gps", DisconnectNotice, notice(None, 1)).no_gps(),
        forged("notice.completion", DisconnectNotice, complete(None, vec![])).after(vec![start()]),
        forged("disconnect.snapshot_fresh", Disconnect, cut())
            .office(|o| account(o).as_of = Timestamp(CREATED.0 - 13 * HOUR)),
        forged("disconnect.balance", Disconnect, cut()).office(|o| account(o).past_due_cents = 4_999),
        forged("disconnect.notice", Disconnect, cut()).office(|o| account(o).notice_served_at = None),
        forged("disconnect.hold", Disconnect, cut()).office(|o| account(o).medical_hold = true),
        forged("disconnect.payment_plan", Disconnect, cut()).office(|o| account(o).payment_plan = true),
        forged("disconnect.moratorium", Disconnect, cut())
            .office(|o| o.details.service_area = Some(MORATORIUM_AREA.into())),
        forged("disconnect.allowed_hours", Disconnect, cut()).at(7 * HOUR),
        forged("disconnect.medical_claim", Disconnect, cut())
            .after(vec![cap(Capture::MedicalClaim { claimant: Some("resident".into()) })]),
        forged("disconnect.point", Disconnect, cap(Capture::Valve { position: ValvePosition::Off, point: None })),
        forged("disconnect.outcome", Disconnect, complete(Some("held_medical"), vec![])).after(vec![start()]),
        // High-bill investigations.
        forged("high_bill.low_flow", HighBillInvestigation, flow_test("1052", "1050")),
        forged("high_bill.completion", HighBillInvestigation, complete(None, vec![])).after(vec![start()]),
        // Meter exchanges.
        forged("meter_exchange.reason", MeterExchange, exchange("bored", SERIAL, "ISSUED9", 2)).office(issued),
        forged("meter_exchange.old_meter", MeterExchange, exchange("age", "SN9", "ISSUED9", 2)).office(issued),
        forged("meter_exchange.new_meter", MeterExchange, exchange("age", SERIAL, "NOT-ISSUED", 2)).office(issued),
        forged("meter_exchange.photos", MeterExchange, exchange("age", SERIAL, "ISSUED9", 1)).office(issued),
        forged("meter_exchange.completion", MeterExchange, complete(None, vec![])).after(vec![start()]),
        // Inspections.
        forged("inspection.template", Inspection, checklist(1, tamper_answers()))
            .office(|o| o.details.checklist = Some(ChecklistRef { template: "condition".into(), version: 1 })),
        forged("inspection.answers", Inspection, checklist(1, vec![("colour", Answer::Text("red".into()))])),
        forged("inspection.completion", Inspection, complete(Some("no_violation"), vec![])).after(vec![start()]),
        // Field-found orders.
        forged("field_found.problem", FieldFound, problem("ufo", 1)),
        forged("field_found.completion", FieldFound, complete(None, vec![])).after(vec![start()]),
    ]
}

/// Runs one row on a new order; returns what disagreed, if anything.
async fn run_row(
    f: &Fixture,
    h: &mut Handheld,
    at: &Site,
    reference: &ReferenceData,
    row: &Forged,
) -> Option<String> {
    let mut data = office(at, row.order_type);
    (row.office)(&mut data);
    let order = create(f, &data).await;
    for action in &row.log {
        apply_office_action(
            f.store.as_ref(),
            f.utility,
            &f.dispatcher,
            order,
            action.clone(),
            Utc::now(),
        )
        .await
        .expect("the office acts");
    }
    let mut doc = stored_doc(f, order, &h.actor).await;
    let received = doc.heads();
    record_all(&mut doc, &row.before, reference);
    let mut context = ctx(row.at);
    if !row.gps {
        context.gps = None;
    }

    // What the device's own check says of the action, on the order as it holds it.
    let record = doc.record().expect("record");
    let derived = fieldline_core::derive(&record);
    let device = match rules::check(&record, &derived, &row.action, &context, reference) {
        Err(refusal) if refusal.rule == row.rule => refusal,
        other => {
            return Some(format!(
                "the device does not refuse it by this rule: {other:?}"
            ));
        }
    };

    let (hash, bytes) = forge(&doc, &h.actor, &row.action, &context, reference.version);
    let mut changes = doc.changes_since(&received);
    changes.push(bytes);
    let answer = f.sync(h, upload(order, changes)).await;

    let mut problems = Vec::new();
    let expected_message = format!("(rule {})", device.rule);
    match answer.rejected.as_slice() {
        [r] if r.code == "rule"
            && r.hashes == [hash.0]
            && r.message.contains(&expected_message) => {}
        other => problems.push(format!("answered {other:?}")),
    }
    let page = f
        .store
        .list_quarantine(
            f.utility,
            PageRequest {
                limit: 20,
                offset: 0,
            },
        )
        .await
        .expect("quarantine");
    match page
        .items
        .iter()
        .find(|q| q.change_hash == hash.to_string())
    {
        Some(q)
            if q.rule.as_deref() == Some(device.rule.as_str())
                && q.field.as_deref() == Some(device.field.as_str()) => {}
        Some(q) => problems.push(format!(
            "quarantined naming {:?} on {:?}, the device names {} on {}",
            q.rule, q.field, device.rule, device.field
        )),
        None => problems.push("not quarantined".into()),
    }
    let stored = detail(f.store.as_ref(), f.utility, order)
        .await
        .expect("detail");
    let honest = stored.field.len();
    if honest != row.before.len() {
        problems.push(format!(
            "{honest} field entries stored, the {} honest steps expected",
            row.before.len()
        ));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

#[tokio::test]
async fn every_rule_refuses_a_forged_change_on_the_server_as_on_the_device() {
    let f = fixture().await;
    let reference = publish_reference(&f).await;
    let at = site(&f).await;
    let mut h = f.handheld(0).await;
    f.sync(&mut h, vec![]).await;
    let rows = rows();

    // Every rule has a row or a reason why no entry can make it refuse, and nothing else.
    let declared: BTreeSet<&str> = rules::rule_ids().into_iter().collect();
    let covered: BTreeSet<&str> = rows.iter().map(|r| r.rule).chain(NEVER_REFUSE).collect();
    let missing: Vec<_> = declared.difference(&covered).collect();
    let unknown: Vec<_> = covered.difference(&declared).collect();
    assert!(
        missing.is_empty(),
        "rules without a forged-change row: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "rows for rules the core does not declare: {unknown:?}"
    );
    let mut seen = BTreeSet::new();
    for row in &rows {
        assert!(seen.insert(row.rule), "{} has two rows", row.rule);
        assert!(
            !NEVER_REFUSE.contains(&row.rule),
            "{} is also excluded",
            row.rule
        );
    }

    let mut failures = Vec::new();
    for row in &rows {
        if let Some(problem) = run_row(&f, &mut h, &at, &reference, row).await {
            failures.push(format!("{}: {problem}", row.rule));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    f.guard.cleanup().await;
}
