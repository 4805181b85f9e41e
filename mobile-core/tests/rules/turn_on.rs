//! Turn-on rules, passing and refusing: serial, usage while off, leak check, seal removed,
//! and what completing needs.

use crate::table::*;
use fieldline_core::*;

fn full_turn_on() -> Vec<FieldAction> {
    vec![
        verified(),
        read("1000", 0),
        valve(ValvePosition::On, None),
        leak_check(false, None),
        cap(Capture::SealRemoved {
            number: "FL000123".into(),
        }),
        customer(true, true, false),
        cap_photo(
            Capture::Customer {
                present: true,
                notified: true,
                door_hanger: false,
            },
            PhotoKind::Meter,
        ),
    ]
}

fn recorded_seal(o: &mut OfficeData) {
    o.details.recorded_seal = Some("FL000123".into());
}

#[rustfmt::skip]
#[test]
fn turn_on_rules_table() {
    let without = |skip: usize| {
        let mut steps = full_turn_on();
        steps.remove(skip);
        steps
    };
    run(OrderType::TurnOn, vec![
        row("serial matches", verified(), Accepted(&[])),
        row("serial matches ignoring case", cap(Capture::MeterVerified { serial: " sn1 ".into() }), Accepted(&[])),
        row("a capture far from the premise is flagged", verified(), Accepted(&["off_site_capture"])).far(),
        row("serial differs", cap(Capture::MeterVerified { serial: "SN2".into() }), Refused("service.serial", "capture.serial")),
        row("no use while off", read("1000", 0), Accepted(&["zero_read"])),
        row("complete before starting", complete(None), Refused("common.started_before_complete", "action")).status(Status::OnSite).after(full_turn_on()),
        row("another crew's capture", verified(), Refused("common.not_assignee", "user")).by("inspector9"),
        row("use while off is flagged", read("1050", 0), Accepted(&["usage_while_off"])),
        row("leak indicator still", leak_check(false, None), Accepted(&[])),
        row("leak indicator moving, left off", leak_check(true, Some(LeakResolution::LeftOff)), Accepted(&["leak"])),
        row("leak indicator moving, no resolution", leak_check(true, None), Refused("service.leak_check", "capture.resolution")),
        row("leak moving, notify where policy says leave off", leak_check(true, Some(LeakResolution::CustomerNotified)), Refused("service.leak_check", "capture.resolution")),
        row("leak moving, notify by policy", leak_check(true, Some(LeakResolution::CustomerNotified)), Accepted(&["leak"]))
            .reference(|r| r.policy.leak_check = fieldline_core::reference::LeakCheckPolicy::Notify),
        row("recorded seal removed", cap(Capture::SealRemoved { number: "fl000123".into() }), Accepted(&[])).office(recorded_seal),
        row("other seal removed", cap(Capture::SealRemoved { number: "FL999999".into() }), Accepted(&["tamper", "seal_mismatch"]))
            .office(recorded_seal).follow_ups(&[FollowUpKind::Inspection]),
        row("seal removed without number", cap(Capture::SealRemoved { number: " ".into() }), Refused("seal.removed", "capture.number")),
        row("complete with every step", complete(None), Accepted(&[])).after(full_turn_on()).office(recorded_seal),
        row("complete without verifying", complete(None), Refused("turn_on.completion", "meter_verified")).after(without(0)),
        row("complete without reading", complete(None), Refused("turn_on.completion", "readings")).after(without(1)),
        row("complete without valve on", complete(None), Refused("turn_on.completion", "valve")).after(without(2)),
        row("complete without leak check", complete(None), Refused("turn_on.completion", "leak_check")).after(without(3)),
        row("complete without removing the recorded seal", complete(None), Refused("turn_on.completion", "seal_removed")).after(without(4)).office(recorded_seal),
        row("no seal recorded, none to remove", complete(None), Accepted(&[])).after(without(4)),
        row("complete without notifying", complete(None), Refused("turn_on.completion", "customer"))
            .after(full_turn_on().into_iter().filter(|a| !matches!(a.capture(), Some(Capture::Customer { .. }))).collect()),
        row("complete without photo", complete(None), Refused("turn_on.completion", "photos")).after(without(6)),
        row("a checklist is not a turn-on step", cap(Capture::Checklist { template: "tamper".into(), version: 1, answers: vec![] }), Refused("common.step", "capture.step")),
    ]);
}
