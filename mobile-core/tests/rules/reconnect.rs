//! Reconnect rules, passing and refusing: the seal found against the recorded one (tamper and
//! an inspection follow-up otherwise), usage while off, and what completing needs.

use crate::table::*;
use fieldline_core::*;

fn recorded_seal(o: &mut OfficeData) {
    o.details.recorded_seal = Some("FL000123".into());
}

fn full_reconnect() -> Vec<FieldAction> {
    vec![
        cap(Capture::SealFound {
            number: Some("FL000123".into()),
            condition: SealCondition::Intact,
        }),
        read("1000", 0),
        valve(ValvePosition::On, None),
        leak_check(false, None),
        customer(true, true, false),
    ]
}

#[rustfmt::skip]
#[test]
fn reconnect_rules_table() {
    let without = |skip: usize| {
        let mut steps = full_reconnect();
        steps.remove(skip);
        steps
    };
    let found = |number: Option<&str>, condition| cap(Capture::SealFound { number: number.map(str::to_string), condition });
    run(OrderType::Reconnect, vec![
        row("recorded seal found intact", found(Some("FL000123"), SealCondition::Intact), Accepted(&[])).office(recorded_seal).follow_ups(&[]),
        row("intact seal without number", found(None, SealCondition::Intact), Refused("seal.found", "capture.number")).office(recorded_seal),
        row("different seal found", found(Some("FL000999"), SealCondition::Intact), Accepted(&["tamper", "seal_mismatch"]))
            .office(recorded_seal).follow_ups(&[FollowUpKind::Inspection]),
        row("broken seal", found(None, SealCondition::Broken), Accepted(&["tamper"])).office(recorded_seal).follow_ups(&[FollowUpKind::Inspection]),
        row("missing seal", found(None, SealCondition::Missing), Accepted(&["tamper"])).office(recorded_seal).follow_ups(&[FollowUpKind::Inspection]),
        row("use while off", read("1020", 0), Accepted(&["usage_while_off"])),
        row("complete with every step", complete(None), Accepted(&[])).after(full_reconnect()).office(recorded_seal),
        row("complete without the seal found", complete(None), Refused("reconnect.completion", "seal_found")).after(without(0)),
        row("complete without reading", complete(None), Refused("reconnect.completion", "readings")).after(without(1)),
        row("complete without valve on", complete(None), Refused("reconnect.completion", "valve")).after(without(2)),
        row("complete without leak check", complete(None), Refused("reconnect.completion", "leak_check")).after(without(3)),
        row("complete without notifying", complete(None), Refused("reconnect.completion", "customer")).after(without(4)),
    ]);
}
