//! A day's work for every order type, recorded through the document
//! (`WorkOrderDoc::record_field_action`) as the handheld does: each step is checked by the
//! rules and written, and the derived status, completion, flags and follow-ups come out right.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::document::automerge::ActorId;
use fieldline_core::field_found::{FieldReport, new_field_found_order};
use fieldline_core::reference::{ReferenceData, StockMeter};
use fieldline_core::*;

/// An order on a device, with the device's clock.
struct Day {
    doc: WorkOrderDoc,
    reference: ReferenceData,
    clock: i64,
}

impl Day {
    /// An order of `order_type` (fixture tweaked by `tweak`) assigned to [`READER`].
    fn new(order_type: OrderType, tweak: fn(&mut OfficeData)) -> Day {
        let mut data = service_office(order_type);
        tweak(&mut data);
        let mut doc = WorkOrderDoc::create("order-1", &data, ActorId::from(vec![0; 16]), CREATED)
            .expect("create");
        doc.apply_office_action(
            OfficeAction::Assign {
                assignee: READER.into(),
                reason: None,
            },
            "dispatcher",
            CREATED,
        )
        .expect("assign");
        doc.set_actor(ActorId::from(vec![1; 16]));
        let mut reference = ReferenceData::default();
        reference.meter_stock.push(StockMeter {
            serial: "NEW1".into(),
            size: "5/8\"".into(),
            dials_left: 6,
            dials_right: 0,
            registers: 1,
        });
        Day {
            doc,
            reference,
            clock: 0,
        }
    }

    /// Records `action` a minute after the previous one; panics with the refusal if refused.
    fn go(&mut self, action: FieldAction) -> FieldEntry {
        self.clock += 60_000;
        let name = action.name();
        self.doc
            .record_field_action(action, context(READER, self.clock), &self.reference)
            .unwrap_or_else(|e| panic!("{name} at +{} ms: {e}", self.clock))
    }

    /// The arrival: received, en route, arrive, start.
    fn arrive(&mut self) {
        for action in [
            FieldAction::Received,
            FieldAction::EnRoute,
            FieldAction::Arrive,
            FieldAction::Start,
        ] {
            self.go(action);
        }
        assert_eq!(self.derived().status, Status::InProgress);
    }

    fn derived(&self) -> Derived {
        self.doc.derive().expect("derive")
    }

    fn exception_codes(&self) -> Vec<String> {
        self.derived()
            .exceptions
            .into_iter()
            .map(|e| e.code)
            .collect()
    }
}

#[test]
fn turn_on_day_with_a_lunch_break_completes() {
    let mut day = Day::new(OrderType::TurnOn, |_| {});
    day.arrive();
    day.go(verified());
    day.go(FieldAction::Pause {
        reason: "lunch".into(),
    });
    assert_eq!(day.derived().status, Status::Paused);
    day.go(FieldAction::Resume);
    day.go(read("1000", 0));
    day.go(valve(ValvePosition::On, None));
    day.go(leak_check(false, None));
    day.go(cap_photo(
        Capture::Customer {
            present: true,
            notified: true,
            door_hanger: false,
        },
        PhotoKind::Meter,
    ));
    day.go(complete(Some("completed")));
    let derived = day.derived();
    assert_eq!(derived.status, Status::Completed);
    assert_eq!(derived.completion_code.as_deref(), Some("completed"));
    assert!(derived.follow_ups.is_empty());
}

#[test]
fn turn_off_day_completes() {
    let mut day = Day::new(OrderType::TurnOff, |_| {});
    day.arrive();
    day.go(read("1050", 1));
    day.go(valve(ValvePosition::Off, Some(DisconnectPoint::AngleValve)));
    day.go(seal_on("FL000777"));
    day.go(customer(false, false, true));
    day.go(complete(None));
    assert_eq!(day.derived().status, Status::Completed);
}

#[test]
fn disconnect_notice_day_completes() {
    let mut day = Day::new(OrderType::DisconnectNotice, |_| {});
    day.arrive();
    day.go(cap_photo(
        Capture::NoticeDelivered {
            method: NoticeMethod::HandedToAdult,
            recipient: Some("A. Smith".into()),
        },
        PhotoKind::Notice,
    ));
    day.go(complete(None));
    assert_eq!(day.derived().status, Status::Completed);
}

#[test]
fn disconnect_day_locks_the_meter() {
    let mut day = Day::new(OrderType::Disconnect, |_| {});
    day.arrive();
    day.go(verified());
    day.go(read("1050", 1));
    day.go(valve(ValvePosition::Off, Some(DisconnectPoint::CurbStop)));
    day.go(cap_photo(
        Capture::SealInstalled {
            number: "FL004521".into(),
        },
        PhotoKind::Lock,
    ));
    day.go(customer(false, false, true));
    day.go(complete(Some("locked")));
    let derived = day.derived();
    assert_eq!(derived.status, Status::Completed);
    assert_eq!(derived.completion_code.as_deref(), Some("locked"));
}

#[test]
fn disconnect_with_a_medical_claim_on_site_is_held_not_cut() {
    let mut day = Day::new(OrderType::Disconnect, |_| {});
    day.arrive();
    day.go(verified());
    day.go(cap(Capture::MedicalClaim {
        claimant: Some("resident".into()),
    }));
    let refused = day
        .doc
        .record_field_action(
            valve(ValvePosition::Off, Some(DisconnectPoint::CurbStop)),
            context(READER, day.clock + 1),
            &day.reference,
        )
        .expect_err("no cut after a medical claim");
    assert!(
        refused.to_string().contains("disconnect.medical_claim"),
        "{refused}"
    );
    day.go(complete(Some("held_medical")));
    let derived = day.derived();
    assert_eq!(derived.status, Status::Completed);
    assert_eq!(derived.completion_code.as_deref(), Some("held_medical"));
    assert!(day.exception_codes().contains(&"held_medical".to_string()));
}

#[test]
fn disconnect_customer_paid_on_site_is_not_done() {
    let mut day = Day::new(OrderType::Disconnect, |_| {});
    day.arrive();
    day.go(FieldAction::NotDone {
        reason: "customer_paid".into(),
        note: None,
    });
    let derived = day.derived();
    assert_eq!(derived.status, Status::NotDone);
    assert_eq!(derived.not_done_reason.as_deref(), Some("customer_paid"));
}

#[test]
fn reconnect_with_a_broken_seal_proposes_one_inspection() {
    let mut day = Day::new(OrderType::Reconnect, |o| {
        o.details.recorded_seal = Some("FL004521".into())
    });
    day.arrive();
    let found = day.go(cap(Capture::SealFound {
        number: None,
        condition: SealCondition::Broken,
    }));
    day.go(read("1020", 0));
    day.go(valve(ValvePosition::On, None));
    day.go(leak_check(false, None));
    day.go(customer(true, true, false));
    day.go(complete(None));
    let derived = day.derived();
    assert_eq!(derived.status, Status::Completed);
    assert_eq!(
        derived.follow_ups,
        vec![FollowUp {
            kind: FollowUpKind::Inspection,
            reason: "seal_broken".into(),
            entry_id: found.id,
        }]
    );
    let codes = day.exception_codes();
    assert!(codes.contains(&"tamper".to_string()), "{codes:?}");
    assert!(codes.contains(&"usage_while_off".to_string()), "{codes:?}");
}

#[test]
fn high_bill_day_with_a_utility_leak_proposes_a_repair() {
    let mut day = Day::new(OrderType::HighBillInvestigation, |_| {});
    day.arrive();
    day.go(verified());
    day.go(read("1050", 1));
    let t0 = Timestamp(CREATED.0 + day.clock);
    let test = day.go(cap(Capture::LowFlowTest {
        register: 1,
        start: FlowSample {
            value: "1050".into(),
            at: t0,
        },
        end: FlowSample {
            value: "1053".into(),
            at: Timestamp(t0.0 + 15 * 60_000),
        },
    }));
    assert_eq!(
        test.assessment.flow.as_ref().map(|f| f.per_minute_milli),
        Some(200)
    );
    let findings = day.go(cap(Capture::Investigation(Findings {
        leak_indicator_moving: true,
        house_valve: Some(HouseValveResult::IndicatorStillMoving),
        dye_test_leak: None,
        irrigation: true,
        visible_leak: LeakSide::Utility,
        meter_condition: MeterCondition::Good,
        advice: None,
        recommendation: Recommendation::UtilityRepair,
    })));
    day.go(complete(None));
    let derived = day.derived();
    assert_eq!(derived.status, Status::Completed);
    assert_eq!(
        derived.follow_ups,
        vec![FollowUp {
            kind: FollowUpKind::UtilityRepair,
            reason: "utility_side_leak".into(),
            entry_id: findings.id,
        }]
    );
}

#[test]
fn meter_exchange_day_records_both_meters_as_one_entry() {
    let mut day = Day::new(OrderType::MeterExchange, |_| {});
    day.arrive();
    let exchange = day.go(FieldAction::Capture {
        capture: Capture::Exchange {
            reason: "age".into(),
            old: OldMeter {
                serial: "SN1".into(),
                readings: vec![input(1, "1050", None)],
            },
            new: NewMeter {
                serial: "NEW1".into(),
                initial_readings: vec!["000000".into()],
                radio_id: Some("R-77".into()),
            },
        },
        photos: vec![photo(PhotoKind::Meter), photo(PhotoKind::Register)],
        note: None,
    });
    // The old meter's final read was judged by the cycle-read rules.
    assert_eq!(exchange.assessment.readings.len(), 1);
    assert_eq!(exchange.assessment.readings[0].consumption, Some(50.0));
    day.go(complete(None));
    assert_eq!(day.derived().status, Status::Completed);
}

#[test]
fn inspection_day_confirms_tamper_with_evidence() {
    let mut day = Day::new(OrderType::Inspection, |o| {
        o.details.checklist = Some(ChecklistRef {
            template: "tamper".into(),
            version: 1,
        })
    });
    day.arrive();
    day.go(cap(Capture::Checklist {
        template: "tamper".into(),
        version: 1,
        answers: vec![
            ChecklistAnswer {
                question: "seal_intact".into(),
                answer: Answer::YesNo(false),
            },
            ChecklistAnswer {
                question: "meter_present".into(),
                answer: Answer::YesNo(true),
            },
            ChecklistAnswer {
                question: "bypass_found".into(),
                answer: Answer::YesNo(true),
            },
            ChecklistAnswer {
                question: "service_condition".into(),
                answer: Answer::Choice("poor".into()),
            },
        ],
    }));
    day.go(complete_photo(
        Some("tamper_confirmed"),
        PhotoKind::Evidence,
    ));
    assert_eq!(day.derived().status, Status::Completed);
    assert!(day.exception_codes().contains(&"tamper".to_string()));
}

#[test]
fn re_read_and_special_read_days_complete() {
    let mut re_read = Day::new(OrderType::ReRead, |o| {
        *o = o.clone().blind();
        o.details.audit = true;
        o.details.original_reader = Some("reader9".into());
    });
    re_read.go(FieldAction::Received);
    // On reads, the first reading starts the order.
    re_read.go(read("1050", 1));
    assert_eq!(re_read.derived().status, Status::InProgress);
    re_read.go(complete(None));
    assert_eq!(re_read.derived().status, Status::Completed);

    let mut final_read = Day::new(OrderType::SpecialRead, |o| {
        o.details.special_read = Some(SpecialReadKind::MoveOut)
    });
    final_read.arrive();
    final_read.go(read("1050", 1));
    final_read.go(customer(true, false, false));
    final_read.go(complete(None));
    assert_eq!(final_read.derived().status, Status::Completed);
}

#[test]
fn field_found_order_is_created_offline_and_worked_by_its_finder() {
    let report = FieldReport {
        code: "leak".into(),
        severity: ProblemSeverity::Critical,
        address: "in front of 14 Elm St".into(),
        photos: vec![photo(PhotoKind::Leak)],
        note: None,
    };
    let (mut doc, entry) = new_field_found_order(
        "ff-1",
        report,
        context(READER, 0),
        &ReferenceData::default(),
        ActorId::from(vec![7; 16]),
    )
    .expect("created");
    let office = doc.office().expect("office");
    assert_eq!(office.source, Source::FieldFound);
    assert_eq!(office.order_type, OrderType::FieldFound);
    assert_eq!(office.priority, Priority::Emergency);
    assert_eq!(office.created_by, READER);
    assert!(entry.assessment.flags.iter().any(|f| f.code == "leak"));
    let derived = doc.derive().expect("derive");
    assert_eq!(derived.assignee, None, "the office has not assigned it yet");
    assert_eq!(derived.status, Status::InProgress);
    doc.record_field_action(
        complete(None),
        context(READER, 60_000),
        &ReferenceData::default(),
    )
    .expect("complete");
    assert_eq!(doc.derive().expect("derive").status, Status::Completed);
}

#[test]
fn a_field_found_report_without_a_photo_creates_nothing() {
    let report = FieldReport {
        code: "damaged_box".into(),
        severity: ProblemSeverity::Low,
        address: "12 Elm St".into(),
        photos: vec![],
        note: None,
    };
    let refused = new_field_found_order(
        "ff-2",
        report,
        context(READER, 0),
        &ReferenceData::default(),
        ActorId::from(vec![7; 16]),
    )
    .expect_err("a photo is required");
    assert!(
        refused.to_string().contains("field_found.problem"),
        "{refused}"
    );
}

#[test]
fn the_server_judging_each_entry_again_reaches_the_same_assessment() {
    let mut day = Day::new(OrderType::Reconnect, |o| {
        o.details.recorded_seal = Some("FL004521".into())
    });
    day.arrive();
    day.go(cap(Capture::SealFound {
        number: Some("FL000001".into()),
        condition: SealCondition::Intact,
    }));
    day.go(read("1020", 0));
    day.go(valve(ValvePosition::On, None));
    day.go(leak_check(true, Some(LeakResolution::LeftOff)));
    day.go(customer(true, true, false));
    day.go(complete(None));
    let record = day.doc.record().expect("record");
    for entry in &record.field {
        let judged = day
            .doc
            .judge_field_entry(entry, &day.reference)
            .expect("judge");
        assert_eq!(
            judged.as_ref(),
            Ok(&entry.assessment),
            "{}",
            entry.action.name()
        );
    }
}
