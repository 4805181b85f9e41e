//! Turn-off, disconnect notice, re-read, special read and field-found rules, passing and
//! refusing.

use crate::fixtures::*;
use crate::table::*;
use fieldline_core::*;

fn full_turn_off() -> Vec<FieldAction> {
    vec![
        read("1050", 1),
        valve(ValvePosition::Off, Some(DisconnectPoint::AngleValve)),
        seal_on("FL000777"),
        customer(false, false, true),
    ]
}

#[rustfmt::skip]
#[test]
fn turn_off_rules_table() {
    let without = |skip: usize| {
        let mut steps = full_turn_off();
        steps.remove(skip);
        steps
    };
    run(OrderType::TurnOff, vec![
        row("final reading", read("1050", 0), Accepted(&[])),
        row("no use while off on a turn-off", read("1050", 0), Accepted(&[])),
        row("seal with a bad format", seal_on("FL77"), Refused("seal.format", "capture.number")),
        row("complete with every step", complete(None), Accepted(&[])).after(full_turn_off()),
        row("complete without reading", complete(None), Refused("turn_off.completion", "readings")).after(without(0)),
        row("complete without valve off", complete(None), Refused("turn_off.completion", "valve")).after(without(1)),
        row("valve turned back on", complete(None), Refused("turn_off.completion", "valve"))
            .after([full_turn_off(), vec![valve(ValvePosition::On, None)]].concat()),
        row("complete without a seal", complete(None), Refused("turn_off.completion", "seal_installed")).after(without(2)),
        row("no seal needed by policy", complete(None), Accepted(&[])).after(without(2)).reference(|r| r.policy.turn_off_seal_required = false),
        row("complete without a door hanger", complete(None), Refused("turn_off.completion", "customer")).after(without(3)),
        row("complete without a photo", complete(None), Refused("turn_off.completion", "photos"))
            .after(vec![read("1050", 0), valve(ValvePosition::Off, None), seal_on("FL000777"), customer(false, false, true)]),
    ]);
}

fn delivered(method: NoticeMethod, recipient: Option<&str>) -> FieldAction {
    cap_photo(
        Capture::NoticeDelivered {
            method,
            recipient: recipient.map(str::to_string),
        },
        PhotoKind::Notice,
    )
}

#[rustfmt::skip]
#[test]
fn notice_rules_table() {
    run(OrderType::DisconnectNotice, vec![
        row("posted", delivered(NoticeMethod::Posted, None), Accepted(&[])),
        row("refused at the door", delivered(NoticeMethod::Refused, None), Accepted(&[])),
        row("handed to a named adult", delivered(NoticeMethod::HandedToAdult, Some("A. Smith")), Accepted(&[])),
        row("handed to an unnamed adult", delivered(NoticeMethod::HandedToAdult, Some(" ")), Refused("notice.recipient", "capture.recipient")),
        row("delivered without a photo", cap(Capture::NoticeDelivered { method: NoticeMethod::Posted, recipient: None }), Refused("notice.photo", "photos")),
        row("delivered without GPS", delivered(NoticeMethod::Posted, None), Refused("notice.gps", "gps")).no_gps(),
        row("complete after delivery", complete(None), Accepted(&[])).after(vec![delivered(NoticeMethod::Posted, None)]),
        row("complete without delivery", complete(None), Refused("notice.completion", "notice_delivered")),
        row("a reading is not a notice step", read("1050", 0), Refused("common.step", "readings")),
    ]);
}

fn audit(o: &mut OfficeData) {
    o.details.audit = true;
    o.details.original_reader = Some(READER.into());
}

#[rustfmt::skip]
#[test]
fn re_read_rules_table() {
    run(OrderType::ReRead, vec![
        row("re-read with a photo", read("1050", 1), Accepted(&[])),
        row("re-read without a photo", read("1050", 0), Refused("re_read.photo", "photos")),
        row("re-read keyed past the dials", read("123456", 1), Refused("cycle_read.full_scale", "readings[0].value")),
        row("audit by the original reader", read("1050", 1), Refused("re_read.other_reader", "user")).office(audit),
        row("audit by another reader", read("1050", 1), Accepted(&[])).office(|o| {
            o.details.audit = true;
            o.details.original_reader = Some("reader9".into());
        }),
        row("a plain re-read by the original reader", read("1050", 1), Accepted(&[])).office(|o| o.details.original_reader = Some(READER.into())),
        row("complete after reading", complete(None), Accepted(&[])).after(vec![read("1050", 1)]),
        row("complete without reading", complete(None), Refused("re_read.completion", "readings")),
    ]);
}

#[test]
fn blind_office_data_carries_no_previous_or_limits() {
    let blind = office(vec![usual_register()], AccountStatus::Active).blind();
    let register = blind.register(1).expect("register 1");
    assert_eq!(register.previous_read, None);
    assert_eq!(register.previous_read_at, None);
    assert_eq!((register.low_limit, register.high_limit), (None, None));
    // The reading rules can then only check the dials: every value is unchecked.
    let order = record(
        OfficeData {
            order_type: OrderType::ReRead,
            ..blind
        },
        vec![],
    );
    let assessment = check_on(
        &order,
        Status::InProgress,
        &reading(vec![input(1, "5", None)], 1, None),
        &reference::ReferenceData::default(),
    )
    .expect("accepted");
    assert_eq!(assessment.readings[0].validation, Validation::Unchecked);
}

fn move_out(o: &mut OfficeData) {
    o.details.special_read = Some(SpecialReadKind::MoveOut);
}

#[rustfmt::skip]
#[test]
fn special_read_rules_table() {
    run(OrderType::SpecialRead, vec![
        row("final read above the last", read("1050", 1), Accepted(&[])).office(move_out),
        row("final read below the last", read("0990", 1), Refused("special_read.final_not_below", "readings[0].value")).office(move_out),
        row("final read that rolled over", reading(vec![input(1, "00005", Some("5"))], 1, None), Accepted(&["rollover_read"]))
            .office(|o| {
                o.details.special_read = Some(SpecialReadKind::MoveOut);
                o.meter.as_mut().expect("meter").registers[0].previous_read = Some(99_990.0);
            }),
        row("control read below the last needs the negative steps", read("0990", 1), Refused("cycle_read.negative", "readings[0].confirmation"))
            .office(|o| o.details.special_read = Some(SpecialReadKind::Control)),
        row("special read without a photo", read("1050", 0), Refused("special_read.photo", "photos")).office(move_out),
        row("complete with reading and customer", complete(None), Accepted(&[])).after(vec![read("1050", 1), customer(true, false, false)]),
        row("complete without reading", complete(None), Refused("special_read.completion", "readings")).after(vec![customer(true, false, false)]),
        row("complete without customer", complete(None), Refused("special_read.completion", "customer")).after(vec![read("1050", 1)]),
    ]);
}

fn problem(code: &str) -> Capture {
    Capture::Problem {
        code: code.into(),
        severity: ProblemSeverity::High,
    }
}

#[rustfmt::skip]
#[test]
fn field_found_rules_table() {
    run(OrderType::FieldFound, vec![
        row("a leak with photo and GPS", cap_photo(problem("leak"), PhotoKind::Leak), Accepted(&["leak"])),
        row("an unknown problem", cap_photo(problem("ufo"), PhotoKind::Leak), Refused("field_found.problem", "capture.code")),
        row("other without a note", cap_photo(problem("other"), PhotoKind::Box), Refused("field_found.problem", "note")),
        row("without a photo", cap(problem("damaged_box")), Refused("field_found.problem", "photos")),
        row("without GPS", cap_photo(problem("damaged_box"), PhotoKind::Box), Refused("field_found.problem", "gps")).no_gps(),
        row("complete after the problem", complete(None), Accepted(&[])).after(vec![cap_photo(problem("damaged_box"), PhotoKind::Box)]),
        row("complete without the problem", complete(None), Refused("field_found.completion", "problem")),
    ]);
}
